/* An eNB that enrols its operator certificate: OpenSSL's CMP client, unchanged, in a fiber
 * whose transfer callback hands each request to the engine and yields until the answer. */
#ifndef ES_ENB_H
#define ES_ENB_H

#include <glib.h>
#include "es_engine.h"
#include "es_pki.h"
#include "es_recorder.h"

/* Shared by all eNBs of a run; must outlive them. */
typedef struct {
  EsKeyType new_key;         /* the key pair each enrolment makes */
  gboolean ask_implicit;     /* ask for implicitConfirm in the ir */
  double keygen_s;           /* modelled CPU time for the new key pair */
  double sign_s;             /* modelled CPU time to protect each request */
  double msg_timeout_s;      /* no response by then: the enrolment fails */
  gint64 epoch;              /* wall-clock seconds of engine time 0 */
  guint64 seed;              /* per-eNB randomness streams in a simulated run */
  gboolean deterministic;    /* read the eNB's own stream (simulation); FALSE: OpenSSL's DRBG */
  EsKeyPool *new_key_pool;   /* when set, new keys come from it (RSA keygen is slow) */
  EsKeyPool *device_key_pool;/* likewise for factory device keys made at start */
} EsEnbConfig;

typedef struct EsEnb EsEnb;

/* Called once per enrolment when it ends; `cert` (borrowed) is the new operator certificate,
 * NULL on failure; `outcome` is "enrolled" or a short failure reason. */
typedef void (*EsEnbDoneFn)(void *arg, EsEnb *enb, const char *outcome, X509 *cert);

/* eNB number `number` (1..N). Holds no OpenSSL state until es_enb_start. `pki` supplies the
 * vendor root the eNB trusts and, when no device credential is set, the factory that makes
 * one; `recorder` (may be NULL) receives its timeline. */
EsEnb *es_enb_new(guint number, const EsEnbConfig *config, const EsPki *pki,
                  EsEngine *engine, EsRecorder *recorder);
/* Aborts an enrolment in flight and frees everything. */
void es_enb_free(EsEnb *enb);
void es_enb_set_done_cb(EsEnb *enb, EsEnbDoneFn fn, void *arg);
/* The factory credential (up-refs both); without it one is issued by the vendor root at start. */
void es_enb_set1_device(EsEnb *enb, X509 *cert, EVP_PKEY *key);
/* Powers on and begins enrolling, now in engine time. FALSE if already enrolling. */
gboolean es_enb_start(EsEnb *enb);
gboolean es_enb_is_active(const EsEnb *enb);
guint es_enb_get_number(const EsEnb *enb);
/* Deepest fiber stack use seen by this eNB (bytes). */
gsize es_enb_get_stack_used(const EsEnb *enb);

#endif
