/* The fault-injecting decorator (engines/es_faults.h) over the in-process loop engine, in front
 * of a node that answers every request: each fault's share over many requests near its
 * configured probability and what the client sees of it, the same seed giving the same
 * faults, lose_certconf deciding once per transactionID, and hostile bodies (garbage,
 * truncated messages) getting no per-transaction fault and no crash. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "engines/es_faults.h"
#include "engines/es_loop_engine.h"
#include "nodes/es_cmp.h"

#define ONE_WAY_S 0.001
#define DELAY_S 5.0
#define RETRY_AFTER_S 7u

/* ---- DER CMP messages made by hand: header with a transactionID, an empty body ---------- */

static void put_tlv(GByteArray *out, guint8 tag, const guint8 *content, gsize len)
{
  g_byte_array_append(out, &tag, 1);
  if (len < 128) {
    guint8 l = (guint8)len;
    g_byte_array_append(out, &l, 1);
  } else {
    guint8 l[3] = {0x82, (guint8)(len >> 8), (guint8)len};
    g_byte_array_append(out, l, 3);
  }
  if (len > 0)
    g_byte_array_append(out, content, (guint)len);
}

/* PKIMessage { header { pvno 2, sender and recipient directoryName {}, [4] transactionID
 * (when tid != NULL) }, body [type] { SEQUENCE {} } }. */
static GBytes *cmp_message(int type, const guint8 *tid, gsize tid_len)
{
  static const guint8 pvno[] = {0x02, 0x01, 0x02};
  static const guint8 empty_name[] = {0xa4, 0x02, 0x30, 0x00};
  static const guint8 empty_seq[] = {0x30, 0x00};
  GByteArray *fields = g_byte_array_new();
  g_byte_array_append(fields, pvno, sizeof pvno);
  g_byte_array_append(fields, empty_name, sizeof empty_name);
  g_byte_array_append(fields, empty_name, sizeof empty_name);
  if (tid != NULL) {
    GByteArray *octets = g_byte_array_new();
    put_tlv(octets, 0x04, tid, tid_len);
    put_tlv(fields, 0xa4, octets->data, octets->len);
    g_byte_array_unref(octets);
  }
  GByteArray *inner = g_byte_array_new();
  put_tlv(inner, 0x30, fields->data, fields->len);
  put_tlv(inner, (guint8)(0xa0 | type), empty_seq, sizeof empty_seq);
  GByteArray *msg = g_byte_array_new();
  put_tlv(msg, 0x30, inner->data, inner->len);
  g_byte_array_unref(fields);
  g_byte_array_unref(inner);
  return g_byte_array_free_to_bytes(msg);
}

static GBytes *certconf_of(guint transaction)
{
  guint8 tid[16] = {0};
  memcpy(tid, &transaction, sizeof transaction);
  tid[15] = 0x5a;
  return cmp_message(ES_CMP_CERTCONF, tid, sizeof tid);
}

/* ---- a node that answers, clients that post one request after another ----------------- */

typedef struct {
  EsLoopEngine *loop;
  EsFaults *faults;
  EsEngine *engine;    /* the decorator's */
  guint64 seen;        /* requests the node got */
  GHashTable *seen_bodies; /* GBytes -> count, when asked */
} Bench;

static void node_request(void *arg, EsExchange *x, const char *content_type, const guint8 *body,
                         gsize len)
{
  Bench *b = arg;
  g_assert_true(es_engine_content_type_is_cmp(content_type));
  b->seen++;
  if (b->seen_bodies != NULL) {
    GBytes *key = g_bytes_new(body, len);
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(b->seen_bodies, key));
    g_hash_table_replace(b->seen_bodies, key, GUINT_TO_POINTER(n + 1));
  }
  static const char ok[] = "ok";
  es_engine_reply(b->engine, x, 200, "application/pkixcmp", (const guint8 *)ok, 2);
}

static void bench_init(Bench *b, const EsFaultsConfig *config, guint64 seed)
{
  memset(b, 0, sizeof *b);
  b->loop = es_loop_engine_new(ONE_WAY_S);
  b->faults = es_faults_new(config, seed, es_loop_engine_get0_engine(b->loop));
  es_faults_set_retry_after(b->faults, RETRY_AFTER_S);
  b->engine = es_faults_get0_engine(b->faults);
  es_engine_server_set(b->engine, 0, node_request, b);
}

static void bench_clear(Bench *b)
{
  es_faults_free(b->faults);
  es_loop_engine_free(b->loop);
  if (b->seen_bodies != NULL)
    g_hash_table_destroy(b->seen_bodies);
}

