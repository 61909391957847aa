/* Operator-root rollover on the loop engine: the rootCaKeyUpdate content and the checks an eNB
 * makes of it; an eNB that learns the new root by genm/genp and renews under it; one that
 * renews without learning it, through newWithOld; the old key's CRL for what it issued; a
 * replayed genm refused. */
#include <glib.h>
#include <math.h>
#include <openssl/cmp.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "engines/es_loop_engine.h"
#include "nodes/es_cmp.h"
#include "nodes/es_enb.h"
#include "nodes/es_raca.h"
#include "pki/es_ca.h"
#include "pki/es_clock.h"
#include "pki/es_pki.h"
#include "pki/es_rand.h"
#include "tests/unit/nodes/test_raca_common.h"

#define ROLL (EPOCH + 3600) /* the new root's notBefore */
#define NOW(f) (EPOCH + (gint64)es_engine_now((f)->engine) + 1) /* after the last issue */

typedef struct {
  EsPki *pki;
  EsLoopEngine *loop;
  EsEngine *engine;
  EsRaca *raca;
  EsEnbConfig ec;
  EsRacaConfig rc;
  EsEnbOutcome outcome;
  X509 *held;
  guint revoked;
} Fixture3;

static void on_event(void *arg, const EsEnbEvent *ev)
{
  Fixture3 *f = arg;
  if (ev->kind != ES_ENB_EVENT_DONE || ev->aborted)
    return;
  f->outcome = ev->outcome;
  if (ev->cert != NULL) {
    X509_free(f->held);
    f->held = es_x509_ref(ev->cert);
  }
}

static void on_raca_event(void *arg, const EsRacaEvent *ev)
{
  Fixture3 *f = arg;
  f->revoked += ev->kind == ES_RACA_EVENT_REVOKED;
}

static gint64 loop_clock(void *arg)
{
  return EPOCH + (gint64)floor(es_engine_now(arg));
}

static void setup(Fixture3 *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  memset(f, 0, sizeof *f);
  es_rand_install(11);
  f->pki = es_pki_generate(ES_KEY_P256, EPOCH - 86400, &error);
  g_assert_no_error(error);
  g_assert_true(es_pki_add_next_root(f->pki, ROLL, &error));
  g_assert_no_error(error);
  f->loop = es_loop_engine_new(0.010);
  f->engine = es_loop_engine_get0_engine(f->loop);
  es_clock_set(loop_clock, f->engine);
  es_raca_config_init(&f->rc);
  f->rc.epoch = EPOCH;
  f->rc.cert_validity_s = 86400 * 365;
  f->rc.seed = 11;
  es_enb_config_init(&f->ec);
  f->ec.epoch = EPOCH;
  f->ec.seed = 11;
  f->ec.deterministic = TRUE;
  f->ec.roots = es_enb_roots_new(); /* as in a run */
  f->raca = es_raca_new(&f->rc, f->pki, f->engine, &error);
  g_assert_no_error(error);
  EsRacaObserver obs = {.event = on_raca_event};
  es_raca_set_observer(f->raca, &obs, f);
  es_raca_attach(f->raca, 0);
}

static void teardown(Fixture3 *f, gconstpointer data)
{
  (void)data;
  es_raca_free(f->raca);
  es_enb_roots_free(f->ec.roots);
  es_loop_engine_free(f->loop);
  es_pki_free(f->pki);
  X509_free(f->held);
  es_clock_set(NULL, NULL);
  es_rand_uninstall();
}

/* Runs the engine until the eNB's session is over; its outcome. */
static EsEnbOutcome settle(Fixture3 *f, EsEnb *enb)
{
  es_loop_engine_run(f->loop, es_engine_now(f->engine) + 600);
  g_assert_false(es_enb_is_active(enb));
  return f->outcome;
}

static EsEnb *enrolled_enb(Fixture3 *f, guint number)
{
  EsEnb *enb = es_enb_new(number, &f->ec, f->pki, f->engine);
  es_enb_set_event_cb(enb, on_event, f);
  g_assert_true(es_enb_start(enb));
  g_assert_cmpint(settle(f, enb), ==, ES_ENB_OUTCOME_OK);
  return enb;
}

