/* The issuing operator CA: end-entity certificates with deterministic serials, the list of
 * revoked serials with RFC 5280 reasons, and numbered v2 CRLs signed by the CA key. The CRL is
 * kept built: a revocation appends one entry, a publication re-dates, sorts and signs it.
 * Delta CRLs list the revocations made after a complete CRL, found in the revocation log. */
#include "pki/es_ca.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "pki/es_pki.h"
#include "pki/es_pki_priv.h"

/* Issued serials start at 0x100, not 1: the operator root (serial 2) also signed the RA/CA
 * certificate (serial 3), and an eNB certificate sharing its issuer and serial would make
 * revoking one revoke the other in every CRL-checking verifier. */
#define ES_CA_FIRST_SERIAL 0x100

/* A revocation in the order made: its entry in the kept CRL, and how many CRLs the CA had
 * made then, which says which complete CRLs list it. */
typedef struct {
  X509_REVOKED *entry; /* owned by EsCa.crl; sorting it moves only the pointer */
  guint64 crls_before;
} EsCaRevocation;

/* A complete CRL a delta can be on: its number, and the count of CRLs made with it. */
typedef struct {
  guint64 number;
  guint64 crls_made;
} EsCaComplete;

struct EsCa {
  gint refs;
  X509 *cert;
  EVP_PKEY *key;
  guint64 next_serial;
  guint64 crl_number;            /* of the last CRL issued; 0 before the first */
  X509_CRL *crl;                 /* the next CRL: issuer and every entry so far; dates, number
                                  * and signature are set when it is published */
  gboolean crl_has_extensions;   /* crlNumber and AKI added (at the first publication) */
  GHashTable *revoked_by_serial; /* serial hex -> itself: what `crl` lists */
  guint64 crls_made;             /* complete and delta; unlike the CRL number never set, so
                                  * it orders CRLs and revocations whatever a restore did */
  GArray *revocations;           /* EsCaRevocation, oldest first: crls_before never drops */
  GArray *complete_crls;         /* EsCaComplete by number; emptied when the number is set */
  guint64 crl_number_set;        /* the last es_ca_set_crl_number (0: never) */
  EsCa *previous;                /* after a key rollover: the old key, its revocations and
                                  * CRLs; serials below first_serial are its */
  guint64 first_serial;
};

EsCa *es_ca_new(X509 *cert, EVP_PKEY *key)
{
  if (cert == NULL || key == NULL)
    return NULL;
  EsCa *ca = g_new0(EsCa, 1);
  ca->refs = 1;
  es_x509_ref(cert);
  es_pkey_ref(key);
  ca->cert = cert;
  ca->key = key;
  ca->next_serial = ES_CA_FIRST_SERIAL;
  ca->revoked_by_serial = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  ca->revocations = g_array_new(FALSE, FALSE, sizeof(EsCaRevocation));
  ca->complete_crls = g_array_new(FALSE, FALSE, sizeof(EsCaComplete));
  /* Version value 1 is v2, required for the CRL number, AKI and reason extensions. */
  ca->crl = X509_CRL_new();
  if (ca->crl == NULL || !X509_CRL_set_version(ca->crl, X509_CRL_VERSION_2)
      || !X509_CRL_set_issuer_name(ca->crl, X509_get_subject_name(cert))) {
    ERR_clear_error();
    es_ca_free(ca);
    return NULL;
  }
  return ca;
}

void es_ca_up_ref(EsCa *ca)
{
  g_atomic_int_inc(&ca->refs);
}

void es_ca_free(EsCa *ca)
{
  if (ca == NULL || !g_atomic_int_dec_and_test(&ca->refs))
    return;
  g_hash_table_unref(ca->revoked_by_serial);
  g_array_unref(ca->revocations);
  g_array_unref(ca->complete_crls);
  X509_CRL_free(ca->crl);
  X509_free(ca->cert);
  EVP_PKEY_free(ca->key);
  es_ca_free(ca->previous);
  g_free(ca);
}

gboolean es_ca_roll_over(EsCa *ca, X509 *cert, EVP_PKEY *key)
{
  if (ca == NULL || cert == NULL || key == NULL)
    return FALSE;
  if (ca->previous != NULL)
    return X509_cmp(ca->cert, cert) == 0; /* RA/CAs sharing the CA each ask */
  EsCa *fresh = es_ca_new(cert, key);
  if (fresh == NULL)
    return FALSE;
  /* The CA object stays the one everyone holds; its old state moves into `previous`. */
  EsCa old = *ca;
  *ca = *fresh;
  *fresh = old;
  ca->refs = fresh->refs;
  fresh->refs = 1;
  ca->next_serial = fresh->next_serial;
  ca->first_serial = ca->next_serial;
  ca->previous = fresh;
  return TRUE;
}

