/* Tests of es_crl_check: a CRL passes when the key verifies it, with its numbers; a copy byte
 * for byte of one that passed passes without being decoded again; a copy that differs in one
 * bit, a trailing byte or the key is decoded and refused; the last two that passed are kept. */
#include <string.h>

#include <openssl/x509v3.h>

#include "pki/es_ca.h"
#include "pki/es_crl_check.h"
#include "pki/es_pki.h"
#include "pki/es_rand.h"

#define NOT_BEFORE G_GINT64_CONSTANT(1793491200) /* 2026-11-01T00:00:00Z */
#define DAY G_GINT64_CONSTANT(86400)

typedef struct {
  EsPki *pki;
  EsCa *ca;
  EVP_PKEY *key; /* the operator root's public key */
  GBytes *full;  /* a complete CRL listing three serials */
} Fixture;

static GBytes *der_of(X509_CRL *crl)
{
  unsigned char *der = NULL;
  int len = i2d_X509_CRL(crl, &der);
  g_assert_cmpint(len, >, 0);
  GBytes *b = g_bytes_new(der, (gsize)len);
  OPENSSL_free(der);
  X509_CRL_free(crl);
  return b;
}

static void revoke(EsCa *ca, guint64 serial)
{
  ASN1_INTEGER *s = ASN1_INTEGER_new();
  g_assert_true(ASN1_INTEGER_set_uint64(s, serial));
  g_assert_true(es_ca_revoke(ca, s, ES_REVOKE_KEY_COMPROMISE, NOT_BEFORE + DAY));
  ASN1_INTEGER_free(s);
}

static GBytes *complete_crl(Fixture *f)
{
  g_autoptr(GError) error = NULL;
  X509_CRL *crl = es_ca_get1_crl(f->ca, NOT_BEFORE + 2 * DAY, NOT_BEFORE + 9 * DAY, &error);
  g_assert_no_error(error);
  return der_of(crl);
}

static void fixture_set_up(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  es_rand_install(2026);
  f->pki = es_pki_generate(ES_KEY_P256, NOT_BEFORE, &error);
  g_assert_no_error(error);
  f->ca = es_ca_new(es_pki_get0_operator_root(f->pki), es_pki_get0_operator_root_key(f->pki));
  g_assert_nonnull(f->ca);
  f->key = X509_get0_pubkey(es_pki_get0_operator_root(f->pki));
  for (guint64 s = 100; s < 103; s++)
    revoke(f->ca, s);
  f->full = complete_crl(f);
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
  (void)data;
  g_bytes_unref(f->full);
  es_ca_free(f->ca);
  es_pki_free(f->pki);
}

static gboolean check(EsCrlCheck *c, GBytes *der, EVP_PKEY *key, guint64 *number, guint64 *base)
{
  gsize len;
  const guint8 *bytes = g_bytes_get_data(der, &len);
  return es_crl_check(c, bytes, len, key, number, base);
}

static void assert_stats(EsCrlCheck *c, guint64 decoded, guint64 matched)
{
  EsCrlCheckStats s;
  es_crl_check_get_stats(c, &s);
  g_assert_cmpuint(s.decoded, ==, decoded);
  g_assert_cmpuint(s.matched, ==, matched);
}

/* A copy of `der` with byte `at` XOR `mask`, or with one byte more when at == its length. */
static GBytes *altered(GBytes *der, gsize at, guint8 mask)
{
  gsize len;
  const guint8 *bytes = g_bytes_get_data(der, &len);
  guint8 *copy = g_malloc(len + 1);
  memcpy(copy, bytes, len);
  copy[at] = at < len ? copy[at] ^ mask : 0;
  return g_bytes_new_take(copy, at < len ? len : len + 1);
}

