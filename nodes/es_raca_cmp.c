/* The RA/CA's plug-in of OpenSSL's CMP server: who may ask (a vendor certificate for an ir,
 * the very operator certificate named for a kur or rr), issuing from the shared CA, superseding
 * a subject's older certificate, revoking on request, taking the eNB's verdict from its
 * certConf. */
#include "nodes/es_raca_priv.h"

#include <math.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "nodes/es_cmp.h"

static OSSL_CMP_PKISI *rejection(int failure, const char *text)
{
  return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_rejection, 1 << failure, text);
}

/* The certificate a kur replaces or an rr revokes, named by issuer and serial: one this RA/CA
 * issued and has not revoked, whose own key protected the request. Path validation against
 * the operator root only proves that some operator certificate signed; pinning the named one
 * stops an eNB from renewing or revoking another eNB's certificate. NULL with *si set. */
static X509 *named_own_cert(EsRaca *raca, const OSSL_CMP_MSG *req, const X509_NAME *issuer,
                            const ASN1_INTEGER *serial, gboolean pin, OSSL_CMP_PKISI **si)
{
  if (issuer == NULL || serial == NULL) {
    *si = rejection(OSSL_CMP_PKIFAILUREINFO_badCertId, "the request names no certificate");
    return NULL;
  }
  if (!es_raca_is_own_root(raca, issuer)) {
    *si = rejection(OSSL_CMP_PKIFAILUREINFO_badCertId, "certificate not issued by this CA");
    return NULL;
  }
  char *hex = es_serial_hex(serial);
  GBytes *der = g_hash_table_lookup(raca->issued, hex);
  g_free(hex);
  if (der == raca->revoked_der) {
    *si = rejection(OSSL_CMP_PKIFAILUREINFO_certRevoked, "certificate revoked");
    return NULL;
  }
  X509 *cert = NULL;
  if (der != NULL) {
    gsize n;
    const unsigned char *p = g_bytes_get_data(der, &n);
    cert = d2i_X509(NULL, &p, (long)n);
  }
  if (cert == NULL) {
    *si = rejection(OSSL_CMP_PKIFAILUREINFO_badCertId, "unknown certificate");
    return NULL;
  }
  time_t now = (time_t)es_raca_wall_now(raca);
  if (es_ca_is_revoked(raca->ca, serial)) {
    *si = rejection(OSSL_CMP_PKIFAILUREINFO_certRevoked, "certificate revoked");
  } else if (X509_cmp_time(X509_get0_notAfter(cert), &now) < 0) {
    *si = rejection(OSSL_CMP_PKIFAILUREINFO_badCertId, "certificate expired");
  } else if (!pin) {
    return cert; /* an RA's request: the RA checked the eNB's signature */
  } else {
    OSSL_CMP_CTX *pinned = OSSL_CMP_CTX_new(NULL, NULL);
    gboolean signed_by_it = FALSE;
    if (pinned != NULL) {
      es_cmp_ctx_quiet(pinned);
      signed_by_it = OSSL_CMP_CTX_set1_srvCert(pinned, cert)
                     && OSSL_CMP_validate_msg(pinned, req) == 1;
    }
    OSSL_CMP_CTX_free(pinned);
    ERR_clear_error();
    if (signed_by_it)
      return cert;
    *si = rejection(OSSL_CMP_PKIFAILUREINFO_notAuthorized,
                    "request not signed with the key of the certificate it names");
  }
  X509_free(cert);
  return NULL;
}

