/* A second thread for the eNBs' crypto: jobs run one at a time in the order submitted, so
 * what they share (key pools, randomness handed out in order) sees the same sequence in
 * every run, however the threads are scheduled. */
#ifndef ES_OFFLOAD_H
#define ES_OFFLOAD_H

#include <glib.h>

typedef struct EsOffload EsOffload;
typedef struct EsOffloadJob EsOffloadJob;
typedef void (*EsOffloadFn)(void *arg);

/* Starts the worker thread. */
EsOffload *es_offload_new(void);
/* Runs what is queued, then stops and joins the thread. */
void es_offload_free(EsOffload *offload);
/* Queues fn(arg); the job must be waited for (es_offload_wait) before arg is touched again. */
EsOffloadJob *es_offload_submit(EsOffload *offload, EsOffloadFn fn, void *arg);
/* Blocks until the job has run, and frees it. */
void es_offload_wait(EsOffload *offload, EsOffloadJob *job);

#endif
