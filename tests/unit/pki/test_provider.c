/* Tests of the trimmed provider: EC and RSA certificates and keys decode, encode and verify
 * as before; other key types' decoders are hidden but their algorithms are not; narrowed to
 * a run's key types, their DER decoders alone are offered; TLS still learns its groups; an
 * OpenSSL configuration that activates providers keeps them alone. */
#include <stdlib.h>

#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "pki/es_pki.h"
#include "pki/es_provider.h"

#define NOT_BEFORE G_GINT64_CONSTANT(1793491200) /* 2026-11-01T00:00:00Z */

/* An Ed25519 SubjectPublicKeyInfo (RFC 8410 section 10.1). */
static const guint8 ed25519_spki[] = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00, 0x19, 0xbf, 0x44,
    0x09, 0x69, 0x84, 0xcd, 0xfe, 0x85, 0x41, 0xba, 0xc1, 0x67, 0xdc, 0x3b, 0x96, 0xc8, 0x50,
    0x86, 0xaa, 0x30, 0xb6, 0xb6, 0xcb, 0x0c, 0x5c, 0x38, 0xad, 0x70, 0x31, 0x66, 0xe1,
};

static EVP_PKEY *ed25519_decode(void)
{
  const unsigned char *p = ed25519_spki;
  return d2i_PUBKEY(NULL, &p, sizeof ed25519_spki);
}

typedef struct {
  guint ours, others;
} Offered;

static void count_decoder(OSSL_DECODER *dec, void *arg)
{
  Offered *o = arg;
  if (OSSL_DECODER_is_a(dec, "EC") || OSSL_DECODER_is_a(dec, "RSA") ||
      OSSL_DECODER_is_a(dec, "DER"))
    o->ours++;
  else
    o->others++;
}

static void count_encoder(OSSL_ENCODER *enc, void *arg)
{
  Offered *o = arg;
  if (OSSL_ENCODER_is_a(enc, "EC") || OSSL_ENCODER_is_a(enc, "RSA"))
    o->ours++;
  else
    o->others++;
}

/* A certificate back from its DER still carries its key, and the key verifies it. */
static void check_round_trip(X509 *cert, EVP_PKEY *issuer_key)
{
  unsigned char *der = NULL;
  int len = i2d_X509(cert, &der);
  g_assert_cmpint(len, >, 0);
  const unsigned char *p = der;
  X509 *back = d2i_X509(NULL, &p, len);
  OPENSSL_free(der);
  g_assert_nonnull(back);
  g_assert_nonnull(X509_get0_pubkey(back));
  g_assert_cmpint(X509_verify(back, issuer_key), ==, 1);
  g_assert_cmpint(EVP_PKEY_eq(X509_get0_pubkey(back), X509_get0_pubkey(cert)), ==, 1);
  /* An encoder chain for the key. */
  unsigned char *spki = NULL;
  g_assert_cmpint(i2d_PUBKEY(X509_get0_pubkey(back), &spki), >, 0);
  OPENSSL_free(spki);
  X509_free(back);
}

static void test_trimmed(void)
{
  GError *error = NULL;
  g_assert_true(es_provider_install(&error));
  g_assert_no_error(error);
  g_assert_true(es_provider_active());
  g_assert_cmpstr(es_provider_name(), ==, "trimmed");
  g_assert_true(es_provider_install(&error)); /* a second call changes nothing */
  g_assert_true(OSSL_PROVIDER_available(NULL, "enrolsim"));
  g_assert_false(OSSL_PROVIDER_available(NULL, "default"));

  for (EsKeyType type = ES_KEY_P256; type <= ES_KEY_RSA2048; type++) {
    EsPki *pki = es_pki_generate(type, NOT_BEFORE, &error);
    g_assert_no_error(error);
    check_round_trip(es_pki_get0_raca_cert(pki), es_pki_get0_operator_root_key(pki));
    check_round_trip(es_pki_get0_operator_root(pki), es_pki_get0_operator_root_key(pki));
    es_pki_free(pki);
  }

  /* Every decoder and encoder on offer is for EC, RSA or no key type (DER)... */
  Offered d = {0}, e = {0};
  OSSL_DECODER_do_all_provided(NULL, count_decoder, &d);
  OSSL_ENCODER_do_all_provided(NULL, count_encoder, &e);
  g_assert_cmpuint(d.ours, >, 0);
  g_assert_cmpuint(d.others, ==, 0);
  g_assert_cmpuint(e.ours, >, 0);
  g_assert_cmpuint(e.others, ==, 0);
  /* ...so another key type's SubjectPublicKeyInfo finds no decoder... */
  EVP_PKEY *ed = ed25519_decode();
  g_assert_null(ed);
  ERR_clear_error();
  /* ...but its algorithms are all there. */
  ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  g_assert_nonnull(ed);
  EVP_PKEY_free(ed);

  /* Too late to narrow the decoders: OpenSSL has them. */
  const EsKeyType p256 = ES_KEY_P256;
  g_assert_false(es_provider_narrow_decoders(&p256, 1));
  Offered again = {0};
  OSSL_DECODER_do_all_provided(NULL, count_decoder, &again);
  g_assert_cmpuint(again.ours, ==, d.ours);

  /* TLS asks the provider for its groups: without them no group could be set. */
  SSL_CTX *tls = SSL_CTX_new(TLS_client_method());
  g_assert_nonnull(tls);
  g_assert_cmpint(SSL_CTX_set1_groups_list(tls, "X25519:P-256:ffdhe2048"), ==, 1);
  SSL_CTX_free(tls);
}

