/* The one owner of a run's results: the eNBs' and RA/CAs' events in, result files out. */
#include "sim/es_collector.h"

#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "nodes/es_cmp.h"
#include "results/es_outdir.h"

struct EsCollector {
  EsRecorder *recorder;
  GHashTable *serial_to_enb;   /* issued serial (hex) -> eNB number */
  EsRevocationLog *revocations;
  EsQueueLog *queues;
  guint64 by_cause[ES_RACA_REVOKE_CAUSES];
  guint64 issued;
  guint64 installed;
  double last_activity_s;
};

EsCollector *es_collector_new(guint n_enbs)
{
  EsCollector *c = g_new0(EsCollector, 1);
  c->recorder = es_recorder_new(n_enbs);
  c->serial_to_enb = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  c->revocations = es_revocation_log_new();
  c->queues = es_queue_log_new();
  return c;
}

void es_collector_free(EsCollector *c)
{
  if (c == NULL)
    return;
  es_recorder_free(c->recorder);
  g_hash_table_destroy(c->serial_to_enb);
  es_revocation_log_free(c->revocations);
  es_queue_log_free(c->queues);
  g_free(c);
}

/* The eNB number in a subject CN=enb-<n>, 0 if none. */
static guint enb_of_name(const X509_NAME *name)
{
  char cn[64] = "";
  guint n = 0;
  X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, cn, sizeof cn);
  return sscanf(cn, "enb-%u", &n) == 1 ? n : 0;
}

static guint enb_of(const EsCollector *c, X509 *cert)
{
  guint n = enb_of_name(X509_get_subject_name(cert));
  return n <= es_recorder_get_enbs(c->recorder) ? n : 0;
}

static const EsMark step_marks[] = {
  [ES_ENB_STEP_START] = ES_MARK_START,
  [ES_ENB_STEP_IR_SENT] = ES_MARK_IR_SENT,
  [ES_ENB_STEP_RESPONSE_RECEIVED] = ES_MARK_IP_RECEIVED,
  [ES_ENB_STEP_CERTCONF_SENT] = ES_MARK_CERTCONF_SENT,
  [ES_ENB_STEP_PKICONF_RECEIVED] = ES_MARK_PKICONF_RECEIVED,
};
static const EsCount retry_counts[] = {
  [ES_ENB_RETRY_RESEND] = ES_COUNT_CMP_RETRANSMISSIONS,
  [ES_ENB_RETRY_BUSY] = ES_COUNT_BUSY_RETRIES,
  [ES_ENB_RETRY_ABANDONED] = ES_COUNT_ABANDONED,
};

/* An eNB of an installed base that has not failed a renewal: "installed" or "renewed". */
static gboolean installed_row(const EsRecorder *rec, guint n)
{
  const char *was = es_recorder_get_outcome(rec, n);
  return was != NULL && (strcmp(was, "installed") == 0 || strcmp(was, "renewed") == 0);
}

/* enrolments.csv's words: an enrolment's outcome ("enrolled" or why not); a renewal that
 * succeeded leaves "enrolled" (the eNB holds a valid certificate), one that failed
 * "renew_<why>"; a revocation marks the certificate revoked or reads "revoke_<why>". */
static void record_done(EsCollector *c, const EsEnbEvent *ev)
{
  EsRecorder *rec = c->recorder;
  guint n = ev->number;
  const char *why = es_enb_outcome_name(ev->outcome);
  if (ev->operation == ES_ENB_ENROL) {
    if (!ev->aborted)
      es_recorder_mark(rec, n, ES_MARK_DONE, ev->t);
    es_recorder_set_outcome(rec, n, ev->outcome == ES_ENB_OUTCOME_OK ? "enrolled" : why);
    es_recorder_set_attempts(rec, n, ev->attempts);
    es_recorder_set_polls(rec, n, ev->polls);
  } else if (ev->aborted && ev->operation == ES_ENB_RENEW && installed_row(rec, n)) {
    /* Cut short by the run's end: a first renewal is unfinished, a later one leaves the
     * row its first renewal's. */
    if (strcmp(es_recorder_get_outcome(rec, n), "installed") == 0)
      es_recorder_set_outcome(rec, n, "unfinished");
  } else if (ev->outcome == ES_ENB_OUTCOME_OK && ev->operation == ES_ENB_RENEW) {
    /* An installed eNB never enrolled here: its row is its renewals', the first one timed. */
    const char *was = es_recorder_get_outcome(rec, n);
    gboolean installed = installed_row(rec, n);
    if (installed && strcmp(was, "installed") == 0) {
      es_recorder_mark(rec, n, ES_MARK_DONE, ev->t);
      es_recorder_set_attempts(rec, n, ev->attempts);
      es_recorder_set_polls(rec, n, ev->polls);
    }
    es_recorder_set_outcome(rec, n, installed ? "renewed" : "enrolled");
  } else if (ev->outcome == ES_ENB_OUTCOME_OK) {
    es_recorder_set_revoked(rec, n, TRUE);
  } else {
    char *outcome = g_strconcat(es_enb_operation_name(ev->operation), "_", why, NULL);
    es_recorder_set_outcome(rec, n, outcome);
    g_free(outcome);
  }
  if (ev->cert != NULL) {
    /* The certificate it now holds: confirmed, so not revoked (yet). */
    char *serial = es_serial_hex(X509_get0_serialNumber(ev->cert));
    es_recorder_set_serial(rec, n, serial);
    es_recorder_set_revoked(rec, n, FALSE);
    g_free(serial);
  }
}

