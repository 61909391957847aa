/* Scenario values driven by one table of keys (name, type, field, default, bounds): defaults,
 * key-file loading, `section.key=value` overrides, range checks and the canonical dump. */
#include "es_scenario.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(es-scenario-error-quark, es_scenario_error)

typedef enum {
  ES_KEY_UINT,        /* guint, decimal */
  ES_KEY_UINT64,      /* guint64, decimal */
  ES_KEY_STRING,      /* char *, UTF-8, not empty */
  ES_KEY_KEYTYPE,     /* char *, one of es_key_types */
  ES_KEY_CONFIRM,     /* EsConfirm */
  ES_KEY_DURATION,    /* double seconds, written with a unit */
  ES_KEY_RATE,        /* double bits per second, written with a unit */
  ES_KEY_PROBABILITY, /* double in [0, 1] */
  ES_KEY_TIME,        /* gint64 Unix seconds, written as ISO 8601 */
} EsKeyType;

typedef struct {
  const char *section;
  const char *key;
  EsKeyType type;
  size_t offset;
  const char *def; /* default as the user would write it: parsed by es_scenario_new */
  /* Inclusive bounds of numeric types; min_open makes the lower one exclusive (> min),
   * for quantities where zero makes no sense (a rate, a timeout). */
  double min, max;
  gboolean min_open;
} EsKeyDef;

/* Through KEY_ so that the bound shorthands below expand into three arguments. */
#define KEY(...) KEY_(__VA_ARGS__)
#define KEY_(sec, k, type, field, def, min, max, open) \
  {sec, k, type, offsetof(EsScenario, field), def, min, max, open}
#define ANY 0, INFINITY, FALSE      /* >= 0 */
#define POSITIVE 0, INFINITY, TRUE  /* > 0 */
#define UNIT_RANGE 0, 1, FALSE

/* The one list of scenario keys, in the order es_scenario_to_keyfile writes them. */
static const EsKeyDef es_keys[] = {
    KEY("scenario", "name", ES_KEY_STRING, name, "default", ANY),
    KEY("scenario", "seed", ES_KEY_UINT64, seed, "1", ANY),
    KEY("scenario", "enbs", ES_KEY_UINT, enbs, "500", 1, 1000000, FALSE),
    KEY("scenario", "epoch", ES_KEY_TIME, epoch, "2026-11-01T00:00:00Z", ANY),
    KEY("scenario", "start_window", ES_KEY_DURATION, start_window_s, "1s", ANY),
    KEY("scenario", "stop_time", ES_KEY_DURATION, stop_time_s, "3600s", POSITIVE),
    KEY("topology", "aggregations", ES_KEY_UINT, aggregations, "0", 0, 1000000, FALSE),
    KEY("backhaul", "rate", ES_KEY_RATE, access.rate_bps, "100Mbps", POSITIVE),
    KEY("backhaul", "latency", ES_KEY_DURATION, access.delay_s, "5ms", ANY),
    KEY("backhaul", "loss", ES_KEY_PROBABILITY, access.loss, "0", UNIT_RANGE),
    KEY("aggregation", "rate", ES_KEY_RATE, aggregation.rate_bps, "1Gbps", POSITIVE),
    KEY("aggregation", "latency", ES_KEY_DURATION, aggregation.delay_s, "2ms", ANY),
    KEY("aggregation", "loss", ES_KEY_PROBABILITY, aggregation.loss, "0", UNIT_RANGE),
    KEY("core", "rate", ES_KEY_RATE, core.rate_bps, "10Gbps", POSITIVE),
    KEY("core", "latency", ES_KEY_DURATION, core.delay_s, "1ms", ANY),
    KEY("core", "loss", ES_KEY_PROBABILITY, core.loss, "0", UNIT_RANGE),
    KEY("pki", "key", ES_KEY_KEYTYPE, pki_key, "p256", ANY),
    KEY("pki", "cert_validity", ES_KEY_DURATION, cert_validity_s, "3650d", POSITIVE),
    KEY("raca", "confirm", ES_KEY_CONFIRM, confirm, "explicit", ANY),
    KEY("raca", "confirm_wait", ES_KEY_DURATION, confirm_wait_s, "30s", POSITIVE),
    KEY("raca", "workers", ES_KEY_UINT, workers, "2", 1, G_MAXUINT, FALSE),
    KEY("raca", "ir_service", ES_KEY_DURATION, ir_service_s, "2ms", ANY),
    KEY("raca", "certconf_service", ES_KEY_DURATION, certconf_service_s, "1ms", ANY),
    KEY("raca", "crl_validity", ES_KEY_DURATION, crl_validity_s, "3650d", POSITIVE),
    KEY("enb", "key", ES_KEY_KEYTYPE, enb_key, "p256", ANY),
    KEY("enb", "keygen_time", ES_KEY_DURATION, enb_keygen_s, "20ms", ANY),
    KEY("enb", "sign_time", ES_KEY_DURATION, enb_sign_s, "5ms", ANY),
    KEY("enb", "msg_timeout", ES_KEY_DURATION, msg_timeout_s, "60s", POSITIVE),
};

