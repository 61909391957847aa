/* Unit tests of scenarios as a whole: the canonical dump and its round trip, the impairment,
 * revocation and hostile keys, the warnings (keys a topology type or a live run does not read
 * among them), and the defaults serve and enrol share. */
#include <math.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "sim/es_scenario.h"

static void assert_list(const EsValueList *a, const EsValueList *b) {
  g_assert_cmpuint(a->n, ==, b->n);
  for (guint i = 0; i < a->n; i++)
    g_assert_cmpfloat(a->v[i], ==, b->v[i]);
}

static void assert_outages(const EsOutages *a, const EsOutages *b) {
  guint na = a ? a->n : 0, nb = b ? b->n : 0;
  g_assert_cmpuint(na, ==, nb);
  for (guint i = 0; i < na; i++) {
    g_assert_cmpfloat(a->w[i].start_s, ==, b->w[i].start_s);
    g_assert_cmpfloat(a->w[i].duration_s, ==, b->w[i].duration_s);
  }
}

static void assert_same(const EsScenario *a, const EsScenario *b) {
  g_assert_cmpstr(a->name, ==, b->name);
  g_assert_cmpuint(a->seed, ==, b->seed);
  g_assert_cmpuint(a->enbs, ==, b->enbs);
  g_assert_cmpint(a->epoch, ==, b->epoch);
  g_assert_cmpfloat(a->rollout.window_s, ==, b->rollout.window_s);
  g_assert_cmpfloat(a->stop_time_s, ==, b->stop_time_s);
  g_assert_cmpint(a->topology.type, ==, b->topology.type);
  g_assert_cmpstr(a->topology.file, ==, b->topology.file);
  g_assert_cmpuint(a->topology.racas, ==, b->topology.racas);
  g_assert_cmpuint(a->topology.aggregations, ==, b->topology.aggregations);
  assert_list(&a->topology.tree_fanout, &b->topology.tree_fanout);
  assert_list(&a->topology.tree_rate, &b->topology.tree_rate);
  assert_list(&a->topology.tree_latency, &b->topology.tree_latency);
  assert_list(&a->topology.tree_loss, &b->topology.tree_loss);
  g_assert_cmpuint(a->topology.national_regions, ==, b->topology.national_regions);
  g_assert_cmpuint(a->topology.national_aggregations, ==, b->topology.national_aggregations);
  g_assert_cmpfloat(a->topology.backbone_rate_bps, ==, b->topology.backbone_rate_bps);
  assert_list(&a->topology.backbone_latency, &b->topology.backbone_latency);
  g_assert_cmpfloat(a->topology.metro_rate_bps, ==, b->topology.metro_rate_bps);
  assert_list(&a->topology.metro_latency, &b->topology.metro_latency);
  for (int c = 0; c < ES_ACCESS_CLASSES; c++) {
    g_assert_cmpfloat(a->topology.access_class[c].share, ==, b->topology.access_class[c].share);
    g_assert_cmpfloat(a->topology.access_class[c].link.rate_bps, ==, b->topology.access_class[c].link.rate_bps);
    assert_list(&a->topology.access_class[c].latency, &b->topology.access_class[c].latency);
    g_assert_cmpfloat(a->topology.access_class[c].link.loss, ==, b->topology.access_class[c].link.loss);
    g_assert_cmpfloat(a->topology.access_class[c].link.burst_enter, ==, b->topology.access_class[c].link.burst_enter);
    g_assert_cmpfloat(a->topology.access_class[c].link.burst_exit, ==, b->topology.access_class[c].link.burst_exit);
    g_assert_cmpfloat(a->topology.access_class[c].link.burst_loss, ==, b->topology.access_class[c].link.burst_loss);
    g_assert_cmpfloat(a->topology.access_class[c].link.corruption, ==, b->topology.access_class[c].link.corruption);
    assert_outages(a->topology.access_class[c].link.outages, b->topology.access_class[c].link.outages);
  }
  assert_list(&a->topology.tree_burst_enter, &b->topology.tree_burst_enter);
  assert_list(&a->topology.tree_burst_exit, &b->topology.tree_burst_exit);
  assert_list(&a->topology.tree_burst_loss, &b->topology.tree_burst_loss);
  assert_list(&a->topology.tree_corruption, &b->topology.tree_corruption);
  g_assert_cmpint(a->rollout.schedule, ==, b->rollout.schedule);
  g_assert_cmpuint(a->rollout.wave_size, ==, b->rollout.wave_size);
  g_assert_cmpfloat(a->rollout.wave_period_s, ==, b->rollout.wave_period_s);
  g_assert_cmpfloat(a->rollout.wave_spread_s, ==, b->rollout.wave_spread_s);
  g_assert_cmpfloat(a->rollout.rate, ==, b->rollout.rate);
  const EsLinkParams *la[] = {&a->topology.access, &a->topology.aggregation, &a->topology.core};
  const EsLinkParams *lb[] = {&b->topology.access, &b->topology.aggregation, &b->topology.core};
  for (int i = 0; i < 3; i++) {
    g_assert_cmpfloat(la[i]->rate_bps, ==, lb[i]->rate_bps);
    g_assert_cmpfloat(la[i]->delay_s, ==, lb[i]->delay_s);
    g_assert_cmpfloat(la[i]->loss, ==, lb[i]->loss);
    g_assert_cmpfloat(la[i]->burst_enter, ==, lb[i]->burst_enter);
    g_assert_cmpfloat(la[i]->burst_exit, ==, lb[i]->burst_exit);
    g_assert_cmpfloat(la[i]->burst_loss, ==, lb[i]->burst_loss);
    g_assert_cmpfloat(la[i]->corruption, ==, lb[i]->corruption);
    assert_outages(la[i]->outages, lb[i]->outages);
  }
  g_assert_cmpint(a->pki.key, ==, b->pki.key);
  g_assert_cmpfloat(a->pki.cert_validity_s, ==, b->pki.cert_validity_s);
  g_assert_cmpint(a->raca.grant_implicit, ==, b->raca.grant_implicit);
  g_assert_cmpfloat(a->raca.confirm_wait_s, ==, b->raca.confirm_wait_s);
  g_assert_cmpuint(a->raca.workers, ==, b->raca.workers);
  g_assert_cmpfloat(a->raca.ir_service_s, ==, b->raca.ir_service_s);
  g_assert_cmpfloat(a->raca.certconf_service_s, ==, b->raca.certconf_service_s);
  g_assert_cmpfloat(a->raca.crl_validity_s, ==, b->raca.crl_validity_s);
  g_assert_cmpint(a->enb.new_key, ==, b->enb.new_key);
  g_assert_cmpfloat(a->enb.keygen_s, ==, b->enb.keygen_s);
  g_assert_cmpfloat(a->enb.sign_s, ==, b->enb.sign_s);
  g_assert_cmpfloat(a->enb.msg_timeout_s, ==, b->enb.msg_timeout_s);
  g_assert_cmpuint(a->raca.queue_limit, ==, b->raca.queue_limit);
  g_assert_cmpfloat(a->raca.retry_after_s, ==, b->raca.retry_after_s);
  g_assert_cmpint(a->raca.service_dist, ==, b->raca.service_dist);
  g_assert_cmpfloat(a->raca.kur_service_s, ==, b->raca.kur_service_s);
  g_assert_cmpfloat(a->raca.rr_service_s, ==, b->raca.rr_service_s);
  g_assert_cmpfloat(a->enb.cpu_spread, ==, b->enb.cpu_spread);
  g_assert_cmpint(a->enb.retry, ==, b->enb.retry);
  g_assert_cmpuint(a->enb.max_attempts, ==, b->enb.max_attempts);
  g_assert_cmpfloat(a->enb.backoff_s, ==, b->enb.backoff_s);
  g_assert_cmpfloat(a->enb.backoff_max_s, ==, b->enb.backoff_max_s);
  g_assert_cmpfloat(a->enb.backoff_jitter, ==, b->enb.backoff_jitter);
}

