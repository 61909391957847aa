/* Tests of the issuing CA: issued certificates verify under the operator root, revocation is
 * visible in complete and delta CRLs that the openssl CLI accepts, and CRL numbers and serials
 * repeat per run. */
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>

#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki/es_ca.h"
#include "pki/es_pki.h"
#include "tests/support/es_test_util.h"
#include "pki/es_rand.h"

#define NOT_BEFORE G_GINT64_CONSTANT(1793491200) /* 2026-11-01T00:00:00Z */
#define DAY G_GINT64_CONSTANT(86400)
#define YEAR (365 * DAY)

/* Runs the openssl CLI; returns its exit status, *output gets stdout + stderr. */
static void save_crl(const char *path, X509_CRL *crl)
{
  BIO *bio = BIO_new_file(path, "w");
  g_assert_nonnull(bio);
  g_assert_true(PEM_write_bio_X509_CRL(bio, crl));
  BIO_free(bio);
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

typedef struct {
  EsPki *pki;
  EsCa *ca;
  EVP_PKEY *enb_key;
  X509_NAME *enb_name;
  char *dir;
} Fixture;

static void fixture_set_up(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  es_rand_install(2026);
  f->pki = es_pki_generate(ES_KEY_P256, NOT_BEFORE, &error);
  g_assert_no_error(error);
  f->ca = es_ca_new(es_pki_get0_operator_root(f->pki), es_pki_get0_operator_root_key(f->pki));
  g_assert_nonnull(f->ca);
  f->enb_key = es_key_generate(ES_KEY_P256, &error);
  g_assert_no_error(error);
  f->enb_name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(f->enb_name, "O", MBSTRING_UTF8, (const unsigned char *)"Operator", -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(f->enb_name, "CN", MBSTRING_UTF8, (const unsigned char *)"enb-1", -1,
                             -1, 0);
  f->dir = g_dir_make_tmp("es-ca-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *root = g_build_filename(f->dir, "operator-root.pem", NULL);
  g_assert_true(es_pem_save_cert(root, es_ca_get0_cert(f->ca), &error));
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
  (void)data;
  remove_tree(f->dir);
  g_free(f->dir);
  X509_NAME_free(f->enb_name);
  EVP_PKEY_free(f->enb_key);
  es_ca_free(f->ca);
  es_pki_free(f->pki);
  es_rand_uninstall();
}

static X509 *issue(Fixture *f, gint64 now)
{
  g_autoptr(GError) error = NULL;
  X509 *cert = es_ca_issue(f->ca, f->enb_name, f->enb_key, now, 5 * YEAR, &error);
  g_assert_no_error(error);
  g_assert_nonnull(cert);
  return cert;
}

static char *save_in(Fixture *f, const char *name, X509 *cert)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename(f->dir, name, NULL);
  g_assert_true(es_pem_save_cert(path, cert, &error));
  return path;
}

static void test_issue(Fixture *f, gconstpointer data)
{
  (void)data;
  gint64 now = NOT_BEFORE + DAY;
  X509 *a = issue(f, now);
  X509 *b = issue(f, now);

  /* Serials count up from 0x100, clear of the hierarchy's own (the RA/CA cert is 3). */
  g_autofree char *sa = es_serial_hex(X509_get0_serialNumber(a));
  g_autofree char *sb = es_serial_hex(X509_get0_serialNumber(b));
  g_assert_cmpstr(sa, ==, "0100");
  g_assert_cmpstr(sb, ==, "0101");

  /* Subject and key as requested, issued by the operator root, end entity only. */
  g_assert_cmpint(X509_NAME_cmp(X509_get_subject_name(a), f->enb_name), ==, 0);
  g_assert_cmpint(EVP_PKEY_eq(X509_get0_pubkey(a), f->enb_key), ==, 1);
  g_assert_cmpint(X509_check_issued(es_ca_get0_cert(f->ca), a), ==, X509_V_OK);
  g_assert_cmpint(X509_check_ca(a), ==, 0);
  g_assert_true(X509_get_key_usage(a) & KU_DIGITAL_SIGNATURE);
  g_assert_nonnull(X509_get0_subject_key_id(a));
  g_assert_cmpint(ASN1_TIME_cmp_time_t(X509_get0_notBefore(a), now), ==, 0);
  g_assert_cmpint(ASN1_TIME_cmp_time_t(X509_get0_notAfter(a), now + 5 * YEAR), ==, 0);

  g_autofree char *root = g_build_filename(f->dir, "operator-root.pem", NULL);
  g_autofree char *path = save_in(f, "enb.pem", a);
  g_autofree char *attime = g_strdup_printf("%" G_GINT64_FORMAT, now + DAY);
  g_autofree char *out = NULL;
  int rc = es_test_run_openssl(&out, "verify", "-attime", attime, "-CAfile", root, path, NULL);
  g_test_message("%s", out);
  g_assert_cmpint(rc, ==, 0);

  /* Bad input is an error, not a crash. */
  g_autoptr(GError) error = NULL;
  g_assert_null(es_ca_issue(f->ca, NULL, f->enb_key, now, YEAR, &error));
  g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_null(es_ca_issue(f->ca, f->enb_name, f->enb_key, now, 0, &error));
  g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID);
  g_assert_null(es_ca_new(NULL, NULL));
  X509_free(a);
  X509_free(b);
}

static GBytes *spki_of(EVP_PKEY *key)
{
  unsigned char *der = NULL;
  int n = i2d_PUBKEY(key, &der);
  g_assert_cmpint(n, >, 0);
  GBytes *b = g_bytes_new(der, (gsize)n);
  OPENSSL_free(der);
  return b;
}

static GBytes *der_of(X509 *cert)
{
  unsigned char *der = NULL;
  int n = i2d_X509(cert, &der);
  g_assert_cmpint(n, >, 0);
  GBytes *b = g_bytes_new(der, (gsize)n);
  OPENSSL_free(der);
  return b;
}

/* A key given as its SubjectPublicKeyInfo DER makes the same certificate, byte for byte, as
 * the key itself (for each key type: the RA/CA issues this way); a malformed one is refused
 * and spends no serial. */
static void test_issue_spki(Fixture *f, gconstpointer data)
{
  (void)data;
  gint64 now = NOT_BEFORE + DAY;
  for (EsKeyType type = ES_KEY_P256; type <= ES_KEY_RSA2048; type++) {
    g_autoptr(GError) error = NULL;
    EVP_PKEY *key = es_key_generate(type, &error);
    g_assert_no_error(error);
    g_autoptr(GBytes) spki = spki_of(key);
    guint64 serial = es_ca_get_next_serial(f->ca);
    /* Same serial, same randomness for the signature: the two must be equal. */
    es_rand_install(7);
    X509 *a = es_ca_issue(f->ca, f->enb_name, key, now, YEAR, &error);
    g_assert_no_error(error);
    es_ca_set_next_serial(f->ca, serial);
    es_rand_install(7);
    X509 *b = es_ca_issue_spki(f->ca, f->enb_name, spki, now, YEAR, &error);
    g_assert_no_error(error);
    g_autoptr(GBytes) da = der_of(a);
    g_autoptr(GBytes) db = der_of(b);
    g_assert_true(g_bytes_equal(da, db));
    /* And the certificate decoded again carries the key. */
    gsize n;
    const unsigned char *p = g_bytes_get_data(db, &n);
    X509 *back = d2i_X509(NULL, &p, (long)n);
    g_assert_cmpint(EVP_PKEY_eq(X509_get0_pubkey(back), key), ==, 1);
    X509_free(back);
    X509_free(a);
    X509_free(b);
    EVP_PKEY_free(key);
  }

  g_autoptr(GBytes) good = spki_of(f->enb_key);
  gsize n;
  const guint8 *g = g_bytes_get_data(good, &n);
  guint64 serial = es_ca_get_next_serial(f->ca);
  guint8 *bad = g_malloc(n + 2);
  for (int k = 0; k < 4; k++) {
    memcpy(bad, g, n);
    gsize len = n;
    switch (k) {
    case 0: bad[0] = 0x31; break;                         /* a SET, not a SEQUENCE */
    case 1: len = n - 1; break;                           /* cut short */
    case 2: bad[n] = 0x05, bad[n + 1] = 0x00, len = n + 2; break; /* trailing bytes */
    case 3: bad[2] = 0x31; break; /* the algorithm a SET (P-256: short-form lengths) */
    }
    g_autoptr(GBytes) spki = g_bytes_new(bad, len);
    g_autoptr(GError) error = NULL;
    g_assert_null(es_ca_issue_spki(f->ca, f->enb_name, spki, now, YEAR, &error));
    g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_CRYPTO);
  }
  g_free(bad);
  g_assert_cmpuint(es_ca_get_next_serial(f->ca), ==, serial);
}

