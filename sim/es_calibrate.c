/* A calibration: the fit from measured figures to model parameters, the files that carry
 * both, and the order of the measuring (es_calibrate_measure.c does it). */
#include "sim/es_calibrate_priv.h"

#include <math.h>
#include <string.h>

#include "results/es_plot.h"

#define CSV_HEADER                                                                          \
  "concurrency,enrolments,errors,busy_503,throughput_per_s,p50_s,p99_s,ir_latency_mean_s,"  \
  "certconf_latency_mean_s\n"

/* ---- the fit ------------------------------------------------------------------------- */

static void mean_sd(const EsCalibSample *s, guint n, gboolean ir, double *mean, double *sd)
{
  double sum = 0, sq = 0;
  for (guint i = 0; i < n; i++)
    sum += ir ? s[i].ir_s : s[i].certconf_s;
  *mean = sum / n;
  for (guint i = 0; i < n; i++) {
    double d = (ir ? s[i].ir_s : s[i].certconf_s) - *mean;
    sq += d * d;
  }
  *sd = n > 1 ? sqrt(sq / (n - 1)) : 0;
}

/* Service times: at concurrency 1 nothing waits at the server, so an interval is the round
 * trip(s) plus the server's time for that message. The eNB's crypto lies outside both
 * intervals: it makes and signs a request before its _SENT step and checks a response after
 * its _RECEIVED step, so nothing of it is taken off. The spread of a service time is that of
 * its interval (a constant round trip moves the mean only), hence the coefficient of
 * variation, sd over the service mean: about 1 for exponential service, about 0 for fixed.
 *
 * Workers: by the utilisation law a station with service demand D per enrolment that
 * completes X enrolments per second keeps X * D workers busy on average. Raising the
 * concurrency raises X until every worker is busy: then X stays at X_max = K / D, so
 * K = X_max * D, rounded. While X still grew at the last step, K is at least that. */
void es_calib_fit(const EsCalibSample *samples, guint n_samples, double connect_s,
                  double exchange_s, const EsCalibStep *steps, guint n_steps, EsCalibFit *fit)
{
  memset(fit, 0, sizeof *fit);
  fit->samples = n_samples;
  if (n_samples > 0) {
    double ir_sd, cc_sd;
    mean_sd(samples, n_samples, TRUE, &fit->ir_mean_s, &ir_sd);
    mean_sd(samples, n_samples, FALSE, &fit->certconf_mean_s, &cc_sd);
    fit->ir_service_s = MAX(fit->ir_mean_s - connect_s - exchange_s, 0);
    fit->certconf_service_s = MAX(fit->certconf_mean_s - exchange_s, 0);
    fit->ir_cv = fit->ir_service_s > 0 ? ir_sd / fit->ir_service_s : 0;
    fit->certconf_cv = fit->certconf_service_s > 0 ? cc_sd / fit->certconf_service_s : 0;
    fit->dist = (fit->ir_cv + fit->certconf_cv) / 2 >= ES_CALIB_CV_EXPONENTIAL
                    ? ES_SERVICE_EXPONENTIAL
                    : ES_SERVICE_FIXED;
    fit->demand_s = fit->ir_service_s + fit->certconf_service_s;
    if (fit->demand_s > 0 && n_samples > 1)
      fit->demand_se = sqrt((ir_sd * ir_sd + cc_sd * cc_sd) / n_samples) / fit->demand_s;
  }
  double best = 0;
  for (guint i = 0; i < n_steps; i++) {
    const EsCalibStep *st = &steps[i];
    if (i > 0 && st->throughput < (1 + ES_CALIB_GROWTH) * best)
      fit->saturated = TRUE;
    if (st->throughput > best) {
      best = st->throughput;
      fit->x_max_concurrency = st->concurrency;
    }
    if (st->busy_503 > 0) {
      if (!fit->sheds_load)
        fit->first_503_concurrency = st->concurrency;
      fit->sheds_load = TRUE;
      fit->retry_after_s = MAX(fit->retry_after_s, st->retry_after_s);
    }
  }
  fit->x_max = best;
  fit->workers_exact = best * fit->demand_s;
  fit->workers = MAX(1u, (guint)lround(fit->workers_exact));
}

