/* The RA of a split PKI (raca.upstream): a request it has verified goes on to the CA behind it
 * as a request of the RA's own, protected by the RA's key with POP raVerified (RFC 9483 5.2),
 * made by OpenSSL's client in a fiber. The eNB's answer waits up to raca.poll_threshold for the
 * CA's, then is `waiting` and the eNB polls; the eNB's verdict in its certConf goes on in the
 * RA's certConf, so the CA revokes a certificate the eNB did not take. */
#include "nodes/es_raca_priv.h"

#include <math.h>
#include <string.h>

#include <openssl/cmperr.h>
#include <openssl/crmf.h>
#include <openssl/err.h>

#include "config/es_streams.h"
#include "nodes/es_fiber.h"

/* Posts of one request after a connection failed, before the RA gives up on the CA (TCP
 * already resends what a link loses; this covers connections that break). A 503 is the CA's
 * back-pressure and is waited out as long as the eNB still waits. */
#define UPSTREAM_SENDS 5

struct Upstream {
  EsRaca *raca;
  GBytes *id;              /* the eNB's transactionID: its key in raca->upstreams */
  int type;                /* what goes to the CA: ES_CMP_IR, ES_CMP_CR or ES_CMP_KUR */
  X509_NAME *subject;
  EVP_PKEY *pubkey;
  X509 *old;               /* kur: the certificate the new one replaces */
  EsFiber *fiber;
  EsChannel *channel;
  GBytes *request;         /* the fiber's request, posted from the main stack */
  GBytes *response;        /* the CA's answer for the fiber; NULL: the exchange failed ... */
  char *transport_error;   /* ... for this reason */
  guint sends;
  double sleep_s;          /* the fiber polls the CA again after this (its checkAfter) */
  guint64 timer;           /* a sleep, a resend or a verdict on its way to the fiber */
  guint64 release_timer;   /* the CA answered: parked jobs go on */
  gboolean done;           /* the CA answered for good: `cert`, or `failure` ... */
  gboolean released;
  X509 *cert;
  char *failure;
  int fail_info;           /* ... with the failInfo bit the eNB gets */
  gboolean verdict_due;    /* the fiber waits in its certConf callback for the eNB's verdict */
  gboolean consumed;       /* the eNB's transaction ended and gave its verdict: */
  int verdict;             /* 0 it took the certificate, else the failInfo bits of the RA's
                            * rejection ... */
  const char *verdict_text;/* ... and why (a revocation cause name, static) */
  gboolean finished;       /* the fiber returned */
  gboolean releasing;      /* on_release runs: the jobs it processes must not free it */
  gboolean aborting;       /* the RA is going */
  GPtrArray *parked;       /* Jobs waiting for the CA's answer */
};

static void upstream_free(Upstream *u)
{
  EsEngine *engine = u->raca->engine;
  if (u->timer != 0)
    es_engine_timer_cancel(engine, u->timer);
  if (u->release_timer != 0)
    es_engine_timer_cancel(engine, u->release_timer);
  if (u->channel != NULL)
    es_channel_close(u->channel, engine);
  for (guint i = 0; i < u->parked->len; i++) {
    Job *job = g_ptr_array_index(u->parked, i);
    if (job->timer != 0)
      es_engine_timer_cancel(engine, job->timer);
    job->timer = 0;
    job->parked = 2;
    job->upstream = NULL;
    /* Unanswered: the engine frees its exchange; one still in service is the service's. */
    if (!job->serving)
      es_raca_job_free(job);
  }
  g_ptr_array_unref(u->parked);
  es_fiber_free(u->fiber);
  g_bytes_unref(u->id);
  X509_NAME_free(u->subject);
  EVP_PKEY_free(u->pubkey);
  X509_free(u->old);
  X509_free(u->cert);
  if (u->request != NULL)
    g_bytes_unref(u->request);
  if (u->response != NULL)
    g_bytes_unref(u->response);
  g_free(u->transport_error);
  g_free(u->failure);
  g_free(u);
}

static void drive(Upstream *u);

static void on_wake(void *arg)
{
  Upstream *u = arg;
  u->timer = 0;
  drive(u);
}

/* Gone once its session is over and the eNB's transaction no longer needs it. */
static void maybe_free(Upstream *u)
{
  if (u->finished && u->consumed && u->release_timer == 0 && !u->releasing)
    g_hash_table_remove(u->raca->upstreams, u->id);
}