/* es_cert_peek reads what d2i_X509 does for the serial and notAfter, of every certificate of
 * the hierarchy and an issued one; anything not shaped as a certificate is refused. */
static void test_cert_peek(Fixture *f, gconstpointer data)
{
  (void)data;
  X509 *issued = issue(f, NOT_BEFORE + DAY);
  X509 *certs[] = {issued, es_pki_get0_operator_root(f->pki), es_pki_get0_vendor_root(f->pki),
                   es_pki_get0_raca_cert(f->pki), es_pki_get0_raca_cross(f->pki)};
  for (gsize i = 0; i < G_N_ELEMENTS(certs); i++) {
    g_autoptr(GBytes) der = der_of(certs[i]);
    gsize n;
    const guint8 *p = g_bytes_get_data(der, &n);
    ASN1_INTEGER *serial;
    ASN1_TIME *not_after;
    g_assert_true(es_cert_peek(p, n, &serial, &not_after));
    g_assert_cmpint(ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(certs[i])), ==, 0);
    g_assert_cmpint(ASN1_TIME_compare(not_after, X509_get0_notAfter(certs[i])), ==, 0);
    ASN1_INTEGER_free(serial);
    ASN1_TIME_free(not_after);
    /* Cut anywhere before notAfter ends, or not a SEQUENCE: refused, nothing left to free. */
    for (gsize cut = 0; cut < 200 && cut < n; cut += 7) {
      g_assert_false(es_cert_peek(p, cut, &serial, &not_after));
      g_assert_null(serial);
      g_assert_null(not_after);
    }
    guint8 *bent = g_memdup2(p, n);
    bent[0] = 0x31;
    g_assert_false(es_cert_peek(bent, n, &serial, &not_after));
    g_free(bent);
  }
  ASN1_INTEGER *serial;
  ASN1_TIME *not_after;
  g_assert_false(es_cert_peek(NULL, 0, &serial, &not_after));
  X509_free(issued);
}

/* A key exported as its parameters and imported back is the same key pair, for every key
 * type: it signs what the original verifies; cut bytes give no key. */
