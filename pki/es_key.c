/* Key types of a run, key generation and the key pool handed out to eNBs, and the folding
 * of OpenSSL's error queue into GError messages. */
#include "pki/es_pki.h"

#include <string.h>

#include <openssl/err.h>

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
