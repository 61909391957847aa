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

/* Reads one TLV at *p inside [*p, end): its tag, class and where its contents start (*p) and
 * end. FALSE when malformed or overrunning. */
static gboolean tlv(const unsigned char **p, const unsigned char *end, int *tag, int *xclass,
                    const unsigned char **content_end)
{
  long n;
  if (*p >= end)
    return FALSE;
  int r = ASN1_get_object(p, &n, tag, xclass, end - *p);
  if ((r & 0x80) || n > end - *p)
    return FALSE;
  *content_end = *p + n;
  return TRUE;
}

/* The PKIMessage's outer SEQUENCE: its contents [*first, *end), and where its [1] extraCerts
 * element starts (*extra; *end when absent). */
static gboolean outer(const guint8 *der, gsize len, const unsigned char **first,
                      const unsigned char **extra, const unsigned char **end)
{
  const unsigned char *p = der, *next;
  int tag, xclass;
  if (len > G_MAXLONG || !tlv(&p, der + len, &tag, &xclass, end) || tag != V_ASN1_SEQUENCE
      || xclass != V_ASN1_UNIVERSAL)
    return FALSE;
  *first = p;
  *extra = *end;
  for (int i = 0; p < *end; i++, p = next) {
    const unsigned char *start = p;
    if (!tlv(&p, *end, &tag, &xclass, &next))
      return FALSE;
    if (i >= 2 && xclass == V_ASN1_CONTEXT_SPECIFIC && tag == 1) {
      *extra = start;
      return TRUE;
    }
  }
  return TRUE;
}

gboolean es_cmp_peek_extra_certs(const guint8 *der, gsize len, guint *count, gsize *size)
{
  const unsigned char *first, *extra, *end, *next;
  int tag, xclass;
  *count = 0;
  *size = 0;
  if (!outer(der, len, &first, &extra, &end))
    return FALSE;
  if (extra == end)
    return TRUE;
  *size = (gsize)(end - extra);
  const unsigned char *p = extra;
  if (!tlv(&p, end, &tag, &xclass, &next)                      /* [1] */
      || !tlv(&p, next, &tag, &xclass, &end) || tag != V_ASN1_SEQUENCE)
    return FALSE;
  for (; p < end; p = next) {
    if (!tlv(&p, end, &tag, &xclass, &next))
      return FALSE;
    (*count)++;
  }
  return TRUE;
}

GBytes *es_cmp_strip_extra_certs(const guint8 *der, gsize len)
{
  const unsigned char *first, *extra, *end;
  if (!outer(der, len, &first, &extra, &end))
    return NULL;
  int n = (int)(extra - first);
  int total = ASN1_object_size(1, n, V_ASN1_SEQUENCE);
  if (total <= 0)
    return NULL;
  unsigned char *out = g_malloc((gsize)total), *p = out;
  ASN1_put_object(&p, 1, n, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
  memcpy(p, first, (size_t)n);
  return g_bytes_new_take(out, (gsize)total);
}

gboolean es_cmp_peek_header(const guint8 *der, gsize len, EsCmpHeader *h)
{
  const unsigned char *first, *extra, *end, *p, *next;
  int tag, xclass;
  memset(h, 0, sizeof *h);
  if (!outer(der, len, &first, &extra, &end))
    return FALSE;
  p = first;
  if (!tlv(&p, end, &tag, &xclass, &end) || tag != V_ASN1_SEQUENCE)  /* header */
    return FALSE;
  /* pvno, sender, recipient, then [0] messageTime ... [8] generalInfo, each explicitly tagged */
  for (int i = 0; p < end; i++, p = next) {
    const unsigned char *start = p;
    if (!tlv(&p, end, &tag, &xclass, &next))
      return FALSE;
    if (i == 1) {
      h->sender = start;
      h->sender_len = (gsize)(next - start);
    }
    if (i < 3 || xclass != V_ASN1_CONTEXT_SPECIFIC)
      continue;
    const unsigned char *inner = p, *inner_end;
    int itag, iclass;
    if (!tlv(&p, next, &itag, &iclass, &inner_end))
      return FALSE;
    if (tag == 0 && itag == V_ASN1_GENERALIZEDTIME) {
      ASN1_GENERALIZEDTIME *t = d2i_ASN1_GENERALIZEDTIME(NULL, &inner, inner_end - inner);
      ASN1_TIME *zero = ASN1_TIME_set(NULL, 0);
      int days, secs;
      if (t != NULL && zero != NULL && ASN1_TIME_diff(&days, &secs, zero, t)) {
        h->has_message_time = TRUE;
        h->message_time = (gint64)days * 86400 + secs;
      }
      ASN1_TIME_free(zero);
      ASN1_GENERALIZEDTIME_free(t);
    } else if (tag >= 4 && tag <= 6 && itag == V_ASN1_OCTET_STRING) {
      const guint8 **slot = tag == 4 ? &h->transaction_id
                            : tag == 5 ? &h->sender_nonce : &h->recip_nonce;
      gsize *slot_len = tag == 4 ? &h->transaction_id_len
                        : tag == 5 ? &h->sender_nonce_len : &h->recip_nonce_len;
      *slot = p;
      *slot_len = (gsize)(inner_end - p);
    }
  }
  return TRUE;
}

X509_NAME *es_cmp_header_get1_sender_name(const EsCmpHeader *h)
{
  const unsigned char *p = h->sender, *end = h->sender + h->sender_len, *content_end;
  int tag, xclass;
  /* directoryName [4] EXPLICIT Name */
  if (h->sender == NULL || !tlv(&p, end, &tag, &xclass, &content_end)
      || xclass != V_ASN1_CONTEXT_SPECIFIC || tag != 4)
    return NULL;
  return d2i_X509_NAME(NULL, &p, content_end - p);
}

GBytes *es_cmp_template_get_spki(const OSSL_CRMF_CERTTEMPLATE *tmpl)
{
  unsigned char *der = NULL;
  int der_len = i2d_OSSL_CRMF_CERTTEMPLATE((OSSL_CRMF_CERTTEMPLATE *)tmpl, &der);
  GBytes *spki = NULL;
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
      /* Re-tag [6] as SEQUENCE: a SubjectPublicKeyInfo. */
      gsize n = (gsize)(p + len - field);
      unsigned char *copy = g_memdup2(field, n);
      copy[0] = 0x30;
      spki = g_bytes_new_take(copy, n);
      break;
    }
    p += len;
  }
out:
  OPENSSL_free(der);
  return spki;
}

EVP_PKEY *es_cmp_spki_get1_pubkey(GBytes *spki)
{
  if (spki == NULL)
    return NULL;
  gsize n;
  const unsigned char *p = g_bytes_get_data(spki, &n);
  return d2i_PUBKEY(NULL, &p, (long)n);
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
