/* ECDSA of the default provider behind a wrapper whose verification first looks for the same
 * check made ahead (es_sigcache.h); everything else is passed through to the wrapped context. */
#include "pki/es_sigcache.h"

#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "pki/es_rand.h"

/* Successes kept, oldest dropped first: three per request checked ahead, an ir at most 256
 * power-ons ahead (sim/es_factory.c), a kur 64 renewals (sim/es_renew_ahead.c); a few
 * thousand more may wait in RA/CA queues. 2 MiB at most. */
#define CAPACITY 8192
#define MAX_FN (OSSL_FUNC_SIGNATURE_SETTABLE_CTX_MD_PARAMS + 1)
/* Digest type, group name, encoded public key, digest, signature: P-521 with SHA-512 fits. */
#define KEY_MAX 512

static struct {
  OSSL_LIB_CTX *libctx;
  void (*fn[MAX_FN])(void); /* the wrapped ECDSA's functions by id */
  OSSL_FUNC_keymgmt_get_params_fn *ec_get_params;
  OSSL_DISPATCH dispatch[MAX_FN];
  gint enabled;
  GMutex lock;
  GHashTable *kept; /* GBytes (digest type ... signature) set */
  GQueue order;     /* the same GBytes, oldest first */
  EsSigcacheStats stats;
} sc;

static _Thread_local gboolean recording;

/* A wrapped context; `md` hashes the data beside the wrapped one while this verification may
 * be answered from the cache, and `key` holds what identifies it so far. */
typedef struct {
  void *inner;
  EVP_MD_CTX *md;
  guint8 key[KEY_MAX];
  gsize key_len;
} Ctx;

#define INNER(type, id) ((OSSL_FUNC_signature_##type##_fn *)sc.fn[id])

static void ctx_forget(Ctx *c)
{
  EVP_MD_CTX_free(c->md);
  c->md = NULL;
  c->key_len = 0;
}

static gboolean key_add(Ctx *c, const void *bytes, gsize len)
{
  if (len > KEY_MAX - c->key_len)
    return FALSE;
  memcpy(c->key + c->key_len, bytes, len);
  c->key_len += len;
  return TRUE;
}

/* Starts hashing beside the wrapped context, with what names the key and digest in front. */
static void ctx_prepare(Ctx *c, const char *mdname, void *provkey)
{
  guint8 pub[200];
  char group[64] = "";
  OSSL_PARAM params[] = {
      OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pub, sizeof pub),
      OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group),
      OSSL_PARAM_END,
  };
  EVP_MD *md = EVP_MD_fetch(sc.libctx, mdname, NULL);
  int type = md != NULL ? EVP_MD_get_type(md) : 0;
  c->md = md != NULL ? EVP_MD_CTX_new() : NULL;
  if (c->md == NULL || !EVP_DigestInit_ex(c->md, md, NULL) || !sc.ec_get_params(provkey, params) ||
      !OSSL_PARAM_modified(&params[0]) || !key_add(c, &type, sizeof type) ||
      !key_add(c, group, strlen(group) + 1) || !key_add(c, pub, params[0].return_size))
    ctx_forget(c);
  EVP_MD_free(md);
}

static void *w_newctx(void *provctx, const char *propq)
{
  void *inner = INNER(newctx, OSSL_FUNC_SIGNATURE_NEWCTX)(provctx, propq);
  if (inner == NULL)
    return NULL;
  Ctx *c = g_new0(Ctx, 1);
  c->inner = inner;
  return c;
}

static void w_freectx(void *vctx)
{
  Ctx *c = vctx;
  INNER(freectx, OSSL_FUNC_SIGNATURE_FREECTX)(c->inner);
  ctx_forget(c);
  g_free(c);
}

static void *w_dupctx(void *vctx)
{
  Ctx *c = vctx;
  void *inner = INNER(dupctx, OSSL_FUNC_SIGNATURE_DUPCTX)(c->inner);
  if (inner == NULL)
    return NULL;
  Ctx *d = g_new0(Ctx, 1);
  d->inner = inner;
  if (c->md != NULL) {
    d->md = EVP_MD_CTX_new();
    memcpy(d->key, c->key, c->key_len);
    d->key_len = c->key_len;
    if (d->md == NULL || !EVP_MD_CTX_copy_ex(d->md, c->md))
      ctx_forget(d);
  }
  return d;
}