/* The eNB's verdict (or, `cause` >= 0, why there is none), for the RA's certConf. */
static void settle(Upstream *u, int cause)
{
  if (u->consumed)
    return;
  u->consumed = TRUE;
  u->verdict = cause < 0 ? 0 : 1 << OSSL_CMP_PKIFAILUREINFO_badRequest;
  u->verdict_text = cause < 0 ? NULL : es_raca_revoke_cause_name((EsRacaRevokeCause)cause);
  if (u->verdict_due && u->timer == 0)
    u->timer = es_engine_timer_add(u->raca->engine, 0, on_wake, u);
  maybe_free(u);
}

void es_raca_forward_init(EsRaca *raca)
{
  raca->upstreams = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, NULL,
                                          (GDestroyNotify)upstream_free);
  raca->upstream_rand = es_rand_new(raca->config.seed, ES_STREAM_RACA_UPSTREAM);
}

/* Runs inside the fiber: the request goes out from the main stack, the answer comes back. */
static OSSL_CMP_MSG *transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
  Upstream *u = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
  unsigned char *der = NULL;
  int len = u->aborting ? 0 : i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);
  if (len <= 0) {
    ERR_raise_data(ERR_LIB_CMP, CMP_R_TRANSFER_ERROR, "%s", u->aborting ? "the RA stopped"
                                                                        : "request not encoded");
    return NULL;
  }
  u->request = g_bytes_new(der, (gsize)len);
  u->sends = 0;
  OPENSSL_free(der);
  es_fiber_yield();
  if (u->response == NULL) {
    ERR_raise_data(ERR_LIB_CMP, CMP_R_TRANSFER_ERROR, "%s",
                   u->transport_error != NULL ? u->transport_error : "the RA stopped");
    return NULL;
  }
  gsize n;
  const unsigned char *p = g_bytes_get_data(u->response, &n);
  OSSL_CMP_MSG *rsp = d2i_OSSL_CMP_MSG(NULL, &p, (long)n);
  g_clear_pointer(&u->response, g_bytes_unref);
  if (rsp == NULL)
    ERR_raise_data(ERR_LIB_CMP, CMP_R_TRANSFER_ERROR, "the CA's answer is not a CMP message");
  return rsp;
}

/* Inside the fiber: the CA's certificate came. It is the eNB's answer now; the RA's certConf
 * waits for the eNB's own (or for the end of its transaction). */
static int on_ca_cert(OSSL_CMP_CTX *ctx, X509 *cert, int fail_info, const char **text)
{
  Upstream *u = OSSL_CMP_CTX_get_certConf_cb_arg(ctx);
  u->done = TRUE;
  if (fail_info != 0) {
    /* OpenSSL found it does not match the request (its key, its subject). */
    u->failure = g_strdup("the CA's certificate does not match the request");
    u->fail_info = OSSL_CMP_PKIFAILUREINFO_badCertTemplate;
    return fail_info;
  }
  u->cert = es_x509_ref(cert);
  if (!u->consumed && !u->aborting) {
    u->verdict_due = TRUE;
    es_fiber_yield();
    u->verdict_due = FALSE;
  }
  if (!u->consumed) {
    *text = "the RA stopped";
    return 1 << OSSL_CMP_PKIFAILUREINFO_systemUnavail;
  }
  *text = u->verdict_text;
  return u->verdict;
}

/* The lowest failInfo bit the CA set, or `otherwise`. */
static int first_fail_bit(int bits, int otherwise)
{
  if (bits <= 0)
    return otherwise;
  for (int b = 0; b <= OSSL_CMP_PKIFAILUREINFO_MAX; b++)
    if (bits & (1 << b))
      return b;
  return otherwise;
}