void es_collector_enb_event(void *collector, const EsEnbEvent *ev)
{
  EsCollector *c = collector;
  /* enrolments.csv's rows are enrolments and renewals; root updates are rollover.csv's. */
  if (ev->operation == ES_ENB_ROOT_UPDATE)
    return;
  switch (ev->kind) {
  case ES_ENB_EVENT_STEP:
    es_recorder_mark(c->recorder, ev->number, step_marks[ev->step], ev->t);
    break;
  case ES_ENB_EVENT_RETRY:
    es_recorder_add_count(c->recorder, ev->number, retry_counts[ev->retry], 1);
    break;
  case ES_ENB_EVENT_DONE:
    record_done(c, ev);
    break;
  }
}

static void on_issued(EsCollector *c, const EsRacaEvent *ev)
{
  guint n = enb_of(c, ev->cert);
  char *serial = es_serial_hex(X509_get0_serialNumber(ev->cert));
  c->issued++;
  es_revocation_log_issued(c->revocations, serial, n, ev->t);
  if (n < 1) {
    g_free(serial);
    return;
  }
  /* The CSV names the certificate an enrolled eNB holds (its session records it when it
   * ends); before that, the one last issued to it. */
  const char *outcome = es_recorder_get_outcome(c->recorder, n);
  if (outcome == NULL || strcmp(outcome, "enrolled") != 0) {
    es_recorder_set_serial(c->recorder, n, serial);
    es_recorder_set_revoked(c->recorder, n, FALSE);
  }
  g_hash_table_insert(c->serial_to_enb, serial, GUINT_TO_POINTER(n));
}

static void on_revoked(EsCollector *c, const EsRacaEvent *ev)
{
  char *serial = es_serial_hex(X509_get0_serialNumber(ev->cert));
  es_revocation_log_revoked(c->revocations, serial, enb_of(c, ev->cert),
                            es_raca_revoke_cause_name(ev->cause),
                            es_raca_reason_name(ev->reason), ev->t);
  guint n = GPOINTER_TO_UINT(g_hash_table_lookup(c->serial_to_enb, serial));
  const char *latest = n != 0 ? es_recorder_get_serial(c->recorder, n) : NULL;
  if ((guint)ev->cause < G_N_ELEMENTS(c->by_cause))
    c->by_cause[ev->cause]++;
  if (latest != NULL && strcmp(latest, serial) == 0)
    es_recorder_set_revoked(c->recorder, n, TRUE);
  c->last_activity_s = MAX(c->last_activity_s, ev->t);
  g_free(serial);
}

static void on_raca_event(void *arg, const EsRacaEvent *ev)
{
  if (ev->kind == ES_RACA_EVENT_ISSUED)
    on_issued(arg, ev);
  else
    on_revoked(arg, ev);
}

/* Per eNB, as the recorder sums them into retransmissions.raca_duplicates (racas.<r> counts
 * every duplicate, those of transactions that issued nothing too). */
static void on_duplicate(void *arg, const X509_NAME *subject, double t)
{
  EsCollector *c = arg;
  guint n = subject != NULL ? enb_of_name(subject) : 0;
  (void)t;
  if (n >= 1 && n <= es_recorder_get_enbs(c->recorder))
    es_recorder_add_count(c->recorder, n, ES_COUNT_RACA_DUPLICATES, 1);
}

static void on_queue_changed(void *arg, guint raca, guint waiting, guint busy, double t)
{
  es_queue_log_record(((EsCollector *)arg)->queues, raca, waiting, busy, t);
}

