/* Mass revocation and CRL distribution: the operator revokes a share of the certificates at
 * revocation.at; the CA publishes a CRL (or a delta CRL) at once; every relying node (eNB or
 * SeGW) fetches CRLs from the distribution point on its RA/CA's node with HTTP GET over the
 * simulated backhaul, checks each one's signature, and enforces a revocation once it holds a
 * CRL that lists it. */
#include "sim/es_crl_dist_priv.h"

#include <math.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "config/es_streams.h"

/* revocation.reason's words and their RFC 5280 codes. */
static const char *const reason_words[] = {"unspecified", "keyCompromise", "affiliationChanged",
                                           "superseded", "cessationOfOperation",
                                           "privilegeWithdrawn", NULL};
static const int reason_codes[] = {0, 1, 3, 4, 5, 9};
static const char *const mode_words[] = {"none", "periodic", "trigger", NULL};
static const char *const form_words[] = {"full", "delta", NULL};
static const char *const by_words[] = {"ca", "rr", NULL};
G_STATIC_ASSERT(ES_CRL_FETCH_NONE == 0 && ES_CRL_FETCH_TRIGGER == 2);

#define KEY(sec, ...) ES_CONFIG_KEY(EsCrlDistConfig, sec, __VA_ARGS__)
static const EsConfigKey keys[] = {
    KEY("revocation", "at", ES_CONFIG_DURATION, revoke_at_s, "0s", ES_ANY),
    KEY("revocation", "share", ES_CONFIG_PROBABILITY, revoke_share, "0", ES_UNIT_RANGE),
    ES_CONFIG_CHOICE_KEY(EsCrlDistConfig, "revocation", "reason", revoke_reason, "keyCompromise",
                         reason_words),
    ES_CONFIG_CHOICE_KEY(EsCrlDistConfig, "revocation", "by", by, "ca", by_words),
    KEY("revocation", "history", ES_CONFIG_UINT, history, "0", ES_RANGE(0, 10000000)),
    ES_CONFIG_CHOICE_KEY(EsCrlDistConfig, "crl_fetch", "mode", mode, "none", mode_words),
    KEY("crl_fetch", "interval", ES_CONFIG_DURATION, interval_s, "1h", ES_POSITIVE),
    KEY("crl_fetch", "jitter", ES_CONFIG_DURATION, jitter_s, "60s", ES_ANY),
    ES_CONFIG_CHOICE_KEY(EsCrlDistConfig, "crl_fetch", "form", delta, "full", form_words),
    KEY("crl_fetch", "delta_interval", ES_CONFIG_DURATION, delta_interval_s, "15min", ES_POSITIVE),
};

const EsConfigSchema *es_crl_dist_config_schema(void)
{
  static const EsConfigPart part = ES_CONFIG_PART(keys, 0);
  static const EsConfigSchema schema = {.parts = &part, .n_parts = 1,
                                        .size = sizeof(EsCrlDistConfig)};
  return &schema;
}

/* The refusal of an rr-driven revocation where the eNBs' RA/CAs are RAs in front of CAs. */
static void refuse_rr(GError **error, guint cas)
{
  g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
              "revocation.by = rr with topology.cas = %u: the eNBs send their rr to an RA, and "
              "an RA in front of a CA refuses rr (it does not forward it); give revocation.by "
              "= ca, or topology.cas = 0",
              cas);
}

gboolean es_crl_dist_config_check(const EsCrlDistConfig *c, double stop_time_s, guint cas,
                                  GError **error)
{
  if (c->by == ES_REVOKE_BY_RR && c->revoke_share > 0 && cas > 0) {
    refuse_rr(error, cas);
    return FALSE;
  }
  if (c->revoke_share > 0 && !(c->revoke_at_s < stop_time_s)) {
    g_autofree char *at = es_format_duration(c->revoke_at_s);
    g_autofree char *stop = es_format_duration(stop_time_s);
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                "revocation.at (%s) must come before scenario.stop_time (%s)", at, stop);
    return FALSE;
  }
  if (c->mode == ES_CRL_FETCH_TRIGGER && !(c->revoke_share > 0)) {
    g_set_error_literal(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE,
                        "crl_fetch.mode = trigger fetches on a mass revocation: give "
                        "revocation.share (and revocation.at)");
    return FALSE;
  }
  return TRUE;
}

