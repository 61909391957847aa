/* A simulated run: every source of randomness is a stream of the run's seed, every delay an
 * engine timer, so the same scenario and seed give the same files. */
#include "sim/es_run_priv.h"

#include "engines/es_plan.h"
#include "pki/es_provider.h"
#include "pki/es_sigcache.h"

/* Messages sent and not yet received that wait decoded: a few per enrolment in flight; more
 * are ones nobody received (lost, or their receiver gave up). */
#define PREDECODE_CAPACITY 4096

G_DEFINE_QUARK(es-run-error-quark, es_run_error)



static void on_stop(void *arg)
{
  es_sim_stop(((EsRun *)arg)->sim);
}

/* Transactions still waiting for a certConf, over every RA/CA. */
static guint open_transactions(EsRun *run)
{
  guint open = 0;
  for (guint r = 0; r < run->n_racas; r++) {
    EsRacaStats st;
    es_raca_get_stats(run->racas[r], &st);
    open += st.open_transactions;
  }
  return open;
}

static void on_renew_due(void *arg)
{
  es_enb_renew(arg);
}

static void on_enb_done(EsRun *run, EsEnb *enb, EsEnbOutcome outcome, X509 *cert)
{
  if (run->rollover != NULL && !es_rollover_enb_done(run->rollover, enb, outcome, cert))
    return;
  gboolean enrolled = outcome == ES_ENB_OUTCOME_OK && es_enb_get_operation(enb) == ES_ENB_ENROL;
  /* enb.renew_after: an enrolled eNB renews (kur) that much later and is finished then. */
  if (cert != NULL && run->sc->enb.renew_after_s > 0 && es_enb_get_operation(enb) == ES_ENB_ENROL) {
    run->enrolled++;
    es_engine_timer_add(run->engine, run->sc->enb.renew_after_s, on_renew_due, enb);
    return;
  }
  /* enb.renew_before: each certificate it comes to hold is renewed before it expires. */
  if (cert != NULL && es_run_schedule_renewal(run, enb, cert)) {
    run->enrolled += enrolled;
    return;
  }
  run->enrolled += enrolled;
  es_run_finish_enb(run, enb, cert);
}

void es_run_finish_enb(EsRun *run, EsEnb *enb, X509 *cert)
{
  run->finished++;
  run->last_activity_s = MAX(run->last_activity_s, es_engine_now(run->engine));
  if (cert != NULL && run->certs_dir != NULL && run->write_error == NULL) {
    char name[32];
    g_snprintf(name, sizeof name, "enb-%u.pem", es_enb_get_number(enb));
    char *path = g_build_filename(run->certs_dir, name, NULL);
    if (es_outdir_claimf(run->outdir, &run->write_error, "certs/%s", name))
      es_pem_save_cert(path, cert, &run->write_error);
    g_free(path);
  }
  /* A run that distributes CRLs goes on to scenario.stop_time: the eNBs keep fetching. */
  if (run->finished == run->sc->enbs && run->crl_dist == NULL) {
    /* A certificate whose certConf never came is revoked within confirm-wait: run on that
     * long only if some transaction is still open. */
    if (open_transactions(run) == 0)
      es_sim_stop(run->sim);
    else
      es_engine_timer_add(run->engine, run->sc->raca.confirm_wait_s + 0.001, on_stop, run);
  }
}

/* Every eNB event goes to the collector; the run itself acts on a session's end. */
static void on_enb_event(void *arg, const EsEnbEvent *ev)
{
  EsRun *run = arg;
  es_collector_enb_event(run->collector, ev);
  /* An rr is the mass revocation's (revocation.by = rr), not a session the eNB finishes. */
  if (ev->kind == ES_ENB_EVENT_DONE && ev->operation == ES_ENB_REVOKE) {
    es_crl_dist_rr_done(run->crl_dist, ev);
    return;
  }
  if (ev->kind == ES_ENB_EVENT_DONE && !ev->aborted)
    on_enb_done(run, ev->enb, ev->outcome, ev->cert);
}

