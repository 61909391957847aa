/* Unit tests of the simulated engine's RA->CA channel: each RA reaches its CA over [ca_link],
 * keeps the connection, sits out the link's outages, stays plain under TLS, counts apart. */
#define _GNU_SOURCE /* memmem */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sim/es_scenario.h"
#include "engines/es_sim.h"
#include "topologies/es_topology.h"

/* Default links: core 1 ms, ca_link 10 ms one way. RA -> CA is core + ca_link. */
#define RA_CA_ONE_WAY_S (0.001 + 0.010)

static EsTopology *topo_new(guint racas, guint cas, const char *ca_outages)
{
  g_autoptr(EsScenario) sc = es_scenario_new();
  sc->enbs = 6;
  g_autofree char *r = g_strdup_printf("%u", racas), *c = g_strdup_printf("%u", cas);
  g_assert_true(es_scenario_set(sc, "topology.racas", r, NULL));
  g_assert_true(es_scenario_set(sc, "topology.cas", c, NULL));
  if (ca_outages != NULL)
    g_assert_true(es_scenario_set(sc, "ca_link.outages", ca_outages, NULL));
  GError *error = NULL;
  g_assert_true(es_scenario_validate(sc, &error));
  g_assert_no_error(error);
  EsTopology *topo = es_topology_new(&sc->topology, sc->enbs, &error);
  g_assert_no_error(error);
  return topo;
}

static EsSim *sim_new(const EsTopology *topo)
{
  GError *error = NULL;
  EsSim *sim = es_sim_new(topo, 7, &error);
  g_assert_no_error(error);
  return sim;
}

/* A server that answers at once with "<name>:<request body>". */
typedef struct {
  EsEngine *engine;
  const char *name;
  guint requests;
} Server;

static void server_request(void *arg, EsExchange *x, const char *content_type,
                           const guint8 *body, gsize len)
{
  Server *s = arg;
  (void)content_type;
  s->requests++;
  g_autofree char *answer = g_strdup_printf("%s:%.*s", s->name, (int)len, (const char *)body);
  es_engine_reply(s->engine, x, 200, "application/pkixcmp", (const guint8 *)answer,
                  strlen(answer));
}

/* One post and what came of it. */
typedef struct {
  EsEngine *engine;
  EsChannel *channel;
  const char *body;
  double t_sent, t_done; /* t_done < 0: no answer yet */
  char *answer;
  char *error;
} Post;

static void on_answer(void *arg, const EsResponse *r)
{
  Post *p = arg;
  p->t_done = es_engine_now(p->engine);
  if (r->error != NULL)
    p->error = g_strdup(r->error);
  else
    p->answer = g_strndup((const char *)r->body, r->len);
}

static void post_now(void *arg)
{
  Post *p = arg;
  g_clear_pointer(&p->answer, g_free);
  g_clear_pointer(&p->error, g_free);
  p->t_sent = es_engine_now(p->engine);
  p->t_done = -1;
  es_channel_post(p->channel, p->engine, "application/pkixcmp", (const guint8 *)p->body,
                  strlen(p->body), on_answer, p);
}

static void post_clear(Post *p)
{
  g_free(p->answer);
  g_free(p->error);
}

/* Two RAs, one CA (server 2): each RA's channel gets its own answer from the CA, no sooner
 * than the handshake and the exchange over core + ca_link allow; a second post reuses the
 * connection; eNBs still reach their RA/CAs, and are counted apart. */
