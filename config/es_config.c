/* The configuration core: one parser, checker and canonical dump for every table of keys. */
#include "config/es_config_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
  /* What every key of the type can hold, whatever its table says: the simulated clock counts
   * whole nanoseconds up to about 292 years (a shorter non-zero duration would be 0, and a
   * timer every 0 s never lets time advance); links send whole bits per second. */
  if (type == ES_CONFIG_DURATION && x != 0 && x < ES_CONFIG_DURATION_MIN)
    return g_strdup("a duration other than 0s must be at least 1ns (1e-09s), the step of the "
                    "simulated clock");
  if (type == ES_CONFIG_DURATION && x > ES_CONFIG_DURATION_MAX)
    return g_strdup("must be at most 100 years (3155760000s)");
  if (type == ES_CONFIG_RATE && x < ES_CONFIG_RATE_MIN)
    return g_strdup("must be at least 1bps");
  if (type == ES_CONFIG_RATE && x > ES_CONFIG_RATE_MAX)
    return g_strdup("must be at most 1Tbps (1000Gbps)");
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
  /* A device or a pipe (/dev/zero) would be read for ever: key files are regular files of a
   * few kB. */
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    *reason = g_strdup("not a regular file");
    return NULL;
  }
  GString *s = g_string_new(NULL);
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    g_string_append_len(s, buf, (gssize)n);
    if (s->len > ES_CONFIG_FILE_MAX_BYTES) {
      fclose(f);
      g_string_free(s, TRUE);
      *reason = g_strdup_printf("larger than %d MiB: not a key file",
                                ES_CONFIG_FILE_MAX_BYTES >> 20);
      return NULL;
    }
  }
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

void es_config_init(const EsConfigSchema *schema, void *obj) {
  g_return_if_fail(schema != NULL && obj != NULL);
  ES_CONFIG_FOR_EACH_KEY(schema, d, offset) {
    EsValue v;
    char *reason = parse_value(d, d->def, &v);
    if (reason)
      g_error("built-in default %s.%s = '%s': %s", d->section, d->key, d->def, reason);
    if (is_owned(d))
      *(void **)G_STRUCT_MEMBER_P(obj, offset) = NULL;
    store_value(obj, offset, d, &v);
  }
  es_config_given_init(schema, obj);
}

void es_config_clear(const EsConfigSchema *schema, void *obj) {
  if (!schema || !obj)
    return;
  ES_CONFIG_FOR_EACH_KEY(schema, d, offset)
    if (is_owned(d))
      g_clear_pointer((void **)G_STRUCT_MEMBER_P(obj, offset), g_free);
  es_config_given_clear(schema, obj);
}

void es_config_copy(const EsConfigSchema *schema, void *dst, const void *src) {
  g_return_if_fail(schema != NULL && dst != NULL && src != NULL);
  memcpy(dst, src, schema->size);
  ES_CONFIG_FOR_EACH_KEY(schema, d, offset)
    if (d->type == ES_CONFIG_STRING || d->type == ES_CONFIG_PATH) {
      char **p = G_STRUCT_MEMBER_P(dst, offset);
      *p = g_strdup(*p);
    } else if (d->type == ES_CONFIG_OUTAGES) {
      EsOutages **p = G_STRUCT_MEMBER_P(dst, offset);
      *p = es_outages_copy(*p);
    }
  es_config_given_copy(schema, dst);
}

/* A path key names a file the run will read: one that cannot be read is found now, with the
 * key that named it, not later by whatever opens it. NULL when it can be read. */
static char *unreadable(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return g_strdup(g_strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    fclose(f);
    return g_strdup("not a regular file");
  }
  int failed = getc(f) == EOF && ferror(f) ? errno : 0; /* a directory opens, but never reads */
  fclose(f);
  return failed ? g_strdup(g_strerror(failed)) : NULL;
}

/* "cannot open 'net.topo' (dir/net.topo): No such file or directory"; NULL when readable. */
static char *check_path(const char *written, const char *resolved) {
  if (!*resolved)
    return NULL;
  g_autofree char *why = unreadable(resolved);
  if (!why)
    return NULL;
  if (strcmp(written, resolved) == 0)
    return g_strdup_printf("cannot open '%s': %s", written, why);
  return g_strdup_printf("cannot open '%s' (%s): %s", written, resolved, why);
}

/* ": did you mean 'section.key'?" or "". */
static char *suggestion(const EsConfigSchema *schema, const char *section, const char *key) {
  g_autofree char *name = es_config_suggest(schema, section, key);
  if (!name)
    return g_strdup("");
  return g_strdup_printf(key ? ": did you mean '%s'?" : ": did you mean %s?", name);
}