static void count_names(OSSL_DECODER *dec, void *arg)
{
  guint *counts = arg; /* EC, RSA, other */
  counts[OSSL_DECODER_is_a(dec, "EC") ? 0 : OSSL_DECODER_is_a(dec, "RSA") ? 1 : 2]++;
}

/* A key of `type` back from its SubjectPublicKeyInfo, or NULL. */
static EVP_PKEY *spki_round_trip(EsKeyType type)
{
  GError *error = NULL;
  EVP_PKEY *key = es_key_generate(type, &error);
  g_assert_no_error(error);
  unsigned char *der = NULL;
  int len = i2d_PUBKEY(key, &der);
  g_assert_cmpint(len, >, 0);
  const unsigned char *p = der;
  EVP_PKEY *back = d2i_PUBKEY(NULL, &p, len);
  g_assert_true(back == NULL || EVP_PKEY_eq(back, key) == 1);
  OPENSSL_free(der);
  EVP_PKEY_free(key);
  ERR_clear_error();
  return back;
}

/* Narrowed to `types` before any decoding, as a simulated run does: `ec` and `rsa` decoders of
 * each, none other; keys of the types decode (certificates too for EC), RSA keys only if
 * offered; narrowing again is refused. Runs in a subprocess: narrowing comes first or never. */
static void check_narrowed(const EsKeyType *types, gsize n, guint ec, guint rsa)
{
  GError *error = NULL;
  g_assert_true(es_provider_install(&error));
  g_assert_true(es_provider_narrow_decoders(types, n));
  guint counts[3] = {0};
  OSSL_DECODER_do_all_provided(NULL, count_names, counts);
  g_assert_cmpuint(counts[0], ==, ec);
  g_assert_cmpuint(counts[1], ==, rsa);
  g_assert_cmpuint(counts[2], ==, 0);
  g_assert_false(es_provider_narrow_decoders(types, 1));
  for (gsize i = 0; i < n; i++) {
    if (types[i] != ES_KEY_RSA2048) {
      EsPki *pki = es_pki_generate(types[i], NOT_BEFORE, &error);
      g_assert_no_error(error);
      check_round_trip(es_pki_get0_raca_cert(pki), es_pki_get0_operator_root_key(pki));
      es_pki_free(pki);
    }
    EVP_PKEY *back = spki_round_trip(types[i]);
    g_assert_nonnull(back);
    EVP_PKEY_free(back);
  }
  EVP_PKEY *rsa_key = spki_round_trip(ES_KEY_RSA2048);
  g_assert_true((rsa_key != NULL) == (rsa > 0));
  EVP_PKEY_free(rsa_key);
}

typedef struct {
  EsKeyType types[2];
  guint ec, rsa;
} Narrowing;

static void test_narrowed(gconstpointer data)
{
  const Narrowing *n = data;
  if (g_test_subprocess()) {
    check_narrowed(n->types, G_N_ELEMENTS(n->types), n->ec, n->rsa);
    return;
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed();
}

/* With the configuration activating "default", the filter steps aside: every decoder is
 * there, and "default" is not offered twice. */
static void test_configured(void)
{
  if (g_test_subprocess()) {
    g_setenv("OPENSSL_CONF", ES_STOCK_CONF, TRUE);
    GError *error = NULL;
    g_assert_true(es_provider_install(&error));
    g_assert_no_error(error);
    g_assert_false(es_provider_active());
    g_assert_false(OSSL_PROVIDER_available(NULL, "enrolsim"));
    EVP_PKEY *ed = ed25519_decode();
    g_assert_nonnull(ed);
    EVP_PKEY_free(ed);
    g_assert_cmpstr(es_provider_name(), ==, "configured");
    const EsKeyType p256 = ES_KEY_P256;
    g_assert_false(es_provider_narrow_decoders(&p256, 1));
    return;
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed();
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  if (!g_test_subprocess())
    g_unsetenv("OPENSSL_CONF"); /* the trimmed case needs OpenSSL's own configuration */
  g_test_add_func("/provider/configured", test_configured);
  static const Narrowing ec_only = {{ES_KEY_P384, ES_KEY_P256}, 4, 0};
  static const Narrowing with_rsa = {{ES_KEY_P256, ES_KEY_RSA2048}, 4, 4};
  g_test_add_data_func("/provider/narrowed", &ec_only, test_narrowed);
  g_test_add_data_func("/provider/narrowed-rsa", &with_rsa, test_narrowed);
  g_test_add_func("/provider/trimmed", test_trimmed);
  return g_test_run();
}
