/* Mass revocation and CRL distribution: the operator revokes a share of the certificates at
 * revocation.at; the CA publishes a CRL (or a delta CRL) at once; every eNB fetches CRLs from
 * the distribution point on its RA/CA's node with HTTP GET over the simulated backhaul, checks
 * each one's signature, and enforces a revocation once it holds a CRL that lists it. */
#include "sim/es_run_priv.h"

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
} Tick;                  /* a timer's argument: which eNB fetches */

typedef struct {
  guint64 full;          /* the number of the full CRL it holds (0: none) */
  guint64 delta;         /* of the delta on that base it holds (0: none) */
  double enforced_s;     /* when it first held a CRL listing the mass revocation; NaN: not yet */
  gboolean busy;
  guint8 rr;             /* revocation.by = rr: RR_NONE, or where its rr is */
  const char *rr_why;    /* RR_FAILED: why, in enrolments.csv's words (static) */
} Node;

enum { RR_NONE, RR_PENDING, RR_REVOKED, RR_FAILED };

struct EsCrlDist {
  EsRun *run;
  const EsCrlDistConfig *c;
  Node *nodes;                /* 1..N */
  Tick *ticks;                /* 1..N */
  EsRand *rand;
  GBytes *full, *delta;       /* the distribution point's pages (DER), NULL until published */
  GBytes *last_delta;         /* the last delta published, for crl-delta.pem */
  guint64 full_number, delta_number;
  guint64 listing;            /* the first CRL number that lists the mass revocation; 0: none */
  guint64 revoked;            /* certificates the mass revocation revoked (by = rr: the rrs
                               * answered `accepted`) */
  guint64 rr_sent, rr_failed; /* by = rr: eNBs that sent one, and whose rr did not revoke */
  guint rr_pending;           /* rrs not answered or given up yet */
  double rr_answered_s;       /* when the last was: the CA published then; NaN: not yet */
  guint64 fetches, full_fetches, delta_fetches, failed, unverified;
  GHashTable *bytes_by_access;/* access class -> guint64 bytes (request and response) */
  GString *log;               /* crl.csv rows */
  GHashTable *in_flight;      /* Fetch -> itself: freed with the run if it ends first */
  guint64 delta_timer;
};

typedef struct {
  EsCrlDist *d;
  guint enb;
  EsChannel *channel;
} Fetch;

/* The CRL number, and the base of a delta (0: a full CRL). */
static guint64 crl_number(X509_CRL *crl, int nid)
{
  ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, nid, NULL, NULL);
  guint64 v = 0;
  if (n != NULL && !ASN1_INTEGER_get_uint64(&v, n))
    v = 0;
  ASN1_INTEGER_free(n);
  return v;
}

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
                         es_engine_now(d->run->engine), crl_number(crl, NID_crl_number), kind,
                         MAX(n, 0), g_bytes_get_size(der));
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
  d->full_number = crl_number(crl, NID_crl_number);
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
    d->delta_number = crl_number(crl, NID_crl_number);
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

/* A fetched CRL: its signature checked against the operator root, then held. */
static void hold(EsCrlDist *d, guint enb, const EsResponse *r)
{
  Node *n = &d->nodes[enb];
  const unsigned char *p = r->body;
  X509_CRL *crl = r->len <= G_MAXLONG ? d2i_X509_CRL(NULL, &p, (long)r->len) : NULL;
  EVP_PKEY *key = X509_get0_pubkey(es_pki_get0_operator_root(d->run->pki));
  if (crl == NULL || p != r->body + r->len || X509_CRL_verify(crl, key) != 1) {
    d->unverified++;
    X509_CRL_free(crl);
    ERR_clear_error();
    return;
  }
  guint64 number = crl_number(crl, NID_crl_number), base = crl_number(crl, NID_delta_crl);
  if (base == 0) {
    d->full_fetches++;
    n->full = number;
    n->delta = 0;
  } else {
    d->delta_fetches++;
    if (base == n->full)
      n->delta = number;
  }
  X509_CRL_free(crl);
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
  const char *access = es_topology_enb_access(d->run->topo, f->enb);
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
  f->channel = es_engine_channel_open(d->run->engine, enb);
  g_hash_table_add(d->in_flight, f);
  /* Delta form: the delta when it holds its base, else the full CRL. */
  gboolean delta = d->c->delta && d->delta != NULL && n->full == d->full_number;
  es_sim_channel_get(f->channel, delta ? "/crl/delta" : "/crl", on_fetched, f);
}

