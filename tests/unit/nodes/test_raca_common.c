/* The RA/CA tests' wire, fixture and credentials: OpenSSL's client talks to es_raca_process
 * in-process; the wire may spoil or withhold the certConf on the way. */
#include "tests/unit/nodes/test_raca_common.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "nodes/es_cmp.h"
#include "pki/es_clock.h"

/* Enters the next element inside [*p, end): *p moves to its content; returns where it ends. */
static const unsigned char *der_enter(const unsigned char **p, const unsigned char *end,
                                      int want_tag)
{
  long n;
  int tag, xclass;
  g_assert_false(ASN1_get_object(p, &n, &tag, &xclass, end - *p) & 0x80);
  g_assert_cmpint(n, <=, end - *p);
  g_assert_cmpint(tag, ==, want_tag);
  return *p + n;
}

/* Offset of the last byte of the protection ([0] after header and body) in a certConf. */
static long protection_last_byte(const unsigned char *der, long len)
{
  const unsigned char *p = der;
  const unsigned char *end = der_enter(&p, der + len, V_ASN1_SEQUENCE);
  p = der_enter(&p, end, V_ASN1_SEQUENCE);               /* header */
  p = der_enter(&p, end, ES_CMP_CERTCONF);               /* body */
  const unsigned char *last = der_enter(&p, end, 0) - 1; /* protection */
  return last - der;
}

/* Offset of the first byte of the certHash in a certConf: body [24] { SEQUENCE OF CertStatus
 * { certHash OCTET STRING, certReqId, statusInfo } }. */
static long cert_hash_first_byte(const unsigned char *der, long len)
{
  const unsigned char *p = der;
  const unsigned char *end = der_enter(&p, der + len, V_ASN1_SEQUENCE);
  p = der_enter(&p, end, V_ASN1_SEQUENCE);   /* header */
  end = der_enter(&p, end, ES_CMP_CERTCONF); /* body */
  end = der_enter(&p, end, V_ASN1_SEQUENCE); /* CertConfirmContent */
  end = der_enter(&p, end, V_ASN1_SEQUENCE); /* CertStatus */
  g_assert_true(der_enter(&p, end, V_ASN1_OCTET_STRING) > p);
  return p - der;
}

/* The certConf in `*der`, its hash changed or not, protected again by the client context's
 * key (the eNB's) under the same transactionID: a certConf the eNB itself could have signed. */
static void resign(OSSL_CMP_CTX *ctx, unsigned char **der, int *len, gboolean wrong_hash)
{
  if (wrong_hash)
    (*der)[cert_hash_first_byte(*der, *len)] ^= 0x01;
  const unsigned char *p = *der;
  OSSL_CMP_MSG *msg = d2i_OSSL_CMP_MSG(NULL, &p, *len);
  g_assert_nonnull(msg);
  g_assert_true(OSSL_CMP_MSG_update_transactionID(ctx, msg)); /* protects it again */
  OPENSSL_free(*der);
  *der = NULL;
  *len = i2d_OSSL_CMP_MSG(msg, der);
  g_assert_cmpint(*len, >, 0);
  OSSL_CMP_MSG_free(msg);
}

void wire_clear(Wire *w)
{
  for (guint i = 0; i < G_N_ELEMENTS(w->request); i++)
    if (w->request[i] != NULL)
      g_bytes_unref(g_steal_pointer(&w->request[i]));
  if (w->response != NULL)
    g_bytes_unref(g_steal_pointer(&w->response));
}

static OSSL_CMP_MSG *wire_transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
  Wire *w = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);
  g_assert_cmpint(len, >, 0);
  int type = OSSL_CMP_MSG_get_bodytype(req);
  if (type == ES_CMP_CERTCONF) {
    switch (w->mode) {
    case DROP_CERTCONF:
      if (w->keep) {
        if (w->request[type] != NULL)
          g_bytes_unref(w->request[type]);
        w->request[type] = g_bytes_new(der, (gsize)len);
      }
      OPENSSL_free(der);
      return NULL;
    case TAMPER_CERTCONF:
      der[protection_last_byte(der, len)] ^= 0x01; /* inside the protection signature */
      break;
    case WRONG_HASH_CERTCONF:
    case RESIGN_CERTCONF:
      resign(ctx, &der, &len, w->mode == WRONG_HASH_CERTCONF);
      break;
    case PASS:
      break;
    }
  }
  if (w->keep && type >= 0 && type < (int)G_N_ELEMENTS(w->request)) {
    if (w->request[type] != NULL)
      g_bytes_unref(w->request[type]);
    w->request[type] = g_bytes_new(der, (gsize)len);
  }
  if (w->hook != NULL)
    w->hook(w, type, der, len);
  GError *error = NULL;
  GBytes *rsp = es_raca_process(w->raca, der, (gsize)len, &error);
  OPENSSL_free(der);
  g_assert_no_error(error);
  w->exchanges++;
  if (w->keep) {
    if (w->response != NULL)
      g_bytes_unref(w->response);
    w->response = g_bytes_ref(rsp);
  }
  OSSL_CMP_MSG *msg = cmp_msg_take(rsp);
  w->last_response_type = msg != NULL ? OSSL_CMP_MSG_get_bodytype(msg) : -1;
  return msg;
}

