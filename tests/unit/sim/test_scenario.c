/* Unit tests of scenarios: built-in defaults, key files, overrides, the error messages a
 * user sees for each kind of mistake, lists, the topology and rollout checks.
 * test_scenario_keys.c: the canonical dump, impairment and hostile keys, warnings. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "sim/es_scenario.h"

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
  g_assert_cmpfloat(sc->rollout.window_s, ==, 1);
  g_assert_cmpfloat(sc->stop_time_s, ==, 3600);
  g_assert_cmpint(sc->topology.type, ==, ES_TOPOLOGY_TREE);
  g_assert_cmpstr(sc->topology.file, ==, "");
  g_assert_cmpuint(sc->topology.racas, ==, 1);
  g_assert_cmpuint(sc->topology.aggregations, ==, 0);
  g_assert_cmpuint(sc->topology.tree_fanout.n, ==, 0);
  g_assert_cmpuint(sc->topology.tree_rate.n + sc->topology.tree_latency.n + sc->topology.tree_loss.n, ==, 0);
  g_assert_cmpint(sc->rollout.schedule, ==, ES_SCHEDULE_UNIFORM);
  g_assert_cmpuint(sc->rollout.wave_size, ==, 100);
  g_assert_cmpfloat(sc->rollout.wave_period_s, ==, 60);
  g_assert_cmpfloat(sc->rollout.wave_spread_s, ==, 0);
  g_assert_cmpfloat(sc->rollout.rate, ==, 10);
  g_assert_cmpuint(sc->topology.national_regions, ==, 0);
  g_assert_cmpfloat(sc->topology.backbone_latency.v[0], ==, 0.001);
  g_assert_cmpfloat(sc->topology.backbone_latency.v[1], ==, 0.006);
  g_assert_cmpfloat(sc->topology.access_class[ES_ACCESS_FIBRE].share, ==, 0.6);
  g_assert_cmpfloat(sc->topology.access_class[ES_ACCESS_MICROWAVE].link.rate_bps, ==, 400e6);
  g_assert_cmpfloat(sc->topology.access_class[ES_ACCESS_SATELLITE].latency.v[0], ==, 0.25);
  g_assert_cmpfloat(sc->topology.access_class[ES_ACCESS_SATELLITE].latency.v[1], ==, 0.28);
  g_assert_cmpfloat(sc->topology.access.rate_bps, ==, 100e6);
  g_assert_cmpfloat(sc->topology.access.delay_s, ==, 0.005);
  g_assert_cmpfloat(sc->topology.access.loss, ==, 0);
  g_assert_cmpfloat(sc->topology.aggregation.rate_bps, ==, 1e9);
  g_assert_cmpfloat(sc->topology.aggregation.delay_s, ==, 0.002);
  g_assert_cmpfloat(sc->topology.aggregation.loss, ==, 0);
  g_assert_cmpfloat(sc->topology.core.rate_bps, ==, 10e9);
  g_assert_cmpfloat(sc->topology.core.delay_s, ==, 0.001);
  g_assert_cmpfloat(sc->topology.core.loss, ==, 0);
  g_assert_cmpint(sc->pki.key, ==, ES_KEY_P256);
  g_assert_cmpfloat(sc->pki.cert_validity_s, ==, 3650.0 * 86400);
  g_assert_false(sc->raca.grant_implicit);
  g_assert_cmpfloat(sc->raca.confirm_wait_s, ==, 60);
  g_assert_cmpuint(sc->raca.workers, ==, 2);
  g_assert_cmpfloat(sc->raca.ir_service_s, ==, 0.001);
  g_assert_cmpfloat(sc->raca.certconf_service_s, ==, 0.0005);
  g_assert_cmpfloat(sc->raca.crl_validity_s, ==, 3650.0 * 86400);
  g_assert_cmpfloat(sc->raca.crl_interval_s, ==, 0);
  g_assert_false(sc->raca.keep_superseded);
  g_assert_true(sc->raca.cross);
  g_assert_cmpfloat(sc->hostile.unknown_vendor, ==, 0);
  g_assert_cmpfloat(sc->hostile.expired_device, ==, 0);
  g_assert_cmpfloat(sc->hostile.rogue_raca, ==, 0);
  g_assert_cmpint(sc->enb.new_key, ==, ES_KEY_P256);
  g_assert_cmpfloat(sc->enb.keygen_s, ==, 0.02);
  g_assert_cmpfloat(sc->enb.sign_s, ==, 0.005);
  g_assert_cmpfloat(sc->enb.msg_timeout_s, ==, 10);
  g_assert_cmpuint(sc->raca.queue_limit, ==, 0);
  g_assert_cmpfloat(sc->raca.retry_after_s, ==, 2);
  g_assert_cmpint(sc->raca.service_dist, ==, 0);
  g_assert_cmpfloat(sc->raca.kur_service_s, ==, 0.001);
  g_assert_cmpfloat(sc->raca.rr_service_s, ==, 0.0005);
  g_assert_cmpfloat(sc->enb.cpu_spread, ==, 0);
  g_assert_cmpint(sc->enb.retry, ==, ES_ENB_RESEND);
  g_assert_cmpuint(sc->enb.max_attempts, ==, 4);
  g_assert_cmpfloat(sc->enb.backoff_s, ==, 1);
  g_assert_cmpfloat(sc->enb.backoff_max_s, ==, 60);
  g_assert_cmpfloat(sc->enb.backoff_jitter, ==, 0.5);
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
                "[topology]\n"
                "type = national\n"
                "racas = 3\n"
                "[national]\n"
                "satellite_latency = 270ms\n"
                "fibre_share = 0.5\n"
                "microwave_share = 0.48\n"
                "[rollout]\n"
                "rate = 90/min\n"
                "[tree]\n"
                "fanout = 4, 25\n"
                "latency = 3ms,1ms\n"
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
  g_assert_cmpfloat(sc->rollout.window_s, ==, 120); /* the older name of rollout.window */
  g_assert_cmpint(sc->topology.type, ==, ES_TOPOLOGY_NATIONAL);
  g_assert_cmpuint(sc->topology.racas, ==, 3);
  g_assert_cmpuint(sc->topology.access_class[ES_ACCESS_SATELLITE].latency.n, ==, 1);
  g_assert_cmpfloat(sc->topology.access_class[ES_ACCESS_SATELLITE].latency.v[0], ==, 0.27);
  g_assert_cmpfloat(sc->rollout.rate, ==, 1.5);
  g_assert_cmpuint(sc->topology.tree_fanout.n, ==, 2);
  g_assert_cmpfloat(sc->topology.tree_fanout.v[0], ==, 4);
  g_assert_cmpfloat(sc->topology.tree_fanout.v[1], ==, 25);
  g_assert_cmpfloat(sc->topology.tree_latency.v[0], ==, 0.003);
  g_assert_cmpfloat(sc->topology.tree_latency.v[1], ==, 0.001);
  g_assert_cmpfloat(sc->topology.access.rate_bps, ==, 64000);
  g_assert_cmpfloat(sc->topology.access.delay_s, ==, 1.5);
  g_assert_cmpfloat(sc->topology.access.loss, ==, 0.01);
  g_assert_cmpfloat(sc->topology.core.delay_s, ==, 250e-6);
  g_assert_true(sc->raca.grant_implicit);
  g_assert_cmpuint(sc->raca.workers, ==, 8);
  g_assert_cmpint(sc->enb.new_key, ==, ES_KEY_RSA2048);
  g_assert_cmpfloat(sc->pki.cert_validity_s, ==, 3600);
  /* Keys the file does not name keep their earlier values. */
  g_assert_cmpfloat(sc->topology.aggregation.rate_bps, ==, 1e9);
  g_assert_cmpint(sc->pki.key, ==, ES_KEY_P256);
  g_assert_true(es_scenario_validate(sc, &error));
  g_assert_no_error(error);
}

