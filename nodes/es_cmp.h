/* CMP helpers shared by the eNB and the RA/CA: body type names OpenSSL 3.0 keeps private,
 * DER field extraction it has no getters for, and capture of the CMP log. */
#ifndef ES_CMP_H
#define ES_CMP_H

#include <glib.h>
#include <openssl/cmp.h>

/* PKIBody choice numbers of RFC 4210 (OpenSSL 3.0 exports only the request ones). */
enum {
  ES_CMP_IR = 0, ES_CMP_IP = 1, ES_CMP_CR = 2, ES_CMP_CP = 3, ES_CMP_P10CR = 4,
  ES_CMP_KUR = 7, ES_CMP_KUP = 8, ES_CMP_RR = 11, ES_CMP_RP = 12, ES_CMP_PKICONF = 19,
  ES_CMP_GENM = 21, ES_CMP_GENP = 22, ES_CMP_ERROR = 23, ES_CMP_CERTCONF = 24,
  ES_CMP_POLLREQ = 25, ES_CMP_POLLREP = 26
};

/* The body type of a DER PKIMessage read from its outer tags only (no decoding, so a queue
 * can classify requests cheaply); -1 when the framing is not that of a PKIMessage. */
int es_cmp_peek_body_type(const guint8 *der, gsize len);

/* The extraCerts of a DER PKIMessage read from its outer tags only, before anything is decoded:
 * how many and their total size in bytes. FALSE when the framing is not that of a PKIMessage. */
gboolean es_cmp_peek_extra_certs(const guint8 *der, gsize len, guint *count, gsize *size);
/* The same PKIMessage without its extraCerts (newly allocated, g_bytes_unref), or NULL. */
GBytes *es_cmp_strip_extra_certs(const guint8 *der, gsize len);

/* Header fields of a DER PKIMessage that OpenSSL 3.0 has no getters for, as slices of `der`
 * (borrowed; NULL and 0 when the header lacks the field). */
typedef struct {
  const guint8 *sender;          /* the sender GeneralName, whole TLV */
  gsize sender_len;
  const guint8 *transaction_id;  /* contents of the OCTET STRINGs */
  gsize transaction_id_len;
  const guint8 *sender_nonce;
  gsize sender_nonce_len;
  const guint8 *recip_nonce;
  gsize recip_nonce_len;
  gboolean has_message_time;
  gint64 message_time;           /* seconds since the Unix epoch */
} EsCmpHeader;
/* FALSE when the framing is not that of a PKIMessage header. */
gboolean es_cmp_peek_header(const guint8 *der, gsize len, EsCmpHeader *header);
/* The sender's directoryName, decoded; NULL when it is not one. */
X509_NAME *es_cmp_header_get1_sender_name(const EsCmpHeader *header);

/* "ir", "ip", "certConf", ... ("body<N>" for the rest). */
const char *es_cmp_body_name(int type);

/* The DER of a CRMF certificate template's public key ([6] IMPLICIT SubjectPublicKeyInfo,
 * re-tagged as the SEQUENCE it is): 3.0 has no getter. NULL when absent. */
GBytes *es_cmp_template_get_spki(const OSSL_CRMF_CERTTEMPLATE *tmpl);
/* That key decoded; NULL when `spki` is NULL or undecodable. */
EVP_PKEY *es_cmp_spki_get1_pubkey(GBytes *spki);
/* The status of a PKIStatusInfo (3.0 has no public getter); -1 when undecodable. */
int es_cmp_pkisi_get_status(const OSSL_CMP_PKISI *si);
/* The CRL reason code an rr asks for (crlEntryDetails of its first RevDetails): 3.0 has no
 * getter. -1 when the rr gives none, -2 when the message is not an rr or is malformed. */
int es_cmp_rr_get_reason(const OSSL_CMP_MSG *rr);

/* The rootCaKeyUpdate general message (RFC 9480 4.3.2, id-it 1.3.6.1.5.5.7.4.18), which
 * OpenSSL 3.0 has no helper for (es_cmp_root.c). The genm asks with the type alone; the genp
 * answers RootCaKeyUpdateContent {newWithNew, [0] newWithOld, [1] oldWithNew}, or the type
 * alone when there is no update (new_with_new NULL). NULL: no memory. */
OSSL_CMP_ITAV *es_cmp_itav_new_root_update_request(void);
OSSL_CMP_ITAV *es_cmp_itav_new_root_update(X509 *new_with_new, X509 *new_with_old,
                                           X509 *old_with_new);
gboolean es_cmp_itav_is_root_update(const OSSL_CMP_ITAV *itav);
/* The certificates of a genp's rootCaKeyUpdate, decoded (the caller frees them; the optional
 * two may be NULL): 1; 0 when the value is absent (no update); -1 when `itav` is not one or
 * does not decode. Nothing here is verified: the caller checks them against its root. */
int es_cmp_itav_get1_root_update(const OSSL_CMP_ITAV *itav, X509 **new_with_new,
                                 X509 **new_with_old, X509 **old_with_new);

/* Why a node that trusts `old` must not take `new_with_new` as its next root, or NULL when it
 * may: newWithNew self-signed and a CA; newWithOld signed by `old`, issued in its name, naming
 * newWithNew's subject and key, a CA; oldWithNew (optional) signed by the new key over the old
 * one; newWithNew and newWithOld valid at `now`. A static text. */
const char *es_cmp_root_update_refusal(X509 *old, X509 *new_with_new, X509 *new_with_old,
                                       X509 *old_with_new, time_t now);

/* Routes a context's log to a per-thread buffer that keeps the last error-level line (and
 * drops the rest), so nothing is printed and failures can be recorded. */
void es_cmp_ctx_quiet(OSSL_CMP_CTX *ctx);
/* The last error-level CMP log line since the previous take ("" when none); clears it. */
char *es_cmp_take_last_error(void);

#endif
