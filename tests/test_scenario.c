/* Unit tests of scenarios: built-in defaults, key files, overrides, the error messages a
 * user sees for each kind of mistake, unit parsing and the canonical dump's round trip. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "es_scenario.h"

typedef struct {
  char *dir;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data) {
  (void)data;
  GError *error = NULL;
  f->dir = g_dir_make_tmp("es-scenario-XXXXXX", &error);
  g_assert_no_error(error);
}

static void fixture_teardown(Fixture *f, gconstpointer data) {
  (void)data;
  GDir *d = g_dir_open(f->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    char *p = g_build_filename(f->dir, name, NULL);
    g_remove(p);
    g_free(p);
  }
  if (d)
    g_dir_close(d);
  g_rmdir(f->dir);
  g_free(f->dir);
}

static char *write_ini(Fixture *f, const char *name, const char *text) {
  char *path = g_build_filename(f->dir, name, NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

static void assert_defaults(const EsScenario *sc) {
  g_assert_cmpstr(sc->name, ==, "default");
  g_assert_cmpuint(sc->seed, ==, 1);
  g_assert_cmpuint(sc->enbs, ==, 500);
  g_assert_cmpint(sc->epoch, ==, 1793491200); /* 2026-11-01T00:00:00Z */
  g_assert_cmpfloat(sc->start_window_s, ==, 1);
  g_assert_cmpfloat(sc->stop_time_s, ==, 3600);
  g_assert_cmpuint(sc->aggregations, ==, 0);
  g_assert_cmpfloat(sc->access.rate_bps, ==, 100e6);
  g_assert_cmpfloat(sc->access.delay_s, ==, 0.005);
  g_assert_cmpfloat(sc->access.loss, ==, 0);
  g_assert_cmpfloat(sc->aggregation.rate_bps, ==, 1e9);
  g_assert_cmpfloat(sc->aggregation.delay_s, ==, 0.002);
  g_assert_cmpfloat(sc->aggregation.loss, ==, 0);
  g_assert_cmpfloat(sc->core.rate_bps, ==, 10e9);
  g_assert_cmpfloat(sc->core.delay_s, ==, 0.001);
  g_assert_cmpfloat(sc->core.loss, ==, 0);
  g_assert_cmpstr(sc->pki_key, ==, "p256");
  g_assert_cmpfloat(sc->cert_validity_s, ==, 3650.0 * 86400);
  g_assert_cmpint(sc->confirm, ==, ES_CONFIRM_EXPLICIT);
  g_assert_cmpfloat(sc->confirm_wait_s, ==, 30);
  g_assert_cmpuint(sc->workers, ==, 2);
  g_assert_cmpfloat(sc->ir_service_s, ==, 0.002);
  g_assert_cmpfloat(sc->certconf_service_s, ==, 0.001);
  g_assert_cmpfloat(sc->crl_validity_s, ==, 3650.0 * 86400);
  g_assert_cmpstr(sc->enb_key, ==, "p256");
  g_assert_cmpfloat(sc->enb_keygen_s, ==, 0.02);
  g_assert_cmpfloat(sc->enb_sign_s, ==, 0.005);
  g_assert_cmpfloat(sc->msg_timeout_s, ==, 60);
}

static void test_defaults(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  assert_defaults(sc);
  GError *error = NULL;
  g_assert_true(es_scenario_validate(sc, &error));
  g_assert_no_error(error);
}

