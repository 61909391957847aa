/* Tests of es_predecode: a message taken is the one decoding its bytes on receipt gives, and
 * takes as many bytes; bytes that differ from every submission (a corrupted message, trailing
 * junk) are decoded as they are; the oldest messages nobody took are dropped at capacity, and
 * one withdrawn at once; the first messages of a quiet network are only noted; submitting and
 * taking from two threads at once gives the same messages; and a request submitted `later` has its signatures checked
 * by the thread, which answers its receiver's checks of it but never takes an altered copy
 * for genuine. */
#include <string.h>

#include <openssl/err.h>

#include "nodes/es_predecode.h"
#include "pki/es_provider.h"
#include "pki/es_rand.h"
#include "pki/es_sigcache.h"
#include "tests/unit/nodes/test_raca_common.h"

typedef struct {
  Fixture f;
  GPtrArray *msgs; /* GBytes: the ir, ip, certConf, pkiConf of a real enrolment */
} Messages;

static void messages_setup(Messages *m, gconstpointer data)
{
  fixture_setup(&m->f, data);
  Wire w = {.raca = m->f.raca, .mode = PASS, .last_response_type = -1, .keep = TRUE};
  OSSL_CMP_CTX *ctx = enb_ctx(m->f.pki, 7, &w);
  /* The wire keeps the last request of each type and the last response. */
  g_assert_nonnull(OSSL_CMP_exec_IR_ses(ctx)); /* the context's */
  m->msgs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  g_ptr_array_add(m->msgs, g_bytes_ref(w.request[ES_CMP_IR]));
  g_ptr_array_add(m->msgs, g_bytes_ref(w.request[ES_CMP_CERTCONF]));
  g_ptr_array_add(m->msgs, g_bytes_ref(w.response)); /* the pkiConf */
  OSSL_CMP_CTX_free(ctx);
  wire_clear(&w);
}

static void messages_teardown(Messages *m, gconstpointer data)
{
  g_ptr_array_free(m->msgs, TRUE);
  fixture_teardown(&m->f, data);
}

/* The DER of `msg`, which must equal `der`. */
static void assert_same(OSSL_CMP_MSG *msg, GBytes *der)
{
  g_assert_nonnull(msg);
  unsigned char *out = NULL;
  int n = i2d_OSSL_CMP_MSG(msg, &out);
  gsize len;
  const guint8 *want = g_bytes_get_data(der, &len);
  g_assert_cmpint(n, ==, (int)len);
  g_assert_cmpmem(out, n, want, len);
  OPENSSL_free(out);
}

static OSSL_CMP_MSG *take(EsPredecode *pd, GBytes *der, gsize *used)
{
  gsize len;
  const guint8 *p = g_bytes_get_data(der, &len);
  return es_predecode_take(pd, p, len, used);
}

/* Waits until the thread has decoded all that is queued. */
static void drain(EsPredecode *pd)
{
  EsPredecodeStats st;
  for (int i = 0; i < 10000; i++) {
    es_predecode_get_stats(pd, &st);
    if (st.pending == 0)
      return;
    g_usleep(1000);
  }
  g_assert_cmpuint(st.pending, ==, 0);
}

