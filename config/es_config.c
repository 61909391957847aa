/* The configuration core: one parser, checker and canonical dump for every table of keys. */
#include "config/es_config_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/es_link.h"

G_DEFINE_QUARK(es-config-error-quark, es_config_error)

const char *const es_config_bool_words[] = {"false", "true", NULL};

typedef union {
  guint u;
  guint64 u64;
  char *s; /* owned when parsed, borrowed when read from a struct */
  int choice;
  double d;
  gint64 t;
  EsValueList list;
  EsOutages *outages; /* owned when parsed, borrowed when read from a struct */
} EsValue;

/* The type of one element of a list type (and of the bounds). */
static EsConfigType element_type(EsConfigType type) {
  switch (type) {
  case ES_CONFIG_UINT_LIST: return ES_CONFIG_UINT;
  case ES_CONFIG_DURATION_LIST: return ES_CONFIG_DURATION;
  case ES_CONFIG_RATE_LIST: return ES_CONFIG_RATE;
  case ES_CONFIG_PROBABILITY_LIST: return ES_CONFIG_PROBABILITY;
  default: return type;
  }
}

/* "a, b, c or d" */
static char *word_list(const char *const *words) {
  GString *s = g_string_new(NULL);
  for (gsize i = 0; words[i]; i++)
    g_string_append_printf(s, "%s%s", i == 0 ? "" : words[i + 1] ? ", " : " or ", words[i]);
  return g_string_free(s, FALSE);
}

/* Canonical text of one number of a numeric type. */
static char *format_number(EsConfigType type, double d) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE + 8];
  if (type == ES_CONFIG_UINT)
    return g_strdup_printf("%u", (guint)d);
  es_format_shortest(buf, sizeof buf, d);
  switch (type) {
  case ES_CONFIG_DURATION: return g_strconcat(buf, "s", NULL);
  case ES_CONFIG_RATE: return g_strconcat(buf, "bps", NULL);
  case ES_CONFIG_ARRIVALS: return g_strconcat(buf, "/s", NULL);
  default: return g_strdup(buf);
  }
}

/* Canonical text of a value, which parse_value reads back to the same value. */
static char *format_value(const EsConfigKey *d, const EsValue *v) {
  switch (d->type) {
  case ES_CONFIG_UINT:
    return g_strdup_printf("%u", v->u);
  case ES_CONFIG_UINT64:
    return g_strdup_printf("%" G_GUINT64_FORMAT, v->u64);
  case ES_CONFIG_STRING:
  case ES_CONFIG_PATH:
    return g_strdup(v->s ? v->s : "");
  case ES_CONFIG_CHOICE:
    return g_strdup(v->choice >= 0 && v->choice < (int)g_strv_length((char **)d->words)
                        ? d->words[v->choice]
                        : "?");
  case ES_CONFIG_DURATION:
  case ES_CONFIG_RATE:
  case ES_CONFIG_PROBABILITY:
  case ES_CONFIG_ARRIVALS:
    return format_number(d->type, v->d);
  case ES_CONFIG_TIME: {
    GDateTime *dt = g_date_time_new_from_unix_utc(v->t);
    char *text = dt ? g_date_time_format_iso8601(dt) : g_strdup_printf("%" G_GINT64_FORMAT, v->t);
    if (dt)
      g_date_time_unref(dt);
    return text;
  }
  case ES_CONFIG_OUTAGES:
    return es_outages_to_string(v->outages);
  case ES_CONFIG_UINT_LIST:
  case ES_CONFIG_DURATION_LIST:
  case ES_CONFIG_RATE_LIST:
  case ES_CONFIG_PROBABILITY_LIST: {
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < v->list.n; i++) {
      g_autofree char *one = format_number(element_type(d->type), v->list.v[i]);
      g_string_append_printf(s, "%s%s", i ? "," : "", one);
    }
    return g_string_free(s, FALSE);
  }
  }
  g_assert_not_reached();
}

