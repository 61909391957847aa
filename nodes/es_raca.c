/* The operator RA/CA on OpenSSL's CMP server. Each transaction has its own OSSL_CMP_SRV_CTX
 * (one holds exactly one transaction's IDs, nonces and status), freed when it ends. */
#include "nodes/es_raca_priv.h"

#include <math.h>
#include <string.h>

#include <openssl/cmp.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "config/es_streams.h"
#include "nodes/es_cmp.h"
#include "pki/es_rand.h"

G_DEFINE_QUARK(es-raca-error-quark, es_raca_error)

static void set_ossl_error(GError **error, EsRacaError code, const char *what)
{
  char *text = es_ossl_errors(what);
  g_set_error_literal(error, ES_RACA_ERROR, code, text);
  g_free(text);
}

const char *es_raca_revoke_cause_name(EsRacaRevokeCause cause)
{
  switch (cause) {
  case ES_RACA_REVOKED_CERTCONF_FAILED: return "certconf_failed";
  case ES_RACA_REVOKED_ISSUE_FAILED: return "issue_failed";
  case ES_RACA_REVOKED_REJECTED: return "rejected_by_enb";
  case ES_RACA_REVOKED_CONFIRM_TIMEOUT: return "confirm_timeout";
  case ES_RACA_REVOKED_REQUESTED: return "requested";
  case ES_RACA_REVOKED_SUPERSEDED: return "superseded";
  case ES_RACA_REVOKED_BY_OPERATOR: return "operator";
  }
  return "unknown";
}

const char *es_raca_reason_name(int reason)
{
  static const char *names[] = {
    "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
    "cessationOfOperation", "certificateHold", NULL, "removeFromCRL", "privilegeWithdrawn",
    "aACompromise",
  };
  static __thread char other[24];
  if (reason >= 0 && reason < (int)G_N_ELEMENTS(names) && names[reason] != NULL)
    return names[reason];
  g_snprintf(other, sizeof other, "reason%d", reason);
  return other;
}

double es_raca_now_s(EsRaca *raca)
{
  return raca->engine != NULL ? es_engine_now(raca->engine) : 0.0;
}

/* Whole wall-clock seconds; with epoch_fraction 0 (simulation) this is epoch + (int)now. */
gint64 es_raca_wall_now(EsRaca *raca)
{
  return raca->config.epoch + (gint64)floor(es_raca_now_s(raca) + raca->config.epoch_fraction);
}

gboolean es_raca_revoke(EsRaca *raca, X509 *cert, EsRacaRevokeCause cause, int reason)
{
  if (raca->config.upstream)
    return FALSE; /* the CA revokes, told by the RA's certConf */
  gint64 when = es_raca_wall_now(raca);
  if (!es_ca_revoke(raca->ca, X509_get0_serialNumber(cert), (EsRevokeReason)reason, when))
    return FALSE;
  raca->stats.revoked++;
  es_raca_keep_issued(raca, es_serial_hex(X509_get0_serialNumber(cert)), NULL);
  double t = es_raca_now_s(raca);
  /* Durable before anyone hears of it: inside a request, with its other writes. */
  es_raca_journal_begin(raca);
  es_raca_journal_revoked(raca, cert, cause, reason, when);
  if (raca->observer.event != NULL) {
    EsRacaEvent ev = {.kind = ES_RACA_EVENT_REVOKED, .cert = cert, .cause = cause,
                      .reason = reason, .t = t};
    if (raca->request != NULL)
      ev.request_der = g_bytes_get_data(raca->request, &ev.request_len);
    raca->observer.event(raca->observer_arg, &ev);
  }
  es_raca_journal_end(raca, NULL);
  return TRUE;
}

/* Every entry the RA/CA makes on its own carries a reason code (RFC 5280 omits the extension
 * for unspecified): a certificate never confirmed was never in operation; one whose certConf
 * failed authentication had its issuance withdrawn, since who holds it is unknown. */
static int reason_of_cause(EsRacaRevokeCause cause)
{
  switch (cause) {
  case ES_RACA_REVOKED_REJECTED: return ES_REVOKE_CESSATION;
  case ES_RACA_REVOKED_CONFIRM_TIMEOUT: return ES_REVOKE_CESSATION;
  case ES_RACA_REVOKED_CERTCONF_FAILED: return ES_REVOKE_PRIVILEGE_WITHDRAWN;
  case ES_RACA_REVOKED_ISSUE_FAILED: return ES_REVOKE_PRIVILEGE_WITHDRAWN;
  case ES_RACA_REVOKED_SUPERSEDED: return ES_REVOKE_SUPERSEDED;
  default: return ES_REVOKE_UNSPECIFIED;
  }
}

