/* The hierarchy and device credentials as PEM files: written whole or not at all, keys
 * readable by their owner only, read back with every pair checked. */
#include "pki/es_pki.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "pki/es_pki_priv.h"

/* ---- PEM files ---- */

/* Never prompt on a terminal for a passphrase: our keys are unencrypted, anything else is
 * an error to report. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
  (void)buf;
  (void)size;
  (void)rwflag;
  (void)u;
  return -1;
}

static BIO *read_file_bio(const char *path, GError **error)
{
  char *data = NULL;
  gsize len = 0;
  GError *local = NULL;
  if (!g_file_get_contents(path, &data, &len, &local)) {
    g_set_error(error, ES_PKI_ERROR, ES_PKI_ERROR_IO, "cannot read %s: %s", path,
                local->code == G_FILE_ERROR_NOENT ? "no such file" : local->message);
    g_error_free(local);
    return NULL;
  }
  BIO *bio = BIO_new(BIO_s_mem());
  if (bio == NULL || BIO_write(bio, data, (int)len) != (int)len) {
    BIO_free(bio);
    g_free(data);
    char *what = g_strdup_printf("cannot buffer %s", path);
    es_set_ossl_error(error, ES_PKI_ERROR_CRYPTO, what);
    g_free(what);
    return NULL;
  }
  memset(data, 0, len); /* may be a private key */
  g_free(data);
  return bio;
}

X509 *es_pem_load_cert(const char *path, GError **error)
{
  ERR_clear_error();
  BIO *bio = read_file_bio(path, error);
  if (bio == NULL)
    return NULL;
  X509 *cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
  BIO_free(bio);
  if (cert == NULL) {
    char *what = g_strdup_printf("%s: not a PEM certificate", path);
    es_set_ossl_error(error, ES_PKI_ERROR_INVALID, what);
    g_free(what);
  }
  return cert;
}

EVP_PKEY *es_pem_load_key(const char *path, GError **error)
{
  ERR_clear_error();
  BIO *bio = read_file_bio(path, error);
  if (bio == NULL)
    return NULL;
  EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
  BIO_free(bio);
  if (key == NULL) {
    char *what = g_strdup_printf("%s: not an unencrypted PEM private key", path);
    es_set_ossl_error(error, ES_PKI_ERROR_INVALID, what);
    g_free(what);
  }
  return key;
}

/* Removes any older file first so the new one is created with `mode` (an older key file
 * may have had a wider one). No temporary file + rename: with GLib that means an fsync per
 * overwritten file, and a re-run writes two files per eNB. */
static gboolean write_bio(const char *path, BIO *bio, int mode, GError **error)
{
  char *data = NULL;
  long len = BIO_get_mem_data(bio, &data);
  GError *local = NULL;
  /* Replaced atomically: a temporary file beside it, created with `mode` (so an old key
   * file's wider mode cannot survive), synced and renamed over it; a failed write (a full
   * disk, a file-size limit) leaves the previous file and no part of the new one. */
  if (!g_file_set_contents_full(path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, mode, &local)) {
    g_set_error(error, ES_PKI_ERROR, ES_PKI_ERROR_IO, "cannot write %s: %s", path, local->message);
    g_error_free(local);
    return FALSE;
  }
  return TRUE;
}

static int write_cert_pem(BIO *bio, const void *obj) { return PEM_write_bio_X509(bio, obj); }
static int write_crl_pem(BIO *bio, const void *obj) { return PEM_write_bio_X509_CRL(bio, obj); }

/* A public PEM file (certificate or CRL), replaced atomically. */
static gboolean save_public_pem(const char *path, const char *what, int (*write)(BIO *, const void *),
                                const void *obj, GError **error)
{
  ERR_clear_error();
  BIO *bio = BIO_new(BIO_s_mem());
  if (bio == NULL || obj == NULL || !write(bio, obj)) {
    BIO_free(bio);
    char *msg = g_strdup_printf("%s: cannot encode %s", path, what);
    es_set_ossl_error(error, ES_PKI_ERROR_CRYPTO, msg);
    g_free(msg);
    return FALSE;
  }
  gboolean ok = write_bio(path, bio, 0644, error);
  BIO_free(bio);
  return ok;
}

gboolean es_pem_save_cert(const char *path, X509 *cert, GError **error)
{
  return save_public_pem(path, "certificate", write_cert_pem, cert, error);
}