static void session(void *arg)
{
  Upstream *u = arg;
  EsRaca *raca = u->raca;
  OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
  X509_STORE *trust = raca->operator_trust;
  gboolean ok = ctx != NULL && X509_STORE_up_ref(trust);
  if (ok && !OSSL_CMP_CTX_set0_trustedStore(ctx, trust)) {
    X509_STORE_free(trust);
    ok = FALSE;
  }
  ok = ok && OSSL_CMP_CTX_set_transfer_cb(ctx, transfer)
       && OSSL_CMP_CTX_set_transfer_cb_arg(ctx, u)
       && OSSL_CMP_CTX_set_certConf_cb(ctx, on_ca_cert)
       && OSSL_CMP_CTX_set_certConf_cb_arg(ctx, u)
       && OSSL_CMP_CTX_set1_cert(ctx, es_pki_get0_raca_cert(raca->pki))
       && OSSL_CMP_CTX_set1_pkey(ctx, es_pki_get0_raca_key(raca->pki))
       && OSSL_CMP_CTX_set1_subjectName(ctx, u->subject)
       && (u->old == NULL || OSSL_CMP_CTX_set1_oldCert(ctx, u->old))
       /* The RA checked the eNB's proof of possession; the CA takes its word for it. */
       && OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_POPO_METHOD, OSSL_CRMF_POPO_RAVERIFIED)
       && EVP_PKEY_up_ref(u->pubkey);
  if (ok && !OSSL_CMP_CTX_set0_newPkey(ctx, 0, u->pubkey)) {
    EVP_PKEY_free(u->pubkey);
    ok = FALSE;
  }
  if (ok) {
    es_cmp_ctx_quiet(ctx);
    int check_after = 0;
    while (OSSL_CMP_try_certreq(ctx, u->type, NULL, &check_after) == -1) {
      /* The CA answered `waiting`: poll it after its checkAfter, in engine time. */
      u->sleep_s = MAX(check_after, 1);
      es_fiber_yield();
      if (u->aborting || (u->consumed && !u->done)) {
        OSSL_CMP_try_certreq(ctx, -1, NULL, &check_after); /* tells the CA: polling aborted */
        break;
      }
    }
  }
  if (!u->done) {
    /* No certificate: the CA refused, or could not be reached. */
    char *why = es_cmp_take_last_error();
    int status = ctx != NULL ? OSSL_CMP_CTX_get_status(ctx) : -1;
    if (status == OSSL_CMP_PKISTATUS_rejection) {
      u->failure = g_strdup_printf("the CA refused: %s", why != NULL ? why : "rejection");
      u->fail_info = first_fail_bit(OSSL_CMP_CTX_get_failInfoCode(ctx),
                                    OSSL_CMP_PKIFAILUREINFO_badRequest);
    } else {
      u->failure = g_strdup_printf("the CA could not be reached: %s",
                                   u->transport_error != NULL ? u->transport_error
                                   : why != NULL ? why : "no answer");
      u->fail_info = OSSL_CMP_PKIFAILUREINFO_systemUnavail;
    }
    g_free(why);
    u->done = TRUE;
  }
  OSSL_CMP_CTX_free(ctx);
}

static void post(Upstream *u);

static void on_resend(void *arg)
{
  post(arg);
}

static void on_response(void *arg, const EsResponse *r)
{
  Upstream *u = arg;
  if (r->error == NULL && r->http_status == 200) {
    u->response = g_bytes_new(r->body, r->len);
    g_clear_pointer(&u->request, g_bytes_unref);
    drive(u);
    return;
  }
  gboolean busy = r->error == NULL && r->http_status == 503;
  /* Back-pressure is waited out while the eNB still waits for the certificate, and for a
   * while for the RA's certConf, which the CA must not miss. */
  if ((busy && (!u->consumed || (u->done && u->sends < 4 * UPSTREAM_SENDS)))
      || (r->error != NULL && u->sends < UPSTREAM_SENDS)) {
    double delay = busy ? MAX(r->retry_after_s, 1) : ceil(u->raca->config.check_after_s);
    u->timer = es_engine_timer_add(u->raca->engine, delay, on_resend, u);
    return;
  }
  g_free(u->transport_error);
  u->transport_error = r->error != NULL ? g_strdup(r->error)
                                        : g_strdup_printf("HTTP status %d", r->http_status);
  g_clear_pointer(&u->request, g_bytes_unref);
  drive(u);
}

/* Posts the fiber's request, again after a failed connection. */
static void post(Upstream *u)
{
  EsRaca *raca = u->raca;
  u->timer = 0;
  if (u->channel == NULL)
    u->channel = es_engine_upstream_open(raca->engine, raca->index);
  if (u->channel == NULL) {
    g_free(u->transport_error);
    u->transport_error = g_strdup("this RA has no CA behind it");
    g_clear_pointer(&u->request, g_bytes_unref);
    u->timer = es_engine_timer_add(raca->engine, 0, on_wake, u);
    return;
  }
  u->sends++;
  gsize n;
  const guint8 *body = g_bytes_get_data(u->request, &n);
  es_channel_post(u->channel, raca->engine, "application/pkixcmp", body, n, on_response, u);
}

