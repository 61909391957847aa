/* Writes real CMP messages of one enrolment (ir, ip, certConf, pkiConf) as fuzz seeds:
 * mutations of valid messages reach much deeper than random bytes. Usage: gen_seeds DIR */
#include <stdio.h>
#include <glib.h>
#include <openssl/cmp.h>
#include "nodes/es_cmp.h"
#include "nodes/es_raca.h"
#include "tests/fuzz/fuzz_common.h"

static const char *dir;
static EsRaca *raca;
static int count;

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
  OSSL_CMP_CTX_set_transfer_cb(ctx, transfer);
  X509 *cert = OSSL_CMP_exec_IR_ses(ctx);
  printf("wrote %d seeds to %s (%s)\n", count, dir, cert != NULL ? "enrolled" : "failed");
  X509_NAME_free(subject);
  OSSL_CMP_CTX_free(ctx);
  es_raca_free(raca);
  return cert != NULL ? 0 : 1;
}
