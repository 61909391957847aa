/* What the RA/CA's files share: its state and its transactions. es_raca.c: a request's way
 * through, transactions, timers, caches; es_raca_cmp.c: the plug-in of OpenSSL's CMP server
 * (issue, revoke on request, take a certConf); es_raca_guard.c: client binding and replay
 * refusal; es_raca_queue.c: the service queue and the engine; es_raca_poll.c: approval delay,
 * `waiting` and pollReq; es_raca_durable.c and
 * es_raca_store.c: the state serve keeps in SQLite. Private to nodes/. */
#ifndef ES_RACA_PRIV_H
#define ES_RACA_PRIV_H

#include "nodes/es_raca.h"

#include <openssl/cmp.h>

#include "nodes/es_cmp.h"
#include "nodes/es_predecode.h"
#include "pki/es_rand.h"

typedef struct Transaction Transaction;
typedef struct Upstream Upstream; /* an RA's request to its CA (es_raca_forward.c) */

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
  GHashTable *issued;           /* serial (hex) -> DER of every certificate issued, or
                                 * revoked_der once it is revoked */
  GBytes *revoked_der;          /* empty: a revoked certificate is never renewed, revoked or
                                 * superseded again, so its bytes are let go */
  GHashTable *holders;          /* subject (one line) -> serial (hex) of its last confirmed
                                 * certificate: a re-enrolment of that subject supersedes it */
  STACK_OF(X509) *extra_out;    /* the cross certificate, sent after our own certificate */
  STACK_OF(X509) *operator_extra_out; /* the same without it, for operator transactions */
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
  EsPredecode *predecode;       /* messages decoded beside the loop, or NULL */
  EsRacaStore *store;           /* durable state (serve), or NULL (a simulation) */
  guint journal_depth;
  guint64 seen_journaled;       /* requests remembered in the store, to forget old ones */
  GError *store_error;          /* the commit that failed: answers 503 from then on */
  EsRand *approval_rand;        /* approval delays (ES_STREAM_RACA_APPROVAL) */
  double hold_s;                /* set while a request is processed: hold its answer this long */
  GHashTable *held;             /* Job -> itself: answers held back (raca.poll_threshold) */
  guint backlog;                /* transactions answered `waiting`, their certificate not made */
  GHashTable *upstreams;        /* raca.upstream: the eNB's transactionID (GBytes) -> Upstream */
  EsRand *upstream_rand;        /* their randomness (ES_STREAM_RACA_UPSTREAM) */
  gboolean rolled;              /* es_raca_roll_over: signs, issues and publishes caPubs
                                 * under the pki's next root */
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
  gboolean approved;            /* its approval delay was drawn (es_raca_poll.c) */
  OSSL_CMP_MSG *waiting_req;    /* the certificate request answered `waiting`, until a pollReq
                                 * after ready_s hands it back to the library to be issued */
  int cert_req_id;              /* of that request: what a pollReq must name */
  double ready_s;               /* engine time the approval is over */
  double last_poll_rep_s;       /* engine time of our last pollRep (NAN: none yet) */
  gboolean via_ra;              /* opened by an RA's request on an eNB's behalf: protected by the
                                 * RA's certificate, its POP raVerified */
  int rejected_cause;           /* EsRacaRevokeCause of a rejection in its certConf: an RA says
                                 * why its eNB did not take the certificate */
  gboolean probe;               /* raca.upstream: a context that only checks a request before
                                 * it is forwarded; it answers nothing ... */
  Upstream *probed;             /* ... and leaves the request it started here */
  gboolean resuming;            /* restored after a restart: the cert request that re-enters
                                 * the transaction is refused (es_raca_durable.c) */
  Answered answered;
};

typedef struct {
  EsRaca *raca;
  EsExchange *exchange;
  GBytes *request;
  gint64 arrived;               /* wall-clock seconds: what a messageTime is held against */
  double hold_s;                /* its answer is held back this long (raca.poll_threshold) */
  guint64 timer;                /* ... by this timer */
  gboolean processed;           /* minimum_service: processed when its service began; */
  GBytes *response;             /* its answer then, or */
  GError *error;                /* why there is none */
  int parked;                   /* raca.upstream: 0 never, 1 waiting for the CA's answer (at
                                 * most raca.poll_threshold), 2 released */
  gboolean serving;             /* minimum_service: its service time is not over */
  Upstream *upstream;           /* what it is parked on */
} Job;

