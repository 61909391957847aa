/* What the CRL distribution's files share (es_crl_dist.c: revocation, publishing and fetches;
 * es_crl_dist_results.c: its summary, CSV files and report lines). Private to sim/. */
#ifndef ES_CRL_DIST_PRIV_H
#define ES_CRL_DIST_PRIV_H

#include "pki/es_crl_check.h"
#include "sim/es_run_priv.h"

typedef struct {
  EsCrlDist *d;
  guint enb;
} Tick;                  /* a timer's argument: which relying node fetches (`enb`: its index) */

typedef struct {
  guint64 full;          /* the number of the full CRL it holds (0: none) */
  guint64 delta;         /* of the delta on that base it holds (0: none) */
  double enforced_s;     /* when it first held a CRL listing the mass revocation; NaN: not yet */
  gboolean busy;
  guint8 rr;             /* revocation.by = rr: RR_NONE, or where its rr is */
  const char *rr_why;    /* RR_FAILED: why, in enrolments.csv's words (static) */
} Node;

enum { RR_NONE, RR_PENDING, RR_REVOKED, RR_FAILED };

struct EsCrlDist {
  EsRun *run;
  const EsCrlDistConfig *c;
  guint enbs, segws;          /* relying nodes: eNBs 1..N, then SeGWs N+1..N+S */
  Node *nodes;                /* 1..N+S */
  Tick *ticks;                /* 1..N+S */
  EsRand *rand;
  EsRand *segw_rand;          /* the SeGWs' phases and jitters; NULL without SeGWs */
  GBytes *full, *delta;       /* the distribution point's pages (DER), NULL until published */
  GBytes *last_delta;         /* the last delta published, for crl-delta.pem */
  guint64 full_number, delta_number;
  guint64 listing;            /* the first CRL number that lists the mass revocation; 0: none */
  guint64 revoked;            /* certificates the mass revocation revoked (by = rr: the rrs
                               * answered `accepted`) */
  guint64 rr_sent, rr_failed; /* by = rr: eNBs that sent one, and whose rr did not revoke */
  guint rr_pending;           /* rrs not answered or given up yet */
  double rr_answered_s;       /* when the last was: the CA published then; NaN: not yet */
  guint64 fetches, full_fetches, delta_fetches, failed, unverified;
  GHashTable *bytes_by_access;/* access class -> guint64 bytes (request and response) */
  GString *log;               /* crl.csv rows */
  GHashTable *in_flight;      /* Fetch -> itself: freed with the run if it ends first */
  guint64 delta_timer;
  EsCrlCheck *check;          /* the relying nodes' checks of what they fetch */
};

/* Relying node k's access class: an eNB's (es_topology_enb_access), or "segw". */
const char *es_crl_dist_access(const EsCrlDist *d, guint k);
/* Relying node k's name in diagnostics: "enb-<k>", or the SeGW's node name. */
char *es_crl_dist_node_name(const EsCrlDist *d, guint k);

#endif
