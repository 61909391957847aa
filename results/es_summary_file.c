/* summary.json read with json-glib and checked: an object of the current format, with the
 * run attributes compare and sweep rely on; metrics are flattened once, in file order. */
#include "results/es_summary_file.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "results/es_summary.h"

struct EsSummaryFile {
  char *path;
  char *scenario;
  char *seed;
  char *interrupted_by;   /* interrupted.signal, NULL for a run that ended by itself */
  double interrupted_at_s;
  guint64 replication;
  GHashTable *attributes; /* name -> string */
  GPtrArray *param_names; /* char *, NULL-terminated */
  GHashTable *params;     /* "section.key" -> value */
  GArray *metrics;        /* EsMetric */
  GHashTable *by_path;    /* path -> index + 1 in metrics */
};

void es_summary_file_free(EsSummaryFile *f)
{
  if (!f)
    return;
  g_free(f->path);
  g_free(f->scenario);
  g_free(f->seed);
  g_free(f->interrupted_by);
  g_hash_table_destroy(f->attributes);
  g_ptr_array_unref(f->param_names);
  g_hash_table_destroy(f->params);
  for (guint i = 0; i < f->metrics->len; i++)
    g_free(g_array_index(f->metrics, EsMetric, i).path);
  g_array_unref(f->metrics);
  g_hash_table_destroy(f->by_path);
  g_free(f);
}

static gboolean is_identity(const char *path)
{
  return strcmp(path, "format") == 0 || strcmp(path, "seed") == 0 ||
         strcmp(path, "replication") == 0;
}

static char *format3_path(const char *path);

static void flatten(EsSummaryFile *f, JsonObject *obj, const char *prefix, gint64 format)
{
  GList *names = json_object_get_members(obj);
  for (GList *l = names; l; l = l->next) {
    const char *name = l->data;
    JsonNode *n = json_object_get_member(obj, name);
    g_autofree char *path = prefix ? g_strconcat(prefix, ".", name, NULL) : g_strdup(name);
    if (!prefix && (strcmp(name, "attributes") == 0 || is_identity(name)))
      continue;
    if (JSON_NODE_HOLDS_OBJECT(n)) {
      flatten(f, json_node_get_object(n), path, format);
      continue;
    }
    EsMetric m = {NULL, NAN, FALSE};
    if (JSON_NODE_HOLDS_NULL(n)) {
      m.is_null = TRUE;
    } else if (JSON_NODE_HOLDS_VALUE(n) && (json_node_get_value_type(n) == G_TYPE_INT64 ||
                                            json_node_get_value_type(n) == G_TYPE_DOUBLE)) {
      m.value = json_node_get_double(n);
    } else {
      continue; /* strings and arrays are not metrics */
    }
    m.path = format == ES_SUMMARY_FORMAT ? g_steal_pointer(&path) : format3_path(path);
    if (m.path == NULL)
      continue;
    g_array_append_val(f->metrics, m);
    g_hash_table_insert(f->by_path, m.path, GUINT_TO_POINTER(f->metrics->len));
  }
  g_list_free(names);
}

static const char *object_string(JsonObject *obj, const char *name)
{
  JsonNode *n = obj ? json_object_get_member(obj, name) : NULL;
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string(n);
}

static JsonObject *object_object(JsonObject *obj, const char *name)
{
  JsonNode *n = obj ? json_object_get_member(obj, name) : NULL;
  return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

/* The checks that make a file comparable: its format version first, since an old file
 * misses everything else too and the version is the reason worth telling. */
static gboolean check_format(JsonObject *root, const char *path, gint64 *format,
                             GError **error)
{
  JsonNode *n = json_object_get_member(root, "format");
  if (!n) {
    if ((json_object_has_member(root, "enrolled") || json_object_has_member(root, "enbs"))
        && json_object_has_member(root, "latency_s"))
      g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_FORMAT,
                  "%s: an older summary format (1, written by enrolsim 0.1, without run "
                  "attributes); this enrolsim reads format %d: run the scenario again",
                  path, ES_SUMMARY_FORMAT);
    else
      g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_FORMAT,
                  "%s: not an enrolsim summary (no \"format\" member)", path);
    return FALSE;
  }
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_FORMAT,
                "%s: \"format\" is not an integer", path);
    return FALSE;
  }
  gint64 v = json_node_get_int(n);
  if (v != ES_SUMMARY_FORMAT && v != ES_SUMMARY_FORMAT - 1) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_FORMAT,
                "%s: summary format %" G_GINT64_FORMAT " (%s); this enrolsim reads formats %d "
                "and %d%s",
                path, v, v < ES_SUMMARY_FORMAT ? "older" : "newer", ES_SUMMARY_FORMAT - 1,
                ES_SUMMARY_FORMAT,
                v < ES_SUMMARY_FORMAT ? ": run the scenario again" : ": use a newer enrolsim");
    return FALSE;
  }
  *format = v;
  return TRUE;
}

/* Format 2's metrics under their format 3 names, so an old baseline compares with a new
 * run: its "revoked" counted eNBs, its certificate counts sat under invariants and
 * revocations. A NULL new name drops a metric format 3 has under another name already. A
 * prefix entry (ending in '.') renames everything below it. */
