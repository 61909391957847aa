/* serve's CA state files besides the database's rows: serve_summary.json at the end of a
 * session, and --new-ca-state's removal of them all. */
#include "cli/es_serve_state.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "results/es_summary.h"
#include "sim/es_collector.h"

/* --new-ca-state: the files of the CA state serve keeps in OUT_DIR (serve_summary.json, the
 * last session's figures, too). */
static const char *const state_files[] = {
  "raca.db", "raca.db-wal", "raca.db-shm", "issued.csv", "revocations.csv", "crl.pem",
  "serve_summary.json",
};

gboolean es_serve_write_summary(const EsServeSession *s, const char *out_dir, GError **error)
{
  double duration = es_engine_now(es_live_get0_engine(s->live));
  g_autoptr(EsSummary) sum = es_summary_new();
  GDateTime *start = g_date_time_new_from_unix_utc(s->epoch);
  g_autofree char *started = start != NULL ? g_date_time_format(start, "%Y-%m-%dT%H:%M:%SZ")
                                           : NULL;
  if (start != NULL)
    g_date_time_unref(start);
  es_summary_set_string(sum, "session.started_at", started);
  es_summary_set_double(sum, "session.duration_s", duration);
  es_summary_set_string(sum, "session.stopped_by", es_summary_signal_name(s->signal));
  EsRacaStats st;
  es_raca_get_stats(s->raca, &st);
  es_collector_summary_set_raca(sum, "raca", s->workers, &st, duration);
  EsFaultsStats fs = {0};
  if (s->faults != NULL)
    es_faults_get_stats(s->faults, &fs);
  char key[48];
  for (guint k = 0; k < ES_FAULT_KINDS; k++) {
    g_snprintf(key, sizeof key, "faults.%s", es_faults_kind_name(k));
    es_summary_set_uint(sum, key, fs.count[k]);
  }
  es_summary_set_uint(sum, "faults.lost_transactions", fs.lost_transactions);
  EsLiveServerStats ls;
  es_live_get_server_stats(s->live, NULL, &ls);
  es_summary_set_string(sum, "tls.mode", s->tls_mode);
  es_summary_set_uint(sum, "tls.handshakes", ls.tls_handshakes);
  es_summary_set_uint(sum, "tls.resumed", ls.tls_resumed);
  es_summary_set_uint(sum, "tls.failed", ls.tls_failures);
  es_summary_set_string(sum, "upstream", s->upstream);
  g_autofree char *path = g_build_filename(out_dir, "serve_summary.json", NULL);
  return es_summary_write(sum, path, error);
}

gboolean es_serve_remove_state(const char *out_dir, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS(state_files); i++) {
    char *path = g_build_filename(out_dir, state_files[i], NULL);
    if (g_unlink(path) != 0 && errno != ENOENT) {
      int err = errno;
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "cannot remove %s: %s",
                  path, g_strerror(err));
      g_free(path);
      return FALSE;
    }
    g_free(path);
  }
  return TRUE;
}
