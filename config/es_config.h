/* The configuration core: typed keys with units, bounds and defaults, declared in tables beside
 * the structs they fill (each layer its own section), and the one parser, checker and canonical
 * dump every table shares. Knows only GLib. */
#ifndef ES_CONFIG_H
#define ES_CONFIG_H

#include <glib.h>
#include <math.h>
#include <stddef.h>

#define ES_CONFIG_ERROR (es_config_error_quark())
GQuark es_config_error_quark(void);
typedef enum { ES_CONFIG_ERROR_FILE, ES_CONFIG_ERROR_KEY, ES_CONFIG_ERROR_VALUE } EsConfigError;

typedef enum {
  ES_CONFIG_UINT,        /* guint, decimal */
  ES_CONFIG_UINT64,      /* guint64, decimal */
  ES_CONFIG_STRING,      /* char *, UTF-8, not empty */
  ES_CONFIG_PATH,        /* char *, UTF-8, may be empty; relative to the key file that set it */
  ES_CONFIG_CHOICE,      /* an enum (int-sized): index into the key's words */
  ES_CONFIG_DURATION,    /* double seconds, written with a unit */
  ES_CONFIG_RATE,        /* double bits per second, written with a unit */
  ES_CONFIG_PROBABILITY, /* double in [0, 1] */
  ES_CONFIG_ARRIVALS,    /* double events per second, written with a unit (10/s, 3/min) */
  ES_CONFIG_TIME,        /* gint64 Unix seconds, written as ISO 8601 */
  ES_CONFIG_OUTAGES,     /* EsOutages *, owned, NULL when empty: "100s+30s,500s+10s" */
  /* EsValueList of the element type above them; the bounds apply to every element. */
  ES_CONFIG_UINT_LIST,
  ES_CONFIG_DURATION_LIST,
  ES_CONFIG_RATE_LIST,
  ES_CONFIG_PROBABILITY_LIST,
} EsConfigType;

/* A comma-separated list of numbers (per-level tree parameters, min,max ranges); n == 0
 * means the key was left empty. */
#define ES_CONFIG_LIST_MAX 8
typedef struct {
  guint n;
  double v[ES_CONFIG_LIST_MAX];
} EsValueList;
/* Value i, or `fallback` when the list is empty; a one-value list applies to every i. */
double es_value_list_get(const EsValueList *list, guint i, double fallback);

/* One key: where it goes in its struct, its default as a user would write it, and its bounds
 * (inclusive; min_open makes the lower one exclusive, for quantities where zero makes no
 * sense). Write tables with ES_CONFIG_KEY and the bound shorthands below. */
typedef struct {
  const char *section, *key;
  EsConfigType type;
  gsize offset;
  const char *def;
  double min, max;
  gboolean min_open;
  const char *const *words; /* ES_CONFIG_CHOICE: the accepted words, value = index */
  gboolean hidden;          /* an older name of another key: read, never written */
} EsConfigKey;

#define ES_CONFIG_KEY(T, sec, k, t, field, d, ...) \
  {.section = sec, .key = k, .type = t, .offset = offsetof(T, field), .def = d, __VA_ARGS__}
#define ES_CONFIG_CHOICE_KEY(T, sec, k, field, d, w) \
  ES_CONFIG_KEY(T, sec, k, ES_CONFIG_CHOICE, field, d, .words = w)
#define ES_ANY .max = INFINITY                      /* >= 0 */
#define ES_POSITIVE .max = INFINITY, .min_open = TRUE /* > 0 */
#define ES_UNIT_RANGE .max = 1                      /* [0, 1] */
#define ES_RANGE(lo, hi) .min = (lo), .max = (hi)
/* A gboolean as a choice: index 0 is FALSE. */
extern const char *const es_config_bool_words[];

/* Bounds of every duration and rate key, beyond its table's: a duration is 0 or within
 * [1ns, 100 years] (the simulated clock's step and well within its range); a rate is within
 * [1bps, 1Tbps]. Topology files' links are held to the same. */
#define ES_CONFIG_DURATION_MIN 1e-9
#define ES_CONFIG_DURATION_MAX 3155760000.0
#define ES_CONFIG_RATE_MIN 1.0
#define ES_CONFIG_RATE_MAX 1e12

/* A key file larger than this is refused (scenario files are a few kB). */
#define ES_CONFIG_FILE_MAX_BYTES (1 << 20)

/* A table placed in the struct being configured: its offsets are relative to `base`. */
typedef struct {
  const EsConfigKey *keys;
  gsize n, base;
} EsConfigPart;
#define ES_CONFIG_PART(table, base) {(table), G_N_ELEMENTS(table), (base)}

/* Which keys a file or es_config_set gave a value, as opposed to left at their default (a key
 * given its default value is given all the same). Owned by the configured struct. */
typedef struct EsConfigGiven EsConfigGiven;

/* What a configured struct is made of: its parts in dump order, and its size. With has_given,
 * the struct's EsConfigGiven * at given_offset records the keys given (es_config_is_given). */
typedef struct {
  const EsConfigPart *parts;
  gsize n_parts, size;
  gboolean has_given;
  gsize given_offset;
} EsConfigSchema;

/* Every key to its default. `obj` holds no owned value yet. */
void es_config_init(const EsConfigSchema *schema, void *obj);
/* Frees the owned values (strings, outages); the struct itself stays. */
void es_config_clear(const EsConfigSchema *schema, void *obj);
/* A deep copy of `src` into `dst`, which holds no owned value. */
void es_config_copy(const EsConfigSchema *schema, void *dst, const void *src);
/* Applies a key file over the current values: every section and key is checked before any is
 * changed. Errors name the file, the line, the key and why ("FILE:LINE: [section] key: ..."):
 * a syntax error, a key given twice in the file, an unknown section or key (with the closest
 * known name, when one is close), a bad value, a path key naming a file that cannot be read. */
gboolean es_config_load(const EsConfigSchema *schema, void *obj, const char *path,
                        GError **error);
/* Applies `section.key=value` (value NULL), or `section.key` and `value`; checked as in a
 * file, a relative path taken from the working directory. */
gboolean es_config_set(const EsConfigSchema *schema, void *obj, const char *key,
                       const char *value, GError **error);
/* Whether a file or es_config_set gave `key` (an entry of the schema's tables) a value; FALSE
 * for a key left at its default, and for every key of a schema without has_given. */
gboolean es_config_is_given(const EsConfigSchema *schema, const void *obj,
                            const EsConfigKey *key);
/* Re-checks every key against its bounds (callers may have written fields directly). */
gboolean es_config_check(const EsConfigSchema *schema, const void *obj, GError **error);
/* Every key, canonical units, as key file text. */
char *es_config_to_keyfile(const EsConfigSchema *schema, const void *obj);
/* "section.key", for callers that name a key in a message: NULL when not in the schema. */
const EsConfigKey *es_config_find(const EsConfigSchema *schema, const char *section,
                                  const char *key);

/* The canonical text of a duration ("0.5s"), for messages. */
char *es_format_duration(double seconds);

/* Unit parsers: "20ms" "1.5s" "2m" "10min" "1h" "3650d" "250us";
 * "100Mbps" "1Gbps" "64kbps" "9600bps".
 * Reject negatives, NaN, missing or unknown units. */
gboolean es_parse_duration(const char *text, double *out_s);
gboolean es_parse_rate(const char *text, double *out_bps);
gboolean es_parse_probability(const char *text, double *out);

#endif
