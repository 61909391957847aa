/* The RA/CA's durable state: its journal into an EsRacaStore (issue, confirmation, revocation,
 * transactions awaiting certConf) and the restore that resumes them after a restart. */
#include "nodes/es_raca_priv.h"

#include <math.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>

#include "nodes/es_cmp.h"

void es_raca_set_store(EsRaca *raca, EsRacaStore *store)
{
  raca->store = store;
}

const GError *es_raca_get0_store_error(const EsRaca *raca)
{
  return raca->store_error;
}

void es_raca_stop_issuing(EsRaca *raca, const GError *why)
{
  if (raca->store_error == NULL)
    raca->store_error = g_error_copy(why);
}

/* Wall-clock seconds now, with their fraction: deadlines outlive the engine's clock. */
static double wall_now(EsRaca *raca)
{
  return (double)raca->config.epoch + raca->config.epoch_fraction + es_raca_now_s(raca);
}

static gint64 wall_now_us(EsRaca *raca)
{
  return (gint64)llround(wall_now(raca) * 1e6);
}

void es_raca_journal_begin(EsRaca *raca)
{
  if (raca->journal_depth++ == 0 && raca->store != NULL)
    es_raca_store_begin(raca->store);
}

gboolean es_raca_journal_end(EsRaca *raca, GError **error)
{
  g_return_val_if_fail(raca->journal_depth > 0, FALSE);
  if (--raca->journal_depth > 0)
    return TRUE;
  GError *failed = NULL;
  gboolean ok = raca->store == NULL || es_raca_store_commit(raca->store, &failed);
  if (!ok && raca->store_error == NULL)
    raca->store_error = g_error_copy(failed);
  if (raca->observer.settled != NULL)
    raca->observer.settled(raca->observer_arg, ok);
  if (failed != NULL)
    g_propagate_error(error, failed);
  return ok;
}

/* A failed write spoils the open transaction (its commit reports it); nothing to do here. */
static void journal_done(gboolean ok, GError *error)
{
  (void)ok;
  g_clear_error(&error);
}

void es_raca_journal_issued(EsRaca *raca, X509 *cert, int request, X509 *replaced)
{
  if (raca->store == NULL)
    return;
  GError *error = NULL;
  journal_done(es_raca_store_add_cert(raca->store, cert, es_cmp_body_name(request), replaced,
                                      es_raca_now_s(raca), wall_now_us(raca),
                                      es_ca_get_next_serial(raca->ca), &error),
               error);
}

/* The messageTime before which a request is refused for it alone, whatever was seen. */
static gint64 seen_horizon(EsRaca *raca)
{
  return es_raca_wall_now(raca) - (gint64)ceil(raca->config.message_time_window_s);
}

static GBytes *der_of(X509 *cert)
{
  unsigned char *der = NULL;
  int len = i2d_X509(cert, &der);
  GBytes *b = len > 0 ? g_bytes_new(der, (gsize)len) : NULL;
  OPENSSL_free(der);
  return b;
}

void es_raca_journal_pending(EsRaca *raca, Transaction *t, GBytes *out)
{
  if (raca->store == NULL || t->cert == NULL)
    return;
  GBytes *client = t->client != NULL ? der_of(t->client) : NULL;
  GError *error = NULL;
  journal_done(es_raca_store_set_pending(raca->store, X509_get0_serialNumber(t->cert), t->id,
                                         t->type, t->nonce, wall_now(raca) + es_raca_confirm_wait_s(t),
                                         client, t->answered.request[0], out, &error),
               error);
  if (client != NULL)
    g_bytes_unref(client);
}

void es_raca_journal_confirmed(EsRaca *raca, Transaction *t)
{
  if (raca->store == NULL)
    return;
  int i = t->answered.request[1] != NULL ? 1 : 0;
  GError *error = NULL;
  journal_done(es_raca_store_confirm(raca->store, X509_get0_serialNumber(t->cert), wall_now(raca),
                                     t->answered.request[i], t->answered.response[i], &error),
               error);
  /* The answers are needed for confirm-wait only: dropped now and then, so a long-running
   * serve keeps about 2 KB per certificate fewer. */
  if (raca->stats.confirmed % 1024 == 0) {
    error = NULL;
    journal_done(es_raca_store_forget_answers(raca->store,
                                              wall_now(raca) - raca->config.confirm_wait_s, &error),
                 error);
  }
}