typedef struct {
  EsCrlDist *d;
  guint enb;
  EsChannel *channel;
} Fetch;

static GBytes *der_of(X509_CRL *crl)
{
  unsigned char *der = NULL;
  int len = i2d_X509_CRL(crl, &der);
  if (len <= 0)
    return NULL;
  GBytes *b = g_bytes_new(der, (gsize)len);
  OPENSSL_free(der);
  return b;
}

static void log_crl(EsCrlDist *d, X509_CRL *crl, GBytes *der, const char *kind)
{
  int n = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
  g_string_append_printf(d->log, "%.6f,%" G_GUINT64_FORMAT ",%s,%d,%" G_GSIZE_FORMAT "\n",
                         es_engine_now(d->run->engine), es_crl_get_number(crl, NID_crl_number),
                         kind, MAX(n, 0), g_bytes_get_size(der));
}

void es_crl_dist_published(EsCrlDist *d, X509_CRL *crl)
{
  if (d == NULL)
    return;
  GBytes *der = der_of(crl);
  if (der == NULL)
    return;
  if (d->full != NULL)
    g_bytes_unref(d->full);
  d->full = der;
  d->full_number = es_crl_get_number(crl, NID_crl_number);
  /* A delta on the former base is no delta of this one. */
  g_clear_pointer(&d->delta, g_bytes_unref);
  d->delta_number = 0;
  log_crl(d, crl, der, "full");
}

/* A delta CRL on the latest full one, dated now. */
static gboolean publish_delta(EsCrlDist *d, GError **error)
{
  EsRun *run = d->run;
  gint64 wall = run->sc->epoch + (gint64)es_engine_now(run->engine);
  X509_CRL *crl = es_ca_get1_delta_crl(run->ca, d->full_number, wall,
                                       wall + (gint64)run->sc->raca.crl_validity_s, error);
  if (crl == NULL)
    return FALSE;
  GBytes *der = der_of(crl);
  if (der != NULL) {
    if (d->delta != NULL)
      g_bytes_unref(d->delta);
    if (d->last_delta != NULL)
      g_bytes_unref(d->last_delta);
    d->delta = der;
    d->last_delta = g_bytes_ref(der);
    d->delta_number = es_crl_get_number(crl, NID_crl_number);
    log_crl(d, crl, der, "delta");
  }
  X509_CRL_free(crl);
  return der != NULL;
}

static void keep_error(EsRun *run, GError *error)
{
  if (run->write_error == NULL)
    run->write_error = error;
  else
    g_error_free(error);
}

static void on_delta_due(void *arg)
{
  EsCrlDist *d = arg;
  GError *error = NULL;
  if (!publish_delta(d, &error))
    keep_error(d->run, error);
  d->delta_timer = es_sim_timer_add_at(d->run->sim,
                                       es_engine_now(d->run->engine) + d->c->delta_interval_s,
                                       on_delta_due, d);
}

/* The distribution point: /crl the latest full CRL, /crl/delta the latest delta. */
static GBytes *page(void *arg, const char *target, const char **content_type)
{
  EsCrlDist *d = arg;
  GBytes *b = strcmp(target, "/crl") == 0 ? d->full
              : strcmp(target, "/crl/delta") == 0 ? d->delta : NULL;
  *content_type = "application/pkix-crl"; /* RFC 5280 4.2.1.13 */
  return b != NULL ? g_bytes_ref(b) : NULL;
}

static void fetch(EsCrlDist *d, guint enb);

static void on_fetch_due(void *arg)
{
  Tick *t = arg;
  fetch(t->d, t->enb);
}

