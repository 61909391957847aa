/* The RA/CA in-process with OpenSSL's own CMP client wired through the transfer callback:
 * enrolment, unknown vendors, hostile bytes, kur and rr and who may ask, re-enrolment, one CA
 * shared by several RA/CAs. How it takes (or never gets) a confirmation: test_raca_confirm.c. */
#define _GNU_SOURCE /* memmem */
#include <glib.h>
#include <string.h>
#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/es_ca.h"
#include "nodes/es_cmp.h"
#include "pki/es_pki.h"
#include "nodes/es_raca.h"
#include "pki/es_rand.h"
#include "tests/unit/nodes/test_raca_common.h"

static void test_enrol_explicit(Fixture *f, gconstpointer data)
{
  (void)data;
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 1, &w);
  X509 *cert = OSSL_CMP_exec_IR_ses(ctx);
  g_assert_nonnull(cert);
  g_assert_cmpuint(w.exchanges, ==, 2); /* ir/ip, certConf/pkiConf */
  g_assert_cmpint(w.last_response_type, ==, ES_CMP_PKICONF);
  g_assert_true(chains_to(cert, es_pki_get0_operator_root(f->pki)));
  g_assert_false(chains_to(cert, es_pki_get0_vendor_root(f->pki)));

  /* The operator root arrived in caPubs; RA/CA and cross certificate in extraCerts. */
  STACK_OF(X509) *pubs = OSSL_CMP_CTX_get1_caPubs(ctx);
  g_assert_cmpint(sk_X509_num(pubs), ==, 1);
  g_assert_cmpint(X509_cmp(sk_X509_value(pubs, 0), es_pki_get0_operator_root(f->pki)), ==, 0);
  sk_X509_pop_free(pubs, X509_free);
  STACK_OF(X509) *extra = OSSL_CMP_CTX_get1_extraCertsIn(ctx);
  gboolean has_cross = FALSE, has_raca = FALSE;
  for (int i = 0; i < sk_X509_num(extra); i++) {
    has_cross |= X509_cmp(sk_X509_value(extra, i), es_pki_get0_raca_cross(f->pki)) == 0;
    has_raca |= X509_cmp(sk_X509_value(extra, i), es_pki_get0_raca_cert(f->pki)) == 0;
  }
  g_assert_true(has_cross && has_raca);
  sk_X509_pop_free(extra, X509_free);

  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.issued, ==, 1);
  g_assert_cmpuint(st.confirmed, ==, 1);
  g_assert_cmpuint(st.revoked, ==, 0);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  g_assert_cmpuint(f->revoked, ==, 0);
  OSSL_CMP_CTX_free(ctx);
}

static void test_unknown_vendor(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  EsPki *other = es_pki_generate(ES_KEY_P256, EPOCH, &error);
  g_assert_no_error(error);
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  /* Device certificate from another vendor; the eNB still trusts our vendor root. */
  OSSL_CMP_CTX *ctx = enb_ctx(other, 4, &w);
  X509_STORE *trust = X509_STORE_new();
  X509_STORE_add_cert(trust, es_pki_get0_vendor_root(f->pki));
  OSSL_CMP_CTX_set0_trustedStore(ctx, trust);
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx));
  g_assert_cmpint(w.last_response_type, ==, ES_CMP_ERROR);
  g_assert_cmpuint(f->issued, ==, 0);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.issued, ==, 0);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  OSSL_CMP_CTX_free(ctx);
  es_pki_free(other);
  ERR_clear_error();
}

static void test_hostile_bytes(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  static const guint8 garbage[] = {0x30, 0x82, 0xff, 0xff, 0x01, 0x02};
  g_assert_null(es_raca_process(f->raca, garbage, sizeof garbage, &error));
  g_assert_error(error, ES_RACA_ERROR, ES_RACA_ERROR_DECODE);
  g_clear_error(&error);
  g_assert_null(es_raca_process(f->raca, (const guint8 *)"", 0, &error));
  g_assert_error(error, ES_RACA_ERROR, ES_RACA_ERROR_DECODE);
  g_clear_error(&error);
  g_assert_cmpint(es_cmp_peek_body_type(garbage, sizeof garbage), ==, -1);
}

/* ---- key update (kur) and revocation requests (rr) ---- */

