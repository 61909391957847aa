/* CMP messages decoded beside the event loop. Whoever sends a message hands its DER over
 * (es_predecode_submit), a thread decodes it while the message crosses the network, and
 * whoever receives the same bytes takes the decoded message (es_predecode_take) instead of
 * decoding it there. Decoding is a function of the bytes alone, so results are those of
 * decoding on receipt; in OpenSSL 3.0 it is a third of an enrolment's CPU time (a decoder
 * chain is built per public key). Bytes that differ from every submission (a corrupted or
 * stripped message) are decoded on receipt as before. */
#ifndef ES_PREDECODE_H
#define ES_PREDECODE_H

#include <glib.h>
#include <openssl/cmp.h>
#include <openssl/x509.h>

typedef struct EsPredecode EsPredecode;

/* Starts the decoding thread. At most `capacity` messages wait to be taken: beyond that the
 * oldest is dropped (one nobody received: lost, or its receiver gone). */
EsPredecode *es_predecode_new(guint capacity);
/* Stops the thread and frees every message not taken. */
void es_predecode_free(EsPredecode *predecode);
/* From now on the thread also checks the signatures of each message submitted `later` (a
 * request made long before it is sent), ahead of its receiver: its protection and the chain of
 * its certificates against `trusted` (validity times not checked), and a certificate
 * request's proof of possession. The successes answer the receiver's own verifications of the
 * same bytes (pki/es_sigcache.h), which it still asks for: nothing is taken for verified that
 * the receiver would not verify itself. The checks draw randomness, if ever, from a stream of
 * `seed` that no result reads. Call it before the first submission. */
void es_predecode_set1_trusted(EsPredecode *predecode, X509_STORE *trusted, guint64 seed);
/* Queues `der` for decoding (a reference is taken). Any thread. `later`: it will not be
 * needed soon, so whatever is submitted without it goes first. */
void es_predecode_submit(EsPredecode *predecode, GBytes *der, gboolean later);
/* A submission of `der` that nobody will receive (a request made ahead and dropped unsent) is
 * freed now rather than when it is the oldest at capacity. */
void es_predecode_withdraw(EsPredecode *predecode, GBytes *der);
/* The message `der` decodes to, as d2i_OSSL_CMP_MSG(NULL, &p, len) would give it, with *used
 * the bytes it took: from a submission of the same bytes when there is one (waiting for its
 * decoding if it is under way), else decoded now. `predecode` may be NULL. Any thread. */
OSSL_CMP_MSG *es_predecode_take(EsPredecode *predecode, const guint8 *der, gsize len,
                                gsize *used);

typedef struct {
  guint64 submitted; /* queued for the thread (not only noted) */
  guint64 decoded;   /* by the thread */
  guint64 taken;     /* decoded by the thread when taken */
  guint64 dropped;   /* at capacity */
  guint64 checked;   /* of those decoded, the messages whose signatures were checked */
  guint pending;     /* queued or being decoded now */
  guint waiting;     /* submitted, and not taken, withdrawn or dropped yet */
} EsPredecodeStats;
void es_predecode_get_stats(EsPredecode *predecode, EsPredecodeStats *stats);

#endif
