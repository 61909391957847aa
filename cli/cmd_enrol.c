/* enrolsim enrol: N eNBs enrol (and optionally renew and revoke) against a real CMP server
 * over the live engine, at most C at a time, with the same eNB code as a simulated run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "cli/cmd.h"
#include "cli/es_interrupt.h"
#include "nodes/es_enb.h"
#include "engines/es_live.h"
#include "pki/es_pki.h"
#include "nodes/es_raca.h"
#include "results/es_outdir.h"
#include "results/es_summary.h"
#include "sim/es_collector.h"
#include "config/es_config.h"

typedef struct {
  EsLive *live;
  EsEngine *engine;
  EsEnb **enbs;           /* 1..n */
  guint n, concurrency;
  guint next, active, finished;
  guint done_calls;
  gboolean starting;
  gboolean renew, revoke;
  int reason;
  char *certs_dir;
  GError *write_error;
  guint renewed, revoked;
  double last_done_s;
  EsCollector *collector;
  EsOutdir *outdir;       /* OUT_DIR's manifest */
} Enrol;

static void start_more(Enrol *r);

/* The signal handler only sets a flag: looked at on the loop a few times a second. */
#define INTERRUPT_CHECK_S 0.05

static void on_interrupt_check(void *arg)
{
  Enrol *r = arg;
  if (es_interrupt_signal != 0)
    es_live_stop(r->live);
  else
    es_engine_timer_add(r->engine, INTERRUPT_CHECK_S, on_interrupt_check, r);
}

static void finish_one(Enrol *r)
{
  r->active--;
  r->finished++;
  r->last_done_s = es_engine_now(r->engine);
  if (r->finished == r->n)
    es_live_stop(r->live);
  else if (!r->starting)
    start_more(r);
}

/* Keeps C eNBs busy. A session that fails at once reports back from inside es_enb_start;
 * one that could not start at all (no memory for its fiber) does not report: counted here. */
static void start_more(Enrol *r)
{
  r->starting = TRUE;
  while (r->active < r->concurrency && r->next <= r->n) {
    EsEnb *enb = r->enbs[r->next++];
    guint calls = r->done_calls;
    r->active++;
    es_enb_start(enb);
    if (!es_enb_is_active(enb) && r->done_calls == calls)
      finish_one(r);
  }
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

/* The next step of an eNB cannot start inside its done callback (the session is still
 * being torn down): one engine turn later. */
typedef struct {
  Enrol *r;
  EsEnb *enb;
  EsEnbOperation op;
} Step;

static void on_step_due(void *arg)
{
  Step *s = arg;
  guint calls = s->r->done_calls;
  gboolean started = s->op == ES_ENB_RENEW ? es_enb_renew(s->enb)
                                           : es_enb_revoke(s->enb, s->r->reason);
  if (!started || (!es_enb_is_active(s->enb) && s->r->done_calls == calls))
    finish_one(s->r);
  g_free(s);
}

static void next_step(Enrol *r, EsEnb *enb, EsEnbOperation op)
{
  Step *s = g_new0(Step, 1);
  s->r = r;
  s->enb = enb;
  s->op = op;
  es_engine_timer_add(r->engine, 0, on_step_due, s);
}

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
    next_step(r, enb, ES_ENB_RENEW);
  else if (cert != NULL && r->revoke)
    next_step(r, enb, ES_ENB_REVOKE);
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
  for (guint i = 1; i <= n; i++) {
    char *path = g_strdup_printf("%s/devices/enb-%u.pem", pki_dir, i);
    gboolean exists = g_file_test(path, G_FILE_TEST_EXISTS);
    g_free(path);
    if (exists) {
      if (!es_pki_load_device(pki_dir, i, &certs[i], &keys[i], error))
        return FALSE;
      continue;
    }
    if (pki_files == NULL && (pki_files = es_outdir_append(pki_dir, error)) == NULL)
      return FALSE;
    keys[i] = es_key_generate(es_pki_get_key_type(pki), error);
    certs[i] = keys[i] != NULL ? es_pki_issue_device(pki, i, keys[i], error) : NULL;
    if (certs[i] == NULL || !es_outdir_claimf(pki_files, error, "devices/enb-%u.pem", i)
        || !es_outdir_claimf(pki_files, error, "devices/enb-%u.key", i)
        || !es_pki_save_device(pki_dir, i, certs[i], keys[i], error))
      return FALSE;
    made++;
  }
  if (made > 0 && !quiet)
    printf("made %u device credential%s in %s/devices\n", made, made == 1 ? "" : "s", pki_dir);
  return TRUE;
}

