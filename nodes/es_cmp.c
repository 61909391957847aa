/* CMP helpers: names and DER fields OpenSSL 3.0 does not expose, and a quiet log sink.
 * Everything here parses input from the network defensively. */
#include "nodes/es_cmp.h"

#include <string.h>
#include <openssl/asn1.h>
#include <openssl/crmf.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

const char *es_cmp_body_name(int type)
{
  static const char *names[] = {
    [ES_CMP_IR] = "ir", [ES_CMP_IP] = "ip", [ES_CMP_CR] = "cr", [ES_CMP_CP] = "cp",
    [ES_CMP_P10CR] = "p10cr", [ES_CMP_KUR] = "kur", [ES_CMP_KUP] = "kup", [ES_CMP_RR] = "rr",
    [ES_CMP_RP] = "rp", [ES_CMP_PKICONF] = "pkiConf", [ES_CMP_GENM] = "genm",
    [ES_CMP_GENP] = "genp", [ES_CMP_ERROR] = "error", [ES_CMP_CERTCONF] = "certConf",
    [ES_CMP_POLLREQ] = "pollReq", [ES_CMP_POLLREP] = "pollRep",
  };
  static __thread char other[16];
  if (type >= 0 && type < (int)G_N_ELEMENTS(names) && names[type] != NULL)
    return names[type];
  g_snprintf(other, sizeof other, "body%d", type);
  return other;
}

int es_cmp_peek_body_type(const guint8 *der, gsize len)
{
  const unsigned char *p = der;
  long n;
  int tag, xclass;
  if (len > G_MAXLONG)
    return -1;
  int r = ASN1_get_object(&p, &n, &tag, &xclass, (long)len);   /* PKIMessage */
  if ((r & 0x80) || tag != V_ASN1_SEQUENCE)
    return -1;
  const unsigned char *end = p + n;
  r = ASN1_get_object(&p, &n, &tag, &xclass, end - p);          /* header */
  if ((r & 0x80) || tag != V_ASN1_SEQUENCE || n > end - p)
    return -1;
  p += n;
  r = ASN1_get_object(&p, &n, &tag, &xclass, end - p);          /* body [type] */
  if ((r & 0x80) || xclass != V_ASN1_CONTEXT_SPECIFIC)
    return -1;
  return tag;
}

EVP_PKEY *es_cmp_template_get1_pubkey(const OSSL_CRMF_CERTTEMPLATE *tmpl)
{
  unsigned char *der = NULL;
  int der_len = i2d_OSSL_CRMF_CERTTEMPLATE((OSSL_CRMF_CERTTEMPLATE *)tmpl, &der);
  EVP_PKEY *key = NULL;
  if (der_len <= 0)
    return NULL;

  const unsigned char *p = der;
  long len;
  int tag, xclass;
  int r = ASN1_get_object(&p, &len, &tag, &xclass, der_len);
  if ((r & 0x80) || tag != V_ASN1_SEQUENCE)
    goto out;
  const unsigned char *end = p + len;
  while (p < end) {
    const unsigned char *field = p;
    r = ASN1_get_object(&p, &len, &tag, &xclass, end - p);
    if ((r & 0x80) || len > end - p)
      break;
    if (xclass == V_ASN1_CONTEXT_SPECIFIC && tag == 6 && (r & V_ASN1_CONSTRUCTED)) {
      /* Re-tag [6] as SEQUENCE to decode it as a SubjectPublicKeyInfo. */
      gsize n = (gsize)(p + len - field);
      unsigned char *spki = g_memdup2(field, n);
      const unsigned char *q = spki;
      spki[0] = 0x30;
      key = d2i_PUBKEY(NULL, &q, (long)n);
      g_free(spki);
      break;
    }
    p += len;
  }
out:
  OPENSSL_free(der);
  return key;
}

