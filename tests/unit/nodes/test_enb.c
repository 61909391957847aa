/* The eNB against the real RA/CA over an in-process engine: the timeline it records, late
 * binding through the cross certificate, and what it does with responses it must refuse. */
#include <glib.h>
#include <math.h>
#include <string.h>
#include <openssl/x509.h>

#include "nodes/es_cmp.h"
#include "nodes/es_enb.h"
#include "engines/es_loop_engine.h"
#include "pki/es_pki.h"
#include "nodes/es_raca.h"
#include "pki/es_rand.h"
#include "sim/es_collector.h"

#define EPOCH G_GINT64_CONSTANT(1793491200) /* 2026-11-01T00:00:00Z */
#define DELAY 0.010

typedef struct {
  EsPki *pki;
  EsLoopEngine *loop;
  EsEngine *engine;
  EsRaca *raca;
  EsCollector *col;
  const EsRecorder *rec; /* the collector's */
  EsEnbConfig ec;
  EsRacaConfig rc;
  char *outcome;
  gboolean got_cert;
  guint revoked;
} Fixture;

/* The eNB's events go to a collector, as in a run; a session's end is kept by name. */
static void on_event(void *arg, const EsEnbEvent *ev)
{
  Fixture *f = arg;
  es_collector_enb_event(f->col, ev);
  if (ev->kind != ES_ENB_EVENT_DONE || ev->aborted)
    return;
  static const char *const ok[] = {"enrolled", "renewed", "revoked"};
  g_free(f->outcome);
  f->outcome = g_strdup(ev->outcome == ES_ENB_OUTCOME_OK ? ok[ev->operation]
                                                         : es_enb_outcome_name(ev->outcome));
  f->got_cert = ev->cert != NULL;
}

static void on_raca_event(void *arg, const EsRacaEvent *ev)
{
  if (ev->kind == ES_RACA_EVENT_REVOKED)
    ((Fixture *)arg)->revoked++;
}

static void use_collector(Fixture *f, guint n)
{
  es_collector_free(f->col);
  f->col = es_collector_new(n);
  f->rec = es_collector_get0_recorder(f->col);
}

static void setup(Fixture *f, gconstpointer data)
{
  GError *error = NULL;
  memset(f, 0, sizeof *f);
  es_rand_install(5);
  f->pki = es_pki_generate(ES_KEY_P256, EPOCH, &error);
  g_assert_no_error(error);
  f->loop = es_loop_engine_new(DELAY);
  f->engine = es_loop_engine_get0_engine(f->loop);
  f->rc = (EsRacaConfig){.grant_implicit = GPOINTER_TO_INT(data), .confirm_wait_s = 30, .workers = 1,
                         .ir_service_s = 0.002, .certconf_service_s = 0.001, .epoch = EPOCH,
                         .cert_validity_s = 86400 * 365, .seed = 5};
  f->raca = es_raca_new(&f->rc, f->pki, f->engine, &error);
  g_assert_no_error(error);
  EsRacaObserver obs = {.event = on_raca_event};
  es_raca_set_observer(f->raca, &obs, f);
  es_raca_attach(f->raca, 0);
  use_collector(f, 4);
  f->ec = (EsEnbConfig){.new_key = ES_KEY_P256, .ask_implicit = GPOINTER_TO_INT(data),
                        .keygen_s = 0.020, .sign_s = 0.005, .msg_timeout_s = 5, .epoch = EPOCH,
                        .seed = 5, .deterministic = TRUE};
}

static void teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  es_raca_free(f->raca);
  es_loop_engine_free(f->loop);
  es_collector_free(f->col);
  es_pki_free(f->pki);
  g_free(f->outcome);
  es_rand_uninstall();
}

static void enrol_one(Fixture *f, guint number)
{
  EsEnb *enb = es_enb_new(number, &f->ec, f->pki, f->engine);
  es_enb_set_event_cb(enb, on_event, f);
  g_assert_true(es_enb_start(enb));
  g_assert_true(es_enb_holds_device(enb));
  es_loop_engine_run(f->loop, 1000);
  g_assert_false(es_enb_is_active(enb));
  /* Enrolled, it has let its factory credential go; otherwise it still holds it. */
  g_assert_true(es_enb_holds_device(enb) == !es_enb_has_operator_cert(enb));
  es_enb_free(enb);
}