static void on_backlog_changed(void *arg, guint raca, guint waiting, double t)
{
  es_queue_log_record_waiting(((EsCollector *)arg)->queues, raca, waiting, t);
}

const EsRacaObserver *es_collector_raca_observer(void)
{
  static const EsRacaObserver observer = {.event = on_raca_event,
                                          .queue_changed = on_queue_changed,
                                          .backlog_changed = on_backlog_changed,
                                          .duplicate = on_duplicate};
  return &observer;
}

double es_collector_get_last_activity(const EsCollector *c) { return c->last_activity_s; }

void es_collector_set_site(EsCollector *c, guint enb, const char *access, guint raca)
{
  es_recorder_set_site(c->recorder, enb, access, raca);
}

void es_collector_add_tcp_retransmissions(EsCollector *c, guint enb, guint n)
{
  es_recorder_add_count(c->recorder, enb, ES_COUNT_TCP_RETRANSMISSIONS, n);
}

void es_collector_crl_published(EsCollector *c, double t)
{
  es_revocation_log_published(c->revocations, t);
}

void es_collector_installed(EsCollector *c, guint enb, X509 *cert, double issued_s)
{
  char *serial = es_serial_hex(X509_get0_serialNumber(cert));
  c->installed++;
  es_revocation_log_issued(c->revocations, serial, enb, issued_s);
  es_recorder_set_serial(c->recorder, enb, serial);
  es_recorder_set_revoked(c->recorder, enb, FALSE);
  es_recorder_set_outcome(c->recorder, enb, "installed");
  g_hash_table_insert(c->serial_to_enb, serial, GUINT_TO_POINTER(enb));
}

guint64 es_collector_get_installed(const EsCollector *c) { return c->installed; }

void es_collector_raca_started(EsCollector *c, guint raca)
{
  es_queue_log_record(c->queues, raca, 0, 0, 0.0);
}

const EsRecorder *es_collector_get0_recorder(const EsCollector *c) { return c->recorder; }

guint64 es_collector_get_issued(const EsCollector *c) { return c->issued; }

guint64 es_collector_get_revoked(const EsCollector *c, EsRacaRevokeCause cause)
{
  return (guint)cause < G_N_ELEMENTS(c->by_cause) ? c->by_cause[cause] : 0;
}

void es_collector_revocation_stats(const EsCollector *c, EsRevocationStats *stats)
{
  es_revocation_log_stats(c->revocations, stats);
}

void es_collector_queue_stats(const EsCollector *c, guint raca, double sim_time_s,
                              EsQueueStats *stats)
{
  es_queue_log_stats(c->queues, raca, sim_time_s, stats);
}

/* Certificates issued and revoked, by every cause the RA/CA knows, zeros included, so files
 * of different runs line up (the run adds which are held); then issue to revocation, issue to
 * the first CRL listing it, revocation to that CRL (null when nothing was revoked), and the
 * CRLs published. */
static void summarise_revocations(const EsCollector *c, EsSummary *s)
{
  EsRevocationStats rv;
  es_revocation_log_stats(c->revocations, &rv);
  es_summary_set_uint(s, "certificates.issued", c->issued);
  es_summary_set_uint(s, "certificates.revoked", rv.rows);
  es_summary_set_object(s, "certificates.revoked_by_reason");
  for (guint k = 0; k < G_N_ELEMENTS(c->by_cause); k++) {
    char *p = g_strconcat("certificates.revoked_by_reason.",
                          es_raca_revoke_cause_name((EsRacaRevokeCause)k), NULL);
    es_summary_set_uint(s, p, c->by_cause[k]);
    g_free(p);
  }
  es_summary_set_double(s, "revocations.time_to_revocation_s.mean", rv.to_revocation_mean);
  es_summary_set_double(s, "revocations.time_to_revocation_s.p50", rv.to_revocation_p50);
  es_summary_set_double(s, "revocations.time_to_revocation_s.max", rv.to_revocation_max);
  es_summary_set_double(s, "revocations.time_to_crl_s.mean", rv.to_crl_mean);
  es_summary_set_double(s, "revocations.time_to_crl_s.p50", rv.to_crl_p50);
  es_summary_set_double(s, "revocations.time_to_crl_s.max", rv.to_crl_max);
  es_summary_set_double(s, "revocations.revocation_to_crl_s.mean", rv.revocation_to_crl_mean);
  es_summary_set_double(s, "revocations.revocation_to_crl_s.p50", rv.revocation_to_crl_p50);
  es_summary_set_double(s, "revocations.revocation_to_crl_s.max", rv.revocation_to_crl_max);
  es_summary_set_uint(s, "crl.published", rv.crls);
  es_summary_set_double(s, "crl.last_s", rv.last_crl_s);
}