static void test_key_export(Fixture *f, gconstpointer data)
{
  (void)f;
  (void)data;
  static const guint8 msg[] = "enrolsim";
  for (EsKeyType type = ES_KEY_P256; type <= ES_KEY_RSA2048; type++) {
    g_autoptr(GError) error = NULL;
    EVP_PKEY *key = es_key_generate(type, &error);
    g_assert_no_error(error);
    g_autoptr(GBytes) bytes = es_key_export(key);
    g_assert_nonnull(bytes);
    EVP_PKEY *back = es_key_import(bytes);
    g_assert_nonnull(back);
    g_assert_cmpint(EVP_PKEY_eq(key, back), ==, 1);
    guint8 sig[512];
    size_t sig_len = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    g_assert_cmpint(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, back), ==, 1);
    g_assert_cmpint(EVP_DigestSign(md, sig, &sig_len, msg, sizeof msg), ==, 1);
    EVP_MD_CTX_reset(md);
    g_assert_cmpint(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key), ==, 1);
    g_assert_cmpint(EVP_DigestVerify(md, sig, sig_len, msg, sizeof msg), ==, 1);
    EVP_MD_CTX_free(md);
    gsize n;
    const guint8 *p = g_bytes_get_data(bytes, &n);
    for (gsize cut = 0; cut < n; cut += 5) {
      g_autoptr(GBytes) part = g_bytes_new(p, cut);
      g_assert_null(es_key_import(part));
    }
    EVP_PKEY_free(back);
    EVP_PKEY_free(key);
  }
  g_assert_null(es_key_import(NULL));
  g_assert_null(es_key_export(NULL));
}

static void test_revoke_and_crl(Fixture *f, gconstpointer data)
{
  (void)data;
  gint64 now = NOT_BEFORE + DAY;
  X509 *revoked = issue(f, now);
  X509 *kept = issue(f, now);
  X509 *unspecified = issue(f, now);
  const ASN1_INTEGER *serial = X509_get0_serialNumber(revoked);

  g_assert_false(es_ca_is_revoked(f->ca, serial));
  g_assert_true(es_ca_revoke(f->ca, serial, ES_REVOKE_CESSATION, now + 60));
  g_assert_true(es_ca_is_revoked(f->ca, serial));
  g_assert_false(es_ca_is_revoked(f->ca, X509_get0_serialNumber(kept)));
  /* A second revocation of the same serial (say, a late certConf after the timeout) is
   * refused and leaves the first reason and date in place. */
  g_assert_false(es_ca_revoke(f->ca, serial, ES_REVOKE_KEY_COMPROMISE, now + 120));
  g_assert_true(
      es_ca_revoke(f->ca, X509_get0_serialNumber(unspecified), ES_REVOKE_UNSPECIFIED, now + 90));
  g_assert_cmpuint(es_ca_revoked_count(f->ca), ==, 2);
  /* 7 is unused in RFC 5280: accepting it would make the whole CRL unparsable. */
  g_assert_false(es_ca_revoke(f->ca, X509_get0_serialNumber(kept), (EsRevokeReason)7, now));
  g_assert_false(es_ca_is_revoked(f->ca, X509_get0_serialNumber(kept)));

  g_autoptr(GError) error = NULL;
  X509_CRL *crl = es_ca_get1_crl(f->ca, now + 3600, now + 8 * DAY, &error);
  g_assert_no_error(error);
  g_assert_cmpint(X509_CRL_get_version(crl), ==, X509_CRL_VERSION_2);
  g_assert_cmpint(X509_CRL_verify(crl, es_pki_get0_operator_root_key(f->pki)), ==, 1);
  STACK_OF(X509_REVOKED) *entries = X509_CRL_get_REVOKED(crl);
  g_assert_cmpint(sk_X509_REVOKED_num(entries), ==, 2);
  X509_REVOKED *entry = NULL;
  g_assert_cmpint(X509_CRL_get0_by_serial(crl, &entry, serial), ==, 1);
  g_assert_cmpint(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(entry), now + 60), ==, 0);
  ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, NULL, NULL);
  g_assert_nonnull(reason);
  g_assert_cmpint(ASN1_ENUMERATED_get(reason), ==, ES_REVOKE_CESSATION);
  ASN1_ENUMERATED_free(reason);
  /* RFC 5280 5.3.1: no reasonCode extension for "unspecified". */
  g_assert_cmpint(X509_CRL_get0_by_serial(crl, &entry, X509_get0_serialNumber(unspecified)), ==, 1);
  g_assert_null(X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, NULL, NULL));

  g_autofree char *root = g_build_filename(f->dir, "operator-root.pem", NULL);
  g_autofree char *crl_path = g_build_filename(f->dir, "crl.pem", NULL);
  save_crl(crl_path, crl);
  g_autofree char *out = NULL;
  /* The CLI checks the CRL's signature against the operator root. */
  g_assert_cmpint(es_test_run_openssl(&out, "crl", "-in", crl_path, "-CAfile", root, "-noout", NULL), ==,
                  0);
  g_assert_nonnull(strstr(out, "verify OK"));
  g_clear_pointer(&out, g_free);

  /* A relying party with the CRL rejects the revoked certificate and accepts the other. */
  g_autofree char *attime = g_strdup_printf("%" G_GINT64_FORMAT, now + 2 * DAY);
  g_autofree char *revoked_path = save_in(f, "revoked.pem", revoked);
  g_autofree char *kept_path = save_in(f, "kept.pem", kept);
  int rc = es_test_run_openssl(&out, "verify", "-attime", attime, "-crl_check", "-CAfile", root, "-CRLfile",
                       crl_path, revoked_path, NULL);
  g_test_message("%s", out);
  g_assert_cmpint(rc, !=, 0);
  g_assert_nonnull(strstr(out, "certificate revoked"));
  g_clear_pointer(&out, g_free);
  rc = es_test_run_openssl(&out, "verify", "-attime", attime, "-crl_check", "-CAfile", root, "-CRLfile",
                   crl_path, kept_path, NULL);
  g_test_message("%s", out);
  g_assert_cmpint(rc, ==, 0);
  g_assert_nonnull(strstr(out, "kept.pem: OK"));

  X509_CRL_free(crl);
  X509_free(revoked);
  X509_free(kept);
  X509_free(unspecified);
}

