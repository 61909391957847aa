/* enrolsim: the command line. `run` simulates a scenario end to end over ns-3; `pki init`
 * writes a late-binding hierarchy and vendor device credentials for live use. */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "es_ca.h"
#include "es_enb.h"
#include "es_pki.h"
#include "es_raca.h"
#include "es_rand.h"
#include "es_recorder.h"
#include "es_scenario.h"
#include "es_sim.h"
#include "es_topology.h"

/* Randomness streams of a run, besides one per eNB (stream = eNB number). */
#define STREAM_PKI G_GUINT64_CONSTANT(0x9e1a000000000001)
#define STREAM_SCHEDULE G_GUINT64_CONSTANT(0x9e1a000000000002)
#define STREAM_KEY_POOL G_GUINT64_CONSTANT(0x9e1a000000000003)

#define RSA_POOL_SIZE 32

typedef struct {
  EsScenario *sc;
  EsPki *pki;
  EsSim *sim;
  EsEngine *engine;
  EsRaca *raca;
  EsRecorder *recorder;
  EsEnb **enbs;
  GHashTable *serial_to_enb;   /* issued serial (hex) -> eNB number */
  char *certs_dir;             /* --keep-certs */
  guint finished;
  double last_activity_s;
  gboolean quiet;
  GError *write_error;         /* first failure writing a certificate file */
} Run;

static guint enb_of_cert(X509 *cert)
{
  char cn[64] = "";
  guint n = 0;
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  if (sscanf(cn, "enb-%u", &n) != 1)
    return 0;
  return n;
}

static void on_issued(void *arg, X509 *cert, double t)
{
  Run *run = arg;
  guint n = enb_of_cert(cert);
  char *serial = es_serial_hex(X509_get0_serialNumber(cert));
  (void)t;
  if (n >= 1 && n <= run->sc->enbs) {
    es_recorder_set_serial(run->recorder, n, serial);
    es_recorder_set_revoked(run->recorder, n, FALSE);
    g_hash_table_insert(run->serial_to_enb, g_strdup(serial), GUINT_TO_POINTER(n));
  }
  g_free(serial);
}

static void on_revoked(void *arg, X509 *cert, EsRacaRevokeCause cause, double t)
{
  Run *run = arg;
  char *serial = es_serial_hex(X509_get0_serialNumber(cert));
  guint n = GPOINTER_TO_UINT(g_hash_table_lookup(run->serial_to_enb, serial));
  const char *held = n != 0 ? es_recorder_get_serial(run->recorder, n) : NULL;
  (void)cause;
  if (held != NULL && strcmp(held, serial) == 0)
    es_recorder_set_revoked(run->recorder, n, TRUE);
  run->last_activity_s = MAX(run->last_activity_s, t);
  g_free(serial);
}

static gboolean write_cert(const char *path, X509 *cert, GError **error)
{
  BIO *bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char *data;
  long len = BIO_get_mem_data(bio, &data);
  gboolean ok = g_file_set_contents(path, data, len, error);
  BIO_free(bio);
  return ok;
}

static void on_stop(void *arg)
{
  es_sim_stop(((Run *)arg)->sim);
}

static void on_enb_done(void *arg, EsEnb *enb, const char *outcome, X509 *cert)
{
  Run *run = arg;
  (void)outcome;
  run->finished++;
  run->last_activity_s = MAX(run->last_activity_s, es_engine_now(run->engine));
  if (cert != NULL && run->certs_dir != NULL && run->write_error == NULL) {
    char name[32];
    g_snprintf(name, sizeof name, "enb-%u.pem", es_enb_get_number(enb));
    char *path = g_build_filename(run->certs_dir, name, NULL);
    write_cert(path, cert, &run->write_error);
    g_free(path);
  }
  if (run->finished == run->sc->enbs) {
    /* Certificates whose certConf never came are revoked within confirm-wait: run that long
     * only if some transaction is still open. */
    EsRacaStats st;
    es_raca_get_stats(run->raca, &st);
    if (st.open_transactions == 0)
      es_sim_stop(run->sim);
    else
      es_engine_timer_add(run->engine, run->sc->confirm_wait_s + 0.001, on_stop, run);
  }
}

