/* Revocations of a run and the CRLs that published them: one row per revoked certificate
 * (revocations.csv) and the delays from issue to revocation to CRL. Knows only GLib. */
#ifndef ES_REVOCATION_LOG_H
#define ES_REVOCATION_LOG_H

#include <glib.h>

typedef struct EsRevocationLog EsRevocationLog;

EsRevocationLog *es_revocation_log_new(void);
void es_revocation_log_free(EsRevocationLog *log);

/* Certificate `serial` (hex) was issued to eNB `enb` at simulated time t: remembered until
 * it is revoked, so its row can say how long it lived. */
void es_revocation_log_issued(EsRevocationLog *log, const char *serial, guint enb, double t);
/* Certificate `serial` was revoked at t: one row. `reason` says why (the RA/CA's cause name),
 * `crl_reason` is the RFC 5280 name on the CRL. `enb` 0 takes the eNB from the issue record;
 * a serial never seen issued gets an empty issued_s. Both strings are copied. */
void es_revocation_log_revoked(EsRevocationLog *log, const char *serial, guint enb,
                               const char *reason, const char *crl_reason, double t);
/* A CRL was published at t and lists every revocation so far: those on no earlier CRL get t
 * as their crl_published_s. Returns how many. */
guint es_revocation_log_published(EsRevocationLog *log, double t);

typedef struct {
  guint rows;                 /* revocations */
  guint crls;                 /* CRLs published */
  double last_crl_s;          /* time of the last CRL; NaN before the first */
  /* Over the rows with the times they need (NaN when there are none); nearest-rank p50. */
  double to_revocation_mean, to_revocation_p50, to_revocation_max; /* revoked_s - issued_s */
  double to_crl_mean, to_crl_p50, to_crl_max;                      /* crl_published_s - issued_s */
  /* crl_published_s - revoked_s: how long a revoked certificate still passed a CRL check. */
  double revocation_to_crl_mean, revocation_to_crl_p50, revocation_to_crl_max;
} EsRevocationStats;
void es_revocation_log_stats(const EsRevocationLog *log, EsRevocationStats *stats);

/* Header `serial,enb,reason,crl_reason,issued_s,revoked_s,crl_published_s`, then one row per
 * revocation in the order they happened; times with six decimals, empty when unknown (not
 * issued in this run, on no CRL yet). Written atomically. */
gboolean es_revocation_log_write_csv(const EsRevocationLog *log, const char *path,
                                     GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsRevocationLog, es_revocation_log_free)

#endif