static long crl_number(X509_CRL *crl)
{
  ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
  g_assert_nonnull(n);
  long v = ASN1_INTEGER_get(n);
  ASN1_INTEGER_free(n);
  return v;
}

static void test_crl_number_and_aki(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  gint64 now = NOT_BEFORE + DAY;
  X509_CRL *first = es_ca_get1_crl(f->ca, now, now + DAY, &error);
  g_assert_no_error(error);
  /* An empty CRL is still a valid, numbered CRL (RFC 5280: the revoked list is absent). */
  g_assert_null(X509_CRL_get_REVOKED(first));
  g_autofree char *root = g_build_filename(f->dir, "operator-root.pem", NULL);
  g_autofree char *crl_path = g_build_filename(f->dir, "empty.pem", NULL);
  save_crl(crl_path, first);
  g_autofree char *out = NULL;
  g_assert_cmpint(es_test_run_openssl(&out, "crl", "-in", crl_path, "-CAfile", root, "-noout", NULL), ==,
                  0);
  g_assert_nonnull(strstr(out, "verify OK"));
  X509_CRL *second = es_ca_get1_crl(f->ca, now + DAY, now + 2 * DAY, &error);
  g_assert_no_error(error);
  g_assert_cmpint(crl_number(first), ==, 1);
  g_assert_cmpint(crl_number(second), ==, 2);

  /* AKI names the operator root's key; the issuer is its subject. */
  AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(second, NID_authority_key_identifier, NULL, NULL);
  g_assert_nonnull(akid);
  g_assert_cmpint(
      ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(es_ca_get0_cert(f->ca))), ==, 0);
  AUTHORITY_KEYID_free(akid);
  g_assert_cmpint(
      X509_NAME_cmp(X509_CRL_get_issuer(second), X509_get_subject_name(es_ca_get0_cert(f->ca))), ==,
      0);

  /* A failed CRL does not use up a number. */
  g_assert_null(es_ca_get1_crl(f->ca, now, now, &error));
  g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID);
  g_clear_error(&error);
  X509_CRL *third = es_ca_get1_crl(f->ca, now + 2 * DAY, now + 3 * DAY, &error);
  g_assert_no_error(error);
  g_assert_cmpint(crl_number(third), ==, 3);
  X509_CRL_free(first);
  X509_CRL_free(second);
  X509_CRL_free(third);
}

/* Many revocations out of serial order: the CRL lists them sorted, and every one is found. */
static void test_many_revocations(Fixture *f, gconstpointer data)
{
  (void)data;
  gint64 now = NOT_BEFORE + DAY;
  GPtrArray *certs = g_ptr_array_new_with_free_func((GDestroyNotify)X509_free);
  for (int i = 0; i < 300; i++)
    g_ptr_array_add(certs, issue(f, now));
  for (int i = 299; i >= 0; i -= 2)
    g_assert_true(es_ca_revoke(f->ca, X509_get0_serialNumber(g_ptr_array_index(certs, i)),
                               ES_REVOKE_SUPERSEDED, now + i));
  g_assert_cmpuint(es_ca_revoked_count(f->ca), ==, 150);
  g_autoptr(GError) error = NULL;
  X509_CRL *crl = es_ca_get1_crl(f->ca, now + DAY, now + 2 * DAY, &error);
  g_assert_no_error(error);
  STACK_OF(X509_REVOKED) *entries = X509_CRL_get_REVOKED(crl);
  for (int i = 1; i < sk_X509_REVOKED_num(entries); i++)
    g_assert_cmpint(
        ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, i - 1)),
                         X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, i))),
        <, 0);
  for (int i = 0; i < 300; i++) {
    X509_REVOKED *entry = NULL;
    int found = X509_CRL_get0_by_cert(crl, &entry, g_ptr_array_index(certs, i));
    g_assert_cmpint(found, ==, i % 2 == 1 ? 1 : 0);
    g_assert_cmpint(es_ca_is_revoked(f->ca, X509_get0_serialNumber(g_ptr_array_index(certs, i))),
                    ==, i % 2 == 1);
  }
  X509_CRL_free(crl);
  g_ptr_array_unref(certs);
}

/* The CRL is kept built between publications: a later CRL lists earlier and new entries and
 * verifies, one handed out before is a copy later revocations leave alone, and the
 * extensions keep their order (crlNumber, AKI) as the number is replaced. */
