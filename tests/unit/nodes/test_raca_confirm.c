/* A certConf the eNB signed correctly but whose certHash names another certificate: the RA/CA
 * must refuse it and revoke what it issued, exactly as for a certConf that fails to verify. */
#include <glib.h>
#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <string.h>

#include "nodes/es_cmp.h"
#include "nodes/es_raca.h"
#include "pki/es_pki.h"
#include "pki/es_rand.h"

#define EPOCH G_GINT64_CONSTANT(1793491200) /* 2026-11-01T00:00:00Z */

typedef struct {
  EsPki *pki;
  EsRaca *raca;
  guint issued, revoked;
  X509 *issued_cert, *revoked_cert; /* the last of each, up-ref'd */
  EsRacaRevokeCause last_cause;
} Fixture;

typedef struct {
  EsRaca *raca;
  GBytes *cert_conf; /* the client's certConf, kept instead of sent */
} Wire;

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

static void fixture_setup(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  memset(f, 0, sizeof *f);
  f->pki = es_pki_generate(ES_KEY_P256, EPOCH, &error);
  g_assert_no_error(error);
  EsRacaConfig c = {
      .confirm_wait_s = 30,
      .workers = 1,
      .ir_service_s = 0.002,
      .certconf_service_s = 0.001,
      .epoch = EPOCH,
      .cert_validity_s = 3650 * 86400,
      .seed = 7,
  };
  f->raca = es_raca_new(&c, f->pki, NULL, &error);
  g_assert_no_error(error);
  EsRacaObserver obs = {.event = on_raca_event};
  es_raca_set_observer(f->raca, &obs, f);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  X509_free(f->issued_cert);
  X509_free(f->revoked_cert);
  es_raca_free(f->raca);
  es_pki_free(f->pki);
}

/* ---- a DER reader and writer just big enough for a PKIMessage's outer layers ---- */

/* One element: `der` is its tag byte, `size` covers tag, length and content. */
typedef struct {
  const guint8 *der, *content;
  gsize size, len;
} Tlv;

/* Single-byte tags and definite lengths: all that PKIMessage, PKIBody and CertStatus use. */
static Tlv tlv_read(const guint8 *p, gsize avail)
{
  g_assert_cmpuint(avail, >=, 2);
  gsize len = p[1], head = 2;
  if (len & 0x80) {
    gsize n = len & 0x7f;
    g_assert_true(n >= 1 && n <= 3 && avail >= 2 + n);
    len = 0;
    for (gsize i = 0; i < n; i++)
      len = len << 8 | p[2 + i];
    head += n;
  }
  g_assert_cmpuint(len, <=, avail - head);
  return (Tlv){p, p + head, head + len, len};
}

static Tlv tlv_first(const Tlv *parent)
{
  return tlv_read(parent->content, parent->len);
}

static Tlv tlv_next(const Tlv *parent, const Tlv *prev)
{
  const guint8 *p = prev->der + prev->size;
  return tlv_read(p, (gsize)(parent->content + parent->len - p));
}

static void tlv_write(GByteArray *out, guint8 tag, const guint8 *content, gsize len)
{
  guint8 head[5] = {tag};
  guint n = 1;
  g_assert_cmpuint(len, <, 1 << 24);
  if (len < 0x80) {
    head[n++] = (guint8)len;
  } else {
    guint bytes = len > 0xffff ? 3 : len > 0xff ? 2 : 1;
    head[n++] = (guint8)(0x80 | bytes);
    while (bytes-- > 0)
      head[n++] = (guint8)(len >> (8 * bytes));
  }
  g_byte_array_append(out, head, n);
  g_byte_array_append(out, content, (guint)len);
}

/* The certHash of the first CertStatus: body [24] certConf { SEQUENCE OF CertStatus
 * { certHash OCTET STRING, certReqId, statusInfo } }, inside `der` so it can be changed. */
static guint8 *cert_hash(guint8 *der, gsize len, gsize *hash_len)
{
  Tlv msg = tlv_read(der, len);
  Tlv header = tlv_first(&msg);
  Tlv body = tlv_next(&msg, &header);
  g_assert_cmphex(body.der[0], ==, 0xa0 | ES_CMP_CERTCONF);
  Tlv statuses = tlv_first(&body);
  Tlv status = tlv_first(&statuses);
  Tlv hash = tlv_first(&status);
  g_assert_cmphex(hash.der[0], ==, V_ASN1_OCTET_STRING);
  *hash_len = hash.len;
  return der + (hash.content - der);
}

