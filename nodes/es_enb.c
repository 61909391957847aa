/* The eNB: late binding (it trusts the vendor root only and learns the operator root from an
 * ip it authenticated through the cross certificate), then kur and rr under that root. */
#include "nodes/es_enb_priv.h"

#include <math.h>
#include <string.h>

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "config/es_streams.h"
#include "pki/es_clock.h"
#include "nodes/es_cmp.h"
#include "nodes/es_fiber.h"
#include "nodes/es_offload.h"
#include "pki/es_rand.h"

/* Transactions started and not ended in this process (prepared ones do not count). Below
 * OFFLOAD_MIN the event loop has too little else to do before it needs a result, and handing
 * the work over only costs: the region run (1-2 in flight) took 51 s with every resume handed
 * over and 41 s with none; the national one (~10 in flight) 501 s from 4 on, 569 s from 16. */
static gint in_flight;
#define OFFLOAD_MIN 4

static void emit(EsEnb *enb, EsEnbEvent *ev)
{
  if (enb->event_fn == NULL)
    return;
  ev->enb = enb;
  ev->number = enb->number;
  ev->operation = enb->op;
  ev->t = es_engine_now(enb->engine);
  enb->event_fn(enb->event_arg, ev);
}

static void step(EsEnb *enb, EsEnbStep what)
{
  emit(enb, &(EsEnbEvent){.kind = ES_ENB_EVENT_STEP, .step = what});
}

static void retried(EsEnb *enb, EsEnbRetryKind what)
{
  emit(enb, &(EsEnbEvent){.kind = ES_ENB_EVENT_RETRY, .retry = what});
}

/* The session ended; `aborted` when the eNB is freed in the middle of it. */
static void done(EsEnb *enb, EsEnbOutcome outcome, X509 *cert, gboolean aborted)
{
  emit(enb, &(EsEnbEvent){.kind = ES_ENB_EVENT_DONE, .outcome = outcome, .cert = cert,
                          .attempts = enb->attempts, .polls = enb->polls, .aborted = aborted});
}

/* Whole wall-clock seconds at engine time t; with epoch_fraction 0 (simulation) this is
 * epoch + (int)t. */
static gint64 wall_at(const EsEnb *enb, double t)
{
  return enb->config->epoch + (gint64)floor(t + enb->config->epoch_fraction);
}

static gint64 wall_now(EsEnb *enb) { return wall_at(enb, es_engine_now(enb->engine)); }

/* splitmix64: back-off jitter and the CPU factor come from the run's seed and the eNB's
 * number without touching the eNB's randomness stream, which OpenSSL reads. */
