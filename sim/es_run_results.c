/* The result files of a simulated run: the collector's (enrolments.csv, raca_queue.csv,
 * revocations.csv, the core of summary.json), and the run's own: hostile.csv, the RA/CA and
 * network figures of summary.json, and crl.pem. */
#include <math.h>
#include <sys/resource.h>
#include <openssl/crypto.h>
#include "pki/es_provider.h"
#include "sim/es_run_priv.h"

/* summary.json: the recorder's metrics, the RA/CA's and the network's counters, wall-clock
 * figures (all under wall_clock) and what it takes to reproduce the run. */
static gboolean write_summary(EsRun *run, EsRunResult *result, const char *path,
                              GError **error)
{
  const EsScenario *sc = run->sc;
  EsCollectorRun facts = {.scenario = sc->name, .seed = sc->seed,
                          .replication = run->options->replication, .has_racas = TRUE,
                          .sim_time_s = result->sim_time_s, .events = result->events,
                          .wall_time_s = result->wall_time_s,
                          .interrupted_by = run->interrupted_by,
                          .interrupted_at_s = run->interrupted_at_s};
  g_autoptr(EsSummary) s = es_collector_summary_new(run->collector, &facts);

  /* What the links did, and which end of the connections TCP resent from. */
  EsSimLinkStats net;
  es_sim_get_link_stats(run->sim, &net);
  es_summary_set_uint(s, "network.drops.loss", net.drops_loss);
  es_summary_set_uint(s, "network.drops.burst", net.drops_burst);
  es_summary_set_uint(s, "network.drops.outage", net.drops_outage);
  es_summary_set_uint(s, "network.corruptions", net.corruptions);
  es_summary_set_uint(s, "network.tcp_retransmissions.enbs", net.tcp_retransmissions_enbs);
  es_summary_set_uint(s, "network.tcp_retransmissions.racas", net.tcp_retransmissions_racas);
  es_summary_set_uint(s, "network.connections", es_sim_get_connections(run->sim));
  if (sc->transport.tls) {
    EsSimTlsStats tls;
    es_sim_get_tls_stats(run->sim, &tls);
    es_summary_set_string(s, "network.tls.version",
                          es_transport_tls_version_name(sc->transport.tls_version));
    es_summary_set_uint(s, "network.tls.handshakes", tls.handshakes);
    es_summary_set_uint(s, "network.tls.resumed", tls.resumed);
    es_summary_set_uint(s, "network.tls.failures", tls.failures);
    es_summary_set_uint(s, "network.tls.record_bytes", tls.record_bytes);
    es_summary_set_uint(s, "network.tls.overhead_bytes", tls.record_bytes - tls.plaintext_bytes);
  }
  /* Every certificate issued is held by its eNB or revoked, but for CMP's two-generals case
   * (an eNB gave up after the RA/CA counted its certConf): valid_unheld. */
  EsRevocationStats rv;
  es_collector_revocation_stats(run->collector, &rv);
  /* An installed base's certificates count as the run's: each is held, revoked or expired. */
  guint64 issued = es_collector_get_issued(run->collector) + es_collector_get_installed(run->collector);
  guint64 accounted = run->held_valid + rv.rows + run->awaiting_confirm;
  guint64 unheld = issued > accounted ? issued - accounted : 0;
  es_summary_set_uint(s, "certificates.held_valid", run->held_valid);
  es_summary_set_uint(s, "certificates.awaiting_confirm", run->awaiting_confirm);
  es_summary_set_uint(s, "certificates.valid_unheld", unheld);
  es_run_summarise_hostile(run, s);
  es_run_summarise_day2(run, s);
  g_autoptr(GPtrArray) cut_off = g_ptr_array_new();
  es_crl_dist_summarise(run->crl_dist, s, cut_off);

  /* One object per RA/CA, named by its number, its utilisation over the simulated time; in a
   * split PKI the RAs are racas.<r> and the CAs behind them cas.<c>. */
  for (guint r = 0; r < run->n_racas; r++) {
    EsRacaStats st;
    EsQueueStats q;
    es_raca_get_stats(run->racas[r], &st);
    es_collector_queue_stats(run->collector, r, result->sim_time_s, &q);
    gboolean ca = r >= run->n_ras;
    g_autofree char *prefix = ca ? g_strdup_printf("cas.%u", r - run->n_ras)
                                 : g_strdup_printf("racas.%u", r);
    es_collector_summary_set_raca(s, prefix, ca ? sc->raca.ca_workers : sc->raca.workers, &st,
                                  result->sim_time_s);
    g_autofree char *mean_queued = g_strdup_printf("%s.mean_queued", prefix);
    es_summary_set_double(s, mean_queued, q.mean_queued);
  }

  struct rusage ru;
  es_summary_set_string(s, ES_SUMMARY_WALL_CLOCK ".started_at", run->started_at);
  /* Which OpenSSL decoders and encoders were on offer changes the time a run takes, never
   * its results. */
  es_summary_set_string(s, ES_SUMMARY_WALL_CLOCK ".openssl_providers", es_provider_name());
  es_summary_set_uint(s, ES_SUMMARY_WALL_CLOCK ".openssl_decoders", es_provider_decoders_offered());
  /* How much ran beside the event loop: never the results either. */
  es_summary_set_uint(s, ES_SUMMARY_WALL_CLOCK ".sessions_made_ahead", run->made_ahead);
  /* null, like throughput.enrolments_per_s, in a run that enrolled nothing (a day-2 run):
   * a rate of 0 would read as a stalled one. */
  es_summary_set_double(s, ES_SUMMARY_WALL_CLOCK ".enrolments_per_wall_s",
                        result->wall_time_s > 0 && result->stats.enrolled > 0
                            ? result->stats.enrolled / result->wall_time_s
                            : NAN);
  if (getrusage(RUSAGE_SELF, &ru) == 0)
    es_summary_set_uint(s, ES_SUMMARY_WALL_CLOCK ".peak_rss_kib", (guint64)ru.ru_maxrss);

  g_autofree char *again = g_strdup_printf(
      "enrolsim run --scenario scenario.ini --replication %u (in this folder)",
      run->options->replication);
  if (!es_collector_summary_set_attributes(s, "simulated", TRUE, again, sc, error))
    return FALSE;
  GPtrArray *messages = g_ptr_array_new();
  es_run_diagnose(run, result, s, unheld, messages);
  if (cut_off->len > 0) {
    /* Named, a few: the rest are in the CSV's access column's terms. */
    GString *who = g_string_new(NULL);
    for (guint i = 0; i < MIN(cut_off->len, 10u); i++)
      g_string_append_printf(who, "%senb-%u (%s)", i > 0 ? ", " : "",
                             GPOINTER_TO_UINT(cut_off->pdata[i]),
                             es_topology_enb_access(run->topo, GPOINTER_TO_UINT(cut_off->pdata[i])));
    char *text = g_strdup_printf("%u eNBs never held a CRL listing the mass revocation by the "
                                 "end of the run (cut off, or fetching too rarely): %s%s",
                                 cut_off->len, who->str, cut_off->len > 10 ? ", ..." : "");
    es_summary_set_string(s, "diagnostics.crl_not_enforced", text);
    g_ptr_array_add(messages, text);
    g_string_free(who, TRUE);
  }
  char *segw_cut_off = es_crl_dist_segw_not_enforced_text(run->crl_dist);
  if (segw_cut_off != NULL) {
    es_summary_set_string(s, "diagnostics.crl_segw_not_enforced", segw_cut_off);
    g_ptr_array_add(messages, segw_cut_off);
  }
  char *rr_failed = es_crl_dist_rr_failed_text(run->crl_dist);
  if (rr_failed != NULL) {
    es_summary_set_string(s, "diagnostics.crl_rr_failed", rr_failed);
    g_ptr_array_add(messages, rr_failed);
  }
  es_rollover_summarise(run->rollover, s, messages);
  g_ptr_array_add(messages, NULL);
  result->diagnostics = (char **)g_ptr_array_free(messages, FALSE);
  result->report = es_run_report(run, result, unheld);
  return es_summary_write(s, path, error);
}

