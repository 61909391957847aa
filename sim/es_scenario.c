/* The scenario: the [scenario] and [hostile] keys, and the composition of every layer's
 * section in the order a scenario is written. */
#include "sim/es_scenario.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#define KEY(...) ES_CONFIG_KEY(EsScenario, __VA_ARGS__)
static const EsConfigKey scenario_keys[] = {
    KEY("scenario", "name", ES_CONFIG_STRING, name, "default", ES_ANY),
    KEY("scenario", "seed", ES_CONFIG_UINT64, seed, "1", ES_ANY),
    KEY("scenario", "enbs", ES_CONFIG_UINT, enbs, "500", ES_RANGE(1, 1000000)),
    KEY("scenario", "epoch", ES_CONFIG_TIME, epoch, "2026-11-01T00:00:00Z", ES_ANY),
    /* The older name of rollout.window: read, never written. */
    KEY("scenario", "start_window", ES_CONFIG_DURATION, rollout.window_s, "1s", ES_ANY,
        .hidden = TRUE),
    KEY("scenario", "stop_time", ES_CONFIG_DURATION, stop_time_s, "3600s", ES_POSITIVE),
};

static const EsConfigKey hostile_keys[] = {
    KEY("hostile", "unknown_vendor", ES_CONFIG_PROBABILITY, hostile.unknown_vendor, "0",
        ES_UNIT_RANGE),
    KEY("hostile", "expired_device", ES_CONFIG_PROBABILITY, hostile.expired_device, "0",
        ES_UNIT_RANGE),
    KEY("hostile", "rogue_raca", ES_CONFIG_PROBABILITY, hostile.rogue_raca, "0", ES_UNIT_RANGE),
    KEY("hostile", "forger", ES_CONFIG_PROBABILITY, hostile.forger, "0", ES_UNIT_RANGE),
    KEY("hostile", "replayer", ES_CONFIG_PROBABILITY, hostile.replayer, "0", ES_UNIT_RANGE),
};

/* Each layer's section at its place in EsScenario, in the order a scenario is written. */
static const EsConfigSchema *schema(void) {
  static EsConfigPart parts[12];
  static EsConfigSchema s;
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    const struct {
      const EsConfigSchema *section;
      gsize base;
    } layers[] = {
        {es_topology_config_schema(), G_STRUCT_OFFSET(EsScenario, topology)},
        {es_rollout_config_schema(), G_STRUCT_OFFSET(EsScenario, rollout)},
        {es_topology_link_schema(), G_STRUCT_OFFSET(EsScenario, topology)},
        {es_pki_config_schema(), G_STRUCT_OFFSET(EsScenario, pki)},
        {es_raca_config_schema(), G_STRUCT_OFFSET(EsScenario, raca)},
        {es_enb_config_schema(), G_STRUCT_OFFSET(EsScenario, enb)},
        {es_transport_config_schema(), G_STRUCT_OFFSET(EsScenario, transport)},
    };
    guint n = 0;
    parts[n++] = (EsConfigPart)ES_CONFIG_PART(scenario_keys, 0);
    for (gsize i = 0; i < G_N_ELEMENTS(layers); i++) {
      g_assert(layers[i].section->n_parts == 1);
      parts[n] = layers[i].section->parts[0];
      parts[n++].base = layers[i].base;
    }
    parts[n++] = (EsConfigPart)ES_CONFIG_PART(hostile_keys, 0);
    parts[n] = es_crl_dist_config_schema()->parts[0];
    parts[n++].base = G_STRUCT_OFFSET(EsScenario, crl_dist);
    parts[n] = es_rollover_config_schema()->parts[0];
    parts[n++].base = G_STRUCT_OFFSET(EsScenario, rollover);
    parts[n] = es_faults_config_schema()->parts[0];
    parts[n++].base = G_STRUCT_OFFSET(EsScenario, faults);
    g_assert(n == G_N_ELEMENTS(parts));
    s = (EsConfigSchema){.parts = parts,
                         .n_parts = n,
                         .size = sizeof(EsScenario),
                         .has_given = TRUE,
                         .given_offset = G_STRUCT_OFFSET(EsScenario, given)};
    g_once_init_leave(&done, 1);
  }
  return &s;
}

EsScenario *es_scenario_new(void) {
  EsScenario *sc = g_new0(EsScenario, 1);
  es_config_init(schema(), sc);
  return sc;
}

void es_scenario_free(EsScenario *sc) {
  if (!sc)
    return;
  es_config_clear(schema(), sc);
  g_free(sc);
}

EsScenario *es_scenario_copy(const EsScenario *sc) {
  g_return_val_if_fail(sc != NULL, NULL);
  EsScenario *copy = g_new(EsScenario, 1);
  es_config_copy(schema(), copy, sc);
  return copy;
}