static guint64 splitmix(guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static double uniform(guint64 *state)
{
  return (double)(splitmix(state) >> 11) * 0x1.0p-53;
}

static double cpu_factor(const EsEnb *enb)
{
  if (enb->config->cpu_spread <= 0)
    return 1.0;
  guint64 state = enb->config->seed ^ ((guint64)enb->number << 20) ^ G_GUINT64_CONSTANT(0xc0);
  return 1.0 + enb->config->cpu_spread * (2.0 * uniform(&state) - 1.0);
}

/* Modelled CPU time to protect a request (and first make a key pair for it), this eNB's. */
static double request_cpu_s(const EsEnb *enb, gboolean new_key)
{
  return (enb->config->sign_s + (new_key ? enb->config->keygen_s : 0)) * cpu_factor(enb);
}

/* The wait before retry k (1, 2, ...): exponential, capped, jittered. */
static double backoff(EsEnb *enb, guint k)
{
  const EsEnbConfig *c = enb->config;
  double wait = MIN(c->backoff_s * ldexp(1.0, (int)MIN(k, 64u) - 1), c->backoff_max_s);
  return wait * (1.0 + c->backoff_jitter * (2.0 * uniform(&enb->jitter) - 1.0));
}

static void enrolment_free(EsEnb *enb)
{
  Enrolment *e = enb->e;
  if (e->timer != 0)
    es_engine_timer_cancel(enb->engine, e->timer);
  if (e->channel != NULL)
    es_channel_close(e->channel, enb->engine);
  enb->stack_used = MAX(enb->stack_used, es_fiber_stack_used(e->fiber));
  es_fiber_free(e->fiber);
  es_rand_free(e->rand);
  X509_STORE_free(e->trust);
  if (e->request != NULL)
    g_bytes_unref(e->request);
  if (e->response != NULL)
    g_bytes_unref(e->response);
  X509_free(e->cert);
  EVP_PKEY_free(e->new_key);
  X509_free(e->root);
  if (e->counted)
    g_atomic_int_add(&in_flight, -1);
  g_free(e);
  enb->e = NULL;
}

static void begin_transaction(EsEnb *enb, EsEnbOperation op);

static void on_restart_due(void *arg)
{
  EsEnb *enb = arg;
  enb->restart_timer = 0;
  begin_transaction(enb, enb->op);
}

gboolean es_enb_outcome_is_transient(EsEnbOutcome outcome)
{
  return outcome == ES_ENB_OUTCOME_TIMEOUT || outcome == ES_ENB_OUTCOME_TRANSPORT_ERROR
         || outcome == ES_ENB_OUTCOME_HTTP_ERROR;
}

/* A transaction that failed because the network or the RA/CA was not there is followed by
 * a new one while the session is younger than enb.give_up_after: deployed eNBs do not stop
 * trying. A refusal (a CMP error, a response or certificate that does not verify) is final. */
static gboolean keeps_trying(const EsEnb *enb)
{
  const Enrolment *e = enb->e;
  if (e->aborting || e->cert != NULL)
    return FALSE;
  if (e->restarting)
    return TRUE;
  return es_enb_outcome_is_transient(e->outcome) && enb->op != ES_ENB_REVOKE
         && es_engine_now(enb->engine) - enb->session_start_s < enb->config->give_up_after_s;
}

static void finish(EsEnb *enb)
{
  Enrolment *e = enb->e;
  if (keeps_trying(enb)) {
    /* The transaction is abandoned, its fiber and OpenSSL state gone; a fresh one (new
     * transactionID, new key) begins after the back-off. */
    enb->abandoned++;
    retried(enb, ES_ENB_RETRY_ABANDONED);
    enrolment_free(enb);
    enb->restart_timer = es_engine_timer_add(enb->engine, backoff(enb, enb->abandoned),
                                             on_restart_due, enb);
    return;
  }
  es_enb_keep_credential(enb);
  if (!e->prepared)
    done(enb, e->outcome, e->cert, e->aborting); /* a prepared, never started one left no trace */
  enrolment_free(enb);
}

static void on_send_due(void *arg);
static void run(EsEnb *enb);

static void on_poll_due(void *arg)
{
  EsEnb *enb = arg;
  enb->e->timer = 0;
  run(enb);
}

/* The fiber got a pollRep: it polls again after checkAfter, in engine time, unless that
 * would pass enb.max_polls or enb.total_timeout. */
static void poll_later(EsEnb *enb)
{
  Enrolment *e = enb->e;
  const EsEnbConfig *c = enb->config;
  double next = es_engine_now(enb->engine) + e->poll_wait_s;
  if (e->polls >= c->max_polls
      || (c->total_timeout_s > 0 && next - enb->session_start_s > c->total_timeout_s)) {
    e->stop_polling = TRUE;
    run(enb);
    return;
  }
  e->timer = es_engine_timer_add(enb->engine, e->poll_wait_s, on_poll_due, enb);
}

/* Resumes the fiber with this eNB's randomness, at the wall-clock second e->wall: on the
 * engine's thread or the offload thread, which must not touch the engine. */
static void resume(void *arg)
{
  EsEnb *enb = arg;
  Enrolment *e = enb->e;
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(e->trust), (time_t)e->wall);
  EsRand *prev = e->rand != NULL ? es_rand_set_current(e->rand) : NULL;
  es_clock_fix_thread(e->wall);
  ERR_clear_error();
  es_fiber_resume(e->fiber);
  ERR_clear_error();
  g_free(es_cmp_take_last_error());
  es_clock_unfix_thread();
  if (e->rand != NULL)
    es_rand_set_current(prev);
}

