/* enrolsim calibrate: measures a real CMP server and writes the model parameters that match
 * it (sim/es_calibrate.h does the measuring and the fit). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

#include "cli/cmd.h"
#include "cli/es_interrupt.h"
#include "cli/es_tls_options.h"
#include "config/es_config.h"
#include "engines/es_live.h"
#include "nodes/es_enb.h"
#include "pki/es_pki.h"
#include "results/es_outdir.h"
#include "results/es_plot.h"
#include "sim/es_calibrate.h"

typedef struct {
  const char *pki_dir;
  const EsPki *pki;
  X509 **certs;           /* [0, max) */
  EVP_PKEY **keys;
  guint ready;
  EsOutdir *pki_files;    /* PKI_DIR's manifest, once a credential is made */
  gboolean quiet, tty, progress_shown;
} Cli;

/* The vendor credentials of eNBs 1..n, as enrol has them: read from PKI_DIR/devices, made and
 * saved there (and added to its manifest, so that pki init --overwrite removes them) when
 * missing. */
static gboolean need_devices(void *arg, guint n, GError **error)
{
  Cli *cli = arg;
  guint made = 0;
  for (guint i = cli->ready + 1; i <= n; i++) {
    if (!es_cmd_device(cli->pki_dir, cli->pki, i, &cli->certs[i - 1], &cli->keys[i - 1],
                       &cli->pki_files, &made, error))
      return FALSE;
    cli->ready = i;
  }
  if (made > 0 && !cli->quiet)
    fprintf(stderr, "enrolsim: calibrate: made %u device credential%s in %s/devices\n", made,
            made == 1 ? "" : "s", cli->pki_dir);
  return TRUE;
}

static void clear_progress(Cli *cli)
{
  if (cli->progress_shown)
    fputs("\r\033[K", stderr);
  cli->progress_shown = FALSE;
}

/* On a terminal, a line redrawn in place; elsewhere nothing until the step is done. */
static void on_progress(void *arg, const char *phase, guint concurrency, guint done, guint total,
                        guint failed)
{
  Cli *cli = arg;
  (void)concurrency;
  if (cli->quiet || !cli->tty)
    return;
  fprintf(stderr, "\r\033[Kcalibrate: %s: %u/%u enrolments (%u failed)", phase, done, total,
          failed);
  fflush(stderr);
  cli->progress_shown = TRUE;
}

static void on_step_done(void *arg, const EsCalibStep *st)
{
  Cli *cli = arg;
  if (cli->quiet)
    return;
  clear_progress(cli);
  fprintf(stderr,
          "calibrate: concurrency %u: %u enrolments, %u errors, %u 503s, %.1f per s, p50 %.4f "
          "s, p99 %.4f s\n",
          st->concurrency, st->enrolments, st->errors, st->busy_503, st->throughput, st->p50_s,
          st->p99_s);
}

static void print_report(const EsCalibration *cal, const char *out_dir)
{
  const EsCalibFit *f = &cal->fit;
  printf("calibrate %s (path %s)\n", cal->server, cal->path);
  if (cal->crypto_samples > 0)
    printf("client crypto on this host (%s, medians of %u): key pair %.3f ms, ir made and "
           "signed %.3f ms\n",
           es_key_type_name(cal->key), cal->crypto_samples, cal->keygen_s * 1e3,
           cal->sign_s * 1e3);
  if (cal->rtt_samples > 0)
    printf("round trip (TCP connect, median of %u): %.3f ms\n", cal->rtt_samples,
           cal->rtt_s * 1e3);
  if (cal->exchange_samples > 0)
    printf("HTTP exchange (GET /, median of %u): %.3f ms\n", cal->exchange_samples,
           cal->exchange_s * 1e3);
  if (cal->steps->len > 0) {
    printf("%11s %10s %6s %4s %12s %9s %9s %9s %13s\n", "concurrency", "enrolments", "errors",
           "503", "throughput/s", "p50 ms", "p99 ms", "ir ms", "certConf ms");
    for (guint i = 0; i < cal->steps->len; i++) {
      const EsCalibStep *st = &g_array_index(cal->steps, EsCalibStep, i);
      printf("%11u %10u %6u %4u %12.1f %9.2f %9.2f %9.2f %13.2f\n", st->concurrency,
             st->enrolments, st->errors, st->busy_503, st->throughput, st->p50_s * 1e3,
             st->p99_s * 1e3, st->ir_mean_s * 1e3, st->certconf_mean_s * 1e3);
    }
  }
  if (f->samples > 0)
    printf("service times (concurrency 1, %u enrolments, less round trips): ir %.3f ms, "
           "certConf %.3f ms (standard error of their sum %.1f %%); coefficient of variation "
           "%.2f, %.2f: %s\n",
           f->samples, f->ir_service_s * 1e3, f->certconf_service_s * 1e3, 100 * f->demand_se,
           f->ir_cv, f->certconf_cv, f->dist == ES_SERVICE_EXPONENTIAL ? "exponential" : "fixed");
  /* A sum known to 5 % moves an exponential queue's delay at 70 % load by 20 % or more. */
  if (f->samples > 0 && f->demand_se > 0.02)
    printf("note: the service times are known to %.0f %% only (the spread of the samples over "
           "the square root of their number); --samples %u would make it 2 %%\n",
           100 * f->demand_se,
           (guint)ceil(f->samples * (f->demand_se / 0.02) * (f->demand_se / 0.02)));
  if (cal->steps->len > 0 && f->samples > 0)
    printf("workers: %s%u (throughput at most %.1f per s at concurrency %u x %.3f ms per "
           "enrolment = %.2f)\n",
           f->saturated ? "" : "at least ", f->workers, f->x_max, f->x_max_concurrency,
           f->demand_s * 1e3, f->workers_exact);
  if (f->sheds_load)
    printf("sheds load: 503 from concurrency %u on, Retry-After %u s\n",
           f->first_503_concurrency, f->retry_after_s);
  if (cal->stop_reason != NULL)
    printf("stopped: %s\n", cal->stop_reason);
  printf("results: %s (calibration.ini, calibration.csv)\n", out_dir);
}