/* Bounds of the numeric types; NULL when x is within them. */
static char *check_bounds(const EsConfigKey *d, double x) {
  EsConfigType type = element_type(d->type);
  if (isnan(x))
    return g_strdup("not a number");
  if (d->min_open ? !(x > d->min) : !(x >= d->min)) {
    g_autofree char *b = format_number(type, d->min);
    return g_strdup_printf("must be %s %s", d->min_open ? "greater than" : "at least", b);
  }
  if (!(x <= d->max)) {
    g_autofree char *b = format_number(type, d->max);
    return g_strdup_printf("must be at most %s", b);
  }
  if (type == ES_CONFIG_UINT && x != floor(x))
    return g_strdup("not a non-negative integer");
  return NULL;
}

/* The table's bounds and the closed sets of words; NULL when the value is acceptable. */
static char *check_value(const EsConfigKey *d, const EsValue *v) {
  switch (d->type) {
  case ES_CONFIG_STRING:
    if (!v->s || !*v->s)
      return g_strdup("empty");
    /* fall through */
  case ES_CONFIG_PATH:
    if (v->s && !g_utf8_validate(v->s, -1, NULL))
      return g_strdup("not valid UTF-8");
    return NULL;
  case ES_CONFIG_CHOICE:
    if (v->choice >= 0 && v->choice < (int)g_strv_length((char **)d->words))
      return NULL;
    {
      g_autofree char *words = word_list(d->words);
      return g_strdup_printf("expected %s", words);
    }
  case ES_CONFIG_UINT64:
  case ES_CONFIG_TIME:
    return NULL;
  case ES_CONFIG_OUTAGES:
    return es_outages_problem(v->outages);
  case ES_CONFIG_UINT:
    return check_bounds(d, (double)v->u);
  case ES_CONFIG_DURATION:
  case ES_CONFIG_RATE:
  case ES_CONFIG_PROBABILITY:
  case ES_CONFIG_ARRIVALS:
    return check_bounds(d, v->d);
  case ES_CONFIG_UINT_LIST:
  case ES_CONFIG_DURATION_LIST:
  case ES_CONFIG_RATE_LIST:
  case ES_CONFIG_PROBABILITY_LIST:
    if (v->list.n > ES_CONFIG_LIST_MAX)
      return g_strdup_printf("at most %d values", ES_CONFIG_LIST_MAX);
    for (guint i = 0; i < v->list.n; i++) {
      char *reason = check_bounds(d, v->list.v[i]);
      if (reason) {
        char *r = g_strdup_printf("value %u: %s", i + 1, reason);
        g_free(reason);
        return r;
      }
    }
    return NULL;
  }
  g_assert_not_reached();
}

/* One number of a numeric type; NULL on success, else why not. */
static char *parse_number(EsConfigType type, const char *text, double *out) {
  switch (type) {
  case ES_CONFIG_UINT: {
    if (!*text)
      return g_strdup("empty");
    if (*text == '-')
      return g_strdup("negative");
    guint64 v = 0;
    GError *err = NULL;
    if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT, &v, &err)) {
      char *reason = g_strdup(err->code == G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS
                                  ? "too large"
                                  : "not a non-negative integer");
      g_error_free(err);
      return reason;
    }
    *out = (double)v;
    return NULL;
  }
  case ES_CONFIG_DURATION: return es_parse_number_unit(text, es_duration_units, out);
  case ES_CONFIG_RATE: return es_parse_number_unit(text, es_rate_units, out);
  case ES_CONFIG_ARRIVALS: return es_parse_number_unit(text, es_arrival_units, out);
  default: return es_parse_number_unit(text, NULL, out);
  }
}