/* OpenSSL's clock during a run: the scenario's epoch plus simulated time. */
static gint64 run_clock(void *arg)
{
  EsRun *run = arg;
  return run->sc->epoch + (run->engine != NULL ? (gint64)es_engine_now(run->engine) : 0);
}


/* Powers on the next eNB of the rollout and schedules the one after: one pending power-on
 * event at a time, however many eNBs wait (a scheduler holding 100k of them is slower for
 * every other event too). */
static void on_power_on(void *arg)
{
  EsRun *run = arg;
  guint i = run->powered_on++;
  guint enb = es_rollout_nth(run->rollout, i);
  if (run->powered_on < es_rollout_enbs(run->rollout)) {
    guint next = es_rollout_nth(run->rollout, run->powered_on);
    es_sim_timer_add_at(run->sim, es_rollout_time(run->rollout, next), on_power_on, run);
  }
  if (es_factory_hand_over(run->factory, i, run->enbs[enb]))
    run->made_ahead++;
  else
    es_enb_prepare(run->enbs[enb], es_rollout_time(run->rollout, enb));
  es_enb_start(run->enbs[enb]);
}

/* ---- progress ---------------------------------------------------------------------------- */

/* On es_sim's tick, which adds no event, so a progress report cannot change the results. */
static void progress_tick(void *arg)
{
  EsRun *run = arg;
  EsRunProgress p = {.sim_s = es_engine_now(run->engine), .enbs = run->sc->enbs,
                     .enrolled = run->enrolled, .finished = run->finished,
                     .events = es_sim_get_events(run->sim)};
  run->options->progress(run->options->progress_arg, &p);
}

/* ---- the plan: network and power-on times ------------------------------------------------- */

static double schedule_uniform(void *arg)
{
  return es_rand_double(arg);
}

/* --pcap's RA/CAs exist: how many there are is known once the topology is. */
static gboolean check_captures(EsRun *run, GError **error)
{
  guint racas = es_topology_racas(run->topo);
  for (guint k = 0; k < run->options->n_captures; k++) {
    const EsRunCapture *it = &run->options->captures[k];
    if (it->kind != ES_SIM_NODE_RACA || it->last == G_MAXUINT || it->last < racas)
      continue;
    g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                "--pcap raca:%u: the network has %u RA/CA%s, numbered 0 to %u", it->last, racas,
                racas == 1 ? "" : "s", racas - 1);
    return FALSE;
  }
  return TRUE;
}

/* What the simulated network can hold, before ns-3 allocates it: addresses for every link
 * (es_plan), and memory for every node. */
static gboolean check_network(EsRun *run, GError **error)
{
  const EsScenario *sc = run->sc;
  guint n = es_topology_size(run->topo);
  const char *what = sc->topology.type == ES_TOPOLOGY_FILE ? "topology.file" : "scenario.enbs";
  const char *file = sc->topology.type == ES_TOPOLOGY_FILE ? sc->topology.file : NULL;
  guint *parent = g_new(guint, n);
  for (guint i = 0; i < n; i++)
    parent[i] = es_topology_node(run->topo, i)->parent;
  GError *inner = NULL;
  EsPlanNode *addresses = es_plan_new(parent, n, &inner);
  g_free(parent);
  g_free(addresses);
  if (inner != NULL) {
    g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO, "%s%s%s: %s", what,
                file ? " " : "", file ? file : "", inner->message);
    g_error_free(inner);
    return FALSE;
  }
  /* ns-3 throws std::bad_alloc, which ends the program, when memory runs out: refuse a
   * network that needs more than the machine has, at the per-node figure measured for the
   * region scenario (README, Scale). */
  double need = (double)n * ES_RUN_BYTES_PER_NODE;
  double have = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGE_SIZE);
  if (have > 0 && need > have) {
    g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                "%s%s%s: %u nodes need about %.1f GiB (%u KiB each), more than this machine's "
                "%.1f GiB", what, file ? " " : "", file ? file : "", n, need / (1 << 30),
                ES_RUN_BYTES_PER_NODE / 1024, have / (1 << 30));
    return FALSE;
  }
  return TRUE;
}

