/* The population's roots: equal bytes held once and decoded once, from any thread; nothing
 * held for bytes that do not decode or beyond the table's share; without a table, every caller
 * its own. */
#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "nodes/es_enb_roots.h"

/* A self-signed certificate told apart by its serial number, as DER. */
static GBytes *make_root(EVP_PKEY *key, long serial)
{
  X509 *x = X509_new();
  X509_NAME *name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"root", -1, -1, 0);
  g_assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
  g_assert_true(X509_set_subject_name(x, name) && X509_set_issuer_name(x, name));
  g_assert_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
  g_assert_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
  g_assert_true(X509_set_pubkey(x, key));
  g_assert_cmpint(X509_sign(x, key, EVP_sha256()), >, 0);
  unsigned char *der = NULL;
  int len = i2d_X509(x, &der);
  g_assert_cmpint(len, >, 0);
  GBytes *b = g_bytes_new(der, (gsize)len);
  OPENSSL_free(der);
  X509_NAME_free(name);
  X509_free(x);
  return b;
}

static GBytes *copy(GBytes *b)
{
  gsize n;
  const guint8 *d = g_bytes_get_data(b, &n);
  return g_bytes_new(d, n);
}

typedef struct {
  EVP_PKEY *key;
  GBytes *root;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
  (void)data;
  f->key = EVP_EC_gen("P-256");
  g_assert_nonnull(f->key);
  f->root = make_root(f->key, 1);
}

static void teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  g_bytes_unref(f->root);
  EVP_PKEY_free(f->key);
}

static void test_once(Fixture *f, gconstpointer data)
{
  (void)data;
  EsEnbRoots *roots = es_enb_roots_new();
  GBytes *a = es_enb_roots_intern(roots, g_bytes_ref(f->root));
  g_assert_true(a == f->root);
  GBytes *b = es_enb_roots_intern(roots, copy(f->root));
  g_assert_true(b == f->root); /* the copy given back, the table's taken */
  GBytes *c = copy(f->root);
  X509 *x = es_enb_roots_get1_cert(roots, b), *y = es_enb_roots_get1_cert(roots, c);
  g_assert_true(x == y);
  g_bytes_unref(c);
  g_assert_cmpuint(es_enb_roots_size(roots), ==, 1);
  g_bytes_unref(a);
  g_bytes_unref(b);
  es_enb_roots_free(roots);
  /* The certificate outlives the table that decoded it. */
  unsigned char *der = NULL;
  int len = i2d_X509(x, &der);
  g_assert_cmpmem(der, len, g_bytes_get_data(f->root, NULL), g_bytes_get_size(f->root));
  OPENSSL_free(der);
  X509_free(x);
  X509_free(y);
}

static void test_without_table(Fixture *f, gconstpointer data)
{
  (void)data;
  GBytes *c = copy(f->root);
  g_assert_true(es_enb_roots_intern(NULL, c) == c);
  X509 *x = es_enb_roots_get1_cert(NULL, c), *y = es_enb_roots_get1_cert(NULL, c);
  g_assert_nonnull(x);
  g_assert_true(x != y);
  g_assert_cmpint(X509_cmp(x, y), ==, 0);
  g_assert_null(es_enb_roots_intern(NULL, NULL));
  g_assert_null(es_enb_roots_get1_cert(NULL, NULL));
  X509_free(x);
  X509_free(y);
  g_bytes_unref(c);
}

static void test_undecodable(Fixture *f, gconstpointer data)
{
  (void)data;
  EsEnbRoots *roots = es_enb_roots_new();
  gsize n;
  const guint8 *d = g_bytes_get_data(f->root, &n);
  GBytes *cut = g_bytes_new(d, n - 1);
  g_assert_true(es_enb_roots_intern(roots, cut) == cut);
  g_assert_null(es_enb_roots_get1_cert(roots, cut));
  g_assert_cmpuint(es_enb_roots_size(roots), ==, 0);
  g_bytes_unref(cut);
  es_enb_roots_free(roots);
}

/* Past its share the table holds no more: each caller decodes its own, as without it. */
static void test_full(Fixture *f, gconstpointer data)
{
  (void)data;
  EsEnbRoots *roots = es_enb_roots_new();
  GPtrArray *held = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  for (long serial = 2; es_enb_roots_size(roots) < 16; serial++) {
    g_assert_cmpint(serial, <, 100);
    g_ptr_array_add(held, es_enb_roots_intern(roots, make_root(f->key, serial)));
  }
  GBytes *late = es_enb_roots_intern(roots, copy(f->root));
  g_assert_cmpuint(es_enb_roots_size(roots), ==, 16);
  X509 *x = es_enb_roots_get1_cert(roots, late), *y = es_enb_roots_get1_cert(roots, late);
  g_assert_nonnull(x);
  g_assert_true(x != y);
  /* One held before is still shared. */
  X509 *u = es_enb_roots_get1_cert(roots, g_ptr_array_index(held, 3));
  X509 *v = es_enb_roots_get1_cert(roots, g_ptr_array_index(held, 3));
  g_assert_true(u == v);
  X509_free(x);
  X509_free(y);
  X509_free(u);
  X509_free(v);
  g_bytes_unref(late);
  g_ptr_array_unref(held);
  es_enb_roots_free(roots);
}

typedef struct {
  EsEnbRoots *roots;
  GBytes *root;
  X509 *first;
  GBytes *first_bytes;
  gint mismatches;
} Shared;

static gpointer taker(gpointer data)
{
  Shared *s = data;
  for (int i = 0; i < 500; i++) {
    GBytes *b = es_enb_roots_intern(s->roots, copy(s->root));
    X509 *x = es_enb_roots_get1_cert(s->roots, b);
    if (b != s->first_bytes || x != s->first)
      g_atomic_int_inc(&s->mismatches);
    X509_free(x);
    g_bytes_unref(b);
  }
  return NULL;
}

static void test_threads(Fixture *f, gconstpointer data)
{
  (void)data;
  Shared s = {.roots = es_enb_roots_new(), .root = f->root};
  s.first_bytes = es_enb_roots_intern(s.roots, copy(f->root));
  s.first = es_enb_roots_get1_cert(s.roots, s.first_bytes);
  GThread *threads[4];
  for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
    threads[i] = g_thread_new("taker", taker, &s);
  for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
    g_thread_join(threads[i]);
  g_assert_cmpint(s.mismatches, ==, 0);
  X509_free(s.first);
  g_bytes_unref(s.first_bytes);
  es_enb_roots_free(s.roots);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
  ADD("/enb-roots/once", test_once);
  ADD("/enb-roots/without-table", test_without_table);
  ADD("/enb-roots/undecodable", test_undecodable);
  ADD("/enb-roots/full", test_full);
  ADD("/enb-roots/threads", test_threads);
  return g_test_run();
}
