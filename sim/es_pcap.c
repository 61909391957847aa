/* --pcap: which nodes to capture, checked before the run, and their capture files. */
#include <errno.h>
#include <string.h>
#include "sim/es_run_priv.h"

typedef struct {
  EsSimNodeKind kind;
  guint first, last; /* inclusive; G_MAXUINT for "every" */
} PcapItem;

static gboolean parse_index(const char *text, guint *out)
{
  guint64 v;
  if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT - 1, &v, NULL))
    return FALSE;
  *out = (guint)v;
  return TRUE;
}

/* Items in `items`; eNB ranges are checked against sc->enbs, RA/CA numbers later. */
static gboolean parse_pcap(const char *spec, const EsScenario *sc, GArray *items, GError **error)
{
  g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
  guint64 nodes = 0;
  for (char **p = parts; *p; p++) {
    g_autofree char *item = g_strstrip(g_strdup(*p));
    char *colon = strchr(item, ':');
    if (colon)
      *colon = '\0';
    PcapItem it = {ES_SIM_NODE_ENB, 1, G_MAXUINT};
    if (strcmp(item, "raca") == 0)
      it = (PcapItem){ES_SIM_NODE_RACA, 0, G_MAXUINT};
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
      it.last = sc->enbs;
    }
    if (it.kind == ES_SIM_NODE_ENB && (it.first < 1 || it.last > sc->enbs)) {
      g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_SCENARIO,
                  "--pcap: '%s': eNBs are numbered 1 to %u", *p, sc->enbs);
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

gboolean es_run_check_pcap(const char *spec, const EsScenario *sc, GError **error)
{
  GArray *items = g_array_new(FALSE, FALSE, sizeof(PcapItem));
  gboolean ok = parse_pcap(spec, sc, items, error);
  g_array_unref(items);
  return ok;
}

static gboolean capture(EsRun *run, const char *dir, EsSimNodeKind kind, guint i, GError **error)
{
  char name[48];
  g_snprintf(name, sizeof name, "%s-%u.pcap", kind == ES_SIM_NODE_ENB ? "enb" : "raca", i);
  char *path = g_build_filename(dir, name, NULL);
  gboolean ok = es_sim_enable_pcap(run->sim, kind, i, path, error);
  g_free(path);
  return ok;
}

/* DIR/pcap/enb-<n>.pcap and raca-<i>.pcap for the nodes --pcap names. */
gboolean es_run_enable_pcap(EsRun *run, GError **error)
{
  if (run->options->pcap == NULL)
    return TRUE;
  GArray *items = g_array_new(FALSE, FALSE, sizeof(PcapItem));
  char *dir = g_build_filename(run->options->out_dir, "pcap", NULL);
  gboolean ok = parse_pcap(run->options->pcap, run->sc, items, error);
  if (ok && g_mkdir_with_parents(dir, 0755) != 0) {
    g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_IO, "cannot create %s: %s", dir,
                g_strerror(errno));
    ok = FALSE;
  }
  guint racas = es_topology_racas(run->topo);
  for (guint k = 0; ok && k < items->len; k++) {
    const PcapItem *it = &g_array_index(items, PcapItem, k);
    guint64 last = it->kind == ES_SIM_NODE_RACA && it->last == G_MAXUINT ? (guint64)racas - 1
                                                                          : it->last;
    for (guint64 i = it->first; ok && i <= last && last != G_MAXUINT64; i++)
      ok = capture(run, dir, it->kind, (guint)i, error);
  }
  g_array_unref(items);
  g_free(dir);
  return ok;
}
