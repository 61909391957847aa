/* Delayed delivery: the RA/CA's approval delay answered `waiting` (or held back under
 * raca.poll_threshold), eNBs polling in engine time until the certificate comes or
 * enb.max_polls / enb.total_timeout stop them; and pollReqs the RA/CA must refuse (too early,
 * unknown transaction, finished transaction) without ever issuing twice. */
#include <glib.h>
#include <math.h>
#include <openssl/cmp.h>
#include <openssl/err.h>

#include "engines/es_loop_engine.h"
#include "nodes/es_cmp.h"
#include "nodes/es_enb.h"
#include "nodes/es_raca.h"
#include "pki/es_clock.h"
#include "pki/es_pki.h"
#include "pki/es_rand.h"
#include "sim/es_collector.h"
#include "tests/unit/nodes/test_raca_common.h"

#define DELAY 0.010 /* one way */

typedef struct {
  EsPki *pki;
  EsLoopEngine *loop;
  EsEngine *engine;
  EsRaca *raca;
  EsCollector *col;
  EsEnbConfig ec;
  EsRacaConfig rc;
  char *outcome;
  guint issued, revoked;
  double issued_at; /* engine time of the last certificate issued */
  guint backlog, max_backlog; /* as the observer last reported it, and its highest */
  double backlog_at;          /* when it last changed */
} Fixture2;

static void on_event(void *arg, const EsEnbEvent *ev)
{
  Fixture2 *f = arg;
  es_collector_enb_event(f->col, ev);
  if (ev->kind != ES_ENB_EVENT_DONE || ev->aborted)
    return;
  g_free(f->outcome);
  f->outcome = g_strdup(es_enb_outcome_name(ev->outcome));
}

static void on_raca_event(void *arg, const EsRacaEvent *ev)
{
  Fixture2 *f = arg;
  if (ev->kind == ES_RACA_EVENT_ISSUED) {
    f->issued++;
    f->issued_at = es_engine_now(f->engine);
  } else
    f->revoked++;
}

static void on_backlog(void *arg, guint raca, guint waiting, double t)
{
  Fixture2 *f = arg;
  g_assert_cmpuint(raca, ==, 0);
  f->backlog = waiting;
  f->max_backlog = MAX(f->max_backlog, waiting);
  f->backlog_at = t;
}

static gint64 loop_clock(void *arg)
{
  return EPOCH + (gint64)floor(es_engine_now(arg));
}

static void setup(Fixture2 *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  memset(f, 0, sizeof *f);
  es_rand_install(5);
  f->pki = es_pki_generate(ES_KEY_P256, EPOCH, &error);
  g_assert_no_error(error);
  f->loop = es_loop_engine_new(DELAY);
  f->engine = es_loop_engine_get0_engine(f->loop);
  es_clock_set(loop_clock, f->engine);
  es_raca_config_init(&f->rc);
  f->rc.confirm_wait_s = 30;
  f->rc.workers = 1;
  f->rc.ir_service_s = 0.002;
  f->rc.certconf_service_s = 0.001; /* a pollReq's too */
  f->rc.epoch = EPOCH;
  f->rc.cert_validity_s = 86400 * 365;
  f->rc.seed = 5;
  f->rc.approval_delay_s = 3;
  f->rc.check_after_s = 1;
  es_enb_config_init(&f->ec);
  f->ec.keygen_s = 0.020;
  f->ec.sign_s = 0.005;
  f->ec.msg_timeout_s = 5;
  f->ec.epoch = EPOCH;
  f->ec.seed = 5;
  f->ec.deterministic = TRUE;
  f->col = es_collector_new(4);
}

static void start_raca(Fixture2 *f)
{
  GError *error = NULL;
  f->raca = es_raca_new(&f->rc, f->pki, f->engine, &error);
  g_assert_no_error(error);
  EsRacaObserver obs = {.event = on_raca_event, .backlog_changed = on_backlog};
  es_raca_set_observer(f->raca, &obs, f);
  es_raca_attach(f->raca, 0);
}