static void test_kur_renews(Fixture *f, gconstpointer data)
{
  (void)data;
  Cred old = enrol(f, 11);
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = NULL;
  X509 *cert = renew(f, &old, &w, &ctx);
  g_assert_nonnull(cert);
  g_assert_cmpuint(w.exchanges, ==, 2); /* kur/kup, certConf/pkiConf */
  g_assert_cmpint(w.last_response_type, ==, ES_CMP_PKICONF);
  g_assert_true(chains_to(cert, es_pki_get0_operator_root(f->pki)));
  g_assert_cmpint(X509_NAME_cmp(X509_get_subject_name(cert), X509_get_subject_name(old.cert)), ==, 0);
  g_assert_true(X509_check_private_key(cert, OSSL_CMP_CTX_get0_newPkey(ctx, 1)) == 1);
  g_assert_true(EVP_PKEY_eq(X509_get0_pubkey(cert), X509_get0_pubkey(old.cert)) != 1);
  /* Once the new certificate is confirmed, the old one is superseded. */
  g_assert_cmpint(crl_reason(f->raca, old.cert), ==, ES_REVOKE_SUPERSEDED);
  g_assert_cmpint(crl_reason(f->raca, cert), ==, -1);
  g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_SUPERSEDED);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.issued, ==, 2);
  g_assert_cmpuint(st.renewed, ==, 1);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  /* The superseded certificate's DER is let go: the operator certificate alone is kept. */
  g_assert_cmpuint(st.kept_certificates, ==, 1);

  /* The superseded certificate cannot renew again, refused as revoked. */
  Wire w2 = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *refused = NULL;
  g_assert_null(renew(f, &old, &w2, &refused));
  g_assert_cmpuint(w2.exchanges, ==, 1);
  g_assert_cmpint(OSSL_CMP_CTX_get_failInfoCode(refused), ==, 1 << OSSL_CMP_PKIFAILUREINFO_certRevoked);
  OSSL_CMP_CTX_free(refused);
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.issued, ==, 2);

  /* The new one can. */
  Cred now = {cert, OSSL_CMP_CTX_get0_newPkey(ctx, 1)};
  EVP_PKEY_up_ref(now.key);
  Wire w3 = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  X509 *third = renew(f, &now, &w3, NULL);
  g_assert_nonnull(third);
  g_assert_cmpint(crl_reason(f->raca, cert), ==, ES_REVOKE_SUPERSEDED);
  X509_free(third);
  cred_clear(&now);
  OSSL_CMP_CTX_free(ctx);
  cred_clear(&old);
}

static gboolean carries(GBytes *msg, X509 *cert)
{
  unsigned char *der = NULL;
  int len = i2d_X509(cert, &der);
  gsize n;
  const guint8 *m = g_bytes_get_data(msg, &n);
  gboolean found = len > 0 && memmem(m, n, der, (size_t)len) != NULL;
  OPENSSL_free(der);
  return found;
}

/* The cross certificate goes only to a client that may hold the vendor root alone: an
 * enrolment's answers carry it beside our certificate, a renewal's and a root update's only our
 * certificate. With implicitConfirm (data) the last answers are the ip and the kup, without it
 * the pkiConfs. */
