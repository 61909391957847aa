/* What the files of one simulated run share: the run's state, its randomness streams and the
 * functions each file gives the others (orchestration in es_run.c). Private to sim/. */
#ifndef ES_RUN_PRIV_H
#define ES_RUN_PRIV_H

#include "sim/es_run.h"

#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "config/es_streams.h"
#include "pki/es_ca.h"
#include "pki/es_clock.h"
#include "nodes/es_enb.h"
#include "pki/es_pki.h"
#include "nodes/es_raca.h"
#include "pki/es_rand.h"
#include "sim/es_collector.h"
#include "topologies/es_rollout.h"
#include "engines/es_sim.h"
#include "results/es_outdir.h"
#include "results/es_summary.h"
#include "topologies/es_topology.h"


#define RSA_POOL_SIZE 32

/* Memory a simulated node takes at its peak (region: 24.8 KiB per eNB, README "Scale"). */
#define ES_RUN_BYTES_PER_NODE (24u << 10)

/* The rogue RA/CA listens on every RA/CA node at this port; the eNBs it answers connect
 * there, over the same path as to the genuine RA/CA. */
#define ROGUE_PORT 8080

/* Hostile and broken eNBs (hostile.* keys): at most one class each. */
typedef enum {
  HOSTILE_NONE,
  HOSTILE_UNKNOWN_VENDOR, /* device certificate of a vendor root the RA/CA does not know */
  HOSTILE_EXPIRED_DEVICE, /* device certificate expired at the epoch */
  HOSTILE_ROGUE_RACA,     /* answered by an RA/CA that has no cross certificate of the vendor */
  HOSTILE_FORGER,         /* an on-path forger beside it: forged certConf and ir under a
                           * victim's transactionID */
  HOSTILE_REPLAYER,       /* an on-path replayer beside it: a victim's ir posted again */
  HOSTILE_CLASSES
} EsHostile;
extern const char *const es_hostile_names[HOSTILE_CLASSES];

typedef struct EsFactory EsFactory;
typedef struct EsRenewAhead EsRenewAhead;

/* An eNB's pending renewal: its timer's argument, and when it is due (NaN: none). */
typedef struct EsRunRenewal {
  struct EsRun *run;
  double at;
} EsRunRenewal;

