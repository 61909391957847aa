/* summary.json as an ordered tree of named values, serialised by hand with fixed number
 * formats so that one scenario and seed always give the same bytes (json-glib's writer prints
 * doubles with 17 digits and would turn 0.083 into 0.083000000000000004). */
#include "results/es_summary.h"

#include <signal.h>
#include <math.h>
#include <string.h>

typedef enum { NODE_NULL, NODE_OBJECT, NODE_UINT, NODE_DOUBLE, NODE_STRING } NodeType;

typedef struct Node Node;
struct Node {
  char *key;
  NodeType type;
  union {
    guint64 u;
    double d;
    char *s;
    GPtrArray *members; /* Node *, in insertion order */
  } v;
};

struct EsSummary {
  Node *root;
};

static void node_clear(Node *n)
{
  if (n->type == NODE_STRING)
    g_free(n->v.s);
  else if (n->type == NODE_OBJECT)
    g_ptr_array_unref(n->v.members);
  n->type = NODE_NULL;
  memset(&n->v, 0, sizeof n->v);
}

static void node_free(gpointer p)
{
  Node *n = p;
  node_clear(n);
  g_free(n->key);
  g_free(n);
}

static void node_make_object(Node *n)
{
  node_clear(n);
  n->type = NODE_OBJECT;
  n->v.members = g_ptr_array_new_with_free_func(node_free);
}

static Node *node_new(const char *key)
{
  Node *n = g_new0(Node, 1);
  n->key = g_strdup(key);
  return n;
}

EsSummary *es_summary_new(void)
{
  EsSummary *s = g_new0(EsSummary, 1);
  s->root = node_new(NULL);
  node_make_object(s->root);
  es_summary_set_uint(s, "format", ES_SUMMARY_FORMAT);
  return s;
}

void es_summary_free(EsSummary *s)
{
  if (!s)
    return;
  node_free(s->root);
  g_free(s);
}

static Node *member(Node *obj, const char *key)
{
  for (guint i = 0; i < obj->v.members->len; i++) {
    Node *m = g_ptr_array_index(obj->v.members, i);
    if (strcmp(m->key, key) == 0)
      return m;
  }
  return NULL;
}

/* The node at segs[0..n-1], created (as null, objects on the way) when missing. Segments
 * are taken as they are, so a key may contain a dot (an outcome name, say). */
static Node *resolve(EsSummary *s, const char *const *segs, guint n)
{
  Node *at = s->root;
  for (guint i = 0; i < n; i++) {
    g_return_val_if_fail(segs[i] != NULL && segs[i][0] != '\0', NULL);
    if (at->type == NODE_NULL)
      node_make_object(at);
    g_return_val_if_fail(at->type == NODE_OBJECT, NULL);
    Node *next = member(at, segs[i]);
    if (!next) {
      next = node_new(segs[i]);
      g_ptr_array_add(at->v.members, next);
    }
    at = next;
  }
  return at;
}

static Node *resolve_path(EsSummary *s, const char *path)
{
  g_return_val_if_fail(s != NULL && path != NULL, NULL);
  char **segs = g_strsplit(path, ".", -1);
  Node *n = resolve(s, (const char *const *)segs, g_strv_length(segs));
  g_strfreev(segs);
  return n;
}

void es_summary_set_uint(EsSummary *s, const char *path, guint64 v)
{
  Node *n = resolve_path(s, path);
  g_return_if_fail(n != NULL);
  node_clear(n);
  n->type = NODE_UINT;
  n->v.u = v;
}

void es_summary_set_double(EsSummary *s, const char *path, double v)
{
  Node *n = resolve_path(s, path);
  g_return_if_fail(n != NULL);
  node_clear(n);
  n->type = NODE_DOUBLE;
  n->v.d = v;
}

static void set_string_node(Node *n, const char *v)
{
  node_clear(n);
  if (v) {
    n->type = NODE_STRING;
    n->v.s = g_strdup(v);
  }
}

void es_summary_set_string(EsSummary *s, const char *path, const char *v)
{
  Node *n = resolve_path(s, path);
  g_return_if_fail(n != NULL);
  set_string_node(n, v);
}

static void add_uint_node(Node *n, guint64 add)
{
  if (n->type != NODE_UINT) {
    node_clear(n);
    n->type = NODE_UINT;
  }
  n->v.u += add;
}