static void answered_clear(Answered *a)
{
  for (int i = 0; i < 2; i++) {
    if (a->request[i] != NULL)
      g_bytes_unref(a->request[i]);
    if (a->response[i] != NULL)
      g_bytes_unref(a->response[i]);
  }
  memset(a, 0, sizeof *a);
}

/* Takes both. The first request stays; a later one replaces the latest. */
static void answered_record(Answered *a, GBytes *request, GBytes *response)
{
  int i = a->request[0] == NULL ? 0 : 1;
  if (a->request[i] != NULL) {
    g_bytes_unref(a->request[i]);
    g_bytes_unref(a->response[i]);
  }
  a->request[i] = request;
  a->response[i] = response;
}

/* The response to these very bytes, if they were answered (borrowed). */
static GBytes *answered_find(const Answered *a, GBytes *request)
{
  for (int i = 0; a != NULL && i < 2; i++)
    if (a->request[i] != NULL && g_bytes_equal(a->request[i], request))
      return a->response[i];
  return NULL;
}

void es_raca_transaction_free(Transaction *t)
{
  if (t->confirm_timer != 0 && t->raca->engine != NULL)
    es_engine_timer_cancel(t->raca->engine, t->confirm_timer);
  OSSL_CMP_SRV_CTX_free(t->srv);
  es_raca_set_waiting(t, NULL);
  X509_free(t->cert);
  X509_free(t->old_cert);
  X509_free(t->client);
  if (t->nonce != NULL)
    g_bytes_unref(t->nonce);
  g_bytes_unref(t->id);
  answered_clear(&t->answered);
  g_free(t);
}

static void closed_free(Closed *c)
{
  if (c->timer != 0)
    es_engine_timer_cancel(c->raca->engine, c->timer);
  g_bytes_unref(c->id);
  answered_clear(&c->answered);
  X509_NAME_free(c->subject);
  g_free(c);
}

static void on_closed_expired(void *arg)
{
  Closed *c = arg;
  c->timer = 0;
  g_hash_table_remove(c->raca->closed, c->id);
}

static void transaction_end(Transaction *t)
{
  EsRaca *raca = t->raca;
  if (raca->engine != NULL && t->answered.request[0] != NULL) {
    Closed *c = g_new0(Closed, 1);
    c->raca = raca;
    c->id = g_bytes_ref(t->id);
    c->answered = t->answered;
    memset(&t->answered, 0, sizeof t->answered);
    c->subject = t->cert != NULL ? X509_NAME_dup(X509_get_subject_name(t->cert)) : NULL;
    /* As long as the client may still resend its certConf under confirm-wait. */
    c->timer = es_engine_timer_add(raca->engine, raca->config.confirm_wait_s, on_closed_expired, c);
    g_hash_table_replace(raca->closed, c->id, c);
  }
  g_hash_table_remove(raca->transactions, t->id);
}

/* Ends a transaction whose certificate (if any) never got a valid confirmation. */
static void transaction_fail(Transaction *t, EsRacaRevokeCause cause)
{
  if (t->raca->config.upstream)
    es_raca_forward_end(t, cause);
  else if (t->cert != NULL)
    es_raca_revoke(t->raca, t->cert, cause, reason_of_cause(cause));
  transaction_end(t);
}

/* Ends a transaction whose certificate its owner confirmed (or implicitly accepted). Only now
 * does a kur retire the old certificate: had the new one failed, the eNB would still need it. */
static void transaction_confirm(Transaction *t)
{
  EsRaca *raca = t->raca;
  raca->stats.confirmed++;
  if (t->cert != NULL)
    es_raca_journal_confirmed(raca, t);
  if (raca->config.upstream) {
    /* Retiring the old certificate and superseding are the CA's, once told. */
    es_raca_forward_end(t, -1);
    transaction_end(t);
    return;
  }
  if (t->old_cert != NULL) {
    raca->stats.renewed++;
    if (!raca->config.keep_superseded)
      es_raca_revoke(raca, t->old_cert, ES_RACA_REVOKED_SUPERSEDED, ES_REVOKE_SUPERSEDED);
  }
  if (t->cert != NULL)
    es_raca_supersede_holder(raca, t->cert);
  transaction_end(t);
}