/* "1ms, 4ms" → {2, 0.001, 0.004}; an empty text is the empty list. */
static char *parse_list(EsConfigType type, const char *text, EsValueList *out) {
  memset(out, 0, sizeof *out);
  if (!*text)
    return NULL;
  g_auto(GStrv) parts = g_strsplit(text, ",", -1);
  if (g_strv_length(parts) > ES_CONFIG_LIST_MAX)
    return g_strdup_printf("at most %d values", ES_CONFIG_LIST_MAX);
  for (guint i = 0; parts[i]; i++) {
    char *reason = parse_number(type, g_strstrip(parts[i]), &out->v[i]);
    if (reason) {
      char *r = g_strdup_printf("value %u: %s", i + 1, reason);
      g_free(reason);
      return r;
    }
    out->n = i + 1;
  }
  return NULL;
}

/* Text to value, bounds included. On success the caller owns out->s for string types. */
static char *parse_value(const EsConfigKey *d, const char *raw, EsValue *out) {
  memset(out, 0, sizeof *out);
  /* Key files keep trailing blanks in values; they are noise around a number or a word. */
  g_autofree char *text = g_strdup(raw);
  if (d->type != ES_CONFIG_STRING)
    g_strstrip(text);
  char *reason = NULL;
  switch (d->type) {
  case ES_CONFIG_UINT: {
    double v = 0;
    if ((reason = parse_number(ES_CONFIG_UINT, text, &v)))
      return reason;
    out->u = (guint)v;
    break;
  }
  case ES_CONFIG_UINT64: {
    guint64 v = 0;
    if (!*text)
      return g_strdup("empty");
    if (*text == '-')
      return g_strdup("negative");
    GError *err = NULL;
    if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &v, &err)) {
      reason = g_strdup(err->code == G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS
                            ? "too large"
                            : "not a non-negative integer");
      g_error_free(err);
      return reason;
    }
    out->u64 = v;
    break;
  }
  case ES_CONFIG_STRING:
  case ES_CONFIG_PATH:
    out->s = g_strdup(text);
    break;
  case ES_CONFIG_CHOICE:
    out->choice = -1;
    for (int i = 0; d->words[i]; i++)
      if (strcmp(text, d->words[i]) == 0)
        out->choice = i;
    break;
  case ES_CONFIG_DURATION:
  case ES_CONFIG_RATE:
  case ES_CONFIG_PROBABILITY:
  case ES_CONFIG_ARRIVALS:
    reason = parse_number(d->type, text, &out->d);
    break;
  case ES_CONFIG_TIME: {
    /* No default time zone: a time without one would mean something else on every host. */
    GDateTime *dt = g_date_time_new_from_iso8601(text, NULL);
    if (!dt)
      return g_strdup("expected an ISO 8601 time with a zone, like 2026-11-01T00:00:00Z");
    /* Certificates carry whole seconds; a fraction would be dropped silently. */
    if (g_date_time_get_microsecond(dt) != 0)
      reason = g_strdup("fractional seconds not supported");
    out->t = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    break;
  }
  case ES_CONFIG_UINT_LIST:
  case ES_CONFIG_DURATION_LIST:
  case ES_CONFIG_RATE_LIST:
  case ES_CONFIG_PROBABILITY_LIST:
    reason = parse_list(element_type(d->type), text, &out->list);
    break;
  case ES_CONFIG_OUTAGES:
    es_parse_outages(text, &out->outages, &reason);
    break;
  }
  if (!reason)
    reason = check_value(d, out);
  if (reason && (d->type == ES_CONFIG_STRING || d->type == ES_CONFIG_PATH))
    g_clear_pointer(&out->s, g_free);
  if (reason && d->type == ES_CONFIG_OUTAGES)
    g_clear_pointer(&out->outages, g_free);
  return reason;
}