void es_summary_add_uint(EsSummary *s, const char *path, guint64 add)
{
  Node *n = resolve_path(s, path);
  g_return_if_fail(n != NULL);
  add_uint_node(n, add);
}

void es_summary_set_object(EsSummary *s, const char *path)
{
  Node *n = resolve_path(s, path);
  g_return_if_fail(n != NULL);
  if (n->type != NODE_OBJECT)
    node_make_object(n);
}

/* ---- metrics from the recorder -------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The simulated time at which ceil(pct % of n) eNBs had enrolled: `done` holds the sorted
 * completion times of the enrolled ones. Integer arithmetic, as for the percentiles. */
static double completion_at(const double *done, gsize n_done, guint n_enbs, guint pct)
{
  gsize need = ((gsize)pct * n_enbs + 99) / 100;
  need = MAX(need, 1);
  return need <= n_done ? done[need - 1] : NAN;
}

/* A new member of object `obj`, appended: keys are taken whole (an access class may hold a
 * dot). */
static Node *add_member(Node *obj, const char *key, NodeType type)
{
  Node *m = node_new(key);
  if (type == NODE_OBJECT)
    node_make_object(m);
  else
    m->type = type;
  g_ptr_array_add(obj->v.members, m);
  return m;
}

/* enbs, enrolled, failed, unfinished and latency_s of `st` into the new object `obj`. */
static void add_enb_figures(Node *obj, const EsRecorderStats *st)
{
  add_member(obj, "enbs", NODE_UINT)->v.u = st->enbs;
  add_member(obj, "enrolled", NODE_UINT)->v.u = st->enrolled;
  add_member(obj, "failed", NODE_UINT)->v.u = st->failed;
  add_member(obj, "unfinished", NODE_UINT)->v.u = st->unfinished;
  Node *lat = add_member(obj, "latency_s", NODE_OBJECT);
  add_member(lat, "p50", NODE_DOUBLE)->v.d = st->p50;
  add_member(lat, "p90", NODE_DOUBLE)->v.d = st->p90;
  add_member(lat, "p99", NODE_DOUBLE)->v.d = st->p99;
  add_member(lat, "max", NODE_DOUBLE)->v.d = st->max;
  add_member(lat, "mean", NODE_DOUBLE)->v.d = st->mean;
}

const char *es_summary_signal_name(int signal)
{
  static char other[24];
  switch (signal) {
  case SIGINT: return "SIGINT";
  case SIGTERM: return "SIGTERM";
  case SIGHUP: return "SIGHUP";
  }
  g_snprintf(other, sizeof other, "signal %d", signal);
  return other;
}

void es_summary_set_interrupted(EsSummary *s, int signal, double at_s)
{
  g_return_if_fail(s != NULL && signal > 0);
  es_summary_set_string(s, "interrupted.signal", es_summary_signal_name(signal));
  es_summary_set_double(s, "interrupted.sim_time_s", at_s);
}

/* Mean, p50 and p90 (nearest rank) of `n` latencies under `path`; NaN when none. */
static void add_latencies(EsSummary *s, const char *path, double *lat, gsize n)
{
  double sum = 0;
  for (gsize i = 0; i < n; i++)
    sum += lat[i];
  qsort(lat, n, sizeof *lat, cmp_double);
  static const guint pcts[] = {50, 90};
  char *key = g_strconcat(path, ".mean", NULL);
  es_summary_set_double(s, key, n > 0 ? sum / (double)n : NAN);
  g_free(key);
  for (gsize i = 0; i < G_N_ELEMENTS(pcts); i++) {
    gsize rank = CLAMP(((gsize)pcts[i] * n + 99) / 100, 1, MAX(n, 1));
    key = g_strdup_printf("%s.p%u", path, pcts[i]);
    es_summary_set_double(s, key, n > 0 ? lat[rank - 1] : NAN);
    g_free(key);
  }
}

/* Delayed delivery: pollReqs per enrolled eNB, and the time to certificate (done_s -
 * start_s) of enrolled eNBs that polled and of those that did not. */
