/* Operator-root rollover in a simulated run: at rollover.at every RA/CA rolls over to the new
 * root (one CA, serials counting on, the old key still signing a CRL of what it issued); each
 * eNB asks for the root CA key update within rollover.spread, trusts the new root once it
 * checked the genp, renews under it, and asks again after rollover.retry when it could not. */
#include "sim/es_run_priv.h"

#include <math.h>

#include "config/es_streams.h"

#define KEY(sec, ...) ES_CONFIG_KEY(EsRolloverConfig, sec, __VA_ARGS__)
static const EsConfigKey keys[] = {
    KEY("rollover", "at", ES_CONFIG_DURATION, at_s, "0s", ES_ANY),
    KEY("rollover", "spread", ES_CONFIG_DURATION, spread_s, "1h", ES_ANY),
    KEY("rollover", "retry", ES_CONFIG_DURATION, retry_s, "1h", ES_POSITIVE),
    ES_CONFIG_CHOICE_KEY(EsRolloverConfig, "rollover", "renew", renew, "true",
                         es_config_bool_words),
};

const EsConfigSchema *es_rollover_config_schema(void)
{
  static const EsConfigPart part = ES_CONFIG_PART(keys, 0);
  static const EsConfigSchema schema = {.parts = &part, .n_parts = 1,
                                        .size = sizeof(EsRolloverConfig)};
  return &schema;
}

gboolean es_rollover_config_check(const EsRolloverConfig *c, double stop_time_s,
                                  gboolean start_enrolled, gboolean crl_dist, GError **error)
{
  if (!(c->at_s > 0))
    return TRUE;
  const char *why = NULL;
  g_autofree char *at = es_format_duration(c->at_s);
  g_autofree char *stop = es_format_duration(stop_time_s);
  if (!(c->at_s < stop_time_s))
    why = "must come before scenario.stop_time";
  else if (!start_enrolled)
    why = "rolls over the root of an installed base: give rollout.start = enrolled";
  else if (crl_dist)
    why = "is not modelled beside a mass revocation or CRL fetches ([revocation], [crl_fetch])";
  if (why == NULL)
    return TRUE;
  g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE, "rollover.at (%s, scenario.stop_time "
              "%s) %s", at, stop, why);
  return FALSE;
}

/* Where an eNB is in the rollover. */
typedef enum { WAITING, ASKING, RENEWING, DONE } Stage;

typedef struct {
  EsRollover *ro;
  guint enb;
} Ask;

struct EsRollover {
  EsRun *run;
  const EsRolloverConfig *c;
  Ask *asks;                  /* 1..N: the timers' arguments */
  guint8 *stage;              /* 1..N */
  double *trusted, *reissued; /* 1..N: when each eNB first trusted the new root, and first held
                               * a certificate under it; NaN: not (yet) */
  guint *order;               /* eNBs by the time they first ask, and those times */
  double *first_ask;
  guint next;                 /* the next of `order` to ask: one pending timer for them all */
  guint64 asks_made, asks_failed, refused;
};

static X509 *next_root(const EsRollover *ro)
{
  return es_pki_get0_next_root(ro->run->pki);
}

static void on_ask(void *arg);

/* Ended without a renewal under the new root: finished with what it holds, or renewing
 * as usual. */
static void finish_rollover(EsRollover *ro, guint k)
{
  EsRun *run = ro->run;
  EsEnb *enb = run->enbs[k];
  ro->stage[k] = DONE;
  X509 *held = es_enb_get1_operator_cert(enb);
  if (held == NULL || !es_run_schedule_renewal(run, enb, held))
    es_run_finish_enb(run, enb, held);
  X509_free(held);
}

/* Its genm now, or a little later when a session of its own (a renewal) is under way. */
static void ask(EsRollover *ro, guint k)
{
  EsRun *run = ro->run;
  EsEnb *enb = run->enbs[k];
  if (es_enb_update_root(enb)) {
    ro->stage[k] = ASKING;
    ro->asks_made++;
    return;
  }
  if (es_enb_is_active(enb))
    es_engine_timer_add(run->engine, 60, on_ask, &ro->asks[k]);
  else
    finish_rollover(ro, k); /* no operator certificate to ask with */
}

