/* The operator RA/CA: OpenSSL's CMP server, one OSSL_CMP_SRV_CTX per in-flight transaction,
 * a service queue with K workers in engine time, confirm-wait timers, key update and revocation. */
#ifndef ES_RACA_H
#define ES_RACA_H

#include <glib.h>
#include "config/es_config.h"
#include "config/es_link.h"
#include "pki/es_ca.h"
#include "nodes/es_engine.h"
#include "pki/es_pki.h"
#include "nodes/es_service.h"
#include "nodes/es_raca_store.h"

#define ES_RACA_ERROR (es_raca_error_quark())
GQuark es_raca_error_quark(void);
typedef enum {
  ES_RACA_ERROR_DECODE,
  ES_RACA_ERROR_INTERNAL,
  ES_RACA_ERROR_UNAVAILABLE, /* its state store failed: nothing it answers could be recorded */
} EsRacaError;

/* The fields marked with a key are the [raca] section of a scenario (es_raca_config_keys,
 * defaults by es_raca_config_init); the others are facts of the run that uses the RA/CA. */
typedef struct {
  gboolean grant_implicit;   /* raca.confirm      explicit: grant implicitConfirm when asked */
  double confirm_wait_s;     /* raca.confirm_wait 60s: revoke when no valid certConf arrives by
                              * then (covers an eNB resending its certConf) */
  guint workers;             /* raca.workers      2: messages processed in parallel */
  guint queue_limit;         /* raca.queue_limit  0 (none): requests that may wait for a worker;
                              * one beyond it is answered 503 with Retry-After */
  double retry_after_s;      /* raca.retry_after  2s: that 503's Retry-After (whole seconds,
                              * rounded up) */
  EsServiceDist service_dist;/* raca.service      fixed: service times fixed, or exponential
                              * with these means: */
  double ir_service_s;       /* raca.ir_service   1ms: per ir, cr, p10cr (verify, issue, sign) */
  double kur_service_s;      /* raca.kur_service  1ms */
  double certconf_service_s; /* raca.certconf_service 0.5ms: per certConf (and any other) */
  double rr_service_s;       /* raca.rr_service   0.5ms */
  double crl_validity_s;     /* raca.crl_validity 3650d: a CRL's nextUpdate - thisUpdate */
  double crl_interval_s;     /* raca.crl_interval 0s: the run publishes one CRL at its end;
                              * else one every interval of engine time and one at the end */
  gboolean keep_superseded;  /* raca.keep_superseded false: a confirmed kur, or a confirmed
                              * ir/cr/p10cr for a subject that already holds a certificate from
                              * this RA/CA, revokes the certificate it replaces (superseded) */
  gboolean cross;            /* raca.cross        true; false: the run's RA/CAs lack the cross
                              * certificate (late-binding misconfiguration) */
  gboolean harden;           /* raca.harden       true: a message affects a transaction only
                              * once it authenticated as that transaction's client (its sender,
                              * signed by the certificate that opened it, recipNonce our last
                              * senderNonce), and a request whose transactionID or senderNonce
                              * was seen before, or whose messageTime lies outside the window,
                              * is refused; false: neither (to measure the attacks) */
  double message_time_window_s; /* raca.message_time_window 5min: a request's messageTime may
                              * differ this much from the arrival time (hardened only); seen
                              * transactionIDs and nonces are remembered this long after it */
  guint max_extra_certs;     /* raca.max_extra_certs 10: a request carrying more extraCerts ... */
  guint max_extra_certs_size;/* raca.max_extra_certs_size 65536: ... or more bytes of them is
                              * refused before anything in it is decoded or verified */
  EsServiceDist approval_dist; /* raca.approval   fixed: the CA's approval delay is fixed, or
                              * exponential with this mean: */
  double approval_delay_s;   /* raca.approval_delay 0s (none): from processing an ir, cr, p10cr
                              * or kur until its certificate may be issued */
  double poll_threshold_s;   /* raca.poll_threshold 0s: a delay up to this holds the response
                              * back that long; a longer one is answered `waiting` after it,
                              * and the client polls (pollReq) until the delay is over */
  double check_after_s;      /* raca.check_after  5s: the checkAfter of a pollRep (whole
                              * seconds, rounded up); a pollReq sooner than half of it after the
                              * last pollRep gets an error and ends the transaction */
  EsOutages *ca_outages;     /* raca.ca_outages   "": windows of engine time the CA is away
                              * ("600s+10min,..."): requests are still verified and answered,
                              * but an approval that would end inside one ends when it does,
                              * and a request made during one is answered `waiting` (an RA/CA
                              * holds its own copy) */
  /* A PKI split into RAs and CAs (topology.cas): each RA/CA is an RA, and these describe the
   * CAs behind them; approval, approval_delay and ca_outages then apply at the CAs. */
  guint ca_workers;          /* raca.ca_workers   1: requests a CA processes in parallel */
  guint ca_queue_limit;      /* raca.ca_queue_limit 1000: requests that may wait at a CA; one
                              * beyond it is answered 503 and the RA sends it again */
  double ca_service_s;       /* raca.ca_service   5ms: a CA's time per certificate request
                              * (signing in an HSM); its certConf takes raca.certconf_service */
  gint64 epoch;              /* wall-clock seconds of engine time 0, for certificate dates */
  double epoch_fraction;     /* its sub-second part in [0, 1): 0 in a simulation; the live
                              * engine starts between two wall-clock seconds */
  gint64 cert_validity_s;    /* the run: pki.cert_validity */
  guint64 seed;              /* its randomness stream in a simulated run */
  gboolean minimum_service;  /* a request is processed when a worker takes it and answered once
                              * its service time is over, so the service time is a minimum
                              * that the real CPU time is part of (live, where that time is
                              * real); FALSE: processed at the end of its service time (a
                              * simulation, where CPU time is only modelled) */
  gboolean upstream;         /* an RA in front of a CA (a topology with CAs, serve --upstream):
                              * it verifies each request as the RA/CA does, then obtains the
                              * certificate from the CA behind es_engine_upstream_open with
                              * a request of its own, and issues and revokes nothing itself */
  EsCa *ca;                  /* the CA to issue from, up-ref'd: RA/CAs of one run share it (one
                              * serial counter, one CRL); NULL: a CA of its own over the
                              * operator root of `pki` */
} EsRacaConfig;