/* The key types pki/ knows how to generate. */
static const char *const es_key_types[] = {"p256", "p384", "rsa2048", NULL};

typedef union {
  guint u;
  guint64 u64;
  char *s; /* owned when parsed, borrowed when read from a scenario */
  EsConfirm confirm;
  double d;
  gint64 t;
} EsValue;

typedef struct {
  const char *suffix;
  double factor;
  gboolean divide; /* sub-second units divide, so "20ms" is exactly the double nearest 0.02 */
} EsUnit;

static const EsUnit duration_units[] = {
    {"us", 1e6, TRUE}, {"ms", 1e3, TRUE}, {"s", 1, FALSE},
    {"m", 60, FALSE},  {"h", 3600, FALSE}, {"d", 86400, FALSE}, {NULL, 0, FALSE}};
static const EsUnit rate_units[] = {
    {"bps", 1, FALSE}, {"kbps", 1e3, FALSE}, {"Mbps", 1e6, FALSE}, {"Gbps", 1e9, FALSE},
    {NULL, 0, FALSE}};

static char *unit_list(const EsUnit *units) {
  GString *s = g_string_new(NULL);
  for (const EsUnit *u = units; u->suffix; u++)
    g_string_append_printf(s, "%s%s", u == units ? "" : ", ", u->suffix);
  return g_string_free(s, FALSE);
}

/* A plain decimal number (no sign, no hex, no inf/nan: g_ascii_strtod alone takes all of
 * those) followed by one of `units`, or by nothing when units is NULL. Returns NULL on
 * success, else why the text was rejected. */
static char *parse_number_unit(const char *text, const EsUnit *units, double *out) {
  if (!text || !*text)
    return g_strdup("empty");
  if (*text == '-')
    return g_strdup("negative");
  const char *p = text;
  gsize digits = 0;
  for (; g_ascii_isdigit(*p); p++)
    digits++;
  if (*p == '.')
    for (p++; g_ascii_isdigit(*p); p++)
      digits++;
  if (digits == 0)
    return g_strdup("not a number");
  if ((*p == 'e' || *p == 'E') &&
      (g_ascii_isdigit(p[1]) || ((p[1] == '+' || p[1] == '-') && g_ascii_isdigit(p[2])))) {
    p += 2;
    while (g_ascii_isdigit(*p))
      p++;
  }
  char *number = g_strndup(text, (gsize)(p - text));
  char *end = NULL;
  double v = g_ascii_strtod(number, &end);
  gboolean whole = *end == '\0';
  g_free(number);
  if (!whole)
    return g_strdup("not a number");
  if (!isfinite(v))
    return g_strdup("out of range");

  if (!units) {
    if (*p)
      return g_strdup_printf("unexpected '%s' after the number", p);
    *out = v;
    return NULL;
  }
  const EsUnit *unit = NULL;
  for (const EsUnit *u = units; u->suffix && !unit; u++)
    if (strcmp(p, u->suffix) == 0)
      unit = u;
  if (!unit) {
    g_autofree char *list = unit_list(units);
    if (!*p)
      return g_strdup_printf("missing unit (one of %s)", list);
    return g_strdup_printf("unknown unit '%s' (one of %s)", p, list);
  }
  v = unit->divide ? v / unit->factor : v * unit->factor;
  if (!isfinite(v))
    return g_strdup("out of range");
  *out = v;
  return NULL;
}

