/* --pcap NODES, parsed and checked before anything runs. */
#include "cli/es_pcap_spec.h"

#include <string.h>

static gboolean parse_index(const char *text, guint *out)
{
  guint64 v;
  if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT - 1, &v, NULL))
    return FALSE;
  *out = (guint)v;
  return TRUE;
}

static gboolean parse_items(const char *spec, guint enbs, GArray *items, GError **error)
{
  g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
  guint64 nodes = 0;
  for (char **p = parts; *p; p++) {
    g_autofree char *item = g_strstrip(g_strdup(*p));
    char *colon = strchr(item, ':');
    if (colon)
      *colon = '\0';
    EsRunCapture it = {ES_SIM_NODE_ENB, 1, G_MAXUINT};
    if (strcmp(item, "raca") == 0)
      it = (EsRunCapture){ES_SIM_NODE_RACA, 0, G_MAXUINT};
    else if (strcmp(item, "enb") != 0) {
      g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                  "--pcap: '%s' is not a node kind (raca, raca:I, enb, enb:I or enb:I-J)", *p);
      return FALSE;
    }
    if (colon) {
      char *dash = strchr(colon + 1, '-');
      if (dash)
        *dash = '\0';
      if (!parse_index(colon + 1, &it.first) || !parse_index(dash ? dash + 1 : colon + 1, &it.last)
          || it.last < it.first) {
        g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                    "--pcap: '%s': expected a number or a range I-J after the colon", *p);
        return FALSE;
      }
    } else if (it.kind == ES_SIM_NODE_ENB) {
      it.last = enbs;
    }
    if (it.kind == ES_SIM_NODE_ENB && (it.first < 1 || it.last > enbs)) {
      g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                  "--pcap: '%s': eNBs are numbered 1 to %u", *p, enbs);
      return FALSE;
    }
    nodes += it.kind == ES_SIM_NODE_ENB ? it.last - it.first + 1 : 1;
    g_array_append_val(items, it);
  }
  if (nodes > ES_RUN_PCAP_MAX) {
    g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                "--pcap: %" G_GUINT64_FORMAT " nodes; at most %d (each keeps a file open)",
                nodes, ES_RUN_PCAP_MAX);
    return FALSE;
  }
  return TRUE;
}

GArray *es_pcap_spec_parse(const char *spec, guint enbs, GError **error)
{
  GArray *items = g_array_new(FALSE, FALSE, sizeof(EsRunCapture));
  if (!parse_items(spec, enbs, items, error))
    g_clear_pointer(&items, g_array_unref);
  return items;
}