static void tick(void *arg)
{
  (void)arg;
}

/* Passes the time to the rollover and rolls the RA/CA over. */
static void roll(Fixture3 *f)
{
  GError *error = NULL;
  /* The loop's clock moves with its events. */
  es_engine_timer_add(f->engine, (double)(ROLL - EPOCH) + 1 - es_engine_now(f->engine), tick,
                      NULL);
  es_loop_engine_run(f->loop, (double)(ROLL - EPOCH) + 1);
  g_assert_true(es_raca_roll_over(f->raca, &error));
  g_assert_no_error(error);
  g_assert_true(es_raca_is_rolled(f->raca));
}

static X509 *issuer_root_of(Fixture3 *f, X509 *cert)
{
  X509 *next = es_pki_get0_next_root(f->pki);
  return X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(next)) == 0
             ? next : es_pki_get0_operator_root(f->pki);
}

static gboolean verifies(X509 *cert, X509 *root, X509 *untrusted, gint64 at)
{
  X509_STORE *store = X509_STORE_new();
  X509_STORE_add_cert(store, root);
  STACK_OF(X509) *chain = sk_X509_new_null();
  if (untrusted != NULL)
    sk_X509_push(chain, untrusted);
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, chain);
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)at);
  gboolean ok = X509_verify_cert(ctx) == 1;
  if (!ok)
    g_test_message("verify: %s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
  X509_STORE_CTX_free(ctx);
  sk_X509_free(chain);
  X509_STORE_free(store);
  ERR_clear_error();
  return ok;
}

/* An ITAV of type rootCaKeyUpdate with a SEQUENCE value of `len` bytes of `der`. */
static OSSL_CMP_ITAV *itav_of(const unsigned char *der, int len, int type)
{
  ASN1_STRING *str = ASN1_STRING_new();
  ASN1_STRING_set(str, der, len);
  ASN1_TYPE *value = ASN1_TYPE_new();
  ASN1_TYPE_set(value, type, str);
  return OSSL_CMP_ITAV_create(OBJ_txt2obj("1.3.6.1.5.5.7.4.18", 1), value);
}

/* The genp's content decodes to what was encoded (the whole genm/genp over DER is
 * learn-and-renew's); an absent value is "no update"; a truncated or mistyped value, or
 * another info type, is refused without a crash. */
