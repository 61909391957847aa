/* enrolsim enrol: eNBs enrol (and optionally renew and revoke) against a real CMP server over
 * the live engine, with the same eNB code and the same scenario keys as a simulated run: eNB k
 * starts at its rollout time in wall-clock time (open-loop arrivals, drawn from the seed as a
 * simulated run draws its power-on times), at most C at once when --concurrency caps them. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <openssl/crypto.h>

#include "cli/cmd.h"
#include "cli/es_interrupt.h"
#include "cli/es_live_progress.h"
#include "cli/es_tls_options.h"
#include "config/es_config.h"
#include "config/es_streams.h"
#include "engines/es_live.h"
#include "nodes/es_enb.h"
#include "nodes/es_raca.h"
#include "pki/es_pki.h"
#include "pki/es_rand.h"
#include "results/es_outdir.h"
#include "results/es_summary.h"
#include "sim/es_collector.h"
#include "topologies/es_rollout.h"

typedef struct Enrol Enrol;

/* The next step of an eNB (kur or rr): it cannot start inside its done callback (the session
 * is still being torn down), so one engine turn later, or enb.renew_after later. One per eNB,
 * held by the run, so that none is lost when the run stops before it is due. */
typedef struct {
  Enrol *r;
  EsEnb *enb;
  EsEnbOperation op;
} Step;

struct Enrol {
  EsLive *live;
  EsEngine *engine;
  EsEnb **enbs;           /* 1..n */
  Step *steps;            /* 1..n */
  EsRollout *rollout;     /* when each eNB starts, in engine time */
  guint n, concurrency;   /* G_MAXUINT: no cap */
  guint next;             /* rollout position (0..n-1) of the next eNB to start */
  guint held_upto;        /* the positions below it found every slot taken when due */
  guint active, finished;
  guint done_calls;
  gboolean starting;
  guint64 arrival_timer;
  double stop_s;          /* scenario.stop_time; INFINITY in the closed loop */
  gboolean stopped;       /* the stop time came before every eNB was done */
  gboolean renew, revoke;
  double renew_after_s;   /* enb.renew_after: the kur that long after the enrolment */
  int reason;
  char *certs_dir;
  GError *write_error;
  guint renewed, revoked;
  guint started, held;    /* eNBs started; of them, held back by the cap */
  double lateness_sum_s, lateness_max_s;
  double last_done_s;
  EsCollector *collector;
  EsOutdir *outdir;       /* OUT_DIR's manifest */
};

static void start_more(Enrol *r);

/* The signal handler only sets a flag: looked at on the loop a few times a second. */
#define INTERRUPT_CHECK_S 0.05
/* An eNB due within this much is started now, with those due before it: no timer for a
 * wait shorter than a loop turn. */
#define EARLY_S 0.0005

static void on_interrupt_check(void *arg)
{
  Enrol *r = arg;
  if (es_interrupt_signal != 0)
    es_live_stop(r->live);
  else
    es_engine_timer_add(r->engine, INTERRUPT_CHECK_S, on_interrupt_check, r);
}

/* scenario.stop_time: the run ends, whoever is still busy. */
/* The progress line: eNBs started and done, the enrolment rate and latency so far. */
static void progress_line(void *arg, GString *out)
{
  Enrol *r = arg;
  EsRecorderStats st;
  es_recorder_stats(es_collector_get0_recorder(r->collector), NULL, &st);
  double t = es_engine_now(r->engine);
  g_string_append_printf(out, "live %.1f s | started %u/%u | enrolled %u, failed %u | %.1f/s",
                         t, r->started, r->n, st.enrolled, st.failed,
                         t > 0 ? st.enrolled / t : 0.0);
  if (st.enrolled > 0)
    g_string_append_printf(out, " | latency p50 %.3f s, p99 %.3f s", st.p50, st.p99);
}

static void on_stop_time(void *arg)
{
  Enrol *r = arg;
  r->stopped = TRUE;
  es_live_stop(r->live);
}

static void finish_one(Enrol *r)
{
  r->active--;
  r->finished++;
  r->last_done_s = es_engine_now(r->engine);
  if (r->finished == r->n)
    es_live_stop(r->live);
  else
    start_more(r);
}

/* Powers on eNB `enb`, due at `at_s`. A session that fails at once reports back from inside
 * es_enb_start; one that could not start at all (no memory for its fiber) does not report:
 * counted here. */