static void add_polls(EsSummary *s, const EsRecorder *rec)
{
  guint n = es_recorder_get_enbs(rec);
  double *polled = g_new(double, MAX(n, 1)), *unpolled = g_new(double, MAX(n, 1));
  gsize n_polled = 0, n_unpolled = 0;
  guint64 total = 0, of_enrolled = 0, enrolled = 0;
  for (guint k = 1; k <= n; k++) {
    guint p = es_recorder_get_polls(rec, k);
    total += p;
    const char *outcome = es_recorder_get_outcome(rec, k);
    double start = es_recorder_get_mark(rec, k, ES_MARK_START);
    double end = es_recorder_get_mark(rec, k, ES_MARK_DONE);
    if (outcome == NULL || strcmp(outcome, "enrolled") != 0 || isnan(start) || isnan(end))
      continue;
    enrolled++;
    of_enrolled += p;
    if (p > 0)
      polled[n_polled++] = end - start;
    else
      unpolled[n_unpolled++] = end - start;
  }
  es_summary_set_uint(s, "polls.total", total);
  es_summary_set_double(s, "polls.per_enrolment",
                        enrolled > 0 ? (double)of_enrolled / (double)enrolled : NAN);
  es_summary_set_uint(s, "polls.enrolled_polled", n_polled);
  add_latencies(s, "polls.latency_polled_s", polled, n_polled);
  add_latencies(s, "polls.latency_unpolled_s", unpolled, n_unpolled);
  g_free(polled);
  g_free(unpolled);
}

void es_summary_add_recorder(EsSummary *s, const EsRecorder *rec)
{
  g_return_if_fail(s != NULL && rec != NULL);
  EsRecorderStats st;
  es_recorder_stats(rec, NULL, &st);
  guint n = es_recorder_get_enbs(rec);
  double *done = g_new(double, MAX(n, 1));
  gsize n_done = 0;
  double first_start = INFINITY, last_done = -INFINITY;
  guint64 attempts = 0, retries = 0, max_attempts = 0, counts[ES_COUNT_N] = {0};
  GHashTable *outcomes = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint k = 1; k <= n; k++) {
    double start = es_recorder_get_mark(rec, k, ES_MARK_START);
    double end = es_recorder_get_mark(rec, k, ES_MARK_DONE);
    const char *outcome = es_recorder_get_outcome(rec, k);
    guint a = es_recorder_get_attempts(rec, k);
    attempts += a;
    retries += a > 1 ? a - 1 : 0;
    max_attempts = MAX(max_attempts, a);
    for (int c = 0; c < ES_COUNT_N; c++)
      counts[c] += es_recorder_get_count(rec, k, c);
    if (!isnan(start))
      first_start = MIN(first_start, start);
    /* An eNB never given an outcome never powered on: it is counted, not hidden. */
    const char *name = outcome ? outcome : "not_started";
    guint c = GPOINTER_TO_UINT(g_hash_table_lookup(outcomes, name));
    g_hash_table_insert(outcomes, (gpointer)name, GUINT_TO_POINTER(c + 1));
    if (!outcome || strcmp(outcome, "enrolled") != 0 || isnan(end))
      continue;
    done[n_done++] = end;
    last_done = MAX(last_done, end);
  }
  qsort(done, n_done, sizeof *done, cmp_double);

  /* eNBs here, certificates under "certificates" (the run adds them): never one number for
   * both. */
  es_summary_set_uint(s, "enbs.total", st.enbs);
  es_summary_set_uint(s, "enbs.enrolled", st.enrolled);
  es_summary_set_uint(s, "enbs.failed", st.failed);
  es_summary_set_uint(s, "enbs.unfinished", st.unfinished);
  if (st.installed + st.renewed > 0) {
    es_summary_set_uint(s, "enbs.installed", st.installed);
    es_summary_set_uint(s, "enbs.renewed", st.renewed);
  }
  es_summary_set_uint(s, "enbs.holding_revoked", st.holding_revoked);
  /* Sorted by name: the order of first appearance would depend on eNB numbering. */
  es_summary_set_object(s, "enbs.by_outcome");
  guint n_names = 0;
  char **names = (char **)g_hash_table_get_keys_as_array(outcomes, &n_names);
  qsort(names, n_names, sizeof *names, cmp_str);
  for (guint i = 0; i < n_names; i++) {
    const char *seg[] = {"enbs", "by_outcome", names[i]};
    Node *m = resolve(s, seg, 3);
    node_clear(m);
    m->type = NODE_UINT;
    m->v.u = GPOINTER_TO_UINT(g_hash_table_lookup(outcomes, names[i]));
  }
  g_free(names);
  g_hash_table_destroy(outcomes);

  es_summary_set_double(s, "latency_s.p50", st.p50);
  es_summary_set_double(s, "latency_s.p90", st.p90);
  es_summary_set_double(s, "latency_s.p99", st.p99);
  es_summary_set_double(s, "latency_s.max", st.max);
  es_summary_set_double(s, "latency_s.mean", st.mean);
  static const guint pcts[] = {50, 90, 99, 100};
  for (gsize i = 0; i < G_N_ELEMENTS(pcts); i++) {
    char path[32];
    g_snprintf(path, sizeof path, "completion_s.p%u", pcts[i]);
    es_summary_set_double(s, path, completion_at(done, n_done, n, pcts[i]));
  }
  gboolean window = n_done > 0 && isfinite(first_start) && last_done > first_start;
  es_summary_set_double(s, "throughput.enrolments_per_s",
                        window ? (double)n_done / (last_done - first_start) : NAN);
  es_summary_set_double(s, "throughput.first_start_s", isfinite(first_start) ? first_start : NAN);
  es_summary_set_double(s, "throughput.last_enrolled_s", n_done > 0 ? last_done : NAN);

  /* Per access class: a p99 that is the satellite floor says so here. */
  const char **accesses = es_recorder_dup_accesses(rec);
  if (accesses[0] != NULL) {
    es_summary_set_object(s, "by_access");
    Node *by = member(s->root, "by_access");
    for (const char **a = accesses; *a != NULL; a++) {
      EsRecorderStats as;
      es_recorder_stats(rec, *a, &as);
      add_enb_figures(add_member(by, *a, NODE_OBJECT), &as);
    }
  }
  g_free(accesses);

  es_summary_set_uint(s, "attempts.total", attempts);
  es_summary_set_uint(s, "attempts.max", max_attempts);
  es_summary_add_uint(s, "retransmissions.ir_retries", retries);
  for (int c = 0; c < ES_COUNT_N; c++) {
    char *path = g_strconcat("retransmissions.", es_count_name(c), NULL);
    es_summary_add_uint(s, path, counts[c]);
    g_free(path);
  }
  g_free(done);
  add_polls(s, rec);
}

