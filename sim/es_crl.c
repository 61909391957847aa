/* Revocations of a run: the rows of revocations.csv and the CRLs the operator CA publishes
 * (raca.crl_interval, and one at the end). */
#include "sim/es_run_priv.h"

/* Every issue and revocation of the run's RA/CAs, for revocations.csv. */
/* Signs a CRL of everything revoked so far, dated now, and notes the revocations it is the
 * first to list. The last one becomes crl.pem. */
gboolean es_run_publish_crl(EsRun *run, GError **error)
{
  double now = es_engine_now(run->engine);
  gint64 wall = run->sc->epoch + (gint64)now;
  X509_CRL *crl = es_ca_get1_crl(run->ca, wall, wall + (gint64)run->sc->raca.crl_validity_s, error);
  if (crl == NULL)
    return FALSE;
  X509_CRL_free(run->crl);
  run->crl = crl;
  /* After a rollover the old key signs on, for the certificates it issued (RFC 4210 4.4). */
  EsCa *old = es_ca_get0_previous(run->ca);
  if (old != NULL) {
    X509_CRL *prev = es_ca_get1_crl(old, wall, wall + (gint64)run->sc->raca.crl_validity_s, error);
    if (prev == NULL)
      return FALSE;
    X509_CRL_free(run->crl_old_root);
    run->crl_old_root = prev;
  }
  es_crl_dist_published(run->crl_dist, crl);
  es_collector_crl_published(run->collector, now);
  return TRUE;
}

/* raca.crl_interval: a CRL at every multiple of the interval (absolute times, so they do not
 * drift). The run ends at es_sim_stop (every eNB finished) or at the stop time, never by
 * running out of events, so this timer, always pending, does not keep it alive. */
static void on_crl_due(void *arg)
{
  EsRun *run = arg;
  GError *error = NULL;
  if (!es_run_publish_crl(run, &error)) {
    if (run->write_error == NULL)
      run->write_error = error;
    else
      g_error_free(error);
  }
  run->crl_ticks++;
  run->crl_timer = es_sim_timer_add_at(run->sim, (run->crl_ticks + 1) * run->sc->raca.crl_interval_s,
                                       on_crl_due, run);
}

void es_run_crl_start(EsRun *run)
{
  if (run->sc->raca.crl_interval_s > 0)
    run->crl_timer = es_sim_timer_add_at(run->sim, run->sc->raca.crl_interval_s, on_crl_due, run);
}
