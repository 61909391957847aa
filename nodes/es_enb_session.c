/* The eNB's CMP session, inside its fiber: OpenSSL's client, unchanged, with a transfer
 * callback that hands each request to the engine side (es_enb.c) and sleeps until the answer
 * comes; late binding (the vendor root only, the operator root learnt from an authenticated
 * ip), then kur and rr under that root. */
#include "nodes/es_enb_priv.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "nodes/es_cmp.h"
#include "pki/es_rand.h"

GBytes *es_enb_der_of_cert(X509 *cert)
{
  unsigned char *der = NULL;
  int len = i2d_X509(cert, &der);
  if (len <= 0)
    return NULL;
  GBytes *b = g_bytes_new(der, (gsize)len);
  OPENSSL_free(der);
  return b;
}

X509 *es_enb_cert_of_der(GBytes *der)
{
  if (der == NULL)
    return NULL;
  gsize n;
  const unsigned char *p = g_bytes_get_data(der, &n);
  return d2i_X509(NULL, &p, (long)n);
}

gboolean es_enb_peek_operator_cert(const EsEnb *enb, ASN1_INTEGER **serial, ASN1_TIME **not_after)
{
  gsize n = 0;
  const guint8 *der = enb->op_cert != NULL ? g_bytes_get_data(enb->op_cert, &n) : NULL;
  return es_cert_peek(der, n, serial, not_after);
}

/* Hands the request to be decoded for its receiver, once (a resend is the same bytes). */
void es_enb_submit_request(EsEnb *enb, gboolean later)
{
  Enrolment *e = enb->e;
  if (enb->config->predecode != NULL && e->request != NULL && !e->submitted) {
    es_predecode_submit(enb->config->predecode, e->request, later);
    e->submitted = TRUE;
  }
}

/* Runs inside the fiber: hand the request out, sleep until the engine has the answer. */
static OSSL_CMP_MSG *transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
  EsEnb *enb = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
  Enrolment *e = enb->e;
  if (e->aborting) {
    ERR_raise_data(ERR_LIB_CMP, CMP_R_TRANSFER_ERROR, "aborted");
    return NULL;
  }
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);
  if (len <= 0) {
    /* Our own request could not be encoded: nothing was sent, nothing came back. */
    e->failure = ES_ENB_OUTCOME_INTERNAL_ERROR;
    return NULL;
  }
  if (e->request != NULL)
    g_bytes_unref(e->request);
  e->request = g_bytes_new(der, (gsize)len);
  e->sends = 0;
  e->submitted = FALSE;
  e->busy_retries = 0;
  e->request_type = OSSL_CMP_MSG_get_bodytype(req);
  OPENSSL_free(der);

  /* The session may go on on another thread: es_enb_prepare starts it on the factory thread,
   * run_ahead may resume it on the offload thread. That is safe because this is the only place
   * where it leaves its thread, and OpenSSL's client, suspended here in its transfer callback,
   * holds no lock and keeps no per-thread state across it: send_receive_check has just handed
   * the error queue to the log callback ("transfer_cb may call ERR_clear_error()"), libcrypto
   * looks its per-thread state up afresh on each call, and resume() sets ours (randomness
   * stream, clock, a cleared queue) on whichever thread resumes. es_fiber_yield checks the
   * queue is empty. */
  es_fiber_yield();

  if (e->response == NULL) {
    ERR_raise_data(ERR_LIB_CMP, CMP_R_TRANSFER_ERROR, "%s", es_enb_outcome_name(e->failure));
    return NULL;
  }
  gsize n, used;
  const unsigned char *p = g_bytes_get_data(e->response, &n);
  OSSL_CMP_MSG *rsp = es_predecode_take(enb->config->predecode, p, n, &used);
  g_clear_pointer(&e->response, g_bytes_unref);
  if (rsp == NULL) {
    e->failure = ES_ENB_OUTCOME_MALFORMED_RESPONSE;
    return NULL;
  }
  e->response_type = OSSL_CMP_MSG_get_bodytype(rsp);
  return rsp;
}

/* Accepts the new certificate only if it chains to an operator root: for an ir, one from
 * caPubs, which itself came in an ip that verified against the vendor root through the cross
 * certificate; for a kur, the root the eNB learned that way when it enrolled. */
