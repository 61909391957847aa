/* Attacks on the RA/CA's transactions by someone who sees them in clear: forged certConf and ir
 * under a victim's transactionID, replayed ir, a reused senderNonce, a stale messageTime, and
 * an ir stuffed with extraCerts. Each runs hardened (nothing issued or revoked, the victim
 * enrols) and, where the attack worked before, with raca.harden=false (it still works). */
#include <glib.h>
#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <string.h>

#include "nodes/es_cmp.h"
#include "nodes/es_raca.h"
#include "pki/es_ca.h"
#include "pki/es_pki.h"
#include "pki/es_rand.h"
#include "tests/unit/nodes/test_raca_common.h"

/* data: GINT_TO_POINTER(harden) for the attack tests. */
static void set_harden(Fixture *f, gboolean implicit, gboolean harden)
{
  EsRacaConfig c = raca_config(implicit);
  c.harden = harden;
  fixture_set_config(f, &c);
}

/* A transfer callback that keeps the request and answers nothing: what a client would send. */
static OSSL_CMP_MSG *capture(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
  GBytes **slot = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);
  g_assert_cmpint(len, >, 0);
  *slot = g_bytes_new(der, (gsize)len);
  OPENSSL_free(der);
  return NULL;
}

/* The ir that eNB `number` of `vendor` would send, never delivered; `protect` FALSE: sent
 * without protection. */
static GBytes *captured_ir(const EsPki *vendor, guint number, gboolean protect)
{
  GBytes *ir = NULL;
  OSSL_CMP_CTX *ctx = enb_ctx(vendor, number, NULL);
  OSSL_CMP_CTX_set_transfer_cb(ctx, capture);
  OSSL_CMP_CTX_set_transfer_cb_arg(ctx, &ir);
  if (!protect)
    OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_UNPROTECTED_SEND, 1);
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx));
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();
  g_assert_nonnull(ir);
  return ir;
}

/* `der` with a header field's bytes (`field`, one of its slices) replaced by `value` of the
 * same length. */
static GBytes *patched(GBytes *der, const guint8 *field, gsize field_len, GBytes *value)
{
  gsize n, vn;
  const guint8 *d = g_bytes_get_data(der, &n);
  const guint8 *v = g_bytes_get_data(value, &vn);
  g_assert_nonnull(field);
  g_assert_cmpuint(field_len, ==, vn);
  guint8 *copy = g_memdup2(d, n);
  memcpy(copy + (field - d), v, vn);
  return g_bytes_new_take(copy, n);
}

static GBytes *patched_id(GBytes *der, GBytes *id)
{
  EsCmpHeader h;
  g_assert_true(es_cmp_peek_header(g_bytes_get_data(der, NULL), g_bytes_get_size(der), &h));
  return patched(der, h.transaction_id, h.transaction_id_len, id);
}

static GBytes *patched_recip_nonce(GBytes *der, GBytes *nonce)
{
  EsCmpHeader h;
  g_assert_true(es_cmp_peek_header(g_bytes_get_data(der, NULL), g_bytes_get_size(der), &h));
  return patched(der, h.recip_nonce, h.recip_nonce_len, nonce);
}

/* Protected again by `signer` (its certificate and key) under transactionID `id`. */
static GBytes *resigned(GBytes *der, OSSL_CMP_CTX *signer, GBytes *id)
{
  gsize n;
  const unsigned char *p = g_bytes_get_data(der, &n);
  OSSL_CMP_MSG *msg = d2i_OSSL_CMP_MSG(NULL, &p, (long)n);
  g_assert_nonnull(msg);
  ASN1_OCTET_STRING *tid = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(tid, g_bytes_get_data(id, NULL), (int)g_bytes_get_size(id));
  g_assert_true(OSSL_CMP_CTX_set1_transactionID(signer, tid));
  g_assert_true(OSSL_CMP_MSG_update_transactionID(signer, msg));
  ASN1_OCTET_STRING_free(tid);
  unsigned char *out = NULL;
  int len = i2d_OSSL_CMP_MSG(msg, &out);
  g_assert_cmpint(len, >, 0);
  OSSL_CMP_MSG_free(msg);
  GBytes *b = g_bytes_new(out, (gsize)len);
  OPENSSL_free(out);
  return b;
}