static void test_cross_for_vendor_only(Fixture *f, gconstpointer data)
{
  gboolean implicit = GPOINTER_TO_INT(data);
  X509 *cross = es_pki_get0_raca_cross(f->pki), *ours = es_pki_get0_raca_cert(f->pki);
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1, .keep = TRUE};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 17, &w);
  OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, implicit);
  g_assert_nonnull(OSSL_CMP_exec_IR_ses(ctx));
  Cred op = cred_of(ctx);
  OSSL_CMP_CTX_free(ctx);
  g_assert_cmpint(w.last_response_type, ==, implicit ? ES_CMP_IP : ES_CMP_PKICONF);
  g_assert_true(carries(w.response, ours));
  g_assert_true(carries(w.response, cross));
  wire_clear(&w);

  Wire k = {.raca = f->raca, .mode = PASS, .last_response_type = -1, .keep = TRUE};
  ctx = operator_ctx(f, op.cert, op.key, &k);
  OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, implicit);
  g_assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key()));
  g_assert_nonnull(OSSL_CMP_exec_KUR_ses(ctx));
  g_assert_cmpint(k.last_response_type, ==, implicit ? ES_CMP_KUP : ES_CMP_PKICONF);
  g_assert_true(carries(k.response, ours));
  g_assert_false(carries(k.response, cross));
  Cred renewed = cred_of(ctx);
  OSSL_CMP_CTX_free(ctx);
  wire_clear(&k);

  Wire g = {.raca = f->raca, .mode = PASS, .last_response_type = -1, .keep = TRUE};
  ctx = operator_ctx(f, renewed.cert, renewed.key, &g);
  g_assert_true(OSSL_CMP_CTX_push0_genm_ITAV(ctx, es_cmp_itav_new_root_update_request()));
  STACK_OF(OSSL_CMP_ITAV) *got = OSSL_CMP_exec_GENM_ses(ctx);
  g_assert_nonnull(got);
  g_assert_cmpint(g.last_response_type, ==, ES_CMP_GENP);
  g_assert_true(carries(g.response, ours));
  g_assert_false(carries(g.response, cross));
  sk_OSSL_CMP_ITAV_pop_free(got, OSSL_CMP_ITAV_free);
  OSSL_CMP_CTX_free(ctx);
  wire_clear(&g);
  cred_clear(&renewed);
  cred_clear(&op);
}

static void test_kur_vendor_cert_refused(Fixture *f, gconstpointer data)
{
  (void)data;
  Cred op = enrol(f, 13);
  /* The factory credential may enrol, never renew: a kur under the vendor certificate. */
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 13, &w);
  g_assert_true(OSSL_CMP_CTX_set1_oldCert(ctx, op.cert));
  g_assert_null(OSSL_CMP_exec_KUR_ses(ctx));
  g_assert_cmpint(w.last_response_type, ==, ES_CMP_ERROR);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.issued, ==, 1);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  g_assert_cmpint(crl_reason(f->raca, op.cert), ==, -1);
  OSSL_CMP_CTX_free(ctx);
  cred_clear(&op);
  ERR_clear_error();
}

static void test_ir_operator_cert_refused(Fixture *f, gconstpointer data)
{
  (void)data;
  Cred op = enrol(f, 14);
  /* An operator certificate may not enrol a new identity: ir is for vendor credentials. */
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = operator_ctx(f, op.cert, op.key, &w);
  X509_NAME *subject = X509_NAME_new();
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)"enb-99", -1, -1, 0);
  g_assert_true(OSSL_CMP_CTX_set1_subjectName(ctx, subject));
  X509_NAME_free(subject);
  g_assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key()));
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx));
  g_assert_cmpint(w.last_response_type, ==, ES_CMP_ERROR);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.issued, ==, 1);
  OSSL_CMP_CTX_free(ctx);
  cred_clear(&op);
  ERR_clear_error();
}

static void test_kur_other_enb_refused(Fixture *f, gconstpointer data)
{
  (void)data;
  Cred a = enrol(f, 15), b = enrol(f, 16);
  /* eNB A signs a kur that names B's certificate: valid under the operator root, but not B. */
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = operator_ctx(f, a.cert, a.key, &w);
  g_assert_true(OSSL_CMP_CTX_set1_oldCert(ctx, b.cert));
  g_assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key()));
  g_assert_null(OSSL_CMP_exec_KUR_ses(ctx));
  g_assert_cmpint(w.last_response_type, ==, ES_CMP_KUP); /* a kup carrying the rejection */
  g_assert_cmpint(OSSL_CMP_CTX_get_failInfoCode(ctx), ==, 1 << OSSL_CMP_PKIFAILUREINFO_notAuthorized);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.issued, ==, 2);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  g_assert_cmpint(crl_reason(f->raca, b.cert), ==, -1);
  OSSL_CMP_CTX_free(ctx);
  cred_clear(&a);
  cred_clear(&b);
  ERR_clear_error();
}

static void test_kur_same_key_refused(Fixture *f, gconstpointer data)
{
  (void)data;
  Cred op = enrol(f, 17);
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = operator_ctx(f, op.cert, op.key, &w);
  EVP_PKEY_up_ref(op.key);
  g_assert_true(OSSL_CMP_CTX_set0_newPkey(ctx, 1, op.key));
  g_assert_null(OSSL_CMP_exec_KUR_ses(ctx));
  g_assert_cmpint(OSSL_CMP_CTX_get_failInfoCode(ctx), ==, 1 << OSSL_CMP_PKIFAILUREINFO_badCertTemplate);
  g_assert_cmpint(crl_reason(f->raca, op.cert), ==, -1);
  OSSL_CMP_CTX_free(ctx);
  cred_clear(&op);
  ERR_clear_error();
}