static void test_keyfile_canonical(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  g_autofree char *text = es_scenario_to_keyfile(sc);
  g_test_message("%s", text);
  static const char *const lines[] = {
      "[scenario]\nname=default\nseed=1\nenbs=500\nepoch=2026-11-01T00:00:00Z\n"
      "stop_time=3600s\n",
      "[topology]\ntype=tree\nfile=\nracas=1\naggregations=0\n",
      "[tree]\nfanout=\nrate=\nlatency=\nloss=\n",
      "[national]\nregions=0\naggregations=0\nbackbone_rate=10000000000bps\n"
      "backbone_latency=0.001s,0.006s\n",
      "fibre_share=0.6\nfibre_rate=1000000000bps\nfibre_latency=0.0001s,0.001s\nfibre_loss=0\n",
      "satellite_share=0.02\nsatellite_rate=20000000bps\nsatellite_latency=0.25s,0.28s\n"
      "satellite_loss=0.001\n",
      "[rollout]\nschedule=uniform\nwindow=1s\nwave_size=100\nwave_period=60s\n"
      "wave_spread=0s\nrate=10/s\n",
      "[backhaul]\nrate=100000000bps\nlatency=0.005s\nloss=0\n",
      "[aggregation]\nrate=1000000000bps\nlatency=0.002s\nloss=0\n",
      "[core]\nrate=10000000000bps\nlatency=0.001s\nloss=0\n",
      "[pki]\nkey=p256\ncert_validity=315360000s\n",
      "[raca]\nconfirm=explicit\nconfirm_wait=60s\nworkers=2\nqueue_limit=0\nretry_after=2s\n"
      "service=fixed\nir_service=0.001s\nkur_service=0.001s\ncertconf_service=0.0005s\n"
      "rr_service=0.0005s\ncrl_validity=315360000s\n",
      "[enb]\nkey=p256\nkeygen_time=0.02s\nsign_time=0.005s\ncpu_spread=0\nmsg_timeout=10s\n"
      "retry=resend\nmax_attempts=4\ngive_up_after=1800s\nbackoff=1s\nbackoff_max=60s\n"
      "backoff_jitter=0.5\n",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(lines); i++)
    g_assert_nonnull(strstr(text, lines[i]));
}