static void on_confirm_wait_expired(void *arg)
{
  Transaction *t = arg;
  t->confirm_timer = 0;
  transaction_fail(t, ES_RACA_REVOKED_CONFIRM_TIMEOUT);
}

void es_raca_confirm_wait_expired(void *transaction)
{
  on_confirm_wait_expired(transaction);
}


EsRaca *es_raca_new(const EsRacaConfig *config, const EsPki *pki, EsEngine *engine,
                    GError **error)
{
  EsRaca *raca = g_new0(EsRaca, 1);
  raca->config = *config;
  raca->config.ca_outages = es_outages_copy(config->ca_outages);
  raca->pki = pki;
  raca->engine = engine;
  if (config->ca != NULL) {
    es_ca_up_ref(config->ca);
    raca->ca = config->ca;
  } else {
    raca->ca = es_ca_new(es_pki_get0_operator_root(pki), es_pki_get0_operator_root_key(pki));
  }
  raca->config.ca = NULL; /* raca->ca holds the reference */
  raca->vendor_trust = X509_STORE_new();
  raca->operator_trust = X509_STORE_new();
  raca->issued = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify)g_bytes_unref);
  raca->revoked_der = g_bytes_new_static("", 0);
  raca->holders = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  raca->extra_out = sk_X509_new_null();
  raca->operator_extra_out = sk_X509_new_null();
  raca->rand = es_rand_new(config->seed, ES_STREAM_RACA);
  raca->check_rand = es_rand_new(config->seed, ES_STREAM_RACA_CHECKS);
  raca->approval_rand = es_rand_new(config->seed, ES_STREAM_RACA_APPROVAL);
  raca->held = g_hash_table_new(g_direct_hash, g_direct_equal);
  raca->transactions = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, NULL,
                                             (GDestroyNotify)es_raca_transaction_free);
  raca->closed = g_hash_table_new_full(g_bytes_hash, g_bytes_equal, NULL,
                                       (GDestroyNotify)closed_free);
  es_raca_seen_init(raca);
  es_raca_forward_init(raca);
  X509 *cross = es_pki_get0_raca_cross(pki);
  if (raca->ca == NULL || raca->vendor_trust == NULL || raca->operator_trust == NULL
      || raca->extra_out == NULL || raca->operator_extra_out == NULL
      || !X509_STORE_add_cert(raca->vendor_trust, es_pki_get0_vendor_root(pki))
      || !X509_STORE_add_cert(raca->operator_trust, es_pki_get0_operator_root(pki))
      || (cross != NULL && (!X509_up_ref(cross) || !sk_X509_push(raca->extra_out, cross)))) {
    set_ossl_error(error, ES_RACA_ERROR_INTERNAL, "RA/CA set-up");
    es_raca_free(raca);
    return NULL;
  }
  if (engine != NULL) {
    EsServiceConfig sc = {
      .workers = raca->config.workers,
      .queue_limit = raca->config.queue_limit,
      .dist = raca->config.service_dist,
      .seed = raca->config.seed,
      .stream = ES_STREAM_RACA_SERVICE,
    };
    raca->service = es_service_new(&sc, engine, es_raca_job_done, raca);
    es_service_set_changed_cb(raca->service, es_raca_queue_changed, raca);
    if (raca->config.minimum_service)
      es_service_set_started_cb(raca->service, es_raca_job_started, raca);
  }
  return raca;
}

void es_raca_free(EsRaca *raca)
{
  if (raca == NULL)
    return;
  /* Parked jobs first: one still in service is the service's to free. */
  es_raca_forward_clear(raca);
  es_service_free(raca->service, (GDestroyNotify)es_raca_job_free);
  es_raca_held_clear(raca);
  if (raca->transactions != NULL)
    g_hash_table_destroy(raca->transactions);
  if (raca->closed != NULL)
    g_hash_table_destroy(raca->closed);
  es_raca_seen_clear(raca);
  es_rand_free(raca->rand);
  es_rand_free(raca->check_rand);
  es_rand_free(raca->approval_rand);
  sk_X509_pop_free(raca->extra_out, X509_free);
  sk_X509_pop_free(raca->operator_extra_out, X509_free);
  X509_STORE_free(raca->vendor_trust);
  X509_STORE_free(raca->operator_trust);
  if (raca->issued != NULL)
    g_hash_table_destroy(raca->issued);
  g_bytes_unref(raca->revoked_der);
  if (raca->holders != NULL)
    g_hash_table_destroy(raca->holders);
  es_ca_free(raca->ca);
  g_free(raca->config.ca_outages);
  g_clear_error(&raca->store_error);
  g_free(raca);
}

