/* Fetched CRLs checked: decoded, signature verified, numbers read. Relying nodes of a run
 * fetch the same bytes from the distribution point, so the last CRLs that passed are kept and
 * a copy that is byte for byte one of them passes as it did, without decoding it again (a
 * 10,000-entry CRL takes milliseconds to decode). Anything else is decoded and verified. */
#ifndef ES_CRL_CHECK_H
#define ES_CRL_CHECK_H

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

typedef struct EsCrlCheck EsCrlCheck;

EsCrlCheck *es_crl_check_new(void);
void es_crl_check_free(EsCrlCheck *check);

/* TRUE when `der` (all of it) is a CRL whose signature `key` verifies; then *number is its
 * crlNumber and *base its deltaCRLIndicator (0: a full CRL; either 0 when absent). */
gboolean es_crl_check(EsCrlCheck *check, const guint8 *der, gsize len, EVP_PKEY *key,
                      guint64 *number, guint64 *base);

typedef struct {
  guint64 decoded; /* CRLs decoded and verified (passed or not) */
  guint64 matched; /* copies that were byte for byte a CRL that passed with the same key */
} EsCrlCheckStats;
void es_crl_check_get_stats(const EsCrlCheck *check, EsCrlCheckStats *stats);

/* The CRL's crlNumber (nid NID_crl_number) or deltaCRLIndicator (NID_delta_crl); 0: none. */
guint64 es_crl_get_number(const X509_CRL *crl, int nid);

#endif