static int revoke_request(Fixture *f, const Cred *signer, X509 *target, int reason, Wire *w)
{
  OSSL_CMP_CTX *ctx = operator_ctx(f, signer->cert, signer->key, w);
  g_assert_true(OSSL_CMP_CTX_set1_oldCert(ctx, target));
  g_assert_true(OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_REVOCATION_REASON, reason));
  int ok = OSSL_CMP_exec_RR_ses(ctx);
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

static void test_rr_revokes(Fixture *f, gconstpointer data)
{
  (void)data;
  Cred op = enrol(f, 18);
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  g_assert_cmpint(revoke_request(f, &op, op.cert, ES_REVOKE_KEY_COMPROMISE, &w), ==, 1);
  g_assert_cmpuint(w.exchanges, ==, 1);
  g_assert_cmpint(w.last_response_type, ==, ES_CMP_RP);
  g_assert_cmpint(crl_reason(f->raca, op.cert), ==, ES_REVOKE_KEY_COMPROMISE);
  g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_REQUESTED);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.revoked_on_request, ==, 1);
  g_assert_cmpuint(st.open_transactions, ==, 0);

  /* Revoked once: a second rr and a kur with it are refused. */
  Wire w2 = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  g_assert_cmpint(revoke_request(f, &op, op.cert, -1, &w2), ==, 0);
  g_assert_cmpint(w2.last_response_type, ==, ES_CMP_RP);
  Wire w3 = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  g_assert_null(renew(f, &op, &w3, NULL));
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.revoked, ==, 1);
  g_assert_cmpuint(st.issued, ==, 1);
  cred_clear(&op);
}

static void test_rr_without_reason(Fixture *f, gconstpointer data)
{
  (void)data;
  Cred op = enrol(f, 19);
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  g_assert_cmpint(revoke_request(f, &op, op.cert, -1, &w), ==, 1);
  g_assert_cmpint(crl_reason(f->raca, op.cert), ==, ES_REVOKE_UNSPECIFIED);
  cred_clear(&op);
}

static void test_rr_other_enb_refused(Fixture *f, gconstpointer data)
{
  (void)data;
  Cred a = enrol(f, 20), b = enrol(f, 21);
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  g_assert_cmpint(revoke_request(f, &a, b.cert, ES_REVOKE_KEY_COMPROMISE, &w), ==, 0);
  g_assert_cmpint(w.last_response_type, ==, ES_CMP_RP);
  g_assert_cmpint(crl_reason(f->raca, b.cert), ==, -1);
  g_assert_cmpint(crl_reason(f->raca, a.cert), ==, -1);
  /* Nor may the vendor credential revoke. */
  Wire w2 = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 21, &w2);
  g_assert_true(OSSL_CMP_CTX_set1_oldCert(ctx, b.cert));
  g_assert_cmpint(OSSL_CMP_exec_RR_ses(ctx), ==, 0);
  g_assert_cmpint(w2.last_response_type, ==, ES_CMP_ERROR);
  g_assert_cmpint(crl_reason(f->raca, b.cert), ==, -1);
  OSSL_CMP_CTX_free(ctx);
  cred_clear(&a);
  cred_clear(&b);
  ERR_clear_error();
}

static void test_rr_unknown_cert_refused(Fixture *f, gconstpointer data)
{
  (void)data;
  Cred op = enrol(f, 22);
  /* A certificate under the operator root that this RA/CA never issued (its own). */
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  g_assert_cmpint(revoke_request(f, &op, es_pki_get0_raca_cert(f->pki), -1, &w), ==, 0);
  g_assert_cmpint(crl_reason(f->raca, es_pki_get0_raca_cert(f->pki)), ==, -1);
  cred_clear(&op);
}

/* ---- re-enrolment and one CA shared by several RA/CAs ---- */

