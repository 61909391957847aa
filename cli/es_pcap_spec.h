/* The --pcap syntax: comma-separated items `raca` (every RA/CA), `raca:I`, `enb:I` or
 * `enb:I-J` (eNB numbers 1..enbs), `enb` (every eNB); at most ES_RUN_PCAP_MAX nodes. */
#ifndef ES_PCAP_SPEC_H
#define ES_PCAP_SPEC_H

#include <glib.h>
#include "sim/es_run.h"

/* The captures `spec` names, for a scenario of `enbs` eNBs (an array of EsRunCapture); NULL
 * with an error (ES_RUN_ERROR_SCENARIO) naming the item. RA/CA numbers are checked against
 * the network when the run builds it. */
GArray *es_pcap_spec_parse(const char *spec, guint enbs, GError **error);

#endif
