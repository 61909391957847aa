/* What the configuration core's files share; not for use outside config/. */
#ifndef ES_CONFIG_PRIV_H
#define ES_CONFIG_PRIV_H

#include "config/es_config.h"

typedef struct {
  const char *suffix;
  double factor;
  gboolean divide; /* sub-second units divide, so "20ms" is exactly the double nearest 0.02 */
} EsUnit;

extern const EsUnit es_duration_units[], es_rate_units[], es_arrival_units[];

/* A plain decimal number followed by one of `units`, or by nothing when units is NULL.
 * Returns NULL on success, else why the text was rejected. */
char *es_parse_number_unit(const char *text, const EsUnit *units, double *out);
/* Shortest text that g_ascii_strtod reads back as the same double. */
void es_format_shortest(char *buf, gsize len, double v);

#endif