/* obj + offset: the key's field, offset being the key's own plus its part's base. */
static void read_value(const void *obj, gsize offset, const EsConfigKey *d, EsValue *v) {
  const void *p = G_STRUCT_MEMBER_P(obj, offset);
  switch (d->type) {
  case ES_CONFIG_UINT: v->u = *(const guint *)p; break;
  case ES_CONFIG_UINT64: v->u64 = *(const guint64 *)p; break;
  case ES_CONFIG_STRING:
  case ES_CONFIG_PATH: v->s = *(char *const *)p; break;
  case ES_CONFIG_CHOICE: v->choice = *(const int *)p; break;
  case ES_CONFIG_DURATION:
  case ES_CONFIG_RATE:
  case ES_CONFIG_PROBABILITY:
  case ES_CONFIG_ARRIVALS: v->d = *(const double *)p; break;
  case ES_CONFIG_TIME: v->t = *(const gint64 *)p; break;
  case ES_CONFIG_OUTAGES: v->outages = *(EsOutages *const *)p; break;
  case ES_CONFIG_UINT_LIST:
  case ES_CONFIG_DURATION_LIST:
  case ES_CONFIG_RATE_LIST:
  case ES_CONFIG_PROBABILITY_LIST: v->list = *(const EsValueList *)p; break;
  }
}

/* Stores a parsed value, taking ownership of a string and freeing the one it replaces. */
static void store_value(void *obj, gsize offset, const EsConfigKey *d, EsValue *v) {
  void *p = G_STRUCT_MEMBER_P(obj, offset);
  switch (d->type) {
  case ES_CONFIG_UINT: *(guint *)p = v->u; break;
  case ES_CONFIG_UINT64: *(guint64 *)p = v->u64; break;
  case ES_CONFIG_STRING:
  case ES_CONFIG_PATH:
    g_free(*(char **)p);
    *(char **)p = g_steal_pointer(&v->s);
    break;
  case ES_CONFIG_CHOICE: *(int *)p = v->choice; break;
  case ES_CONFIG_DURATION:
  case ES_CONFIG_RATE:
  case ES_CONFIG_PROBABILITY:
  case ES_CONFIG_ARRIVALS: *(double *)p = v->d; break;
  case ES_CONFIG_TIME: *(gint64 *)p = v->t; break;
  case ES_CONFIG_OUTAGES:
    g_free(*(EsOutages **)p);
    *(EsOutages **)p = g_steal_pointer(&v->outages);
    break;
  case ES_CONFIG_UINT_LIST:
  case ES_CONFIG_DURATION_LIST:
  case ES_CONFIG_RATE_LIST:
  case ES_CONFIG_PROBABILITY_LIST: *(EsValueList *)p = v->list; break;
  }
}

/* Whole file or nothing: stdio rather than g_file_get_contents so the reason reads
 * "FILE: No such file or directory" without GLib repeating the name. */
static char *read_file(const char *path, gsize *len, char **reason) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    *reason = g_strdup(g_strerror(errno));
    return NULL;
  }
  GString *s = g_string_new(NULL);
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    g_string_append_len(s, buf, (gssize)n);
  int failed = ferror(f) ? errno : 0;
  fclose(f);
  if (failed) {
    *reason = g_strdup(g_strerror(failed));
    g_string_free(s, TRUE);
    return NULL;
  }
  *len = s->len;
  return g_string_free(s, FALSE);
}

static gboolean is_owned(const EsConfigKey *d) {
  return d->type == ES_CONFIG_STRING || d->type == ES_CONFIG_PATH || d->type == ES_CONFIG_OUTAGES;
}

/* Every key of the schema, in dump order, with its offset in the configured struct. */
#define FOR_EACH_KEY(schema, d, offset)                                                    \
  for (gsize part_ = 0; part_ < (schema)->n_parts; part_++)                                \
    for (const EsConfigKey *d = (schema)->parts[part_].keys;                               \
         d < (schema)->parts[part_].keys + (schema)->parts[part_].n; d++)                 \
      for (gsize offset = (schema)->parts[part_].base + d->offset, once_ = 1; once_; once_ = 0)

/* The key and its offset; NULL when not in the schema. */
static const EsConfigKey *find_key(const EsConfigSchema *schema, const char *section,
                                   const char *key, gsize *offset_out) {
  FOR_EACH_KEY(schema, d, offset)
    if (strcmp(d->section, section) == 0 && strcmp(d->key, key) == 0) {
      if (offset_out)
        *offset_out = offset;
      return d;
    }
  return NULL;
}

