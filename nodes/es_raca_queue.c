/* The RA/CA in engine time: requests queue for a worker (es_service), are processed after
 * their service time and answered over HTTP; one that finds the queue full gets 503. */
#include "nodes/es_raca_priv.h"

#include <math.h>
#include <string.h>

#include "nodes/es_cmp.h"

void es_raca_job_free(Job *job)
{
  g_bytes_unref(job->request);
  g_bytes_unref(job->response);
  g_clear_error(&job->error);
  g_free(job);
}

static GBytes *process(EsRaca *raca, Job *job, GError **error)
{
  gsize len;
  const guint8 *der = g_bytes_get_data(job->request, &len);
  GBytes *out = es_raca_process_arrived(raca, der, len, job->arrived, error);
  job->hold_s = raca->hold_s;
  return out;
}

static void reply(EsRaca *raca, Job *job, GBytes *rsp, GError *error);

/* An answer held back for the approval delay (raca.poll_threshold): the worker was free
 * meanwhile; the answer leaves now. */
static void on_held(void *arg)
{
  Job *job = arg;
  EsRaca *raca = job->raca;
  job->timer = 0;
  g_hash_table_remove(raca->held, job);
  reply(raca, job, g_steal_pointer(&job->response), NULL);
}

/* minimum_service: the request is processed as soon as a worker takes it; its answer waits
 * for the end of the service time. */
void es_raca_job_started(void *arg, void *data)
{
  Job *job = data;
  job->serving = TRUE;
  if (es_raca_forward_park(arg, job))
    return;
  job->response = process(arg, job, &job->error);
  job->processed = TRUE;
}

/* The service queue (es_service): a request holds a worker for the service time of its
 * type, then is processed (unless it was when the worker took it) and answered; one that
 * finds the queue full gets 503. */
void es_raca_job_done(void *arg, void *data)
{
  Job *job = data;
  EsRaca *raca = arg;
  GError *error = NULL;
  job->serving = FALSE;
  /* An RA's request waits for the CA's answer (es_raca_forward.c), which answers it. */
  if (job->parked == 1 || (!job->processed && es_raca_forward_park(raca, job)))
    return;
  GBytes *rsp = job->processed ? g_steal_pointer(&job->response) : process(raca, job, &error);
  if (job->processed)
    error = g_steal_pointer(&job->error);
  if (rsp != NULL && job->hold_s > 0) {
    job->response = rsp;
    job->raca = raca;
    job->timer = es_engine_timer_add(raca->engine, job->hold_s, on_held, job);
    g_hash_table_add(raca->held, job);
    return;
  }
  reply(raca, job, rsp, error);
}

/* Answers the job's exchange with `rsp`, or an HTTP error for `error`; takes both and frees
 * the job. */
static void reply(EsRaca *raca, Job *job, GBytes *rsp, GError *error)
{
  if (rsp != NULL) {
    gsize n;
    const guint8 *body = g_bytes_get_data(rsp, &n);
    if (raca->predecode != NULL)
      es_predecode_submit(raca->predecode, rsp, FALSE);
    es_engine_reply(raca->engine, job->exchange, 200, "application/pkixcmp", body, n);
    g_bytes_unref(rsp);
  } else if (error->code == ES_RACA_ERROR_UNAVAILABLE) {
    es_engine_reply_unavailable(raca->engine, job->exchange, (guint)ceil(raca->config.retry_after_s));
    g_error_free(error);
  } else {
    int status = error->code == ES_RACA_ERROR_DECODE ? 400 : 500;
    es_engine_reply(raca->engine, job->exchange, status, "text/plain",
                    (const guint8 *)error->message, strlen(error->message));
    g_error_free(error);
  }
  es_raca_job_free(job);
}

void es_raca_queue_changed(void *arg, guint waiting, guint busy, double t)
{
  EsRaca *raca = arg;
  if (raca->observer.queue_changed != NULL)
    raca->observer.queue_changed(raca->observer_arg, raca->index, waiting, busy, t);
}

static double service_mean(const EsRacaConfig *config, int type)
{
  switch (type) {
  case ES_CMP_IR: case ES_CMP_CR: case ES_CMP_P10CR: return config->ir_service_s;
  case ES_CMP_KUR: return config->kur_service_s;
  case ES_CMP_RR: return config->rr_service_s;
  default: return config->certconf_service_s;
  }
}

static void on_request(void *arg, EsExchange *exchange, const char *content_type,
                       const guint8 *body, gsize len)
{
  EsRaca *raca = arg;
  if (!es_engine_content_type_is_cmp(content_type)) {
    static const char msg[] = "expected Content-Type: application/pkixcmp";
    es_engine_reply(raca->engine, exchange, 415, "text/plain", (const guint8 *)msg, sizeof msg - 1);
    return;
  }
  if (raca->store_error != NULL) {
    /* Nothing it would answer could be recorded. */
    es_engine_reply_unavailable(raca->engine, exchange, (guint)ceil(raca->config.retry_after_s));
    return;
  }
  Job *job = g_new0(Job, 1);
  job->exchange = exchange;
  job->request = g_bytes_new(body, len);
  job->arrived = es_raca_wall_now(raca);
  if (!es_service_submit(raca->service, job,
                         service_mean(&raca->config, es_cmp_peek_body_type(body, len)))) {
    es_engine_reply_unavailable(raca->engine, exchange, (guint)ceil(raca->config.retry_after_s));
    es_raca_job_free(job);
  }
}

void es_raca_attach(EsRaca *raca, guint index)
{
  g_return_if_fail(raca->engine != NULL);
  raca->index = index;
  es_engine_server_set(raca->engine, index, on_request, raca);
}

void es_raca_on_request(void *raca, EsExchange *exchange, const char *content_type,
                        const guint8 *body, gsize len)
{
  on_request(raca, exchange, content_type, body, len);
}
