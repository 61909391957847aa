/* enrolsim bench-inmem: full CMP enrolments with OpenSSL's client and the RA/CA in one process,
 * wired through the transfer callback (no network, no engine): the ceiling for any transport. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <glib.h>
#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "cli/cmd.h"
#include "nodes/es_cmp.h"
#include "pki/es_pki.h"
#include "nodes/es_raca.h"

#define DEVICES 16

/* CPU time the RA/CA spends per request type: what raca.ir_service and raca.certconf_service
 * model in a simulation. */
typedef struct {
  double cpu_s;
  guint n;
} ServiceTime;
static ServiceTime ir_time, certconf_time;

static double thread_cpu_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static OSSL_CMP_MSG *transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
  EsRaca *raca = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);
  if (len <= 0)
    return NULL;
  int type = OSSL_CMP_MSG_get_bodytype(req);
  ServiceTime *st = type == ES_CMP_IR ? &ir_time : type == ES_CMP_CERTCONF ? &certconf_time : NULL;
  double t0 = thread_cpu_s();
  GBytes *rsp = es_raca_process(raca, der, (gsize)len, NULL);
  if (st != NULL) {
    st->cpu_s += thread_cpu_s() - t0;
    st->n++;
  }
  OPENSSL_free(der);
  if (rsp == NULL)
    return NULL;
  gsize n;
  const unsigned char *p = g_bytes_get_data(rsp, &n);
  OSSL_CMP_MSG *msg = d2i_OSSL_CMP_MSG(NULL, &p, (long)n);
  g_bytes_unref(rsp);
  return msg;
}

/* What an eNB checks before confirming (es_enb.c): the new certificate chains to an operator
 * root from caPubs. Included so that the work per enrolment is the live eNB's. */
static int check_new_cert(OSSL_CMP_CTX *ctx, X509 *cert, int fail_info, const char **text)
{
  if (fail_info != 0)
    return fail_info;
  STACK_OF(X509) *ca_pubs = OSSL_CMP_CTX_get1_caPubs(ctx);
  X509_STORE *store = X509_STORE_new();
  X509_STORE_CTX *vctx = X509_STORE_CTX_new();
  int ok = 0;
  if (store != NULL && vctx != NULL && ca_pubs != NULL) {
    ok = 1;
    for (int i = 0; ok && i < sk_X509_num(ca_pubs); i++)
      ok = X509_STORE_add_cert(store, sk_X509_value(ca_pubs, i));
    ok = ok && X509_STORE_CTX_init(vctx, store, cert, NULL) && X509_verify_cert(vctx) == 1;
  }
  X509_STORE_CTX_free(vctx);
  X509_STORE_free(store);
  sk_X509_pop_free(ca_pubs, X509_free);
  if (!ok) {
    *text = "new certificate does not chain to caPubs";
    return 1 << OSSL_CMP_PKIFAILUREINFO_incorrectData;
  }
  return 0;
}

/* One enrolment as an eNB makes it: fresh key pair, ir, certConf. */
static gboolean enrol_once(EsRaca *raca, X509_STORE *vendor_trust, X509 *device, EVP_PKEY *device_key,
                           EsKeyType new_type, gboolean implicit, guint number)
{
  OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
  EVP_PKEY *new_key = es_key_generate(new_type, NULL);
  X509_NAME *subject = X509_NAME_new();
  char cn[32];
  g_snprintf(cn, sizeof cn, "enb-%u", number);
  gboolean ok = ctx != NULL && new_key != NULL && subject != NULL
      && X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0)
      && X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, (const unsigned char *)"Operator", -1, -1, 0)
      && X509_STORE_up_ref(vendor_trust) && OSSL_CMP_CTX_set0_trustedStore(ctx, vendor_trust)
      && OSSL_CMP_CTX_set1_cert(ctx, device) && OSSL_CMP_CTX_set1_pkey(ctx, device_key)
      && EVP_PKEY_up_ref(new_key) && OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key)
      && OSSL_CMP_CTX_set1_subjectName(ctx, subject)
      && OSSL_CMP_CTX_set_transfer_cb(ctx, transfer) && OSSL_CMP_CTX_set_transfer_cb_arg(ctx, raca)
      && OSSL_CMP_CTX_set_certConf_cb(ctx, check_new_cert)
      && OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, implicit);
  if (ok) {
    es_cmp_ctx_quiet(ctx);
    ok = OSSL_CMP_exec_IR_ses(ctx) != NULL;
  }
  ERR_clear_error();
  X509_NAME_free(subject);
  EVP_PKEY_free(new_key);
  OSSL_CMP_CTX_free(ctx);
  return ok;
}