/* ---- the calibration ----------------------------------------------------------------- */

EsCalibration *es_calibration_new(const char *server, const char *path)
{
  EsCalibration *cal = g_new0(EsCalibration, 1);
  cal->server = g_strdup(server);
  cal->path = g_strdup(path != NULL ? path : "/");
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  cal->started_utc = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
  cal->samples = g_array_new(FALSE, FALSE, sizeof(EsCalibSample));
  cal->steps = g_array_new(FALSE, FALSE, sizeof(EsCalibStep));
  return cal;
}

void es_calibration_free(EsCalibration *cal)
{
  if (cal == NULL)
    return;
  g_free(cal->server);
  g_free(cal->path);
  g_free(cal->started_utc);
  g_free(cal->stop_reason);
  g_array_unref(cal->samples);
  g_array_unref(cal->steps);
  g_free(cal);
}

void es_calibration_refit(EsCalibration *cal)
{
  /* Without a timed exchange, a connect's round trip stands for it. */
  double exchange_s = cal->exchange_samples > 0 ? cal->exchange_s : cal->rtt_s;
  es_calib_fit((const EsCalibSample *)cal->samples->data, cal->samples->len, cal->rtt_s,
               exchange_s, (const EsCalibStep *)cal->steps->data, cal->steps->len, &cal->fit);
}

/* ---- files --------------------------------------------------------------------------- */

/* Numbers in files never take the locale's decimal comma. */
static const char *num(char *buf, const char *format, double v)
{
  return g_ascii_formatd(buf, G_ASCII_DTOSTR_BUF_SIZE, format, v);
}

static const char *ms(char *buf, double s) { return num(buf, "%.3f", s * 1e3); }

