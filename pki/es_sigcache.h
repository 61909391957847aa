/* ECDSA verifications made ahead of need: a thread that checks a message's signatures while
 * the message crosses the simulated network leaves each success here, and the receiver's own
 * verification of the same digest, public key, data and signature is answered from it. */
#ifndef ES_SIGCACHE_H
#define ES_SIGCACHE_H

#include <glib.h>
#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/types.h>

/* ECDSA's dispatch table `ecdsa` with its verification going through the cache, or NULL
 * when it cannot be wrapped; `ec_keymgmt` is the EC key management of the same provider,
 * whose keys the wrapped functions receive, and `libctx` the context to fetch digests from. */
const OSSL_DISPATCH *es_sigcache_wrap_ecdsa(const OSSL_DISPATCH *ecdsa,
                                            const OSSL_DISPATCH *ec_keymgmt, OSSL_LIB_CTX *libctx);
/* Frees what the cache holds (the provider's teardown). */
void es_sigcache_release(void);
/* Starts or stops the cache (off at start) and empties it: while it is off, a verification
 * costs only one indirection more. */
void es_sigcache_enable(gboolean on);
/* Whether successes verified on the calling thread are remembered (FALSE unless set), and
 * whether it was before. Set by threads that verify ahead of need, and around a check whose
 * very verification the same request's processing makes again (the RA/CA's binding of a
 * certConf to its client, es_raca_guard.c): answering a thread from its own earlier work in
 * general would make a run do less verifying than the in-memory baseline, not the same
 * elsewhere. */
gboolean es_sigcache_set_recording(gboolean on);

typedef struct {
  guint64 remembered; /* successes kept */
  guint64 asked;      /* verifications that looked here */
  guint64 answered;   /* of those, answered from here */
} EsSigcacheStats;
void es_sigcache_get_stats(EsSigcacheStats *stats);

#endif