static void release_job(Job *job);

/* The CA answered: every job parked on it is processed now. A request the RA then refused
 * after all (a replay, say) leaves no transaction to give a verdict: the CA is told no. */
static void on_release(void *arg)
{
  Upstream *u = arg;
  u->release_timer = 0;
  u->releasing = TRUE;
  GPtrArray *parked = g_steal_pointer(&u->parked);
  u->parked = g_ptr_array_new();
  for (guint i = 0; i < parked->len; i++)
    release_job(g_ptr_array_index(parked, i));
  g_ptr_array_unref(parked);
  if (!g_hash_table_contains(u->raca->transactions, u->id))
    settle(u, ES_RACA_REVOKED_ISSUE_FAILED);
  u->releasing = FALSE;
  maybe_free(u);
}

/* One step of the fiber, with the RA's upstream randomness and a clear error queue. */
static void resume(Upstream *u)
{
  EsRand *prev = es_rand_set_current(u->raca->upstream_rand);
  ERR_clear_error();
  es_fiber_resume(u->fiber);
  ERR_clear_error();
  g_free(es_cmp_take_last_error());
  es_rand_set_current(prev);
}

/* Resumes the fiber and acts on what it left: a request to post, a poll to wait for, the end
 * of its session. Only ever called from an engine callback. */
static void drive(Upstream *u)
{
  EsRaca *raca = u->raca;
  resume(u);
  if (u->done && !u->released) {
    u->released = TRUE;
    u->release_timer = es_engine_timer_add(raca->engine, 0, on_release, u);
  }
  if (es_fiber_is_finished(u->fiber)) {
    u->finished = TRUE;
    if (u->channel != NULL)
      es_channel_close(g_steal_pointer(&u->channel), raca->engine);
    maybe_free(u);
    return;
  }
  if (u->aborting)
    return;
  if (u->request != NULL) {
    post(u);
  } else if (u->sleep_s > 0) {
    u->timer = es_engine_timer_add(raca->engine, u->sleep_s, on_wake, u);
    u->sleep_s = 0;
  }
  /* Else it waits in its certConf callback for the eNB's verdict. */
}

static Upstream *upstream_start(EsRaca *raca, GBytes *id, int type, const X509_NAME *subject,
                                EVP_PKEY *pubkey, X509 *old)
{
  Upstream *u = g_new0(Upstream, 1);
  u->raca = raca;
  u->id = g_bytes_ref(id);
  /* A PKCS#10 request's key and subject go on in a cr: the RA verified its signature. */
  u->type = type == ES_CMP_P10CR ? ES_CMP_CR : type;
  u->subject = X509_NAME_dup(subject);
  u->pubkey = pubkey;
  EVP_PKEY_up_ref(pubkey);
  u->old = old != NULL ? es_x509_ref(old) : NULL;
  u->parked = g_ptr_array_new();
  GError *error = NULL;
  u->fiber = es_fiber_new(ES_FIBER_STACK_SIZE, session, u, &error);
  g_hash_table_insert(raca->upstreams, u->id, u);
  if (u->fiber == NULL || u->subject == NULL) {
    u->done = u->released = u->finished = TRUE;
    u->failure = g_strdup_printf("the RA cannot ask the CA: %s",
                                 error != NULL ? error->message : "no memory");
    u->fail_info = OSSL_CMP_PKIFAILUREINFO_systemFailure;
    g_clear_error(&error);
    return u;
  }
  /* Started from the main stack: this may run inside the library's server callback. */
  u->timer = es_engine_timer_add(raca->engine, 0, on_wake, u);
  return u;
}

static void on_park_expired(void *arg)
{
  Job *job = arg;
  job->timer = 0;
  g_ptr_array_remove(job->upstream->parked, job);
  release_job(job);
}

/* A parked job goes on: processed now, and answered at once unless its service time is still
 * running (then es_raca_job_done answers it). */
static void release_job(Job *job)
{
  EsRaca *raca = job->raca;
  if (job->timer != 0)
    es_engine_timer_cancel(raca->engine, job->timer);
  job->timer = 0;
  job->parked = 2;
  job->upstream = NULL;
  if (!job->serving) {
    es_raca_job_done(raca, job);
    return;
  }
  gsize len;
  const guint8 *der = g_bytes_get_data(job->request, &len);
  job->response = es_raca_process_arrived(raca, der, len, job->arrived, &job->error);
  job->processed = TRUE;
}

