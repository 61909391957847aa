/* How the RA/CA ends a transaction that issued: implicitConfirm granted or not, a certConf that
 * fails to authenticate, one the eNB signed correctly over the wrong certificate hash, one that
 * rejects, none within confirm-wait; what a failed confirmation leaves an eNB with; and the
 * signature of a certConf verified once where the RA/CA checks it twice. */
#include <glib.h>
#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "nodes/es_cmp.h"
#include "nodes/es_raca.h"
#include "pki/es_ca.h"
#include "pki/es_pki.h"
#include "pki/es_provider.h"
#include "pki/es_rand.h"
#include "pki/es_sigcache.h"
#include "tests/unit/nodes/test_raca_common.h"

static void test_enrol_implicit(Fixture *f, gconstpointer data)
{
  (void)data;
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 2, &w);
  OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, 1);
  X509 *cert = OSSL_CMP_exec_IR_ses(ctx);
  g_assert_nonnull(cert);
  g_assert_cmpuint(w.exchanges, ==, 1); /* granted: no certConf */
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.confirmed, ==, 1);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  OSSL_CMP_CTX_free(ctx);
}

static void test_implicit_not_granted(Fixture *f, gconstpointer data)
{
  (void)data;
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 3, &w);
  OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, 1);
  g_assert_nonnull(OSSL_CMP_exec_IR_ses(ctx));
  g_assert_cmpuint(w.exchanges, ==, 2); /* the RA/CA insisted on certConf */
  OSSL_CMP_CTX_free(ctx);
}

/* A certConf that does not authenticate is not its client's: refused, and the transaction is
 * left as it was, to be confirmed by a valid certConf or revoked at confirm-wait. Without
 * raca.harden it revokes at once, so anyone who saw the transactionID could revoke. */
static void test_tampered_certconf(Fixture *f, gconstpointer data)
{
  (void)data;
  Wire w = {.raca = f->raca, .mode = TAMPER_CERTCONF, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 5, &w);
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx)); /* the client sees the error response */
  g_assert_cmpint(w.last_response_type, ==, ES_CMP_ERROR);
  g_assert_cmpuint(f->issued, ==, 1);
  g_assert_cmpuint(f->revoked, ==, 0);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.open_transactions, ==, 1);
  g_assert_cmpuint(st.refused_unbound, ==, 1);
  es_raca_expire_all(f->raca);
  g_assert_cmpuint(f->revoked, ==, 1);
  g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_CONFIRM_TIMEOUT);
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();

  EsRacaConfig c = raca_config(FALSE);
  c.harden = FALSE;
  fixture_set_config(f, &c);
  Wire open = {.raca = f->raca, .mode = TAMPER_CERTCONF, .last_response_type = -1};
  ctx = enb_ctx(f->pki, 6, &open);
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx));
  g_assert_cmpuint(f->revoked, ==, 2);
  g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_CERTCONF_FAILED);
  g_assert_cmpint(crl_reason(f->raca, f->revoked_cert), ==, ES_REVOKE_PRIVILEGE_WITHDRAWN);
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();
}

/* Signed by the eNB's own key, so it authenticates, but its certHash is not that of the
 * certificate issued: the eNB confirms something else, and the RA/CA cannot know who holds
 * what it issued. Refused and revoked as for a certConf that fails to authenticate. */