static void test_explicit_timeline(Fixture *f, gconstpointer data)
{
  (void)data;
  enrol_one(f, 1);
  g_assert_cmpstr(f->outcome, ==, "enrolled");
  g_assert_true(f->got_cert);
  /* keygen+sign, ir out, ir service, ip back, sign, certConf out, service, pkiConf back */
  double ir = 0.025, ip = ir + 2 * DELAY + 0.002, cc = ip + 0.005, done = cc + 2 * DELAY + 0.001;
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(f->rec, 1, ES_MARK_IR_SENT), ir, 1e-9);
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(f->rec, 1, ES_MARK_IP_RECEIVED), ip, 1e-9);
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(f->rec, 1, ES_MARK_CERTCONF_SENT), cc, 1e-9);
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(f->rec, 1, ES_MARK_PKICONF_RECEIVED), done, 1e-9);
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(f->rec, 1, ES_MARK_DONE), done, 1e-9);
  g_assert_nonnull(es_recorder_get_serial(f->rec, 1));
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.confirmed, ==, 1);
  g_assert_cmpuint(f->revoked, ==, 0);
}

static void test_implicit(Fixture *f, gconstpointer data)
{
  (void)data;
  enrol_one(f, 2);
  g_assert_cmpstr(f->outcome, ==, "enrolled");
  g_assert_true(isnan(es_recorder_get_mark(f->rec, 2, ES_MARK_CERTCONF_SENT)));
  g_assert_cmpuint(es_loop_engine_get_posts(f->loop), ==, 1);
}

static void test_unknown_vendor(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  EsPki *other = es_pki_generate(ES_KEY_P256, EPOCH, &error);
  g_assert_no_error(error);
  EVP_PKEY *key = es_key_generate(ES_KEY_P256, &error);
  X509 *cert = es_pki_issue_device(other, 3, key, &error);
  g_assert_no_error(error);
  EsEnb *enb = es_enb_new(3, &f->ec, f->pki, f->engine);
  es_enb_set1_device(enb, cert, key);
  es_enb_set_event_cb(enb, on_event, f);
  es_enb_start(enb);
  es_loop_engine_run(f->loop, 1000);
  g_assert_cmpstr(f->outcome, ==, "rejected_by_raca");
  g_assert_false(f->got_cert);
  g_assert_true(es_enb_holds_device(enb)); /* not enrolled: it keeps what it may try again */
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.issued, ==, 0);
  es_enb_free(enb);
  X509_free(cert);
  EVP_PKEY_free(key);
  es_pki_free(other);
}

/* Flips one bit near the end of every ip: inside its protection or extraCerts. */
static GBytes *flip_ip(void *arg, guint enb, const guint8 *body, gsize len)
{
  (void)arg, (void)enb;
  guint8 *copy = g_memdup2(body, len);
  copy[len - 40] ^= 0x10;
  return g_bytes_new_take(copy, len);
}

static GBytes *garbage(void *arg, guint enb, const guint8 *body, gsize len)
{
  (void)arg, (void)enb, (void)body;
  return g_bytes_new_take(g_malloc0(len / 2), len / 2);
}

static void test_tampered_ip(Fixture *f, gconstpointer data)
{
  (void)data;
  es_loop_engine_set_tamper(f->loop, flip_ip, NULL);
  enrol_one(f, 1);
  g_assert_false(f->got_cert);
  g_assert_cmpstr(f->outcome, !=, "enrolled");
  /* The eNB never confirmed: the certificate issued for it is revoked at confirm-wait. */
  g_assert_cmpuint(f->revoked, ==, 1);
}

static void test_garbage_response(Fixture *f, gconstpointer data)
{
  (void)data;
  es_loop_engine_set_tamper(f->loop, garbage, NULL);
  enrol_one(f, 1);
  g_assert_cmpstr(f->outcome, ==, "malformed_response");
}

/* Replaces the fixture's RA/CA with one serving `pki` (same engine). */
static void serve_with(Fixture *f, const EsPki *pki)
{
  GError *error = NULL;
  es_raca_free(f->raca);
  f->raca = es_raca_new(&f->rc, pki, f->engine, &error);
  g_assert_no_error(error);
  EsRacaObserver obs = {.event = on_raca_event};
  es_raca_set_observer(f->raca, &obs, f);
  es_raca_attach(f->raca, 0);
}