typedef struct {
  Bench *bench;
  EsChannel *channel;
  GPtrArray *bodies;   /* GBytes, posted in turn; NULL: "x" */
  guint next, total;
  double sent_at;
  GString *trace;      /* per request: '.' answered, 'L' answered late, '5' 500, 'B' 503,
                        * 'D' connection closed without an answer */
} Client;

static void post_next(Client *cl);

static void on_response(void *arg, const EsResponse *r)
{
  Client *cl = arg;
  EsEngine *e = cl->bench->engine;
  char c;
  if (r->error != NULL) {
    g_assert_cmpint(r->http_status, ==, 0);
    c = 'D';
  } else if (r->http_status == 500) {
    g_assert_cmpstr(r->content_type, ==, "text/plain");
    c = '5';
  } else if (r->http_status == 503) {
    g_assert_cmpuint(r->retry_after_s, ==, RETRY_AFTER_S);
    c = 'B';
  } else {
    g_assert_cmpint(r->http_status, ==, 200);
    g_assert_cmpmem(r->body, r->len, "ok", 2);
    double took = es_engine_now(e) - cl->sent_at;
    c = took >= DELAY_S ? 'L' : '.';
    if (c == 'L')
      g_assert_cmpfloat(fabs(took - DELAY_S - 2 * ONE_WAY_S), <, 1e-9);
  }
  g_string_append_c(cl->trace, c);
  if (cl->next < cl->total)
    post_next(cl);
}

static void post_next(Client *cl)
{
  EsEngine *e = cl->bench->engine;
  GBytes *body = cl->bodies != NULL ? cl->bodies->pdata[cl->next % cl->bodies->len] : NULL;
  gsize len = 1;
  const guint8 *data = body != NULL ? g_bytes_get_data(body, &len) : (const guint8 *)"x";
  cl->next++;
  cl->sent_at = es_engine_now(e);
  es_channel_post(cl->channel, e, "application/pkixcmp", data, len, on_response, cl);
}

/* Posts `total` requests one after another (bodies in turn) and returns the trace. */
static char *run_client(Bench *b, GPtrArray *bodies, guint total)
{
  Client cl = {.bench = b, .bodies = bodies, .total = total, .trace = g_string_new(NULL)};
  cl.channel = es_engine_channel_open(b->engine, 1);
  post_next(&cl);
  es_loop_engine_run(b->loop, INFINITY);
  es_channel_close(cl.channel, b->engine);
  g_assert_cmpuint(cl.trace->len, ==, total);
  return g_string_free(cl.trace, FALSE);
}

static guint count_of(const char *trace, char c)
{
  guint n = 0;
  for (const char *p = trace; *p != '\0'; p++)
    n += *p == c;
  return n;
}

/* ---- tests ---------------------------------------------------------------------------- */

static EsFaultsConfig mixed_config(void)
{
  EsFaultsConfig c;
  es_faults_config_init(&c);
  c.http_500 = 0.05;
  c.http_503 = 0.1;
  c.drop_before = 0.15;
  c.drop_after = 0.1;
  c.delay = 0.2;
  c.delay_time_s = DELAY_S;
  return c;
}

static void test_shares(void)
{
  const guint n = 20000;
  EsFaultsConfig config = mixed_config();
  Bench b;
  bench_init(&b, &config, 42);
  g_autofree char *trace = run_client(&b, NULL, n);
  EsFaultsStats st;
  es_faults_get_stats(b.faults, &st);
  g_assert_cmpuint(st.requests, ==, n);
  /* What the client saw is what was drawn. */
  g_assert_cmpuint(count_of(trace, '5'), ==, st.count[ES_FAULT_HTTP_500]);
  g_assert_cmpuint(count_of(trace, 'B'), ==, st.count[ES_FAULT_HTTP_503]);
  g_assert_cmpuint(count_of(trace, 'D'), ==,
                   st.count[ES_FAULT_DROP_BEFORE] + st.count[ES_FAULT_DROP_AFTER]);
  g_assert_cmpuint(count_of(trace, 'L'), ==, st.count[ES_FAULT_DELAY]);
  g_assert_cmpuint(st.count[ES_FAULT_LOSE_CERTCONF], ==, 0);
  /* 500, 503 and drop_before never reach the node; drop_after and delay do. */
  g_assert_cmpuint(b.seen, ==, n - st.count[ES_FAULT_HTTP_500] - st.count[ES_FAULT_HTTP_503]
                                   - st.count[ES_FAULT_DROP_BEFORE]);
  /* Shares within 5 standard deviations of the configured ones. */
  const double share[] = {config.http_500, config.http_503, config.drop_before, config.drop_after,
                          config.delay};
  for (guint k = 0; k < G_N_ELEMENTS(share); k++) {
    double got = (double)st.count[k] / n, sd = sqrt(share[k] * (1 - share[k]) / n);
    if (fabs(got - share[k]) > 5 * sd)
      g_error("%s: share %.4f, configured %.4f", es_faults_kind_name(k), got, share[k]);
  }
  bench_clear(&b);
}

