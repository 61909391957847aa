/* The "enrolsim" provider: OpenSSL's default provider, loaded into a library context of its
 * own, re-offered with the decoders and encoders of other key types left out, and its ECDSA
 * behind the cache of verifications made ahead (es_sigcache.c). */
#include "pki/es_provider.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_dispatch.h>
#include <openssl/provider.h>

#include "pki/es_pki.h"
#include "pki/es_sigcache.h"

/* The key types es_key_generate makes; "DER" names the decoders that take no key type
 * (PEM to DER, EncryptedPrivateKeyInfo to PrivateKeyInfo, SPKI to type-specific): 13
 * decoders of 40, 29 encoders of 115 on OpenSSL 3.0.19; bench-inmem is 1.3 times as fast. */
static const char *const offered_types[] = {"EC", "RSA", "DER", NULL};

/* The default provider lives in a library context of its own, so that the default context
 * holds the filter alone; its algorithms run with that provider's own context. */
static struct {
  OSSL_LIB_CTX *libctx;
  OSSL_PROVIDER *deflt;
  OSSL_ALGORITHM *decoders, *encoders; /* filtered copies, zero-terminated */
  OSSL_ALGORITHM *signatures;          /* ECDSA behind es_sigcache.c */
  OSSL_PROVIDER *loaded;               /* our reference to the filter in the default context */
  gboolean active;
  gboolean decoders_asked;             /* OpenSSL has the decoders: too late to narrow them */
} filter;

/* An algorithm's names are "A:B:C"; the first is the one OpenSSL documents. */
static gboolean first_name_is(const char *names, const char *name)
{
  gsize len = strcspn(names, ":");
  return strlen(name) == len && g_ascii_strncasecmp(names, name, len) == 0;
}

static gboolean named(const char *names, const char *const *types)
{
  for (gsize i = 0; types[i] != NULL; i++)
    if (first_name_is(names, types[i]))
      return TRUE;
  return FALSE;
}

static const OSSL_DISPATCH *implementation_of(const OSSL_ALGORITHM *algs, const char *name)
{
  for (const OSSL_ALGORITHM *a = algs; a != NULL && a->algorithm_names != NULL; a++)
    if (first_name_is(a->algorithm_names, name))
      return a->implementation;
  return NULL;
}

/* The default provider's algorithms of this operation whose first name is one of `types`;
 * with `der_only`, only those that read DER (decoders). */
static OSSL_ALGORITHM *filtered(int operation_id, const char *const *types, gboolean der_only)
{
  int no_cache = 0;
  const OSSL_ALGORITHM *all = OSSL_PROVIDER_query_operation(filter.deflt, operation_id, &no_cache);
  gsize n = 0;
  for (const OSSL_ALGORITHM *a = all; a != NULL && a->algorithm_names != NULL; a++)
    n++;
  OSSL_ALGORITHM *kept = g_new0(OSSL_ALGORITHM, n + 1);
  gsize k = 0;
  for (gsize i = 0; i < n; i++)
    if (named(all[i].algorithm_names, types)
        && (!der_only || (all[i].property_definition != NULL
                          && strstr(all[i].property_definition, "input=der") != NULL)))
      kept[k++] = all[i];
  OSSL_PROVIDER_unquery_operation(filter.deflt, operation_id, all);
  return kept;
}

/* Every signature algorithm as it is, but ECDSA's behind es_sigcache.c. */
static OSSL_ALGORITHM *wrapped_signatures(void)
{
  int no_cache = 0;
  const OSSL_ALGORITHM *sigs = OSSL_PROVIDER_query_operation(filter.deflt, OSSL_OP_SIGNATURE,
                                                             &no_cache);
  const OSSL_ALGORITHM *keymgmt = OSSL_PROVIDER_query_operation(filter.deflt, OSSL_OP_KEYMGMT,
                                                                &no_cache);
  gsize n = 0;
  for (const OSSL_ALGORITHM *a = sigs; a != NULL && a->algorithm_names != NULL; a++)
    n++;
  OSSL_ALGORITHM *copy = g_new0(OSSL_ALGORITHM, n + 1);
  const OSSL_DISPATCH *ecdsa = implementation_of(sigs, "ECDSA");
  const OSSL_DISPATCH *ec = implementation_of(keymgmt, "EC");
  const OSSL_DISPATCH *wrapped =
      ecdsa != NULL && ec != NULL ? es_sigcache_wrap_ecdsa(ecdsa, ec, filter.libctx) : NULL;
  for (gsize i = 0; i < n; i++) {
    copy[i] = sigs[i];
    if (wrapped != NULL && sigs[i].implementation == ecdsa)
      copy[i].implementation = wrapped;
  }
  OSSL_PROVIDER_unquery_operation(filter.deflt, OSSL_OP_KEYMGMT, keymgmt);
  OSSL_PROVIDER_unquery_operation(filter.deflt, OSSL_OP_SIGNATURE, sigs);
  return copy;
}

static const OSSL_ALGORITHM *filter_query(void *provctx, int operation_id, int *no_cache)
{
  (void)provctx;
  switch (operation_id) {
  case OSSL_OP_DECODER:
    *no_cache = 0;
    filter.decoders_asked = TRUE;
    return filter.decoders;
  case OSSL_OP_ENCODER:
    *no_cache = 0;
    return filter.encoders;
  case OSSL_OP_SIGNATURE:
    *no_cache = 0;
    return filter.signatures;
  default:
    return OSSL_PROVIDER_query_operation(filter.deflt, operation_id, no_cache);
  }
}

