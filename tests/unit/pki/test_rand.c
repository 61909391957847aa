/* Tests of es_rand: streams repeat for a seed and differ across streams, the keystream is
 * RFC 8439 ChaCha20, and OpenSSL keys and ECDSA signatures repeat once it is installed. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "pki/es_pki.h"
#include "pki/es_rand.h"

static void test_same_seed_same_bytes(void)
{
  g_autoptr(EsRand) a = es_rand_new(42, 7);
  g_autoptr(EsRand) b = es_rand_new(42, 7);
  guint8 x[1000], y[1000];
  /* Read in differently sized pieces: buffering must not change the stream. */
  es_rand_bytes(a, x, sizeof x);
  for (gsize off = 0, step = 1; off < sizeof y; off += step, step = step * 2 + 1)
    es_rand_bytes(b, y + off, MIN(step, sizeof y - off));
  g_assert_cmpmem(x, sizeof x, y, sizeof y);
}

static void test_streams_independent(void)
{
  g_autoptr(EsRand) a = es_rand_new(42, 0);
  g_autoptr(EsRand) b = es_rand_new(42, 1);
  g_autoptr(EsRand) c = es_rand_new(43, 0);
  /* (seed, stream) packed naively into one number would make these two collide. */
  g_autoptr(EsRand) d = es_rand_new(0, 42);
  guint64 va = es_rand_u64(a), vb = es_rand_u64(b), vc = es_rand_u64(c), vd = es_rand_u64(d);
  g_assert_cmpuint(va, !=, vb);
  g_assert_cmpuint(va, !=, vc);
  g_assert_cmpuint(va, !=, vd);
  g_assert_cmpuint(vb, !=, vc);

  /* Reading one stream does not move another. */
  g_autoptr(EsRand) a2 = es_rand_new(42, 0);
  (void)es_rand_u64(a2); /* a2 now where a is */
  guint8 junk[300];
  es_rand_bytes(b, junk, sizeof junk);
  g_assert_cmpuint(es_rand_u64(a), ==, es_rand_u64(a2));
}

/* The keystream is RFC 8439 ChaCha20 (zero nonce, counter from 0) under the key
 * SHA-256(seed LE64 || stream LE64): OpenSSL's implementation must produce the same bytes,
 * across several blocks. */
static void test_chacha20_matches_openssl(void)
{
  guint64 seed = 0x0123456789abcdefULL, stream = 99;
  guint8 material[16], key[32];
  for (int i = 0; i < 8; i++) {
    material[i] = (guint8)(seed >> (8 * i));
    material[8 + i] = (guint8)(stream >> (8 * i));
  }
  g_assert_true(EVP_Digest(material, sizeof material, key, NULL, EVP_sha256(), NULL));
  guint8 iv[16] = {0}; /* 32-bit counter 0 || 96-bit nonce 0 */
  guint8 zeros[64 * 5] = {0}, expected[sizeof zeros];
  int len = 0;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  g_assert_true(EVP_EncryptInit_ex(ctx, EVP_chacha20(), NULL, key, iv));
  g_assert_true(EVP_EncryptUpdate(ctx, expected, &len, zeros, sizeof zeros));
  g_assert_cmpint(len, ==, sizeof zeros);
  EVP_CIPHER_CTX_free(ctx);

  g_autoptr(EsRand) r = es_rand_new(seed, stream);
  guint8 got[sizeof zeros];
  es_rand_bytes(r, got, 3);
  es_rand_bytes(r, got + 3, sizeof got - 3);
  g_assert_cmpmem(got, sizeof got, expected, sizeof expected);
}

static void test_double_distribution(void)
{
  g_autoptr(EsRand) r = es_rand_new(1, 2);
  const int n = 200000;
  double sum = 0, below_tenth = 0;
  for (int i = 0; i < n; i++) {
    double v = es_rand_double(r);
    g_assert_cmpfloat(v, >=, 0.0);
    g_assert_cmpfloat(v, <, 1.0);
    sum += v;
    below_tenth += v < 0.1;
  }
  /* Standard error of the mean is 0.29/sqrt(n) = 0.00065; 0.005 is ~8 sigma. */
  g_assert_cmpfloat_with_epsilon(sum / n, 0.5, 0.005);
  g_assert_cmpfloat_with_epsilon(below_tenth / n, 0.1, 0.005);
}

