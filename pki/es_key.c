/* Key types of a run, key generation and the key pool handed out to eNBs, and the folding
 * of OpenSSL's error queue into GError messages. */
#include "pki/es_pki.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>

static const char *const key_type_names[] = {
    [ES_KEY_P256] = "p256",
    [ES_KEY_P384] = "p384",
    [ES_KEY_RSA2048] = "rsa2048",
};

gboolean es_key_type_parse(const char *name, EsKeyType *out, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS(key_type_names); i++) {
    if (name != NULL && g_ascii_strcasecmp(name, key_type_names[i]) == 0) {
      *out = (EsKeyType)i;
      return TRUE;
    }
  }
  g_set_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID,
              "unknown key type \"%s\" (expected p256, p384 or rsa2048)",
              name != NULL ? name : "(null)");
  return FALSE;
}

const char *es_key_type_name(EsKeyType type)
{
  if ((guint)type < G_N_ELEMENTS(key_type_names))
    return key_type_names[type];
  return "unknown";
}

EVP_PKEY *es_key_generate(EsKeyType type, GError **error)
{
  EVP_PKEY *key = NULL;
  switch (type) {
  case ES_KEY_P256:
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    break;
  case ES_KEY_P384:
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    break;
  case ES_KEY_RSA2048:
    key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    break;
  default:
    g_set_error(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID, "unknown key type %d", (int)type);
    return NULL;
  }
  if (key == NULL) {
    char *what = g_strdup_printf("%s key generation failed", es_key_type_name(type));
    char *msg = es_ossl_errors(what);
    g_set_error_literal(error, ES_PKI_ERROR, ES_PKI_ERROR_CRYPTO, msg);
    g_free(msg);
    g_free(what);
  }
  return key;
}

char *es_ossl_errors(const char *what)
{
  GString *s = g_string_new(what);
  const char *file = NULL, *data = NULL;
  int line = 0, flags = 0;
  unsigned long e;
  gboolean first = TRUE;
  while ((e = ERR_get_error_all(&file, &line, NULL, &data, &flags)) != 0) {
    g_string_append(s, first ? ": " : "; ");
    const char *lib = ERR_lib_error_string(e);
    const char *reason = ERR_reason_error_string(e);
    if (lib != NULL)
      g_string_append_printf(s, "%s: ", lib);
    if (reason != NULL)
      g_string_append(s, reason);
    else
      g_string_append_printf(s, "reason %d", ERR_GET_REASON(e));
    if (data != NULL && (flags & ERR_TXT_STRING) != 0 && *data != '\0')
      g_string_append_printf(s, " (%s)", data);
    /* The innermost error's location is the one worth looking up; the rest are callers. */
    if (first && file != NULL)
      g_string_append_printf(s, " [%s:%d]", file, line);
    first = FALSE;
  }
  return g_string_free(s, FALSE);
}

/* ---- key pool ---- */

struct EsKeyPool {
  EsKeyType type;
  GPtrArray *keys; /* EVP_PKEY*, owned */
  guint next;
};

EsKeyPool *es_key_pool_new(EsKeyType type, guint size, GError **error)
{
  if (size == 0) {
    g_set_error_literal(error, ES_PKI_ERROR, ES_PKI_ERROR_INVALID,
                        "a key pool needs at least one key");
    return NULL;
  }
  EsKeyPool *pool = g_new0(EsKeyPool, 1);
  pool->type = type;
  pool->keys = g_ptr_array_new_full(size, (GDestroyNotify)EVP_PKEY_free);
  for (guint i = 0; i < size; i++) {
    EVP_PKEY *key = es_key_generate(type, error);
    if (key == NULL) {
      es_key_pool_free(pool);
      return NULL;
    }
    g_ptr_array_add(pool->keys, key);
  }
  return pool;
}

void es_key_pool_free(EsKeyPool *pool)
{
  if (pool == NULL)
    return;
  g_ptr_array_unref(pool->keys);
  g_free(pool);
}

EVP_PKEY *es_key_pool_get1(EsKeyPool *pool)
{
  EVP_PKEY *key = g_ptr_array_index(pool->keys, pool->next);
  pool->next = (pool->next + 1) % pool->keys->len;
  es_pkey_ref(key);
  return key;
}

EVP_PKEY *es_key_pool_get1_at(EsKeyPool *pool, guint64 index)
{
  EVP_PKEY *key = g_ptr_array_index(pool->keys, (guint)(index % pool->keys->len));
  es_pkey_ref(key);
  return key;
}

