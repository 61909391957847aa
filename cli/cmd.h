/* The enrolsim commands, one file each; main.c dispatches on the first argument. */
#ifndef ES_CMD_H
#define ES_CMD_H

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "pki/es_pki.h"
#include "results/es_outdir.h"
#include "sim/es_scenario.h"

/* Each takes argv from the command name on and returns the exit status: 0 success, 1 failure
 * while running, 2 bad usage or input (nothing ran). */
int es_cmd_run(int argc, char **argv);
int es_cmd_pki(int argc, char **argv);
int es_cmd_serve(int argc, char **argv);
int es_cmd_enrol(int argc, char **argv);
int es_cmd_bench_inmem(int argc, char **argv);
int es_cmd_plot(int argc, char **argv);
int es_cmd_compare(int argc, char **argv);
int es_cmd_sweep(int argc, char **argv);
int es_cmd_calibrate(int argc, char **argv);

/* The PKI and result folders of serve and enrol: given as --pki/--out, or else as the first
 * and second arguments left after option parsing. FALSE when arguments remain unused. */
gboolean es_cmd_dirs(int argc, char **argv, const char **pki_dir, const char **out_dir);

/* An option of serve or enrol that stands for a scenario key: `value` NULL when not given. */
typedef struct {
  const char *option, *key, *value;
} EsCmdKeyOption;

/* The scenario of a live command, read as `run` reads it: --scenario FILE, then each
 * --set KEY=VALUE, then the options that stand for keys (a bad value is refused as the key it
 * sets: "--confirm-wait: raca.confirm_wait: ..."), validated; warns on stderr about keys given
 * that no live command reads. NULL after printing why (exit status 2). */
EsScenario *es_cmd_live_scenario(const char *command, const char *file, char **sets,
                                 const EsCmdKeyOption *options, gsize n_options);

/* The vendor credential of eNB i (1..N): PKI_DIR/devices/enb-<i>.pem/.key, or, when there is
 * none, one issued by the vendor root of `pki`, saved there and added to PKI_DIR's manifest
 * (*pki_files, opened at the first one made), so that pki init --overwrite removes it, and
 * counted in *made. The caller owns *cert and *key either way. */
gboolean es_cmd_device(const char *pki_dir, const EsPki *pki, guint i, X509 **cert,
                       EVP_PKEY **key, EsOutdir **pki_files, guint *made, GError **error);

/* Prints "enrolsim: WHAT: message" to stderr, frees error, returns status. */
int es_cmd_fail(const char *what, GError *error, int status);

#endif
