/* The eNB: late binding (it trusts the vendor root only and learns the operator root from an
 * ip it authenticated through the cross certificate), then kur and rr under that root. */
#include "nodes/es_enb.h"

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

typedef struct {
  EsFiber *fiber;
  EsRand *rand;
  X509_STORE *trust;        /* ir: vendor root; kur, rr: operator root; at engine time */
  EsChannel *channel;
  guint64 timer;            /* CPU-time delay before a send, then the response timeout */
  GBytes *request;          /* handed out by the fiber; kept until answered, to send again */
  int request_type;
  guint sends;              /* of this request */
  gboolean busy;            /* the next send answers a 503: no attempt used up */
  gboolean restarting;      /* abandoned for a new transaction (enb.retry=restart) */
  GBytes *response;         /* handed in to the fiber */
  int response_type;
  EsEnbOutcome failure;     /* why the transfer failed, when it did (else OK) */
  gboolean cert_rejected;   /* our certConf check refused the new certificate */
  gboolean aborting;
  EsEnbOutcome outcome;
  X509 *cert;
  EVP_PKEY *new_key;        /* of a successful ir or kur */
  X509 *root;               /* ir: the root from caPubs that the new certificate chains to */
  gint64 wall;              /* whole wall-clock seconds at the resume in progress */
  gboolean prepared;        /* made by es_enb_prepare, not started yet */
  gboolean counted;         /* in in_flight: started */
  EsOffloadJob *job;        /* that resume, running on the offload thread */
} Enrolment;

struct EsEnb {
  guint number;
  const EsEnbConfig *config;
  const EsPki *pki;
  EsEngine *engine;
  EsEnbEventFn event_fn;
  void *event_arg;
  X509 *device_cert;
  EVP_PKEY *device_key;
  EVP_PKEY *given_new_key;  /* es_enb_set1_new_key */
  /* The operator credential between sessions, as DER: a few hundred bytes instead of the
   * kilobytes that decoded OpenSSL objects hold per idle eNB. */
  GBytes *op_cert, *op_key, *op_root;
  EsEnbOperation op;
  int revoke_reason;
  guint sessions;           /* started so far: each gets its own randomness stream */
  guint attempts;           /* irs sent in this enrolment, resends and restarts included */
  guint abandoned;          /* transactions given up in this session (restart policy) */
  guint64 restart_timer;    /* a new transaction is due */
  guint64 jitter;           /* state of the back-off jitter generator */
  Enrolment *e;
  gsize stack_used;
};

const char *es_enb_operation_name(EsEnbOperation op)
{
  switch (op) {
  case ES_ENB_ENROL: return "enrol";
  case ES_ENB_RENEW: return "renew";
  case ES_ENB_REVOKE: return "revoke";
  }
  return "unknown";
}

const char *es_enb_outcome_name(EsEnbOutcome outcome)
{
  static const char *const names[ES_ENB_OUTCOME_N] = {
    "ok", "timeout", "transport_error", "http_error", "malformed_response",
    "response_unverified", "cert_rejected", "rejected_by_raca", "internal_error", "unfinished",
  };
  return (guint)outcome < ES_ENB_OUTCOME_N ? names[outcome] : "unknown";
}

/* Private keys are wiped when their DER copy goes. */
static void cleanse_free(gpointer data)
{
  GByteArray *a = data;
  OPENSSL_cleanse(a->data, a->len);
  g_byte_array_unref(a);
}

static GBytes *der_of_key(EVP_PKEY *key)
{
  unsigned char *der = NULL;
  int len = i2d_PrivateKey(key, &der);
  if (len <= 0)
    return NULL;
  GByteArray *a = g_byte_array_sized_new((guint)len);
  g_byte_array_append(a, der, (guint)len);
  OPENSSL_clear_free(der, (size_t)len);
  return g_bytes_new_with_free_func(a->data, a->len, cleanse_free, a);
}

static GBytes *der_of_cert(X509 *cert)
{
  unsigned char *der = NULL;
  int len = i2d_X509(cert, &der);
  if (len <= 0)
    return NULL;
  GBytes *b = g_bytes_new(der, (gsize)len);
  OPENSSL_free(der);
  return b;
}

