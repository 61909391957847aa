/* Per-eNB enrolment timelines and outcomes, and enrolments.csv (one row per eNB); the
 * summary.json metrics they give are es_summary_add_recorder's. Knows only GLib. */
#ifndef ES_RECORDER_H
#define ES_RECORDER_H

#include <glib.h>

#define ES_RESULTS_ERROR (es_results_error_quark())
GQuark es_results_error_quark(void);
typedef enum {
  ES_RESULTS_ERROR_IO,               /* a file could not be read or written */
  ES_RESULTS_ERROR_PARSE,            /* a file is not what its name says (bad JSON, bad CSV) */
  ES_RESULTS_ERROR_FORMAT,           /* a summary of another format version */
  ES_RESULTS_ERROR_MISMATCH,         /* results of different scenarios or parameters */
  ES_RESULTS_ERROR_USAGE,            /* a bad argument (tolerance, metric name) */
  ES_RESULTS_ERROR_GNUPLOT_MISSING,  /* gnuplot is not installed */
  ES_RESULTS_ERROR_GNUPLOT,          /* gnuplot ran and failed */
} EsResultsError;

/* Writes a result file whole or not at all (a temporary file renamed over it); the error
 * names the file. */
gboolean es_results_write_file(const char *path, const GString *text, GError **error);

typedef enum {
  ES_MARK_START,           /* the eNB powered on and began enrolling */
  ES_MARK_IR_SENT,
  ES_MARK_IP_RECEIVED,
  ES_MARK_CERTCONF_SENT,
  ES_MARK_PKICONF_RECEIVED,
  ES_MARK_DONE,            /* enrolled, or gave up */
  ES_MARK_COUNT
} EsMark;

/* Per-eNB counts, each a column of enrolments.csv and a sum under "retransmissions" in
 * summary.json. */
typedef enum {
  ES_COUNT_CMP_RETRANSMISSIONS, /* a CMP message POSTed again after a timeout (enb.retry=resend) */
  ES_COUNT_TCP_RETRANSMISSIONS, /* TCP segments sent again on this eNB's connections */
  ES_COUNT_BUSY_RETRIES,        /* a request sent again after a 503 with Retry-After */
  ES_COUNT_ABANDONED,           /* transactions given up to start a new one (enb.retry=restart) */
  ES_COUNT_RACA_DUPLICATES,     /* its resent requests the RA/CA answered from its cache */
  ES_COUNT_N
} EsCount;

typedef struct EsRecorder EsRecorder;

/* eNBs are numbered 1..n_enbs. */
EsRecorder *es_recorder_new(guint n_enbs);
void es_recorder_free(EsRecorder *rec);
guint es_recorder_get_enbs(const EsRecorder *rec);

/* Records the time of a step; only the first mark of each step counts (a retransmitted
 * ir keeps the first ir_sent_s). Steps never reached stay empty in the CSV. */
void es_recorder_mark(EsRecorder *rec, guint enb, EsMark mark, double t_s);
/* "enrolled" or a short failure reason without commas or newlines (others are replaced). */
void es_recorder_set_outcome(EsRecorder *rec, guint enb, const char *outcome);
void es_recorder_set_attempts(EsRecorder *rec, guint enb, guint attempts);
/* Upper-case hex, as `openssl x509 -serial` prints it. */
void es_recorder_set_serial(EsRecorder *rec, guint enb, const char *serial_hex);
void es_recorder_set_revoked(EsRecorder *rec, guint enb, gboolean revoked);
void es_recorder_add_count(EsRecorder *rec, guint enb, EsCount count, guint n);
/* Where the eNB sits: its access class ("fibre", "satellite", a topology file's link class;
 * NULL or "" when unknown) and the RA/CA it enrols with (ES_RECORDER_NO_RACA: unknown). */
#define ES_RECORDER_NO_RACA G_MAXUINT
void es_recorder_set_site(EsRecorder *rec, guint enb, const char *access, guint raca);
const char *es_recorder_get_access(const EsRecorder *rec, guint enb); /* "" when unknown */
guint es_recorder_get_count(const EsRecorder *rec, guint enb, EsCount count);
/* Column name of a count in enrolments.csv ("cmp_retransmissions", ...). */
const char *es_count_name(EsCount count);

const char *es_recorder_get_outcome(const EsRecorder *rec, guint enb); /* NULL: none yet */
const char *es_recorder_get_serial(const EsRecorder *rec, guint enb);
double es_recorder_get_mark(const EsRecorder *rec, guint enb, EsMark mark); /* NaN: none */
guint es_recorder_get_attempts(const EsRecorder *rec, guint enb);
/* pollReqs the eNB sent in its enrolment (delayed delivery), resends not counted. */
void es_recorder_set_polls(EsRecorder *rec, guint enb, guint polls);
guint es_recorder_get_polls(const EsRecorder *rec, guint enb);

typedef struct {
  /* enrolled + failed + unfinished + installed + renewed == enbs. unfinished: still enrolling
   * when the run stopped (outcome "unfinished") or never started (no outcome): no verdict, so
   * not failed. A run that starts enrolled: installed (holding its installed certificate, not
   * renewed) and renewed; a failed renewal is failed. */
  guint enbs, enrolled, failed, unfinished, installed, renewed;
  guint holding_revoked; /* eNBs that hold a certificate, and it was revoked (not certificates) */
  /* done_s - start_s over enrolled eNBs, nearest rank; NaN when none enrolled */
  double p50, p90, p99, max, mean;
} EsRecorderStats;
/* Over every eNB, or (access not NULL) over the eNBs of that access class. */
void es_recorder_stats(const EsRecorder *rec, const char *access, EsRecorderStats *stats);
/* The access classes of the eNBs, sorted, NULL-terminated (free with g_free; the strings are
 * the recorder's); empty when no site was set. */
const char **es_recorder_dup_accesses(const EsRecorder *rec);

/* Header `enb,start_s,ir_sent_s,ip_received_s,certconf_sent_s,pkiconf_received_s,done_s,
 * outcome,attempts,serial,revoked,cmp_retransmissions,tcp_retransmissions,busy_retries,
 * abandoned,raca_duplicates,access,raca,polls`, then one row per eNB in order; times with 6
 * decimals. New columns go last, so scripts that count columns keep working. */
gboolean es_recorder_write_csv(const EsRecorder *rec, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsRecorder, es_recorder_free)

#endif