static int check_new_cert(OSSL_CMP_CTX *ctx, X509 *cert, int fail_info, const char **text)
{
  EsEnb *enb = OSSL_CMP_CTX_get_certConf_cb_arg(ctx);
  Enrolment *e = enb->e;
  if (fail_info != 0) {
    /* OpenSSL refused it already (e.g. its key is not the one we asked for). */
    e->cert_rejected = TRUE;
    return fail_info;
  }
  STACK_OF(X509) *ca_pubs = NULL;
  X509_STORE *store = NULL;
  if (enb->op == ES_ENB_ENROL) {
    ca_pubs = OSSL_CMP_CTX_get1_caPubs(ctx);
    store = X509_STORE_new();
    for (int i = 0; store != NULL && i < sk_X509_num(ca_pubs); i++)
      if (!X509_STORE_add_cert(store, sk_X509_value(ca_pubs, i))) {
        /* No memory: the certificate cannot be checked, which is not its fault. */
        X509_STORE_free(g_steal_pointer(&store));
        e->failure = ES_ENB_OUTCOME_INTERNAL_ERROR;
      }
    if (store != NULL)
      X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)e->wall);
  } else if (X509_STORE_up_ref(e->trust)) {
    store = e->trust;
  }
  X509_STORE_CTX *vctx = X509_STORE_CTX_new();
  int ok = 0;
  if (store != NULL && vctx != NULL && (ca_pubs != NULL || enb->op != ES_ENB_ENROL)) {
    /* After a root rollover a kup's certificate is under the new root, which an eNB that has
     * not learnt it reaches through the newWithOld the RA/CA sends in extraCerts (RFC 4210
     * 4.4): OpenSSL's client keeps them as untrusted certificates. An ir's chain is caPubs. */
    STACK_OF(X509) *untrusted = enb->op == ES_ENB_ENROL ? NULL : OSSL_CMP_CTX_get0_untrusted(ctx);
    ok = X509_STORE_CTX_init(vctx, store, cert, untrusted) && X509_verify_cert(vctx) == 1;
    STACK_OF(X509) *chain = ok ? X509_STORE_CTX_get0_chain(vctx) : NULL;
    if (ok && enb->op == ES_ENB_ENROL && sk_X509_num(chain) > 0) {
      X509 *root = sk_X509_value(chain, sk_X509_num(chain) - 1);
      es_x509_ref(root);
      X509_free(e->root);
      e->root = root;
    }
  }
  X509_STORE_CTX_free(vctx);
  X509_STORE_free(store);
  sk_X509_pop_free(ca_pubs, X509_free);
  if (!ok) {
    e->cert_rejected = TRUE;
    *text = "new certificate does not chain to the operator root";
    return 1 << OSSL_CMP_PKIFAILUREINFO_incorrectData;
  }
  return 0;
}

static gboolean make_device(EsEnb *enb)
{
  if (enb->device_cert != NULL)
    return TRUE;
  GError *error = NULL;
  EVP_PKEY *key = enb->config->device_key_pool != NULL
                      ? es_key_pool_get1(enb->config->device_key_pool)
                      : es_key_generate(es_pki_get_key_type(enb->pki), &error);
  X509 *cert = key != NULL ? es_pki_issue_device(enb->pki, enb->number, key, &error) : NULL;
  if (cert == NULL) {
    g_clear_error(&error);
    EVP_PKEY_free(key);
    return FALSE;
  }
  enb->device_cert = cert;
  enb->device_key = key;
  return TRUE;
}

/* The key pair of an ir or kur: the given one, one from the pool, or a fresh one. */
static EVP_PKEY *take_new_key(EsEnb *enb)
{
  if (enb->given_new_key != NULL)
    return EVP_PKEY_up_ref(enb->given_new_key) ? enb->given_new_key : NULL;
  if (enb->config->new_key_pool != NULL)
    return es_key_pool_get1_at(enb->config->new_key_pool,
                               (guint64)enb->number * 7919 + enb->sessions);
  GError *error = NULL;
  EVP_PKEY *key = es_key_generate(enb->config->new_key, &error);
  g_clear_error(&error);
  return key;
}