/* The [raca] keys of EsRacaConfig, in dump order: es_config_set and es_config_check take it. */
const EsConfigSchema *es_raca_config_schema(void);
/* Every field to zero, every keyed field to its default. */
void es_raca_config_init(EsRacaConfig *config);

/* Why a certificate was revoked, beyond the RFC 5280 code. */
typedef enum {
  ES_RACA_REVOKED_CERTCONF_FAILED,  /* certConf did not authenticate */
  ES_RACA_REVOKED_REJECTED,         /* the eNB rejected the certificate in certConf */
  ES_RACA_REVOKED_CONFIRM_TIMEOUT,  /* no certConf within the confirm-wait time */
  ES_RACA_REVOKED_REQUESTED,        /* its holder asked, with an rr signed by its key */
  ES_RACA_REVOKED_SUPERSEDED,       /* a confirmed kur or re-enrolment of its subject replaced it */
  ES_RACA_REVOKED_ISSUE_FAILED,     /* issued, but no ip, cp or kup could carry it */
  ES_RACA_REVOKED_BY_OPERATOR,      /* the operator revoked it (es_raca_revoke_by_operator) */
} EsRacaRevokeCause;
#define ES_RACA_REVOKE_CAUSES (ES_RACA_REVOKED_BY_OPERATOR + 1)
const char *es_raca_revoke_cause_name(EsRacaRevokeCause cause);
/* RFC 5280 name of a CRL reason code ("unspecified", "keyCompromise", ...; "reason<N>" else). */
const char *es_raca_reason_name(int reason);

typedef enum { ES_RACA_EVENT_ISSUED, ES_RACA_EVENT_REVOKED } EsRacaEventKind;

/* One issue or revocation, with what a log wants to know about it. Pointers are borrowed for
 * the duration of the call. */
