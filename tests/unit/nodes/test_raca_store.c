/* The RA/CA's durable state across restarts: serials continue, kur and rr work for what was
 * issued before, a certConf is accepted by the restarted RA/CA within confirm-wait and one
 * past it is revoked, a failed commit lets no response out; the requests-seen table. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "nodes/es_cmp.h"
#include "nodes/es_raca.h"
#include "nodes/es_raca_store.h"
#include "pki/es_ca.h"
#include "pki/es_pki.h"
#include "tests/unit/nodes/test_raca_common.h"

typedef struct {
  Fixture f;
  char *dir, *path;
  EsRacaStore *store;
  EsRacaConfig config;
  guint settled_ok, settled_failed;
  gboolean restart_before_certconf;
  gboolean lose_ip;              /* the RA/CA restarts after the ir, whose ip is lost */
} StoreFixture;

static void on_settled(void *arg, gboolean durable)
{
  StoreFixture *s = arg;
  if (durable)
    s->settled_ok++;
  else
    s->settled_failed++;
}

static void on_event(void *arg, const EsRacaEvent *ev)
{
  StoreFixture *s = arg;
  X509 **slot = ev->kind == ES_RACA_EVENT_ISSUED ? &s->f.issued_cert : &s->f.revoked_cert;
  if (ev->kind == ES_RACA_EVENT_ISSUED)
    s->f.issued++;
  else {
    s->f.revoked++;
    s->f.last_cause = ev->cause;
  }
  X509_up_ref(ev->cert);
  X509_free(*slot);
  *slot = ev->cert;
}

/* A new RA/CA over the store: what serve does at each start. */
static void start(StoreFixture *s)
{
  GError *error = NULL;
  es_raca_free(s->f.raca);
  es_raca_store_free(s->store);
  s->store = es_raca_store_open(s->path, es_pki_get0_operator_root(s->f.pki), &error);
  g_assert_no_error(error);
  s->f.raca = es_raca_new(&s->config, s->f.pki, NULL, &error);
  g_assert_no_error(error);
  es_raca_set_observer(s->f.raca, &(EsRacaObserver){.event = on_event, .settled = on_settled}, s);
  es_raca_set_store(s->f.raca, s->store);
  g_assert_true(es_raca_restore(s->f.raca, &error));
  g_assert_no_error(error);
}

static void setup(StoreFixture *s, gconstpointer data)
{
  fixture_setup(&s->f, data);
  s->dir = g_dir_make_tmp("raca-store-XXXXXX", NULL);
  s->path = g_build_filename(s->dir, "raca.db", NULL);
  s->config = raca_config(FALSE);
  start(s);
}

static void teardown(StoreFixture *s, gconstpointer data)
{
  es_raca_free(s->f.raca);
  s->f.raca = NULL;
  es_raca_store_free(s->store);
  for (const char *suffix = ""; suffix != NULL; suffix = *suffix == '\0' ? "-wal" : *suffix == '-' && suffix[1] == 'w' ? "-shm" : NULL) {
    char *p = g_strconcat(s->path, suffix, NULL);
    g_unlink(p);
    g_free(p);
  }
  g_rmdir(s->dir);
  g_free(s->dir);
  g_free(s->path);
  fixture_teardown(&s->f, data);
}

static char *serial_of(X509 *cert)
{
  return es_serial_hex(X509_get0_serialNumber(cert));
}

static void test_serials_continue(StoreFixture *s, gconstpointer data)
{
  (void)data;
  Cred a = enrol(&s->f, 1), b = enrol(&s->f, 2);
  g_autofree char *sa = serial_of(a.cert), *sb = serial_of(b.cert);
  g_assert_cmpstr(sa, ==, "0100");
  g_assert_cmpstr(sb, ==, "0101");
  start(s);
  Cred c = enrol(&s->f, 3);
  g_autofree char *sc = serial_of(c.cert);
  g_assert_cmpstr(sc, ==, "0102"); /* never 0100 again */
  g_assert_cmpuint(s->settled_failed, ==, 0);
  cred_clear(&a);
  cred_clear(&b);
  cred_clear(&c);
}

/* kur and rr name a certificate by serial: the restarted RA/CA knows it, and a re-enrolment
 * of the same subject still supersedes the holder's certificate. */
