/* enrolsim serve: the RA/CA on real sockets (live engine), serving any RFC 6712 client such
 * as `openssl cmp` or `enrolsim enrol`, and logging what it issues and revokes as it goes. */
#include <errno.h>
#include <math.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/x509.h>

#include "cli/cmd.h"
#include "cli/es_live_progress.h"
#include "cli/es_serve_state.h"
#include "cli/es_tls_options.h"
#include "nodes/es_cmp.h"
#include "engines/es_faults.h"
#include "engines/es_live.h"
#include "engines/es_metrics.h"
#include "pki/es_pki.h"
#include "nodes/es_raca.h"
#include "nodes/es_raca_store.h"
#include "config/es_config.h"
#include "pki/es_pki_config.h"

typedef struct {
  EsLive *live;
  EsMetrics *metrics;    /* GET /metrics: in front of the live engine, behind the faults */
  EsFaults *faults;      /* [faults] in force: the RA/CA's engine, in front of the metrics' */
  EsRaca *raca;
  EsRacaStore *store;
  FILE *issued;
  FILE *revocations;
  char *issued_path, *revocations_path;
  char *crl_path;
  double crl_validity_s;
  double crl_interval_s; /* raca.crl_interval: crl.pem is also signed afresh this often */
  guint64 crl_tick_timer;
  gint64 epoch;
  double epoch_fraction;
  GString *issued_rows;  /* rows of events not yet committed to the database */
  GString *revoked_rows;
  gboolean crl_stale;    /* a revocation since crl.pem was written */
  gboolean crl_now;      /* one an rp answers: crl.pem lists it before the rp leaves */
  guint64 crl_timer;
  GError *error;         /* the first write that failed: serving answers 503 from then on */
  guint rolled_back;     /* requests or revocations the database did not take */
  gboolean quiet;
  const char *tls_mode;  /* off, server (HTTPS), mutual (client certificates required) */
} Serve;

/* crl.pem lags at most this long behind a revocation no client waits for; an rr's is
 * published before its rp leaves. Rebuilding per revocation made revocation cost grow
 * with the CRL. */
#define CRL_LAG_S 1.0

/* A CSV field: quoted, since subjects in RFC 2253 form contain commas. */
static void csv_quoted(GString *out, const char *text)
{
  g_string_append_c(out, '"');
  for (const char *p = text; *p != '\0'; p++) {
    if (*p == '"')
      g_string_append_c(out, '"');
    if (*p != '\n' && *p != '\r')
      g_string_append_c(out, *p);
  }
  g_string_append_c(out, '"');
}

/* The start of a row: engine time of the serve that logged it, and wall-clock time. */
static void row_start(GString *row, double t, gint64 utc_us, X509 *cert)
{
  GDateTime *dt = g_date_time_new_from_unix_utc(utc_us / G_USEC_PER_SEC);
  GDateTime *exact = dt != NULL ? g_date_time_add(dt, utc_us % G_USEC_PER_SEC) : NULL;
  char *utc = exact != NULL ? g_date_time_format(exact, "%Y-%m-%dT%H:%M:%S.%fZ") : g_strdup("");
  char *serial = es_serial_hex(X509_get0_serialNumber(cert));
  char *subject = es_subject_rfc2253(cert);
  g_string_append_printf(row, "%.6f,%s,%s,", t, utc, serial);
  csv_quoted(row, subject);
  g_free(utc);
  g_free(serial);
  g_free(subject);
  if (exact != NULL)
    g_date_time_unref(exact);
  if (dt != NULL)
    g_date_time_unref(dt);
}

static gint64 utc_us_of(Serve *s, double t)
{
  return (gint64)((s->epoch + s->epoch_fraction + t) * 1e6);
}

/* The first failed write is reported at once; the RA/CA then answers 503 to every request
 * until SIGINT or SIGTERM, and serve exits 1. */
static void fail(Serve *s, GError *error)
{
  if (s->error == NULL) {
    s->error = error;
    if (s->raca != NULL) {
      fprintf(stderr, "enrolsim: serve: %s; answering 503 from now on\n", error->message);
      es_raca_stop_issuing(s->raca, error);
    }
  } else {
    g_error_free(error);
  }
}

/* Rows, each flushed at once: the log holds every committed event even if the process is
 * killed right after (a row lost between commit and write is added at the next start). */
