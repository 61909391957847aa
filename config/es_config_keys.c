/* Keys by name: lookup, the known name closest to a misspelt one, and the record of which keys
 * a file or --set gave a value (a key given its default value is given all the same). */
#include "config/es_config_priv.h"

#include <string.h>

/* One bit per key of the schema, allocated at the first key given. */
struct EsConfigGiven {
  gsize n;
  guint8 bits[];
};

const EsConfigKey *es_config_lookup(const EsConfigSchema *schema, const char *section,
                                    const char *key, gsize *offset_out, gsize *index_out) {
  gsize index = 0;
  ES_CONFIG_FOR_EACH_KEY(schema, d, offset) {
    if (strcmp(d->section, section) == 0 && strcmp(d->key, key) == 0) {
      if (offset_out)
        *offset_out = offset;
      if (index_out)
        *index_out = index;
      return d;
    }
    index++;
  }
  return NULL;
}

const EsConfigKey *es_config_find(const EsConfigSchema *schema, const char *section,
                                  const char *key) {
  g_return_val_if_fail(schema != NULL && section != NULL && key != NULL, NULL);
  return es_config_lookup(schema, section, key, NULL, NULL);
}

gboolean es_config_has_section(const EsConfigSchema *schema, const char *section) {
  ES_CONFIG_FOR_EACH_KEY(schema, d, offset) {
    (void)offset;
    if (strcmp(d->section, section) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Edits (insert, delete, replace, swap two neighbours) that turn a into b: a swapped pair is
 * the commonest typo, so it costs one edit, not two. */
static gsize edit_distance(const char *a, const char *b) {
  gsize m = strlen(a), n = strlen(b);
  gsize *prev2 = g_new0(gsize, n + 1), *prev = g_new0(gsize, n + 1), *cur = g_new0(gsize, n + 1);
  for (gsize j = 0; j <= n; j++)
    prev[j] = j;
  for (gsize i = 1; i <= m; i++) {
    cur[0] = i;
    for (gsize j = 1; j <= n; j++) {
      gsize cost = a[i - 1] != b[j - 1];
      gsize best = MIN(MIN(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        best = MIN(best, prev2[j - 2] + 1);
      cur[j] = best;
    }
    gsize *t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  gsize d = prev[n];
  g_free(prev2);
  g_free(prev);
  g_free(cur);
  return d;
}

/* About one edit in four: a typo, not another word. */
static gboolean close_enough(gsize distance, const char *typed) {
  return distance <= MAX(1, strlen(typed) / 4);
}

/* A section: the closest section name. A key: the closest "section.key"; failing that, the
 * one key of that name in another section ([enb] confirm_wait is raca.confirm_wait). */
char *es_config_suggest(const EsConfigSchema *schema, const char *section,
                        const char *typed_key) {
  /* key[locale] is a translation to GKeyFile: the name is the part before it. */
  g_autofree char *key = typed_key ? g_strndup(typed_key, strcspn(typed_key, "[")) : NULL;
  g_autofree char *typed = key ? g_strconcat(section ? section : "", ".", key, NULL)
                               : g_strdup(section);
  const EsConfigKey *best = NULL, *same_name = NULL;
  gsize best_d = G_MAXSIZE, n_same_name = 0;
  ES_CONFIG_FOR_EACH_KEY(schema, d, offset) {
    (void)offset;
    if (d->hidden)
      continue;
    if (key && strcmp(d->key, key) == 0 && n_same_name++ == 0)
      same_name = d;
    g_autofree char *name = key ? g_strconcat(d->section, ".", d->key, NULL) : NULL;
    gsize dist = edit_distance(typed, key ? name : d->section);
    if (dist < best_d) {
      best_d = dist;
      best = d;
    }
  }
  if (best && section && close_enough(best_d, typed))
    return key ? g_strdup_printf("%s.%s", best->section, best->key)
               : g_strdup_printf("[%s]", best->section);
  if (n_same_name == 1)
    return g_strdup_printf("%s.%s", same_name->section, same_name->key);
  return NULL;
}

static EsConfigGiven **given_field(const EsConfigSchema *schema, const void *obj) {
  return schema->has_given ? G_STRUCT_MEMBER_P(obj, schema->given_offset) : NULL;
}

void es_config_give(const EsConfigSchema *schema, void *obj, gsize index) {
  EsConfigGiven **g = given_field(schema, obj);
  if (!g)
    return;
  if (!*g) {
    gsize n = 0;
    for (gsize i = 0; i < schema->n_parts; i++)
      n += schema->parts[i].n;
    *g = g_malloc0(sizeof **g + (n + 7) / 8);
    (*g)->n = n;
  }
  g_assert(index < (*g)->n);
  (*g)->bits[index / 8] |= (guint8)(1u << (index % 8));
}

void es_config_given_init(const EsConfigSchema *schema, void *obj) {
  EsConfigGiven **g = given_field(schema, obj);
  if (g)
    *g = NULL;
}

void es_config_given_copy(const EsConfigSchema *schema, void *dst) {
  EsConfigGiven **g = given_field(schema, dst);
  if (g && *g)
    *g = g_memdup2(*g, sizeof **g + ((*g)->n + 7) / 8);
}

void es_config_given_clear(const EsConfigSchema *schema, void *obj) {
  EsConfigGiven **g = given_field(schema, obj);
  if (g)
    g_clear_pointer(g, g_free);
}

gboolean es_config_is_given(const EsConfigSchema *schema, const void *obj,
                            const EsConfigKey *key) {
  g_return_val_if_fail(schema != NULL && obj != NULL && key != NULL, FALSE);
  EsConfigGiven **g = given_field(schema, obj);
  if (!g || !*g)
    return FALSE;
  gsize index = 0;
  ES_CONFIG_FOR_EACH_KEY(schema, d, offset) {
    (void)offset;
    if (d == key)
      return ((*g)->bits[index / 8] >> (index % 8)) & 1;
    index++;
  }
  return FALSE;
}
