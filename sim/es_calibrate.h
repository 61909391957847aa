/* Calibration of the model against a real CMP server: the RA/CA's service time per message,
 * its number of parallel workers, the distribution of its service times and whether it sheds
 * load, and the eNB's CPU times on this host; written as a scenario fragment (calibration.ini)
 * beside the figures it came from (calibration.csv, a plot). The measuring runs real eNBs over
 * the live engine; the fit from measured figures to model parameters is a pure function. */
#ifndef ES_CALIBRATE_H
#define ES_CALIBRATE_H

#include <signal.h>
#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "engines/es_live.h"
#include "nodes/es_service.h"
#include "pki/es_pki.h"
#include "results/es_outdir.h"

/* The sweep stops once a step's throughput grows by no more than this over the best before. */
#define ES_CALIB_GROWTH 0.10
/* A coefficient of variation of the service samples at or above this means exponential. */
#define ES_CALIB_CV_EXPONENTIAL 0.5

/* One enrolment at concurrency 1: ir sent -> ip received and certConf sent -> pkiConf
 * received, as the eNB's step events time them (seconds). */
typedef struct {
  double ir_s, certconf_s;
} EsCalibSample;

/* One step of the concurrency sweep. */
typedef struct {
  guint concurrency;
  guint enrolments;       /* started */
  guint enrolled;
  guint errors;           /* failed, other than for a 503 */
  guint busy_503;         /* failed on a 503 (the eNB does not retry during calibration) */
  guint retry_after_s;    /* the largest Retry-After of those 503s; 0 when none or absent */
  double throughput;      /* enrolments per second while all C eNBs were busy */
  double p50_s, p99_s;    /* enrolment latency (start to done) of the enrolled */
  double ir_mean_s, certconf_mean_s; /* raw means of the two intervals */
} EsCalibStep;

/* What the figures say about the server. */
typedef struct {
  guint samples;
  double ir_mean_s, certconf_mean_s;         /* raw, at concurrency 1 */
  double ir_service_s, certconf_service_s;   /* less the round trips */
  double ir_cv, certconf_cv;                 /* of the service samples */
  EsServiceDist dist;
  double demand_s;        /* service demand of one enrolment: ir_service + certconf_service */
  double demand_se;       /* its standard error over the samples, relative: the mean of an
                           * exponential time is known to 1/sqrt(n) only */
  double x_max;           /* the highest throughput of the sweep, per second */
  guint x_max_concurrency;
  double workers_exact;   /* x_max * demand_s */
  guint workers;          /* rounded, at least 1 */
  gboolean saturated;     /* throughput stopped growing: FALSE makes workers a lower bound */
  gboolean sheds_load;    /* a 503 was seen */
  guint first_503_concurrency;
  guint retry_after_s;
} EsCalibFit;

/* The fit, a pure function of measured figures. An ir is taken off a TCP connect `connect_s`
 * and an HTTP exchange `exchange_s` (the eNB's new connection), a certConf an exchange (the
 * kept connection). n_samples or n_steps may be 0 (nothing fitted from them). */
void es_calib_fit(const EsCalibSample *samples, guint n_samples, double connect_s,
                  double exchange_s, const EsCalibStep *steps, guint n_steps, EsCalibFit *fit);

/* Everything one calibration measured, as far as it got. */
typedef struct {
  char *server, *path;
  char *started_utc;
  EsKeyType key;             /* enb.key: the new key pairs */
  gboolean given_key;        /* --new-key: one fixed key pair for every ir */
  guint crypto_samples;      /* 0 until measured */
  double keygen_s, sign_s;   /* medians */
  guint rtt_samples;         /* 0 until measured */
  double rtt_s;              /* median TCP connect time */
  guint exchange_samples;    /* 0 when not measured (TLS, or a GET left unanswered) */
  double exchange_s;         /* median time of an HTTP exchange answered without CMP work */
  GArray *samples;           /* EsCalibSample, concurrency 1 */
  GArray *steps;             /* EsCalibStep */
  EsCalibFit fit;            /* of what is there */
  char *stop_reason;         /* why the measuring ended (NULL while it runs) */
} EsCalibration;

EsCalibration *es_calibration_new(const char *server, const char *path);
void es_calibration_free(EsCalibration *cal);
/* Refits from the samples and steps. */
void es_calibration_refit(EsCalibration *cal);

/* calibration.ini: [raca] and [enb] keys of what is measured so far, each with a comment
 * giving the figures it came from. Loads as a scenario (es_scenario_load). */
char *es_calibration_to_ini(const EsCalibration *cal);
/* calibration.csv: a row per step. */
char *es_calibration_to_csv(const EsCalibration *cal);
/* calibration.gp: throughput and p50/p99 latency against concurrency, drawn to
 * calibration.png and .svg by gnuplot in the folder of the CSV. */
char *es_calibration_to_gnuplot(const EsCalibration *cal);

/* Writes DIR/calibration.gp and draws calibration.png and .svg with gnuplot; fails as
 * es_plot_gnuplot does (ES_RESULTS_ERROR_GNUPLOT_MISSING when there is none), the script
 * written first. */
gboolean es_calibration_plot(const EsCalibration *cal, const char *dir, EsOutdir *outdir,
                             GError **error);

/* How the measuring goes. */
typedef struct {
  const char *server, *path;  /* as es_live_set_target takes them */
  EsLiveTls *tls;             /* a client context: HTTPS (the meter takes a reference); NULL: HTTP */
  const EsPki *pki;
  /* The vendor credentials, [0, n) ready once need_devices(arg, n) returned TRUE. A step
   * uses `devices` of them (0: as many as its concurrency), eNB k device (k - 1) % that. */
  X509 *const *device_certs;
  EVP_PKEY *const *device_keys;
  gboolean (*need_devices)(void *arg, guint n, GError **error);
  guint devices;
  EsKeyType key;              /* enb.key */
  EVP_PKEY *new_key;          /* NULL: key pairs of `key`, those timed for enb.keygen_time */
  double timeout_s;           /* per message; no retries */
  guint samples;              /* enrolments at concurrency 1 */
  guint step_enrolments;      /* per later step, at least 4 x its concurrency */
  guint max_concurrency;
  const char *out_dir;        /* the files are written there as steps complete */
  const volatile sig_atomic_t *interrupted; /* non-zero: stop at once, keep what was measured */
  /* Called a few times a second while enrolments run, and after each step. */
  void (*progress)(void *arg, const char *phase, guint concurrency, guint done, guint total,
                   guint failed);
  void (*step_done)(void *arg, const EsCalibStep *step);
  void *arg;
} EsCalibOptions;

#define ES_CALIB_ERROR (es_calib_error_quark())
GQuark es_calib_error_quark(void);
typedef enum {
  ES_CALIB_ERROR_TARGET,      /* the server is unreachable or does not speak CMP as asked */
  ES_CALIB_ERROR_SETUP,       /* this host could not do its part (crypto, sockets) */
  ES_CALIB_ERROR_WRITE,       /* a result file could not be written */
  ES_CALIB_ERROR_INTERRUPTED, /* a signal stopped it */
} EsCalibError;

/* Client crypto, round trip, concurrency 1, then the sweep; after each phase the files in
 * out_dir (claimed in `outdir`'s manifest) are written whole. FALSE with an error when it
 * ended early: `cal` then holds what was measured (and the files say the same). */
gboolean es_calibrate(const EsCalibOptions *options, EsOutdir *outdir, EsCalibration *cal,
                      GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsCalibration, es_calibration_free)

#endif
