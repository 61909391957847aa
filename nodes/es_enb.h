/* An eNB that enrols, renews (kur) and revokes (rr) its operator certificate: OpenSSL's CMP
 * client, unchanged, in a fiber whose transfer callback hands each request to the engine. */
#ifndef ES_ENB_H
#define ES_ENB_H

#include <glib.h>
#include "config/es_config.h"
#include "nodes/es_enb_roots.h"
#include "nodes/es_engine.h"
#include "nodes/es_offload.h"
#include "nodes/es_predecode.h"
#include "pki/es_pki.h"

/* What an eNB does when a response does not come in time or the connection fails. */
typedef enum {
  ES_ENB_RESEND,  /* POST the same DER again, up to max_attempts sends per message */
  ES_ENB_RESTART, /* abandon the transaction and begin a new one, up to max_attempts in all */
} EsEnbRetry;

/* Shared by all eNBs of a run; must outlive them. The fields marked with a key are the [enb]
 * section of a scenario (es_enb_config_keys, defaults by es_enb_config_init); the others are
 * facts of the run that uses the eNBs. */
typedef struct {
  EsKeyType new_key;         /* enb.key           p256: the key pair each enrolment makes */
  double keygen_s;           /* enb.keygen_time   20ms: modelled CPU time for the new key pair */
  double sign_s;             /* enb.sign_time     5ms: modelled CPU time to protect a request */
  double cpu_spread;         /* enb.cpu_spread    0: each eNB scales keygen_s and sign_s by its
                              * own factor, uniform in [1 - spread, 1 + spread] */
  double msg_timeout_s;      /* enb.msg_timeout   10s: no response by then: retry, or fail
                              * after the last attempt */
  EsEnbRetry retry;          /* enb.retry         resend */
  guint max_attempts;        /* enb.max_attempts  4: per message (resend), per transaction
                              * series (restart); 0 or 1: no retries */
  double give_up_after_s;    /* enb.give_up_after 30min: after a transaction failed for the
                              * network's or the RA/CA's sake (timeout, transport or HTTP
                              * error), begin a new one after a back-off, as deployed eNBs
                              * do, until this long after the session began; 0: never */
  double backoff_s;          /* enb.backoff       1s: wait before retry k: backoff_s * 2^(k-1), */
  double backoff_max_s;      /* enb.backoff_max   60s: at most this, scaled by a factor uniform */
  double backoff_jitter;     /* enb.backoff_jitter 0.5: in [1 - jitter, 1 + jitter]; a 503's
                              * Retry-After is waited at least, scaled by [1, 1 + jitter] */
  double renew_after_s;      /* enb.renew_after   0s (never): the run asks for a kur this long
                              * after an enrolment */
  double renew_before_s;     /* enb.renew_before  0s (never): the run asks for a kur this long
                              * before the certificate held expires, less ... */
  double renew_window_s;     /* enb.renew_window  0s: ... a share of this drawn per renewal,
                              * uniform (0: the fixed lead alone) */
  guint max_polls;           /* enb.max_polls     100: pollReqs per transaction at most; a
                              * transaction still `waiting` then is given up (poll_limit) */
  double total_timeout_s;    /* enb.total_timeout 0s (none): stop polling (poll_limit) when the
                              * next pollReq would leave later than this after the session
                              * began */
  gboolean ask_implicit;     /* ask for implicitConfirm in the ir (the run: raca.confirm) */
  gint64 epoch;              /* wall-clock seconds of engine time 0 */
  double epoch_fraction;     /* its sub-second part in [0, 1): 0 in a simulation */
  guint64 seed;              /* per-eNB randomness streams in a simulated run */
  gboolean deterministic;    /* read the eNB's own stream (simulation); FALSE: OpenSSL's DRBG */
  EsKeyPool *new_key_pool;   /* when set, new keys come from it (RSA keygen is slow) */
  EsKeyPool *device_key_pool;/* likewise for factory device keys made at start */
  EsOffload *offload;        /* when set, the crypto of starting a session and of answering an
                              * ip runs there, beside the engine (same results) */
  EsPredecode *predecode;    /* when set, requests go to it as they leave, and answers are
                              * taken from it (es_predecode.h; same results) */
  EsEnbRoots *roots;         /* when set, the operator roots are held and decoded once for all
                              * eNBs of this configuration (es_enb_roots.h; same results) */
} EsEnbConfig;

/* The [enb] keys of EsEnbConfig, in dump order: es_config_set and es_config_check take it. */
const EsConfigSchema *es_enb_config_schema(void);
/* Every field to zero, every keyed field to its default. */
void es_enb_config_init(EsEnbConfig *config);
/* The longest an eNB keeps resending one request before it gives up: its attempts' timeouts
 * and the largest backoffs between them. A confirm wait shorter than this for a certConf
 * revokes certificates whose certConf is still on its way. */
double es_enb_config_resend_window(const EsEnbConfig *config);

typedef struct EsEnb EsEnb;