/* The topology and the rollout before anything is written: a bad topology file or a schedule
 * that starts no eNB in time is a bad scenario (ES_RUN_ERROR_SCENARIO), not a failed run. */
static gboolean plan(EsRun *run, GError **error)
{
  GError *inner = NULL;
  EsRand *schedule = es_rand_new(run->sc->seed, ES_STREAM_SCHEDULE);
  if ((run->topo = es_topology_new(&run->sc->topology, run->sc->enbs, &inner)) != NULL)
    run->rollout = es_rollout_new(&run->sc->rollout, run->sc->enbs, run->sc->stop_time_s,
                                  schedule_uniform, schedule, &inner);
  es_rand_free(schedule);
  if (inner == NULL && (run->topo == NULL || run->rollout == NULL))
    g_set_error_literal(&inner, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                        "the scenario describes no network (not validated?)");
  if (inner != NULL) {
    g_set_error_literal(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO, inner->message);
    g_error_free(inner);
    return FALSE;
  }
  return check_network(run, error) && check_captures(run, error);
}

/* RA/CA r of the topology, serving its eNBs; RA/CA 0 is run->raca. In a split PKI they are
 * RAs, and CA c (server n_ras + c) stands behind them with the raca.ca_* keys. */
static gboolean start_racas(EsRun *run, const EsRacaConfig *config, GError **error)
{
  run->n_ras = es_topology_racas(run->topo);
  run->n_racas = run->n_ras + es_topology_cas(run->topo);
  run->racas = g_new0(EsRaca *, run->n_racas);
  run->racas[0] = run->raca;
  gboolean split = run->n_racas > run->n_ras;
  for (guint r = 1; r < run->n_racas; r++) {
    EsRacaConfig rc = r >= run->n_ras ? es_run_ca_config(config)
                      : split         ? es_run_ra_config(config)
                                      : *config;
    rc.seed = config->seed + r * ES_SEED_RACA_STEP;
    if ((run->racas[r] = es_raca_new(&rc, run->raca_pki, run->engine, error)) == NULL)
      return FALSE;
  }
  for (guint r = 0; r < run->n_racas; r++) {
    es_raca_set_predecode(run->racas[r], run->predecode);
    es_raca_set_observer(run->racas[r], es_collector_raca_observer(), run->collector);
    es_raca_attach(run->racas[r], r);
    es_collector_raca_started(run->collector, r);
  }
  return TRUE;
}

EsRacaConfig es_run_ca_config(const EsRacaConfig *config)
{
  EsRacaConfig ca = *config;
  ca.upstream = FALSE;
  ca.workers = config->ca_workers;
  ca.queue_limit = config->ca_queue_limit;
  ca.ir_service_s = ca.kur_service_s = config->ca_service_s;
  return ca;
}

EsRacaConfig es_run_ra_config(const EsRacaConfig *config)
{
  EsRacaConfig ra = *config;
  ra.upstream = TRUE;
  /* The approval and the outages are the CA's. */
  ra.approval_delay_s = 0;
  ra.ca_outages = NULL;
  return ra;
}