gboolean es_summary_set_parameters(EsSummary *s, const char *path, const char *keyfile,
                                   GError **error)
{
  g_return_val_if_fail(s != NULL && path != NULL && keyfile != NULL, FALSE);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  if (!g_key_file_load_from_data(kf, keyfile, (gsize)-1, G_KEY_FILE_NONE, error))
    return FALSE;
  es_summary_set_object(s, path);
  Node *base = resolve_path(s, path);
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (gsize g = 0; groups[g]; g++) {
    g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[g], NULL, NULL);
    for (gsize k = 0; keys && keys[k]; k++) {
      g_autofree char *value = g_key_file_get_string(kf, groups[g], keys[k], error);
      if (!value)
        return FALSE;
      if (base->type != NODE_OBJECT)
        node_make_object(base);
      Node *group = member(base, groups[g]);
      if (!group) {
        group = node_new(groups[g]);
        node_make_object(group);
        g_ptr_array_add(base->v.members, group);
      }
      Node *leaf = member(group, keys[k]);
      if (!leaf) {
        leaf = node_new(keys[k]);
        g_ptr_array_add(group->v.members, leaf);
      }
      set_string_node(leaf, value);
    }
  }
  return TRUE;
}

/* ---- JSON text ------------------------------------------------------------------------ */

/* JSON string with quotes; invalid UTF-8 is replaced so the file always parses. */
static void append_json_string(GString *out, const char *s)
{
  char *valid = g_utf8_make_valid(s, -1);
  g_string_append_c(out, '"');
  for (const char *p = valid; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\')
      g_string_append_printf(out, "\\%c", c);
    else if (c < 0x20)
      g_string_append_printf(out, "\\u%04x", c);
    else
      g_string_append_c(out, (char)c);
  }
  g_string_append_c(out, '"');
  g_free(valid);
}