static X509 *cert_of_der(GBytes *der)
{
  if (der == NULL)
    return NULL;
  gsize n;
  const unsigned char *p = g_bytes_get_data(der, &n);
  return d2i_X509(NULL, &p, (long)n);
}

static EVP_PKEY *key_of_der(GBytes *der)
{
  if (der == NULL)
    return NULL;
  gsize n;
  const unsigned char *p = g_bytes_get_data(der, &n);
  return d2i_AutoPrivateKey(NULL, &p, (long)n);
}

static void set_operator(EsEnb *enb, GBytes *cert, GBytes *key, GBytes *root)
{
  g_clear_pointer(&enb->op_cert, g_bytes_unref);
  g_clear_pointer(&enb->op_key, g_bytes_unref);
  g_clear_pointer(&enb->op_root, g_bytes_unref);
  enb->op_cert = cert;
  enb->op_key = key;
  enb->op_root = root;
}

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
                          .attempts = enb->attempts, .aborted = aborted});
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

/* Runs inside the fiber: hand the request out, sleep until the engine has the answer. */
static OSSL_CMP_MSG *transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
  EsEnb *enb = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
  Enrolment *e = enb->e;
  if (e->aborting) {
    ERR_raise_data(ERR_LIB_CMP, CMP_R_TRANSFER_ERROR, "aborted");
    return NULL;
  }
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);
  if (len <= 0) {
    /* Our own request could not be encoded: nothing was sent, nothing came back. */
    e->failure = ES_ENB_OUTCOME_INTERNAL_ERROR;
    return NULL;
  }
  if (e->request != NULL)
    g_bytes_unref(e->request);
  e->request = g_bytes_new(der, (gsize)len);
  e->sends = 0;
  e->request_type = OSSL_CMP_MSG_get_bodytype(req);
  OPENSSL_free(der);

  es_fiber_yield();

  if (e->response == NULL) {
    ERR_raise_data(ERR_LIB_CMP, CMP_R_TRANSFER_ERROR, "%s", es_enb_outcome_name(e->failure));
    return NULL;
  }
  gsize n;
  const unsigned char *p = g_bytes_get_data(e->response, &n);
  OSSL_CMP_MSG *rsp = d2i_OSSL_CMP_MSG(NULL, &p, (long)n);
  g_clear_pointer(&e->response, g_bytes_unref);
  if (rsp == NULL) {
    e->failure = ES_ENB_OUTCOME_MALFORMED_RESPONSE;
    return NULL;
  }
  e->response_type = OSSL_CMP_MSG_get_bodytype(rsp);
  return rsp;
}

/* Accepts the new certificate only if it chains to an operator root: for an ir, one from
 * caPubs, which itself came in an ip that verified against the vendor root through the cross
 * certificate; for a kur, the root the eNB learned that way when it enrolled. */
static int check_new_cert(OSSL_CMP_CTX *ctx, X509 *cert, int fail_info, const char **text)
{
  EsEnb *enb = OSSL_CMP_CTX_get_certConf_cb_arg(ctx);
  Enrolment *e = enb->e;
  if (fail_info != 0) {
    /* OpenSSL refused it already (e.g. its key is not the one we asked for). */
    e->cert_rejected = TRUE;
    return fail_info;
  }
  STACK_OF(X509) *ca_pubs = NULL;
  X509_STORE *store = NULL;
  if (enb->op == ES_ENB_ENROL) {
    ca_pubs = OSSL_CMP_CTX_get1_caPubs(ctx);
    store = X509_STORE_new();
    for (int i = 0; store != NULL && i < sk_X509_num(ca_pubs); i++)
      X509_STORE_add_cert(store, sk_X509_value(ca_pubs, i));
    if (store != NULL)
      X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)e->wall);
  } else if (X509_STORE_up_ref(e->trust)) {
    store = e->trust;
  }
  X509_STORE_CTX *vctx = X509_STORE_CTX_new();
  int ok = 0;
  if (store != NULL && vctx != NULL && (ca_pubs != NULL || enb->op != ES_ENB_ENROL)) {
    ok = X509_STORE_CTX_init(vctx, store, cert, NULL) && X509_verify_cert(vctx) == 1;
    STACK_OF(X509) *chain = ok ? X509_STORE_CTX_get0_chain(vctx) : NULL;
    if (ok && enb->op == ES_ENB_ENROL && sk_X509_num(chain) > 0) {
      X509 *root = sk_X509_value(chain, sk_X509_num(chain) - 1);
      X509_up_ref(root);
      X509_free(e->root);
      e->root = root;
    }
  }
  X509_STORE_CTX_free(vctx);
  X509_STORE_free(store);
  sk_X509_pop_free(ca_pubs, X509_free);
  if (!ok) {
    e->cert_rejected = TRUE;
    *text = "new certificate does not chain to the operator root";
    return 1 << OSSL_CMP_PKIFAILUREINFO_incorrectData;
  }
  return 0;
}