/* Runs the library on the request in a context that only checks it: when it authenticates
 * and is acceptable, the certificate request callback starts the RA's request to the CA. The
 * cheap refusals of es_raca_process come first, so a replay never reaches the CA. */
static Upstream *probe(EsRaca *raca, const guint8 *der, gsize len, GBytes *id,
                       const EsCmpHeader *h, gint64 arrived)
{
  guint n_extra = 0;
  gsize extra_size = 0;
  const EsRacaConfig *c = &raca->config;
  if (es_cmp_peek_extra_certs(der, len, &n_extra, &extra_size)
      && ((c->max_extra_certs > 0 && n_extra > c->max_extra_certs)
          || (c->max_extra_certs_size > 0 && extra_size > c->max_extra_certs_size)))
    return NULL;
  int failure = 0;
  if (raca->config.harden && es_raca_stale_why(raca, h, arrived, &failure) != NULL)
    return NULL;
  const unsigned char *p = der;
  OSSL_CMP_MSG *req = d2i_OSSL_CMP_MSG(NULL, &p, (long)len);
  Transaction *t = req != NULL && p == der + len
                       ? es_raca_transaction_new(raca, id, OSSL_CMP_MSG_get_bodytype(req))
                       : NULL;
  Upstream *u = NULL;
  if (t != NULL) {
    t->probe = TRUE;
    es_raca_trust_sender(t, h);
    time_t now = (time_t)es_raca_wall_now(raca);
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(raca->vendor_trust), now);
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(raca->operator_trust), now);
    EsRand *prev = es_rand_set_current(raca->check_rand);
    ERR_clear_error();
    OSSL_CMP_MSG_free(OSSL_CMP_SRV_process_request(t->srv, req));
    ERR_clear_error();
    g_free(es_cmp_take_last_error());
    es_rand_set_current(prev);
    u = t->probed;
    es_raca_transaction_free(t);
  }
  OSSL_CMP_MSG_free(req);
  return u;
}

gboolean es_raca_forward_park(EsRaca *raca, Job *job)
{
  if (!raca->config.upstream || job->parked != 0 || raca->engine == NULL)
    return FALSE;
  job->parked = 2;
  gsize len;
  const guint8 *der = g_bytes_get_data(job->request, &len);
  int type = es_cmp_peek_body_type(der, len);
  EsCmpHeader h;
  if ((type != ES_CMP_IR && type != ES_CMP_CR && type != ES_CMP_P10CR && type != ES_CMP_KUR)
      || !es_cmp_peek_header(der, len, &h) || h.transaction_id == NULL)
    return FALSE;
  GBytes *id = g_bytes_new(h.transaction_id, h.transaction_id_len);
  Upstream *u = NULL;
  /* A request for an open or ended transaction is the library's to answer, as ever. */
  if (!g_hash_table_contains(raca->transactions, id) && !g_hash_table_contains(raca->closed, id)) {
    u = g_hash_table_lookup(raca->upstreams, id);
    if (u == NULL)
      u = probe(raca, der, len, id, &h, job->arrived);
  }
  g_bytes_unref(id);
  if (u == NULL || u->done || u->consumed)
    return FALSE;
  job->parked = 1;
  job->raca = raca;
  job->upstream = u;
  g_ptr_array_add(u->parked, job);
  job->timer = es_engine_timer_add(raca->engine, raca->config.poll_threshold_s, on_park_expired, job);
  return TRUE;
}

static OSSL_CMP_PKISI *waiting_status(void)
{
  return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_waiting, 0, "the CA has not answered yet");
}