static OSSL_CMP_PKISI *on_cert_request(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req,
                                       int cert_req_id, const OSSL_CRMF_MSG *crm,
                                       const X509_REQ *p10cr, X509 **cert_out,
                                       STACK_OF(X509) **chain_out, STACK_OF(X509) **ca_pubs)
{
  Transaction *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
  EsRaca *raca = t->raca;
  const X509_NAME *subject;
  EVP_PKEY *pubkey = NULL;
  GBytes *spki;
  X509 *old = NULL;
  int type = OSSL_CMP_MSG_get_bodytype(req);
  (void)chain_out;
  if (t->resuming)
    return rejection(OSSL_CMP_PKIFAILUREINFO_badRequest, "resuming a transaction");
  if (t->refusal != 0)
    return rejection(t->refusal, t->refusal_text);
  t->authenticated = TRUE;
  if (t->via_ra && !es_raca_signed_by_ra(t, req))
    return rejection(OSSL_CMP_PKIFAILUREINFO_notAuthorized,
                     "raVerified only from the RA this CA knows");

  gboolean need_key = crm == NULL || t->via_ra || type == ES_CMP_KUR || raca->config.upstream;
  if (crm != NULL) {
    const OSSL_CRMF_CERTTEMPLATE *tmpl = OSSL_CRMF_MSG_get0_tmpl(crm);
    subject = tmpl != NULL ? OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl) : NULL;
    spki = tmpl != NULL ? es_cmp_template_get_spki(tmpl) : NULL;
    /* OpenSSL verified the proof of possession with this key, unless an RA vouched for it;
     * the key itself is needed only to compare or to pass it on. Not decoding it spares
     * OpenSSL 3.0's decoder chain, a sixth of the issuing CPU time. */
    if (need_key)
      pubkey = es_cmp_spki_get1_pubkey(spki);
  } else {
    subject = X509_REQ_get_subject_name(p10cr);
    pubkey = X509_REQ_get_pubkey((X509_REQ *)p10cr);
    unsigned char *der = NULL;
    int n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY((X509_REQ *)p10cr), &der);
    spki = n > 0 ? g_bytes_new(der, (gsize)n) : NULL;
    OPENSSL_free(der);
  }
  gboolean key_ok = spki != NULL && (pubkey != NULL || !need_key);
  if (type == ES_CMP_KUR) {
    /* A key update keeps the identity and changes the key, nothing else. */
    const OSSL_CRMF_CERTID *id = crm != NULL ? OSSL_CRMF_MSG_get0_regCtrl_oldCertID(crm) : NULL;
    OSSL_CMP_PKISI *si = NULL;
    old = named_own_cert(raca, req, id != NULL ? OSSL_CRMF_CERTID_get0_issuer(id) : NULL,
                         id != NULL ? OSSL_CRMF_CERTID_get0_serialNumber(id) : NULL,
                         !t->via_ra, &si);
    if (old == NULL) {
      EVP_PKEY_free(pubkey);
      g_bytes_unref(spki);
      return si;
    }
    const X509_NAME *old_subject = X509_get_subject_name(old);
    if (subject != NULL && X509_NAME_entry_count(subject) > 0
        && X509_NAME_cmp(subject, old_subject) != 0)
      si = rejection(OSSL_CMP_PKIFAILUREINFO_badCertTemplate,
                     "a kur keeps the subject of the certificate it replaces");
    else if (pubkey != NULL && EVP_PKEY_eq(pubkey, X509_get0_pubkey(old)) == 1)
      si = rejection(OSSL_CMP_PKIFAILUREINFO_badCertTemplate, "a kur needs a new key");
    if (si != NULL) {
      X509_free(old);
      EVP_PKEY_free(pubkey);
      g_bytes_unref(spki);
      return si;
    }
    subject = old_subject;
  }
  if (subject == NULL || X509_NAME_entry_count(subject) == 0 || !key_ok) {
    X509_free(old);
    EVP_PKEY_free(pubkey);
    if (spki != NULL)
      g_bytes_unref(spki);
    return rejection(OSSL_CMP_PKIFAILUREINFO_badCertTemplate,
                     "certificate template lacks subject or public key");
  }
  OSSL_CMP_PKISI *waiting = NULL;
  if (raca->config.upstream
          ? es_raca_forward(t, req, cert_req_id, type, subject, pubkey, old, &waiting)
          : es_raca_approval(t, req, cert_req_id, &waiting)) {
    X509_free(old);
    EVP_PKEY_free(pubkey);
    g_bytes_unref(spki);
    return waiting;
  }

  /* The operator root reaches the eNB only inside an ip it authenticated through the
   * cross certificate: that is what makes late binding safe. (OpenSSL sends caPubs in an
   * ip only; a renewing eNB has the root already.) Made before the serial is spent. */
  X509 *root = es_raca_issuing_root(raca);
  gboolean pushed = (*ca_pubs = sk_X509_new_null()) != NULL
                    && sk_X509_push(*ca_pubs, es_x509_ref(root)) > 0;
  if (!pushed) {
    if (*ca_pubs != NULL) {
      X509_free(root); /* the reference the push did not take */
      sk_X509_free(g_steal_pointer(ca_pubs));
    }
    X509_free(old);
    EVP_PKEY_free(pubkey);
    g_bytes_unref(spki);
    return NULL;
  }
  GError *error = NULL;
  /* An RA hands on the certificate its CA issued; the CA reports it. */
  X509 *cert = raca->config.upstream
                   ? es_raca_forward_get1_cert(t)
                   : es_ca_issue_spki(raca->ca, subject, spki, es_raca_wall_now(raca),
                                      raca->config.cert_validity_s, &error);
  EVP_PKEY_free(pubkey);
  g_bytes_unref(spki);
  if (cert == NULL && error == NULL)
    g_set_error_literal(&error, ES_RACA_ERROR, ES_RACA_ERROR_INTERNAL, "no certificate");
  if (cert == NULL) {
    OSSL_CMP_PKISI *si = rejection(OSSL_CMP_PKIFAILUREINFO_systemFailure, error->message);
    g_error_free(error);
    sk_X509_pop_free(g_steal_pointer(ca_pubs), X509_free);
    X509_free(old);
    return si;
  }
  /* Issued: reported at once, so that whatever fails from here on leaves it accounted for
   * (es_raca_process revokes it as issue_failed when no ip carries it). */
  X509_free(t->cert);
  t->cert = es_x509_ref(cert);
  X509_free(t->old_cert);
  t->old_cert = old;
  *cert_out = cert;
  es_raca_journal_issued(raca, cert, type, old);
  if (!raca->config.upstream)
    raca->stats.issued++;
  if (!raca->config.upstream && raca->observer.event != NULL) {
    EsRacaEvent ev = {.kind = ES_RACA_EVENT_ISSUED, .cert = cert, .request = type,
                      .replaced = old, .t = es_raca_now_s(raca)};
    if (raca->request != NULL)
      ev.request_der = g_bytes_get_data(raca->request, &ev.request_len);
    raca->observer.event(raca->observer_arg, &ev);
  }
  /* Kept to authenticate a later kur or rr that names this certificate. */
  unsigned char *der = NULL;
  int der_len = i2d_X509(cert, &der);
  if (der_len <= 0)
    return NULL;
  es_raca_keep_issued(raca, es_serial_hex(X509_get0_serialNumber(cert)),
                      g_bytes_new(der, (gsize)der_len));
  OPENSSL_free(der);
  return OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0, NULL);
}