/* One key line of a file, into `work`; FALSE with an error naming the file and the line. */
static gboolean load_key(const EsConfigSchema *schema, void *work, const char *path,
                         GKeyFile *kf, const EsKeyLine *l, GError **error) {
  gsize offset = 0, index = 0;
  const EsConfigKey *d = es_config_lookup(schema, l->section, l->key, &offset, &index);
  if (!d) {
    g_autofree char *hint = suggestion(schema, l->section, l->key);
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY, "%s:%u: unknown key [%s] %s%s",
                path, l->line, l->section, l->key, hint);
    return FALSE;
  }
  GError *inner = NULL;
  /* A bad escape sequence sets the error but still returns the text: never take that text. */
  g_autofree char *text = g_key_file_get_string(kf, l->section, l->key, &inner);
  if (inner) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE, "%s:%u: [%s] %s: %s", path,
                l->line, l->section, l->key, inner->message);
    g_error_free(inner);
    return FALSE;
  }
  EsValue v;
  char *reason = parse_value(d, text, &v);
  /* A file the key file names sits beside it, wherever the run starts from. */
  if (!reason && d->type == ES_CONFIG_PATH && v.s[0] && !g_path_is_absolute(v.s)) {
    g_autofree char *dir = g_path_get_dirname(path);
    char *joined = g_build_filename(dir, v.s, NULL);
    g_free(v.s);
    v.s = joined;
  }
  g_autofree char *written = g_strstrip(g_strdup(text));
  if (!reason && d->type == ES_CONFIG_PATH && (reason = check_path(written, v.s))) {
    g_clear_pointer(&v.s, g_free);
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_FILE, "%s:%u: [%s] %s: %s", path,
                l->line, l->section, l->key, reason);
    g_free(reason);
    return FALSE;
  }
  if (reason) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE, "%s:%u: [%s] %s: %s (value '%s')",
                path, l->line, l->section, l->key, reason, text);
    g_free(reason);
    return FALSE;
  }
  store_value(work, offset, d, &v);
  es_config_give(schema, work, index);
  return TRUE;
}

/* Checks every section and key before changing anything: on error `obj` is as it was. */
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
  g_autoptr(GKeyFile) kf = NULL;
  g_autoptr(GArray) lines = es_keyfile_read(path, data, len, &kf, error);
  if (!lines)
    return FALSE;

  void *work = g_malloc(schema->size);
  es_config_copy(schema, work, obj);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < lines->len; i++) {
    const EsKeyLine *l = &g_array_index(lines, EsKeyLine, i);
    if (l->key) {
      ok = load_key(schema, work, path, kf, l, error);
    } else if (!es_config_has_section(schema, l->section)) {
      /* The key below a misspelt header says more than the header alone. */
      const EsKeyLine *next = i + 1 < lines->len ? l + 1 : NULL;
      g_autofree char *hint = next && next->key ? suggestion(schema, l->section, next->key)
                                                : g_strdup("");
      if (!*hint) {
        g_free(hint);
        hint = suggestion(schema, l->section, NULL);
      }
      g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY, "%s:%u: unknown section [%s]%s",
                  path, l->line, l->section, hint);
      ok = FALSE;
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
  gsize offset = 0, index = 0;
  const EsConfigKey *d = NULL;
  g_autofree char *section = dot ? g_strndup(name, (gsize)(dot - name)) : NULL;
  if (dot)
    d = es_config_lookup(schema, section, dot + 1, &offset, &index);
  if (!d) {
    g_autofree char *hint = suggestion(schema, section, dot ? dot + 1 : name);
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY, "unknown key '%s'%s", name, hint);
    return FALSE;
  }
  EsValue v;
  char *reason = parse_value(d, value, &v);
  if (!reason && d->type == ES_CONFIG_PATH && (reason = check_path(v.s, v.s))) {
    g_clear_pointer(&v.s, g_free);
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_FILE, "%s: %s", name, reason);
    g_free(reason);
    return FALSE;
  }
  if (reason) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE, "%s: %s (value '%s')", name,
                reason, value);
    g_free(reason);
    return FALSE;
  }
  store_value(obj, offset, d, &v);
  es_config_give(schema, obj, index);
  return TRUE;
}

gboolean es_config_check(const EsConfigSchema *schema, const void *obj, GError **error) {
  g_return_val_if_fail(schema != NULL && obj != NULL, FALSE);
  ES_CONFIG_FOR_EACH_KEY(schema, d, offset) {
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
  ES_CONFIG_FOR_EACH_KEY(schema, d, offset) {
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
