/* A simulated run: every source of randomness is a stream of the run's seed, every delay an
 * engine timer, so the same scenario and seed give the same files. */
#include "es_run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/x509.h>

#include "es_ca.h"
#include "es_clock.h"
#include "es_enb.h"
#include "es_pki.h"
#include "es_raca.h"
#include "es_rand.h"
#include "es_sim.h"
#include "es_topology.h"

G_DEFINE_QUARK(es-run-error-quark, es_run_error)

/* Randomness streams of a run, besides one per eNB (stream = eNB number). */
#define STREAM_PKI G_GUINT64_CONSTANT(0x9e1a000000000001)
#define STREAM_SCHEDULE G_GUINT64_CONSTANT(0x9e1a000000000002)
#define STREAM_KEY_POOL G_GUINT64_CONSTANT(0x9e1a000000000003)

#define RSA_POOL_SIZE 32

typedef struct {
  const EsScenario *sc;
  const EsRunOptions *options;
  EsPki *pki;
  EsKeyPool *new_pool, *device_pool;
  EsTopology *topo;
  EsSim *sim;
  EsEngine *engine;
  EsRaca *raca;
  EsRecorder *recorder;
  EsEnb **enbs;                /* 1..N */
  GHashTable *serial_to_enb;   /* issued serial (hex) -> eNB number */
  char *certs_dir;
  guint finished;
  double last_activity_s;
  GError *write_error;         /* first failure writing a certificate file */
} Run;

static guint enb_of_cert(X509 *cert)
{
  char cn[64] = "";
  guint n = 0;
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return sscanf(cn, "enb-%u", &n) == 1 ? n : 0;
}

static void on_issued(void *arg, X509 *cert, double t)
{
  Run *run = arg;
  guint n = enb_of_cert(cert);
  (void)t;
  if (n < 1 || n > run->sc->enbs)
    return;
  char *serial = es_serial_hex(X509_get0_serialNumber(cert));
  es_recorder_set_serial(run->recorder, n, serial);
  es_recorder_set_revoked(run->recorder, n, FALSE);
  g_hash_table_insert(run->serial_to_enb, serial, GUINT_TO_POINTER(n));
}

static void on_revoked(void *arg, X509 *cert, EsRacaRevokeCause cause, double t)
{
  Run *run = arg;
  char *serial = es_serial_hex(X509_get0_serialNumber(cert));
  guint n = GPOINTER_TO_UINT(g_hash_table_lookup(run->serial_to_enb, serial));
  const char *latest = n != 0 ? es_recorder_get_serial(run->recorder, n) : NULL;
  (void)cause;
  if (latest != NULL && strcmp(latest, serial) == 0)
    es_recorder_set_revoked(run->recorder, n, TRUE);
  run->last_activity_s = MAX(run->last_activity_s, t);
  g_free(serial);
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
    es_pem_save_cert(path, cert, &run->write_error);
    g_free(path);
  }
  if (run->finished == run->sc->enbs) {
    /* A certificate whose certConf never came is revoked within confirm-wait: run on that
     * long only if some transaction is still open. */
    EsRacaStats st;
    es_raca_get_stats(run->raca, &st);
    if (st.open_transactions == 0)
      es_sim_stop(run->sim);
    else
      es_engine_timer_add(run->engine, run->sc->confirm_wait_s + 0.001, on_stop, run);
  }
}

/* OpenSSL's clock during a run: the scenario's epoch plus simulated time. */
static gint64 run_clock(void *arg)
{
  Run *run = arg;
  return run->sc->epoch + (run->engine != NULL ? (gint64)es_engine_now(run->engine) : 0);
}

static void on_power_on(void *arg)
{
  es_enb_start(arg);
}

static gboolean make_pki(Run *run, EsKeyType pki_key, EsKeyType enb_key, GError **error)
{
  const EsScenario *sc = run->sc;
  EsRand *rand = es_rand_new(sc->seed, STREAM_PKI);
  es_rand_set_current(rand);
  run->pki = es_pki_generate(pki_key, sc->epoch, error);
  es_rand_free(rand);
  if (run->pki == NULL)
    return FALSE;
  if (enb_key != ES_KEY_RSA2048 && pki_key != ES_KEY_RSA2048)
    return TRUE;
  guint size = MIN(sc->enbs, RSA_POOL_SIZE);
  if (!run->options->quiet)
    printf("RSA-2048 keygen costs ~140 ms: eNBs draw their RSA keys from a pool of %u made once "
           "for this run\n", size);
  rand = es_rand_new(sc->seed, STREAM_KEY_POOL);
  es_rand_set_current(rand);
  gboolean ok = TRUE;
  if (enb_key == ES_KEY_RSA2048)
    ok = (run->new_pool = es_key_pool_new(enb_key, size, error)) != NULL;
  if (ok && pki_key == ES_KEY_RSA2048)
    ok = (run->device_pool = es_key_pool_new(pki_key, size, error)) != NULL;
  es_rand_free(rand);
  return ok;
}

static gboolean write_results(Run *run, EsRunResult *result, GError **error)
{
  const char *dir = run->options->out_dir;
  EsRunInfo info = {
    .scenario = run->sc->name,
    .seed = run->sc->seed,
    .sim_time_s = result->sim_time_s,
    .wall_time_s = result->wall_time_s,
    .events = result->events,
  };
  char *csv = g_build_filename(dir, "enrolments.csv", NULL);
  char *summary = g_build_filename(dir, "summary.json", NULL);
  char *crl_path = g_build_filename(dir, "crl.pem", NULL);
  X509_CRL *crl = NULL;
  gboolean ok = es_recorder_write_csv(run->recorder, csv, error)
                && es_recorder_write_summary(run->recorder, &info, summary, error)
                && (crl = es_raca_get1_crl(run->raca, (gint64)run->sc->crl_validity_s, error)) != NULL
                && es_pem_save_crl(crl_path, crl, error);
  X509_CRL_free(crl);
  g_free(csv);
  g_free(summary);
  g_free(crl_path);
  if (ok && run->write_error != NULL) {
    g_propagate_error(error, g_steal_pointer(&run->write_error));
    ok = FALSE;
  }
  return ok;
}

