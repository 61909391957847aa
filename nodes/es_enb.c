/* The eNB: late binding (it trusts the vendor root only and learns the operator root from an
 * ip it authenticated through the cross certificate), driven from the main stack. */
#include "es_enb.h"

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "es_cmp.h"
#include "es_fiber.h"
#include "es_rand.h"

typedef struct {
  EsFiber *fiber;
  EsRand *rand;
  X509_STORE *trust;        /* vendor root, checked at engine time */
  EsChannel *channel;
  guint64 timer;            /* CPU-time delay before a send, then the response timeout */
  GBytes *request;          /* handed out by the fiber, to send */
  int request_type;
  GBytes *response;         /* handed in to the fiber */
  int response_type;
  const char *failure;      /* why the transfer failed, when it did */
  gboolean cert_rejected;   /* our certConf check refused the new certificate */
  gboolean aborting;
  const char *outcome;
  X509 *cert;
  guint attempts;
} Enrolment;

struct EsEnb {
  guint number;
  const EsEnbConfig *config;
  const EsPki *pki;
  EsEngine *engine;
  EsRecorder *recorder;
  EsEnbDoneFn done_fn;
  void *done_arg;
  X509 *device_cert;
  EVP_PKEY *device_key;
  Enrolment *e;
  gsize stack_used;
};

static void mark(EsEnb *enb, EsMark m)
{
  if (enb->recorder != NULL)
    es_recorder_mark(enb->recorder, enb->number, m, es_engine_now(enb->engine));
}

static gint64 wall_now(EsEnb *enb)
{
  return enb->config->epoch + (gint64)es_engine_now(enb->engine);
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
  if (len <= 0)
    return NULL;
  e->request = g_bytes_new(der, (gsize)len);
  e->request_type = OSSL_CMP_MSG_get_bodytype(req);
  OPENSSL_free(der);

  es_fiber_yield();

  if (e->response == NULL) {
    ERR_raise_data(ERR_LIB_CMP, CMP_R_TRANSFER_ERROR, "%s", e->failure);
    return NULL;
  }
  gsize n;
  const unsigned char *p = g_bytes_get_data(e->response, &n);
  OSSL_CMP_MSG *rsp = d2i_OSSL_CMP_MSG(NULL, &p, (long)n);
  g_clear_pointer(&e->response, g_bytes_unref);
  if (rsp == NULL) {
    e->failure = "malformed_response";
    return NULL;
  }
  e->response_type = OSSL_CMP_MSG_get_bodytype(rsp);
  return rsp;
}

/* Accepts the new certificate only if it chains to an operator root from caPubs, which
 * itself came in an ip that verified against the vendor root through the cross certificate. */