/* An eNB that enrols again (ir) and confirms: its earlier certificate is superseded. */
static void test_reenrol_supersedes(Fixture *f, gconstpointer data)
{
  (void)data;
  Cred first = enrol(f, 21);
  Cred other = enrol(f, 22);
  g_assert_cmpuint(f->revoked, ==, 0);
  Cred second = enrol(f, 21);
  g_assert_cmpuint(f->revoked, ==, 1);
  g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_SUPERSEDED);
  g_assert_cmpint(crl_reason(f->raca, first.cert), ==, ES_REVOKE_SUPERSEDED);
  g_assert_cmpint(crl_reason(f->raca, second.cert), ==, -1);
  g_assert_cmpint(crl_reason(f->raca, other.cert), ==, -1);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.kept_certificates, ==, 2); /* second, other */
  /* A third enrolment supersedes the second only (the first is revoked once). */
  Cred third = enrol(f, 21);
  g_assert_cmpuint(f->revoked, ==, 2);
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.kept_certificates, ==, 2); /* third, other */
  g_assert_cmpint(crl_reason(f->raca, second.cert), ==, ES_REVOKE_SUPERSEDED);
  g_assert_cmpint(crl_reason(f->raca, third.cert), ==, -1);
  cred_clear(&first);
  cred_clear(&second);
  cred_clear(&third);
  cred_clear(&other);
}

static void test_reenrol_keep_superseded(Fixture *f, gconstpointer data)
{
  EsRacaConfig c = raca_config(GPOINTER_TO_INT(data));
  c.keep_superseded = TRUE;
  fixture_set_config(f, &c);
  Cred first = enrol(f, 24);
  Cred second = enrol(f, 24);
  g_assert_cmpuint(f->revoked, ==, 0);
  g_assert_cmpint(crl_reason(f->raca, first.cert), ==, -1);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.kept_certificates, ==, 2); /* the first can still renew */
  cred_clear(&first);
  cred_clear(&second);
}

/* A certConf of an abandoned transaction that arrives after its successor was confirmed and
 * then revoked (its DER let go): the late certificate is still the one superseded, and the
 * holder stays the successor's. */
static void test_late_certconf_after_revoked(Fixture *f, gconstpointer data)
{
  (void)data;
  Wire w = {.raca = f->raca, .mode = DROP_CERTCONF, .last_response_type = -1, .keep = TRUE};
  OSSL_CMP_CTX *abandoned = enb_ctx(f->pki, 25, &w);
  g_assert_null(OSSL_CMP_exec_IR_ses(abandoned)); /* its certConf held back */
  ERR_clear_error();
  X509 *late = X509_dup(f->issued_cert);
  Cred successor = enrol(f, 25);
  g_assert_true(es_raca_revoke_by_operator(f->raca, successor.cert, ES_REVOKE_KEY_COMPROMISE));
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.kept_certificates, ==, 1); /* the late one, not confirmed yet */

  g_assert_cmpint(post(f->raca, w.request[ES_CMP_CERTCONF]), ==, ES_CMP_PKICONF);
  g_assert_cmpint(crl_reason(f->raca, late), ==, ES_REVOKE_SUPERSEDED);
  g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_SUPERSEDED);
  g_assert_cmpint(crl_reason(f->raca, successor.cert), ==, ES_REVOKE_KEY_COMPROMISE);
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.kept_certificates, ==, 0);
  X509_free(late);
  cred_clear(&successor);
  OSSL_CMP_CTX_free(abandoned);
  wire_clear(&w);
}

