/* The RA/CA's guard (es_raca.c calls it before a request reaches OpenSSL's CMP server):
 * which client a transaction is bound to, and which opening requests are replays. */
#include "nodes/es_raca_priv.h"

#include <math.h>
#include <string.h>

#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "nodes/es_cmp.h"
#include "pki/es_rand.h"
#include "pki/es_sigcache.h"

/* Requests seen, for replay refusal: a transactionID or senderNonce stays refused until its
 * request's messageTime is older than the window, after which the window alone refuses it. */
typedef struct {
  GBytes *id, *nonce;
  gint64 forget;
} Seen;

static void seen_free(Seen *seen)
{
  g_bytes_unref(seen->id);
  g_bytes_unref(seen->nonce);
  g_free(seen);
}

void es_raca_seen_init(EsRaca *raca)
{
  raca->seen_ids = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
                                         (GDestroyNotify)g_bytes_unref, g_free);
  raca->seen_nonces = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
                                            (GDestroyNotify)g_bytes_unref, g_free);
  raca->seen_order = g_queue_new();
}

void es_raca_seen_clear(EsRaca *raca)
{
  if (raca->seen_order != NULL)
    g_queue_free_full(raca->seen_order, (GDestroyNotify)seen_free);
  if (raca->seen_ids != NULL)
    g_hash_table_destroy(raca->seen_ids);
  if (raca->seen_nonces != NULL)
    g_hash_table_destroy(raca->seen_nonces);
}

/* FALSE when the table held it that long already. */
static gboolean seen_put(GHashTable *table, GBytes *key, gint64 forget)
{
  gint64 *old = g_hash_table_lookup(table, key);
  if (old != NULL && *old >= forget)
    return FALSE;
  g_hash_table_replace(table, g_bytes_ref(key), g_memdup2(&forget, sizeof forget));
  return TRUE;
}

static void seen_drop(GHashTable *table, GBytes *key, gint64 forget)
{
  gint64 *at = g_hash_table_lookup(table, key);
  if (at != NULL && *at <= forget)
    g_hash_table_remove(table, key);
}

static void forget_old_requests(EsRaca *raca, gint64 now)
{
  Seen *head;
  while ((head = g_queue_peek_head(raca->seen_order)) != NULL && head->forget < now) {
    g_queue_pop_head(raca->seen_order);
    seen_drop(raca->seen_ids, head->id, head->forget);
    seen_drop(raca->seen_nonces, head->nonce, head->forget);
    seen_free(head);
  }
}

void es_raca_remember_request(EsRaca *raca, GBytes *id, GBytes *nonce, gint64 message_time)
{
  gint64 forget = message_time + (gint64)ceil(raca->config.message_time_window_s);
  gboolean new_id = seen_put(raca->seen_ids, id, forget);
  gboolean new_nonce = seen_put(raca->seen_nonces, nonce, forget);
  if (!new_id && !new_nonce)
    return; /* told twice (RA/CAs that share what they saw) */
  Seen *seen = g_new0(Seen, 1);
  seen->id = g_bytes_ref(id);
  seen->nonce = g_bytes_ref(nonce);
  seen->forget = forget;
  g_queue_push_tail(raca->seen_order, seen);
}

GBytes *es_raca_slice(const guint8 *data, gsize len)
{
  return g_bytes_new(data, data != NULL ? len : 0);
}

static gboolean slice_equal(GBytes *b, const guint8 *data, gsize len)
{
  gsize n;
  const guint8 *d = b != NULL ? g_bytes_get_data(b, &n) : NULL;
  return d != NULL && data != NULL && n == len && memcmp(d, data, len) == 0;
}

/* A message of an open transaction comes from its client: the same sender, answering the
 * nonce we sent last, signed with the key of the certificate that opened the transaction
 * (signature checked with that certificate alone, the way a kur's is). Cheapest check first. */