gboolean es_scenario_load(EsScenario *sc, const char *path, GError **error) {
  return es_config_load(schema(), sc, path, error);
}

gboolean es_scenario_set(EsScenario *sc, const char *key, const char *value, GError **error) {
  return es_config_set(schema(), sc, key, value, error);
}

gboolean es_scenario_is_given(const EsScenario *sc, const char *name) {
  g_return_val_if_fail(sc != NULL && name != NULL, FALSE);
  const char *dot = strchr(name, '.');
  if (dot == NULL)
    return FALSE;
  g_autofree char *section = g_strndup(name, dot - name);
  const EsConfigKey *key = es_config_find(schema(), section, dot + 1);
  return key != NULL && es_config_is_given(schema(), sc, key);
}

char *es_scenario_to_keyfile(const EsScenario *sc) {
  return es_config_to_keyfile(schema(), sc);
}

/* Each eNB is in one hostile class at most: the shares are slices of one draw per eNB. */
static gboolean check_hostile(const EsHostileConfig *h, GError **error) {
  double sum = h->unknown_vendor + h->expired_device + h->rogue_raca + h->forger + h->replayer;
  if (sum > 1 + 1e-9) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                "hostile.unknown_vendor + hostile.expired_device + hostile.rogue_raca + "
                "hostile.forger + hostile.replayer add up to %g, more than 1",
                sum);
    return FALSE;
  }
  return TRUE;
}

/* The last instant an X.509 date can name (GeneralizedTime has four year digits). */
#define LAST_DATE G_GINT64_CONSTANT(253402300799) /* 9999-12-31T23:59:59Z */
/* The hierarchy's certificates are valid this long from the epoch (pki/es_pki.c's longest). */
#define HIERARCHY_YEARS 30
/* A CRL costs a signature and a timer: more than this many in one run is a typo, not a
 * study (a 1 us interval over an hour would be 3.6e9 CRLs, and hang the run). */
#define MAX_CRLS_PER_RUN 100000

static gboolean refuse(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);
static gboolean refuse(GError **error, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  char *message = g_strdup_vprintf(format, ap);
  va_end(ap);
  g_set_error_literal(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE, message);
  g_free(message);
  return FALSE;
}

/* A name that becomes a folder name (out/<name>-seed<N>, a sweep's runs): one plain path
 * component, so a result folder never lands outside the one asked for. */
static gboolean check_name(const char *name, GError **error) {
  for (const char *c = name; *c; c++)
    if (*c == '/' || *c == '\\' || (guchar)*c < 0x20 || *c == 0x7f)
      return refuse(error, "scenario.name: '%s' holds a path separator or a control character; "
                           "a name becomes a folder name (out/<name>-seed<N>)",
                    name);
  if (name[0] == '.' || strstr(name, "..") != NULL)
    return refuse(error, "scenario.name: '%s' starts with '.' or holds '..'; a name becomes a "
                         "folder name (out/<name>-seed<N>)",
                  name);
  return TRUE;
}

/* Every date the run writes must be one a certificate or CRL can hold: the hierarchy's,
 * and the operator certificates and CRLs issued up to the stop time. */
static gboolean check_dates(const EsScenario *sc, GError **error) {
  g_autoptr(GDateTime) last = g_date_time_new_from_unix_utc(LAST_DATE);
  g_autofree char *last_text = g_date_time_format(last, "%Y-%m-%dT%H:%M:%SZ");
  gint64 hierarchy_end = sc->epoch + (gint64)(HIERARCHY_YEARS * 365.25 * 86400);
  if (sc->epoch < 0 || hierarchy_end > LAST_DATE)
    return refuse(error, "scenario.epoch: the PKI hierarchy is valid %d years from the epoch, "
                         "and certificates can carry dates from 1970 up to %s only: the epoch must "
                         "be between 1970-01-01T00:00:00Z and %d years before that",
                  HIERARCHY_YEARS, last_text, HIERARCHY_YEARS);
  double last_issue = (double)sc->epoch + sc->stop_time_s;
  const struct {
    const char *key;
    double validity_s;
  } issued[] = {{"pki.cert_validity", sc->pki.cert_validity_s},
                {"raca.crl_validity", sc->raca.crl_validity_s}};
  for (gsize i = 0; i < G_N_ELEMENTS(issued); i++)
    if (last_issue + issued[i].validity_s > (double)LAST_DATE) {
      g_autofree char *v = es_format_duration(issued[i].validity_s);
      return refuse(error, "%s: %s from scenario.epoch plus scenario.stop_time ends after %s, "
                           "the last date a certificate or CRL can carry",
                    issued[i].key, v, last_text);
    }
  return TRUE;
}

