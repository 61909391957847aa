/* Fetched CRLs checked, the last two that passed kept (a full CRL and its delta). */
#include "pki/es_crl_check.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

typedef struct {
  GBytes *der;   /* a CRL that passed */
  EVP_PKEY *key; /* the key that verified it (held) */
  guint64 number, base;
} Passed;

struct EsCrlCheck {
  Passed passed[2];
  guint next; /* the slot the next CRL that passes takes */
  EsCrlCheckStats stats;
};

EsCrlCheck *es_crl_check_new(void)
{
  return g_new0(EsCrlCheck, 1);
}

static void passed_clear(Passed *p)
{
  if (p->der != NULL)
    g_bytes_unref(p->der);
  EVP_PKEY_free(p->key);
  *p = (Passed){0};
}

void es_crl_check_free(EsCrlCheck *check)
{
  if (check == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS(check->passed); i++)
    passed_clear(&check->passed[i]);
  g_free(check);
}

guint64 es_crl_get_number(const X509_CRL *crl, int nid)
{
  ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, nid, NULL, NULL);
  guint64 v = 0;
  if (n != NULL && !ASN1_INTEGER_get_uint64(&v, n))
    v = 0;
  ASN1_INTEGER_free(n);
  return v;
}

static const Passed *find(const EsCrlCheck *check, const guint8 *der, gsize len, EVP_PKEY *key)
{
  for (guint i = 0; i < G_N_ELEMENTS(check->passed); i++) {
    const Passed *p = &check->passed[i];
    gsize n;
    const guint8 *bytes = p->der != NULL ? g_bytes_get_data(p->der, &n) : NULL;
    if (bytes != NULL && n == len && (p->key == key || EVP_PKEY_eq(p->key, key) == 1)
        && memcmp(bytes, der, len) == 0)
      return p;
  }
  return NULL;
}

gboolean es_crl_check(EsCrlCheck *check, const guint8 *der, gsize len, EVP_PKEY *key,
                      guint64 *number, guint64 *base)
{
  if (der == NULL || key == NULL)
    return FALSE;
  const Passed *known = find(check, der, len, key);
  if (known != NULL) {
    check->stats.matched++;
    *number = known->number;
    *base = known->base;
    return TRUE;
  }
  check->stats.decoded++;
  const unsigned char *p = der;
  X509_CRL *crl = len <= G_MAXLONG ? d2i_X509_CRL(NULL, &p, (long)len) : NULL;
  gboolean ok = crl != NULL && p == der + len && X509_CRL_verify(crl, key) == 1;
  if (ok) {
    *number = es_crl_get_number(crl, NID_crl_number);
    *base = es_crl_get_number(crl, NID_delta_crl);
    Passed *slot = &check->passed[check->next];
    check->next = (check->next + 1) % G_N_ELEMENTS(check->passed);
    passed_clear(slot);
    if (EVP_PKEY_up_ref(key))
      *slot = (Passed){g_bytes_new(der, len), key, *number, *base};
  }
  X509_CRL_free(crl);
  ERR_clear_error();
  return ok;
}

void es_crl_check_get_stats(const EsCrlCheck *check, EsCrlCheckStats *stats)
{
  *stats = check->stats;
}
