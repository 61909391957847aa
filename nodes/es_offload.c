/* The offload thread: a FIFO of jobs under one mutex; the submitter waits on a job's done flag
 * only when it needs the result, which in simulated time is a modelled CPU time later. */
#include "nodes/es_offload.h"

#include <openssl/crypto.h>

struct EsOffloadJob {
  EsOffloadFn fn;
  void *arg;
  gboolean done;
};

struct EsOffload {
  GThread *thread;
  GMutex lock;
  GCond work, finished;
  GQueue queue;          /* EsOffloadJob, not started */
  gboolean stop;
  gboolean waiting;      /* the submitter sleeps on `finished` */
};

static gpointer worker(gpointer data)
{
  EsOffload *o = data;
  g_mutex_lock(&o->lock);
  for (;;) {
    EsOffloadJob *job = g_queue_pop_head(&o->queue);
    if (job == NULL) {
      if (o->stop)
        break;
      g_cond_wait(&o->work, &o->lock);
      continue;
    }
    g_mutex_unlock(&o->lock);
    job->fn(job->arg);
    g_mutex_lock(&o->lock);
    job->done = TRUE;
    if (o->waiting)
      g_cond_broadcast(&o->finished);
  }
  g_mutex_unlock(&o->lock);
  OPENSSL_thread_stop();
  return NULL;
}

EsOffload *es_offload_new(void)
{
  EsOffload *o = g_new0(EsOffload, 1);
  g_mutex_init(&o->lock);
  g_cond_init(&o->work);
  g_cond_init(&o->finished);
  o->thread = g_thread_new("es-offload", worker, o);
  return o;
}

void es_offload_free(EsOffload *o)
{
  if (o == NULL)
    return;
  g_mutex_lock(&o->lock);
  o->stop = TRUE;
  g_cond_signal(&o->work);
  g_mutex_unlock(&o->lock);
  g_thread_join(o->thread);
  g_queue_clear_full(&o->queue, g_free); /* none: the worker drains the queue first */
  g_mutex_clear(&o->lock);
  g_cond_clear(&o->work);
  g_cond_clear(&o->finished);
  g_free(o);
}

EsOffloadJob *es_offload_submit(EsOffload *o, EsOffloadFn fn, void *arg)
{
  EsOffloadJob *job = g_new0(EsOffloadJob, 1);
  job->fn = fn;
  job->arg = arg;
  g_mutex_lock(&o->lock);
  g_queue_push_tail(&o->queue, job);
  if (o->queue.length == 1)
    g_cond_signal(&o->work);
  g_mutex_unlock(&o->lock);
  return job;
}

void es_offload_wait(EsOffload *o, EsOffloadJob *job)
{
  g_mutex_lock(&o->lock);
  while (!job->done) {
    o->waiting = TRUE;
    g_cond_wait(&o->finished, &o->lock);
  }
  o->waiting = FALSE;
  g_mutex_unlock(&o->lock);
  g_free(job);
}