/* Resumes the fiber now, then acts on what it left: a request to send after the CPU time
 * that protecting it takes, or the end of the session. */
static void run(EsEnb *enb)
{
  Enrolment *e = enb->e;
  e->wall = wall_now(enb);
  resume(enb);
  if (es_fiber_is_finished(e->fiber)) {
    finish(enb);
    return;
  }
  if (e->aborting)
    return;
  if (e->poll_due) {
    poll_later(enb);
    return;
  }
  /* Protecting the request costs CPU time; the first one also pays for the new key. */
  gboolean new_key = e->request_type == ES_CMP_IR || e->request_type == ES_CMP_CR
                     || e->request_type == ES_CMP_KUR;
  e->timer = es_engine_timer_add(enb->engine, request_cpu_s(enb, new_key), on_send_due, enb);
}

static void on_resumed(void *arg)
{
  EsEnb *enb = arg;
  Enrolment *e = enb->e;
  e->timer = 0;
  if (e->job != NULL)
    es_offload_wait(enb->config->offload, g_steal_pointer(&e->job));
  if (es_fiber_is_finished(e->fiber)) {
    finish(enb);
    return;
  }
  on_send_due(enb);
}

/* A resume whose work is modelled CPU time (new key pair, protecting the ir or the
 * certConf): it starts now, on the offload thread if there is one and enough eNBs are busy,
 * and what it leaves takes effect cpu_s later. Crypto of many eNBs thus runs beside the event
 * loop, and results stay those of running it right here. */
static void run_ahead(EsEnb *enb, double cpu_s)
{
  Enrolment *e = enb->e;
  e->wall = wall_now(enb);
  if (enb->config->offload != NULL && g_atomic_int_get(&in_flight) >= OFFLOAD_MIN)
    e->job = es_offload_submit(enb->config->offload, resume, enb);
  else
    resume(enb);
  e->timer = es_engine_timer_add(enb->engine, cpu_s, on_resumed, enb);
}

static void drop_channel(EsEnb *enb)
{
  Enrolment *e = enb->e;
  if (e->channel != NULL)
    es_channel_close(e->channel, enb->engine);
  e->channel = NULL;
}

/* No usable answer to the request (timeout or transport failure): send it again, abandon the
 * transaction for a new one, or let the session fail with `reason`. */
static void retry_or_fail(EsEnb *enb, EsEnbOutcome reason)
{
  Enrolment *e = enb->e;
  const EsEnbConfig *c = enb->config;
  drop_channel(enb); /* the connection may be what is broken */
  if (c->retry == ES_ENB_RESEND && e->sends < c->max_attempts) {
    e->timer = es_engine_timer_add(enb->engine, backoff(enb, e->sends), on_send_due, enb);
    return;
  }
  e->failure = reason;
  e->restarting = c->retry == ES_ENB_RESTART && enb->abandoned + 1 < c->max_attempts;
  run(enb);
}

static void on_timeout(void *arg)
{
  EsEnb *enb = arg;
  enb->e->timer = 0;
  retry_or_fail(enb, ES_ENB_OUTCOME_TIMEOUT);
}

/* A 503 is waited out while the session is younger than enb.give_up_after (with 0s, at most
 * enb.max_attempts times for one message); past that it is an HTTP error like any other. */