void es_raca_set_predecode(EsRaca *raca, EsPredecode *predecode)
{
  raca->predecode = predecode;
}

void es_raca_set_observer(EsRaca *raca, const EsRacaObserver *observer, void *arg)
{
  raca->observer = *observer;
  raca->observer_arg = arg;
}

EsCa *es_raca_get0_ca(EsRaca *raca) { return raca->ca; }

X509_CRL *es_raca_get1_crl(EsRaca *raca, gint64 validity_s, GError **error)
{
  gint64 now = es_raca_wall_now(raca);
  return es_ca_get1_crl(raca->ca, now, now + validity_s, error);
}

void es_raca_get_stats(const EsRaca *raca, EsRacaStats *stats)
{
  *stats = raca->stats;
  stats->open_transactions = g_hash_table_size(raca->transactions);
  GHashTableIter it;
  gpointer t;
  g_hash_table_iter_init(&it, raca->transactions);
  while (g_hash_table_iter_next(&it, NULL, &t))
    stats->awaiting_confirm += ((Transaction *)t)->cert != NULL;
  if (raca->service != NULL) {
    EsServiceStats q;
    es_service_get_stats(raca->service, &q);
    stats->busy = q.rejected;
    stats->max_queue = q.max_waiting;
    stats->busy_s = q.busy_s;
    stats->wait_mean_s = q.started > 0 ? q.wait_sum_s / (double)q.started : 0.0;
    stats->wait_max_s = q.wait_max_s;
  }
}

static GBytes *encode(const OSSL_CMP_MSG *msg)
{
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)msg, &der);
  if (len <= 0)
    return NULL;
  GBytes *b = g_bytes_new(der, (gsize)len);
  OPENSSL_free(der);
  return b;
}

/* Answers a request that belongs to no open transaction with the CMP error the library
 * makes for it, from a context that lives only for this answer. */
static GBytes *answer_stray(EsRaca *raca, GBytes *id, const OSSL_CMP_MSG *req)
{
  Transaction *t = es_raca_transaction_new(raca, id, OSSL_CMP_MSG_get_bodytype(req));
  if (t == NULL)
    return NULL;
  OSSL_CMP_MSG *rsp = OSSL_CMP_SRV_process_request(t->srv, req);
  GBytes *out = rsp != NULL ? encode(rsp) : NULL;
  OSSL_CMP_MSG_free(rsp);
  es_raca_transaction_free(t);
  return out;
}

static gboolean is_cert_request(int type)
{
  return type == ES_CMP_IR || type == ES_CMP_CR || type == ES_CMP_KUR || type == ES_CMP_P10CR;
}

/* Refuses a request without touching any transaction, from a context that lives only for this
 * answer and can issue, revoke or confirm nothing: a certificate request or rr gets a
 * rejection with `failure` and `why`; anything else the library's error, which carries the
 * earliest error on the queue, raised here. */
static GBytes *refuse(EsRaca *raca, GBytes *id, const OSSL_CMP_MSG *req, int failure,
                      const char *why)
{
  Transaction *t = es_raca_transaction_new(raca, id, OSSL_CMP_MSG_get_bodytype(req));
  if (t == NULL)
    return NULL;
  t->refusal = failure;
  t->refusal_text = why;
  ERR_clear_error();
  ERR_raise_data(ERR_LIB_CMP, CMP_R_REQUEST_REJECTED_BY_SERVER, "%s", why);
  EsRand *prev = es_rand_set_current(raca->check_rand);
  OSSL_CMP_MSG *rsp = OSSL_CMP_SRV_process_request(t->srv, req);
  es_rand_set_current(prev);
  GBytes *out = rsp != NULL ? encode(rsp) : NULL;
  OSSL_CMP_MSG_free(rsp);
  es_raca_transaction_free(t);
  raca->stats.errors++;
  return out;
}

static gboolean opens_transaction(int type)
{
  return is_cert_request(type) || type == ES_CMP_RR || type == ES_CMP_GENM;
}