static GBytes *header_slice(GBytes *der, gboolean want_id)
{
  EsCmpHeader h;
  g_assert_true(es_cmp_peek_header(g_bytes_get_data(der, NULL), g_bytes_get_size(der), &h));
  return want_id ? g_bytes_new(h.transaction_id, h.transaction_id_len)
                 : g_bytes_new(h.sender_nonce, h.sender_nonce_len);
}

typedef struct {
  Fixture *f;
  OSSL_CMP_CTX *attacker;   /* a device of the same vendor: a valid vendor certificate */
  GBytes *attacker_ir, *attacker_certconf, *unprotected_ir;
  guint posted;
} Attack;

/* On the victim's certConf, before it reaches the RA/CA, the attacker (who saw the ir, the ip
 * and this certConf) posts its forgeries under the victim's transactionID. */
static void forge_before_certconf(Wire *w, int type, const unsigned char *der, int len)
{
  if (type != ES_CMP_CERTCONF)
    return;
  Attack *a = w->arg;
  Fixture *f = a->f;
  GBytes *victim = g_bytes_new(der, (gsize)len);
  GBytes *id = header_slice(victim, TRUE);
  EsCmpHeader h;
  g_assert_true(es_cmp_peek_header(der, (gsize)len, &h));
  GBytes *recip = g_bytes_new(h.recip_nonce, h.recip_nonce_len);
  guint issued = f->issued, revoked = f->revoked;

  /* 1. The victim's certConf with a bit of its signature flipped (the last byte once its
   * extraCerts, which no signature covers, are gone). */
  GBytes *stripped = es_cmp_strip_extra_certs(der, (gsize)len);
  gsize sn;
  guint8 *copy = g_bytes_unref_to_data(stripped, &sn);
  copy[sn - 1] ^= 0x01;
  GBytes *flipped = g_bytes_new_take(copy, sn);
  /* 2. The attacker's own certConf, its recipNonce the victim's, signed by the attacker's
   * valid vendor certificate under the victim's transactionID. */
  GBytes *with_nonce = patched_recip_nonce(a->attacker_certconf, recip);
  GBytes *other_vendor = resigned(with_nonce, a->attacker, id);
  /* 3. An ir under the victim's transactionID, signed by the attacker, and unprotected. */
  GBytes *forged_ir = resigned(a->attacker_ir, a->attacker, id);
  GBytes *unsigned_ir = patched_id(a->unprotected_ir, id);
  GBytes *forgeries[] = {flipped, other_vendor, forged_ir, unsigned_ir};
  for (guint i = 0; i < G_N_ELEMENTS(forgeries); i++) {
    post(w->raca, forgeries[i]);
    a->posted++;
    if (f->revoked != revoked || f->issued != issued)
      break; /* the attack worked (raca.harden=false): the rest would only repeat it */
  }
  for (guint i = 0; i < G_N_ELEMENTS(forgeries); i++)
    g_bytes_unref(forgeries[i]);
  g_bytes_unref(with_nonce);
  g_bytes_unref(victim);
  g_bytes_unref(id);
  g_bytes_unref(recip);
}

