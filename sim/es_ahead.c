/* A thread that makes a run's items ahead of need, in the order they will be needed, at most a
 * bounded number beyond the last one taken (sim/es_factory.c, sim/es_renew_ahead.c). */
#include "sim/es_run_priv.h"

#include <openssl/crypto.h>

struct EsAhead {
  EsAheadFn make;
  void *arg;
  guint n, ahead;
  GThread *thread;
  GMutex lock;
  GCond changed;
  guint made, taken;
  gboolean stop;
  gboolean maker_waits, main_waits; /* who sleeps on `changed` */
};

/* It works in bursts: woken only when half of what it may make ahead is taken, it makes that
 * many and sleeps again. A thread that is awake makes every munmap on the main thread (fiber
 * stacks, malloc) interrupt its core to flush the TLB, and wakes cost system calls on both
 * sides: woken per item it cost the main thread more than it saved. */
static gpointer ahead_main(gpointer data)
{
  EsAhead *a = data;
  for (guint i = 0; i < a->n; i++) {
    g_mutex_lock(&a->lock);
    while (!a->stop && i >= a->taken + a->ahead) {
      a->maker_waits = TRUE;
      g_cond_wait(&a->changed, &a->lock);
    }
    a->maker_waits = FALSE;
    gboolean stop = a->stop;
    g_mutex_unlock(&a->lock);
    if (stop)
      break;
    a->make(i, a->arg);
    g_mutex_lock(&a->lock);
    a->made = i + 1;
    if (a->main_waits)
      g_cond_broadcast(&a->changed);
    g_mutex_unlock(&a->lock);
  }
  OPENSSL_thread_stop();
  return NULL;
}

EsAhead *es_ahead_new(const char *name, guint n, guint ahead, EsAheadFn make, void *arg)
{
  EsAhead *a = g_new0(EsAhead, 1);
  a->make = make;
  a->arg = arg;
  a->n = n;
  a->ahead = MAX(ahead, 2);
  g_mutex_init(&a->lock);
  g_cond_init(&a->changed);
  a->thread = g_thread_new(name, ahead_main, a);
  return a;
}

void es_ahead_wait(EsAhead *a, guint i)
{
  g_mutex_lock(&a->lock);
  /* Needed out of order, far ahead: the thread may go on to it. */
  if (i >= a->taken + a->ahead) {
    a->taken = i + 1 - a->ahead;
    if (a->maker_waits)
      g_cond_broadcast(&a->changed);
  }
  while (a->made <= i) {
    a->main_waits = TRUE;
    g_cond_wait(&a->changed, &a->lock);
  }
  a->main_waits = FALSE;
  g_mutex_unlock(&a->lock);
}

void es_ahead_release(EsAhead *a, guint i)
{
  g_mutex_lock(&a->lock);
  a->taken = MAX(a->taken, i + 1);
  if (a->maker_waits && a->made <= a->taken + a->ahead / 2)
    g_cond_broadcast(&a->changed);
  g_mutex_unlock(&a->lock);
}

void es_ahead_free(EsAhead *a)
{
  if (a == NULL)
    return;
  g_mutex_lock(&a->lock);
  a->stop = TRUE;
  g_cond_broadcast(&a->changed);
  g_mutex_unlock(&a->lock);
  g_thread_join(a->thread);
  g_mutex_clear(&a->lock);
  g_cond_clear(&a->changed);
  g_free(a);
}