gboolean es_pem_save_crl(const char *path, X509_CRL *crl, GError **error)
{
  return save_public_pem(path, "CRL", write_crl_pem, crl, error);
}

gboolean es_pem_save_key(const char *path, EVP_PKEY *key, GError **error)
{
  ERR_clear_error();
  /* Secure-heap memory BIO: the PEM text of the key is wiped when the BIO is freed. */
  BIO *bio = BIO_new(BIO_s_secmem());
  /* PEM_write_bio_PrivateKey writes unencrypted PKCS#8 ("BEGIN PRIVATE KEY") in 3.0. */
  if (bio == NULL || key == NULL ||
      !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
    BIO_free(bio);
    char *what = g_strdup_printf("%s: cannot encode private key", path);
    es_set_ossl_error(error, ES_PKI_ERROR_CRYPTO, what);
    g_free(what);
    return FALSE;
  }
  gboolean ok = write_bio(path, bio, 0600, error);
  BIO_free(bio);
  return ok;
}

static gboolean make_dir(const char *dir, GError **error)
{
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    int err = errno;
    g_set_error(error, ES_PKI_ERROR, ES_PKI_ERROR_IO, "cannot create directory %s: %s", dir,
                g_strerror(err));
    return FALSE;
  }
  return TRUE;
}

static gboolean save_cert_in(const char *dir, const char *name, X509 *cert, GError **error)
{
  char *path = g_build_filename(dir, name, NULL);
  gboolean ok = es_pem_save_cert(path, cert, error);
  g_free(path);
  return ok;
}

static gboolean save_key_in(const char *dir, const char *name, EVP_PKEY *key, GError **error)
{
  char *path = g_build_filename(dir, name, NULL);
  gboolean ok = es_pem_save_key(path, key, error);
  g_free(path);
  return ok;
}

const char *const *es_pki_file_names(void)
{
  /* In es_pki_save's order. */
  static const char *const names[] = {"vendor-root.pem", "vendor-root.key", "operator-root.pem",
                                      "operator-root.key", "raca.pem", "raca.key",
                                      "raca-cross.pem", NULL};
  return names;
}

gboolean es_pki_save(const EsPki *pki, const char *dir, GError **error)
{
  return make_dir(dir, error) && save_cert_in(dir, "vendor-root.pem", pki->vendor_root, error) &&
         save_key_in(dir, "vendor-root.key", pki->vendor_root_key, error) &&
         save_cert_in(dir, "operator-root.pem", pki->operator_root, error) &&
         save_key_in(dir, "operator-root.key", pki->operator_root_key, error) &&
         save_cert_in(dir, "raca.pem", pki->raca, error) &&
         save_key_in(dir, "raca.key", pki->raca_key, error) &&
         save_cert_in(dir, "raca-cross.pem", pki->raca_cross, error);
}

const char *const *es_pki_rollover_file_names(void)
{
  static const char *const names[] = {"operator-root-2.pem", "operator-root-2.key",
                                      "new-with-old.pem", "old-with-new.pem", "raca-2.pem", NULL};
  return names;
}

gboolean es_pki_save_rollover(const EsPki *pki, const char *dir, GError **error)
{
  if (pki->next_root == NULL) {
    g_set_error_literal(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID, "the hierarchy has no next root");
    return FALSE;
  }
  return make_dir(dir, error) && save_cert_in(dir, "operator-root-2.pem", pki->next_root, error) &&
         save_key_in(dir, "operator-root-2.key", pki->next_root_key, error) &&
         save_cert_in(dir, "new-with-old.pem", pki->new_with_old, error) &&
         save_cert_in(dir, "old-with-new.pem", pki->old_with_new, error) &&
         save_cert_in(dir, "raca-2.pem", pki->next_raca, error);
}

static X509 *load_cert_in(const char *dir, const char *name, GError **error)
{
  char *path = g_build_filename(dir, name, NULL);
  X509 *cert = es_pem_load_cert(path, error);
  g_free(path);
  return cert;
}

static EVP_PKEY *load_key_in(const char *dir, const char *name, GError **error)
{
  char *path = g_build_filename(dir, name, NULL);
  EVP_PKEY *key = es_pem_load_key(path, error);
  g_free(path);
  return key;
}

