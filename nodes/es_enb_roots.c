/* A table from a root's bytes to its decoded certificate, behind one mutex. */
#include "nodes/es_enb_roots.h"

#include <openssl/err.h>

/* A run has an operator root, the next one after a rollover, and in a multi-operator or
 * hostile run a few more; beyond that eNBs keep their own copies, as without the table. */
#define MAX_ROOTS 16

struct EsEnbRoots {
  GMutex lock;
  GHashTable *certs; /* GBytes (DER) -> X509, decoded from them */
};

EsEnbRoots *es_enb_roots_new(void)
{
  EsEnbRoots *roots = g_new0(EsEnbRoots, 1);
  g_mutex_init(&roots->lock);
  roots->certs = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref,
                                       (GDestroyNotify)X509_free);
  return roots;
}

void es_enb_roots_free(EsEnbRoots *roots)
{
  if (roots == NULL)
    return;
  g_hash_table_destroy(roots->certs);
  g_mutex_clear(&roots->lock);
  g_free(roots);
}

static X509 *decode(GBytes *der)
{
  gsize n;
  const unsigned char *p = g_bytes_get_data(der, &n);
  X509 *cert = n <= G_MAXLONG ? d2i_X509(NULL, &p, (long)n) : NULL;
  if (cert == NULL)
    ERR_clear_error();
  return cert;
}

/* The entry for `der`, added if there is room and it decodes (the lock held). */
static gboolean lookup(EsEnbRoots *roots, GBytes *der, GBytes **key, X509 **cert)
{
  if (g_hash_table_lookup_extended(roots->certs, der, (gpointer *)key, (gpointer *)cert))
    return TRUE;
  if (g_hash_table_size(roots->certs) >= MAX_ROOTS || (*cert = decode(der)) == NULL)
    return FALSE;
  *key = g_bytes_ref(der);
  g_hash_table_insert(roots->certs, *key, *cert);
  return TRUE;
}

GBytes *es_enb_roots_intern(EsEnbRoots *roots, GBytes *der)
{
  if (roots == NULL || der == NULL)
    return der;
  GBytes *key;
  X509 *cert;
  g_mutex_lock(&roots->lock);
  if (lookup(roots, der, &key, &cert) && key != der) {
    g_bytes_unref(der);
    der = g_bytes_ref(key);
  }
  g_mutex_unlock(&roots->lock);
  return der;
}

X509 *es_enb_roots_get1_cert(EsEnbRoots *roots, GBytes *der)
{
  if (der == NULL)
    return NULL;
  if (roots == NULL)
    return decode(der);
  GBytes *key;
  X509 *cert = NULL;
  g_mutex_lock(&roots->lock);
  gboolean held = lookup(roots, der, &key, &cert) && X509_up_ref(cert);
  g_mutex_unlock(&roots->lock);
  return held ? cert : decode(der);
}

guint es_enb_roots_size(EsEnbRoots *roots)
{
  g_mutex_lock(&roots->lock);
  guint n = g_hash_table_size(roots->certs);
  g_mutex_unlock(&roots->lock);
  return n;
}
