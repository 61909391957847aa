/* Tests of the verification cache behind the trimmed provider: a success verified on a
 * recording thread answers the same check elsewhere; a check that differs in its data, its
 * signature, its key or its digest is verified for real and fails; a failure is never kept;
 * a thread that does not record keeps nothing; while the cache is off nothing is asked. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/es_pki.h"
#include "pki/es_provider.h"
#include "pki/es_rand.h"
#include "pki/es_sigcache.h"

#define NOT_BEFORE G_GINT64_CONSTANT(1793491200) /* 2026-11-01T00:00:00Z */

static const guint8 data[] = "a ProtectedPart, or any other bytes a CMP message signs";

static GBytes *sign(EVP_PKEY *key, const char *md, const guint8 *tbs, gsize len)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  guint8 sig[256];
  size_t siglen = sizeof sig;
  g_assert_cmpint(EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, key, NULL), ==, 1);
  g_assert_cmpint(EVP_DigestSign(ctx, sig, &siglen, tbs, len), ==, 1);
  EVP_MD_CTX_free(ctx);
  return g_bytes_new(sig, siglen);
}

typedef struct {
  EVP_PKEY *key;
  const char *md;
  const guint8 *tbs;
  gsize len;
  GBytes *sig;
  gboolean record;
  gboolean pieces; /* the data in two updates */
  gboolean ok;
} Check;

static gpointer verify(gpointer arg)
{
  Check *c = arg;
  es_sigcache_set_recording(c->record);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  gsize siglen;
  const guint8 *sig = g_bytes_get_data(c->sig, &siglen);
  int r = EVP_DigestVerifyInit_ex(ctx, NULL, c->md, NULL, NULL, c->key, NULL);
  if (r == 1 && c->pieces)
    r = EVP_DigestVerifyUpdate(ctx, c->tbs, c->len / 2) == 1 &&
        EVP_DigestVerifyUpdate(ctx, c->tbs + c->len / 2, c->len - c->len / 2) == 1 &&
        EVP_DigestVerifyFinal(ctx, sig, siglen) == 1;
  else if (r == 1)
    r = EVP_DigestVerify(ctx, sig, siglen, c->tbs, c->len);
  c->ok = r == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  es_sigcache_set_recording(FALSE);
  return NULL;
}

/* Verifies on a thread of its own, which records when `record`. */
static gboolean verify_on_thread(Check c, gboolean record)
{
  c.record = record;
  g_thread_join(g_thread_new("check", verify, &c));
  return c.ok;
}

static gboolean verify_here(Check c)
{
  verify(&c);
  return c.ok;
}

static EsSigcacheStats stats(void)
{
  EsSigcacheStats st;
  es_sigcache_get_stats(&st);
  return st;
}

static void test_answers(void)
{
  GError *error = NULL;
  g_assert_true(es_provider_install(&error));
  g_assert_true(es_provider_active());
  es_sigcache_enable(TRUE);
  EVP_PKEY *key = es_key_generate(ES_KEY_P256, &error);
  EVP_PKEY *other = es_key_generate(ES_KEY_P256, &error);
  g_assert_no_error(error);
  GBytes *sig = sign(key, "SHA256", data, sizeof data);
  Check c = {.key = key, .md = "SHA256", .tbs = data, .len = sizeof data, .sig = sig};

  /* Verified ahead on a recording thread: kept, then answered here, in one piece or two. */
  EsSigcacheStats before = stats();
  g_assert_true(verify_on_thread(c, TRUE));
  g_assert_cmpuint(stats().remembered, ==, before.remembered + 1);
  g_assert_true(verify_here(c));
  Check pieces = c;
  pieces.pieces = TRUE;
  g_assert_true(verify_here(pieces));
  g_assert_cmpuint(stats().answered, ==, before.answered + 2);

  /* Whatever differs is verified for real, and fails. */
  guint8 changed[sizeof data];
  memcpy(changed, data, sizeof data);
  changed[3] ^= 1;
  Check wrong_data = c;
  wrong_data.tbs = changed;
  Check wrong_key = c;
  wrong_key.key = other;
  Check wrong_md = c;
  wrong_md.md = "SHA384";
  gsize siglen;
  const guint8 *good = g_bytes_get_data(sig, &siglen);
  guint8 *bad = g_memdup2(good, siglen);
  bad[siglen - 2] ^= 0x10;
  Check wrong_sig = c;
  wrong_sig.sig = g_bytes_new_take(bad, siglen);
  EsSigcacheStats mid = stats();
  g_assert_false(verify_here(wrong_data));
  g_assert_false(verify_here(wrong_key));
  g_assert_false(verify_here(wrong_md));
  g_assert_false(verify_here(wrong_sig));
  g_assert_cmpuint(stats().answered, ==, mid.answered);
  g_assert_cmpuint(stats().asked, ==, mid.asked + 4);

  /* A failure verified ahead is not kept, nor is a success on a thread that does not record. */
  g_assert_false(verify_on_thread(wrong_sig, TRUE));
  GBytes *sig2 = sign(key, "SHA256", changed, sizeof changed);
  Check other_data = {
      .key = key, .md = "SHA256", .tbs = changed, .len = sizeof changed, .sig = sig2};
  g_assert_true(verify_on_thread(other_data, FALSE));
  g_assert_cmpuint(stats().remembered, ==, mid.remembered);
  g_assert_false(verify_here(wrong_sig));
  g_assert_true(verify_here(other_data));
  g_assert_cmpuint(stats().answered, ==, mid.answered);

  /* Off: a success is verified and nothing is asked; on again, the cache starts empty. */
  es_sigcache_enable(FALSE);
  EsSigcacheStats off = stats();
  g_assert_true(verify_here(c));
  g_assert_cmpuint(stats().asked, ==, off.asked);
  es_sigcache_enable(TRUE);
  g_assert_true(verify_here(c));
  g_assert_cmpuint(stats().answered, ==, off.answered);

  g_bytes_unref(wrong_sig.sig);
  g_bytes_unref(sig2);
  g_bytes_unref(sig);
  EVP_PKEY_free(other);
  EVP_PKEY_free(key);
  es_sigcache_enable(FALSE);
}