static void test_upstream(void)
{
  g_autoptr(EsTopology) topo = topo_new(2, 1, NULL);
  g_assert_cmpuint(es_topology_cas(topo), ==, 1);
  EsSim *sim = sim_new(topo);
  EsEngine *e = es_sim_get0_engine(sim);
  Server ra0 = {e, "ra0", 0}, ra1 = {e, "ra1", 0}, ca = {e, "ca", 0};
  es_engine_server_set(e, 0, server_request, &ra0);
  es_engine_server_set(e, 1, server_request, &ra1);
  es_engine_server_set(e, 2, server_request, &ca);

  /* The CA node has an address of its own, like every node, and can be captured. */
  guint32 ca_addr = es_sim_node_address(sim, es_topology_ca_node(topo, 0));
  g_assert_cmpuint(ca_addr, !=, 0);
  for (guint r = 0; r < 2; r++)
    g_assert_cmpuint(ca_addr, !=, es_sim_node_address(sim, es_topology_raca_node(topo, r)));
  g_autofree char *dir = g_dir_make_tmp("es-upstream-XXXXXX", NULL);
  g_assert_nonnull(dir);
  g_autofree char *pcap = g_build_filename(dir, "ca.pcap", NULL);
  GError *error = NULL;
  g_assert_true(es_sim_enable_pcap(sim, ES_SIM_NODE_CA, 0, pcap, &error));
  g_assert_no_error(error);
  g_assert_false(es_sim_enable_pcap(sim, ES_SIM_NODE_CA, 1, pcap, &error));
  g_assert_nonnull(strstr(error->message, "no CA 1 to capture (CAs are numbered 0 to 0)"));
  g_clear_error(&error);

  EsChannel *up0 = es_engine_upstream_open(e, 0), *up1 = es_engine_upstream_open(e, 1);
  g_assert_nonnull(up0);
  g_assert_nonnull(up1);
  g_assert_null(es_engine_upstream_open(e, 2)); /* no RA 2 */
  Post p0 = {e, up0, "request-of-ra-0", 0, -1, NULL, NULL};
  Post p1 = {e, up1, "request-of-ra-1", 0, -1, NULL, NULL};
  post_now(&p0);
  post_now(&p1);
  Post enb[6];
  for (guint k = 1; k <= 6; k++) {
    enb[k - 1] = (Post){e, es_engine_channel_open(e, k), "enb", 0, -1, NULL, NULL};
    post_now(&enb[k - 1]);
  }
  es_sim_run(sim, 5.0);

  g_assert_null(p0.error);
  g_assert_null(p1.error);
  g_assert_cmpstr(p0.answer, ==, "ca:request-of-ra-0");
  g_assert_cmpstr(p1.answer, ==, "ca:request-of-ra-1");
  g_assert_cmpuint(ca.requests, ==, 2);
  /* SYN, SYN-ACK, then request and answer: two round trips over core + ca_link. */
  double rtt = 2 * RA_CA_ONE_WAY_S;
  g_test_message("RA 0 -> CA: answered after %.6f s (round trip %.3f s)", p0.t_done, rtt);
  g_assert_cmpfloat(p0.t_done, >=, 2 * rtt);
  g_assert_cmpfloat(p1.t_done, >=, 2 * rtt);
  g_assert_cmpfloat(p0.t_done, <, 2 * rtt + 0.005);
  for (guint k = 1; k <= 6; k++) {
    g_assert_null(enb[k - 1].error);
    g_autofree char *want = g_strdup_printf("ra%u:enb", es_topology_enb_raca(topo, k));
    g_assert_cmpstr(enb[k - 1].answer, ==, want);
  }
  g_assert_cmpuint(ra0.requests + ra1.requests, ==, 6);
  g_assert_cmpuint(es_sim_get_connections(sim), ==, 6);
  g_assert_cmpuint(es_sim_get_upstream_connections(sim), ==, 2);

  /* Kept alive: the next post takes one round trip on the same connection. */
  es_engine_timer_add(e, 0, post_now, &p0);
  es_sim_run(sim, 10.0);
  g_assert_cmpstr(p0.answer, ==, "ca:request-of-ra-0");
  g_assert_cmpfloat(p0.t_done - p0.t_sent, >=, rtt);
  g_assert_cmpfloat(p0.t_done - p0.t_sent, <, 2 * rtt);
  g_assert_cmpuint(es_sim_get_upstream_connections(sim), ==, 2);

  /* A CA that stops serving refuses the next connection: reported like an eNB's failure. */
  es_engine_server_set(e, 2, NULL, NULL);
  es_engine_timer_add(e, 0, post_now, &p1);
  es_sim_run(sim, 15.0);
  g_assert_null(p1.answer);
  g_assert_nonnull(p1.error);
  g_test_message("after the CA stopped: %s", p1.error);
  g_assert_true(g_str_equal(p1.error, "connection closed") ||
                g_str_equal(p1.error, "connection refused") ||
                g_str_equal(p1.error, "connection reset"));

  es_channel_close(up0, e);
  es_channel_close(up1, e);
  for (guint k = 0; k < 6; k++) {
    es_channel_close(enb[k].channel, e);
    post_clear(&enb[k]);
  }
  es_sim_free(sim);
  post_clear(&p0);
  post_clear(&p1);
  /* Both RAs' exchanges went through the CA's link: the capture holds both requests. */
  g_autofree char *captured = NULL;
  gsize captured_len = 0;
  g_assert_true(g_file_get_contents(pcap, &captured, &captured_len, NULL));
  g_assert_nonnull(memmem(captured, captured_len, "request-of-ra-0", 15));
  g_assert_nonnull(memmem(captured, captured_len, "request-of-ra-1", 15));
  g_remove(pcap);
  g_rmdir(dir);
}

