/* Tests of the hierarchy: the chains the enrolment profile relies on verify with the openssl
 * CLI, generation repeats for a seed, files round-trip, and errors name the file. */
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki/es_pki.h"
#include "tests/support/es_test_util.h"
#include "pki/es_rand.h"

#define NOT_BEFORE G_GINT64_CONSTANT(1793491200) /* 2026-11-01T00:00:00Z */

/* ---- helpers ---- */

/* Runs the openssl CLI; returns its exit status, *output gets stdout + stderr. */
/* `openssl verify -CAfile ca cert` at a time inside every validity period. */
static gboolean cli_verifies(const char *ca, const char *cert, char **output)
{
  char *attime = g_strdup_printf("%" G_GINT64_FORMAT, NOT_BEFORE + 86400);
  int rc = es_test_run_openssl(output, "verify", "-attime", attime, "-CAfile", ca, cert, NULL);
  g_free(attime);
  return rc == 0;
}

static GBytes *cert_der(X509 *cert)
{
  unsigned char *der = NULL;
  int len = i2d_X509(cert, &der);
  g_assert_cmpint(len, >, 0);
  GBytes *b = g_bytes_new(der, len);
  OPENSSL_free(der);
  return b;
}

static void assert_same_cert(X509 *a, X509 *b)
{
  g_autoptr(GBytes) da = cert_der(a);
  g_autoptr(GBytes) db = cert_der(b);
  g_assert_true(g_bytes_equal(da, db));
}

static char *rfc2253(const X509_NAME *name)
{
  BIO *bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char *data = NULL;
  long len = BIO_get_mem_data(bio, &data);
  char *s = g_strndup(data, len);
  BIO_free(bio);
  return s;
}

static int year_of(const ASN1_TIME *t)
{
  struct tm tm;
  g_assert_true(ASN1_TIME_to_tm(t, &tm));
  return tm.tm_year + 1900;
}

static char *in_dir(const char *dir, const char *name)
{
  return g_build_filename(dir, name, NULL);
}

static EsPki *generate(EsKeyType type, guint64 seed)
{
  g_autoptr(GError) error = NULL;
  es_rand_install(seed);
  EsPki *pki = es_pki_generate(type, NOT_BEFORE, &error);
  g_assert_no_error(error);
  g_assert_nonnull(pki);
  return pki;
}

/* Saves, then checks every chain of the profile with the CLI. */
static void check_chains_with_cli(EsPki *pki, const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(es_pki_save(pki, dir, &error));
  g_assert_no_error(error);
  /* es_pki_file_names names exactly the files written (a run lists them before writing). */
  guint listed = 0;
  for (const char *const *n = es_pki_file_names(); *n != NULL; n++, listed++) {
    g_autofree char *path = in_dir(dir, *n);
    g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
  }
  GDir *d = g_dir_open(dir, 0, NULL);
  guint files = 0;
  for (const char *name; d != NULL && (name = g_dir_read_name(d)) != NULL;)
    files += strcmp(name, "devices") != 0;
  g_dir_close(d);
  g_assert_cmpuint(files, ==, listed);
  g_autofree char *vendor = in_dir(dir, "vendor-root.pem");
  g_autofree char *operator= in_dir(dir, "operator-root.pem");
  g_autofree char *raca = in_dir(dir, "raca.pem");
  g_autofree char *cross = in_dir(dir, "raca-cross.pem");
  char *out = NULL;

  /* eNB side: the RA/CA is trusted through the cross certificate under the vendor root. */
  gboolean ok = cli_verifies(vendor, cross, &out);
  g_test_message("verify cross: %s", out);
  g_assert_true(ok);
  g_free(out);
  /* Operator side: the RA/CA certificate (with id-kp-cmcRA) under the operator root. */
  ok = cli_verifies(operator, raca, &out);
  g_test_message("verify raca: %s", out);
  g_assert_true(ok);
  g_free(out);
  /* The RA/CA certificate alone is not vouched for by the vendor: only the cross is. */
  g_assert_false(cli_verifies(vendor, raca, NULL));
  g_assert_false(cli_verifies(operator, cross, NULL));

  /* Factory: a device certificate verifies under the vendor root, not the operator's. */
  EVP_PKEY *key = es_key_generate(es_pki_get_key_type(pki), &error);
  g_assert_no_error(error);
  X509 *device = es_pki_issue_device(pki, 3, key, &error);
  g_assert_no_error(error);
  g_assert_true(es_pki_save_device(dir, 3, device, key, &error));
  g_assert_no_error(error);
  g_autofree char *device_path = g_build_filename(dir, "devices", "enb-3.pem", NULL);
  ok = cli_verifies(vendor, device_path, &out);
  g_test_message("verify device: %s", out);
  g_assert_true(ok);
  g_free(out);
  g_assert_false(cli_verifies(operator, device_path, NULL));
  X509_free(device);
  EVP_PKEY_free(key);
}