/* A GError carrying OpenSSL's error queue (which it clears). */
/* A transaction opened by a request of body `type`, with its CMP server context; NULL
 * when OpenSSL has no memory for it. */
Transaction *es_raca_transaction_new(EsRaca *raca, GBytes *id, int type);
void es_raca_transaction_free(Transaction *t);
/* A confirmed certificate becomes its subject's; of two confirmed for one subject the older
 * is revoked as superseded (es_raca_cmp.c: policy). */
void es_raca_supersede_holder(EsRaca *raca, X509 *cert);
/* Revokes on the shared CA and reports it (once). */
gboolean es_raca_revoke(EsRaca *raca, X509 *cert, EsRacaRevokeCause cause, int reason);
/* Engine time, and whole wall-clock seconds then. */
double es_raca_now_s(EsRaca *raca);
/* Sets or clears t->waiting_req (NULL), keeping raca->backlog and the observer up to date. */
void es_raca_set_waiting(Transaction *t, OSSL_CMP_MSG *req);
gint64 es_raca_wall_now(EsRaca *raca);

/* The journal of durable state (es_raca_durable.c); each is a no-op without a store. Writes
 * between begin and end are one SQLite transaction (nested pairs join it); end commits at
 * the outermost level, tells the observer (settled) and returns FALSE when the commit failed. */
void es_raca_journal_begin(EsRaca *raca);
gboolean es_raca_journal_end(EsRaca *raca, GError **error);
/* Keeps for a later kur or rr naming `serial` (taken) the certificate's DER `der` (taken); with
 * NULL, for a certificate this RA/CA issued and has revoked, only that it was issued. */
void es_raca_keep_issued(EsRaca *raca, char *serial, GBytes *der);
void es_raca_journal_issued(EsRaca *raca, X509 *cert, int request, X509 *replaced);
/* The response `out` carried t->cert and awaits its certConf until confirm-wait ends. */
void es_raca_journal_pending(EsRaca *raca, Transaction *t, GBytes *out);
/* t->cert confirmed by t's latest request (certConf, or an ir granted implicitConfirm). */
void es_raca_journal_confirmed(EsRaca *raca, Transaction *t);
void es_raca_journal_revoked(EsRaca *raca, X509 *cert, EsRacaRevokeCause cause, int reason,
                             gint64 when);
/* A request the replay refusal remembers (es_raca_remember_request restores it). */
void es_raca_journal_seen(EsRaca *raca, GBytes *id, GBytes *nonce, gint64 message_time);
/* An ended transaction's last answer, restored after a restart: a resend of `request` (whose
 * response the crash lost) gets `response` again for the remaining confirm-wait (es_raca.c). */
void es_raca_closed_restore(EsRaca *raca, GBytes *id, GBytes *request, GBytes *response,
                            const X509_NAME *subject, double remaining_s);
/* Revokes a certificate whose certConf never came in time (es_raca.c). */
void es_raca_confirm_wait_expired(void *transaction);

/* es_raca_process for a request that arrived at `arrived` (wall-clock seconds; its
 * messageTime is judged against that, so queueing never counts). */
GBytes *es_raca_process_arrived(EsRaca *raca, const guint8 *der, gsize len, gint64 arrived,
                                GError **error);

/* The service queue (es_raca_queue.c): a job processed after its service time, the queue's
 * changes, and a job freed unprocessed. */
void es_raca_job_done(void *raca, void *job);
void es_raca_queue_changed(void *raca, guint waiting, guint busy, double t);
void es_raca_job_free(Job *job);
void es_raca_job_started(void *raca, void *job);

/* Delayed delivery (es_raca_poll.c). Called by the certificate request callback once the
 * request is found acceptable: FALSE to issue now (after holding the answer back for a short
 * approval delay), TRUE with `*waiting` the status to answer instead, the request kept for
 * the pollReq that finds the approval over. */
gboolean es_raca_approval(Transaction *t, const OSSL_CMP_MSG *req, int cert_req_id,
                          OSSL_CMP_PKISI **waiting);
/* OpenSSL's pollReq callback (OSSL_CMP_SRV_pollReq_cb_t). */
int es_raca_on_poll_req(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int cert_req_id,
                        OSSL_CMP_MSG **cert_req, int64_t *check_after);