/* Without CAs there is no upstream channel, and no server past the RA/CAs. */
static void test_no_cas(void)
{
  g_autoptr(EsTopology) topo = topo_new(2, 0, NULL);
  EsSim *sim = sim_new(topo);
  EsEngine *e = es_sim_get0_engine(sim);
  g_assert_null(es_engine_upstream_open(e, 0));
  g_assert_null(es_engine_upstream_open(e, 1));
  Server s = {e, "x", 0};
  g_test_expect_message(NULL, G_LOG_LEVEL_CRITICAL, "*raca*");
  es_engine_server_set(e, 2, server_request, &s);
  g_test_assert_expected_messages();
  GError *error = NULL;
  g_assert_false(es_sim_enable_pcap(sim, ES_SIM_NODE_CA, 0, "/nonexistent/x.pcap", &error));
  g_assert_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TOPOLOGY);
  g_assert_nonnull(strstr(error->message, "has no CAs"));
  g_clear_error(&error);
  es_sim_free(sim);
}

/* [ca_link] down from 1 s to 3 s: a post at 1.5 s on the kept-alive connection is lost until
 * the link is back, then TCP's retransmission delivers it; the eNBs saw nothing of it. */
static void test_outage(void)
{
  g_autoptr(EsTopology) topo = topo_new(2, 1, "1s+2s");
  EsSim *sim = sim_new(topo);
  EsEngine *e = es_sim_get0_engine(sim);
  Server ca = {e, "ca", 0};
  es_engine_server_set(e, 2, server_request, &ca);
  Post p = {e, es_engine_upstream_open(e, 0), "before", 0, -1, NULL, NULL};
  post_now(&p);
  es_sim_run(sim, 0.5);
  g_assert_cmpstr(p.answer, ==, "ca:before");

  p.body = "during";
  es_engine_timer_add(e, 1.0, post_now, &p); /* at 1.5 s */
  es_sim_run(sim, 2.9);
  g_assert_cmpfloat(p.t_done, <, 0); /* still down: no answer, no failure yet */
  es_sim_run(sim, 60.0);
  g_test_message("posted at %.3f s during the outage: %s at %.6f s", p.t_sent,
                 p.error != NULL ? p.error : p.answer, p.t_done);
  g_assert_null(p.error);
  g_assert_cmpstr(p.answer, ==, "ca:during");
  /* Back at 3 s, then one round trip at least; TCP's backed-off timer wakes within seconds. */
  g_assert_cmpfloat(p.t_done, >=, 3.0 + 2 * RA_CA_ONE_WAY_S);
  g_assert_cmpfloat(p.t_done, <, 10.0);
  g_assert_cmpuint(es_sim_get_upstream_connections(sim), ==, 1);

  EsSimLinkStats st;
  es_sim_get_link_stats(sim, &st);
  g_assert_cmpuint(st.drops_outage, >, 0);
  g_assert_cmpuint(st.tcp_retransmissions_upstream, >, 0);
  g_assert_cmpuint(st.tcp_retransmissions_enbs, ==, 0);
  g_assert_cmpuint(st.tcp_retransmissions_racas, ==, 0);
  g_assert_cmpuint(st.tcp_retransmissions_upstream, ==, st.tcp_retransmissions);
  for (guint k = 1; k <= es_topology_enbs(topo); k++)
    g_assert_cmpuint(es_sim_get_enb_tcp_retransmissions(sim, k), ==, 0);

  es_channel_close(p.channel, e);
  es_sim_free(sim);
  post_clear(&p);
}

