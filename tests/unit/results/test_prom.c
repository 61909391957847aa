/* The Prometheus text rendering (results/es_prom.h): label values escaped, HELP escaped,
 * numbers in ASCII whatever the locale, a histogram's buckets cumulative with the +Inf bucket
 * equal to _count, and _sum the sum of what was observed. */
#include <glib.h>
#include <locale.h>
#include <string.h>

#include "results/es_prom.h"

static void test_escaping(void)
{
  g_autoptr(GString) out = g_string_new(NULL);
  es_prom_family(out, "x_total", "counter", "a \\ help\nline");
  const char *labels[] = {"a", "quote\" back\\ nl\n", "b", "plain", NULL};
  es_prom_sample(out, "x_total", labels, 3);
  es_prom_sample(out, "x_total", NULL, 0.25);
  g_assert_cmpstr(out->str, ==,
                  "# HELP x_total a \\\\ help\\nline\n"
                  "# TYPE x_total counter\n"
                  "x_total{a=\"quote\\\" back\\\\ nl\\n\",b=\"plain\"} 3\n"
                  "x_total 0.25\n");
}

static void test_numbers(void)
{
  g_autoptr(GString) out = g_string_new(NULL);
  es_prom_sample(out, "g", NULL, 1.0 / 0.0);
  es_prom_sample(out, "g", NULL, -2);
  es_prom_sample(out, "g", NULL, 12345678901.0);
  es_prom_sample(out, "g", NULL, 0.1);
  g_assert_cmpstr(out->str, ==, "g +Inf\ng -2\ng 12345678901\ng 0.10000000000000001\n");
}

static void test_histogram(void)
{
  const double bounds[] = {0.01, 0.1, 1};
  g_autoptr(EsPromHistogram) h = es_prom_histogram_new(bounds, G_N_ELEMENTS(bounds));
  const double seen[] = {0.005, 0.01, 0.05, 0.5, 0.7, 3, 100};
  double sum = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(seen); i++) {
    es_prom_histogram_observe(h, seen[i]);
    sum += seen[i];
  }
  g_assert_cmpuint(es_prom_histogram_get_count(h), ==, 7);
  g_autoptr(GString) out = g_string_new(NULL);
  const char *labels[] = {"type", "ir", NULL};
  es_prom_histogram_write(out, "d_seconds", labels, h);
  g_autoptr(GString) want = g_string_new(
      "d_seconds_bucket{type=\"ir\",le=\"0.01\"} 2\n"   /* a bound is in its own bucket */
      "d_seconds_bucket{type=\"ir\",le=\"0.1\"} 3\n"
      "d_seconds_bucket{type=\"ir\",le=\"1\"} 5\n"
      "d_seconds_bucket{type=\"ir\",le=\"+Inf\"} 7\n");
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append_printf(want, "d_seconds_sum{type=\"ir\"} %s\nd_seconds_count{type=\"ir\"} 7\n",
                         g_ascii_dtostr(buf, sizeof buf, sum));
  g_assert_cmpstr(out->str, ==, want->str);
}

/* An empty histogram still renders every bucket, all zero. */
static void test_histogram_empty(void)
{
  const double bounds[] = {0.5};
  g_autoptr(EsPromHistogram) h = es_prom_histogram_new(bounds, 1);
  g_autoptr(GString) out = g_string_new(NULL);
  es_prom_histogram_write(out, "e", NULL, h);
  g_assert_cmpstr(out->str, ==,
                  "e_bucket{le=\"0.5\"} 0\ne_bucket{le=\"+Inf\"} 0\ne_sum 0\ne_count 0\n");
}

/* Under a decimal-comma locale the numbers keep their point. */
static void test_locale(void)
{
  if (setlocale(LC_NUMERIC, "de_DE.UTF-8") == NULL) {
    g_test_skip("no de_DE.UTF-8 locale");
    return;
  }
  const double bounds[] = {0.0025};
  g_autoptr(EsPromHistogram) h = es_prom_histogram_new(bounds, 1);
  es_prom_histogram_observe(h, 0.5);
  g_autoptr(GString) out = g_string_new(NULL);
  es_prom_histogram_write(out, "l", NULL, h);
  setlocale(LC_NUMERIC, "C");
  g_assert_nonnull(strstr(out->str, "le=\"0.0025\""));
  g_assert_nonnull(strstr(out->str, "l_sum 0.5\n"));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/prom/escaping", test_escaping);
  g_test_add_func("/prom/numbers", test_numbers);
  g_test_add_func("/prom/histogram", test_histogram);
  g_test_add_func("/prom/histogram_empty", test_histogram_empty);
  g_test_add_func("/prom/locale", test_locale);
  return g_test_run();
}