gboolean es_parse_duration(const char *text, double *out_s) {
  double v;
  char *reason = parse_number_unit(text, duration_units, &v);
  if (reason) {
    g_free(reason);
    return FALSE;
  }
  if (out_s)
    *out_s = v;
  return TRUE;
}

gboolean es_parse_rate(const char *text, double *out_bps) {
  double v;
  char *reason = parse_number_unit(text, rate_units, &v);
  if (reason) {
    g_free(reason);
    return FALSE;
  }
  if (out_bps)
    *out_bps = v;
  return TRUE;
}

gboolean es_parse_probability(const char *text, double *out) {
  double v;
  char *reason = parse_number_unit(text, NULL, &v);
  if (reason) {
    g_free(reason);
    return FALSE;
  }
  if (v > 1)
    return FALSE;
  if (out)
    *out = v;
  return TRUE;
}

/* Shortest text that g_ascii_strtod reads back as the same double ("0.1", not the
 * "0.10000000000000001" of a fixed %.17g), so dumped scenarios stay readable. */
static void format_shortest(char *buf, gsize len, double v) {
  static const char *const formats[] = {"%.15g", "%.16g", "%.17g"};
  for (gsize i = 0; i < G_N_ELEMENTS(formats); i++) {
    g_ascii_formatd(buf, (int)len, formats[i], v);
    if (g_ascii_strtod(buf, NULL) == v)
      return;
  }
}

/* Canonical text of a value, which parse_value reads back to the same value. */
static char *format_value(const EsKeyDef *d, const EsValue *v) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE + 8];
  switch (d->type) {
  case ES_KEY_UINT:
    return g_strdup_printf("%u", v->u);
  case ES_KEY_UINT64:
    return g_strdup_printf("%" G_GUINT64_FORMAT, v->u64);
  case ES_KEY_STRING:
  case ES_KEY_KEYTYPE:
    return g_strdup(v->s ? v->s : "");
  case ES_KEY_CONFIRM:
    return g_strdup(v->confirm == ES_CONFIRM_IMPLICIT ? "implicit" : "explicit");
  case ES_KEY_DURATION:
    format_shortest(buf, sizeof buf, v->d);
    return g_strconcat(buf, "s", NULL);
  case ES_KEY_RATE:
    format_shortest(buf, sizeof buf, v->d);
    return g_strconcat(buf, "bps", NULL);
  case ES_KEY_PROBABILITY:
    format_shortest(buf, sizeof buf, v->d);
    return g_strdup(buf);
  case ES_KEY_TIME: {
    GDateTime *dt = g_date_time_new_from_unix_utc(v->t);
    char *text = dt ? g_date_time_format_iso8601(dt) : g_strdup_printf("%" G_GINT64_FORMAT, v->t);
    if (dt)
      g_date_time_unref(dt);
    return text;
  }
  }
  g_assert_not_reached();
}

static char *format_bound(const EsKeyDef *d, double bound) {
  EsValue v;
  if (d->type == ES_KEY_UINT)
    v.u = (guint)bound;
  else
    v.d = bound;
  return format_value(d, &v);
}