static void test_passes_once_decoded(Fixture *f, gconstpointer data)
{
  (void)data;
  EsCrlCheck *c = es_crl_check_new();
  guint64 number = 99, base = 99;
  g_assert_true(check(c, f->full, f->key, &number, &base));
  g_assert_cmpuint(number, ==, es_ca_get_crl_number(f->ca));
  g_assert_cmpuint(number, >, 0);
  g_assert_cmpuint(base, ==, 0);
  assert_stats(c, 1, 0);
  /* The same bytes again, from another buffer: not decoded again. */
  GBytes *copy = g_bytes_new(g_bytes_get_data(f->full, NULL), g_bytes_get_size(f->full));
  number = base = 99;
  g_assert_true(check(c, copy, f->key, &number, &base));
  g_assert_cmpuint(number, ==, es_ca_get_crl_number(f->ca));
  g_assert_cmpuint(base, ==, 0);
  assert_stats(c, 1, 1);
  g_bytes_unref(copy);
  es_crl_check_free(c);
}

static void test_altered_refused(Fixture *f, gconstpointer data)
{
  (void)data;
  EsCrlCheck *c = es_crl_check_new();
  guint64 number, base;
  g_assert_true(check(c, f->full, f->key, &number, &base));
  gsize len = g_bytes_get_size(f->full);
  /* A bit in the version, in an entry, in the signature's last byte; a byte more. */
  gsize at[] = {6, len / 2, len - 1, len};
  guint64 decoded = 1;
  for (gsize i = 0; i < G_N_ELEMENTS(at); i++) {
    GBytes *bad = altered(f->full, at[i], 0x01);
    g_assert_false(check(c, bad, f->key, &number, &base));
    assert_stats(c, ++decoded, 0);
    g_bytes_unref(bad);
  }
  /* Exactly the bytes that passed, under another key: decoded, and refused. */
  EVP_PKEY *vendor = X509_get0_pubkey(es_pki_get0_vendor_root(f->pki));
  g_assert_false(check(c, f->full, vendor, &number, &base));
  assert_stats(c, ++decoded, 0);
  /* What passed still passes. */
  g_assert_true(check(c, f->full, f->key, &number, &base));
  assert_stats(c, decoded, 1);
  es_crl_check_free(c);
}

static void test_keeps_two(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  EsCrlCheck *c = es_crl_check_new();
  guint64 full_number = es_ca_get_crl_number(f->ca), number, base;
  revoke(f->ca, 200);
  X509_CRL *d =
      es_ca_get1_delta_crl(f->ca, full_number, NOT_BEFORE + 3 * DAY, NOT_BEFORE + 9 * DAY, &error);
  g_assert_no_error(error);
  GBytes *delta = der_of(d);
  GBytes *newer = complete_crl(f);
  g_assert_true(check(c, f->full, f->key, &number, &base));
  g_assert_true(check(c, delta, f->key, &number, &base));
  g_assert_cmpuint(base, ==, full_number);
  g_assert_cmpuint(number, >, full_number);
  /* A full CRL and its delta are both kept. */
  g_assert_true(check(c, f->full, f->key, &number, &base));
  g_assert_cmpuint(number, ==, full_number);
  g_assert_cmpuint(base, ==, 0);
  assert_stats(c, 2, 1);
  /* A third takes the oldest one's place. */
  g_assert_true(check(c, newer, f->key, &number, &base));
  g_assert_true(check(c, f->full, f->key, &number, &base));
  g_assert_true(check(c, newer, f->key, &number, &base));
  assert_stats(c, 4, 2);
  g_bytes_unref(delta);
  g_bytes_unref(newer);
  es_crl_check_free(c);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/crl-check/passes-once-decoded", Fixture, NULL, fixture_set_up,
             test_passes_once_decoded, fixture_tear_down);
  g_test_add("/crl-check/altered-refused", Fixture, NULL, fixture_set_up, test_altered_refused,
             fixture_tear_down);
  g_test_add("/crl-check/keeps-two", Fixture, NULL, fixture_set_up, test_keeps_two,
             fixture_tear_down);
  return g_test_run();
}