char *es_calibration_to_ini(const EsCalibration *cal)
{
  const EsCalibFit *f = &cal->fit;
  char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE], c[G_ASCII_DTOSTR_BUF_SIZE],
      d[G_ASCII_DTOSTR_BUF_SIZE];
  GString *s = g_string_new(NULL);
  g_string_append_printf(s,
                         "# Measured by enrolsim calibrate against %s (path %s), %s.\n"
                         "# A scenario fragment: enrolsim run --scenario calibration.ini; the "
                         "keys not here keep their defaults.\n",
                         cal->server, cal->path, cal->started_utc);
  if (cal->stop_reason != NULL)
    g_string_append_printf(s, "# The measuring ended: %s.\n", cal->stop_reason);
  if (g_str_has_prefix(cal->server, "https://"))
    g_string_append(s, "# Over HTTPS: each eNB opens its own connection, so each ir's time includes "
                       "a TLS handshake\n# (its round trip and both ends' CPU), as the service "
                       "times below do.\n");
  if (cal->rtt_samples > 0)
    g_string_append_printf(s, "# Round trip: %s ms, the median TCP connect time of %u.\n",
                           ms(a, cal->rtt_s), cal->rtt_samples);
  if (cal->exchange_samples > 0)
    g_string_append_printf(s,
                           "# HTTP exchange: %s ms, the median time of %u GETs of \"/\" "
                           "answered without CMP work.\n",
                           ms(a, cal->exchange_s), cal->exchange_samples);
  else if (cal->rtt_samples > 0)
    g_string_append(s, "# HTTP exchange not timed (over TLS, or a GET was left unanswered): "
                       "the connect's round trip stands for it.\n");
  if (f->samples > 0) {
    g_string_append(s, "\n[raca]\n");
    if (cal->steps->len > 0) {
      g_string_append_printf(s,
                             "# Throughput at most %s enrolments/s (at concurrency %u) x service "
                             "demand %s ms per enrolment\n"
                             "# (ir_service + certconf_service) = %s busy workers.\n",
                             num(a, "%.2f", f->x_max), f->x_max_concurrency, ms(b, f->demand_s),
                             num(c, "%.2f", f->workers_exact));
      if (!f->saturated)
        g_string_append(s, "# Throughput still grew at the last step: the server has at least "
                           "this many.\n");
      g_string_append_printf(s, "workers = %u\n", f->workers);
    }
    g_string_append_printf(s,
                           "# Mean ir -> ip %s ms at concurrency 1 over %u enrolments, less a "
                           "connect and an exchange.\n"
                           "ir_service = %sms\n"
                           "# Mean certConf -> pkiConf %s ms, less an exchange.\n"
                           "certconf_service = %sms\n",
                           ms(a, f->ir_mean_s), f->samples, ms(b, f->ir_service_s),
                           ms(c, f->certconf_mean_s), ms(d, f->certconf_service_s));
    g_string_append_printf(s,
                           "# Coefficient of variation of the service samples: ir %s, certConf "
                           "%s (about 1: exponential, about 0: fixed);\n"
                           "# standard error of the service demand %s %% (more --samples narrow "
                           "it as 1/sqrt(n)).\n"
                           "service = %s\n",
                           num(a, "%.3f", f->ir_cv), num(b, "%.3f", f->certconf_cv),
                           num(c, "%.1f", 100 * f->demand_se),
                           f->dist == ES_SERVICE_EXPONENTIAL ? "exponential" : "fixed");
    g_string_append_printf(s,
                           "# Not measured (calibrate sends no kur or rr): taken as ir_service "
                           "and certconf_service.\n"
                           "kur_service = %sms\n"
                           "rr_service = %sms\n",
                           ms(a, f->ir_service_s), ms(b, f->certconf_service_s));
    if (f->sheds_load)
      g_string_append_printf(s,
                             "# The server answered 503 from concurrency %u on: it bounds its "
                             "queue (raca.queue_limit, not measured).\n"
                             "retry_after = %us\n",
                             f->first_503_concurrency, f->retry_after_s);
  }
  if (cal->crypto_samples > 0)
    g_string_append_printf(s,
                           "\n[enb]\n"
                           "key = %s\n"
                           "# Median of %u key pairs made on this host.\n"
                           "keygen_time = %sms\n"
                           "# Median of %u irs made and signed on this host by OpenSSL's CMP "
                           "client with the device credential.\n"
                           "sign_time = %sms\n",
                           es_key_type_name(cal->key), cal->crypto_samples, ms(a, cal->keygen_s),
                           cal->crypto_samples, ms(b, cal->sign_s));
  return g_string_free(s, FALSE);
}

char *es_calibration_to_csv(const EsCalibration *cal)
{
  GString *s = g_string_new(CSV_HEADER);
  char t[G_ASCII_DTOSTR_BUF_SIZE], p50[G_ASCII_DTOSTR_BUF_SIZE], p99[G_ASCII_DTOSTR_BUF_SIZE],
      ir[G_ASCII_DTOSTR_BUF_SIZE], cc[G_ASCII_DTOSTR_BUF_SIZE];
  for (guint i = 0; i < cal->steps->len; i++) {
    const EsCalibStep *st = &g_array_index(cal->steps, EsCalibStep, i);
    g_string_append_printf(s, "%u,%u,%u,%u,%s,%s,%s,%s,%s\n", st->concurrency, st->enrolments,
                           st->errors, st->busy_503, num(t, "%.3f", st->throughput),
                           num(p50, "%.6f", st->p50_s), num(p99, "%.6f", st->p99_s),
                           num(ir, "%.6f", st->ir_mean_s), num(cc, "%.6f", st->certconf_mean_s));
  }
  return g_string_free(s, FALSE);
}

