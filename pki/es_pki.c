/* The late-binding hierarchy: vendor root and device certificates, operator root, RA/CA
 * certificate and its vendor cross certificate; generated deterministically, saved as PEM. */
#include "pki/es_pki.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pki/es_pki_priv.h"

G_DEFINE_QUARK(es - pki - error - quark, es_pki_error)

/* Small fixed serials: the hierarchy is made once per run and must repeat byte for byte.
 * The operator CA (es_ca.c) numbers its own certificates from 0x100 upwards, above these;
 * device certificates (vendor root) use 0x1000 + index, above the cross certificate. */
enum {
  SERIAL_VENDOR_ROOT = 1,
  SERIAL_OPERATOR_ROOT = 2,
  SERIAL_RACA = 3,
  SERIAL_RACA_CROSS = 4,
  SERIAL_RACA_TLS = 5,
  SERIAL_NEXT_ROOT = 6,     /* operator-root rollover */
  SERIAL_NEW_WITH_OLD = 7,
  SERIAL_OLD_WITH_NEW = 8,
  SERIAL_NEXT_RACA = 9,
  SERIAL_DEVICE_BASE = 0x1000,
};

#define ROOT_YEARS 30
#define RACA_YEARS 20
#define DEVICE_YEARS 20


void es_set_ossl_error(GError **error, int code, const char *what)
{
  char *msg = es_ossl_errors(what);
  g_set_error_literal(error, ES_PKI_ERROR, code, msg);
  g_free(msg);
}

const EVP_MD *es_sig_md(EVP_PKEY *key)
{
  if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) >= 384)
    return EVP_sha384();
  return EVP_sha256();
}

/* Calendar years, so a 30-year root made on 1 November ends on 1 November. */
static gint64 years_later(gint64 t, int years)
{
  GDateTime *start = g_date_time_new_from_unix_utc(t);
  if (start == NULL)
    return t + (gint64)years * 31556952; /* out of GDateTime's range: mean Gregorian year */
  GDateTime *end = g_date_time_add_years(start, years);
  gint64 result = end != NULL ? g_date_time_to_unix(end) : t + (gint64)years * 31556952;
  g_date_time_unref(start);
  if (end != NULL)
    g_date_time_unref(end);
  return result;
}

static X509_NAME *make_name(const char *cn, const char *o)
{
  /* DER order O then CN: the RFC 4514 string is "CN=<cn>,O=<o>". */
  X509_NAME *name = X509_NAME_new();
  if (name == NULL ||
      !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)o, -1, -1, 0) ||
      !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                  0)) {
    X509_NAME_free(name);
    return NULL;
  }
  return name;
}

static gboolean add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value, GError **error)
{
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
  if (ext == NULL || !X509_add_ext(cert, ext, -1)) {
    X509_EXTENSION_free(ext);
    char *what = g_strdup_printf("cannot add extension %s = %s", OBJ_nid2sn(nid), value);
    es_set_ossl_error(error, ES_PKI_ERROR_CRYPTO, what);
    g_free(what);
    return FALSE;
  }
  X509_EXTENSION_free(ext);
  return TRUE;
}

/* The certificate's key from its SubjectPublicKeyInfo DER, without decoding the key:
 * X509_set_pubkey would encode it and decode it again, in OpenSSL 3.0 the costliest part of
 * issuing after the signature (an encoder and a decoder chain built per call). */
static gboolean set_spki(X509 *cert, GBytes *spki)
{
  gsize n;
  const unsigned char *der = g_bytes_get_data(spki, &n);
  const unsigned char *p = der;
  long len;
  int tag, xclass;
  int r = ASN1_get_object(&p, &len, &tag, &xclass, (long)n);
  if ((r & 0x80) || tag != V_ASN1_SEQUENCE || p + len != der + n)
    return FALSE;
  const unsigned char *end = p + len;
  X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, end - p);
  ASN1_BIT_STRING *bits = alg != NULL ? d2i_ASN1_BIT_STRING(NULL, &p, end - p) : NULL;
  const ASN1_OBJECT *obj = NULL;
  int ptype = V_ASN1_UNDEF;
  const void *pval = NULL;
  if (alg != NULL)
    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
  ASN1_OBJECT *obj_copy = obj != NULL ? OBJ_dup(obj) : NULL;
  void *pval_copy = ptype == V_ASN1_OBJECT ? (void *)OBJ_dup(pval)
                    : ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL ? NULL
                    : (void *)ASN1_STRING_dup(pval);
  int key_len = bits != NULL ? ASN1_STRING_length(bits) : 0;
  unsigned char *key = key_len > 0 ? OPENSSL_memdup(ASN1_STRING_get0_data(bits), key_len) : NULL;
  /* Whole bytes only (RFC 5280 keys are), and nothing after the bit string. */
  gboolean ok = bits != NULL && p == end && (bits->flags & 0x07) == 0 && obj_copy != NULL
                && (pval == NULL || pval_copy != NULL) && key != NULL
                && X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert), obj_copy, ptype, pval_copy,
                                          key, key_len);
  if (!ok) {
    ASN1_OBJECT_free(obj_copy);
    if (ptype == V_ASN1_OBJECT)
      ASN1_OBJECT_free(pval_copy);
    else
      ASN1_STRING_free(pval_copy);
    OPENSSL_free(key);
  }
  X509_ALGOR_free(alg);
  ASN1_BIT_STRING_free(bits);
  return ok;
}