static GBytes *process(EsRaca *raca, const guint8 *der, gsize len, gint64 arrived,
                       GError **error)
{
  /* Cheap checks first: a request's extraCerts are counted and measured on its DER, before
   * any of them is decoded (OpenSSL builds a decoder per public key) or tried as a signer. */
  guint n_extra = 0;
  gsize extra_size = 0;
  GBytes *stripped = NULL;
  const char *oversized = NULL;
  if (es_cmp_peek_extra_certs(der, len, &n_extra, &extra_size)) {
    if (raca->config.max_extra_certs > 0 && n_extra > raca->config.max_extra_certs)
      oversized = "too many extraCerts";
    else if (raca->config.max_extra_certs_size > 0 && extra_size > raca->config.max_extra_certs_size)
      oversized = "extraCerts too large";
    if (oversized != NULL && (stripped = es_cmp_strip_extra_certs(der, len)) != NULL)
      der = g_bytes_get_data(stripped, &len);
  }
  gsize used;
  OSSL_CMP_MSG *req = es_predecode_take(raca->predecode, der, len, &used);
  EsCmpHeader h;
  if (req == NULL || used != len || !es_cmp_peek_header(der, len, &h)) {
    OSSL_CMP_MSG_free(req);
    if (stripped != NULL)
      g_bytes_unref(stripped);
    set_ossl_error(error, ES_RACA_ERROR_DECODE, "request is not a DER-encoded CMP message");
    return NULL;
  }
  raca->stats.requests++;
  int type = OSSL_CMP_MSG_get_bodytype(req);
  const ASN1_OCTET_STRING *tid = OSSL_CMP_HDR_get0_transactionID(OSSL_CMP_MSG_get0_header(req));
  GBytes *id = tid != NULL ? g_bytes_new(ASN1_STRING_get0_data(tid), ASN1_STRING_length(tid))
                           : g_bytes_new(NULL, 0);
  Transaction *t = g_hash_table_lookup(raca->transactions, id);
  GBytes *request = g_bytes_new_static(der, len);
  GBytes *out = NULL;
  raca->request = request;
  gboolean opens = opens_transaction(type);

  if (oversized != NULL) {
    raca->stats.refused_oversized++;
    out = refuse(raca, id, req, OSSL_CMP_PKIFAILUREINFO_badRequest, oversized);
    goto done;
  }

  /* The same bytes again (a resend after a lost response): answer as before, never issue
   * twice for one transaction, even one that has ended since (its pkiConf was lost). */
  Closed *closed = t == NULL ? g_hash_table_lookup(raca->closed, id) : NULL;
  GBytes *again = answered_find(t != NULL ? &t->answered : closed != NULL ? &closed->answered : NULL,
                                request);
  if (again != NULL) {
    raca->stats.duplicates++;
    out = g_bytes_ref(again);
    if (raca->observer.duplicate != NULL) {
      X509 *issued = t != NULL ? t->cert : NULL;
      raca->observer.duplicate(raca->observer_arg,
                               issued != NULL ? X509_get_subject_name(issued) : closed->subject,
                               es_raca_now_s(raca));
    }
    goto done;
  }
  if (raca->config.harden) {
    /* Nothing reaches an open transaction unless it continues it, from its client; an opening
     * request must be fresh. Either way a refusal leaves every transaction as it was. */
    const char *why = NULL;
    int failure = OSSL_CMP_PKIFAILUREINFO_badMessageCheck;
    if (t != NULL && type != ES_CMP_CERTCONF && type != ES_CMP_POLLREQ && type != ES_CMP_ERROR) {
      failure = OSSL_CMP_PKIFAILUREINFO_transactionIdInUse;
      why = "transactionID in use";
    } else if (t != NULL) {
      why = es_raca_unbound_why(t, req, &h);
    } else if (opens) {
      why = es_raca_stale_why(raca, &h, arrived, &failure);
    }
    if (why != NULL) {
      if (t != NULL)
        raca->stats.refused_unbound++;
      else
        raca->stats.refused_replays++;
      out = refuse(raca, id, req, failure, why);
      goto done;
    }
  } else if (t != NULL && opens) {
    transaction_fail(t, ES_RACA_REVOKED_CONFIRM_TIMEOUT); /* abandoned by its client */
    t = NULL;
  }
  if (t == NULL && (!opens || tid == NULL)) {
    out = answer_stray(raca, id, req);
    raca->stats.errors++;
    goto done;
  }
  if (t == NULL) {
    t = es_raca_transaction_new(raca, id, type);
    if (t == NULL) {
      set_ossl_error(error, ES_RACA_ERROR_INTERNAL, "new CMP server context");
      goto done;
    }
    g_hash_table_insert(raca->transactions, t->id, t);
    es_raca_trust_sender(t, &h);
  }

  OSSL_CMP_MSG *rsp = OSSL_CMP_SRV_process_request(t->srv, req);
  int rsp_type = rsp != NULL ? OSSL_CMP_MSG_get_bodytype(rsp) : -1;
  out = rsp != NULL ? encode(rsp) : NULL;
  OSSL_CMP_MSG_free(rsp);
  if (raca->config.harden && opens && t->authenticated) {
    GBytes *nonce = es_raca_slice(h.sender_nonce, h.sender_nonce_len);
    es_raca_remember_request(raca, id, nonce, h.message_time);
    es_raca_journal_seen(raca, id, nonce, h.message_time);
    if (raca->observer.remember != NULL)
      raca->observer.remember(raca->observer_arg, id, nonce, h.message_time);
    g_bytes_unref(nonce);
  }
  if (out == NULL) {
    set_ossl_error(error, ES_RACA_ERROR_INTERNAL, "CMP server made no response");
    transaction_fail(t, is_cert_request(type) ? ES_RACA_REVOKED_ISSUE_FAILED
                                              : ES_RACA_REVOKED_CERTCONF_FAILED);
    goto done;
  }
  if (rsp_type == ES_CMP_ERROR)
    raca->stats.errors++;
  answered_record(&t->answered, g_bytes_new(der, len), g_bytes_ref(out));
  EsCmpHeader rh;
  if (es_cmp_peek_header(g_bytes_get_data(out, NULL), g_bytes_get_size(out), &rh)) {
    if (t->nonce != NULL)
      g_bytes_unref(t->nonce);
    t->nonce = es_raca_slice(rh.sender_nonce, rh.sender_nonce_len);
  }

  if (type == ES_CMP_RR || type == ES_CMP_GENM) {
    transaction_end(t); /* rr/rp and genm/genp are whole transactions */
    goto done;
  }
  if (type == ES_CMP_POLLREQ && rsp_type == ES_CMP_POLLREP) {
    es_raca_poll_wait(t);
    goto done;
  }
  /* A pollReq after the approval delay is answered with the ip, cp or kup. */
  if (is_cert_request(type) || (type == ES_CMP_POLLREQ && rsp_type != ES_CMP_ERROR)) {
    OSSL_CMP_CTX *ctx = OSSL_CMP_SRV_CTX_get0_cmp_ctx(t->srv);
    if (t->waiting_req != NULL && rsp_type != ES_CMP_ERROR) {
      /* Answered `waiting`: only its client may poll. */
      if (raca->config.harden && t->client == NULL)
        t->client = es_raca_find_client(t, req, &h);
      es_raca_poll_wait(t);
      goto done;
    }
    if (t->cert == NULL || rsp_type == ES_CMP_ERROR) {
      /* Issued, but no ip carries it: the failure is the request's, not a certConf's. */
      transaction_fail(t, ES_RACA_REVOKED_ISSUE_FAILED);
      goto done;
    }
    if (OSSL_CMP_CTX_get_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM) == 1) {
      transaction_confirm(t);
      goto done;
    }
    /* Without it (no memory) no certConf is taken: revoked at confirm-wait. */
    if (raca->config.harden && t->client == NULL)
      t->client = es_raca_find_client(t, req, &h);
    if (raca->engine != NULL && t->confirm_timer != 0)
      es_engine_timer_cancel(raca->engine, t->confirm_timer);
    t->confirm_timer = 0;
    if (raca->engine != NULL)
      t->confirm_timer = es_engine_timer_add(raca->engine, es_raca_confirm_wait_s(t),
                                             on_confirm_wait_expired, t);
    es_raca_journal_pending(raca, t, out);
  } else if (type == ES_CMP_CERTCONF) {
    /* "certConf in, error out": the library rejected it (bad protection, wrong hash)
     * before or inside our callback, so the certificate cannot be trusted to its owner. */
    if (rsp_type != ES_CMP_PKICONF)
      transaction_fail(t, ES_RACA_REVOKED_CERTCONF_FAILED);
    else if (t->rejected)
      transaction_fail(t, (EsRacaRevokeCause)t->rejected_cause);
    else
      transaction_confirm(t);
    goto done;
  } else if (rsp_type == ES_CMP_ERROR || rsp_type == ES_CMP_PKICONF) {
    transaction_fail(t, ES_RACA_REVOKED_CERTCONF_FAILED);
    goto done;
  }

