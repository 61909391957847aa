/* The late-binding hierarchy of the enrolment profile: vendor root (VPKI) and its device
 * certificates, operator root (OPKI), the RA/CA certificate and its VPKI cross certificate. */
#ifndef ES_PKI_H
#define ES_PKI_H

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define ES_PKI_ERROR (es_pki_error_quark())
GQuark es_pki_error_quark(void);
typedef enum { ES_PKI_ERROR_CRYPTO, ES_PKI_ERROR_IO, ES_PKI_ERROR_INVALID } EsPkiError;

typedef enum { ES_KEY_P256, ES_KEY_P384, ES_KEY_RSA2048 } EsKeyType;

/* "p256", "p384", "rsa2048" */
gboolean es_key_type_parse(const char *name, EsKeyType *out, GError **error);
const char *es_key_type_name(EsKeyType type);
EVP_PKEY *es_key_generate(EsKeyType type, GError **error);
/* A key pair as bytes and back, through its parameters (EVP_PKEY_todata/fromdata): in
 * OpenSSL 3.0 a DER private key costs an encoder chain to make and a decoder chain to read.
 * The bytes are wiped when freed. NULL on failure. */
GBytes *es_key_export(EVP_PKEY *key);
EVP_PKEY *es_key_import(GBytes *data);

/* Appends OpenSSL's error queue (and clears it) to a message: for GError texts. */
char *es_ossl_errors(const char *what);

/* Keys made ahead of time: RSA-2048 keygen costs ~140 ms, so a run makes its pool once.
 * es_key_pool_get1 hands out keys in order and wraps around when the pool is exhausted. */
typedef struct EsKeyPool EsKeyPool;
EsKeyPool *es_key_pool_new(EsKeyType type, guint size, GError **error);
void es_key_pool_free(EsKeyPool *pool);
EVP_PKEY *es_key_pool_get1(EsKeyPool *pool);
/* Key `index` modulo the pool's size, whatever was handed out before: threads that take keys
 * in an order of their own still get the same ones. */
EVP_PKEY *es_key_pool_get1_at(EsKeyPool *pool, guint64 index);
guint es_key_pool_size(const EsKeyPool *pool);

typedef struct EsPki EsPki;

/* Generates the whole hierarchy; validity starts at `not_before` (seconds since the epoch)
 * so a simulated run gives the same certificates for the same seed. */
EsPki *es_pki_generate(EsKeyType type, gint64 not_before, GError **error);
/* Reads what es_pki_save wrote (the devices/ folder is not read). */
EsPki *es_pki_load(const char *dir, GError **error);
/* Writes vendor-root.pem/.key, operator-root.pem/.key, raca.pem/.key, raca-cross.pem. */
gboolean es_pki_save(const EsPki *pki, const char *dir, GError **error);
/* The names of the files es_pki_save writes in its folder, NULL-terminated (static). */
const char *const *es_pki_file_names(void);
void es_pki_free(EsPki *pki);

EsKeyType es_pki_get_key_type(const EsPki *pki);
gint64 es_pki_get_not_before(const EsPki *pki);
X509 *es_pki_get0_vendor_root(const EsPki *pki);
EVP_PKEY *es_pki_get0_vendor_root_key(const EsPki *pki);
X509 *es_pki_get0_operator_root(const EsPki *pki);
EVP_PKEY *es_pki_get0_operator_root_key(const EsPki *pki);
X509 *es_pki_get0_raca_cert(const EsPki *pki);
EVP_PKEY *es_pki_get0_raca_key(const EsPki *pki);
/* Same subject and key as the RA/CA certificate, issued by the vendor root. */
X509 *es_pki_get0_raca_cross(const EsPki *pki);
/* The RA/CA's TLS server certificate (extendedKeyUsage serverAuth; the cross certificate's
 * is cmcRA): its subject and key, issued by the vendor root like the cross certificate, the
 * one issuer a late-binding eNB can verify. NULL without the vendor key. Caller frees. */
X509 *es_pki_issue_raca_tls(const EsPki *pki, GError **error);

