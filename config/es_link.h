/* A link and its impairments: the one struct every layer uses for them (scenario keys,
 * topology files, the ns-3 link model), with the one check of what no single value can say. */
#ifndef ES_LINK_H
#define ES_LINK_H

#include <glib.h>

G_BEGIN_DECLS

/* Link outages: windows of simulated time in which a link drops everything, both ways.
 * Written "100s+30s,500s+10s" (start+duration); one allocation, n windows in file order. */
typedef struct {
  double start_s, duration_s;
} EsOutage;
typedef struct {
  guint n;
  EsOutage w[];
} EsOutages;
#define ES_OUTAGES_MAX 64

/* Each impairment applies to each direction on its own. All zero (and no outages) is a
 * perfect link: ns-3 then gets no error model, so results stay as they were. */
typedef struct {
  double rate_bps;
  double delay_s;
  double loss;        /* probability that a packet is dropped, independently */
  /* Gilbert-Elliott bursts, a two-state chain stepped once per packet: good -> bad with
   * burst_enter, bad -> good with burst_exit (mean burst 1/burst_exit packets), and in the bad
   * state a packet is dropped with burst_loss. burst_enter 0: no bursts. */
  double burst_enter, burst_exit, burst_loss;
  double corruption;  /* probability that a data segment arrives with one payload bit flipped */
  EsOutages *outages; /* NULL: none. Owned by whatever holds the link */
} EsLinkParams;

/* "100s+30s,500s+10s" (start+duration, both durations with a unit, duration > 0, at most
 * ES_OUTAGES_MAX windows); "" is no outages (*out NULL). On failure *why says what is wrong. */
gboolean es_parse_outages(const char *text, EsOutages **out, char **why);
/* The canonical text es_parse_outages reads back ("" for NULL). */
char *es_outages_to_string(const EsOutages *o);
/* A copy (NULL for NULL or no windows); g_free it. */
EsOutages *es_outages_copy(const EsOutages *o);
/* Why a list of windows is unusable, or NULL (g_free the reason). */
char *es_outages_problem(const EsOutages *o);
/* TRUE when the link has any impairment (loss, bursts, outages or corruption). */
gboolean es_link_impaired(const EsLinkParams *l);
/* The rules between a link's values, checked once for every source of links: rate > 0,
 * delay >= 0, probabilities in [0, 1], usable outages, and a burst chain that can leave the
 * bad state (burst_exit > 0 when burst_enter > 0). `name` prefixes the keys in the message
 * ("backhaul.", "national.fibre_", "line 12: "). A rate of 0 is allowed when `need_rate` is
 * FALSE (a class whose rate is set elsewhere). */
gboolean es_link_check(const EsLinkParams *l, const char *name, gboolean need_rate,
                       GError **error);

G_END_DECLS

#endif