static void test_load(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *path =
      write_ini(f, "city.ini",
                "# a city's worth of eNBs\n"
                "[scenario]\n"
                "name = city \"north\"\n"
                "seed = 18446744073709551615\n"
                "enbs = 10000\n"
                "epoch = 2027-01-15T12:30:00Z\n"
                "start_window = 2m\n"
                "\n"
                "[backhaul]\n"
                "rate = 64kbps\n"
                "latency = 1.5s\n"
                "loss = 0.01\n"
                "[core]\n"
                "latency = 250us   \n"
                "[raca]\n"
                "confirm = implicit\n"
                "workers = 8\n"
                "[enb]\n"
                "key = rsa2048\n"
                "[pki]\n"
                "cert_validity = 1h\n");
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *error = NULL;
  g_assert_true(es_scenario_load(sc, path, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(sc->name, ==, "city \"north\"");
  g_assert_cmpuint(sc->seed, ==, G_MAXUINT64);
  g_assert_cmpuint(sc->enbs, ==, 10000);
  g_assert_cmpint(sc->epoch, ==, 1800016200);
  g_assert_cmpfloat(sc->start_window_s, ==, 120);
  g_assert_cmpfloat(sc->access.rate_bps, ==, 64000);
  g_assert_cmpfloat(sc->access.delay_s, ==, 1.5);
  g_assert_cmpfloat(sc->access.loss, ==, 0.01);
  g_assert_cmpfloat(sc->core.delay_s, ==, 250e-6);
  g_assert_cmpint(sc->confirm, ==, ES_CONFIRM_IMPLICIT);
  g_assert_cmpuint(sc->workers, ==, 8);
  g_assert_cmpstr(sc->enb_key, ==, "rsa2048");
  g_assert_cmpfloat(sc->cert_validity_s, ==, 3600);
  /* Keys the file does not name keep their earlier values. */
  g_assert_cmpfloat(sc->aggregation.rate_bps, ==, 1e9);
  g_assert_cmpstr(sc->pki_key, ==, "p256");
  g_assert_true(es_scenario_validate(sc, &error));
  g_assert_no_error(error);
}

typedef struct {
  const char *name;
  const char *ini;
  EsScenarioError code;
  const char *expect[3]; /* substrings of the message besides the file name */
} LoadErrorCase;

static const LoadErrorCase load_errors[] = {
    {"unknown-key", "[scenario]\nenbz = 5\n", ES_SCENARIO_ERROR_KEY,
     {"unknown key [scenario] enbz"}},
    {"unknown-group", "[scenario]\nenbs = 5\n[radio]\nband = 7\n", ES_SCENARIO_ERROR_KEY,
     {"unknown group [radio]"}},
    {"duration-no-unit", "[backhaul]\nlatency = 20\n", ES_SCENARIO_ERROR_VALUE,
     {"[backhaul] latency", "missing unit", "'20'"}},
    {"duration-garbage", "[backhaul]\nlatency = abc\n", ES_SCENARIO_ERROR_VALUE,
     {"[backhaul] latency", "not a number", "'abc'"}},
    {"duration-negative", "[core]\nlatency = -5ms\n", ES_SCENARIO_ERROR_VALUE,
     {"[core] latency", "negative", "'-5ms'"}},
    {"duration-zero-timeout", "[enb]\nmsg_timeout = 0s\n", ES_SCENARIO_ERROR_VALUE,
     {"[enb] msg_timeout", "greater than 0s", "'0s'"}},
    {"rate-unit-case", "[backhaul]\nrate = 100MBps\n", ES_SCENARIO_ERROR_VALUE,
     {"[backhaul] rate", "unknown unit 'MBps'", "'100MBps'"}},
    {"rate-zero", "[core]\nrate = 0Gbps\n", ES_SCENARIO_ERROR_VALUE,
     {"[core] rate", "greater than 0bps"}},
    {"probability-above-one", "[aggregation]\nloss = 1.5\n", ES_SCENARIO_ERROR_VALUE,
     {"[aggregation] loss", "at most 1", "'1.5'"}},
    {"enbs-zero", "[scenario]\nenbs = 0\n", ES_SCENARIO_ERROR_VALUE,
     {"[scenario] enbs", "at least 1", "'0'"}},
    {"enbs-word", "[scenario]\nenbs = ten\n", ES_SCENARIO_ERROR_VALUE,
     {"[scenario] enbs", "not a non-negative integer", "'ten'"}},
    {"enbs-too-many", "[scenario]\nenbs = 1000001\n", ES_SCENARIO_ERROR_VALUE,
     {"[scenario] enbs", "at most 1000000"}},
    {"enbs-negative", "[scenario]\nenbs = -3\n", ES_SCENARIO_ERROR_VALUE,
     {"[scenario] enbs", "negative"}},
    {"workers-overflow", "[raca]\nworkers = 99999999999\n", ES_SCENARIO_ERROR_VALUE,
     {"[raca] workers", "too large"}},
    {"key-type", "[pki]\nkey = ed25519\n", ES_SCENARIO_ERROR_VALUE,
     {"[pki] key", "p256, p384 or rsa2048", "'ed25519'"}},
    {"confirm", "[raca]\nconfirm = maybe\n", ES_SCENARIO_ERROR_VALUE,
     {"[raca] confirm", "explicit or implicit"}},
    {"epoch-no-zone", "[scenario]\nepoch = 2026-11-01T00:00:00\n", ES_SCENARIO_ERROR_VALUE,
     {"[scenario] epoch", "ISO 8601"}},
    {"empty-name", "[scenario]\nname =\n", ES_SCENARIO_ERROR_VALUE,
     {"[scenario] name", "empty"}},
    {"syntax", "[scenario]\nthis is not a key file line\n", ES_SCENARIO_ERROR_FILE, {NULL}},
};

static void test_load_error(Fixture *f, gconstpointer data) {
  const LoadErrorCase *c = data;
  g_autofree char *path = write_ini(f, "bad.ini", c->ini);
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *error = NULL;
  g_assert_false(es_scenario_load(sc, path, &error));
  g_assert_error(error, ES_SCENARIO_ERROR, (gint)c->code);
  g_test_message("%s", error->message);
  g_assert_true(g_str_has_prefix(error->message, path));
  for (int i = 0; i < 3 && c->expect[i]; i++)
    g_assert_nonnull(strstr(error->message, c->expect[i]));
  g_error_free(error);
  /* A rejected file changes nothing, even the keys before the bad one. */
  assert_defaults(sc);
}

static void test_load_missing_file(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *path = g_build_filename(f->dir, "nowhere.ini", NULL);
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *error = NULL;
  g_assert_false(es_scenario_load(sc, path, &error));
  g_assert_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_FILE);
  g_autofree char *expect = g_strdup_printf("%s: %s", path, g_strerror(ENOENT));
  g_assert_cmpstr(error->message, ==, expect);
  g_clear_error(&error);
  /* A directory is not a scenario either. */
  g_assert_false(es_scenario_load(sc, f->dir, &error));
  g_assert_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_FILE);
  g_assert_true(g_str_has_prefix(error->message, f->dir));
  g_clear_error(&error);
}

