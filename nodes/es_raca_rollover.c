/* Operator-root rollover at the RA/CA: from es_raca_roll_over on it signs with its certificate
 * under the new root, sends newWithOld beside it, issues under the new key, and answers a
 * rootCaKeyUpdate genm with newWithNew, newWithOld and oldWithNew (RFC 9480 4.3.2). */
#include "nodes/es_raca_priv.h"

#include <openssl/err.h>

X509 *es_raca_signer(const EsRaca *raca)
{
  return raca->rolled ? es_pki_get0_next_raca(raca->pki) : es_pki_get0_raca_cert(raca->pki);
}

X509 *es_raca_issuing_root(const EsRaca *raca)
{
  return raca->rolled ? es_pki_get0_next_root(raca->pki) : es_pki_get0_operator_root(raca->pki);
}

gboolean es_raca_is_own_root(const EsRaca *raca, const X509_NAME *issuer)
{
  /* Rolled over, the next root exists (es_raca_roll_over refuses without it). */
  return X509_NAME_cmp(issuer, X509_get_subject_name(es_pki_get0_operator_root(raca->pki))) == 0
         || (raca->rolled
             && X509_NAME_cmp(issuer, X509_get_subject_name(es_pki_get0_next_root(raca->pki))) == 0);
}

gboolean es_raca_roll_over(EsRaca *raca, GError **error)
{
  const EsPki *pki = raca->pki;
  X509 *next = es_pki_get0_next_root(pki);
  if (next == NULL) {
    g_set_error_literal(error, ES_RACA_ERROR, ES_RACA_ERROR_INTERNAL,
                        "root rollover: the hierarchy has no next operator root");
    return FALSE;
  }
  if (raca->rolled)
    return TRUE;
  X509 *link = es_pki_get0_new_with_old(pki);
  /* An RA issues nothing: its CA rolls over with its own RA/CA. */
  gboolean ok = (raca->config.upstream
                 || es_ca_roll_over(raca->ca, next, es_pki_get0_next_root_key(pki)))
                && X509_STORE_add_cert(raca->operator_trust, next)
                /* A node that trusts only the old root verifies our new certificate through
                 * newWithOld (RFC 4210 4.4), as OpenSSL's client takes extraCerts as untrusted. */
                && sk_X509_push(raca->extra_out, es_x509_ref(link)) > 0
                && sk_X509_push(raca->operator_extra_out, es_x509_ref(link)) > 0;
  if (!ok) {
    char *why = es_ossl_errors("root rollover at the RA/CA");
    g_set_error_literal(error, ES_RACA_ERROR, ES_RACA_ERROR_INTERNAL, why);
    g_free(why);
    return FALSE;
  }
  raca->rolled = TRUE;
  return TRUE;
}

gboolean es_raca_is_rolled(const EsRaca *raca)
{
  return raca->rolled;
}

/* genm: answers each rootCaKeyUpdate it asks for (the type alone until the rollover: no
 * update), and nothing to other types, which this RA/CA does not offer. */
int es_raca_on_genm(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req,
                    const STACK_OF(OSSL_CMP_ITAV) *in, STACK_OF(OSSL_CMP_ITAV) **out)
{
  Transaction *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
  EsRaca *raca = t->raca;
  const EsPki *pki = raca->pki;
  (void)req;
  if (t->refusal != 0) {
    ERR_raise_data(ERR_LIB_CMP, CMP_R_REQUEST_REJECTED_BY_SERVER, "%s", t->refusal_text);
    return 0;
  }
  t->authenticated = TRUE;
  if ((*out = sk_OSSL_CMP_ITAV_new_null()) == NULL)
    return 0;
  for (int i = 0; i < sk_OSSL_CMP_ITAV_num(in); i++) {
    if (!es_cmp_itav_is_root_update(sk_OSSL_CMP_ITAV_value(in, i)))
      continue;
    OSSL_CMP_ITAV *itav = raca->rolled
        ? es_cmp_itav_new_root_update(es_pki_get0_next_root(pki), es_pki_get0_new_with_old(pki),
                                      es_pki_get0_old_with_new(pki))
        : es_cmp_itav_new_root_update(NULL, NULL, NULL);
    if (itav == NULL || sk_OSSL_CMP_ITAV_push(*out, itav) <= 0) {
      OSSL_CMP_ITAV_free(itav);
      sk_OSSL_CMP_ITAV_pop_free(g_steal_pointer(out), OSSL_CMP_ITAV_free);
      return 0;
    }
    break; /* one answer, however often it was asked */
  }
  return 1;
}