static void teardown(Fixture2 *f, gconstpointer data)
{
  (void)data;
  es_raca_free(f->raca);
  es_loop_engine_free(f->loop);
  es_collector_free(f->col);
  es_pki_free(f->pki);
  g_free(f->outcome);
  g_free(f->rc.ca_outages);
  es_clock_set(NULL, NULL);
  es_rand_uninstall();
}

static const EsRecorder *rec(Fixture2 *f)
{
  return es_collector_get0_recorder(f->col);
}

static void enrol_one(Fixture2 *f, guint number)
{
  start_raca(f);
  EsEnb *enb = es_enb_new(number, &f->ec, f->pki, f->engine);
  es_enb_set_event_cb(enb, on_event, f);
  g_assert_true(es_enb_start(enb));
  es_loop_engine_run(f->loop, 1000);
  g_assert_false(es_enb_is_active(enb));
  es_enb_free(enb);
}

/* Approval 3 s, checkAfter 1 s. ir sent at 0.025 (keygen + sign), processed at 0.037 (one way
 * 0.010, service 0.002): ready at 3.037, `waiting` back at 0.047. OpenSSL polls at once:
 * pollReq signed by 0.052, processed at 0.063 (pollRep). Each further poll waits 1 s after the
 * pollRep arrives, then sign, one way, service: 1.026 s apart, processed at 1.089, 2.115,
 * 3.141 >= 3.037: the fourth pollReq gets the ip, certConf follows, pkiConf at 3.177. */
static void test_fixed_delay_polls(Fixture2 *f, gconstpointer data)
{
  (void)data;
  enrol_one(f, 1);
  g_assert_cmpstr(f->outcome, ==, "ok");
  g_assert_cmpuint(es_recorder_get_polls(rec(f), 1), ==, 4);
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(rec(f), 1, ES_MARK_DONE), 3.177, 1e-9);
  g_assert_cmpuint(f->issued, ==, 1);
  g_assert_cmpuint(f->revoked, ==, 0);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.confirmed, ==, 1);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  g_assert_cmpuint(st.errors, ==, 0);
}

/* A delay within raca.poll_threshold holds the ip back that long: no polls. */
static void test_threshold_holds(Fixture2 *f, gconstpointer data)
{
  (void)data;
  f->rc.approval_delay_s = 0.5;
  f->rc.poll_threshold_s = 1;
  enrol_one(f, 1);
  g_assert_cmpstr(f->outcome, ==, "ok");
  g_assert_cmpuint(es_recorder_get_polls(rec(f), 1), ==, 0);
  /* ip leaves at 0.037 + 0.5, arrives 0.547; certConf signed, out, served, pkiConf back */
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(rec(f), 1, ES_MARK_IP_RECEIVED), 0.547, 1e-9);
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(rec(f), 1, ES_MARK_DONE), 0.573, 1e-9);
  g_assert_cmpuint(f->issued, ==, 1);
}

/* A longer delay is answered `waiting` once the threshold is over (1.037): polls processed at
 * 1.063, 2.089, 3.115 >= 3.037. */
static void test_threshold_then_waiting(Fixture2 *f, gconstpointer data)
{
  (void)data;
  f->rc.poll_threshold_s = 1;
  enrol_one(f, 1);
  g_assert_cmpstr(f->outcome, ==, "ok");
  g_assert_cmpuint(es_recorder_get_polls(rec(f), 1), ==, 3);
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(rec(f), 1, ES_MARK_IP_RECEIVED), 1.047, 1e-9);
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(rec(f), 1, ES_MARK_DONE), 3.151, 1e-9);
}

/* enb.max_polls: the third pollRep ends the polling; the eNB tells the RA/CA with an error
 * message, which ends the transaction there too, with nothing issued. */