/* ir: the vendor credential asks for a certificate for a fresh identity under CN=enb-<i>. */
static gboolean setup_enrol(EsEnb *enb, OSSL_CMP_CTX *ctx, EVP_PKEY **new_key)
{
  X509_NAME *subject = X509_NAME_new();
  char cn[32];
  g_snprintf(cn, sizeof cn, "enb-%u", enb->number);
  /* Device credential first, then the new key: the order in which a simulated eNB draws
   * from its randomness stream. */
  gboolean ok = subject != NULL && make_device(enb) && (*new_key = take_new_key(enb)) != NULL
      && X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0)
      && X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, (const unsigned char *)"Operator", -1, -1, 0)
      && OSSL_CMP_CTX_set1_cert(ctx, enb->device_cert)
      && OSSL_CMP_CTX_set1_pkey(ctx, enb->device_key)
      && EVP_PKEY_up_ref(*new_key) && (OSSL_CMP_CTX_set0_newPkey(ctx, 1, *new_key)
                                       || (EVP_PKEY_free(*new_key), FALSE))
      && OSSL_CMP_CTX_set1_subjectName(ctx, subject)
      && OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, enb->config->ask_implicit);
  X509_NAME_free(subject);
  return ok;
}

/* kur and rr: the operator credential protects the request and is the oldCert it names;
 * a kur keeps the subject (OpenSSL takes it from oldCert). */
static gboolean setup_operator(EsEnb *enb, OSSL_CMP_CTX *ctx, EVP_PKEY **new_key)
{
  X509 *cert = es_enb_cert_of_der(enb->op_cert);
  EVP_PKEY *key = es_key_import(enb->op_key);
  gboolean ok = cert != NULL && key != NULL
      && OSSL_CMP_CTX_set1_cert(ctx, cert)
      && OSSL_CMP_CTX_set1_pkey(ctx, key)
      && OSSL_CMP_CTX_set1_oldCert(ctx, cert);
  if (ok && enb->op == ES_ENB_RENEW)
    ok = (*new_key = take_new_key(enb)) != NULL
         && EVP_PKEY_up_ref(*new_key) && (OSSL_CMP_CTX_set0_newPkey(ctx, 1, *new_key)
                                          || (EVP_PKEY_free(*new_key), FALSE))
         && OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_IMPLICIT_CONFIRM, enb->config->ask_implicit);
  if (ok && enb->op == ES_ENB_REVOKE)
    ok = OSSL_CMP_CTX_set_option(ctx, OSSL_CMP_OPT_REVOCATION_REASON, enb->revoke_reason);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ok;
}

/* A certificate request with OpenSSL's client that never sleeps: while the answer is
 * `waiting`, OSSL_CMP_try_certreq returns -1 with the pollRep's checkAfter (OpenSSL 3.0 sends
 * the first pollReq right after the `waiting` response), and the engine side waits that long
 * in engine time before the fiber polls again. A session that must stop polling tells the
 * RA/CA with an error message ("polling aborted"). */
static X509 *certreq(EsEnb *enb, OSSL_CMP_CTX *ctx, int type)
{
  Enrolment *e = enb->e;
  int check_after = 0, res;
  while ((res = OSSL_CMP_try_certreq(ctx, type, NULL, &check_after)) == -1) {
    e->poll_wait_s = MAX(check_after, 0);
    e->poll_due = TRUE;
    es_fiber_yield();
    e->poll_due = FALSE;
    if (e->aborting)
      return NULL;
    if (e->stop_polling) {
      OSSL_CMP_try_certreq(ctx, -1, NULL, &check_after);
      e->failure = ES_ENB_OUTCOME_POLL_LIMIT;
      return NULL;
    }
  }
  return res == 1 ? OSSL_CMP_CTX_get0_newCert(ctx) : NULL;
}

/* genm/genp for rootCaKeyUpdate: e->root set to the new root once checked; FALSE when the
 * exchange failed (OpenSSL's client authenticated the genp against our roots first). */