done:
  raca->request = NULL;
  g_bytes_unref(request);
  g_bytes_unref(id);
  if (stripped != NULL)
    g_bytes_unref(stripped);
  OSSL_CMP_MSG_free(req);
  return out;
}

/* A certificate request whose commit failed issued a certificate that neither left (no ip)
 * nor is in the database: its transaction goes, unrevoked, as if never opened. */
static void forget_unrecorded(EsRaca *raca, const guint8 *der, gsize len)
{
  EsCmpHeader h;
  if (!es_cmp_peek_header(der, len, &h) || !is_cert_request(es_cmp_peek_body_type(der, len)))
    return;
  GBytes *id = g_bytes_new(h.transaction_id, h.transaction_id != NULL ? h.transaction_id_len : 0);
  Transaction *t = g_hash_table_lookup(raca->transactions, id);
  if (t != NULL && t->cert != NULL && t->answered.request[1] == NULL) {
    if (raca->config.upstream)
      es_raca_forward_end(t, ES_RACA_REVOKED_ISSUE_FAILED);
    g_hash_table_remove(raca->transactions, id);
  }
  g_bytes_unref(id);
}

GBytes *es_raca_process_arrived(EsRaca *raca, const guint8 *der, gsize len, gint64 arrived,
                               GError **error)
{
  /* Verification happens at simulated time, so results do not depend on the wall clock. */
  time_t now = (time_t)es_raca_wall_now(raca);
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(raca->vendor_trust), now);
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(raca->operator_trust), now);
  if (raca->store_error != NULL) {
    g_set_error(error, ES_RACA_ERROR, ES_RACA_ERROR_UNAVAILABLE, "not issuing: %s",
                raca->store_error->message);
    return NULL;
  }
  EsRand *prev = es_rand_set_current(raca->rand);
  ERR_clear_error();
  raca->hold_s = 0;
  /* Everything the request changes is committed before its response leaves; when the
   * commit fails, no response does (503 instead). */
  es_raca_journal_begin(raca);
  GBytes *out = process(raca, der, len, arrived, error);
  GError *unrecorded = NULL;
  if (!es_raca_journal_end(raca, &unrecorded)) {
    if (out != NULL)
      g_bytes_unref(out);
    out = NULL;
    forget_unrecorded(raca, der, len);
    g_clear_error(error);
    g_set_error(error, ES_RACA_ERROR, ES_RACA_ERROR_UNAVAILABLE, "not answered: %s",
                unrecorded->message);
    g_error_free(unrecorded);
  }
  ERR_clear_error();
  g_free(es_cmp_take_last_error());
  es_rand_set_current(prev);
  return out;
}