void es_raca_journal_seen(EsRaca *raca, GBytes *id, GBytes *nonce, gint64 message_time)
{
  if (raca->store == NULL)
    return;
  GError *error = NULL;
  journal_done(es_raca_store_add_seen(raca->store, id, nonce, message_time, &error), error);
  /* Past the window a request is refused for its messageTime alone: dropped now and then. */
  if (++raca->seen_journaled % 1024 == 0) {
    error = NULL;
    journal_done(es_raca_store_forget_seen(raca->store, seen_horizon(raca), &error), error);
  }
}

void es_raca_journal_revoked(EsRaca *raca, X509 *cert, EsRacaRevokeCause cause, int reason,
                             gint64 when)
{
  if (raca->store == NULL)
    return;
  GError *error = NULL;
  journal_done(es_raca_store_revoke(raca->store, X509_get0_serialNumber(cert), reason,
                                    es_raca_revoke_cause_name(cause), when, es_raca_now_s(raca),
                                    wall_now_us(raca), &error),
               error);
}

/* Restore. */

typedef struct {
  EsRaca *raca;
  GPtrArray *pending;  /* Pending*: resumed once the database is read */
  gboolean failed;
} Restore;

typedef struct {
  X509 *cert;
  char *replaces;
  GBytes *transaction_id, *sender_nonce;
  GBytes *request, *response;  /* the opening request and the response that carried cert */
  X509 *client;
  int request_type;
  double deadline;
} Pending;

static void pending_free(Pending *p)
{
  X509_free(p->cert);
  X509_free(p->client);
  if (p->request != NULL)
    g_bytes_unref(p->request);
  if (p->response != NULL)
    g_bytes_unref(p->response);
  g_free(p->replaces);
  if (p->transaction_id != NULL)
    g_bytes_unref(p->transaction_id);
  if (p->sender_nonce != NULL)
    g_bytes_unref(p->sender_nonce);
  g_free(p);
}

static void restore_revocation(void *arg, const EsStoredRevocation *r)
{
  Restore *rs = arg;
  BIGNUM *bn = NULL;
  ASN1_INTEGER *serial = BN_hex2bn(&bn, r->serial) > 0 ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
  if (serial == NULL || !es_ca_revoke(rs->raca->ca, serial, (EsRevokeReason)r->reason, r->when))
    rs->failed = TRUE;
  ASN1_INTEGER_free(serial);
  BN_free(bn);
}

static void restore_seen(void *arg, GBytes *transaction_id, GBytes *sender_nonce,
                         gint64 message_time)
{
  es_raca_remember_request(arg, transaction_id, sender_nonce, message_time);
}

static void restore_cert(void *arg, const EsStoredCert *c)
{
  Restore *rs = arg;
  EsRaca *raca = rs->raca;
  const unsigned char *p = c->der;
  X509 *cert = d2i_X509(NULL, &p, (long)c->der_len);
  char *serial = cert != NULL ? es_serial_hex(X509_get0_serialNumber(cert)) : NULL;
  char *subject = cert != NULL ? X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0) : NULL;
  if (serial == NULL || subject == NULL) {
    rs->failed = TRUE;
    X509_free(cert);
    g_free(serial);
    OPENSSL_free(subject);
    return;
  }
  es_raca_keep_issued(raca, g_strdup(serial), g_bytes_new(c->der, c->der_len));
  /* Its confirmation's answer, for a resend within confirm-wait whose answer the restart
   * lost (the client would take the error a stray certConf gets as a refusal). */
  double replay_s = c->confirmed_at + raca->config.confirm_wait_s - wall_now(raca);
  if (c->confirmed && c->transaction_id != NULL && c->answer_request != NULL
      && c->answer_response != NULL && replay_s > 0)
    es_raca_closed_restore(raca, c->transaction_id, c->answer_request, c->answer_response,
                           X509_get_subject_name(cert), replay_s);
  /* In order of issue, serials counting up: the last confirmed is the holder's
   * (supersede_holder keeps the larger of two). */
  if (c->confirmed)
    g_hash_table_insert(raca->holders, g_strdup(subject), g_strdup(serial));
  if (!c->confirmed && !c->revoked) {
    Pending *pd = g_new0(Pending, 1);
    pd->cert = cert;
    cert = NULL;
    pd->replaces = g_strdup(c->replaces);
    pd->transaction_id = c->transaction_id != NULL ? g_bytes_ref(c->transaction_id) : NULL;
    pd->sender_nonce = c->sender_nonce != NULL ? g_bytes_ref(c->sender_nonce) : NULL;
    pd->request_type = c->request_type;
    pd->deadline = c->deadline;
    if (c->answer_request != NULL && c->answer_response != NULL) {
      pd->request = g_bytes_ref(c->answer_request);
      pd->response = g_bytes_ref(c->answer_response);
    }
    if (c->client != NULL) {
      gsize n;
      const unsigned char *q = g_bytes_get_data(c->client, &n);
      pd->client = d2i_X509(NULL, &q, (long)n);
    }
    g_ptr_array_add(rs->pending, pd);
  }
  X509_free(cert);
  g_free(serial);
  OPENSSL_free(subject);
}