int es_cmd_enrol(int argc, char **argv)
{
  g_autofree char *server = NULL, *path = NULL, *new_key_file = NULL, *timeout = NULL,
                  *reason = NULL, *key = NULL, *summary = NULL, *give_up = NULL;
  gint enbs = 1, concurrency = 1;
  gboolean implicit = FALSE, renew = FALSE, revoke = FALSE, keep_certs = FALSE, quiet = FALSE;
  gboolean overwrite = FALSE;
  g_autofree char *pki_opt = NULL, *out_opt = NULL;
  GOptionEntry entries[] = {
    {"pki", 0, 0, G_OPTION_ARG_FILENAME, &pki_opt, "The PKI folder that enrolsim pki init wrote (or the first argument)", "DIR"},
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out_opt, "Result folder (or the second argument; default out/enrol)", "DIR"},
    {"server", 's', 0, G_OPTION_ARG_STRING, &server, "The CMP server (required)", "HOST:PORT"},
    {"path", 0, 0, G_OPTION_ARG_STRING, &path, "HTTP path of the POSTs (default /)", "PATH"},
    {"enbs", 'n', 0, G_OPTION_ARG_INT, &enbs, "Number of eNBs, numbered 1..N (default 1)", "N"},
    {"concurrency", 'c', 0, G_OPTION_ARG_INT, &concurrency, "eNBs enrolling at once (default 1)", "C"},
    {"key", 'k', 0, G_OPTION_ARG_STRING, &key, "enb.key: key type of the new key pairs: p256 (default), p384, rsa2048", "TYPE"},
    {"new-key", 0, 0, G_OPTION_ARG_FILENAME, &new_key_file, "Use this key pair for every ir and kur instead of fresh ones (for a server that hands out a fixed certificate, e.g. openssl cmp -port)", "FILE"},
    {"implicit", 0, 0, G_OPTION_ARG_NONE, &implicit, "Ask for implicitConfirm", NULL},
    {"timeout", 0, 0, G_OPTION_ARG_STRING, &timeout, "enb.msg_timeout: no response by then: resend, up to enb.max_attempts (4) sends (default 10s)", "DURATION"},
    {"give-up-after", 0, 0, G_OPTION_ARG_STRING, &give_up, "enb.give_up_after: after a transaction failed for the network's or the server's sake, start a new one until this long after the start, as a deployed eNB does (default 30min; 0s: stop after enb.max_attempts)", "DURATION"},
    {"renew", 0, 0, G_OPTION_ARG_NONE, &renew, "After enrolling, renew the certificate once (kur)", NULL},
    {"revoke", 0, 0, G_OPTION_ARG_NONE, &revoke, "At the end, revoke the certificate (rr)", NULL},
    {"reason", 0, 0, G_OPTION_ARG_STRING, &reason, "Reason code the rr asks for: none (default), keyCompromise, superseded, cessationOfOperation, ... or its number", "REASON"},
    {"keep-certs", 0, 0, G_OPTION_ARG_NONE, &keep_certs, "Write each eNB's latest operator certificate and key to OUT_DIR/certs/enb-<i>.pem/.key", NULL},
    {"overwrite", 0, 0, G_OPTION_ARG_NONE, &overwrite, "OUT_DIR holds an earlier run's results: remove the files enrolsim wrote there first (others stay)", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing but errors", NULL},
    {NULL}};
  g_autoptr(GOptionContext) opts = g_option_context_new("[--pki] PKI_DIR [[--out] OUT_DIR] - enrol eNBs against a real CMP server");
  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_set_summary(opts,
    "eNBs 1..N enrol operator certificates with CMPv2 (ir, certConf) from --server, at most C\n"
    "at a time, each with its vendor credential PKI_DIR/devices/enb-<i>.pem/.key (made and\n"
    "saved there when missing; PKI_DIR is what enrolsim pki init writes). Writes\n"
    "OUT_DIR/enrolments.csv and summary.json; times are wall-clock seconds since the start.\n"
    "Exit status: 0 when every eNB enrolled (and renewed and revoked, when asked), 1 when any\n"
    "failed, 2 on bad usage.");
  GError *error = NULL;
  if (!g_option_context_parse(opts, &argc, &argv, &error))
    return es_cmd_fail("enrol", error, 2);
  const char *pki_dir = pki_opt, *out_dir = out_opt;
  if (!es_cmd_dirs(argc, argv, &pki_dir, &out_dir) || pki_dir == NULL || server == NULL) {
    fprintf(stderr, "enrolsim: usage: enrolsim enrol --pki DIR --server HOST:PORT [--enbs N] [--concurrency C] [--out DIR] (see --help)\n");
    return 2;
  }
  if (out_dir == NULL)
    out_dir = "out/enrol";
  /* The same keys and defaults as a scenario's [enb] section. */
  EsEnbConfig ec;
  es_enb_config_init(&ec);
  int reason_code = -1;
  const struct {
    const char *option, *key, *value;
  } keys[] = {{"--timeout", "enb.msg_timeout", timeout}, {"--key", "enb.key", key},
              {"--give-up-after", "enb.give_up_after", give_up}};
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    if (keys[i].value != NULL
        && !es_config_set(es_enb_config_schema(), &ec, keys[i].key, keys[i].value, &error)) {
      g_prefix_error(&error, "%s: ", keys[i].option);
      return es_cmd_fail("enrol", error, 2);
    }
  /* Live: the eNB's CPU time is real, so none is modelled on top of it. */
  ec.keygen_s = ec.sign_s = 0;
  if (enbs < 1 || concurrency < 1) {
    fprintf(stderr, "enrolsim: enrol: --enbs and --concurrency must be at least 1\n");
    return 2;
  }
  if (!parse_reason(reason, &reason_code)) {
    fprintf(stderr, "enrolsim: enrol: --reason: '%s' is not an RFC 5280 reason code\n", reason);
    return 2;
  }

  g_autoptr(EsLive) probe = es_live_new(&error);
  if (probe == NULL || !es_live_set_target(probe, server, path, &error))
    return es_cmd_fail("enrol", error, 2); /* before any device credential is made */
  g_clear_pointer(&probe, es_live_free);
  g_autoptr(EsPki) pki = es_pki_load(pki_dir, &error);
  if (pki == NULL)
    return es_cmd_fail("enrol", error, 2);
  EVP_PKEY *given_key = NULL;
  if (new_key_file != NULL && (given_key = es_pem_load_key(new_key_file, &error)) == NULL)
    return es_cmd_fail("enrol", error, 2);

  Enrol r = {.n = (guint)enbs, .concurrency = (guint)concurrency, .next = 1, .renew = renew,
             .revoke = revoke, .reason = reason_code};
  g_autoptr(EsCollector) collector = es_collector_new(r.n);
  r.collector = collector;
  X509 **device_certs = g_new0(X509 *, r.n + 1);
  EVP_PKEY **device_keys = g_new0(EVP_PKEY *, r.n + 1);
  int status = 1;
  r.enbs = g_new0(EsEnb *, r.n + 1);
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
  r.engine = es_live_get0_engine(r.live);
  ec.ask_implicit = implicit;
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
  start_more(&r);
  if (r.finished < r.n && es_interrupt_signal == 0)
    es_live_run(r.live);
  double elapsed_s = r.last_done_s;
  int interrupted_by = es_interrupt_signal;
  double interrupted_at_s = es_engine_now(r.engine);
  if (interrupted_by != 0) {
    /* Those still enrolling end now, recorded as unfinished, before the files are written. */
    for (guint i = 1; i <= r.n; i++)
      g_clear_pointer(&r.enbs[i], es_enb_free);
    elapsed_s = interrupted_at_s;
  }

  EsCollectorRun facts = {.scenario = "live", .sim_time_s = elapsed_s,
                         .wall_time_s = elapsed_s, .interrupted_by = interrupted_by,
                         .interrupted_at_s = interrupted_at_s};
  EsSummary *s = es_collector_summary_new(collector, &facts);
  summary = g_build_filename(out_dir, "summary.json", NULL);
  /* Each file whole or not at all; one that cannot be written (a full disk, a file-size
   * limit) does not keep the other from being tried; the first failure is reported. */
  GError *later = NULL;
  gboolean written = es_collector_write_files(collector, out_dir, FALSE, &error);
  if (!(es_outdir_claim(r.outdir, "summary.json", error == NULL ? &error : &later)
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
    printf("%u eNBs: %u enrolled, %u failed", st.enbs, st.enrolled, st.failed);
    if (st.unfinished > 0)
      printf(", %u unfinished (%s)", st.unfinished,
             interrupted_by != 0 ? "the run was interrupted before they were done"
                                 : "never started");
    if (renew)
      printf(", %u renewed", r.renewed);
    if (revoke)
      printf(", %u revoked", r.revoked);
    if (st.enrolled > 0)
      printf("\nenrolment latency (over the %u enrolled eNBs): p50 %.3f s, p90 %.3f s, p99 "
             "%.3f s, max %.3f s\n", st.enrolled, st.p50, st.p90, st.p99, st.max);
    else
      printf("\nenrolment latency: n/a (no eNB enrolled)\n");
    printf("%u enrolments in %.3f s: %.1f per s at concurrency %u\n", st.enrolled, elapsed_s,
           elapsed_s > 0 ? st.enrolled / elapsed_s : 0.0, r.concurrency);
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
  g_free(device_certs);
  g_free(device_keys);
  es_live_free(r.live);
  EVP_PKEY_free(given_key);
  g_clear_error(&r.write_error);
  g_free(r.certs_dir);
  es_outdir_free(r.outdir);
  return status;
}
