/* The RA/CA when OpenSSL runs out of memory while it answers an ir: the n-th allocation of that
 * work fails, for every n from just before the CA spends a serial to the end of the ip. Whatever
 * fails, each serial spent is a certificate the RA/CA reported as issued, and one that did not
 * reach its eNB ends revoked. */
#include <glib.h>
#include <openssl/cmp.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include "nodes/es_cmp.h"
#include "nodes/es_raca.h"
#include "pki/es_pki.h"
#include "pki/es_rand.h"
#include "tests/unit/nodes/test_raca_common.h"

/* OpenSSL's allocator: counts allocations, and fails one when told to. */
static guint64 allocations;
static guint64 fail_at; /* 0: none */
static gboolean paused; /* the test's own bookkeeping runs: neither counted nor failed */

static gboolean should_fail(void)
{
  return !paused && ++allocations == fail_at;
}

static void *faulty_malloc(size_t n, const char *file, int line)
{
  (void)file, (void)line;
  return should_fail() ? NULL : malloc(n);
}

static void *faulty_realloc(void *p, size_t n, const char *file, int line)
{
  (void)file, (void)line;
  return should_fail() ? NULL : realloc(p, n);
}

static void faulty_free(void *p, const char *file, int line)
{
  (void)file, (void)line;
  free(p);
}

typedef struct {
  EsRaca *raca;
  guint64 fail_after; /* fail this allocation of the ir's processing; 0: none */
  guint64 issued_at;  /* allocations of the ir's processing before the issued event */
  guint64 ir_allocations;
  gboolean failed; /* the failure happened */
} FaultyWire;

static FaultyWire *current_wire;

/* Like the common wire, with the failure armed while the RA/CA answers the ir only. */
static OSSL_CMP_MSG *faulty_transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
  FaultyWire *w = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);
  g_assert_cmpint(len, >, 0);
  gboolean ir = OSSL_CMP_MSG_get_bodytype(req) == ES_CMP_IR;
  if (ir) {
    allocations = 0;
    fail_at = w->fail_after;
    current_wire = w;
  }
  GError *error = NULL;
  GBytes *rsp = es_raca_process(w->raca, der, (gsize)len, &error);
  if (ir) {
    w->ir_allocations = allocations;
    w->failed = fail_at != 0 && allocations >= fail_at;
    fail_at = 0;
    current_wire = NULL;
  }
  OPENSSL_free(der);
  if (rsp == NULL) {
    g_assert_true(w->failed);
    g_clear_error(&error);
    return NULL;
  }
  return cmp_msg_take(rsp);
}

typedef struct {
  GHashTable *issued;  /* serial hex -> "" */
  GHashTable *revoked; /* serial hex -> cause name */
  guint issue_failed;
} Ledger;

static void on_event(void *arg, const EsRacaEvent *ev)
{
  Ledger *l = arg;
  paused = TRUE;
  char *serial = es_serial_hex(X509_get0_serialNumber(ev->cert));
  g_assert_cmpstr(serial, !=, "");
  if (ev->kind == ES_RACA_EVENT_ISSUED) {
    g_assert_false(g_hash_table_contains(l->issued, serial));
    g_hash_table_insert(l->issued, serial, g_strdup(""));
    if (current_wire != NULL)
      current_wire->issued_at = allocations;
  } else {
    if (ev->cause == ES_RACA_REVOKED_ISSUE_FAILED)
      l->issue_failed++;
    g_hash_table_insert(l->revoked, serial, g_strdup(es_raca_revoke_cause_name(ev->cause)));
  }
  paused = FALSE;
}

/* eNB `number`'s ir, failing allocation `fail_after` of its processing; the certificate it got,
 * if any. */