X509 *es_cert_build(const EsCertSpec *spec, GError **error)
{
  if (spec->subject == NULL || (spec->pubkey == NULL && spec->spki == NULL)
      || spec->issuer_key == NULL) {
    g_set_error_literal(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID,
                        "certificate needs a subject, a public key and an issuer key");
    return NULL;
  }
  ERR_clear_error();
  X509 *cert = X509_new();
  ASN1_INTEGER *serial = ASN1_INTEGER_new();
  ASN1_TIME *nb = ASN1_TIME_set(NULL, (time_t)spec->not_before);
  ASN1_TIME *na = ASN1_TIME_set(NULL, (time_t)spec->not_after);
  const X509_NAME *issuer_name =
      spec->issuer != NULL ? X509_get_subject_name(spec->issuer) : spec->subject;
  gboolean ok = cert != NULL && serial != NULL && nb != NULL && na != NULL &&
                X509_set_version(cert, X509_VERSION_3) &&
                ASN1_INTEGER_set_uint64(serial, spec->serial) &&
                X509_set_serialNumber(cert, serial) && X509_set_subject_name(cert, spec->subject) &&
                X509_set_issuer_name(cert, issuer_name) && X509_set1_notBefore(cert, nb) &&
                X509_set1_notAfter(cert, na)
                && (spec->pubkey != NULL ? X509_set_pubkey(cert, spec->pubkey)
                                         : set_spki(cert, spec->spki));
  ASN1_INTEGER_free(serial);
  ASN1_TIME_free(nb);
  ASN1_TIME_free(na);
  if (!ok) {
    es_set_ossl_error(error, ES_PKI_ERROR_CRYPTO, "cannot fill in certificate");
    X509_free(cert);
    return NULL;
  }

  X509V3_CTX ctx;
  /* Self-signed: the certificate is its own issuer, so AKI copies the SKI added before it. */
  X509V3_set_ctx(&ctx, spec->issuer != NULL ? spec->issuer : cert, cert, NULL, NULL, 0);
  switch (spec->profile) {
  case ES_CERT_ROOT:
    ok = add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE", error) &&
         add_ext(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign", error);
    break;
  case ES_CERT_RACA:
    /* id-kp-cmcRA (RFC 6402) marks the CMP RA signer; `openssl verify` with its default
     * purpose accepts it (checked in test_pki). */
    ok = add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE", error) &&
         add_ext(cert, &ctx, NID_key_usage, "critical,digitalSignature", error) &&
         add_ext(cert, &ctx, NID_ext_key_usage, "cmcRA", error);
    break;
  case ES_CERT_ENTITY:
    ok = add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE", error) &&
         add_ext(cert, &ctx, NID_key_usage, "critical,digitalSignature", error);
    break;
  case ES_CERT_TLS_SERVER:
    ok = add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE", error) &&
         add_ext(cert, &ctx, NID_key_usage, "critical,digitalSignature", error) &&
         add_ext(cert, &ctx, NID_ext_key_usage, "serverAuth", error);
    break;
  }
  ok = ok && add_ext(cert, &ctx, NID_subject_key_identifier, "hash", error) &&
       add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always", error);
  if (!ok) {
    X509_free(cert);
    return NULL;
  }
  if (X509_sign(cert, spec->issuer_key, es_sig_md(spec->issuer_key)) <= 0) {
    es_set_ossl_error(error, ES_PKI_ERROR_CRYPTO, "cannot sign certificate");
    X509_free(cert);
    return NULL;
  }
  return cert;
}

/* ---- the hierarchy ---- */

void es_pki_free(EsPki *pki)
{
  if (pki == NULL)
    return;
  X509_free(pki->vendor_root);
  EVP_PKEY_free(pki->vendor_root_key);
  X509_free(pki->operator_root);
  EVP_PKEY_free(pki->operator_root_key);
  X509_free(pki->raca);
  EVP_PKEY_free(pki->raca_key);
  X509_free(pki->raca_cross);
  X509_free(pki->next_root);
  EVP_PKEY_free(pki->next_root_key);
  X509_free(pki->new_with_old);
  X509_free(pki->old_with_new);
  X509_free(pki->next_raca);
  g_free(pki);
}

static X509 *make_root(const char *cn, const char *o, EVP_PKEY *key, guint64 serial,
                       gint64 not_before, GError **error)
{
  X509_NAME *name = make_name(cn, o);
  if (name == NULL) {
    es_set_ossl_error(error, ES_PKI_ERROR_CRYPTO, "cannot make name");
    return NULL;
  }
  EsCertSpec spec = {
      .profile = ES_CERT_ROOT,
      .serial = serial,
      .subject = name,
      .pubkey = key,
      .issuer = NULL,
      .issuer_key = key,
      .not_before = not_before,
      .not_after = years_later(not_before, ROOT_YEARS),
  };
  X509 *cert = es_cert_build(&spec, error);
  X509_NAME_free(name);
  return cert;
}

EsPki *es_pki_generate(EsKeyType type, gint64 not_before, GError **error)
{
  EsPki *pki = g_new0(EsPki, 1);
  pki->type = type;
  pki->not_before = not_before;
  /* Fixed order of key generation and signing: with es_rand installed, the same seed
   * gives the same bytes. */
  if ((pki->vendor_root_key = es_key_generate(type, error)) == NULL ||
      (pki->operator_root_key = es_key_generate(type, error)) == NULL ||
      (pki->raca_key = es_key_generate(type, error)) == NULL)
    goto fail;
  if ((pki->vendor_root = make_root("Vendor Root CA", "Vendor", pki->vendor_root_key,
                                    SERIAL_VENDOR_ROOT, not_before, error)) == NULL ||
      (pki->operator_root = make_root("Operator Root CA", "Operator", pki->operator_root_key,
                                      SERIAL_OPERATOR_ROOT, not_before, error)) == NULL)
    goto fail;

  X509_NAME *raca_name = make_name("Operator RA/CA", "Operator");
  if (raca_name == NULL) {
    es_set_ossl_error(error, ES_PKI_ERROR_CRYPTO, "cannot make name");
    goto fail;
  }
  EsCertSpec spec = {
      .profile = ES_CERT_RACA,
      .serial = SERIAL_RACA,
      .subject = raca_name,
      .pubkey = pki->raca_key,
      .issuer = pki->operator_root,
      .issuer_key = pki->operator_root_key,
      .not_before = not_before,
      .not_after = years_later(not_before, RACA_YEARS),
  };
  pki->raca = es_cert_build(&spec, error);
  /* The cross certificate: same subject and key, vouched for by the vendor root, so an eNB
   * that trusts only the vendor root can verify the RA/CA's responses. */
  spec.serial = SERIAL_RACA_CROSS;
  spec.issuer = pki->vendor_root;
  spec.issuer_key = pki->vendor_root_key;
  if (pki->raca != NULL)
    pki->raca_cross = es_cert_build(&spec, error);
  X509_NAME_free(raca_name);
  if (pki->raca == NULL || pki->raca_cross == NULL)
    goto fail;
  return pki;

fail:
  es_pki_free(pki);
  return NULL;
}

gboolean es_pki_add_next_root(EsPki *pki, gint64 not_before, GError **error)
{
  if (pki == NULL || pki->operator_root_key == NULL || pki->raca_key == NULL
      || pki->next_root != NULL) {
    g_set_error_literal(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID,
                        "a root rollover needs the hierarchy with its operator root key, once");
    return FALSE;
  }
  EVP_PKEY *key = es_key_generate(pki->type, error);
  X509 *root = key != NULL ? make_root("Operator Root CA 2", "Operator", key, SERIAL_NEXT_ROOT,
                                       not_before, error)
                           : NULL;
  if (root == NULL) {
    EVP_PKEY_free(key);
    return FALSE;
  }
  gint64 not_after = years_later(not_before, ROOT_YEARS);
  struct tm tm;
  gint64 old_end = ASN1_TIME_to_tm(X509_get0_notAfter(pki->operator_root), &tm)
                       ? (gint64)timegm(&tm) : not_after;
  /* The links between the two keys (RFC 4210 4.4.1): each names its key's own root as the
   * subject, so a chain through either ends at a root the verifier already holds. */
  EsCertSpec link = {
      .profile = ES_CERT_ROOT,
      .serial = SERIAL_NEW_WITH_OLD,
      .subject = X509_get_subject_name(root),
      .pubkey = key,
      .issuer = pki->operator_root,
      .issuer_key = pki->operator_root_key,
      .not_before = not_before,
      .not_after = MIN(not_after, old_end), /* what the old key vouches for ends with it */
  };
  X509 *new_with_old = es_cert_build(&link, error);
  link = (EsCertSpec){
      .profile = ES_CERT_ROOT,
      .serial = SERIAL_OLD_WITH_NEW,
      .subject = X509_get_subject_name(pki->operator_root),
      .pubkey = pki->operator_root_key,
      .issuer = root,
      .issuer_key = key,
      .not_before = not_before,
      .not_after = not_after,
  };
  X509 *old_with_new = new_with_old != NULL ? es_cert_build(&link, error) : NULL;
  EsCertSpec raca = {
      .profile = ES_CERT_RACA,
      .serial = SERIAL_NEXT_RACA,
      .subject = X509_get_subject_name(pki->raca),
      .pubkey = pki->raca_key,
      .issuer = root,
      .issuer_key = key,
      .not_before = not_before,
      .not_after = years_later(not_before, RACA_YEARS),
  };
  X509 *next_raca = old_with_new != NULL ? es_cert_build(&raca, error) : NULL;
  if (next_raca == NULL) {
    X509_free(new_with_old);
    X509_free(old_with_new);
    X509_free(root);
    EVP_PKEY_free(key);
    return FALSE;
  }
  pki->next_root = root;
  pki->next_root_key = key;
  pki->new_with_old = new_with_old;
  pki->old_with_new = old_with_new;
  pki->next_raca = next_raca;
  return TRUE;
}

X509 *es_pki_get0_next_root(const EsPki *pki) { return pki->next_root; }
EVP_PKEY *es_pki_get0_next_root_key(const EsPki *pki) { return pki->next_root_key; }
X509 *es_pki_get0_new_with_old(const EsPki *pki) { return pki->new_with_old; }
X509 *es_pki_get0_old_with_new(const EsPki *pki) { return pki->old_with_new; }
X509 *es_pki_get0_next_raca(const EsPki *pki) { return pki->next_raca; }

X509 *es_pki_issue_device_dated(const EsPki *pki, guint index, EVP_PKEY *key, gint64 not_before,
                                gint64 not_after, GError **error)
{
  if (pki == NULL || key == NULL || pki->vendor_root_key == NULL) {
    g_set_error_literal(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID,
                        "device certificate needs the hierarchy with its vendor key and a key");
    return NULL;
  }
  char *cn = g_strdup_printf("enb-%u", index);
  X509_NAME *name = make_name(cn, "Vendor");
  g_free(cn);
  if (name == NULL) {
    es_set_ossl_error(error, ES_PKI_ERROR_CRYPTO, "cannot make name");
    return NULL;
  }
  EsCertSpec spec = {
      .profile = ES_CERT_ENTITY,
      .serial = SERIAL_DEVICE_BASE + (guint64)index,
      .subject = name,
      .pubkey = key,
      .issuer = pki->vendor_root,
      .issuer_key = pki->vendor_root_key,
      .not_before = not_before,
      .not_after = not_after,
  };
  X509 *cert = es_cert_build(&spec, error);
  X509_NAME_free(name);
  return cert;
}

X509 *es_pki_issue_device(const EsPki *pki, guint index, EVP_PKEY *key, GError **error)
{
  gint64 nb = pki != NULL ? pki->not_before : 0;
  return es_pki_issue_device_dated(pki, index, key, nb, years_later(nb, DEVICE_YEARS), error);
}

X509 *es_pki_issue_raca_tls(const EsPki *pki, GError **error)
{
  if (pki == NULL || pki->vendor_root_key == NULL || pki->raca == NULL) {
    g_set_error_literal(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID,
                        "the RA/CA's TLS certificate needs the hierarchy with its vendor key");
    return NULL;
  }
  EsCertSpec spec = {
      .profile = ES_CERT_TLS_SERVER,
      .serial = SERIAL_RACA_TLS,
      .subject = X509_get_subject_name(pki->raca),
      .pubkey = pki->raca_key,
      .issuer = pki->vendor_root,
      .issuer_key = pki->vendor_root_key,
      .not_before = pki->not_before,
      .not_after = years_later(pki->not_before, RACA_YEARS),
  };
  return es_cert_build(&spec, error);
}

EsPki *es_pki_dup(const EsPki *pki)
{
  EsPki *copy = g_new0(EsPki, 1);
  *copy = *pki;
  es_x509_ref(copy->vendor_root);
  es_pkey_ref(copy->vendor_root_key);
  es_x509_ref(copy->operator_root);
  es_pkey_ref(copy->operator_root_key);
  es_x509_ref(copy->raca);
  es_pkey_ref(copy->raca_key);
  es_x509_ref(copy->raca_cross);
  if (copy->next_root != NULL) {
    es_x509_ref(copy->next_root);
    es_pkey_ref(copy->next_root_key);
    es_x509_ref(copy->new_with_old);
    es_x509_ref(copy->old_with_new);
    es_x509_ref(copy->next_raca);
  }
  return copy;
}

void es_pki_set0_raca_cross(EsPki *pki, X509 *cross)
{
  X509_free(pki->raca_cross);
  pki->raca_cross = cross;
}

EsPki *es_pki_generate_rogue(const EsPki *genuine, GError **error)
{
  /* Its own operator root and RA/CA; the genuine vendor root (public) to accept eNBs; and a
   * "cross certificate" from a forged root that copies the vendor root's name, which is all
   * an attacker without the vendor key can make. */
  EsPki *rogue = es_pki_generate(genuine->type, genuine->not_before, error);
  if (rogue == NULL)
    return NULL;
  X509 *forged_root = NULL;
  X509_NAME *raca_name = make_name("Operator RA/CA", "Operator");
  if (raca_name != NULL)
    forged_root = make_root("Vendor Root CA", "Vendor", rogue->vendor_root_key,
                            SERIAL_VENDOR_ROOT, genuine->not_before, error);
  if (forged_root == NULL) {
    X509_NAME_free(raca_name);
    es_pki_free(rogue);
    return NULL;
  }
  EsCertSpec spec = {
      .profile = ES_CERT_RACA,
      .serial = SERIAL_RACA_CROSS,
      .subject = raca_name,
      .pubkey = rogue->raca_key,
      .issuer = forged_root,
      .issuer_key = rogue->vendor_root_key,
      .not_before = genuine->not_before,
      .not_after = years_later(genuine->not_before, RACA_YEARS),
  };
  X509 *cross = es_cert_build(&spec, error);
  X509_NAME_free(raca_name);
  X509_free(forged_root);
  if (cross == NULL) {
    es_pki_free(rogue);
    return NULL;
  }
  es_pki_set0_raca_cross(rogue, cross);
  X509_free(rogue->vendor_root);
  es_x509_ref(genuine->vendor_root);
  rogue->vendor_root = genuine->vendor_root;
  EVP_PKEY_free(g_steal_pointer(&rogue->vendor_root_key)); /* it has no genuine vendor key */
  return rogue;
}

EsKeyType es_pki_get_key_type(const EsPki *pki)
{
  return pki->type;
}
gint64 es_pki_get_not_before(const EsPki *pki)
{
  return pki->not_before;
}
X509 *es_pki_get0_vendor_root(const EsPki *pki)
{
  return pki->vendor_root;
}
EVP_PKEY *es_pki_get0_vendor_root_key(const EsPki *pki)
{
  return pki->vendor_root_key;
}
X509 *es_pki_get0_operator_root(const EsPki *pki)
{
  return pki->operator_root;
}
EVP_PKEY *es_pki_get0_operator_root_key(const EsPki *pki)
{
  return pki->operator_root_key;
}
X509 *es_pki_get0_raca_cert(const EsPki *pki)
{
  return pki->raca;
}
EVP_PKEY *es_pki_get0_raca_key(const EsPki *pki)
{
  return pki->raca_key;
}
X509 *es_pki_get0_raca_cross(const EsPki *pki)
{
  return pki->raca_cross;
}

X509 *es_x509_ref(X509 *cert)
{
  if (cert != NULL && !X509_up_ref(cert))
    g_error("X509_up_ref failed: reference count broken");
  return cert;
}

EVP_PKEY *es_pkey_ref(EVP_PKEY *key)
{
  if (key != NULL && !EVP_PKEY_up_ref(key))
    g_error("EVP_PKEY_up_ref failed: reference count broken");
  return key;
}
