/* What the configuration core's files share; not for use outside config/. */
#ifndef ES_CONFIG_PRIV_H
#define ES_CONFIG_PRIV_H

#include "config/es_config.h"

typedef struct {
  const char *suffix;
  double factor;
  gboolean divide; /* sub-second units divide, so "20ms" is exactly the double nearest 0.02 */
} EsUnit;

extern const EsUnit es_duration_units[], es_rate_units[], es_arrival_units[];

/* A plain decimal number followed by one of `units`, or by nothing when units is NULL.
 * Returns NULL on success, else why the text was rejected. */
char *es_parse_number_unit(const char *text, const EsUnit *units, double *out);
/* Shortest text that g_ascii_strtod reads back as the same double. */
void es_format_shortest(char *buf, gsize len, double v);

/* Every key of the schema, in dump order (hidden keys included), with its offset in the
 * configured struct; a key's index is its place in this order. */
#define ES_CONFIG_FOR_EACH_KEY(schema, d, offset)                                          \
  for (gsize part_ = 0; part_ < (schema)->n_parts; part_++)                                \
    for (const EsConfigKey *d = (schema)->parts[part_].keys;                               \
         d < (schema)->parts[part_].keys + (schema)->parts[part_].n; d++)                 \
      for (gsize offset = (schema)->parts[part_].base + d->offset, once_ = 1; once_; once_ = 0)

/* es_config_keys.c: the key named `section`.`key`, its offset and index; NULL when unknown. */
const EsConfigKey *es_config_lookup(const EsConfigSchema *schema, const char *section,
                                    const char *key, gsize *offset, gsize *index);
gboolean es_config_has_section(const EsConfigSchema *schema, const char *section);
/* The closest known name to a misspelt one, for "did you mean": "section.key" (`key` NULL:
 * "[section]"), or NULL when none is close enough to be what was meant. */
char *es_config_suggest(const EsConfigSchema *schema, const char *section, const char *key);
/* The record of given keys (EsConfigSchema.has_given): key `index` was given a value; a
 * struct's record starts empty (init), follows a copy (copy, after the memcpy) and is freed
 * with the values (clear). */
void es_config_give(const EsConfigSchema *schema, void *obj, gsize index);
void es_config_given_init(const EsConfigSchema *schema, void *obj);
void es_config_given_copy(const EsConfigSchema *schema, void *dst);
void es_config_given_clear(const EsConfigSchema *schema, void *obj);

/* es_keyfile.c: one header or key line of a key file; key NULL for a [section] header. */
typedef struct {
  char *section, *key;
  guint line;
} EsKeyLine;
/* The key file text `data` of `path` parsed (*kf_out) and its headers and keys in file order
 * (EsKeyLine; g_array_unref frees them). NULL on a syntax error or a key given twice in one
 * section, with an error naming the file and the line. */
GArray *es_keyfile_read(const char *path, const char *data, gsize len, GKeyFile **kf_out,
                        GError **error);

#endif