gboolean es_run_set_tls_credential(EsRun *run, const EsPki *pki, guint16 port, GError **error)
{
  if (!run->sc->transport.tls)
    return TRUE;
  X509 *cross = es_pki_get0_raca_cross(pki);
  X509 *cert = NULL;
  if (cross != NULL && es_pki_get0_vendor_root_key(pki) != NULL) {
    EsRand *rand = es_rand_new(run->sc->seed, ES_STREAM_TLS_PKI + port);
    EsRand *prev = es_rand_set_current(rand);
    cert = es_pki_issue_raca_tls(pki, error);
    es_rand_set_current(prev);
    es_rand_free(rand);
    if (cert == NULL)
      return FALSE;
  } else {
    cert = es_x509_ref(cross != NULL ? cross : es_pki_get0_raca_cert(pki));
  }
  gboolean ok = es_sim_set_tls_credential(run->sim, port, cert, es_pki_get0_raca_key(pki), error);
  /* The genuine RA/CAs' certificate beside the hierarchy, for `openssl verify`. */
  if (ok && port == 0) {
    g_autofree char *path = g_build_filename(run->options->out_dir, "pki", "raca-tls.pem", NULL);
    ok = es_outdir_claim(run->outdir, "pki/raca-tls.pem", error)
         && es_pem_save_cert(path, cert, error);
  }
  X509_free(cert);
  return ok;
}

static gboolean make_pki(EsRun *run, EsKeyType pki_key, EsKeyType enb_key, GError **error)
{
  const EsScenario *sc = run->sc;
  /* Before anything decodes a key: the keys the run makes are all it decodes. */
  const EsKeyType types[] = {pki_key, enb_key};
  es_provider_narrow_decoders(types, G_N_ELEMENTS(types));
  EsRand *rand = es_rand_new(sc->seed, ES_STREAM_PKI);
  es_rand_set_current(rand);
  /* An installed base's certificates are older than the epoch: its hierarchy older still. */
  gint64 since = sc->epoch;
  if (sc->rollout.start_enrolled)
    since -= (gint64)ceil(sc->rollout.installed_age_s + sc->rollout.installed_over_s);
  run->pki = es_pki_generate(pki_key, since, error);
  /* The root a rollover moves to exists from the start, valid from rollover.at. */
  gboolean ok = run->pki != NULL
                && (!(sc->rollover.at_s > 0)
                    || es_pki_add_next_root(run->pki, sc->epoch + (gint64)ceil(sc->rollover.at_s),
                                            error));
  es_rand_free(rand);
  if (!ok)
    return FALSE;
  if (enb_key != ES_KEY_RSA2048 && pki_key != ES_KEY_RSA2048)
    return TRUE;
  guint size = MIN(sc->enbs, RSA_POOL_SIZE);
  if (!run->options->quiet)
    printf("RSA-2048 keygen costs ~140 ms: eNBs draw their RSA keys from a pool of %u made once "
           "for this run\n", size);
  rand = es_rand_new(sc->seed, ES_STREAM_KEY_POOL);
  es_rand_set_current(rand);
  if (enb_key == ES_KEY_RSA2048)
    ok = (run->new_pool = es_key_pool_new(enb_key, size, error)) != NULL;
  if (ok && pki_key == ES_KEY_RSA2048)
    ok = (run->device_pool = es_key_pool_new(pki_key, size, error)) != NULL;
  es_rand_free(rand);
  return ok;
}

/* Lets the decoding thread check the signatures of each request made ahead (first irs,
 * renewals) before the RA/CA does, against every root a receiver of the run trusts; validity
 * times are the receiver's to check. */
static void check_ahead(EsRun *run, guint64 seed)
{
  X509_STORE *store = X509_STORE_new();
  if (store == NULL)
    return;
  X509 *roots[] = {es_pki_get0_vendor_root(run->pki), es_pki_get0_operator_root(run->pki),
                   es_pki_get0_next_root(run->pki)};
  for (gsize i = 0; i < G_N_ELEMENTS(roots); i++)
    if (roots[i] != NULL)
      X509_STORE_add_cert(store, roots[i]);
  X509_VERIFY_PARAM_set_flags(X509_STORE_get0_param(store), X509_V_FLAG_NO_CHECK_TIME);
  es_predecode_set1_trusted(run->predecode, store, seed);
  X509_STORE_free(store);
  es_sigcache_enable(TRUE);
}