static const struct {
  const char *old, *new;
} format2_names[] = {
    {"enbs", "enbs.total"},
    {"enrolled", "enbs.enrolled"},
    {"failed", "enbs.failed"},
    {"revoked", "enbs.holding_revoked"},
    {"outcomes.", "enbs.by_outcome."},
    {"invariants.issued", "certificates.issued"},
    {"invariants.held", "certificates.held_valid"},
    {"invariants.revoked", NULL},
    {"invariants.unheld_valid", "certificates.valid_unheld"},
    {"invariants.held_revoked", NULL},
    {"revocations.total", "certificates.revoked"},
    {"revocations.by_reason.", "certificates.revoked_by_reason."},
};

/* `path` as format 3 names it (a new string), or NULL when it has no place there. */
static char *format3_path(const char *path)
{
  for (gsize i = 0; i < G_N_ELEMENTS(format2_names); i++) {
    const char *old = format2_names[i].old, *new = format2_names[i].new;
    gboolean prefix = g_str_has_suffix(old, ".");
    if (prefix ? !g_str_has_prefix(path, old) : strcmp(path, old) != 0)
      continue;
    if (new == NULL)
      return NULL;
    return prefix ? g_strconcat(new, path + strlen(old), NULL) : g_strdup(new);
  }
  return g_strdup(path);
}

/* The deepest nesting of objects and arrays in `text`, stopping once it passes `limit`:
 * json-glib's parser, and flatten() after it, recurse once per level, so a file nested
 * 200,000 deep would overflow the stack. Strings are skipped, escapes included. */
static guint nesting_depth(const char *text, gsize len, guint limit)
{
  guint depth = 0, deepest = 0;
  gboolean in_string = FALSE;
  for (gsize i = 0; i < len && deepest <= limit; i++) {
    char ch = text[i];
    if (in_string) {
      if (ch == '\\')
        i++;
      else if (ch == '"')
        in_string = FALSE;
    } else if (ch == '"') {
      in_string = TRUE;
    } else if (ch == '{' || ch == '[') {
      deepest = MAX(deepest, ++depth);
    } else if ((ch == '}' || ch == ']') && depth > 0) {
      depth--;
    }
  }
  return deepest;
}

/* The summary at `path` parsed, within the bounds: a regular file, at most
 * ES_SUMMARY_FILE_MAX_BYTES, nested at most ES_SUMMARY_FILE_MAX_DEPTH, a JSON object. */
static JsonParser *read_bounded(const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  GError *inner = NULL;
  /* A summary is a few kB; a device or a huge file is not one, and is not read whole. */
  GStatBuf st;
  if (g_stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size > ES_SUMMARY_FILE_MAX_BYTES)) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_PARSE,
                "%s: not an enrolsim summary (%s)", path,
                !S_ISREG(st.st_mode) ? "not a regular file" : "larger than 64 MiB");
    return NULL;
  }
  if (!g_file_get_contents(path, &text, &len, &inner)) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_IO, "%s", inner->message);
    g_error_free(inner);
    return NULL;
  }
  if (nesting_depth(text, len, ES_SUMMARY_FILE_MAX_DEPTH) > ES_SUMMARY_FILE_MAX_DEPTH) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_PARSE,
                "%s: not an enrolsim summary (objects nested more than %d deep)", path,
                ES_SUMMARY_FILE_MAX_DEPTH);
    return NULL;
  }
  JsonParser *parser = json_parser_new();
  if (!json_parser_load_from_data(parser, text, (gssize)len, &inner)) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_PARSE, "%s: not valid JSON: %s", path,
                inner->message);
    g_error_free(inner);
    g_object_unref(parser);
    return NULL;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_PARSE, "%s: not a JSON object", path);
    g_object_unref(parser);
    return NULL;
  }
  return parser;
}

static char *summary_path(const char *dir_or_json)
{
  return g_file_test(dir_or_json, G_FILE_TEST_IS_DIR)
             ? g_build_filename(dir_or_json, "summary.json", NULL)
             : g_strdup(dir_or_json);
}

/* "interrupted": {"signal", "sim_time_s"} of `root`: the signal's name (a new string), NULL
 * when there is no such member. */
static char *interrupted_of(JsonObject *root, double *at_s)
{
  JsonObject *interrupted = object_object(root, "interrupted");
  *at_s = NAN;
  if (interrupted == NULL)
    return NULL;
  const char *by = object_string(interrupted, "signal");
  JsonNode *at = json_object_get_member(interrupted, "sim_time_s");
  if (at != NULL && JSON_NODE_HOLDS_VALUE(at)
      && (json_node_get_value_type(at) == G_TYPE_DOUBLE
          || json_node_get_value_type(at) == G_TYPE_INT64))
    *at_s = json_node_get_double(at);
  return g_strdup(by != NULL ? by : "a signal");
}