typedef struct {
  const char *name;
  const char *ini;
  EsConfigError code;
  const char *expect[3]; /* substrings of the message besides the file name */
} LoadErrorCase;

static const LoadErrorCase load_errors[] = {
    {"unknown-key", "[scenario]\nenbz = 5\n", ES_CONFIG_ERROR_KEY,
     {":2: unknown key [scenario] enbz: did you mean 'scenario.enbs'?"}},
    {"unknown-group", "[scenario]\nenbs = 5\n[radio]\nband = 7\n", ES_CONFIG_ERROR_KEY,
     {":3: unknown section [radio]"}},
    {"misspelt-section", "[scenario]\nenbs = 5\n\n[backhual]\nlatency = 5ms\n",
     ES_CONFIG_ERROR_KEY, {":4: unknown section [backhual]: did you mean 'backhaul.latency'?"}},
    {"misspelt-key", "[national]\nfiber_share = 0.5\n", ES_CONFIG_ERROR_KEY,
     {":2: unknown key [national] fiber_share: did you mean 'national.fibre_share'?"}},
    {"key-in-wrong-section", "[enb]\nconfirm_wait = 90s\n", ES_CONFIG_ERROR_KEY,
     {":2: unknown key [enb] confirm_wait: did you mean 'raca.confirm_wait'?"}},
    {"duplicate-key", "[scenario]\nenbs = 5\n[raca]\nworkers = 4\n[scenario]\nenbs = 6\n",
     ES_CONFIG_ERROR_KEY, {":6: [scenario] enbs given twice, first on line 2"}},
    {"missing-topology-file", "[topology]\ntype = file\nfile = nowhere.topo\n",
     ES_CONFIG_ERROR_FILE,
     {":3: [topology] file: cannot open 'nowhere.topo' (", "/nowhere.topo): No such file"}},
    {"duration-no-unit", "[backhaul]\nlatency = 20\n", ES_CONFIG_ERROR_VALUE,
     {"[backhaul] latency", "missing unit", "'20'"}},
    {"duration-garbage", "[backhaul]\nlatency = abc\n", ES_CONFIG_ERROR_VALUE,
     {"[backhaul] latency", "not a number", "'abc'"}},
    {"duration-negative", "[core]\nlatency = -5ms\n", ES_CONFIG_ERROR_VALUE,
     {"[core] latency", "negative", "'-5ms'"}},
    {"duration-zero-timeout", "[enb]\nmsg_timeout = 0s\n", ES_CONFIG_ERROR_VALUE,
     {"[enb] msg_timeout", "greater than 0s", "'0s'"}},
    {"rate-unit-case", "[backhaul]\nrate = 100MBps\n", ES_CONFIG_ERROR_VALUE,
     {"[backhaul] rate", "unknown unit 'MBps'", "'100MBps'"}},
    {"rate-zero", "[core]\nrate = 0Gbps\n", ES_CONFIG_ERROR_VALUE,
     {"[core] rate", "greater than 0bps"}},
    {"probability-above-one", "[aggregation]\nloss = 1.5\n", ES_CONFIG_ERROR_VALUE,
     {"[aggregation] loss", "at most 1", "'1.5'"}},
    {"enbs-zero", "[scenario]\nenbs = 0\n", ES_CONFIG_ERROR_VALUE,
     {"[scenario] enbs", "at least 1", "'0'"}},
    {"enbs-word", "[scenario]\nenbs = ten\n", ES_CONFIG_ERROR_VALUE,
     {"[scenario] enbs", "not a non-negative integer", "'ten'"}},
    {"enbs-too-many", "[scenario]\nenbs = 1000001\n", ES_CONFIG_ERROR_VALUE,
     {"[scenario] enbs", "at most 1000000"}},
    {"enbs-negative", "[scenario]\nenbs = -3\n", ES_CONFIG_ERROR_VALUE,
     {"[scenario] enbs", "negative"}},
    {"workers-overflow", "[raca]\nworkers = 99999999999\n", ES_CONFIG_ERROR_VALUE,
     {"[raca] workers", "too large"}},
    {"key-type", "[pki]\nkey = ed25519\n", ES_CONFIG_ERROR_VALUE,
     {"[pki] key", "p256, p384 or rsa2048", "'ed25519'"}},
    {"confirm", "[raca]\nconfirm = maybe\n", ES_CONFIG_ERROR_VALUE,
     {"[raca] confirm", "explicit or implicit"}},
    {"epoch-no-zone", "[scenario]\nepoch = 2026-11-01T00:00:00\n", ES_CONFIG_ERROR_VALUE,
     {"[scenario] epoch", "ISO 8601"}},
    {"empty-name", "[scenario]\nname =\n", ES_CONFIG_ERROR_VALUE,
     {"[scenario] name", "empty"}},
    {"syntax", "[scenario]\nthis is not a key file line\n", ES_CONFIG_ERROR_FILE,
     {":2: ", "this is not a key file line"}},
    {"topology-type", "[topology]\ntype = ring\n", ES_CONFIG_ERROR_VALUE,
     {"[topology] type", "expected tree, star, national or file", "'ring'"}},
    {"schedule", "[rollout]\nschedule = trickle\n", ES_CONFIG_ERROR_VALUE,
     {"[rollout] schedule", "expected burst, uniform, waves or poisson"}},
    {"arrivals-unit", "[rollout]\nrate = 10\n", ES_CONFIG_ERROR_VALUE,
     {"[rollout] rate", "missing unit (one of /s, /min, /h)"}},
    {"arrivals-zero", "[rollout]\nrate = 0/s\n", ES_CONFIG_ERROR_VALUE,
     {"[rollout] rate", "greater than 0/s"}},
    {"list-element", "[tree]\nlatency = 1ms, fast\n", ES_CONFIG_ERROR_VALUE,
     {"[tree] latency", "value 2: not a number"}},
    {"list-zero-rate", "[tree]\nrate = 1Gbps,0bps\n", ES_CONFIG_ERROR_VALUE,
     {"[tree] rate", "value 2: must be greater than 0bps"}},
    {"list-fanout-zero", "[tree]\nfanout = 0\n", ES_CONFIG_ERROR_VALUE,
     {"[tree] fanout", "value 1: must be at least 1"}},
    {"list-too-long", "[tree]\nfanout = 1,2,3,4,5,6,7,8,9\n", ES_CONFIG_ERROR_VALUE,
     {"[tree] fanout", "at most 8 values"}},
    {"list-empty-element", "[tree]\nfanout = 4,,5\n", ES_CONFIG_ERROR_VALUE,
     {"[tree] fanout", "value 2: empty"}},
    {"racas-zero", "[topology]\nracas = 0\n", ES_CONFIG_ERROR_VALUE,
     {"[topology] racas", "at least 1"}},
    {"share", "[national]\nsatellite_share = 2\n", ES_CONFIG_ERROR_VALUE,
     {"[national] satellite_share", "at most 1"}},
    {"burst-enter", "[backhaul]\nburst_enter = 1.5\n", ES_CONFIG_ERROR_VALUE,
     {"[backhaul] burst_enter", "at most 1", "'1.5'"}},
    {"burst-loss-negative", "[core]\nburst_loss = -0.1\n", ES_CONFIG_ERROR_VALUE,
     {"[core] burst_loss", "negative"}},
    {"corruption", "[national]\nmicrowave_corruption = 2\n", ES_CONFIG_ERROR_VALUE,
     {"[national] microwave_corruption", "at most 1"}},
    {"tree-burst-list", "[tree]\nburst_exit = 0.5,x\n", ES_CONFIG_ERROR_VALUE,
     {"[tree] burst_exit", "value 2: not a number"}},
    {"outages-unit", "[backhaul]\noutages = 100+30s\n", ES_CONFIG_ERROR_VALUE,
     {"[backhaul] outages", "window 1: missing unit", "'100+30s'"}},
    {"outages-plus", "[aggregation]\noutages = 100s+30s, 500s\n", ES_CONFIG_ERROR_VALUE,
     {"[aggregation] outages", "window 2: expected START+DURATION"}},
    {"outages-zero", "[core]\noutages = 10s+0s\n", ES_CONFIG_ERROR_VALUE,
     {"[core] outages", "window 1: the duration must be greater than 0s"}},
    {"outages-negative", "[national]\nsatellite_outages = -5s+1s\n", ES_CONFIG_ERROR_VALUE,
     {"[national] satellite_outages", "window 1: negative"}},
};