static int check_new_cert(OSSL_CMP_CTX *ctx, X509 *cert, int fail_info, const char **text)
{
  EsEnb *enb = OSSL_CMP_CTX_get_certConf_cb_arg(ctx);
  if (fail_info != 0)
    return fail_info;
  STACK_OF(X509) *ca_pubs = OSSL_CMP_CTX_get1_caPubs(ctx);
  X509_STORE *store = X509_STORE_new();
  X509_STORE_CTX *vctx = X509_STORE_CTX_new();
  int ok = 0;
  if (store != NULL && vctx != NULL && ca_pubs != NULL) {
    for (int i = 0; i < sk_X509_num(ca_pubs); i++)
      X509_STORE_add_cert(store, sk_X509_value(ca_pubs, i));
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)wall_now(enb));
    ok = X509_STORE_CTX_init(vctx, store, cert, NULL) && X509_verify_cert(vctx) == 1;
  }
  X509_STORE_CTX_free(vctx);
  X509_STORE_free(store);
  sk_X509_pop_free(ca_pubs, X509_free);
  if (!ok) {
    enb->e->cert_rejected = TRUE;
    *text = "new certificate does not chain to an operator root from caPubs";
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

static void session(void *arg)
{
  EsEnb *enb = arg;
  Enrolment *e = enb->e;
  GError *error = NULL;
  OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
  X509_NAME *subject = X509_NAME_new();
  EVP_PKEY *new_key = NULL;
  char cn[32];
  g_snprintf(cn, sizeof cn, "enb-%u", enb->number);

  if (ctx == NULL || subject == NULL || !make_device(enb)
      || (new_key = enb->config->new_key_pool != NULL
                        ? es_key_pool_get1(enb->config->new_key_pool)
                        : es_key_generate(enb->config->new_key, &error)) == NULL
      || !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0)
      || !X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, (const unsigned char *)"Operator", -1, -1, 0)
      || !X509_STORE_up_ref(e->trust)
      || !OSSL_CMP_CTX_set0_trustedStore(ctx, e->trust)
      || !OSSL_CMP_CTX_set1_cert(ctx, enb->device_cert)
      || !OSSL_CMP_CTX_set1_pkey(ctx, enb->device_key)
      || !OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key)
      || !OSSL_CMP_CTX_set1_subjectName(ctx, subject)
      || !OSSL_CMP_CTX_set_transfer_cb(ctx, transfer)
      || !OSSL_CMP_CTX_set_transfer_cb_arg(ctx, enb)
      || !OSSL_CMP_CTX_set_certConf_cb(ctx, check_new_cert)
      || !OSSL_CMP_CTX_set_certConf_cb_arg(ctx, enb)
      || !OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, enb->config->ask_implicit)) {
    if (new_key != NULL && ctx != NULL && OSSL_CMP_CTX_get0_newPkey(ctx, 1) != new_key)
      EVP_PKEY_free(new_key);
    g_clear_error(&error);
    e->outcome = "internal_error";
    goto out;
  }
  es_cmp_ctx_quiet(ctx);

  X509 *cert = OSSL_CMP_exec_IR_ses(ctx);
  if (cert != NULL) {
    X509_up_ref(cert);
    e->cert = cert;
    e->outcome = "enrolled";
  } else if (e->failure != NULL) {
    e->outcome = e->failure;
  } else if (e->cert_rejected) {
    e->outcome = "cert_rejected";
  } else if (e->response_type == ES_CMP_ERROR
             || OSSL_CMP_CTX_get_status(ctx) == OSSL_CMP_PKISTATUS_rejection) {
    e->outcome = "rejected_by_raca";
  } else {
    /* A response came but did not verify: e.g. an RA/CA without a cross certificate. */
    e->outcome = "response_unverified";
  }
out:
  X509_NAME_free(subject);
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
  g_free(e);
  enb->e = NULL;
}

static void finish(EsEnb *enb)
{
  Enrolment *e = enb->e;
  if (enb->recorder != NULL) {
    if (!e->aborting)
      mark(enb, ES_MARK_DONE);
    es_recorder_set_outcome(enb->recorder, enb->number, e->outcome);
    es_recorder_set_attempts(enb->recorder, enb->number, e->attempts);
    if (e->cert != NULL) {
      char *serial = es_serial_hex(X509_get0_serialNumber(e->cert));
      es_recorder_set_serial(enb->recorder, enb->number, serial);
      g_free(serial);
    }
  }
  if (enb->done_fn != NULL && !e->aborting)
    enb->done_fn(enb->done_arg, enb, e->outcome, e->cert);
  enrolment_free(enb);
}

static void on_send_due(void *arg);

/* Resumes the fiber on the main stack with this eNB's randomness and clock, then acts on
 * what it left: a request to send, or the end of the session. */
static void run(EsEnb *enb)
{
  Enrolment *e = enb->e;
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(e->trust), (time_t)wall_now(enb));
  EsRand *prev = e->rand != NULL ? es_rand_set_current(e->rand) : NULL;
  ERR_clear_error();
  es_fiber_resume(e->fiber);
  ERR_clear_error();
  g_free(es_cmp_take_last_error());
  if (e->rand != NULL)
    es_rand_set_current(prev);

  if (es_fiber_is_finished(e->fiber)) {
    finish(enb);
    return;
  }
  if (e->aborting)
    return;
  /* Protecting the request costs CPU time; the first one also pays for the new key. */
  double cpu = enb->config->sign_s;
  if (e->request_type == ES_CMP_IR || e->request_type == ES_CMP_CR || e->request_type == ES_CMP_KUR)
    cpu += enb->config->keygen_s;
  e->timer = es_engine_timer_add(enb->engine, cpu, on_send_due, enb);
}

static void on_timeout(void *arg)
{
  EsEnb *enb = arg;
  Enrolment *e = enb->e;
  e->timer = 0;
  e->failure = "timeout";
  es_channel_close(e->channel, enb->engine);
  e->channel = NULL;
  run(enb);
}