/* A fresh P-256 key and an ECDSA signature with it, as DER. */
static void keygen_and_sign(GBytes **key_der, GBytes **sig)
{
  g_autoptr(GError) error = NULL;
  EVP_PKEY *key = es_key_generate(ES_KEY_P256, &error);
  g_assert_no_error(error);
  unsigned char *der = NULL;
  int der_len = i2d_PrivateKey(key, &der);
  g_assert_cmpint(der_len, >, 0);
  *key_der = g_bytes_new(der, der_len);
  OPENSSL_free(der);

  static const char msg[] = "ir for enb-1";
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  size_t sig_len = 0;
  g_assert_true(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key));
  g_assert_true(EVP_DigestSign(md, NULL, &sig_len, (const unsigned char *)msg, sizeof msg));
  unsigned char *buf = g_malloc(sig_len);
  g_assert_true(EVP_DigestSign(md, buf, &sig_len, (const unsigned char *)msg, sizeof msg));
  *sig = g_bytes_new_take(buf, sig_len);
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
}

static void test_openssl_repeats(void)
{
  GBytes *key1, *sig1, *key2, *sig2, *key3, *sig3, *key4, *sig4;

  es_rand_install(2026);
  keygen_and_sign(&key1, &sig1);
  es_rand_install(2026); /* re-installing restarts the default stream */
  keygen_and_sign(&key2, &sig2);
  g_assert_true(g_bytes_equal(key1, key2));
  g_assert_true(g_bytes_equal(sig1, sig2));

  /* A node's own stream: bytes repeat per stream and differ from the default's. */
  EsRand *node = es_rand_new(2026, 5);
  g_assert_null(es_rand_set_current(node));
  keygen_and_sign(&key3, &sig3);
  g_assert_false(g_bytes_equal(key1, key3));
  es_rand_free(node); /* also stops OpenSSL from reading it */
  node = es_rand_new(2026, 5);
  es_rand_set_current(node);
  keygen_and_sign(&key4, &sig4);
  g_assert_true(g_bytes_equal(key3, key4));
  g_assert_true(g_bytes_equal(sig3, sig4));
  g_assert_true(es_rand_set_current(NULL) == node);
  es_rand_free(node);

  /* RAND_bytes itself (CMP nonces, transactionIDs) comes from the stream too. */
  guint8 n1[16], n2[16];
  es_rand_install(7);
  g_assert_cmpint(RAND_bytes(n1, sizeof n1), ==, 1);
  es_rand_install(7);
  g_assert_cmpint(RAND_priv_bytes(n2, sizeof n2), ==, 1);
  g_assert_cmpmem(n1, sizeof n1, n2, sizeof n2);

  /* After uninstall OpenSSL's DRBG is back: keys no longer repeat. */
  es_rand_uninstall();
  GBytes *key5, *sig5, *key6, *sig6;
  keygen_and_sign(&key5, &sig5);
  keygen_and_sign(&key6, &sig6);
  g_assert_false(g_bytes_equal(key5, key6));
  g_assert_false(g_bytes_equal(key5, key1));

  GBytes *all[] = {key1, sig1, key2, sig2, key3, sig3, key4, sig4, key5, sig5, key6, sig6};
  for (guint i = 0; i < G_N_ELEMENTS(all); i++)
    g_bytes_unref(all[i]);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/rand/same-seed-same-bytes", test_same_seed_same_bytes);
  g_test_add_func("/rand/streams-independent", test_streams_independent);
  g_test_add_func("/rand/chacha20-matches-openssl", test_chacha20_matches_openssl);
  g_test_add_func("/rand/double-distribution", test_double_distribution);
  g_test_add_func("/rand/openssl-keys-and-signatures-repeat", test_openssl_repeats);
  return g_test_run();
}
