/* The [pki] section of a scenario: the operator and vendor PKIs a run generates. */
#ifndef ES_PKI_CONFIG_H
#define ES_PKI_CONFIG_H

#include "config/es_config.h"
#include "pki/es_pki.h"

typedef struct {
  EsKeyType key;          /* pki.key            p256 (p256, p384, rsa2048): the CAs' keys */
  double cert_validity_s; /* pki.cert_validity  3650d: of the operator certificates issued */
} EsPkiConfig;

/* Its keys in dump order, and its defaults. */
const EsConfigSchema *es_pki_config_schema(void);
void es_pki_config_init(EsPkiConfig *config);
/* The words of EsKeyType, in its order: a choice key of a key type (enb.key) uses them. */
extern const char *const es_key_type_words[];

#endif