static X509 *enrol_failing(Fixture *f, guint number, FaultyWire *w)
{
  Wire unused = {.raca = f->raca, .mode = PASS, .last_response_type = -1};
  OSSL_CMP_CTX *ctx = enb_ctx(f->pki, number, &unused);
  g_assert_true(OSSL_CMP_CTX_set_transfer_cb(ctx, faulty_transfer));
  g_assert_true(OSSL_CMP_CTX_set_transfer_cb_arg(ctx, w));
  X509 *cert = OSSL_CMP_exec_IR_ses(ctx);
  if (cert != NULL)
    g_assert_true(X509_up_ref(cert));
  OSSL_CMP_CTX_free(ctx);
  ERR_clear_error();
  return cert;
}

static void test_issue_under_failing_allocations(Fixture *f, gconstpointer data)
{
  (void)data;
  Ledger l = {g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
              g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free), 0};
  EsRacaObserver obs = {.event = on_event};
  es_raca_set_observer(f->raca, &obs, &l);
  GHashTable *held = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

  /* A clean run first: OpenSSL's lazy set-up is done, and it tells where issuing happens. */
  FaultyWire clean = {f->raca, 0, 0, 0, FALSE};
  X509 *cert = enrol_failing(f, 1, &clean);
  g_assert_nonnull(cert);
  g_hash_table_add(held, es_serial_hex(X509_get0_serialNumber(cert)));
  X509_free(cert);
  g_assert_cmpuint(clean.issued_at, >, 0);
  g_test_message("an ir costs %" G_GUINT64_FORMAT
                 " allocations, the serial is spent after %" G_GUINT64_FORMAT,
                 clean.ir_allocations, clean.issued_at);

  guint failures = 0;
  guint64 from = clean.issued_at > 100 ? clean.issued_at - 100 : 1;
  for (guint64 n = from; n <= clean.ir_allocations + 10; n++) {
    FaultyWire w = {f->raca, n, 0, 0, FALSE};
    cert = enrol_failing(f, 2 + (guint)(n - from), &w);
    failures += w.failed;
    if (cert != NULL) {
      g_hash_table_add(held, es_serial_hex(X509_get0_serialNumber(cert)));
      X509_free(cert);
    } else {
      es_raca_expire_all(f->raca); /* nothing waits for a certConf that will not come */
    }
  }
  g_assert_cmpuint(failures, >, 0);

  /* The next serial follows the last one reported: none was spent in silence. */
  FaultyWire last = {f->raca, 0, 0, 0, FALSE};
  cert = enrol_failing(f, 1000000, &last);
  g_assert_nonnull(cert);
  g_hash_table_add(held, es_serial_hex(X509_get0_serialNumber(cert)));
  guint64 top = ASN1_INTEGER_get(X509_get0_serialNumber(cert));
  X509_free(cert);
  g_assert_cmpuint(g_hash_table_size(l.issued), ==, top - 0x100 + 1);
  for (guint64 s = 0x100; s <= top; s++) {
    ASN1_INTEGER *serial = ASN1_INTEGER_new();
    ASN1_INTEGER_set_uint64(serial, s);
    char *hex = es_serial_hex(serial);
    g_assert_true(g_hash_table_contains(l.issued, hex));
    /* Each issued certificate is with its eNB or revoked, never both. */
    g_assert_true(g_hash_table_contains(held, hex) != g_hash_table_contains(l.revoked, hex));
    g_free(hex);
    ASN1_INTEGER_free(serial);
  }
  /* Failures after the serial was spent did happen, and revoked what no ip carried. */
  g_assert_cmpuint(l.issue_failed, >, 0);

  g_hash_table_unref(held);
  g_hash_table_unref(l.issued);
  g_hash_table_unref(l.revoked);
}

int main(int argc, char **argv)
{
  /* Before OpenSSL allocates anything. */
  if (!CRYPTO_set_mem_functions(faulty_malloc, faulty_realloc, faulty_free))
    g_error("OpenSSL allocated before main");
  g_test_init(&argc, &argv, NULL);
  es_rand_install(42);
  g_test_add("/raca/faults/issue-under-failing-allocations", Fixture, GINT_TO_POINTER(FALSE),
             fixture_setup, test_issue_under_failing_allocations, fixture_teardown);
  int rc = g_test_run();
  es_rand_uninstall();
  return rc;
}
