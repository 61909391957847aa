/* The operator RA/CA: OpenSSL's CMP server, one OSSL_CMP_SRV_CTX per in-flight transaction,
 * a service queue with K workers in engine time, confirm-wait timers and revocation. */
#ifndef ES_RACA_H
#define ES_RACA_H

#include <glib.h>
#include "es_ca.h"
#include "es_engine.h"
#include "es_pki.h"

#define ES_RACA_ERROR (es_raca_error_quark())
GQuark es_raca_error_quark(void);
typedef enum { ES_RACA_ERROR_DECODE, ES_RACA_ERROR_INTERNAL } EsRacaError;

typedef struct {
  gboolean grant_implicit;   /* grant implicitConfirm when the eNB asks */
  double confirm_wait_s;     /* revoke when no valid certConf arrives by then */
  guint workers;             /* messages processed in parallel */
  double ir_service_s;       /* modelled CPU time per ir (verify, issue, sign the ip) */
  double certconf_service_s; /* per certConf (and any other request) */
  gint64 epoch;              /* wall-clock seconds of engine time 0, for certificate dates */
  gint64 cert_validity_s;
  guint64 seed;              /* its randomness stream in a simulated run */
} EsRacaConfig;

/* Why a certificate was revoked, beyond the RFC 5280 code. */
typedef enum {
  ES_RACA_REVOKED_CERTCONF_FAILED,  /* certConf did not authenticate */
  ES_RACA_REVOKED_REJECTED,         /* the eNB rejected the certificate in certConf */
  ES_RACA_REVOKED_CONFIRM_TIMEOUT,  /* no certConf within the confirm-wait time */
} EsRacaRevokeCause;
const char *es_raca_revoke_cause_name(EsRacaRevokeCause cause);

typedef struct {
  /* A certificate was issued (subject is its subject's one-line form). */
  void (*issued)(void *arg, X509 *cert, double t);
  void (*revoked)(void *arg, X509 *cert, EsRacaRevokeCause cause, double t);
} EsRacaObserver;

typedef struct EsRaca EsRaca;

/* Holds a reference to `pki` (not copied: it must outlive the RA/CA). `engine` may be NULL
 * for synchronous use through es_raca_process (no queue, no confirm-wait timers). */
EsRaca *es_raca_new(const EsRacaConfig *config, const EsPki *pki, EsEngine *engine,
                    GError **error);
/* Frees every open transaction (their certificates stay issued). */
void es_raca_free(EsRaca *raca);
void es_raca_set_observer(EsRaca *raca, const EsRacaObserver *observer, void *arg);

/* Serves RA/CA `index` of the engine: requests queue for a worker, are processed after their
 * service time, and answered over HTTP. */
void es_raca_attach(EsRaca *raca, guint index);

/* One DER request in, one DER response out (a CMP error message for anything the CMP server
 * rejects). NULL only when no CMP response can be made (undecodable input), with an error. */
GBytes *es_raca_process(EsRaca *raca, const guint8 *der, gsize len, GError **error);

/* Revokes, for confirm timeout, every transaction still waiting for its certConf: the end
 * of a run, or a synchronous test. */
void es_raca_expire_all(EsRaca *raca);

EsCa *es_raca_get0_ca(EsRaca *raca);
/* A CRL signed by the operator CA, dated now. */
X509_CRL *es_raca_get1_crl(EsRaca *raca, gint64 validity_s, GError **error);

typedef struct {
  guint64 requests, issued, revoked, confirmed, errors, duplicates;
  guint open_transactions;
  guint max_queue;
  double busy_s; /* summed service time */
} EsRacaStats;
void es_raca_get_stats(const EsRaca *raca, EsRacaStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsRaca, es_raca_free)

#endif