void es_raca_keep_issued(EsRaca *raca, char *serial, GBytes *der)
{
  GBytes *before = g_hash_table_lookup(raca->issued, serial);
  if (der == NULL && before == NULL) {
    g_free(serial);
    return;
  }
  if (before != NULL && before != raca->revoked_der)
    raca->stats.kept_certificates--;
  if (der != NULL)
    raca->stats.kept_certificates++;
  g_hash_table_insert(raca->issued, serial, der != NULL ? der : g_bytes_ref(raca->revoked_der));
}

/* Two serials as es_serial_hex writes them (positive, two digits a byte, no leading zero
 * byte), in the order of their numbers. */
static int serial_hex_cmp(const char *a, const char *b)
{
  gsize la = strlen(a), lb = strlen(b);
  return la != lb ? (la < lb ? -1 : 1) : strcmp(a, b);
}

/* Policy for a re-enrolment: an eNB that enrols again (ir after losing its credential, or a
 * retry whose earlier certificate it never received) needs one certificate, so of two
 * confirmed for one subject the older is revoked as superseded. Usually that is the one held
 * before; but a certConf of an abandoned transaction can arrive after its successor was
 * confirmed (enb.retry=restart), and then it is the late one. Identified by subject, the only
 * identity an ir shares with the earlier certificate. */