static void start_one(Enrol *r, guint enb, double at_s)
{
  double late = es_engine_now(r->engine) - at_s;
  r->started++;
  r->lateness_sum_s += late;
  r->lateness_max_s = r->started == 1 ? late : MAX(r->lateness_max_s, late);
  guint calls = r->done_calls;
  r->active++;
  es_enb_start(r->enbs[enb]);
  if (!es_enb_is_active(r->enbs[enb]) && r->done_calls == calls)
    finish_one(r);
}

static double due_at(const Enrol *r, guint position)
{
  return es_rollout_time(r->rollout, es_rollout_nth(r->rollout, position));
}

static void on_arrival_due(void *arg)
{
  Enrol *r = arg;
  r->arrival_timer = 0;
  start_more(r);
}

/* Starts every eNB whose rollout time has come, in rollout order, while fewer than C are
 * busy; one timer waits for the next arrival. An eNB whose time came with every slot taken
 * starts when one is free (finish_one). */
static void start_more(Enrol *r)
{
  if (r->starting || r->stopped)
    return;
  r->starting = TRUE;
  double now = es_engine_now(r->engine);
  while (r->next < r->n && due_at(r, r->next) <= now + EARLY_S) {
    if (r->active >= r->concurrency) {
      r->held_upto = MAX(r->held_upto, r->next);
      while (r->held_upto < r->n && due_at(r, r->held_upto) <= now + EARLY_S)
        r->held_upto++;
      break;
    }
    guint position = r->next++;
    r->held += position < r->held_upto;
    start_one(r, es_rollout_nth(r->rollout, position), due_at(r, position));
    now = es_engine_now(r->engine);
  }
  if (r->next < r->n && r->arrival_timer == 0 && !r->stopped && due_at(r, r->next) > now + EARLY_S)
    r->arrival_timer = es_engine_timer_add(r->engine, due_at(r, r->next) - now, on_arrival_due, r);
  r->starting = FALSE;
}

static void save_credential(Enrol *r, EsEnb *enb)
{
  if (r->certs_dir == NULL || r->write_error != NULL)
    return;
  X509 *cert = es_enb_get1_operator_cert(enb);
  EVP_PKEY *key = es_enb_get1_operator_key(enb);
  char *base = g_strdup_printf("%s/enb-%u", r->certs_dir, es_enb_get_number(enb));
  char *pem = g_strconcat(base, ".pem", NULL), *keyfile = g_strconcat(base, ".key", NULL);
  guint i = es_enb_get_number(enb);
  if (cert != NULL && key != NULL
      && es_outdir_claimf(r->outdir, &r->write_error, "certs/enb-%u.pem", i)
      && es_outdir_claimf(r->outdir, &r->write_error, "certs/enb-%u.key", i)
      && es_pem_save_cert(pem, cert, &r->write_error))
    es_pem_save_key(keyfile, key, &r->write_error);
  X509_free(cert);
  EVP_PKEY_free(key);
  g_free(base);
  g_free(pem);
  g_free(keyfile);
}

static void on_step_due(void *arg)
{
  Step *s = arg;
  guint calls = s->r->done_calls;
  gboolean started = s->op == ES_ENB_RENEW ? es_enb_renew(s->enb)
                                           : es_enb_revoke(s->enb, s->r->reason);
  if (!started || (!es_enb_is_active(s->enb) && s->r->done_calls == calls))
    finish_one(s->r);
}

static void next_step(Enrol *r, EsEnb *enb, EsEnbOperation op, double after_s)
{
  Step *s = &r->steps[es_enb_get_number(enb)];
  s->r = r;
  s->enb = enb;
  s->op = op;
  es_engine_timer_add(r->engine, after_s, on_step_due, s);
}

/* An eNB stays busy (and holds its slot under a cap) until its last step is done: the
 * enrolment, the kur (enb.renew_after or --renew), the rr (--revoke). */
static void on_enb_done(Enrol *r, EsEnb *enb, EsEnbOutcome outcome, X509 *cert)
{
  EsEnbOperation op = es_enb_get_operation(enb);
  r->done_calls++;
  if (cert != NULL)
    save_credential(r, enb);
  if (op == ES_ENB_RENEW && cert != NULL)
    r->renewed++;
  if (op == ES_ENB_REVOKE && outcome == ES_ENB_OUTCOME_OK)
    r->revoked++;
  if (cert != NULL && op == ES_ENB_ENROL && r->renew)
    next_step(r, enb, ES_ENB_RENEW, r->renew_after_s);
  else if (cert != NULL && r->revoke)
    next_step(r, enb, ES_ENB_REVOKE, 0);
  else
    finish_one(r);
}

