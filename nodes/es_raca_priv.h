/* What the RA/CA's two files share: its state, its transactions, and the plug-in of
 * OpenSSL's CMP server (es_raca_cmp.c: issue, revoke on request, take a certConf; es_raca.c:
 * queue, timers, caches, the engine). Private to nodes/. */
#ifndef ES_RACA_PRIV_H
#define ES_RACA_PRIV_H

#include "nodes/es_raca.h"

#include <openssl/cmp.h>

#include "pki/es_rand.h"

typedef struct Transaction Transaction;

/* What a transaction answered, for byte-identical resends: its opening request (an ir whose
 * ip was lost, or that TCP still delivers from a connection the eNB gave up) and its latest
 * one (a certConf whose pkiConf was lost). */
typedef struct {
  GBytes *request[2], *response[2];
} Answered;

struct EsRaca {
  EsRacaConfig config;
  const EsPki *pki;
  EsEngine *engine;
  EsCa *ca;
  X509_STORE *vendor_trust;     /* authenticates ir/cr/p10cr: the vendor root only */
  X509_STORE *operator_trust;   /* authenticates kur/rr: the operator root only */
  GHashTable *issued;           /* serial (hex) -> DER of every certificate issued */
  GHashTable *holders;          /* subject (one line) -> serial (hex) of its last confirmed
                                 * certificate: a re-enrolment of that subject supersedes it */
  STACK_OF(X509) *extra_out;    /* the cross certificate, sent after our own certificate */
  EsRand *rand;
  EsRand *check_rand;           /* for binding checks and refusals (ES_STREAM_RACA_CHECKS) */
  GHashTable *transactions;     /* transactionID (GBytes) -> Transaction */
  EsRacaObserver observer;
  void *observer_arg;
  guint index;
  EsService *service;           /* Job: the workers and their queue */
  GHashTable *closed;           /* transactionID (GBytes) -> Closed: recently ended */
  GHashTable *seen_ids;         /* transactionID (GBytes) -> gint64 wall time to forget it */
  GHashTable *seen_nonces;      /* senderNonce (GBytes) -> likewise: requests seen (harden) */
  GQueue *seen_order;           /* Seen, in the order remembered: what to forget next */
  EsRacaStats stats;
  GBytes *request;              /* borrowed while it is processed: for EsRacaEvent.request */
};

/* An ended transaction's answers, replayed to a byte-identical resend (its answer was
 * lost) until the timer forgets it. */
typedef struct {
  EsRaca *raca;
  GBytes *id;
  Answered answered;
  X509_NAME *subject;           /* of the certificate it issued, or NULL */
  guint64 timer;
} Closed;

struct Transaction {
  EsRaca *raca;
  GBytes *id;
  int type;                     /* body type of the request that opened it */
  OSSL_CMP_SRV_CTX *srv;
  X509 *cert;                   /* issued, awaiting certConf */
  X509 *old_cert;               /* kur: the certificate the new one replaces once confirmed */
  guint64 confirm_timer;
  gboolean rejected;            /* the certConf carried a rejection */
  gboolean authenticated;       /* the library took the opening request for authentic */
  X509 *client;                 /* the certificate that signed the opening request: the only
                                 * one whose messages may continue the transaction */
  GBytes *nonce;                /* the senderNonce of our last response in it */
  int refusal;                  /* a context that only refuses: this failInfo bit ... */
  const char *refusal_text;     /* ... and why (static), for any certificate request or rr */
  Answered answered;
};

typedef struct {
  EsExchange *exchange;
  GBytes *request;
  gint64 arrived;               /* wall-clock seconds: what a messageTime is held against */
} Job;

/* A GError carrying OpenSSL's error queue (which it clears). */
/* A transaction opened by a request of body `type`, with its CMP server context; NULL
 * when OpenSSL has no memory for it. */
Transaction *es_raca_transaction_new(EsRaca *raca, GBytes *id, int type);
void es_raca_transaction_free(Transaction *t);
/* Revokes on the shared CA and reports it (once). */
gboolean es_raca_revoke(EsRaca *raca, X509 *cert, EsRacaRevokeCause cause, int reason);
/* Engine time, and whole wall-clock seconds then. */
double es_raca_now_s(EsRaca *raca);
gint64 es_raca_wall_now(EsRaca *raca);

#endif
