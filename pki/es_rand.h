/* Deterministic randomness: ChaCha20 streams derived from (seed, stream id), and an
 * OpenSSL RAND_METHOD that reads the current stream so keys, nonces and signatures repeat. */
#ifndef ES_RAND_H
#define ES_RAND_H

#include <glib.h>

typedef struct EsRand EsRand;

/* A stream of its own for each (seed, stream): independent of every other stream. */
EsRand *es_rand_new(guint64 seed, guint64 stream);
void es_rand_free(EsRand *rand);
void es_rand_bytes(EsRand *rand, guint8 *buf, gsize len);
guint64 es_rand_u64(EsRand *rand);
/* Uniform in [0, 1). */
double es_rand_double(EsRand *rand);

/* Makes OpenSSL's RAND_bytes/RAND_priv_bytes (and so key generation, ECDSA nonces and
 * CMP nonces) read the current stream; until es_rand_set_current names one, a stream
 * derived from `seed` serves. Process-wide; call once before any OpenSSL work. */
void es_rand_install(guint64 seed);
/* Restores OpenSSL's own DRBG. */
void es_rand_uninstall(void);
/* Sets the stream OpenSSL reads on the calling thread (NULL: the default one, which only the
 * thread that installed it may use); returns the previous one. A stream belongs to one thread
 * at a time. */
EsRand *es_rand_set_current(EsRand *rand);
/* How many random bytes OpenSSL has drawn through the installed method on this thread so far:
 * whoever skips an operation must know it draws none, or the streams after it would shift. */
guint64 es_rand_drawn(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsRand, es_rand_free)

#endif