/* The collector records every event; the next step starts when a session ends. */
static void on_enb_event(void *arg, const EsEnbEvent *ev)
{
  Enrol *r = arg;
  es_collector_enb_event(r->collector, ev);
  if (ev->kind == ES_ENB_EVENT_DONE && !ev->aborted)
    on_enb_done(r, ev->enb, ev->outcome, ev->cert);
}

/* "keyCompromise", "superseded", ... or the number; "none" for an rr without a reason. */
static gboolean parse_reason(const char *text, int *out)
{
  if (text == NULL || strcmp(text, "none") == 0) {
    *out = -1;
    return TRUE;
  }
  for (int i = 0; i <= 10; i++)
    if (i != 7 && g_ascii_strcasecmp(text, es_raca_reason_name(i)) == 0) {
      *out = i;
      return TRUE;
    }
  char *end = NULL;
  long v = strtol(text, &end, 10);
  if (end != text && *end == '\0' && v >= 0 && v <= 10 && v != 7) {
    *out = (int)v;
    return TRUE;
  }
  return FALSE;
}

/* The factory credentials of eNBs 1..n, made (and saved) where a device has none yet; those
 * made are added to PKI_DIR's manifest, so that pki init --overwrite removes them. */
static gboolean load_devices(const char *pki_dir, const EsPki *pki, guint n, X509 **certs,
                             EVP_PKEY **keys, gboolean quiet, GError **error)
{
  guint made = 0;
  g_autoptr(EsOutdir) pki_files = NULL;
  for (guint i = 1; i <= n; i++)
    if (!es_cmd_device(pki_dir, pki, i, &certs[i], &keys[i], &pki_files, &made, error))
      return FALSE;
  if (made > 0 && !quiet)
    printf("made %u device credential%s in %s/devices\n", made, made == 1 ? "" : "s", pki_dir);
  return TRUE;
}

/* eNB k's start time: the rollout of the scenario drawn exactly as a simulated run draws its
 * power-on times (sim/es_run.c, plan()), so that both start eNB k at the same offset. */
static double schedule_uniform(void *arg)
{
  return es_rand_double(arg);
}

static EsRollout *draw_rollout(const EsScenario *sc, GError **error)
{
  EsRand *schedule = es_rand_new(sc->seed, ES_STREAM_SCHEDULE);
  EsRollout *rollout = es_rollout_new(&sc->rollout, sc->enbs, sc->stop_time_s, schedule_uniform,
                                      schedule, error);
  es_rand_free(schedule);
  return rollout;
}

static const char *schedule_name(EsSchedule schedule)
{
  static const char *const names[] = {"burst", "uniform", "waves", "poisson"};
  return (guint)schedule < G_N_ELEMENTS(names) ? names[schedule] : "?";
}

/* "HOST:PORT/path", as the eNBs post to it. */
static char *server_of(const char *server, const char *path, gboolean tls)
{
  const char *p = path != NULL ? path : "/";
  return g_strconcat(tls ? "https://" : "", server, p[0] == '/' ? "" : "/", p, NULL);
}

static char *started_at_now(void)
{
  GDateTime *now = g_date_time_new_now_utc();
  char *text = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
  g_date_time_unref(now);
  return text;
}

/* What a live run's summary.json says besides the collector's figures: how faithfully the
 * schedule was kept (wall-clock figures), and the attributes compare and sweep read: the
 * engine, where it ran against, the build, and the effective scenario. */
static gboolean add_live_facts(EsSummary *s, const Enrol *r, const EsScenario *sc,
                               const char *started_at, const char *server, const char *reproduce,
                               GError **error)
{
  es_summary_set_string(s, ES_SUMMARY_WALL_CLOCK ".started_at", started_at);
  es_summary_set_double(s, ES_SUMMARY_WALL_CLOCK ".start_lateness_s.mean",
                        r->started > 0 ? r->lateness_sum_s / r->started : NAN);
  es_summary_set_double(s, ES_SUMMARY_WALL_CLOCK ".start_lateness_s.max",
                        r->started > 0 ? r->lateness_max_s : NAN);
  es_summary_set_uint(s, ES_SUMMARY_WALL_CLOCK ".held_by_concurrency", r->held);
  g_autofree char *cap = r->concurrency == G_MAXUINT ? g_strdup("none")
                                                     : g_strdup_printf("%u", r->concurrency);
  es_summary_set_string(s, "attributes.server", server);
  es_summary_set_string(s, "attributes.host", g_get_host_name());
  es_summary_set_string(s, "attributes.concurrency", cap);
  return es_collector_summary_set_attributes(s, "live", FALSE, reproduce, sc, error);
}