static gboolean busy_retry_allowed(const EsEnb *enb)
{
  const EsEnbConfig *c = enb->config;
  if (c->max_attempts <= 1)
    return FALSE;
  if (c->give_up_after_s > 0)
    return es_engine_now(enb->engine) - enb->session_start_s < c->give_up_after_s;
  return enb->e->busy_retries < c->max_attempts;
}

static void on_response(void *arg, const EsResponse *r)
{
  EsEnb *enb = arg;
  Enrolment *e = enb->e;
  es_engine_timer_cancel(enb->engine, e->timer);
  e->timer = 0;
  if (r->error != NULL) {
    retry_or_fail(enb, ES_ENB_OUTCOME_TRANSPORT_ERROR);
    return;
  }
  if (r->http_status == 503 && busy_retry_allowed(enb)) {
    /* The RA/CA's queue is full: it did not process the request, so the same bytes go again
     * once the wait it asked for is over (never sooner; jitter spreads the returning eNBs). */
    double wait = r->retry_after_s > 0 ? r->retry_after_s : backoff(enb, 1);
    retried(enb, ES_ENB_RETRY_BUSY);
    e->busy = TRUE;
    e->busy_retries++;
    e->timer = es_engine_timer_add(enb->engine,
                                   wait * (1.0 + enb->config->backoff_jitter * uniform(&enb->jitter)),
                                   on_send_due, enb);
    return;
  }
  g_clear_pointer(&e->request, g_bytes_unref);
  if (r->http_status != 200) {
    e->failure = ES_ENB_OUTCOME_HTTP_ERROR;
  } else {
    e->response = g_bytes_new(r->body, r->len);
    int type = es_cmp_peek_body_type(r->body, r->len);
    if (type == ES_CMP_IP || type == ES_CMP_CP || type == ES_CMP_KUP) {
      /* Checked, then confirmed with a signed certConf (or refused, as it turns out). */
      step(enb, ES_ENB_STEP_RESPONSE_RECEIVED);
      run_ahead(enb, request_cpu_s(enb, FALSE));
      return;
    }
    if (type == ES_CMP_PKICONF && e->request_type == ES_CMP_CERTCONF)
      step(enb, ES_ENB_STEP_PKICONF_RECEIVED);
  }
  run(enb);
}

static void on_send_due(void *arg)
{
  EsEnb *enb = arg;
  Enrolment *e = enb->e;
  e->timer = 0;
  if (e->channel == NULL)
    e->channel = es_engine_channel_open(enb->engine, enb->number);
  if (e->request_type == ES_CMP_IR || e->request_type == ES_CMP_KUR) {
    if (!e->busy)
      enb->attempts++;
    step(enb, ES_ENB_STEP_IR_SENT);
  } else if (e->request_type == ES_CMP_CERTCONF) {
    step(enb, ES_ENB_STEP_CERTCONF_SENT);
  }
  if (e->request_type == ES_CMP_POLLREQ && e->sends == 0 && !e->busy) {
    e->polls++;
    enb->polls++;
  }
  if (e->busy)
    e->busy = FALSE; /* a request the RA/CA refused unread does not use up an attempt */
  else if (e->sends++ > 0)
    retried(enb, ES_ENB_RETRY_RESEND);
  gsize len;
  const guint8 *der = g_bytes_get_data(e->request, &len);
  e->timer = es_engine_timer_add(enb->engine, enb->config->msg_timeout_s, on_timeout, enb);
  es_enb_submit_request(enb, FALSE);
  es_channel_post(e->channel, enb->engine, "application/pkixcmp", der, len, on_response, enb);
}

EsEnb *es_enb_new(guint number, const EsEnbConfig *config, const EsPki *pki,
                  EsEngine *engine)
{
  EsEnb *enb = g_new0(EsEnb, 1);
  enb->number = number;
  enb->config = config;
  enb->pki = pki;
  enb->engine = engine;
  return enb;
}

void es_enb_set_event_cb(EsEnb *enb, EsEnbEventFn fn, void *arg)
{
  enb->event_fn = fn;
  enb->event_arg = arg;
}