/* A `waiting` or pollRep went out: the transaction waits for the next pollReq, and ends
 * (es_raca_confirm_wait_expired) when none comes in time. */
void es_raca_poll_wait(Transaction *t);
/* Held answers: released by their timers, or freed unanswered with the RA/CA. */
void es_raca_held_clear(EsRaca *raca);

/* The RA of a split PKI (es_raca_forward.c). */
void es_raca_forward_init(EsRaca *raca);
/* Ends every request to the CA (their sessions finish without it) and frees parked jobs. */
void es_raca_forward_clear(EsRaca *raca);
/* Before a job is processed: TRUE when it was parked, an opening certificate request that
 * authenticated and went on to the CA, whose answer it waits for; it is processed (and
 * answered) once the CA answered or raca.poll_threshold passed. */
gboolean es_raca_forward_park(EsRaca *raca, Job *job);
/* The certificate request callback once the request is acceptable: FALSE when the CA's
 * certificate is here (es_raca_forward_get1_cert), TRUE with `*status` to answer instead:
 * `waiting` until the CA answers, or its refusal. Takes nothing. */
gboolean es_raca_forward(Transaction *t, const OSSL_CMP_MSG *req, int cert_req_id, int type,
                         const X509_NAME *subject, EVP_PKEY *pubkey, X509 *old,
                         OSSL_CMP_PKISI **status);
X509 *es_raca_forward_get1_cert(Transaction *t);
/* Whether a pollReq finds the CA's answer here. */
gboolean es_raca_forward_ready(Transaction *t);
/* The eNB's transaction ended: confirmed (`cause` -1), or not, for `cause`; the RA's certConf
 * tells the CA, which revokes what the eNB did not take. */
void es_raca_forward_end(Transaction *t, int cause);
/* A new transaction whose request came from an RA (its sender the RA's name) trusts the
 * operator root, where the RA's certificate chains, and accepts POP raVerified. */
void es_raca_trust_sender(Transaction *t, const EsCmpHeader *h);
/* How long `t` waits for its certConf: an RA's carries its eNB's verdict, which can take the
 * RA's own confirm-wait after polling for as long, so it is given twice that plus a checkAfter
 * (the CA takes the RAs' keys for its own). */
double es_raca_confirm_wait_s(const Transaction *t);
/* Whether the request that opened `t` is protected by the RA certificate this CA knows. */
gboolean es_raca_signed_by_ra(Transaction *t, const OSSL_CMP_MSG *req);

/* Operator-root rollover (es_raca_rollover.c): OpenSSL's genm callback, answering a
 * rootCaKeyUpdate; the certificate that signs the RA/CA's messages, the root it issues under,
 * and whether `issuer` names one of its roots. */
int es_raca_on_genm(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req,
                    const STACK_OF(OSSL_CMP_ITAV) *in, STACK_OF(OSSL_CMP_ITAV) **out);
X509 *es_raca_signer(const EsRaca *raca);
X509 *es_raca_issuing_root(const EsRaca *raca);
gboolean es_raca_is_own_root(const EsRaca *raca, const X509_NAME *issuer);

/* The guard (es_raca_guard.c). The requests seen: set up, freed, and remembered (as
 * es_raca_remember_request does). */
void es_raca_seen_init(EsRaca *raca);
void es_raca_seen_clear(EsRaca *raca);
/* A copy of a header field (data NULL: empty). */
GBytes *es_raca_slice(const guint8 *data, gsize len);
/* Why a message may not continue open transaction `t` (not from its client, not answering our
 * last nonce, not signed by the client's certificate), or NULL when it may. */
const char *es_raca_unbound_why(Transaction *t, const OSSL_CMP_MSG *req, const EsCmpHeader *h);
/* The certificate that signed the opening request the library just took for authentic. */
X509 *es_raca_find_client(Transaction *t, const OSSL_CMP_MSG *req, const EsCmpHeader *h);
/* Why an opening request that arrived at `arrived` (wall-clock seconds) is a replay or stale,
 * with its failInfo bit in `failure`; NULL when fresh. */
const char *es_raca_stale_why(EsRaca *raca, const EsCmpHeader *h, gint64 arrived, int *failure);

#endif