/* The effective scenario beside the results: `enrolsim run --scenario scenario.ini` is this
 * run's simulated twin. */
static gboolean write_scenario(EsOutdir *outdir, const char *out_dir, const EsScenario *sc,
                               GError **error)
{
  g_autofree char *path = g_build_filename(out_dir, "scenario.ini", NULL);
  g_autofree char *text = es_scenario_to_keyfile(sc);
  GError *inner = NULL;
  if (!es_outdir_claim(outdir, "scenario.ini", error))
    return FALSE;
  if (g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0666, &inner))
    return TRUE;
  g_set_error(error, inner->domain, inner->code, "cannot write %s: %s", path, inner->message);
  g_error_free(inner);
  return FALSE;
}

/* The command line that runs this again, in OUT_DIR (where scenario.ini is). */
static char *reproduce_line(const char *pki_dir, const char *server, const char *path,
                            guint concurrency, gboolean renew, gboolean revoke,
                            const char *reason, const char *new_key_file,
                            const EsTlsOptions *tls)
{
  GString *s = g_string_new("enrolsim enrol --scenario scenario.ini");
  g_string_append_printf(s, " --pki %s --server %s", pki_dir, server);
  if (path != NULL)
    g_string_append_printf(s, " --path %s", path);
  if (concurrency != G_MAXUINT)
    g_string_append_printf(s, " --concurrency %u", concurrency);
  if (renew)
    g_string_append(s, " --renew");
  if (revoke)
    g_string_append_printf(s, " --revoke --reason %s", reason != NULL ? reason : "none");
  es_tls_options_append(tls, s);
  if (new_key_file != NULL)
    g_string_append_printf(s, " --new-key %s", new_key_file);
  g_string_append(s, " (in this folder; its simulated twin: enrolsim run --scenario "
                     "scenario.ini)");
  return g_string_free(s, FALSE);
}

/* --concurrency: a whole number >= 1. */
static gboolean parse_concurrency(const char *text, guint *out)
{
  char *end = NULL;
  errno = 0;
  guint64 v = g_ascii_strtoull(text, &end, 10);
  if (end == text || *end != '\0' || errno != 0 || v < 1 || v >= G_MAXUINT
      || !g_ascii_isdigit(text[0]))
    return FALSE;
  *out = (guint)v;
  return TRUE;
}