static void test_rogue_raca(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  EsPki *rogue = es_pki_generate_rogue(f->pki, &error);
  g_assert_no_error(error);
  serve_with(f, rogue);
  enrol_one(f, 1);
  /* The rogue accepted the genuine device certificate and issued, but its cross
   * certificate does not verify against the vendor root: the eNB refuses the ip. */
  g_assert_cmpstr(f->outcome, ==, "response_unverified");
  g_assert_false(f->got_cert);
  es_raca_free(g_steal_pointer(&f->raca));
  es_pki_free(rogue);
}

static void test_missing_cross(Fixture *f, gconstpointer data)
{
  (void)data;
  EsPki *broken = es_pki_dup(f->pki);
  es_pki_set0_raca_cross(broken, NULL);
  serve_with(f, broken);
  enrol_one(f, 1);
  g_assert_cmpstr(f->outcome, ==, "response_unverified");
  es_raca_free(g_steal_pointer(&f->raca));
  es_pki_free(broken);
}

static void test_expired_device(Fixture *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  EVP_PKEY *key = es_key_generate(ES_KEY_P256, &error);
  X509 *cert = es_pki_issue_device_dated(f->pki, 4, key, EPOCH - 86400 * 400, EPOCH - 86400, &error);
  g_assert_no_error(error);
  EsEnb *enb = es_enb_new(4, &f->ec, f->pki, f->engine);
  es_enb_set1_device(enb, cert, key);
  es_enb_set_event_cb(enb, on_event, f);
  es_enb_start(enb);
  es_loop_engine_run(f->loop, 1000);
  g_assert_cmpstr(f->outcome, ==, "rejected_by_raca");
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.issued, ==, 0);
  es_enb_free(enb);
  X509_free(cert);
  EVP_PKEY_free(key);
}

/* ---- retries: messages lost beyond what TCP recovers ------------------------------------- */

/* Drops the first `left` requests (or responses) of one CMP body type. */
typedef struct {
  int type;
  gboolean request;
  guint left;
} Drop;

static gboolean drop_first(void *arg, guint enb, gboolean request, const guint8 *body, gsize len)
{
  Drop *d = arg;
  (void)enb;
  if (d->left == 0 || request != d->request || es_cmp_peek_body_type(body, len) != d->type)
    return FALSE;
  d->left--;
  return TRUE;
}

/* Keeps a copy of the first ir, passing everything on. */
static gboolean keep_ir(void *arg, guint enb, gboolean request, const guint8 *body, gsize len)
{
  GBytes **ir = arg;
  (void)enb;
  if (request && *ir == NULL && es_cmp_peek_body_type(body, len) == ES_CMP_IR)
    *ir = g_bytes_new(body, len);
  return FALSE;
}

static void on_late_answer(void *arg, const EsResponse *r)
{
  *(int *)arg = r->http_status == 200 ? es_cmp_peek_body_type(r->body, r->len) : -r->http_status;
}

/* The ir of a connection the eNB gave up can still arrive, after its transaction ended: the
 * RA/CA answers it from what it answered before and issues nothing more. */
static void test_late_ir_after_end(Fixture *f, gconstpointer data)
{
  (void)data;
  GBytes *ir = NULL;
  es_loop_engine_set_drop(f->loop, keep_ir, &ir);
  EsEnb *enb = es_enb_new(1, &f->ec, f->pki, f->engine);
  es_enb_set_event_cb(enb, on_event, f);
  es_enb_start(enb);
  es_loop_engine_run(f->loop, 2); /* done; confirm-wait (30 s) keeps the exchange */
  g_assert_cmpstr(f->outcome, ==, "enrolled");
  g_assert_nonnull(ir);
  EsChannel *c = es_engine_channel_open(f->engine, 1);
  int answer = 0;
  gsize len;
  const guint8 *der = g_bytes_get_data(ir, &len);
  es_channel_post(c, f->engine, "application/pkixcmp", der, len, on_late_answer, &answer);
  es_loop_engine_run(f->loop, es_engine_now(f->engine) + 1);
  g_assert_cmpint(answer, ==, ES_CMP_IP);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.issued, ==, 1);
  g_assert_cmpuint(st.duplicates, ==, 1);
  g_assert_cmpuint(f->revoked, ==, 0);
  es_channel_close(c, f->engine);
  es_enb_free(enb);
  g_bytes_unref(ir);
}

