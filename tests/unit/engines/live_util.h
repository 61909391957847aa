/* Running the live engine in tests: bounded, until a condition holds, on a free port. */
#ifndef LIVE_UTIL_H
#define LIVE_UTIL_H

#include <glib.h>
#include "engines/es_live.h"
#include "nodes/es_enb.h"
#include "nodes/es_raca.h"
#include "pki/es_pki.h"

/* Runs the loop, at most `limit_s` (a test that hangs fails instead). */
void es_test_run_for(EsLive *live, double limit_s);
/* Runs the loop until done(arg) holds; fails the test after limit_s. */
void es_test_run_until(EsLive *live, gboolean (*done)(void *), void *arg, double limit_s);
/* Listens on 127.0.0.1 and a free port; "127.0.0.1:PORT" to g_free. */
char *es_test_listen_any(EsLive *live, const EsLiveLimits *limits);
EsLive *es_test_live_new(void);

/* An RA/CA served on a free loopback port, and the config of eNBs that enrol with it. */
typedef struct {
  EsLive *live;
  EsPki *pki;
  EsRaca *raca;
  EsEnbConfig ec;
  char *target;
  guint done;
  char *last_outcome;
  guint64 revoked_requested, superseded;
} World;
typedef struct {
  World *w;
  guint want;
} DoneCount;
void es_test_world_setup(World *w, const EsLiveLimits *limits);
void es_test_world_clear(World *w);
/* The eNBs' event callback (arg: the World): counts ends, keeps the last outcome's name. */
void es_test_on_enb_event(void *arg, const EsEnbEvent *ev);
/* A DoneCount reached (for es_test_run_until). */
gboolean es_test_enough_done(void *done_count);
/* Runs the loop until `want` eNB sessions ended. */
void es_test_run_enbs(World *w, guint want);

#endif