static void test_max_polls(Fixture2 *f, gconstpointer data)
{
  (void)data;
  f->rc.approval_delay_s = 100;
  f->ec.max_polls = 3;
  enrol_one(f, 1);
  g_assert_cmpstr(f->outcome, ==, "poll_limit");
  g_assert_cmpstr(es_recorder_get_outcome(rec(f), 1), ==, "poll_limit");
  g_assert_cmpuint(es_recorder_get_polls(rec(f), 1), ==, 3);
  g_assert_cmpuint(f->issued, ==, 0);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  g_assert_true(isnan(es_recorder_get_mark(rec(f), 1, ES_MARK_PKICONF_RECEIVED)));
}

/* enb.total_timeout 5 s: polls processed at 0.063, 1.089, 2.115, 3.141, 4.167; the next would
 * leave after 5 s. */
static void test_total_timeout(Fixture2 *f, gconstpointer data)
{
  (void)data;
  f->rc.approval_delay_s = 100;
  f->ec.total_timeout_s = 5;
  enrol_one(f, 1);
  g_assert_cmpstr(f->outcome, ==, "poll_limit");
  g_assert_cmpuint(es_recorder_get_polls(rec(f), 1), ==, 5);
  g_assert_cmpuint(f->issued, ==, 0);
}

/* A client that stops polling: the RA/CA frees the transaction once the wait is over. */
static void test_abandoned_transaction_freed(Fixture2 *f, gconstpointer data)
{
  (void)data;
  start_raca(f);
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 2, &w);
  int check_after = 0;
  g_assert_cmpint(OSSL_CMP_try_certreq(ctx, OSSL_CMP_IR, NULL, &check_after), ==, -1);
  g_assert_cmpint(check_after, ==, 1);
  g_assert_cmpuint(w.exchanges, ==, 2); /* ir, then OpenSSL's first pollReq at once */
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.open_transactions, ==, 1);
  g_assert_cmpuint(f->backlog, ==, 1);
  es_loop_engine_run(f->loop, 1000);
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  g_assert_cmpuint(f->issued, ==, 0);
  g_assert_cmpuint(f->backlog, ==, 0); /* freed unissued: out of the backlog too */
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();
}

static void noop(void *arg)
{
  (void)arg;
}

/* Engine time passes by `s`, with whatever timers fall due. */
static void advance(Fixture2 *f, double s)
{
  double until = es_engine_now(f->engine) + s;
  es_engine_timer_add(f->engine, s, noop, NULL);
  es_loop_engine_run(f->loop, until);
}

static int response_type(GBytes *rsp)
{
  gsize n;
  const guint8 *p = g_bytes_get_data(rsp, &n);
  return es_cmp_peek_body_type(p, n);
}

/* A pollReq sooner than half of checkAfter after the pollRep gets an error, which ends the
 * transaction; nothing is issued. */
static void test_poll_too_early(Fixture2 *f, gconstpointer data)
{
  (void)data;
  start_raca(f);
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 2, &w);
  int check_after = 0;
  g_assert_cmpint(OSSL_CMP_try_certreq(ctx, OSSL_CMP_IR, NULL, &check_after), ==, -1);
  advance(f, 0.4);
  g_assert_cmpint(OSSL_CMP_try_certreq(ctx, OSSL_CMP_IR, NULL, &check_after), ==, 0);
  g_assert_cmpint(w.last_response_type, ==, ES_CMP_ERROR);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  g_assert_cmpuint(f->issued, ==, 0);
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();
}

/* The same pollReq at an RA/CA that never saw the transaction, and again once the
 * transaction is over: CMP errors, no certificate. */