static void test_taken(Messages *m, gconstpointer data)
{
  (void)data;
  EsPredecode *pd = es_predecode_new(64);
  /* Enough on their way that each is decoded ahead (the first ones are only noted). */
  for (int round = 0; round < 3; round++)
    for (guint i = 0; i < m->msgs->len; i++)
      es_predecode_submit(pd, g_ptr_array_index(m->msgs, i), FALSE);
  drain(pd);
  for (int round = 0; round < 3; round++)
    for (guint i = 0; i < m->msgs->len; i++) {
      gsize used;
      GBytes *der = g_ptr_array_index(m->msgs, i);
      OSSL_CMP_MSG *msg = take(pd, der, &used);
      assert_same(msg, der);
      g_assert_cmpuint(used, ==, g_bytes_get_size(der));
      OSSL_CMP_MSG_free(msg);
    }
  EsPredecodeStats st;
  es_predecode_get_stats(pd, &st);
  /* The first is only noted: one message on its way is decoded on receipt. */
  g_assert_cmpuint(st.submitted, ==, 3 * m->msgs->len - 1);
  g_assert_cmpuint(st.taken, ==, st.submitted);
  g_assert_cmpuint(st.dropped, ==, 0);

  /* Bytes nobody submitted: decoded on the spot, the same. */
  gsize used;
  GBytes *ir = g_ptr_array_index(m->msgs, 0);
  OSSL_CMP_MSG *msg = take(pd, ir, &used);
  assert_same(msg, ir);
  OSSL_CMP_MSG_free(msg);
  es_predecode_free(pd);

  /* Without a decoder at all (--one-thread): the same again. */
  msg = take(NULL, ir, &used);
  assert_same(msg, ir);
  OSSL_CMP_MSG_free(msg);
}

static void test_differing_bytes(Messages *m, gconstpointer data)
{
  (void)data;
  EsPredecode *pd = es_predecode_new(64);
  GBytes *ir = g_ptr_array_index(m->msgs, 0);
  for (int k = 0; k < 4; k++)
    es_predecode_submit(pd, ir, TRUE);
  gsize len;
  const guint8 *p = g_bytes_get_data(ir, &len);

  /* A flipped byte in the signature: what arrives is decoded, not what was sent. */
  guint8 *bent = g_memdup2(p, len);
  bent[len - 3] ^= 0x01;
  gsize used;
  OSSL_CMP_MSG *msg = es_predecode_take(pd, bent, len, &used);
  g_autoptr(GBytes) bent_bytes = g_bytes_new(bent, len);
  assert_same(msg, bent_bytes);
  OSSL_CMP_MSG_free(msg);

  /* Trailing junk: the message and how much of the input it took, as d2i tells. */
  guint8 *longer = g_malloc(len + 3);
  memcpy(longer, p, len);
  memcpy(longer + len, "\x05\x00\x00", 3);
  msg = es_predecode_take(pd, longer, len + 3, &used);
  assert_same(msg, ir);
  g_assert_cmpuint(used, ==, len);
  OSSL_CMP_MSG_free(msg);

  /* Cut short: no message, as d2i gives none. */
  g_assert_null(es_predecode_take(pd, p, len - 1, &used));
  ERR_clear_error();
  EsPredecodeStats st;
  es_predecode_get_stats(pd, &st);
  g_assert_cmpuint(st.taken, ==, 0);
  g_free(bent);
  g_free(longer);
  es_predecode_free(pd); /* frees the four never taken */
}

static void test_capacity(Messages *m, gconstpointer data)
{
  (void)data;
  EsPredecode *pd = es_predecode_new(2);
  for (guint i = 0; i < m->msgs->len; i++)
    es_predecode_submit(pd, g_ptr_array_index(m->msgs, i), TRUE);
  drain(pd);
  EsPredecodeStats st;
  es_predecode_get_stats(pd, &st);
  g_assert_cmpuint(st.dropped, ==, m->msgs->len - 2);
  /* The oldest, dropped, is decoded on receipt; the others come from the thread. */
  for (guint i = 0; i < m->msgs->len; i++) {
    gsize used;
    GBytes *der = g_ptr_array_index(m->msgs, i);
    OSSL_CMP_MSG *msg = take(pd, der, &used);
    assert_same(msg, der);
    OSSL_CMP_MSG_free(msg);
  }
  es_predecode_get_stats(pd, &st);
  g_assert_cmpuint(st.taken, ==, 2);
  es_predecode_free(pd);
}

/* A submission withdrawn goes at once; the same bytes submitted again stay for the receiver,
 * and bytes withdrawn are decoded on receipt, the same. */