/* crl_fetch.mode = periodic: again every interval. */
static void on_periodic(void *arg)
{
  Tick *t = arg;
  fetch(t->d, t->enb);
  es_engine_timer_add(t->d->run->engine, t->d->c->interval_s, on_periodic, t);
}

/* A fetched CRL: its signature checked against the operator root, then held. Every node
 * fetches the distribution point's bytes: decoded and verified once (es_crl_check). */
static void hold(EsCrlDist *d, guint enb, const EsResponse *r)
{
  Node *n = &d->nodes[enb];
  EVP_PKEY *key = X509_get0_pubkey(es_pki_get0_operator_root(d->run->pki));
  guint64 number, base;
  if (!es_crl_check(d->check, r->body, r->len, key, &number, &base)) {
    d->unverified++;
    return;
  }
  if (base == 0) {
    d->full_fetches++;
    n->full = number;
    n->delta = 0;
  } else {
    d->delta_fetches++;
    if (base == n->full)
      n->delta = number;
  }
  if (d->listing != 0 && isnan(n->enforced_s) && (n->full >= d->listing || n->delta >= d->listing))
    n->enforced_s = es_engine_now(d->run->engine);
}

static void on_fetched(void *arg, const EsResponse *r)
{
  Fetch *f = arg;
  EsCrlDist *d = f->d;
  Node *n = &d->nodes[f->enb];
  gboolean ok = r->error == NULL && r->http_status == 200;
  if (ok)
    hold(d, f->enb, r);
  else
    d->failed++;
  guint64 bytes = r->len + 200; /* the response's body and, about, both heads */
  const char *access = es_crl_dist_access(d, f->enb);
  guint64 *sum = g_hash_table_lookup(d->bytes_by_access, access);
  if (sum == NULL) {
    sum = g_new0(guint64, 1);
    g_hash_table_insert(d->bytes_by_access, g_strdup(access), sum);
  }
  *sum += bytes;
  es_channel_close(f->channel, d->run->engine);
  n->busy = FALSE;
  guint enb = f->enb;
  g_hash_table_remove(d->in_flight, f);
  /* A full CRL whose delta is newer: the delta too. A trigger that failed: again. */
  if (ok && d->c->delta && d->delta != NULL && n->full == d->full_number && n->delta < d->delta_number)
    fetch(d, enb);
  else if (!ok && d->c->mode == ES_CRL_FETCH_TRIGGER && isnan(n->enforced_s))
    es_engine_timer_add(d->run->engine, MAX(d->c->jitter_s, 1), on_fetch_due, &d->ticks[enb]);
}

static void fetch(EsCrlDist *d, guint enb)
{
  Node *n = &d->nodes[enb];
  if (n->busy)
    return;
  n->busy = TRUE;
  d->fetches++;
  Fetch *f = g_new0(Fetch, 1);
  f->d = d;
  f->enb = enb;
  if (enb <= d->enbs) {
    f->channel = es_engine_channel_open(d->run->engine, enb);
  } else {
    /* A SeGW: from its own node, to the distribution point of the RA/CA it relies on. */
    guint s = enb - d->enbs - 1;
    f->channel = es_sim_node_channel_open(d->run->sim, es_topology_segw_node(d->run->topo, s),
                                          es_topology_segw_raca(d->run->topo, s));
  }
  g_hash_table_add(d->in_flight, f);
  /* Delta form: the delta when it holds its base, else the full CRL. */
  gboolean delta = d->c->delta && d->delta != NULL && n->full == d->full_number;
  es_sim_channel_get(f->channel, delta ? "/crl/delta" : "/crl", on_fetched, f);
}

/* The CA publishes what the mass revocation revoked (a full CRL, or a delta), which every
 * relying node enforces once it holds; with crl_fetch.mode = trigger every one fetches within
 * the jitter (the SeGWs drawing from their own stream, so the eNBs' draws are those of a run
 * without SeGWs). */
