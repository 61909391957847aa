/* What a run tells its user besides the files: diagnostics (each a warning that names the
 * numbers and the key to look at, also kept in summary.json) and the console report, which
 * counts eNBs and certificates apart and never prints a latency of no eNB. */
#include "sim/es_run_priv.h"

/* An outcome of enrolments.csv that a deployed eNB would have retried. */
static gboolean is_retryable(const char *outcome)
{
  for (int o = 0; outcome != NULL && o < ES_ENB_OUTCOME_N; o++)
    if (es_enb_outcome_is_transient((EsEnbOutcome)o)
        && strcmp(outcome, es_enb_outcome_name((EsEnbOutcome)o)) == 0)
      return TRUE;
  return FALSE;
}

static int cmp_names(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "timeout 12, transport_error 3": eNBs per outcome, of those `want` accepts, sorted. */
static char *outcome_counts(const EsRecorder *rec, gboolean (*want)(const char *),
                            guint *total)
{
  GHashTable *counts = g_hash_table_new(g_str_hash, g_str_equal);
  *total = 0;
  for (guint k = 1; k <= es_recorder_get_enbs(rec); k++) {
    const char *o = es_recorder_get_outcome(rec, k);
    o = o != NULL ? o : "unfinished";
    if (!want(o))
      continue;
    g_hash_table_insert(counts, (gpointer)o,
                        GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(counts, o)) + 1));
    (*total)++;
  }
  guint n = 0;
  const char **names = (const char **)g_hash_table_get_keys_as_array(counts, &n);
  qsort(names, n, sizeof *names, cmp_names);
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf(out, "%s%s %u", i > 0 ? ", " : "", names[i],
                           GPOINTER_TO_UINT(g_hash_table_lookup(counts, names[i])));
  g_free(names);
  g_hash_table_destroy(counts);
  return g_string_free(out, FALSE);
}

/* Ended without a certificate: not enrolled, and not cut short by the run's end; an
 * installed eNB renewed or not yet due holds one. */
static gboolean failed(const char *o)
{
  return strcmp(o, "enrolled") != 0 && strcmp(o, "unfinished") != 0
         && strcmp(o, "installed") != 0 && strcmp(o, "renewed") != 0;
}

/* The end of the last outage window of any link, 0 when there is none. */
static double last_outage_end(const EsTopology *topo)
{
  double end = 0;
  for (guint i = 1; i < es_topology_size(topo); i++) {
    const EsOutages *o = es_topology_node(topo, i)->uplink.outages;
    for (guint w = 0; o != NULL && w < o->n; w++)
      end = MAX(end, o->w[w].start_s + o->w[w].duration_s);
  }
  return end;
}

/* Takes `message`: into `messages` (printed at the end of the run) or freed. */
static void diagnose(EsSummary *s, const char *code, GPtrArray *messages, char *message)
{
  char *path = g_strconcat("diagnostics.", code, NULL);
  es_summary_set_string(s, path, message);
  g_free(path);
  if (messages != NULL)
    g_ptr_array_add(messages, message);
  else
    g_free(message);
}

static char *seconds(double s)
{
  return g_strdup_printf("%.1f s", s);
}

