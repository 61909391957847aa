/* Unit tests of the collector, the one owner of a run's results: eNB events become rows of
 * enrolments.csv in the files' words, each RA/CA revocation is counted once, and the summary
 * core is the same for simulated and live runs. */
#include <math.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/x509.h>

#include "pki/es_pki.h"
#include "pki/es_rand.h"
#include "sim/es_collector.h"

#define EPOCH 1793491200 /* 2026-11-01T00:00:00Z */

typedef struct {
  EsPki *pki;
  X509 *cert[3]; /* stand-ins for the operator certificates of eNBs 1 and 2 (CN=enb-<n>) */
  EsCollector *col;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  es_rand_install(7);
  f->pki = es_pki_generate(ES_KEY_P256, EPOCH, &error);
  g_assert_no_error(error);
  for (guint n = 1; n <= 2; n++) {
    EVP_PKEY *key = es_key_generate(ES_KEY_P256, &error);
    f->cert[n] = es_pki_issue_device(f->pki, n, key, &error);
    g_assert_no_error(error);
    EVP_PKEY_free(key);
  }
  f->col = es_collector_new(2);
}

static void teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  es_collector_free(f->col);
  for (guint n = 1; n <= 2; n++)
    X509_free(f->cert[n]);
  es_pki_free(f->pki);
  es_rand_uninstall();
}

static void enb(Fixture *f, guint n, EsEnbEventKind kind, EsEnbOperation op, int what,
                EsEnbOutcome outcome, X509 *cert, double t)
{
  EsEnbEvent ev = {.kind = kind, .number = n, .operation = op, .t = t, .outcome = outcome,
                   .cert = cert, .attempts = 1};
  if (kind == ES_ENB_EVENT_STEP)
    ev.step = (EsEnbStep)what;
  else if (kind == ES_ENB_EVENT_RETRY)
    ev.retry = (EsEnbRetryKind)what;
  es_collector_enb_event(f->col, &ev);
}

static void raca(Fixture *f, EsRacaEventKind kind, X509 *cert, EsRacaRevokeCause cause,
                 double t)
{
  EsRacaEvent ev = {.kind = kind, .cert = cert, .cause = cause, .reason = 4, .t = t};
  es_collector_raca_observer()->event(f->col, &ev);
}

static void test_rows(Fixture *f, gconstpointer data)
{
  (void)data;
  const EsRecorder *rec = es_collector_get0_recorder(f->col);
  /* eNB 1 enrols after one resend, then its renewal times out. */
  enb(f, 1, ES_ENB_EVENT_STEP, ES_ENB_ENROL, ES_ENB_STEP_START, 0, NULL, 1.0);
  enb(f, 1, ES_ENB_EVENT_STEP, ES_ENB_ENROL, ES_ENB_STEP_IR_SENT, 0, NULL, 1.5);
  enb(f, 1, ES_ENB_EVENT_RETRY, ES_ENB_ENROL, ES_ENB_RETRY_RESEND, 0, NULL, 2.0);
  enb(f, 1, ES_ENB_EVENT_STEP, ES_ENB_ENROL, ES_ENB_STEP_IR_SENT, 0, NULL, 2.0);
  raca(f, ES_RACA_EVENT_ISSUED, f->cert[1], 0, 2.1);
  enb(f, 1, ES_ENB_EVENT_STEP, ES_ENB_ENROL, ES_ENB_STEP_RESPONSE_RECEIVED, 0, NULL, 2.2);
  enb(f, 1, ES_ENB_EVENT_STEP, ES_ENB_ENROL, ES_ENB_STEP_CERTCONF_SENT, 0, NULL, 2.3);
  enb(f, 1, ES_ENB_EVENT_STEP, ES_ENB_ENROL, ES_ENB_STEP_PKICONF_RECEIVED, 0, NULL, 2.4);
  enb(f, 1, ES_ENB_EVENT_DONE, ES_ENB_ENROL, 0, ES_ENB_OUTCOME_OK, f->cert[1], 2.4);
  g_assert_cmpstr(es_recorder_get_outcome(rec, 1), ==, "enrolled");
  g_assert_cmpfloat(es_recorder_get_mark(rec, 1, ES_MARK_IR_SENT), ==, 1.5); /* the first */
  g_assert_cmpfloat(es_recorder_get_mark(rec, 1, ES_MARK_DONE), ==, 2.4);
  g_assert_cmpuint(es_recorder_get_count(rec, 1, ES_COUNT_CMP_RETRANSMISSIONS), ==, 1);
  enb(f, 1, ES_ENB_EVENT_DONE, ES_ENB_RENEW, 0, ES_ENB_OUTCOME_TIMEOUT, NULL, 9.0);
  g_assert_cmpstr(es_recorder_get_outcome(rec, 1), ==, "renew_timeout");
  /* eNB 2's certConf failed: revoked once, whatever else is told. */
  raca(f, ES_RACA_EVENT_ISSUED, f->cert[2], 0, 3.0);
  raca(f, ES_RACA_EVENT_REVOKED, f->cert[2], ES_RACA_REVOKED_CERTCONF_FAILED, 3.5);
  enb(f, 2, ES_ENB_EVENT_DONE, ES_ENB_ENROL, 0, ES_ENB_OUTCOME_RESPONSE_UNVERIFIED, NULL, 3.4);
  g_assert_cmpstr(es_recorder_get_outcome(rec, 2), ==, "response_unverified");
  char *serial = es_serial_hex(X509_get0_serialNumber(f->cert[2]));
  g_assert_cmpstr(es_recorder_get_serial(rec, 2), ==, serial);
  g_free(serial);
  EsRevocationStats rv;
  es_collector_revocation_stats(f->col, &rv);
  g_assert_cmpuint(rv.rows, ==, 1);
  g_assert_cmpfloat(es_collector_get_last_activity(f->col), ==, 3.5);
  /* A freed eNB's session: outcome recorded, no end time. */
  es_collector_free(f->col);
  f->col = es_collector_new(2);
  rec = es_collector_get0_recorder(f->col);
  EsEnbEvent ev = {.kind = ES_ENB_EVENT_DONE, .number = 1, .operation = ES_ENB_ENROL,
                   .t = 5, .outcome = ES_ENB_OUTCOME_UNFINISHED, .aborted = TRUE};
  es_collector_enb_event(f->col, &ev);
  g_assert_cmpstr(es_recorder_get_outcome(rec, 1), ==, "unfinished");
  g_assert_true(isnan(es_recorder_get_mark(rec, 1, ES_MARK_DONE)));
}