char *es_summary_file_peek_interrupted(const char *dir_or_json, double *at_s)
{
  g_return_val_if_fail(dir_or_json != NULL && at_s != NULL, NULL);
  g_autofree char *path = summary_path(dir_or_json);
  *at_s = NAN;
  g_autoptr(JsonParser) parser = read_bounded(path, NULL);
  return parser != NULL ? interrupted_of(json_node_get_object(json_parser_get_root(parser)), at_s)
                        : NULL;
}

EsSummaryFile *es_summary_file_load(const char *dir_or_json, GError **error)
{
  g_return_val_if_fail(dir_or_json != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  g_autofree char *path = summary_path(dir_or_json);
  g_autoptr(JsonParser) parser = read_bounded(path, error);
  if (parser == NULL)
    return NULL;
  JsonObject *root = json_node_get_object(json_parser_get_root(parser));
  gint64 format = 0;
  if (!check_format(root, path, &format, error))
    return NULL;
  JsonObject *attrs = object_object(root, "attributes");
  JsonObject *params = object_object(attrs, "parameters");
  const char *scenario = object_string(root, "scenario");
  if (!scenario || !params) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_FORMAT,
                "%s: no %s: not the summary of a run of a scenario (enrolsim run, or enrolsim "
                "enrol of this version or later)", path,
                !scenario ? "scenario name" : "attributes.parameters");
    return NULL;
  }

  EsSummaryFile *f = g_new0(EsSummaryFile, 1);
  f->path = g_steal_pointer(&path);
  f->scenario = g_strdup(scenario);
  f->attributes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  f->param_names = g_ptr_array_new_with_free_func(g_free);
  f->params = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  f->metrics = g_array_new(FALSE, FALSE, sizeof(EsMetric));
  f->by_path = g_hash_table_new(g_str_hash, g_str_equal);
  JsonNode *rep = json_object_get_member(root, "replication");
  if (rep && JSON_NODE_HOLDS_VALUE(rep) && json_node_get_value_type(rep) == G_TYPE_INT64)
    f->replication = (guint64)MAX(json_node_get_int(rep), 0);

  GList *names = json_object_get_members(attrs);
  for (GList *l = names; l; l = l->next) {
    const char *v = object_string(attrs, l->data);
    if (v)
      g_hash_table_insert(f->attributes, g_strdup(l->data), g_strdup(v));
  }
  g_list_free(names);
  GList *sections = json_object_get_members(params);
  for (GList *s = sections; s; s = s->next) {
    JsonObject *sec = object_object(params, s->data);
    GList *keys = sec ? json_object_get_members(sec) : NULL;
    for (GList *k = keys; k; k = k->next) {
      const char *v = object_string(sec, k->data);
      if (!v)
        continue;
      char *name = g_strconcat(s->data, ".", k->data, NULL);
      g_ptr_array_add(f->param_names, name);
      g_hash_table_insert(f->params, name, g_strdup(v));
    }
    g_list_free(keys);
  }
  g_list_free(sections);
  g_ptr_array_add(f->param_names, NULL);
  const char *seed = g_hash_table_lookup(f->params, "scenario.seed");
  f->seed = g_strdup(seed ? seed : "?");
  f->interrupted_by = interrupted_of(root, &f->interrupted_at_s);
  flatten(f, root, NULL, format);
  return f;
}

const char *es_summary_file_get_path(const EsSummaryFile *f)
{
  return f->path;
}
const char *es_summary_file_get_scenario(const EsSummaryFile *f)
{
  return f->scenario;
}
const char *es_summary_file_get_seed(const EsSummaryFile *f)
{
  return f->seed;
}
guint64 es_summary_file_get_replication(const EsSummaryFile *f)
{
  return f->replication;
}

const char *es_summary_file_get_interrupted(const EsSummaryFile *f, double *at_s)
{
  if (at_s != NULL)
    *at_s = f->interrupted_at_s;
  return f->interrupted_by;
}

const char *es_summary_file_get_attribute(const EsSummaryFile *f, const char *name)
{
  return g_hash_table_lookup(f->attributes, name);
}

const char *es_summary_file_get_engine(const EsSummaryFile *f)
{
  const char *engine = es_summary_file_get_attribute(f, "engine");
  return engine != NULL ? engine : "simulated";
}

const char *const *es_summary_file_get_parameter_names(const EsSummaryFile *f)
{
  return (const char *const *)f->param_names->pdata;
}

const char *es_summary_file_get_parameter(const EsSummaryFile *f, const char *name)
{
  return g_hash_table_lookup(f->params, name);
}

guint es_summary_file_get_n_metrics(const EsSummaryFile *f)
{
  return f->metrics->len;
}

const EsMetric *es_summary_file_get_metric(const EsSummaryFile *f, guint i)
{
  g_return_val_if_fail(i < f->metrics->len, NULL);
  return &g_array_index(f->metrics, EsMetric, i);
}

const EsMetric *es_summary_file_find_metric(const EsSummaryFile *f, const char *path)
{
  guint i = GPOINTER_TO_UINT(g_hash_table_lookup(f->by_path, path));
  return i ? &g_array_index(f->metrics, EsMetric, i - 1) : NULL;
}
