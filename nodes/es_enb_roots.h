/* The operator roots of an eNB population, held once. Every eNB of a run trusts one of a few
 * roots, learnt in the same bytes from the same RA/CA: each eNB keeps a reference to the
 * population's copy of those bytes instead of its own, and a session that puts a root into
 * its trust store takes the certificate decoded from them once, not once per session.
 * Thread-safe: sessions are made on the factory, renewal and offload threads too. */
#ifndef ES_ENB_ROOTS_H
#define ES_ENB_ROOTS_H

#include <glib.h>
#include <openssl/x509.h>

typedef struct EsEnbRoots EsEnbRoots;

EsEnbRoots *es_enb_roots_new(void);
void es_enb_roots_free(EsEnbRoots *roots);
/* Takes `der` and returns a reference to the population's copy of the same bytes: `der`
 * itself when they are new (or `roots` is NULL, or already holds its share of roots). NULL
 * for NULL. */
GBytes *es_enb_roots_intern(EsEnbRoots *roots, GBytes *der);
/* The certificate decoded from `der` (a new reference): decoded once per population, or
 * every time when `roots` is NULL or full. NULL for NULL or bytes that do not decode. */
X509 *es_enb_roots_get1_cert(EsEnbRoots *roots, GBytes *der);
/* How many roots it holds. */
guint es_enb_roots_size(EsEnbRoots *roots);

#endif
