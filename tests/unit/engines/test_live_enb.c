/* eNBs over real sockets against the RA/CA on the live engine: enrolling, renewing and
 * revoking, many at once, timeouts, and a client slower than the server's idle timeout. */
#include <glib.h>
#include <string.h>
#include <openssl/x509v3.h>

#include "nodes/es_enb.h"
#include "engines/es_live.h"
#include "pki/es_pki.h"
#include "nodes/es_raca.h"
#include "tests/unit/engines/live_util.h"

static gboolean crl_lists(World *w, X509 *cert, int *reason)
{
  X509_CRL *crl = es_raca_get1_crl(w->raca, 3600, NULL);
  X509_REVOKED *entry = NULL;
  gboolean found = X509_CRL_get0_by_serial(crl, &entry, (ASN1_INTEGER *)X509_get0_serialNumber(cert)) == 1;
  if (found && reason != NULL) {
    ASN1_ENUMERATED *code = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, NULL, NULL);
    *reason = code != NULL ? (int)ASN1_ENUMERATED_get(code) : 0;
    ASN1_ENUMERATED_free(code);
  }
  X509_CRL_free(crl);
  return found;
}

static void test_enb_lifecycle(void)
{
  World w;
  es_test_world_setup(&w, NULL);
  EsEngine *e = es_live_get0_engine(w.live);
  EsEnb *enb = es_enb_new(1, &w.ec, w.pki, e);
  es_enb_set_event_cb(enb, es_test_on_enb_event, &w);
  g_assert_false(es_enb_renew(enb)); /* nothing to renew yet */

  g_assert_true(es_enb_start(enb));
  es_test_run_enbs(&w, 1);
  g_assert_cmpstr(w.last_outcome, ==, "enrolled");
  g_assert_true(es_enb_has_operator_cert(enb));
  X509 *first = es_enb_get1_operator_cert(enb);
  EVP_PKEY *first_key = es_enb_get1_operator_key(enb);
  g_assert_true(X509_check_private_key(first, first_key) == 1);
  /* Dated from the wall clock: valid now, at the latest a second old. */
  time_t now = time(NULL);
  g_assert_cmpint(X509_cmp_time(X509_get0_notBefore(first), &now), <=, 0);
  time_t past = now - 2;
  g_assert_cmpint(X509_cmp_time(X509_get0_notBefore(first), &past), >, 0);

  g_assert_true(es_enb_renew(enb));
  g_assert_cmpint(es_enb_get_operation(enb), ==, ES_ENB_RENEW);
  es_test_run_enbs(&w, 2);
  g_assert_cmpstr(w.last_outcome, ==, "renewed");
  X509 *second = es_enb_get1_operator_cert(enb);
  g_assert_cmpint(X509_cmp(first, second), !=, 0);
  int reason = -1;
  g_assert_true(crl_lists(&w, first, &reason));
  g_assert_cmpint(reason, ==, ES_REVOKE_SUPERSEDED);
  g_assert_false(crl_lists(&w, second, NULL));

  g_assert_true(es_enb_revoke(enb, ES_REVOKE_KEY_COMPROMISE));
  es_test_run_enbs(&w, 3);
  g_assert_cmpstr(w.last_outcome, ==, "revoked");
  g_assert_false(es_enb_has_operator_cert(enb));
  g_assert_true(crl_lists(&w, second, &reason));
  g_assert_cmpint(reason, ==, ES_REVOKE_KEY_COMPROMISE);
  g_assert_cmpuint(w.revoked_requested, ==, 1);
  g_assert_cmpuint(w.superseded, ==, 1);
  g_assert_false(es_enb_revoke(enb, -1)); /* nothing left to revoke */

  X509_free(first);
  X509_free(second);
  EVP_PKEY_free(first_key);
  es_enb_free(enb);
  es_test_world_clear(&w);
}

static void test_enb_many(void)
{
  World w;
  es_test_world_setup(&w, NULL);
  EsEngine *e = es_live_get0_engine(w.live);
  enum { N = 12 };
  EsEnb *enbs[N];
  for (guint i = 0; i < N; i++) {
    enbs[i] = es_enb_new(i + 1, &w.ec, w.pki, e);
    es_enb_set_event_cb(enbs[i], es_test_on_enb_event, &w);
    es_enb_start(enbs[i]);
  }
  es_test_run_enbs(&w, N);
  EsRacaStats st;
  es_raca_get_stats(w.raca, &st);
  g_assert_cmpuint(st.issued, ==, N);
  g_assert_cmpuint(st.confirmed, ==, N);
  g_assert_cmpuint(st.errors, ==, 0);
  for (guint i = 0; i < N; i++) {
    g_assert_true(es_enb_has_operator_cert(enbs[i]));
    es_enb_free(enbs[i]);
  }
  es_test_world_clear(&w);
}

/* The server's idle timeout closes the kept-alive connection while the eNB works on its next
 * message: the eNB's next post goes out on a fresh connection. (Client and server share one
 * event loop here; the timeout leaves room for crypto slowed down by valgrind.) */
static void test_enb_slower_than_idle_timeout(void)
{
  World w;
  EsLiveLimits limits = {.idle_timeout_s = 0.8};
  es_test_world_setup(&w, &limits);
  w.ec.sign_s = 1.0;
  EsEnb *enb = es_enb_new(1, &w.ec, w.pki, es_live_get0_engine(w.live));
  es_enb_set_event_cb(enb, es_test_on_enb_event, &w);
  es_enb_start(enb);
  es_test_run_enbs(&w, 1);
  g_assert_cmpstr(w.last_outcome, ==, "enrolled");
  g_assert_true(es_enb_renew(enb));
  es_test_run_enbs(&w, 2);
  g_assert_cmpstr(w.last_outcome, ==, "renewed");
  es_enb_free(enb);
  es_test_world_clear(&w);
}

/* ---- hostile clients ------------------------------------------------------------------- */

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/live/enb/enrol-renew-revoke", test_enb_lifecycle);
  g_test_add_func("/live/enb/many", test_enb_many);
  g_test_add_func("/live/enb/slower-than-idle-timeout", test_enb_slower_than_idle_timeout);
  return g_test_run();
}