static void test_load_partial_is_atomic(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *path =
      write_ini(f, "half.ini", "[scenario]\nname = changed\nenbs = 7\n[raca]\nworkers = 0\n");
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *error = NULL;
  g_assert_false(es_scenario_load(sc, path, &error));
  g_assert_nonnull(strstr(error->message, "[raca] workers"));
  g_clear_error(&error);
  g_assert_cmpstr(sc->name, ==, "default");
  g_assert_cmpuint(sc->enbs, ==, 500);
}

static void test_set(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *error = NULL;
  g_assert_true(es_scenario_set(sc, "scenario.enbs", "20000", &error));
  g_assert_no_error(error);
  g_assert_cmpuint(sc->enbs, ==, 20000);
  g_assert_true(es_scenario_set(sc, "backhaul.latency=20ms", NULL, &error));
  g_assert_no_error(error);
  g_assert_cmpfloat(sc->access.delay_s, ==, 0.02);
  g_assert_true(es_scenario_set(sc, "scenario.name=a=b", NULL, &error));
  g_assert_cmpstr(sc->name, ==, "a=b");
  g_assert_true(es_scenario_set(sc, "scenario.name", "other", &error));
  g_assert_cmpstr(sc->name, ==, "other");
  g_assert_true(es_scenario_set(sc, "raca.confirm", "implicit", &error));
  g_assert_cmpint(sc->confirm, ==, ES_CONFIRM_IMPLICIT);
  g_assert_true(es_scenario_set(sc, "scenario.epoch", "2030-06-01T00:00:00+02:00", &error));
  g_assert_cmpint(sc->epoch, ==, 1906495200);

  g_assert_false(es_scenario_set(sc, "scenario.enbz", "5", &error));
  g_assert_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_KEY);
  g_assert_nonnull(strstr(error->message, "scenario.enbz"));
  g_clear_error(&error);
  g_assert_false(es_scenario_set(sc, "enbs=5", NULL, &error));
  g_assert_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_KEY);
  g_assert_nonnull(strstr(error->message, "enbs"));
  g_clear_error(&error);
  g_assert_false(es_scenario_set(sc, "scenario.enbs", NULL, &error));
  g_assert_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_KEY);
  g_clear_error(&error);
  g_assert_false(es_scenario_set(sc, "core.rate=100MBps", NULL, &error));
  g_assert_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, "core.rate"));
  g_assert_nonnull(strstr(error->message, "100MBps"));
  g_clear_error(&error);
  /* A rejected override leaves the old value. */
  g_assert_cmpfloat(sc->core.rate_bps, ==, 10e9);
  g_assert_cmpuint(sc->enbs, ==, 20000);
}