typedef struct EsRun {
  const EsScenario *sc;
  const EsRunOptions *options;
  EsPki *pki;
  EsKeyPool *new_pool, *device_pool;
  EsTopology *topo;
  EsSim *sim;
  EsEngine *engine;
  EsRaca *raca;
  EsCollector *collector;      /* the eNBs' and RA/CAs' events: the result files */
  EsOutdir *outdir;            /* the result folder's manifest: each file is listed before it
                                * is written */
  EsEnb **enbs;                /* 1..N */
  char *certs_dir;
  guint finished;
  double last_activity_s;      /* the last eNB that finished */
  GError *write_error;         /* first failure writing a certificate file or signing a CRL */
  char *started_at;            /* wall-clock start, ISO 8601 UTC */
  EsRollout *rollout;          /* power-on times and order */
  guint powered_on;            /* eNBs of the rollout order started so far */
  EsRaca **racas;              /* RA/CA r, 0..n_racas-1; racas[0] is raca; in a split PKI
                                * the RAs 0..n_ras-1, then the CAs behind them */
  guint n_racas;
  guint n_ras;                 /* those eNBs enrol with */
  EsFactory *factory;            /* device credentials made ahead on a second thread */
  EsOffload *offload;          /* the eNBs' crypto beside the event loop */
  EsPredecode *predecode;      /* CMP messages decoded beside it */
  EsEnbRoots *roots;           /* the eNBs' operator roots, held once */
  guint enrolled;
  guint64 held_valid, held_revoked; /* operator certificates the eNBs end with */
  guint64 awaiting_confirm;      /* an interrupted run's certificates awaiting certConf */
  EsCa *ca;                    /* the operator CA every RA/CA of the run issues from */
  EsPki *raca_pki;             /* the RA/CAs' hierarchy: pki, less the cross cert if !raca.cross */
  X509_CRL *crl;               /* the last CRL published */
  guint64 crl_timer;
  guint crl_ticks;             /* periodic CRLs so far */
  guint8 *hostile;             /* per eNB number 0..N: its EsHostile class; NULL when none is */
  guint hostile_enbs[HOSTILE_CLASSES];
  EsPki *foreign_vendor;       /* the unknown vendor's hierarchy */
  EsPki *rogue_pki;
  EsRaca *rogue;               /* serves the hostile.rogue_raca eNBs */
  int interrupted_by;          /* the signal that stopped the simulation early, or 0 */
  double interrupted_at_s;
  struct EsAttacks *attacks;   /* the forgers and replayers; NULL when none */
  EsRand *renew_rand;          /* enb.renew_window draws (es_day2.c) */
  struct EsRunRenewal *renewals; /* 1..N: each eNB's pending renewal (es_day2.c) */
  EsRenewAhead *renew_ahead;     /* renewals or root updates made ahead on a second thread */
  guint64 made_ahead;            /* sessions made ahead on a second thread (an enrolment by the
                                  * factory, a renewal, a root update) and handed over when due */
  struct EsCrlDist *crl_dist;  /* mass revocation and CRL fetches; NULL when none */
  guint64 held_expired;        /* of held_valid, expired by the end of the run */
  struct EsRollover *rollover; /* the operator-root rollover; NULL when none */
  X509_CRL *crl_old_root;      /* after a rollover: the last CRL the old root key signed */
} EsRun;

/* The eNB number in a subject CN=enb-<n>, 0 if none. */
static inline guint es_run_enb_of_name(const X509_NAME *name)
{
  char cn[64] = "";
  guint n = 0;
  X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, cn, sizeof cn);
  return sscanf(cn, "enb-%u", &n) == 1 ? n : 0;
}

static inline guint es_run_enb_of_cert(X509 *cert)
{
  return es_run_enb_of_name(X509_get_subject_name(cert));
}

/* es_ahead.c: a thread that makes items 0..n-1 in order, on `make(i, arg)`, at most `ahead`
 * beyond the last released. es_ahead_wait blocks until item i is made; es_ahead_release lets
 * the thread go on past it; es_ahead_free stops the thread (an item under way is finished). */
typedef struct EsAhead EsAhead;
typedef void (*EsAheadFn)(guint i, void *arg);
EsAhead *es_ahead_new(const char *name, guint n, guint ahead, EsAheadFn make, void *arg);
void es_ahead_wait(EsAhead *a, guint i);
void es_ahead_release(EsAhead *a, guint i);
void es_ahead_free(EsAhead *a);

/* es_factory.c: device credentials made ahead on a second thread (or at power-on with
 * --one-thread). */
EsFactory *es_factory_new(const EsRollout *rollout, const EsPki *pki, EsKeyPool *pool,
                          guint64 seed, const guint8 *hostile, const EsPki *foreign_vendor,
                          gint64 epoch, EsEnb **prepare, gboolean threaded);
gboolean es_factory_hand_over(EsFactory *f, guint i, EsEnb *enb);
void es_factory_free(EsFactory *f);

/* es_renew_ahead.c: the renewals of an installed base made ahead on a second thread, in the
 * order run->renewals falls due; only where nothing but its renewal starts a session on an
 * eNB (no rollover, no revocation). With a rollover (`first_ask` not NULL), its first root
 * updates instead, at first_ask (1..N), of the eNBs whose renewal does not come first.
 * es_renew_ahead_wait, when eNB k's `op` session is due and before it starts, waits until it
 * is made (nothing for another op, or a NULL `ra`). */