static void on_ask(void *arg)
{
  Ask *a = arg;
  ask(a->ro, a->enb);
}

/* The eNBs' first asks, in time order, one pending event at a time. */
static void on_first_ask_due(void *arg)
{
  EsRollover *ro = arg;
  EsRun *run = ro->run;
  guint k = ro->order[ro->next++];
  if (ro->next < run->sc->enbs)
    es_sim_timer_add_at(run->sim, ro->first_ask[ro->order[ro->next]], on_first_ask_due, ro);
  es_renew_ahead_wait(run->renew_ahead, k, ES_ENB_ROOT_UPDATE);
  ask(ro, k);
}

static void on_rollover(void *arg)
{
  EsRollover *ro = arg;
  EsRun *run = ro->run;
  GError *error = NULL;
  for (guint r = 0; r < run->n_racas && error == NULL; r++)
    es_raca_roll_over(run->racas[r], &error);
  /* A CRL under each key at once: relying nodes can have one of the new root at once. */
  if (error == NULL)
    es_run_publish_crl(run, &error);
  if (error != NULL) {
    if (run->write_error == NULL)
      run->write_error = error;
    else
      g_error_free(error);
    return;
  }
  /* The first ask at its own time, as every later one (not at the rollover itself). */
  if (run->sc->enbs > 0)
    es_sim_timer_add_at(run->sim, ro->first_ask[ro->order[0]], on_first_ask_due, ro);
}

static gint by_first_ask(gconstpointer a, gconstpointer b, gpointer ro)
{
  const double *at = ((const EsRollover *)ro)->first_ask;
  guint i = *(const guint *)a, j = *(const guint *)b;
  return at[i] < at[j] ? -1 : at[i] > at[j] ? 1 : (i > j) - (i < j);
}

gboolean es_rollover_start(EsRun *run, GError **error)
{
  const EsRolloverConfig *c = &run->sc->rollover;
  if (!(c->at_s > 0))
    return TRUE;
  if (run->n_racas > run->n_ras) {
    g_set_error_literal(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                        "rollover.at: a root rollover is not modelled with RAs in front of CAs "
                        "(topology.cas or ca nodes in the topology file)");
    return FALSE;
  }
  guint n = run->sc->enbs;
  EsRollover *ro = g_new0(EsRollover, 1);
  ro->run = run;
  ro->c = c;
  ro->asks = g_new(Ask, n + 1);
  ro->stage = g_new0(guint8, n + 1);
  ro->trusted = g_new(double, n + 1);
  ro->reissued = g_new(double, n + 1);
  ro->first_ask = g_new(double, n + 1);
  ro->order = g_new(guint, MAX(n, 1));
  EsRand *rand = es_rand_new(run->sc->seed, ES_STREAM_ROLLOVER);
  for (guint k = 1; k <= n; k++) {
    ro->asks[k] = (Ask){ro, k};
    ro->trusted[k] = ro->reissued[k] = NAN;
    ro->first_ask[k] = c->at_s + c->spread_s * es_rand_double(rand);
    ro->order[k - 1] = k;
  }
  es_rand_free(rand);
  g_qsort_with_data(ro->order, (gint)n, sizeof *ro->order, by_first_ask, ro);
  run->rollover = ro;
  es_sim_timer_add_at(run->sim, c->at_s, on_rollover, ro);
  return TRUE;
}

void es_rollover_free(EsRollover *ro)
{
  if (ro == NULL)
    return;
  g_free(ro->asks);
  g_free(ro->stage);
  g_free(ro->trusted);
  g_free(ro->reissued);
  g_free(ro->first_ask);
  g_free(ro->order);
  g_free(ro);
}

