/* Running the live engine in tests: bounded, until a condition holds, on a free port. */
#include "tests/unit/engines/live_util.h"

#include <string.h>

static void stop_cb(void *arg) { es_live_stop(arg); }

/* Runs the loop, at most `limit_s` (a test that hangs fails instead). */
void es_test_run_for(EsLive *live, double limit_s)
{
  guint64 guard = es_engine_timer_add(es_live_get0_engine(live), limit_s, stop_cb, live);
  es_live_run(live);
  es_engine_timer_cancel(es_live_get0_engine(live), guard);
}

typedef struct {
  EsLive *live;
  gboolean (*done)(void *arg);
  void *arg;
} Until;

static void until_check(void *p)
{
  Until *u = p;
  if (u->done(u->arg))
    es_live_stop(u->live);
  else
    es_engine_timer_add(es_live_get0_engine(u->live), 0.005, until_check, u);
}

/* Runs the loop until done(arg) holds; fails the test after limit_s. */
void es_test_run_until(EsLive *live, gboolean (*done)(void *), void *arg, double limit_s)
{
  Until u = {live, done, arg};
  EsEngine *e = es_live_get0_engine(live);
  guint64 check = es_engine_timer_add(e, 0, until_check, &u);
  gint64 t0 = g_get_monotonic_time();
  es_test_run_for(live, limit_s);
  es_engine_timer_cancel(e, check);
  g_assert_true(done(arg));
  g_assert_cmpint(g_get_monotonic_time() - t0, <, (gint64)(limit_s * 1e6));
}

char *es_test_listen_any(EsLive *live, const EsLiveLimits *limits)
{
  GError *error = NULL;
  g_assert_true(es_live_listen(live, "127.0.0.1:0", limits, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(es_live_get_port(live), >, 0);
  return g_strdup_printf("127.0.0.1:%u", es_live_get_port(live));
}

EsLive *es_test_live_new(void)
{
  GError *error = NULL;
  EsLive *live = es_live_new(&error);
  g_assert_no_error(error);
  return live;
}


/* ---- an RA/CA on loopback and eNBs against it ---- */


static void on_raca_event(void *arg, const EsRacaEvent *ev)
{
  World *w = arg;
  if (ev->kind == ES_RACA_EVENT_REVOKED && ev->cause == ES_RACA_REVOKED_REQUESTED)
    w->revoked_requested++;
  if (ev->kind == ES_RACA_EVENT_REVOKED && ev->cause == ES_RACA_REVOKED_SUPERSEDED)
    w->superseded++;
}

void es_test_world_setup(World *w, const EsLiveLimits *limits)
{
  GError *error = NULL;
  memset(w, 0, sizeof *w);
  w->live = es_test_live_new();
  double fraction;
  gint64 epoch = es_live_get_epoch(w->live, &fraction);
  w->pki = es_pki_generate(ES_KEY_P256, epoch - 60, &error);
  g_assert_no_error(error);
  EsRacaConfig rc;
  es_raca_config_init(&rc);
  rc.confirm_wait_s = 5;
  rc.workers = 1;
  rc.epoch = epoch;
  rc.epoch_fraction = fraction;
  rc.cert_validity_s = 86400;
  rc.seed = 1;
  w->raca = es_raca_new(&rc, w->pki, es_live_get0_engine(w->live), &error);
  g_assert_no_error(error);
  es_raca_set_observer(w->raca, &(EsRacaObserver){.event = on_raca_event}, w);
  es_raca_attach(w->raca, 0);
  w->target = es_test_listen_any(w->live, limits);
  g_assert_true(es_live_set_target(w->live, w->target, NULL, &error));
  w->ec = (EsEnbConfig){
    .new_key = ES_KEY_P256, .msg_timeout_s = 10, .epoch = epoch, .epoch_fraction = fraction,
    .deterministic = FALSE,
  };
}

void es_test_world_clear(World *w)
{
  es_raca_free(w->raca);
  es_live_free(w->live);
  es_pki_free(w->pki);
  g_free(w->target);
  g_free(w->last_outcome);
}

void es_test_on_enb_event(void *arg, const EsEnbEvent *ev)
{
  World *w = arg;
  static const char *const ok[] = {"enrolled", "renewed", "revoked"};
  if (ev->kind != ES_ENB_EVENT_DONE || ev->aborted)
    return;
  w->done++;
  g_free(w->last_outcome);
  w->last_outcome = g_strdup(ev->outcome == ES_ENB_OUTCOME_OK ? ok[ev->operation]
                                                               : es_enb_outcome_name(ev->outcome));
}


gboolean es_test_enough_done(void *arg)
{
  DoneCount *d = arg;
  return d->w->done >= d->want;
}

void es_test_run_enbs(World *w, guint want)
{
  DoneCount d = {w, want};
  es_test_run_until(w->live, es_test_enough_done, &d, 60);
}