char *es_calibration_to_gnuplot(const EsCalibration *cal)
{
  guint max_c = 1;
  for (guint i = 0; i < cal->steps->len; i++)
    max_c = MAX(max_c, g_array_index(cal->steps, EsCalibStep, i).concurrency);
  g_autofree char *title_text =
      g_strdup_printf("calibrate %s: throughput and enrolment latency", cal->server);
  g_autofree char *title = es_plot_quote(title_text);
  GString *s = g_string_new(NULL);
  g_string_append_printf(
      s,
      "# Throughput and enrolment latency against concurrency, from calibration.csv. Written "
      "by enrolsim; redraw in this folder with: gnuplot calibration.gp\n"
      "reset\n"
      "set datafile separator comma\n"
      "set datafile columnheaders\n"
      "set grid\n"
      "set title %s\n"
      "set logscale x 2\n"
      "set xrange [0.8:%u]\n"
      "set xlabel \"concurrency (eNBs enrolling at once)\"\n"
      "set ylabel \"throughput (enrolments/s)\"\n"
      "set y2label \"enrolment latency (ms)\"\n"
      "set yrange [0:*]\n"
      "set y2range [0:*]\n"
      "set ytics nomirror\n"
      "set y2tics\n"
      "set key top left\n"
      "do for [fmt in \"png svg\"] {\n"
      "  if (fmt eq \"png\") {\n"
      "    set terminal pngcairo size 960,600 noenhanced font \"sans,11\"\n"
      "  } else {\n"
      "    set terminal svg size 960,600 noenhanced dynamic font \"sans,11\" background rgb "
      "\"white\"\n"
      "  }\n"
      "  set output 'calibration.'.fmt\n"
      "  plot 'calibration.csv' using (column(\"concurrency\")):(column(\"throughput_per_s\")) "
      "axes x1y1 with linespoints lw 2 title \"throughput\", \\\n"
      "       '' using (column(\"concurrency\")):(1000*column(\"p50_s\")) axes x1y2 with "
      "linespoints title \"p50 latency\", \\\n"
      "       '' using (column(\"concurrency\")):(1000*column(\"p99_s\")) axes x1y2 with "
      "linespoints title \"p99 latency\"\n"
      "  set output\n"
      "}\n",
      title, max_c * 5 / 4 + 1);
  return g_string_free(s, FALSE);
}

static gboolean write_file(const char *dir, const char *name, char *text, EsOutdir *outdir,
                           GError **error)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  GError *inner = NULL;
  gboolean ok = es_outdir_claim(outdir, name, &inner)
                && g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0666,
                                            &inner);
  g_free(text);
  if (!ok) {
    g_set_error(error, ES_CALIB_ERROR, ES_CALIB_ERROR_WRITE, "cannot write %s: %s", path,
                inner->message);
    g_error_free(inner);
  }
  return ok;
}

/* calibration.ini and .csv, each whole (a temporary file renamed over the last one). */
static gboolean write_files(const EsCalibOptions *o, EsOutdir *outdir, EsCalibration *cal,
                            GError **error)
{
  es_calibration_refit(cal);
  return write_file(o->out_dir, "calibration.ini", es_calibration_to_ini(cal), outdir, error)
         && write_file(o->out_dir, "calibration.csv", es_calibration_to_csv(cal), outdir, error);
}

gboolean es_calibration_plot(const EsCalibration *cal, const char *dir, EsOutdir *outdir,
                             GError **error)
{
  static const char *const scripts[] = {"calibration.gp", NULL};
  static const char *const images[] = {"calibration.png", "calibration.svg", NULL};
  return write_file(dir, "calibration.gp", es_calibration_to_gnuplot(cal), outdir, error)
         && es_outdir_claimv(outdir, images, error) && es_plot_gnuplot(dir, scripts, error);
}

/* ---- the order of the measuring ------------------------------------------------------ */

static void step_done(const EsCalibOptions *o, EsCalibration *cal, const EsCalibStep *step)
{
  g_array_append_val(cal->steps, *step);
  if (o->step_done != NULL)
    o->step_done(o->arg, step);
}

/* The sweep after concurrency 1: doubling until the throughput stops growing, errors or 503s
 * appear, or the cap. Sets cal->stop_reason. */