/* What a session does: ir with the vendor credential; kur, rr or a genm asking for the root
 * CA key update with the operator one. */
typedef enum { ES_ENB_ENROL, ES_ENB_RENEW, ES_ENB_REVOKE, ES_ENB_ROOT_UPDATE } EsEnbOperation;
/* "enrol", "renew", "revoke", "root_update" */
const char *es_enb_operation_name(EsEnbOperation op);

/* How a session ended: OK (enrolled, renewed or revoked, by its operation) or why not. */
typedef enum {
  ES_ENB_OUTCOME_OK,
  ES_ENB_OUTCOME_TIMEOUT,             /* no response within enb.msg_timeout, last attempt */
  ES_ENB_OUTCOME_TRANSPORT_ERROR,     /* the connection failed, last attempt */
  ES_ENB_OUTCOME_HTTP_ERROR,          /* an HTTP status other than 200 (and 503) */
  ES_ENB_OUTCOME_MALFORMED_RESPONSE,  /* a body that is no CMP message */
  ES_ENB_OUTCOME_RESPONSE_UNVERIFIED, /* a CMP response that did not authenticate */
  ES_ENB_OUTCOME_CERT_REJECTED,       /* the new certificate failed the eNB's checks */
  ES_ENB_OUTCOME_REJECTED_BY_RACA,    /* an error message or a rejection status */
  ES_ENB_OUTCOME_INTERNAL_ERROR,      /* the eNB could not make or send its request */
  ES_ENB_OUTCOME_UNFINISHED,          /* the eNB was stopped in the middle */
  ES_ENB_OUTCOME_POLL_LIMIT,          /* still `waiting` at enb.max_polls or enb.total_timeout */
  ES_ENB_OUTCOME_N
} EsEnbOutcome;
/* "ok", "timeout", "transport_error", ...: the failure words of enrolments.csv. */
const char *es_enb_outcome_name(EsEnbOutcome outcome);
/* A failure for the network's or the RA/CA's sake (timeout, transport or HTTP error): what a
 * deployed eNB retries (enb.give_up_after), unlike a refusal. */
gboolean es_enb_outcome_is_transient(EsEnbOutcome outcome);

/* What an eNB reports while a session runs. */
typedef enum {
  ES_ENB_EVENT_STEP,  /* reached .step */
  ES_ENB_EVENT_RETRY, /* .retry */
  ES_ENB_EVENT_DONE,  /* the session ended: .outcome, .attempts, .cert */
} EsEnbEventKind;
typedef enum {
  ES_ENB_STEP_START,              /* an enrolment began (power-on) */
  ES_ENB_STEP_IR_SENT,            /* an ir went out (each send) */
  ES_ENB_STEP_RESPONSE_RECEIVED,  /* an ip, cp or kup came */
  ES_ENB_STEP_CERTCONF_SENT,
  ES_ENB_STEP_PKICONF_RECEIVED,
} EsEnbStep;
typedef enum {
  ES_ENB_RETRY_RESEND,    /* a request POSTed again after a timeout (enb.retry=resend) */
  ES_ENB_RETRY_BUSY,      /* a request sent again after a 503 with Retry-After */
  ES_ENB_RETRY_ABANDONED, /* a transaction given up to start a new one (enb.retry=restart) */
} EsEnbRetryKind;

typedef struct {
  EsEnbEventKind kind;
  EsEnb *enb;
  guint number;
  EsEnbOperation operation; /* of the session */
  double t;                 /* engine time */
  EsEnbStep step;           /* STEP */
  EsEnbRetryKind retry;     /* RETRY */
  EsEnbOutcome outcome;     /* DONE */
  guint attempts;           /* DONE: irs sent in this enrolment, resends and restarts included */
  guint polls;              /* DONE: pollReqs sent in this session (resends not counted) */
  X509 *cert;               /* DONE: the new operator certificate of an ir or kur (borrowed),
                             * NULL on failure and for an rr */
  gboolean aborted;         /* DONE: the eNB was freed in the middle of the session */
} EsEnbEvent;
typedef void (*EsEnbEventFn)(void *arg, const EsEnbEvent *event);

/* eNB number `number` (1..N). Holds no OpenSSL state until es_enb_start. `pki` supplies the
 * vendor root the eNB trusts and, when no device credential is set, the factory that makes
 * one. */
EsEnb *es_enb_new(guint number, const EsEnbConfig *config, const EsPki *pki, EsEngine *engine);
/* Aborts an enrolment in flight and frees everything. */
void es_enb_free(EsEnb *enb);
/* Receives the eNB's events, in engine time (an enrolment prepared and freed before it
 * started reports nothing). */
void es_enb_set_event_cb(EsEnb *enb, EsEnbEventFn fn, void *arg);
/* The factory credential (up-refs both); without it one is issued by the vendor root at start.
 * A successful enrolment lets it go: kur and rr use the operator credential. */