GBytes *es_raca_process(EsRaca *raca, const guint8 *der, gsize len, GError **error)
{
  return es_raca_process_arrived(raca, der, len, es_raca_wall_now(raca), error);
}

gboolean es_raca_revoke_by_operator(EsRaca *raca, X509 *cert, int reason)
{
  return es_raca_revoke(raca, cert, ES_RACA_REVOKED_BY_OPERATOR, reason);
}

void es_raca_expire_all(EsRaca *raca)
{
  GList *open = g_hash_table_get_values(raca->transactions);
  for (GList *l = open; l != NULL; l = l->next) {
    Transaction *t = l->data;
    if (t->cert != NULL)
      transaction_fail(t, ES_RACA_REVOKED_CONFIRM_TIMEOUT);
  }
  g_list_free(open);
}

void es_raca_closed_restore(EsRaca *raca, GBytes *id, GBytes *request, GBytes *response,
                            const X509_NAME *subject, double remaining_s)
{
  if (raca->engine == NULL || g_hash_table_contains(raca->closed, id))
    return;
  Closed *c = g_new0(Closed, 1);
  c->raca = raca;
  c->id = g_bytes_ref(id);
  c->answered.request[0] = g_bytes_ref(request);
  c->answered.response[0] = g_bytes_ref(response);
  c->subject = subject != NULL ? X509_NAME_dup(subject) : NULL;
  c->timer = es_engine_timer_add(raca->engine, remaining_s, on_closed_expired, c);
  g_hash_table_replace(raca->closed, c->id, c);
}