EsCa *es_ca_get0_previous(const EsCa *ca)
{
  return ca->previous;
}

/* The key generation that issued `serial`: serials count on across a rollover. */
static EsCa *issuer_of(EsCa *ca, const ASN1_INTEGER *serial)
{
  guint64 v;
  if (ca->previous != NULL && ASN1_INTEGER_get_uint64(&v, serial) && v < ca->first_serial)
    return ca->previous;
  ERR_clear_error();
  return ca;
}

X509 *es_ca_get0_cert(const EsCa *ca)
{
  return ca->cert;
}

static X509 *issue(EsCa *ca, const X509_NAME *subject, EVP_PKEY *pubkey, GBytes *spki,
                   gint64 now, gint64 validity_s, GError **error)
{
  if (ca == NULL || subject == NULL || (pubkey == NULL && spki == NULL) || validity_s <= 0) {
    g_set_error_literal(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID,
                        "issuing needs a subject, a public key and a positive validity");
    return NULL;
  }
  EsCertSpec spec = {
      .profile = ES_CERT_ENTITY,
      .serial = ca->next_serial,
      .subject = subject,
      .pubkey = pubkey,
      .spki = spki,
      .issuer = ca->cert,
      .issuer_key = ca->key,
      .not_before = now,
      .not_after = now + validity_s,
  };
  X509 *cert = es_cert_build(&spec, error);
  /* A failed issue does not use up a serial: the run stays the same whatever failed. */
  if (cert != NULL)
    ca->next_serial++;
  return cert;
}

X509 *es_ca_issue(EsCa *ca, const X509_NAME *subject, EVP_PKEY *pubkey, gint64 now,
                  gint64 validity_s, GError **error)
{
  return issue(ca, subject, pubkey, NULL, now, validity_s, error);
}

X509 *es_ca_issue_spki(EsCa *ca, const X509_NAME *subject, GBytes *spki, gint64 now,
                       gint64 validity_s, GError **error)
{
  return issue(ca, subject, NULL, spki, now, validity_s, error);
}

static X509_REVOKED *revoked_new(const ASN1_INTEGER *serial, EsRevokeReason reason, gint64 when)
{
  X509_REVOKED *rev = X509_REVOKED_new();
  ASN1_TIME *date = ASN1_TIME_set(NULL, (time_t)when);
  gboolean ok = rev != NULL && date != NULL && X509_REVOKED_set_serialNumber(rev, (ASN1_INTEGER *)serial) &&
                X509_REVOKED_set_revocationDate(rev, date);
  /* RFC 5280 5.3.1: the reason code unspecified (0) SHOULD be absent, so we leave it out. */
  if (ok && reason != ES_REVOKE_UNSPECIFIED) {
    ASN1_ENUMERATED *code = ASN1_ENUMERATED_new();
    ok = code != NULL && ASN1_ENUMERATED_set(code, reason) &&
         X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, code, 0, 0) == 1;
    ASN1_ENUMERATED_free(code);
  }
  ASN1_TIME_free(date);
  if (ok)
    return rev;
  X509_REVOKED_free(rev);
  ERR_clear_error();
  return NULL;
}

gboolean es_ca_revoke(EsCa *ca, const ASN1_INTEGER *serial, EsRevokeReason reason, gint64 when)
{
  /* RFC 5280 5.3.1 codes are 0-10 with 7 unused; anything else would make a CRL that
   * relying parties reject as a whole. */
  if (ca == NULL || serial == NULL || (int)reason < 0 || (int)reason > 10 || (int)reason == 7)
    return FALSE;
  ca = issuer_of(ca, serial);
  char *hex = es_serial_hex(serial);
  if (*hex == '\0' || g_hash_table_contains(ca->revoked_by_serial, hex)) {
    g_free(hex);
    return FALSE;
  }
  X509_REVOKED *rev = revoked_new(serial, reason, when);
  if (rev == NULL || !X509_CRL_add0_revoked(ca->crl, rev)) {
    X509_REVOKED_free(rev);
    ERR_clear_error();
    g_free(hex);
    return FALSE;
  }
  g_hash_table_add(ca->revoked_by_serial, hex);
  EsCaRevocation logged = {.entry = rev, .crls_before = ca->crls_made};
  g_array_append_val(ca->revocations, logged);
  return TRUE;
}