gboolean es_enb_holds_device(const EsEnb *enb)
{
  return enb->device_cert != NULL;
}

void es_enb_set1_device(EsEnb *enb, X509 *cert, EVP_PKEY *key)
{
  es_x509_ref(cert);
  es_pkey_ref(key);
  X509_free(enb->device_cert);
  EVP_PKEY_free(enb->device_key);
  enb->device_cert = cert;
  enb->device_key = key;
}

/* Lets OpenSSL unwind and free the frames of enb->e: every further transfer fails at once. A
 * session prepared but never started leaves no trace in the results. */
static void unwind(EsEnb *enb)
{
  Enrolment *e = enb->e;
  e->aborting = TRUE;
  e->failure = ES_ENB_OUTCOME_UNFINISHED;
  if (e->timer != 0)
    es_engine_timer_cancel(enb->engine, e->timer);
  e->timer = 0;
  if (e->job != NULL)
    es_offload_wait(enb->config->offload, g_steal_pointer(&e->job));
  while (enb->e != NULL) {
    if (es_fiber_is_finished(e->fiber))
      finish(enb);
    else
      run(enb);
  }
}

/* The kur made ahead (enb->next) goes unsent, as if never made: it was the last session made,
 * since making another drops it first, so its number is given back. */
void es_enb_drop_next(EsEnb *enb)
{
  Enrolment *current = enb->e;
  EsEnbOperation op = enb->op;
  if (enb->next == NULL)
    return;
  enb->e = g_steal_pointer(&enb->next);
  enb->op = ES_ENB_RENEW;
  if (enb->e->submitted)
    es_predecode_withdraw(enb->config->predecode, enb->e->request);
  unwind(enb);
  enb->e = current;
  enb->op = op;
  enb->sessions--;
}

/* A transaction's state: its own fiber, OpenSSL context and randomness stream. FALSE (and no
 * enrolment) when there is no memory for a fiber or its trust store. Touches neither engine nor
 * event callback, so a factory thread may call it for an eNB not yet powered on. */
static gboolean new_transaction(EsEnb *enb, EsEnbOperation op)
{
  es_enb_drop_next(enb);
  enb->op = op;
  Enrolment *e = g_new0(Enrolment, 1);
  enb->e = e;
  e->trust = X509_STORE_new();
  e->fiber = es_fiber_new(ES_FIBER_STACK_SIZE, es_enb_session, enb, NULL);
  EsEnbRoots *roots = enb->config->roots;
  X509 *root = op == ES_ENB_ENROL ? NULL : es_enb_roots_get1_cert(roots, enb->op_root);
  X509 *next = op == ES_ENB_ENROL ? NULL : es_enb_roots_get1_cert(roots, enb->op_root_next);
  gboolean ok = e->trust != NULL && e->fiber != NULL
                && X509_STORE_add_cert(e->trust, op == ES_ENB_ENROL
                                                     ? es_pki_get0_vendor_root(enb->pki) : root)
                && (enb->op_root_next == NULL || X509_STORE_add_cert(e->trust, next));
  X509_free(next);
  if (!ok) {
    /* Out of memory or mappings: no session at all (the caller reports internal_error)
     * rather than one with no trust anchor. */
    X509_free(root);
    X509_STORE_free(e->trust);
    es_fiber_free(e->fiber);
    g_free(e);
    enb->e = NULL;
    ERR_clear_error(); /* this thread's: the factory's or the engine's */
    return FALSE;
  }
  X509_free(root);
  /* The first session reads stream <number>, as every simulated run always has; later
   * ones get streams of their own, or a kur would make the ir's key pair again. */
  if (enb->config->deterministic)
    e->rand = es_rand_new(enb->config->seed, ES_STREAM_ENB(enb->number, enb->sessions));
  enb->sessions++;
  return TRUE;
}

