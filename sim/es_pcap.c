/* Packet captures of the nodes the options name: their files under DIR/pcap/. */
#include <errno.h>
#include <string.h>
#include "sim/es_run_priv.h"

static gboolean capture(EsRun *run, const char *dir, EsSimNodeKind kind, guint i, GError **error)
{
  char name[48];
  g_snprintf(name, sizeof name, "%s-%u.pcap", kind == ES_SIM_NODE_ENB ? "enb" : "raca", i);
  char *path = g_build_filename(dir, name, NULL);
  gboolean ok = es_outdir_claimf(run->outdir, error, "pcap/%s", name)
                && es_sim_enable_pcap(run->sim, kind, i, path, error);
  g_free(path);
  return ok;
}

/* DIR/pcap/enb-<n>.pcap and raca-<i>.pcap for the nodes options->captures names. */
gboolean es_run_enable_pcap(EsRun *run, GError **error)
{
  if (run->options->n_captures == 0)
    return TRUE;
  char *dir = g_build_filename(run->options->out_dir, "pcap", NULL);
  gboolean ok = TRUE;
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    g_set_error(error, ES_RUN_ERROR, ES_RUN_ERROR_IO, "cannot create %s: %s", dir,
                g_strerror(errno));
    ok = FALSE;
  }
  guint racas = es_topology_racas(run->topo);
  for (guint k = 0; ok && k < run->options->n_captures; k++) {
    const EsRunCapture *it = &run->options->captures[k];
    guint64 last = it->kind == ES_SIM_NODE_RACA && it->last == G_MAXUINT ? (guint64)racas - 1
                                                                          : it->last;
    for (guint64 i = it->first; ok && i <= last && last != G_MAXUINT64; i++)
      ok = capture(run, dir, it->kind, (guint)i, error);
  }
  g_free(dir);
  return ok;
}