static void test_load_error(Fixture *f, gconstpointer data) {
  const LoadErrorCase *c = data;
  g_autofree char *path = write_ini(f, "bad.ini", c->ini);
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *error = NULL;
  g_assert_false(es_scenario_load(sc, path, &error));
  g_assert_error(error, ES_CONFIG_ERROR, (gint)c->code);
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
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_FILE);
  g_autofree char *expect = g_strdup_printf("%s: %s", path, g_strerror(ENOENT));
  g_assert_cmpstr(error->message, ==, expect);
  g_clear_error(&error);
  /* A directory is not a scenario either. */
  g_assert_false(es_scenario_load(sc, f->dir, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_FILE);
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
  g_assert_cmpfloat(sc->topology.access.delay_s, ==, 0.02);
  g_assert_true(es_scenario_set(sc, "scenario.name=a=b", NULL, &error));
  g_assert_cmpstr(sc->name, ==, "a=b");
  g_assert_true(es_scenario_set(sc, "scenario.name", "other", &error));
  g_assert_cmpstr(sc->name, ==, "other");
  g_assert_true(es_scenario_set(sc, "raca.confirm", "implicit", &error));
  g_assert_true(sc->raca.grant_implicit);
  g_assert_true(es_scenario_set(sc, "scenario.epoch", "2030-06-01T00:00:00+02:00", &error));
  g_assert_cmpint(sc->epoch, ==, 1906495200);

  g_assert_false(es_scenario_set(sc, "scenario.enbz", "5", &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY);
  g_assert_nonnull(strstr(error->message, "scenario.enbz"));
  g_clear_error(&error);
  g_assert_false(es_scenario_set(sc, "enbs=5", NULL, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY);
  g_assert_nonnull(strstr(error->message, "enbs"));
  g_clear_error(&error);
  g_assert_false(es_scenario_set(sc, "scenario.enbs", NULL, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY);
  g_clear_error(&error);
  g_assert_false(es_scenario_set(sc, "core.rate=100MBps", NULL, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, "core.rate"));
  g_assert_nonnull(strstr(error->message, "100MBps"));
  g_clear_error(&error);
  /* Retry and capacity keys: words and bounds. */
  g_assert_true(es_scenario_set(sc, "enb.retry=restart", NULL, &error));
  g_assert_cmpint(sc->enb.retry, ==, ES_ENB_RESTART);
  static const char *const bad[] = {"enb.retry=again", "enb.max_attempts=0",
                                    "enb.backoff_jitter=1.5", "enb.cpu_spread=1",
                                    "raca.service=gamma", "raca.retry_after=2d", "raca.queue_limit=-1"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_false(es_scenario_set(sc, bad[i], NULL, &error));
    g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE);
    g_clear_error(&error);
  }
  g_assert_cmpint(sc->enb.retry, ==, ES_ENB_RESTART);
  /* A rejected override leaves the old value. */
  g_assert_cmpfloat(sc->topology.core.rate_bps, ==, 10e9);
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
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, "topology.aggregations"));
  g_clear_error(&error);
  sc->topology.aggregations = 0;

  g_assert_true(es_scenario_set(sc, "rollout.window=1h", NULL, NULL));
  g_assert_false(es_scenario_validate(sc, &error));
  g_assert_nonnull(strstr(error->message, "rollout.window"));
  g_assert_nonnull(strstr(error->message, "scenario.stop_time"));
  g_clear_error(&error);
  sc->rollout.window_s = 1;

  /* Fields written directly are held to the same bounds as parsed ones. */
  sc->raca.workers = 0;
  g_assert_false(es_scenario_validate(sc, &error));
  g_assert_nonnull(strstr(error->message, "raca.workers"));
  g_clear_error(&error);
  sc->raca.workers = 1;
  sc->topology.core.loss = NAN;
  g_assert_false(es_scenario_validate(sc, &error));
  g_assert_nonnull(strstr(error->message, "core.loss"));
  g_clear_error(&error);
}

