/* Faults a server injects into its own answers, to test real CMP clients: an HTTP 500 or 503,
 * a connection dropped before or after the request is processed, a late answer, a certConf
 * never processed. The [faults] section of a scenario, read by `serve`; draws come from the
 * run's seed. */
#ifndef ES_FAULTS_H
#define ES_FAULTS_H

#include <glib.h>
#include "config/es_config.h"
#include "nodes/es_engine.h"

/* Per request, one fault at most: the per-request shares add up to 1 at most. */
typedef struct {
  double http_500;       /* faults.http_500       0: answered 500 instead of processed */
  double http_503;       /* faults.http_503       0: answered 503 with Retry-After
                          * (raca.retry_after) instead of processed */
  double drop_before;    /* faults.drop_before    0: connection closed, request unprocessed */
  double drop_after;     /* faults.drop_after     0: processed, then the connection closed
                          * instead of answered (the client must resend; the RA/CA answers a
                          * resend from its cache and never issues twice) */
  double delay;          /* faults.delay          0: processed, answered faults.delay_time late */
  double delay_time_s;   /* faults.delay_time     2s */
  double lose_certconf;  /* faults.lose_certconf  0: per transaction: its certConfs are never
                          * processed (each closes the connection), so confirm-wait revokes
                          * its certificate */
} EsFaultsConfig;

/* The kinds, in the order a request's draw picks them (lose_certconf apart: per
 * transaction); their names are the keys' (es_faults_kind_name). */
typedef enum {
  ES_FAULT_HTTP_500,
  ES_FAULT_HTTP_503,
  ES_FAULT_DROP_BEFORE,
  ES_FAULT_DROP_AFTER,
  ES_FAULT_DELAY,
  ES_FAULT_LOSE_CERTCONF,
  ES_FAULT_KINDS
} EsFaultKind;

/* Its keys, in dump order. */
const EsConfigSchema *es_faults_config_schema(void);
void es_faults_config_init(EsFaultsConfig *config);
/* The per-request shares add up to 1 at most (ES_CONFIG_ERROR_VALUE). */
gboolean es_faults_config_check(const EsFaultsConfig *config, GError **error);
/* Any fault has a non-zero share. */
gboolean es_faults_config_any(const EsFaultsConfig *config);

/* "http_500", "http_503", "drop_before", "drop_after", "delay", "lose_certconf". */
const char *es_faults_kind_name(EsFaultKind kind);

/* ---- the decorator (es_faults.c) ---------------------------------------------------------
 * An engine in front of another (`inner`) for a server node: everything is forwarded, but
 * each request is seen first and each answer acted on. Per request one draw (es_rand of
 * `seed`, stream ES_STREAM_FAULTS) picks at most one fault with the configured shares:
 *   http_500     answered 500 text/plain, never handed to the node;
 *   http_503     answered 503 with Retry-After (es_faults_set_retry_after), never handed on;
 *   drop_before  the connection closed without an answer (es_engine_drop), never handed on;
 *   drop_after   handed on; when the node answers, the connection is closed instead;
 *   delay        handed on; its answer leaves delay_time later.
 * lose_certconf is per transaction: the first certConf of a transactionID seen draws once
 * (the same stream, after that request's draw); every certConf of a lost transaction is then
 * dropped like drop_before, so the node's confirm-wait revokes the certificate. A request
 * whose DER does not parse as a PKIMessage with a transactionID gets no per-transaction fault.
 * The last 65,536 transactions whose certConf came are remembered.
 * The same seed and the same sequence of requests give the same faults. */
typedef struct EsFaults EsFaults;

typedef struct {
  guint64 requests;              /* requests seen */
  guint64 count[ES_FAULT_KINDS]; /* faults drawn per kind; lose_certconf: certConfs dropped */
  guint64 lost_transactions;     /* transactions drawn lost (their certConfs all dropped) */
} EsFaultsStats;

/* `inner` must outlive it. Free it after the nodes that use its engine, before `inner`:
 * answers it holds back (delay) are dropped then. */
EsFaults *es_faults_new(const EsFaultsConfig *config, guint64 seed, EsEngine *inner);
void es_faults_free(EsFaults *faults);
/* The engine to hand to the node (es_raca_new). */
EsEngine *es_faults_get0_engine(EsFaults *faults);
/* Retry-After of an injected 503 (default 1 s; raca.retry_after in serve). */
void es_faults_set_retry_after(EsFaults *faults, guint retry_after_s);
void es_faults_get_stats(const EsFaults *faults, EsFaultsStats *stats);

#endif