static void remove_tree(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  if (d == NULL)
    return;
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    if (g_file_test(path, G_FILE_TEST_IS_DIR))
      remove_tree(path);
    else
      g_remove(path);
  }
  g_rmdir(dir);
}

static char *make_tmp(void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp("es-pki-XXXXXX", &error);
  g_assert_no_error(error);
  return dir;
}

/* ---- tests ---- */

static void test_p256_profile(void)
{
  g_autoptr(EsPki) pki = generate(ES_KEY_P256, 1);
  g_autofree char *dir = make_tmp();
  check_chains_with_cli(pki, dir);

  X509 *vendor = es_pki_get0_vendor_root(pki);
  X509 *operator= es_pki_get0_operator_root(pki);
  X509 *raca = es_pki_get0_raca_cert(pki);
  X509 *cross = es_pki_get0_raca_cross(pki);
  g_autofree char *vs = rfc2253(X509_get_subject_name(vendor));
  g_autofree char *os = rfc2253(X509_get_subject_name(operator));
  g_autofree char *rs = rfc2253(X509_get_subject_name(raca));
  g_assert_cmpstr(vs, ==, "CN=Vendor Root CA,O=Vendor");
  g_assert_cmpstr(os, ==, "CN=Operator Root CA,O=Operator");
  g_assert_cmpstr(rs, ==, "CN=Operator RA/CA,O=Operator");

  /* The cross certificate is the RA/CA's identity, issued by the vendor root. */
  g_assert_cmpint(X509_NAME_cmp(X509_get_subject_name(cross), X509_get_subject_name(raca)), ==, 0);
  g_assert_cmpint(EVP_PKEY_eq(X509_get0_pubkey(cross), X509_get0_pubkey(raca)), ==, 1);
  g_assert_cmpint(X509_NAME_cmp(X509_get_issuer_name(cross), X509_get_subject_name(vendor)), ==, 0);
  g_assert_cmpint(
      ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(cross), X509_get0_subject_key_id(vendor)),
      ==, 0);
  g_assert_cmpint(X509_check_issued(vendor, cross), ==, X509_V_OK);
  g_assert_cmpint(X509_check_issued(operator, raca), ==, X509_V_OK);

  /* Roots are CAs, the RA/CA signs CMP messages but issues nothing in its own name. */
  g_assert_cmpint(X509_check_ca(vendor), ==, 1);
  g_assert_cmpint(X509_check_ca(operator), ==, 1);
  g_assert_cmpint(X509_check_ca(raca), ==, 0);
  g_assert_true(X509_get_key_usage(raca) & KU_DIGITAL_SIGNATURE);
  EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(raca, NID_ext_key_usage, NULL, NULL);
  g_assert_nonnull(eku);
  g_assert_cmpint(sk_ASN1_OBJECT_num(eku), ==, 1);
  g_assert_cmpint(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)), ==, NID_cmcRA);
  EXTENDED_KEY_USAGE_free(eku);

  /* Validity from the run's not_before: 30 years for roots, 20 for the RA/CA. */
  g_assert_cmpint(ASN1_TIME_cmp_time_t(X509_get0_notBefore(vendor), NOT_BEFORE), ==, 0);
  g_assert_cmpint(year_of(X509_get0_notAfter(vendor)), ==, 2056);
  g_assert_cmpint(year_of(X509_get0_notAfter(raca)), ==, 2046);
  g_assert_cmpint(year_of(X509_get0_notAfter(cross)), ==, 2046);

  /* Keys are unencrypted PKCS#8 readable by the owner only. */
  g_autofree char *key_path = in_dir(dir, "raca.key");
  GStatBuf st;
  g_assert_cmpint(g_stat(key_path, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0600);
  g_autofree char *key_pem = NULL;
  g_assert_true(g_file_get_contents(key_path, &key_pem, NULL, NULL));
  g_assert_true(g_str_has_prefix(key_pem, "-----BEGIN PRIVATE KEY-----"));
  /* Saving over a world-readable file still leaves the key readable by the owner only. */
  g_assert_cmpint(g_chmod(key_path, 0644), ==, 0);
  g_autoptr(GError) error = NULL;
  g_assert_true(es_pki_save(pki, dir, &error));
  g_assert_no_error(error);
  g_assert_cmpint(g_stat(key_path, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0600);
  remove_tree(dir);
  es_rand_uninstall();
}

static void test_deterministic(void)
{
  g_autoptr(EsPki) a = generate(ES_KEY_P256, 77);
  g_autoptr(EsPki) b = generate(ES_KEY_P256, 77);
  g_autoptr(EsPki) c = generate(ES_KEY_P256, 78);
  assert_same_cert(es_pki_get0_vendor_root(a), es_pki_get0_vendor_root(b));
  assert_same_cert(es_pki_get0_operator_root(a), es_pki_get0_operator_root(b));
  assert_same_cert(es_pki_get0_raca_cert(a), es_pki_get0_raca_cert(b));
  assert_same_cert(es_pki_get0_raca_cross(a), es_pki_get0_raca_cross(b));
  g_assert_cmpint(EVP_PKEY_eq(es_pki_get0_raca_key(a), es_pki_get0_raca_key(b)), ==, 1);
  g_assert_cmpint(EVP_PKEY_eq(es_pki_get0_raca_key(a), es_pki_get0_raca_key(c)), !=, 1);

  /* Device certificates too, once a device key comes from a repeatable stream. */
  X509 *devices[2];
  for (int i = 0; i < 2; i++) {
    g_autoptr(GError) error = NULL;
    EsRand *r = es_rand_new(77, 1000);
    es_rand_set_current(r);
    EVP_PKEY *key = es_key_generate(ES_KEY_P256, &error);
    devices[i] = es_pki_issue_device(a, 9, key, &error);
    g_assert_no_error(error);
    es_rand_set_current(NULL);
    es_rand_free(r);
    EVP_PKEY_free(key);
  }
  assert_same_cert(devices[0], devices[1]);
  g_autofree char *subject = rfc2253(X509_get_subject_name(devices[0]));
  g_assert_cmpstr(subject, ==, "CN=enb-9,O=Vendor");
  g_assert_cmpint(ASN1_INTEGER_get(X509_get0_serialNumber(devices[0])), ==, 0x1000 + 9);
  X509_free(devices[0]);
  X509_free(devices[1]);
  es_rand_uninstall();
}

static void test_load_round_trip(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPki) pki = generate(ES_KEY_P256, 5);
  g_autofree char *tmp = make_tmp();
  g_autofree char *dir = g_build_filename(tmp, "nested", "pki", NULL); /* made by save */
  g_assert_true(es_pki_save(pki, dir, &error));
  g_assert_no_error(error);

  g_autoptr(EsPki) loaded = es_pki_load(dir, &error);
  g_assert_no_error(error);
  g_assert_cmpint(es_pki_get_key_type(loaded), ==, ES_KEY_P256);
  g_assert_cmpint(es_pki_get_not_before(loaded), ==, NOT_BEFORE);
  assert_same_cert(es_pki_get0_vendor_root(pki), es_pki_get0_vendor_root(loaded));
  assert_same_cert(es_pki_get0_operator_root(pki), es_pki_get0_operator_root(loaded));
  assert_same_cert(es_pki_get0_raca_cert(pki), es_pki_get0_raca_cert(loaded));
  assert_same_cert(es_pki_get0_raca_cross(pki), es_pki_get0_raca_cross(loaded));
  g_assert_cmpint(
      EVP_PKEY_eq(es_pki_get0_vendor_root_key(pki), es_pki_get0_vendor_root_key(loaded)), ==, 1);
  g_assert_cmpint(
      EVP_PKEY_eq(es_pki_get0_operator_root_key(pki), es_pki_get0_operator_root_key(loaded)), ==,
      1);
  g_assert_cmpint(EVP_PKEY_eq(es_pki_get0_raca_key(pki), es_pki_get0_raca_key(loaded)), ==, 1);

  /* A loaded hierarchy issues the same device certificates as the original. */
  EVP_PKEY *key = es_key_generate(ES_KEY_P256, &error);
  X509 *dev = es_pki_issue_device(loaded, 12, key, &error);
  g_assert_no_error(error);
  g_assert_true(es_pki_save_device(dir, 12, dev, key, &error));
  X509 *dev2 = NULL;
  EVP_PKEY *key2 = NULL;
  g_assert_true(es_pki_load_device(dir, 12, &dev2, &key2, &error));
  g_assert_no_error(error);
  assert_same_cert(dev, dev2);
  g_assert_cmpint(EVP_PKEY_eq(key, key2), ==, 1);
  g_assert_false(es_pki_load_device(dir, 13, &dev2, &key2, &error));
  g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "enb-13.pem"));
  g_clear_error(&error);
  X509_free(dev);
  X509_free(dev2);
  EVP_PKEY_free(key);
  EVP_PKEY_free(key2);

  /* A key that does not belong to its certificate is caught at load. */
  g_autofree char *raca_key = in_dir(dir, "raca.key");
  g_assert_true(es_pem_save_key(raca_key, es_pki_get0_vendor_root_key(pki), &error));
  EsPki *bad = es_pki_load(dir, &error);
  g_assert_null(bad);
  g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, raca_key));
  g_clear_error(&error);

  /* Garbage in a PEM file: the error names the file and OpenSSL's reason. */
  g_autofree char *vendor = in_dir(dir, "vendor-root.pem");
  g_assert_true(g_file_set_contents(vendor, "not pem\n", -1, NULL));
  bad = es_pki_load(dir, &error);
  g_assert_null(bad);
  g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID);
  g_test_message("%s", error->message);
  g_assert_nonnull(strstr(error->message, vendor));
  g_assert_nonnull(strstr(error->message, "no start line"));
  g_assert_cmpuint(ERR_peek_error(), ==, 0);
  remove_tree(tmp);
  es_rand_uninstall();
}