typedef struct {
  const char *name;
  const char *sets[4];
  const char *expect; /* substring of the validation error; NULL: valid */
} CrossCase;

/* What no single key can know: keys that only make sense together. */
static const CrossCase cross_cases[] = {
    {"tree-fanout-ok", {"tree.fanout=4,25", "tree.rate=10Gbps,1Gbps", "tree.loss=0"}, NULL},
    {"tree-fanout-and-aggregations", {"tree.fanout=4", "topology.aggregations=3"},
     "topology.aggregations or tree.fanout"},
    {"tree-list-length", {"tree.fanout=4,25", "tree.latency=1ms,2ms,3ms"},
     "tree.latency has 3 values"},
    {"tree-list-without-fanout", {"tree.rate=1Gbps,2Gbps"}, "tree.rate has 2 values"},
    {"tree-too-many-leaves", {"scenario.enbs=50", "tree.fanout=10,10"}, "100 lowest-level"},
    {"file-without-path", {"topology.type=file"}, "needs topology.file"},
    /* Any readable regular file will do here: the file is read when the run starts. */
    {"file-with-path", {"topology.type=file", "topology.file=/proc/self/exe"}, NULL},
    {"national-ok", {"topology.type=national"}, NULL},
    {"national-shares", {"topology.type=national", "national.fibre_share=0.7"}, "must be 1"},
    {"national-range-order", {"topology.type=national", "national.microwave_latency=4ms,1ms"},
     "national.microwave_latency"},
    {"national-range-length", {"topology.type=national", "national.metro_latency=1ms,2ms,3ms"},
     "national.metro_latency"},
    {"national-regions", {"topology.type=national", "scenario.enbs=5", "national.regions=6"},
     "national.regions (6)"},
    {"waves-ok", {"rollout.schedule=waves", "rollout.wave_size=100", "rollout.wave_period=7s"},
     NULL},
    /* 500 eNBs in waves of 100: the fifth wave starts at 4 x 1000 s, after the stop. */
    {"waves-after-stop", {"rollout.schedule=waves", "rollout.wave_period=1000s"},
     "scenario.stop_time"},
    {"waves-spread", {"rollout.schedule=waves", "rollout.wave_spread=2m"},
     "must not exceed rollout.wave_period"},
    {"burst-ignores-window", {"rollout.schedule=burst", "rollout.window=2h"}, NULL},
    {"poisson", {"rollout.schedule=poisson", "rollout.rate=0.001/s"}, NULL},
    {"hostile-ok", {"hostile.unknown_vendor=0.5", "hostile.expired_device=0.25",
                    "hostile.rogue_raca=0.25"}, NULL},
    /* Bounds a run needs: CRLs per run, dates a certificate can carry, a folder name. */
    {"crl-interval-ok", {"raca.crl_interval=1s"}, NULL},
    {"crl-interval-count", {"raca.crl_interval=1ms"}, "raca.crl_interval: 0.001s would publish"},
    {"epoch-last-year", {"scenario.epoch=9999-12-31T23:59:59Z"}, "scenario.epoch"},
    {"epoch-before-1970", {"scenario.epoch=1969-12-31T23:59:59Z"}, "scenario.epoch"},
    {"crl-validity-date", {"scenario.epoch=9960-01-01T00:00:00Z", "raca.crl_validity=36500d"},
     "raca.crl_validity"},
    {"name-path", {"scenario.name=../x"}, "scenario.name"},
    {"name-dots", {"scenario.name=a..b"}, "scenario.name"},
    {"name-ok", {"scenario.name=region-2_v1.5"}, NULL},
    {"hostile-over-one", {"hostile.unknown_vendor=0.5", "hostile.expired_device=0.3",
                          "hostile.rogue_raca=0.3"}, "more than 1"},
};

