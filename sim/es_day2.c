/* Day 2: a run that starts from an enrolled network (rollout.start = enrolled), whose eNBs
 * renew as their certificates near expiry (enb.renew_before, enb.renew_window). */
#include "sim/es_run_priv.h"

#include <math.h>
#include <time.h>

#include <openssl/err.h>

#include "config/es_streams.h"

/* Engine seconds of a certificate time: wall seconds less scenario.epoch. */
static double engine_time_of(const EsRun *run, const ASN1_TIME *t)
{
  struct tm tm;
  if (!ASN1_TIME_to_tm(t, &tm))
    return NAN;
  return (double)(timegm(&tm) - run->sc->epoch);
}

/* A renewal timer of eNB k: stale once another renewal was scheduled or the certificate it
 * was for was replaced otherwise (a root rollover's kur). */
static void on_renewal_due(void *arg)
{
  EsRunRenewal *r = arg;
  EsRun *run = r->run;
  double now = es_engine_now(run->engine);
  if (!(fabs(r->at - now) < 1e-6)) /* the engine keeps time in nanoseconds */
    return;
  EsEnb *enb = run->enbs[r - run->renewals];
  es_renew_ahead_wait(run->renew_ahead, es_enb_get_number(enb), ES_ENB_RENEW);
  /* In a session of its own (a root update): the renewal waits for it. */
  if (!es_enb_renew(enb) && es_enb_is_active(enb) && now + 60 < run->sc->stop_time_s) {
    r->at = now + 60;
    es_sim_timer_add_at(run->sim, r->at, on_renewal_due, r);
  }
}

gboolean es_run_schedule_renewal(EsRun *run, EsEnb *enb, X509 *cert)
{
  const EsEnbConfig *ec = &run->sc->enb;
  EsRunRenewal *r = &run->renewals[es_enb_get_number(enb)];
  r->at = NAN;
  if (!(ec->renew_before_s > 0))
    return FALSE;
  double expiry = engine_time_of(run, X509_get0_notAfter(cert));
  if (isnan(expiry))
    return FALSE;
  double share = ec->renew_window_s > 0 ? ec->renew_window_s * es_rand_double(run->renew_rand) : 0;
  /* One already past its renewal time (an installed base has some) renews at once. */
  double at = MAX(expiry - ec->renew_before_s - share, es_engine_now(run->engine));
  if (at >= run->sc->stop_time_s)
    return FALSE;
  r->at = at;
  es_sim_timer_add_at(run->sim, at, on_renewal_due, r);
  return TRUE;
}

/* The RA/CAs that must know eNB k's installed certificate: the one it renews with, and in a
 * split PKI the CA behind it. */
static gboolean adopt(EsRun *run, guint k, X509 *cert)
{
  guint r = es_topology_enb_raca(run->topo, k);
  gboolean ok = es_raca_adopt(run->racas[r], cert);
  if (run->n_racas > run->n_ras)
    ok = ok && es_raca_adopt(run->racas[run->n_ras + es_topology_raca_ca(run->topo, r)], cert);
  return ok;
}

static X509_NAME *enb_subject(guint k)
{
  char cn[32];
  g_snprintf(cn, sizeof cn, "enb-%u", k);
  X509_NAME *name = X509_NAME_new();
  /* As an eNB asks for it in its ir (es_enb_session.c). */
  if (name == NULL
      || !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0)
      || !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Operator", -1, -1, 0)) {
    X509_NAME_free(name);
    return NULL;
  }
  return name;
}

gboolean es_run_install(EsRun *run, GError **error)
{
  const EsScenario *sc = run->sc;
  X509 *root = es_pki_get0_operator_root(run->pki);
  EsRand *rand = es_rand_new(sc->seed, ES_STREAM_INSTALLED);
  EsRand *prev = es_rand_set_current(rand);
  gboolean ok = TRUE;
  for (guint k = 1; ok && k <= sc->enbs; k++) {
    /* Whole seconds: a certificate's notBefore has no fraction. */
    gint64 age = (gint64)ceil(sc->rollout.installed_age_s
                              + sc->rollout.installed_over_s * es_rand_double(rand));
    EVP_PKEY *key = run->new_pool != NULL
                        /* Beyond any session's index (es_enb_session.c): a kur's new key differs. */
                        ? es_key_pool_get1_at(run->new_pool, (guint64)k * 7919 + 7918)
                        : es_key_generate(sc->enb.new_key, error);
    X509_NAME *subject = enb_subject(k);
    X509 *cert = key != NULL && subject != NULL
                     ? es_ca_issue(run->ca, subject, key, sc->epoch - age,
                                   (gint64)sc->pki.cert_validity_s, error)
                     : NULL;
    ok = cert != NULL && es_enb_set1_operator(run->enbs[k], cert, key, root) && adopt(run, k, cert);
    if (ok) {
      es_collector_installed(run->collector, k, cert, (double)-age);
      if (!es_run_schedule_renewal(run, run->enbs[k], cert) && !es_rollover_holds(run->rollover, k))
        es_run_finish_enb(run, run->enbs[k], cert);
    } else if (error != NULL && *error == NULL) {
      g_autofree char *why = es_ossl_errors("no memory");
      g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_SETUP, "installing eNB %u's certificate: %s",
                  k, why);
    }
    X509_free(cert);
    X509_NAME_free(subject);
    EVP_PKEY_free(key);
  }
  es_rand_set_current(prev);
  es_rand_free(rand);
  ERR_clear_error();
  return ok;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