/* The first request of a transaction comes with a new key pair: an ir's or a kur's. */
static double first_cpu_s(const EsEnb *enb, EsEnbOperation op)
{
  return request_cpu_s(enb, op == ES_ENB_ENROL || op == ES_ENB_RENEW);
}

static void count_in_flight(EsEnb *enb)
{
  enb->e->counted = TRUE;
  g_atomic_int_inc(&in_flight);
}

static void begin_transaction(EsEnb *enb, EsEnbOperation op)
{
  /* The recorder keeps the first: an enrolment's row is its enrolment's, an installed eNB's
   * its first renewal's. The step carries this session's operation (a root update's is not a
   * row's), not the last one's. */
  enb->op = op;
  step(enb, ES_ENB_STEP_START);
  if (!new_transaction(enb, op)) {
    done(enb, ES_ENB_OUTCOME_INTERNAL_ERROR, NULL, FALSE);
    return;
  }
  count_in_flight(enb);
  run_ahead(enb, first_cpu_s(enb, op));
}

/* `now_s`: engine time the session begins (a factory thread must not ask the engine). */
static void reset_session(EsEnb *enb, double now_s)
{
  enb->attempts = 0;
  enb->polls = 0;
  enb->session_start_s = now_s;
  enb->abandoned = 0;
  enb->jitter = enb->config->seed * G_GUINT64_CONSTANT(0x2545f4914f6cdd1d)
                ^ ((guint64)enb->number << 24) ^ enb->sessions;
}

static gboolean start_session(EsEnb *enb, EsEnbOperation op)
{
  if (es_enb_is_active(enb) || (op != ES_ENB_ENROL && enb->op_cert == NULL))
    return FALSE;
  reset_session(enb, es_engine_now(enb->engine));
  begin_transaction(enb, op);
  return TRUE;
}

static gboolean prepare(EsEnb *enb, EsEnbOperation op, double at_s)
{
  if (es_enb_is_active(enb) || (op != ES_ENB_ENROL && enb->op_cert == NULL))
    return FALSE;
  reset_session(enb, at_s);
  if (!new_transaction(enb, op))
    return FALSE;
  enb->e->prepared = TRUE;
  enb->e->wall = wall_at(enb, at_s);
  resume(enb);
  es_enb_submit_request(enb, TRUE); /* long before it leaves: its decoding is then never waited for */
  return TRUE;
}

gboolean es_enb_prepare(EsEnb *enb, double at_s) { return prepare(enb, ES_ENB_ENROL, at_s); }

gboolean es_enb_prepare_renewal(EsEnb *enb, double at_s)
{
  return prepare(enb, ES_ENB_RENEW, at_s);
}

/* The kur that follows the root update prepared in enb->e, made ahead for the same wall-clock
 * second (its messageTime): es_enb_renew sends it if it begins within that second, else it is
 * dropped unsent. Its trust store gets the new root when it begins. */
static void prepare_next(EsEnb *enb, double at_s)
{
  Enrolment *genm = enb->e;
  EsEnbOperation op = enb->op;
  enb->e = NULL;
  if (new_transaction(enb, ES_ENB_RENEW)) {
    enb->e->prepared = TRUE;
    enb->e->wall = wall_at(enb, at_s);
    resume(enb);
    es_enb_submit_request(enb, TRUE);
    enb->next = enb->e;
  }
  enb->e = genm;
  enb->op = op;
}

gboolean es_enb_prepare_root_update(EsEnb *enb, double at_s, gboolean then_renew)
{
  if (!prepare(enb, ES_ENB_ROOT_UPDATE, at_s))
    return FALSE;
  if (then_renew && enb->op_root_next == NULL)
    prepare_next(enb, at_s);
  return TRUE;
}

/* The kur made ahead becomes the session that begins now, if it was made for this wall-clock
 * second; with the root learnt since trusted, as in a kur made now (after the old root). */
