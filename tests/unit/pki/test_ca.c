/* Tests of the issuing CA: issued certificates verify under the operator root, revocation is
 * visible in CRLs that the openssl CLI accepts, and CRL numbers and serials repeat per run. */
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

/* Same seed, same requests: the same certificates and CRLs byte for byte. */
static void test_deterministic(void)
{
  GBytes *der[2][2];
  for (int run = 0; run < 2; run++) {
    Fixture f = {0};
    fixture_set_up(&f, NULL);
    X509 *cert = issue(&f, NOT_BEFORE + DAY);
    es_ca_revoke(f.ca, X509_get0_serialNumber(cert), ES_REVOKE_KEY_COMPROMISE,
                 NOT_BEFORE + 2 * DAY);
    X509_CRL *crl = es_ca_get1_crl(f.ca, NOT_BEFORE + 3 * DAY, NOT_BEFORE + 4 * DAY, NULL);
    unsigned char *buf = NULL;
    int len = i2d_X509(cert, &buf);
    der[run][0] = g_bytes_new(buf, len);
    OPENSSL_free(buf);
    buf = NULL;
    len = i2d_X509_CRL(crl, &buf);
    der[run][1] = g_bytes_new(buf, len);
    OPENSSL_free(buf);
    X509_CRL_free(crl);
    X509_free(cert);
    fixture_tear_down(&f, NULL);
  }
  g_assert_true(g_bytes_equal(der[0][0], der[1][0]));
  g_assert_true(g_bytes_equal(der[0][1], der[1][1]));
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++)
      g_bytes_unref(der[i][j]);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/ca/issue", Fixture, NULL, fixture_set_up, test_issue, fixture_tear_down);
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
  g_test_add_func("/ca/deterministic", test_deterministic);
  return g_test_run();
}