/* Two RA/CAs of one run issue from one CA: serials never repeat, one CRL lists both. */
static void test_shared_ca(Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  EsCa *ca = es_ca_new(es_pki_get0_operator_root(f->pki), es_pki_get0_operator_root_key(f->pki));
  g_assert_nonnull(ca);
  EsRacaConfig c = raca_config(GPOINTER_TO_INT(data));
  c.ca = ca;
  EsRaca *a = es_raca_new(&c, f->pki, NULL, &error);
  g_assert_no_error(error);
  c.seed++;
  EsRaca *b = es_raca_new(&c, f->pki, NULL, &error);
  g_assert_no_error(error);
  es_ca_free(ca); /* the RA/CAs hold it */
  g_assert_true(es_raca_get0_ca(a) == es_raca_get0_ca(b));

  EsRaca *racas[] = {a, b, a, b};
  X509 *certs[G_N_ELEMENTS(racas)];
  for (guint i = 0; i < G_N_ELEMENTS(racas); i++) {
    /* The first two confirm, the last two never do and are revoked at confirm-wait. */
    Wire w = {.raca = racas[i], .mode = i < 2 ? PASS : DROP_CERTCONF, .last_response_type = -1};
    OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 30 + i, &w);
    X509 *cert = OSSL_CMP_exec_IR_ses(ctx);
    if (i < 2) {
      g_assert_nonnull(cert);
      certs[i] = X509_dup(cert);
    } else {
      g_assert_null(cert);
      certs[i] = NULL;
    }
    OSSL_CMP_CTX_free(ctx);
    ERR_clear_error();
  }
  for (guint i = 0; i < 2; i++)
    for (guint j = 0; j < i; j++)
      g_assert_cmpint(ASN1_INTEGER_cmp(X509_get0_serialNumber(certs[i]),
                                       X509_get0_serialNumber(certs[j])), !=, 0);
  es_raca_expire_all(a);
  es_raca_expire_all(b);
  EsRacaStats sa, sb;
  es_raca_get_stats(a, &sa);
  es_raca_get_stats(b, &sb);
  g_assert_cmpuint(sa.issued + sb.issued, ==, 4);
  g_assert_cmpuint(sa.revoked, ==, 1);
  g_assert_cmpuint(sb.revoked, ==, 1);
  /* One CRL, whichever RA/CA makes it, lists the revocations of both. */
  X509_CRL *crl = es_raca_get1_crl(b, 86400, &error);
  g_assert_no_error(error);
  g_assert_cmpint(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), ==, 2);
  for (guint i = 0; i < 2; i++) {
    X509_REVOKED *entry = NULL;
    ASN1_INTEGER *serial = (ASN1_INTEGER *)X509_get0_serialNumber(certs[i]);
    g_assert_cmpint(X509_CRL_get0_by_serial(crl, &entry, serial), !=, 1);
  }
  X509_CRL_free(crl);
  for (guint i = 0; i < 2; i++)
    X509_free(certs[i]);
  es_raca_free(a);
  es_raca_free(b);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  es_rand_install(42);
#define ADD(path, fn, implicit) \
  g_test_add(path, Fixture, GINT_TO_POINTER(implicit), fixture_setup, fn, fixture_teardown)
  ADD("/raca/enrol/explicit", test_enrol_explicit, FALSE);
  ADD("/raca/reject/unknown-vendor", test_unknown_vendor, FALSE);
  ADD("/raca/hostile-bytes", test_hostile_bytes, FALSE);
  ADD("/raca/kur/renews", test_kur_renews, FALSE);
  ADD("/raca/kur/cross-for-vendor-only", test_cross_for_vendor_only, FALSE);
  ADD("/raca/kur/cross-for-vendor-only-implicit", test_cross_for_vendor_only, TRUE);
  ADD("/raca/kur/vendor-cert-refused", test_kur_vendor_cert_refused, FALSE);
  ADD("/raca/kur/other-enb-refused", test_kur_other_enb_refused, FALSE);
  ADD("/raca/kur/same-key-refused", test_kur_same_key_refused, FALSE);
  ADD("/raca/ir/operator-cert-refused", test_ir_operator_cert_refused, FALSE);
  ADD("/raca/rr/revokes", test_rr_revokes, FALSE);
  ADD("/raca/rr/without-reason", test_rr_without_reason, FALSE);
  ADD("/raca/rr/other-enb-refused", test_rr_other_enb_refused, FALSE);
  ADD("/raca/rr/unknown-cert-refused", test_rr_unknown_cert_refused, FALSE);
  ADD("/raca/ir/reenrol-supersedes", test_reenrol_supersedes, FALSE);
  ADD("/raca/ir/reenrol-supersedes-implicit", test_reenrol_supersedes, TRUE);
  ADD("/raca/ir/reenrol-keep-superseded", test_reenrol_keep_superseded, FALSE);
  ADD("/raca/ir/late-certconf-after-revoked", test_late_certconf_after_revoked, FALSE);
  ADD("/raca/shared-ca", test_shared_ca, FALSE);
  int rc = g_test_run();
  es_rand_uninstall();
  return rc;
}