/* Operator-root rollover (RFC 4210 4.4): a new operator root "Operator Root CA 2" with a key
 * of its own, valid from `not_before`; newWithOld (its key certified by the old root, CA:TRUE,
 * so a node that trusts only the old root can chain through it) and oldWithNew (the old key
 * certified by the new root); and the RA/CA's certificate under the new root, its subject
 * and key unchanged (the cross certificate still vouches for that key). FALSE without the
 * operator root key, or when the hierarchy has a next root already. */
gboolean es_pki_add_next_root(EsPki *pki, gint64 not_before, GError **error);
/* The rollover's certificates (NULL when there is none). */
X509 *es_pki_get0_next_root(const EsPki *pki);
EVP_PKEY *es_pki_get0_next_root_key(const EsPki *pki);
X509 *es_pki_get0_new_with_old(const EsPki *pki);
X509 *es_pki_get0_old_with_new(const EsPki *pki);
X509 *es_pki_get0_next_raca(const EsPki *pki);
/* Writes the rollover's files beside es_pki_save's: operator-root-2.pem/.key,
 * new-with-old.pem, old-with-new.pem, raca-2.pem (their names: es_pki_rollover_file_names). */
gboolean es_pki_save_rollover(const EsPki *pki, const char *dir, GError **error);
const char *const *es_pki_rollover_file_names(void);

/* A vendor device certificate for eNB `index` (subject CN=enb-<index>) for `key`, issued
 * by the vendor root. The caller frees the result. */
X509 *es_pki_issue_device(const EsPki *pki, guint index, EVP_PKEY *key, GError **error);
/* The same with explicit validity, e.g. an expired device certificate for a hostile scenario. */
X509 *es_pki_issue_device_dated(const EsPki *pki, guint index, EVP_PKEY *key, gint64 not_before,
                                gint64 not_after, GError **error);

/* A second reference to every part (the copy can then be changed alone). */
EsPki *es_pki_dup(const EsPki *pki);
/* Replaces the cross certificate (NULL: none, the late-binding misconfiguration). */
void es_pki_set0_raca_cross(EsPki *pki, X509 *cross);
/* A rogue RA/CA's hierarchy: the genuine vendor root (to accept eNBs), its own operator root
 * and RA/CA certificate, and a cross certificate from a forged root that only copies the
 * vendor root's name. eNBs must refuse its responses. It has no vendor key: it cannot issue
 * device certificates. */
EsPki *es_pki_generate_rogue(const EsPki *genuine, GError **error);

/* DIR/devices/enb-<index>.pem and .key */
gboolean es_pki_save_device(const char *dir, guint index, X509 *cert, EVP_PKEY *key,
                            GError **error);
gboolean es_pki_load_device(const char *dir, guint index, X509 **cert, EVP_PKEY **key,
                            GError **error);

/* PEM helpers; the *_load ones name the file in their errors. */
X509 *es_pem_load_cert(const char *path, GError **error);
EVP_PKEY *es_pem_load_key(const char *path, GError **error);
gboolean es_pem_save_cert(const char *path, X509 *cert, GError **error);
gboolean es_pem_save_key(const char *path, EVP_PKEY *key, GError **error);
gboolean es_pem_save_crl(const char *path, X509_CRL *crl, GError **error);

/* The serial number and notAfter of a DER certificate, read without decoding it whole:
 * d2i_X509 decodes the public key too, which in OpenSSL 3.0 builds a decoder chain (about
 * 0.1 ms). FALSE when the DER is not shaped as a certificate. The caller frees both. */
gboolean es_cert_peek(const guint8 *der, gsize len, ASN1_INTEGER **serial, ASN1_TIME **not_after);
/* Serial in upper-case hex as `openssl x509 -serial` prints it. */
char *es_serial_hex(const ASN1_INTEGER *serial);
/* The subject in RFC 2253 form ("CN=enb-1,O=Operator"); "" when it cannot be printed. */
char *es_subject_rfc2253(X509 *cert);

/* X509_up_ref and EVP_PKEY_up_ref, checked: they fail only on a broken reference count, which
 * no caller can recover from (fatal). Return their argument. */
X509 *es_x509_ref(X509 *cert);
EVP_PKEY *es_pkey_ref(EVP_PKEY *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsPki, es_pki_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsKeyPool, es_key_pool_free)

#endif
