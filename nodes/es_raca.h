/* The operator RA/CA: OpenSSL's CMP server, one OSSL_CMP_SRV_CTX per in-flight transaction,
 * a service queue with K workers in engine time, confirm-wait timers, key update and revocation. */
#ifndef ES_RACA_H
#define ES_RACA_H

#include <glib.h>
#include "pki/es_ca.h"
#include "nodes/es_engine.h"
#include "pki/es_pki.h"
#include "nodes/es_service.h"

#define ES_RACA_ERROR (es_raca_error_quark())
GQuark es_raca_error_quark(void);
typedef enum { ES_RACA_ERROR_DECODE, ES_RACA_ERROR_INTERNAL } EsRacaError;

typedef struct {
  gboolean grant_implicit;   /* grant implicitConfirm when the eNB asks */
  double confirm_wait_s;     /* revoke when no valid certConf arrives by then */
  guint workers;             /* messages processed in parallel */
  guint queue_limit;         /* requests that may wait for a worker; 0: no limit. A request
                              * beyond it is answered 503 with Retry-After */
  guint retry_after_s;       /* the Retry-After of that answer */
  EsServiceDist service_dist;/* service times fixed, or exponential with these means: */
  double ir_service_s;       /* modelled CPU time per ir, cr, p10cr (verify, issue, sign the ip) */
  double kur_service_s;      /* per kur */
  double certconf_service_s; /* per certConf (and any request not named here) */
  double rr_service_s;       /* per rr */
  gint64 epoch;              /* wall-clock seconds of engine time 0, for certificate dates */
  double epoch_fraction;     /* its sub-second part in [0, 1): 0 in a simulation; the live
                              * engine starts between two wall-clock seconds */
  gint64 cert_validity_s;
  guint64 seed;              /* its randomness stream in a simulated run */
  gboolean keep_superseded;  /* FALSE: a confirmed kur, or a confirmed ir/cr/p10cr for a subject
                              * that already holds a certificate from this RA/CA, revokes the
                              * certificate it replaces (superseded) */
  EsCa *ca;                  /* the CA to issue from, up-ref'd: RA/CAs of one run share it (one
                              * serial counter, one CRL); NULL: a CA of its own over the
                              * operator root of `pki` */
} EsRacaConfig;

/* Why a certificate was revoked, beyond the RFC 5280 code. */
typedef enum {
  ES_RACA_REVOKED_CERTCONF_FAILED,  /* certConf did not authenticate */
  ES_RACA_REVOKED_REJECTED,         /* the eNB rejected the certificate in certConf */
  ES_RACA_REVOKED_CONFIRM_TIMEOUT,  /* no certConf within the confirm-wait time */
  ES_RACA_REVOKED_REQUESTED,        /* its holder asked, with an rr signed by its key */
  ES_RACA_REVOKED_SUPERSEDED,       /* a confirmed kur or re-enrolment of its subject replaced it */
} EsRacaRevokeCause;
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
} EsRacaEvent;

typedef struct {
  /* A certificate was issued. */
  void (*issued)(void *arg, X509 *cert, double t);
  void (*revoked)(void *arg, X509 *cert, EsRacaRevokeCause cause, double t);
  /* Optional: the service queue of RA/CA `raca` changed (requests waiting for a worker,
   * workers busy), for queue-over-time results. */
  void (*queue_changed)(void *arg, guint raca, guint waiting, guint busy, double t);
  /* Optional: a resent request was answered from the cache; `subject` (borrowed) is that of
   * the certificate its transaction issued, NULL when it issued none. */
  void (*duplicate)(void *arg, const X509_NAME *subject, double t);
} EsRacaObserver;
typedef void (*EsRacaEventFn)(void *arg, const EsRacaEvent *event);

typedef struct EsRaca EsRaca;

/* Holds a reference to `pki` (not copied: it must outlive the RA/CA). `engine` may be NULL
 * for synchronous use through es_raca_process (no queue, no confirm-wait timers). */
EsRaca *es_raca_new(const EsRacaConfig *config, const EsPki *pki, EsEngine *engine,
                    GError **error);
/* Frees every open transaction (their certificates stay issued). */
void es_raca_free(EsRaca *raca);
void es_raca_set_observer(EsRaca *raca, const EsRacaObserver *observer, void *arg);
/* Also reports every issue and revocation with its details (for logs), after the observer. */
void es_raca_set_event_cb(EsRaca *raca, EsRacaEventFn fn, void *arg);

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

/* Revokes, for confirm timeout, every transaction still waiting for its certConf: the end
 * of a run, or a synchronous test. */
void es_raca_expire_all(EsRaca *raca);

EsCa *es_raca_get0_ca(EsRaca *raca);
/* A CRL signed by the operator CA, dated now. */
X509_CRL *es_raca_get1_crl(EsRaca *raca, gint64 validity_s, GError **error);

typedef struct {
  guint64 requests, issued, revoked, confirmed, errors;
  guint64 duplicates;    /* resent requests answered from the cache, never processed twice */
  guint64 busy;          /* requests refused with 503 because the queue was full */
  guint64 renewed;       /* kur transactions confirmed */
  guint64 revoked_on_request; /* rr accepted */
  guint open_transactions;
  guint max_queue;
  double busy_s; /* summed service time */
  double wait_mean_s, wait_max_s; /* queueing delay before a worker took the request */
} EsRacaStats;
void es_raca_get_stats(const EsRaca *raca, EsRacaStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsRaca, es_raca_free)

#endif