static void test_itav(Fixture3 *f, gconstpointer data)
{
  (void)data;
  X509 *nwn = es_pki_get0_next_root(f->pki), *nwo = es_pki_get0_new_with_old(f->pki);
  X509 *own = es_pki_get0_old_with_new(f->pki);
  OSSL_CMP_ITAV *itav = es_cmp_itav_new_root_update(nwn, nwo, own);
  g_assert_nonnull(itav);
  g_assert_true(es_cmp_itav_is_root_update(itav));
  X509 *a, *b, *c;
  g_assert_cmpint(es_cmp_itav_get1_root_update(itav, &a, &b, &c), ==, 1);
  g_assert_cmpint(X509_cmp(a, nwn), ==, 0);
  g_assert_cmpint(X509_cmp(b, nwo), ==, 0);
  g_assert_cmpint(X509_cmp(c, own), ==, 0);
  X509_free(a), X509_free(b), X509_free(c);
  /* Without oldWithNew, which is optional. */
  OSSL_CMP_ITAV *two = es_cmp_itav_new_root_update(nwn, nwo, NULL);
  g_assert_cmpint(es_cmp_itav_get1_root_update(two, &a, &b, &c), ==, 1);
  g_assert_nonnull(b);
  g_assert_null(c);
  X509_free(a), X509_free(b);
  OSSL_CMP_ITAV *none = es_cmp_itav_new_root_update(NULL, NULL, NULL);
  g_assert_cmpint(es_cmp_itav_get1_root_update(none, &a, &b, &c), ==, 0);
  OSSL_CMP_ITAV *ask = es_cmp_itav_new_root_update_request();
  g_assert_true(es_cmp_itav_is_root_update(ask));
  OSSL_CMP_ITAV *other = OSSL_CMP_ITAV_create(OBJ_nid2obj(NID_id_it_caCerts), NULL);
  g_assert_false(es_cmp_itav_is_root_update(other));
  g_assert_cmpint(es_cmp_itav_get1_root_update(other, &a, &b, &c), ==, -1);

  ASN1_STRING *seq = OSSL_CMP_ITAV_get0_value(itav)->value.sequence;
  const unsigned char *der = ASN1_STRING_get0_data(seq);
  int len = ASN1_STRING_length(seq);
  for (int cut = 0; cut < len; cut += 5) {
    OSSL_CMP_ITAV *partial = itav_of(der, cut, V_ASN1_SEQUENCE);
    g_assert_cmpint(es_cmp_itav_get1_root_update(partial, &a, &b, &c), ==, -1);
    g_assert_null(a);
    OSSL_CMP_ITAV_free(partial);
  }
  OSSL_CMP_ITAV *mistyped = itav_of(der, len, V_ASN1_OCTET_STRING);
  g_assert_cmpint(es_cmp_itav_get1_root_update(mistyped, &a, &b, &c), ==, -1);
  /* Trailing bytes after the content are refused too. */
  unsigned char *longer = g_malloc(len + 2);
  memcpy(longer, der, len);
  longer[len] = 0x05, longer[len + 1] = 0x00;
  OSSL_CMP_ITAV *trailing = itav_of(longer, len + 2, V_ASN1_SEQUENCE);
  g_assert_cmpint(es_cmp_itav_get1_root_update(trailing, &a, &b, &c), ==, -1);
  g_free(longer);
  ERR_clear_error();
  OSSL_CMP_ITAV_free(trailing);
  OSSL_CMP_ITAV_free(mistyped);
  OSSL_CMP_ITAV_free(other);
  OSSL_CMP_ITAV_free(ask);
  OSSL_CMP_ITAV_free(itav);
  OSSL_CMP_ITAV_free(two);
  OSSL_CMP_ITAV_free(none);
}

/* The links are checked against the root the node has: the genuine ones pass; a next root of
 * another hierarchy, links swapped, a wrong old root, or a time outside them are refused. */
static void test_refusal(Fixture3 *f, gconstpointer data)
{
  (void)data;
  GError *error = NULL;
  X509 *old = es_pki_get0_operator_root(f->pki);
  X509 *nwn = es_pki_get0_next_root(f->pki), *nwo = es_pki_get0_new_with_old(f->pki);
  X509 *own = es_pki_get0_old_with_new(f->pki);
  time_t now = ROLL + 10;
  g_assert_null(es_cmp_root_update_refusal(old, nwn, nwo, own, now));
  g_assert_null(es_cmp_root_update_refusal(old, nwn, nwo, NULL, now));
  g_assert_nonnull(es_cmp_root_update_refusal(old, nwn, NULL, own, now));
  g_assert_nonnull(es_cmp_root_update_refusal(old, nwn, own, nwo, now));
  g_assert_nonnull(es_cmp_root_update_refusal(old, nwo, nwo, own, now));
  g_assert_nonnull(es_cmp_root_update_refusal(nwn, nwn, nwo, own, now));
  g_assert_nonnull(es_cmp_root_update_refusal(old, nwn, nwo, own, ROLL - 10));
  /* Another operator's rollover: self-consistent, but not linked to our root. */
  EsPki *other = es_pki_generate(ES_KEY_P256, EPOCH - 86400, &error);
  g_assert_true(es_pki_add_next_root(other, ROLL, &error));
  g_assert_nonnull(es_cmp_root_update_refusal(old, es_pki_get0_next_root(other),
                                              es_pki_get0_new_with_old(other), NULL, now));
  /* Its new root with our newWithOld: the key does not match. */
  g_assert_nonnull(es_cmp_root_update_refusal(old, es_pki_get0_next_root(other), nwo, NULL,
                                              now));
  g_assert_cmpint(ERR_peek_error(), ==, 0);
  es_pki_free(other);
  /* The hierarchy's own links verify with the CLI's rules: newWithOld chains to the old
   * root, the RA/CA's new certificate to either root. */
  g_assert_true(verifies(es_pki_get0_next_raca(f->pki), nwn, NULL, now));
  g_assert_true(verifies(es_pki_get0_next_raca(f->pki), old, nwo, now));
}