OSSL_CMP_MSG *cmp_msg_take(GBytes *rsp)
{
  gsize n;
  const unsigned char *p = g_bytes_get_data(rsp, &n);
  OSSL_CMP_MSG *msg = d2i_OSSL_CMP_MSG(NULL, &p, (long)n);
  g_bytes_unref(rsp);
  return msg;
}

static void keep(X509 **slot, X509 *cert)
{
  g_assert_true(X509_up_ref(cert));
  X509_free(*slot);
  *slot = cert;
}

static void on_raca_event(void *arg, const EsRacaEvent *ev)
{
  Fixture *f = arg;
  if (ev->kind == ES_RACA_EVENT_ISSUED) {
    f->issued++;
    keep(&f->issued_cert, ev->cert);
    return;
  }
  f->revoked++;
  f->last_cause = ev->cause;
  keep(&f->revoked_cert, ev->cert);
}

EsRacaConfig raca_config(gboolean implicit)
{
  EsRacaConfig c;
  es_raca_config_init(&c); /* hardened, with the default window and caps */
  c.grant_implicit = implicit;
  c.confirm_wait_s = 30;
  c.workers = 1;
  c.ir_service_s = 0.002;
  c.certconf_service_s = 0.001;
  c.epoch = EPOCH;
  c.cert_validity_s = 3650 * 86400;
  c.seed = 7;
  return c;
}

/* The wall clock the clients' messageTime reads: EPOCH + test_clock_offset, where the
 * RA/CA's clock (no engine) stands at EPOCH. */
gint64 test_clock_offset = 60;

static gint64 test_clock(void *arg)
{
  (void)arg;
  return EPOCH + test_clock_offset;
}

static void on_remember(void *arg, GBytes *id, GBytes *nonce, gint64 message_time)
{
  Fixture *f = arg;
  Remembered *r = g_new0(Remembered, 1);
  r->id = g_bytes_ref(id);
  r->nonce = g_bytes_ref(nonce);
  r->message_time = message_time;
  g_ptr_array_add(f->remembered, r);
}

static void remembered_free(Remembered *r)
{
  g_bytes_unref(r->id);
  g_bytes_unref(r->nonce);
  g_free(r);
}

void fixture_set_config(Fixture *f, const EsRacaConfig *config)
{
  GError *error = NULL;
  es_raca_free(f->raca);
  f->raca = es_raca_new(config, f->pki, NULL, &error);
  g_assert_no_error(error);
  EsRacaObserver obs = {.event = on_raca_event, .remember = on_remember};
  es_raca_set_observer(f->raca, &obs, f);
}

void fixture_setup(Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  memset(f, 0, sizeof *f);
  f->remembered = g_ptr_array_new_with_free_func((GDestroyNotify)remembered_free);
  test_clock_offset = 60;
  es_clock_set(test_clock, NULL);
  f->pki = es_pki_generate(ES_KEY_P256, EPOCH, &error);
  g_assert_no_error(error);
  EsRacaConfig c = raca_config(GPOINTER_TO_INT(data));
  fixture_set_config(f, &c);
}

void fixture_teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  X509_free(f->issued_cert);
  X509_free(f->revoked_cert);
  es_raca_free(f->raca);
  es_pki_free(f->pki);
  g_ptr_array_unref(f->remembered);
  es_clock_set(NULL, NULL);
}

OSSL_CMP_CTX *enb_ctx(const EsPki *vendor, guint number, Wire *w)
{
  GError *error = NULL;
  EVP_PKEY *device_key = es_key_generate(ES_KEY_P256, &error);
  g_assert_no_error(error);
  X509 *device = es_pki_issue_device(vendor, number, device_key, &error);
  g_assert_no_error(error);
  EVP_PKEY *new_key = es_key_generate(ES_KEY_P256, &error);
  g_assert_no_error(error);
  X509_STORE *trust = X509_STORE_new();
  X509_STORE_add_cert(trust, es_pki_get0_vendor_root(vendor));
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(trust), (time_t)(EPOCH + 60));
  X509_NAME *subject = X509_NAME_new();
  char cn[32];
  g_snprintf(cn, sizeof cn, "enb-%u", number);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);

  OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
  es_cmp_ctx_quiet(ctx);
  g_assert_true(OSSL_CMP_CTX_set0_trustedStore(ctx, trust));
  g_assert_true(OSSL_CMP_CTX_set1_cert(ctx, device));
  g_assert_true(OSSL_CMP_CTX_set1_pkey(ctx, device_key));
  g_assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key));
  g_assert_true(OSSL_CMP_CTX_set1_subjectName(ctx, subject));
  g_assert_true(OSSL_CMP_CTX_set_transfer_cb(ctx, wire_transfer));
  g_assert_true(OSSL_CMP_CTX_set_transfer_cb_arg(ctx, w));
  X509_NAME_free(subject);
  X509_free(device);
  EVP_PKEY_free(device_key);
  return ctx;
}