/* A self-signed certificate for the RA/CAs' TLS servers, valid far around any clock. */
static X509 *self_signed(EVP_PKEY *key)
{
  X509 *cert = X509_new();
  g_assert_nonnull(cert);
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  ASN1_TIME_set_string(X509_getm_notBefore(cert), "20000101000000Z");
  ASN1_TIME_set_string(X509_getm_notAfter(cert), "20991231000000Z");
  X509_NAME *name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"raca", -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key);
  g_assert_cmpint(X509_sign(cert, key, EVP_sha256()), >, 0);
  return cert;
}

/* With transport.tls the eNBs' channels speak TLS to their RA/CAs while the RAs' channels to
 * the CA stay plain HTTP (the CA's server has no credential, and would not understand TLS). */
static void test_tls(void)
{
  g_autoptr(EsTopology) topo = topo_new(2, 1, NULL);
  EsSim *sim = sim_new(topo);
  EsEngine *e = es_sim_get0_engine(sim);
  EVP_PKEY *key = EVP_EC_gen("P-256");
  g_assert_nonnull(key);
  X509 *cert = self_signed(key);
  EsTransportConfig tls = {.tls = TRUE, .tls_version = ES_TLS_1_3};
  GError *error = NULL;
  g_assert_true(es_sim_set_tls(sim, &tls, cert, 7, &error));
  g_assert_no_error(error);
  g_assert_true(es_sim_set_tls_credential(sim, 0, cert, key, &error));
  g_assert_no_error(error);
  Server ra0 = {e, "ra0", 0}, ra1 = {e, "ra1", 0}, ca = {e, "ca", 0};
  es_engine_server_set(e, 0, server_request, &ra0);
  es_engine_server_set(e, 1, server_request, &ra1);
  es_engine_server_set(e, 2, server_request, &ca);
  Post up = {e, es_engine_upstream_open(e, 1), "upstream", 0, -1, NULL, NULL};
  post_now(&up);
  Post enb[6];
  for (guint k = 1; k <= 6; k++) {
    enb[k - 1] = (Post){e, es_engine_channel_open(e, k), "enb", 0, -1, NULL, NULL};
    post_now(&enb[k - 1]);
  }
  es_sim_run(sim, 5.0);
  g_assert_null(up.error);
  g_assert_cmpstr(up.answer, ==, "ca:upstream");
  for (guint k = 1; k <= 6; k++) {
    g_assert_null(enb[k - 1].error);
    g_autofree char *want = g_strdup_printf("ra%u:enb", es_topology_enb_raca(topo, k));
    g_assert_cmpstr(enb[k - 1].answer, ==, want);
  }
  EsSimTlsStats st;
  es_sim_get_tls_stats(sim, &st);
  g_assert_cmpuint(st.handshakes, ==, 6); /* the eNBs' alone */
  g_assert_cmpuint(st.failures, ==, 0);
  es_channel_close(up.channel, e);
  post_clear(&up);
  for (guint k = 0; k < 6; k++) {
    es_channel_close(enb[k].channel, e);
    post_clear(&enb[k]);
  }
  es_sim_free(sim);
  X509_free(cert);
  EVP_PKEY_free(key);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/engine/upstream/ra-to-ca", test_upstream);
  g_test_add_func("/engine/upstream/no-cas", test_no_cas);
  g_test_add_func("/engine/upstream/outage", test_outage);
  g_test_add_func("/engine/upstream/tls", test_tls);
  return g_test_run();
}