gboolean es_ca_is_revoked(const EsCa *ca, const ASN1_INTEGER *serial)
{
  if (ca == NULL || serial == NULL)
    return FALSE;
  char *hex = es_serial_hex(serial);
  gboolean found = g_hash_table_contains(issuer_of((EsCa *)ca, serial)->revoked_by_serial, hex);
  g_free(hex);
  return found;
}

guint es_ca_revoked_count(const EsCa *ca)
{
  return g_hash_table_size(ca->revoked_by_serial)
         + (ca->previous != NULL ? es_ca_revoked_count(ca->previous) : 0);
}

guint64 es_ca_get_next_serial(const EsCa *ca)
{
  return ca->next_serial;
}

void es_ca_set_next_serial(EsCa *ca, guint64 serial)
{
  ca->next_serial = serial;
}

guint64 es_ca_get_crl_number(const EsCa *ca)
{
  return ca->crl_number;
}

void es_ca_set_crl_number(EsCa *ca, guint64 number)
{
  ca->crl_number = number;
  /* Which revocations the CRLs up to `number` listed is not known here; and numbers set back
   * would be made again. Deltas wait for a complete CRL made from now on. */
  ca->crl_number_set = number;
  g_array_set_size(ca->complete_crls, 0);
}

/* AKI from the CA certificate's SKI, or the RFC 5280 method-1 hash of its key when an
 * externally made CA certificate has none, so a verifier can pick the right CA key. */
static gboolean add_aki(X509_CRL *crl, X509 *ca_cert)
{
  AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
  if (akid == NULL)
    return FALSE;
  const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca_cert);
  if (ski != NULL) {
    akid->keyid = ASN1_OCTET_STRING_dup(ski);
  } else {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (X509_pubkey_digest(ca_cert, EVP_sha1(), md, &len) &&
        (akid->keyid = ASN1_OCTET_STRING_new()) != NULL &&
        !ASN1_OCTET_STRING_set(akid->keyid, md, (int)len)) {
      ASN1_OCTET_STRING_free(akid->keyid);
      akid->keyid = NULL;
    }
  }
  gboolean ok = akid->keyid != NULL &&
                X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0) == 1;
  AUTHORITY_KEYID_free(akid);
  return ok;
}

X509_CRL *es_ca_get1_crl(EsCa *ca, gint64 this_update, gint64 next_update, GError **error)
{
  if (ca == NULL || next_update <= this_update) {
    g_set_error_literal(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID,
                        "a CRL needs nextUpdate after thisUpdate");
    return NULL;
  }
  ERR_clear_error();
  X509_CRL *crl = ca->crl;
  ASN1_TIME *last = ASN1_TIME_set(NULL, (time_t)this_update);
  ASN1_TIME *next = ASN1_TIME_set(NULL, (time_t)next_update);
  ASN1_INTEGER *number = ASN1_INTEGER_new();
  /* The number replaces the last one in place, so the extensions keep their order
   * (crlNumber, AKI) from one CRL to the next. */
  gboolean ok = last != NULL && next != NULL && number != NULL &&
                X509_CRL_set1_lastUpdate(crl, last) && X509_CRL_set1_nextUpdate(crl, next) &&
                ASN1_INTEGER_set_uint64(number, ca->crl_number + 1) &&
                X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0,
                                      ca->crl_has_extensions ? X509V3_ADD_REPLACE
                                                             : X509V3_ADD_DEFAULT) == 1 &&
                (ca->crl_has_extensions || add_aki(crl, ca->cert));
  if (ok)
    ca->crl_has_extensions = TRUE;
  /* Sorting a list sorted but for its newest entries, and signing, is all a publication
   * costs besides the copy handed out. */
  ok = ok && X509_CRL_sort(crl) && X509_CRL_sign(crl, ca->key, es_sig_md(ca->key)) > 0;
  X509_CRL *out = ok ? X509_CRL_dup(crl) : NULL;
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  ASN1_INTEGER_free(number);
  if (out == NULL) {
    es_set_ossl_error(error, ES_PKI_ERROR_CRYPTO, "cannot make CRL");
    return NULL;
  }
  /* Counted only once signed: CRL numbers stay gap-free and monotonic (RFC 5280 5.2.3). */
  ca->crl_number++;
  ca->crls_made++;
  EsCaComplete complete = {.number = ca->crl_number, .crls_made = ca->crls_made};
  g_array_append_val(ca->complete_crls, complete);
  return out;
}