static void append_node(GString *out, const Node *n, guint depth)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE + 320];
  switch (n->type) {
  case NODE_NULL:
    g_string_append(out, "null");
    return;
  case NODE_UINT:
    g_string_append_printf(out, "%" G_GUINT64_FORMAT, n->v.u);
    return;
  case NODE_DOUBLE:
    /* JSON has no NaN or infinity; %.6f of a finite double always fits the buffer. */
    if (isfinite(n->v.d))
      g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.6f", n->v.d));
    else
      g_string_append(out, "null");
    return;
  case NODE_STRING:
    append_json_string(out, n->v.s);
    return;
  case NODE_OBJECT:
    break;
  }
  if (n->v.members->len == 0) {
    g_string_append(out, "{}");
    return;
  }
  g_string_append(out, "{\n");
  for (guint i = 0; i < n->v.members->len; i++) {
    const Node *m = g_ptr_array_index(n->v.members, i);
    for (guint d = 0; d <= depth; d++)
      g_string_append(out, "  ");
    append_json_string(out, m->key);
    g_string_append(out, ": ");
    append_node(out, m, depth + 1);
    g_string_append(out, i + 1 < n->v.members->len ? ",\n" : "\n");
  }
  for (guint d = 0; d < depth; d++)
    g_string_append(out, "  ");
  g_string_append_c(out, '}');
}

char *es_summary_to_json(const EsSummary *s)
{
  g_return_val_if_fail(s != NULL, NULL);
  GString *out = g_string_new(NULL);
  append_node(out, s->root, 0);
  g_string_append_c(out, '\n');
  return g_string_free(out, FALSE);
}

gboolean es_summary_write(const EsSummary *s, const char *path, GError **error)
{
  g_return_val_if_fail(s != NULL && path != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  g_autofree char *text = es_summary_to_json(s);
  GError *inner = NULL;
  if (!g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0666, &inner)) {
    g_set_error(error, ES_RESULTS_ERROR, ES_RESULTS_ERROR_IO, "cannot write %s: %s", path,
                inner->message);
    g_error_free(inner);
    return FALSE;
  }
  return TRUE;
}

#define MAIN(name, label, path, unit, better) {name, label, path, unit, ES_BETTER_##better}
#define REST(path, unit, better) {NULL, NULL, path, unit, ES_BETTER_##better}
/* Counts of work done (requests, events, busy time) have no good direction: a change there is
 * just a change. */