typedef struct {
  EsRacaEventKind kind;
  X509 *cert;
  int request;              /* ISSUED: body type that asked for it (ES_CMP_IR, ES_CMP_KUR...) */
  X509 *replaced;           /* ISSUED by a kur: the certificate it replaces; NULL otherwise */
  EsRacaRevokeCause cause;  /* REVOKED */
  int reason;               /* REVOKED: the RFC 5280 reason code on the CRL */
  double t;                 /* engine time */
  const guint8 *request_der;/* the request (DER) whose processing caused it; NULL for a
                             * timer (confirm-wait) or es_raca_expire_all */
  gsize request_len;
} EsRacaEvent;

typedef struct {
  /* Optional: a request authenticated; its transactionID and senderNonce (borrowed) are never
   * to be accepted again in a new request until message_time + raca.message_time_window (in
   * wall-clock seconds) has passed. A store that keeps them gives them back after a restart
   * through es_raca_remember_request. */
  void (*remember)(void *arg, GBytes *transaction_id, GBytes *sender_nonce, gint64 message_time);
  /* A certificate was issued or revoked: each once. */
  void (*event)(void *arg, const EsRacaEvent *event);
  /* Optional: the service queue of RA/CA `raca` changed (requests waiting for a worker,
   * workers busy), for queue-over-time results. */
  void (*queue_changed)(void *arg, guint raca, guint waiting, guint busy, double t);
  /* Optional: the CA's backlog at RA/CA `raca` changed: `waiting` requests answered `waiting`
   * whose certificate is not made yet (delayed delivery). */
  void (*backlog_changed)(void *arg, guint raca, guint waiting, double t);
  /* Optional: a resent request was answered from the cache; `subject` (borrowed) is that of
   * the certificate its transaction issued, NULL when it issued none. */
  void (*duplicate)(void *arg, const X509_NAME *subject, double t);
  /* Optional: the events reported since the last call are durable in the RA/CA's store
   * (`durable`), or were rolled back with the request that caused them (the store failed and
   * the request is answered 503); called before any response leaves. */
  void (*settled)(void *arg, gboolean durable);
} EsRacaObserver;

typedef struct EsRaca EsRaca;

/* Holds a reference to `pki` (not copied: it must outlive the RA/CA). `engine` may be NULL
 * for synchronous use through es_raca_process (no queue, no confirm-wait timers). */
EsRaca *es_raca_new(const EsRacaConfig *config, const EsPki *pki, EsEngine *engine,
                    GError **error);
/* Frees every open transaction (their certificates stay issued). */
void es_raca_free(EsRaca *raca);
void es_raca_set_observer(EsRaca *raca, const EsRacaObserver *observer, void *arg);
/* Requests are taken from `predecode` (borrowed), and answers handed to it for their
 * receivers (es_predecode.h): the same results, decoded beside the event loop. */
typedef struct EsPredecode EsPredecode;
void es_raca_set_predecode(EsRaca *raca, EsPredecode *predecode);

/* Serves RA/CA `index` of the engine: requests queue for a worker, are processed after their
 * service time, and answered over HTTP. */
void es_raca_attach(EsRaca *raca, guint index);
/* The request handler es_raca_attach installs, an EsRequestFn with the RA/CA as `arg`: for a
 * server the engine API cannot name by RA/CA number (a rogue RA/CA on another port). */
void es_raca_on_request(void *raca, EsExchange *exchange, const char *content_type,
                        const guint8 *body, gsize len);

/* One DER request in, one DER response out (a CMP error message for anything the CMP server
 * rejects). NULL only when no CMP response can be made (undecodable input), with an error.
 * Trust depends on the request: ir, cr and p10cr must be signed by a vendor certificate
 * (vendor root only); kur and rr by the very operator certificate they name (oldCertID, or
 * the rr's certTemplate), which this RA/CA issued and has not revoked. */
GBytes *es_raca_process(EsRaca *raca, const guint8 *der, gsize len, GError **error);

/* Restores one entry of the requests seen (what EsRacaObserver.remember reported before a
 * restart): a new request with this transactionID or senderNonce is refused as a replay until
 * `message_time` is more than raca.message_time_window in the past. Copies both. */
void es_raca_remember_request(EsRaca *raca, GBytes *transaction_id, GBytes *sender_nonce,
                              gint64 message_time);

