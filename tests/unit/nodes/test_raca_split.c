/* The PKI split into an RA and the CA behind it (raca.upstream), on the loop engine: eNBs
 * enrol and renew through the RA, which obtains each certificate from the CA with a request of
 * its own; the eNB's answer is held up to raca.poll_threshold, then `waiting`; the eNB's verdict
 * reaches the CA, which revokes what was not taken; the CA takes raVerified from its RA only. */
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

#define DELAY 0.010 /* one way, on both hops */

typedef struct {
  EsPki *pki;
  EsLoopEngine *loop;
  EsEngine *engine;
  EsRaca *ra, *ca;
  EsCollector *col;
  EsEnbConfig ec;
  EsRacaConfig ra_config, ca_config;
  char *outcome;
  X509 *held;
  guint issued[2], revoked[2]; /* by the RA [0] and the CA [1] */
  EsRacaRevokeCause last_cause;
  X509 *revoked_cert;
  gboolean drop_certconf;
} Fixture2;

static void on_event(void *arg, const EsEnbEvent *ev)
{
  Fixture2 *f = arg;
  es_collector_enb_event(f->col, ev);
  if (ev->kind != ES_ENB_EVENT_DONE || ev->aborted)
    return;
  g_free(f->outcome);
  f->outcome = g_strdup(es_enb_outcome_name(ev->outcome));
  X509_free(f->held);
  f->held = ev->cert != NULL ? es_x509_ref(ev->cert) : NULL;
}

static void on_ra_event(void *arg, const EsRacaEvent *ev)
{
  Fixture2 *f = arg;
  if (ev->kind == ES_RACA_EVENT_ISSUED)
    f->issued[0]++;
  else
    f->revoked[0]++;
}

static void on_ca_event(void *arg, const EsRacaEvent *ev)
{
  Fixture2 *f = arg;
  if (ev->kind == ES_RACA_EVENT_ISSUED) {
    f->issued[1]++;
    return;
  }
  f->revoked[1]++;
  f->last_cause = ev->cause;
  X509_free(f->revoked_cert);
  f->revoked_cert = es_x509_ref(ev->cert);
}

static gint64 loop_clock(void *arg)
{
  return EPOCH + (gint64)floor(es_engine_now(arg));
}

/* The eNB's certConf never reaches the RA. */
static gboolean drop(void *arg, guint enb, gboolean request, const guint8 *body, gsize len)
{
  Fixture2 *f = arg;
  return f->drop_certconf && enb != 0 && request
         && es_cmp_peek_body_type(body, len) == ES_CMP_CERTCONF;
}

static void setup(Fixture2 *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  memset(f, 0, sizeof *f);
  es_rand_install(7);
  f->pki = es_pki_generate(ES_KEY_P256, EPOCH, &error);
  g_assert_no_error(error);
  f->loop = es_loop_engine_new(DELAY);
  f->engine = es_loop_engine_get0_engine(f->loop);
  es_loop_engine_set_drop(f->loop, drop, f);
  es_clock_set(loop_clock, f->engine);
  es_raca_config_init(&f->ra_config);
  f->ra_config.confirm_wait_s = 30;
  f->ra_config.workers = 1;
  f->ra_config.ir_service_s = 0.002;
  f->ra_config.certconf_service_s = 0.001;
  f->ra_config.epoch = EPOCH;
  f->ra_config.cert_validity_s = 86400 * 365;
  f->ra_config.seed = 7;
  f->ra_config.check_after_s = 1;
  f->ra_config.poll_threshold_s = 10;
  f->ra_config.upstream = TRUE;
  f->ca_config = f->ra_config;
  f->ca_config.upstream = FALSE;
  f->ca_config.seed = 8;
  f->ca_config.ir_service_s = f->ca_config.kur_service_s = 0.005;
  f->ca_config.confirm_wait_s = 100;
  es_enb_config_init(&f->ec);
  f->ec.keygen_s = 0.020;
  f->ec.sign_s = 0.005;
  f->ec.msg_timeout_s = 5;
  f->ec.epoch = EPOCH;
  f->ec.seed = 7;
  f->ec.deterministic = TRUE;
  f->col = es_collector_new(4);
}

static void start(Fixture2 *f, gboolean with_ca)
{
  GError *error = NULL;
  f->ra = es_raca_new(&f->ra_config, f->pki, f->engine, &error);
  g_assert_no_error(error);
  EsRacaObserver ra_obs = {.event = on_ra_event};
  es_raca_set_observer(f->ra, &ra_obs, f);
  es_raca_attach(f->ra, 0);
  if (!with_ca)
    return;
  f->ca = es_raca_new(&f->ca_config, f->pki, f->engine, &error);
  g_assert_no_error(error);
  EsRacaObserver ca_obs = {.event = on_ca_event};
  es_raca_set_observer(f->ca, &ca_obs, f);
  es_raca_attach(f->ca, 1);
}