static void use_retry(Fixture *f, EsEnbRetry retry, guint max_attempts)
{
  f->ec.retry = retry;
  f->ec.max_attempts = max_attempts;
  f->ec.backoff_s = 1;
  f->ec.backoff_max_s = 8;
}

static guint counted(Fixture *f, EsCount c) { return es_recorder_get_count(f->rec, 1, c); }

/* Enrols eNB 1 under `retry` (3 attempts) losing the first `n` responses of body `type`;
 * returns the RA/CA's figures. */
static EsRacaStats enrol_losing(Fixture *f, int type, guint n, EsEnbRetry retry)
{
  Drop drop = {type, FALSE, n};
  es_loop_engine_set_drop(f->loop, drop_first, &drop);
  use_retry(f, retry, 3);
  enrol_one(f, 1);
  es_loop_engine_set_drop(f->loop, NULL, NULL);
  g_assert_cmpstr(f->outcome, ==, "enrolled");
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  return st;
}

static void test_resend_lost_ip(Fixture *f, gconstpointer data)
{
  (void)data;
  /* The same ir again after timeout + back-off: the RA/CA replays its ip, issuing once. */
  EsRacaStats st = enrol_losing(f, ES_CMP_IP, 1, ES_ENB_RESEND);
  g_assert_cmpuint(st.issued, ==, 1);
  g_assert_cmpuint(st.duplicates, ==, 1);
  g_assert_cmpuint(f->revoked, ==, 0);
  g_assert_cmpuint(counted(f, ES_COUNT_CMP_RETRANSMISSIONS), ==, 1);
  g_assert_cmpuint(es_recorder_get_attempts(f->rec, 1), ==, 2);
  /* ir at 25 ms, lost ip, timeout 5 s, back-off 1 s x (1 +- 0.5): done within 5.5..6.7 s. */
  double done = es_recorder_get_mark(f->rec, 1, ES_MARK_DONE);
  g_assert_cmpfloat(done, >, 5.5);
  g_assert_cmpfloat(done, <, 6.7);
}

static void test_resend_lost_pkiconf(Fixture *f, gconstpointer data)
{
  (void)data;
  /* The transaction had ended at the RA/CA (confirmed); its cache of ended transactions
   * answers the resent certConf, and nothing is revoked. */
  EsRacaStats st = enrol_losing(f, ES_CMP_PKICONF, 2, ES_ENB_RESEND);
  g_assert_cmpuint(st.confirmed, ==, 1);
  g_assert_cmpuint(st.duplicates, ==, 2);
  g_assert_cmpuint(f->revoked, ==, 0);
  g_assert_cmpuint(counted(f, ES_COUNT_CMP_RETRANSMISSIONS), ==, 2);
}

static void test_restart_lost_ip(Fixture *f, gconstpointer data)
{
  (void)data;
  /* A second transaction; the first one's certificate, never confirmed, is revoked when
   * its confirm-wait expires. */
  EsRacaStats st = enrol_losing(f, ES_CMP_IP, 1, ES_ENB_RESTART);
  g_assert_cmpuint(st.issued, ==, 2);
  g_assert_cmpuint(st.confirmed, ==, 1);
  g_assert_cmpuint(f->revoked, ==, 1);
  g_assert_cmpuint(counted(f, ES_COUNT_ABANDONED), ==, 1);
  g_assert_cmpuint(counted(f, ES_COUNT_CMP_RETRANSMISSIONS), ==, 0);
  g_assert_cmpuint(es_recorder_get_attempts(f->rec, 1), ==, 2);
}

