/* The [pki] keys, beside EsPkiConfig. */
#include "pki/es_pki_config.h"

#include <string.h>

const char *const es_key_type_words[] = {"p256", "p384", "rsa2048", NULL};
G_STATIC_ASSERT(ES_KEY_P256 == 0 && ES_KEY_P384 == 1 && ES_KEY_RSA2048 == 2);
G_STATIC_ASSERT(sizeof(EsKeyType) == sizeof(int));

static const EsConfigKey keys[] = {
    ES_CONFIG_CHOICE_KEY(EsPkiConfig, "pki", "key", key, "p256", es_key_type_words),
    ES_CONFIG_KEY(EsPkiConfig, "pki", "cert_validity", ES_CONFIG_DURATION, cert_validity_s,
                  "3650d", ES_POSITIVE),
};

const EsConfigSchema *es_pki_config_schema(void) {
  static const EsConfigPart part = ES_CONFIG_PART(keys, 0);
  static const EsConfigSchema schema = {
      .parts = &part, .n_parts = 1, .size = sizeof(EsPkiConfig)};
  return &schema;
}

void es_pki_config_init(EsPkiConfig *config) {
  g_return_if_fail(config != NULL);
  memset(config, 0, sizeof *config);
  es_config_init(es_pki_config_schema(), config);
}