static ASN1_OCTET_STRING *octets(GBytes *b)
{
  gsize n;
  const guint8 *data = g_bytes_get_data(b, &n);
  ASN1_OCTET_STRING *s = ASN1_OCTET_STRING_new();
  if (s != NULL && !ASN1_OCTET_STRING_set(s, data, (int)n)) {
    ASN1_OCTET_STRING_free(s);
    return NULL;
  }
  return s;
}

/* The client side of enter_transaction: hands the request to the server context. */
static OSSL_CMP_MSG *to_resumed(OSSL_CMP_CTX *client, const OSSL_CMP_MSG *req)
{
  Transaction *t = OSSL_CMP_CTX_get_transfer_cb_arg(client);
  return OSSL_CMP_SRV_process_request(t->srv, req);
}

/* OpenSSL takes a certConf only in a server context whose status is "in transaction", which
 * only answering a cert request without implicitConfirm sets (there is no setter). So the
 * context answers one unprotected ir, made in-process with the RA/CA's own key and refused
 * by on_cert_request (t->resuming) before anything is issued; its IDs and nonces are then
 * replaced by the stored ones. */
static gboolean enter_transaction(EsRaca *raca, Transaction *t)
{
  OSSL_CMP_CTX *client = OSSL_CMP_CTX_new(NULL, NULL);
  EVP_PKEY *key = es_pki_get0_raca_key(raca->pki);
  X509_NAME *subject = X509_NAME_new();
  gboolean ok = client != NULL && subject != NULL
                && X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                              (const unsigned char *)"resume", -1, -1, 0)
                && OSSL_CMP_CTX_set1_subjectName(client, subject)
                && EVP_PKEY_up_ref(key) && OSSL_CMP_CTX_set0_newPkey(client, 1, key)
                && OSSL_CMP_CTX_set_option(client, OSSL_CMP_OPT_UNPROTECTED_SEND, 1)
                && OSSL_CMP_CTX_set_transfer_cb(client, to_resumed)
                && OSSL_CMP_CTX_set_transfer_cb_arg(client, t)
                && OSSL_CMP_SRV_CTX_set_accept_unprotected(t->srv, 1);
  if (client != NULL)
    es_cmp_ctx_quiet(client);
  if (ok) {
    t->resuming = TRUE;
    X509_free(OSSL_CMP_exec_IR_ses(client)); /* refused: NULL */
    t->resuming = FALSE;
    ok = OSSL_CMP_SRV_CTX_set_accept_unprotected(t->srv, 0)
         && OSSL_CMP_CTX_get_status(OSSL_CMP_SRV_CTX_get0_cmp_ctx(t->srv)) == OSSL_CMP_PKISTATUS_trans;
  }
  X509_NAME_free(subject);
  OSSL_CMP_CTX_free(client);
  ERR_clear_error();
  return ok;
}

/* A transaction that issued and awaits certConf, as the CMP server context had it after its
 * response: same transactionID, and the senderNonce the certConf must answer. */
