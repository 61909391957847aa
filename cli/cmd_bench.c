/* enrolsim bench-inmem: full CMP enrolments by the eNB and the RA/CA of a run in one process,
 * over the in-process loop engine (no network, no delays): the ceiling for any transport. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <glib.h>

#include "cli/cmd.h"
#include "engines/es_loop_engine.h"
#include "nodes/es_cmp.h"
#include "nodes/es_enb.h"
#include "nodes/es_raca.h"
#include "pki/es_pki.h"
#include "pki/es_provider.h"
#include "pki/es_sigcache.h"

/* Device credentials made before the clock starts, reused round-robin: making them is the
 * factory's work, not an enrolment's. */
#define DEVICES 16

/* CPU time the RA/CA spends per request type: what raca.ir_service and raca.certconf_service
 * model in a simulation. */
typedef struct {
  double cpu_s;
  guint n;
} ServiceTime;

typedef struct {
  EsEngine *engine;
  EsRaca *raca;
  EsEnb *enbs[DEVICES];
  guint count, started, enrolled, ended;
  gint64 end_us; /* when the last enrolment ended */
  ServiceTime ir, certconf;
} Bench;

static double thread_cpu_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The RA/CA's CMP processing, timed, one request at a time: the service queue of
 * es_raca_attach would only add modelled time, and would hide where the CPU time goes. */
static void on_request(void *arg, EsExchange *exchange, const char *content_type,
                       const guint8 *body, gsize len)
{
  (void)content_type;
  Bench *b = arg;
  int type = es_cmp_peek_body_type(body, len);
  ServiceTime *st = type == ES_CMP_IR ? &b->ir : type == ES_CMP_CERTCONF ? &b->certconf : NULL;
  double t0 = thread_cpu_s();
  GError *error = NULL;
  GBytes *rsp = es_raca_process(b->raca, body, len, &error);
  if (st != NULL) {
    st->cpu_s += thread_cpu_s() - t0;
    st->n++;
  }
  if (rsp == NULL) {
    es_engine_reply(b->engine, exchange, 400, "text/plain", (const guint8 *)error->message,
                    strlen(error->message));
    g_error_free(error);
    return;
  }
  gsize n;
  const guint8 *der = g_bytes_get_data(rsp, &n);
  es_engine_reply(b->engine, exchange, 200, "application/pkixcmp", der, n);
  g_bytes_unref(rsp);
}

/* Enrolments one after another, as a single eNB process would make them. */
static void start_next(void *arg)
{
  Bench *b = arg;
  while (b->started < b->count) {
    EsEnb *enb = b->enbs[b->started++ % DEVICES];
    if (es_enb_start(enb))
      return;
    b->ended++; /* still enrolling: cannot happen with one enrolment at a time */
  }
}

static void on_enb_event(void *arg, const EsEnbEvent *ev)
{
  Bench *b = arg;
  if (ev->kind != ES_ENB_EVENT_DONE || ev->aborted)
    return;
  b->enrolled += ev->outcome == ES_ENB_OUTCOME_OK;
  if (++b->ended == b->count)
    b->end_us = g_get_monotonic_time();
  else /* after this event returns: the eNB's session is over by then */
    es_engine_timer_add(b->engine, 0, start_next, b);
}