static void on_response(void *arg, const EsResponse *r)
{
  EsEnb *enb = arg;
  Enrolment *e = enb->e;
  es_engine_timer_cancel(enb->engine, e->timer);
  e->timer = 0;
  if (r->error != NULL) {
    e->failure = "transport_error";
  } else if (r->http_status != 200) {
    e->failure = "http_error";
  } else {
    e->response = g_bytes_new(r->body, r->len);
    int type = es_cmp_peek_body_type(r->body, r->len);
    if (type == ES_CMP_IP || type == ES_CMP_CP || type == ES_CMP_KUP)
      mark(enb, ES_MARK_IP_RECEIVED);
    else if (type == ES_CMP_PKICONF)
      mark(enb, ES_MARK_PKICONF_RECEIVED);
  }
  run(enb);
}

static void on_send_due(void *arg)
{
  EsEnb *enb = arg;
  Enrolment *e = enb->e;
  if (e->channel == NULL)
    e->channel = es_engine_channel_open(enb->engine, enb->number);
  if (e->request_type == ES_CMP_IR) {
    e->attempts++;
    mark(enb, ES_MARK_IR_SENT);
  } else if (e->request_type == ES_CMP_CERTCONF) {
    mark(enb, ES_MARK_CERTCONF_SENT);
  }
  gsize len;
  const guint8 *der = g_bytes_get_data(e->request, &len);
  e->timer = es_engine_timer_add(enb->engine, enb->config->msg_timeout_s, on_timeout, enb);
  es_channel_post(e->channel, enb->engine, "application/pkixcmp", der, len, on_response, enb);
  g_clear_pointer(&e->request, g_bytes_unref);
}

EsEnb *es_enb_new(guint number, const EsEnbConfig *config, const EsPki *pki,
                  EsEngine *engine, EsRecorder *recorder)
{
  EsEnb *enb = g_new0(EsEnb, 1);
  enb->number = number;
  enb->config = config;
  enb->pki = pki;
  enb->engine = engine;
  enb->recorder = recorder;
  return enb;
}

void es_enb_set_done_cb(EsEnb *enb, EsEnbDoneFn fn, void *arg)
{
  enb->done_fn = fn;
  enb->done_arg = arg;
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

gboolean es_enb_start(EsEnb *enb)
{
  if (enb->e != NULL)
    return FALSE;
  Enrolment *e = g_new0(Enrolment, 1);
  enb->e = e;
  mark(enb, ES_MARK_START);
  e->trust = X509_STORE_new();
  e->fiber = es_fiber_new(ES_FIBER_STACK_SIZE, session, enb, NULL);
  if (e->trust == NULL || e->fiber == NULL
      || !X509_STORE_add_cert(e->trust, es_pki_get0_vendor_root(enb->pki))) {
    /* Out of memory or mappings: record it and let the run go on. */
    e->outcome = "internal_error";
    if (e->fiber == NULL) {
      if (enb->recorder != NULL)
        es_recorder_set_outcome(enb->recorder, enb->number, e->outcome);
      X509_STORE_free(e->trust);
      g_free(e);
      enb->e = NULL;
      return TRUE;
    }
  }
  if (enb->config->deterministic)
    e->rand = es_rand_new(enb->config->seed, enb->number);
  run(enb);
  return TRUE;
}

gboolean es_enb_is_active(const EsEnb *enb) { return enb->e != NULL; }

guint es_enb_get_number(const EsEnb *enb) { return enb->number; }

gsize es_enb_get_stack_used(const EsEnb *enb) { return enb->stack_used; }

void es_enb_free(EsEnb *enb)
{
  if (enb == NULL)
    return;
  if (enb->e != NULL) {
    /* Let OpenSSL unwind and free its frames: every further transfer fails at once. */
    Enrolment *e = enb->e;
    e->aborting = TRUE;
    e->failure = "unfinished";
    if (e->timer != 0)
      es_engine_timer_cancel(enb->engine, e->timer);
    e->timer = 0;
    while (enb->e != NULL)
      run(enb);
  }
  X509_free(enb->device_cert);
  EVP_PKEY_free(enb->device_key);
  g_free(enb);
}