/* The message with its protection recomputed by `key` (ECDSA with SHA-256) over ProtectedPart
 * = SEQUENCE { header, body } (RFC 4210 5.1.3); extraCerts kept as they are. */
static GBytes *reprotect(GBytes *message, EVP_PKEY *key)
{
  gsize len;
  const guint8 *der = g_bytes_get_data(message, &len);
  Tlv msg = tlv_read(der, len);
  g_assert_cmphex(msg.der[0], ==, 0x30);
  Tlv header = tlv_first(&msg);
  Tlv body = tlv_next(&msg, &header);
  Tlv protection = tlv_next(&msg, &body);
  g_assert_cmphex(protection.der[0], ==, 0xa0);
  const guint8 *extra = protection.der + protection.size;
  gsize extra_len = (gsize)(msg.content + msg.len - extra);

  GByteArray *fields = g_byte_array_new();
  g_byte_array_append(fields, header.der, (guint)header.size);
  g_byte_array_append(fields, body.der, (guint)body.size);
  GByteArray *part = g_byte_array_new();
  tlv_write(part, 0x30, fields->data, fields->len);

  size_t sig_len = (size_t)EVP_PKEY_get_size(key);
  guint8 *bits = g_malloc(1 + sig_len);
  bits[0] = 0x00; /* unused bits */
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  g_assert_true(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1);
  g_assert_true(EVP_DigestSign(md, bits + 1, &sig_len, part->data, part->len) == 1);
  EVP_MD_CTX_free(md);
  GByteArray *bit_string = g_byte_array_new();
  tlv_write(bit_string, V_ASN1_BIT_STRING, bits, 1 + sig_len);
  tlv_write(fields, 0xa0, bit_string->data, bit_string->len);
  g_byte_array_append(fields, extra, (guint)extra_len);
  GByteArray *out = g_byte_array_new();
  tlv_write(out, 0x30, fields->data, fields->len);

  g_free(bits);
  g_byte_array_unref(bit_string);
  g_byte_array_unref(part);
  g_byte_array_unref(fields);
  return g_byte_array_free_to_bytes(out);
}

/* ---- the eNB side: OpenSSL's client up to its certConf ---- */

static OSSL_CMP_MSG *wire_transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
  Wire *w = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);
  g_assert_cmpint(len, >, 0);
  if (OSSL_CMP_MSG_get_bodytype(req) == ES_CMP_CERTCONF) {
    g_assert_null(w->cert_conf);
    w->cert_conf = g_bytes_new(der, (gsize)len);
    OPENSSL_free(der);
    return NULL; /* the client gives up; the RA/CA's transaction waits for a certConf */
  }
  GError *error = NULL;
  GBytes *rsp = es_raca_process(w->raca, der, (gsize)len, &error);
  OPENSSL_free(der);
  g_assert_no_error(error);
  gsize n;
  const unsigned char *p = g_bytes_get_data(rsp, &n);
  OSSL_CMP_MSG *msg = d2i_OSSL_CMP_MSG(NULL, &p, (long)n);
  g_bytes_unref(rsp);
  return msg;
}

/* Runs the ir of eNB `number` (vendor credential, vendor root as its only trust anchor) as far
 * as its certConf and returns that certConf; *device_key gets the key that signed it. */
static GBytes *ir_until_certconf(Fixture *f, guint number, EVP_PKEY **device_key)
{
  GError *error = NULL;
  *device_key = es_key_generate(ES_KEY_P256, &error);
  g_assert_no_error(error);
  X509 *device = es_pki_issue_device(f->pki, number, *device_key, &error);
  g_assert_no_error(error);
  EVP_PKEY *new_key = es_key_generate(ES_KEY_P256, &error);
  g_assert_no_error(error);
  X509_STORE *trust = X509_STORE_new();
  X509_STORE_add_cert(trust, es_pki_get0_vendor_root(f->pki));
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(trust), (time_t)(EPOCH + 60));
  X509_NAME *subject = X509_NAME_new();
  char cn[32];
  g_snprintf(cn, sizeof cn, "enb-%u", number);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);

  Wire w = {f->raca, NULL};
  OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
  es_cmp_ctx_quiet(ctx);
  g_assert_true(OSSL_CMP_CTX_set0_trustedStore(ctx, trust));
  g_assert_true(OSSL_CMP_CTX_set1_cert(ctx, device));
  g_assert_true(OSSL_CMP_CTX_set1_pkey(ctx, *device_key));
  g_assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key));
  g_assert_true(OSSL_CMP_CTX_set1_subjectName(ctx, subject));
  g_assert_true(OSSL_CMP_CTX_set_transfer_cb(ctx, wire_transfer));
  g_assert_true(OSSL_CMP_CTX_set_transfer_cb_arg(ctx, &w));
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx)); /* no pkiConf came back */
  g_assert_nonnull(w.cert_conf);
  OSSL_CMP_CTX_free(ctx);
  X509_NAME_free(subject);
  X509_free(device);
  ERR_clear_error();
  return w.cert_conf;
}