int es_cmp_pkisi_get_status(const OSSL_CMP_PKISI *si)
{
  unsigned char *der = NULL;
  int der_len = i2d_OSSL_CMP_PKISI((OSSL_CMP_PKISI *)si, &der);
  int status = -1;
  if (der_len <= 0)
    return -1;
  const unsigned char *p = der;
  long len;
  int tag, xclass;
  int r = ASN1_get_object(&p, &len, &tag, &xclass, der_len);
  if (!(r & 0x80) && tag == V_ASN1_SEQUENCE) {
    ASN1_INTEGER *v = d2i_ASN1_INTEGER(NULL, &p, len);
    if (v != NULL)
      status = (int)ASN1_INTEGER_get(v);
    ASN1_INTEGER_free(v);
  }
  OPENSSL_free(der);
  return status;
}

int es_cmp_rr_get_reason(const OSSL_CMP_MSG *rr)
{
  unsigned char *der = NULL;
  int der_len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)rr, &der);
  int reason = -2;
  if (der_len <= 0)
    return -2;
  const unsigned char *p = der, *end = der + der_len;
  long n;
  int tag, xclass, r;
  /* PKIMessage { header, body [11] EXPLICIT RevReqContent { RevDetails {
   *   certDetails CertTemplate, crlEntryDetails Extensions OPTIONAL }, ... }, ... } */
  r = ASN1_get_object(&p, &n, &tag, &xclass, end - p);
  if ((r & 0x80) || tag != V_ASN1_SEQUENCE || n > end - p)
    goto out;
  end = p + n;
  r = ASN1_get_object(&p, &n, &tag, &xclass, end - p);               /* header */
  if ((r & 0x80) || tag != V_ASN1_SEQUENCE || n > end - p)
    goto out;
  p += n;
  r = ASN1_get_object(&p, &n, &tag, &xclass, end - p);               /* body [11] */
  if ((r & 0x80) || xclass != V_ASN1_CONTEXT_SPECIFIC || tag != ES_CMP_RR || n > end - p)
    goto out;
  end = p + n;
  r = ASN1_get_object(&p, &n, &tag, &xclass, end - p);               /* RevReqContent */
  if ((r & 0x80) || tag != V_ASN1_SEQUENCE || n > end - p)
    goto out;
  end = p + n;
  r = ASN1_get_object(&p, &n, &tag, &xclass, end - p);               /* RevDetails */
  if ((r & 0x80) || tag != V_ASN1_SEQUENCE || n > end - p)
    goto out;
  end = p + n;
  r = ASN1_get_object(&p, &n, &tag, &xclass, end - p);               /* certDetails */
  if ((r & 0x80) || tag != V_ASN1_SEQUENCE || n > end - p)
    goto out;
  p += n;
  reason = -1;
  if (p < end) {
    X509_EXTENSIONS *exts = d2i_X509_EXTENSIONS(NULL, &p, end - p);
    ASN1_ENUMERATED *code = exts != NULL ? X509V3_get_d2i(exts, NID_crl_reason, NULL, NULL) : NULL;
    if (exts == NULL)
      reason = -2;
    else if (code != NULL)
      reason = (int)ASN1_ENUMERATED_get(code);
    ASN1_ENUMERATED_free(code);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  }
out:
  OPENSSL_free(der);
  return reason;
}

static __thread char last_error[512];

static int quiet_log(const char *func, const char *file, int line, OSSL_CMP_severity level,
                     const char *msg)
{
  (void)func, (void)file, (void)line;
  if (level <= OSSL_CMP_LOG_ERR) {
    g_strlcpy(last_error, msg, sizeof last_error);
    g_strchomp(last_error);
  }
  return 1;
}

void es_cmp_ctx_quiet(OSSL_CMP_CTX *ctx)
{
  OSSL_CMP_CTX_set_log_cb(ctx, quiet_log);
}

char *es_cmp_take_last_error(void)
{
  char *s = g_strdup(last_error);
  last_error[0] = '\0';
  return s;
}
