/* What the RA/CA tests share: OpenSSL's own CMP client wired to an in-process RA/CA through the
 * transfer callback (with ways to spoil or withhold its certConf), eNB credentials, and a
 * fixture that keeps what the RA/CA reports. */
#ifndef TEST_RACA_COMMON_H
#define TEST_RACA_COMMON_H

#include <glib.h>
#include <openssl/cmp.h>
#include <openssl/x509.h>

#include "nodes/es_cmp.h"
#include "nodes/es_raca.h"
#include "pki/es_pki.h"

#define EPOCH G_GINT64_CONSTANT(1793491200) /* 2026-11-01T00:00:00Z */

typedef enum {
  PASS,
  TAMPER_CERTCONF,     /* a bit of its signature flipped: it no longer authenticates */
  WRONG_HASH_CERTCONF, /* its certHash changed, then signed again with the eNB's key */
  RESIGN_CERTCONF,     /* signed again unchanged: the control for WRONG_HASH_CERTCONF */
  DROP_CERTCONF,       /* never sent */
} Mode;

typedef struct Wire Wire;
struct Wire {
  EsRaca *raca;
  Mode mode;
  guint exchanges;
  int last_response_type;
  /* Optional: sees each request (DER, after the mode spoilt it) before the RA/CA does; what
   * an on-path attacker does then. */
  void (*hook)(Wire *w, int type, const unsigned char *der, int len);
  void *arg;
  gboolean keep;                       /* keep these two (wire_clear frees them): */
  GBytes *request[ES_CMP_POLLREP + 1]; /* the last request of each body type sent (or dropped) */
  GBytes *response;                    /* the last response */
};
void wire_clear(Wire *w);
/* The CMP message of a DER response, which it frees (NULL when undecodable). */
OSSL_CMP_MSG *cmp_msg_take(GBytes *rsp);

typedef struct {
  EsPki *pki;
  EsRaca *raca;
  guint issued, revoked;
  EsRacaRevokeCause last_cause;
  X509 *issued_cert, *revoked_cert; /* the last of each */
  GPtrArray *remembered;            /* Remembered: what EsRacaObserver.remember reported */
} Fixture;

typedef struct {
  GBytes *id, *nonce;
  gint64 message_time;
} Remembered;

/* An eNB's operator credential. */
typedef struct {
  X509 *cert;
  EVP_PKEY *key;
} Cred;

EsRacaConfig raca_config(gboolean implicit);
/* Seconds the clients' clock (time(), so messageTime) stands after EPOCH, the RA/CA's: 60
 * after fixture_setup. */
extern gint64 test_clock_offset;
/* data: GINT_TO_POINTER(implicit), whether the RA/CA grants implicitConfirm. */
void fixture_setup(Fixture *f, gconstpointer data);
void fixture_teardown(Fixture *f, gconstpointer data);
/* Replaces the fixture's RA/CA with one of `config` that reports to the fixture. */
void fixture_set_config(Fixture *f, const EsRacaConfig *config);

/* An eNB's client context: device certificate `number` from `vendor`, our vendor root as the
 * only trust anchor, a new key, subject CN=enb-<number>. */
OSSL_CMP_CTX *enb_ctx(const EsPki *vendor, guint number, Wire *w);
/* A client context protected by `cert`/`key` that trusts the operator root (what an eNB has
 * once enrolled). */
OSSL_CMP_CTX *operator_ctx(Fixture *f, X509 *cert, EVP_PKEY *key, Wire *w);
EVP_PKEY *new_key(void);

gboolean chains_to(X509 *cert, X509 *root);
/* The reason code of cert on a fresh CRL: -1 when not listed (0 when listed without one). */
int crl_reason(EsRaca *raca, X509 *cert);

/* Posts `der` to the RA/CA: the body type of its answer (never NULL: a CMP message). */
int post(EsRaca *raca, GBytes *der);
/* The certificate and key `ctx`'s last session got (references of its own). */
Cred cred_of(OSSL_CMP_CTX *ctx);
/* eNB `number` enrols (ir, certConf, pkiConf) and keeps its credential. */
Cred enrol(Fixture *f, guint number);
void cred_clear(Cred *c);
/* A kur under `c` through `w`: the new certificate (the caller frees it) or NULL. */
X509 *renew(Fixture *f, const Cred *c, Wire *w, OSSL_CMP_CTX **out_ctx);

#endif
