/* The service station: FIFO order, a worker per job for its service time (an engine timer),
 * then the next waiting job. */
#include "nodes/es_service.h"

#include <math.h>

#include "pki/es_rand.h"

typedef struct {
  EsService *service;
  void *job;
  double mean_s;
  double submitted;
  guint64 timer;
} Slot;

struct EsService {
  EsServiceConfig config;
  EsEngine *engine;
  EsServiceDoneFn done;
  void *done_arg;
  EsServiceChangedFn changed;
  void *changed_arg;
  EsServiceDoneFn started;
  void *started_arg;
  EsRand *rand;          /* only for exponential service */
  GQueue waiting;        /* Slot */
  GQueue serving;        /* Slot */
  EsServiceStats stats;
};

EsService *es_service_new(const EsServiceConfig *config, EsEngine *engine, EsServiceDoneFn done,
                          void *arg)
{
  EsService *s = g_new0(EsService, 1);
  s->config = *config;
  if (s->config.workers == 0)
    s->config.workers = 1;
  s->engine = engine;
  s->done = done;
  s->done_arg = arg;
  if (config->dist == ES_SERVICE_EXPONENTIAL)
    s->rand = es_rand_new(config->seed, config->stream);
  return s;
}

static void slots_free(GQueue *q, EsService *s, GDestroyNotify job_free)
{
  Slot *slot;
  while ((slot = g_queue_pop_head(q)) != NULL) {
    if (slot->timer != 0)
      es_engine_timer_cancel(s->engine, slot->timer);
    if (job_free != NULL)
      job_free(slot->job);
    g_free(slot);
  }
}

void es_service_free(EsService *s, GDestroyNotify job_free)
{
  if (s == NULL)
    return;
  slots_free(&s->waiting, s, job_free);
  slots_free(&s->serving, s, job_free);
  es_rand_free(s->rand);
  g_free(s);
}

void es_service_set_started_cb(EsService *s, EsServiceDoneFn fn, void *arg)
{
  s->started = fn;
  s->started_arg = arg;
}

void es_service_set_changed_cb(EsService *s, EsServiceChangedFn fn, void *arg)
{
  s->changed = fn;
  s->changed_arg = arg;
}

static double service_time(EsService *s, double mean_s)
{
  if (s->rand == NULL || mean_s <= 0)
    return mean_s;
  /* Inversion; 1 - u is in (0, 1], so the log is finite. */
  return -mean_s * log(1.0 - es_rand_double(s->rand));
}

static void start(EsService *s);

static void on_served(void *arg)
{
  Slot *slot = arg;
  EsService *s = slot->service;
  g_queue_remove(&s->serving, slot);
  void *job = slot->job;
  g_free(slot);
  s->stats.served++;
  s->done(s->done_arg, job);
  start(s);
}

static void start(EsService *s)
{
  while (g_queue_get_length(&s->serving) < s->config.workers && !g_queue_is_empty(&s->waiting)) {
    /* Read each time: a started callback takes real time on a live engine. */
    double now = es_engine_now(s->engine);
    Slot *slot = g_queue_pop_head(&s->waiting);
    double wait = now - slot->submitted, t = service_time(s, slot->mean_s);
    s->stats.started++;
    s->stats.wait_sum_s += wait;
    s->stats.wait_max_s = MAX(s->stats.wait_max_s, wait);
    s->stats.busy_s += t;
    g_queue_push_tail(&s->serving, slot);
    slot->timer = es_engine_timer_add(s->engine, t, on_served, slot);
    if (s->started != NULL)
      s->started(s->started_arg, slot->job);
  }
  if (s->changed != NULL)
    s->changed(s->changed_arg, g_queue_get_length(&s->waiting), g_queue_get_length(&s->serving),
               es_engine_now(s->engine));
}

gboolean es_service_submit(EsService *s, void *job, double mean_s)
{
  if (s->config.queue_limit > 0 && g_queue_get_length(&s->serving) >= s->config.workers
      && g_queue_get_length(&s->waiting) >= s->config.queue_limit) {
    s->stats.rejected++;
    return FALSE;
  }
  Slot *slot = g_new0(Slot, 1);
  slot->service = s;
  slot->job = job;
  slot->mean_s = mean_s;
  slot->submitted = es_engine_now(s->engine);
  g_queue_push_tail(&s->waiting, slot);
  start(s);
  s->stats.max_waiting = MAX(s->stats.max_waiting, g_queue_get_length(&s->waiting));
  return TRUE;
}

guint es_service_get_waiting(const EsService *s) { return s->waiting.length; }

guint es_service_get_busy(const EsService *s) { return s->serving.length; }

void es_service_get_stats(const EsService *s, EsServiceStats *stats) { *stats = s->stats; }