static void test_forged_under_victim_id(Fixture *f, gconstpointer data)
{
  gboolean harden = GPOINTER_TO_INT(data);
  set_harden(f, FALSE, harden);
  Attack a = {.f = f};
  /* The attacker enrols for real up to its certConf, which it keeps. */
  Wire aw = {.raca = f->raca, .mode = DROP_CERTCONF, .last_response_type = -1, .keep = TRUE};
  a.attacker = enb_ctx(f->pki, 66, &aw);
  g_assert_null(OSSL_CMP_exec_IR_ses(a.attacker));
  ERR_clear_error();
  a.attacker_certconf = g_bytes_ref(aw.request[ES_CMP_CERTCONF]);
  a.attacker_ir = captured_ir(f->pki, 66, TRUE);
  a.unprotected_ir = captured_ir(f->pki, 67, FALSE);
  guint issued = f->issued;
  g_assert_cmpuint(issued, ==, 1);

  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1, .keep = TRUE,
            .hook = forge_before_certconf, .arg = &a};
  OSSL_CMP_CTX *victim = enb_ctx(f->pki, 5, &w);
  X509 *cert = OSSL_CMP_exec_IR_ses(victim);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  if (harden) {
    g_assert_cmpuint(a.posted, ==, 4);
    g_assert_nonnull(cert);
    g_assert_cmpint(w.last_response_type, ==, ES_CMP_PKICONF);
    g_assert_cmpuint(f->issued, ==, issued + 1); /* the victim's, nothing for the forgeries */
    g_assert_cmpuint(f->revoked, ==, 0);
    g_assert_cmpint(crl_reason(f->raca, cert), ==, -1);
    g_assert_true(chains_to(cert, es_pki_get0_operator_root(f->pki)));
    g_assert_cmpuint(st.refused_unbound, ==, 4);
  } else {
    /* The first forgery already revoked the victim's certificate. */
    g_assert_cmpuint(a.posted, ==, 1);
    g_assert_null(cert);
    g_assert_cmpuint(f->revoked, ==, 1);
    g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_CERTCONF_FAILED);
  }
  OSSL_CMP_CTX_free(victim);
  OSSL_CMP_CTX_free(a.attacker);
  g_bytes_unref(a.attacker_ir);
  g_bytes_unref(a.attacker_certconf);
  g_bytes_unref(a.unprotected_ir);
  wire_clear(&w);
  wire_clear(&aw);
  ERR_clear_error();
}

/* The forged ir alone (signed by the attacker, then unprotected): it used to revoke the
 * victim's pending certificate as confirm_timeout before it was even checked. */
static void test_forged_ir_alone(Fixture *f, gconstpointer data)
{
  gboolean harden = GPOINTER_TO_INT(data);
  set_harden(f, FALSE, harden);
  Wire w = {.raca = f->raca, .mode = DROP_CERTCONF, .last_response_type = -1, .keep = TRUE};
  OSSL_CMP_CTX *victim = enb_ctx(f->pki, 5, &w);
  g_assert_null(OSSL_CMP_exec_IR_ses(victim)); /* its certConf held back for now */
  ERR_clear_error();
  GBytes *id = header_slice(w.request[ES_CMP_IR], TRUE);
  OSSL_CMP_CTX *attacker = enb_ctx(f->pki, 66, NULL);
  GBytes *own = captured_ir(f->pki, 66, TRUE), *bare = captured_ir(f->pki, 67, FALSE);
  GBytes *forged = resigned(own, attacker, id), *unprotected = patched_id(bare, id);
  post(f->raca, forged);
  post(f->raca, unprotected);
  if (!harden) {
    g_assert_cmpuint(f->revoked, >=, 1);
    g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_CONFIRM_TIMEOUT);
  } else {
    g_assert_cmpuint(f->issued, ==, 1);
    g_assert_cmpuint(f->revoked, ==, 0);
    /* The victim's certConf, held back until now, still confirms. */
    g_assert_cmpint(post(f->raca, w.request[ES_CMP_CERTCONF]), ==, ES_CMP_PKICONF);
    EsRacaStats st;
    es_raca_get_stats(f->raca, &st);
    g_assert_cmpuint(st.confirmed, ==, 1);
    g_assert_cmpint(crl_reason(f->raca, f->issued_cert), ==, -1);
  }
  g_bytes_unref(id);
  g_bytes_unref(own);
  g_bytes_unref(bare);
  g_bytes_unref(forged);
  g_bytes_unref(unprotected);
  OSSL_CMP_CTX_free(attacker);
  OSSL_CMP_CTX_free(victim);
  wire_clear(&w);
}

