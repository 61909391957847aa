/* The [enb] keys of a scenario, beside the struct they fill, and the words of its results. */
#include "nodes/es_enb.h"

#include <string.h>

#include "pki/es_pki_config.h"

/* The words results use for an operation and an outcome. */
const char *es_enb_operation_name(EsEnbOperation op)
{
  switch (op) {
  case ES_ENB_ENROL: return "enrol";
  case ES_ENB_RENEW: return "renew";
  case ES_ENB_REVOKE: return "revoke";
  case ES_ENB_ROOT_UPDATE: return "root_update";
  }
  return "unknown";
}

const char *es_enb_outcome_name(EsEnbOutcome outcome)
{
  static const char *const names[ES_ENB_OUTCOME_N] = {
    "ok", "timeout", "transport_error", "http_error", "malformed_response",
    "response_unverified", "cert_rejected", "rejected_by_raca", "internal_error", "unfinished",
    "poll_limit",
  };
  return (guint)outcome < ES_ENB_OUTCOME_N ? names[outcome] : "unknown";
}

/* A choice key stores the word's index: EsEnbRetry's order. */
static const char *const retry_words[] = {"resend", "restart", NULL};
G_STATIC_ASSERT(ES_ENB_RESEND == 0 && ES_ENB_RESTART == 1);
G_STATIC_ASSERT(sizeof(EsEnbRetry) == sizeof(int));

#define KEY(...) ES_CONFIG_KEY(EsEnbConfig, "enb", __VA_ARGS__)
static const EsConfigKey keys[] = {
    ES_CONFIG_CHOICE_KEY(EsEnbConfig, "enb", "key", new_key, "p256", es_key_type_words),
    KEY("keygen_time", ES_CONFIG_DURATION, keygen_s, "20ms", ES_ANY),
    KEY("sign_time", ES_CONFIG_DURATION, sign_s, "5ms", ES_ANY),
    KEY("cpu_spread", ES_CONFIG_PROBABILITY, cpu_spread, "0", ES_RANGE(0, 0.99)),
    KEY("msg_timeout", ES_CONFIG_DURATION, msg_timeout_s, "10s", ES_POSITIVE),
    ES_CONFIG_CHOICE_KEY(EsEnbConfig, "enb", "retry", retry, "resend", retry_words),
    KEY("max_attempts", ES_CONFIG_UINT, max_attempts, "4", ES_RANGE(1, 1000)),
    KEY("give_up_after", ES_CONFIG_DURATION, give_up_after_s, "30min", ES_ANY),
    KEY("backoff", ES_CONFIG_DURATION, backoff_s, "1s", ES_ANY),
    KEY("backoff_max", ES_CONFIG_DURATION, backoff_max_s, "60s", ES_ANY),
    KEY("backoff_jitter", ES_CONFIG_PROBABILITY, backoff_jitter, "0.5", ES_UNIT_RANGE),
    KEY("renew_after", ES_CONFIG_DURATION, renew_after_s, "0s", ES_ANY),
    KEY("renew_before", ES_CONFIG_DURATION, renew_before_s, "0s", ES_ANY),
    KEY("renew_window", ES_CONFIG_DURATION, renew_window_s, "0s", ES_ANY),
    KEY("max_polls", ES_CONFIG_UINT, max_polls, "100", ES_RANGE(1, 1000000)),
    KEY("total_timeout", ES_CONFIG_DURATION, total_timeout_s, "0s", ES_ANY),
};

const EsConfigSchema *es_enb_config_schema(void) {
  static const EsConfigPart part = ES_CONFIG_PART(keys, 0);
  static const EsConfigSchema schema = {
      .parts = &part, .n_parts = 1, .size = sizeof(EsEnbConfig)};
  return &schema;
}

void es_enb_config_init(EsEnbConfig *config) {
  g_return_if_fail(config != NULL);
  memset(config, 0, sizeof *config);
  es_config_init(es_enb_config_schema(), config);
}

/* A resend waits msg_timeout, then the backoff of its retry at its longest (jitter up). */
double es_enb_config_resend_window(const EsEnbConfig *config) {
  g_return_val_if_fail(config != NULL, 0);
  guint sends = MAX(config->max_attempts, 1u);
  double window = sends * config->msg_timeout_s;
  double backoff = config->backoff_s;
  for (guint k = 1; k < sends; k++, backoff *= 2)
    window += MIN(backoff, config->backoff_max_s) * (1 + config->backoff_jitter);
  return window;
}