static void test_load_missing_dir(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = make_tmp();
  g_autofree char *dir = g_build_filename(tmp, "no-such-run", NULL);
  EsPki *pki = es_pki_load(dir, &error);
  g_assert_null(pki);
  g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_IO);
  g_autofree char *expected = g_build_filename(dir, "vendor-root.pem", NULL);
  g_assert_nonnull(strstr(error->message, expected));
  g_rmdir(tmp);
}

static void test_other_key_types(void)
{
  const EsKeyType types[] = {ES_KEY_P384, ES_KEY_RSA2048};
  for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(EsPki) pki = generate(types[i], 3);
    g_autofree char *dir = make_tmp();
    check_chains_with_cli(pki, dir);
    g_autoptr(EsPki) loaded = es_pki_load(dir, &error);
    g_assert_no_error(error);
    g_assert_cmpint(es_pki_get_key_type(loaded), ==, types[i]);
    int md = X509_get_signature_nid(es_pki_get0_raca_cert(pki));
    g_assert_cmpint(md, ==,
                    types[i] == ES_KEY_P384 ? NID_ecdsa_with_SHA384 : NID_sha256WithRSAEncryption);
    remove_tree(dir);
  }
  es_rand_uninstall();
}

static void test_serial_hex_matches_cli(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EsPki) pki = generate(ES_KEY_P256, 8);
  g_autofree char *dir = make_tmp();
  EVP_PKEY *key = es_key_generate(ES_KEY_P256, &error);
  /* Zero, one byte, high bit set (DER adds a 00 byte), odd digit counts, a 20-byte serial. */
  const char *serials[] = {"0",   "1",    "7F",     "80",
                           "100", "1000", "ABCDEF", "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"};
  for (guint i = 0; i < G_N_ELEMENTS(serials); i++) {
    X509 *cert = es_pki_issue_device(pki, i, key, &error);
    g_assert_no_error(error);
    BIGNUM *bn = NULL;
    g_assert_true(BN_hex2bn(&bn, serials[i]));
    ASN1_INTEGER *serial = BN_to_ASN1_INTEGER(bn, NULL);
    X509_set_serialNumber(cert, serial);
    g_assert_true(X509_sign(cert, es_pki_get0_vendor_root_key(pki), EVP_sha256()));
    g_autofree char *path = g_build_filename(dir, "serial.pem", NULL);
    g_assert_true(es_pem_save_cert(path, cert, &error));
    g_autofree char *out = NULL;
    g_assert_cmpint(es_test_run_openssl(&out, "x509", "-noout", "-serial", "-in", path, NULL), ==, 0);
    g_autofree char *ours = es_serial_hex(X509_get0_serialNumber(cert));
    g_autofree char *expected = g_strdup_printf("serial=%s\n", ours);
    g_assert_cmpstr(out, ==, expected);
    g_remove(path);
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    X509_free(cert);
  }
  EVP_PKEY_free(key);
  /* The hierarchy's and devices' serials as the CLI shows them. */
  g_autofree char *root = es_serial_hex(X509_get0_serialNumber(es_pki_get0_vendor_root(pki)));
  g_assert_cmpstr(root, ==, "01");
  g_rmdir(dir);
  es_rand_uninstall();
}