/* A captured ir posted again once the victim's transaction is over: in implicit mode it used
 * to issue a new certificate and revoke the victim's as superseded; in explicit mode to issue
 * one more, revoked at confirm-wait. Refused, also by an RA/CA restarted with what the
 * observer reported. Data: implicit | harden << 1. */
static void test_replayed_ir(Fixture *f, gconstpointer data)
{
  gboolean implicit = GPOINTER_TO_INT(data) & 1, harden = GPOINTER_TO_INT(data) >> 1;
  set_harden(f, implicit, harden);
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1, .keep = TRUE};
  OSSL_CMP_CTX *victim = enb_ctx(f->pki, 5, &w);
  OSSL_CMP_CTX_set_option(victim, OSSL_CMP_OPT_IMPLICIT_CONFIRM, implicit);
  X509 *cert = OSSL_CMP_exec_IR_ses(victim);
  g_assert_nonnull(cert);
  g_assert_cmpuint(f->issued, ==, 1);
  GBytes *ir = g_bytes_ref(w.request[ES_CMP_IR]);
  post(f->raca, ir);
  es_raca_expire_all(f->raca); /* confirm-wait of anything the replay opened */
  if (!harden) {
    g_assert_cmpuint(f->issued, ==, 2);
    g_assert_cmpuint(f->revoked, ==, 1);
    if (implicit) { /* the victim's own certificate */
      g_assert_cmpint(X509_cmp(f->revoked_cert, cert), ==, 0);
      g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_SUPERSEDED);
    } else {
      g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_CONFIRM_TIMEOUT);
    }
  } else {
    g_assert_cmpuint(f->issued, ==, 1);
    g_assert_cmpuint(f->revoked, ==, 0);
    g_assert_cmpint(crl_reason(f->raca, cert), ==, -1);
    EsRacaStats st;
    es_raca_get_stats(f->raca, &st);
    g_assert_cmpuint(st.refused_replays, ==, 1);
    /* What the observer reported, given to a restarted RA/CA, refuses it there too. */
    g_assert_cmpuint(f->remembered->len, ==, 1);
    Remembered r = *(Remembered *)g_ptr_array_index(f->remembered, 0);
    g_bytes_ref(r.id), g_bytes_ref(r.nonce);
    set_harden(f, implicit, TRUE);
    es_raca_remember_request(f->raca, r.id, r.nonce, r.message_time);
    post(f->raca, ir);
    es_raca_expire_all(f->raca);
    g_assert_cmpuint(f->issued, ==, 1);
    es_raca_get_stats(f->raca, &st);
    g_assert_cmpuint(st.refused_replays, ==, 1);
    g_bytes_unref(r.id);
    g_bytes_unref(r.nonce);
  }
  g_bytes_unref(ir);
  OSSL_CMP_CTX_free(victim);
  wire_clear(&w);
}

/* The victim's ir under a new transactionID but its senderNonce, validly signed (by the
 * victim's key, the strongest case): refused for the nonce alone. */
static void test_replayed_nonce(Fixture *f, gconstpointer data)
{
  gboolean harden = GPOINTER_TO_INT(data);
  set_harden(f, TRUE, harden);
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1, .keep = TRUE};
  OSSL_CMP_CTX *victim = enb_ctx(f->pki, 5, &w);
  OSSL_CMP_CTX_set_option(victim, OSSL_CMP_OPT_IMPLICIT_CONFIRM, 1);
  g_assert_nonnull(OSSL_CMP_exec_IR_ses(victim));
  guint8 fresh[16];
  g_assert_true(RAND_bytes(fresh, sizeof fresh) == 1);
  GBytes *id = g_bytes_new(fresh, sizeof fresh);
  GBytes *again = resigned(w.request[ES_CMP_IR], victim, id);
  GBytes *n1 = header_slice(again, FALSE), *n2 = header_slice(w.request[ES_CMP_IR], FALSE);
  g_assert_true(g_bytes_equal(n1, n2));
  post(f->raca, again);
  g_assert_cmpuint(f->issued, ==, harden ? 1 : 2);
  g_bytes_unref(n1);
  g_bytes_unref(n2);
  g_bytes_unref(id);
  g_bytes_unref(again);
  OSSL_CMP_CTX_free(victim);
  wire_clear(&w);
}