/* The operator revokes `cert` (one this RA/CA's CA issued) with RFC 5280 `reason`, outside any
 * CMP transaction: a key compromise, a vendor recall. Reported as an event, cause operator.
 * FALSE when it was revoked already or the reason is not one RFC 5280 defines. */
gboolean es_raca_revoke_by_operator(EsRaca *raca, X509 *cert, int reason);

/* Revokes, for confirm timeout, every transaction still waiting for its certConf: the end
 * of a run, or a synchronous test. */
void es_raca_expire_all(EsRaca *raca);

/* Takes `cert` as issued by this RA/CA's CA and confirmed before the run began (an installed
 * base): a kur or rr naming it is accepted, a re-enrolment of its subject supersedes it. No
 * event: it was not issued in the run. */
gboolean es_raca_adopt(EsRaca *raca, X509 *cert);

/* Operator-root rollover (RFC 4210 4.4) with the pki's next root (es_pki_add_next_root): from
 * now on the RA/CA signs with its certificate under the new root and sends newWithOld with it,
 * issues under the new key (its CA rolls over: es_ca_roll_over), puts the new root in caPubs,
 * takes kur, rr and genm from certificates of either root, and answers a genm asking for
 * rootCaKeyUpdate (RFC 9480 4.3.2) with newWithNew, newWithOld and oldWithNew; before, such a
 * genm gets the type alone (no update). FALSE when the hierarchy has no next root. */
gboolean es_raca_roll_over(EsRaca *raca, GError **error);
gboolean es_raca_is_rolled(const EsRaca *raca);

EsCa *es_raca_get0_ca(EsRaca *raca);
/* A CRL signed by the operator CA, dated now. */
X509_CRL *es_raca_get1_crl(EsRaca *raca, gint64 validity_s, GError **error);

typedef struct {
  guint64 requests, issued, revoked, confirmed, errors;
  guint64 duplicates;    /* resent requests answered from the cache, never processed twice */
  guint64 busy;          /* requests refused with 503 because the queue was full */
  guint64 renewed;       /* kur transactions confirmed */
  guint64 revoked_on_request; /* rr accepted */
  guint64 refused_unbound;  /* messages for an open transaction not from its client: refused,
                             * the transaction left as it was */
  guint64 refused_replays;  /* requests whose transactionID or senderNonce was seen before,
                             * or whose messageTime lay outside the window */
  guint64 refused_oversized;/* requests over the extraCerts caps */
  guint64 kept_certificates; /* issued certificates whose DER is kept to authenticate a later
                              * kur or rr: revoking one here lets its DER go (that it was
                              * issued stays known) */
  guint open_transactions;
  guint awaiting_confirm; /* open transactions whose certificate awaits its certConf */
  guint max_queue;
  double busy_s; /* summed service time */
  double wait_mean_s, wait_max_s; /* queueing delay before a worker took the request */
} EsRacaStats;
void es_raca_get_stats(const EsRaca *raca, EsRacaStats *stats);

/* Durable state (es_raca_durable.c), for serve. */

/* Records into `store` (borrowed: it must outlive the RA/CA) every issue, confirmation and
 * revocation: one SQLite transaction per request, committed before its response leaves; a
 * revocation on a timer commits on its own. Once a commit fails the RA/CA answers 503 to
 * every request (es_raca_get0_store_error). */
void es_raca_set_store(EsRaca *raca, EsRacaStore *store);
/* Resumes the state in the store: serial counter, CRL number and revocations into the CA,
 * every certificate for kur and rr, each subject's holder; a transaction awaiting certConf
 * gets its remaining confirm-wait and accepts its certConf as before; one past its deadline
 * is revoked (confirm_timeout) at once. Call after es_raca_set_store and the observer. */
gboolean es_raca_restore(EsRaca *raca, GError **error);
/* The write that failed, or NULL. */
const GError *es_raca_get0_store_error(const EsRaca *raca);
/* Stops issuing for a reason of the caller's (a log it cannot write): 503 from now on, as
 * after a failed commit. The first reason stays. */
void es_raca_stop_issuing(EsRaca *raca, const GError *why);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsRaca, es_raca_free)

#endif