static gboolean make_device(EsEnb *enb)
{
  if (enb->device_cert != NULL)
    return TRUE;
  GError *error = NULL;
  EVP_PKEY *key = enb->config->device_key_pool != NULL
                      ? es_key_pool_get1(enb->config->device_key_pool)
                      : es_key_generate(es_pki_get_key_type(enb->pki), &error);
  X509 *cert = key != NULL ? es_pki_issue_device(enb->pki, enb->number, key, &error) : NULL;
  if (cert == NULL) {
    g_clear_error(&error);
    EVP_PKEY_free(key);
    return FALSE;
  }
  enb->device_cert = cert;
  enb->device_key = key;
  return TRUE;
}

/* The key pair of an ir or kur: the given one, one from the pool, or a fresh one. */
static EVP_PKEY *take_new_key(EsEnb *enb)
{
  if (enb->given_new_key != NULL)
    return EVP_PKEY_up_ref(enb->given_new_key) ? enb->given_new_key : NULL;
  if (enb->config->new_key_pool != NULL)
    return es_key_pool_get1_at(enb->config->new_key_pool,
                               (guint64)enb->number * 7919 + enb->sessions);
  GError *error = NULL;
  EVP_PKEY *key = es_key_generate(enb->config->new_key, &error);
  g_clear_error(&error);
  return key;
}

/* ir: the vendor credential asks for a certificate for a fresh identity under CN=enb-<i>. */
static gboolean setup_enrol(EsEnb *enb, OSSL_CMP_CTX *ctx, EVP_PKEY **new_key)
{
  X509_NAME *subject = X509_NAME_new();
  char cn[32];
  g_snprintf(cn, sizeof cn, "enb-%u", enb->number);
  /* Device credential first, then the new key: the order in which a simulated eNB draws
   * from its randomness stream. */
  gboolean ok = subject != NULL && make_device(enb) && (*new_key = take_new_key(enb)) != NULL
      && X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0)
      && X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, (const unsigned char *)"Operator", -1, -1, 0)
      && OSSL_CMP_CTX_set1_cert(ctx, enb->device_cert)
      && OSSL_CMP_CTX_set1_pkey(ctx, enb->device_key)
      && EVP_PKEY_up_ref(*new_key) && (OSSL_CMP_CTX_set0_newPkey(ctx, 1, *new_key)
                                       || (EVP_PKEY_free(*new_key), FALSE))
      && OSSL_CMP_CTX_set1_subjectName(ctx, subject)
      && OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, enb->config->ask_implicit);
  X509_NAME_free(subject);
  return ok;
}

/* kur and rr: the operator credential protects the request and is the oldCert it names;
 * a kur keeps the subject (OpenSSL takes it from oldCert). */
static gboolean setup_operator(EsEnb *enb, OSSL_CMP_CTX *ctx, EVP_PKEY **new_key)
{
  X509 *cert = cert_of_der(enb->op_cert);
  EVP_PKEY *key = key_of_der(enb->op_key);
  gboolean ok = cert != NULL && key != NULL
      && OSSL_CMP_CTX_set1_cert(ctx, cert)
      && OSSL_CMP_CTX_set1_pkey(ctx, key)
      && OSSL_CMP_CTX_set1_oldCert(ctx, cert);
  if (ok && enb->op == ES_ENB_RENEW)
    ok = (*new_key = take_new_key(enb)) != NULL
         && EVP_PKEY_up_ref(*new_key) && (OSSL_CMP_CTX_set0_newPkey(ctx, 1, *new_key)
                                          || (EVP_PKEY_free(*new_key), FALSE))
         && OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, enb->config->ask_implicit);
  if (ok && enb->op == ES_ENB_REVOKE)
    ok = OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_REVOCATION_REASON, enb->revoke_reason);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