static void test_kur_rr_after_restart(StoreFixture *s, gconstpointer data)
{
  (void)data;
  Cred a = enrol(&s->f, 1), b = enrol(&s->f, 2);
  start(s);
  Wire w = {.raca = s->f.raca, .mode = PASS, .last_response_type = -1};
  X509 *renewed = renew(&s->f, &a, &w, NULL);
  g_assert_nonnull(renewed);
  g_assert_cmpint(crl_reason(s->f.raca, a.cert), ==, ES_REVOKE_SUPERSEDED);

  OSSL_CMP_CTX *ctx = operator_ctx(&s->f, b.cert, b.key, &w);
  g_assert_true(OSSL_CMP_CTX_set1_oldCert(ctx, b.cert));
  g_assert_true(OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_REVOCATION_REASON, ES_REVOKE_KEY_COMPROMISE));
  g_assert_nonnull(OSSL_CMP_exec_RR_ses(ctx));
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();

  start(s);
  /* Both revocations and the holder survive the second restart. */
  g_assert_cmpint(crl_reason(s->f.raca, a.cert), ==, ES_REVOKE_SUPERSEDED);
  g_assert_cmpint(crl_reason(s->f.raca, b.cert), ==, ES_REVOKE_KEY_COMPROMISE);
  g_assert_cmpint(crl_reason(s->f.raca, renewed), ==, -1);
  guint revoked = s->f.revoked;
  Cred again = enrol(&s->f, 1); /* a re-enrolment of enb-1 supersedes the renewed one */
  g_assert_cmpuint(s->f.revoked, ==, revoked + 1);
  g_assert_cmpint(crl_reason(s->f.raca, renewed), ==, ES_REVOKE_SUPERSEDED);
  X509_free(renewed);
  cred_clear(&a);
  cred_clear(&b);
  cred_clear(&again);
}

/* The transfer callback of the restart test: the RA/CA restarts between ip and certConf. */
static OSSL_CMP_MSG *restart_transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
  StoreFixture *s = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
  if (OSSL_CMP_MSG_get_bodytype(req) == ES_CMP_CERTCONF && s->restart_before_certconf)
    start(s);
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);
  GError *error = NULL;
  GBytes *rsp = es_raca_process(s->f.raca, der, (gsize)len, &error);
  if (OSSL_CMP_MSG_get_bodytype(req) == ES_CMP_IR && s->lose_ip) { /* the client resends its ir to the new process */
    g_bytes_unref(rsp);
    start(s);
    rsp = es_raca_process(s->f.raca, der, (gsize)len, &error);
  }
  OPENSSL_free(der);
  g_assert_no_error(error);
  return cmp_msg_take(rsp);
}

static void test_certconf_after_restart(StoreFixture *s, gconstpointer data)
{
  (void)data;
  Wire unused = {0};
  OSSL_CMP_CTX *ctx = enb_ctx(s->f.pki, 4, &unused);
  OSSL_CMP_CTX_set_transfer_cb(ctx, restart_transfer);
  OSSL_CMP_CTX_set_transfer_cb_arg(ctx, s);
  s->restart_before_certconf = TRUE;
  X509 *cert = OSSL_CMP_exec_IR_ses(ctx); /* pkiConf from the restarted RA/CA */
  if (cert == NULL) {
    char buf[512];
    g_printerr("status: %s\n", OSSL_CMP_CTX_snprint_PKIStatus(ctx, buf, sizeof buf));
    ERR_print_errors_fp(stderr);
  }
  g_assert_nonnull(cert);
  EsRacaStats st;
  es_raca_get_stats(s->f.raca, &st);
  g_assert_cmpuint(st.confirmed, ==, 1);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  g_assert_cmpint(crl_reason(s->f.raca, cert), ==, -1);
  /* Confirmed in the database too: a further restart revokes nothing. */
  s->restart_before_certconf = FALSE;
  start(s);
  g_assert_cmpuint(s->f.revoked, ==, 0);
  g_assert_cmpint(crl_reason(s->f.raca, cert), ==, -1);
  OSSL_CMP_CTX_free(ctx);
}

/* The RA/CA crashed after committing an ir, before its ip left: the client's resend of that
 * ir (same bytes) gets the same ip from the restarted RA/CA, not a replay refusal, and its
 * certConf then confirms the one certificate. */
static void test_ir_resent_after_restart(StoreFixture *s, gconstpointer data)
{
  (void)data;
  Wire unused = {0};
  OSSL_CMP_CTX *ctx = enb_ctx(s->f.pki, 6, &unused);
  OSSL_CMP_CTX_set_transfer_cb(ctx, restart_transfer);
  OSSL_CMP_CTX_set_transfer_cb_arg(ctx, s);
  s->lose_ip = TRUE;
  X509 *cert = OSSL_CMP_exec_IR_ses(ctx);
  g_assert_nonnull(cert);
  EsRacaStats st;
  es_raca_get_stats(s->f.raca, &st);
  g_assert_cmpuint(st.refused_replays, ==, 0);
  g_assert_cmpuint(st.confirmed, ==, 1);
  g_assert_cmpuint(s->f.issued, ==, 1);
  g_assert_cmpuint(s->f.revoked, ==, 0);
  OSSL_CMP_CTX_free(ctx);
}

