/* enrolsim pki init: a late-binding hierarchy and vendor device credentials for live use,
 * from OpenSSL's own randomness and dated from now. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <glib.h>

#include "cli/cmd.h"
#include "pki/es_pki.h"
#include "results/es_outdir.h"

int es_cmd_pki(int argc, char **argv)
{
  gint devices = 0;
  gboolean overwrite = FALSE;
  g_autofree char *key = NULL;
  GOptionEntry entries[] = {
    {"devices", 'n', 0, G_OPTION_ARG_INT, &devices, "Vendor device credentials to write (DIR/devices/enb-<i>.pem/.key)", "N"},
    {"key", 'k', 0, G_OPTION_ARG_STRING, &key, "Key type: p256 (default), p384 or rsa2048", "TYPE"},
    {"overwrite", 0, 0, G_OPTION_ARG_NONE, &overwrite, "DIR holds an earlier hierarchy or results: remove the files enrolsim wrote there first (others stay)", NULL},
    {NULL}};
  g_autoptr(GOptionContext) opts = g_option_context_new("init DIR - write a late-binding PKI hierarchy");
  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_set_summary(opts,
    "Writes the vendor root (VPKI), the operator root (OPKI), the RA/CA certificate, its cross\n"
    "certificate issued by the vendor root, and vendor device credentials, all PEM.");
  GError *error = NULL;
  if (!g_option_context_parse(opts, &argc, &argv, &error))
    return es_cmd_fail("pki", error, 2);
  EsKeyType type = ES_KEY_P256;
  if (key != NULL && !es_key_type_parse(key, &type, &error))
    return es_cmd_fail("pki", error, 2);
  if (argc != 3 || strcmp(argv[1], "init") != 0 || devices < 0) {
    fprintf(stderr,
            "enrolsim: usage: enrolsim pki init DIR [--devices N] [--key TYPE] [--overwrite]\n");
    return 2;
  }
  const char *dir = argv[2];
  /* A new hierarchy beside an earlier one's device credentials would mix vendor roots. */
  g_autoptr(EsOutdir) files = es_outdir_open(dir, "pki init", overwrite, &error);
  if (files == NULL)
    return es_cmd_fail("pki init", error,
                       g_error_matches(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_HOLDS_RESULTS) ? 2
                                                                                            : 1);
  /* A minute back, so a peer whose clock lags a little still accepts the certificates. */
  g_autoptr(EsPki) pki = es_pki_generate(type, (gint64)time(NULL) - 60, &error);
  if (pki == NULL || !es_outdir_claimv(files, es_pki_file_names(), &error)
      || !es_pki_save(pki, dir, &error))
    return es_cmd_fail("pki init", error, 1);
  for (gint i = 1; i <= devices; i++) {
    EVP_PKEY *k = es_key_generate(type, &error);
    X509 *cert = k != NULL ? es_pki_issue_device(pki, (guint)i, k, &error) : NULL;
    gboolean ok = cert != NULL && es_outdir_claimf(files, &error, "devices/enb-%d.pem", i)
                  && es_outdir_claimf(files, &error, "devices/enb-%d.key", i)
                  && es_pki_save_device(dir, (guint)i, cert, k, &error);
    X509_free(cert);
    EVP_PKEY_free(k);
    if (!ok)
      return es_cmd_fail("pki init", error, 1);
  }
  printf("wrote %s: vendor-root, operator-root, raca, raca-cross and %d device credential%s (%s)\n",
         dir, devices, devices == 1 ? "" : "s", es_key_type_name(type));
  return 0;
}
