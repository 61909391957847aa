/* Between the orchestration of a calibration (es_calibrate.c) and its measuring
 * (es_calibrate_measure.c). */
#ifndef ES_CALIBRATE_PRIV_H
#define ES_CALIBRATE_PRIV_H

#include "sim/es_calibrate.h"

/* Timed samples of the client's crypto: key generation is cut short after this long. */
#define ES_CALIB_CRYPTO_SAMPLES 30
#define ES_CALIB_CRYPTO_MAX_S 3.0
#define ES_CALIB_RTT_SAMPLES 9

/* The live engine with eNBs on it, for one calibration. */
typedef struct EsCalibMeter EsCalibMeter;

EsCalibMeter *es_calib_meter_new(const EsCalibOptions *options, GError **error);
void es_calib_meter_free(EsCalibMeter *m);

/* cal->keygen_s and ->sign_s: medians of key pairs of options->key made and of irs made and
 * signed by OpenSSL's CMP client with the first device credential. The key pairs are kept as
 * the new keys of the enrolments to come (unless options->new_key). */
gboolean es_calib_measure_crypto(EsCalibMeter *m, EsCalibration *cal, GError **error);
/* cal->rtt_s: median time of a plain TCP connect() to the server; cal->exchange_s (over plain
 * HTTP): median time from a GET of "/" on each connection to the first byte of its answer.
 * A refused or unanswered connect is an ES_CALIB_ERROR_TARGET error naming the server. */
gboolean es_calib_measure_rtt(EsCalibMeter *m, EsCalibration *cal, GError **error);

/* Runs n enrolments, c at a time, and fills *step. `samples` (may be NULL) receives the two
 * intervals of each enrolled eNB. With `strict`, the first failure stops the step and is an
 * ES_CALIB_ERROR_TARGET error that says what the server answered; without, the step stops
 * starting eNBs at the first failure and counts it. ES_CALIB_ERROR_INTERRUPTED when
 * options->interrupted is set meanwhile. */
gboolean es_calib_run_step(EsCalibMeter *m, guint c, guint n, gboolean strict, const char *phase,
                           EsCalibStep *step, GArray *samples, GError **error);

/* Median of `v` (sorted in place); 0 when n is 0. */
double es_calib_median(double *v, guint n);

#endif