/* With no time left of confirm-wait, the restart revokes what awaits certConf; its certConf
 * then finds no transaction. */
static void test_past_deadline_revoked(StoreFixture *s, gconstpointer data)
{
  (void)data;
  s->config.confirm_wait_s = 0;
  start(s);
  Wire unused = {0};
  OSSL_CMP_CTX *ctx = enb_ctx(s->f.pki, 5, &unused);
  OSSL_CMP_CTX_set_transfer_cb(ctx, restart_transfer);
  OSSL_CMP_CTX_set_transfer_cb_arg(ctx, s);
  s->restart_before_certconf = TRUE;
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx));
  ERR_clear_error();
  g_assert_cmpuint(s->f.revoked, ==, 1);
  g_assert_cmpint(s->f.last_cause, ==, ES_RACA_REVOKED_CONFIRM_TIMEOUT);
  g_assert_cmpint(crl_reason(s->f.raca, s->f.issued_cert), ==, ES_REVOKE_CESSATION);
  OSSL_CMP_CTX_free(ctx);
}

/* A CRL number never repeats across restarts. */
static void test_crl_number_continues(StoreFixture *s, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  EsCa *ca = es_raca_get0_ca(s->f.raca);
  X509_CRL_free(es_raca_get1_crl(s->f.raca, 86400, &error));
  X509_CRL_free(es_raca_get1_crl(s->f.raca, 86400, &error));
  g_assert_no_error(error);
  g_assert_true(es_raca_store_set_crl_number(s->store, es_ca_get_crl_number(ca), &error));
  start(s);
  g_assert_cmpuint(es_ca_get_crl_number(es_raca_get0_ca(s->f.raca)), ==, 2);
}

static gsize file_size(const char *path)
{
  GStatBuf st;
  return g_stat(path, &st) == 0 ? (gsize)st.st_size : 0;
}

typedef struct {
  StoreFixture *s;
  int error_code; /* of the last es_raca_process that failed, else -1 */
} FailWire;

static OSSL_CMP_MSG *failing_transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
  FailWire *fw = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);
  GError *error = NULL;
  GBytes *rsp = es_raca_process(fw->s->f.raca, der, (gsize)len, &error);
  OPENSSL_free(der);
  fw->error_code = error != NULL ? error->code : -1;
  g_clear_error(&error);
  if (rsp == NULL)
    return NULL;
  return cmp_msg_take(rsp);
}

/* A full disk (here a file-size limit): the ir gets no ip but an error, the RA/CA refuses
 * from then on, and nothing of the ir reached the database (the next start has no trace of
 * it; its serial is used again, by a certificate that is the first to leave). */
static void test_commit_fails(StoreFixture *s, gconstpointer data)
{
  (void)data;
  Cred a = enrol(&s->f, 1);
  g_autofree char *wal = g_strconcat(s->path, "-wal", NULL);
  struct rlimit old, small;
  g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old), ==, 0);
  small = old;
  small.rlim_cur = (rlim_t)MAX(file_size(wal), file_size(s->path));
  signal(SIGXFSZ, SIG_IGN);
  g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &small), ==, 0);

  FailWire fw = {s, -1};
  Wire unused = {0};
  OSSL_CMP_CTX *ctx = enb_ctx(s->f.pki, 2, &unused);
  OSSL_CMP_CTX_set_transfer_cb(ctx, failing_transfer);
  OSSL_CMP_CTX_set_transfer_cb_arg(ctx, &fw);
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx));
  ERR_clear_error();
  g_assert_cmpint(fw.error_code, ==, ES_RACA_ERROR_UNAVAILABLE);
  g_assert_cmpuint(s->f.issued, ==, 2); /* issued in memory, rolled back: */
  g_assert_cmpuint(s->settled_failed, ==, 1);
  const GError *why = es_raca_get0_store_error(s->f.raca);
  g_assert_nonnull(why);
  g_assert_nonnull(strstr(why->message, s->path));
  /* Refusing now, whatever comes. */
  fw.error_code = -1;
  g_assert_null(OSSL_CMP_exec_IR_ses(ctx));
  ERR_clear_error();
  g_assert_cmpint(fw.error_code, ==, ES_RACA_ERROR_UNAVAILABLE);
  OSSL_CMP_CTX_free(ctx);

  g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old), ==, 0);
  start(s);
  Cred b = enrol(&s->f, 3);
  g_autofree char *sb = serial_of(b.cert);
  g_assert_cmpstr(sb, ==, "0101");
  g_assert_cmpuint(s->f.revoked, ==, 0);
  cred_clear(&a);
  cred_clear(&b);
}

