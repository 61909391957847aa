/* Delayed delivery (RFC 4210 5.3.22, RFC 9483 4.4): a CA that takes raca.approval_delay to
 * approve a request; a short delay holds the answer back, a longer one is answered `waiting`
 * and the client polls until a pollReq after the approval gets the certificate. */
#include "nodes/es_raca_priv.h"

#include <math.h>

#include <openssl/cmperr.h>
#include <openssl/err.h>

static void backlog_add(EsRaca *raca, int delta)
{
  raca->backlog += delta;
  if (raca->observer.backlog_changed != NULL)
    raca->observer.backlog_changed(raca->observer_arg, raca->index, raca->backlog,
                                   es_raca_now_s(raca));
}

static double approval_delay(EsRaca *raca)
{
  double mean = raca->config.approval_delay_s;
  if (raca->config.approval_dist == ES_SERVICE_FIXED)
    return mean;
  /* Inversion, as for service times; 1 - u is in (0, 1], so the log is finite. */
  return -mean * log(1.0 - es_rand_double(raca->approval_rand));
}

/* When the CA is next there at or after `at`: the end of the outage `at` falls in, repeated
 * because windows may overlap or follow each other. Each step moves past one window's end,
 * so it ends. */
static double ca_back_at(const EsOutages *o, double at)
{
  gboolean moved = o != NULL;
  while (moved) {
    moved = FALSE;
    for (guint i = 0; i < o->n; i++) {
      double end = o->w[i].start_s + o->w[i].duration_s;
      if (at >= o->w[i].start_s && at < end) {
        at = end;
        moved = TRUE;
      }
    }
  }
  return at;
}

gboolean es_raca_approval(Transaction *t, const OSSL_CMP_MSG *req, int cert_req_id,
                          OSSL_CMP_PKISI **waiting)
{
  EsRaca *raca = t->raca;
  const EsOutages *outages = raca->config.ca_outages;
  *waiting = NULL;
  /* Drawn once per transaction: the request handed back by a pollReq is issued at once. */
  if (t->approved || (raca->config.approval_delay_s <= 0 && outages == NULL))
    return FALSE;
  t->approved = TRUE;
  double now = es_raca_now_s(raca);
  /* No draw without a delay: a CA outage alone leaves the approval stream untouched. */
  double delay = raca->config.approval_delay_s > 0 ? approval_delay(raca) : 0;
  /* The approval itself goes on while the CA is away; only the issuing waits for it. */
  double ready = ca_back_at(outages, now + delay);
  gboolean ca_away = ready > now + delay || ca_back_at(outages, now) > now;
  if (!ca_away && delay <= 0)
    return FALSE;
  /* A held answer carries a certificate made now, so the CA being away means `waiting`: the
   * certificate is made when a pollReq after its return hands the request back. */
  if (!ca_away && delay <= raca->config.poll_threshold_s) {
    raca->hold_s = delay;
    return FALSE;
  }
  es_raca_set_waiting(t, OSSL_CMP_MSG_dup(req));
  *waiting = t->waiting_req != NULL
                 ? OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_waiting, 0, "approval pending")
                 : NULL;
  if (*waiting == NULL) {
    /* No memory to keep it: refused, never issued unapproved. */
    es_raca_set_waiting(t, NULL);
    *waiting = OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection,
                                       1 << OSSL_CMP_PKIFAILUREINFO_systemFailure, NULL);
    return TRUE;
  }
  t->cert_req_id = cert_req_id;
  t->ready_s = ready;
  t->last_poll_rep_s = NAN;
  /* The threshold still holds the `waiting` back, as for a long approval. */
  raca->hold_s = MIN(raca->config.poll_threshold_s, ready - now);
  return TRUE;
}

static int poll_refused(const char *why)
{
  ERR_raise_data(ERR_LIB_CMP, CMP_R_UNEXPECTED_PKIBODY, "%s", why);
  return 0;
}

/* Returning 0 makes the library answer with an error message, which ends the transaction
 * (es_raca.c); the saved request goes back to the library only once, so a transaction never
 * issues twice. */
int es_raca_on_poll_req(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int cert_req_id,
                        OSSL_CMP_MSG **cert_req, int64_t *check_after)
{
  Transaction *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
  EsRaca *raca = t->raca;
  (void)req;
  *cert_req = NULL;
  *check_after = 0;
  if (t->refusal != 0)
    return poll_refused(t->refusal_text);
  if (t->waiting_req == NULL)
    return poll_refused("no certificate request is waiting in this transaction");
  if (cert_req_id != t->cert_req_id)
    return poll_refused("pollReq names another certReqId");
  double now = es_raca_now_s(raca);
  double every = ceil(raca->config.check_after_s);
  /* Half the checkAfter we asked for: room for clocks that round, none for hammering. */
  if (!isnan(t->last_poll_rep_s) && now - t->last_poll_rep_s < every / 2)
    return poll_refused("polled before checkAfter");
  /* A later outage stops the issuing too: polled again when it would be over. */
  gboolean ready = raca->config.upstream
                       ? es_raca_forward_ready(t)
                       : now >= t->ready_s && ca_back_at(raca->config.ca_outages, now) <= now;
  if (ready) {
    *cert_req = g_steal_pointer(&t->waiting_req); /* the library processes and frees it */
    backlog_add(raca, -1);
    return 1;
  }
  *check_after = (int64_t)every;
  t->last_poll_rep_s = now;
  return 1;
}

void es_raca_set_waiting(Transaction *t, OSSL_CMP_MSG *req)
{
  gboolean was = t->waiting_req != NULL;
  OSSL_CMP_MSG_free(t->waiting_req);
  t->waiting_req = req;
  if (was != (req != NULL))
    backlog_add(t->raca, req != NULL ? 1 : -1);
}

void es_raca_poll_wait(Transaction *t)
{
  EsRaca *raca = t->raca;
  if (raca->engine == NULL)
    return;
  if (t->confirm_timer != 0)
    es_engine_timer_cancel(raca->engine, t->confirm_timer);
  /* A client that stops polling is waited for as long as for a certConf, counted from when
   * its next pollReq (at the latest after the approval) was due. */
  double due = MAX(t->ready_s - es_raca_now_s(raca), 0) + ceil(raca->config.check_after_s);
  t->confirm_timer = es_engine_timer_add(raca->engine, due + raca->config.confirm_wait_s,
                                         es_raca_confirm_wait_expired, t);
}

void es_raca_held_clear(EsRaca *raca)
{
  if (raca->held == NULL)
    return;
  GHashTableIter it;
  gpointer job;
  g_hash_table_iter_init(&it, raca->held);
  while (g_hash_table_iter_next(&it, &job, NULL)) {
    Job *j = job;
    if (j->timer != 0)
      es_engine_timer_cancel(raca->engine, j->timer);
    g_hash_table_iter_remove(&it);
    es_raca_job_free(j);
  }
  g_hash_table_destroy(g_steal_pointer(&raca->held));
}