int es_cmd_calibrate(int argc, char **argv)
{
  g_autofree char *pki_opt = NULL, *out_opt = NULL, *server = NULL, *path = NULL,
                  *timeout = NULL, *key = NULL, *new_key_file = NULL;
  gint samples = 40, step_enrolments = 40, max_concurrency = 64, devices = 0;
  gboolean overwrite = FALSE, quiet = FALSE;
  GOptionEntry entries[] = {
    {"pki", 0, 0, G_OPTION_ARG_FILENAME, &pki_opt, "The PKI folder that enrolsim pki init wrote (or the first argument)", "DIR"},
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out_opt, "Result folder (or the second argument; default out/calibrate)", "DIR"},
    {"server", 's', 0, G_OPTION_ARG_STRING, &server, "The CMP server (required)", "HOST:PORT"},
    {"path", 0, 0, G_OPTION_ARG_STRING, &path, "HTTP path of the POSTs (default /)", "PATH"},
    {"samples", 'n', 0, G_OPTION_ARG_INT, &samples, "Enrolments at concurrency 1, for the service times (default 40)", "N"},
    {"step-enrolments", 0, 0, G_OPTION_ARG_INT, &step_enrolments, "Enrolments per step of the concurrency sweep, at least 4 x its concurrency (default 40)", "N"},
    {"max-concurrency", 'c', 0, G_OPTION_ARG_INT, &max_concurrency, "Highest concurrency of the sweep (default 64)", "C"},
    {"devices", 0, 0, G_OPTION_ARG_INT, &devices, "Device credentials the eNBs take in turn (default: as many as enrol at once; 1 for openssl cmp -port, which fails when two alternate)", "N"},
    {"timeout", 0, 0, G_OPTION_ARG_STRING, &timeout, "enb.msg_timeout: no response by then: the enrolment fails (default 10s)", "DURATION"},
    {"key", 'k', 0, G_OPTION_ARG_STRING, &key, "enb.key: key type of the new key pairs: p256 (default), p384, rsa2048", "TYPE"},
    {"new-key", 0, 0, G_OPTION_ARG_FILENAME, &new_key_file, "Use this key pair for every ir (for a server that hands out a fixed certificate, e.g. openssl cmp -port)", "FILE"},
    {"overwrite", 0, 0, G_OPTION_ARG_NONE, &overwrite, "OUT_DIR holds an earlier run's results: remove the files enrolsim wrote there first (others stay)", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing but errors", NULL},
    {NULL}};
  g_auto(EsTlsOptions) tls_opts = {.server = FALSE};
  g_autoptr(GOptionContext) opts = g_option_context_new("[--pki] PKI_DIR [[--out] OUT_DIR] - measure a real CMP server for the model");
  g_option_context_add_main_entries(opts, entries, NULL);
  es_tls_options_add(opts, &tls_opts);
  g_option_context_set_summary(opts,
    "Measures the CMP server at --server with eNBs of PKI_DIR (as enrol) and writes the\n"
    "model parameters that match it: OUT_DIR/calibration.ini, a scenario fragment ([raca]\n"
    "workers, service, ir_service, certconf_service; [enb] keygen_time, sign_time), with\n"
    "calibration.csv (a row per concurrency step) and calibration.png/.svg (gnuplot).\n"
    "First the client's crypto and the round trip (TCP connect), then --samples enrolments one\n"
    "at a time (service times), then concurrency 2, 4, 8, ... until the throughput grows by\n"
    "less than 10 %, errors or 503s appear, or --max-concurrency (workers). The files are\n"
    "written as steps complete. Exit status: 0 when done, 1 when the server failed or could\n"
    "not be measured (what was measured so far is kept), 2 on bad usage.");
  GError *error = NULL;
  if (!g_option_context_parse(opts, &argc, &argv, &error))
    return es_cmd_fail("calibrate", error, 2);
  const char *pki_dir = pki_opt, *out_dir = out_opt;
  if (!es_cmd_dirs(argc, argv, &pki_dir, &out_dir) || pki_dir == NULL || server == NULL) {
    fprintf(stderr, "enrolsim: usage: enrolsim calibrate --pki DIR --server HOST:PORT [--path P] [--out DIR] (see --help)\n");
    return 2;
  }
  if (out_dir == NULL)
    out_dir = "out/calibrate";
  if (samples < 2 || step_enrolments < 1 || max_concurrency < 1 || devices < 0) {
    fprintf(stderr, "enrolsim: calibrate: --samples must be at least 2, --step-enrolments and "
                    "--max-concurrency at least 1, --devices not negative\n");
    return 2;
  }
  /* The same keys and rules as a scenario's [enb] section. */
  EsEnbConfig ec;
  es_enb_config_init(&ec);
  const EsCmdKeyOption keys[] = {{"--timeout", "enb.msg_timeout", timeout}, {"--key", "enb.key", key}};
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    if (keys[i].value != NULL
        && !es_config_set(es_enb_config_schema(), &ec, keys[i].key, keys[i].value, &error)) {
      g_prefix_error(&error, "%s: ", keys[i].option);
      return es_cmd_fail("calibrate", error, 2);
    }
  g_autoptr(EsLive) probe = es_live_new(&error);
  if (probe == NULL || !es_live_set_target(probe, server, path, &error))
    return es_cmd_fail("calibrate", error, 2);
  g_clear_pointer(&probe, es_live_free);
  g_autoptr(EsLiveTls) tls = es_tls_options_context_new(&tls_opts, &error);
  if (error != NULL)
    return es_cmd_fail("calibrate", error, 2);
  g_autoptr(EsPki) pki = es_pki_load(pki_dir, &error);
  if (pki == NULL)
    return es_cmd_fail("calibrate", error, 2);
  EVP_PKEY *given_key = NULL;
  if (new_key_file != NULL && (given_key = es_pem_load_key(new_key_file, &error)) == NULL)
    return es_cmd_fail("calibrate", error, 2);

  /* Ctrl-C or SIGTERM: the step in flight stops, what was measured is written. */
  es_interrupt_install("stopping the measuring and writing what was measured");
  es_interrupt_ignore_file_size_limit();
  g_autoptr(EsOutdir) outdir = es_outdir_open(out_dir, "calibrate", overwrite, &error);
  if (outdir == NULL) {
    EVP_PKEY_free(given_key);
    return es_cmd_fail("calibrate", error,
                       g_error_matches(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_HOLDS_RESULTS) ? 2 : 1);
  }
  Cli cli = {.pki_dir = pki_dir, .pki = pki, .quiet = quiet, .tty = isatty(STDERR_FILENO)};
  guint n_devices = devices > 0 ? (guint)devices : (guint)max_concurrency;
  cli.certs = g_new0(X509 *, n_devices);
  cli.keys = g_new0(EVP_PKEY *, n_devices);
  EsCalibOptions o = {
    .server = server, .path = path, .tls = tls, .pki = pki,
    .device_certs = cli.certs, .device_keys = cli.keys, .need_devices = need_devices,
    .devices = (guint)devices,
    .key = ec.new_key, .new_key = given_key, .timeout_s = ec.msg_timeout_s,
    .samples = (guint)samples, .step_enrolments = (guint)step_enrolments,
    .max_concurrency = (guint)max_concurrency, .out_dir = out_dir,
    .interrupted = &es_interrupt_signal, .progress = on_progress, .step_done = on_step_done,
    .arg = &cli};
  g_autofree char *target = tls != NULL ? g_strconcat("https://", server, NULL) : g_strdup(server);
  g_autoptr(EsCalibration) cal = es_calibration_new(target, path);
  gboolean ok = es_calibrate(&o, outdir, cal, &error);
  clear_progress(&cli);
  int status = 0;
  if (!ok)
    status = g_error_matches(error, ES_CALIB_ERROR, ES_CALIB_ERROR_INTERRUPTED)
                 ? es_interrupt_exit_status()
                 : 1;
  /* The plot of what there is; without gnuplot a warning, the CSV is complete without it. */
  GError *plot_error = NULL;
  if (cal->steps->len > 0 && !es_calibration_plot(cal, out_dir, outdir, &plot_error)) {
    fprintf(stderr, "enrolsim: calibrate: warning: no plot: %s\n", plot_error->message);
    g_clear_error(&plot_error);
  }
  if (!quiet)
    print_report(cal, out_dir);
  if (error != NULL)
    es_cmd_fail("calibrate", error, status);
  for (guint i = 0; i < n_devices; i++) {
    X509_free(cli.certs[i]);
    EVP_PKEY_free(cli.keys[i]);
  }
  g_free(cli.certs);
  g_free(cli.keys);
  es_outdir_free(cli.pki_files);
  EVP_PKEY_free(given_key);
  return status;
}