int es_cmd_bench_inmem(int argc, char **argv)
{
  gint count = 2000;
  g_autofree char *key = NULL;
  gboolean implicit = FALSE, json = FALSE;
  GOptionEntry entries[] = {
    {"count", 'n', 0, G_OPTION_ARG_INT, &count, "Enrolments to make (default 2000)", "N"},
    {"key", 'k', 0, G_OPTION_ARG_STRING, &key, "Key type of hierarchy and new keys: p256 (default), p384, rsa2048", "TYPE"},
    {"implicit", 0, 0, G_OPTION_ARG_NONE, &implicit, "implicitConfirm (ir/ip only) instead of certConf/pkiConf", NULL},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object instead of a sentence", NULL},
    {NULL}};
  g_autoptr(GOptionContext) opts = g_option_context_new("- in-memory CMP enrolment rate");
  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_set_summary(opts,
    "Enrols N times with OpenSSL's CMP client against the RA/CA in the same process, through\n"
    "the transfer callback (DER both ways, no network): new key pair, ir/ip, certConf/pkiConf,\n"
    "every signature made and checked, on one core. The ceiling for enrol + serve.");
  GError *error = NULL;
  if (!g_option_context_parse(opts, &argc, &argv, &error))
    return es_cmd_fail("bench-inmem", error, 2);
  EsKeyType type = ES_KEY_P256;
  if (argc != 1 || count < 1 || (key != NULL && !es_key_type_parse(key, &type, &error))) {
    if (error != NULL)
      return es_cmd_fail("bench-inmem", error, 2);
    fprintf(stderr, "enrolsim: usage: enrolsim bench-inmem [--count N] [--key TYPE] [--implicit]\n");
    return 2;
  }

  gint64 now = (gint64)time(NULL);
  g_autoptr(EsPki) pki = es_pki_generate(type, now - 60, &error);
  if (pki == NULL)
    return es_cmd_fail("bench-inmem", error, 1);
  EsRacaConfig rc = {.grant_implicit = implicit, .confirm_wait_s = 30, .workers = 1,
                     .epoch = now, .cert_validity_s = 365 * 86400};
  g_autoptr(EsRaca) raca = es_raca_new(&rc, pki, NULL, &error);
  if (raca == NULL)
    return es_cmd_fail("bench-inmem", error, 1);
  X509 *devices[DEVICES] = {0};
  EVP_PKEY *device_keys[DEVICES] = {0};
  for (guint i = 0; i < DEVICES; i++) {
    device_keys[i] = es_key_generate(type, &error);
    devices[i] = device_keys[i] != NULL ? es_pki_issue_device(pki, i + 1, device_keys[i], &error) : NULL;
    if (devices[i] == NULL)
      break;
  }
  X509_STORE *trust = X509_STORE_new();
  if (trust == NULL || !X509_STORE_add_cert(trust, es_pki_get0_vendor_root(pki)))
    g_error("bench-inmem: no memory for the vendor trust store");

  guint enrolled = 0;
  gint64 t0 = g_get_monotonic_time();
  for (guint i = 0; error == NULL && i < (guint)count; i++)
    enrolled += enrol_once(raca, trust, devices[i % DEVICES], device_keys[i % DEVICES], type,
                           implicit, i % DEVICES + 1);
  double seconds = (g_get_monotonic_time() - t0) / 1e6;

  X509_STORE_free(trust);
  for (guint i = 0; i < DEVICES; i++) {
    X509_free(devices[i]);
    EVP_PKEY_free(device_keys[i]);
  }
  if (error != NULL)
    return es_cmd_fail("bench-inmem", error, 1);
  double rate = seconds > 0 ? enrolled / seconds : 0;
  double ir_ms = ir_time.n > 0 ? 1e3 * ir_time.cpu_s / ir_time.n : 0;
  double cc_ms = certconf_time.n > 0 ? 1e3 * certconf_time.cpu_s / certconf_time.n : 0;
  if (json)
    printf("{\"enrolments\": %u, \"failed\": %u, \"seconds\": %.6f, \"per_s\": %.1f, \"key\": \"%s\", "
           "\"confirm\": \"%s\", \"raca_ir_ms\": %.3f, \"raca_certconf_ms\": %.3f}\n", enrolled,
           (guint)count - enrolled, seconds, rate, es_key_type_name(type),
           implicit ? "implicit" : "explicit", ir_ms, cc_ms);
  else
    printf("in-memory: %u enrolments in %.3f s: %.1f per s (%s, %s confirmation, one core)\n"
           "RA/CA CPU per message: ir %.3f ms, certConf %.3f ms (raca.ir_service, "
           "raca.certconf_service)\n",
           enrolled, seconds, rate, es_key_type_name(type), implicit ? "implicit" : "explicit",
           ir_ms, cc_ms);
  return enrolled == (guint)count ? 0 : 1;
}