static void test_poll_unknown_and_finished(Fixture2 *f, gconstpointer data)
{
  (void)data;
  start_raca(f);
  Wire w = {.raca = f->raca, .mode = PASS, .last_response_type = -1, .keep = TRUE};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 2, &w);
  int check_after = 0, res;
  g_assert_cmpint(OSSL_CMP_try_certreq(ctx, OSSL_CMP_IR, NULL, &check_after), ==, -1);
  GBytes *first_poll = g_bytes_ref(w.request[ES_CMP_POLLREQ]);

  GError *error = NULL;
  EsRaca *other = es_raca_new(&f->rc, f->pki, f->engine, &error);
  g_assert_no_error(error);
  gsize n;
  const guint8 *der = g_bytes_get_data(first_poll, &n);
  GBytes *rsp = es_raca_process(other, der, n, &error);
  g_assert_no_error(error);
  g_assert_cmpint(response_type(rsp), ==, ES_CMP_ERROR);
  g_bytes_unref(rsp);
  EsRacaStats st;
  es_raca_get_stats(other, &st);
  g_assert_cmpuint(st.issued, ==, 0);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  es_raca_free(other);

  guint polls = 1;
  do {
    advance(f, check_after);
    res = OSSL_CMP_try_certreq(ctx, OSSL_CMP_IR, NULL, &check_after);
    polls++;
  } while (res == -1);
  g_assert_cmpint(res, ==, 1);
  g_assert_cmpuint(polls, ==, 4); /* at 0, 1, 2, 3 s: the approval is over at 3 s */
  g_assert_cmpint(w.last_response_type, ==, ES_CMP_PKICONF);
  g_assert_cmpuint(f->issued, ==, 1);

  rsp = es_raca_process(f->raca, der, n, &error);
  g_assert_no_error(error);
  g_assert_cmpint(response_type(rsp), ==, ES_CMP_ERROR);
  g_bytes_unref(rsp);
  g_assert_cmpuint(f->issued, ==, 1);
  g_assert_cmpuint(f->revoked, ==, 0);
  g_bytes_unref(first_poll);
  wire_clear(&w);
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();
}

/* Another eNB's pollReq under the victim's transactionID, signed with its own device key: its
 * signature is valid, its sender is not the transaction's client. Refused, and the victim's
 * transaction goes on to its certificate. */
static void test_poll_from_other_client(Fixture2 *f, gconstpointer data)
{
  (void)data;
  start_raca(f);
  Wire wv = {.raca = f->raca, .mode = PASS, .last_response_type = -1, .keep = TRUE};
  Wire wa = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *victim = enb_ctx(f->pki, 2, &wv), *attacker = enb_ctx(f->pki, 3, &wa);
  int check_after = 0, res;
  g_assert_cmpint(OSSL_CMP_try_certreq(victim, OSSL_CMP_IR, NULL, &check_after), ==, -1);
  g_assert_cmpint(OSSL_CMP_try_certreq(attacker, OSSL_CMP_IR, NULL, &check_after), ==, -1);
  gsize n;
  const guint8 *der = g_bytes_get_data(wv.request[ES_CMP_POLLREQ], &n);
  EsCmpHeader h;
  g_assert_true(es_cmp_peek_header(der, n, &h));
  ASN1_OCTET_STRING *tid = ASN1_OCTET_STRING_new();
  g_assert_true(ASN1_OCTET_STRING_set(tid, h.transaction_id, (int)h.transaction_id_len));
  g_assert_true(OSSL_CMP_CTX_set1_transactionID(attacker, tid));
  ASN1_OCTET_STRING_free(tid);
  advance(f, 1);
  g_assert_cmpint(OSSL_CMP_try_certreq(attacker, OSSL_CMP_IR, NULL, &check_after), ==, 0);
  g_assert_cmpint(wa.last_response_type, ==, ES_CMP_ERROR);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.refused_unbound, ==, 1);
  g_assert_cmpuint(st.open_transactions, ==, 2);
  do {
    res = OSSL_CMP_try_certreq(victim, OSSL_CMP_IR, NULL, &check_after);
    if (res == -1)
      advance(f, check_after);
  } while (res == -1);
  g_assert_cmpint(res, ==, 1);
  g_assert_cmpuint(f->issued, ==, 1);
  wire_clear(&wv);
  OSSL_CMP_CTX_free(victim);
  OSSL_CMP_CTX_free(attacker);
  ERR_clear_error();
}