const char *es_raca_unbound_why(Transaction *t, const OSSL_CMP_MSG *req, const EsCmpHeader *h)
{
  if (t->client == NULL)
    return "transaction has no authenticated client";
  X509_NAME *sender = es_cmp_header_get1_sender_name(h);
  gboolean same = sender != NULL && X509_NAME_cmp(sender, X509_get_subject_name(t->client)) == 0;
  X509_NAME_free(sender);
  if (!same)
    return "sender is not this transaction's client";
  if (!slice_equal(t->nonce, h->recip_nonce, h->recip_nonce_len))
    return "recipNonce is not the senderNonce of our last message";
  OSSL_CMP_CTX *pinned = OSSL_CMP_CTX_new(NULL, NULL);
  gboolean valid = FALSE;
  EsRand *prev = es_rand_set_current(t->raca->check_rand);
  if (pinned != NULL) {
    es_cmp_ctx_quiet(pinned);
    /* OpenSSL's server verifies this very signature again when it takes the message: a
     * success here answers it (es_sigcache.h). */
    gboolean was = es_sigcache_set_recording(TRUE);
    valid = OSSL_CMP_CTX_set1_srvCert(pinned, t->client) && OSSL_CMP_validate_msg(pinned, req) == 1;
    es_sigcache_set_recording(was);
  }
  es_rand_set_current(prev);
  OSSL_CMP_CTX_free(pinned);
  ERR_clear_error();
  return valid ? NULL : "not signed by this transaction's client";
}

/* The certificate that signed the request the library just took for authentic: of those it
 * learned from the request (and earlier ones), the one named as sender whose key verifies. */
X509 *es_raca_find_client(Transaction *t, const OSSL_CMP_MSG *req, const EsCmpHeader *h)
{
  if (t->via_ra)
    return es_x509_ref(es_pki_get0_raca_cert(t->raca->pki)); /* pinned in es_raca_cmp.c */
  if (t->old_cert != NULL)
    return es_x509_ref(t->old_cert); /* a kur: signed by the very certificate it names */
  X509_NAME *sender = es_cmp_header_get1_sender_name(h);
  STACK_OF(X509) *candidates = OSSL_CMP_CTX_get0_untrusted(OSSL_CMP_SRV_CTX_get0_cmp_ctx(t->srv));
  X509 *found = NULL;
  EsRand *prev = es_rand_set_current(t->raca->check_rand);
  for (int i = 0; sender != NULL && found == NULL && i < sk_X509_num(candidates); i++) {
    X509 *c = sk_X509_value(candidates, i);
    if (X509_NAME_cmp(X509_get_subject_name(c), sender) != 0)
      continue;
    OSSL_CMP_CTX *pinned = OSSL_CMP_CTX_new(NULL, NULL);
    if (pinned != NULL) {
      es_cmp_ctx_quiet(pinned);
      if (OSSL_CMP_CTX_set1_srvCert(pinned, c) && OSSL_CMP_validate_msg(pinned, req) == 1)
        found = es_x509_ref(c);
    }
    OSSL_CMP_CTX_free(pinned);
  }
  es_rand_set_current(prev);
  X509_NAME_free(sender);
  ERR_clear_error();
  return found;
}

/* An opening request that is not fresh: its transactionID or senderNonce seen before, or its
 * messageTime (required) too far from when it arrived. NULL when fresh. */
const char *es_raca_stale_why(EsRaca *raca, const EsCmpHeader *h, gint64 arrived, int *failure)
{
  forget_old_requests(raca, es_raca_wall_now(raca));
  double window = raca->config.message_time_window_s;
  *failure = OSSL_CMP_PKIFAILUREINFO_badTime;
  if (!h->has_message_time)
    return "messageTime missing";
  if (fabs((double)(h->message_time - arrived)) > window)
    return "messageTime outside the accepted window";
  GBytes *id = es_raca_slice(h->transaction_id, h->transaction_id_len);
  GBytes *nonce = es_raca_slice(h->sender_nonce, h->sender_nonce_len);
  const char *why = NULL;
  if (h->transaction_id == NULL) {
    *failure = OSSL_CMP_PKIFAILUREINFO_badRequest;
    why = "transactionID missing"; /* no transaction could hold what it asks for */
  } else if (g_hash_table_contains(raca->seen_ids, id)) {
    *failure = OSSL_CMP_PKIFAILUREINFO_transactionIdInUse;
    why = "transactionID seen before";
  } else if (h->sender_nonce == NULL || g_hash_table_contains(raca->seen_nonces, nonce)) {
    *failure = OSSL_CMP_PKIFAILUREINFO_badSenderNonce;
    why = h->sender_nonce == NULL ? "senderNonce missing" : "senderNonce seen before";
  }
  g_bytes_unref(id);
  g_bytes_unref(nonce);
  return why;
}
