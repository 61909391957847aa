/* revocations.csv: one row per revocation with its times, the CRL that first listed it, and
 * the delays the summary reports. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "results/es_revocation_log.h"

static void test_rows_and_crls(void)
{
  g_autoptr(EsRevocationLog) log = es_revocation_log_new();
  EsRevocationStats st;
  es_revocation_log_stats(log, &st);
  g_assert_cmpuint(st.rows, ==, 0);
  g_assert_cmpuint(st.crls, ==, 0);
  g_assert_true(isnan(st.to_revocation_mean) && isnan(st.to_crl_max) && isnan(st.last_crl_s));
  g_assert_true(isnan(st.revocation_to_crl_p50));

  es_revocation_log_issued(log, "0100", 1, 1.0);
  es_revocation_log_issued(log, "0101", 2, 2.0);
  es_revocation_log_issued(log, "0102", 3, 3.0);
  es_revocation_log_revoked(log, "0100", 0, "confirm_timeout", "unspecified", 31.0);
  g_assert_cmpuint(es_revocation_log_published(log, 40.0), ==, 1);
  es_revocation_log_revoked(log, "0102", 0, "superseded", "superseded", 5.0);
  /* Not issued in this run: no issue time. */
  es_revocation_log_revoked(log, "0FFF", 9, "requested", "keyCompromise", 6.0);
  g_assert_cmpuint(es_revocation_log_published(log, 50.0), ==, 2);
  g_assert_cmpuint(es_revocation_log_published(log, 60.0), ==, 0);

  es_revocation_log_stats(log, &st);
  g_assert_cmpuint(st.rows, ==, 3);
  g_assert_cmpuint(st.crls, ==, 3);
  g_assert_cmpfloat(st.last_crl_s, ==, 60.0);
  /* Lived 30 s and 2 s (the unknown serial has no issue time). */
  g_assert_cmpfloat(st.to_revocation_mean, ==, 16.0);
  g_assert_cmpfloat(st.to_revocation_p50, ==, 2.0);
  g_assert_cmpfloat(st.to_revocation_max, ==, 30.0);
  /* On a CRL 39 and 47 s after issue... */
  g_assert_cmpfloat(st.to_crl_mean, ==, 43.0);
  g_assert_cmpfloat(st.to_crl_p50, ==, 39.0);
  g_assert_cmpfloat(st.to_crl_max, ==, 47.0);
  /* ...and 9, 45 and 44 s after revocation. */
  g_assert_cmpfloat(st.revocation_to_crl_p50, ==, 44.0);
  g_assert_cmpfloat(st.revocation_to_crl_max, ==, 45.0);
  g_assert_cmpfloat(fabs(st.revocation_to_crl_mean - 98.0 / 3), <, 1e-9);

  g_autofree char *dir = g_dir_make_tmp("es-revlog-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "revocations.csv", NULL);
  GError *error = NULL;
  g_assert_true(es_revocation_log_write_csv(log, path, &error));
  g_assert_no_error(error);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_assert_cmpstr(text, ==,
                  "serial,enb,reason,crl_reason,issued_s,revoked_s,crl_published_s\n"
                  "0100,1,confirm_timeout,unspecified,1.000000,31.000000,40.000000\n"
                  "0102,3,superseded,superseded,3.000000,5.000000,50.000000\n"
                  "0FFF,9,requested,keyCompromise,,6.000000,50.000000\n");
  g_unlink(path);
  g_rmdir(dir);

  /* An unwritable path is an error that names it. */
  g_assert_false(es_revocation_log_write_csv(log, "/nonexistent/dir/revocations.csv", &error));
  g_assert_nonnull(error);
  g_assert_nonnull(strstr(error->message, "/nonexistent/dir"));
  g_clear_error(&error);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/revocation-log/rows-and-crls", test_rows_and_crls);
  return g_test_run();
}