int es_cmd_enrol(int argc, char **argv)
{
  g_autofree char *server = NULL, *path = NULL, *new_key_file = NULL, *timeout = NULL,
                  *reason = NULL, *key = NULL, *summary = NULL, *give_up = NULL,
                  *enbs = NULL, *concurrency = NULL, *scenario_file = NULL;
  g_auto(GStrv) sets = NULL;
  gboolean implicit = FALSE, renew = FALSE, revoke = FALSE, keep_certs = FALSE, quiet = FALSE;
  gboolean overwrite = FALSE;
  g_autofree char *pki_opt = NULL, *out_opt = NULL;
  g_auto(EsTlsOptions) tls_opts = {.server = FALSE};
  GOptionEntry entries[] = {
    {"pki", 0, 0, G_OPTION_ARG_FILENAME, &pki_opt, "The PKI folder that enrolsim pki init wrote (or the first argument)", "DIR"},
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out_opt, "Result folder (or the second argument; default out/enrol)", "DIR"},
    {"server", 's', 0, G_OPTION_ARG_STRING, &server, "The CMP server (required)", "HOST:PORT"},
    {"path", 0, 0, G_OPTION_ARG_STRING, &path, "HTTP path of the POSTs (default /)", "PATH"},
    {"scenario", 0, 0, G_OPTION_ARG_FILENAME, &scenario_file, "Scenario key file: its [scenario], [rollout] and [enb] keys and raca.confirm are in force, as in a simulated run (the options below override them)", "FILE"},
    {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a scenario key, e.g. --set rollout.schedule=poisson (repeatable)", "SECTION.KEY=VALUE"},
    {"enbs", 'n', 0, G_OPTION_ARG_STRING, &enbs, "scenario.enbs: number of eNBs, numbered 1..N (default 1 without a scenario, else scenario.enbs)", "N"},
    {"concurrency", 'c', 0, G_OPTION_ARG_STRING, &concurrency, "eNBs busy at once at most; one whose start time comes with C busy starts when one is done (default 1 without a scenario, else no cap)", "C"},
    {"key", 'k', 0, G_OPTION_ARG_STRING, &key, "enb.key: key type of the new key pairs: p256 (default), p384, rsa2048", "TYPE"},
    {"new-key", 0, 0, G_OPTION_ARG_FILENAME, &new_key_file, "Use this key pair for every ir and kur instead of fresh ones (for a server that hands out a fixed certificate, e.g. openssl cmp -port)", "FILE"},
    {"implicit", 0, 0, G_OPTION_ARG_NONE, &implicit, "raca.confirm=implicit: ask for implicitConfirm", NULL},
    {"timeout", 0, 0, G_OPTION_ARG_STRING, &timeout, "enb.msg_timeout: no response by then: resend, up to enb.max_attempts (4) sends (default 10s)", "DURATION"},
    {"give-up-after", 0, 0, G_OPTION_ARG_STRING, &give_up, "enb.give_up_after: after a transaction failed for the network's or the server's sake, start a new one until this long after the start, as a deployed eNB does (default 30min; 0s: stop after enb.max_attempts)", "DURATION"},
    {"renew", 0, 0, G_OPTION_ARG_NONE, &renew, "After enrolling, renew the certificate once (kur): at once, or enb.renew_after later", NULL},
    {"revoke", 0, 0, G_OPTION_ARG_NONE, &revoke, "At the end, revoke the certificate (rr)", NULL},
    {"reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Reason code the rr asks for: none (default), keyCompromise, superseded, cessationOfOperation, ... or its number", "REASON"},
    {"keep-certs", 0, 0, G_OPTION_ARG_NONE, &keep_certs, "Write each eNB's latest operator certificate and key to OUT_DIR/certs/enb-<i>.pem/.key", NULL},
    {"overwrite", 0, 0, G_OPTION_ARG_NONE, &overwrite, "OUT_DIR holds an earlier run's results: remove the files enrolsim wrote there first (others stay)", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing but errors", NULL},
    {NULL}};
  g_autoptr(GOptionContext) opts = g_option_context_new("[--pki] PKI_DIR [[--out] OUT_DIR] - enrol eNBs against a real CMP server");
  g_option_context_add_main_entries(opts, entries, NULL);
  es_tls_options_add(opts, &tls_opts);
  g_option_context_set_summary(opts,
    "eNBs 1..N enrol operator certificates with CMPv2 (ir, certConf) from --server, each with\n"
    "its vendor credential PKI_DIR/devices/enb-<i>.pem/.key (made and saved there when missing;\n"
    "PKI_DIR is what enrolsim pki init writes), with the eNB behaviour of a simulated run (the\n"
    "[enb] keys; the modelled CPU times are 0: live, the CPU time is real).\n"
    "\n"
    "With --scenario or any --set, the scenario's rollout is replayed in wall-clock time as\n"
    "open-loop arrivals: eNB k starts at its rollout time (rollout.schedule and its keys, drawn\n"
    "from scenario.seed as `enrolsim run` draws its power-on times), with no cap on how many are\n"
    "busy unless --concurrency C; enb.renew_after > 0 renews each enrolled eNB (kur) that long\n"
    "after its enrolment; the run ends when every eNB is done, or at scenario.stop_time, eNBs\n"
    "still busy or not started then recorded as unfinished. With neither, the closed loop:\n"
    "--enbs N (default 1) due at once (rollout.schedule=burst), at most --concurrency C\n"
    "(default 1) busy, the next starting when one is done, no stop time.\n"
    "An eNB is busy from its start to its last step (enrolment, kur, rr). One held back by the\n"
    "cap starts when a slot frees, and that is its power-on: its latency counts from there, as\n"
    "in a simulated run (summary.json's wall_clock.held_by_concurrency counts them).\n"
    "\n"
    "Writes OUT_DIR/enrolments.csv, summary.json (attributes.engine \"live\"; compare refuses it\n"
    "against a simulated run unless --allow-mixed-engines) and scenario.ini, the effective\n"
    "scenario; times are wall-clock seconds since the start.\n"
    "Exit status: 0 when every eNB enrolled (and renewed and revoked, when asked), 1 when any\n"
    "failed or was unfinished, 2 on bad usage.");
  GError *error = NULL;
  if (!g_option_context_parse(opts, &argc, &argv, &error))
    return es_cmd_fail("enrol", error, 2);
  const char *pki_dir = pki_opt, *out_dir = out_opt;
  if (!es_cmd_dirs(argc, argv, &pki_dir, &out_dir) || pki_dir == NULL || server == NULL) {
    fprintf(stderr, "enrolsim: usage: enrolsim enrol --pki DIR --server HOST:PORT [--scenario FILE] [--set KEY=VALUE ...] [--enbs N] [--concurrency C] [--out DIR] (see --help)\n");
    return 2;
  }
  if (out_dir == NULL)
    out_dir = "out/enrol";
  /* The closed loop of old: no scenario, no --set. Its eNBs are all due at 0 (burst), one
   * at a time unless --concurrency, with no stop time. */
  gboolean closed_loop = scenario_file == NULL && (sets == NULL || sets[0] == NULL);
  /* The same keys and defaults as a simulated run; the options stand for keys. */
  const EsCmdKeyOption key_options[] = {
      {"--enbs", "scenario.enbs", enbs != NULL ? enbs : closed_loop ? "1" : NULL},
      {"--enbs", "rollout.schedule", closed_loop ? "burst" : NULL},
      {"--timeout", "enb.msg_timeout", timeout},
      {"--key", "enb.key", key},
      {"--give-up-after", "enb.give_up_after", give_up},
      {"--implicit", "raca.confirm", implicit ? "implicit" : NULL},
  };
  g_autoptr(EsScenario) sc = es_cmd_live_scenario("enrol", scenario_file, sets, key_options,
                                                  G_N_ELEMENTS(key_options));
  if (sc == NULL)
    return 2;
  guint cap = closed_loop ? 1 : G_MAXUINT;
  if (concurrency != NULL && !parse_concurrency(concurrency, &cap)) {
    fprintf(stderr, "enrolsim: enrol: --concurrency: '%s' is not a whole number of at least 1\n",
            concurrency);
    return 2;
  }
  int reason_code = -1;
  if (!parse_reason(reason, &reason_code)) {
    fprintf(stderr, "enrolsim: enrol: --reason: '%s' is not an RFC 5280 reason code\n", reason);
    return 2;
  }
  /* The schedule before anything is made: a Poisson draw past the stop time is a bad
   * scenario, as in a simulated run. */
  g_autoptr(EsRollout) rollout = draw_rollout(sc, &error);
  if (rollout == NULL) {
    g_prefix_error(&error, "%s: ", scenario_file != NULL ? scenario_file : "scenario");
    return es_cmd_fail("enrol", error, 2);
  }
  /* The eNBs of a simulated run but for the modelled CPU times: live, the CPU time is real. */
  EsEnbConfig ec = sc->enb;
  ec.keygen_s = ec.sign_s = 0;

  g_autoptr(EsLive) probe = es_live_new(&error);
  if (probe == NULL || !es_live_set_target(probe, server, path, &error))
    return es_cmd_fail("enrol", error, 2); /* before any device credential is made */
  g_clear_pointer(&probe, es_live_free);
  g_autoptr(EsLiveTls) tls = es_tls_options_context_new(&tls_opts, &error);
  if (error != NULL)
    return es_cmd_fail("enrol", error, 2);
  g_autoptr(EsPki) pki = es_pki_load(pki_dir, &error);
  if (pki == NULL)
    return es_cmd_fail("enrol", error, 2);
  EVP_PKEY *given_key = NULL;
  if (new_key_file != NULL && (given_key = es_pem_load_key(new_key_file, &error)) == NULL)
    return es_cmd_fail("enrol", error, 2);

  Enrol r = {.n = sc->enbs, .concurrency = cap, .rollout = rollout,
             .stop_s = closed_loop ? INFINITY : sc->stop_time_s,
             .renew = renew || sc->enb.renew_after_s > 0, .renew_after_s = sc->enb.renew_after_s,
             .revoke = revoke, .reason = reason_code};
  g_autoptr(EsCollector) collector = es_collector_new(r.n);
  r.collector = collector;
  X509 **device_certs = g_new0(X509 *, r.n + 1);
  EVP_PKEY **device_keys = g_new0(EVP_PKEY *, r.n + 1);
  int status = 1;
  r.enbs = g_new0(EsEnb *, r.n + 1);
  r.steps = g_new0(Step, r.n + 1);
  g_autofree char *target = server_of(server, path, tls != NULL);
  g_autofree char *reproduce = reproduce_line(pki_dir, server, path, cap, renew, revoke, reason,
                                              new_key_file, &tls_opts);
  g_autofree char *started_at = NULL;
  /* Ctrl-C or SIGTERM from here on: the eNBs stop where they are (or never start) and the
   * results say so. */
  es_interrupt_install("stopping the eNBs and writing the results");
  es_interrupt_ignore_file_size_limit();
  /* Never beside an earlier run's results (its certificates, its enrolments.csv). */
  if ((r.outdir = es_outdir_open(out_dir, "enrol", overwrite, &error)) == NULL)
    goto out;
  if (keep_certs) {
    r.certs_dir = g_build_filename(out_dir, "certs", NULL);
    if (g_mkdir_with_parents(r.certs_dir, 0755) != 0) {
      g_set_error(&error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                  r.certs_dir, g_strerror(errno));
      goto out;
    }
  }
  if (!load_devices(pki_dir, pki, r.n, device_certs, device_keys, quiet, &error))
    goto out;

  /* Engine time 0 is when enrolling starts (credentials are ready by then); epoch plus
   * engine time is the wall time at which the eNBs check certificates. */
  if ((r.live = es_live_new(&error)) == NULL || !es_live_set_target(r.live, server, path, &error))
    goto out;
  if (tls != NULL)
    es_live_set0_tls(r.live, g_steal_pointer(&tls));
  started_at = started_at_now();
  r.engine = es_live_get0_engine(r.live);
  ec.ask_implicit = sc->raca.grant_implicit;
  ec.seed = sc->seed;
  ec.deterministic = FALSE;
  ec.epoch = es_live_get_epoch(r.live, &ec.epoch_fraction);
  for (guint i = 1; i <= r.n; i++) {
    r.enbs[i] = es_enb_new(i, &ec, pki, r.engine);
    es_enb_set_event_cb(r.enbs[i], on_enb_event, &r);
    es_enb_set1_device(r.enbs[i], device_certs[i], device_keys[i]);
    if (given_key != NULL)
      es_enb_set1_new_key(r.enbs[i], given_key);
  }
  es_engine_timer_add(r.engine, INTERRUPT_CHECK_S, on_interrupt_check, &r);
  if (isfinite(r.stop_s))
    es_engine_timer_add(r.engine, MAX(r.stop_s - es_engine_now(r.engine), 0), on_stop_time, &r);
  EsLiveProgress *progress = quiet ? NULL : es_live_progress_new(r.engine, progress_line, &r);
  start_more(&r);
  if (r.finished < r.n && es_interrupt_signal == 0)
    es_live_run(r.live);
  es_live_progress_free(progress);
  double elapsed_s = r.last_done_s;
  int interrupted_by = es_interrupt_signal;
  double interrupted_at_s = es_engine_now(r.engine);
  gboolean cut_short = r.finished < r.n && (interrupted_by != 0 || r.stopped);
  if (interrupted_by != 0 || cut_short) {
    /* Those still busy end now, recorded as unfinished, before the files are written. */
    for (guint i = 1; i <= r.n; i++)
      g_clear_pointer(&r.enbs[i], es_enb_free);
    elapsed_s = interrupted_by != 0 ? interrupted_at_s : r.stop_s;
  }

  EsCollectorRun facts = {.scenario = sc->name, .seed = sc->seed, .sim_time_s = elapsed_s,
                          .wall_time_s = elapsed_s, .interrupted_by = interrupted_by,
                          .interrupted_at_s = interrupted_at_s};
  EsSummary *s = es_collector_summary_new(collector, &facts);
  summary = g_build_filename(out_dir, "summary.json", NULL);
  /* Each file whole or not at all; one that cannot be written (a full disk, a file-size
   * limit) does not keep the other from being tried; the first failure is reported. */
  GError *later = NULL;
  gboolean written = es_collector_write_files(collector, out_dir, FALSE, &error);
  if (!write_scenario(r.outdir, out_dir, sc, error == NULL ? &error : &later))
    written = FALSE;
  g_clear_error(&later);
  if (!(add_live_facts(s, &r, sc, started_at, target, reproduce,
                       error == NULL ? &error : &later)
        && es_outdir_claim(r.outdir, "summary.json", error == NULL ? &error : &later)
        && es_summary_write(s, summary, error == NULL ? &error : &later)))
    written = FALSE;
  g_clear_error(&later);
  es_summary_free(s);
  if (!written)
    goto out;
  if (r.write_error != NULL) {
    error = g_steal_pointer(&r.write_error);
    goto out;
  }
  EsRecorderStats st;
  es_recorder_stats(es_collector_get0_recorder(collector), NULL, &st);
  if (!quiet) {
    printf("results: %s\n", out_dir);
    if (interrupted_by != 0)
      printf("interrupted by %s after %.3f s: these results cover the run until then\n",
             es_summary_signal_name(interrupted_by), interrupted_at_s);
    else if (cut_short)
      printf("scenario.stop_time (%.3f s) came before every eNB was done: these results cover "
             "the run until then\n", r.stop_s);
    printf("%u eNBs: %u enrolled, %u failed", st.enbs, st.enrolled, st.failed);
    if (st.unfinished > 0)
      printf(", %u unfinished (%s)", st.unfinished,
             interrupted_by != 0 ? "the run was interrupted before they were done"
             : cut_short         ? "still busy or not started at scenario.stop_time"
                                 : "never started");
    g_autofree char *errors = es_live_describe_client_errors(r.live);
    if (errors != NULL)
      printf(" (errors: %s)", errors);
    if (r.renew)
      printf(", %u renewed", r.renewed);
    if (revoke)
      printf(", %u revoked", r.revoked);
    if (st.enrolled > 0)
      printf("\nenrolment latency (over the %u enrolled eNBs): p50 %.3f s, p90 %.3f s, p99 "
             "%.3f s, max %.3f s\n", st.enrolled, st.p50, st.p90, st.p99, st.max);
    else
      printf("\nenrolment latency: n/a (no eNB enrolled)\n");
    if (!closed_loop && r.started > 0) {
      printf("%s arrivals: %u of %u eNBs started, at most %.3f s after their time (mean %.3f s)",
             schedule_name(sc->rollout.schedule),
             r.started, r.n, r.lateness_max_s, r.lateness_sum_s / r.started);
      if (r.held > 0)
        printf(", %u held back by --concurrency %u", r.held, cap);
      printf("\n");
    }
    if (cap == G_MAXUINT)
      printf("%u enrolments in %.3f s: %.1f per s, no cap on concurrency\n", st.enrolled,
             elapsed_s, elapsed_s > 0 ? st.enrolled / elapsed_s : 0.0);
    else
      printf("%u enrolments in %.3f s: %.1f per s at concurrency %u\n", st.enrolled, elapsed_s,
             elapsed_s > 0 ? st.enrolled / elapsed_s : 0.0, cap);
  }
  status = st.failed == 0 && st.unfinished == 0 ? 0 : 1;
  if (interrupted_by != 0) {
    fprintf(stderr, "enrolsim: enrol interrupted by %s after %.3f s; results (marked "
                    "interrupted) in %s\n",
            es_summary_signal_name(interrupted_by), interrupted_at_s, out_dir);
    status = es_interrupt_exit_status();
  }

out:
  if (error != NULL)
    status = es_cmd_fail("enrol", error,
                         g_error_matches(error, ES_LIVE_ERROR, ES_LIVE_ERROR_ADDRESS)
                                 || g_error_matches(error, ES_OUTDIR_ERROR,
                                                    ES_OUTDIR_ERROR_HOLDS_RESULTS)
                             ? 2
                             : 1);
  for (guint i = 1; i <= r.n; i++) {
    es_enb_free(r.enbs[i]);
    X509_free(device_certs[i]);
    EVP_PKEY_free(device_keys[i]);
  }
  g_free(r.enbs);
  g_free(r.steps);
  g_free(device_certs);
  g_free(device_keys);
  es_live_free(r.live);
  EVP_PKEY_free(given_key);
  g_clear_error(&r.write_error);
  g_free(r.certs_dir);
  es_outdir_free(r.outdir);
  return status;
}