static const EsMetricSpec metrics[] = {
    MAIN("enrolled", "eNBs enrolled", "enbs.enrolled", "eNBs", HIGHER),
    MAIN("failed", "eNBs not enrolled", "enbs.failed", "eNBs", LOWER),
    MAIN("enbs_holding_revoked", "eNBs left holding a revoked certificate",
         "enbs.holding_revoked", "eNBs", LOWER),
    MAIN("certs_issued", "certificates issued", "certificates.issued", "certificates", NONE),
    MAIN("certs_revoked", "certificates revoked", "certificates.revoked", "certificates", LOWER),
    MAIN("certs_revoked_confirm_timeout", "certificates revoked: no certConf in time",
         "certificates.revoked_by_reason.confirm_timeout", "certificates", LOWER),
    MAIN("certs_revoked_certconf_failed", "certificates revoked: certConf did not verify",
         "certificates.revoked_by_reason.certconf_failed", "certificates", LOWER),
    MAIN("certs_revoked_rejected_by_enb", "certificates revoked: rejected by the eNB",
         "certificates.revoked_by_reason.rejected_by_enb", "certificates", LOWER),
    MAIN("certs_revoked_superseded", "certificates revoked: superseded by a newer one",
         "certificates.revoked_by_reason.superseded", "certificates", NONE),
    MAIN("certs_revoked_requested", "certificates revoked: on their holder's request",
         "certificates.revoked_by_reason.requested", "certificates", NONE),
    MAIN("certs_revoked_issue_failed", "certificates revoked: no response could carry them",
         "certificates.revoked_by_reason.issue_failed", "certificates", LOWER),
    MAIN("certs_valid_unheld", "certificates valid but held by no eNB",
         "certificates.valid_unheld", "certificates", LOWER),
    MAIN("latency_mean_s", "mean enrolment latency of enrolled eNBs (s)", "latency_s.mean", "s",
         LOWER),
    MAIN("latency_p50_s", "median enrolment latency of enrolled eNBs (s)", "latency_s.p50", "s",
         LOWER),
    MAIN("latency_p90_s", "p90 enrolment latency of enrolled eNBs (s)", "latency_s.p90", "s",
         LOWER),
    MAIN("latency_p99_s", "p99 enrolment latency of enrolled eNBs (s)", "latency_s.p99", "s",
         LOWER),
    MAIN("latency_max_s", "maximum enrolment latency of enrolled eNBs (s)", "latency_s.max", "s",
         LOWER),
    MAIN("completion_p50_s", "time until 50 % of eNBs enrolled (s)", "completion_s.p50", "s",
         LOWER),
    MAIN("completion_p90_s", "time until 90 % of eNBs enrolled (s)", "completion_s.p90", "s",
         LOWER),
    MAIN("completion_p99_s", "time until 99 % of eNBs enrolled (s)", "completion_s.p99", "s",
         LOWER),
    MAIN("completion_p100_s", "time until every eNB enrolled (s)", "completion_s.p100", "s",
         LOWER),
    MAIN("throughput_per_s", "enrolments per simulated second", "throughput.enrolments_per_s",
         "1/s", HIGHER),
    MAIN("raca_utilisation", "RA/CA utilisation (busiest RA/CA, 0 to 1)", "racas.*.utilisation",
         "", NONE),
    MAIN("raca_max_queue", "longest RA/CA queue (requests)", "racas.*.max_queue", "requests",
         LOWER),
    MAIN("raca_mean_queued", "mean RA/CA queue (requests, busiest RA/CA)", "racas.*.mean_queued",
         "requests", LOWER),
    MAIN("raca_max_wait_s", "longest wait in an RA/CA queue (s)",
         "racas.*.queueing_delay_s.max", "s", LOWER),
    MAIN("sim_time_s", "simulated time of the run (s)", "sim_time_s", "s", NONE),
    MAIN("wall_time_s", "wall-clock time of the run (s)", ES_SUMMARY_WALL_CLOCK ".wall_time_s",
         "s", LOWER),
    REST(ES_SUMMARY_WALL_CLOCK ".enrolments_per_wall_s", "1/s", HIGHER),
    REST(ES_SUMMARY_WALL_CLOCK ".*", "", LOWER),
    REST("enbs.by_outcome.enrolled", "eNBs", HIGHER),
    REST("enbs.by_outcome.*", "eNBs", LOWER),
    REST("enbs.total", "eNBs", NONE),
    REST("enbs.unfinished", "eNBs", LOWER),
    REST("interrupted.*", "s", NONE),
    REST("by_access.*.enrolled", "eNBs", HIGHER),
    REST("by_access.*.failed", "eNBs", LOWER),
    REST("by_access.*.unfinished", "eNBs", LOWER),
    REST("by_access.*.enbs", "eNBs", NONE),
    REST("by_access.*.latency_s.*", "s", LOWER),
    REST("certificates.held_valid", "certificates", NONE),
    REST("certificates.awaiting_confirm", "certificates", NONE),
    REST("throughput.*", "s", NONE),
    REST("latency_s.*", "s", LOWER),
    REST("completion_s.*", "s", LOWER),
    REST("revocations.*", "s", LOWER),
    REST("retransmissions.*", "", LOWER),
    REST("attempts.*", "", LOWER),
    REST("polls.latency_*", "s", LOWER),
    REST("polls.*", "", NONE),
    REST("racas.*.errors", "requests", LOWER),
    REST("racas.*.duplicates", "requests", LOWER),
    REST("racas.*.revoked", "certificates", LOWER),
};
G_STATIC_ASSERT(ES_SUMMARY_MAIN_METRICS <= G_N_ELEMENTS(metrics));

const EsMetricSpec *es_summary_metrics(guint *n, guint *n_main)
{
  if (n)
    *n = G_N_ELEMENTS(metrics);
  if (n_main)
    *n_main = ES_SUMMARY_MAIN_METRICS;
  return metrics;
}

const EsMetricSpec *es_summary_metric_spec(const char *path)
{
  g_return_val_if_fail(path != NULL, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(metrics); i++)
    if (g_pattern_match_simple(metrics[i].path, path))
      return &metrics[i];
  return NULL;
}
