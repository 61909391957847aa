/* The live RA/CA's durable state in one SQLite database (WAL): serial counter, every issued
 * certificate, transactions awaiting certConf, revocations, CRL number and requests seen. */
#ifndef ES_RACA_STORE_H
#define ES_RACA_STORE_H

#include <glib.h>
#include <openssl/x509.h>

#define ES_RACA_STORE_ERROR (es_raca_store_error_quark())
GQuark es_raca_store_error_quark(void);
typedef enum {
  ES_RACA_STORE_ERROR_OPEN,     /* cannot open or create the database */
  ES_RACA_STORE_ERROR_OTHER_CA, /* it holds the state of another CA */
  ES_RACA_STORE_ERROR_WRITE,    /* a write or commit failed (disk full, file too large...) */
  ES_RACA_STORE_ERROR_READ,
} EsRacaStoreError;

typedef struct EsRacaStore EsRacaStore;

/* Opens (creating if need be) the database at `path` for the CA of `ca_cert`; a database
 * that holds another CA's state is refused (ES_RACA_STORE_ERROR_OTHER_CA). */
EsRacaStore *es_raca_store_open(const char *path, X509 *ca_cert, GError **error);
void es_raca_store_free(EsRacaStore *store);
const char *es_raca_store_get0_path(const EsRacaStore *store);

/* Writes between begin and commit are one SQLite transaction; nested pairs join the outer
 * one. commit returns FALSE (and rolls back) when it, or any write since begin, failed. */
void es_raca_store_begin(EsRacaStore *store);
gboolean es_raca_store_commit(EsRacaStore *store, GError **error);

/* Each write below returns FALSE with an error, and spoils the enclosing transaction. */

/* A certificate issued (state pending), by a request of body `request` (its name, e.g.
 * "ir"), replacing `replaces` (kur) or not; `t` and `utc_us` when (engine seconds, wall
 * microseconds); `next_serial` the CA's counter after it. */
gboolean es_raca_store_add_cert(EsRacaStore *store, X509 *cert, const char *request,
                                X509 *replaces, double t, gint64 utc_us, guint64 next_serial,
                                GError **error);
/* What accepting its certConf after a restart takes: the transaction, body type of the
 * request that opened it, the senderNonce of the response that carried the certificate, the
 * confirm-wait deadline (wall-clock seconds) and the DER of the certificate that signed the
 * opening request (the only one whose certConf the transaction takes; NULL: none); and that
 * request with the response that carried the certificate, for a byte-identical resend of it
 * whose answer a crash lost (answer_request, answer_response until confirmed). */
gboolean es_raca_store_set_pending(EsRacaStore *store, const ASN1_INTEGER *serial,
                                   GBytes *transaction_id, int request_type, GBytes *sender_nonce,
                                   double deadline, GBytes *client, GBytes *request,
                                   GBytes *response, GError **error);
/* Confirmed at `when` (wall-clock seconds) by `request`, answered with `response`: kept to
 * answer a resend of it after a restart (its answer lost to the crash). */
gboolean es_raca_store_confirm(EsRacaStore *store, const ASN1_INTEGER *serial, double when,
                               GBytes *request, GBytes *response, GError **error);
/* Drops the answers kept of confirmations before `confirmed_before`. */
gboolean es_raca_store_forget_answers(EsRacaStore *store, double confirmed_before, GError **error);
gboolean es_raca_store_revoke(EsRacaStore *store, const ASN1_INTEGER *serial, int reason,
                              const char *cause, gint64 when, double t, gint64 utc_us,
                              GError **error);
/* Counters kept on their own: the serial the CA issues next, the last CRL number. */
gboolean es_raca_store_set_crl_number(EsRacaStore *store, guint64 number, GError **error);
/* 0 when the database has none yet (a new CA state). */
guint64 es_raca_store_get_next_serial(EsRacaStore *store);
guint64 es_raca_store_get_crl_number(EsRacaStore *store);

/* Every certificate, in order of issue. Pointers are borrowed for the call. */
typedef struct {
  gint64 seq;                /* 1, 2, ...: order of issue */
  const guint8 *der;
  gsize der_len;
  const char *request;       /* "ir", "kur"... */
  const char *replaces;      /* serial hex, or NULL */
  double t;
  gint64 utc_us;
  gboolean confirmed;
  gboolean revoked;
  GBytes *transaction_id;    /* pending ones: NULL when never answered */
  int request_type;
  GBytes *sender_nonce;
  double deadline;
  double confirmed_at;       /* confirmed ones, with the answer to the confirming request;
                              * pending ones: the opening request and its answer */
  GBytes *answer_request, *answer_response;
  GBytes *client;            /* pending ones: DER of the client's certificate, or NULL */
} EsStoredCert;
typedef void (*EsStoredCertFn)(void *arg, const EsStoredCert *cert);
gboolean es_raca_store_foreach_cert(EsRacaStore *store, gint64 after_seq, EsStoredCertFn fn,
                                    void *arg, GError **error);

typedef struct {
  gint64 seq;                /* 1, 2, ...: order of revocation */
  const char *serial;        /* hex */
  const guint8 *der;         /* the certificate */
  gsize der_len;
  int reason;
  const char *cause;
  gint64 when;               /* revocationDate, wall-clock seconds */
  double t;
  gint64 utc_us;
} EsStoredRevocation;
typedef void (*EsStoredRevocationFn)(void *arg, const EsStoredRevocation *rev);
gboolean es_raca_store_foreach_revocation(EsRacaStore *store, gint64 after_seq,
                                          EsStoredRevocationFn fn, void *arg, GError **error);

/* Requests seen (transactionID, senderNonce, messageTime in wall-clock seconds), for replay
 * protection across restarts. */
gboolean es_raca_store_add_seen(EsRacaStore *store, GBytes *transaction_id, GBytes *sender_nonce,
                                gint64 message_time, GError **error);
typedef void (*EsStoredSeenFn)(void *arg, GBytes *transaction_id, GBytes *sender_nonce,
                               gint64 message_time);
gboolean es_raca_store_foreach_seen(EsRacaStore *store, EsStoredSeenFn fn, void *arg,
                                    GError **error);
/* Forgets the requests whose messageTime is before `message_time`. */
gboolean es_raca_store_forget_seen(EsRacaStore *store, gint64 message_time, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsRacaStore, es_raca_store_free)

#endif