int es_cmd_bench_inmem(int argc, char **argv)
{
  gint count = 2000;
  g_autofree char *key = NULL;
  gboolean implicit = FALSE, json = FALSE;
  GOptionEntry entries[] = {
    {"count", 'n', 0, G_OPTION_ARG_INT, &count, "Enrolments to make (default 2000)", "N"},
    {"key", 'k', 0, G_OPTION_ARG_STRING, &key, "Key type of hierarchy and new keys: p256 (default), p384, rsa2048", "TYPE"},
    {"implicit", 0, 0, G_OPTION_ARG_NONE, &implicit, "implicitConfirm (ir/ip only) instead of certConf/pkiConf", NULL},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object instead of a sentence", NULL},
    {NULL}};
  g_autoptr(GOptionContext) opts = g_option_context_new("- in-memory CMP enrolment rate");
  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_set_summary(opts,
    "Enrols N times, one after another, with the eNB of a run (OpenSSL's CMP client) against\n"
    "the RA/CA in the same process, over the in-process loop engine (DER both ways, no\n"
    "network, no modelled delays): new key pair, ir/ip, certConf/pkiConf, every signature\n"
    "made and checked, on one core. The ceiling for enrol + serve.");
  GError *error = NULL;
  if (!g_option_context_parse(opts, &argc, &argv, &error))
    return es_cmd_fail("bench-inmem", error, 2);
  EsKeyType type = ES_KEY_P256;
  if (argc != 1 || count < 1 || (key != NULL && !es_key_type_parse(key, &type, &error))) {
    if (error != NULL)
      return es_cmd_fail("bench-inmem", error, 2);
    fprintf(stderr, "enrolsim: usage: enrolsim bench-inmem [--count N] [--key TYPE] [--implicit]\n");
    return 2;
  }

  /* As a simulated run narrows them: the keys it makes are all it decodes. */
  es_provider_narrow_decoders(&type, 1);
  gint64 now = (gint64)time(NULL);
  g_autoptr(EsPki) pki = es_pki_generate(type, now - 60, &error);
  if (pki == NULL)
    return es_cmd_fail("bench-inmem", error, 1);
  EsLoopEngine *loop = es_loop_engine_new(0);
  Bench b = {.engine = es_loop_engine_get0_engine(loop), .count = (guint)count};
  EsRacaConfig rc;
  es_raca_config_init(&rc);
  rc.grant_implicit = implicit;
  rc.confirm_wait_s = 30;
  rc.workers = 1;
  rc.ir_service_s = rc.kur_service_s = rc.certconf_service_s = rc.rr_service_s = 0;
  rc.epoch = now;
  rc.cert_validity_s = 365 * 86400;
  b.raca = es_raca_new(&rc, pki, b.engine, &error);
  if (b.raca == NULL) {
    es_loop_engine_free(loop);
    return es_cmd_fail("bench-inmem", error, 1);
  }
  es_engine_server_set(b.engine, 0, on_request, &b);
  /* The eNB's CPU is real here, not modelled; its randomness OpenSSL's own. */
  EsEnbConfig ec;
  es_enb_config_init(&ec);
  ec.new_key = type;
  ec.keygen_s = ec.sign_s = 0;
  ec.ask_implicit = implicit;
  ec.deterministic = FALSE;
  ec.epoch = now;
  for (guint i = 0; error == NULL && i < DEVICES; i++) {
    EVP_PKEY *device_key = es_key_generate(type, &error);
    X509 *device = device_key != NULL ? es_pki_issue_device(pki, i + 1, device_key, &error) : NULL;
    b.enbs[i] = es_enb_new(i + 1, &ec, pki, b.engine);
    es_enb_set_event_cb(b.enbs[i], on_enb_event, &b);
    if (device != NULL)
      es_enb_set1_device(b.enbs[i], device, device_key);
    X509_free(device);
    EVP_PKEY_free(device_key);
  }

  /* As in a run (es_run.c): a check the RA/CA makes twice in one request is made once. */
  es_sigcache_enable(TRUE);
  gint64 t0 = g_get_monotonic_time();
  if (error == NULL) {
    start_next(&b);
    /* Every enrolment happens at engine time 0; what is left then are the RA/CA's and eNBs'
     * timers, run so that everything is freed. */
    es_loop_engine_run(loop, G_MAXDOUBLE);
  }
  double seconds = b.end_us > 0 ? (b.end_us - t0) / 1e6 : (g_get_monotonic_time() - t0) / 1e6;
  es_sigcache_enable(FALSE);

  for (guint i = 0; i < DEVICES; i++)
    es_enb_free(b.enbs[i]);
  es_raca_free(b.raca);
  es_loop_engine_free(loop);
  if (error != NULL)
    return es_cmd_fail("bench-inmem", error, 1);
  guint enrolled = b.enrolled;
  double rate = seconds > 0 ? enrolled / seconds : 0;
  double ir_ms = b.ir.n > 0 ? 1e3 * b.ir.cpu_s / b.ir.n : 0;
  double cc_ms = b.certconf.n > 0 ? 1e3 * b.certconf.cpu_s / b.certconf.n : 0;
  /* As a run's summary.json says it: a run compares with its own kind. */
  const char *providers = es_provider_name();
  if (json)
    printf("{\"enrolments\": %u, \"failed\": %u, \"seconds\": %.6f, \"per_s\": %.1f, \"key\": \"%s\", "
           "\"confirm\": \"%s\", \"raca_ir_ms\": %.3f, \"raca_certconf_ms\": %.3f, "
           "\"openssl_providers\": \"%s\"}\n", enrolled, (guint)count - enrolled, seconds, rate,
           es_key_type_name(type), implicit ? "implicit" : "explicit", ir_ms, cc_ms, providers);
  else
    printf("in-memory: %u enrolments in %.3f s: %.1f per s (%s, %s confirmation, one core, "
           "%s OpenSSL providers)\n"
           "RA/CA CPU per message: ir %.3f ms, certConf %.3f ms (raca.ir_service, "
           "raca.certconf_service)\n",
           enrolled, seconds, rate, es_key_type_name(type), implicit ? "implicit" : "explicit",
           providers, ir_ms, cc_ms);
  return enrolled == (guint)count ? 0 : 1;
}