static void test_validate(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *error = NULL;
  g_assert_true(es_scenario_set(sc, "scenario.enbs=10", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "topology.aggregations=10", NULL, NULL));
  g_assert_true(es_scenario_validate(sc, &error));
  g_assert_true(es_scenario_set(sc, "topology.aggregations=11", NULL, NULL));
  g_assert_false(es_scenario_validate(sc, &error));
  g_assert_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, "topology.aggregations"));
  g_clear_error(&error);
  sc->aggregations = 0;

  g_assert_true(es_scenario_set(sc, "scenario.start_window=1h", NULL, NULL));
  g_assert_false(es_scenario_validate(sc, &error));
  g_assert_nonnull(strstr(error->message, "scenario.start_window"));
  g_clear_error(&error);
  sc->start_window_s = 1;

  /* Fields written directly are held to the same bounds as parsed ones. */
  sc->workers = 0;
  g_assert_false(es_scenario_validate(sc, &error));
  g_assert_nonnull(strstr(error->message, "raca.workers"));
  g_clear_error(&error);
  sc->workers = 1;
  sc->core.loss = NAN;
  g_assert_false(es_scenario_validate(sc, &error));
  g_assert_nonnull(strstr(error->message, "core.loss"));
  g_clear_error(&error);
}

static void assert_same(const EsScenario *a, const EsScenario *b) {
  g_assert_cmpstr(a->name, ==, b->name);
  g_assert_cmpuint(a->seed, ==, b->seed);
  g_assert_cmpuint(a->enbs, ==, b->enbs);
  g_assert_cmpint(a->epoch, ==, b->epoch);
  g_assert_cmpfloat(a->start_window_s, ==, b->start_window_s);
  g_assert_cmpfloat(a->stop_time_s, ==, b->stop_time_s);
  g_assert_cmpuint(a->aggregations, ==, b->aggregations);
  const EsLinkParams *la[] = {&a->access, &a->aggregation, &a->core};
  const EsLinkParams *lb[] = {&b->access, &b->aggregation, &b->core};
  for (int i = 0; i < 3; i++) {
    g_assert_cmpfloat(la[i]->rate_bps, ==, lb[i]->rate_bps);
    g_assert_cmpfloat(la[i]->delay_s, ==, lb[i]->delay_s);
    g_assert_cmpfloat(la[i]->loss, ==, lb[i]->loss);
  }
  g_assert_cmpstr(a->pki_key, ==, b->pki_key);
  g_assert_cmpfloat(a->cert_validity_s, ==, b->cert_validity_s);
  g_assert_cmpint(a->confirm, ==, b->confirm);
  g_assert_cmpfloat(a->confirm_wait_s, ==, b->confirm_wait_s);
  g_assert_cmpuint(a->workers, ==, b->workers);
  g_assert_cmpfloat(a->ir_service_s, ==, b->ir_service_s);
  g_assert_cmpfloat(a->certconf_service_s, ==, b->certconf_service_s);
  g_assert_cmpfloat(a->crl_validity_s, ==, b->crl_validity_s);
  g_assert_cmpstr(a->enb_key, ==, b->enb_key);
  g_assert_cmpfloat(a->enb_keygen_s, ==, b->enb_keygen_s);
  g_assert_cmpfloat(a->enb_sign_s, ==, b->enb_sign_s);
  g_assert_cmpfloat(a->msg_timeout_s, ==, b->msg_timeout_s);
}

