/* A service station in engine time: K workers, a bounded FIFO of waiting jobs, service times
 * fixed or exponentially distributed. The RA/CA's capacity model, testable on its own. */
#ifndef ES_SERVICE_H
#define ES_SERVICE_H

#include <glib.h>
#include "nodes/es_engine.h"

typedef enum {
  ES_SERVICE_FIXED,       /* every job takes its mean */
  ES_SERVICE_EXPONENTIAL, /* drawn from the station's own stream of the run's seed */
} EsServiceDist;

typedef struct {
  guint workers;          /* jobs served at once (0 is taken as 1) */
  guint queue_limit;      /* jobs that may wait for a worker; 0: no limit */
  EsServiceDist dist;
  guint64 seed, stream;   /* randomness of exponential service times */
} EsServiceConfig;

/* A job's service time has elapsed: the callee owns `job` again. */
typedef void (*EsServiceDoneFn)(void *arg, void *job);
/* The number of waiting jobs or busy workers changed, at engine time t. */
typedef void (*EsServiceChangedFn)(void *arg, guint waiting, guint busy, double t);

typedef struct {
  guint64 served;         /* jobs whose service completed */
  guint64 rejected;       /* submissions refused because the queue was full */
  guint max_waiting;
  double busy_s;          /* summed service times of started jobs */
  double wait_sum_s;      /* summed queueing delay (submission to start of service) */
  double wait_max_s;
  guint64 started;        /* jobs that began service (the denominator of the mean wait) */
} EsServiceStats;

typedef struct EsService EsService;

EsService *es_service_new(const EsServiceConfig *config, EsEngine *engine, EsServiceDoneFn done,
                          void *arg);
/* Frees the station; jobs still waiting or in service go to `job_free` (may be NULL). */
void es_service_free(EsService *service, GDestroyNotify job_free);
void es_service_set_changed_cb(EsService *service, EsServiceChangedFn fn, void *arg);
/* A worker took `job` (its service time is already running, so the time the callback takes
 * is part of it when shorter): the callee may work on it, and owns it again only when done. */
void es_service_set_started_cb(EsService *service, EsServiceDoneFn fn, void *arg);
/* Queues `job` for `mean_s` of service (its mean under the exponential distribution).
 * FALSE when every worker is busy and the queue is full: the job stays the caller's. */
gboolean es_service_submit(EsService *service, void *job, double mean_s);
guint es_service_get_waiting(const EsService *service);
guint es_service_get_busy(const EsService *service);
void es_service_get_stats(const EsService *service, EsServiceStats *stats);

#endif