static void test_withdrawn(Messages *m, gconstpointer data)
{
  (void)data;
  EsPredecode *pd = es_predecode_new(64);
  GBytes *ir = g_ptr_array_index(m->msgs, 0), *conf = g_ptr_array_index(m->msgs, 1);
  es_predecode_submit(pd, ir, TRUE);
  es_predecode_submit(pd, ir, TRUE);
  es_predecode_submit(pd, conf, TRUE);
  drain(pd);
  EsPredecodeStats st;
  es_predecode_get_stats(pd, &st);
  g_assert_cmpuint(st.waiting, ==, 3);
  es_predecode_withdraw(pd, ir);
  es_predecode_withdraw(pd, conf);
  es_predecode_get_stats(pd, &st);
  g_assert_cmpuint(st.waiting, ==, 1);
  es_predecode_withdraw(pd, conf); /* none left: nothing happens */
  for (int i = 0; i < 2; i++) {
    gsize used;
    GBytes *der = i == 0 ? ir : conf;
    OSSL_CMP_MSG *msg = take(pd, der, &used);
    assert_same(msg, der);
    OSSL_CMP_MSG_free(msg);
  }
  es_predecode_get_stats(pd, &st);
  g_assert_cmpuint(st.taken, ==, 1); /* the ir submitted twice; the certConf decoded on receipt */
  g_assert_cmpuint(st.waiting, ==, 0);
  es_predecode_free(pd);
}

typedef struct {
  EsPredecode *pd;
  GPtrArray *msgs;
  guint rounds;
  gboolean ok;
} Taker;

/* Takes what the main thread submits, as a receiver on another thread would. */
static gpointer taker(gpointer data)
{
  Taker *t = data;
  t->ok = TRUE;
  for (guint r = 0; r < t->rounds; r++) {
    GBytes *der = g_ptr_array_index(t->msgs, r % t->msgs->len);
    gsize len, used;
    const guint8 *p = g_bytes_get_data(der, &len);
    OSSL_CMP_MSG *msg = es_predecode_take(t->pd, p, len, &used);
    unsigned char *out = NULL;
    int n = msg != NULL ? i2d_OSSL_CMP_MSG(msg, &out) : -1;
    t->ok = t->ok && n == (int)len && used == len && memcmp(out, p, len) == 0;
    OPENSSL_free(out);
    OSSL_CMP_MSG_free(msg);
  }
  return NULL;
}

static void test_threads(Messages *m, gconstpointer data)
{
  (void)data;
  EsPredecode *pd = es_predecode_new(16);
  Taker t = {pd, m->msgs, 60, FALSE};
  for (guint r = 0; r < 8; r++) /* a head start, so some are decoded ahead */
    es_predecode_submit(pd, g_ptr_array_index(m->msgs, r % m->msgs->len), FALSE);
  GThread *th = g_thread_new("taker", taker, &t);
  for (guint r = 8; r < t.rounds; r++)
    es_predecode_submit(pd, g_ptr_array_index(m->msgs, r % m->msgs->len), r % 3 == 0);
  g_thread_join(th);
  g_assert_true(t.ok);
  es_predecode_free(pd);
}

/* What the RA/CA's OpenSSL does first with a request: its protection and its sender's chain. */
static int validate(EsPki *pki, OSSL_CMP_MSG *msg)
{
  OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
  X509_STORE *store = X509_STORE_new();
  X509_STORE_add_cert(store, es_pki_get0_vendor_root(pki));
  g_assert_true(OSSL_CMP_CTX_set0_trustedStore(ctx, store));
  es_cmp_ctx_quiet(ctx);
  int r = OSSL_CMP_validate_msg(ctx, msg);
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();
  return r;
}