static int w_digest_verify_init(void *vctx, const char *mdname, void *provkey,
                                const OSSL_PARAM params[])
{
  Ctx *c = vctx;
  ctx_forget(c);
  int r = INNER(digest_verify_init, OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT)(c->inner, mdname,
                                                                            provkey, params);
  if (r == 1 && mdname != NULL && provkey != NULL && g_atomic_int_get(&sc.enabled))
    ctx_prepare(c, mdname, provkey);
  return r;
}

static int w_digest_verify_update(void *vctx, const unsigned char *data, size_t len)
{
  Ctx *c = vctx;
  if (c->md != NULL && !EVP_DigestUpdate(c->md, data, len))
    ctx_forget(c);
  return INNER(digest_verify_update, OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_UPDATE)(c->inner, data, len);
}

/* The whole check as a key, or NULL when this verification is not one the cache can take. */
static GBytes *ctx_finish(Ctx *c, const unsigned char *sig, size_t siglen)
{
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  gboolean ok = c->md != NULL && EVP_DigestFinal_ex(c->md, digest, &digest_len) &&
                key_add(c, digest, digest_len) && key_add(c, sig, siglen);
  GBytes *key = ok ? g_bytes_new(c->key, c->key_len) : NULL;
  ctx_forget(c);
  return key;
}

static void remember(GBytes *key)
{
  g_mutex_lock(&sc.lock);
  if (g_atomic_int_get(&sc.enabled) && sc.kept != NULL && !g_hash_table_contains(sc.kept, key)) {
    g_hash_table_add(sc.kept, g_bytes_ref(key));
    g_queue_push_tail(&sc.order, g_bytes_ref(key));
    sc.stats.remembered++;
    if (sc.order.length > CAPACITY) {
      GBytes *old = g_queue_pop_head(&sc.order);
      g_hash_table_remove(sc.kept, old);
      g_bytes_unref(old);
    }
  }
  g_mutex_unlock(&sc.lock);
}

static int w_digest_verify_final(void *vctx, const unsigned char *sig, size_t siglen)
{
  Ctx *c = vctx;
  GBytes *key = ctx_finish(c, sig, siglen);
  if (key != NULL && !recording) {
    g_mutex_lock(&sc.lock);
    gboolean known = sc.kept != NULL && g_hash_table_contains(sc.kept, key);
    sc.stats.asked++;
    sc.stats.answered += known;
    g_mutex_unlock(&sc.lock);
    if (known) {
      g_bytes_unref(key);
      return 1;
    }
  }
  /* Only a success is kept: a failure is verified again where it is asked for, so that
   * whatever OpenSSL reports about it is reported there. Only one that drew no randomness,
   * too (P-256 draws none; OpenSSL's generic curves such as P-384 blind with random bytes):
   * answering it must leave the receiver's random stream where verifying would. */
  guint64 drawn = es_rand_drawn();
  int r =
      INNER(digest_verify_final, OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_FINAL)(c->inner, sig, siglen);
  if (r == 1 && key != NULL && recording && es_rand_drawn() == drawn)
    remember(key);
  if (key != NULL)
    g_bytes_unref(key);
  return r;
}

/* ---- passed through ---- */

static int w_sign_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
  return INNER(sign_init, OSSL_FUNC_SIGNATURE_SIGN_INIT)(((Ctx *)vctx)->inner, provkey, params);
}

static int w_sign(void *vctx, unsigned char *sig, size_t *siglen, size_t sigsize,
                  const unsigned char *tbs, size_t tbslen)
{
  return INNER(sign, OSSL_FUNC_SIGNATURE_SIGN)(((Ctx *)vctx)->inner, sig, siglen, sigsize, tbs,
                                               tbslen);
}

static int w_verify_init(void *vctx, void *provkey, const OSSL_PARAM params[])
{
  return INNER(verify_init, OSSL_FUNC_SIGNATURE_VERIFY_INIT)(((Ctx *)vctx)->inner, provkey, params);
}