static void test_cross(gconstpointer data) {
  const CrossCase *c = data;
  g_autoptr(EsScenario) sc = es_scenario_new();
  for (int i = 0; i < 4 && c->sets[i]; i++)
    g_assert_true(es_scenario_set(sc, c->sets[i], NULL, NULL));
  GError *error = NULL;
  gboolean ok = es_scenario_validate(sc, &error);
  if (error)
    g_test_message("%s", error->message);
  if (c->expect == NULL) {
    g_assert_no_error(error);
    g_assert_true(ok);
  } else {
    g_assert_false(ok);
    g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE);
    g_assert_nonnull(strstr(error->message, c->expect));
    g_error_free(error);
  }
}

/* scenario.start_window is the older name of rollout.window: both set the same value, only
 * the new one is written. */
static void test_alias(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  g_assert_true(es_scenario_set(sc, "scenario.start_window=7s", NULL, NULL));
  g_assert_cmpfloat(sc->rollout.window_s, ==, 7);
  g_assert_true(es_scenario_set(sc, "rollout.window=9s", NULL, NULL));
  g_assert_cmpfloat(sc->rollout.window_s, ==, 9);
  g_autofree char *text = es_scenario_to_keyfile(sc);
  g_assert_null(strstr(text, "start_window"));
  g_assert_nonnull(strstr(text, "[rollout]\nschedule=uniform\nwindow=9s\n"));
}