static void run_clear(Run *run)
{
  if (run->enbs != NULL)
    for (guint i = 1; i <= run->sc->enbs; i++)
      es_enb_free(run->enbs[i]);
  g_free(run->enbs);
  es_raca_free(run->raca);
  es_sim_free(run->sim);
  es_topology_free(run->topo);
  es_recorder_free(run->recorder);
  if (run->serial_to_enb != NULL)
    g_hash_table_destroy(run->serial_to_enb);
  es_key_pool_free(run->new_pool);
  es_key_pool_free(run->device_pool);
  es_pki_free(run->pki);
  g_clear_error(&run->write_error);
  g_free(run->certs_dir);
}

gboolean es_run_scenario(const EsScenario *sc, const EsRunOptions *options, EsRunResult *result,
                         GError **error)
{
  Run run = {.sc = sc, .options = options};
  EsKeyType pki_key, enb_key;
  gboolean ok = FALSE;
  if (!es_key_type_parse(sc->pki_key, &pki_key, error) || !es_key_type_parse(sc->enb_key, &enb_key, error))
    return FALSE;

  char *effective = es_scenario_to_keyfile(sc);
  char *scenario_path = g_build_filename(options->out_dir, "scenario.ini", NULL);
  char *pki_dir = g_build_filename(options->out_dir, "pki", NULL);
  if (options->keep_certs)
    run.certs_dir = g_build_filename(options->out_dir, "certs", NULL);
  gint64 wall_start = g_get_monotonic_time();
  es_rand_install(sc->seed);
  es_clock_set(run_clock, &run);

  if (g_mkdir_with_parents(options->out_dir, 0755) != 0
      || (run.certs_dir != NULL && g_mkdir_with_parents(run.certs_dir, 0755) != 0)) {
    g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_IO, "cannot create %s: %s",
                run.certs_dir != NULL ? run.certs_dir : options->out_dir, g_strerror(errno));
    goto out;
  }
  if (!g_file_set_contents(scenario_path, effective, -1, error)
      || !make_pki(&run, pki_key, enb_key, error) || !es_pki_save(run.pki, pki_dir, error))
    goto out;

  run.topo = es_topology_new_tree(sc);
  if ((run.sim = es_sim_new(run.topo, sc->seed, error)) == NULL)
    goto out;
  run.engine = es_sim_get0_engine(run.sim);
  run.recorder = es_recorder_new(sc->enbs);
  run.serial_to_enb = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

  EsRacaConfig rc = {
    .grant_implicit = sc->confirm == ES_CONFIRM_IMPLICIT,
    .confirm_wait_s = sc->confirm_wait_s,
    .workers = sc->workers,
    .ir_service_s = sc->ir_service_s,
    .certconf_service_s = sc->certconf_service_s,
    .epoch = sc->epoch,
    .cert_validity_s = (gint64)sc->cert_validity_s,
    .seed = sc->seed,
  };
  if ((run.raca = es_raca_new(&rc, run.pki, run.engine, error)) == NULL)
    goto out;
  EsRacaObserver observer = {on_issued, on_revoked};
  es_raca_set_observer(run.raca, &observer, &run);
  es_raca_attach(run.raca, 0);

  EsEnbConfig ec = {
    .new_key = enb_key,
    .ask_implicit = sc->confirm == ES_CONFIRM_IMPLICIT,
    .keygen_s = sc->enb_keygen_s,
    .sign_s = sc->enb_sign_s,
    .msg_timeout_s = sc->msg_timeout_s,
    .epoch = sc->epoch,
    .seed = sc->seed,
    .deterministic = TRUE,
    .new_key_pool = run.new_pool,
    .device_key_pool = run.device_pool,
  };
  run.enbs = g_new0(EsEnb *, sc->enbs + 1);
  EsRand *schedule = es_rand_new(sc->seed, STREAM_SCHEDULE);
  for (guint i = 1; i <= sc->enbs; i++) {
    run.enbs[i] = es_enb_new(i, &ec, run.pki, run.engine, run.recorder);
    es_enb_set_done_cb(run.enbs[i], on_enb_done, &run);
    es_engine_timer_add(run.engine, sc->start_window_s * es_rand_double(schedule), on_power_on,
                        run.enbs[i]);
  }
  es_rand_free(schedule);

  es_sim_run(run.sim, sc->stop_time_s);

  /* eNBs still enrolling at the stop time are recorded as unfinished (freeing them unwinds
   * their sessions); certificates still awaiting certConf would be revoked at confirm-wait
   * expiry: revoke them now, so every issued certificate ends held or revoked. */
  for (guint i = 1; i <= sc->enbs; i++)
    g_clear_pointer(&run.enbs[i], es_enb_free);
  es_raca_expire_all(run.raca);

  memset(result, 0, sizeof *result);
  es_recorder_stats(run.recorder, &result->stats);
  result->sim_time_s = run.last_activity_s;
  result->wall_time_s = (g_get_monotonic_time() - wall_start) / 1e6;
  result->events = es_sim_get_events(run.sim);
  ok = write_results(&run, result, error);

out:
  run_clear(&run);
  es_clock_set(NULL, NULL);
  es_rand_uninstall();
  g_free(effective);
  g_free(scenario_path);
  g_free(pki_dir);
  return ok;
}