/* A kur waits for approval like an ir. */
static void test_kur_polls(Fixture2 *f, gconstpointer data)
{
  (void)data;
  start_raca(f);
  EsEnb *enb = es_enb_new(1, &f->ec, f->pki, f->engine);
  es_enb_set_event_cb(enb, on_event, f);
  g_assert_true(es_enb_start(enb));
  es_loop_engine_run(f->loop, 1000);
  g_assert_cmpstr(f->outcome, ==, "ok");
  g_clear_pointer(&f->outcome, g_free);
  g_assert_true(es_enb_renew(enb));
  es_loop_engine_run(f->loop, 2000);
  g_assert_cmpstr(f->outcome, ==, "ok");
  g_assert_cmpuint(f->issued, ==, 2);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.renewed, ==, 1);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  g_assert_cmpuint(f->revoked, ==, 1); /* the replaced certificate, superseded */
  es_enb_free(enb);
}

static void ca_outages(Fixture2 *f, const char *text)
{
  char *why = NULL;
  g_assert_true(es_parse_outages(text, &f->rc.ca_outages, &why));
  g_assert_null(why);
}

static void assert_one_confirmed(Fixture2 *f)
{
  g_assert_cmpstr(f->outcome, ==, "ok");
  g_assert_cmpuint(f->issued, ==, 1);
  g_assert_cmpuint(f->revoked, ==, 0);
  EsRacaStats st;
  es_raca_get_stats(f->raca, &st);
  g_assert_cmpuint(st.confirmed, ==, 1);
  g_assert_cmpuint(st.open_transactions, ==, 0);
  g_assert_cmpuint(st.errors, ==, 0);
}

/* No approval delay, CA away 0.030-2.030: the ir (processed at 0.037) is verified and answered
 * `waiting` (back at 0.047); pollReqs processed at 0.063 and 1.089 get pollReps, the one at
 * 2.115 the ip, whose certificate is made then; pkiConf at 2.151. */
static void test_ca_outage_waiting(Fixture2 *f, gconstpointer data)
{
  (void)data;
  f->rc.approval_delay_s = 0;
  ca_outages(f, "0.03s+2s");
  enrol_one(f, 1);
  assert_one_confirmed(f);
  g_assert_cmpuint(es_recorder_get_polls(rec(f), 1), ==, 3);
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(rec(f), 1, ES_MARK_IP_RECEIVED), 0.047, 1e-9);
  g_assert_cmpfloat_with_epsilon(f->issued_at, 2.115, 1e-9);
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(rec(f), 1, ES_MARK_DONE), 2.151, 1e-9);
  /* In the CA's backlog from the `waiting` answer until the pollReq that got the certificate. */
  g_assert_cmpuint(f->max_backlog, ==, 1);
  g_assert_cmpuint(f->backlog, ==, 0);
  g_assert_cmpfloat_with_epsilon(f->backlog_at, 2.115, 1e-9);
}

/* The same ir after the outage (0-0.02) is issued at once, as without one. */
static void test_ca_outage_over(Fixture2 *f, gconstpointer data)
{
  (void)data;
  f->rc.approval_delay_s = 0;
  ca_outages(f, "0s+0.02s");
  enrol_one(f, 1);
  assert_one_confirmed(f);
  g_assert_cmpuint(es_recorder_get_polls(rec(f), 1), ==, 0);
  g_assert_cmpfloat_with_epsilon(f->issued_at, 0.037, 1e-9);
}

/* Approval 3 s (ready at 3.037) ends inside an outage 2-4: it ends when the CA is back, at 4,
 * not 3 s later. Polls at 0.063, ... 3.141 get pollReps, the one at 4.167 the ip. */
