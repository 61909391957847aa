/* enrolsim: simulated eNBs enrol operator certificates from an RA/CA with real CMPv2 over an
 * ns-3 backhaul. The first argument names the command. */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "cli/cmd.h"
#include "pki/es_provider.h"

static const struct {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *help;
  gboolean simulated; /* every key is one es_key_generate makes: the trimmed provider serves */
} commands[] = {
  {"run", es_cmd_run, "simulate a scenario over ns-3 (enrolsim run --help)", TRUE},
  {"pki", es_cmd_pki, "pki init DIR: write a late-binding PKI hierarchy (enrolsim pki --help)", FALSE},
  {"serve", es_cmd_serve, "serve the RA/CA to real CMP clients over HTTP (enrolsim serve --help)", FALSE},
  {"enrol", es_cmd_enrol, "enrol eNBs against a real CMP server (enrolsim enrol --help)", FALSE},
  {"bench-inmem", es_cmd_bench_inmem, "in-memory CMP enrolment rate, no network (enrolsim bench-inmem --help)", TRUE},
  {"plot", es_cmd_plot, "plot DIR: draw a run's plots with gnuplot (enrolsim plot --help)", FALSE},
  {"compare", es_cmd_compare, "compare BASELINE RESULT: metric table, exit 1 on a regression", FALSE},
  {"sweep", es_cmd_sweep, "run a parameter grid with replications (enrolsim sweep --help)", FALSE},
  {"calibrate", es_cmd_calibrate, "measure a real CMP server for the model (enrolsim calibrate --help)", FALSE},
};

int es_cmd_fail(const char *what, GError *error, int status)
{
  fprintf(stderr, "enrolsim: %s%s%s\n", what, what[0] ? ": " : "", error->message);
  g_error_free(error);
  return status;
}

gboolean es_cmd_dirs(int argc, char **argv, const char **pki_dir, const char **out_dir)
{
  int pos = 1;
  if (*pki_dir == NULL && pos < argc)
    *pki_dir = argv[pos++];
  if (*out_dir == NULL && pos < argc)
    *out_dir = argv[pos++];
  return pos == argc;
}

EsScenario *es_cmd_live_scenario(const char *command, const char *file, char **sets,
                                 const EsCmdKeyOption *options, gsize n_options)
{
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *error = NULL;
  if (file != NULL && !es_scenario_load(sc, file, &error)) {
    es_cmd_fail(command, error, 2);
    return NULL;
  }
  for (char **s = sets; s != NULL && *s != NULL; s++)
    if (!es_scenario_set(sc, *s, NULL, &error)) {
      g_prefix_error(&error, "--set: ");
      es_cmd_fail(command, error, 2);
      return NULL;
    }
  for (gsize i = 0; i < n_options; i++)
    if (options[i].value != NULL && !es_scenario_set(sc, options[i].key, options[i].value, &error)) {
      g_prefix_error(&error, "%s: ", options[i].option);
      es_cmd_fail(command, error, 2);
      return NULL;
    }
  if (!es_scenario_validate(sc, &error)) {
    g_prefix_error(&error, "%s: ", file != NULL ? file : "scenario");
    es_cmd_fail(command, error, 2);
    return NULL;
  }
  g_auto(GStrv) warnings = es_scenario_live_warnings(sc);
  for (char **w = warnings; *w != NULL; w++)
    fprintf(stderr, "enrolsim: warning: %s\n", *w);
  return g_steal_pointer(&sc);
}

static void usage(FILE *f)
{
  fprintf(f, "Usage: enrolsim COMMAND [OPTIONS]\n\n"
             "Simulates LTE eNBs enrolling operator certificates from an RA/CA with CMPv2 (OpenSSL)\n"
             "over an ns-3 backhaul.\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
    fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
  fprintf(f, "\nOptions:\n  -h, --help     show this help\n  --version      print the version\n");
}

int main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("enrolsim %s\n", ES_VERSION);
    return 0;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
    if (strcmp(argv[1], commands[i].name) != 0)
      continue;
    GError *error = NULL;
    if (commands[i].simulated && !es_provider_install(&error))
      return es_cmd_fail(commands[i].name, error, 1);
    return commands[i].fn(argc - 1, argv + 1);
  }
  fprintf(stderr, "enrolsim: unknown command '%s' (try enrolsim --help)\n", argv[1]);
  return 2;
}
