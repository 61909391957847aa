/* Links and their impairments: outage windows as text and back, and the one check. */
#include "config/es_link.h"

#include <math.h>
#include <string.h>

#include "config/es_config_priv.h"

/* Overlapping windows are allowed: they are simply one longer outage. */
char *es_outages_problem(const EsOutages *o) {
  if (!o)
    return NULL;
  if (o->n > ES_OUTAGES_MAX)
    return g_strdup_printf("at most %d windows", ES_OUTAGES_MAX);
  for (guint i = 0; i < o->n; i++) {
    if (!(o->w[i].start_s >= 0) || !isfinite(o->w[i].start_s))
      return g_strdup_printf("window %u: bad start", i + 1);
    if (!(o->w[i].duration_s > 0) || !isfinite(o->w[i].duration_s))
      return g_strdup_printf("window %u: the duration must be greater than 0s", i + 1);
  }
  return NULL;
}

gboolean es_parse_outages(const char *text, EsOutages **out, char **why) {
  g_return_val_if_fail(text != NULL && out != NULL, FALSE);
  *out = NULL;
  g_autofree char *copy = g_strstrip(g_strdup(text));
  if (!*copy)
    return TRUE;
  g_auto(GStrv) parts = g_strsplit(copy, ",", -1);
  guint n = g_strv_length(parts);
  char *reason = NULL;
  if (n > ES_OUTAGES_MAX)
    reason = g_strdup_printf("at most %d windows", ES_OUTAGES_MAX);
  EsOutages *o = g_malloc0(sizeof *o + sizeof(EsOutage) * n);
  for (guint i = 0; i < n && !reason; i++) {
    char *part = g_strstrip(parts[i]);
    char *plus = strchr(part, '+');
    if (!plus) {
      reason = g_strdup_printf("window %u: expected START+DURATION, like 100s+30s", i + 1);
      break;
    }
    *plus = '\0';
    char *r = es_parse_number_unit(g_strstrip(part), es_duration_units, &o->w[i].start_s);
    if (!r)
      r = es_parse_number_unit(g_strstrip(plus + 1), es_duration_units, &o->w[i].duration_s);
    if (r) {
      reason = g_strdup_printf("window %u: %s", i + 1, r);
      g_free(r);
      break;
    }
    o->n = i + 1;
  }
  if (!reason)
    reason = es_outages_problem(o);
  if (reason) {
    g_free(o);
    if (why)
      *why = reason;
    else
      g_free(reason);
    return FALSE;
  }
  *out = o;
  return TRUE;
}

EsOutages *es_outages_copy(const EsOutages *o) {
  if (!o || o->n == 0)
    return NULL;
  return g_memdup2(o, sizeof *o + sizeof(EsOutage) * o->n);
}

gboolean es_link_impaired(const EsLinkParams *l) {
  g_return_val_if_fail(l != NULL, FALSE);
  return l->loss > 0 || (l->burst_enter > 0 && l->burst_loss > 0) || l->corruption > 0 ||
         (l->outages && l->outages->n > 0);
}

char *es_outages_to_string(const EsOutages *o) {
  GString *s = g_string_new(NULL);
  char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
  for (guint i = 0; o && i < o->n; i++) {
    es_format_shortest(a, sizeof a, o->w[i].start_s);
    es_format_shortest(b, sizeof b, o->w[i].duration_s);
    g_string_append_printf(s, "%s%ss+%ss", i ? "," : "", a, b);
  }
  return g_string_free(s, FALSE);
}


gboolean es_link_check(const EsLinkParams *l, const char *name, gboolean need_rate,
                       GError **error) {
  g_return_val_if_fail(l != NULL, FALSE);
  const struct {
    const char *key;
    double v;
  } p[] = {{"loss", l->loss},
           {"burst_enter", l->burst_enter},
           {"burst_exit", l->burst_exit},
           {"burst_loss", l->burst_loss},
           {"corruption", l->corruption}};
  if (need_rate ? !(l->rate_bps > 0) : !(l->rate_bps >= 0)) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE, "%srate must be greater than 0",
                name);
    return FALSE;
  }
  if (!(l->delay_s >= 0) || !isfinite(l->delay_s)) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE, "%slatency must be at least 0s",
                name);
    return FALSE;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(p); i++)
    if (!(p[i].v >= 0 && p[i].v <= 1)) {
      g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                  "%s%s must be a probability in [0, 1] (it is %g)", name, p[i].key, p[i].v);
      return FALSE;
    }
  g_autofree char *why = es_outages_problem(l->outages);
  if (why) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE, "%soutages: %s", name, why);
    return FALSE;
  }
  /* A chain that can enter the bad state must be able to leave it: with burst_exit 0 the
   * first burst would last for the rest of the run, which no fading does. */
  if (l->burst_enter > 0 && !(l->burst_exit > 0)) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                "%sburst_exit must be greater than 0 when %sburst_enter is set (it is %g): "
                "a burst lasts 1/burst_exit packets on average",
                name, name, l->burst_enter);
    return FALSE;
  }
  return TRUE;
}
