/* One simulated run of a scenario: PKI, ns-3 network, RA/CA and eNBs wired together, run to
 * completion, and the result files written. */
#ifndef ES_RUN_H
#define ES_RUN_H

#include <signal.h>
#include <glib.h>
#include "results/es_recorder.h"
#include "engines/es_sim.h"
#include "sim/es_scenario.h"

#define ES_RUN_ERROR (es_run_error_quark())
GQuark es_run_error_quark(void);
typedef enum { ES_RUN_ERROR_SCENARIO, ES_RUN_ERROR_IO, ES_RUN_ERROR_SETUP } EsRunError;

/* Where a run is, for a progress report. */
typedef struct {
  double sim_s;     /* simulated time reached */
  guint enbs;       /* eNBs of the scenario */
  guint enrolled;   /* eNBs that enrolled so far */
  guint finished;   /* eNBs done, enrolled or failed */
  guint64 events;   /* simulation events so far */
} EsRunProgress;
typedef void (*EsRunProgressFn)(void *arg, const EsRunProgress *progress);

/* Nodes whose packets a run captures: eNBs first..last (numbered from 1), or RA/CAs
 * first..last (numbered from 0; last G_MAXUINT: every one, however many the network has). */
typedef struct {
  EsSimNodeKind kind;
  guint first, last;
} EsRunCapture;
/* Each capture keeps a file open. */
#define ES_RUN_PCAP_MAX 500

typedef struct {
  const char *out_dir;   /* created if missing; refused when it holds an earlier run's results */
  gboolean overwrite;    /* first remove the files earlier runs wrote in out_dir (es_outdir) */
  gboolean keep_certs;   /* DIR/certs/enb-<i>.pem */
  gboolean quiet;        /* no notes on stdout */
  guint replication;     /* replication number, for summary.json (a sweep counts from 1) */
  const EsRunCapture *captures; /* nodes whose packets go to DIR/pcap/ (--pcap) */
  guint n_captures;
  gboolean one_thread;   /* no second thread at all: no device factory, no offload (the
                          * results are the same) */
  EsRunProgressFn progress; /* NULL, or called every few dozen events while the run goes on */
  void *progress_arg;
  /* NULL, or set non-zero (to the signal's number) by a signal handler: the run stops after
   * the event under way and writes every result file for what happened until then, marked
   * interrupted (summary.json's "interrupted"). A run never interrupted is the same as one
   * without it. */
  const volatile sig_atomic_t *interrupt;
} EsRunOptions;

typedef struct {
  EsRecorderStats stats;
  double sim_time_s;     /* last enrolment end or revocation */
  double wall_time_s;
  guint64 events;
  char *report;          /* what the console shows: eNBs, certificates, latency, speed */
  char **diagnostics;    /* warnings about the results (also in summary.json), NULL-terminated */
  int interrupted_by;    /* the signal that stopped the run early, 0 when it ended by itself */
  double interrupted_at_s; /* simulated time it reached then */
} EsRunResult;
/* Frees the report and the diagnostics. */
void es_run_result_clear(EsRunResult *result);

/* Runs `sc` (validated by the caller). Results already written stay on disk whatever fails
 * later; the error names the file or stage. An out_dir holding an earlier run's results is
 * refused before anything is written (ES_OUTDIR_ERROR_HOLDS_RESULTS) unless `overwrite`. */
gboolean es_run_scenario(const EsScenario *sc, const EsRunOptions *options, EsRunResult *result,
                         GError **error);

#endif