void es_raca_supersede_holder(EsRaca *raca, X509 *cert)
{
  char *subject = X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0);
  char *serial = es_serial_hex(X509_get0_serialNumber(cert));
  if (subject == NULL) {
    ERR_clear_error();
    g_free(serial);
    return;
  }
  const char *before = g_hash_table_lookup(raca->holders, subject);
  GBytes *der = before != NULL && strcmp(before, serial) != 0
                    ? g_hash_table_lookup(raca->issued, before) : NULL;
  /* Serials count up: the larger one was issued later. */
  gboolean late = der != NULL && serial_hex_cmp(before, serial) > 0;
  /* Only a previous certificate not revoked yet is revoked here: its bytes are still kept. */
  X509 *previous = NULL;
  if (der != NULL && der != raca->revoked_der && !late) {
    gsize n;
    const unsigned char *p = g_bytes_get_data(der, &n);
    previous = d2i_X509(NULL, &p, (long)n);
  }
  X509 *older = late ? cert : previous;
  /* Not when already revoked: a kur just retired it, or its holder asked (rr). */
  if (older != NULL && !raca->config.keep_superseded
      && !es_ca_is_revoked(raca->ca, X509_get0_serialNumber(older)))
    es_raca_revoke(raca, older, ES_RACA_REVOKED_SUPERSEDED, ES_REVOKE_SUPERSEDED);
  X509_free(previous);
  if (late)
    g_free(serial);
  else
    g_hash_table_insert(raca->holders, g_strdup(subject), serial);
  OPENSSL_free(subject);
}

gboolean es_raca_adopt(EsRaca *raca, X509 *cert)
{
  unsigned char *der = NULL;
  int len = i2d_X509(cert, &der);
  char *subject = X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0);
  if (len <= 0 || subject == NULL) {
    OPENSSL_free(der);
    OPENSSL_free(subject);
    ERR_clear_error();
    return FALSE;
  }
  es_raca_keep_issued(raca, es_serial_hex(X509_get0_serialNumber(cert)),
                      g_bytes_new(der, (gsize)len));
  g_hash_table_insert(raca->holders, g_strdup(subject),
                      es_serial_hex(X509_get0_serialNumber(cert)));
  OPENSSL_free(der);
  OPENSSL_free(subject);
  return TRUE;
}

/* rr: revokes a certificate on its holder's request, with the reason it gives. */
static OSSL_CMP_PKISI *on_rr(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req,
                             const X509_NAME *issuer, const ASN1_INTEGER *serial)
{
  Transaction *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
  EsRaca *raca = t->raca;
  OSSL_CMP_PKISI *si = NULL;
  if (t->refusal != 0)
    return rejection(t->refusal, t->refusal_text);
  t->authenticated = TRUE;
  if (raca->config.upstream)
    return rejection(OSSL_CMP_PKIFAILUREINFO_notAuthorized,
                     "this RA does not forward revocation requests: send the rr to the CA");
  X509 *cert = named_own_cert(raca, req, issuer, serial, TRUE, &si);
  if (cert == NULL)
    return si;
  int reason = es_cmp_rr_get_reason(req);
  if (reason == -1)
    reason = ES_REVOKE_UNSPECIFIED;
  /* removeFromCRL (8) only makes sense for a hold, which this CA never places. */
  if (reason < 0 || reason > 10 || reason == 7 || reason == 8) {
    si = rejection(OSSL_CMP_PKIFAILUREINFO_badRequest, "unsupported revocation reason");
  } else if (!es_raca_revoke(raca, cert, ES_RACA_REVOKED_REQUESTED, reason)) {
    si = rejection(OSSL_CMP_PKIFAILUREINFO_systemFailure, "revocation failed");
  } else {
    raca->stats.revoked_on_request++;
    si = OSSL_CMP_STATUSINFO_new(OSSL_CMP_PKISTATUS_accepted, 0, NULL);
  }
  X509_free(cert);
  return si;
}

