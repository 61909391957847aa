/* The RA/CAs' service queues over simulated time: requests waiting for a worker, workers
 * busy, and the CA's backlog (requests answered `waiting` whose certificate is not made yet),
 * as a step function per RA/CA, written as raca_queue.csv. Knows only GLib. */
#ifndef ES_QUEUE_LOG_H
#define ES_QUEUE_LOG_H

#include <glib.h>

typedef struct EsQueueLog EsQueueLog;

EsQueueLog *es_queue_log_new(void);
void es_queue_log_free(EsQueueLog *log);

/* The state of RA/CA `raca` from time t on. Several changes at the same instant keep only
 * the last state (a request that arrives and starts at once never waited), and a state equal
 * to the previous one adds nothing. Times must not go backwards per RA/CA; a sample that
 * does is ignored with a critical warning. */
void es_queue_log_record(EsQueueLog *log, guint raca, guint queued, guint busy, double t);
/* Likewise for the backlog alone: the queue stays as last recorded. */
void es_queue_log_record_waiting(EsQueueLog *log, guint raca, guint waiting, double t);

typedef struct {
  guint samples;
  guint max_queued, max_busy;
  double mean_queued, mean_busy; /* time averages over [first sample, end_s] */
} EsQueueStats;

/* FALSE (stats zeroed) when nothing was recorded for `raca`. */
gboolean es_queue_log_stats(const EsQueueLog *log, guint raca, double end_s, EsQueueStats *stats);

#define ES_QUEUE_LOG_HEADER "time_s,raca,queued,busy,waiting"
/* Header ES_QUEUE_LOG_HEADER, then rows in time order (RA/CA order within a time);
 * times with six decimals. Written atomically. */
gboolean es_queue_log_write_csv(const EsQueueLog *log, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsQueueLog, es_queue_log_free)

#endif