guint es_key_pool_size(const EsKeyPool *pool)
{
  return pool->keys->len;
}

/* ---- keys as their parameters ---- */

/* Layout: the key type's name, NUL, the number of parameters (one byte); then per parameter
 * its name, NUL, its data type (one byte), its size (four bytes, little-endian) and its
 * data. */

/* The layout is in a block of its own, exactly as long (a GByteArray would grow to a power of
 * two, and every enrolled eNB keeps one), after a word that holds its length for cleansing. */
static void cleanse_free(gpointer block)
{
  gsize *len = block;
  OPENSSL_cleanse(len + 1, *len);
  g_free(block);
}

static guint8 *put(guint8 *w, const void *data, gsize n)
{
  memcpy(w, data, n);
  return w + n;
}

GBytes *es_key_export(EVP_PKEY *key)
{
  OSSL_PARAM *params = NULL;
  const char *type = key != NULL ? EVP_PKEY_get0_type_name(key) : NULL;
  if (type == NULL || EVP_PKEY_todata(key, EVP_PKEY_KEYPAIR, &params) != 1) {
    ERR_clear_error();
    return NULL;
  }
  gsize len = strlen(type) + 2;
  guint8 count = 0;
  for (const OSSL_PARAM *p = params; p->key != NULL; p++) {
    count += count < G_MAXUINT8;
    len += strlen(p->key) + 1 + 5 + p->data_size;
  }
  gsize *block = g_malloc(sizeof *block + len);
  *block = len;
  guint8 *out = (guint8 *)(block + 1), *w = out;
  w = put(w, type, strlen(type) + 1);
  *w++ = count;
  for (const OSSL_PARAM *p = params; p->key != NULL; p++) {
    guint8 head[5] = {(guint8)p->data_type, (guint8)p->data_size, (guint8)(p->data_size >> 8),
                      (guint8)(p->data_size >> 16), (guint8)(p->data_size >> 24)};
    w = put(w, p->key, strlen(p->key) + 1);
    w = put(w, head, sizeof head);
    w = put(w, p->data, p->data_size);
  }
  for (OSSL_PARAM *p = params; p->key != NULL; p++)
    OPENSSL_cleanse(p->data, p->data_size);
  OSSL_PARAM_free(params);
  return g_bytes_new_with_free_func(out, len, cleanse_free, block);
}

/* The NUL-terminated string at *p, before end; NULL when there is none. */
static const char *take_string(const guint8 **p, const guint8 *end)
{
  const guint8 *nul = memchr(*p, 0, end - *p);
  if (nul == NULL || nul == *p)
    return NULL;
  const char *s = (const char *)*p;
  *p = nul + 1;
  return s;
}

EVP_PKEY *es_key_import(GBytes *data)
{
  if (data == NULL)
    return NULL;
  gsize n;
  const guint8 *p = g_bytes_get_data(data, &n), *end = p + n;
  const char *type = take_string(&p, end);
  guint count = type != NULL && p < end ? *p++ : 0;
  /* Aligned copies of the data, wiped after; the array ends with OSSL_PARAM_END. */
  GArray *params = g_array_new(TRUE, TRUE, sizeof(OSSL_PARAM));
  gboolean ok = type != NULL;
  while (ok && p < end) {
    const char *name = take_string(&p, end);
    ok = name != NULL && end - p >= 5;
    if (!ok)
      break;
    guint size = p[1] | p[2] << 8 | p[3] << 16 | (guint)p[4] << 24;
    OSSL_PARAM param = {name, p[0], NULL, size, OSSL_PARAM_UNMODIFIED};
    p += 5;
    ok = (gsize)(end - p) >= size;
    if (!ok)
      break;
    param.data = g_malloc(size + 1);
    memcpy(param.data, p, size);
    ((guint8 *)param.data)[size] = 0;
    g_array_append_val(params, param);
    p += size;
  }
  ok = ok && count > 0 && params->len == count;
  EVP_PKEY *key = NULL;
  EVP_PKEY_CTX *ctx = ok ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
  if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1
      || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, (OSSL_PARAM *)params->data) != 1)
    g_clear_pointer(&key, EVP_PKEY_free);
  EVP_PKEY_CTX_free(ctx);
  for (guint i = 0; i < params->len; i++) {
    OSSL_PARAM *param = &g_array_index(params, OSSL_PARAM, i);
    OPENSSL_cleanse(param->data, param->data_size);
    g_free(param->data);
  }
  g_array_free(params, TRUE);
  ERR_clear_error();
  return key;
}
