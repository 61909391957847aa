/* What the eNB's two files share: its state and the session that runs in its fiber
 * (es_enb_session.c: OpenSSL's CMP client; es_enb.c: timers, retries, the engine). Private to
 * nodes/. */
#ifndef ES_ENB_PRIV_H
#define ES_ENB_PRIV_H

#include "nodes/es_enb.h"

#include <openssl/cmp.h>

#include "nodes/es_fiber.h"
#include "nodes/es_offload.h"
#include "pki/es_rand.h"

typedef struct {
  EsFiber *fiber;
  EsRand *rand;
  X509_STORE *trust;        /* ir: vendor root; kur, rr: operator root; at engine time */
  EsChannel *channel;
  guint64 timer;            /* CPU-time delay before a send, then the response timeout */
  GBytes *request;          /* handed out by the fiber; kept until answered, to send again */
  int request_type;
  guint sends;              /* of this request */
  gboolean submitted;       /* this request is with config->predecode */
  gboolean busy;            /* the next send answers a 503: no attempt used up */
  guint busy_retries;       /* 503s this request got */
  gboolean restarting;      /* abandoned for a new transaction (enb.retry=restart) */
  GBytes *response;         /* handed in to the fiber */
  int response_type;
  EsEnbOutcome failure;     /* why the transfer failed, when it did (else OK) */
  gboolean cert_rejected;   /* our certConf check refused the new certificate */
  gboolean aborting;
  gboolean poll_due;        /* the fiber waits checkAfter (poll_wait_s) before its next pollReq */
  double poll_wait_s;
  gboolean stop_polling;    /* ... or gives up polling: enb.max_polls or enb.total_timeout */
  guint polls;              /* pollReqs sent in this transaction */
  EsEnbOutcome outcome;
  X509 *cert;
  EVP_PKEY *new_key;        /* of a successful ir or kur */
  X509 *root;               /* ir: the root from caPubs that the new certificate chains to;
                             * root update: the new root, checked */
  gint64 wall;              /* whole wall-clock seconds at the resume in progress */
  gboolean prepared;        /* made by es_enb_prepare, not started yet */
  gboolean taken_ahead;     /* the kur made ahead beside a root update (enb->next), begun */
  gboolean counted;         /* in in_flight: started */
  EsOffloadJob *job;        /* that resume, running on the offload thread */
} Enrolment;

struct EsEnb {
  guint number;
  const EsEnbConfig *config;
  const EsPki *pki;
  EsEngine *engine;
  EsEnbEventFn event_fn;
  void *event_arg;
  X509 *device_cert;
  EVP_PKEY *device_key;
  EVP_PKEY *given_new_key;  /* es_enb_set1_new_key */
  /* The operator credential between sessions, as DER (the key as es_key_export's bytes): a
   * few hundred bytes instead of the kilobytes that OpenSSL objects hold per idle eNB. */
  GBytes *op_cert, *op_key, *op_root;
  GBytes *op_root_next;     /* a root learnt from a root CA key update, trusted beside op_root */
  EsEnbOperation op;
  int revoke_reason;
  guint sessions;           /* started so far: each gets its own randomness stream */
  guint attempts;           /* irs sent in this enrolment, resends and restarts included,
                             * not those answering a 503 (the RA/CA did not read them) */
  guint polls;              /* pollReqs sent in this session (resends not counted) */
  double session_start_s;   /* engine time the session began: enb.give_up_after counts from it */
  guint abandoned;          /* transactions given up in this session (restart policy) */
  guint64 restart_timer;    /* a new transaction is due */
  guint64 jitter;           /* state of the back-off jitter generator */
  Enrolment *e;
  Enrolment *next;          /* a kur made ahead to follow the root update in e, or NULL */
  gsize stack_used;
};

/* Entry point of a session's fiber: one ir, kur or rr with OpenSSL's client; sets
 * enb->e->outcome (and cert, new_key, root on success). */
void es_enb_session(void *enb);

/* The credential kept between sessions: certificates as DER, the key as es_key_export's
 * bytes (wiped when they go). */
GBytes *es_enb_der_of_cert(X509 *cert);
X509 *es_enb_cert_of_der(GBytes *der);
/* The kur made ahead (enb->next) goes unsent, as if never made. */
void es_enb_drop_next(EsEnb *enb);
/* Replaces the operator credential kept between sessions (taking the references). */
void es_enb_set_operator(EsEnb *enb, GBytes *cert, GBytes *key, GBytes *root);
/* The credential the ended session enb->e leaves the eNB with. */
void es_enb_keep_credential(EsEnb *enb);
/* Hands the request to config->predecode for its receiver, once (a resend is the same
 * bytes); `later`: it leaves long after now. */
void es_enb_submit_request(EsEnb *enb, gboolean later);

#endif