void es_run_diagnose(EsRun *run, const EsRunResult *result, EsSummary *s, guint64 valid_unheld,
                     GPtrArray *messages)
{
  const EsScenario *sc = run->sc;
  const EsRecorder *rec = es_collector_get0_recorder(run->collector);
  es_summary_set_object(s, "diagnostics");
  g_autofree char *timeout = es_format_duration(sc->enb.msg_timeout_s);

  /* Requests queued longer than an eNB waits: it resends or gives up while the RA/CA still
   * holds the request, and the queue feeds on itself. (A CA's queue shows in its RAs'.) */
  for (guint r = 0; r < run->n_ras; r++) {
    EsRacaStats st;
    es_raca_get_stats(run->racas[r], &st);
    if (!(st.wait_max_s > sc->enb.msg_timeout_s))
      continue;
    g_autofree char *code = g_strdup_printf("raca_%u_queue_over_timeout", r);
    g_autofree char *max = seconds(st.wait_max_s), *mean = seconds(st.wait_mean_s);
    diagnose(s, code, messages,
             g_strdup_printf("RA/CA %u: requests waited up to %s in its queue (mean %s, "
                             "longest queue %u), longer than enb.msg_timeout (%s): eNBs gave "
                             "up on requests the RA/CA still held (a retry storm or a "
                             "collapse); look at raca.workers and the raca.*_service times against "
                             "the arrivals (rollout.*)",
                             r, max, mean, st.max_queue, timeout));
  }
  if (valid_unheld > 0 && sc->raca.keep_superseded)
    diagnose(s, "certificates_valid_unheld", messages,
             g_strdup_printf("%" G_GUINT64_FORMAT " certificates are valid and held by no eNB: "
                             "renewals superseded them and raca.keep_superseded kept them off "
                             "the CRL (or their eNBs gave up while the RA/CA still had their "
                             "certConf)",
                             valid_unheld));
  else if (valid_unheld > 0 && result->stats.unfinished > 0)
    /* A certConf accepted just before the end: the pkiConf was still on its way. */
    diagnose(s, "certificates_valid_unheld", messages,
             g_strdup_printf("%" G_GUINT64_FORMAT " certificates are valid and held by no eNB: "
                             "the RA/CA confirmed them, but the run ended before the pkiConf "
                             "reached their eNBs (%u unfinished), or the eNBs had given up while "
                             "the RA/CA still had their certConf (enb.msg_timeout %s)",
                             valid_unheld, result->stats.unfinished, timeout));
  else if (valid_unheld > 0)
    diagnose(s, "certificates_valid_unheld", messages,
             g_strdup_printf("%" G_GUINT64_FORMAT " certificates are valid and held by no eNB: "
                             "their eNBs gave up while the RA/CA still had their certConf, and "
                             "it accepted it later; look at enb.msg_timeout (%s) against the "
                             "RA/CA's queueing delay",
                             valid_unheld, timeout));

  /* eNBs that stopped for good while the network or the RA/CA came back: other eNBs enrolled
   * later, or an outage ended later. Real eNBs keep trying. */
  double outage_end = last_outage_end(run->topo), last_enrolled = 0;
  for (guint k = 1; k <= es_recorder_get_enbs(rec); k++) {
    const char *o = es_recorder_get_outcome(rec, k);
    if (o != NULL && strcmp(o, "enrolled") == 0)
      last_enrolled = MAX(last_enrolled, es_recorder_get_mark(rec, k, ES_MARK_DONE));
  }
  double back = MAX(outage_end, last_enrolled);
  guint gave_up = 0;
  for (guint k = 1; k <= es_recorder_get_enbs(rec); k++) {
    double t = es_recorder_get_mark(rec, k, ES_MARK_DONE);
    if (is_retryable(es_recorder_get_outcome(rec, k)) && t < back)
      gave_up++;
  }
  if (gave_up > 0) {
    g_autofree char *when = seconds(back), *limit = es_format_duration(sc->enb.give_up_after_s);
    diagnose(s, "gave_up_while_recovering", messages,
             g_strdup_printf("%u eNBs gave up for good before %s, when %s; deployed eNBs keep "
                             "retrying: look at enb.give_up_after (%s) and enb.max_attempts (%u)",
                             gave_up, when,
                             outage_end >= last_enrolled ? "the last link outage ended"
                                                         : "other eNBs were still enrolling",
                             limit, sc->enb.max_attempts));
  }

  /* A failed handshake reaches the eNB as a transport error like any other: say why. */
  EsSimTlsStats tls = {0};
  if (sc->transport.tls)
    es_sim_get_tls_stats(run->sim, &tls);
  if (tls.failures > 0)
    diagnose(s, "tls_failures", messages,
             g_strdup_printf("%" G_GUINT64_FORMAT " TLS handshakes or connections failed (the "
                             "first: %s); the eNBs report them as transport_error",
                             tls.failures, tls.first_failure));

  /* What the scenario check said before the run (printed then), kept with the results. */
  g_auto(GStrv) warnings = es_scenario_warnings(sc);
  for (guint i = 0; warnings[i] != NULL; i++) {
    char code[32];
    g_snprintf(code, sizeof code, "scenario_%u", i + 1);
    diagnose(s, code, NULL, g_strdup(warnings[i]));
  }
}

static void append_latency(GString *out, const EsRecorderStats *st)
{
  if (st->enrolled == 0 || isnan(st->p50)) {
    g_string_append(out, "latency n/a");
    return;
  }
  g_string_append_printf(out, "latency p50 %.3f s, p90 %.3f s, p99 %.3f s, max %.3f s", st->p50,
                         st->p90, st->p99, st->max);
}