/* Whatever the dump says, loading it gives back the same values, bit for bit. */
static void test_keyfile_round_trip(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  static const char *const overrides[] = {
      "scenario.name=  lead \"quoted\" \\ name\twith tab ",
      "scenario.seed=12345678901234567890",
      "scenario.enbs=100000",
      "scenario.epoch=1999-12-31T23:59:59Z",
      "scenario.start_window=0.1s",
      "scenario.stop_time=1.5d",
      "topology.type=file",
      "topology.racas=4",
      "topology.aggregations=316",
      "tree.fanout=3,7,2",
      "tree.rate=1.5Mbps,9600bps,1Gbps",
      "tree.latency=0.3ms",
      "tree.loss=0.1,0,1e-5",
      "national.regions=12",
      "national.backbone_latency=2ms",
      "national.microwave_latency=0.7ms,1.3ms",
      "national.satellite_loss=0.003",
      "rollout.schedule=waves",
      "rollout.wave_spread=13s",
      "rollout.rate=7/min",
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
      "raca.queue_limit=17",
      "raca.retry_after=5s",
      "raca.service=exponential",
      "raca.kur_service=4ms",
      "raca.rr_service=0.5ms",
      "enb.cpu_spread=0.25",
      "enb.retry=restart",
      "enb.max_attempts=7",
      "enb.backoff=250ms",
      "enb.backoff_max=2m",
      "enb.backoff_jitter=0",
      "backhaul.burst_enter=0.01",
      "backhaul.burst_exit=0.25",
      "backhaul.burst_loss=0.9",
      "backhaul.outages=100s+30s, 8.5m+250ms",
      "backhaul.corruption=1e-6",
      "aggregation.outages=0s+1h",
      "core.corruption=0.5",
      "tree.burst_enter=0.1,0,0.2",
      "tree.burst_exit=0.5",
      "tree.corruption=0,0,0.001",
      "national.microwave_burst_enter=0.001",
      "national.satellite_outages=60s+2m",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(overrides); i++) {
    GError *error = NULL;
    g_assert_true(es_scenario_set(sc, overrides[i], NULL, &error));
    g_assert_no_error(error);
  }
  /* A path key must name a file that can be read: a blank in its name. */
  g_autofree char *dir = g_dir_make_tmp("es-scenario-XXXXXX", NULL);
  g_autofree char *topo = g_build_filename(dir, "a b.topo", NULL);
  g_assert_true(g_file_set_contents(topo, "", -1, NULL));
  g_assert_true(es_scenario_set(sc, "topology.file", topo, NULL));
  g_autofree char *text = es_scenario_to_keyfile(sc);
  g_autofree char *path = g_build_filename(dir, "dump.ini", NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  g_autoptr(EsScenario) back = es_scenario_new();
  GError *error = NULL;
  g_assert_true(es_scenario_load(back, path, &error));
  g_assert_no_error(error);
  assert_same(sc, back);
  g_autofree char *again = es_scenario_to_keyfile(back);
  g_assert_cmpstr(text, ==, again);
  g_remove(path);
  g_remove(topo);
  g_rmdir(dir);
  /* Shortest form, not 17 digits. */
  g_assert_nonnull(strstr(text, "\nloss=0.1\n"));
  g_assert_nonnull(strstr(text, "\nwindow=0.1s\n"));
  g_assert_nonnull(strstr(text, "\nfanout=3,7,2\nrate=1500000bps,9600bps,1000000000bps\n"));
  g_assert_nonnull(strstr(text, "\nrate=0.11666666666666667/s\n"));
  g_assert_nonnull(strstr(text, "\noutages=100s+30s,510s+0.25s\n"));
  g_assert_nonnull(strstr(text, "\nsatellite_outages=60s+120s\n"));
  g_assert_nonnull(strstr(text, "\ncorruption=1e-06\n"));
}

/* Impairment keys: no impairment anywhere by default except the national microwave class's
 * fading bursts; a burst chain that could never leave its bad state is refused. */
static void test_impairments(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  const EsLinkParams *links[] = {&sc->topology.access, &sc->topology.aggregation, &sc->topology.core};
  for (gsize i = 0; i < G_N_ELEMENTS(links); i++) {
    g_assert_false(es_link_impaired(links[i]));
    g_assert_cmpfloat(links[i]->burst_enter, ==, 0);
    g_assert_cmpfloat(links[i]->burst_loss, ==, 1);
    g_assert_null(links[i]->outages);
  }
  g_assert_cmpfloat(sc->topology.access_class[ES_ACCESS_FIBRE].link.burst_enter, ==, 0);
  g_assert_cmpfloat(sc->topology.access_class[ES_ACCESS_SATELLITE].link.burst_enter, ==, 0);
  const EsAccessClass *mw = &sc->topology.access_class[ES_ACCESS_MICROWAVE];
  g_assert_cmpfloat(mw->link.burst_enter, ==, 0.00002);
  g_assert_cmpfloat(mw->link.burst_exit, ==, 0.2);
  g_assert_cmpfloat(mw->link.burst_loss, ==, 0.5);
  /* Fading below the margin 1e-4 of the time. */
  g_assert_cmpfloat_with_epsilon(mw->link.burst_enter / (mw->link.burst_enter + mw->link.burst_exit), 1e-4,
                                 1e-6);

  GError *error = NULL;
  g_assert_true(es_scenario_set(sc, "backhaul.burst_enter=0.01", NULL, &error));
  g_assert_false(es_scenario_validate(sc, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, "backhaul.burst_exit"));
  g_clear_error(&error);
  g_assert_true(es_scenario_set(sc, "backhaul.burst_exit=0.5", NULL, &error));
  g_assert_true(es_scenario_validate(sc, &error));
  g_assert_true(es_link_impaired(&sc->topology.access));
  /* Per tree level: the second level enters bursts it cannot leave. */
  g_assert_true(es_scenario_set(sc, "tree.fanout=2,3", NULL, &error));
  g_assert_true(es_scenario_set(sc, "tree.burst_enter=0,0.1", NULL, &error));
  g_assert_false(es_scenario_validate(sc, &error));
  g_assert_nonnull(strstr(error->message, "tree.burst_exit"));
  g_clear_error(&error);
  g_assert_true(es_scenario_set(sc, "tree.burst_exit=0.3", NULL, &error));
  g_assert_true(es_scenario_validate(sc, &error));
  g_assert_true(es_scenario_set(sc, "tree.corruption=0,0,0", NULL, &error));
  g_assert_false(es_scenario_validate(sc, &error));
  g_assert_nonnull(strstr(error->message, "tree.corruption has 3 values"));
  g_clear_error(&error);
  /* Copies own their lists. */
  g_assert_true(es_scenario_set(sc, "core.outages=1s+2s", NULL, &error));
  g_autoptr(EsScenario) copy = es_scenario_copy(sc);
  g_assert_true(copy->topology.core.outages != sc->topology.core.outages);
  assert_outages(copy->topology.core.outages, sc->topology.core.outages);
}

/* The revocation and hostile-node keys: units, words and bounds, and how they are written. */
static void test_revocation_hostile_keys(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  GError *error = NULL;
  g_assert_true(es_scenario_set(sc, "raca.crl_interval=90s", NULL, &error));
  g_assert_no_error(error);
  g_assert_cmpfloat(sc->raca.crl_interval_s, ==, 90);
  g_assert_true(es_scenario_set(sc, "raca.keep_superseded=true", NULL, &error));
  g_assert_true(sc->raca.keep_superseded);
  g_assert_true(es_scenario_set(sc, "raca.cross=false", NULL, &error));
  g_assert_false(sc->raca.cross);
  g_assert_true(es_scenario_set(sc, "hostile.unknown_vendor=0.1", NULL, &error));
  g_assert_true(es_scenario_set(sc, "hostile.expired_device=0.2", NULL, &error));
  g_assert_true(es_scenario_set(sc, "hostile.rogue_raca=0.3", NULL, &error));
  g_assert_no_error(error);
  g_assert_cmpfloat(sc->hostile.unknown_vendor, ==, 0.1);
  g_assert_cmpfloat(sc->hostile.expired_device, ==, 0.2);
  g_assert_cmpfloat(sc->hostile.rogue_raca, ==, 0.3);
  g_assert_true(es_scenario_validate(sc, &error));

  static const char *const bad[] = {
      "raca.crl_interval=90",     /* no unit */
      "raca.crl_interval=-1s",
      "raca.keep_superseded=yes", /* true or false only */
      "raca.cross=1",
      "hostile.rogue_raca=1.5",
      "hostile.unknown_vendor=-0.1",
      "hostile.sneaky=0.1",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_false(es_scenario_set(sc, bad[i], NULL, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
  }
  g_assert_cmpfloat(sc->raca.crl_interval_s, ==, 90); /* rejected values change nothing */

  g_autofree char *text = es_scenario_to_keyfile(sc);
  g_assert_nonnull(strstr(text, "crl_interval=90s\n"));
  g_assert_nonnull(strstr(text, "keep_superseded=true\n"));
  g_assert_nonnull(strstr(text, "cross=false\n"));
  g_assert_nonnull(
      strstr(text, "[hostile]\nunknown_vendor=0.1\nexpired_device=0.2\nrogue_raca=0.3\n"));
}

/* The rule README states: a confirm wait shorter than an eNB's certConf resend window
 * revokes certificates still being confirmed. The defaults keep it (60s against 50.5s). */
static void test_warnings(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  g_assert_cmpfloat(es_enb_config_resend_window(&sc->enb), ==, 4 * 10 + (1 + 2 + 4) * 1.5);
  g_auto(GStrv) none = es_scenario_warnings(sc);
  g_assert_cmpuint(g_strv_length(none), ==, 0);
  g_assert_true(es_scenario_set(sc, "raca.confirm_wait=30s", NULL, NULL));
  g_auto(GStrv) one = es_scenario_warnings(sc);
  g_assert_cmpuint(g_strv_length(one), ==, 1);
  g_assert_nonnull(strstr(one[0], "raca.confirm_wait (30s)"));
  g_assert_nonnull(strstr(one[0], "(50.5s"));
  /* A restarting eNB abandons the transaction: nothing of it is confirmed late. */
  g_assert_true(es_scenario_set(sc, "enb.retry=restart", NULL, NULL));
  g_auto(GStrv) restart = es_scenario_warnings(sc);
  g_assert_cmpuint(g_strv_length(restart), ==, 0);
  /* A poll threshold is only a problem with an approval delay and as long as msg_timeout. */
  g_assert_true(es_scenario_set(sc, "raca.poll_threshold=10s", NULL, NULL));
  g_auto(GStrv) no_delay = es_scenario_warnings(sc);
  g_assert_cmpuint(g_strv_length(no_delay), ==, 0);
  g_assert_true(es_scenario_set(sc, "raca.approval_delay=20s", NULL, NULL));
  g_auto(GStrv) held = es_scenario_warnings(sc);
  g_assert_cmpuint(g_strv_length(held), ==, 1);
  g_assert_nonnull(strstr(held[0], "raca.poll_threshold (10s) is not shorter than enb.msg_timeout (10s)"));
  g_assert_true(es_scenario_set(sc, "raca.poll_threshold=9s", NULL, NULL));
  g_auto(GStrv) shorter = es_scenario_warnings(sc);
  g_assert_cmpuint(g_strv_length(shorter), ==, 0);
  /* A CA outage longer than the eNBs poll: 100 polls x 5s = 500s. */
  g_assert_true(es_scenario_set(sc, "raca.ca_outages=60s+500s", NULL, NULL));
  g_auto(GStrv) fits = es_scenario_warnings(sc);
  g_assert_cmpuint(g_strv_length(fits), ==, 0);
  g_assert_true(es_scenario_set(sc, "raca.ca_outages=60s+10s,100s+501s", NULL, NULL));
  g_auto(GStrv) outlasts = es_scenario_warnings(sc);
  g_assert_cmpuint(g_strv_length(outlasts), ==, 1);
  g_assert_nonnull(strstr(outlasts[0], "lasts 501s, but eNBs poll for at most 500s"));
  g_assert_true(es_scenario_set(sc, "enb.total_timeout=2min", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "raca.ca_outages=60s+121s", NULL, NULL));
  g_auto(GStrv) timeout = es_scenario_warnings(sc);
  g_assert_cmpuint(g_strv_length(timeout), ==, 1);
  g_assert_nonnull(strstr(timeout[0], "lasts 121s, but eNBs poll for at most 120s"));
}

/* The one warning of `sc` about keys topology.type does not read, or NULL. */
static char *topology_warning(const EsScenario *sc) {
  g_auto(GStrv) w = es_scenario_warnings(sc);
  char *found = NULL;
  for (char **p = w; *p; p++)
    if (g_str_has_prefix(*p, "topology.type is ")) {
      g_assert_null(found);
      found = g_strdup(*p);
    }
  return found;
}

/* A key given for another layout is named, even when it holds its default: whoever wrote it
 * meant something by it. */
static void test_unused_topology_keys(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  g_assert_null(topology_warning(sc));
  g_assert_true(es_scenario_set(sc, "national.regions=0", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "tree.fanout=4", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "backhaul.loss=0", NULL, NULL));
  g_autofree char *tree = topology_warning(sc);
  g_assert_cmpstr(tree, ==, "topology.type is tree, which does not read national.regions (no "
                            "effect; check topology.type)");
  /* The same keys under another layout: what that one does not read. */
  g_assert_true(es_scenario_set(sc, "topology.type=national", NULL, NULL));
  g_autofree char *national = topology_warning(sc);
  g_assert_cmpstr(national, ==, "topology.type is national, which does not read tree.fanout, "
                                "backhaul.loss (no effect; check topology.type)");
  g_assert_true(es_scenario_set(sc, "topology.type=star", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "aggregation.latency=2ms", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "topology.aggregations=3", NULL, NULL));
  g_assert_true(es_scenario_set(sc, "core.latency=1ms", NULL, NULL));
  g_autofree char *star = topology_warning(sc);
  g_assert_cmpstr(star, ==, "topology.type is star, which does not read topology.aggregations, "
                            "tree.fanout, national.regions, aggregation.latency (no effect; check "
                            "topology.type)");
  /* A copy keeps what was given; a file brings its own links and RA/CAs. */
  g_autoptr(EsScenario) copy = es_scenario_copy(sc);
  copy->topology.type = ES_TOPOLOGY_FILE;
  g_autofree char *file = topology_warning(copy);
  g_assert_cmpstr(file, ==, "topology.type is file, which does not read topology.aggregations, "
                            "tree.fanout, national.regions, backhaul.loss, aggregation.latency, "
                            "core.latency (no effect; check topology.type)");
}

/* A scenario.ini a run wrote gives every key: a section none of whose keys is read is named
 * once, and an empty topology.file names no file. */
static void test_unused_keys_of_a_dump(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  g_autofree char *text = es_scenario_to_keyfile(sc);
  g_autofree char *dir = g_dir_make_tmp("es-scenario-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "scenario.ini", NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  g_autoptr(EsScenario) back = es_scenario_new();
  g_assert_true(es_scenario_load(back, path, NULL));
  g_autofree char *tree = topology_warning(back);
  g_assert_cmpstr(tree, ==, "topology.type is tree, which does not read national.* (no effect; "
                            "check topology.type)");
  back->topology.type = ES_TOPOLOGY_STAR;
  g_autofree char *star = topology_warning(back);
  g_assert_cmpstr(star, ==, "topology.type is star, which does not read topology.aggregations, "
                            "tree.*, national.*, aggregation.* (no effect; check topology.type)");
  g_remove(path);
  g_rmdir(dir);
}

/* serve and enrol read the nodes' keys; the rest describes a simulation. */
static void test_live_warnings(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  g_auto(GStrv) none = es_scenario_live_warnings(sc);
  g_assert_cmpuint(g_strv_length(none), ==, 0);
  static const char *const sets[] = {
      "scenario.name=lab",        "scenario.enbs=10",        "raca.workers=4",
      "raca.ir_service=2ms",      "enb.msg_timeout=5s",      "enb.keygen_time=1ms",
      "rollout.schedule=burst",   "backhaul.loss=0",         "hostile.rogue_raca=0.1",
      "pki.cert_validity=1d",     "scenario.start_window=2s"};
  for (gsize i = 0; i < G_N_ELEMENTS(sets); i++)
    g_assert_true(es_scenario_set(sc, sets[i], NULL, NULL));
  g_auto(GStrv) w = es_scenario_live_warnings(sc);
  g_assert_cmpuint(g_strv_length(w), ==, 1);
  /* enrol reads the rollout and the eNBs' keys, serve the RA/CA's: one file serves both. */
  g_assert_cmpstr(w[0], ==, "a live run does not read backhaul.loss, enb.keygen_time, "
                            "hostile.rogue_raca (no effect: only a simulation models the "
                            "network, hostile eNBs, the eNBs' CPU times and the epoch)");
  /* TLS on: the options that do it live are named. */
  g_assert_true(es_scenario_set(sc, "transport.tls=true", NULL, NULL));
  g_auto(GStrv) t = es_scenario_live_warnings(sc);
  g_assert_cmpuint(g_strv_length(t), ==, 2);
  g_assert_cmpstr(t[0], ==, w[0]);
  g_assert_cmpstr(t[1], ==, "transport.tls is for simulations: live, serve speaks HTTPS with "
                            "--tls-cert and --tls-key, enrol with --tls-trusted");
}

/* A simulated run says it injects no faults, but not about the zeros a scenario.ini holds. */
static void test_faults_warning(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  g_assert_true(es_scenario_set(sc, "faults.delay=0", NULL, NULL));
  g_auto(GStrv) none = es_scenario_warnings(sc);
  g_assert_cmpuint(g_strv_length(none), ==, 0);
  g_assert_true(es_scenario_set(sc, "faults.drop_after=0.2", NULL, NULL));
  g_auto(GStrv) w = es_scenario_warnings(sc);
  g_assert_cmpuint(g_strv_length(w), ==, 1);
  g_assert_cmpstr(w[0], ==, "a simulated run does not read faults.drop_after, faults.delay (no "
                            "effect: `serve` injects these faults into its answers)");
  g_autoptr(GError) error = NULL;
  g_assert_true(es_scenario_set(sc, "faults.http_500=0.9", NULL, NULL));
  g_assert_false(es_scenario_validate(sc, &error));
  g_assert_nonnull(strstr(error->message, "add up to 1.1, more than 1"));
}

/* serve and enrol start from the same defaults as a scenario's [raca], [pki] and [enb]. */
static void test_live_defaults(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  EsRacaConfig rc;
  EsEnbConfig ec;
  EsPkiConfig pc;
  es_raca_config_init(&rc);
  es_enb_config_init(&ec);
  es_pki_config_init(&pc);
  g_assert_cmpmem(&rc, sizeof rc, &sc->raca, sizeof sc->raca);
  g_assert_cmpmem(&ec, sizeof ec, &sc->enb, sizeof sc->enb);
  g_assert_cmpmem(&pc, sizeof pc, &sc->pki, sizeof sc->pki);
  g_assert_cmpfloat(rc.confirm_wait_s, ==, 60);
  g_assert_cmpfloat(ec.msg_timeout_s, ==, 10);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/scenario/keyfile/canonical", test_keyfile_canonical);
  g_test_add_func("/scenario/keyfile/round-trip", test_keyfile_round_trip);
  g_test_add_func("/scenario/impairments", test_impairments);
  g_test_add_func("/scenario/revocation-hostile-keys", test_revocation_hostile_keys);
  g_test_add_func("/scenario/warnings", test_warnings);
  g_test_add_func("/scenario/live-defaults", test_live_defaults);
  g_test_add_func("/scenario/warnings/unused-topology-keys", test_unused_topology_keys);
  g_test_add_func("/scenario/warnings/unused-keys-of-a-dump", test_unused_keys_of_a_dump);
  g_test_add_func("/scenario/warnings/live", test_live_warnings);
  g_test_add_func("/scenario/warnings/faults", test_faults_warning);
  return g_test_run();
}