const EsConfigKey *es_config_find(const EsConfigSchema *schema, const char *section,
                                  const char *key) {
  g_return_val_if_fail(schema != NULL && section != NULL && key != NULL, NULL);
  return find_key(schema, section, key, NULL);
}

static gboolean is_section(const EsConfigSchema *schema, const char *section) {
  for (gsize i = 0; i < schema->n_parts; i++)
    for (gsize k = 0; k < schema->parts[i].n; k++)
      if (strcmp(schema->parts[i].keys[k].section, section) == 0)
        return TRUE;
  return FALSE;
}

void es_config_init(const EsConfigSchema *schema, void *obj) {
  g_return_if_fail(schema != NULL && obj != NULL);
  FOR_EACH_KEY(schema, d, offset) {
    EsValue v;
    char *reason = parse_value(d, d->def, &v);
    if (reason)
      g_error("built-in default %s.%s = '%s': %s", d->section, d->key, d->def, reason);
    if (is_owned(d))
      *(void **)G_STRUCT_MEMBER_P(obj, offset) = NULL;
    store_value(obj, offset, d, &v);
  }
}

void es_config_clear(const EsConfigSchema *schema, void *obj) {
  if (!schema || !obj)
    return;
  FOR_EACH_KEY(schema, d, offset)
    if (is_owned(d))
      g_clear_pointer((void **)G_STRUCT_MEMBER_P(obj, offset), g_free);
}

void es_config_copy(const EsConfigSchema *schema, void *dst, const void *src) {
  g_return_if_fail(schema != NULL && dst != NULL && src != NULL);
  memcpy(dst, src, schema->size);
  FOR_EACH_KEY(schema, d, offset)
    if (d->type == ES_CONFIG_STRING || d->type == ES_CONFIG_PATH) {
      char **p = G_STRUCT_MEMBER_P(dst, offset);
      *p = g_strdup(*p);
    } else if (d->type == ES_CONFIG_OUTAGES) {
      EsOutages **p = G_STRUCT_MEMBER_P(dst, offset);
      *p = es_outages_copy(*p);
    }
}

/* Checks every group and key before changing anything: on error `obj` is as it was. */
gboolean es_config_load(const EsConfigSchema *schema, void *obj, const char *path,
                        GError **error) {
  g_return_val_if_fail(schema != NULL && obj != NULL && path != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  gsize len = 0;
  char *reason = NULL;
  g_autofree char *data = read_file(path, &len, &reason);
  if (!data) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_FILE, "%s: %s", path, reason);
    g_free(reason);
    return FALSE;
  }
  g_autoptr(GKeyFile) kf = g_key_file_new();
  GError *inner = NULL;
  if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &inner)) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_FILE, "%s: %s", path, inner->message);
    g_error_free(inner);
    return FALSE;
  }

  void *work = g_malloc(schema->size);
  es_config_copy(schema, work, obj);
  gboolean ok = TRUE;
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (gsize g = 0; ok && groups[g]; g++) {
    if (!is_section(schema, groups[g])) {
      g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY, "%s: unknown group [%s]", path,
                  groups[g]);
      ok = FALSE;
      break;
    }
    g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[g], NULL, NULL);
    for (gsize k = 0; ok && keys && keys[k]; k++) {
      gsize offset = 0;
      const EsConfigKey *d = find_key(schema, groups[g], keys[k], &offset);
      if (!d) {
        g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY, "%s: unknown key [%s] %s",
                    path, groups[g], keys[k]);
        ok = FALSE;
        break;
      }
      g_autofree char *text = g_key_file_get_string(kf, groups[g], keys[k], &inner);
      if (!text) {
        g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE, "%s: [%s] %s: %s", path,
                    groups[g], keys[k], inner->message);
        g_error_free(inner);
        ok = FALSE;
        break;
      }
      EsValue v;
      reason = parse_value(d, text, &v);
      if (reason) {
        g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                    "%s: [%s] %s: %s (value '%s')", path, groups[g], keys[k], reason, text);
        g_free(reason);
        ok = FALSE;
        break;
      }
      /* A file the key file names sits beside it, wherever the run starts from. */
      if (d->type == ES_CONFIG_PATH && v.s[0] && !g_path_is_absolute(v.s)) {
        g_autofree char *dir = g_path_get_dirname(path);
        char *joined = g_build_filename(dir, v.s, NULL);
        g_free(v.s);
        v.s = joined;
      }
      store_value(work, offset, d, &v);
    }
  }
  if (ok) {
    es_config_clear(schema, obj);
    memcpy(obj, work, schema->size);
  } else {
    es_config_clear(schema, work);
  }
  g_free(work);
  return ok;
}