static void filter_unquery(void *provctx, int operation_id, const OSSL_ALGORITHM *algs)
{
  (void)provctx;
  if (operation_id != OSSL_OP_DECODER && operation_id != OSSL_OP_ENCODER
      && operation_id != OSSL_OP_SIGNATURE)
    OSSL_PROVIDER_unquery_operation(filter.deflt, operation_id, algs);
}

static const OSSL_PARAM *filter_gettable_params(void *provctx)
{
  (void)provctx;
  return OSSL_PROVIDER_gettable_params(filter.deflt);
}

static int filter_get_params(void *provctx, OSSL_PARAM params[])
{
  (void)provctx;
  return OSSL_PROVIDER_get_params(filter.deflt, params);
}

/* TLS learns its groups and signature algorithms from these. */
static int filter_get_capabilities(void *provctx, const char *capability, OSSL_CALLBACK *cb,
                                   void *arg)
{
  (void)provctx;
  return OSSL_PROVIDER_get_capabilities(filter.deflt, capability, cb, arg);
}

static void filter_teardown(void *provctx)
{
  (void)provctx;
  g_clear_pointer(&filter.decoders, g_free);
  g_clear_pointer(&filter.encoders, g_free);
  g_clear_pointer(&filter.signatures, g_free);
  es_sigcache_release();
  g_clear_pointer(&filter.deflt, OSSL_PROVIDER_unload);
  g_clear_pointer(&filter.libctx, OSSL_LIB_CTX_free);
  filter.active = FALSE;
}

static const OSSL_DISPATCH filter_dispatch[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))filter_query},
    {OSSL_FUNC_PROVIDER_UNQUERY_OPERATION, (void (*)(void))filter_unquery},
    {OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))filter_gettable_params},
    {OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))filter_get_params},
    {OSSL_FUNC_PROVIDER_GET_CAPABILITIES, (void (*)(void))filter_get_capabilities},
    {OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))filter_teardown},
    {0, NULL},
};

static int filter_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                       const OSSL_DISPATCH **out, void **provctx)
{
  (void)handle;
  (void)in;
  filter.libctx = OSSL_LIB_CTX_new();
  if (filter.libctx == NULL)
    return 0;
  filter.deflt = OSSL_PROVIDER_load(filter.libctx, "default");
  if (filter.deflt == NULL) {
    g_clear_pointer(&filter.libctx, OSSL_LIB_CTX_free);
    return 0;
  }
  filter.decoders = filtered(OSSL_OP_DECODER, offered_types, FALSE);
  filter.encoders = filtered(OSSL_OP_ENCODER, offered_types, FALSE);
  filter.signatures = wrapped_signatures();
  /* The default provider's functions expect its own context, as OpenSSL's test filter
   * provider (test/filterprov.c) passes it on. */
  *provctx = OSSL_PROVIDER_get0_provider_ctx(filter.deflt);
  *out = filter_dispatch;
  return 1;
}

static void release(void)
{
  g_clear_pointer(&filter.loaded, OSSL_PROVIDER_unload);
}

gboolean es_provider_install(GError **error)
{
  if (filter.active)
    return TRUE;
  OSSL_PROVIDER *prov = NULL;
  if (!OSSL_PROVIDER_add_builtin(NULL, "enrolsim", filter_init) ||
      (prov = OSSL_PROVIDER_load(NULL, "enrolsim")) == NULL) {
    g_autofree char *msg = es_ossl_errors("cannot load the enrolsim OpenSSL provider");
    g_set_error_literal(error, ES_PKI_ERROR, ES_PKI_ERROR_CRYPTO, msg);
    return FALSE;
  }
  /* Asked only now: with no provider active, the question itself activates the fallback
   * "default". With the filter active, "default" is found only if the configuration
   * activated it, and the filter would then double every decoder chain. */
  if (OSSL_PROVIDER_available(NULL, "default") || OSSL_PROVIDER_available(NULL, "fips")) {
    OSSL_PROVIDER_unload(prov);
    return TRUE;
  }
  filter.loaded = prov;
  filter.active = TRUE;
  /* Runs before OpenSSL's own exit handler (registered at its first use, before this): the
   * loaded reference is ours to drop, and the filter is torn down with the context. */
  atexit(release);
  return TRUE;
}

gboolean es_provider_narrow_decoders(const EsKeyType *types, gsize n)
{
  if (!filter.active || filter.decoders_asked)
    return FALSE;
  const char *names[3] = {NULL, NULL, NULL};
  gsize k = 0;
  for (gsize i = 0; i < n; i++) {
    const char *name = types[i] == ES_KEY_RSA2048 ? "RSA" : "EC";
    if (!named(name, names))
      names[k++] = name;
  }
  g_free(filter.decoders);
  filter.decoders = filtered(OSSL_OP_DECODER, names, TRUE);
  return TRUE;
}

guint es_provider_decoders_offered(void)
{
  guint n = 0;
  for (const OSSL_ALGORITHM *a = filter.active ? filter.decoders : NULL;
       a != NULL && a->algorithm_names != NULL; a++)
    n++;
  return n;
}

gboolean es_provider_active(void)
{
  return filter.active;
}

const char *es_provider_name(void)
{
  return filter.active ? "trimmed" : "configured";
}