void es_enb_set1_device(EsEnb *enb, X509 *cert, EVP_PKEY *key);
/* Whether the eNB holds a factory credential (set, or made at start, and not enrolled since). */
gboolean es_enb_holds_device(const EsEnb *enb);
/* Powers on and begins enrolling, now in engine time. FALSE if already enrolling. */
gboolean es_enb_start(EsEnb *enb);
/* Makes ahead the first request of the enrolment es_enb_start will begin at engine time at_s
 * (new key pair, ir protected), on the calling thread, which may be any: it touches neither
 * engine nor event callback (the eNB must not be used elsewhere meanwhile). es_enb_start then sends
 * it when its modelled CPU time is over, with the same results as without preparing.
 * FALSE when a session is in flight or there is no memory for it. */
gboolean es_enb_prepare(EsEnb *enb, double at_s);
/* Key update (kur) protected by the current operator certificate and key; the new key pair
 * is made as for an ir. FALSE if a session is in flight or there is no operator certificate.
 * One made by es_enb_prepare_renewal is sent instead, when its CPU time is over. */
gboolean es_enb_renew(EsEnb *enb);
/* Makes ahead, as es_enb_prepare does an ir, the kur es_enb_renew will begin at engine time
 * at_s: the same results as without preparing, provided nothing else starts a session on the
 * eNB, or changes its credential or trusted roots, before it (the caller's to ensure). */
gboolean es_enb_prepare_renewal(EsEnb *enb, double at_s);
/* Revocation request (rr) for the current operator certificate, signed with its key; `reason`
 * is an RFC 5280 CRL reason code, or -1 for none. On success the eNB forgets its certificate
 * and key, and keeps the operator root it checks CRLs with.
 * FALSE if a session is in flight or there is no operator certificate. */
gboolean es_enb_revoke(EsEnb *enb, int reason);
/* Root CA key update (RFC 9480 4.3.2): a genm asking for rootCaKeyUpdate, protected by the
 * operator certificate. The eNB trusts the newWithNew of the genp from then on, beside the root
 * it has, only once it checked it: self-signed and a CA, newWithOld carrying its key and
 * signed by the root the eNB trusts, oldWithNew (when sent) carrying that root's key and
 * signed by the new one, both valid now; anything else ends the session cert_rejected. A genp
 * without an update, or with a root the eNB trusts already, ends it ok with nothing new. FALSE
 * if a session is in flight or there is no operator certificate. One made by
 * es_enb_prepare_root_update is sent instead, when its CPU time is over. */
gboolean es_enb_update_root(EsEnb *enb);
/* Makes ahead, as es_enb_prepare_renewal does a kur, the genm es_enb_update_root will begin at
 * engine time at_s, under the same proviso. `then_renew`: also the kur that follows it, for the
 * wall-clock second of at_s; es_enb_renew sends it if it begins within that second, else makes
 * a kur as usual. The same results either way. */
gboolean es_enb_prepare_root_update(EsEnb *enb, double at_s, gboolean then_renew);
/* Whether the session es_enb_renew just began is the kur es_enb_prepare_root_update made. */
gboolean es_enb_began_ahead(const EsEnb *enb);
/* Whether the eNB trusts `root` (as an operator root: learnt in an ip's caPubs or a root
 * update, or installed). */
gboolean es_enb_trusts_root(const EsEnb *enb, X509 *root);
/* A session is in flight or a restart is pending. */
gboolean es_enb_is_active(const EsEnb *enb);
/* The session in flight, or the last one. */
EsEnbOperation es_enb_get_operation(const EsEnb *enb);
/* The next ir or kur uses this key pair (up-ref) instead of a fresh one: for a CA that hands
 * out a fixed certificate, such as `openssl cmp -port` with -rsp_cert. NULL: fresh again. */
void es_enb_set1_new_key(EsEnb *enb, EVP_PKEY *key);
/* The operator credential: set by a successful ir or kur, kept as DER between sessions (no
 * OpenSSL state while idle). The getters decode a copy for the caller (NULL when none). */
gboolean es_enb_has_operator_cert(const EsEnb *enb);
X509 *es_enb_get1_operator_cert(const EsEnb *enb);
/* Its serial number and notAfter (es_cert_peek: without decoding it); FALSE when it holds
 * none. The caller frees both. */
gboolean es_enb_peek_operator_cert(const EsEnb *enb, ASN1_INTEGER **serial, ASN1_TIME **not_after);
EVP_PKEY *es_enb_get1_operator_key(const EsEnb *enb);
/* Installs a credential made elsewhere (e.g. saved by an earlier run): the certificate, its
 * key and the operator root that a kur or rr response must verify against. */
gboolean es_enb_set1_operator(EsEnb *enb, X509 *cert, EVP_PKEY *key, X509 *root);
guint es_enb_get_number(const EsEnb *enb);
/* Deepest fiber stack use seen by this eNB (bytes). */
gsize es_enb_get_stack_used(const EsEnb *enb);

#endif