static void test_key_types_and_pool(void)
{
  g_autoptr(GError) error = NULL;
  EsKeyType t;
  g_assert_true(es_key_type_parse("p384", &t, &error));
  g_assert_cmpint(t, ==, ES_KEY_P384);
  for (EsKeyType k = ES_KEY_P256; k <= ES_KEY_RSA2048; k++) {
    g_assert_true(es_key_type_parse(es_key_type_name(k), &t, &error));
    g_assert_cmpint(t, ==, k);
  }
  g_assert_false(es_key_type_parse("ed25519", &t, &error));
  g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "ed25519"));
  g_clear_error(&error);

  /* The pool hands out its keys in order and starts over when exhausted. */
  g_autoptr(EsKeyPool) pool = es_key_pool_new(ES_KEY_P256, 3, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(es_key_pool_size(pool), ==, 3);
  EVP_PKEY *keys[4];
  for (int i = 0; i < 4; i++)
    keys[i] = es_key_pool_get1(pool);
  g_assert_cmpint(EVP_PKEY_eq(keys[0], keys[1]), !=, 1);
  g_assert_cmpint(EVP_PKEY_eq(keys[1], keys[2]), !=, 1);
  g_assert_true(keys[3] == keys[0]);
  for (int i = 0; i < 4; i++)
    EVP_PKEY_free(keys[i]);
  g_assert_null(es_key_pool_new(ES_KEY_P256, 0, &error));
  g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID);
}