static void teardown(Fixture2 *f, gconstpointer data)
{
  (void)data;
  es_raca_free(f->ra);
  es_raca_free(f->ca);
  es_loop_engine_free(f->loop);
  es_collector_free(f->col);
  es_pki_free(f->pki);
  g_free(f->outcome);
  X509_free(f->held);
  X509_free(f->revoked_cert);
  g_free(f->ca_config.ca_outages);
  es_clock_set(NULL, NULL);
  es_rand_uninstall();
}

static const EsRecorder *rec(Fixture2 *f)
{
  return es_collector_get0_recorder(f->col);
}

static EsEnb *enrol_via_ra(Fixture2 *f, guint number)
{
  EsEnb *enb = es_enb_new(number, &f->ec, f->pki, f->engine);
  es_enb_set_event_cb(enb, on_event, f);
  g_assert_true(es_enb_start(enb));
  es_loop_engine_run(f->loop, 1000);
  g_assert_false(es_enb_is_active(enb));
  return enb;
}

static void assert_chains_to_operator_root(Fixture2 *f, X509 *cert)
{
  X509_STORE *store = X509_STORE_new();
  X509_STORE_add_cert(store, es_pki_get0_operator_root(f->pki));
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, NULL);
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), EPOCH + 3600);
  g_assert_cmpint(X509_verify_cert(ctx), ==, 1);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
}

static void assert_all_closed(Fixture2 *f)
{
  EsRacaStats ra, ca;
  es_raca_get_stats(f->ra, &ra);
  es_raca_get_stats(f->ca, &ca);
  g_assert_cmpuint(ra.open_transactions, ==, 0);
  g_assert_cmpuint(ca.open_transactions, ==, 0);
}

/* The CA answers well within the threshold: the ip is held until it has, no polls. The RA
 * issues nothing itself; the CA issues one certificate, confirmed on both hops. */
static void test_enrol_through_ra(Fixture2 *f, gconstpointer data)
{
  (void)data;
  start(f, TRUE);
  EsEnb *enb = enrol_via_ra(f, 1);
  g_assert_cmpstr(f->outcome, ==, "ok");
  g_assert_nonnull(f->held);
  assert_chains_to_operator_root(f, f->held);
  g_assert_cmpuint(es_recorder_get_polls(rec(f), 1), ==, 0);
  g_assert_cmpuint(f->issued[0], ==, 0);
  g_assert_cmpuint(f->issued[1], ==, 1);
  g_assert_cmpuint(f->revoked[1], ==, 0);
  EsRacaStats ra, ca;
  es_raca_get_stats(f->ra, &ra);
  es_raca_get_stats(f->ca, &ca);
  g_assert_cmpuint(ra.confirmed, ==, 1);
  g_assert_cmpuint(ca.confirmed, ==, 1);
  g_assert_cmpuint(ra.issued, ==, 0);
  g_assert_cmpuint(ca.issued, ==, 1);
  assert_all_closed(f);
  /* ir at the RA 0.037 (keygen, sign, one way, service), RA's ir at the CA 0.047 + 0.005
   * service = 0.052, ip back at the RA 0.062: the eNB's ip leaves then, no later. */
  g_assert_cmpfloat(es_recorder_get_mark(rec(f), 1, ES_MARK_IP_RECEIVED), <, 0.1);
  es_enb_free(enb);
}

/* Without a threshold the eNB is answered `waiting` at once and polls; the certificate comes
 * with the first pollReq after the CA's answer. */
static void test_waiting_without_threshold(Fixture2 *f, gconstpointer data)
{
  (void)data;
  f->ra_config.poll_threshold_s = 0;
  start(f, TRUE);
  EsEnb *enb = enrol_via_ra(f, 1);
  g_assert_cmpstr(f->outcome, ==, "ok");
  g_assert_cmpuint(es_recorder_get_polls(rec(f), 1), >=, 1);
  g_assert_cmpuint(f->issued[1], ==, 1);
  g_assert_cmpuint(f->revoked[1], ==, 0);
  assert_all_closed(f);
  es_enb_free(enb);
}

/* A CA that takes 3 s to approve: it answers the RA `waiting` and the RA polls it; the RA
 * answers its eNB `waiting` after its 1 s threshold, and the eNB polls the RA. */
static void test_slow_ca_polls_both_hops(Fixture2 *f, gconstpointer data)
{
  (void)data;
  f->ra_config.poll_threshold_s = 1;
  f->ca_config.approval_delay_s = 3;
  f->ca_config.poll_threshold_s = 0.5;
  start(f, TRUE);
  EsEnb *enb = enrol_via_ra(f, 1);
  g_assert_cmpstr(f->outcome, ==, "ok");
  guint polls = es_recorder_get_polls(rec(f), 1);
  g_assert_cmpuint(polls, >=, 2);
  g_assert_cmpuint(polls, <=, 4);
  double done = es_recorder_get_mark(rec(f), 1, ES_MARK_DONE);
  g_assert_cmpfloat(done, >, 3.0);
  g_assert_cmpfloat(done, <, 6.0);
  g_assert_cmpuint(f->issued[1], ==, 1);
  g_assert_cmpuint(f->revoked[1], ==, 0);
  assert_all_closed(f);
  es_enb_free(enb);
}