static gboolean key_type_of(EVP_PKEY *key, EsKeyType *out)
{
  if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) == 2048) {
    *out = ES_KEY_RSA2048;
    return TRUE;
  }
  char group[64];
  if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_group_name(key, group, sizeof group, NULL)) {
    int nid = OBJ_txt2nid(group);
    if (nid == NID_X9_62_prime256v1) {
      *out = ES_KEY_P256;
      return TRUE;
    }
    if (nid == NID_secp384r1) {
      *out = ES_KEY_P384;
      return TRUE;
    }
  }
  return FALSE;
}

/* Files written by hand (or by a different run) could pair a certificate with the wrong
 * key; nothing downstream would explain the resulting signature failures. */
static gboolean check_pair(const char *dir, const char *name, X509 *cert, EVP_PKEY *key,
                           GError **error)
{
  if (X509_check_private_key(cert, key) == 1)
    return TRUE;
  ERR_clear_error();
  char *path = g_build_filename(dir, name, NULL);
  g_set_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID,
              "%s: private key does not match the certificate", path);
  g_free(path);
  return FALSE;
}

static gint64 asn1_time_to_unix(const ASN1_TIME *t)
{
  struct tm tm;
  if (!ASN1_TIME_to_tm(t, &tm))
    return 0;
  GDateTime *dt = g_date_time_new_utc(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                      tm.tm_min, tm.tm_sec);
  if (dt == NULL)
    return 0;
  gint64 result = g_date_time_to_unix(dt);
  g_date_time_unref(dt);
  return result;
}

EsPki *es_pki_load(const char *dir, GError **error)
{
  EsPki *pki = g_new0(EsPki, 1);
  if ((pki->vendor_root = load_cert_in(dir, "vendor-root.pem", error)) == NULL ||
      (pki->vendor_root_key = load_key_in(dir, "vendor-root.key", error)) == NULL ||
      (pki->operator_root = load_cert_in(dir, "operator-root.pem", error)) == NULL ||
      (pki->operator_root_key = load_key_in(dir, "operator-root.key", error)) == NULL ||
      (pki->raca = load_cert_in(dir, "raca.pem", error)) == NULL ||
      (pki->raca_key = load_key_in(dir, "raca.key", error)) == NULL ||
      (pki->raca_cross = load_cert_in(dir, "raca-cross.pem", error)) == NULL)
    goto fail;
  if (!check_pair(dir, "vendor-root.key", pki->vendor_root, pki->vendor_root_key, error) ||
      !check_pair(dir, "operator-root.key", pki->operator_root, pki->operator_root_key, error) ||
      !check_pair(dir, "raca.key", pki->raca, pki->raca_key, error) ||
      !check_pair(dir, "raca.key", pki->raca_cross, pki->raca_key, error))
    goto fail;
  if (!key_type_of(pki->vendor_root_key, &pki->type)) {
    char *path = g_build_filename(dir, "vendor-root.key", NULL);
    g_set_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID,
                "%s: key is not P-256, P-384 or RSA-2048", path);
    g_free(path);
    goto fail;
  }
  pki->not_before = asn1_time_to_unix(X509_get0_notBefore(pki->vendor_root));
  return pki;

fail:
  es_pki_free(pki);
  return NULL;
}

static char *device_path(const char *dir, guint index, const char *ext)
{
  char *name = g_strdup_printf("enb-%u.%s", index, ext);
  char *path = g_build_filename(dir, "devices", name, NULL);
  g_free(name);
  return path;
}

gboolean es_pki_save_device(const char *dir, guint index, X509 *cert, EVP_PKEY *key, GError **error)
{
  char *devices = g_build_filename(dir, "devices", NULL);
  char *cert_path = device_path(dir, index, "pem");
  char *key_path = device_path(dir, index, "key");
  gboolean ok = make_dir(devices, error) && es_pem_save_cert(cert_path, cert, error) &&
                es_pem_save_key(key_path, key, error);
  g_free(devices);
  g_free(cert_path);
  g_free(key_path);
  return ok;
}

