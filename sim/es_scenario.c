/* The scenario: the [scenario] and [hostile] keys, and the composition of every layer's
 * section in the order a scenario is written. */
#include "sim/es_scenario.h"

#include <math.h>

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
};

/* Each layer's section at its place in EsScenario, in the order a scenario is written. */
static const EsConfigSchema *schema(void) {
  static EsConfigPart parts[8];
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
    };
    guint n = 0;
    parts[n++] = (EsConfigPart)ES_CONFIG_PART(scenario_keys, 0);
    for (gsize i = 0; i < G_N_ELEMENTS(layers); i++) {
      g_assert(layers[i].section->n_parts == 1);
      parts[n] = layers[i].section->parts[0];
      parts[n++].base = layers[i].base;
    }
    parts[n++] = (EsConfigPart)ES_CONFIG_PART(hostile_keys, 0);
    g_assert(n == G_N_ELEMENTS(parts));
    s = (EsConfigSchema){parts, n, sizeof(EsScenario)};
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

char *es_scenario_to_keyfile(const EsScenario *sc) {
  return es_config_to_keyfile(schema(), sc);
}

/* Each eNB is in one hostile class at most: the shares are slices of one draw per eNB. */
static gboolean check_hostile(const EsHostileConfig *h, GError **error) {
  double sum = h->unknown_vendor + h->expired_device + h->rogue_raca;
  if (sum > 1 + 1e-9) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                "hostile.unknown_vendor + hostile.expired_device + hostile.rogue_raca add up to "
                "%g, more than 1",
                sum);
    return FALSE;
  }
  return TRUE;
}

gboolean es_scenario_validate(const EsScenario *sc, GError **error) {
  g_return_val_if_fail(sc != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  return es_config_check(schema(), sc, error) &&
         es_topology_config_check(&sc->topology, sc->enbs, error) &&
         es_rollout_config_check(&sc->rollout, sc->enbs, sc->stop_time_s, error) &&
         check_hostile(&sc->hostile, error);
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
  g_ptr_array_add(w, NULL);
  return (char **)g_ptr_array_free(w, FALSE);
}