/* Before the rollover a genm gets no update; after it the eNB learns the new root, renews
 * under it, and its old certificate goes on the old key's CRL. */
static void test_learn_and_renew(Fixture3 *f, gconstpointer data)
{
  (void)data;
  EsEnb *enb = enrolled_enb(f, 1);
  X509 *first = es_x509_ref(f->held);
  X509 *next = es_pki_get0_next_root(f->pki);
  g_assert_true(issuer_root_of(f, first) == es_pki_get0_operator_root(f->pki));
  g_assert_true(es_enb_update_root(enb));
  g_assert_cmpint(settle(f, enb), ==, ES_ENB_OUTCOME_OK);
  g_assert_false(es_enb_trusts_root(enb, next));

  roll(f);
  g_assert_true(es_enb_update_root(enb));
  g_assert_cmpint(settle(f, enb), ==, ES_ENB_OUTCOME_OK);
  g_assert_true(es_enb_trusts_root(enb, next));
  g_assert_true(es_enb_trusts_root(enb, es_pki_get0_operator_root(f->pki)));

  g_assert_true(es_enb_renew(enb));
  g_assert_cmpint(settle(f, enb), ==, ES_ENB_OUTCOME_OK);
  g_assert_true(issuer_root_of(f, f->held) == next);
  g_assert_true(verifies(f->held, next, NULL, NOW(f)));
  g_assert_false(verifies(f->held, es_pki_get0_operator_root(f->pki), NULL, NOW(f)));

  /* Superseded: revoked under the key that issued it. */
  EsCa *ca = es_raca_get0_ca(f->raca);
  EsCa *previous = es_ca_get0_previous(ca);
  g_assert_nonnull(previous);
  g_assert_true(es_ca_is_revoked(ca, X509_get0_serialNumber(first)));
  GError *error = NULL;
  X509_CRL *old_crl = es_ca_get1_crl(previous, NOW(f), NOW(f) + 86400, &error);
  X509_CRL *new_crl = es_ca_get1_crl(ca, NOW(f), NOW(f) + 86400, &error);
  g_assert_no_error(error);
  X509_REVOKED *entry = NULL;
  g_assert_cmpint(X509_CRL_get0_by_serial(old_crl, &entry,
                                          (ASN1_INTEGER *)X509_get0_serialNumber(first)), ==, 1);
  g_assert_cmpint(X509_CRL_verify(old_crl, X509_get0_pubkey(es_pki_get0_operator_root(f->pki))),
                  ==, 1);
  g_assert_cmpint(X509_CRL_verify(new_crl, X509_get0_pubkey(next)), ==, 1);
  g_assert_cmpint(X509_NAME_cmp(X509_CRL_get_issuer(new_crl), X509_get_subject_name(next)), ==, 0);
  g_assert_cmpint(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(new_crl)), <=, 0);
  g_assert_cmpuint(es_ca_revoked_count(ca), ==, 1);

  /* A second kur, now from a certificate under the new root. */
  g_assert_true(es_enb_renew(enb));
  g_assert_cmpint(settle(f, enb), ==, ES_ENB_OUTCOME_OK);
  g_assert_true(issuer_root_of(f, f->held) == next);
  g_assert_cmpuint(es_ca_revoked_count(ca), ==, 2);
  X509_CRL_free(new_crl);
  new_crl = es_ca_get1_crl(ca, NOW(f) + 1, NOW(f) + 86400, &error);
  g_assert_cmpint(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(new_crl)), ==, 1);
  X509_CRL_free(old_crl);
  X509_CRL_free(new_crl);
  X509_free(first);
  es_enb_free(enb);
}

/* An eNB that never asked renews anyway: the kup's certificate chains to the root it trusts
 * through the newWithOld beside the RA/CA's new certificate; it still trusts only the old
 * root. A factory-new eNB enrolling after the rollover gets the new root in caPubs. */