gboolean es_pki_load_device(const char *dir, guint index, X509 **cert, EVP_PKEY **key,
                            GError **error)
{
  char *cert_path = device_path(dir, index, "pem");
  char *key_path = device_path(dir, index, "key");
  X509 *c = es_pem_load_cert(cert_path, error);
  EVP_PKEY *k = c != NULL ? es_pem_load_key(key_path, error) : NULL;
  gboolean ok = c != NULL && k != NULL;
  if (ok && X509_check_private_key(c, k) != 1) {
    ERR_clear_error();
    g_set_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID, "%s: private key does not match %s",
                key_path, cert_path);
    ok = FALSE;
  }
  g_free(cert_path);
  g_free(key_path);
  if (!ok) {
    X509_free(c);
    EVP_PKEY_free(k);
    return FALSE;
  }
  *cert = c;
  *key = k;
  return TRUE;
}

char *es_subject_rfc2253(X509 *cert)
{
  BIO *bio = BIO_new(BIO_s_mem());
  char *text = NULL;
  if (bio != NULL && X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    text = g_strndup(data, (gsize)len);
  }
  BIO_free(bio);
  ERR_clear_error();
  return text != NULL ? text : g_strdup("");
}

/* Steps into the constructed TLV at *p of tag `tag` (universal, or context-specific when
 * `context`), setting *end to its end. */
static gboolean enter(const unsigned char **p, const unsigned char **end, int tag,
                      gboolean context)
{
  long len;
  int t, xclass;
  int r = ASN1_get_object(p, &len, &t, &xclass, *end - *p);
  if ((r & 0x80) || !(r & V_ASN1_CONSTRUCTED) || t != tag
      || xclass != (context ? V_ASN1_CONTEXT_SPECIFIC : V_ASN1_UNIVERSAL) || len > *end - *p)
    return FALSE;
  *end = *p + len;
  return TRUE;
}

/* Steps over the TLV at *p. */
static gboolean skip(const unsigned char **p, const unsigned char *end)
{
  long len;
  int t, xclass;
  int r = ASN1_get_object(p, &len, &t, &xclass, end - *p);
  if ((r & 0x80) || len > end - *p)
    return FALSE;
  *p += len;
  return TRUE;
}

gboolean es_cert_peek(const guint8 *der, gsize len, ASN1_INTEGER **serial, ASN1_TIME **not_after)
{
  *serial = NULL;
  *not_after = NULL;
  if (der == NULL || len > G_MAXLONG)
    return FALSE;
  const unsigned char *p = der, *end = der + len;
  /* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
   * signature, issuer, validity SEQUENCE { notBefore, notAfter }, ... } ... } */
  if (!enter(&p, &end, V_ASN1_SEQUENCE, FALSE) || !enter(&p, &end, V_ASN1_SEQUENCE, FALSE))
    return FALSE;
  const unsigned char *q = p, *version_end = end;
  if (enter(&q, &version_end, 0, TRUE))
    p = version_end;
  const unsigned char *validity_end = end;
  gboolean ok = (*serial = d2i_ASN1_INTEGER(NULL, &p, end - p)) != NULL && skip(&p, end)
                && skip(&p, end) && enter(&p, &validity_end, V_ASN1_SEQUENCE, FALSE)
                && skip(&p, validity_end)
                && (*not_after = d2i_ASN1_TIME(NULL, &p, validity_end - p)) != NULL;
  if (!ok) {
    g_clear_pointer(serial, ASN1_INTEGER_free);
    g_clear_pointer(not_after, ASN1_TIME_free);
    ERR_clear_error();
  }
  return ok;
}

char *es_serial_hex(const ASN1_INTEGER *serial)
{
  if (serial == NULL)
    return g_strdup("");
  /* i2a_ASN1_INTEGER is what `openssl x509 -serial` itself calls: bytes as two upper-case
   * hex digits each ("01", "0100", "00" for zero), a '-' for negative serials. */
  BIO *bio = BIO_new(BIO_s_mem());
  if (bio == NULL)
    return g_strdup("");
  char *hex;
  if (i2a_ASN1_INTEGER(bio, serial) <= 0) {
    ERR_clear_error();
    hex = g_strdup("");
  } else {
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    /* i2a breaks lines every 35 bytes with "\\\n"; serials are at most 20 bytes but be
     * exact anyway. Its own allocation, as long as the digits: the RA/CA and the CA keep one
     * per certificate (a GString's would be 128 bytes). */
    hex = g_malloc((gsize)len + 1);
    gsize n = 0;
    for (long i = 0; i < len; i++)
      if (data[i] != '\\' && data[i] != '\n')
        hex[n++] = data[i];
    hex[n] = '\0';
  }
  BIO_free(bio);
  return hex;
}
