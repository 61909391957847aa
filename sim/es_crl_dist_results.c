/* The CRL distribution's results: summary.json's crl_dist section, crl_enforcement.csv and
 * crl_enforcement_segw.csv, the diagnostics on relying nodes left behind, the report's lines. */
#include "sim/es_crl_dist_priv.h"

#include <math.h>

static guint64 bytes_total(const EsCrlDist *d)
{
  guint64 total = 0;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, d->bytes_by_access);
  while (g_hash_table_iter_next(&it, NULL, &v))
    total += *(guint64 *)v;
  return total;
}

void es_crl_dist_summarise(EsCrlDist *d, EsSummary *s, GPtrArray *cut_off)
{
  if (d == NULL)
    return;
  EsRun *run = d->run;
  guint n = run->sc->enbs;
  es_summary_set_uint(s, "crl_dist.revoked", d->revoked);
  es_summary_set_uint(s, "crl_dist.fetches", d->fetches);
  es_summary_set_uint(s, "crl_dist.full_fetches", d->full_fetches);
  es_summary_set_uint(s, "crl_dist.delta_fetches", d->delta_fetches);
  es_summary_set_uint(s, "crl_dist.failed", d->failed);
  es_summary_set_uint(s, "crl_dist.unverified", d->unverified);
  es_summary_set_object(s, "crl_dist.bytes_by_access");
  GList *classes = g_list_sort(g_hash_table_get_keys(d->bytes_by_access), (GCompareFunc)strcmp);
  for (GList *l = classes; l != NULL; l = l->next) {
    g_autofree char *path = g_strconcat("crl_dist.bytes_by_access.", l->data, NULL);
    es_summary_set_uint(s, path, *(guint64 *)g_hash_table_lookup(d->bytes_by_access, l->data));
  }
  g_list_free(classes);
  es_summary_set_uint(s, "crl_dist.bytes", bytes_total(d));
  if (d->c->by == ES_REVOKE_BY_RR && d->c->revoke_share > 0) {
    es_summary_set_uint(s, "crl_dist.rr_sent", d->rr_sent);
    es_summary_set_uint(s, "crl_dist.rr_failed", d->rr_failed);
    if (!isnan(d->rr_answered_s))
      es_summary_set_double(s, "crl_dist.rr_answered_s", d->rr_answered_s);
  }
  if (d->listing == 0)
    return;
  /* Time to enforcement: from the revocation until an eNB held a CRL listing it; the
   * percentiles are the sites', the max every relying node's, SeGWs included. */
  double *t = g_new(double, MAX(n, 1));
  guint enforcing = 0, segw_enforcing = 0;
  double last = 0, segw_last = 0;
  for (guint k = 1; k <= n; k++) {
    if (!isnan(d->nodes[k].enforced_s))
      t[enforcing++] = d->nodes[k].enforced_s - d->c->revoke_at_s;
    else if (cut_off != NULL)
      g_ptr_array_add(cut_off, GUINT_TO_POINTER(k));
  }
  for (guint k = n + 1; k <= n + d->segws; k++)
    if (!isnan(d->nodes[k].enforced_s)) {
      segw_enforcing++;
      segw_last = MAX(segw_last, d->nodes[k].enforced_s - d->c->revoke_at_s);
    }
  es_summary_set_uint(s, "crl_dist.listing_crl", d->listing);
  es_summary_set_uint(s, "crl_dist.enforcing", enforcing);
  es_summary_set_uint(s, "crl_dist.not_enforcing", n - enforcing);
  if (enforcing > 0) {
    es_run_sort_times(t, enforcing);
    static const guint pcts[] = {50, 90, 99};
    for (gsize i = 0; i < G_N_ELEMENTS(pcts); i++) {
      g_autofree char *path = g_strdup_printf("crl_dist.time_to_enforcement_s.p%u", pcts[i]);
      es_summary_set_double(s, path, es_run_rank(t, enforcing, pcts[i]));
    }
    last = t[enforcing - 1];
  }
  /* Every relying node: the revocation's time to enforcement, if all got there. */
  if (enforcing + segw_enforcing > 0)
    es_summary_set_double(s, "crl_dist.time_to_enforcement_s.max", MAX(last, segw_last));
  g_free(t);
  /* By access class: a satellite tail shows here; the SeGWs are class segw. */
  GHashTable *worst = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  for (guint k = 1; k <= n + d->segws; k++) {
    if (isnan(d->nodes[k].enforced_s))
      continue;
    const char *access = es_crl_dist_access(d, k);
    double *w = g_hash_table_lookup(worst, access);
    if (w == NULL) {
      w = g_new0(double, 1);
      g_hash_table_insert(worst, (gpointer)access, w);
    }
    *w = MAX(*w, d->nodes[k].enforced_s - d->c->revoke_at_s);
  }
  GList *names = g_list_sort(g_hash_table_get_keys(worst), (GCompareFunc)strcmp);
  for (GList *l = names; l != NULL; l = l->next) {
    g_autofree char *path = g_strconcat("crl_dist.time_to_enforcement_s.max_by_access.", l->data, NULL);
    es_summary_set_double(s, path, *(double *)g_hash_table_lookup(worst, l->data));
  }
  g_list_free(names);
  g_hash_table_destroy(worst);
  if (d->segws > 0) {
    es_summary_set_uint(s, "crl_dist.segws.enforcing", segw_enforcing);
    es_summary_set_uint(s, "crl_dist.segws.not_enforcing", d->segws - segw_enforcing);
    if (segw_enforcing > 0)
      es_summary_set_double(s, "crl_dist.segws.time_to_enforcement_s.max", segw_last);
  }
}

