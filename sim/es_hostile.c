/* Hostile and broken eNBs (hostile.* keys): which eNBs, their foreign PKI, the rogue RA/CA,
 * and what they achieved. */
#include "sim/es_run_priv.h"

const char *const es_hostile_names[HOSTILE_CLASSES] = {"none", "unknown_vendor", "expired_device",
                                                       "rogue_raca"};


/* Which eNBs are hostile: one draw per eNB from the run's seed, the hostile.* shares slicing
 * [0, 1) in turn, so an eNB is in one class at most and the same eNBs are hostile in every
 * replication of the same seed. */
void es_run_choose_hostile(EsRun *run)
{
  const EsScenario *sc = run->sc;
  const double share[HOSTILE_CLASSES] = {0, sc->hostile.unknown_vendor,
                                         sc->hostile.expired_device, sc->hostile.rogue_raca};
  if (share[HOSTILE_UNKNOWN_VENDOR] + share[HOSTILE_EXPIRED_DEVICE] + share[HOSTILE_ROGUE_RACA]
      <= 0)
    return;
  run->hostile = g_new0(guint8, sc->enbs + 1);
  EsRand *rand = es_rand_new(sc->seed, ES_STREAM_HOSTILE);
  for (guint k = 1; k <= sc->enbs; k++) {
    double u = es_rand_double(rand), edge = 0;
    for (guint c = HOSTILE_NONE + 1; c < HOSTILE_CLASSES; c++) {
      edge += share[c];
      if (u < edge) {
        run->hostile[k] = (guint8)c;
        run->hostile_enbs[c]++;
        break;
      }
    }
  }
  es_rand_free(rand);
}

/* What the RA/CAs hold (the run's hierarchy, without the cross certificate when raca.cross
 * is false), an unknown vendor's hierarchy and a rogue RA/CA's, as the hostile eNBs need. */
gboolean es_run_make_hostile_pki(EsRun *run, GError **error)
{
  const EsScenario *sc = run->sc;
  run->raca_pki = es_pki_dup(run->pki);
  if (!sc->raca.cross)
    es_pki_set0_raca_cross(run->raca_pki, NULL);
  if (run->hostile_enbs[HOSTILE_UNKNOWN_VENDOR] == 0 && run->hostile_enbs[HOSTILE_ROGUE_RACA] == 0)
    return TRUE;
  EsRand *rand = es_rand_new(sc->seed, ES_STREAM_HOSTILE_PKI);
  EsRand *prev = es_rand_set_current(rand);
  gboolean ok = TRUE;
  if (run->hostile_enbs[HOSTILE_UNKNOWN_VENDOR] > 0)
    ok = (run->foreign_vendor = es_pki_generate(es_pki_get_key_type(run->pki), sc->epoch,
                                                error)) != NULL;
  if (ok && run->hostile_enbs[HOSTILE_ROGUE_RACA] > 0)
    ok = (run->rogue_pki = es_pki_generate_rogue(run->pki, error)) != NULL;
  es_rand_set_current(prev);
  es_rand_free(rand);
  return ok;
}

/* The rogue RA/CA: a working CMP server of its own hierarchy, whose cross certificate comes
 * from a forged vendor root, listening on ROGUE_PORT of every RA/CA node; its eNBs connect
 * there over the same path as to the genuine one. It issues from a CA of its own, so nothing
 * it does reaches the operator CA, its CRL or revocations.csv. */
gboolean es_run_start_rogue(EsRun *run, const EsRacaConfig *config, GError **error)
{
  if (run->rogue_pki == NULL)
    return TRUE;
  EsRacaConfig rc = *config;
  rc.ca = NULL;
  rc.seed = config->seed ^ ES_STREAM_HOSTILE_PKI;
  if ((run->rogue = es_raca_new(&rc, run->rogue_pki, run->engine, error)) == NULL)
    return FALSE;
  for (guint r = 0; r < run->n_racas; r++)
    es_sim_serve_port(run->sim, r, ROGUE_PORT, es_raca_on_request, run->rogue);
  for (guint k = 1; k <= run->sc->enbs; k++)
    if (run->hostile[k] == HOSTILE_ROGUE_RACA)
      es_sim_set_enb_port(run->sim, k, ROGUE_PORT);
  return TRUE;
}

/* summary.json "hostile": per class the eNBs in it and how many of them enrolled (0 unless
 * a check is missing), and what the rogue RA/CA issued (every such certificate refused). */
void es_run_summarise_hostile(EsRun *run, EsSummary *s)
{
  guint enrolled[HOSTILE_CLASSES] = {0};
  for (guint k = 1; run->hostile != NULL && k <= run->sc->enbs; k++) {
    const char *outcome = es_recorder_get_outcome(es_collector_get0_recorder(run->collector), k);
    if (outcome != NULL && strcmp(outcome, "enrolled") == 0)
      enrolled[run->hostile[k]]++;
  }
  char key[64];
  for (guint c = HOSTILE_NONE + 1; c < HOSTILE_CLASSES; c++) {
    g_snprintf(key, sizeof key, "hostile.%s.enbs", es_hostile_names[c]);
    es_summary_set_uint(s, key, run->hostile_enbs[c]);
    g_snprintf(key, sizeof key, "hostile.%s.enrolled", es_hostile_names[c]);
    es_summary_set_uint(s, key, enrolled[c]);
  }
  EsRacaStats st = {0};
  if (run->rogue != NULL)
    es_raca_get_stats(run->rogue, &st);
  es_summary_set_uint(s, "hostile.rogue_raca.issued_by_rogue", st.issued);
}

/* hostile.csv: `enb,class`, one row per hostile eNB (the header alone when none is). */
gboolean es_run_write_hostile_csv(EsRun *run, const char *path, GError **error)
{
  GString *out = g_string_new("enb,class\n");
  for (guint k = 1; run->hostile != NULL && k <= run->sc->enbs; k++)
    if (run->hostile[k] != HOSTILE_NONE)
      g_string_append_printf(out, "%u,%s\n", k, es_hostile_names[run->hostile[k]]);
  gboolean ok = g_file_set_contents_full(path, out->str, (gssize)out->len,
                                         G_FILE_SET_CONTENTS_CONSISTENT, 0666, error);
  g_string_free(out, TRUE);
  return ok;
}