static gboolean sweep(const EsCalibOptions *o, EsCalibMeter *m, EsOutdir *outdir,
                      EsCalibration *cal, GError **error)
{
  double best = g_array_index(cal->steps, EsCalibStep, 0).throughput;
  /* A throughput over N enrolments of varying service times is known to about cv / sqrt(N):
   * steps grow with the variance seen at concurrency 1 (five times for exponential times), so
   * that the worker count does not round the wrong way. */
  double cv = (cal->fit.ir_cv + cal->fit.certconf_cv) / 2;
  double scale = 1 + 4 * MIN(cv * cv, 1.0);
  for (guint c = 2;; c *= 2) {
    if (c > o->max_concurrency) {
      cal->stop_reason = g_strdup_printf("--max-concurrency %u reached", o->max_concurrency);
      return TRUE;
    }
    EsCalibStep step;
    g_autofree char *phase = g_strdup_printf("concurrency %u", c);
    if (!es_calib_run_step(m, c, (guint)ceil(scale * MAX(o->step_enrolments, 4 * c)), FALSE,
                           phase, &step, NULL, error))
      return FALSE;
    step_done(o, cal, &step);
    if (!write_files(o, outdir, cal, error))
      return FALSE;
    if (step.busy_503 > 0)
      cal->stop_reason = g_strdup_printf("the server answered 503 at concurrency %u", c);
    else if (step.errors > 0)
      cal->stop_reason = g_strdup_printf("%u enrolment%s failed at concurrency %u", step.errors,
                                         step.errors == 1 ? "" : "s", c);
    else if (step.throughput < (1 + ES_CALIB_GROWTH) * best)
      cal->stop_reason = g_strdup_printf("throughput grew by less than %.0f %% at concurrency %u",
                                         ES_CALIB_GROWTH * 100, c);
    if (cal->stop_reason != NULL)
      return TRUE;
    best = MAX(best, step.throughput);
  }
}

static gboolean measure(const EsCalibOptions *o, EsCalibMeter *m, EsOutdir *outdir,
                        EsCalibration *cal, GError **error)
{
  if (!es_calib_measure_crypto(m, cal, error) || !write_files(o, outdir, cal, error)
      || !es_calib_measure_rtt(m, cal, error) || !write_files(o, outdir, cal, error))
    return FALSE;
  /* One enrolment first, not counted: connections, caches and the server's first-time work
   * settle, and a server that is no CMP server says so at once. */
  EsCalibStep step;
  if (!es_calib_run_step(m, 1, 1, TRUE, "first enrolment", &step, NULL, error)
      || !es_calib_run_step(m, 1, o->samples, TRUE, "concurrency 1", &step, cal->samples, error))
    return FALSE;
  step_done(o, cal, &step);
  if (!write_files(o, outdir, cal, error))
    return FALSE;
  return sweep(o, m, outdir, cal, error);
}

gboolean es_calibrate(const EsCalibOptions *o, EsOutdir *outdir, EsCalibration *cal,
                      GError **error)
{
  g_return_val_if_fail(o != NULL && o->samples >= 2 && o->max_concurrency >= 1, FALSE);
  cal->key = o->key;
  cal->given_key = o->new_key != NULL;
  GError *inner = NULL;
  EsCalibMeter *m = es_calib_meter_new(o, &inner);
  gboolean ok = m != NULL && measure(o, m, outdir, cal, &inner);
  es_calib_meter_free(m);
  if (!ok) {
    /* What was measured stays, marked as cut short (unless the files are what failed). */
    g_free(cal->stop_reason);
    cal->stop_reason = g_strdup(inner->message);
    if (!g_error_matches(inner, ES_CALIB_ERROR, ES_CALIB_ERROR_WRITE))
      write_files(o, outdir, cal, NULL);
    g_propagate_error(error, inner);
    return FALSE;
  }
  return write_files(o, outdir, cal, error);
}
