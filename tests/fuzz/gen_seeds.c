/* Writes real CMP messages of one enrolment (ir, ip, certConf, pkiConf) and of a root update
 * with the certificate it got (genm, genp) as fuzz seeds, then
 * those of one with delayed delivery (ir, ip `waiting`, pollReq, pollRep, ...) and its
 * requests as one sequence, what fuzz_raca_request replays against an RA/CA that approves
 * late: mutations of valid messages reach much deeper than random bytes. Usage: gen_seeds DIR */
#include <stdio.h>
#include <glib.h>
#include <openssl/cmp.h>
#include "engines/es_loop_engine.h"
#include "nodes/es_cmp.h"
#include "nodes/es_raca.h"
#include "tests/fuzz/fuzz_common.h"

static const char *dir;
static EsRaca *raca;
static int count;
static GByteArray *sequence; /* the requests of the delayed session, back to back */

static void save(const char *kind, const guint8 *der, gsize len)
{
  char name[64];
  g_snprintf(name, sizeof name, "seed-%d-%s.der", count++, kind);
  char *path = g_build_filename(dir, name, NULL);
  g_file_set_contents(path, (const char *)der, len, NULL);
  g_free(path);
}

static OSSL_CMP_MSG *transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
  (void)ctx;
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);
  save(es_cmp_body_name(OSSL_CMP_MSG_get_bodytype(req)), der, (gsize)len);
  if (sequence != NULL)
    g_byte_array_append(sequence, der, (guint)len);
  GBytes *rsp = es_raca_process(raca, der, (gsize)len, NULL);
  OPENSSL_free(der);
  gsize n;
  const unsigned char *p = g_bytes_get_data(rsp, &n);
  save(es_cmp_body_name(es_cmp_peek_body_type(p, n)), p, n);
  OSSL_CMP_MSG *msg = d2i_OSSL_CMP_MSG(NULL, &p, (long)n);
  g_bytes_unref(rsp);
  return msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  (void)data, (void)size;
  return 0;
}

/* An eNB's client context: the fuzz world's device credential, a fresh key for CN=enb-1. */
static OSSL_CMP_CTX *client(const EsFuzzWorld *w)
{
  OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
  es_cmp_ctx_quiet(ctx);
  X509_STORE *trust = X509_STORE_new();
  X509_STORE_add_cert(trust, es_pki_get0_vendor_root(w->pki));
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(trust), ES_FUZZ_EPOCH + 60);
  OSSL_CMP_CTX_set0_trustedStore(ctx, trust);
  OSSL_CMP_CTX_set1_cert(ctx, w->device_cert);
  OSSL_CMP_CTX_set1_pkey(ctx, w->device_key);
  OSSL_CMP_CTX_set0_newPkey(ctx, 1, es_key_generate(ES_KEY_P256, NULL));
  X509_NAME *subject = X509_NAME_new();
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)"enb-1", -1, -1, 0);
  OSSL_CMP_CTX_set1_subjectName(ctx, subject);
  X509_NAME_free(subject);
  OSSL_CMP_CTX_set_transfer_cb(ctx, transfer);
  return ctx;
}

/* A genm for the root CA key update with the operator credential just enrolled, to an RA/CA
 * rolled over to the world's next root: genm and genp (the update) as seeds. */
static gboolean root_update(const EsFuzzWorld *w, X509 *cert, EVP_PKEY *key)
{
  EsRacaConfig rc = {.confirm_wait_s = 30, .workers = 1, .epoch = ES_FUZZ_EPOCH,
                     .cert_validity_s = 86400, .seed = 1};
  EsRaca *before = raca;
  raca = es_raca_new(&rc, w->pki, NULL, NULL);
  OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
  es_cmp_ctx_quiet(ctx);
  X509_STORE *trust = X509_STORE_new();
  X509_STORE_add_cert(trust, es_pki_get0_operator_root(w->pki));
  X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(trust), ES_FUZZ_EPOCH + 60);
  OSSL_CMP_CTX_set0_trustedStore(ctx, trust);
  OSSL_CMP_CTX_set1_cert(ctx, cert);
  OSSL_CMP_CTX_set1_pkey(ctx, key);
  OSSL_CMP_CTX_push0_genm_ITAV(ctx, es_cmp_itav_new_root_update_request());
  OSSL_CMP_CTX_set_transfer_cb(ctx, transfer);
  STACK_OF(OSSL_CMP_ITAV) *got = es_raca_roll_over(raca, NULL) ? OSSL_CMP_exec_GENM_ses(ctx) : NULL;
  gboolean ok = got != NULL && sk_OSSL_CMP_ITAV_num(got) == 1;
  sk_OSSL_CMP_ITAV_pop_free(got, OSSL_CMP_ITAV_free);
  OSSL_CMP_CTX_free(ctx);
  es_raca_free(raca);
  raca = before;
  return ok;
}

static void noop(void *arg) { (void)arg; }

/* The delayed session, as fuzz_raca_request's sequence replays it: approval 1.5 s, checkAfter
 * 1 s, polls a second apart until the ip. */
static gboolean delayed_session(const EsFuzzWorld *w)
{
  EsLoopEngine *loop = es_loop_engine_new(0.001);
  EsEngine *engine = es_loop_engine_get0_engine(loop);
  EsRacaConfig rc = {.confirm_wait_s = 30, .workers = 1, .epoch = ES_FUZZ_EPOCH,
                     .cert_validity_s = 86400, .seed = 1, .approval_delay_s = 1.5,
                     .check_after_s = 1};
  raca = es_raca_new(&rc, w->pki, engine, NULL);
  sequence = g_byte_array_new();
  OSSL_CMP_CTX *ctx = client(w);
  int check_after = 0, res;
  while ((res = OSSL_CMP_try_certreq(ctx, OSSL_CMP_IR, NULL, &check_after)) == -1) {
    double until = es_engine_now(engine) + check_after;
    es_engine_timer_add(engine, check_after, noop, NULL);
    es_loop_engine_run(loop, until);
  }
  save("poll-sequence", sequence->data, sequence->len);
  g_byte_array_unref(g_steal_pointer(&sequence));
  OSSL_CMP_CTX_free(ctx);
  es_raca_free(raca);
  es_loop_engine_free(loop);
  return res == 1;
}

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: gen_seeds DIR\n");
    return 2;
  }
  dir = argv[1];
  g_mkdir_with_parents(dir, 0755);
  const EsFuzzWorld *w = es_fuzz_world();
  EsRacaConfig rc = {.confirm_wait_s = 30, .workers = 1, .epoch = ES_FUZZ_EPOCH,
                     .cert_validity_s = 86400, .seed = 1};
  raca = es_raca_new(&rc, w->pki, NULL, NULL);
  OSSL_CMP_CTX *ctx = client(w);
  X509 *cert = OSSL_CMP_exec_IR_ses(ctx);
  gboolean ok = cert != NULL;
  if (ok)
    ok = root_update(w, cert, OSSL_CMP_CTX_get0_newPkey(ctx, 1));
  OSSL_CMP_CTX_free(ctx);
  es_raca_free(raca);
  gboolean delayed = ok && delayed_session(w);
  printf("wrote %d seeds to %s (%s, %s)\n", count, dir, ok ? "enrolled" : "failed",
         delayed ? "enrolled after polling" : "polling failed");
  return ok && delayed ? 0 : 1;
}