/* The body type of the RA/CA's answer to `cert_conf`. */
static int send_certconf(Fixture *f, GBytes *cert_conf)
{
  GError *error = NULL;
  gsize len;
  const guint8 *der = g_bytes_get_data(cert_conf, &len);
  GBytes *rsp = es_raca_process(f->raca, der, len, &error);
  g_assert_no_error(error);
  const unsigned char *p = g_bytes_get_data(rsp, &len);
  OSSL_CMP_MSG *msg = d2i_OSSL_CMP_MSG(NULL, &p, (long)len);
  g_assert_nonnull(msg);
  int type = OSSL_CMP_MSG_get_bodytype(msg);
  OSSL_CMP_MSG_free(msg);
  g_bytes_unref(rsp);
  return type;
}

static void test_wrong_hash_revokes(Fixture *f, gconstpointer data)
{
  (void)data;
  EVP_PKEY *key = NULL;
  GBytes *original = ir_until_certconf(f, 1, &key);
  g_assert_cmpuint(f->issued, ==, 1);
  X509 *issued = f->issued_cert;
  X509_up_ref(issued);

  /* The octet string found is the issued certificate's hash, so flipping it is what counts. */
  gsize len, hash_len;
  guint8 *der = g_bytes_unref_to_data(g_bytes_ref(original), &len);
  guint8 *hash = cert_hash(der, len, &hash_len);
  ASN1_OCTET_STRING *digest = X509_digest_sig(issued, NULL, NULL);
  g_assert_cmpuint(hash_len, ==, 32); /* SHA-256, the signature digest of a P-256 certificate */
  g_assert_cmpmem(hash, hash_len, ASN1_STRING_get0_data(digest), ASN1_STRING_length(digest));
  ASN1_OCTET_STRING_free(digest);
  hash[7] ^= 0x01;
  GBytes *wrong = g_bytes_new_take(der, len);
  GBytes *forged = reprotect(wrong, key);

  g_assert_cmpint(send_certconf(f, forged), ==, ES_CMP_ERROR);
  g_assert_cmpuint(f->revoked, ==, 1);
  g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_CERTCONF_FAILED);
  const ASN1_INTEGER *serial = X509_get0_serialNumber(issued);
  g_assert_cmpint(ASN1_INTEGER_cmp(X509_get0_serialNumber(f->revoked_cert), serial), ==, 0);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.revoked, ==, 1);
  g_assert_cmpuint(st.confirmed, ==, 0);
  g_assert_cmpuint(st.open_transactions, ==, 0);

  /* Control: the same re-signing over an unchanged certConf of a fresh transaction is
   * accepted, so the refusal above is for the hash and not for a broken signature. */
  EVP_PKEY *key2 = NULL;
  GBytes *original2 = ir_until_certconf(f, 2, &key2);
  g_assert_cmpuint(f->issued, ==, 2);
  GBytes *resigned = reprotect(original2, key2);
  g_assert_false(g_bytes_equal(resigned, original2)); /* a new signature, not a copy */
  g_assert_cmpint(send_certconf(f, resigned), ==, ES_CMP_PKICONF);
  g_assert_cmpuint(f->revoked, ==, 1);
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.confirmed, ==, 1);
  g_assert_cmpuint(st.revoked, ==, 1);
  g_assert_cmpuint(st.open_transactions, ==, 0);

  g_bytes_unref(resigned);
  g_bytes_unref(original2);
  EVP_PKEY_free(key2);
  g_bytes_unref(forged);
  g_bytes_unref(wrong);
  g_bytes_unref(original);
  X509_free(issued);
  EVP_PKEY_free(key);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  es_rand_install(42);
  g_test_add("/raca/certconf/wrong-hash-revokes", Fixture, NULL, fixture_setup,
             test_wrong_hash_revokes, fixture_teardown);
  int rc = g_test_run();
  es_rand_uninstall();
  return rc;
}