static int w_verify(void *vctx, const unsigned char *sig, size_t siglen, const unsigned char *tbs,
                    size_t tbslen)
{
  return INNER(verify, OSSL_FUNC_SIGNATURE_VERIFY)(((Ctx *)vctx)->inner, sig, siglen, tbs, tbslen);
}

static int w_digest_sign_init(void *vctx, const char *mdname, void *provkey,
                              const OSSL_PARAM params[])
{
  return INNER(digest_sign_init, OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT)(((Ctx *)vctx)->inner, mdname,
                                                                       provkey, params);
}

static int w_digest_sign_update(void *vctx, const unsigned char *data, size_t len)
{
  return INNER(digest_sign_update, OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE)(((Ctx *)vctx)->inner,
                                                                           data, len);
}

static int w_digest_sign_final(void *vctx, unsigned char *sig, size_t *siglen, size_t sigsize)
{
  return INNER(digest_sign_final, OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL)(((Ctx *)vctx)->inner, sig,
                                                                         siglen, sigsize);
}

static int w_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
  return INNER(get_ctx_params, OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS)(((Ctx *)vctx)->inner, params);
}

static int w_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
  return INNER(set_ctx_params, OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS)(((Ctx *)vctx)->inner, params);
}

static int w_get_ctx_md_params(void *vctx, OSSL_PARAM params[])
{
  return INNER(get_ctx_md_params, OSSL_FUNC_SIGNATURE_GET_CTX_MD_PARAMS)(((Ctx *)vctx)->inner,
                                                                         params);
}

static int w_set_ctx_md_params(void *vctx, const OSSL_PARAM params[])
{
  return INNER(set_ctx_md_params, OSSL_FUNC_SIGNATURE_SET_CTX_MD_PARAMS)(((Ctx *)vctx)->inner,
                                                                         params);
}

/* The table queries may come without a context. */
static void *inner_of(void *vctx)
{
  return vctx != NULL ? ((Ctx *)vctx)->inner : NULL;
}

static const OSSL_PARAM *w_gettable_ctx_params(void *vctx, void *provctx)
{
  return INNER(gettable_ctx_params, OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS)(inner_of(vctx),
                                                                             provctx);
}

static const OSSL_PARAM *w_settable_ctx_params(void *vctx, void *provctx)
{
  return INNER(settable_ctx_params, OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS)(inner_of(vctx),
                                                                             provctx);
}

static const OSSL_PARAM *w_gettable_ctx_md_params(void *vctx)
{
  return INNER(gettable_ctx_md_params, OSSL_FUNC_SIGNATURE_GETTABLE_CTX_MD_PARAMS)(inner_of(vctx));
}

static const OSSL_PARAM *w_settable_ctx_md_params(void *vctx)
{
  return INNER(settable_ctx_md_params, OSSL_FUNC_SIGNATURE_SETTABLE_CTX_MD_PARAMS)(inner_of(vctx));
}

/* By function id; an id of the wrapped table missing here means it cannot be wrapped. */
static void (*const wrapper[MAX_FN])(void) = {
    [OSSL_FUNC_SIGNATURE_NEWCTX] = (void (*)(void))w_newctx,
    [OSSL_FUNC_SIGNATURE_FREECTX] = (void (*)(void))w_freectx,
    [OSSL_FUNC_SIGNATURE_DUPCTX] = (void (*)(void))w_dupctx,
    [OSSL_FUNC_SIGNATURE_SIGN_INIT] = (void (*)(void))w_sign_init,
    [OSSL_FUNC_SIGNATURE_SIGN] = (void (*)(void))w_sign,
    [OSSL_FUNC_SIGNATURE_VERIFY_INIT] = (void (*)(void))w_verify_init,
    [OSSL_FUNC_SIGNATURE_VERIFY] = (void (*)(void))w_verify,
    [OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT] = (void (*)(void))w_digest_sign_init,
    [OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE] = (void (*)(void))w_digest_sign_update,
    [OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL] = (void (*)(void))w_digest_sign_final,
    [OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT] = (void (*)(void))w_digest_verify_init,
    [OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_UPDATE] = (void (*)(void))w_digest_verify_update,
    [OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_FINAL] = (void (*)(void))w_digest_verify_final,
    [OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS] = (void (*)(void))w_get_ctx_params,
    [OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS] = (void (*)(void))w_gettable_ctx_params,
    [OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS] = (void (*)(void))w_set_ctx_params,
    [OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS] = (void (*)(void))w_settable_ctx_params,
    [OSSL_FUNC_SIGNATURE_GET_CTX_MD_PARAMS] = (void (*)(void))w_get_ctx_md_params,
    [OSSL_FUNC_SIGNATURE_GETTABLE_CTX_MD_PARAMS] = (void (*)(void))w_gettable_ctx_md_params,
    [OSSL_FUNC_SIGNATURE_SET_CTX_MD_PARAMS] = (void (*)(void))w_set_ctx_md_params,
    [OSSL_FUNC_SIGNATURE_SETTABLE_CTX_MD_PARAMS] = (void (*)(void))w_settable_ctx_md_params,
};