static void test_incremental_crl(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  gint64 now = NOT_BEFORE + DAY;
  X509 *a = issue(f, now), *b = issue(f, now);
  g_assert_true(es_ca_revoke(f->ca, X509_get0_serialNumber(a), ES_REVOKE_SUPERSEDED, now));
  X509_CRL *first = es_ca_get1_crl(f->ca, now, now + DAY, &error);
  g_assert_no_error(error);
  g_assert_true(es_ca_revoke(f->ca, X509_get0_serialNumber(b), ES_REVOKE_KEY_COMPROMISE, now + 1));
  X509_CRL *second = es_ca_get1_crl(f->ca, now + 1, now + DAY, &error);
  g_assert_no_error(error);
  g_assert_cmpint(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(first)), ==, 1);
  g_assert_cmpint(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(second)), ==, 2);
  X509_REVOKED *entry = NULL;
  g_assert_cmpint(X509_CRL_get0_by_cert(second, &entry, a), ==, 1);
  g_assert_cmpint(X509_CRL_get0_by_cert(second, &entry, b), ==, 1);
  g_assert_cmpint(X509_CRL_get0_by_cert(first, &entry, b), ==, 0);
  g_assert_cmpint(X509_CRL_get_ext_count(second), ==, 2);
  g_assert_cmpint(OBJ_obj2nid(X509_EXTENSION_get_object(X509_CRL_get_ext(second, 0))), ==,
                  NID_crl_number);
  g_assert_cmpint(crl_number(second), ==, 2);
  g_autofree char *root = g_build_filename(f->dir, "operator-root.pem", NULL);
  for (int i = 0; i < 2; i++) {
    g_autofree char *path = g_build_filename(f->dir, i == 0 ? "first.pem" : "second.pem", NULL);
    save_crl(path, i == 0 ? first : second);
    g_autofree char *out = NULL;
    g_assert_cmpint(es_test_run_openssl(&out, "crl", "-in", path, "-CAfile", root, "-noout", NULL),
                    ==, 0);
    g_assert_nonnull(strstr(out, "verify OK"));
  }
  X509_CRL_free(first);
  X509_CRL_free(second);
  X509_free(a);
  X509_free(b);
}

/* A CA restored from durable state goes on with its serials and CRL numbers. */
static void test_restored_counters(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  es_ca_set_next_serial(f->ca, 0x1234);
  es_ca_set_crl_number(f->ca, 41);
  X509 *cert = issue(f, NOT_BEFORE + DAY);
  g_assert_cmpint(ASN1_INTEGER_get(X509_get0_serialNumber(cert)), ==, 0x1234);
  g_assert_cmpuint(es_ca_get_next_serial(f->ca), ==, 0x1235);
  X509_CRL *crl = es_ca_get1_crl(f->ca, NOT_BEFORE + DAY, NOT_BEFORE + 2 * DAY, &error);
  g_assert_no_error(error);
  g_assert_cmpint(crl_number(crl), ==, 42);
  g_assert_cmpuint(es_ca_get_crl_number(f->ca), ==, 42);
  X509_CRL_free(crl);
  X509_free(cert);
}

/* The base number a delta CRL names; asserts the deltaCRLIndicator is there and critical. */
static long delta_base(X509_CRL *crl)
{
  int at = X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1);
  g_assert_cmpint(at, >=, 0);
  g_assert_cmpint(X509_EXTENSION_get_critical(X509_CRL_get_ext(crl, at)), ==, 1);
  ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_delta_crl, NULL, NULL);
  g_assert_nonnull(n);
  long v = ASN1_INTEGER_get(n);
  ASN1_INTEGER_free(n);
  return v;
}

static int crl_entries(X509_CRL *crl)
{
  STACK_OF(X509_REVOKED) *entries = X509_CRL_get_REVOKED(crl);
  return entries == NULL ? 0 : sk_X509_REVOKED_num(entries);
}

/* The reason code of `cert`'s entry in `crl` (0 when it has none), asserting the entry and its
 * revocation date. */
static long entry_reason(X509_CRL *crl, X509 *cert, gint64 when)
{
  X509_REVOKED *entry = NULL;
  g_assert_cmpint(X509_CRL_get0_by_cert(crl, &entry, cert), ==, 1);
  g_assert_cmpint(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(entry), when), ==, 0);
  ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, NULL, NULL);
  long v = reason != NULL ? ASN1_ENUMERATED_get(reason) : 0;
  ASN1_ENUMERATED_free(reason);
  return v;
}

static void assert_sorted(X509_CRL *crl)
{
  STACK_OF(X509_REVOKED) *entries = X509_CRL_get_REVOKED(crl);
  for (int i = 1; i < crl_entries(crl); i++)
    g_assert_cmpint(
        ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, i - 1)),
                         X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, i))),
        <, 0);
}

/* Delta CRLs (RFC 5280 5.2.4): one number sequence with the complete CRLs, the revocations
 * made since the base and nothing else, and bases that are not complete CRLs refused. */