/* CRL publications per run, bounded: raca.crl_interval against scenario.stop_time. */
static gboolean check_crls(const EsScenario *sc, GError **error) {
  if (!(sc->raca.crl_interval_s > 0) || sc->stop_time_s / sc->raca.crl_interval_s <= MAX_CRLS_PER_RUN)
    return TRUE;
  g_autofree char *interval = es_format_duration(sc->raca.crl_interval_s);
  g_autofree char *stop = es_format_duration(sc->stop_time_s);
  g_autofree char *least = es_format_duration(sc->stop_time_s / MAX_CRLS_PER_RUN);
  return refuse(error, "raca.crl_interval: %s would publish %.3g CRLs before scenario.stop_time "
                       "(%s); at most %d per run: make it at least %s",
                interval, sc->stop_time_s / sc->raca.crl_interval_s, stop, MAX_CRLS_PER_RUN,
                least);
}

/* A renewal policy whose lead reaches back past the issue date would renew at once, again and
 * again. */
static gboolean check_renewal(const EsScenario *sc, GError **error) {
  const EsEnbConfig *e = &sc->enb;
  if (!(e->renew_before_s > 0) || e->renew_before_s + e->renew_window_s < sc->pki.cert_validity_s)
    return TRUE;
  g_autofree char *b = es_format_duration(e->renew_before_s);
  g_autofree char *w = es_format_duration(e->renew_window_s);
  g_autofree char *v = es_format_duration(sc->pki.cert_validity_s);
  return refuse(error, "enb.renew_before (%s) plus enb.renew_window (%s) must be shorter than "
                       "pki.cert_validity (%s): every new certificate would be renewed at once",
                b, w, v);
}