static void test_straggler_and_newcomer(Fixture3 *f, gconstpointer data)
{
  (void)data;
  EsEnb *enb = enrolled_enb(f, 1);
  g_assert_cmpuint(es_enb_roots_size(f->ec.roots), ==, 1); /* the root from caPubs, kept */
  roll(f);
  g_assert_true(es_enb_renew(enb));
  g_assert_cmpint(settle(f, enb), ==, ES_ENB_OUTCOME_OK);
  X509 *next = es_pki_get0_next_root(f->pki);
  g_assert_true(issuer_root_of(f, f->held) == next);
  g_assert_false(es_enb_trusts_root(enb, next));
  /* It asks later: learnt then. */
  g_assert_true(es_enb_update_root(enb));
  g_assert_cmpint(settle(f, enb), ==, ES_ENB_OUTCOME_OK);
  g_assert_true(es_enb_trusts_root(enb, next));
  g_assert_cmpuint(es_enb_roots_size(f->ec.roots), ==, 2); /* the new root, kept */

  EsEnb *fresh = enrolled_enb(f, 2);
  g_assert_true(issuer_root_of(f, f->held) == next);
  g_assert_true(es_enb_trusts_root(fresh, next));
  g_assert_false(es_enb_trusts_root(fresh, es_pki_get0_operator_root(f->pki)));
  /* Asking again changes nothing: the offered root is the one it has. */
  g_assert_true(es_enb_update_root(fresh));
  g_assert_cmpint(settle(f, fresh), ==, ES_ENB_OUTCOME_OK);
  g_assert_true(es_enb_trusts_root(fresh, next));
  g_assert_cmpuint(f->revoked, ==, 1); /* eNB 1's first certificate, superseded */
  g_assert_cmpuint(es_enb_roots_size(f->ec.roots), ==, 2); /* both eNBs hold the same two */
  es_enb_free(fresh);
  es_enb_free(enb);
}

/* Keeps the last genm an eNB sent (nothing is dropped). */
static gboolean keep_genm(void *arg, guint enb, gboolean request, const guint8 *body, gsize len)
{
  GBytes **genm = arg;
  if (enb != 0 && request && es_cmp_peek_body_type(body, len) == ES_CMP_GENM) {
    if (*genm != NULL)
      g_bytes_unref(*genm);
    *genm = g_bytes_new(body, len);
  }
  return FALSE;
}

/* A genm replayed (an on-path copy of one answered) is refused as a replay, and opens
 * nothing. */
static void test_genm_replay_refused(Fixture3 *f, gconstpointer data)
{
  (void)data;
  GBytes *genm = NULL;
  es_loop_engine_set_drop(f->loop, keep_genm, &genm);
  EsEnb *enb = enrolled_enb(f, 1);
  roll(f);
  g_assert_true(es_enb_update_root(enb));
  g_assert_cmpint(settle(f, enb), ==, ES_ENB_OUTCOME_OK);
  g_assert_nonnull(genm);
  EsRacaStats before, after;
  es_raca_get_stats(f->raca, &before);
  GError *error = NULL;
  GBytes *rsp = es_raca_process(f->raca, g_bytes_get_data(genm, NULL), g_bytes_get_size(genm),
                                &error);
  g_assert_no_error(error);
  g_assert_cmpint(es_cmp_peek_body_type(g_bytes_get_data(rsp, NULL), g_bytes_get_size(rsp)), ==,
                  ES_CMP_ERROR);
  es_raca_get_stats(f->raca, &after);
  g_assert_cmpuint(after.refused_replays, ==, before.refused_replays + 1);
  g_assert_cmpuint(after.open_transactions, ==, 0);
  g_bytes_unref(rsp);
  g_bytes_unref(genm);
  es_enb_free(enb);
}

/* An eNB without an operator credential has nothing to ask a root update with (the RA/CA's
 * refusal of a vendor-protected genm is interop_serve_cli's). */
static void test_genm_needs_operator_cert(Fixture3 *f, gconstpointer data)
{
  (void)data;
  EsEnb *enb = es_enb_new(1, &f->ec, f->pki, f->engine);
  g_assert_false(es_enb_update_root(enb));
  es_enb_free(enb);
}