static void seen_count(void *arg, GBytes *tid, GBytes *nonce, gint64 t)
{
  (void)tid, (void)nonce, (void)t;
  (*(guint *)arg)++;
}

/* Requests seen are kept once each; a restart forgets those older than the window (their
 * messageTime alone refuses them), keeps the others, and forget_seen drops by time. */
static void test_seen_requests(StoreFixture *s, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  GBytes *tid = g_bytes_new_static("tid-1", 5), *n1 = g_bytes_new_static("n1", 2),
         *n2 = g_bytes_new_static("n2", 2), *n3 = g_bytes_new_static("n3", 2);
  gint64 window = (gint64)s->config.message_time_window_s;
  g_assert_true(es_raca_store_add_seen(s->store, tid, n1, EPOCH - window - 10, &error));
  g_assert_true(es_raca_store_add_seen(s->store, tid, n2, EPOCH - 20, &error));
  g_assert_true(es_raca_store_add_seen(s->store, tid, n2, EPOCH - 20, &error)); /* once */
  g_assert_true(es_raca_store_add_seen(s->store, tid, n3, EPOCH - 10, &error));
  start(s);
  guint count = 0;
  g_assert_true(es_raca_store_foreach_seen(s->store, seen_count, &count, &error));
  g_assert_cmpuint(count, ==, 2);
  g_assert_true(es_raca_store_forget_seen(s->store, EPOCH - 15, &error));
  count = 0;
  g_assert_true(es_raca_store_foreach_seen(s->store, seen_count, &count, &error));
  g_assert_cmpuint(count, ==, 1);
  g_assert_no_error(error);
  g_bytes_unref(tid);
  g_bytes_unref(n1);
  g_bytes_unref(n2);
  g_bytes_unref(n3);
}

/* An ir captured and posted again after a restart is refused: the requests seen are in the
 * database, and the restarted RA/CA remembers them. */
static void test_replay_after_restart(StoreFixture *s, gconstpointer data)
{
  (void)data;
  Wire w = {.raca = s->f.raca, .mode = PASS, .last_response_type = -1, .keep = TRUE};
  OSSL_CMP_CTX *victim = enb_ctx(s->f.pki, 5, &w);
  X509 *cert = OSSL_CMP_exec_IR_ses(victim);
  g_assert_nonnull(cert);
  g_assert_cmpuint(s->f.issued, ==, 1);
  GBytes *ir = g_bytes_ref(w.request[ES_CMP_IR]);
  start(s);
  GError *error = NULL;
  GBytes *rsp = es_raca_process(s->f.raca, g_bytes_get_data(ir, NULL), g_bytes_get_size(ir),
                                &error);
  g_assert_no_error(error);
  /* An ip with a rejection, no certificate. */
  g_assert_nonnull(rsp);
  g_assert_cmpuint(s->f.issued, ==, 1);
  EsRacaStats st;
  es_raca_get_stats(s->f.raca, &st);
  g_assert_cmpuint(st.refused_replays, ==, 1);
  g_bytes_unref(rsp);
  g_bytes_unref(ir);
  OSSL_CMP_CTX_free(victim);
  wire_clear(&w);
  ERR_clear_error();
}

/* Another CA's database is refused, not mixed. */
static void test_other_ca_refused(StoreFixture *s, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  EsPki *other = es_pki_generate(ES_KEY_P256, EPOCH, &error);
  g_assert_no_error(error);
  EsRacaStore *st = es_raca_store_open(s->path, es_pki_get0_operator_root(other), &error);
  g_assert_null(st);
  g_assert_error(error, ES_RACA_STORE_ERROR, ES_RACA_STORE_ERROR_OTHER_CA);
  g_error_free(error);
  es_pki_free(other);
}

#define ADD(name, fn) \
  g_test_add(name, StoreFixture, GINT_TO_POINTER(FALSE), setup, fn, teardown)

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  ADD("/raca_store/serials_continue", test_serials_continue);
  ADD("/raca_store/kur_rr_after_restart", test_kur_rr_after_restart);
  ADD("/raca_store/certconf_after_restart", test_certconf_after_restart);
  ADD("/raca_store/ir_resent_after_restart", test_ir_resent_after_restart);
  ADD("/raca_store/past_deadline_revoked", test_past_deadline_revoked);
  ADD("/raca_store/crl_number_continues", test_crl_number_continues);
  ADD("/raca_store/commit_fails", test_commit_fails);
  ADD("/raca_store/seen_requests", test_seen_requests);
  ADD("/raca_store/replay_after_restart", test_replay_after_restart);
  ADD("/raca_store/other_ca_refused", test_other_ca_refused);
  return g_test_run();
}