static void append(Serve *s, FILE *f, const char *path, GString *rows)
{
  if (rows->len == 0 || s->error != NULL)
    return;
  if (fwrite(rows->str, 1, rows->len, f) != rows->len || fflush(f) != 0) {
    int err = errno;
    fail(s, g_error_new(G_FILE_ERROR, g_file_error_from_errno(err), "cannot write %s: %s", path,
                        g_strerror(err)));
  }
}

/* crl.pem from the CA's state, which is the database's: its number is committed before the
 * file is replaced (atomically), so no two CRLs ever carry one number. */
static gboolean publish_crl(Serve *s, GError **error)
{
  X509_CRL *crl = es_raca_get1_crl(s->raca, (gint64)s->crl_validity_s, error);
  gboolean ok = crl != NULL;
  if (ok) {
    es_raca_store_begin(s->store);
    ok = es_raca_store_set_crl_number(s->store, es_ca_get_crl_number(es_raca_get0_ca(s->raca)),
                                      NULL);
    ok = es_raca_store_commit(s->store, error) && ok;
  }
  ok = ok && es_pem_save_crl(s->crl_path, crl, error);
  X509_CRL_free(crl);
  if (ok)
    s->crl_stale = s->crl_now = FALSE;
  return ok;
}

static void publish_or_fail(Serve *s)
{
  GError *error = NULL;
  if (s->error == NULL && !publish_crl(s, &error))
    fail(s, error);
}

static void on_crl_due(void *arg)
{
  Serve *s = arg;
  s->crl_timer = 0;
  if (s->crl_stale)
    publish_or_fail(s);
}

static void on_event(void *arg, const EsRacaEvent *ev)
{
  Serve *s = arg;
  es_metrics_on_event(s->metrics, ev);
  GString *row = ev->kind == ES_RACA_EVENT_ISSUED ? s->issued_rows : s->revoked_rows;
  row_start(row, ev->t, utc_us_of(s, ev->t), ev->cert);
  if (ev->kind == ES_RACA_EVENT_ISSUED) {
    char *replaces = ev->replaced != NULL ? es_serial_hex(X509_get0_serialNumber(ev->replaced))
                                          : g_strdup("");
    g_string_append_printf(row, ",%s,%s\n", es_cmp_body_name(ev->request), replaces);
    g_free(replaces);
  } else {
    g_string_append_printf(row, ",%s,%s\n", es_raca_revoke_cause_name(ev->cause),
                           es_raca_reason_name(ev->reason));
    s->crl_stale = TRUE;
    if (ev->cause == ES_RACA_REVOKED_REQUESTED)
      s->crl_now = TRUE;
  }
}

/* The progress line: requests and their rate, outcomes, certificates, the queue, latency. */
static void progress_line(void *arg, GString *out)
{
  Serve *s = arg;
  EsMetricsSummary m;
  es_metrics_get_summary(s->metrics, &m);
  double t = es_engine_now(es_live_get0_engine(s->live));
  g_string_append_printf(out, "serve %.1f s | %" G_GUINT64_FORMAT " requests, %.1f/s | issued %"
                         G_GUINT64_FORMAT ", revoked %" G_GUINT64_FORMAT " | errors %"
                         G_GUINT64_FORMAT ", 503 %" G_GUINT64_FORMAT " | queue %u, busy %u",
                         t, m.requests, t > 0 ? m.requests / t : 0.0, m.issued, m.revoked,
                         m.by_outcome[ES_METRICS_ERROR] + m.by_outcome[ES_METRICS_REFUSED],
                         m.by_outcome[ES_METRICS_BUSY], m.waiting, m.busy);
  /* From the /metrics histogram: the bound of the bucket that holds the quantile. */
  if (m.requests > 0) {
    g_string_append(out, " | latency");
    const double q[] = {m.p50_le_s, m.p99_le_s};
    for (int i = 0; i < 2; i++)
      g_string_append_printf(out, isinf(q[i]) ? "%s p%d > 10 s" : "%s p%d <= %g s",
                             i ? "," : "", i ? 99 : 50, q[i]);
  }
}

/* raca.crl_interval: a fresh CRL (new thisUpdate and nextUpdate) every interval, revocations
 * or not, as a CA that publishes on a schedule does. */
static void on_crl_tick(void *arg)
{
  Serve *s = arg;
  publish_or_fail(s);
  s->crl_tick_timer = es_engine_timer_add(es_live_get0_engine(s->live), s->crl_interval_s,
                                          on_crl_tick, s);
}