const double *es_rollover_get0_first_asks(const EsRollover *ro) { return ro->first_ask; }

gboolean es_rollover_holds(const EsRollover *ro, guint k)
{
  return ro != NULL && ro->stage[k] != DONE;
}

static void on_renew_now(void *arg)
{
  Ask *a = arg;
  EsRun *run = a->ro->run;
  if (es_enb_renew(run->enbs[a->enb])) {
    a->ro->stage[a->enb] = RENEWING;
    run->made_ahead += es_enb_began_ahead(run->enbs[a->enb]);
  } else {
    finish_rollover(a->ro, a->enb);
  }
}

gboolean es_rollover_enb_done(EsRollover *ro, EsEnb *enb, EsEnbOutcome outcome, X509 *cert)
{
  EsRun *run = ro->run;
  guint k = es_enb_get_number(enb);
  double now = es_engine_now(run->engine);
  if (cert != NULL && isnan(ro->reissued[k])
      && X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(next_root(ro))) == 0)
    ro->reissued[k] = now;
  if (isnan(ro->trusted[k]) && es_enb_trusts_root(enb, next_root(ro)))
    ro->trusted[k] = now;
  switch ((Stage)ro->stage[k]) {
  case WAITING: /* a renewal before its turn: the next one is scheduled as usual */
    if (cert != NULL)
      es_run_schedule_renewal(run, enb, cert);
    return FALSE;
  case ASKING:
    if (es_enb_get_operation(enb) != ES_ENB_ROOT_UPDATE)
      return FALSE;
    if (outcome != ES_ENB_OUTCOME_OK) {
      ro->asks_failed++;
      /* Refused (the update did not check out): final. Cut off: ask again later. */
      if (outcome == ES_ENB_OUTCOME_CERT_REJECTED || now + ro->c->retry_s >= run->sc->stop_time_s) {
        ro->refused += outcome == ES_ENB_OUTCOME_CERT_REJECTED;
        break;
      }
      ro->stage[k] = WAITING;
      es_engine_timer_add(run->engine, ro->c->retry_s, on_ask, &ro->asks[k]);
      return FALSE;
    }
    if (!isnan(ro->trusted[k]) && ro->c->renew && isnan(ro->reissued[k])) {
      /* Its session is still ending: the kur starts once it has. */
      es_engine_timer_add(run->engine, 0, on_renew_now, &ro->asks[k]);
      return FALSE;
    }
    break;
  case RENEWING:
    if (es_enb_get_operation(enb) != ES_ENB_RENEW)
      return FALSE;
    ro->stage[k] = DONE;
    return TRUE; /* the usual end of a renewal: the next one, or finished */
  case DONE:
    return TRUE;
  }
  finish_rollover(ro, k);
  return FALSE;
}

/* ---- results ------------------------------------------------------------------------------ */

typedef struct {
  guint n;
  double *since; /* sorted: time from rollover.at */
} Times;

static Times times_of(const EsRollover *ro, const double *at)
{
  guint enbs = ro->run->sc->enbs;
  Times t = {.since = g_new(double, MAX(enbs, 1))};
  for (guint k = 1; k <= enbs; k++)
    if (!isnan(at[k]))
      t.since[t.n++] = at[k] - ro->c->at_s;
  es_run_sort_times(t.since, t.n);
  return t;
}

static void set_times(EsSummary *s, const char *key, const Times *t)
{
  if (t->n == 0)
    return;
  static const guint ps[] = {50, 90, 99};
  for (guint i = 0; i < G_N_ELEMENTS(ps); i++) {
    g_autofree char *name = g_strdup_printf("rollover.%s.p%u", key, ps[i]);
    es_summary_set_double(s, name, es_run_rank(t->since, t->n, ps[i]));
  }
  g_autofree char *max = g_strdup_printf("rollover.%s.max", key);
  es_summary_set_double(s, max, t->since[t->n - 1]);
}