char *es_run_report(EsRun *run, const EsRunResult *result, guint64 valid_unheld)
{
  const EsRecorder *rec = es_collector_get0_recorder(run->collector);
  const EsRecorderStats *st = &result->stats;
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "results: %s\n", run->options->out_dir);

  if (run->interrupted_by != 0)
    g_string_append_printf(out, "interrupted by %s at %.3f s simulated: these results cover the "
                                "run until then\n",
                           es_summary_signal_name(run->interrupted_by), run->interrupted_at_s);
  guint n_failed = 0;
  g_autofree char *why = outcome_counts(rec, failed, &n_failed);
  if (st->installed + st->renewed > 0)
    g_string_append_printf(out, "eNBs: %u installed at the start: %u renewed, %u not renewed by "
                                "the stop time, %u failed to renew",
                           st->enbs, st->renewed, st->installed, st->failed);
  else
    g_string_append_printf(out, "eNBs: %u, %u enrolled, %u failed", st->enbs, st->enrolled, st->failed);
  if (n_failed > 0)
    g_string_append_printf(out, " (%s)", why);
  /* Neither enrolled nor failed: the run ended before they did. */
  if (st->unfinished > 0)
    g_string_append_printf(out, ", %u unfinished (%s)", st->unfinished,
                           run->interrupted_by != 0 ? "the run was interrupted before they were done"
                                                   : "still enrolling at scenario.stop_time, or "
                                                     "never started");
  if (st->holding_revoked > 0)
    g_string_append_printf(out, ", %u left holding a revoked certificate", st->holding_revoked);
  g_string_append_c(out, '\n');

  guint64 revoked = 0;
  GString *causes = g_string_new(NULL);
  for (guint c = 0; c < ES_RACA_REVOKE_CAUSES; c++) {
    guint64 n = es_collector_get_revoked(run->collector, (EsRacaRevokeCause)c);
    if (n > 0)
      g_string_append_printf(causes, "%s%s %" G_GUINT64_FORMAT, revoked > 0 ? ", " : "",
                             es_raca_revoke_cause_name((EsRacaRevokeCause)c), n);
    revoked += n;
  }
  g_string_append_printf(out, "certificates: %" G_GUINT64_FORMAT " issued, %" G_GUINT64_FORMAT
                              " revoked",
                         es_collector_get_issued(run->collector), revoked);
  if (revoked > 0)
    g_string_append_printf(out, " (%s)", causes->str);
  g_string_free(causes, TRUE);
  if (run->awaiting_confirm > 0)
    g_string_append_printf(out, ", %" G_GUINT64_FORMAT " awaiting certConf when interrupted",
                           run->awaiting_confirm);
  g_string_append_printf(out, ", %" G_GUINT64_FORMAT " valid but held by no eNB\n", valid_unheld);
  g_autofree char *attacks = es_run_attacks_line(run);
  if (attacks != NULL)
    g_string_append_printf(out, "%s\n", attacks);

  g_autofree char *renewals = es_run_day2_line(run);
  g_autofree char *distribution = es_crl_dist_line(run->crl_dist);
  if (distribution != NULL)
    g_string_append_printf(out, "%s\n", distribution);
  g_autofree char *rollover = es_rollover_line(run->rollover);
  if (rollover != NULL)
    g_string_append_printf(out, "%s\n", rollover);
  if (renewals != NULL)
    g_string_append_printf(out, "%s\n", renewals);
  else {
    g_string_append_printf(out, "enrolment (over the %u enrolled eNBs): ", st->enrolled);
    append_latency(out, st);
    g_string_append_c(out, '\n');
  }
  const char **accesses = es_recorder_dup_accesses(rec);
  if (accesses[0] != NULL && accesses[1] != NULL)
    for (const char **a = accesses; *a != NULL; a++) {
      EsRecorderStats as;
      es_recorder_stats(rec, *a, &as);
      if (renewals != NULL) {
        if (run->sc->enb.renew_before_s > 0)
          g_string_append_printf(out, "  %s: %u eNBs, %u renewed, %u failed\n", *a, as.enbs,
                                 as.renewed, as.failed);
        continue;
      }
      g_string_append_printf(out, "  %s: %u eNBs, %u enrolled, ", *a, as.enbs, as.enrolled);
      append_latency(out, &as);
      g_string_append_c(out, '\n');
    }
  g_free(accesses);
  if (run->sc->transport.tls) {
    EsSimTlsStats tls;
    es_sim_get_tls_stats(run->sim, &tls);
    guint64 overhead = tls.record_bytes - tls.plaintext_bytes;
    g_string_append_printf(out, "TLS %s: %" G_GUINT64_FORMAT " handshakes (%" G_GUINT64_FORMAT
                                " resumed), %" G_GUINT64_FORMAT " failed; %" G_GUINT64_FORMAT
                                " bytes beyond the HTTP they carried",
                           es_transport_tls_version_name(run->sc->transport.tls_version),
                           tls.handshakes, tls.resumed, tls.failures, overhead);
    if (tls.handshakes > 0)
      g_string_append_printf(out, " (%.0f per handshake)", (double)overhead / tls.handshakes);
    g_string_append_c(out, '\n');
  }
  guint sessions = st->enrolled + st->renewed;
  g_string_append_printf(out,
                         "simulated %.3f s in %.2f s wall: %.0f %s per wall-second, "
                         "%" G_GUINT64_FORMAT " events\n",
                         result->sim_time_s, result->wall_time_s,
                         result->wall_time_s > 0 ? sessions / result->wall_time_s : 0.0,
                         renewals != NULL ? "enrolments and renewals" : "enrolments",
                         result->events);
  return g_string_free(out, FALSE);
}