/* The table's bounds and the closed sets of words; NULL when the value is acceptable. */
static char *check_value(const EsKeyDef *d, const EsValue *v) {
  switch (d->type) {
  case ES_KEY_STRING:
    if (!v->s || !*v->s)
      return g_strdup("empty");
    if (!g_utf8_validate(v->s, -1, NULL))
      return g_strdup("not valid UTF-8");
    return NULL;
  case ES_KEY_KEYTYPE:
    if (v->s && g_strv_contains(es_key_types, v->s))
      return NULL;
    return g_strdup("expected p256, p384 or rsa2048");
  case ES_KEY_CONFIRM:
    if (v->confirm == ES_CONFIRM_EXPLICIT || v->confirm == ES_CONFIRM_IMPLICIT)
      return NULL;
    return g_strdup("expected explicit or implicit");
  case ES_KEY_UINT64:
  case ES_KEY_TIME:
    return NULL;
  case ES_KEY_UINT:
  case ES_KEY_DURATION:
  case ES_KEY_RATE:
  case ES_KEY_PROBABILITY:
    break;
  }
  double x = d->type == ES_KEY_UINT ? (double)v->u : v->d;
  if (isnan(x))
    return g_strdup("not a number");
  if (d->min_open ? !(x > d->min) : !(x >= d->min)) {
    g_autofree char *b = format_bound(d, d->min);
    return g_strdup_printf("must be %s %s", d->min_open ? "greater than" : "at least", b);
  }
  if (!(x <= d->max)) {
    g_autofree char *b = format_bound(d, d->max);
    return g_strdup_printf("must be at most %s", b);
  }
  return NULL;
}

/* Text to value, bounds included. On success the caller owns out->s for string types. */
static char *parse_value(const EsKeyDef *d, const char *raw, EsValue *out) {
  memset(out, 0, sizeof *out);
  /* Key files keep trailing blanks in values; they are noise around a number or a word. */
  g_autofree char *text = g_strdup(raw);
  if (d->type != ES_KEY_STRING)
    g_strstrip(text);
  char *reason = NULL;
  switch (d->type) {
  case ES_KEY_UINT:
  case ES_KEY_UINT64: {
    guint64 v = 0;
    if (!*text)
      return g_strdup("empty");
    if (*text == '-')
      return g_strdup("negative");
    GError *err = NULL;
    guint64 max = d->type == ES_KEY_UINT ? G_MAXUINT : G_MAXUINT64;
    if (!g_ascii_string_to_unsigned(text, 10, 0, max, &v, &err)) {
      reason = g_strdup(err->code == G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS
                            ? "too large"
                            : "not a non-negative integer");
      g_error_free(err);
      return reason;
    }
    if (d->type == ES_KEY_UINT)
      out->u = (guint)v;
    else
      out->u64 = v;
    break;
  }
  case ES_KEY_STRING:
  case ES_KEY_KEYTYPE:
    out->s = g_strdup(text);
    break;
  case ES_KEY_CONFIRM:
    if (strcmp(text, "explicit") == 0)
      out->confirm = ES_CONFIRM_EXPLICIT;
    else if (strcmp(text, "implicit") == 0)
      out->confirm = ES_CONFIRM_IMPLICIT;
    else
      return g_strdup("expected explicit or implicit");
    break;
  case ES_KEY_DURATION:
    reason = parse_number_unit(text, duration_units, &out->d);
    break;
  case ES_KEY_RATE:
    reason = parse_number_unit(text, rate_units, &out->d);
    break;
  case ES_KEY_PROBABILITY:
    reason = parse_number_unit(text, NULL, &out->d);
    break;
  case ES_KEY_TIME: {
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
  }
  if (!reason)
    reason = check_value(d, out);
  if (reason && (d->type == ES_KEY_STRING || d->type == ES_KEY_KEYTYPE))
    g_clear_pointer(&out->s, g_free);
  return reason;
}

static void read_value(const EsScenario *sc, const EsKeyDef *d, EsValue *v) {
  const void *p = G_STRUCT_MEMBER_P(sc, d->offset);
  switch (d->type) {
  case ES_KEY_UINT: v->u = *(const guint *)p; break;
  case ES_KEY_UINT64: v->u64 = *(const guint64 *)p; break;
  case ES_KEY_STRING:
  case ES_KEY_KEYTYPE: v->s = *(char *const *)p; break;
  case ES_KEY_CONFIRM: v->confirm = *(const EsConfirm *)p; break;
  case ES_KEY_DURATION:
  case ES_KEY_RATE:
  case ES_KEY_PROBABILITY: v->d = *(const double *)p; break;
  case ES_KEY_TIME: v->t = *(const gint64 *)p; break;
  }
}

/* Stores a parsed value, taking ownership of a string and freeing the one it replaces. */
static void store_value(EsScenario *sc, const EsKeyDef *d, EsValue *v) {
  void *p = G_STRUCT_MEMBER_P(sc, d->offset);
  switch (d->type) {
  case ES_KEY_UINT: *(guint *)p = v->u; break;
  case ES_KEY_UINT64: *(guint64 *)p = v->u64; break;
  case ES_KEY_STRING:
  case ES_KEY_KEYTYPE:
    g_free(*(char **)p);
    *(char **)p = g_steal_pointer(&v->s);
    break;
  case ES_KEY_CONFIRM: *(EsConfirm *)p = v->confirm; break;
  case ES_KEY_DURATION:
  case ES_KEY_RATE:
  case ES_KEY_PROBABILITY: *(double *)p = v->d; break;
  case ES_KEY_TIME: *(gint64 *)p = v->t; break;
  }
}

static gboolean is_string_type(const EsKeyDef *d) {
  return d->type == ES_KEY_STRING || d->type == ES_KEY_KEYTYPE;
}

static const EsKeyDef *find_key(const char *section, const char *key) {
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++)
    if (strcmp(es_keys[i].section, section) == 0 && strcmp(es_keys[i].key, key) == 0)
      return &es_keys[i];
  return NULL;
}