static gboolean resume_transaction(EsRaca *raca, Pending *pd, double remaining)
{
  Transaction *t = es_raca_transaction_new(raca, pd->transaction_id, pd->request_type);
  if (t == NULL)
    return FALSE;
  OSSL_CMP_CTX *ctx = OSSL_CMP_SRV_CTX_get0_cmp_ctx(t->srv);
  if (!enter_transaction(raca, t)) {
    es_raca_transaction_free(t);
    return FALSE;
  }
  ASN1_OCTET_STRING *tid = octets(pd->transaction_id), *nonce = octets(pd->sender_nonce);
  gboolean ok = tid != NULL && nonce != NULL && OSSL_CMP_CTX_set1_transactionID(ctx, tid)
                && OSSL_CMP_CTX_set1_senderNonce(ctx, nonce);
  ASN1_OCTET_STRING_free(tid);
  ASN1_OCTET_STRING_free(nonce);
  if (!ok) {
    es_raca_transaction_free(t);
    return FALSE;
  }
  t->cert = es_x509_ref(pd->cert);
  /* Bound to its client as before the restart: its certConf must come from that certificate,
   * answering the nonce the ip carried. */
  t->client = pd->client != NULL ? es_x509_ref(pd->client) : NULL;
  t->nonce = pd->sender_nonce != NULL ? g_bytes_ref(pd->sender_nonce) : NULL;
  t->authenticated = TRUE;
  /* An ir resent because the crash lost its ip gets that ip again, not a replay refusal. */
  if (pd->request != NULL) {
    t->answered.request[0] = g_bytes_ref(pd->request);
    t->answered.response[0] = g_bytes_ref(pd->response);
  }
  GBytes *old = pd->replaces != NULL ? g_hash_table_lookup(raca->issued, pd->replaces) : NULL;
  if (old != NULL) {
    gsize n;
    const unsigned char *p = g_bytes_get_data(old, &n);
    t->old_cert = d2i_X509(NULL, &p, (long)n);
  }
  if (raca->engine != NULL)
    t->confirm_timer = es_engine_timer_add(raca->engine, remaining, es_raca_confirm_wait_expired, t);
  /* A transaction of the same ID opened since the restart cannot exist yet. */
  g_hash_table_replace(raca->transactions, t->id, t);
  return TRUE;
}

gboolean es_raca_restore(EsRaca *raca, GError **error)
{
  g_return_val_if_fail(raca->store != NULL, FALSE);
  EsRacaStore *store = raca->store;
  guint64 next = es_raca_store_get_next_serial(store);
  if (next > 0)
    es_ca_set_next_serial(raca->ca, next);
  es_ca_set_crl_number(raca->ca, es_raca_store_get_crl_number(store));
  Restore rs = {.raca = raca, .pending = g_ptr_array_new_with_free_func((GDestroyNotify)pending_free)};
  gboolean ok = es_raca_store_foreach_revocation(store, 0, restore_revocation, &rs, error)
                && es_raca_store_foreach_cert(store, 0, restore_cert, &rs, error);
  if (ok && rs.failed) {
    g_set_error(error, ES_RACA_ERROR, ES_RACA_ERROR_INTERNAL,
                "%s: a certificate or revocation in it cannot be read back",
                es_raca_store_get0_path(store));
    ok = FALSE;
  }
  ERR_clear_error();
  double now = wall_now(raca);
  GError *forget = NULL;
  es_raca_journal_begin(raca);
  es_raca_store_forget_answers(store, now - raca->config.confirm_wait_s, &forget);
  g_clear_error(&forget);
  es_raca_store_forget_seen(store, seen_horizon(raca), &forget);
  g_clear_error(&forget);
  es_raca_journal_end(raca, NULL);
  /* Replays stay refused across the restart. */
  ok = ok && es_raca_store_foreach_seen(store, restore_seen, raca, error);
  for (guint i = 0; ok && i < rs.pending->len; i++) {
    Pending *pd = g_ptr_array_index(rs.pending, i);
    double remaining = pd->deadline - now;
    /* Past confirm-wait, or never answered (the process died between issue and
     * commit cannot happen: both are one transaction): revoked now. */
    if (remaining > 0 && pd->transaction_id != NULL && pd->sender_nonce != NULL
        && resume_transaction(raca, pd, remaining))
      continue;
    ERR_clear_error();
    es_raca_revoke(raca, pd->cert, ES_RACA_REVOKED_CONFIRM_TIMEOUT, ES_REVOKE_CESSATION);
  }
  g_ptr_array_unref(rs.pending);
  if (ok && raca->store_error != NULL) {
    g_set_error(error, ES_RACA_ERROR, ES_RACA_ERROR_UNAVAILABLE, "%s",
                raca->store_error->message);
    ok = FALSE;
  }
  return ok;
}