static void test_ossl_errors(void)
{
  ERR_clear_error();
  g_autofree char *empty = es_ossl_errors("nothing failed");
  g_assert_cmpstr(empty, ==, "nothing failed");

  BIO *bio = BIO_new_mem_buf("garbage", -1);
  g_assert_null(PEM_read_bio_X509(bio, NULL, NULL, NULL));
  BIO_free(bio);
  g_autofree char *msg = es_ossl_errors("reading cert");
  g_test_message("%s", msg);
  g_assert_true(g_str_has_prefix(msg, "reading cert: "));
  g_assert_nonnull(strstr(msg, "no start line"));
  g_assert_nonnull(strstr(msg, ".c:")); /* where OpenSSL raised it */
  g_assert_cmpuint(ERR_peek_error(), ==, 0);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pki/p256-profile-verifies", test_p256_profile);
  g_test_add_func("/pki/deterministic", test_deterministic);
  g_test_add_func("/pki/load-round-trip", test_load_round_trip);
  g_test_add_func("/pki/load-missing-dir", test_load_missing_dir);
  g_test_add_func("/pki/p384-and-rsa2048", test_other_key_types);
  g_test_add_func("/pki/serial-hex-matches-cli", test_serial_hex_matches_cli);
  g_test_add_func("/pki/key-types-and-pool", test_key_types_and_pool);
  g_test_add_func("/pki/ossl-errors", test_ossl_errors);
  return g_test_run();
}