static gboolean is_section(const char *section) {
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++)
    if (strcmp(es_keys[i].section, section) == 0)
      return TRUE;
  return FALSE;
}

/* "section.key" → its definition; the key part may itself not contain a dot. */
static const EsKeyDef *find_dotted_key(const char *name) {
  const char *dot = strchr(name, '.');
  if (!dot)
    return NULL;
  g_autofree char *section = g_strndup(name, (gsize)(dot - name));
  return find_key(section, dot + 1);
}

EsScenario *es_scenario_new(void) {
  EsScenario *sc = g_new0(EsScenario, 1);
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++) {
    EsValue v;
    char *reason = parse_value(&es_keys[i], es_keys[i].def, &v);
    if (reason)
      g_error("built-in default %s.%s = '%s': %s", es_keys[i].section, es_keys[i].key,
              es_keys[i].def, reason);
    store_value(sc, &es_keys[i], &v);
  }
  return sc;
}

static void free_contents(EsScenario *sc) {
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++)
    if (is_string_type(&es_keys[i]))
      g_free(*(char **)G_STRUCT_MEMBER_P(sc, es_keys[i].offset));
}

void es_scenario_free(EsScenario *sc) {
  if (!sc)
    return;
  free_contents(sc);
  g_free(sc);
}

static EsScenario *scenario_copy(const EsScenario *sc) {
  EsScenario *copy = g_memdup2(sc, sizeof *sc);
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++)
    if (is_string_type(&es_keys[i])) {
      char **p = G_STRUCT_MEMBER_P(copy, es_keys[i].offset);
      *p = g_strdup(*p);
    }
  return copy;
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