/* A topology file named in a scenario file is found beside it, wherever the run starts. */
static void test_relative_path(Fixture *f, gconstpointer data) {
  (void)data;
  g_autofree char *path =
      write_ini(f, "net.ini", "[topology]\ntype = file\nfile = net.topo\n");
  g_autofree char *topo = write_ini(f, "net.topo", "node core router\n");
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *error = NULL;
  g_assert_true(es_scenario_load(sc, path, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(sc->topology.file, ==, topo);
  /* An absolute path stays as it is; --set takes paths relative to where the run starts. */
  g_assert_true(es_scenario_set(sc, "topology.file", topo, NULL));
  g_assert_cmpstr(sc->topology.file, ==, topo);
  g_assert_false(es_scenario_set(sc, "topology.file=net.topo", NULL, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_FILE);
  g_autofree char *want = g_strdup_printf("topology.file: cannot open 'net.topo': %s",
                                          g_strerror(ENOENT));
  g_assert_cmpstr(error->message, ==, want);
  g_clear_error(&error);
  g_autofree char *cwd = g_get_current_dir();
  g_assert_cmpint(g_chdir(f->dir), ==, 0);
  g_assert_true(es_scenario_set(sc, "topology.file=net.topo", NULL, &error));
  g_assert_no_error(error);
  g_assert_cmpint(g_chdir(cwd), ==, 0);
  g_assert_cmpstr(sc->topology.file, ==, "net.topo");
}

static void test_value_list_get(void) {
  EsValueList empty = {0}, one = {1, {5}}, two = {2, {5, 7}};
  g_assert_cmpfloat(es_value_list_get(&empty, 0, 3), ==, 3);
  g_assert_cmpfloat(es_value_list_get(&one, 4, 3), ==, 5);
  g_assert_cmpfloat(es_value_list_get(&two, 0, 3), ==, 5);
  g_assert_cmpfloat(es_value_list_get(&two, 1, 3), ==, 7);
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
  for (gsize i = 0; i < G_N_ELEMENTS(cross_cases); i++) {
    g_autofree char *name = g_strdup_printf("/scenario/validate/%s", cross_cases[i].name);
    g_test_add_data_func(name, &cross_cases[i], test_cross);
  }
  g_test_add_func("/scenario/alias", test_alias);
  g_test_add("/scenario/load/relative-path", Fixture, NULL, fixture_setup, test_relative_path,
             fixture_teardown);
  g_test_add_func("/scenario/value-list", test_value_list_get);
  return g_test_run();
}