const char *es_crl_dist_get0_log(const EsCrlDist *d)
{
  return d != NULL ? d->log->str : NULL;
}

char *es_crl_dist_enforcement_csv(const EsCrlDist *d)
{
  if (d == NULL || !(d->c->revoke_share > 0))
    return NULL;
  GString *out = g_string_new("enb,access,enforced_s\n");
  for (guint k = 1; k <= d->run->sc->enbs; k++) {
    g_string_append_printf(out, "%u,%s,", k, es_topology_enb_access(d->run->topo, k));
    if (!isnan(d->nodes[k].enforced_s))
      g_string_append_printf(out, "%.6f", d->nodes[k].enforced_s);
    g_string_append_c(out, '\n');
  }
  return g_string_free(out, FALSE);
}

char *es_crl_dist_segw_enforcement_csv(const EsCrlDist *d)
{
  if (d == NULL || d->segws == 0 || !(d->c->revoke_share > 0))
    return NULL;
  GString *out = g_string_new("segw,name,raca,enforced_s\n");
  for (guint s = 0; s < d->segws; s++) {
    const Node *node = &d->nodes[d->enbs + 1 + s];
    g_autofree char *name = es_crl_dist_node_name(d, d->enbs + 1 + s);
    g_string_append_printf(out, "%u,%s,%u,", s, name, es_topology_segw_raca(d->run->topo, s));
    if (!isnan(node->enforced_s))
      g_string_append_printf(out, "%.6f", node->enforced_s);
    g_string_append_c(out, '\n');
  }
  return g_string_free(out, FALSE);
}

char *es_crl_dist_segw_not_enforced_text(const EsCrlDist *d)
{
  if (d == NULL || d->listing == 0)
    return NULL;
  GString *who = g_string_new(NULL);
  guint missing = 0;
  for (guint k = d->enbs + 1; k <= d->enbs + d->segws; k++)
    if (isnan(d->nodes[k].enforced_s) && missing++ < 10) {
      g_autofree char *name = es_crl_dist_node_name(d, k);
      g_string_append_printf(who, "%s%s", missing > 1 ? ", " : "", name);
    }
  char *text = missing == 0 ? NULL
                            : g_strdup_printf("%u SeGWs never held a CRL listing the mass "
                                              "revocation by the end of the run, so they still "
                                              "accept the revoked eNBs (cut off, or fetching too "
                                              "rarely): %s%s",
                                              missing, who->str, missing > 10 ? ", ..." : "");
  g_string_free(who, TRUE);
  return text;
}

char *es_crl_dist_rr_failed_text(const EsCrlDist *d)
{
  if (d == NULL || d->rr_failed == 0)
    return NULL;
  GString *who = g_string_new(NULL);
  guint named = 0;
  for (guint k = 1; k <= d->run->sc->enbs && named < 10; k++)
    if (d->nodes[k].rr == RR_FAILED)
      g_string_append_printf(who, "%senb-%u (%s, %s)", named++ > 0 ? ", " : "", k,
                             es_topology_enb_access(d->run->topo, k), d->nodes[k].rr_why);
  char *text = g_strdup_printf("%" G_GUINT64_FORMAT " eNBs' rr did not revoke their certificate "
                               "(they keep it; the RA/CA may have revoked it unseen, see "
                               "revocations.csv): %s%s",
                               d->rr_failed, who->str, d->rr_failed > 10 ? ", ..." : "");
  g_string_free(who, TRUE);
  return text;
}

GBytes *es_crl_dist_get0_delta(const EsCrlDist *d)
{
  return d != NULL ? d->last_delta : NULL;
}

char *es_crl_dist_line(const EsCrlDist *d)
{
  if (d == NULL)
    return NULL;
  GString *out = g_string_new(NULL);
  guint n = d->run->sc->enbs, enforcing = 0, segw_enforcing = 0;
  double last = 0;
  for (guint k = 1; k <= n + d->segws; k++)
    if (!isnan(d->nodes[k].enforced_s)) {
      if (k <= n)
        enforcing++;
      else
        segw_enforcing++;
      last = MAX(last, d->nodes[k].enforced_s - d->c->revoke_at_s);
    }
  /* "N eNBs", or "N eNBs and S SeGWs" where the topology has them. */
  g_autofree char *segws = d->segws == 0 ? g_strdup("")
                                          : g_strdup_printf(" and %u of %u SeGWs", segw_enforcing,
                                                            d->segws);
  if (d->listing != 0 && d->c->by == ES_REVOKE_BY_RR)
    g_string_append_printf(out, "mass revocation by rr: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                                " eNBs' rrs revoked at %.0f s, the last answered at %.1f s; "
                                "%u of %u eNBs%s enforcing it by the end",
                           d->revoked, d->rr_sent, d->c->revoke_at_s, d->rr_answered_s,
                           enforcing, n, segws);
  else if (d->listing != 0)
    g_string_append_printf(out, "mass revocation: %" G_GUINT64_FORMAT " certificates at %.0f s; "
                                "%u of %u eNBs%s enforcing it by the end",
                           d->revoked, d->c->revoke_at_s, enforcing, n, segws);
  if (d->listing != 0 && enforcing + segw_enforcing > 0)
    g_string_append_printf(out, ", the last %.1f s after it", last);
  g_string_append_printf(out, "%sCRL fetches: %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " full, %"
                              G_GUINT64_FORMAT " delta), %" G_GUINT64_FORMAT " failed, %.1f MB",
                         out->len > 0 ? "\n" : "", d->fetches, d->full_fetches, d->delta_fetches,
                         d->failed, bytes_total(d) / 1e6);
  return g_string_free(out, FALSE);
}