static void test_checked_ahead(Messages *m, gconstpointer data)
{
  (void)data;
  GBytes *ir = g_ptr_array_index(m->msgs, 0);
  /* A copy whose transactionID differs in one bit: it decodes, and its protection fails. */
  gsize used, len;
  OSSL_CMP_MSG *msg = take(NULL, ir, &used);
  const ASN1_OCTET_STRING *id = OSSL_CMP_HDR_get0_transactionID(OSSL_CMP_MSG_get0_header(msg));
  const guint8 *der = g_bytes_get_data(ir, &len);
  guint8 *forged = g_memdup2(der, len);
  gsize id_len = (gsize)ASN1_STRING_length(id), at = 0;
  while (at + id_len <= len && memcmp(forged + at, ASN1_STRING_get0_data(id), id_len) != 0)
    at++;
  g_assert_cmpuint(at + id_len, <=, len);
  forged[at] ^= 1;
  GBytes *forged_ir = g_bytes_new_take(forged, len);
  OSSL_CMP_MSG_free(msg);

  es_sigcache_enable(TRUE);
  X509_STORE *trusted = X509_STORE_new();
  X509_STORE_add_cert(trusted, es_pki_get0_vendor_root(m->f.pki));
  X509_VERIFY_PARAM_set_flags(X509_STORE_get0_param(trusted), X509_V_FLAG_NO_CHECK_TIME);
  EsPredecode *pd = es_predecode_new(16);
  es_predecode_set1_trusted(pd, trusted, 11);
  X509_STORE_free(trusted);
  EsSigcacheStats before;
  es_sigcache_get_stats(&before);
  es_predecode_submit(pd, ir, TRUE);
  es_predecode_submit(pd, forged_ir, TRUE);
  es_predecode_submit(pd, g_ptr_array_index(m->msgs, 1), FALSE); /* due soon: not checked */
  drain(pd);
  EsPredecodeStats st;
  es_predecode_get_stats(pd, &st);
  g_assert_cmpuint(st.checked, ==, 2);
  EsSigcacheStats after;
  es_sigcache_get_stats(&after);
  /* The protection, the device certificate's signature, the proof of possession; of the forged
   * copy the same but its protection. */
  g_assert_cmpuint(after.remembered, ==, before.remembered + 3);

  msg = take(pd, ir, &used);
  g_assert_cmpint(validate(m->f.pki, msg), ==, 1);
  OSSL_CMP_MSG_free(msg);
  EsSigcacheStats genuine;
  es_sigcache_get_stats(&genuine);
  g_assert_cmpuint(genuine.answered, ==, after.answered + 2);
  msg = take(pd, forged_ir, &used);
  g_assert_cmpint(validate(m->f.pki, msg), !=, 1);
  OSSL_CMP_MSG_free(msg);
  msg = take(pd, g_ptr_array_index(m->msgs, 1), &used);
  OSSL_CMP_MSG_free(msg);
  es_predecode_free(pd);
  g_bytes_unref(forged_ir);
  es_sigcache_enable(FALSE);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_unsetenv("OPENSSL_CONF"); /* the signature cache is in the trimmed provider */
  g_assert_true(es_provider_install(NULL));
  es_rand_install(11);
  g_test_add("/predecode/taken", Messages, GINT_TO_POINTER(FALSE), messages_setup, test_taken,
             messages_teardown);
  g_test_add("/predecode/differing-bytes", Messages, GINT_TO_POINTER(FALSE), messages_setup,
             test_differing_bytes, messages_teardown);
  g_test_add("/predecode/capacity", Messages, GINT_TO_POINTER(FALSE), messages_setup,
             test_capacity, messages_teardown);
  g_test_add("/predecode/withdrawn", Messages, GINT_TO_POINTER(FALSE), messages_setup,
             test_withdrawn, messages_teardown);
  g_test_add("/predecode/threads", Messages, GINT_TO_POINTER(FALSE), messages_setup,
             test_threads, messages_teardown);
  g_test_add("/predecode/checked-ahead", Messages, GINT_TO_POINTER(FALSE), messages_setup,
             test_checked_ahead, messages_teardown);
  int rc = g_test_run();
  es_rand_uninstall();
  return rc;
}