static void test_wrong_hash_certconf(Fixture *f, gconstpointer data)
{
  (void)data;
  Wire w = {.raca = f->raca, .mode = WRONG_HASH_CERTCONF, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 8, &w);
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx));
  g_assert_cmpuint(w.exchanges, ==, 2);
  g_assert_cmpint(w.last_response_type, ==, ES_CMP_ERROR);
  g_assert_cmpuint(f->issued, ==, 1);
  g_assert_cmpuint(f->revoked, ==, 1);
  g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_CERTCONF_FAILED);
  g_assert_cmpint(X509_cmp(f->revoked_cert, f->issued_cert), ==, 0);
  g_assert_cmpint(crl_reason(f->raca, f->issued_cert), ==, ES_REVOKE_PRIVILEGE_WITHDRAWN);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.confirmed, ==, 0);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();

  /* The control: the same signing over an unchanged certConf is accepted, so what was
   * refused above is the hash, not the signature. */
  Wire ok = {.raca = f->raca, .mode = RESIGN_CERTCONF, .last_response_type = -1};
  ctx = enb_ctx(f->pki, 9, &ok);
  g_assert_nonnull(OSSL_CMP_exec_IR_ses(ctx));
  g_assert_cmpint(ok.last_response_type, ==, ES_CMP_PKICONF);
  g_assert_cmpuint(f->revoked, ==, 1);
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.confirmed, ==, 1);
  OSSL_CMP_CTX_free(ctx);
}

static int reject_cert(OSSL_CMP_CTX *ctx, X509 *cert, int fail_info, const char **text)
{
  (void)ctx, (void)cert, (void)fail_info;
  *text = "test rejects";
  return 1 << OSSL_CMP_PKIFAILUREINFO_incorrectData;
}

static void test_enb_rejects(Fixture *f, gconstpointer data)
{
  (void)data;
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 6, &w);
  OSSL_CMP_CTX_set_certConf_cb(ctx, reject_cert);
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx));
  g_assert_cmpuint(f->revoked, ==, 1);
  g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_REJECTED);
  g_assert_cmpint(crl_reason(f->raca, f->revoked_cert), ==, ES_REVOKE_CESSATION);
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();
}

static void test_confirm_wait(Fixture *f, gconstpointer data)
{
  (void)data;
  Wire w = {.raca = f->raca, .mode = DROP_CERTCONF, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 7, &w);
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx));
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.open_transactions, ==, 1);
  g_assert_cmpuint(f->revoked, ==, 0);
  es_raca_expire_all(f->raca);
  g_assert_cmpuint(f->revoked, ==, 1);
  g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_CONFIRM_TIMEOUT);
  g_assert_cmpint(crl_reason(f->raca, f->revoked_cert), ==, ES_REVOKE_CESSATION);
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();
}

/* A kur whose certConf fails, to authenticate (revoked at confirm-wait) or by its hash (at
 * once): the new certificate is revoked and the eNB keeps the valid one it renewed. */
static void test_kur_failed_certconf_keeps_old(Fixture *f, gconstpointer data)
{
  (void)data;
  const Mode modes[] = {TAMPER_CERTCONF, WRONG_HASH_CERTCONF};
  for (guint i = 0; i < G_N_ELEMENTS(modes); i++) {
    Cred old = enrol(f, 12 + i);
    Wire w = {.raca = f->raca, .mode = modes[i], .last_response_type = -1};
    g_assert_null(renew(f, &old, &w, NULL));
    g_assert_cmpint(w.last_response_type, ==, ES_CMP_ERROR);
    if (modes[i] == TAMPER_CERTCONF) /* not its client's: the transaction waits */
      es_raca_expire_all(f->raca);
    g_assert_cmpint(f->last_cause, ==, modes[i] == TAMPER_CERTCONF
                                           ? ES_RACA_REVOKED_CONFIRM_TIMEOUT
                                           : ES_RACA_REVOKED_CERTCONF_FAILED);
    g_assert_cmpint(X509_cmp(f->revoked_cert, f->issued_cert), ==, 0);
    g_assert_cmpint(crl_reason(f->raca, f->revoked_cert), ==,
                    modes[i] == TAMPER_CERTCONF ? ES_REVOKE_CESSATION
                                                : ES_REVOKE_PRIVILEGE_WITHDRAWN);
    g_assert_cmpint(crl_reason(f->raca, old.cert), ==, -1);
    cred_clear(&old);
  }
  g_assert_cmpuint(f->revoked, ==, 2);
}