/* Takes `inner`: the first failure is kept, later ones freed. */
static void keep_first(GError **first, GError *inner)
{
  if (*first == NULL)
    *first = inner;
  else
    g_error_free(inner);
}

/* A result file of `text`, when there is one (NULL: none), listed in the manifest first. */
static void write_text(EsRun *run, const char *name, const char *text, GError **first)
{
  if (text == NULL)
    return;
  GError *inner = NULL;
  g_autofree char *path = g_build_filename(run->options->out_dir, name, NULL);
  if (!es_outdir_claim(run->outdir, name, &inner)
      || !g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0666, &inner))
    keep_first(first, inner);
}

gboolean es_run_write_results(EsRun *run, EsRunResult *result, GError **error)
{
  const char *dir = run->options->out_dir;
  const char *const own[] = {"hostile.csv", "summary.json", "crl.pem", NULL};
  if (!es_outdir_claimv(run->outdir, own, error)) /* the manifest first */
    return FALSE;
  char *summary = g_build_filename(dir, "summary.json", NULL);
  char *crl_path = g_build_filename(dir, "crl.pem", NULL);
  char *hostile_csv = g_build_filename(dir, "hostile.csv", NULL);
  /* Each file is written whole or not at all (a temporary file renamed over it); one that
   * cannot be written (a full disk, a file-size limit) does not keep the others from being
   * tried. The first failure is the error, with the path and the reason. */
  GError *first = NULL, *inner = NULL;
  if (!es_collector_write_files(run->collector, dir, TRUE, &inner))
    keep_first(&first, g_steal_pointer(&inner));
  if (!es_run_write_hostile_csv(run, hostile_csv, &inner))
    keep_first(&first, g_steal_pointer(&inner));
  /* Every CRL published while eNBs fetched them: the CRL's size over time. */
  write_text(run, "crl.csv", es_crl_dist_get0_log(run->crl_dist), &first);
  /* When each relying node came to enforce the mass revocation, each eNB to trust the new
   * root and hold a certificate under it: their curves over time. */
  g_autofree char *enforcement = es_crl_dist_enforcement_csv(run->crl_dist);
  g_autofree char *segw_enforcement = es_crl_dist_segw_enforcement_csv(run->crl_dist);
  g_autofree char *rollover_csv = es_rollover_csv(run->rollover);
  write_text(run, "crl_enforcement.csv", enforcement, &first);
  write_text(run, "crl_enforcement_segw.csv", segw_enforcement, &first);
  write_text(run, "rollover.csv", rollover_csv, &first);
  if (run->crl_old_root != NULL) {
    /* The old root key's CRL: what it issued and is revoked, during the overlap. */
    g_autofree char *path = g_build_filename(dir, "crl-old-root.pem", NULL);
    if (!es_outdir_claim(run->outdir, "crl-old-root.pem", &inner)
        || !es_pem_save_crl(path, run->crl_old_root, &inner))
      keep_first(&first, g_steal_pointer(&inner));
  }
  GBytes *delta = es_crl_dist_get0_delta(run->crl_dist);
  if (delta != NULL) {
    gsize n;
    const unsigned char *p = g_bytes_get_data(delta, &n);
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)n);
    g_autofree char *path = g_build_filename(dir, "crl-delta.pem", NULL);
    if (crl == NULL || !es_outdir_claim(run->outdir, "crl-delta.pem", &inner)
        || !es_pem_save_crl(path, crl, &inner)) {
      if (inner == NULL)
        g_set_error(&inner, ES_RUN_ERROR, ES_RUN_ERROR_IO, "%s: the delta CRL", path);
      keep_first(&first, g_steal_pointer(&inner));
    }
    X509_CRL_free(crl);
  }
  if (!write_summary(run, result, summary, &inner))
    keep_first(&first, g_steal_pointer(&inner));
  if (!es_pem_save_crl(crl_path, run->crl, &inner))
    keep_first(&first, g_steal_pointer(&inner));
  g_free(hostile_csv);
  g_free(summary);
  g_free(crl_path);
  if (first == NULL && run->write_error != NULL)
    first = g_steal_pointer(&run->write_error);
  if (first != NULL) {
    g_propagate_error(error, first);
    return FALSE;
  }
  return TRUE;
}

void es_run_result_clear(EsRunResult *result)
{
  g_clear_pointer(&result->report, g_free);
  g_clear_pointer(&result->diagnostics, g_strfreev);
}
