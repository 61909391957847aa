/* An installed base's renewals made ahead on a second thread: each eNB's kur (new key pair,
 * protected) in the order the renewals fall due, its signatures checked ahead as well. */
#include "sim/es_run_priv.h"

#include <math.h>

/* A renewal needs nothing the simulation decides but its time, drawn at installation, as long
 * as nothing else touches the eNB before it: no rollover (root updates, kurs under the new
 * root) and no revocation (rrs). At most RENEW_AHEAD sessions wait made, each with its fiber
 * stack and OpenSSL state (about 80 KiB). */
#define RENEW_AHEAD 64

typedef struct {
  guint enb;
  double due; /* as drawn at installation */
} Renewal;

struct EsRenewAhead {
  EsRun *run;
  Renewal *order; /* by the time each falls due */
  guint *pos;     /* 1..N: the eNB's index in order; G_MAXUINT: none waits made */
  EsAhead *thread;
};

/* By due time, then by number: the order the engine runs their timers in (es_run_install
 * schedules them by number). */
static int by_due(const void *a, const void *b)
{
  const Renewal *x = a, *y = b;
  return x->due < y->due ? -1 : x->due > y->due ? 1 : (x->enb > y->enb) - (x->enb < y->enb);
}

/* On the renewal thread. A failure (no memory for a fiber) leaves the renewal to be made when
 * it falls due. */
static void renew_item(guint i, void *arg)
{
  EsRenewAhead *ra = arg;
  es_enb_prepare_renewal(ra->run->enbs[ra->order[i].enb], ra->order[i].due);
}

EsRenewAhead *es_renew_ahead_new(EsRun *run)
{
  EsRenewAhead *ra = g_new0(EsRenewAhead, 1);
  ra->run = run;
  ra->pos = g_new(guint, run->sc->enbs + 1);
  ra->order = g_new(Renewal, run->sc->enbs);
  guint n = 0;
  for (guint k = 1; k <= run->sc->enbs; k++) {
    ra->pos[k] = G_MAXUINT;
    if (!isnan(run->renewals[k].at))
      ra->order[n++] = (Renewal){k, run->renewals[k].at};
  }
  qsort(ra->order, n, sizeof *ra->order, by_due);
  for (guint i = 0; i < n; i++)
    ra->pos[ra->order[i].enb] = i;
  ra->thread = es_ahead_new("es-renew", n, RENEW_AHEAD, renew_item, ra);
  return ra;
}

void es_renew_ahead_wait(EsRenewAhead *ra, guint k)
{
  guint i = ra->pos[k];
  if (i == G_MAXUINT)
    return;
  ra->pos[k] = G_MAXUINT; /* a later renewal of the same eNB is made when it falls due */
  es_ahead_wait(ra->thread, i);
  es_ahead_release(ra->thread, i);
}

void es_renew_ahead_free(EsRenewAhead *ra)
{
  if (ra == NULL)
    return;
  es_ahead_free(ra->thread);
  g_free(ra->order);
  g_free(ra->pos);
  g_free(ra);
}