static void test_delta_crl(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  gint64 now = NOT_BEFORE + DAY;
  X509 *a = issue(f, now), *b = issue(f, now), *d = issue(f, now), *c = issue(f, now);
  X509 *kept = issue(f, now);
  g_assert_true(es_ca_revoke(f->ca, X509_get0_serialNumber(a), ES_REVOKE_SUPERSEDED, now + 1));
  g_assert_true(es_ca_revoke(f->ca, X509_get0_serialNumber(b), ES_REVOKE_CESSATION, now + 2));
  /* No complete CRL yet: nothing to be a delta on. */
  g_assert_null(es_ca_get1_delta_crl(f->ca, 1, now, now + DAY, &error));
  g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID);
  g_assert_cmpstr(error->message, ==, "no CRL 1 yet");
  g_clear_error(&error);
  X509_CRL *full1 = es_ca_get1_crl(f->ca, now + 10, now + DAY, &error);
  g_assert_no_error(error);
  g_assert_cmpint(crl_number(full1), ==, 1);
  g_assert_cmpuint(es_ca_revoked_since(f->ca, 1), ==, 0);
  /* C is issued after D, revoked before it: the delta lists by serial, as the full CRL. */
  g_assert_true(es_ca_revoke(f->ca, X509_get0_serialNumber(c), ES_REVOKE_KEY_COMPROMISE, now + 20));
  g_assert_true(es_ca_revoke(f->ca, X509_get0_serialNumber(d), ES_REVOKE_UNSPECIFIED, now + 30));
  g_assert_cmpuint(es_ca_revoked_since(f->ca, 1), ==, 2);

  X509_CRL *delta2 = es_ca_get1_delta_crl(f->ca, 1, now + 40, now + DAY, &error);
  g_assert_no_error(error);
  g_assert_cmpint(X509_CRL_get_version(delta2), ==, X509_CRL_VERSION_2);
  g_assert_cmpint(crl_number(delta2), ==, 2);
  g_assert_cmpuint(es_ca_get_crl_number(f->ca), ==, 2);
  g_assert_cmpint(delta_base(delta2), ==, 1);
  g_assert_cmpint(X509_CRL_verify(delta2, es_pki_get0_operator_root_key(f->pki)), ==, 1);
  g_assert_cmpint(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(delta2), now + 40), ==, 0);
  /* Issuer and AKI as the complete CRL's: what a verifier pairs the two by. */
  g_assert_cmpint(X509_NAME_cmp(X509_CRL_get_issuer(delta2), X509_CRL_get_issuer(full1)), ==, 0);
  AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(delta2, NID_authority_key_identifier, NULL, NULL);
  g_assert_nonnull(akid);
  g_assert_cmpint(
      ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(es_ca_get0_cert(f->ca))), ==, 0);
  AUTHORITY_KEYID_free(akid);
  g_assert_cmpint(crl_entries(delta2), ==, 2);
  g_assert_cmpint(entry_reason(delta2, c, now + 20), ==, ES_REVOKE_KEY_COMPROMISE);
  g_assert_cmpint(entry_reason(delta2, d, now + 30), ==, 0);
  assert_sorted(delta2);
  X509_REVOKED *entry = NULL;
  g_assert_cmpint(X509_CRL_get0_by_cert(delta2, &entry, a), ==, 0);
  g_assert_cmpint(X509_CRL_get0_by_cert(delta2, &entry, b), ==, 0);

  X509_CRL *full3 = es_ca_get1_crl(f->ca, now + 50, now + DAY, &error);
  g_assert_no_error(error);
  g_assert_cmpint(crl_number(full3), ==, 3);
  g_assert_cmpint(crl_entries(full3), ==, 4);
  g_assert_cmpint(X509_CRL_get_ext_by_NID(full3, NID_delta_crl, -1), <, 0);
  g_assert_cmpint(X509_CRL_get_ext_count(full3), ==, 2);
  for (X509 **x = (X509 *[]){a, b, c, d, NULL}; *x != NULL; x++)
    g_assert_cmpint(X509_CRL_get0_by_cert(full3, &entry, *x), ==, 1);
  g_assert_cmpint(X509_CRL_get0_by_cert(full3, &entry, kept), ==, 0);

  /* Nothing revoked since #3: a valid delta with no entries. */
  g_assert_cmpuint(es_ca_revoked_since(f->ca, 3), ==, 0);
  X509_CRL *delta4 = es_ca_get1_delta_crl(f->ca, 3, now + 60, now + DAY, &error);
  g_assert_no_error(error);
  g_assert_cmpint(crl_number(delta4), ==, 4);
  g_assert_cmpint(delta_base(delta4), ==, 3);
  g_assert_cmpint(crl_entries(delta4), ==, 0);
  g_assert_cmpint(X509_CRL_verify(delta4, es_pki_get0_operator_root_key(f->pki)), ==, 1);

  /* A delta is no base, nor is a number not made yet; a refusal uses up no number. */
  const guint64 bases[] = {2, 99, 0};
  const char *why[] = {"CRL 2 is not a complete CRL of this CA", "no CRL 99 yet", "no CRL 0 yet"};
  for (gsize i = 0; i < G_N_ELEMENTS(bases); i++) {
    g_assert_null(es_ca_get1_delta_crl(f->ca, bases[i], now + 70, now + DAY, &error));
    g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, why[i]);
    g_clear_error(&error);
    g_assert_cmpuint(es_ca_revoked_since(f->ca, bases[i]), ==, 0);
  }
  g_assert_null(es_ca_get1_delta_crl(f->ca, 3, now + 70, now + 70, &error));
  g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_cmpuint(es_ca_get_crl_number(f->ca), ==, 4);

  /* An older base is still a base: since #1 are still C and D, now as CRL 5. */
  X509_CRL *delta5 = es_ca_get1_delta_crl(f->ca, 1, now + 80, now + DAY, &error);
  g_assert_no_error(error);
  g_assert_cmpint(crl_number(delta5), ==, 5);
  g_assert_cmpint(delta_base(delta5), ==, 1);
  g_assert_cmpint(crl_entries(delta5), ==, 2);

  X509_CRL *all[] = {full1, delta2, full3, delta4, delta5};
  for (gsize i = 0; i < G_N_ELEMENTS(all); i++)
    X509_CRL_free(all[i]);
  for (X509 **x = (X509 *[]){a, b, c, d, kept, NULL}; *x != NULL; x++)
    X509_free(*x);
}

/* A restored CA does not know what the CRLs before its restored number listed: deltas start
 * from the first complete CRL it makes. */