/* The events since the last call are committed (or rolled back): only now do they reach the
 * logs and the CRL, so both agree with the database. */
static void on_settled(void *arg, gboolean durable)
{
  Serve *s = arg;
  es_metrics_on_settled(s->metrics, durable);
  if (durable) {
    append(s, s->issued, s->issued_path, s->issued_rows);
    append(s, s->revocations, s->revocations_path, s->revoked_rows);
  } else {
    s->crl_now = FALSE;
    s->rolled_back++;
    GError *why = g_error_copy(es_raca_get0_store_error(s->raca));
    fail(s, why);
  }
  g_string_truncate(s->issued_rows, 0);
  g_string_truncate(s->revoked_rows, 0);
  if (!durable || s->error != NULL || !s->crl_stale)
    return;
  if (s->crl_now)
    publish_or_fail(s);
  else if (s->crl_timer == 0 && s->live != NULL)
    s->crl_timer = es_engine_timer_add(es_live_get0_engine(s->live), CRL_LAG_S, on_crl_due, s);
}

static void on_queue_changed(void *arg, guint raca, guint waiting, guint busy, double t)
{
  Serve *s = arg;
  (void)raca, (void)t;
  es_metrics_on_queue(s->metrics, waiting, busy);
}

/* Opens a log to append to, across restarts: a last row cut short by a kill is dropped, and
 * `*rows` tells how many it holds. */
static FILE *open_log(const char *path, const char *header, guint64 *rows, GError **error)
{
  char *text = NULL;
  gsize len = 0;
  *rows = 0;
  if (g_file_get_contents(path, &text, &len, NULL) && len > 0) {
    gsize keep = len;
    while (keep > 0 && text[keep - 1] != '\n')
      keep--;
    for (gsize i = 0; i < keep; i++)
      if (text[i] == '\n')
        (*rows)++;
    if (*rows > 0)
      (*rows)--; /* the header */
    if (keep < len && truncate(path, (off_t)keep) != 0) {
      int err = errno;
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "cannot write %s: %s", path,
                  g_strerror(err));
      g_free(text);
      return NULL;
    }
    len = keep;
  }
  g_free(text);
  FILE *f = g_fopen(path, "a");
  if (f == NULL || (len == 0 && fputs(header, f) < 0) || fflush(f) != 0) {
    int err = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "cannot write %s: %s", path,
                g_strerror(err));
    if (f != NULL)
      fclose(f);
    f = NULL;
  }
  return f;
}

static X509 *cert_of(const guint8 *der, gsize len)
{
  const unsigned char *p = der;
  return d2i_X509(NULL, &p, (long)len);
}

static void log_stored_cert(void *arg, const EsStoredCert *c)
{
  Serve *s = arg;
  X509 *cert = cert_of(c->der, c->der_len);
  if (cert == NULL)
    return;
  row_start(s->issued_rows, c->t, c->utc_us, cert);
  g_string_append_printf(s->issued_rows, ",%s,%s\n", c->request,
                         c->replaces != NULL ? c->replaces : "");
  X509_free(cert);
}

static void log_stored_revocation(void *arg, const EsStoredRevocation *r)
{
  Serve *s = arg;
  X509 *cert = cert_of(r->der, r->der_len);
  if (cert == NULL)
    return;
  row_start(s->revoked_rows, r->t, r->utc_us, cert);
  g_string_append_printf(s->revoked_rows, ",%s,%s\n", r->cause, es_raca_reason_name(r->reason));
  X509_free(cert);
}

/* issued.csv and revocations.csv agree with the database: rows committed but not yet
 * written when the last serve died are added, in the order of the database. */
static gboolean open_logs(Serve *s, GError **error)
{
  guint64 issued_rows, revoked_rows;
  if ((s->issued = open_log(s->issued_path, "time_s,utc,serial,subject,request,replaces\n",
                            &issued_rows, error)) == NULL
      || (s->revocations = open_log(s->revocations_path,
                                    "time_s,utc,serial,subject,cause,reason\n", &revoked_rows,
                                    error)) == NULL
      || !es_raca_store_foreach_cert(s->store, (gint64)issued_rows, log_stored_cert, s, error)
      || !es_raca_store_foreach_revocation(s->store, (gint64)revoked_rows,
                                           log_stored_revocation, s, error))
    return FALSE;
  append(s, s->issued, s->issued_path, s->issued_rows);
  append(s, s->revocations, s->revocations_path, s->revoked_rows);
  g_string_truncate(s->issued_rows, 0);
  g_string_truncate(s->revoked_rows, 0);
  if (s->error != NULL) {
    g_propagate_error(error, g_steal_pointer(&s->error));
    return FALSE;
  }
  return TRUE;
}