static char *trace_of(guint64 seed, guint n, EsFaultsStats *st)
{
  EsFaultsConfig config = mixed_config();
  config.lose_certconf = 0.5;
  Bench b;
  bench_init(&b, &config, seed);
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  for (guint t = 0; t < 50; t++) {
    g_ptr_array_add(bodies, cmp_message(ES_CMP_IR, (const guint8 *)&t, sizeof t));
    g_ptr_array_add(bodies, certconf_of(t));
  }
  char *trace = run_client(&b, bodies, n);
  es_faults_get_stats(b.faults, st);
  bench_clear(&b);
  return trace;
}

static void test_same_seed(void)
{
  EsFaultsStats a, b, c;
  g_autofree char *first = trace_of(7, 2000, &a);
  g_autofree char *again = trace_of(7, 2000, &b);
  g_autofree char *other = trace_of(8, 2000, &c);
  g_assert_cmpstr(first, ==, again);
  g_assert_cmpmem(&a, sizeof a, &b, sizeof b);
  g_assert_cmpstr(first, !=, other);
}

/* Each transaction's certConfs are all dropped or none is, whatever else is drawn; its other
 * messages are never dropped for it. */
static void test_lose_certconf(void)
{
  const guint transactions = 400, rounds = 3;
  EsFaultsConfig config;
  es_faults_config_init(&config);
  config.lose_certconf = 0.3;
  Bench b;
  bench_init(&b, &config, 3);
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  for (guint t = 0; t < transactions; t++)
    g_ptr_array_add(bodies, certconf_of(t));
  for (guint t = 0; t < transactions; t++) { /* irs of the same transactions */
    guint8 tid[16] = {0};
    memcpy(tid, &t, sizeof t);
    tid[15] = 0x5a;
    g_ptr_array_add(bodies, cmp_message(ES_CMP_IR, tid, sizeof tid));
  }
  guint per_round = bodies->len;
  g_autofree char *trace = run_client(&b, bodies, rounds * per_round);
  EsFaultsStats st;
  es_faults_get_stats(b.faults, &st);
  guint lost = 0;
  for (guint t = 0; t < transactions; t++) {
    char first = trace[t];
    g_assert_true(first == '.' || first == 'D');
    for (guint r = 1; r < rounds; r++)
      g_assert_cmpint(trace[r * per_round + t], ==, first);
    lost += first == 'D';
  }
  for (guint r = 0; r < rounds; r++)
    for (guint i = transactions; i < per_round; i++)
      g_assert_cmpint(trace[r * per_round + i], ==, '.');
  g_assert_cmpuint(st.lost_transactions, ==, lost);
  g_assert_cmpuint(st.count[ES_FAULT_LOSE_CERTCONF], ==, (guint64)lost * rounds);
  g_assert_cmpuint(b.seen, ==, rounds * per_round - (guint64)lost * rounds);
  double sd = sqrt(0.3 * 0.7 / transactions);
  g_assert_cmpfloat(fabs((double)lost / transactions - 0.3), <, 5 * sd);
  bench_clear(&b);
}

/* Every certConf is lost; whatever does not parse as one with a transactionID reaches the
 * node untouched. */