static void test_delta_crl_restored(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  gint64 now = NOT_BEFORE + DAY;
  es_ca_set_crl_number(f->ca, 41);
  X509 *old = issue(f, now), *late = issue(f, now);
  /* Revocations read back from the store come after the number, as es_raca_restore does. */
  g_assert_true(es_ca_revoke(f->ca, X509_get0_serialNumber(old), ES_REVOKE_SUPERSEDED, now));
  g_assert_null(es_ca_get1_delta_crl(f->ca, 41, now, now + DAY, &error));
  g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "restored"));
  g_clear_error(&error);
  X509_CRL *full = es_ca_get1_crl(f->ca, now, now + DAY, &error);
  g_assert_no_error(error);
  g_assert_cmpint(crl_number(full), ==, 42);
  g_assert_true(
      es_ca_revoke(f->ca, X509_get0_serialNumber(late), ES_REVOKE_KEY_COMPROMISE, now + 1));
  g_assert_cmpuint(es_ca_revoked_since(f->ca, 42), ==, 1);
  X509_CRL *delta = es_ca_get1_delta_crl(f->ca, 42, now + 1, now + DAY, &error);
  g_assert_no_error(error);
  g_assert_cmpint(crl_number(delta), ==, 43);
  g_assert_cmpint(delta_base(delta), ==, 42);
  g_assert_cmpint(crl_entries(delta), ==, 1);
  g_assert_cmpint(entry_reason(delta, late, now + 1), ==, ES_REVOKE_KEY_COMPROMISE);

  /* Setting the number again forgets the complete CRLs made before. */
  es_ca_set_crl_number(f->ca, 43);
  g_assert_null(es_ca_get1_delta_crl(f->ca, 42, now + 2, now + DAY, &error));
  g_assert_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_cmpuint(es_ca_revoked_since(f->ca, 42), ==, 0);
  X509_CRL_free(delta);
  X509_CRL_free(full);
  X509_free(old);
  X509_free(late);
}

/* `openssl verify` of the leaf saved as `name` with both CRLs: its exit status, *out the text.
 * -extended_crl because without it OpenSSL 3.0 can take the (newer) delta for the complete CRL
 * and check against the delta alone (openssl/openssl#31040). */
static int verify_with_deltas(Fixture *f, const char *name, X509 *leaf, gint64 at, char **out)
{
  g_autofree char *root = g_build_filename(f->dir, "operator-root.pem", NULL);
  g_autofree char *full = g_build_filename(f->dir, "full.pem", NULL);
  g_autofree char *delta = g_build_filename(f->dir, "delta.pem", NULL);
  g_autofree char *path = save_in(f, name, leaf);
  g_autofree char *attime = g_strdup_printf("%" G_GINT64_FORMAT, at);
  int rc = es_test_run_openssl(out, "verify", "-attime", attime, "-crl_check", "-extended_crl",
                               "-use_deltas", "-CAfile", root, "-CRLfile", full, "-CRLfile",
                               delta, path, NULL);
  g_test_message("%s: %s", name, *out);
  return rc;
}

/* `cert` with a freshestCRL extension, re-signed by the CA key: es_ca_issue adds none. */
static X509 *with_freshest_crl(Fixture *f, X509 *cert)
{
  X509 *out = X509_dup(cert);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_freshest_crl,
                                            "URI:http://ca.operator.example/delta.crl");
  g_assert_nonnull(ext);
  g_assert_true(X509_add_ext(out, ext, -1));
  X509_EXTENSION_free(ext);
  g_assert_cmpint(X509_sign(out, es_pki_get0_operator_root_key(f->pki), EVP_sha256()), >, 0);
  return out;
}

/* The openssl CLI reads the delta CRL as one (critical deltaCRLIndicator, base number),
 * verifies its signature, and its verifier applies it on top of the complete CRL. */
static void test_delta_crl_openssl(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  gint64 now = NOT_BEFORE + DAY;
  X509 *kept = issue(f, now), *in_full = issue(f, now), *in_delta = issue(f, now);
  g_assert_true(es_ca_revoke(f->ca, X509_get0_serialNumber(in_full), ES_REVOKE_SUPERSEDED, now));
  X509_CRL *full = es_ca_get1_crl(f->ca, now + 10, now + 8 * DAY, &error);
  g_assert_no_error(error);
  g_assert_true(
      es_ca_revoke(f->ca, X509_get0_serialNumber(in_delta), ES_REVOKE_KEY_COMPROMISE, now + 20));
  X509_CRL *delta = es_ca_get1_delta_crl(f->ca, 1, now + 30, now + 2 * DAY, &error);
  g_assert_no_error(error);
  g_autofree char *root = g_build_filename(f->dir, "operator-root.pem", NULL);
  g_autofree char *full_path = g_build_filename(f->dir, "full.pem", NULL);
  g_autofree char *delta_path = g_build_filename(f->dir, "delta.pem", NULL);
  save_crl(full_path, full);
  save_crl(delta_path, delta);
  g_autofree char *out = NULL;
  g_assert_cmpint(es_test_run_openssl(&out, "crl", "-in", delta_path, "-noout", "-text", NULL), ==,
                  0);
  g_test_message("%s", out);
  g_assert_true(g_regex_match_simple("Delta CRL Indicator: critical\\s+1\\s", out, 0, 0));
  g_assert_true(g_regex_match_simple("CRL Number:\\s+2\\s", out, 0, 0));
  g_assert_true(g_regex_match_simple("Reason Code:\\s+Key Compromise", out, 0, 0));
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(
      es_test_run_openssl(&out, "crl", "-in", delta_path, "-CAfile", root, "-noout", NULL), ==, 0);
  g_assert_nonnull(strstr(out, "verify OK"));
  g_clear_pointer(&out, g_free);

  gint64 at = now + DAY;
  g_assert_cmpint(verify_with_deltas(f, "kept.pem", kept, at, &out), ==, 0);
  g_assert_nonnull(strstr(out, "kept.pem: OK"));
  g_clear_pointer(&out, g_free);
  g_assert_cmpint(verify_with_deltas(f, "in-full.pem", in_full, at, &out), !=, 0);
  g_assert_nonnull(strstr(out, "certificate revoked"));
  g_clear_pointer(&out, g_free);
  /* OpenSSL looks for a delta only when the certificate or the complete CRL has a
   * freshestCRL extension (RFC 5280 4.2.1.15, 5.2.6); neither has one here, so it checks the
   * complete CRL alone, and takes a certificate revoked since as good. */
  g_assert_cmpint(verify_with_deltas(f, "in-delta.pem", in_delta, at, &out), ==, 0);
  g_assert_nonnull(strstr(out, "in-delta.pem: OK"));
  g_clear_pointer(&out, g_free);

  /* The same certificates with a freshestCRL pointer: the verifier applies the delta, finds
   * the one revoked since the complete CRL, and still accepts the other. */
  X509 *pointing = with_freshest_crl(f, in_delta);
  g_assert_cmpint(verify_with_deltas(f, "in-delta-pointing.pem", pointing, at, &out), !=, 0);
  g_assert_nonnull(strstr(out, "certificate revoked"));
  g_clear_pointer(&out, g_free);
  X509 *kept_pointing = with_freshest_crl(f, kept);
  g_assert_cmpint(verify_with_deltas(f, "kept-pointing.pem", kept_pointing, at, &out), ==, 0);
  g_assert_nonnull(strstr(out, "kept-pointing.pem: OK"));

  X509_free(kept_pointing);
  X509_free(pointing);
  X509_CRL_free(full);
  X509_CRL_free(delta);
  X509_free(kept);
  X509_free(in_full);
  X509_free(in_delta);
}

