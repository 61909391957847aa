/* An installed base's sessions made ahead on a second thread, in the order they fall due, their
 * signatures checked ahead as well: each eNB's renewal (kur: new key pair, protected) or, in a
 * root rollover, each eNB's first root update (genm). */
#include "sim/es_run_priv.h"

#include <math.h>

/* A renewal needs nothing the simulation decides but its time, drawn at installation, as long
 * as nothing else touches the eNB before it: no rollover (root updates, kurs under the new
 * root) and no revocation (rrs). A rollover's first root updates likewise, whose times are
 * drawn at its start, for the eNBs whose renewal does not come first; the kur under the new
 * root follows the genp at a time the simulation decides, so it is made for the root update's
 * wall-clock second and sent only if it begins within it (es_enb_prepare_root_update). At most
 * RENEW_AHEAD items wait made, each with its fiber stacks and OpenSSL state (about 80 KiB a
 * session). */
#define RENEW_AHEAD 64

typedef struct {
  guint enb;
  double due; /* as drawn at installation */
} Renewal;

struct EsRenewAhead {
  EsRun *run;
  EsEnbOperation op; /* ES_ENB_RENEW or ES_ENB_ROOT_UPDATE */
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
  EsEnb *enb = ra->run->enbs[ra->order[i].enb];
  if (ra->op == ES_ENB_RENEW)
    es_enb_prepare_renewal(enb, ra->order[i].due);
  else
    es_enb_prepare_root_update(enb, ra->order[i].due, ra->run->sc->rollover.renew);
}

EsRenewAhead *es_renew_ahead_new(EsRun *run, const double *first_ask)
{
  EsRenewAhead *ra = g_new0(EsRenewAhead, 1);
  ra->run = run;
  ra->op = first_ask == NULL ? ES_ENB_RENEW : ES_ENB_ROOT_UPDATE;
  ra->pos = g_new(guint, run->sc->enbs + 1);
  ra->order = g_new(Renewal, run->sc->enbs);
  guint n = 0;
  for (guint k = 1; k <= run->sc->enbs; k++) {
    double renewal = run->renewals[k].at;
    ra->pos[k] = G_MAXUINT;
    if (first_ask == NULL && !isnan(renewal))
      ra->order[n++] = (Renewal){k, renewal};
    else if (first_ask != NULL && !(renewal <= first_ask[k]))
      ra->order[n++] = (Renewal){k, first_ask[k]};
  }
  qsort(ra->order, n, sizeof *ra->order, by_due);
  for (guint i = 0; i < n; i++)
    ra->pos[ra->order[i].enb] = i;
  ra->thread = es_ahead_new("es-renew", n, RENEW_AHEAD, renew_item, ra);
  return ra;
}

void es_renew_ahead_wait(EsRenewAhead *ra, guint k, EsEnbOperation op)
{
  if (ra == NULL || ra->op != op)
    return;
  guint i = ra->pos[k];
  if (i == G_MAXUINT)
    return;
  ra->pos[k] = G_MAXUINT; /* a later session of the same eNB is made when it falls due */
  es_ahead_wait(ra->thread, i);
  es_ahead_release(ra->thread, i);
  ra->run->made_ahead++;
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