static void test_garbage(void)
{
  EsFaultsConfig config;
  es_faults_config_init(&config);
  config.lose_certconf = 1;
  Bench b;
  bench_init(&b, &config, 1);
  b.seen_bodies = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
                                        (GDestroyNotify)g_bytes_unref, NULL);
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  g_autoptr(GBytes) whole = certconf_of(99);
  gsize whole_len;
  const guint8 *whole_der = g_bytes_get_data(whole, &whole_len);
  for (gsize cut = 1; cut < whole_len; cut++) /* every truncation */
    g_ptr_array_add(bodies, g_bytes_new(whole_der, cut));
  g_ptr_array_add(bodies, cmp_message(ES_CMP_CERTCONF, NULL, 0));              /* no ID */
  g_ptr_array_add(bodies, cmp_message(ES_CMP_CERTCONF, (const guint8 *)"", 0)); /* empty ID */
  static const guint8 huge[] = {0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30, 0x00};
  g_ptr_array_add(bodies, g_bytes_new(huge, sizeof huge));
  static const guint8 indefinite[] = {0x30, 0x80, 0x30, 0x80, 0x00, 0x00, 0xb8, 0x00, 0x00, 0x00};
  g_ptr_array_add(bodies, g_bytes_new(indefinite, sizeof indefinite));
  g_autoptr(GRand) r = g_rand_new_with_seed(5);
  for (guint i = 0; i < 2000; i++) {
    gsize len = (gsize)g_rand_int_range(r, 1, 200);
    guint8 *junk = g_malloc(len);
    for (gsize j = 0; j < len; j++)
      junk[j] = (guint8)g_rand_int(r);
    if (i % 2 == 0) /* half of them framed like a certConf, garbage inside */
      junk[0] = 0x30;
    g_ptr_array_add(bodies, g_bytes_new_take(junk, len));
  }
  guint garbage = bodies->len;
  g_ptr_array_add(bodies, g_bytes_ref(whole));
  g_autofree char *trace = run_client(&b, bodies, bodies->len);
  for (guint i = 0; i < garbage; i++) {
    if (trace[i] != '.')
      g_error("garbage body %u dropped", i);
    g_assert_true(g_hash_table_contains(b.seen_bodies, bodies->pdata[i]));
  }
  g_assert_cmpint(trace[garbage], ==, 'D'); /* the real certConf: lost */
  g_assert_false(g_hash_table_contains(b.seen_bodies, whole));
  EsFaultsStats st;
  es_faults_get_stats(b.faults, &st);
  g_assert_cmpuint(st.lost_transactions, ==, 1);
  bench_clear(&b);
}

/* The node's own drop and 503 pass through; a delayed 503 keeps its Retry-After; the
 * decorator freed with answers held back leaks nothing (valgrind). */
typedef struct {
  EsEngine *engine;
  int mode; /* 0: 503, 1: drop */
} Refuser;

static void refuser_request(void *arg, EsExchange *x, const char *content_type,
                            const guint8 *body, gsize len)
{
  Refuser *rf = arg;
  (void)content_type, (void)body, (void)len;
  if (rf->mode == 0)
    es_engine_reply_unavailable(rf->engine, x, RETRY_AFTER_S);
  else
    es_engine_drop(rf->engine, x);
}

static void test_node_refusals(void)
{
  for (int mode = 0; mode < 2; mode++) {
    EsFaultsConfig config;
    es_faults_config_init(&config);
    config.delay = 0.5;
    config.delay_time_s = DELAY_S;
    Bench b;
    bench_init(&b, &config, 11);
    Refuser rf = {.engine = b.engine, .mode = mode};
    es_engine_server_set(b.engine, 0, refuser_request, &rf);
    g_autofree char *trace = run_client(&b, NULL, 200);
    EsFaultsStats st;
    es_faults_get_stats(b.faults, &st);
    g_assert_cmpuint(count_of(trace, mode == 0 ? 'B' : 'D'), ==, 200);
    g_assert_cmpuint(st.count[ES_FAULT_DELAY], >, 50);
    bench_clear(&b);
  }
  /* Freed while an answer is held back. */
  EsFaultsConfig config;
  es_faults_config_init(&config);
  config.delay = 1;
  config.delay_time_s = DELAY_S;
  Bench b;
  bench_init(&b, &config, 1);
  Client cl = {.bench = &b, .total = 1, .trace = g_string_new(NULL)};
  cl.channel = es_engine_channel_open(b.engine, 1);
  post_next(&cl);
  es_loop_engine_run(b.loop, DELAY_S / 2);
  g_assert_cmpuint(b.seen, ==, 1);
  g_assert_cmpuint(cl.trace->len, ==, 0);
  es_channel_close(cl.channel, b.engine);
  es_faults_free(b.faults);
  b.faults = NULL;
  es_loop_engine_run(b.loop, INFINITY); /* the held answer was dropped, its timer is gone */
  g_assert_cmpuint(cl.trace->len, ==, 0); /* the client had gone */
  g_string_free(cl.trace, TRUE);
  bench_clear(&b);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/faults/shares", test_shares);
  g_test_add_func("/faults/same-seed", test_same_seed);
  g_test_add_func("/faults/lose-certconf", test_lose_certconf);
  g_test_add_func("/faults/garbage", test_garbage);
  g_test_add_func("/faults/node-refusals", test_node_refusals);
  return g_test_run();
}