/* "enb-3 (satellite), enb-9 (fibre), ..." of the first ten eNBs without `at`. */
static char *name_missing(const EsRollover *ro, const double *at, guint *count)
{
  GString *who = g_string_new(NULL);
  *count = 0;
  for (guint k = 1; k <= ro->run->sc->enbs; k++) {
    if (!isnan(at[k]))
      continue;
    if (++*count <= 10)
      g_string_append_printf(who, "%senb-%u (%s)", *count > 1 ? ", " : "", k,
                             es_topology_enb_access(ro->run->topo, k));
  }
  if (*count > 10)
    g_string_append(who, ", ...");
  return g_string_free(who, FALSE);
}

void es_rollover_summarise(EsRollover *ro, EsSummary *s, GPtrArray *messages)
{
  if (ro == NULL)
    return;
  EsRun *run = ro->run;
  Times trust = times_of(ro, ro->trusted), reissue = times_of(ro, ro->reissued);
  es_summary_set_double(s, "rollover.at_s", ro->c->at_s);
  es_summary_set_uint(s, "rollover.enbs", run->sc->enbs);
  es_summary_set_uint(s, "rollover.trusting", trust.n);
  es_summary_set_uint(s, "rollover.not_trusting", run->sc->enbs - trust.n);
  es_summary_set_uint(s, "rollover.reissued", reissue.n);
  es_summary_set_uint(s, "rollover.not_reissued", run->sc->enbs - reissue.n);
  es_summary_set_uint(s, "rollover.genm", ro->asks_made);
  es_summary_set_uint(s, "rollover.genm_failed", ro->asks_failed);
  es_summary_set_uint(s, "rollover.refused", ro->refused);
  set_times(s, "time_to_trust_s", &trust);
  set_times(s, "time_to_reissue_s", &reissue);
  guint missing;
  g_autofree char *who = name_missing(ro, ro->trusted, &missing);
  if (missing > 0) {
    char *text = g_strdup_printf("%u eNBs did not trust the new operator root by the end of the "
                                 "run (cut off, or asking after it): %s", missing, who);
    es_summary_set_string(s, "diagnostics.rollover_not_trusting", text);
    g_ptr_array_add(messages, text);
  }
  g_free(trust.since);
  g_free(reissue.since);
}

char *es_rollover_line(const EsRollover *ro)
{
  if (ro == NULL)
    return NULL;
  Times trust = times_of(ro, ro->trusted), reissue = times_of(ro, ro->reissued);
  guint n = ro->run->sc->enbs;
  GString *line = g_string_new(NULL);
  g_autofree char *at = es_format_duration(ro->c->at_s);
  g_string_append_printf(line, "root rollover at %s: %u of %u eNBs trust the new root", at,
                         trust.n, n);
  if (trust.n > 0)
    g_string_append_printf(line, " (half %.1f s after it, the last %.1f s)",
                           es_run_rank(trust.since, trust.n, 50), trust.since[trust.n - 1]);
  g_string_append_printf(line, ", %u hold a certificate under it", reissue.n);
  if (reissue.n > 0)
    g_string_append_printf(line, " (the last %.1f s after it)", reissue.since[reissue.n - 1]);
  g_free(trust.since);
  g_free(reissue.since);
  return g_string_free(line, FALSE);
}

char *es_rollover_csv(const EsRollover *ro)
{
  if (ro == NULL)
    return NULL;
  GString *csv = g_string_new("enb,access,trusted_s,reissued_s\n");
  for (guint k = 1; k <= ro->run->sc->enbs; k++) {
    g_string_append_printf(csv, "%u,%s,", k, es_topology_enb_access(ro->run->topo, k));
    if (!isnan(ro->trusted[k]))
      g_string_append_printf(csv, "%.6f", ro->trusted[k]);
    g_string_append_c(csv, ',');
    if (!isnan(ro->reissued[k]))
      g_string_append_printf(csv, "%.6f", ro->reissued[k]);
    g_string_append_c(csv, '\n');
  }
  return g_string_free(csv, FALSE);
}
