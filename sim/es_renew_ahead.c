/* An installed base's renewals made ahead on a second thread: each eNB's kur (new key pair,
 * protected) in the order the renewals fall due, its signatures checked ahead as well. */
#include "sim/es_run_priv.h"

#include <math.h>

#include <openssl/crypto.h>

/* A renewal needs nothing the simulation decides but its time, drawn at installation, as long
 * as nothing else touches the eNB before it: no rollover (root updates, kurs under the new
 * root) and no revocation (rrs). At most RENEW_AHEAD sessions wait made, each with its fiber
 * stack and OpenSSL state (about 80 KiB). */
#define RENEW_AHEAD 64
#define RENEW_LOW_WATER (RENEW_AHEAD / 2)

struct EsRenewAhead {
  EsRun *run;
  guint *order; /* eNB numbers, by the time their renewal falls due */
  double *due;  /* that time, as drawn at installation */
  guint *pos;   /* 1..N: the eNB's index in order */
  guint n;
  GThread *thread;
  GMutex lock;
  GCond changed;
  guint made, taken;
  gboolean stop;
  gboolean ahead_waits, main_waits; /* who sleeps on `changed` */
};

static const EsRun *sort_run; /* qsort has no argument; set only while sorting */

/* By due time, then by number: the order the engine runs their timers in (es_run_install
 * schedules them by number). */
static int by_due(const void *a, const void *b)
{
  guint x = *(const guint *)a, y = *(const guint *)b;
  double tx = sort_run->renewals[x].at, ty = sort_run->renewals[y].at;
  return tx < ty ? -1 : tx > ty ? 1 : (x > y) - (x < y);
}

static gpointer ahead_main(gpointer data)
{
  EsRenewAhead *ra = data;
  for (guint i = 0; i < ra->n; i++) {
    g_mutex_lock(&ra->lock);
    while (!ra->stop && i >= ra->taken + RENEW_AHEAD) {
      ra->ahead_waits = TRUE;
      g_cond_wait(&ra->changed, &ra->lock);
    }
    ra->ahead_waits = FALSE;
    gboolean stop = ra->stop;
    g_mutex_unlock(&ra->lock);
    if (stop)
      break;
    guint k = ra->order[i];
    /* A failure (no memory for a fiber) leaves the renewal to be made when it falls due. */
    es_enb_prepare_renewal(ra->run->enbs[k], ra->due[i]);
    g_mutex_lock(&ra->lock);
    ra->made = i + 1;
    if (ra->main_waits)
      g_cond_broadcast(&ra->changed);
    g_mutex_unlock(&ra->lock);
  }
  OPENSSL_thread_stop();
  return NULL;
}

EsRenewAhead *es_renew_ahead_new(EsRun *run)
{
  EsRenewAhead *ra = g_new0(EsRenewAhead, 1);
  ra->run = run;
  ra->pos = g_new(guint, run->sc->enbs + 1);
  ra->order = g_new(guint, run->sc->enbs);
  for (guint k = 1; k <= run->sc->enbs; k++) {
    ra->pos[k] = G_MAXUINT;
    if (!isnan(run->renewals[k].at))
      ra->order[ra->n++] = k;
  }
  sort_run = run;
  qsort(ra->order, ra->n, sizeof *ra->order, by_due);
  sort_run = NULL;
  ra->due = g_new(double, ra->n + 1);
  for (guint i = 0; i < ra->n; i++) {
    ra->pos[ra->order[i]] = i;
    ra->due[i] = run->renewals[ra->order[i]].at;
  }
  g_mutex_init(&ra->lock);
  g_cond_init(&ra->changed);
  ra->thread = g_thread_new("es-renew", ahead_main, ra);
  return ra;
}

void es_renew_ahead_wait(EsRenewAhead *ra, guint k)
{
  guint i = ra->pos[k];
  if (i == G_MAXUINT)
    return;
  g_mutex_lock(&ra->lock);
  /* Renewals fall due in the order they were made; should one come early, the thread is let
   * run far enough ahead to make it. */
  if (i + 1 > ra->taken + RENEW_AHEAD)
    ra->taken = i + 1 - RENEW_AHEAD;
  if (ra->ahead_waits)
    g_cond_broadcast(&ra->changed);
  while (ra->made <= i) {
    ra->main_waits = TRUE;
    g_cond_wait(&ra->changed, &ra->lock);
  }
  ra->main_waits = FALSE;
  ra->pos[k] = G_MAXUINT; /* a later renewal of the same eNB is made when due */
  ra->taken = MAX(ra->taken, i + 1);
  if (ra->ahead_waits && ra->made <= ra->taken + RENEW_LOW_WATER)
    g_cond_broadcast(&ra->changed);
  g_mutex_unlock(&ra->lock);
}

void es_renew_ahead_free(EsRenewAhead *ra)
{
  if (ra == NULL)
    return;
  g_mutex_lock(&ra->lock);
  ra->stop = TRUE;
  g_cond_broadcast(&ra->changed);
  g_mutex_unlock(&ra->lock);
  g_thread_join(ra->thread);
  g_mutex_clear(&ra->lock);
  g_cond_clear(&ra->changed);
  g_free(ra->order);
  g_free(ra->due);
  g_free(ra->pos);
  g_free(ra);
}