gboolean es_raca_forward(Transaction *t, const OSSL_CMP_MSG *req, int cert_req_id, int type,
                         const X509_NAME *subject, EVP_PKEY *pubkey, X509 *old,
                         OSSL_CMP_PKISI **status)
{
  EsRaca *raca = t->raca;
  Upstream *u = g_hash_table_lookup(raca->upstreams, t->id);
  *status = NULL;
  if (u == NULL && raca->engine == NULL) {
    *status = OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection,
                                      1 << OSSL_CMP_PKIFAILUREINFO_systemUnavail,
                                      "this RA has no CA behind it");
    return TRUE;
  }
  if (u != NULL && u->consumed) {
    /* Its transaction ended: the CA is told no, and nothing it sends is handed out. */
    *status = OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection,
                                      1 << OSSL_CMP_PKIFAILUREINFO_transactionIdInUse,
                                      "this transaction has ended");
    return TRUE;
  }
  if (u == NULL)
    u = upstream_start(raca, t->id, type, subject, pubkey, old);
  if (t->probe) {
    t->probed = u;
    *status = waiting_status(); /* never sent */
    return TRUE;
  }
  if (u->done && u->cert != NULL)
    return FALSE;
  if (u->done) {
    *status = OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection, 1 << u->fail_info, u->failure);
    return TRUE;
  }
  /* Kept for the pollReq that finds the CA's answer here. */
  es_raca_set_waiting(t, OSSL_CMP_MSG_dup(req));
  if (t->waiting_req == NULL) {
    *status = OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection,
                                      1 << OSSL_CMP_PKIFAILUREINFO_systemFailure, NULL);
    return TRUE;
  }
  t->cert_req_id = cert_req_id;
  t->ready_s = es_raca_now_s(raca);
  t->last_poll_rep_s = NAN;
  *status = waiting_status();
  return TRUE;
}

X509 *es_raca_forward_get1_cert(Transaction *t)
{
  Upstream *u = g_hash_table_lookup(t->raca->upstreams, t->id);
  return u != NULL && u->cert != NULL ? es_x509_ref(u->cert) : NULL;
}

gboolean es_raca_forward_ready(Transaction *t)
{
  Upstream *u = g_hash_table_lookup(t->raca->upstreams, t->id);
  return u == NULL || u->done;
}

void es_raca_forward_end(Transaction *t, int cause)
{
  Upstream *u = g_hash_table_lookup(t->raca->upstreams, t->id);
  if (u != NULL)
    settle(u, cause);
}

void es_raca_forward_clear(EsRaca *raca)
{
  if (raca->upstreams == NULL)
    return;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, raca->upstreams);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    Upstream *u = value;
    u->aborting = TRUE;
    /* Each resume ends a step: the transfer fails, the certConf callback declines. */
    for (int i = 0; i < 16 && u->fiber != NULL && !es_fiber_is_finished(u->fiber); i++)
      resume(u);
  }
  g_hash_table_destroy(g_steal_pointer(&raca->upstreams));
  es_rand_free(g_steal_pointer(&raca->upstream_rand));
}

void es_raca_trust_sender(Transaction *t, const EsCmpHeader *h)
{
  EsRaca *raca = t->raca;
  X509_NAME *sender = es_cmp_header_get1_sender_name(h);
  X509 *ra = es_pki_get0_raca_cert(raca->pki);
  if (sender != NULL && X509_NAME_cmp(sender, X509_get_subject_name(ra)) == 0
      && (t->type == ES_CMP_IR || t->type == ES_CMP_CR || t->type == ES_CMP_KUR)) {
    OSSL_CMP_CTX *ctx = OSSL_CMP_SRV_CTX_get0_cmp_ctx(t->srv);
    if (X509_STORE_up_ref(raca->operator_trust)) {
      if (OSSL_CMP_CTX_set0_trustedStore(ctx, raca->operator_trust))
        t->via_ra = OSSL_CMP_SRV_CTX_set_accept_raverified(t->srv, 1);
      else
        X509_STORE_free(raca->operator_trust);
    }
  }
  X509_NAME_free(sender);
}

double es_raca_confirm_wait_s(const Transaction *t)
{
  const EsRacaConfig *c = &t->raca->config;
  return t->via_ra ? 2 * c->confirm_wait_s + c->check_after_s : c->confirm_wait_s;
}

gboolean es_raca_signed_by_ra(Transaction *t, const OSSL_CMP_MSG *req)
{
  /* Path validation only proves an operator certificate signed: pinning the RA's own makes
   * an eNB's operator certificate useless for claiming raVerified. */
  OSSL_CMP_CTX *pinned = OSSL_CMP_CTX_new(NULL, NULL);
  gboolean ok = FALSE;
  if (pinned != NULL) {
    es_cmp_ctx_quiet(pinned);
    EsRand *prev = es_rand_set_current(t->raca->check_rand);
    ok = OSSL_CMP_CTX_set1_srvCert(pinned, es_pki_get0_raca_cert(t->raca->pki))
         && OSSL_CMP_validate_msg(pinned, req) == 1;
    es_rand_set_current(prev);
  }
  OSSL_CMP_CTX_free(pinned);
  ERR_clear_error();
  return ok;
}