/* The CA publishes what the mass revocation revoked (a full CRL, or a delta), which every
 * eNB enforces once it holds; with crl_fetch.mode = trigger every eNB fetches within the
 * jitter. */
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
  for (guint k = 1; k <= run->sc->enbs; k++)
    es_engine_timer_add(run->engine, d->c->jitter_s * es_rand_double(d->rand), on_fetch_due,
                        &d->ticks[k]);
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
  d->nodes = g_new0(Node, n + 1);
  d->ticks = g_new0(Tick, n + 1);
  d->rand = es_rand_new(run->sc->seed, ES_STREAM_CRL_DIST);
  d->bytes_by_access = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  d->log = g_string_new("t_s,number,kind,entries,bytes\n");
  d->in_flight = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_free, NULL);
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
  for (guint k = 1; k <= n; k++) {
    d->nodes[k] = (Node){.full = d->full_number, .enforced_s = NAN, .rr = RR_NONE};
    d->ticks[k] = (Tick){.d = d, .enb = k};
  }
  es_sim_set_pages(run->sim, page, d);
  if (c->delta)
    d->delta_timer = es_sim_timer_add_at(run->sim, c->delta_interval_s, on_delta_due, d);
  if (c->mode == ES_CRL_FETCH_PERIODIC)
    for (guint k = 1; k <= n; k++)
      es_sim_timer_add_at(run->sim, c->interval_s * es_rand_double(d->rand), on_periodic,
                          &d->ticks[k]);
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
  g_hash_table_destroy(d->bytes_by_access);
  g_hash_table_destroy(d->in_flight); /* their channels went with the simulation */
  g_string_free(d->log, TRUE);
  es_rand_free(d->rand);
  g_free(d->nodes);
  g_free(d->ticks);
  g_free(d);
}

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
  /* Time to enforcement: from the revocation until an eNB held a CRL listing it. */
  double *t = g_new(double, MAX(n, 1));
  guint enforcing = 0;
  for (guint k = 1; k <= n; k++) {
    if (!isnan(d->nodes[k].enforced_s))
      t[enforcing++] = d->nodes[k].enforced_s - d->c->revoke_at_s;
    else if (cut_off != NULL)
      g_ptr_array_add(cut_off, GUINT_TO_POINTER(k));
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
    /* Every relying node: the revocation's time to enforcement, if all got there. */
    es_summary_set_double(s, "crl_dist.time_to_enforcement_s.max", t[enforcing - 1]);
  }
  g_free(t);
  /* By access class: a satellite tail shows here. */
  GHashTable *worst = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  for (guint k = 1; k <= n; k++) {
    if (isnan(d->nodes[k].enforced_s))
      continue;
    const char *access = es_topology_enb_access(run->topo, k);
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
  guint n = d->run->sc->enbs, enforcing = 0;
  double last = 0;
  for (guint k = 1; k <= n; k++)
    if (!isnan(d->nodes[k].enforced_s)) {
      enforcing++;
      last = MAX(last, d->nodes[k].enforced_s - d->c->revoke_at_s);
    }
  if (d->listing != 0 && d->c->by == ES_REVOKE_BY_RR)
    g_string_append_printf(out, "mass revocation by rr: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                                " eNBs' rrs revoked at %.0f s, the last answered at %.1f s; "
                                "%u of %u eNBs enforcing it by the end",
                           d->revoked, d->rr_sent, d->c->revoke_at_s, d->rr_answered_s,
                           enforcing, n);
  else if (d->listing != 0)
    g_string_append_printf(out, "mass revocation: %" G_GUINT64_FORMAT " certificates at %.0f s; "
                                "%u of %u eNBs enforcing it by the end",
                           d->revoked, d->c->revoke_at_s, enforcing, n);
  if (d->listing != 0 && enforcing > 0)
    g_string_append_printf(out, ", the last %.1f s after it", last);
  g_string_append_printf(out, "%sCRL fetches: %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " full, %"
                              G_GUINT64_FORMAT " delta), %" G_GUINT64_FORMAT " failed, %.1f MB",
                         out->len > 0 ? "\n" : "", d->fetches, d->full_fetches, d->delta_fetches,
                         d->failed, bytes_total(d) / 1e6);
  return g_string_free(out, FALSE);
}