static void publish_revocation(EsCrlDist *d)
{
  EsRun *run = d->run;
  GError *error = NULL;
  gboolean ok = d->c->delta ? publish_delta(d, &error) : es_run_publish_crl(run, &error);
  if (!ok) {
    keep_error(run, error);
    return;
  }
  d->listing = d->c->delta ? d->delta_number : d->full_number;
  if (d->c->mode != ES_CRL_FETCH_TRIGGER)
    return;
  for (guint k = 1; k <= d->enbs + d->segws; k++)
    es_engine_timer_add(run->engine,
                        d->c->jitter_s * es_rand_double(k <= d->enbs ? d->rand : d->segw_rand),
                        on_fetch_due, &d->ticks[k]);
}

/* revocation.at: the operator revokes a share of the certificates the eNBs hold, by the CA
 * (published at once) or by each eNB's rr (published when the last rr is answered). */
static void on_mass_revocation(void *arg)
{
  EsCrlDist *d = arg;
  EsRun *run = d->run;
  int reason = reason_codes[d->c->revoke_reason];
  gboolean by_rr = d->c->by == ES_REVOKE_BY_RR;
  for (guint k = 1; k <= run->sc->enbs; k++) {
    X509 *cert = es_enb_get1_operator_cert(run->enbs[k]);
    /* One draw per eNB, holding or not: who is revoked does not depend on the others, nor
     * on revocation.by. */
    gboolean chosen = es_rand_double(d->rand) < d->c->revoke_share;
    if (cert != NULL && chosen && by_rr) {
      Node *n = &d->nodes[k];
      d->rr_sent++;
      if (es_enb_revoke(run->enbs[k], reason)) {
        n->rr = RR_PENDING;
        d->rr_pending++;
      } else { /* in a renewal: an rr is a session of its own */
        n->rr = RR_FAILED;
        n->rr_why = "busy";
        d->rr_failed++;
      }
    } else if (cert != NULL && chosen) {
      guint r = es_topology_enb_raca(run->topo, k);
      EsRaca *issuer = run->n_racas > run->n_ras
                           ? run->racas[run->n_ras + es_topology_raca_ca(run->topo, r)]
                           : run->racas[r];
      d->revoked += es_raca_revoke_by_operator(issuer, cert, reason);
    }
    X509_free(cert);
  }
  if (!by_rr || d->rr_pending == 0) {
    d->rr_answered_s = es_engine_now(run->engine);
    publish_revocation(d);
  }
}

void es_crl_dist_rr_done(EsCrlDist *d, const EsEnbEvent *ev)
{
  if (d == NULL || ev->kind != ES_ENB_EVENT_DONE || ev->operation != ES_ENB_REVOKE)
    return;
  Node *n = &d->nodes[ev->number];
  if (n->rr != RR_PENDING)
    return;
  if (ev->outcome == ES_ENB_OUTCOME_OK && !ev->aborted) {
    n->rr = RR_REVOKED;
    d->revoked++;
  } else {
    n->rr = RR_FAILED;
    n->rr_why = es_enb_outcome_name(ev->aborted ? ES_ENB_OUTCOME_UNFINISHED : ev->outcome);
    d->rr_failed++;
  }
  /* The CRL the CA publishes once none is on its way lists every revocation the rrs made;
   * an rr cut short by the run's end publishes nothing (the simulation is over). */
  if (--d->rr_pending == 0 && !ev->aborted) {
    d->rr_answered_s = es_engine_now(d->run->engine);
    publish_revocation(d);
  }
}