/* ECDSA's dispatch with the wrappers in place, or NULL when some function has none. */
static const OSSL_DISPATCH *wrap_ecdsa(const OSSL_DISPATCH *inner)
{
  gsize n = 0;
  for (const OSSL_DISPATCH *d = inner; d->function_id != 0; d++) {
    if (d->function_id <= 0 || d->function_id >= MAX_FN || wrapper[d->function_id] == NULL)
      return NULL;
    sc.fn[d->function_id] = d->function;
    sc.dispatch[n].function_id = d->function_id;
    sc.dispatch[n++].function = wrapper[d->function_id];
  }
  /* What the cache needs of the wrapped table. */
  if (sc.fn[OSSL_FUNC_SIGNATURE_NEWCTX] == NULL || sc.fn[OSSL_FUNC_SIGNATURE_FREECTX] == NULL ||
      sc.fn[OSSL_FUNC_SIGNATURE_DUPCTX] == NULL ||
      sc.fn[OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_INIT] == NULL ||
      sc.fn[OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_UPDATE] == NULL ||
      sc.fn[OSSL_FUNC_SIGNATURE_DIGEST_VERIFY_FINAL] == NULL)
    return NULL;
  sc.dispatch[n].function_id = 0;
  sc.dispatch[n].function = NULL;
  return sc.dispatch;
}

const OSSL_DISPATCH *es_sigcache_wrap_ecdsa(const OSSL_DISPATCH *ecdsa,
                                            const OSSL_DISPATCH *ec_keymgmt, OSSL_LIB_CTX *libctx)
{
  sc.libctx = libctx;
  for (const OSSL_DISPATCH *d = ec_keymgmt; d->function_id != 0; d++)
    if (d->function_id == OSSL_FUNC_KEYMGMT_GET_PARAMS)
      sc.ec_get_params = OSSL_FUNC_keymgmt_get_params(d);
  if (sc.ec_get_params == NULL)
    return NULL;
  if (sc.kept == NULL)
    sc.kept =
        g_hash_table_new_full(g_bytes_hash, g_bytes_equal, (GDestroyNotify)g_bytes_unref, NULL);
  return wrap_ecdsa(ecdsa);
}

void es_sigcache_enable(gboolean on)
{
  g_mutex_lock(&sc.lock);
  g_atomic_int_set(&sc.enabled, on && sc.kept != NULL);
  if (sc.kept != NULL)
    g_hash_table_remove_all(sc.kept);
  g_queue_clear_full(&sc.order, (GDestroyNotify)g_bytes_unref);
  g_mutex_unlock(&sc.lock);
}

void es_sigcache_release(void)
{
  es_sigcache_enable(FALSE);
  g_clear_pointer(&sc.kept, g_hash_table_destroy);
}

gboolean es_sigcache_set_recording(gboolean on)
{
  gboolean was = recording;
  recording = on;
  return was;
}

void es_sigcache_get_stats(EsSigcacheStats *stats)
{
  g_mutex_lock(&sc.lock);
  *stats = sc.stats;
  g_mutex_unlock(&sc.lock);
}