static void run_clear(EsRun *run)
{
  es_factory_free(run->factory);
  es_renew_ahead_free(run->renew_ahead);
  if (run->enbs != NULL)
    for (guint i = 1; i <= run->sc->enbs; i++)
      es_enb_free(run->enbs[i]);
  g_free(run->enbs);
  es_enb_roots_free(run->roots);
  es_offload_free(run->offload);
  es_predecode_free(run->predecode);
  es_sigcache_enable(FALSE);
  for (guint r = 1; r < run->n_racas; r++)
    es_raca_free(run->racas[r]);
  g_free(run->racas);
  es_rollout_free(run->rollout);
  es_raca_free(run->raca);
  es_raca_free(run->rogue);
  es_run_free_attacks(run);
  es_sim_free(run->sim);
  es_ca_free(run->ca);
  es_pki_free(run->raca_pki);
  es_pki_free(run->rogue_pki);
  es_pki_free(run->foreign_vendor);
  X509_CRL_free(run->crl);
  g_free(run->hostile);
  es_topology_free(run->topo);
  es_rand_free(run->renew_rand);
  g_free(run->renewals);
  es_crl_dist_free(run->crl_dist);
  es_rollover_free(run->rollover);
  X509_CRL_free(run->crl_old_root);
  es_collector_free(run->collector);
  es_outdir_free(run->outdir);
  es_key_pool_free(run->new_pool);
  es_key_pool_free(run->device_pool);
  es_pki_free(run->pki);
  g_clear_error(&run->write_error);
  g_free(run->certs_dir);
  g_free(run->started_at);
}

/* `text` into `path` whole or not at all (a temporary file beside it, synced, renamed); the
 * error names the path and the reason. */
static gboolean write_whole(const char *path, const char *text, GError **error)
{
  GError *inner = NULL;
  if (g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0666, &inner))
    return TRUE;
  g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_IO, "cannot write %s: %s", path, inner->message);
  g_error_free(inner);
  return FALSE;
}

static char *started_at_now(void)
{
  GDateTime *now = g_date_time_new_now_utc();
  char *text = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
  g_date_time_unref(now);
  return text;
}

