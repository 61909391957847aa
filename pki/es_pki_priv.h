/* Private to pki/: the hierarchy's layout (es_pki.c makes it, es_pki_files.c saves and loads
 * it), and the one certificate builder that the hierarchy (es_pki.c) and the issuing
 * CA (es_ca.c) share, so every certificate of a run has the same shape. */
#ifndef ES_PKI_PRIV_H
#define ES_PKI_PRIV_H

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pki/es_pki.h"

struct EsPki {
  EsKeyType type;
  gint64 not_before;
  X509 *vendor_root;
  EVP_PKEY *vendor_root_key;
  X509 *operator_root;
  EVP_PKEY *operator_root_key;
  X509 *raca;
  EVP_PKEY *raca_key;
  X509 *raca_cross;
  /* Operator-root rollover (es_pki_add_next_root), all NULL without one. */
  X509 *next_root;          /* newWithNew: the new root, self-signed */
  EVP_PKEY *next_root_key;
  X509 *new_with_old;       /* the new root's key certified by the old root */
  X509 *old_with_new;       /* the old root's key certified by the new root */
  X509 *next_raca;          /* the RA/CA's subject and key under the new root */
};

typedef enum {
  ES_CERT_ROOT,   /* self-signed CA: CA:TRUE, keyCertSign + cRLSign */
  ES_CERT_RACA,   /* RA/CA CMP signer and its cross certificate: digitalSignature, cmcRA */
  ES_CERT_ENTITY, /* device and operator end-entity certificates: digitalSignature */
  ES_CERT_TLS_SERVER, /* the RA/CA's TLS certificate: digitalSignature, serverAuth */
} EsCertProfile;

typedef struct {
  EsCertProfile profile;
  guint64 serial;
  const X509_NAME *subject;
  EVP_PKEY *pubkey; /* only the public half is used */
  GBytes *spki;     /* instead of pubkey: its SubjectPublicKeyInfo DER, taken as it is */
  X509 *issuer;     /* NULL: self-signed (issuer = subject, signed by issuer_key) */
  EVP_PKEY *issuer_key;
  gint64 not_before; /* seconds since the epoch */
  gint64 not_after;
} EsCertSpec;

/* A signed X.509 v3 certificate; sets ES_PKI_ERROR_CRYPTO with OpenSSL's reason on failure. */
X509 *es_cert_build(const EsCertSpec *spec, GError **error);

/* SHA-384 for P-384 keys (their security level), SHA-256 for everything else. */
const EVP_MD *es_sig_md(EVP_PKEY *key);

/* Sets a GError whose text is `what` followed by OpenSSL's error queue (which it clears). */
void es_set_ossl_error(GError **error, int code, const char *what);

#endif