/* The complete CRL numbered `number` (binary search: numbers only grow), or NULL and why. */
static const EsCaComplete *find_complete(const EsCa *ca, guint64 number, GError **error)
{
  guint lo = 0, hi = ca->complete_crls->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    const EsCaComplete *c = &g_array_index(ca->complete_crls, EsCaComplete, mid);
    if (c->number == number)
      return c;
    if (c->number < number)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (number == 0 || number > ca->crl_number)
    g_set_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID, "no CRL %" G_GUINT64_FORMAT " yet",
                number);
  else if (number <= ca->crl_number_set)
    g_set_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID,
                "CRL %" G_GUINT64_FORMAT " predates the CRL number this CA was restored with (%"
                G_GUINT64_FORMAT "): no delta on it",
                number, ca->crl_number_set);
  else
    g_set_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID,
                "CRL %" G_GUINT64_FORMAT " is not a complete CRL of this CA", number);
  return NULL;
}

/* The first revocation made after the complete CRL `base` (binary search on the log). */
static guint first_revoked_since(const EsCa *ca, const EsCaComplete *base)
{
  guint lo = 0, hi = ca->revocations->len;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (g_array_index(ca->revocations, EsCaRevocation, mid).crls_before < base->crls_made)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

gsize es_ca_revoked_since(const EsCa *ca, guint64 base_number)
{
  const EsCaComplete *base = ca != NULL ? find_complete(ca, base_number, NULL) : NULL;
  return base != NULL ? ca->revocations->len - first_revoked_since(ca, base) : 0;
}

X509_CRL *es_ca_get1_delta_crl(EsCa *ca, guint64 base_number, gint64 this_update,
                               gint64 next_update, GError **error)
{
  if (ca == NULL || next_update <= this_update) {
    g_set_error_literal(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID,
                        "a CRL needs nextUpdate after thisUpdate");
    return NULL;
  }
  const EsCaComplete *base = find_complete(ca, base_number, error);
  if (base == NULL)
    return NULL;
  ERR_clear_error();
  /* Built afresh, not kept: its entries are a suffix of the log, so it costs what it lists. */
  X509_CRL *crl = X509_CRL_new();
  ASN1_TIME *last = ASN1_TIME_set(NULL, (time_t)this_update);
  ASN1_TIME *next = ASN1_TIME_set(NULL, (time_t)next_update);
  ASN1_INTEGER *number = ASN1_INTEGER_new();
  ASN1_INTEGER *base_crl = ASN1_INTEGER_new();
  /* Extensions as in the complete CRL (crlNumber, AKI), then deltaCRLIndicator, which RFC
   * 5280 5.2.4 makes critical: a verifier that cannot apply a delta must not take it as a
   * complete list. */
  gboolean ok = crl != NULL && last != NULL && next != NULL && number != NULL &&
                base_crl != NULL && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
                X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) &&
                X509_CRL_set1_lastUpdate(crl, last) && X509_CRL_set1_nextUpdate(crl, next) &&
                ASN1_INTEGER_set_uint64(number, ca->crl_number + 1) &&
                ASN1_INTEGER_set_uint64(base_crl, base_number) &&
                X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, X509V3_ADD_DEFAULT) == 1 &&
                add_aki(crl, ca->cert) &&
                X509_CRL_add1_ext_i2d(crl, NID_delta_crl, base_crl, 1, X509V3_ADD_DEFAULT) == 1;
  for (guint i = first_revoked_since(ca, base); ok && i < ca->revocations->len; i++) {
    X509_REVOKED *rev = X509_REVOKED_dup(g_array_index(ca->revocations, EsCaRevocation, i).entry);
    ok = rev != NULL && X509_CRL_add0_revoked(crl, rev);
    if (!ok)
      X509_REVOKED_free(rev);
  }
  ok = ok && X509_CRL_sort(crl) && X509_CRL_sign(crl, ca->key, es_sig_md(ca->key)) > 0;
  /* Handed out as decoded, like the complete CRL: OpenSSL reads the CRL number and base
   * number a verifier matches deltas by only when it decodes a CRL. */
  X509_CRL *out = ok ? X509_CRL_dup(crl) : NULL;
  X509_CRL_free(crl);
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  ASN1_INTEGER_free(number);
  ASN1_INTEGER_free(base_crl);
  if (out == NULL) {
    es_set_ossl_error(error, ES_PKI_ERROR_CRYPTO, "cannot make delta CRL");
    return NULL;
  }
  ca->crl_number++;
  ca->crls_made++;
  return out;
}