/* A messageTime an hour off (either way) is refused; within the window it enrols. */
static void test_message_time_window(Fixture *f, gconstpointer data)
{
  (void)data;
  const gint64 offsets[] = {3600, -3600, 200};
  for (guint i = 0; i < G_N_ELEMENTS(offsets); i++) {
    test_clock_offset = offsets[i];
    Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1, .keep = TRUE};
    OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 5 + i, &w);
    X509 *cert = OSSL_CMP_exec_IR_ses(ctx);
    g_assert_true((cert != NULL) == (offsets[i] == 200));
    OSSL_CMP_CTX_free(ctx);
    wire_clear(&w);
    ERR_clear_error();
  }
  g_assert_cmpuint(f->issued, ==, 1);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.refused_replays, ==, 2);
  /* Unhardened, the clock is not looked at. */
  set_harden(f, FALSE, FALSE);
  test_clock_offset = 3600;
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1, .keep = TRUE};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 9, &w);
  g_assert_nonnull(OSSL_CMP_exec_IR_ses(ctx));
  OSSL_CMP_CTX_free(ctx);
  wire_clear(&w);
}

/* An ir carrying `count` extraCerts of `size` bytes each that are no certificates at all
 * (a SEQUENCE of zeros): decoding any one of them fails, so an answer proves none was. */