static gboolean write_port_file(const char *path, guint16 port, GError **error)
{
  char text[16];
  g_snprintf(text, sizeof text, "%u\n", port);
  return g_file_set_contents(path, text, -1, error);
}

int es_cmd_serve(int argc, char **argv)
{
  g_autofree char *listen = NULL, *confirm = NULL, *confirm_wait = NULL, *validity = NULL,
                  *crl_validity = NULL, *idle = NULL, *port_file = NULL, *request_timeout = NULL,
                  *harden = NULL, *message_time_window = NULL, *scenario_file = NULL,
                  *upstream = NULL, *upstream_timeout = NULL;
  g_auto(GStrv) sets = NULL;
  gint max_body = 0, max_connections = 0, max_body_memory_mib = 0;
  gboolean overwrite = FALSE, new_state = FALSE, keep_superseded = FALSE, quiet = FALSE;
  g_autofree char *pki_opt = NULL, *out_opt = NULL;
  g_auto(EsTlsOptions) tls_opts = {.server = TRUE}, upstream_tls_opts = {.upstream = TRUE};
  GOptionEntry entries[] = {
    {"pki", 0, 0, G_OPTION_ARG_FILENAME, &pki_opt, "The PKI folder that enrolsim pki init wrote (or the first argument)", "DIR"},
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out_opt, "Result folder (or the second argument; default out/serve)", "DIR"},
    {"scenario", 0, 0, G_OPTION_ARG_FILENAME, &scenario_file, "Scenario key file: its [raca], [pki] and [faults] keys are in force (the options below override them)", "FILE"},
    {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a scenario key, e.g. --set raca.workers=4 (repeatable)", "SECTION.KEY=VALUE"},
    {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Address to serve on (default 127.0.0.1:8080; port 0 picks a free one)", "HOST:PORT"},
    {"port-file", 0, 0, G_OPTION_ARG_FILENAME, &port_file, "Write the port served on to FILE once listening", "FILE"},
    {"confirm", 0, 0, G_OPTION_ARG_STRING, &confirm, "raca.confirm: explicit (default: certConf/pkiConf) or implicit (grant implicitConfirm when asked)", "MODE"},
    {"confirm-wait", 0, 0, G_OPTION_ARG_STRING, &confirm_wait, "raca.confirm_wait: revoke a certificate whose certConf has not come by then (default 60s)", "DURATION"},
    {"cert-validity", 0, 0, G_OPTION_ARG_STRING, &validity, "pki.cert_validity: validity of issued certificates (default 3650d)", "DURATION"},
    {"crl-validity", 0, 0, G_OPTION_ARG_STRING, &crl_validity, "raca.crl_validity: CRL nextUpdate minus thisUpdate (default 3650d)", "DURATION"},
    {"max-body", 0, 0, G_OPTION_ARG_INT, &max_body, "Largest request body accepted, in bytes (default 1 MiB)", "BYTES"},
    {"idle-timeout", 0, 0, G_OPTION_ARG_STRING, &idle, "Close a connection that sends nothing for this long (default 30s)", "DURATION"},
    {"request-timeout", 0, 0, G_OPTION_ARG_STRING, &request_timeout, "A request must arrive whole (headers and body) this long after its first byte, else 408 and close (default 10s)", "DURATION"},
    {"max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections, "Open connections at most; beyond, the stalest makes room (default 1024, or the descriptor limit less 64)", "N"},
    {"max-body-memory", 0, 0, G_OPTION_ARG_INT, &max_body_memory_mib, "Request bodies being received, all connections together; beyond, the biggest gets 503 (default 32 x --max-body)", "MIB"},
    {"harden", 0, 0, G_OPTION_ARG_STRING, &harden, "raca.harden: true (default) binds each transaction to its client and refuses replayed requests; false serves as an unprotected RA/CA would, to measure attacks", "BOOL"},
    {"message-time-window", 0, 0, G_OPTION_ARG_STRING, &message_time_window, "raca.message_time_window: refuse a request whose messageTime is further off (default 5min)", "DURATION"},
    {"keep-superseded", 0, 0, G_OPTION_ARG_NONE, &keep_superseded, "raca.keep_superseded=true: do not revoke the certificate a confirmed kur or re-enrolment replaces", NULL},
    {"new-ca-state", 0, 0, G_OPTION_ARG_NONE, &new_state, "Start a new CA state: remove OUT_DIR's raca.db, issued.csv, revocations.csv, crl.pem and serve_summary.json first (serials start again at 0100)", NULL},
    {"overwrite", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &overwrite, "Refused: serve resumes its state; see --new-ca-state", NULL},
    {"upstream", 0, 0, G_OPTION_ARG_STRING, &upstream, "Be an RA in front of the CA serving at TARGET (another enrolsim serve, or any CMP server that accepts the RA's protection): requests are verified here and their certificates obtained from the CA there", "TARGET"},
    {"upstream-timeout", 0, 0, G_OPTION_ARG_STRING, &upstream_timeout, "With --upstream: a request to the CA not answered this long after it was sent fails (default 30s)", "DURATION"},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing but errors and the listening line", NULL},
    {NULL}};
  g_autoptr(GOptionContext) opts = g_option_context_new("[--pki] PKI_DIR [[--out] OUT_DIR] - serve the RA/CA to real CMP clients");
  g_option_context_add_main_entries(opts, entries, NULL);
  es_tls_options_add(opts, &tls_opts);
  es_tls_options_add(opts, &upstream_tls_opts);
  g_option_context_set_summary(opts,
    "Serves the operator RA/CA of PKI_DIR (enrolsim pki init) over HTTP (RFC 6712), or HTTPS\n"
    "with --tls-cert (TLS 1.2 or later, renegotiation refused): ir from\n"
    "vendor certificates, kur and rr from the operator certificates it issued. Keeps its state\n"
    "in OUT_DIR/raca.db (SQLite) and resumes it at the next start; appends every issued\n"
    "certificate to OUT_DIR/issued.csv and every revocation to revocations.csv, and rewrites\n"
    "OUT_DIR/crl.pem within a second of a revocation (before the rp of an rr). SIGINT or SIGTERM\n"
    "stops it: certificates still awaiting certConf are revoked, the final CRL written, the\n"
    "session's figures written to OUT_DIR/serve_summary.json, exit status 0 (1 when a write\n"
    "failed). A scenario's [faults] (--set faults.http_500=0.1, ...) make it misbehave on\n"
    "purpose, to test CMP clients. With --upstream it is an RA in front of another serve (or\n"
    "any CMP server) acting as CA.");
  GError *error = NULL;
  if (!g_option_context_parse(opts, &argc, &argv, &error))
    return es_cmd_fail("serve", error, 2);
  const char *pki_dir = pki_opt, *out_dir = out_opt;
  if (!es_cmd_dirs(argc, argv, &pki_dir, &out_dir) || pki_dir == NULL) {
    fprintf(stderr, "enrolsim: usage: enrolsim serve --pki DIR --listen HOST:PORT [--out DIR] (see --help)\n");
    return 2;
  }
  if (out_dir == NULL)
    out_dir = "out/serve";
  /* The same keys and defaults as a scenario's [raca] and [pki] sections. */
  const EsCmdKeyOption key_options[] = {
      {"--confirm", "raca.confirm", confirm},
      {"--confirm-wait", "raca.confirm_wait", confirm_wait},
      {"--crl-validity", "raca.crl_validity", crl_validity},
      {"--harden", "raca.harden", harden},
      {"--message-time-window", "raca.message_time_window", message_time_window},
      {"--keep-superseded", "raca.keep_superseded", keep_superseded ? "true" : NULL},
      {"--cert-validity", "pki.cert_validity", validity},
  };
  g_autoptr(EsScenario) sc = es_cmd_live_scenario("serve", scenario_file, sets, key_options,
                                                  G_N_ELEMENTS(key_options));
  if (sc == NULL)
    return 2;
  EsRacaConfig rc = sc->raca;
  /* A live RA/CA's CPU time is real, and the service-time defaults were measured on it: a
   * service time given on purpose is a minimum a request holds its worker for, its real CPU
   * time included (it stands in for a slower RA/CA: an HSM, a database round trip); one not
   * given is 0. */
  const struct {
    const char *key;
    double *field;
  } service[] = {{"raca.ir_service", &rc.ir_service_s}, {"raca.kur_service", &rc.kur_service_s},
                 {"raca.certconf_service", &rc.certconf_service_s},
                 {"raca.rr_service", &rc.rr_service_s}};
  for (gsize i = 0; i < G_N_ELEMENTS(service); i++)
    if (!es_scenario_is_given(sc, service[i].key))
      *service[i].field = 0;
  rc.seed = sc->seed;
  rc.minimum_service = TRUE;
  double idle_s = 30;
  if (idle != NULL && (!es_parse_duration(idle, &idle_s) || !(idle_s > 0))) {
    fprintf(stderr, "enrolsim: serve: --idle-timeout: '%s' is not a positive duration (e.g. 30s)\n",
            idle);
    return 2;
  }
  if (max_body < 0) {
    fprintf(stderr, "enrolsim: serve: --max-body must not be negative\n");
    return 2;
  }
  double request_s = 0;
  if (request_timeout != NULL && (!es_parse_duration(request_timeout, &request_s) || !(request_s > 0))) {
    fprintf(stderr, "enrolsim: serve: --request-timeout: '%s' is not a positive duration (e.g. 10s)\n",
            request_timeout);
    return 2;
  }
  double upstream_s = ES_LIVE_UPSTREAM_TIMEOUT_S;
  if (upstream_timeout != NULL
      && (!es_parse_duration(upstream_timeout, &upstream_s) || !(upstream_s > 0))) {
    fprintf(stderr, "enrolsim: serve: --upstream-timeout: '%s' is not a positive duration (e.g. "
                    "30s)\n", upstream_timeout);
    return 2;
  }
  if ((upstream_timeout != NULL || es_tls_options_used(&upstream_tls_opts)) && upstream == NULL) {
    fprintf(stderr, "enrolsim: serve: --upstream-timeout and --upstream-tls-* are for an RA: "
                    "they need --upstream\n");
    return 2;
  }
  rc.upstream = upstream != NULL;
  if (max_connections < 0 || max_body_memory_mib < 0) {
    fprintf(stderr, "enrolsim: serve: --%s must not be negative\n",
            max_connections < 0 ? "max-connections" : "max-body-memory");
    return 2;
  }

  g_autoptr(EsPki) pki = es_pki_load(pki_dir, &error);
  if (pki == NULL)
    return es_cmd_fail("serve", error, 2);
  if (overwrite) {
    fprintf(stderr, "enrolsim: serve: --overwrite is gone: serve resumes the CA state in OUT_DIR "
                    "(raca.db); --new-ca-state starts a new one\n");
    return 2;
  }
  g_autofree char *db_path = g_build_filename(out_dir, "raca.db", NULL);
  Serve s = {.crl_validity_s = rc.crl_validity_s, .crl_interval_s = rc.crl_interval_s,
             .quiet = quiet};
  s.issued_path = g_build_filename(out_dir, "issued.csv", NULL);
  s.revocations_path = g_build_filename(out_dir, "revocations.csv", NULL);
  s.crl_path = g_build_filename(out_dir, "crl.pem", NULL);
  s.issued_rows = g_string_new(NULL);
  s.revoked_rows = g_string_new(NULL);
  int status = 1;
  if (!new_state && !g_file_test(db_path, G_FILE_TEST_EXISTS)
      && g_file_test(s.issued_path, G_FILE_TEST_EXISTS)) {
    /* Logs without a state to resume (an older serve's): its serials would be issued again. */
    fprintf(stderr, "enrolsim: serve: %s exists but %s does not (an older serve's logs): use "
                    "another OUT_DIR, or --new-ca-state to start a new CA state there\n",
            s.issued_path, db_path);
    status = 2;
    goto out;
  }
  EsLiveLimits limits = {.max_body = (gsize)max_body, .idle_timeout_s = idle_s,
                         .request_timeout_s = request_s, .max_connections = (guint)max_connections,
                         .max_body_memory = (gsize)max_body_memory_mib << 20};
  /* Listening first: an address that is taken or malformed leaves OUT_DIR untouched. */
  EsLiveTls *tls = es_tls_options_context_new(&tls_opts, &error);
  if (error != NULL) {
    status = 2;
    goto out;
  }
  s.tls_mode = tls == NULL ? "off" : tls_opts.client_ca != NULL ? "mutual" : "server";
  if ((s.live = es_live_new(&error)) != NULL && tls != NULL)
    es_live_set0_tls(s.live, tls);
  else
    es_live_tls_free(tls);
  if (s.live != NULL && upstream != NULL) {
    EsLiveTls *upstream_tls = es_tls_options_context_new(&upstream_tls_opts, &error);
    if (upstream_tls != NULL)
      es_live_set0_upstream_tls(s.live, upstream_tls);
    if (error != NULL || !es_live_set_upstream(s.live, upstream, &error)) {
      if (upstream_tls != NULL || !es_tls_options_used(&upstream_tls_opts))
        g_prefix_error(&error, "--upstream: ");
      status = 2;
      goto out;
    }
    es_live_set_upstream_timeout(s.live, upstream_s);
  }
  if (s.live == NULL
      || !es_live_listen(s.live, listen != NULL ? listen : "127.0.0.1:8080", &limits, &error))
    goto out;
  if (g_mkdir_with_parents(out_dir, 0755) != 0) {
    int err = errno;
    g_set_error(&error, G_FILE_ERROR, g_file_error_from_errno(err), "cannot create %s: %s",
                out_dir, g_strerror(err));
    goto out;
  }
  if (new_state && !es_serve_remove_state(out_dir, &error))
    goto out;
  s.store = es_raca_store_open(db_path, es_pki_get0_operator_root(pki), &error);
  if (s.store == NULL) {
    if (g_error_matches(error, ES_RACA_STORE_ERROR, ES_RACA_STORE_ERROR_OTHER_CA)) {
      GError *hint = g_error_new(error->domain, error->code, "%s; after a new `pki init`, "
                                 "--new-ca-state starts a new CA state there (or use another "
                                 "OUT_DIR)", error->message);
      g_error_free(error);
      error = hint;
    }
    status = 2;
    goto out;
  }
  s.epoch = es_live_get_epoch(s.live, &s.epoch_fraction);
  rc.epoch = s.epoch;
  rc.epoch_fraction = s.epoch_fraction;
  rc.cert_validity_s = (gint64)sc->pki.cert_validity_s;
  /* The logs first (rows the last serve committed but did not write are added), then the
   * state: what resuming it revokes (confirm-wait over while serve was down) is logged. A
   * server's own log, a flushed line per event, so nothing is lost to a kill; the collector
   * writes a run's files at its end. */
  /* [faults]: the RA/CA runs on an engine that injects them in front of the live one. */
  s.metrics = es_metrics_new(es_live_get0_engine(s.live));
  EsEngine *raca_engine = es_metrics_get0_engine(s.metrics);
  if (es_faults_config_any(&sc->faults)) {
    s.faults = es_faults_new(&sc->faults, sc->seed, raca_engine);
    es_faults_set_retry_after(s.faults, (guint)ceil(rc.retry_after_s));
    raca_engine = es_faults_get0_engine(s.faults);
  }
  if (!open_logs(&s, &error) || (s.raca = es_raca_new(&rc, pki, raca_engine, &error)) == NULL)
    goto out;
  es_raca_set_observer(s.raca, &(EsRacaObserver){.event = on_event, .settled = on_settled,
                                                  .queue_changed = on_queue_changed}, &s);
  es_metrics_attach(s.metrics, s.live, s.raca);
  es_raca_set_store(s.raca, s.store);
  if (!es_raca_restore(s.raca, &error)
      || !publish_crl(&s, &error)
      || !es_live_stop_on_signals(s.live, &error)
      || (port_file != NULL && !write_port_file(port_file, es_live_get_port(s.live), &error)))
    goto out;
  if (s.error != NULL) {
    error = g_steal_pointer(&s.error);
    goto out;
  }
  es_raca_attach(s.raca, 0);
  if (s.crl_interval_s > 0)
    s.crl_tick_timer = es_engine_timer_add(es_live_get0_engine(s.live), s.crl_interval_s,
                                           on_crl_tick, &s);

  const char *where = listen != NULL ? listen : "127.0.0.1:8080";
  printf("listening on %.*s:%u%s\n", (int)(strrchr(where, ':') - where), where,
         es_live_get_port(s.live),
         tls == NULL ? "" : tls_opts.client_ca != NULL ? " (HTTPS, client certificates required)"
                                                       : " (HTTPS)");
  if (upstream != NULL && !quiet)
    printf("an RA in front of the CA at %s\n", upstream);
  fflush(stdout);
  EsLiveProgress *progress =
      quiet ? NULL : es_live_progress_new(es_live_get0_engine(s.live), progress_line, &s);
  es_live_run(s.live);
  es_live_progress_free(progress);

  /* Stopped by a signal: what never got its certConf cannot be trusted to its owner; revoke
   * it and publish the final CRL. After a failed write too, into the database if it still
   * takes them; if not, they stay there as awaiting certConf with their deadline, and the next
   * start revokes them. crl.pem is then left as it was (the CA in memory may hold what the
   * database rolled back); the next start writes it from the database. */
  EsRacaStats before;
  es_raca_get_stats(s.raca, &before);
  guint rolled_back = s.rolled_back;
  es_raca_expire_all(s.raca);
  if (s.crl_timer != 0)
    es_engine_timer_cancel(es_live_get0_engine(s.live), s.crl_timer);
  if (s.crl_tick_timer != 0)
    es_engine_timer_cancel(es_live_get0_engine(s.live), s.crl_tick_timer);
  if (s.error == NULL && !publish_crl(&s, &error))
    goto out;
  /* After a failed write the summary is tried all the same (the exit status is 1 anyway). */
  GError *summary_error = NULL;
  EsServeSession session = {.live = s.live, .epoch = s.epoch, .raca = s.raca,
                            .workers = rc.workers, .faults = s.faults, .tls_mode = s.tls_mode,
                            .upstream = upstream, .signal = es_live_get_signal(s.live)};
  if (!es_serve_write_summary(&session, out_dir, &summary_error)) {
    if (s.error == NULL) {
      error = summary_error;
      goto out;
    }
    g_error_free(summary_error);
  }
  if (s.error != NULL) {
    if (before.open_transactions > 0)
      fprintf(stderr, "enrolsim: serve: %u certificates awaiting certConf revoked on the way out; "
                      "%s\n", before.open_transactions,
              s.rolled_back > rolled_back
                  ? "the database did not take them: they stay there awaiting certConf, and the "
                    "next start revokes them (their confirm-wait will be over)"
                  : "recorded in the database");
    error = g_steal_pointer(&s.error);
    goto out;
  }
  if (!quiet) {
    EsRacaStats st;
    es_raca_get_stats(s.raca, &st);
    printf("stopped by signal %d: %" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT " issued (%"
           G_GUINT64_FORMAT " by kur), %" G_GUINT64_FORMAT " revoked (%" G_GUINT64_FORMAT
           " on request), %" G_GUINT64_FORMAT " errors, %" G_GUINT64_FORMAT " refused busy (503); "
           "queueing delay mean %.4f s, max %.4f s (%u workers)", es_live_get_signal(s.live),
           st.requests, st.issued, st.renewed, st.revoked, st.revoked_on_request, st.errors,
           st.busy, st.wait_mean_s, st.wait_max_s, rc.workers);
    if (s.faults != NULL) {
      EsFaultsStats fs;
      es_faults_get_stats(s.faults, &fs);
      printf("; faults among %" G_GUINT64_FORMAT " requests:", fs.requests);
      for (guint k = 0; k < ES_FAULT_KINDS; k++)
        printf("%s %s %" G_GUINT64_FORMAT, k > 0 ? "," : "", es_faults_kind_name(k), fs.count[k]);
    }
    printf("\n");
  }
  status = 0;

out:
  if (error != NULL)
    status = es_cmd_fail("serve", error,
                         status == 2 || g_error_matches(error, ES_LIVE_ERROR, ES_LIVE_ERROR_ADDRESS)
                             ? 2 : 1);
  g_clear_error(&s.error);
  es_raca_free(s.raca);
  es_faults_free(s.faults);
  es_metrics_free(s.metrics);
  es_raca_store_free(s.store);
  es_live_free(s.live);
  if (s.issued != NULL)
    fclose(s.issued);
  if (s.revocations != NULL)
    fclose(s.revocations);
  g_free(s.issued_path);
  g_free(s.revocations_path);
  g_free(s.crl_path);
  g_string_free(s.issued_rows, TRUE);
  g_string_free(s.revoked_rows, TRUE);
  return status;
}
