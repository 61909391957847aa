/* Unit tests of the configuration core: numbers with units, outage lists, the one link
 * check, and a table of keys on a struct of its own (defaults, set, check, dump, load). */
#include <math.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "config/es_config.h"
#include "config/es_link.h"

typedef struct {
  const char *text;
  gboolean ok;
  double value;
} UnitCase;

static const UnitCase duration_cases[] = {
    {"20ms", TRUE, 0.02},  {"1.5s", TRUE, 1.5},   {"250us", TRUE, 250e-6},
    {"2m", TRUE, 120},     {"1h", TRUE, 3600},    {"3650d", TRUE, 315360000},
    {"0s", TRUE, 0},       {".5s", TRUE, 0.5},    {"1e3ms", TRUE, 1},
    {"0.005s", TRUE, 0.005},
    {"20", FALSE, 0},      {"abc", FALSE, 0},     {"-5ms", FALSE, 0},
    {"", FALSE, 0},        {"5 ms", FALSE, 0},    {"5msx", FALSE, 0},
    {"5MS", FALSE, 0},     {"nans", FALSE, 0},    {"infs", FALSE, 0},
    {"1e999s", FALSE, 0},  {"0x10s", FALSE, 0},   {"+5s", FALSE, 0},
    {"s", FALSE, 0},       {".s", FALSE, 0},      {"5", FALSE, 0},
};

static const UnitCase rate_cases[] = {
    {"100Mbps", TRUE, 100e6}, {"1Gbps", TRUE, 1e9},      {"64kbps", TRUE, 64e3},
    {"9600bps", TRUE, 9600},  {"2.5Gbps", TRUE, 2.5e9},  {"100MBps", FALSE, 0},
    {"100mbps", FALSE, 0},    {"100", FALSE, 0},         {"-1Mbps", FALSE, 0},
    {"1Kbps", FALSE, 0},      {"Mbps", FALSE, 0},        {"1e400bps", FALSE, 0},
};

static const UnitCase probability_cases[] = {
    {"0", TRUE, 0},    {"1", TRUE, 1},     {"0.25", TRUE, 0.25}, {"1e-3", TRUE, 0.001},
    {"1.5", FALSE, 0}, {"-0.1", FALSE, 0}, {"nan", FALSE, 0},    {"0.5%", FALSE, 0},
    {"", FALSE, 0},    {"inf", FALSE, 0},
};

static void run_unit_cases(const UnitCase *cases, gsize n,
                           gboolean (*parse)(const char *, double *)) {
  for (gsize i = 0; i < n; i++) {
    double v = -1;
    gboolean ok = parse(cases[i].text, &v);
    if (ok != cases[i].ok)
      g_error("'%s': expected %s", cases[i].text, cases[i].ok ? "success" : "failure");
    if (ok && v != cases[i].value)
      g_error("'%s': got %.17g, expected %.17g", cases[i].text, v, cases[i].value);
  }
}

static void test_parse_units(void) {
  run_unit_cases(duration_cases, G_N_ELEMENTS(duration_cases), es_parse_duration);
  run_unit_cases(rate_cases, G_N_ELEMENTS(rate_cases), es_parse_rate);
  run_unit_cases(probability_cases, G_N_ELEMENTS(probability_cases), es_parse_probability);
}

static void test_outages(void) {
  EsOutages *o = NULL;
  char *why = NULL;
  g_assert_true(es_parse_outages(" 1m+30s ,2h+1ms", &o, &why));
  g_assert_nonnull(o);
  g_assert_cmpuint(o->n, ==, 2);
  g_assert_cmpfloat(o->w[0].start_s, ==, 60);
  g_assert_cmpfloat(o->w[0].duration_s, ==, 30);
  g_assert_cmpfloat(o->w[1].start_s, ==, 7200);
  g_assert_cmpfloat(o->w[1].duration_s, ==, 0.001);
  g_autofree char *text = es_outages_to_string(o);
  g_assert_cmpstr(text, ==, "60s+30s,7200s+0.001s");
  g_free(o);
  g_assert_true(es_parse_outages("", &o, NULL));
  g_assert_null(o);
  g_autofree char *none = es_outages_to_string(NULL);
  g_assert_cmpstr(none, ==, "");
  g_assert_false(es_parse_outages("5s", &o, &why));
  g_assert_null(o);
  g_assert_nonnull(strstr(why, "START+DURATION"));
  g_free(why);
  GString *many = g_string_new(NULL);
  for (int i = 0; i <= ES_OUTAGES_MAX; i++)
    g_string_append_printf(many, "%s%ds+1s", i ? "," : "", i * 10);
  g_assert_false(es_parse_outages(many->str, &o, &why));
  g_assert_nonnull(strstr(why, "at most"));
  g_free(why);
  g_string_free(many, TRUE);

}