gboolean es_config_set(const EsConfigSchema *schema, void *obj, const char *key,
                       const char *value, GError **error) {
  g_return_val_if_fail(schema != NULL && obj != NULL && key != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  g_autofree char *name = NULL;
  if (value) {
    name = g_strdup(key);
  } else {
    const char *eq = strchr(key, '=');
    if (!eq) {
      g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY,
                  "expected section.key=value, got '%s'", key);
      return FALSE;
    }
    name = g_strndup(key, (gsize)(eq - key));
    value = eq + 1;
  }
  g_strstrip(name);
  /* "section.key": the key part may itself not contain a dot. */
  const char *dot = strchr(name, '.');
  gsize offset = 0;
  const EsConfigKey *d = NULL;
  if (dot) {
    g_autofree char *section = g_strndup(name, (gsize)(dot - name));
    d = find_key(schema, section, dot + 1, &offset);
  }
  if (!d) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY, "unknown key '%s'", name);
    return FALSE;
  }
  EsValue v;
  char *reason = parse_value(d, value, &v);
  if (reason) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE, "%s: %s (value '%s')", name,
                reason, value);
    g_free(reason);
    return FALSE;
  }
  store_value(obj, offset, d, &v);
  return TRUE;
}

gboolean es_config_check(const EsConfigSchema *schema, const void *obj, GError **error) {
  g_return_val_if_fail(schema != NULL && obj != NULL, FALSE);
  FOR_EACH_KEY(schema, d, offset) {
    if (d->hidden)
      continue;
    EsValue v;
    read_value(obj, offset, d, &v);
    char *reason = check_value(d, &v);
    if (reason) {
      g_autofree char *text = format_value(d, &v);
      g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE, "%s.%s: %s (value '%s')",
                  d->section, d->key, reason, text);
      g_free(reason);
      return FALSE;
    }
  }
  return TRUE;
}

char *es_config_to_keyfile(const EsConfigSchema *schema, const void *obj) {
  g_return_val_if_fail(schema != NULL && obj != NULL, NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  FOR_EACH_KEY(schema, d, offset) {
    if (d->hidden)
      continue;
    EsValue v;
    read_value(obj, offset, d, &v);
    g_autofree char *text = format_value(d, &v);
    /* set_string escapes what a key file cannot hold verbatim (leading blanks, newlines). */
    if (d->type == ES_CONFIG_STRING || d->type == ES_CONFIG_PATH)
      g_key_file_set_string(kf, d->section, d->key, text);
    else
      g_key_file_set_value(kf, d->section, d->key, text);
  }
  return g_key_file_to_data(kf, NULL, NULL);
}

double es_value_list_get(const EsValueList *list, guint i, double fallback) {
  g_return_val_if_fail(list != NULL, fallback);
  if (list->n == 0)
    return fallback;
  return list->v[MIN(i, list->n - 1)];
}

char *es_format_duration(double seconds) {
  return format_number(ES_CONFIG_DURATION, seconds);
}