void es_run_sort_times(double *v, guint n)
{
  qsort(v, n, sizeof *v, cmp_double);
}

double es_run_rank(const double *sorted, guint n, guint p)
{
  guint rank = (p * n + 99) / 100; /* integers: 90 % of 100 is rank 90, not 91 */
  return sorted[MAX(rank, 1) - 1];
}

typedef struct {
  guint renewed;
  double *lat;          /* sorted */
  double first, last;   /* the first renewal's start, the last one's end */
} Renewals;

/* An installed eNB's row is its renewals': "renewed", timed by the first. */
static void renewals(EsRun *run, Renewals *r)
{
  const EsRecorder *rec = es_collector_get0_recorder(run->collector);
  guint n = es_recorder_get_enbs(rec);
  *r = (Renewals){.lat = g_new(double, MAX(n, 1)), .first = INFINITY, .last = -INFINITY};
  for (guint k = 1; k <= n; k++) {
    const char *o = es_recorder_get_outcome(rec, k);
    double start = es_recorder_get_mark(rec, k, ES_MARK_START);
    double done = es_recorder_get_mark(rec, k, ES_MARK_DONE);
    if (o == NULL || strcmp(o, "renewed") != 0 || isnan(start) || isnan(done))
      continue;
    r->lat[r->renewed++] = done - start;
    r->first = MIN(r->first, start);
    r->last = MAX(r->last, done);
  }
  es_run_sort_times(r->lat, r->renewed);
}

/* A CRL's size in summary.json: `entries_key` and `bytes_key` (none when there is no CRL). */
static void summarise_crl(EsSummary *s, X509_CRL *crl, const char *entries_key,
                          const char *bytes_key)
{
  if (crl == NULL)
    return;
  int listed = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)); /* -1 without entries */
  es_summary_set_uint(s, entries_key, (guint64)MAX(listed, 0));
  int der = i2d_X509_CRL(crl, NULL);
  es_summary_set_uint(s, bytes_key, der > 0 ? (guint64)der : 0);
}

void es_run_summarise_day2(EsRun *run, EsSummary *s)
{
  guint64 installed = es_collector_get_installed(run->collector);
  es_summary_set_uint(s, "certificates.held_expired", run->held_expired);
  summarise_crl(s, run->crl, "crl.entries", "crl.bytes");
  /* After a root rollover, the old key's CRL beside it. */
  summarise_crl(s, run->crl_old_root, "crl.old_root_entries", "crl.old_root_bytes");
  if (installed == 0)
    return;
  Renewals r;
  renewals(run, &r);
  es_summary_set_uint(s, "day2.installed", installed);
  es_summary_set_uint(s, "day2.renewed", r.renewed);
  es_summary_set_uint(s, "day2.not_renewed", installed - r.renewed);
  if (r.renewed > 0) {
    es_summary_set_double(s, "day2.renewal_latency_s.p50", es_run_rank(r.lat, r.renewed, 50));
    es_summary_set_double(s, "day2.renewal_latency_s.p90", es_run_rank(r.lat, r.renewed, 90));
    es_summary_set_double(s, "day2.renewal_latency_s.p99", es_run_rank(r.lat, r.renewed, 99));
    es_summary_set_double(s, "day2.renewal_latency_s.max", r.lat[r.renewed - 1]);
    es_summary_set_double(s, "day2.first_renewal_s", r.first);
    es_summary_set_double(s, "day2.last_renewal_done_s", r.last);
  }
  g_free(r.lat);
}

char *es_run_day2_line(EsRun *run)
{
  if (es_collector_get_installed(run->collector) == 0)
    return NULL;
  Renewals r;
  renewals(run, &r);
  char *line = r.renewed == 0 && !(run->sc->enb.renew_before_s > 0)
      ? g_strdup("renewal: none (enb.renew_before is 0)")
      : r.renewed == 0
      ? g_strdup("renewal: none before scenario.stop_time")
      : g_strdup_printf("renewal (over the %u renewed eNBs, first kur of each): latency p50 %.3f s, "
                        "p90 %.3f s, p99 %.3f s, max %.3f s; kurs from day %.1f to day %.1f",
                        r.renewed, es_run_rank(r.lat, r.renewed, 50), es_run_rank(r.lat, r.renewed, 90),
                        es_run_rank(r.lat, r.renewed, 99), r.lat[r.renewed - 1], r.first / 86400,
                        r.last / 86400);
  g_free(r.lat);
  return line;
}
