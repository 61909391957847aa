/* Deterministic randomness: ChaCha20 keystreams keyed by SHA-256(seed, stream), and the
 * RAND_METHOD through which OpenSSL's keys, nonces and signatures come from them. */
/* RAND_METHOD is deprecated in 3.0 but still honoured by RAND_bytes_ex/RAND_priv_bytes_ex,
 * which every key generation and ECDSA nonce goes through (see DESIGN.md section 3). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "pki/es_rand.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

/* The default stream OpenSSL reads when no node stream is current: a stream id no node
 * uses, so the default bytes never repeat a node's. */
#define ES_RAND_DEFAULT_STREAM G_MAXUINT64

struct EsRand {
  guint32 key[8];
  guint64 counter;  /* next block; 64 bits (words 12-13) so a stream never wraps */
  guint8 block[64]; /* keystream not yet handed out is block[pos..63] */
  guint pos;
};

static inline guint32 rotl32(guint32 v, int n)
{
  return (v << n) | (v >> (32 - n));
}

static inline guint32 load32_le(const guint8 *p)
{
  return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

#define QUARTER_ROUND(a, b, c, d)                                                                  \
  do {                                                                                             \
    a += b;                                                                                        \
    d ^= a;                                                                                        \
    d = rotl32(d, 16);                                                                             \
    c += d;                                                                                        \
    b ^= c;                                                                                        \
    b = rotl32(b, 12);                                                                             \
    a += b;                                                                                        \
    d ^= a;                                                                                        \
    d = rotl32(d, 8);                                                                              \
    c += d;                                                                                        \
    b ^= c;                                                                                        \
    b = rotl32(b, 7);                                                                              \
  } while (0)

/* RFC 8439 2.3 with a zero nonce. The 64-bit block counter occupies words 12 and 13; below
 * 2^32 blocks (256 GiB) that is exactly RFC 8439's 32-bit counter with a zero nonce, which
 * the tests check against OpenSSL's ChaCha20. */
static void chacha20_block(const guint32 key[8], guint64 counter, guint8 out[64])
{
  guint32 in[16] = {
      0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, /* "expand 32-byte k" */
      key[0],     key[1],     key[2],     key[3],           key[4],
      key[5],     key[6],     key[7],     (guint32)counter, (guint32)(counter >> 32),
      0,          0,
  };
  guint32 x[16];
  memcpy(x, in, sizeof x);
  for (int i = 0; i < 10; i++) { /* 10 double rounds = 20 rounds */
    QUARTER_ROUND(x[0], x[4], x[8], x[12]);
    QUARTER_ROUND(x[1], x[5], x[9], x[13]);
    QUARTER_ROUND(x[2], x[6], x[10], x[14]);
    QUARTER_ROUND(x[3], x[7], x[11], x[15]);
    QUARTER_ROUND(x[0], x[5], x[10], x[15]);
    QUARTER_ROUND(x[1], x[6], x[11], x[12]);
    QUARTER_ROUND(x[2], x[7], x[8], x[13]);
    QUARTER_ROUND(x[3], x[4], x[9], x[14]);
  }
  for (int i = 0; i < 16; i++) {
    guint32 v = x[i] + in[i];
    out[4 * i] = (guint8)v;
    out[4 * i + 1] = (guint8)(v >> 8);
    out[4 * i + 2] = (guint8)(v >> 16);
    out[4 * i + 3] = (guint8)(v >> 24);
  }
}

EsRand *es_rand_new(guint64 seed, guint64 stream)
{
  guint8 material[16], digest[32];
  for (int i = 0; i < 8; i++) {
    material[i] = (guint8)(seed >> (8 * i));
    material[8 + i] = (guint8)(stream >> (8 * i));
  }
  /* SHA-256 is a one-shot here, never on the hot path; it cannot fail short of an
   * allocation failure inside OpenSSL, which GLib's own policy treats as fatal too. */
  if (!EVP_Digest(material, sizeof material, digest, NULL, EVP_sha256(), NULL))
    g_error("es_rand_new: SHA-256 unavailable");
  EsRand *rand = g_new0(EsRand, 1);
  for (int i = 0; i < 8; i++)
    rand->key[i] = load32_le(digest + 4 * i);
  rand->pos = sizeof rand->block; /* empty: the first read makes block 0 */
  return rand;
}

/* The stream OpenSSL reads on this thread; NULL: default_stream. Per thread so that a worker
 * making one node's keys cannot draw from the stream of the node the main thread serves. */
static _Thread_local EsRand *current;
static EsRand *default_stream; /* made by es_rand_install; for the main thread only */

void es_rand_free(EsRand *rand)
{
  if (rand == NULL)
    return;
  /* A freed stream must not stay where the RAND_METHOD would read it. */
  if (current == rand)
    current = NULL;
  memset(rand, 0, sizeof *rand);
  g_free(rand);
}

void es_rand_bytes(EsRand *rand, guint8 *buf, gsize len)
{
  while (len > 0) {
    if (rand->pos == sizeof rand->block) {
      chacha20_block(rand->key, rand->counter++, rand->block);
      rand->pos = 0;
    }
    gsize n = MIN(len, sizeof rand->block - rand->pos);
    memcpy(buf, rand->block + rand->pos, n);
    rand->pos += (guint)n;
    buf += n;
    len -= n;
  }
}

guint64 es_rand_u64(EsRand *rand)
{
  guint8 b[8];
  es_rand_bytes(rand, b, sizeof b);
  guint64 v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | b[i];
  return v;
}

double es_rand_double(EsRand *rand)
{
  /* 53 bits fill a double's mantissa exactly: every value is k / 2^53, never 1.0. */
  return (double)(es_rand_u64(rand) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- OpenSSL RAND_METHOD ---- */

static _Thread_local guint64 drawn; /* bytes handed to OpenSSL on this thread */

guint64 es_rand_drawn(void)
{
  return drawn;
}

static int meth_bytes(unsigned char *buf, int num)
{
  /* Another thread must name its stream: sharing default_stream would race, and the bytes
   * would depend on thread timing. */
  EsRand *r = current != NULL ? current : default_stream;
  if (r == NULL || num < 0)
    return 0;
  es_rand_bytes(r, buf, (gsize)num);
  drawn += (guint64)num;
  return 1;
}

/* Seeding and entropy input are ignored on purpose: whatever OpenSSL mixes in (time,
 * addresses) would make runs differ. */
static int meth_seed(const void *buf, int num)
{
  (void)buf;
  (void)num;
  return 1;
}

static int meth_add(const void *buf, int num, double randomness)
{
  (void)buf;
  (void)num;
  (void)randomness;
  return 1;
}

static int meth_status(void)
{
  return 1;
}

static RAND_METHOD es_rand_method = {
    .seed = meth_seed,
    .bytes = meth_bytes,
    .cleanup = NULL,
    .add = meth_add,
    .pseudorand = meth_bytes,
    .status = meth_status,
};

static const RAND_METHOD *saved_method; /* what was installed before us */
static gboolean installed;

void es_rand_install(guint64 seed)
{
  /* Re-installing restarts the default stream: a test (or a second run in the same
   * process) that installs the same seed gets the same bytes again. */
  es_rand_free(default_stream);
  default_stream = es_rand_new(seed, ES_RAND_DEFAULT_STREAM);
  if (!installed) {
    saved_method = RAND_get_rand_method();
    if (saved_method == &es_rand_method)
      saved_method = NULL;
    installed = TRUE;
  }
  RAND_set_rand_method(&es_rand_method);
}

void es_rand_uninstall(void)
{
  if (!installed)
    return;
  /* RAND_OpenSSL() is what OpenSSL falls back to after NULL; restoring a saved method
   * other than that keeps an engine-provided method someone installed before us. */
  RAND_set_rand_method(saved_method == RAND_OpenSSL() ? NULL : saved_method);
  saved_method = NULL;
  installed = FALSE;
  current = NULL;
  es_rand_free(default_stream);
  default_stream = NULL;
}

EsRand *es_rand_set_current(EsRand *rand)
{
  EsRand *previous = current;
  current = rand;
  return previous;
}