typedef struct {
  X509 *cert;
  EVP_PKEY *issuer_key;
  int r;
} CertCheck;

static gpointer verify_cert(gpointer arg)
{
  CertCheck *c = arg;
  es_sigcache_set_recording(TRUE);
  EsRand *rand = es_rand_new(3, 3);
  es_rand_set_current(rand);
  c->r = X509_verify(c->cert, c->issuer_key);
  es_rand_free(rand);
  return NULL;
}

/* A P-256 certificate's signature checked ahead answers X509_verify here, and not with the
 * wrong key. A P-384 one is not kept: OpenSSL's generic curves blind with random bytes, and
 * answering it would leave the verifier's random stream elsewhere than verifying does. */
static void test_certificates(void)
{
  GError *error = NULL;
  g_assert_true(es_provider_install(&error));
  es_sigcache_enable(TRUE);
  EsPki *p256 = es_pki_generate(ES_KEY_P256, NOT_BEFORE, &error);
  EsPki *p384 = es_pki_generate(ES_KEY_P384, NOT_BEFORE, &error);
  g_assert_no_error(error);
  EsPki *pkis[] = {p256, p384};
  for (gsize i = 0; i < G_N_ELEMENTS(pkis); i++) {
    CertCheck c = {es_pki_get0_raca_cert(pkis[i]), es_pki_get0_operator_root_key(pkis[i]), 0};
    EsSigcacheStats before = stats();
    g_thread_join(g_thread_new("check", verify_cert, &c));
    g_assert_cmpint(c.r, ==, 1);
    guint kept = pkis[i] == p256;
    g_assert_cmpuint(stats().remembered, ==, before.remembered + kept);
    guint64 drawn = es_rand_drawn();
    g_assert_cmpint(X509_verify(c.cert, c.issuer_key), ==, 1);
    g_assert_cmpuint(stats().answered, ==, before.answered + kept);
    g_assert_true(kept ? es_rand_drawn() == drawn : es_rand_drawn() > drawn);
    g_assert_cmpint(X509_verify(c.cert, es_pki_get0_vendor_root_key(pkis[i])), !=, 1);
    ERR_clear_error();
    g_assert_cmpuint(stats().answered, ==, before.answered + kept);
  }
  es_pki_free(p384);
  es_pki_free(p256);
  es_sigcache_enable(FALSE);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_unsetenv("OPENSSL_CONF"); /* the cache is in the trimmed provider */
  g_assert_true(es_provider_install(NULL));
  es_rand_install(7); /* as in a run: whether a verification draws randomness is seen */
  g_test_add_func("/sigcache/answers", test_answers);
  g_test_add_func("/sigcache/certificates", test_certificates);
  int rc = g_test_run();
  es_rand_uninstall();
  return rc;
}