gboolean es_crl_dist_start(EsRun *run, GError **error)
{
  const EsCrlDistConfig *c = &run->sc->crl_dist;
  if (c->mode == ES_CRL_FETCH_NONE && !(c->revoke_share > 0))
    return TRUE;
  /* A topology file may declare CAs behind its RAs: refused as topology.cas is. */
  if (c->by == ES_REVOKE_BY_RR && c->revoke_share > 0 && run->n_racas > run->n_ras) {
    refuse_rr(error, run->n_racas - run->n_ras);
    return FALSE;
  }
  EsCrlDist *d = g_new0(EsCrlDist, 1);
  d->run = run;
  d->c = c;
  d->rr_answered_s = NAN;
  guint n = run->sc->enbs;
  d->enbs = n;
  d->segws = es_topology_segws(run->topo);
  guint relying = n + d->segws;
  d->nodes = g_new0(Node, relying + 1);
  d->ticks = g_new0(Tick, relying + 1);
  d->rand = es_rand_new(run->sc->seed, ES_STREAM_CRL_DIST);
  if (d->segws > 0)
    d->segw_rand = es_rand_new(run->sc->seed, ES_STREAM_CRL_DIST_SEGW);
  d->bytes_by_access = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  d->log = g_string_new("t_s,number,kind,entries,bytes\n");
  d->in_flight = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_free, NULL);
  d->check = es_crl_check_new();
  run->crl_dist = d;
  /* The CRL's past: serials set aside from the CA's counter, so no certificate of the run
   * has one. */
  guint64 first = es_ca_get_next_serial(run->ca);
  ASN1_INTEGER *serial = ASN1_INTEGER_new();
  for (guint i = 0; serial != NULL && i < c->history; i++)
    if (ASN1_INTEGER_set_uint64(serial, first + i))
      es_ca_revoke(run->ca, serial, ES_REVOKE_CESSATION, run->sc->epoch - 365 * 86400);
  ASN1_INTEGER_free(serial);
  es_ca_set_next_serial(run->ca, first + c->history);
  /* The CRL every relying node holds from before the run: the base of what it fetches. */
  if (!es_run_publish_crl(run, error))
    return FALSE;
  for (guint k = 1; k <= relying; k++) {
    d->nodes[k] = (Node){.full = d->full_number, .enforced_s = NAN, .rr = RR_NONE};
    d->ticks[k] = (Tick){.d = d, .enb = k};
  }
  es_sim_set_pages(run->sim, page, d);
  if (c->delta)
    d->delta_timer = es_sim_timer_add_at(run->sim, c->delta_interval_s, on_delta_due, d);
  if (c->mode == ES_CRL_FETCH_PERIODIC)
    for (guint k = 1; k <= relying; k++)
      es_sim_timer_add_at(run->sim, c->interval_s * es_rand_double(k <= n ? d->rand : d->segw_rand),
                          on_periodic, &d->ticks[k]);
  if (c->revoke_share > 0)
    es_sim_timer_add_at(run->sim, c->revoke_at_s, on_mass_revocation, d);
  return TRUE;
}

void es_crl_dist_free(EsCrlDist *d)
{
  if (d == NULL)
    return;
  if (d->full != NULL)
    g_bytes_unref(d->full);
  if (d->delta != NULL)
    g_bytes_unref(d->delta);
  if (d->last_delta != NULL)
    g_bytes_unref(d->last_delta);
  es_crl_check_free(d->check);
  g_hash_table_destroy(d->bytes_by_access);
  g_hash_table_destroy(d->in_flight); /* their channels went with the simulation */
  g_string_free(d->log, TRUE);
  es_rand_free(d->rand);
  if (d->segw_rand != NULL)
    es_rand_free(d->segw_rand);
  g_free(d->nodes);
  g_free(d->ticks);
  g_free(d);
}


const char *es_crl_dist_access(const EsCrlDist *d, guint k)
{
  if (k <= d->enbs)
    return es_topology_enb_access(d->run->topo, k);
  guint node = es_topology_segw_node(d->run->topo, k - d->enbs - 1);
  return es_topology_node(d->run->topo, node)->access;
}

char *es_crl_dist_node_name(const EsCrlDist *d, guint k)
{
  if (k <= d->enbs)
    return g_strdup_printf("enb-%u", k);
  guint node = es_topology_segw_node(d->run->topo, k - d->enbs - 1);
  return g_strdup(es_topology_node_name(d->run->topo, node));
}
