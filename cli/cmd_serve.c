/* enrolsim serve: the RA/CA on real sockets (live engine), serving any RFC 6712 client such
 * as `openssl cmp` or `enrolsim enrol`, and logging what it issues and revokes as it goes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/x509.h>

#include "cli/cmd.h"
#include "nodes/es_cmp.h"
#include "engines/es_live.h"
#include "pki/es_pki.h"
#include "nodes/es_raca.h"
#include "config/es_config.h"
#include "pki/es_pki_config.h"

typedef struct {
  EsLive *live;
  EsRaca *raca;
  FILE *issued;
  FILE *revocations;
  char *crl_path;
  double crl_validity_s;
  gint64 epoch;
  double epoch_fraction;
  GError *error;         /* the first record that could not be written: serving stops */
  gboolean quiet;
} Serve;

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

static char *subject_of(X509 *cert)
{
  BIO *bio = BIO_new(BIO_s_mem());
  char *text = NULL;
  if (bio != NULL && X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    text = g_strndup(data, (gsize)len);
  }
  BIO_free(bio);
  return text != NULL ? text : g_strdup("");
}

/* The start of a row: engine time and the wall-clock time it stands for. */
static void row_start(Serve *s, GString *row, double t, X509 *cert)
{
  gint64 us = (gint64)((s->epoch + s->epoch_fraction + t) * 1e6);
  GDateTime *dt = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
  GDateTime *exact = dt != NULL ? g_date_time_add(dt, us % G_USEC_PER_SEC) : NULL;
  char *utc = exact != NULL ? g_date_time_format(exact, "%Y-%m-%dT%H:%M:%S.%fZ") : g_strdup("");
  char *serial = es_serial_hex(X509_get0_serialNumber(cert));
  char *subject = subject_of(cert);
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

static void fail(Serve *s, GError *error)
{
  if (s->error == NULL) {
    s->error = error;
    es_live_stop(s->live);
  } else {
    g_error_free(error);
  }
}

/* One line per event, flushed at once: the log must hold every certificate issued even if
 * the process is killed right after. */
static void append(Serve *s, FILE *f, const char *name, GString *row)
{
  g_string_append_c(row, '\n');
  if (fwrite(row->str, 1, row->len, f) != row->len || fflush(f) != 0) {
    int err = errno;
    fail(s, g_error_new(G_FILE_ERROR, g_file_error_from_errno(err), "cannot write %s: %s", name,
                        g_strerror(err)));
  }
}

/* The CRL file is replaced (atomically) before the rp or error response goes out, so a
 * client that saw its revocation confirmed finds it in crl.pem. */
static gboolean publish_crl(Serve *s, GError **error)
{
  X509_CRL *crl = es_raca_get1_crl(s->raca, (gint64)s->crl_validity_s, error);
  gboolean ok = crl != NULL && es_pem_save_crl(s->crl_path, crl, error);
  X509_CRL_free(crl);
  return ok;
}

static void on_event(void *arg, const EsRacaEvent *ev)
{
  Serve *s = arg;
  GString *row = g_string_new(NULL);
  row_start(s, row, ev->t, ev->cert);
  if (ev->kind == ES_RACA_EVENT_ISSUED) {
    char *replaces = ev->replaced != NULL ? es_serial_hex(X509_get0_serialNumber(ev->replaced))
                                          : g_strdup("");
    g_string_append_printf(row, ",%s,%s", es_cmp_body_name(ev->request), replaces);
    g_free(replaces);
    append(s, s->issued, "issued.csv", row);
  } else {
    g_string_append_printf(row, ",%s,%s", es_raca_revoke_cause_name(ev->cause),
                           es_raca_reason_name(ev->reason));
    append(s, s->revocations, "revocations.csv", row);
    GError *error = NULL;
    if (!publish_crl(s, &error))
      fail(s, error);
  }
  g_string_free(row, TRUE);
}

static FILE *open_log(const char *dir, const char *name, const char *header, GError **error)
{
  char *path = g_build_filename(dir, name, NULL);
  FILE *f = g_fopen(path, "w");
  if (f == NULL || fputs(header, f) < 0 || fflush(f) != 0) {
    int err = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "cannot write %s: %s", path,
                g_strerror(err));
    if (f != NULL)
      fclose(f);
    f = NULL;
  }
  g_free(path);
  return f;
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
                  *harden = NULL, *message_time_window = NULL;
  gint max_body = 0, max_connections = 0, max_body_memory_mib = 0;
  gboolean overwrite = FALSE, keep_superseded = FALSE, quiet = FALSE;
  g_autofree char *pki_opt = NULL, *out_opt = NULL;
  GOptionEntry entries[] = {
    {"pki", 0, 0, G_OPTION_ARG_FILENAME, &pki_opt, "The PKI folder that enrolsim pki init wrote (or the first argument)", "DIR"},
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out_opt, "Result folder (or the second argument; default out/serve)", "DIR"},
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
    {"overwrite", 0, 0, G_OPTION_ARG_NONE, &overwrite, "Replace the logs of an earlier run in OUT_DIR", NULL},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing but errors and the listening line", NULL},
    {NULL}};
  g_autoptr(GOptionContext) opts = g_option_context_new("[--pki] PKI_DIR [[--out] OUT_DIR] - serve the RA/CA to real CMP clients");
  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_set_summary(opts,
    "Serves the operator RA/CA of PKI_DIR (enrolsim pki init) over HTTP (RFC 6712): ir from\n"
    "vendor certificates, kur and rr from the operator certificates it issued. Appends every\n"
    "issued certificate to OUT_DIR/issued.csv and every revocation to revocations.csv, and\n"
    "rewrites OUT_DIR/crl.pem after each revocation. SIGINT or SIGTERM stops it: certificates\n"
    "still awaiting certConf are revoked, the final CRL written, exit status 0.");
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
  EsRacaConfig rc;
  EsPkiConfig pc;
  es_raca_config_init(&rc);
  es_pki_config_init(&pc);
  const struct {
    const EsConfigSchema *schema;
    void *config;
    const char *option, *key, *value;
  } keys[] = {
      {es_raca_config_schema(), &rc, "--confirm", "raca.confirm", confirm},
      {es_raca_config_schema(), &rc, "--confirm-wait", "raca.confirm_wait", confirm_wait},
      {es_raca_config_schema(), &rc, "--crl-validity", "raca.crl_validity", crl_validity},
      {es_raca_config_schema(), &rc, "--harden", "raca.harden", harden},
      {es_raca_config_schema(), &rc, "--message-time-window", "raca.message_time_window",
       message_time_window},
      {es_raca_config_schema(), &rc, "--keep-superseded", "raca.keep_superseded",
       keep_superseded ? "true" : NULL},
      {es_pki_config_schema(), &pc, "--cert-validity", "pki.cert_validity", validity},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    if (keys[i].value != NULL
        && !es_config_set(keys[i].schema, keys[i].config, keys[i].key, keys[i].value, &error)) {
      g_prefix_error(&error, "%s: ", keys[i].option);
      return es_cmd_fail("serve", error, 2);
    }
  /* Live: the RA/CA's CPU time is real, so no service time is modelled on top of it. */
  rc.ir_service_s = rc.kur_service_s = rc.certconf_service_s = rc.rr_service_s = 0;
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
  if (max_connections < 0 || max_body_memory_mib < 0) {
    fprintf(stderr, "enrolsim: serve: --%s must not be negative\n",
            max_connections < 0 ? "max-connections" : "max-body-memory");
    return 2;
  }

  g_autoptr(EsPki) pki = es_pki_load(pki_dir, &error);
  if (pki == NULL)
    return es_cmd_fail("serve", error, 2);
  g_autofree char *issued_path = g_build_filename(out_dir, "issued.csv", NULL);
  if (!overwrite && g_file_test(issued_path, G_FILE_TEST_EXISTS)) {
    /* Serial numbers restart with each run: two runs' logs in one folder would name
     * different certificates by the same serial. */
    fprintf(stderr, "enrolsim: serve: %s exists (an earlier run's log): use another OUT_DIR or "
                    "--overwrite\n", issued_path);
    return 2;
  }

  Serve s = {.crl_validity_s = rc.crl_validity_s, .quiet = quiet};
  int status = 1;
  s.crl_path = g_build_filename(out_dir, "crl.pem", NULL);
  EsLiveLimits limits = {.max_body = (gsize)max_body, .idle_timeout_s = idle_s,
                         .request_timeout_s = request_s, .max_connections = (guint)max_connections,
                         .max_body_memory = (gsize)max_body_memory_mib << 20};
  /* Listening first: an address that is taken or malformed leaves OUT_DIR untouched. */
  if ((s.live = es_live_new(&error)) == NULL
      || !es_live_listen(s.live, listen != NULL ? listen : "127.0.0.1:8080", &limits, &error))
    goto out;
  if (g_mkdir_with_parents(out_dir, 0755) != 0) {
    int err = errno;
    g_set_error(&error, G_FILE_ERROR, g_file_error_from_errno(err), "cannot create %s: %s",
                out_dir, g_strerror(err));
    goto out;
  }
  s.epoch = es_live_get_epoch(s.live, &s.epoch_fraction);
  rc.epoch = s.epoch;
  rc.epoch_fraction = s.epoch_fraction;
  rc.cert_validity_s = (gint64)pc.cert_validity_s;
  if ((s.raca = es_raca_new(&rc, pki, es_live_get0_engine(s.live), &error)) == NULL
      || (s.issued = open_log(out_dir, "issued.csv", "time_s,utc,serial,subject,request,replaces\n", &error)) == NULL
      || (s.revocations = open_log(out_dir, "revocations.csv", "time_s,utc,serial,subject,cause,reason\n", &error)) == NULL
      || !publish_crl(&s, &error)
      || !es_live_stop_on_signals(s.live, &error)
      || (port_file != NULL && !write_port_file(port_file, es_live_get_port(s.live), &error)))
    goto out;
  /* A server's own log, a flushed line per event, so nothing is lost to a kill; the collector
   * writes a run's files at its end. */
  es_raca_set_observer(s.raca, &(EsRacaObserver){.event = on_event}, &s);
  es_raca_attach(s.raca, 0);

  const char *where = listen != NULL ? listen : "127.0.0.1:8080";
  printf("listening on %.*s:%u\n", (int)(strrchr(where, ':') - where), where,
         es_live_get_port(s.live));
  fflush(stdout);
  es_live_run(s.live);

  /* Stopped by a signal (or a failed write): what never got its certConf cannot be trusted
   * to its owner; revoke it and publish the final CRL. */
  if (s.error == NULL)
    es_raca_expire_all(s.raca);
  if (s.error == NULL && !publish_crl(&s, &error))
    goto out;
  if (s.error != NULL) {
    error = g_steal_pointer(&s.error);
    goto out;
  }
  if (!quiet) {
    EsRacaStats st;
    es_raca_get_stats(s.raca, &st);
    printf("stopped by signal %d: %" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT " issued (%"
           G_GUINT64_FORMAT " by kur), %" G_GUINT64_FORMAT " revoked (%" G_GUINT64_FORMAT
           " on request), %" G_GUINT64_FORMAT " errors\n", es_live_get_signal(s.live),
           st.requests, st.issued, st.renewed, st.revoked, st.revoked_on_request, st.errors);
  }
  status = 0;

out:
  if (error != NULL)
    status = es_cmd_fail("serve", error,
                         g_error_matches(error, ES_LIVE_ERROR, ES_LIVE_ERROR_ADDRESS) ? 2 : 1);
  g_clear_error(&s.error);
  es_raca_free(s.raca);
  es_live_free(s.live);
  if (s.issued != NULL)
    fclose(s.issued);
  if (s.revocations != NULL)
    fclose(s.revocations);
  g_free(s.crl_path);
  return status;
}