/* Same seed, same requests: the same certificates, complete and delta CRLs byte for byte. */
static void test_deterministic(void)
{
  GBytes *der[2][3];
  for (int run = 0; run < 2; run++) {
    Fixture f = {0};
    fixture_set_up(&f, NULL);
    X509 *cert = issue(&f, NOT_BEFORE + DAY);
    X509 *later = issue(&f, NOT_BEFORE + DAY);
    es_ca_revoke(f.ca, X509_get0_serialNumber(cert), ES_REVOKE_KEY_COMPROMISE,
                 NOT_BEFORE + 2 * DAY);
    X509_CRL *crl = es_ca_get1_crl(f.ca, NOT_BEFORE + 3 * DAY, NOT_BEFORE + 4 * DAY, NULL);
    es_ca_revoke(f.ca, X509_get0_serialNumber(later), ES_REVOKE_SUPERSEDED, NOT_BEFORE + 3 * DAY);
    X509_CRL *delta =
        es_ca_get1_delta_crl(f.ca, 1, NOT_BEFORE + 3 * DAY + 60, NOT_BEFORE + 4 * DAY, NULL);
    g_assert_nonnull(delta);
    unsigned char *buf = NULL;
    int len = i2d_X509(cert, &buf);
    der[run][0] = g_bytes_new(buf, len);
    OPENSSL_free(buf);
    buf = NULL;
    len = i2d_X509_CRL(crl, &buf);
    der[run][1] = g_bytes_new(buf, len);
    OPENSSL_free(buf);
    buf = NULL;
    len = i2d_X509_CRL(delta, &buf);
    der[run][2] = g_bytes_new(buf, len);
    OPENSSL_free(buf);
    X509_CRL_free(delta);
    X509_CRL_free(crl);
    X509_free(later);
    X509_free(cert);
    fixture_tear_down(&f, NULL);
  }
  for (int i = 0; i < 3; i++)
    g_assert_true(g_bytes_equal(der[0][i], der[1][i]));
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 3; j++)
      g_bytes_unref(der[i][j]);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/ca/issue", Fixture, NULL, fixture_set_up, test_issue, fixture_tear_down);
  g_test_add("/ca/issue-spki", Fixture, NULL, fixture_set_up, test_issue_spki, fixture_tear_down);
  g_test_add("/ca/cert-peek", Fixture, NULL, fixture_set_up, test_cert_peek, fixture_tear_down);
  g_test_add("/ca/key-export", Fixture, NULL, fixture_set_up, test_key_export, fixture_tear_down);
  g_test_add("/ca/revoke-and-crl", Fixture, NULL, fixture_set_up, test_revoke_and_crl,
             fixture_tear_down);
  g_test_add("/ca/crl-number-and-aki", Fixture, NULL, fixture_set_up, test_crl_number_and_aki,
             fixture_tear_down);
  g_test_add("/ca/many-revocations", Fixture, NULL, fixture_set_up, test_many_revocations,
             fixture_tear_down);
  g_test_add("/ca/incremental-crl", Fixture, NULL, fixture_set_up, test_incremental_crl,
             fixture_tear_down);
  g_test_add("/ca/restored-counters", Fixture, NULL, fixture_set_up, test_restored_counters,
             fixture_tear_down);
  g_test_add("/ca/delta-crl", Fixture, NULL, fixture_set_up, test_delta_crl, fixture_tear_down);
  g_test_add("/ca/delta-crl-restored", Fixture, NULL, fixture_set_up, test_delta_crl_restored,
             fixture_tear_down);
  g_test_add("/ca/delta-crl-openssl", Fixture, NULL, fixture_set_up, test_delta_crl_openssl,
             fixture_tear_down);
  g_test_add_func("/ca/deterministic", test_deterministic);
  return g_test_run();
}