static void session(void *arg)
{
  EsEnb *enb = arg;
  Enrolment *e = enb->e;
  OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
  EVP_PKEY *new_key = NULL;

  if (ctx == NULL
      || !X509_STORE_up_ref(e->trust)
      || !OSSL_CMP_CTX_set0_trustedStore(ctx, e->trust)
      || !OSSL_CMP_CTX_set_transfer_cb(ctx, transfer)
      || !OSSL_CMP_CTX_set_transfer_cb_arg(ctx, enb)
      || !OSSL_CMP_CTX_set_certConf_cb(ctx, check_new_cert)
      || !OSSL_CMP_CTX_set_certConf_cb_arg(ctx, enb)
      || !(enb->op == ES_ENB_ENROL ? setup_enrol(enb, ctx, &new_key)
                                   : setup_operator(enb, ctx, &new_key))) {
    e->outcome = ES_ENB_OUTCOME_INTERNAL_ERROR;
    goto out;
  }
  es_cmp_ctx_quiet(ctx);

  X509 *cert = NULL;
  gboolean revoked = FALSE;
  switch (enb->op) {
  case ES_ENB_ENROL: cert = OSSL_CMP_exec_IR_ses(ctx); break;
  case ES_ENB_RENEW: cert = OSSL_CMP_exec_KUR_ses(ctx); break;
  case ES_ENB_REVOKE: revoked = OSSL_CMP_exec_RR_ses(ctx) == 1; break;
  }
  if (cert != NULL) {
    X509_up_ref(cert);
    e->cert = cert;
    e->new_key = new_key;
    new_key = NULL;
    e->outcome = ES_ENB_OUTCOME_OK;
  } else if (revoked) {
    e->outcome = ES_ENB_OUTCOME_OK;
  } else if (e->failure != ES_ENB_OUTCOME_OK) {
    e->outcome = e->failure;
  } else if (e->cert_rejected) {
    e->outcome = ES_ENB_OUTCOME_CERT_REJECTED;
  } else if (e->response_type == ES_CMP_ERROR
             || OSSL_CMP_CTX_get_status(ctx) == OSSL_CMP_PKISTATUS_rejection) {
    e->outcome = ES_ENB_OUTCOME_REJECTED_BY_RACA;
  } else {
    /* A response came but did not verify: e.g. an RA/CA without a cross certificate. */
    e->outcome = ES_ENB_OUTCOME_RESPONSE_UNVERIFIED;
  }
out:
  EVP_PKEY_free(new_key);
  OSSL_CMP_CTX_free(ctx);
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

/* The credential an ended session leaves the eNB with. */
static void keep_credential(EsEnb *enb)
{
  Enrolment *e = enb->e;
  if (enb->op == ES_ENB_REVOKE && e->outcome == ES_ENB_OUTCOME_OK) {
    set_operator(enb, NULL, NULL, NULL);
    return;
  }
  if (e->cert == NULL || e->new_key == NULL)
    return;
  GBytes *cert = der_of_cert(e->cert), *key = der_of_key(e->new_key);
  GBytes *root = enb->op == ES_ENB_ENROL ? (e->root != NULL ? der_of_cert(e->root) : NULL)
                                         : (enb->op_root != NULL ? g_bytes_ref(enb->op_root) : NULL);
  if (cert == NULL || key == NULL || root == NULL) {
    /* Out of memory: better no credential than a half one. */
    if (cert != NULL)
      g_bytes_unref(cert);
    if (key != NULL)
      g_bytes_unref(key);
    if (root != NULL)
      g_bytes_unref(root);
    return;
  }
  set_operator(enb, cert, key, root);
}

static void begin_transaction(EsEnb *enb, EsEnbOperation op);

static void on_restart_due(void *arg)
{
  EsEnb *enb = arg;
  enb->restart_timer = 0;
  begin_transaction(enb, enb->op);
}

static void finish(EsEnb *enb)
{
  Enrolment *e = enb->e;
  if (e->restarting && !e->aborting && e->cert == NULL) {
    /* The transaction is abandoned, its fiber and OpenSSL state gone; a fresh one (new
     * transactionID, new key) begins after the back-off. */
    enb->abandoned++;
    retried(enb, ES_ENB_RETRY_ABANDONED);
    enrolment_free(enb);
    enb->restart_timer = es_engine_timer_add(enb->engine, backoff(enb, enb->abandoned),
                                             on_restart_due, enb);
    return;
  }
  keep_credential(enb);
  if (!e->prepared)
    done(enb, e->outcome, e->cert, e->aborting); /* a prepared, never started one left no trace */
  enrolment_free(enb);
}

static void on_send_due(void *arg);

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
  if (r->http_status == 503 && enb->config->max_attempts > 1) {
    /* The RA/CA's queue is full: it did not process the request, so the same bytes go again
     * once the wait it asked for is over (never sooner; jitter spreads the returning eNBs). */
    double wait = r->retry_after_s > 0 ? r->retry_after_s : backoff(enb, 1);
    retried(enb, ES_ENB_RETRY_BUSY);
    e->busy = TRUE;
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
    if (type == ES_CMP_PKICONF)
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
  if (e->request_type == ES_CMP_IR) {
    enb->attempts++;
    step(enb, ES_ENB_STEP_IR_SENT);
  } else if (e->request_type == ES_CMP_CERTCONF) {
    step(enb, ES_ENB_STEP_CERTCONF_SENT);
  }
  if (e->busy)
    e->busy = FALSE; /* a request the RA/CA refused unread does not use up an attempt */
  else if (e->sends++ > 0)
    retried(enb, ES_ENB_RETRY_RESEND);
  gsize len;
  const guint8 *der = g_bytes_get_data(e->request, &len);
  e->timer = es_engine_timer_add(enb->engine, enb->config->msg_timeout_s, on_timeout, enb);
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

void es_enb_set1_device(EsEnb *enb, X509 *cert, EVP_PKEY *key)
{
  X509_up_ref(cert);
  EVP_PKEY_up_ref(key);
  X509_free(enb->device_cert);
  EVP_PKEY_free(enb->device_key);
  enb->device_cert = cert;
  enb->device_key = key;
}

/* A transaction's state: its own fiber, OpenSSL context and randomness stream. FALSE (and no
 * enrolment) when there is no memory for a fiber. Touches neither engine nor recorder, so a
 * factory thread may call it for an eNB not yet powered on. */
static gboolean new_transaction(EsEnb *enb, EsEnbOperation op)
{
  enb->op = op;
  Enrolment *e = g_new0(Enrolment, 1);
  enb->e = e;
  e->trust = X509_STORE_new();
  e->fiber = es_fiber_new(ES_FIBER_STACK_SIZE, session, enb, NULL);
  X509 *root = op == ES_ENB_ENROL ? NULL : cert_of_der(enb->op_root);
  if (e->trust == NULL || e->fiber == NULL
      || !X509_STORE_add_cert(e->trust, op == ES_ENB_ENROL ? es_pki_get0_vendor_root(enb->pki) : root)) {
    /* Out of memory or mappings: record it and let the run go on (with no trust anchor
     * every response fails to verify). */
    e->outcome = ES_ENB_OUTCOME_INTERNAL_ERROR;
    if (e->fiber == NULL) {
      X509_free(root);
      X509_STORE_free(e->trust);
      g_free(e);
      enb->e = NULL;
      return FALSE;
    }
  }
  X509_free(root);
  /* The first session reads stream <number>, as every simulated run always has; later
   * ones get streams of their own, or a kur would make the ir's key pair again. */
  if (enb->config->deterministic)
    e->rand = es_rand_new(enb->config->seed, ES_STREAM_ENB(enb->number, enb->sessions));
  enb->sessions++;
  return TRUE;
}

/* The first request of a transaction comes with a new key pair, but for an rr. */
static double first_cpu_s(const EsEnb *enb, EsEnbOperation op)
{
  return request_cpu_s(enb, op != ES_ENB_REVOKE);
}

static void count_in_flight(EsEnb *enb)
{
  enb->e->counted = TRUE;
  g_atomic_int_inc(&in_flight);
}

static void begin_transaction(EsEnb *enb, EsEnbOperation op)
{
  if (op == ES_ENB_ENROL)
    step(enb, ES_ENB_STEP_START);
  if (!new_transaction(enb, op)) {
    done(enb, ES_ENB_OUTCOME_INTERNAL_ERROR, NULL, FALSE);
    return;
  }
  count_in_flight(enb);
  run_ahead(enb, first_cpu_s(enb, op));
}

static void reset_session(EsEnb *enb)
{
  enb->attempts = 0;
  enb->abandoned = 0;
  enb->jitter = enb->config->seed * G_GUINT64_CONSTANT(0x2545f4914f6cdd1d)
                ^ ((guint64)enb->number << 24) ^ enb->sessions;
}

static gboolean start_session(EsEnb *enb, EsEnbOperation op)
{
  if (es_enb_is_active(enb) || (op != ES_ENB_ENROL && enb->op_cert == NULL))
    return FALSE;
  reset_session(enb);
  begin_transaction(enb, op);
  return TRUE;
}

gboolean es_enb_prepare(EsEnb *enb, double at_s)
{
  if (es_enb_is_active(enb))
    return FALSE;
  reset_session(enb);
  if (!new_transaction(enb, ES_ENB_ENROL))
    return FALSE;
  enb->e->prepared = TRUE;
  enb->e->wall = wall_at(enb, at_s);
  resume(enb);
  return TRUE;
}

gboolean es_enb_start(EsEnb *enb)
{
  Enrolment *e = enb->e;
  if (e == NULL || !e->prepared)
    return start_session(enb, ES_ENB_ENROL);
  /* Prepared: what it left takes effect its CPU time after now, as with run_ahead. */
  e->prepared = FALSE;
  count_in_flight(enb);
  step(enb, ES_ENB_STEP_START);
  e->timer = es_engine_timer_add(enb->engine, first_cpu_s(enb, ES_ENB_ENROL), on_resumed, enb);
  return TRUE;
}

gboolean es_enb_renew(EsEnb *enb) { return start_session(enb, ES_ENB_RENEW); }

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
    EVP_PKEY_up_ref(key);
  EVP_PKEY_free(enb->given_new_key);
  enb->given_new_key = key;
}

gboolean es_enb_has_operator_cert(const EsEnb *enb) { return enb->op_cert != NULL; }

X509 *es_enb_get1_operator_cert(const EsEnb *enb) { return cert_of_der(enb->op_cert); }

EVP_PKEY *es_enb_get1_operator_key(const EsEnb *enb) { return key_of_der(enb->op_key); }

gboolean es_enb_set1_operator(EsEnb *enb, X509 *cert, EVP_PKEY *key, X509 *root)
{
  if (cert == NULL || key == NULL || root == NULL || X509_check_private_key(cert, key) != 1) {
    ERR_clear_error();
    return FALSE;
  }
  GBytes *c = der_of_cert(cert), *k = der_of_key(key), *r = der_of_cert(root);
  if (c == NULL || k == NULL || r == NULL) {
    if (c != NULL)
      g_bytes_unref(c);
    if (k != NULL)
      g_bytes_unref(k);
    if (r != NULL)
      g_bytes_unref(r);
    return FALSE;
  }
  set_operator(enb, c, k, r);
  return TRUE;
}

gboolean es_enb_is_active(const EsEnb *enb) { return enb->e != NULL || enb->restart_timer != 0; }

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
  if (enb->e != NULL) {
    /* Let OpenSSL unwind and free its frames: every further transfer fails at once. An
     * enrolment prepared but never started leaves no trace in the results. */
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
  X509_free(enb->device_cert);
  EVP_PKEY_free(enb->device_key);
  EVP_PKEY_free(enb->given_new_key);
  set_operator(enb, NULL, NULL, NULL);
  g_free(enb);
}