static void take_next(EsEnb *enb)
{
  Enrolment *spare = enb->next;
  if (spare == NULL || spare->wall != wall_now(enb))
    return; /* dropped when the kur is made */
  X509 *root = es_enb_roots_get1_cert(enb->config->roots, enb->op_root_next);
  gboolean ok = enb->op_root_next == NULL
                || (root != NULL && X509_STORE_add_cert(spare->trust, root));
  X509_free(root);
  if (!ok) {
    ERR_clear_error();
    return;
  }
  enb->next = NULL;
  enb->e = spare;
  enb->op = ES_ENB_RENEW;
  spare->taken_ahead = TRUE;
  reset_session(enb, es_engine_now(enb->engine));
}

/* Begins an `op` session now: the one prepared for it, if any, whose request takes effect its
 * CPU time after now, as with run_ahead. */
static gboolean start(EsEnb *enb, EsEnbOperation op)
{
  if (op == ES_ENB_RENEW && !es_enb_is_active(enb))
    take_next(enb);
  Enrolment *e = enb->e;
  if (e == NULL || !e->prepared || enb->op != op)
    return start_session(enb, op);
  e->prepared = FALSE;
  count_in_flight(enb);
  step(enb, ES_ENB_STEP_START);
  e->timer = es_engine_timer_add(enb->engine, first_cpu_s(enb, op), on_resumed, enb);
  return TRUE;
}

gboolean es_enb_start(EsEnb *enb) { return start(enb, ES_ENB_ENROL); }

gboolean es_enb_renew(EsEnb *enb) { return start(enb, ES_ENB_RENEW); }

gboolean es_enb_update_root(EsEnb *enb) { return start(enb, ES_ENB_ROOT_UPDATE); }

gboolean es_enb_revoke(EsEnb *enb, int reason)
{
  if (es_enb_is_active(enb))
    return FALSE;
  enb->revoke_reason = reason;
  return start_session(enb, ES_ENB_REVOKE);
}

EsEnbOperation es_enb_get_operation(const EsEnb *enb) { return enb->op; }

void es_enb_set1_new_key(EsEnb *enb, EVP_PKEY *key)
{
  if (key != NULL)
    es_pkey_ref(key);
  EVP_PKEY_free(enb->given_new_key);
  enb->given_new_key = key;
}

gboolean es_enb_has_operator_cert(const EsEnb *enb) { return enb->op_cert != NULL; }

X509 *es_enb_get1_operator_cert(const EsEnb *enb) { return es_enb_cert_of_der(enb->op_cert); }

EVP_PKEY *es_enb_get1_operator_key(const EsEnb *enb) { return es_key_import(enb->op_key); }

gboolean es_enb_is_active(const EsEnb *enb) { return enb->e != NULL || enb->restart_timer != 0; }

gboolean es_enb_began_ahead(const EsEnb *enb) { return enb->e != NULL && enb->e->taken_ahead; }

guint es_enb_get_number(const EsEnb *enb) { return enb->number; }

gsize es_enb_get_stack_used(const EsEnb *enb) { return enb->stack_used; }

void es_enb_free(EsEnb *enb)
{
  if (enb == NULL)
    return;
  if (enb->restart_timer != 0) {
    /* Between two transactions: the session ends unfinished, as one in flight would. */
    es_engine_timer_cancel(enb->engine, enb->restart_timer);
    enb->restart_timer = 0;
    done(enb, ES_ENB_OUTCOME_UNFINISHED, NULL, TRUE);
  }
  if (enb->e != NULL)
    unwind(enb);
  es_enb_drop_next(enb);
  X509_free(enb->device_cert);
  EVP_PKEY_free(enb->device_key);
  EVP_PKEY_free(enb->given_new_key);
  es_enb_set_operator(enb, NULL, NULL, NULL);
  g_clear_pointer(&enb->op_root_next, g_bytes_unref);
  g_free(enb);
}