static GBytes *stuffed_ir(GBytes *ir, guint count, gsize size)
{
  gsize n;
  const unsigned char *d = g_bytes_get_data(ir, &n), *p = d;
  long content;
  int tag, xclass;
  g_assert_false(ASN1_get_object(&p, &content, &tag, &xclass, (long)n) & 0x80);
  GByteArray *certs = g_byte_array_new();
  guint8 *one = g_malloc0(size);
  unsigned char *q = one; /* 30 82 hh ll, then zeros */
  ASN1_put_object(&q, 1, (int)size - 4, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
  g_assert_cmpint(q - one, ==, 4);
  for (guint i = 0; i < count; i++)
    g_byte_array_append(certs, one, (guint)size);
  g_free(one);
  int seq_len = ASN1_object_size(1, (int)certs->len, V_ASN1_SEQUENCE);
  int extra_len = ASN1_object_size(1, seq_len, 1);
  /* The ir without extraCerts of its own, then the stuffed [1]. */
  GBytes *bare = es_cmp_strip_extra_certs(d, n);
  gsize bn;
  const unsigned char *b = g_bytes_get_data(bare, &bn), *bp = b;
  g_assert_false(ASN1_get_object(&bp, &content, &tag, &xclass, (long)bn) & 0x80);
  int total_content = (int)content + extra_len;
  int total = ASN1_object_size(1, total_content, V_ASN1_SEQUENCE);
  unsigned char *out = g_malloc((gsize)total), *o = out;
  ASN1_put_object(&o, 1, total_content, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
  memcpy(o, bp, (size_t)content);
  o += content;
  ASN1_put_object(&o, 1, seq_len, 1, V_ASN1_CONTEXT_SPECIFIC);
  ASN1_put_object(&o, 1, (int)certs->len, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
  memcpy(o, certs->data, certs->len);
  o += certs->len;
  g_assert_cmpint(o - out, ==, total);
  g_byte_array_free(certs, TRUE);
  g_bytes_unref(bare);
  return g_bytes_new_take(out, (gsize)total);
}

/* The ~1 MB ir of 2,400 extraCerts is refused from its DER: none of them is decoded. Raising
 * the caps shows they would have been (the garbage then fails to decode). */
static void test_extra_certs_caps(Fixture *f, gconstpointer data)
{
  (void)data;
  GBytes *ir = captured_ir(f->pki, 5, TRUE);
  GBytes *stuffed = stuffed_ir(ir, 2400, 420);
  g_assert_cmpuint(g_bytes_get_size(stuffed), >, 1000000);
  g_assert_cmpint(post(f->raca, stuffed), ==, ES_CMP_ERROR);
  GBytes *few_big = stuffed_ir(ir, 5, 20000); /* under the count cap, over the size cap */
  g_assert_cmpint(post(f->raca, few_big), ==, ES_CMP_ERROR);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.refused_oversized, ==, 2);
  g_assert_cmpuint(f->issued, ==, 0);

  EsRacaConfig c = raca_config(FALSE);
  c.max_extra_certs = 1000000;
  c.max_extra_certs_size = G_MAXUINT;
  fixture_set_config(f, &c);
  GError *error = NULL;
  GBytes *rsp = es_raca_process(f->raca, g_bytes_get_data(stuffed, NULL),
                                g_bytes_get_size(stuffed), &error);
  g_assert_null(rsp);
  g_assert_error(error, ES_RACA_ERROR, ES_RACA_ERROR_DECODE);
  g_error_free(error);
  g_bytes_unref(ir);
  g_bytes_unref(stuffed);
  g_bytes_unref(few_big);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  es_rand_install(42);
  g_test_add("/raca/attack/forged-under-victim-id", Fixture, GINT_TO_POINTER(TRUE),
             fixture_setup, test_forged_under_victim_id, fixture_teardown);
  g_test_add("/raca/attack/forged-under-victim-id-unhardened", Fixture, GINT_TO_POINTER(FALSE),
             fixture_setup, test_forged_under_victim_id, fixture_teardown);
  g_test_add("/raca/attack/forged-ir", Fixture, GINT_TO_POINTER(TRUE), fixture_setup,
             test_forged_ir_alone, fixture_teardown);
  g_test_add("/raca/attack/forged-ir-unhardened", Fixture, GINT_TO_POINTER(FALSE), fixture_setup,
             test_forged_ir_alone, fixture_teardown);
  g_test_add("/raca/attack/replayed-ir-explicit", Fixture, GINT_TO_POINTER(0 | 2), fixture_setup,
             test_replayed_ir, fixture_teardown);
  g_test_add("/raca/attack/replayed-ir-implicit", Fixture, GINT_TO_POINTER(1 | 2), fixture_setup,
             test_replayed_ir, fixture_teardown);
  g_test_add("/raca/attack/replayed-ir-explicit-unhardened", Fixture, GINT_TO_POINTER(0),
             fixture_setup, test_replayed_ir, fixture_teardown);
  g_test_add("/raca/attack/replayed-ir-implicit-unhardened", Fixture, GINT_TO_POINTER(1),
             fixture_setup, test_replayed_ir, fixture_teardown);
  g_test_add("/raca/attack/replayed-nonce", Fixture, GINT_TO_POINTER(TRUE), fixture_setup,
             test_replayed_nonce, fixture_teardown);
  g_test_add("/raca/attack/replayed-nonce-unhardened", Fixture, GINT_TO_POINTER(FALSE),
             fixture_setup, test_replayed_nonce, fixture_teardown);
  g_test_add("/raca/attack/message-time-window", Fixture, NULL, fixture_setup,
             test_message_time_window, fixture_teardown);
  g_test_add("/raca/attack/extra-certs-caps", Fixture, NULL, fixture_setup,
             test_extra_certs_caps, fixture_teardown);
  return g_test_run();
}