/* Until confirmed, a re-enrolment supersedes nothing: the eNB may still need the old one. */
static void test_reenrol_unconfirmed_keeps_old(Fixture *f, gconstpointer data)
{
  (void)data;
  Cred first = enrol(f, 23);
  Wire w = {.raca = f->raca, .mode = DROP_CERTCONF, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 23, &w);
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx));
  g_assert_cmpuint(f->revoked, ==, 0);
  es_raca_expire_all(f->raca);
  g_assert_cmpuint(f->revoked, ==, 1);
  g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_CONFIRM_TIMEOUT);
  g_assert_cmpint(crl_reason(f->raca, first.cert), ==, -1);
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();
  cred_clear(&first);
}

/* The RA/CA binds a certConf to its client (raca.harden) before OpenSSL's server checks its
 * protection: the same signature, verified by the first check and answered from it by the
 * signature cache in the second. A certConf that fails the first leaves nothing to answer
 * with, and without raca.harden there is no first check. */
static void test_certconf_verified_once(Fixture *f, gconstpointer data)
{
  (void)data;
  es_sigcache_enable(TRUE);
  EsSigcacheStats before, after;
  es_sigcache_get_stats(&before);
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 9, &w);
  g_assert_nonnull(OSSL_CMP_exec_IR_ses(ctx));
  g_assert_cmpuint(w.exchanges, ==, 2);
  OSSL_CMP_CTX_free(ctx);
  es_sigcache_get_stats(&after);
  g_assert_cmpuint(after.remembered, ==, before.remembered + 1);
  g_assert_cmpuint(after.answered, ==, before.answered + 1);

  before = after;
  Wire bad = {.raca = f->raca, .mode = TAMPER_CERTCONF, .last_response_type = -1};
  ctx = enb_ctx(f->pki, 10, &bad);
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx));
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();
  es_sigcache_get_stats(&after);
  g_assert_cmpuint(after.remembered, ==, before.remembered);
  g_assert_cmpuint(after.answered, ==, before.answered);

  EsRacaConfig c = raca_config(FALSE);
  c.harden = FALSE;
  fixture_set_config(f, &c);
  before = after;
  Wire open = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  ctx = enb_ctx(f->pki, 11, &open);
  g_assert_nonnull(OSSL_CMP_exec_IR_ses(ctx));
  OSSL_CMP_CTX_free(ctx);
  es_sigcache_get_stats(&after);
  g_assert_cmpuint(after.answered, ==, before.answered);
  es_sigcache_enable(FALSE);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_unsetenv("OPENSSL_CONF"); /* the signature cache is in the trimmed provider */
  g_assert_true(es_provider_install(NULL));
  es_rand_install(42);
#define ADD(path, fn, implicit)                                                                    \
  g_test_add(path, Fixture, GINT_TO_POINTER(implicit), fixture_setup, fn, fixture_teardown)
  ADD("/raca/enrol/implicit", test_enrol_implicit, TRUE);
  ADD("/raca/enrol/implicit-not-granted", test_implicit_not_granted, FALSE);
  ADD("/raca/revoke/tampered-certconf", test_tampered_certconf, FALSE);
  ADD("/raca/revoke/wrong-hash-certconf", test_wrong_hash_certconf, FALSE);
  ADD("/raca/revoke/enb-rejects", test_enb_rejects, FALSE);
  ADD("/raca/revoke/confirm-wait", test_confirm_wait, FALSE);
  ADD("/raca/kur/failed-certconf-keeps-old", test_kur_failed_certconf_keeps_old, FALSE);
  ADD("/raca/ir/reenrol-unconfirmed-keeps-old", test_reenrol_unconfirmed_keeps_old, FALSE);
  ADD("/raca/certconf/verified-once", test_certconf_verified_once, FALSE);
  int rc = g_test_run();
  es_rand_uninstall();
  return rc;
}