static void on_power_on(void *arg)
{
  EsEnb *enb = arg;
  es_enb_start(enb);
}

static int fail(const char *what, GError *error, int status)
{
  fprintf(stderr, "enrolsim: %s%s%s\n", what, what[0] ? ": " : "", error->message);
  g_error_free(error);
  return status;
}

static gboolean save_crl(EsRaca *raca, const char *path, gint64 validity, GError **error)
{
  X509_CRL *crl = es_raca_get1_crl(raca, validity, error);
  if (crl == NULL)
    return FALSE;
  BIO *bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_CRL(bio, crl);
  char *data;
  long len = BIO_get_mem_data(bio, &data);
  gboolean ok = g_file_set_contents(path, data, len, error);
  BIO_free(bio);
  X509_CRL_free(crl);
  return ok;
}

static int cmd_run(int argc, char **argv)
{
  char *scenario_file = NULL, *out = NULL, **sets = NULL;
  gint64 seed = -1;
  gboolean keep_certs = FALSE, quiet = FALSE, print_scenario = FALSE;
  GOptionEntry entries[] = {
    {"scenario", 's', 0, G_OPTION_ARG_FILENAME, &scenario_file, "Scenario key file (default: the built-in scenario)", "FILE"},
    {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a scenario key, e.g. --set backhaul.loss=0.01 (repeatable)", "SECTION.KEY=VALUE"},
    {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of all randomness (overrides scenario.seed)", "N"},
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Result folder (default: out/<scenario>-seed<N>)", "DIR"},
    {"keep-certs", 0, 0, G_OPTION_ARG_NONE, &keep_certs, "Write each enrolled eNB's certificate to DIR/certs/enb-<i>.pem", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing but errors", NULL},
    {"print-scenario", 0, 0, G_OPTION_ARG_NONE, &print_scenario, "Print the effective scenario (every key) and exit", NULL},
    {NULL}};
  GOptionContext *opts = g_option_context_new("- simulate eNBs enrolling with an RA/CA over an ns-3 backhaul");
  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_set_summary(opts,
    "Runs a scenario: eNBs behind a two-level backhaul tree enrol operator certificates with\n"
    "real CMPv2 (OpenSSL) over ns-3 TCP, and writes enrolments.csv, summary.json, crl.pem\n"
    "and pki/ to the result folder.");
  GError *error = NULL;
  int status = 0;
  Run run = {0};
  EsTopology *topo = NULL;
  if (!g_option_context_parse(opts, &argc, &argv, &error)) {
    g_option_context_free(opts);
    return fail("run", error, 2);
  }
  g_option_context_free(opts);
  if (argc > 1) {
    fprintf(stderr, "enrolsim: run: unexpected argument '%s'\n", argv[1]);
    return 2;
  }

  run.sc = es_scenario_new();
  run.quiet = quiet;
  if (scenario_file != NULL && !es_scenario_load(run.sc, scenario_file, &error)) {
    status = fail("", error, 2);
    goto out;
  }
  for (char **s = sets; s != NULL && *s != NULL; s++)
    if (!es_scenario_set(run.sc, *s, NULL, &error)) {
      status = fail("--set", error, 2);
      goto out;
    }
  if (seed >= 0)
    run.sc->seed = (guint64)seed;
  if (!es_scenario_validate(run.sc, &error)) {
    status = fail(scenario_file != NULL ? scenario_file : "scenario", error, 2);
    goto out;
  }
  char *effective = es_scenario_to_keyfile(run.sc);
  if (print_scenario) {
    fputs(effective, stdout);
    g_free(effective);
    goto out;
  }
  EsKeyType pki_key, enb_key;
  if (!es_key_type_parse(run.sc->pki_key, &pki_key, &error)
      || !es_key_type_parse(run.sc->enb_key, &enb_key, &error)) {
    g_free(effective);
    status = fail("scenario", error, 2);
    goto out;
  }

  if (out == NULL)
    out = g_strdup_printf("out/%s-seed%" G_GUINT64_FORMAT, run.sc->name, run.sc->seed);
  char *pki_dir = g_build_filename(out, "pki", NULL);
  char *scenario_path = g_build_filename(out, "scenario.ini", NULL);
  if (g_mkdir_with_parents(out, 0755) != 0
      || !g_file_set_contents(scenario_path, effective, -1, &error)) {
    fprintf(stderr, "enrolsim: cannot write to result folder %s: %s\n", out,
            error != NULL ? error->message : g_strerror(errno));
    g_clear_error(&error);
    g_free(scenario_path);
    g_free(effective);
    g_free(pki_dir);
    status = 1;
    goto out;
  }
  g_free(scenario_path);
  g_free(effective);
  if (keep_certs) {
    run.certs_dir = g_build_filename(out, "certs", NULL);
    g_mkdir_with_parents(run.certs_dir, 0755);
  }

  gint64 wall_start = g_get_monotonic_time();
  es_rand_install(run.sc->seed);
  EsRand *pki_rand = es_rand_new(run.sc->seed, STREAM_PKI);
  es_rand_set_current(pki_rand);
  run.pki = es_pki_generate(pki_key, run.sc->epoch, &error);
  EsKeyPool *new_pool = NULL, *device_pool = NULL;
  if (run.pki != NULL && enb_key == ES_KEY_RSA2048) {
    EsRand *pool_rand = es_rand_new(run.sc->seed, STREAM_KEY_POOL);
    es_rand_set_current(pool_rand);
    guint size = MIN(run.sc->enbs, RSA_POOL_SIZE);
    if (!quiet)
      printf("RSA-2048 keygen costs ~140 ms: eNBs draw new keys from a pool of %u made once for this run\n", size);
    new_pool = es_key_pool_new(enb_key, size, &error);
    if (new_pool != NULL && pki_key == ES_KEY_RSA2048)
      device_pool = es_key_pool_new(pki_key, size, &error);
    es_rand_set_current(NULL);
    es_rand_free(pool_rand);
  }
  es_rand_set_current(NULL);
  es_rand_free(pki_rand);
  if (error != NULL || !es_pki_save(run.pki, pki_dir, &error)) {
    g_free(pki_dir);
    status = fail("pki", error, 1);
    goto cleanup;
  }
  g_free(pki_dir);

  topo = es_topology_new_tree(run.sc);
  run.sim = es_sim_new(topo, run.sc->seed, &error);
  if (run.sim == NULL) {
    status = fail("simulator", error, 1);
    goto cleanup;
  }
  run.engine = es_sim_get0_engine(run.sim);
  run.recorder = es_recorder_new(run.sc->enbs);
  run.serial_to_enb = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

  EsRacaConfig rc = {
    .grant_implicit = run.sc->confirm == ES_CONFIRM_IMPLICIT,
    .confirm_wait_s = run.sc->confirm_wait_s,
    .workers = run.sc->workers,
    .ir_service_s = run.sc->ir_service_s,
    .certconf_service_s = run.sc->certconf_service_s,
    .epoch = run.sc->epoch,
    .cert_validity_s = (gint64)run.sc->cert_validity_s,
    .seed = run.sc->seed,
  };
  run.raca = es_raca_new(&rc, run.pki, run.engine, &error);
  if (run.raca == NULL) {
    status = fail("RA/CA", error, 1);
    goto cleanup;
  }
  EsRacaObserver obs = {on_issued, on_revoked};
  es_raca_set_observer(run.raca, &obs, &run);
  es_raca_attach(run.raca, 0);

  EsEnbConfig ec = {
    .new_key = enb_key,
    .ask_implicit = run.sc->confirm == ES_CONFIRM_IMPLICIT,
    .keygen_s = run.sc->enb_keygen_s,
    .sign_s = run.sc->enb_sign_s,
    .msg_timeout_s = run.sc->msg_timeout_s,
    .epoch = run.sc->epoch,
    .seed = run.sc->seed,
    .deterministic = TRUE,
    .new_key_pool = new_pool,
    .device_key_pool = device_pool,
  };
  run.enbs = g_new0(EsEnb *, run.sc->enbs + 1);
  EsRand *schedule = es_rand_new(run.sc->seed, STREAM_SCHEDULE);
  for (guint i = 1; i <= run.sc->enbs; i++) {
    run.enbs[i] = es_enb_new(i, &ec, run.pki, run.engine, run.recorder);
    es_enb_set_done_cb(run.enbs[i], on_enb_done, &run);
    double t = run.sc->start_window_s * es_rand_double(schedule);
    es_engine_timer_add(run.engine, t, on_power_on, run.enbs[i]);
  }
  es_rand_free(schedule);

  es_sim_run(run.sim, run.sc->stop_time_s);

  /* eNBs still enrolling at the stop time are recorded as unfinished; certificates still
   * awaiting certConf would be revoked at their confirm-wait expiry: revoke them now. */
  for (guint i = 1; i <= run.sc->enbs; i++)
    es_enb_free(run.enbs[i]);
  g_clear_pointer(&run.enbs, g_free);
  es_raca_expire_all(run.raca);
  double wall_s = (g_get_monotonic_time() - wall_start) / 1e6;

  EsRecorderStats st;
  es_recorder_stats(run.recorder, &st);
  EsRunInfo info = {
    .scenario = run.sc->name,
    .seed = run.sc->seed,
    .sim_time_s = run.last_activity_s,
    .wall_time_s = wall_s,
    .events = es_sim_get_events(run.sim),
  };
  char *csv = g_build_filename(out, "enrolments.csv", NULL);
  char *summary = g_build_filename(out, "summary.json", NULL);
  char *crl = g_build_filename(out, "crl.pem", NULL);
  gboolean ok = es_recorder_write_csv(run.recorder, csv, &error)
                && es_recorder_write_summary(run.recorder, &info, summary, &error)
                && save_crl(run.raca, crl, (gint64)run.sc->crl_validity_s, &error);
  g_free(csv);
  g_free(summary);
  g_free(crl);
  if (!ok) {
    status = fail("results", error, 1);
    goto cleanup;
  }
  if (run.write_error != NULL) {
    status = fail("--keep-certs", g_steal_pointer(&run.write_error), 1);
    goto cleanup;
  }
  if (!quiet) {
    printf("results: %s\n", out);
    printf("%u eNBs: %u enrolled, %u failed, %u revoked\n", st.enbs, st.enrolled, st.failed, st.revoked);
    printf("enrolment latency: p50 %.3f s, p90 %.3f s, p99 %.3f s, max %.3f s\n", st.p50, st.p90, st.p99, st.max);
    printf("simulated %.3f s in %.2f s wall: %.0f enrolments per wall-second, %" G_GUINT64_FORMAT " events\n",
           info.sim_time_s, wall_s, wall_s > 0 ? st.enrolled / wall_s : 0.0, info.events);
  }

cleanup:
  if (run.enbs != NULL)
    for (guint i = 1; i <= run.sc->enbs; i++)
      es_enb_free(run.enbs[i]);
  g_free(run.enbs);
  es_raca_free(run.raca);
  es_sim_free(run.sim);
  es_topology_free(topo);
  es_recorder_free(run.recorder);
  if (run.serial_to_enb != NULL)
    g_hash_table_destroy(run.serial_to_enb);
  es_key_pool_free(new_pool);
  es_key_pool_free(device_pool);
  es_pki_free(run.pki);
  es_rand_uninstall();
  g_clear_error(&run.write_error);
  g_free(run.certs_dir);
out:
  es_scenario_free(run.sc);
  g_free(scenario_file);
  g_free(out);
  g_strfreev(sets);
  return status;
}

static int cmd_pki(int argc, char **argv)
{
  gint devices = 0;
  char *key = NULL;
  GOptionEntry entries[] = {
    {"devices", 'n', 0, G_OPTION_ARG_INT, &devices, "Vendor device credentials to write (DIR/devices/enb-<i>.pem/.key)", "N"},
    {"key", 'k', 0, G_OPTION_ARG_STRING, &key, "Key type: p256 (default), p384 or rsa2048", "TYPE"},
    {NULL}};
  GOptionContext *opts = g_option_context_new("init DIR - write a late-binding PKI hierarchy");
  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_set_summary(opts,
    "Writes the vendor root (VPKI), operator root (OPKI), the RA/CA certificate, its cross\n"
    "certificate issued by the vendor root, and vendor device credentials, all PEM.");
  GError *error = NULL;
  int status = 0;
  if (!g_option_context_parse(opts, &argc, &argv, &error)) {
    g_option_context_free(opts);
    g_free(key);
    return fail("pki", error, 2);
  }
  g_option_context_free(opts);
  EsKeyType type = ES_KEY_P256;
  if (argc != 3 || strcmp(argv[1], "init") != 0 || devices < 0
      || (key != NULL && !es_key_type_parse(key, &type, &error))) {
    if (error != NULL)
      status = fail("pki", error, 2);
    else
      fprintf(stderr, "enrolsim: usage: enrolsim pki init DIR [--devices N] [--key TYPE]\n"), status = 2;
    g_free(key);
    return status;
  }
  g_free(key);
  const char *dir = argv[2];
  /* Live credentials: OpenSSL's own DRBG, dated from now (a minute back for clock skew). */
  g_autoptr(EsPki) pki = es_pki_generate(type, (gint64)time(NULL) - 60, &error);
  if (pki == NULL || !es_pki_save(pki, dir, &error))
    return fail("pki init", error, 1);
  for (gint i = 1; i <= devices; i++) {
    EVP_PKEY *k = es_key_generate(type, &error);
    X509 *cert = k != NULL ? es_pki_issue_device(pki, (guint)i, k, &error) : NULL;
    gboolean ok = cert != NULL && es_pki_save_device(dir, (guint)i, cert, k, &error);
    X509_free(cert);
    EVP_PKEY_free(k);
    if (!ok)
      return fail("pki init", error, 1);
  }
  printf("wrote %s: vendor-root, operator-root, raca, raca-cross and %d device credential%s (%s)\n",
         dir, devices, devices == 1 ? "" : "s", es_key_type_name(type));
  return 0;
}

static void usage(FILE *f)
{
  fprintf(f,
    "Usage: enrolsim COMMAND [OPTIONS]\n\n"
    "Simulates LTE eNBs enrolling operator certificates from an RA/CA with CMPv2 (OpenSSL)\n"
    "over an ns-3 backhaul.\n\n"
    "Commands:\n"
    "  run        simulate a scenario (enrolsim run --help for its options)\n"
    "  pki init   write a late-binding PKI hierarchy (enrolsim pki --help)\n\n"
    "Options:\n"
    "  -h, --help     show this help\n"
    "  --version      print the version\n");
}

int main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("enrolsim " ES_VERSION "\n");
    return 0;
  }
  if (strcmp(argv[1], "run") == 0)
    return cmd_run(argc - 1, argv + 1);
  if (strcmp(argv[1], "pki") == 0)
    return cmd_pki(argc - 1, argv + 1);
  fprintf(stderr, "enrolsim: unknown command '%s' (try enrolsim --help)\n", argv[1]);
  return 2;
}