static void gives_up(Fixture *f, EsEnbRetry retry)
{
  Drop drop = {ES_CMP_IP, FALSE, 100};
  es_loop_engine_set_drop(f->loop, drop_first, &drop);
  use_retry(f, retry, 3);
  enrol_one(f, 1);
  g_assert_cmpstr(f->outcome, ==, "timeout");
  g_assert_false(f->got_cert);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  /* resend: one transaction, sent three times; restart: three transactions. Every
   * certificate issued is revoked at confirm-wait. */
  g_assert_cmpuint(st.issued, ==, retry == ES_ENB_RESEND ? 1 : 3);
  g_assert_cmpuint(f->revoked, ==, st.issued);
  g_assert_cmpuint(es_recorder_get_attempts(f->rec, 1), ==, 3);
  g_assert_cmpuint(counted(f, ES_COUNT_CMP_RETRANSMISSIONS), ==, retry == ES_ENB_RESEND ? 2 : 0);
  g_assert_cmpuint(counted(f, ES_COUNT_ABANDONED), ==, retry == ES_ENB_RESEND ? 0 : 2);
}

static void test_resend_gives_up(Fixture *f, gconstpointer data)
{
  (void)data;
  gives_up(f, ES_ENB_RESEND);
}

static void test_restart_gives_up(Fixture *f, gconstpointer data)
{
  (void)data;
  gives_up(f, ES_ENB_RESTART);
}

static void test_busy_backoff(Fixture *f, gconstpointer data)
{
  (void)data;
  enum { N = 8 };
  f->rc.queue_limit = 1;
  f->rc.retry_after_s = 2;
  f->rc.ir_service_s = 0.5;
  serve_with(f, f->pki);
  use_collector(f, N);
  use_retry(f, ES_ENB_RESEND, 2);
  f->ec.msg_timeout_s = 60;
  f->ec.give_up_after_s = 1800; /* 503s are waited out for that long (with 0s, twice) */
  EsEnb *enbs[N];
  for (guint i = 0; i < N; i++) {
    enbs[i] = es_enb_new(i + 1, &f->ec, f->pki, f->engine);
    es_enb_set_event_cb(enbs[i], on_event, f);
    es_enb_start(enbs[i]);
  }
  es_loop_engine_run(f->loop, 1000);
  guint busy = 0;
  for (guint i = 0; i < N; i++) {
    g_assert_false(es_enb_is_active(enbs[i]));
    g_assert_cmpstr(es_recorder_get_outcome(f->rec, i + 1), ==, "enrolled");
    busy += es_recorder_get_count(f->rec, i + 1, ES_COUNT_BUSY_RETRIES);
    /* A refused request never used up one of the eNB's two attempts. */
    g_assert_cmpuint(es_recorder_get_count(f->rec, i + 1, ES_COUNT_CMP_RETRANSMISSIONS), ==, 0);
    es_enb_free(enbs[i]);
  }
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.busy, >, 0);
  g_assert_cmpuint(busy, ==, st.busy);
  g_assert_cmpuint(st.max_queue, ==, 1);
  g_assert_cmpuint(st.issued, ==, N);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, implicit) g_test_add(path, Fixture, GINT_TO_POINTER(implicit), setup, fn, teardown)
  ADD("/enb/explicit-timeline", test_explicit_timeline, FALSE);
  ADD("/enb/implicit", test_implicit, TRUE);
  ADD("/enb/unknown-vendor", test_unknown_vendor, FALSE);
  ADD("/enb/tampered-ip", test_tampered_ip, FALSE);
  ADD("/enb/garbage-response", test_garbage_response, FALSE);
  ADD("/enb/hostile/rogue-raca", test_rogue_raca, FALSE);
  ADD("/enb/hostile/missing-cross", test_missing_cross, FALSE);
  ADD("/enb/hostile/expired-device", test_expired_device, FALSE);
  ADD("/enb/retry/resend-lost-ip", test_resend_lost_ip, FALSE);
  ADD("/enb/retry/resend-lost-pkiconf", test_resend_lost_pkiconf, FALSE);
  ADD("/enb/retry/restart-lost-ip", test_restart_lost_ip, FALSE);
  ADD("/enb/retry/resend-gives-up", test_resend_gives_up, FALSE);
  ADD("/enb/retry/restart-gives-up", test_restart_gives_up, FALSE);
  ADD("/enb/retry/busy-backoff", test_busy_backoff, FALSE);
  ADD("/enb/retry/late-ir-after-end", test_late_ir_after_end, FALSE);
  return g_test_run();
}