static gboolean root_update(EsEnb *enb, OSSL_CMP_CTX *ctx)
{
  Enrolment *e = enb->e;
  OSSL_CMP_ITAV *ask = es_cmp_itav_new_root_update_request();
  if (ask == NULL || !OSSL_CMP_CTX_push0_genm_ITAV(ctx, ask)) {
    OSSL_CMP_ITAV_free(ask);
    e->failure = ES_ENB_OUTCOME_INTERNAL_ERROR;
    return FALSE;
  }
  STACK_OF(OSSL_CMP_ITAV) *got = OSSL_CMP_exec_GENM_ses(ctx);
  if (got == NULL)
    return FALSE;
  X509 *old = es_enb_roots_get1_cert(enb->config->roots, enb->op_root);
  X509 *nwn = NULL, *nwo = NULL, *own = NULL;
  gboolean ok = old != NULL;
  for (int i = 0; ok && i < sk_OSSL_CMP_ITAV_num(got); i++) {
    OSSL_CMP_ITAV *itav = sk_OSSL_CMP_ITAV_value(got, i);
    if (!es_cmp_itav_is_root_update(itav) || nwn != NULL)
      continue;
    int found = es_cmp_itav_get1_root_update(itav, &nwn, &nwo, &own);
    /* A root it trusts already (learnt before, or from its ir after the rollover) is news to
     * nobody: nothing to check, nothing to keep. */
    gboolean news = found == 1 && !es_enb_trusts_root(enb, nwn);
    if (found < 0
        || (news && es_cmp_root_update_refusal(old, nwn, nwo, own, (time_t)e->wall) != NULL)) {
      e->cert_rejected = TRUE;
      ok = FALSE;
    } else if (news) {
      e->root = es_x509_ref(nwn);
    }
  }
  X509_free(old);
  X509_free(nwn);
  X509_free(nwo);
  X509_free(own);
  sk_OSSL_CMP_ITAV_pop_free(got, OSSL_CMP_ITAV_free);
  ERR_clear_error(); /* a refused link's verification */
  return ok;
}

void es_enb_session(void *arg)
{
  EsEnb *enb = arg;
  Enrolment *e = enb->e;
  OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
  EVP_PKEY *new_key = NULL;

  if (ctx == NULL
      || !X509_STORE_up_ref(e->trust)
      || !OSSL_CMP_CTX_set0_trustedStore(ctx, e->trust)
      || !OSSL_CMP_CTX_set_transfer_cb(ctx, transfer)
      || !OSSL_CMP_CTX_set_transfer_cb_arg(ctx, enb)
      || !OSSL_CMP_CTX_set_certConf_cb(ctx, check_new_cert)
      || !OSSL_CMP_CTX_set_certConf_cb_arg(ctx, enb)
      || !(enb->op == ES_ENB_ENROL ? setup_enrol(enb, ctx, &new_key)
                                   : setup_operator(enb, ctx, &new_key))) {
    e->outcome = ES_ENB_OUTCOME_INTERNAL_ERROR;
    goto out;
  }
  es_cmp_ctx_quiet(ctx);

  X509 *cert = NULL;
  gboolean revoked = FALSE, answered = FALSE;
  switch (enb->op) {
  case ES_ENB_ENROL: cert = certreq(enb, ctx, OSSL_CMP_IR); break;
  case ES_ENB_RENEW: cert = certreq(enb, ctx, OSSL_CMP_KUR); break;
  case ES_ENB_REVOKE: revoked = OSSL_CMP_exec_RR_ses(ctx) == 1; break;
  case ES_ENB_ROOT_UPDATE: answered = root_update(enb, ctx); break;
  }
  if (cert != NULL) {
    es_x509_ref(cert);
    e->cert = cert;
    e->new_key = new_key;
    new_key = NULL;
    e->outcome = ES_ENB_OUTCOME_OK;
  } else if (revoked || answered) {
    e->outcome = ES_ENB_OUTCOME_OK;
  } else if (e->failure != ES_ENB_OUTCOME_OK) {
    e->outcome = e->failure;
  } else if (e->cert_rejected) {
    e->outcome = ES_ENB_OUTCOME_CERT_REJECTED;
  } else if (e->response_type == ES_CMP_ERROR
             || OSSL_CMP_CTX_get_status(ctx) == OSSL_CMP_PKISTATUS_rejection) {
    e->outcome = ES_ENB_OUTCOME_REJECTED_BY_RACA;
  } else {
    /* A response came but did not verify: e.g. an RA/CA without a cross certificate. */
    e->outcome = ES_ENB_OUTCOME_RESPONSE_UNVERIFIED;
  }
out:
  EVP_PKEY_free(new_key);
  OSSL_CMP_CTX_free(ctx);
}