static void test_keyfile_canonical(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  g_autofree char *text = es_scenario_to_keyfile(sc);
  g_test_message("%s", text);
  static const char *const lines[] = {
      "[scenario]\nname=default\nseed=1\nenbs=500\nepoch=2026-11-01T00:00:00Z\n"
      "start_window=1s\nstop_time=3600s\n",
      "[topology]\naggregations=0\n",
      "[backhaul]\nrate=100000000bps\nlatency=0.005s\nloss=0\n",
      "[aggregation]\nrate=1000000000bps\nlatency=0.002s\nloss=0\n",
      "[core]\nrate=10000000000bps\nlatency=0.001s\nloss=0\n",
      "[pki]\nkey=p256\ncert_validity=315360000s\n",
      "[raca]\nconfirm=explicit\nconfirm_wait=30s\nworkers=2\nir_service=0.002s\n"
      "certconf_service=0.001s\ncrl_validity=315360000s\n",
      "[enb]\nkey=p256\nkeygen_time=0.02s\nsign_time=0.005s\nmsg_timeout=60s\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(lines); i++)
    g_assert_nonnull(strstr(text, lines[i]));
}

/* Whatever the dump says, loading it gives back the same values, bit for bit. */
static void test_keyfile_round_trip(Fixture *f, gconstpointer data) {
  (void)data;
  g_autoptr(EsScenario) sc = es_scenario_new();
  static const char *const overrides[] = {
      "scenario.name=  lead \"quoted\" \\ name\twith tab ",
      "scenario.seed=12345678901234567890",
      "scenario.enbs=100000",
      "scenario.epoch=1999-12-31T23:59:59Z",
      "scenario.start_window=0.1s",
      "scenario.stop_time=1.5d",
      "topology.aggregations=316",
      "backhaul.rate=1.5Mbps",
      "backhaul.latency=0.3ms",
      "backhaul.loss=0.1",
      "aggregation.rate=9600bps",
      "aggregation.latency=0s",
      "core.loss=1",
      "core.latency=1e-7s",
      "pki.key=p384",
      "raca.confirm=implicit",
      "raca.ir_service=3.3ms",
      "enb.keygen_time=138ms",
      "enb.msg_timeout=0.7m",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(overrides); i++) {
    GError *error = NULL;
    g_assert_true(es_scenario_set(sc, overrides[i], NULL, &error));
    g_assert_no_error(error);
  }
  g_autofree char *text = es_scenario_to_keyfile(sc);
  g_autofree char *path = write_ini(f, "dump.ini", text);
  g_autoptr(EsScenario) back = es_scenario_new();
  GError *error = NULL;
  g_assert_true(es_scenario_load(back, path, &error));
  g_assert_no_error(error);
  assert_same(sc, back);
  g_autofree char *again = es_scenario_to_keyfile(back);
  g_assert_cmpstr(text, ==, again);
  /* Shortest form, not 17 digits. */
  g_assert_nonnull(strstr(text, "\nloss=0.1\n"));
  g_assert_nonnull(strstr(text, "\nstart_window=0.1s\n"));
}

typedef struct {
  const char *text;
  gboolean ok;
  double value;
} UnitCase;

static const UnitCase duration_cases[] = {
    {"20ms", TRUE, 0.02},  {"1.5s", TRUE, 1.5},   {"250us", TRUE, 250e-6},
    {"2m", TRUE, 120},     {"1h", TRUE, 3600},    {"3650d", TRUE, 315360000},
    {"0s", TRUE, 0},       {".5s", TRUE, 0.5},    {"1e3ms", TRUE, 1},
    {"0.005s", TRUE, 0.005},
    {"20", FALSE, 0},      {"abc", FALSE, 0},     {"-5ms", FALSE, 0},
    {"", FALSE, 0},        {"5 ms", FALSE, 0},    {"5msx", FALSE, 0},
    {"5MS", FALSE, 0},     {"nans", FALSE, 0},    {"infs", FALSE, 0},
    {"1e999s", FALSE, 0},  {"0x10s", FALSE, 0},   {"+5s", FALSE, 0},
    {"s", FALSE, 0},       {".s", FALSE, 0},      {"5", FALSE, 0},
};

static const UnitCase rate_cases[] = {
    {"100Mbps", TRUE, 100e6}, {"1Gbps", TRUE, 1e9},      {"64kbps", TRUE, 64e3},
    {"9600bps", TRUE, 9600},  {"2.5Gbps", TRUE, 2.5e9},  {"100MBps", FALSE, 0},
    {"100mbps", FALSE, 0},    {"100", FALSE, 0},         {"-1Mbps", FALSE, 0},
    {"1Kbps", FALSE, 0},      {"Mbps", FALSE, 0},        {"1e400bps", FALSE, 0},
};

static const UnitCase probability_cases[] = {
    {"0", TRUE, 0},    {"1", TRUE, 1},     {"0.25", TRUE, 0.25}, {"1e-3", TRUE, 0.001},
    {"1.5", FALSE, 0}, {"-0.1", FALSE, 0}, {"nan", FALSE, 0},    {"0.5%", FALSE, 0},
    {"", FALSE, 0},    {"inf", FALSE, 0},
};

static void run_unit_cases(const UnitCase *cases, gsize n,
                           gboolean (*parse)(const char *, double *)) {
  for (gsize i = 0; i < n; i++) {
    double v = -1;
    gboolean ok = parse(cases[i].text, &v);
    if (ok != cases[i].ok)
      g_error("'%s': expected %s", cases[i].text, cases[i].ok ? "success" : "failure");
    if (ok && v != cases[i].value)
      g_error("'%s': got %.17g, expected %.17g", cases[i].text, v, cases[i].value);
  }
}

static void test_parse_units(void) {
  run_unit_cases(duration_cases, G_N_ELEMENTS(duration_cases), es_parse_duration);
  run_unit_cases(rate_cases, G_N_ELEMENTS(rate_cases), es_parse_rate);
  run_unit_cases(probability_cases, G_N_ELEMENTS(probability_cases), es_parse_probability);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/scenario/defaults", test_defaults);
  g_test_add("/scenario/load/keys", Fixture, NULL, fixture_setup, test_load, fixture_teardown);
  g_test_add("/scenario/load/missing-file", Fixture, NULL, fixture_setup,
             test_load_missing_file, fixture_teardown);
  g_test_add("/scenario/load/atomic", Fixture, NULL, fixture_setup, test_load_partial_is_atomic,
             fixture_teardown);
  for (gsize i = 0; i < G_N_ELEMENTS(load_errors); i++) {
    g_autofree char *name = g_strdup_printf("/scenario/load/error/%s", load_errors[i].name);
    g_test_add(name, Fixture, &load_errors[i], fixture_setup, test_load_error,
               fixture_teardown);
  }
  g_test_add_func("/scenario/set", test_set);
  g_test_add_func("/scenario/validate", test_validate);
  g_test_add_func("/scenario/keyfile/canonical", test_keyfile_canonical);
  g_test_add("/scenario/keyfile/round-trip", Fixture, NULL, fixture_setup,
             test_keyfile_round_trip, fixture_teardown);
  g_test_add_func("/scenario/parse-units", test_parse_units);
  return g_test_run();
}