/* At engine time `second` + frac: the root update, with the kur made ahead beside it when
 * `ahead`, then the kur as soon as the genp is checked (as a rollover does), then a second kur.
 * Returns both certificates' DER; *began: whether the first kur was the one made ahead. */
typedef struct {
  Fixture3 *f;
  EsEnb *enb;
  gboolean began; /* the kur that began was the one made ahead */
} Renewer;

static void renew_now(void *arg)
{
  Renewer *r = arg;
  g_assert_true(es_enb_renew(r->enb));
  r->began = es_enb_began_ahead(r->enb);
}

static void on_root_updated(void *arg, const EsEnbEvent *ev)
{
  Renewer *r = arg;
  on_event(r->f, ev);
  if (ev->kind == ES_ENB_EVENT_DONE && ev->operation == ES_ENB_ROOT_UPDATE)
    es_engine_timer_add(r->f->engine, 0, renew_now, r);
}

static GBytes *renewed_after_update(double frac, gboolean ahead, gboolean *began)
{
  Fixture3 fx, *f = &fx;
  setup(f, NULL);
  EsEnb *enb = enrolled_enb(f, 1);
  roll(f);
  double now = es_engine_now(f->engine);
  es_engine_timer_add(f->engine, floor(now) + 1 + frac - now, tick, NULL);
  es_loop_engine_run(f->loop, floor(now) + 1 + frac);
  Renewer r = {f, enb, FALSE};
  es_enb_set_event_cb(enb, on_root_updated, &r);
  if (ahead)
    g_assert_true(es_enb_prepare_root_update(enb, es_engine_now(f->engine), TRUE));
  g_assert_true(es_enb_update_root(enb));
  g_assert_cmpint(settle(f, enb), ==, ES_ENB_OUTCOME_OK);
  *began = r.began;
  es_enb_set_event_cb(enb, on_event, f);
  g_assert_true(issuer_root_of(f, f->held) == es_pki_get0_next_root(f->pki));
  GByteArray *der = g_byte_array_new();
  for (int i = 0; i < 2; i++) {
    unsigned char *buf = NULL;
    int len = i2d_X509(f->held, &buf);
    g_byte_array_append(der, buf, (guint)len);
    OPENSSL_free(buf);
    if (i == 0) {
      g_assert_true(es_enb_renew(enb));
      g_assert_cmpint(settle(f, enb), ==, ES_ENB_OUTCOME_OK);
    }
  }
  es_enb_free(enb);
  teardown(f, NULL);
  return g_byte_array_free_to_bytes(der);
}

/* The kur made ahead beside a root update: sent when it begins within the wall-clock second
 * it was made for, with the same certificates as a kur made then, and the next kur the same
 * too; dropped unsent when it begins a second later, with the same certificates again. */
static void test_made_ahead(void)
{
  gboolean began;
  for (int i = 0; i < 2; i++) {
    double frac = i == 0 ? 0.1 : 0.999;
    GBytes *plain = renewed_after_update(frac, FALSE, &began);
    g_assert_false(began);
    GBytes *ahead = renewed_after_update(frac, TRUE, &began);
    g_assert_true(began == (i == 0));
    g_assert_true(g_bytes_equal(plain, ahead));
    g_bytes_unref(plain);
    g_bytes_unref(ahead);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/rollover/itav", Fixture3, NULL, setup, test_itav, teardown);
  g_test_add("/rollover/refusal", Fixture3, NULL, setup, test_refusal, teardown);
  g_test_add("/rollover/learn-and-renew", Fixture3, NULL, setup, test_learn_and_renew, teardown);
  g_test_add("/rollover/straggler-and-newcomer", Fixture3, NULL, setup,
             test_straggler_and_newcomer, teardown);
  g_test_add("/rollover/genm-replay-refused", Fixture3, NULL, setup, test_genm_replay_refused,
             teardown);
  g_test_add("/rollover/genm-needs-operator-cert", Fixture3, NULL, setup,
             test_genm_needs_operator_cert, teardown);
  g_test_add_func("/rollover/made-ahead", test_made_ahead);
  return g_test_run();
}