/* The one check of a link, whatever its source. */
static void test_link_check(void) {
  EsLinkParams l = {.rate_bps = 1e6, .delay_s = 0.001, .burst_loss = 1};
  GError *error = NULL;
  g_assert_true(es_link_check(&l, "x.", TRUE, &error));
  g_assert_no_error(error);
  l.burst_enter = 0.1;
  g_assert_false(es_link_check(&l, "x.", TRUE, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, "x.burst_exit must be greater than 0"));
  g_clear_error(&error);
  l.burst_exit = 0.5;
  g_assert_true(es_link_check(&l, "x.", TRUE, NULL));
  l.loss = 1.5;
  g_assert_false(es_link_check(&l, "x.", TRUE, &error));
  g_assert_nonnull(strstr(error->message, "x.loss"));
  g_clear_error(&error);
  l.loss = 0;
  l.rate_bps = 0;
  g_assert_false(es_link_check(&l, "x.", TRUE, NULL));
  g_assert_true(es_link_check(&l, "x.", FALSE, NULL));
}

/* A table on a struct of its own: what every layer's section relies on. */
typedef enum { COLOUR_RED, COLOUR_GREEN } Colour;
typedef struct {
  guint count;
  double wait_s;
  Colour colour;
  char *label;
  EsOutages *outages;
} Thing;
static const char *const colour_words[] = {"red", "green", NULL};
static const EsConfigKey thing_keys[] = {
    ES_CONFIG_KEY(Thing, "thing", "count", ES_CONFIG_UINT, count, "3", ES_RANGE(1, 10)),
    ES_CONFIG_KEY(Thing, "thing", "wait", ES_CONFIG_DURATION, wait_s, "1.5s", ES_POSITIVE),
    ES_CONFIG_CHOICE_KEY(Thing, "thing", "colour", colour, "green", colour_words),
    ES_CONFIG_KEY(Thing, "thing", "label", ES_CONFIG_STRING, label, "x", ES_ANY),
    ES_CONFIG_KEY(Thing, "other", "outages", ES_CONFIG_OUTAGES, outages, "", ES_ANY),
};
static const EsConfigPart thing_part = ES_CONFIG_PART(thing_keys, 0);
static const EsConfigSchema thing_schema = {&thing_part, 1, sizeof(Thing)};

static void test_table(void) {
  Thing t = {0};
  es_config_init(&thing_schema, &t);
  g_assert_cmpuint(t.count, ==, 3);
  g_assert_cmpfloat(t.wait_s, ==, 1.5);
  g_assert_cmpint(t.colour, ==, COLOUR_GREEN);
  g_assert_cmpstr(t.label, ==, "x");
  g_assert_null(t.outages);
  GError *error = NULL;
  g_assert_true(es_config_set(&thing_schema, &t, "thing.wait=20ms", NULL, &error));
  g_assert_true(es_config_set(&thing_schema, &t, "thing.colour", "red", &error));
  g_assert_true(es_config_set(&thing_schema, &t, "other.outages=1s+2s", NULL, &error));
  g_assert_no_error(error);
  g_assert_cmpfloat(t.wait_s, ==, 0.02);
  g_assert_cmpint(t.colour, ==, COLOUR_RED);
  g_assert_cmpuint(t.outages->n, ==, 1);
  /* Bounds, words and names: each refusal names the key and changes nothing. */
  static const char *const bad[] = {"thing.count=11", "thing.count=0", "thing.wait=0s",
                                    "thing.wait=5", "thing.colour=blue", "thing.nope=1",
                                    "nope.count=1", "thing.count"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_false(es_config_set(&thing_schema, &t, bad[i], NULL, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
  }
  g_assert_cmpuint(t.count, ==, 3);
  t.count = 99; /* written directly: the check catches it */
  g_assert_false(es_config_check(&thing_schema, &t, &error));
  g_assert_nonnull(strstr(error->message, "thing.count"));
  g_clear_error(&error);
  t.count = 4;
  g_autofree char *text = es_config_to_keyfile(&thing_schema, &t);
  g_assert_cmpstr(text, ==,
                  "[thing]\ncount=4\nwait=0.02s\ncolour=red\nlabel=x\n\n[other]\noutages=1s+2s\n");
  /* The dump loads back to the same values; a copy owns its own values. */
  g_autofree char *dir = g_dir_make_tmp("es-config-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "thing.ini", NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  Thing u = {0};
  es_config_init(&thing_schema, &u);
  g_assert_true(es_config_load(&thing_schema, &u, path, &error));
  g_assert_no_error(error);
  g_autofree char *again = es_config_to_keyfile(&thing_schema, &u);
  g_assert_cmpstr(again, ==, text);
  Thing c;
  es_config_copy(&thing_schema, &c, &u);
  g_assert_true(c.label != u.label && c.outages != u.outages);
  /* A file with one bad key changes nothing. */
  g_assert_true(g_file_set_contents(path, "[thing]\ncount=5\nwait=oops\n", -1, NULL));
  g_assert_false(es_config_load(&thing_schema, &u, path, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, "[thing] wait"));
  g_clear_error(&error);
  g_assert_cmpuint(u.count, ==, 4);
  g_remove(path);
  g_rmdir(dir);
  es_config_clear(&thing_schema, &t);
  es_config_clear(&thing_schema, &u);
  es_config_clear(&thing_schema, &c);
  g_assert_null(t.label);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/config/parse-units", test_parse_units);
  g_test_add_func("/config/outages", test_outages);
  g_test_add_func("/config/link-check", test_link_check);
  g_test_add_func("/config/table", test_table);
  return g_test_run();
}
