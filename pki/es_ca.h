/* The issuing operator CA: certificates for requested public keys, revocation with
 * RFC 5280 reason codes, and CRLs signed by the CA key. */
#ifndef ES_CA_H
#define ES_CA_H

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

typedef struct EsCa EsCa;

typedef enum {
  ES_REVOKE_UNSPECIFIED = 0,    /* CRL reason codes of RFC 5280 5.3.1 */
  ES_REVOKE_KEY_COMPROMISE = 1,
  ES_REVOKE_SUPERSEDED = 4,
  ES_REVOKE_CESSATION = 5,
  ES_REVOKE_PRIVILEGE_WITHDRAWN = 9,
} EsRevokeReason;

/* Up-refs both (NULL if either is NULL). Serial numbers count up from 0x100 so runs repeat
 * and never equal the hierarchy's own small serials (the RA/CA certificate is 3). */
EsCa *es_ca_new(X509 *cert, EVP_PKEY *key);
/* A second reference: RA/CAs of one run share one CA (one serial counter, one CRL). The CA
 * is not thread-safe; only the reference count is. */
void es_ca_up_ref(EsCa *ca);
/* Drops a reference; the last one frees the CA. */
void es_ca_free(EsCa *ca);
X509 *es_ca_get0_cert(const EsCa *ca);
/* Key rollover: the CA issues under `cert` and `key` (a new root) from now on, serials counting
 * on. What the old key issued stays its own: revoking one of those puts it on the old key's
 * CRL, which es_ca_get0_previous goes on signing (RFC 4210 4.4: CRLs under both keys during the
 * overlap). One rollover per CA: a second call with the same certificate is a no-op (TRUE),
 * with another FALSE. */
gboolean es_ca_roll_over(EsCa *ca, X509 *cert, EVP_PKEY *key);
/* The CA of the old key after a rollover (borrowed), else NULL. */
EsCa *es_ca_get0_previous(const EsCa *ca);

/* Issues a certificate for `subject` and `pubkey`, valid from `now` (seconds since the
 * epoch) for `validity_s`; end-entity extensions (keyUsage digitalSignature, SKI/AKI).
 * The caller frees the result. */
X509 *es_ca_issue(EsCa *ca, const X509_NAME *subject, EVP_PKEY *pubkey, gint64 now,
                  gint64 validity_s, GError **error);
/* The same for a public key given as its SubjectPublicKeyInfo DER, put in the certificate as
 * it is (not decoded: the caller has checked the key, e.g. by its proof of possession). The
 * result's X509_get0_pubkey is NULL until it is decoded again. */
X509 *es_ca_issue_spki(EsCa *ca, const X509_NAME *subject, GBytes *spki, gint64 now,
                       gint64 validity_s, GError **error);
/* Adds the serial to the revocation list (once; a second call returns FALSE, as does a
 * reason code RFC 5280 does not define). */
gboolean es_ca_revoke(EsCa *ca, const ASN1_INTEGER *serial, EsRevokeReason reason, gint64 when);
gboolean es_ca_is_revoked(const EsCa *ca, const ASN1_INTEGER *serial);
guint es_ca_revoked_count(const EsCa *ca);
/* The serial the next issue uses, and the number of the last CRL made (0: none yet): what a
 * CA restored from durable state continues from. Setting the CRL number forgets which earlier
 * CRLs were complete ones: a restored CA makes deltas only on complete CRLs it made itself. */
guint64 es_ca_get_next_serial(const EsCa *ca);
void es_ca_set_next_serial(EsCa *ca, guint64 serial);
guint64 es_ca_get_crl_number(const EsCa *ca);
void es_ca_set_crl_number(EsCa *ca, guint64 number);
/* A signed CRL v2 of everything revoked so far, with reason codes, a CRL number and AKI.
 * Revoking appends to a CRL kept built, so the cost of a revocation does not grow with the
 * list; a CRL costs a sort of the newest entries, a signature and the copy returned. */
X509_CRL *es_ca_get1_crl(EsCa *ca, gint64 this_update, gint64 next_update, GError **error);
/* A signed delta CRL (RFC 5280 5.2.4) on the complete CRL numbered `base_number`: CRL v2, AKI,
 * the critical deltaCRLIndicator naming the base, and exactly the serials revoked after that
 * CRL was made, with reasons and dates, in the complete CRL's order. It takes the next number
 * of the one sequence complete CRLs also take (RFC 5280 5.2.3). A base that is a delta, not
 * made yet, or made before es_ca_set_crl_number is refused (ES_PKI_ERROR_INVALID). Costs a
 * sort of the entries it lists and a signature, however long the complete CRL is. */
/* OpenSSL 3.0 verifiers apply a delta only with X509_V_FLAG_USE_DELTAS and a freshestCRL
 * extension in the certificate or complete CRL, and without X509_V_FLAG_EXTENDED_CRL_SUPPORT
 * may take a delta, if newer, for the complete CRL (openssl/openssl#31040). */
X509_CRL *es_ca_get1_delta_crl(EsCa *ca, guint64 base_number, gint64 this_update,
                               gint64 next_update, GError **error);
/* How many entries a delta on `base_number` would list now (0 also when there can be no
 * delta on it; es_ca_get1_delta_crl says why). */
gsize es_ca_revoked_since(const EsCa *ca, guint64 base_number);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsCa, es_ca_free)

#endif