static void test_ca_outage_delays_approval(Fixture2 *f, gconstpointer data)
{
  (void)data;
  ca_outages(f, "2s+2s");
  enrol_one(f, 1);
  assert_one_confirmed(f);
  g_assert_cmpuint(es_recorder_get_polls(rec(f), 1), ==, 5);
  g_assert_cmpfloat_with_epsilon(f->issued_at, 4.167, 1e-9);
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(rec(f), 1, ES_MARK_DONE), 4.203, 1e-9);
}

/* Approved at 3.037, but the pollReq at 3.141 falls in an outage 3.1-4.1 (and one chained to
 * it, 3.5-4.1): a pollRep; the next, at 4.167, gets the ip. */
static void test_ca_outage_after_approval(Fixture2 *f, gconstpointer data)
{
  (void)data;
  ca_outages(f, "3.1s+0.5s,3.5s+0.6s");
  enrol_one(f, 1);
  assert_one_confirmed(f);
  g_assert_cmpuint(es_recorder_get_polls(rec(f), 1), ==, 5);
  g_assert_cmpfloat_with_epsilon(f->issued_at, 4.167, 1e-9);
}

/* Confirmation is the RA's: the ip of the pollReq at 3.141 leaves before an outage from 3.15,
 * and its certConf (processed at 3.167) is taken during it; pkiConf at 3.177 as without one. */
static void test_ca_outage_certconf(Fixture2 *f, gconstpointer data)
{
  (void)data;
  ca_outages(f, "3.15s+5s");
  enrol_one(f, 1);
  assert_one_confirmed(f);
  g_assert_cmpuint(es_recorder_get_polls(rec(f), 1), ==, 4);
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(rec(f), 1, ES_MARK_DONE), 3.177, 1e-9);
}

/* raca.poll_threshold 1 s still holds the `waiting` back, but never a certificate: with the CA
 * away 0-0.5 and no approval delay, `waiting` leaves at 0.037 + 0.463 (when the CA is back),
 * arrives 0.510; the immediate pollReq (processed 0.526) gets the ip. */
static void test_ca_outage_threshold(Fixture2 *f, gconstpointer data)
{
  (void)data;
  f->rc.approval_delay_s = 0;
  f->rc.poll_threshold_s = 1;
  ca_outages(f, "0s+0.5s");
  enrol_one(f, 1);
  assert_one_confirmed(f);
  g_assert_cmpuint(es_recorder_get_polls(rec(f), 1), ==, 1);
  g_assert_cmpfloat_with_epsilon(es_recorder_get_mark(rec(f), 1, ES_MARK_IP_RECEIVED), 0.510, 1e-9);
  g_assert_cmpfloat_with_epsilon(f->issued_at, 0.526, 1e-9);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture2, NULL, setup, fn, teardown)
  ADD("/poll/fixed-delay", test_fixed_delay_polls);
  ADD("/poll/threshold-holds", test_threshold_holds);
  ADD("/poll/threshold-then-waiting", test_threshold_then_waiting);
  ADD("/poll/max-polls", test_max_polls);
  ADD("/poll/total-timeout", test_total_timeout);
  ADD("/poll/abandoned-freed", test_abandoned_transaction_freed);
  ADD("/poll/too-early", test_poll_too_early);
  ADD("/poll/unknown-and-finished", test_poll_unknown_and_finished);
  ADD("/poll/other-client", test_poll_from_other_client);
  ADD("/poll/kur", test_kur_polls);
  ADD("/poll/ca-outage/waiting", test_ca_outage_waiting);
  ADD("/poll/ca-outage/over", test_ca_outage_over);
  ADD("/poll/ca-outage/delays-approval", test_ca_outage_delays_approval);
  ADD("/poll/ca-outage/after-approval", test_ca_outage_after_approval);
  ADD("/poll/ca-outage/certconf", test_ca_outage_certconf);
  ADD("/poll/ca-outage/threshold", test_ca_outage_threshold);
  return g_test_run();
}