EsRenewAhead *es_renew_ahead_new(EsRun *run, const double *first_ask);
void es_renew_ahead_wait(EsRenewAhead *ra, guint k, EsEnbOperation op);
void es_renew_ahead_free(EsRenewAhead *ra);

/* es_hostile.c: the hostile.* classes. */
void es_run_choose_hostile(EsRun *run);
gboolean es_run_make_hostile_pki(EsRun *run, GError **error);
/* With transport.tls, servers on `port` (0: the RA/CAs' own) present `pki`'s cross
 * certificate, the one certificate a late-binding eNB can verify (its RA/CA certificate when it
 * has none: the eNBs then refuse the handshake, as they would refuse the CMP answer). The
 * RA/CAs' own (port 0) is saved as pki/raca-tls.pem. */
gboolean es_run_set_tls_credential(EsRun *run, const EsPki *pki, guint16 port, GError **error);
gboolean es_run_start_rogue(EsRun *run, const EsRacaConfig *config, GError **error);
void es_run_summarise_hostile(EsRun *run, EsSummary *s);
void es_run_free_attacks(EsRun *run);
/* "attacks: forger 7 victims, 0 disrupted; ..." for the console; NULL when there were none. */
char *es_run_attacks_line(EsRun *run);
gboolean es_run_write_hostile_csv(EsRun *run, const char *path, GError **error);

/* es_crl.c: revocations.csv rows and the CRL schedule. */
gboolean es_run_publish_crl(EsRun *run, GError **error);
void es_run_crl_start(EsRun *run);

/* es_run_results.c: summary.json and the result files. */
gboolean es_run_write_results(EsRun *run, EsRunResult *result, GError **error);

/* es_run_report.c: the diagnostics, into summary.json's "diagnostics" and (but for the
 * scenario's own warnings, printed before the run) onto `messages` as new strings; and the
 * console report. `valid_unheld`: certificates valid and held by no eNB. */
void es_run_diagnose(EsRun *run, const EsRunResult *result, EsSummary *s, guint64 valid_unheld,
                     GPtrArray *messages);
char *es_run_report(EsRun *run, const EsRunResult *result, guint64 valid_unheld);

/* es_pcap.c: --pcap captures. */
gboolean es_run_enable_pcap(EsRun *run, GError **error);

/* A split PKI (topology.cas): the [raca] keys as the CAs' node configuration (raca.ca_*,
 * the approval and the outages), and as the RAs' (the rest, forwarding to their CA). */
EsRacaConfig es_run_ca_config(const EsRacaConfig *config);
EsRacaConfig es_run_ra_config(const EsRacaConfig *config);

/* Day 2 (es_day2.c). rollout.start = enrolled: every eNB gets an operator certificate from
 * the run's CA, dated over rollout.installed_over before the epoch, known to the RA/CA (and in
 * a split PKI its CA) that serves it; each then waits for its renewal, or is finished. */
gboolean es_run_install(EsRun *run, GError **error);
/* eNB `enb` is done for the run, holding `cert` (or NULL): counted, its certificate kept
 * (--keep-certs), the run stopped when it was the last. */
void es_run_finish_enb(EsRun *run, EsEnb *enb, X509 *cert);
/* enb.renew_before: schedules the kur of `enb`, which holds `cert`; FALSE when none is due
 * before scenario.stop_time. */
gboolean es_run_schedule_renewal(EsRun *run, EsEnb *enb, X509 *cert);
/* summary.json's day2 section: the installed base, renewals and their latency, certificates
 * expired, the final CRL's size. */
void es_run_summarise_day2(EsRun *run, EsSummary *s);
/* Nearest-rank percentile `p` of `n` values sorted by es_run_sort_times. */
void es_run_sort_times(double *v, guint n);
double es_run_rank(const double *sorted, guint n, guint p);
/* The report's line on renewals of an installed base; NULL when the run started factory-new. */
char *es_run_day2_line(EsRun *run);

