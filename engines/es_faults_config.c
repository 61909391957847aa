/* The [faults] keys of a scenario, beside the struct they fill. */
#include "engines/es_faults.h"

#include <string.h>

#define KEY(...) ES_CONFIG_KEY(EsFaultsConfig, "faults", __VA_ARGS__)
static const EsConfigKey keys[] = {
    KEY("http_500", ES_CONFIG_PROBABILITY, http_500, "0", ES_UNIT_RANGE),
    KEY("http_503", ES_CONFIG_PROBABILITY, http_503, "0", ES_UNIT_RANGE),
    KEY("drop_before", ES_CONFIG_PROBABILITY, drop_before, "0", ES_UNIT_RANGE),
    KEY("drop_after", ES_CONFIG_PROBABILITY, drop_after, "0", ES_UNIT_RANGE),
    KEY("delay", ES_CONFIG_PROBABILITY, delay, "0", ES_UNIT_RANGE),
    KEY("delay_time", ES_CONFIG_DURATION, delay_time_s, "2s", ES_ANY),
    KEY("lose_certconf", ES_CONFIG_PROBABILITY, lose_certconf, "0", ES_UNIT_RANGE),
};

const EsConfigSchema *es_faults_config_schema(void)
{
  static const EsConfigPart part = ES_CONFIG_PART(keys, 0);
  static const EsConfigSchema schema = {.parts = &part, .n_parts = 1, .size = sizeof(EsFaultsConfig)};
  return &schema;
}

void es_faults_config_init(EsFaultsConfig *config)
{
  g_return_if_fail(config != NULL);
  memset(config, 0, sizeof *config);
  es_config_init(es_faults_config_schema(), config);
}

gboolean es_faults_config_check(const EsFaultsConfig *c, GError **error)
{
  double sum = c->http_500 + c->http_503 + c->drop_before + c->drop_after + c->delay;
  if (sum > 1 + 1e-9) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                "faults.http_500 + faults.http_503 + faults.drop_before + faults.drop_after + "
                "faults.delay add up to %g, more than 1 (a request gets one fault at most)", sum);
    return FALSE;
  }
  return TRUE;
}

gboolean es_faults_config_any(const EsFaultsConfig *c)
{
  return c->http_500 + c->http_503 + c->drop_before + c->drop_after + c->delay + c->lose_certconf > 0;
}

const char *es_faults_kind_name(EsFaultKind kind)
{
  static const char *const names[ES_FAULT_KINDS] = {
      "http_500", "http_503", "drop_before", "drop_after", "delay", "lose_certconf"};
  g_return_val_if_fail((guint)kind < ES_FAULT_KINDS, "?");
  return names[kind];
}
