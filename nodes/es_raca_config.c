/* The [raca] keys of a scenario, beside the struct they fill. */
#include "nodes/es_raca.h"

#include <string.h>

/* A choice key stores the word's index: FALSE/TRUE and EsServiceDist's order. */
static const char *const confirm_words[] = {"explicit", "implicit", NULL};
static const char *const service_words[] = {"fixed", "exponential", NULL};
G_STATIC_ASSERT(ES_SERVICE_FIXED == 0 && ES_SERVICE_EXPONENTIAL == 1);
G_STATIC_ASSERT(sizeof(EsServiceDist) == sizeof(int) && sizeof(gboolean) == sizeof(int));

#define KEY(...) ES_CONFIG_KEY(EsRacaConfig, "raca", __VA_ARGS__)
#define CHOICE(...) ES_CONFIG_CHOICE_KEY(EsRacaConfig, "raca", __VA_ARGS__)
static const EsConfigKey keys[] = {
    CHOICE("confirm", grant_implicit, "explicit", confirm_words),
    KEY("confirm_wait", ES_CONFIG_DURATION, confirm_wait_s, "60s", ES_POSITIVE),
    KEY("workers", ES_CONFIG_UINT, workers, "2", ES_RANGE(1, G_MAXUINT)),
    KEY("queue_limit", ES_CONFIG_UINT, queue_limit, "0", ES_RANGE(0, G_MAXUINT)),
    KEY("retry_after", ES_CONFIG_DURATION, retry_after_s, "2s", ES_RANGE(0, 86400)),
    CHOICE("service", service_dist, "fixed", service_words),
    /* Defaults measured by bench-inmem (README, "Capacity"): ir 0.90 ms, certConf 0.49 ms. */
    KEY("ir_service", ES_CONFIG_DURATION, ir_service_s, "1ms", ES_ANY),
    KEY("kur_service", ES_CONFIG_DURATION, kur_service_s, "1ms", ES_ANY),
    KEY("certconf_service", ES_CONFIG_DURATION, certconf_service_s, "0.5ms", ES_ANY),
    KEY("rr_service", ES_CONFIG_DURATION, rr_service_s, "0.5ms", ES_ANY),
    KEY("crl_validity", ES_CONFIG_DURATION, crl_validity_s, "3650d", ES_POSITIVE),
    KEY("crl_interval", ES_CONFIG_DURATION, crl_interval_s, "0s", ES_ANY),
    CHOICE("keep_superseded", keep_superseded, "false", es_config_bool_words),
    CHOICE("cross", cross, "true", es_config_bool_words),
    CHOICE("harden", harden, "true", es_config_bool_words),
    KEY("message_time_window", ES_CONFIG_DURATION, message_time_window_s, "5min", ES_POSITIVE),
    KEY("max_extra_certs", ES_CONFIG_UINT, max_extra_certs, "10", ES_RANGE(1, 1000)),
    KEY("max_extra_certs_size", ES_CONFIG_UINT, max_extra_certs_size, "65536",
        ES_RANGE(1024, 16777216)),
    CHOICE("approval", approval_dist, "fixed", service_words),
    KEY("approval_delay", ES_CONFIG_DURATION, approval_delay_s, "0s", ES_ANY),
    KEY("poll_threshold", ES_CONFIG_DURATION, poll_threshold_s, "0s", ES_ANY),
    KEY("check_after", ES_CONFIG_DURATION, check_after_s, "5s", ES_RANGE(1, 86400)),
    KEY("ca_outages", ES_CONFIG_OUTAGES, ca_outages, "", ES_ANY),
    KEY("ca_workers", ES_CONFIG_UINT, ca_workers, "1", ES_RANGE(1, G_MAXUINT)),
    KEY("ca_queue_limit", ES_CONFIG_UINT, ca_queue_limit, "1000", ES_RANGE(0, G_MAXUINT)),
    KEY("ca_service", ES_CONFIG_DURATION, ca_service_s, "5ms", ES_ANY),
};

const EsConfigSchema *es_raca_config_schema(void) {
  static const EsConfigPart part = ES_CONFIG_PART(keys, 0);
  static const EsConfigSchema schema = {
      .parts = &part, .n_parts = 1, .size = sizeof(EsRacaConfig)};
  return &schema;
}

void es_raca_config_init(EsRacaConfig *config) {
  g_return_if_fail(config != NULL);
  memset(config, 0, sizeof *config);
  es_config_init(es_raca_config_schema(), config);
}
