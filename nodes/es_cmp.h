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

/* "ir", "ip", "certConf", ... ("body<N>" for the rest). */
const char *es_cmp_body_name(int type);

/* The public key of a CRMF certificate template ([6] IMPLICIT SubjectPublicKeyInfo): 3.0
 * has no getter. NULL when absent or undecodable. */
EVP_PKEY *es_cmp_template_get1_pubkey(const OSSL_CRMF_CERTTEMPLATE *tmpl);
/* The status of a PKIStatusInfo (3.0 has no public getter); -1 when undecodable. */
int es_cmp_pkisi_get_status(const OSSL_CMP_PKISI *si);
/* The CRL reason code an rr asks for (crlEntryDetails of its first RevDetails): 3.0 has no
 * getter. -1 when the rr gives none, -2 when the message is not an rr or is malformed. */
int es_cmp_rr_get_reason(const OSSL_CMP_MSG *rr);

/* Routes a context's log to a per-thread buffer that keeps the last error-level line (and
 * drops the rest), so nothing is printed and failures can be recorded. */
void es_cmp_ctx_quiet(OSSL_CMP_CTX *ctx);
/* The last error-level CMP log line since the previous take ("" when none); clears it. */
char *es_cmp_take_last_error(void);

#endif