/* Mass revocation and CRL distribution (es_crl_dist.c): started with the run (run->crl_dist)
 * when [revocation] or [crl_fetch] asks for it; FALSE when its first CRL cannot be made. */
typedef struct EsCrlDist EsCrlDist;
gboolean es_crl_dist_start(EsRun *run, GError **error);
void es_crl_dist_free(EsCrlDist *d);
/* An eNB's session ended; an rr of revocation.by = rr is counted, and the last one answered
 * has the CA publish. */
void es_crl_dist_rr_done(EsCrlDist *d, const EsEnbEvent *ev);
/* diagnostics.crl_rr_failed: the eNBs whose rr did not revoke their certificate (the first
 * ten, with their access class and why); NULL when none. g_free it. */
char *es_crl_dist_rr_failed_text(const EsCrlDist *d);
/* A full CRL was published: the distribution point serves it from now on. */
void es_crl_dist_published(EsCrlDist *d, X509_CRL *crl);
/* summary.json's crl_dist section (crl_dist.segws.* with SeGWs); the eNBs that never
 * enforced the mass revocation go into `cut_off` (eNB numbers, GUINT_TO_POINTER). */
void es_crl_dist_summarise(EsCrlDist *d, EsSummary *s, GPtrArray *cut_off);
/* crl.csv: every CRL the CA published while distributing, full or delta. */
const char *es_crl_dist_get0_log(const EsCrlDist *d);
/* crl_enforcement.csv (enb,access,enforced_s: when the eNB first held a CRL listing the mass
 * revocation, empty when never); NULL without a mass revocation. g_free it. */
char *es_crl_dist_enforcement_csv(const EsCrlDist *d);
/* crl_enforcement_segw.csv (segw,name,raca,enforced_s: the same for each SeGW, with the RA/CA
 * it fetches from); NULL without a mass revocation or without SeGWs. g_free it. */
char *es_crl_dist_segw_enforcement_csv(const EsCrlDist *d);
/* diagnostics.crl_segw_not_enforced: the SeGWs that never held a CRL listing the mass
 * revocation (the first ten, by name); NULL when every SeGW did, or none was asked to. */
char *es_crl_dist_segw_not_enforced_text(const EsCrlDist *d);
/* The report's lines on the mass revocation, its enforcement and the fetches; NULL when the
 * run distributes no CRL. */
char *es_crl_dist_line(const EsCrlDist *d);
/* The last delta CRL published (DER), or NULL: crl-delta.pem. */
GBytes *es_crl_dist_get0_delta(const EsCrlDist *d);

/* Operator-root rollover (es_rollover.c): started with the run (run->rollover) when
 * rollover.at is set; FALSE when the run cannot have one (RAs in front of CAs). */
typedef struct EsRollover EsRollover;
gboolean es_rollover_start(EsRun *run, GError **error);
void es_rollover_free(EsRollover *ro);
/* Whether eNB k is still in the rollover: the run finishes it only once it is through. */
gboolean es_rollover_holds(const EsRollover *ro, guint k);
/* 1..N: when each eNB first asks for the root update (drawn at es_rollover_start). */
const double *es_rollover_get0_first_asks(const EsRollover *ro);
/* An eNB's session ended: TRUE when the run goes on with it as usual (its next renewal, or
 * finished), FALSE when the rollover has taken care of it. */
gboolean es_rollover_enb_done(EsRollover *ro, EsEnb *enb, EsEnbOutcome outcome, X509 *cert);
/* summary.json's rollover section and the eNBs not trusting the new root (diagnostics, onto
 * `messages`); the report's line; rollover.csv (NULL for each without a rollover). */
void es_rollover_summarise(EsRollover *ro, EsSummary *s, GPtrArray *messages);
char *es_rollover_line(const EsRollover *ro);
char *es_rollover_csv(const EsRollover *ro);

#endif