gboolean es_scenario_validate(const EsScenario *sc, GError **error) {
  g_return_val_if_fail(sc != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  return es_config_check(schema(), sc, error) &&
         es_topology_config_check(&sc->topology, sc->enbs, error) &&
         es_rollout_config_check(&sc->rollout, sc->enbs, sc->stop_time_s, error) &&
         check_hostile(&sc->hostile, error) && es_faults_config_check(&sc->faults, error) &&
         check_name(sc->name, error) &&
         check_dates(sc, error) && check_crls(sc, error) && check_renewal(sc, error) &&
         es_crl_dist_config_check(&sc->crl_dist, sc->stop_time_s, sc->topology.cas, error) &&
         es_rollover_config_check(&sc->rollover, sc->stop_time_s, sc->rollout.start_enrolled,
                                  sc->crl_dist.revoke_share > 0
                                      || sc->crl_dist.mode != ES_CRL_FETCH_NONE,
                                  error);
}

/* The keys given that `ignores` says are not read, in dump order: "tree.fanout, national.*"
 * (section.* when every key of the section is among them, as in a scenario.ini a run wrote,
 * which gives every key). NULL when there is none. */
static char *unused_given(const EsScenario *sc,
                          gboolean (*ignores)(const EsScenario *, const EsConfigKey *)) {
  const EsConfigSchema *s = schema();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  for (gsize p = 0; p < s->n_parts; p++) {
    const EsConfigPart *part = &s->parts[p];
    for (gsize k = 0; k < part->n;) {
      const char *section = part->keys[k].section;
      guint first = names->len;
      gsize visible = 0, unused_visible = 0;
      for (; k < part->n && strcmp(part->keys[k].section, section) == 0; k++) {
        const EsConfigKey *d = &part->keys[k];
        gboolean unused = es_config_is_given(s, sc, d) && ignores(sc, d);
        visible += !d->hidden;
        unused_visible += unused && !d->hidden;
        if (unused)
          g_ptr_array_add(names, g_strconcat(section, ".", d->key, NULL));
      }
      if (names->len > first && unused_visible == visible) {
        g_ptr_array_remove_range(names, first, names->len - first);
        g_ptr_array_add(names, g_strconcat(section, ".*", NULL));
      }
    }
  }
  if (names->len == 0)
    return NULL;
  g_ptr_array_add(names, NULL);
  return g_strjoinv(", ", (char **)names->pdata);
}

/* A layout reads its own keys only; an empty topology.file names no file at all. */
static gboolean topology_ignores(const EsScenario *sc, const EsConfigKey *d) {
  if (d->type == ES_CONFIG_PATH && strcmp(d->section, "topology") == 0 && !*sc->topology.file)
    return FALSE;
  return !es_topology_type_reads(sc->topology.type, d->section, d->key);
}

static gboolean serve_only(const EsScenario *sc, const EsConfigKey *d) {
  (void)sc;
  return strcmp(d->section, "faults") == 0;
}

char **es_scenario_warnings(const EsScenario *sc) {
  g_return_val_if_fail(sc != NULL, NULL);
  GPtrArray *w = g_ptr_array_new();
  /* An eNB that resends its certConf (enb.retry=resend) may still be resending when the
   * confirm wait ends: the RA/CA then revokes a certificate its holder is confirming. */
  double window = es_enb_config_resend_window(&sc->enb);
  if (sc->enb.retry == ES_ENB_RESEND && sc->raca.confirm_wait_s < window) {
    g_autofree char *a = es_format_duration(sc->raca.confirm_wait_s);
    g_autofree char *b = es_format_duration(window);
    g_ptr_array_add(w, g_strdup_printf(
                           "raca.confirm_wait (%s) is shorter than an eNB's certConf resend "
                           "window (%s: enb.max_attempts x enb.msg_timeout plus the backoffs): "
                           "certificates whose certConf is resent late are revoked",
                           a, b));
  }
  /* An answer held back as long as an eNB waits for it is one the eNB no longer takes. */
  if ((sc->raca.approval_delay_s > 0 || sc->raca.ca_outages != NULL)
      && sc->raca.poll_threshold_s >= sc->enb.msg_timeout_s) {
    g_autofree char *a = es_format_duration(sc->raca.poll_threshold_s);
    g_autofree char *b = es_format_duration(sc->enb.msg_timeout_s);
    g_ptr_array_add(w, g_strdup_printf(
                           "raca.poll_threshold (%s) is not shorter than enb.msg_timeout (%s): "
                           "eNBs time out before an answer held back that long arrives",
                           a, b));
  }
  /* An eNB that stops polling before the CA is back ends poll_limit, having enrolled nothing. */
  double longest = 0;
  for (guint i = 0; sc->raca.ca_outages != NULL && i < sc->raca.ca_outages->n; i++)
    longest = MAX(longest, sc->raca.ca_outages->w[i].duration_s);
  double polling = sc->enb.max_polls * ceil(sc->raca.check_after_s);
  if (sc->enb.total_timeout_s > 0)
    polling = MIN(polling, sc->enb.total_timeout_s);
  if (longest > polling) {
    g_autofree char *a = es_format_duration(longest);
    g_autofree char *b = es_format_duration(polling);
    g_ptr_array_add(w, g_strdup_printf(
                           "a CA outage of raca.ca_outages lasts %s, but eNBs poll for at most "
                           "%s (enb.max_polls x raca.check_after, enb.total_timeout): those "
                           "that ask at its start end poll_limit",
                           a, b));
  }
  g_autofree char *unused = unused_given(sc, topology_ignores);
  if (unused)
    g_ptr_array_add(w, g_strdup_printf("topology.type is %s, which does not read %s (no effect; "
                                       "check topology.type)",
                                       es_topology_type_name(sc->topology.type), unused));
  /* A scenario.ini a run wrote gives every key, faults at 0 among them: only a fault that
   * would happen is worth a word. */
  g_autofree char *faults = es_faults_config_any(&sc->faults) ? unused_given(sc, serve_only) : NULL;
  if (faults)
    g_ptr_array_add(w, g_strdup_printf("a simulated run does not read %s (no effect: `serve` "
                                       "injects these faults into its answers)", faults));
  g_ptr_array_add(w, NULL);
  return (char **)g_ptr_array_free(w, FALSE);
}

/* Keys only a simulation reads: sections, or section.key. */
static const char *const simulation_only[] = {
    "topology", "tree", "national", "backhaul", "aggregation", "core", "ca_link", "hostile",
    "scenario.epoch", "raca.cross", "pki.key", "enb.keygen_time", "enb.sign_time",
    "enb.cpu_spread", "rollout.start", "rollout.installed_over", "rollout.installed_age",
    "enb.renew_before", "enb.renew_window", "revocation", "crl_fetch", "rollover"};

static gboolean live_ignores(const EsScenario *sc, const EsConfigKey *d) {
  (void)sc;
  g_autofree char *name = g_strconcat(d->section, ".", d->key, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(simulation_only); i++)
    if (strcmp(simulation_only[i], d->section) == 0 || strcmp(simulation_only[i], name) == 0)
      return TRUE;
  return FALSE;
}

char **es_scenario_live_warnings(const EsScenario *sc) {
  g_return_val_if_fail(sc != NULL, NULL);
  GPtrArray *w = g_ptr_array_new();
  g_autofree char *unused = unused_given(sc, live_ignores);
  if (unused)
    g_ptr_array_add(w, g_strdup_printf("a live run does not read %s (no effect: only a simulation "
                                       "models the network, hostile eNBs, the eNBs' CPU times and "
                                       "the epoch)",
                                       unused));
  /* Live TLS needs files a scenario cannot name: said apart, with the options to use. */
  if (sc->transport.tls)
    g_ptr_array_add(w, g_strdup("transport.tls is for simulations: live, serve speaks HTTPS with "
                                "--tls-cert and --tls-key, enrol with --tls-trusted"));
  g_ptr_array_add(w, NULL);
  return (char **)g_ptr_array_free(w, FALSE);
}