EsSummary *es_collector_summary_new(const EsCollector *c, const EsCollectorRun *run)
{
  g_return_val_if_fail(c != NULL && run != NULL, NULL);
  EsSummary *s = es_summary_new();
  es_summary_set_string(s, "scenario", run->scenario);
  es_summary_set_uint(s, "seed", run->seed);
  if (run->has_racas)
    es_summary_set_uint(s, "replication", run->replication);
  /* Near the top, where a reader looks first: the figures below stop at that time. */
  if (run->interrupted_by != 0)
    es_summary_set_interrupted(s, run->interrupted_by, run->interrupted_at_s);
  es_summary_add_recorder(s, c->recorder);
  if (run->has_racas)
    summarise_revocations(c, s);
  es_summary_set_double(s, "sim_time_s", run->sim_time_s);
  es_summary_set_uint(s, "events", run->events);
  es_summary_set_double(s, ES_SUMMARY_WALL_CLOCK ".wall_time_s", run->wall_time_s);
  return s;
}

gboolean es_collector_write_files(const EsCollector *c, const char *dir, gboolean has_racas,
                                  GError **error)
{
  /* Listed in the folder's manifest first; without RA/CAs the list ends after the first. */
  const char *const files[] = {"enrolments.csv", has_racas ? "raca_queue.csv" : NULL,
                               "revocations.csv", NULL};
  if (!es_outdir_record(dir, files, error))
    return FALSE;
  char *csv = g_build_filename(dir, "enrolments.csv", NULL);
  char *queue_csv = g_build_filename(dir, "raca_queue.csv", NULL);
  char *revocations_csv = g_build_filename(dir, "revocations.csv", NULL);
  gboolean ok = es_recorder_write_csv(c->recorder, csv, error)
                && (!has_racas
                    || (es_queue_log_write_csv(c->queues, queue_csv, error)
                        && es_revocation_log_write_csv(c->revocations, revocations_csv, error)));
  g_free(csv);
  g_free(queue_csv);
  g_free(revocations_csv);
  return ok;
}

gboolean es_collector_summary_set_attributes(EsSummary *s, const char *engine, gboolean ns3,
                                             const char *reproduce, const EsScenario *sc,
                                             GError **error)
{
  es_summary_set_string(s, "attributes.engine", engine);
  es_summary_set_string(s, "attributes.enrolsim_version", es_build_version());
  es_summary_set_string(s, "attributes.git_revision", es_build_git_revision());
  es_summary_set_string(s, "attributes.openssl_version", OpenSSL_version(OPENSSL_VERSION));
  if (ns3)
    es_summary_set_string(s, "attributes.ns3_version", es_build_ns3_version());
  g_autofree char *glib = g_strdup_printf("%u.%u.%u", glib_major_version, glib_minor_version,
                                          glib_micro_version);
  es_summary_set_string(s, "attributes.glib_version", glib);
  es_summary_set_string(s, "attributes.reproduce", reproduce);
  g_autofree char *effective = es_scenario_to_keyfile(sc);
  return es_summary_set_parameters(s, "attributes.parameters", effective, error);
}

void es_collector_summary_set_raca(EsSummary *s, const char *prefix, guint workers,
                                   const EsRacaStats *st, double duration_s)
{
  char key[96];
#define KEY(name) (g_snprintf(key, sizeof key, "%s.%s", prefix, name), key)
  double capacity = workers * duration_s;
  es_summary_set_uint(s, KEY("workers"), workers);
  es_summary_set_uint(s, KEY("requests"), st->requests);
  es_summary_set_uint(s, KEY("issued"), st->issued);
  es_summary_set_uint(s, KEY("confirmed"), st->confirmed);
  es_summary_set_uint(s, KEY("revoked"), st->revoked);
  es_summary_set_uint(s, KEY("errors"), st->errors);
  es_summary_set_uint(s, KEY("duplicates"), st->duplicates);
  es_summary_set_uint(s, KEY("busy_rejections"), st->busy);
  es_summary_set_double(s, KEY("queueing_delay_s.mean"), st->wait_mean_s);
  es_summary_set_double(s, KEY("queueing_delay_s.max"), st->wait_max_s);
  es_summary_set_double(s, KEY("busy_s"), st->busy_s);
  es_summary_set_double(s, KEY("utilisation"), capacity > 0 ? st->busy_s / capacity : 0.0);
  es_summary_set_uint(s, KEY("max_queue"), st->max_queue);
#undef KEY
}
