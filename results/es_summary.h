/* summary.json: a run's metrics and how to reproduce it, built as an ordered tree of named
 * values and written by hand so the same run always gives the same bytes. Knows only GLib. */
#ifndef ES_SUMMARY_H
#define ES_SUMMARY_H

#include "results/es_recorder.h"
#include <glib.h>

/* Version of the summary.json layout. Readers (compare, sweep) read this one and the one
 * before, mapped onto it (es_summary_file.c), and refuse others: a metric that moved or
 * changed meaning must not be compared with its old self. 1 was the layout without "format"
 * and run attributes (enrolsim 0.1); 2 had top-level enbs, enrolled, failed, a "revoked"
 * that counted eNBs, and certificates under invariants and revocations. */
#define ES_SUMMARY_FORMAT 3

/* Everything that depends on the wall clock or the host lives in this one object of
 * summary.json, and nothing else does: the same scenario and seed give the same file but for
 * its members. compare reports them without judging them unless asked. */
#define ES_SUMMARY_WALL_CLOCK "wall_clock"

/* The metrics of summary.json that readers name: its path (a '*' stands for any text, as in
 * racas.*.max_queue, each RA/CA's), unit, which way is better (compare judges by it), and for
 * the main metrics the column sweep.csv gives them and a label for plots. One table for the
 * writers' layout, compare and sweep; the first entry whose path matches a metric is it. */
typedef enum { ES_BETTER_NONE, ES_BETTER_LOWER, ES_BETTER_HIGHER } EsBetter;
typedef struct {
  const char *name;   /* sweep.csv column stem; NULL: not a main metric */
  const char *label;  /* axis label of its plots */
  const char *path;
  const char *unit;   /* "s", "eNBs", "1/s", "requests", "" (a ratio or a count) */
  EsBetter better;
} EsMetricSpec;
#define ES_SUMMARY_MAIN_METRICS 28
/* Every entry: the main metrics first (n_main of them, in sweep.csv's order), then the
 * patterns for the rest. */
const EsMetricSpec *es_summary_metrics(guint *n, guint *n_main);
/* The entry a metric path falls under, NULL when none does. */
const EsMetricSpec *es_summary_metric_spec(const char *path);

typedef struct EsSummary EsSummary;

/* A tree holding {"format": ES_SUMMARY_FORMAT}. */
EsSummary *es_summary_new(void);
void es_summary_free(EsSummary *s);

/* Values at dotted paths ("racas.0.max_queue"); objects on the way are created. Members keep
 * the order in which they were first set, so the caller decides the layout; setting a path
 * again replaces the value in place. A path through a value that is not an object, or an
 * empty segment, is a programming error (g_return_if_fail). Doubles are written with six
 * decimals (microseconds for times); NaN and infinities are written as null. */
void es_summary_set_uint(EsSummary *s, const char *path, guint64 v);
void es_summary_set_double(EsSummary *s, const char *path, double v);
void es_summary_set_string(EsSummary *s, const char *path, const char *v); /* NULL: null */
/* Adds to an unsigned counter, creating it at 0: later counters slot in by name. */
void es_summary_add_uint(EsSummary *s, const char *path, guint64 n);
/* An empty object, so a group is present (and in its place) even with no members yet. */
void es_summary_set_object(EsSummary *s, const char *path);

/* A run a signal stopped early: {"interrupted": {"signal": "SIGINT", "sim_time_s": at_s}},
 * at_s the run's clock when it stopped (simulated, or seconds since the start of a live
 * run). A run that ended by itself has no "interrupted" member. Its figures cover the run
 * until then; eNBs still enrolling count under enbs.unfinished. */
void es_summary_set_interrupted(EsSummary *s, int signal, double at_s);
/* "SIGINT", "SIGTERM", "SIGHUP", else "signal N" (a static buffer for other numbers). */
const char *es_summary_signal_name(int signal);

/* The recorder's metrics: enbs (total, enrolled, failed, unfinished: still enrolling when the
 * run stopped or never started, holding_revoked: eNBs whose last certificate was revoked;
 * by_outcome: eNBs per outcome, by name), latency_s (p50, p90, p99,
 * max, mean of done_s - start_s over enrolled eNBs; null when none enrolled), completion_s
 * (simulated time at which 50, 90, 99 and 100 % of all eNBs had enrolled; null when never),
 * throughput (enrolments per simulated second from the first power-on to the last
 * enrolment), by_access (per access class: enbs, enrolled, failed, unfinished, latency_s), attempts (ir
 * attempts: total, most by one eNB) and retransmissions.ir_retries (ir attempts beyond each
 * eNB's first). */
void es_summary_add_recorder(EsSummary *s, const EsRecorder *rec);

/* Every key of an effective scenario (key-file text) as strings under `path`, grouped by
 * section, in file order: {"scenario": {"name": "small", ...}, "backhaul": {...}}. */
gboolean es_summary_set_parameters(EsSummary *s, const char *path, const char *keyfile,
                                   GError **error);

/* The JSON text (2-space indentation, one member per line, final newline). */
char *es_summary_to_json(const EsSummary *s);
/* Written to a temporary file and renamed: a failure leaves no half-written file. */
gboolean es_summary_write(const EsSummary *s, const char *path, GError **error);

/* Build facts for the run attributes: enrolsim's version, the git revision it was built from
 * (with "-dirty" when the tree had changes; "unknown" outside a git checkout), and the ns-3
 * version it was built against. Generated at build time (es_build_info.c.in). */
const char *es_build_version(void);
const char *es_build_git_revision(void);
const char *es_build_ns3_version(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsSummary, es_summary_free)

#endif