/* Checks every group and key before changing anything: on error `sc` is as it was. */
gboolean es_scenario_load(EsScenario *sc, const char *path, GError **error) {
  g_return_val_if_fail(sc != NULL && path != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  gsize len = 0;
  char *reason = NULL;
  g_autofree char *data = read_file(path, &len, &reason);
  if (!data) {
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_FILE, "%s: %s", path, reason);
    g_free(reason);
    return FALSE;
  }
  g_autoptr(GKeyFile) kf = g_key_file_new();
  GError *inner = NULL;
  if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &inner)) {
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_FILE, "%s: %s", path,
                inner->message);
    g_error_free(inner);
    return FALSE;
  }

  g_autoptr(EsScenario) work = scenario_copy(sc);
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (gsize g = 0; groups[g]; g++) {
    if (!is_section(groups[g])) {
      g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_KEY, "%s: unknown group [%s]",
                  path, groups[g]);
      return FALSE;
    }
    g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[g], NULL, NULL);
    for (gsize k = 0; keys && keys[k]; k++) {
      const EsKeyDef *d = find_key(groups[g], keys[k]);
      if (!d) {
        g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_KEY,
                    "%s: unknown key [%s] %s", path, groups[g], keys[k]);
        return FALSE;
      }
      g_autofree char *text = g_key_file_get_string(kf, groups[g], keys[k], &inner);
      if (!text) {
        g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE, "%s: [%s] %s: %s", path,
                    groups[g], keys[k], inner->message);
        g_error_free(inner);
        return FALSE;
      }
      EsValue v;
      reason = parse_value(d, text, &v);
      if (reason) {
        g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                    "%s: [%s] %s: %s (value '%s')", path, groups[g], keys[k], reason, text);
        g_free(reason);
        return FALSE;
      }
      store_value(work, d, &v);
    }
  }
  free_contents(sc);
  *sc = *work;
  g_free(g_steal_pointer(&work));
  return TRUE;
}

gboolean es_scenario_set(EsScenario *sc, const char *key, const char *value, GError **error) {
  g_return_val_if_fail(sc != NULL && key != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  g_autofree char *name = NULL;
  if (value) {
    name = g_strdup(key);
  } else {
    const char *eq = strchr(key, '=');
    if (!eq) {
      g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_KEY,
                  "expected section.key=value, got '%s'", key);
      return FALSE;
    }
    name = g_strndup(key, (gsize)(eq - key));
    value = eq + 1;
  }
  g_strstrip(name);
  const EsKeyDef *d = find_dotted_key(name);
  if (!d) {
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_KEY, "unknown key '%s'", name);
    return FALSE;
  }
  EsValue v;
  char *reason = parse_value(d, value, &v);
  if (reason) {
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE, "%s: %s (value '%s')", name,
                reason, value);
    g_free(reason);
    return FALSE;
  }
  store_value(sc, d, &v);
  return TRUE;
}

/* Re-checks every key against the table (callers may have written fields directly), then
 * what no single key can know. */
gboolean es_scenario_validate(const EsScenario *sc, GError **error) {
  g_return_val_if_fail(sc != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++) {
    const EsKeyDef *d = &es_keys[i];
    EsValue v;
    read_value(sc, d, &v);
    char *reason = check_value(d, &v);
    if (reason) {
      g_autofree char *text = format_value(d, &v);
      g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE, "%s.%s: %s (value '%s')",
                  d->section, d->key, reason, text);
      g_free(reason);
      return FALSE;
    }
  }
  /* Spare aggregation routers would sit idle and skew per-router load figures. */
  if (sc->aggregations > sc->enbs) {
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                "topology.aggregations (%u) exceeds scenario.enbs (%u)", sc->aggregations,
                sc->enbs);
    return FALSE;
  }
  /* An eNB powering on after the run ends is never observed. */
  if (!(sc->start_window_s < sc->stop_time_s)) {
    char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
    format_shortest(a, sizeof a, sc->start_window_s);
    format_shortest(b, sizeof b, sc->stop_time_s);
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                "scenario.start_window (%ss) must be shorter than scenario.stop_time (%ss)", a,
                b);
    return FALSE;
  }
  return TRUE;
}

char *es_scenario_to_keyfile(const EsScenario *sc) {
  g_return_val_if_fail(sc != NULL, NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++) {
    const EsKeyDef *d = &es_keys[i];
    EsValue v;
    read_value(sc, d, &v);
    g_autofree char *text = format_value(d, &v);
    /* set_string escapes what a key file cannot hold verbatim (leading blanks, newlines). */
    if (is_string_type(d))
      g_key_file_set_string(kf, d->section, d->key, text);
    else
      g_key_file_set_value(kf, d->section, d->key, text);
  }
  return g_key_file_to_data(kf, NULL, NULL);
}