gboolean es_run_scenario(const EsScenario *sc, const EsRunOptions *options, EsRunResult *result,
                         GError **error)
{
  EsRun run = {.sc = sc, .options = options};
  EsKeyType pki_key = sc->pki.key, enb_key = sc->enb.new_key;
  gboolean ok = FALSE;

  char *effective = es_scenario_to_keyfile(sc);
  char *scenario_path = g_build_filename(options->out_dir, "scenario.ini", NULL);
  char *pki_dir = g_build_filename(options->out_dir, "pki", NULL);
  if (options->keep_certs)
    run.certs_dir = g_build_filename(options->out_dir, "certs", NULL);
  gint64 wall_start = g_get_monotonic_time();
  run.started_at = started_at_now();
  run.collector = es_collector_new(sc->enbs);
  es_rand_install(sc->seed);
  es_clock_set(run_clock, &run);

  if (!plan(&run, error))
    goto out;
  for (guint i = 1; i <= sc->enbs; i++)
    es_collector_set_site(run.collector, i, es_topology_enb_access(run.topo, i),
                          es_topology_enb_raca(run.topo, i));
  es_run_choose_hostile(&run);
  /* Never beside an earlier run's files: its certificates would verify against this run's
   * PKI and CRL. Every file is listed in the folder's manifest before it is written. */
  if ((run.outdir = es_outdir_open(options->out_dir, "run", options->overwrite, error)) == NULL)
    goto out;
  if (run.certs_dir != NULL && g_mkdir_with_parents(run.certs_dir, 0755) != 0) {
    g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_IO, "cannot create %s: %s", run.certs_dir,
                g_strerror(errno));
    goto out;
  }
  if (!es_outdir_claim(run.outdir, "scenario.ini", error)
      || !write_whole(scenario_path, effective, error)
      || !make_pki(&run, pki_key, enb_key, error) || !es_run_make_hostile_pki(&run, error))
    goto out;
  for (const char *const *f = es_pki_file_names(); *f != NULL; f++)
    if (!es_outdir_claimf(run.outdir, error, "pki/%s", *f))
      goto out;
  if (!es_pki_save(run.pki, pki_dir, error))
    goto out;
  if (es_pki_get0_next_root(run.pki) != NULL) {
    for (const char *const *f = es_pki_rollover_file_names(); *f != NULL; f++)
      if (!es_outdir_claimf(run.outdir, error, "pki/%s", *f))
        goto out;
    if (!es_pki_save_rollover(run.pki, pki_dir, error))
      goto out;
  }

  if ((run.sim = es_sim_new(run.topo, sc->seed, error)) == NULL)
    goto out;
  run.engine = es_sim_get0_engine(run.sim);
  if (!es_sim_set_tls(run.sim, &sc->transport, es_pki_get0_vendor_root(run.pki), sc->seed, error)
      || !es_run_set_tls_credential(&run, run.raca_pki, 0, error) || !es_run_enable_pcap(&run, error))
    goto out;
  /* One operator CA for every RA/CA: one serial counter, one CRL. */
  run.ca = es_ca_new(es_pki_get0_operator_root(run.pki), es_pki_get0_operator_root_key(run.pki));

  EsRacaConfig rc = sc->raca;
  rc.epoch = sc->epoch;
  rc.cert_validity_s = (gint64)sc->pki.cert_validity_s;
  rc.seed = sc->seed;
  rc.ca = run.ca;
  /* --one-thread: everything on this thread, no offload and no factory thread. */
  if (!options->one_thread) {
    run.offload = es_offload_new();
    run.predecode = es_predecode_new(PREDECODE_CAPACITY);
    check_ahead(&run, sc->seed);
  }
  EsRacaConfig node = es_topology_cas(run.topo) > 0 ? es_run_ra_config(&rc) : rc;
  if ((run.raca = es_raca_new(&node, run.raca_pki, run.engine, error)) == NULL)
    goto out;
  if (!start_racas(&run, &rc, error) || !es_run_start_rogue(&run, &rc, error))
    goto out;
  es_run_crl_start(&run);
  if (!es_crl_dist_start(&run, error) || !es_rollover_start(&run, error))
    goto out;

  EsEnbConfig ec = sc->enb;
  ec.ask_implicit = sc->raca.grant_implicit;
  ec.epoch = sc->epoch;
  ec.seed = sc->seed;
  ec.deterministic = TRUE;
  ec.new_key_pool = run.new_pool;
  ec.offload = run.offload;
  ec.predecode = run.predecode;
  ec.roots = run.roots = es_enb_roots_new();
  /* ec.device_key_pool stays NULL: the factory hands out the pool's keys */
  run.enbs = g_new0(EsEnb *, sc->enbs + 1);
  for (guint i = 1; i <= sc->enbs; i++) {
    run.enbs[i] = es_enb_new(i, &ec, run.pki, run.engine);
    es_enb_set_event_cb(run.enbs[i], on_enb_event, &run);
  }
  run.renew_rand = es_rand_new(sc->seed, ES_STREAM_RENEWAL);
  run.renewals = g_new(EsRunRenewal, sc->enbs + 1);
  for (guint i = 0; i <= sc->enbs; i++)
    run.renewals[i] = (EsRunRenewal){&run, NAN};
  if (sc->rollout.start_enrolled) {
    /* An installed base: no power-on, no factory credential; the eNBs wait to renew. */
    if (!es_run_install(&run, error))
      goto out;
    if (!options->one_thread && run.crl_dist == NULL)
      run.renew_ahead = es_renew_ahead_new(
          &run, run.rollover != NULL ? es_rollover_get0_first_asks(run.rollover) : NULL);
  } else {
    run.factory = es_factory_new(run.rollout, run.pki, run.device_pool, sc->seed, run.hostile,
                                 run.foreign_vendor, sc->epoch,
                                 options->one_thread ? NULL : run.enbs, !options->one_thread);
    es_sim_timer_add_at(run.sim, es_rollout_time(run.rollout, es_rollout_nth(run.rollout, 0)),
                        on_power_on, &run);
  }

  if (options->progress != NULL)
    es_sim_set_tick(run.sim, progress_tick, &run);
  /* A signal before this point (PKI, key pools) stops the run before its first event. */
  es_sim_set_interrupt(run.sim, options->interrupt);
  if (options->interrupt == NULL || *options->interrupt == 0)
    es_sim_run(run.sim, sc->stop_time_s);
  es_sim_set_interrupt(run.sim, NULL);
  es_sim_set_tick(run.sim, NULL, NULL);
  /* One that comes later cuts nothing short: the results are whole. */
  if (options->interrupt != NULL && *options->interrupt != 0) {
    run.interrupted_by = *options->interrupt;
    run.interrupted_at_s = es_engine_now(run.engine);
  }

  /* The factory thread may still be preparing eNBs ahead of their power-on (a run stopped
   * early by its stop time or a signal): it ends before any eNB is freed. */
  g_clear_pointer(&run.factory, es_factory_free);
  g_clear_pointer(&run.renew_ahead, es_renew_ahead_free);
  /* eNBs still enrolling at the stop time are recorded as unfinished (freeing them unwinds
   * their sessions); certificates still awaiting certConf would be revoked at confirm-wait
   * expiry: revoke them now, so every issued certificate ends held or revoked. */
  for (guint i = 1; i <= sc->enbs; i++) {
    ASN1_INTEGER *serial;
    ASN1_TIME *not_after;
    time_t end = (time_t)(sc->epoch + (gint64)es_engine_now(run.engine));
    if (es_enb_peek_operator_cert(run.enbs[i], &serial, &not_after)) {
      if (es_ca_is_revoked(run.ca, serial))
        run.held_revoked++;
      else
        run.held_valid++;
      if (X509_cmp_time(not_after, &end) < 0)
        run.held_expired++;
      ASN1_INTEGER_free(serial);
      ASN1_TIME_free(not_after);
    }
    g_clear_pointer(&run.enbs[i], es_enb_free);
  }
  /* A run cut short by a signal did not reach anyone's confirm-wait: its certificates awaiting
   * certConf are reported as such, not revoked for a timeout that never happened. */
  for (guint r = 0; r < run.n_racas; r++) {
    EsRacaStats st;
    es_raca_get_stats(run.racas[r], &st);
    /* In a split PKI the CA's transaction and its RA's hold one certificate: the CA's count. */
    gboolean issuer = run.n_racas == run.n_ras || r >= run.n_ras;
    if (run.interrupted_by != 0 && issuer)
      run.awaiting_confirm += st.awaiting_confirm;
    else if (run.interrupted_by == 0)
      es_raca_expire_all(run.racas[r]);
  }

  for (guint i = 1; i <= sc->enbs; i++)
    es_collector_add_tcp_retransmissions(run.collector, i,
                          (guint)es_sim_get_enb_tcp_retransmissions(run.sim, i));
  memset(result, 0, sizeof *result);
  es_recorder_stats(es_collector_get0_recorder(run.collector), NULL, &result->stats);
  result->sim_time_s = MAX(run.last_activity_s, es_collector_get_last_activity(run.collector));
  if (run.crl_dist != NULL) /* the eNBs fetched until the stop time */
    result->sim_time_s = es_engine_now(run.engine);
  result->wall_time_s = (g_get_monotonic_time() - wall_start) / 1e6;
  result->events = es_sim_get_events(run.sim);
  result->interrupted_by = run.interrupted_by;
  result->interrupted_at_s = run.interrupted_at_s;
  ok = es_run_publish_crl(&run, error) && es_run_write_results(&run, result, error);

out:
  run_clear(&run);
  es_clock_set(NULL, NULL);
  es_rand_uninstall();
  g_free(effective);
  g_free(scenario_path);
  g_free(pki_dir);
  return ok;
}