static int on_cert_conf(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req, int cert_req_id,
                        const ASN1_OCTET_STRING *cert_hash, const OSSL_CMP_PKISI *si)
{
  Transaction *t = OSSL_CMP_SRV_CTX_get0_custom_ctx(srv);
  (void)req, (void)cert_req_id;
  if (t->refusal != 0 || t->cert == NULL) {
    ERR_raise_data(ERR_LIB_CMP, CMP_R_UNEXPECTED_PKIBODY, "no certificate awaits confirmation");
    return 0;
  }
  ASN1_OCTET_STRING *digest = X509_digest_sig(t->cert, NULL, NULL);
  gboolean match = digest != NULL && cert_hash != NULL && ASN1_OCTET_STRING_cmp(digest, cert_hash) == 0;
  ASN1_OCTET_STRING_free(digest);
  if (!match) {
    ERR_raise(ERR_LIB_CMP, CMP_R_CERTHASH_UNMATCHED);
    return 0;
  }
  if (si != NULL) {
    int status = es_cmp_pkisi_get_status(si);
    t->rejected = status != OSSL_CMP_PKISTATUS_accepted && status != OSSL_CMP_PKISTATUS_grantedWithMods;
  }
  /* An RA names why its eNB did not take the certificate (es_raca_forward.c). */
  char text[512];
  if (t->rejected && t->via_ra && OSSL_CMP_snprint_PKIStatusInfo(si, text, sizeof text) != NULL)
    for (int c = 0; c <= ES_RACA_REVOKED_ISSUE_FAILED; c++)
      if (c != ES_RACA_REVOKED_SUPERSEDED && c != ES_RACA_REVOKED_REQUESTED
          && strstr(text, es_raca_revoke_cause_name((EsRacaRevokeCause)c)) != NULL)
        t->rejected_cause = c;
  return 1;
}

static void on_error_msg(OSSL_CMP_SRV_CTX *srv, const OSSL_CMP_MSG *req,
                         const OSSL_CMP_PKISI *si, const ASN1_INTEGER *code,
                         const OSSL_CMP_PKIFREETEXT *details)
{
  (void)srv, (void)req, (void)si, (void)code, (void)details;
}

static gboolean is_operator_request(int type)
{
  return type == ES_CMP_KUR || type == ES_CMP_RR || type == ES_CMP_GENM;
}

/* A transaction's trust follows the request that opens it: a vendor certificate may only
 * enrol (ir, cr, p10cr), an operator certificate may only renew or revoke itself (kur, rr) or
 * ask for the root (genm);
 * its certConf is then checked against the same root. Our answers carry the cross certificate
 * only where the client may hold the vendor root alone: an operator transaction's client
 * authenticates us under the operator root, for which the cross certificate is bytes to
 * carry and decode and nothing else. */
Transaction *es_raca_transaction_new(EsRaca *raca, GBytes *id, int type)
{
  Transaction *t = g_new0(Transaction, 1);
  t->raca = raca;
  t->id = g_bytes_ref(id);
  t->type = type;
  t->last_poll_rep_s = NAN;
  t->rejected_cause = ES_RACA_REVOKED_REJECTED;
  t->srv = OSSL_CMP_SRV_CTX_new(NULL, NULL);
  OSSL_CMP_CTX *ctx = t->srv != NULL ? OSSL_CMP_SRV_CTX_get0_cmp_ctx(t->srv) : NULL;
  gboolean operator = is_operator_request(type);
  X509_STORE *trust = operator ? raca->operator_trust : raca->vendor_trust;
  if (ctx == NULL
      || !OSSL_CMP_SRV_CTX_init(t->srv, t, on_cert_request, on_rr, es_raca_on_genm,
                                on_error_msg, on_cert_conf, es_raca_on_poll_req)
      || !OSSL_CMP_SRV_CTX_set_grant_implicit_confirm(t->srv, raca->config.grant_implicit)
      || !OSSL_CMP_CTX_set1_cert(ctx, es_raca_signer(raca))
      || !OSSL_CMP_CTX_set1_pkey(ctx, es_pki_get0_raca_key(raca->pki))
      || !X509_STORE_up_ref(trust)
      || !OSSL_CMP_CTX_set0_trustedStore(ctx, trust)
      || !OSSL_CMP_CTX_set1_extraCertsOut(ctx, operator ? raca->operator_extra_out
                                                         : raca->extra_out)) {
    es_raca_transaction_free(t);
    return NULL;
  }
  es_cmp_ctx_quiet(ctx);
  return t;
}

