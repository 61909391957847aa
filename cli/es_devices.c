/* The eNBs' vendor credentials of a live command: read from PKI_DIR/devices, or made there. */
#include "cli/cmd.h"

gboolean es_cmd_device(const char *pki_dir, const EsPki *pki, guint i, X509 **cert,
                       EVP_PKEY **key, EsOutdir **pki_files, guint *made, GError **error)
{
  g_autofree char *path = g_strdup_printf("%s/devices/enb-%u.pem", pki_dir, i);
  if (g_file_test(path, G_FILE_TEST_EXISTS))
    return es_pki_load_device(pki_dir, i, cert, key, error);
  if (*pki_files == NULL && (*pki_files = es_outdir_append(pki_dir, error)) == NULL)
    return FALSE;
  *key = es_key_generate(es_pki_get_key_type(pki), error);
  *cert = *key != NULL ? es_pki_issue_device(pki, i, *key, error) : NULL;
  if (*cert == NULL || !es_outdir_claimf(*pki_files, error, "devices/enb-%u.pem", i)
      || !es_outdir_claimf(*pki_files, error, "devices/enb-%u.key", i)
      || !es_pki_save_device(pki_dir, i, *cert, *key, error))
    return FALSE;
  (*made)++;
  return TRUE;
}