OSSL_CMP_CTX *operator_ctx(Fixture *f, X509 *cert, EVP_PKEY *key, Wire *w)
{
  X509_STORE *trust = X509_STORE_new();
  X509_STORE_add_cert(trust, es_pki_get0_operator_root(f->pki));
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(trust), (time_t)(EPOCH + 60));
  OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
  es_cmp_ctx_quiet(ctx);
  g_assert_true(OSSL_CMP_CTX_set0_trustedStore(ctx, trust));
  g_assert_true(OSSL_CMP_CTX_set1_cert(ctx, cert));
  g_assert_true(OSSL_CMP_CTX_set1_pkey(ctx, key));
  g_assert_true(OSSL_CMP_CTX_set_transfer_cb(ctx, wire_transfer));
  g_assert_true(OSSL_CMP_CTX_set_transfer_cb_arg(ctx, w));
  return ctx;
}

EVP_PKEY *new_key(void)
{
  GError *error = NULL;
  EVP_PKEY *k = es_key_generate(ES_KEY_P256, &error);
  g_assert_no_error(error);
  return k;
}

gboolean chains_to(X509 *cert, X509 *root)
{
  X509_STORE *store = X509_STORE_new();
  X509_STORE_add_cert(store, root);
  X509_STORE_CTX *v = X509_STORE_CTX_new();
  X509_STORE_CTX_init(v, store, cert, NULL);
  gboolean ok = X509_verify_cert(v) == 1;
  X509_STORE_CTX_free(v);
  X509_STORE_free(store);
  return ok;
}

int crl_reason(EsRaca *raca, X509 *cert)
{
  GError *error = NULL;
  X509_CRL *crl = es_raca_get1_crl(raca, 86400, &error);
  g_assert_no_error(error);
  X509_REVOKED *entry = NULL;
  int reason = -1;
  if (X509_CRL_get0_by_serial(crl, &entry, (ASN1_INTEGER *)X509_get0_serialNumber(cert)) == 1) {
    ASN1_ENUMERATED *code = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, NULL, NULL);
    reason = code != NULL ? (int)ASN1_ENUMERATED_get(code) : 0;
    ASN1_ENUMERATED_free(code);
  }
  X509_CRL_free(crl);
  return reason;
}

int post(EsRaca *raca, GBytes *der)
{
  GError *error = NULL;
  GBytes *rsp = es_raca_process(raca, g_bytes_get_data(der, NULL), g_bytes_get_size(der), &error);
  g_assert_no_error(error);
  g_assert_nonnull(rsp);
  int type = es_cmp_peek_body_type(g_bytes_get_data(rsp, NULL), g_bytes_get_size(rsp));
  g_bytes_unref(rsp);
  ERR_clear_error();
  return type;
}

Cred cred_of(OSSL_CMP_CTX *ctx)
{
  Cred c = {OSSL_CMP_CTX_get0_newCert(ctx), OSSL_CMP_CTX_get0_newPkey(ctx, 1)};
  g_assert_nonnull(c.cert);
  X509_up_ref(c.cert);
  EVP_PKEY_up_ref(c.key);
  return c;
}

Cred enrol(Fixture *f, guint number)
{
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, number, &w);
  g_assert_nonnull(OSSL_CMP_exec_IR_ses(ctx));
  Cred c = cred_of(ctx);
  OSSL_CMP_CTX_free(ctx);
  return c;
}

void cred_clear(Cred *c)
{
  X509_free(c->cert);
  EVP_PKEY_free(c->key);
  c->cert = NULL;
  c->key = NULL;
}

X509 *renew(Fixture *f, const Cred *c, Wire *w, OSSL_CMP_CTX **out_ctx)
{
  OSSL_CMP_CTX *ctx = operator_ctx(f, c->cert, c->key, w);
  g_assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key()));
  X509 *cert = OSSL_CMP_exec_KUR_ses(ctx);
  if (cert != NULL)
    X509_up_ref(cert);
  if (out_ctx != NULL)
    *out_ctx = ctx;
  else
    OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();
  return cert;
}