/* One summary core for both kinds of run; the revocation figures only where the RA/CAs ran
 * in this process, every cause listed (zeros too) so files line up. */
static void test_summary(Fixture *f, gconstpointer data)
{
  (void)data;
  raca(f, ES_RACA_EVENT_ISSUED, f->cert[1], 0, 1.0);
  raca(f, ES_RACA_EVENT_REVOKED, f->cert[1], ES_RACA_REVOKED_SUPERSEDED, 2.0);
  EsCollectorRun live = {.scenario = "live", .sim_time_s = 61.5, .wall_time_s = 0.25};
  g_autoptr(EsSummary) a = es_collector_summary_new(f->col, &live);
  g_autofree char *ja = es_summary_to_json(a);
  g_assert_true(g_str_has_prefix(ja, "{\n  \"format\": 3,\n  \"scenario\": \"live\",\n"
                                     "  \"seed\": 0,\n  \"enbs\": {\n    \"total\": 2,\n"));
  g_assert_null(strstr(ja, "revocations"));
  g_assert_null(strstr(ja, "certificates"));
  g_assert_true(g_str_has_suffix(ja, "  \"sim_time_s\": 61.500000,\n  \"events\": 0,\n"
                                     "  \"wall_clock\": {\n    \"wall_time_s\": 0.250000\n"
                                     "  }\n}\n"));
  EsCollectorRun sim = {.scenario = "s", .seed = 3, .has_racas = TRUE, .sim_time_s = 2};
  g_autoptr(EsSummary) b = es_collector_summary_new(f->col, &sim);
  g_autofree char *jb = es_summary_to_json(b);
  /* Certificates, not eNBs: one issued, one revoked. */
  g_assert_nonnull(strstr(jb, "  \"certificates\": {\n    \"issued\": 1,\n    \"revoked\": 1,\n"
                              "    \"revoked_by_reason\": {\n"));
  g_assert_cmpuint(es_collector_get_issued(f->col), ==, 1);
  g_assert_cmpuint(es_collector_get_revoked(f->col, ES_RACA_REVOKED_SUPERSEDED), ==, 1);
  g_assert_nonnull(strstr(jb, "\"superseded\": 1,"));
  g_assert_nonnull(strstr(jb, "\"certconf_failed\": 0,"));
  g_assert_nonnull(strstr(jb, "\"issue_failed\": 0"));
  /* The files: enrolments.csv always, the RA/CA's only with RA/CAs. */
  g_autofree char *dir = g_dir_make_tmp("es-collector-XXXXXX", NULL);
  GError *error = NULL;
  g_assert_true(es_collector_write_files(f->col, dir, FALSE, &error));
  g_autofree char *csv = g_build_filename(dir, "enrolments.csv", NULL);
  g_autofree char *rev = g_build_filename(dir, "revocations.csv", NULL);
  g_autofree char *queue = g_build_filename(dir, "raca_queue.csv", NULL);
  g_assert_true(g_file_test(csv, G_FILE_TEST_EXISTS));
  g_assert_false(g_file_test(rev, G_FILE_TEST_EXISTS));
  g_assert_true(es_collector_write_files(f->col, dir, TRUE, &error));
  g_assert_no_error(error);
  g_autofree char *rows = NULL;
  g_assert_true(g_file_get_contents(rev, &rows, NULL, NULL));
  g_assert_nonnull(strstr(rows, ",1,superseded,"));
  g_remove(csv);
  g_remove(rev);
  g_remove(queue);
  g_rmdir(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/collector/rows", Fixture, NULL, setup, test_rows, teardown);
  g_test_add("/collector/summary", Fixture, NULL, setup, test_summary, teardown);
  return g_test_run();
}