/* The eNB's certConf never reaches the RA: at the RA's confirm-wait its certConf to the CA
 * rejects the certificate, and the CA revokes it for that reason, long before its own
 * confirm-wait would have. */
static void test_missing_certconf_revoked_at_ca(Fixture2 *f, gconstpointer data)
{
  (void)data;
  f->drop_certconf = TRUE;
  f->ec.max_attempts = 1;
  f->ec.give_up_after_s = 0;
  start(f, TRUE);
  EsEnb *enb = enrol_via_ra(f, 1);
  g_assert_cmpuint(f->issued[1], ==, 1);
  g_assert_cmpuint(f->revoked[1], ==, 1);
  g_assert_cmpuint(f->revoked[0], ==, 0);
  g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_CONFIRM_TIMEOUT);
  g_assert_true(es_ca_is_revoked(es_raca_get0_ca(f->ca), X509_get0_serialNumber(f->revoked_cert)));
  assert_all_closed(f);
  es_enb_free(enb);
}

/* Renewal through the RA: the CA issues the new certificate and, once the eNB confirmed it
 * (through the RA's certConf), revokes the old one as superseded. */
static void test_renew_through_ra(Fixture2 *f, gconstpointer data)
{
  (void)data;
  start(f, TRUE);
  EsEnb *enb = enrol_via_ra(f, 1);
  g_assert_cmpstr(f->outcome, ==, "ok");
  X509 *first = es_x509_ref(f->held);
  g_assert_true(es_enb_renew(enb));
  es_loop_engine_run(f->loop, 2000);
  g_assert_cmpstr(f->outcome, ==, "ok");
  g_assert_cmpint(X509_cmp(first, f->held), !=, 0);
  g_assert_cmpuint(f->issued[1], ==, 2);
  g_assert_cmpuint(f->revoked[1], ==, 1);
  g_assert_cmpint(f->last_cause, ==, ES_RACA_REVOKED_SUPERSEDED);
  g_assert_cmpint(X509_cmp(first, f->revoked_cert), ==, 0);
  assert_all_closed(f);
  X509_free(first);
  es_enb_free(enb);
}

/* No CA behind the RA: the eNB is refused with the reason, nothing is issued. */
static void test_no_ca(Fixture2 *f, gconstpointer data)
{
  (void)data;
  start(f, FALSE);
  EsEnb *enb = enrol_via_ra(f, 1);
  g_assert_cmpstr(f->outcome, !=, "ok");
  g_assert_null(f->held);
  g_assert_cmpuint(f->issued[0], ==, 0);
  EsRacaStats ra;
  es_raca_get_stats(f->ra, &ra);
  g_assert_cmpuint(ra.open_transactions, ==, 0);
  es_enb_free(enb);
}

/* An eNB that claims raVerified to the CA directly gets no certificate: the CA accepts that
 * proof of possession from its RA only. */
static void test_ca_refuses_raverified_from_enb(Fixture2 *f, gconstpointer data)
{
  (void)data;
  start(f, TRUE);
  Wire w = {.raca = f->ca};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, 9, &w);
  OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_POPO_METHOD, OSSL_CRMF_POPO_RAVERIFIED);
  X509 *cert = OSSL_CMP_exec_IR_ses(ctx);
  g_assert_null(cert);
  g_assert_cmpint(OSSL_CMP_CTX_get_status(ctx), ==, OSSL_CMP_PKISTATUS_rejection);
  g_assert_cmpuint(f->issued[1], ==, 0);
  OSSL_CMP_CTX_free(ctx);
  wire_clear(&w);
  ERR_clear_error();
  /* The control: the same eNB with its own proof of possession enrols there directly. */
  Wire w2 = {.raca = f->ca};
  ctx = enb_ctx(f->pki, 9, &w2);
  g_assert_nonnull(OSSL_CMP_exec_IR_ses(ctx));
  g_assert_cmpuint(f->issued[1], ==, 1);
  OSSL_CMP_CTX_free(ctx);
  wire_clear(&w2);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define T(name, fn) g_test_add("/raca_split/" name, Fixture2, NULL, setup, fn, teardown)
  T("enrol-through-ra", test_enrol_through_ra);
  T("waiting-without-threshold", test_waiting_without_threshold);
  T("slow-ca-polls-both-hops", test_slow_ca_polls_both_hops);
  T("missing-certconf-revoked-at-ca", test_missing_certconf_revoked_at_ca);
  T("renew-through-ra", test_renew_through_ra);
  T("no-ca", test_no_ca);
  T("ca-refuses-raverified-from-enb", test_ca_refuses_raverified_from_enb);
  return g_test_run();
}
