/* The enrolsim commands, one file each; main.c dispatches on the first argument. */
#ifndef ES_CMD_H
#define ES_CMD_H

#include <glib.h>

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

/* The PKI and result folders of serve and enrol: given as --pki/--out, or else as the first
 * and second arguments left after option parsing. FALSE when arguments remain unused. */
gboolean es_cmd_dirs(int argc, char **argv, const char **pki_dir, const char **out_dir);

/* Prints "enrolsim: WHAT: message" to stderr, frees error, returns status. */
int es_cmd_fail(const char *what, GError *error, int status);

#endif