/* ---- the credential between sessions ------------------------------------------------------ */

void es_enb_set_operator(EsEnb *enb, GBytes *cert, GBytes *key, GBytes *root)
{
  g_clear_pointer(&enb->op_cert, g_bytes_unref);
  g_clear_pointer(&enb->op_key, g_bytes_unref);
  g_clear_pointer(&enb->op_root, g_bytes_unref);
  enb->op_cert = cert;
  enb->op_key = key;
  enb->op_root = root;
}

/* Sets the three (taking the references), or none of them when one is missing (out of memory:
 * better no credential than a half one). */
static gboolean set_whole(EsEnb *enb, GBytes *cert, GBytes *key, GBytes *root)
{
  if (cert != NULL && key != NULL && root != NULL) {
    es_enb_set_operator(enb, cert, key, root);
    return TRUE;
  }
  if (cert != NULL)
    g_bytes_unref(cert);
  if (key != NULL)
    g_bytes_unref(key);
  if (root != NULL)
    g_bytes_unref(root);
  return FALSE;
}

/* The credential an ended session leaves the eNB with. */
void es_enb_keep_credential(EsEnb *enb)
{
  Enrolment *e = enb->e;
  if (enb->op == ES_ENB_REVOKE && e->outcome == ES_ENB_OUTCOME_OK) {
    /* The roots stay: without a certificate the eNB still relies on the operator's CRLs. */
    es_enb_set_operator(enb, NULL, NULL, enb->op_root != NULL ? g_bytes_ref(enb->op_root) : NULL);
    return;
  }
  if (enb->op == ES_ENB_ROOT_UPDATE) {
    GBytes *root = e->outcome == ES_ENB_OUTCOME_OK && e->root != NULL
                       ? es_enb_roots_intern(enb->config->roots, es_enb_der_of_cert(e->root))
                       : NULL;
    if (root != NULL) {
      if (enb->op_root_next != NULL)
        g_bytes_unref(enb->op_root_next);
      enb->op_root_next = root;
    }
    return;
  }
  if (e->cert == NULL || e->new_key == NULL)
    return;
  GBytes *cert = es_enb_der_of_cert(e->cert), *key = es_key_export(e->new_key);
  EsEnbRoots *roots = enb->config->roots;
  GBytes *root = enb->op != ES_ENB_ENROL ? (enb->op_root != NULL ? g_bytes_ref(enb->op_root) : NULL)
                 : e->root != NULL       ? es_enb_roots_intern(roots, es_enb_der_of_cert(e->root))
                                         : NULL;
  if (!set_whole(enb, cert, key, root))
    return;
  if (enb->op == ES_ENB_ENROL) /* a new enrolment starts its trust afresh from caPubs */
    g_clear_pointer(&enb->op_root_next, g_bytes_unref);
  /* Enrolled: kur and rr use the operator credential, and the factory one's decoded objects
   * are kilobytes per eNB for the rest of the run. */
  if (enb->op == ES_ENB_ENROL) {
    g_clear_pointer(&enb->device_cert, X509_free);
    g_clear_pointer(&enb->device_key, EVP_PKEY_free);
  }
}

gboolean es_enb_set1_operator(EsEnb *enb, X509 *cert, EVP_PKEY *key, X509 *root)
{
  if (cert == NULL || key == NULL || root == NULL || X509_check_private_key(cert, key) != 1) {
    ERR_clear_error();
    return FALSE;
  }
  es_enb_drop_next(enb);
  if (!set_whole(enb, es_enb_der_of_cert(cert), es_key_export(key),
                 es_enb_roots_intern(enb->config->roots, es_enb_der_of_cert(root))))
    return FALSE;
  g_clear_pointer(&enb->op_root_next, g_bytes_unref);
  return TRUE;
}

gboolean es_enb_trusts_root(const EsEnb *enb, X509 *root)
{
  GBytes *der = root != NULL ? es_enb_der_of_cert(root) : NULL;
  gboolean trusts = der != NULL
                    && ((enb->op_root != NULL && g_bytes_equal(der, enb->op_root))
                        || (enb->op_root_next != NULL && g_bytes_equal(der, enb->op_root_next)));
  if (der != NULL)
    g_bytes_unref(der);
  return trusts;
}
