/* The rootCaKeyUpdate general message of RFC 9480 4.3.2 (id-it 18), which OpenSSL 3.0 has no
 * helper for: its ITAVs on both ends, and the RootCaKeyUpdateContent inside, through OpenSSL's
 * own ASN.1 templates. Everything decoded here comes from the network. */
#include "nodes/es_cmp.h"

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#define ROOT_CA_KEY_UPDATE_OID "1.3.6.1.5.5.7.4.18"

/* RootCaKeyUpdateContent ::= SEQUENCE { newWithNew CMPCertificate,
 *   newWithOld [0] CMPCertificate OPTIONAL, oldWithNew [1] CMPCertificate OPTIONAL }
 * (explicit tags: the module's default); CMPCertificate is an X.509 certificate here. */
typedef struct {
  X509 *new_with_new;
  X509 *new_with_old;
  X509 *old_with_new;
} EsRootCaKeyUpdate;

ASN1_SEQUENCE(EsRootCaKeyUpdate) = {
    ASN1_SIMPLE(EsRootCaKeyUpdate, new_with_new, X509),
    ASN1_EXP_OPT(EsRootCaKeyUpdate, new_with_old, X509, 0),
    ASN1_EXP_OPT(EsRootCaKeyUpdate, old_with_new, X509, 1),
} static_ASN1_SEQUENCE_END(EsRootCaKeyUpdate)

static ASN1_OBJECT *root_update_type(void)
{
  return OBJ_txt2obj(ROOT_CA_KEY_UPDATE_OID, 1);
}

gboolean es_cmp_itav_is_root_update(const OSSL_CMP_ITAV *itav)
{
  ASN1_OBJECT *type = root_update_type();
  gboolean is = type != NULL && itav != NULL && OSSL_CMP_ITAV_get0_type(itav) != NULL
                && OBJ_cmp(OSSL_CMP_ITAV_get0_type(itav), type) == 0;
  ASN1_OBJECT_free(type);
  return is;
}

/* An ITAV of our type with `value` (taken; NULL: absent). */
static OSSL_CMP_ITAV *itav_new(ASN1_TYPE *value)
{
  ASN1_OBJECT *type = root_update_type();
  OSSL_CMP_ITAV *itav = type != NULL ? OSSL_CMP_ITAV_create(type, value) : NULL;
  if (itav == NULL) {
    ASN1_OBJECT_free(type);
    ASN1_TYPE_free(value);
  }
  return itav;
}

OSSL_CMP_ITAV *es_cmp_itav_new_root_update_request(void)
{
  return itav_new(NULL);
}

OSSL_CMP_ITAV *es_cmp_itav_new_root_update(X509 *new_with_new, X509 *new_with_old,
                                           X509 *old_with_new)
{
  if (new_with_new == NULL)
    return itav_new(NULL);
  EsRootCaKeyUpdate content = {new_with_new, new_with_old, old_with_new};
  unsigned char *der = NULL;
  int len = ASN1_item_i2d((ASN1_VALUE *)&content, &der, ASN1_ITEM_rptr(EsRootCaKeyUpdate));
  ASN1_STRING *seq = len > 0 ? ASN1_STRING_new() : NULL;
  ASN1_TYPE *value = seq != NULL ? ASN1_TYPE_new() : NULL;
  /* An ANY holding a SEQUENCE keeps its whole encoding, as OpenSSL decodes one. */
  gboolean ok = value != NULL && ASN1_STRING_set(seq, der, len);
  OPENSSL_free(der);
  if (!ok) {
    ASN1_STRING_free(seq);
    ASN1_TYPE_free(value);
    return NULL;
  }
  ASN1_TYPE_set(value, V_ASN1_SEQUENCE, seq);
  return itav_new(value);
}

int es_cmp_itav_get1_root_update(const OSSL_CMP_ITAV *itav, X509 **new_with_new,
                                 X509 **new_with_old, X509 **old_with_new)
{
  *new_with_new = *new_with_old = *old_with_new = NULL;
  if (!es_cmp_itav_is_root_update(itav))
    return -1;
  ASN1_TYPE *value = OSSL_CMP_ITAV_get0_value(itav);
  if (value == NULL)
    return 0;
  if (ASN1_TYPE_get(value) != V_ASN1_SEQUENCE || value->value.sequence == NULL)
    return -1;
  const unsigned char *p = ASN1_STRING_get0_data(value->value.sequence);
  long len = ASN1_STRING_length(value->value.sequence);
  const unsigned char *end = p + len;
  EsRootCaKeyUpdate *content = (EsRootCaKeyUpdate *)ASN1_item_d2i(
      NULL, &p, len, ASN1_ITEM_rptr(EsRootCaKeyUpdate));
  if (content == NULL || p != end) {
    ASN1_item_free((ASN1_VALUE *)content, ASN1_ITEM_rptr(EsRootCaKeyUpdate));
    ERR_clear_error();
    return -1;
  }
  *new_with_new = content->new_with_new;
  *new_with_old = content->new_with_old;
  *old_with_new = content->old_with_new;
  content->new_with_new = content->new_with_old = content->old_with_new = NULL;
  ASN1_item_free((ASN1_VALUE *)content, ASN1_ITEM_rptr(EsRootCaKeyUpdate));
  return 1;
}

/* RFC 4210 4.4's links, checked against the root the node has, not against the message. */
static const char *refusal(X509 *old, X509 *nwn, X509 *nwo, X509 *own, time_t now)
{
  EVP_PKEY *new_key = X509_get0_pubkey(nwn), *old_key = X509_get0_pubkey(old);
  if (new_key == NULL || old_key == NULL
      || X509_NAME_cmp(X509_get_subject_name(nwn), X509_get_issuer_name(nwn)) != 0
      || X509_verify(nwn, new_key) != 1 || X509_check_ca(nwn) < 1)
    return "newWithNew is not a self-signed CA certificate";
  if (nwo == NULL)
    return "no newWithOld";
  if (X509_NAME_cmp(X509_get_issuer_name(nwo), X509_get_subject_name(old)) != 0
      || X509_verify(nwo, old_key) != 1)
    return "newWithOld is not signed by the root trusted";
  if (X509_NAME_cmp(X509_get_subject_name(nwo), X509_get_subject_name(nwn)) != 0
      || EVP_PKEY_eq(X509_get0_pubkey(nwo), new_key) != 1 || X509_check_ca(nwo) < 1)
    return "newWithOld does not certify newWithNew's key as a CA";
  if (own != NULL && (X509_verify(own, new_key) != 1
                      || EVP_PKEY_eq(X509_get0_pubkey(own), old_key) != 1))
    return "oldWithNew does not link the old key to the new";
  X509 *dated[] = {nwn, nwo};
  for (guint i = 0; i < G_N_ELEMENTS(dated); i++)
    if (X509_cmp_time(X509_get0_notBefore(dated[i]), &now) > 0
        || X509_cmp_time(X509_get0_notAfter(dated[i]), &now) < 0)
      return "the new root is not valid now";
  return NULL;
}


const char *es_cmp_root_update_refusal(X509 *old, X509 *nwn, X509 *nwo, X509 *own, time_t now)
{
  /* A failed verification leaves nothing on the caller's error queue. */
  ERR_set_mark();
  const char *why = refusal(old, nwn, nwo, own, now);
  ERR_pop_to_mark();
  return why;
}
