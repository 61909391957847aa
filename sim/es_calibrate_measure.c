/* The measuring of a calibration: the client's own crypto, the round trip, and eNBs enrolling
 * against the server c at a time over the live engine, timed by their step events. */
#include "sim/es_calibrate_priv.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cmp.h>
#include <openssl/err.h>

#include "engines/es_live.h"
#include "nodes/es_cmp.h"
#include "nodes/es_enb.h"

G_DEFINE_QUARK(es-calib-error-quark, es_calib_error)

/* The signal flag is looked at this often while enrolments run. */
#define INTERRUPT_CHECK_S 0.05
#define PROGRESS_S 0.25
/* Between the connects that time the round trip; their timeout is at least this. */
#define RTT_GAP_US 10000
#define RTT_TIMEOUT_MIN_S 3.0

/* ---- the tap: the live engine as the eNBs see it, with each response shown to us first -- */

/* What the server last answered one eNB: the eNB's outcome says that it failed, this what
 * came over the wire (status, media type, Retry-After, the transport's words). */
typedef struct {
  int http_status;
  char *content_type;
  const char *error;
  guint retry_after_s;
  gboolean seen;
} Answer;

typedef struct {
  EsEngine base;
  EsEngine *inner;
  void (*fn)(void *arg, guint enb, const EsResponse *r);
  void *arg;
} Tap;

typedef struct {
  Tap *tap;
  EsChannel *inner;
  guint enb;
  EsResponseFn fn;
  void *arg;
} TapChannel;

static double tap_now(EsEngine *e) { return es_engine_now(((Tap *)e)->inner); }

static guint64 tap_timer_add(EsEngine *e, double delay_s, EsTimerFn fn, void *arg)
{
  return es_engine_timer_add(((Tap *)e)->inner, delay_s, fn, arg);
}

static void tap_timer_cancel(EsEngine *e, guint64 id) { es_engine_timer_cancel(((Tap *)e)->inner, id); }

/* The channel handed out is ours; only this file's ops ever look inside it. */
static EsChannel *tap_channel_open(EsEngine *e, guint enb)
{
  Tap *tap = (Tap *)e;
  TapChannel *c = g_new0(TapChannel, 1);
  c->tap = tap;
  c->enb = enb;
  c->inner = es_engine_channel_open(tap->inner, enb);
  return (EsChannel *)c;
}

static void tap_on_response(void *arg, const EsResponse *r)
{
  TapChannel *c = arg;
  c->tap->fn(c->tap->arg, c->enb, r);
  c->fn(c->arg, r); /* may close the channel: c is not touched after */
}

static void tap_channel_post(EsChannel *channel, const char *content_type, const guint8 *body,
                             gsize len, EsResponseFn fn, void *arg)
{
  TapChannel *c = (TapChannel *)channel;
  c->fn = fn;
  c->arg = arg;
  es_channel_post(c->inner, c->tap->inner, content_type, body, len, tap_on_response, c);
}

static void tap_channel_close(EsChannel *channel)
{
  TapChannel *c = (TapChannel *)channel;
  es_channel_close(c->inner, c->tap->inner);
  g_free(c);
}

/* A client only: eNBs never serve, so the server half of the API is left out. */
static const EsEngineOps tap_ops = {
  .now = tap_now,
  .timer_add = tap_timer_add,
  .timer_cancel = tap_timer_cancel,
  .channel_open = tap_channel_open,
  .channel_post = tap_channel_post,
  .channel_close = tap_channel_close,
};

/* ---- the meter ----------------------------------------------------------------------- */

/* One enrolment of a step: engine times of its steps (-1 until reached). */
typedef struct {
  EsEnb *enb;
  double start, ir_sent, ip, certconf_sent, pkiconf, done;
  EsEnbOutcome outcome;
  gboolean finished;
  gboolean unconfirmed;   /* enrolled without certConf (implicit confirmation) */
  Answer answer;
} Record;

struct EsCalibMeter {
  const EsCalibOptions *o;
  EsLive *live;
  Tap tap;
  EsEngine *engine;       /* the tap's */
  EsEnbConfig ec;
  GPtrArray *new_keys;    /* EVP_PKEY, used in turn */
  guint next_number;      /* eNB numbers (subjects) stay unique across steps */
  guint devices;          /* device credentials ready */
  guint step_devices;     /* of them, those the step uses in turn */
  /* the step running */
  Record *rec;
  guint base, n, c, next, active, finished, failed;
  gboolean stopping, interrupted;
  guint64 check_timer;
  double last_progress;
  const char *phase;
};

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double es_calib_median(double *v, guint n)
{
  if (n == 0)
    return 0;
  qsort(v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static Record *record_of(EsCalibMeter *m, guint number)
{
  if (m->rec == NULL || number < m->base || number >= m->base + m->n)
    return NULL;
  return &m->rec[number - m->base];
}

static void on_answer(void *arg, guint enb, const EsResponse *r)
{
  Record *rec = record_of(arg, enb);
  if (rec == NULL)
    return;
  Answer *a = &rec->answer;
  a->seen = TRUE;
  a->http_status = r->http_status;
  g_free(a->content_type);
  a->content_type = g_strdup(r->content_type);
  a->error = r->error;
  a->retry_after_s = r->retry_after_s;
}

EsCalibMeter *es_calib_meter_new(const EsCalibOptions *o, GError **error)
{
  g_return_val_if_fail(o != NULL && o->pki != NULL && o->need_devices != NULL, NULL);
  EsCalibMeter *m = g_new0(EsCalibMeter, 1);
  m->o = o;
  m->new_keys = g_ptr_array_new_with_free_func((GDestroyNotify)EVP_PKEY_free);
  m->next_number = 1;
  if ((m->live = es_live_new(error)) == NULL
      || !es_live_set_target(m->live, o->server, o->path, error)) {
    es_calib_meter_free(m);
    return NULL;
  }
  if (o->tls != NULL)
    es_live_set0_tls(m->live, es_live_tls_ref(o->tls));
  m->tap.base.ops = &tap_ops;
  m->tap.inner = es_live_get0_engine(m->live);
  m->tap.fn = on_answer;
  m->tap.arg = m;
  m->engine = &m->tap.base;
  /* Live: CPU time is real, none modelled. One send per message: a retry would hide what is
   * measured, and a failure is what it is at once. */
  es_enb_config_init(&m->ec);
  m->ec.new_key = o->key;
  m->ec.keygen_s = m->ec.sign_s = 0;
  m->ec.msg_timeout_s = o->timeout_s;
  m->ec.max_attempts = 1;
  m->ec.give_up_after_s = 0;
  m->ec.deterministic = FALSE;
  m->ec.epoch = es_live_get_epoch(m->live, &m->ec.epoch_fraction);
  return m;
}

void es_calib_meter_free(EsCalibMeter *m)
{
  if (m == NULL)
    return;
  g_ptr_array_unref(m->new_keys);
  es_live_free(m->live);
  g_free(m);
}

/* ---- client crypto ------------------------------------------------------------------- */

typedef struct {
  double t;
  gboolean reached;
} Sent;

/* Where the eNB would send: here the request is made, signed and encoded; time noted. */
static OSSL_CMP_MSG *stop_at_transfer(OSSL_CMP_CTX *ctx, const OSSL_CMP_MSG *req)
{
  Sent *s = OSSL_CMP_CTX_get_transfer_cb_arg(ctx);
  unsigned char *der = NULL;
  int len = i2d_OSSL_CMP_MSG((OSSL_CMP_MSG *)req, &der);
  OPENSSL_free(der);
  s->t = now_s();
  s->reached = len > 0;
  return NULL;
}

/* One ir as the eNB makes it (device credential, new key, subject, proof of possession),
 * timed from a fresh context to its encoded bytes. -1 when it could not be made. */
static double time_ir(const EsCalibOptions *o, EVP_PKEY *new_key)
{
  Sent sent = {0};
  X509_NAME *subject = X509_NAME_new();
  double t0 = now_s();
  OSSL_CMP_CTX *ctx = OSSL_CMP_CTX_new(NULL, NULL);
  if (ctx != NULL && subject != NULL) {
    es_cmp_ctx_quiet(ctx);
    if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)"enb-1", -1, -1, 0)
        && X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, (const unsigned char *)"Operator", -1, -1, 0)
        && OSSL_CMP_CTX_set_transfer_cb(ctx, stop_at_transfer)
        && OSSL_CMP_CTX_set_transfer_cb_arg(ctx, &sent)
        && OSSL_CMP_CTX_set1_cert(ctx, o->device_certs[0])
        && OSSL_CMP_CTX_set1_pkey(ctx, o->device_keys[0])
        && EVP_PKEY_up_ref(new_key)
        && (OSSL_CMP_CTX_set0_newPkey(ctx, 1, new_key) || (EVP_PKEY_free(new_key), FALSE))
        && OSSL_CMP_CTX_set1_subjectName(ctx, subject))
      OSSL_CMP_exec_IR_ses(ctx); /* fails by design once the ir is made */
  }
  OSSL_CMP_CTX_free(ctx);
  X509_NAME_free(subject);
  ERR_clear_error();
  g_free(es_cmp_take_last_error());
  return sent.reached ? sent.t - t0 : -1;
}

gboolean es_calib_measure_crypto(EsCalibMeter *m, EsCalibration *cal, GError **error)
{
  const EsCalibOptions *o = m->o;
  if (m->devices == 0) {
    if (!o->need_devices(o->arg, 1, error))
      return FALSE;
    m->devices = 1;
  }
  double keygen[ES_CALIB_CRYPTO_SAMPLES], sign[ES_CALIB_CRYPTO_SAMPLES];
  guint n = 0;
  double began = now_s();
  /* RSA key pairs take long and vary much: at least five, else as many as time allows. */
  while (n < ES_CALIB_CRYPTO_SAMPLES && (n < 5 || now_s() - began < ES_CALIB_CRYPTO_MAX_S)) {
    if (o->interrupted != NULL && *o->interrupted) {
      g_set_error(error, ES_CALIB_ERROR, ES_CALIB_ERROR_INTERRUPTED, "interrupted by a signal");
      return FALSE;
    }
    double t0 = now_s();
    EVP_PKEY *key = es_key_generate(o->key, error);
    if (key == NULL)
      return FALSE;
    keygen[n++] = now_s() - t0;
    g_ptr_array_add(m->new_keys, key);
  }
  for (guint i = 0; i < n; i++) {
    EVP_PKEY *key = o->new_key != NULL ? o->new_key : g_ptr_array_index(m->new_keys, i);
    if ((sign[i] = time_ir(o, key)) < 0) {
      g_set_error(error, ES_CALIB_ERROR, ES_CALIB_ERROR_SETUP,
                  "OpenSSL's CMP client could not make an ir with the device credential");
      return FALSE;
    }
  }
  cal->keygen_s = es_calib_median(keygen, n);
  cal->sign_s = es_calib_median(sign, n);
  cal->crypto_samples = n;
  return TRUE;
}

/* ---- round trip ---------------------------------------------------------------------- */

/* "HOST:PORT" or "[V6]:PORT" (es_live_set_target has accepted it already). */
static void split_host_port(const char *text, char **host, char **port)
{
  const char *colon = strrchr(text, ':');
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    *host = g_strndup(text + 1, (gsize)(close - text - 1));
  } else {
    *host = g_strndup(text, (gsize)(colon - text));
  }
  *port = g_strdup(colon + 1);
}

/* Waits until fd is ready for `events`; FALSE on a timeout (errno ETIMEDOUT) or an error. */
static gboolean wait_fd(int fd, short events, double timeout_s)
{
  struct pollfd p = {.fd = fd, .events = events};
  int ready;
  do
    ready = poll(&p, 1, (int)(timeout_s * 1000));
  while (ready < 0 && errno == EINTR);
  if (ready == 0)
    errno = ETIMEDOUT;
  return ready > 0;
}

/* One connect(), timed into *connect_s; then, when `exchange_s` is not NULL, one HTTP exchange
 * on the connection, timed from the request to the first byte of the answer (or its close): a
 * GET of "/", which a CMP server answers at once without CMP work (serve with 405, OpenSSL's
 * mock with 400). No answer within `exchange_timeout_s` sets *exchange_s to -1. FALSE, with an
 * error naming the server and why, when the connect fails. */
static gboolean time_round_trips(const struct addrinfo *ai, const char *server, double timeout_s,
                                 double *connect_s, double *exchange_s, double exchange_timeout_s,
                                 GError **error)
{
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0) {
    g_set_error(error, ES_CALIB_ERROR, ES_CALIB_ERROR_SETUP, "socket: %s", g_strerror(errno));
    return FALSE;
  }
  double t0 = now_s();
  int rc = connect(fd, ai->ai_addr, ai->ai_addrlen), err = rc == 0 ? 0 : errno;
  if (rc != 0 && err == EINPROGRESS) {
    socklen_t len = sizeof err;
    if (!wait_fd(fd, POLLOUT, timeout_s) || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
      err = errno;
  }
  *connect_s = now_s() - t0;
  if (err == 0 && exchange_s != NULL) {
    g_autofree char *get =
        g_strdup_printf("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", server);
    gsize len = strlen(get);
    char byte;
    t0 = now_s();
    gboolean answered = send(fd, get, len, MSG_NOSIGNAL) == (ssize_t)len
                        && wait_fd(fd, POLLIN, exchange_timeout_s) && recv(fd, &byte, 1, 0) >= 0;
    *exchange_s = answered ? now_s() - t0 : -1;
  }
  close(fd);
  if (err == 0)
    return TRUE;
  if (err == ECONNREFUSED)
    g_set_error(error, ES_CALIB_ERROR, ES_CALIB_ERROR_TARGET,
                "%s: connection refused: nothing listens there", server);
  else if (err == ETIMEDOUT)
    g_set_error(error, ES_CALIB_ERROR, ES_CALIB_ERROR_TARGET,
                "%s: no answer to a TCP connect within %g s", server, timeout_s);
  else
    g_set_error(error, ES_CALIB_ERROR, ES_CALIB_ERROR_TARGET, "%s: cannot connect: %s", server,
                g_strerror(err));
  return FALSE;
}

gboolean es_calib_measure_rtt(EsCalibMeter *m, EsCalibration *cal, GError **error)
{
  const EsCalibOptions *o = m->o;
  g_autofree char *host = NULL, *port = NULL;
  split_host_port(o->server, &host, &port);
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  int rc = getaddrinfo(host, port, &hints, &ai);
  if (rc != 0) {
    g_set_error(error, ES_CALIB_ERROR, ES_CALIB_ERROR_TARGET, "%s: %s", o->server,
                gai_strerror(rc));
    return FALSE;
  }
  /* Apart, and with time for a retransmitted SYN: a server with a short accept queue (5 for
   * Python's http.server) drops the SYNs of connects faster than it accepts, and a dropped
   * SYN is sent again only after a second. The median ignores such a one-off. Over TLS an
   * exchange would take a handshake: only the connects are timed. A server that leaves a GET
   * unanswered is asked no more. */
  double t[ES_CALIB_RTT_SAMPLES], x[ES_CALIB_RTT_SAMPLES];
  gboolean ok = TRUE, exchanges = o->tls == NULL;
  for (guint i = 0; ok && i < ES_CALIB_RTT_SAMPLES; i++) {
    if (i > 0)
      g_usleep(RTT_GAP_US);
    ok = time_round_trips(ai, o->server, MAX(o->timeout_s, RTT_TIMEOUT_MIN_S), &t[i],
                          exchanges ? &x[i] : NULL, MIN(o->timeout_s, RTT_TIMEOUT_MIN_S), error);
    exchanges = exchanges && (!ok || x[i] >= 0);
  }
  freeaddrinfo(ai);
  if (!ok)
    return FALSE;
  cal->rtt_s = es_calib_median(t, ES_CALIB_RTT_SAMPLES);
  cal->rtt_samples = ES_CALIB_RTT_SAMPLES;
  if (exchanges) {
    cal->exchange_s = es_calib_median(x, ES_CALIB_RTT_SAMPLES);
    cal->exchange_samples = ES_CALIB_RTT_SAMPLES;
  }
  return TRUE;
}

/* ---- a step of enrolments ------------------------------------------------------------ */

static void start_more(EsCalibMeter *m);

static void report_progress(EsCalibMeter *m, gboolean force)
{
  double t = es_engine_now(m->engine);
  if (m->o->progress == NULL || (!force && t - m->last_progress < PROGRESS_S))
    return;
  m->last_progress = t;
  m->o->progress(m->o->arg, m->phase, m->c, m->finished, m->n, m->failed);
}

static void on_check(void *arg)
{
  EsCalibMeter *m = arg;
  m->check_timer = 0;
  if (m->o->interrupted != NULL && *m->o->interrupted) {
    m->interrupted = TRUE;
    es_live_stop(m->live);
    return;
  }
  report_progress(m, FALSE);
  m->check_timer = es_engine_timer_add(m->engine, INTERRUPT_CHECK_S, on_check, m);
}

static void finish_one(EsCalibMeter *m, Record *rec)
{
  if (rec->finished)
    return;
  rec->finished = TRUE;
  rec->done = es_engine_now(m->engine);
  m->active--;
  m->finished++;
  if (rec->outcome != ES_ENB_OUTCOME_OK) {
    m->failed++;
    m->stopping = TRUE; /* what is in flight ends; nothing new starts */
  }
  if (m->active == 0 && (m->stopping || m->next >= m->n))
    es_live_stop(m->live);
  else
    start_more(m);
}

static void on_event(void *arg, const EsEnbEvent *ev)
{
  EsCalibMeter *m = arg;
  Record *rec = record_of(m, ev->number);
  if (rec == NULL)
    return;
  if (ev->kind == ES_ENB_EVENT_STEP) {
    switch (ev->step) {
    case ES_ENB_STEP_START: rec->start = ev->t; break;
    case ES_ENB_STEP_IR_SENT: rec->ir_sent = ev->t; break;
    case ES_ENB_STEP_RESPONSE_RECEIVED: rec->ip = ev->t; break;
    case ES_ENB_STEP_CERTCONF_SENT: rec->certconf_sent = ev->t; break;
    case ES_ENB_STEP_PKICONF_RECEIVED: rec->pkiconf = ev->t; break;
    }
  } else if (ev->kind == ES_ENB_EVENT_DONE && !ev->aborted) {
    /* Only an enrolment with both exchanges gives both intervals. */
    rec->outcome = ev->outcome;
    if (ev->outcome == ES_ENB_OUTCOME_OK && rec->pkiconf < 0) {
      rec->outcome = ES_ENB_OUTCOME_REJECTED_BY_RACA;
      rec->unconfirmed = TRUE;
    }
    finish_one(m, rec);
  }
}

static void start_more(EsCalibMeter *m)
{
  const EsCalibOptions *o = m->o;
  while (!m->stopping && m->active < m->c && m->next < m->n) {
    Record *rec = &m->rec[m->next++];
    guint number = m->base + (guint)(rec - m->rec);
    guint device = (number - 1) % m->step_devices;
    rec->start = rec->ir_sent = rec->ip = rec->certconf_sent = rec->pkiconf = -1;
    rec->enb = es_enb_new(number, &m->ec, o->pki, m->engine);
    es_enb_set_event_cb(rec->enb, on_event, m);
    es_enb_set1_device(rec->enb, o->device_certs[device], o->device_keys[device]);
    EVP_PKEY *key = o->new_key != NULL ? o->new_key
                    : m->new_keys->len > 0 ? g_ptr_array_index(m->new_keys, number % m->new_keys->len)
                                           : NULL;
    if (key != NULL) /* made ahead (and timed): the client's keygen does not limit the pace */
      es_enb_set1_new_key(rec->enb, key);
    m->active++;
    es_enb_start(rec->enb);
    if (!es_enb_is_active(rec->enb) && !rec->finished) {
      rec->outcome = ES_ENB_OUTCOME_INTERNAL_ERROR;
      finish_one(m, rec);
    }
  }
}

/* What the server did to the first failed enrolment, in words a user can act on. */
static char *describe_failure(const EsCalibMeter *m, const Record *rec)
{
  const EsCalibOptions *o = m->o;
  const Answer *a = &rec->answer;
  const char *msg = rec->ip >= 0 ? "certConf" : "ir";
  const char *ct = a->content_type != NULL ? a->content_type : "none";
  switch (rec->outcome) {
  case ES_ENB_OUTCOME_TIMEOUT:
    return g_strdup_printf("no response to the %s within %g s (--timeout): the server took the "
                           "connection but did not answer", msg, o->timeout_s);
  case ES_ENB_OUTCOME_TRANSPORT_ERROR:
    return g_strdup_printf("no HTTP response to the %s (%s): not an HTTP server (a TLS-only "
                           "port?)", msg, a->error != NULL ? a->error : "connection failed");
  case ES_ENB_OUTCOME_HTTP_ERROR:
    if (a->http_status == 503)
      return g_strdup_printf("HTTP 503 to the %s (Retry-After %u s): the server is too busy",
                             msg, a->retry_after_s);
    return g_strdup_printf("HTTP %d (Content-Type %s) to the %s: not a CMP server at path %s?",
                           a->http_status, ct, msg, o->path != NULL ? o->path : "/");
  case ES_ENB_OUTCOME_MALFORMED_RESPONSE:
    if (a->seen && !es_engine_content_type_is_cmp(a->content_type))
      return g_strdup_printf("HTTP %d with Content-Type %s to the %s, not a CMP message "
                             "(application/pkixcmp): not a CMP server?", a->http_status, ct, msg);
    return g_strdup_printf("the response to the %s is no CMP message the eNB could read", msg);
  case ES_ENB_OUTCOME_RESPONSE_UNVERIFIED:
    return g_strdup_printf("the CMP response to the %s did not authenticate against the PKI's "
                           "vendor root (a server of another PKI?)", msg);
  case ES_ENB_OUTCOME_CERT_REJECTED:
    return g_strdup("the certificate issued failed the eNB's checks (a server that hands out "
                    "one fixed certificate, such as openssl cmp -port, needs --new-key FILE)");
  case ES_ENB_OUTCOME_REJECTED_BY_RACA:
    if (rec->unconfirmed)
      return g_strdup("the server confirmed the certificate implicitly, although the eNB did "
                      "not ask: there is no certConf exchange to time");
    return g_strdup_printf("the server refused the %s with a CMP error or rejection", msg);
  default:
    return g_strdup_printf("the enrolment failed: %s", es_enb_outcome_name(rec->outcome));
  }
}

/* The q-quantile of sorted v by linear interpolation. */
static double quantile(const double *v, guint n, double q)
{
  if (n == 0)
    return 0;
  double pos = q * (n - 1);
  guint i = (guint)pos;
  return i + 1 < n ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[n - 1];
}

/* Throughput while all c eNBs were busy: between the c-th completion and the (n-c)-th, after
 * which fewer than c remain to run. Short of that, over the whole step. */
static double steady_throughput(EsCalibMeter *m, double t0)
{
  GArray *done = g_array_new(FALSE, FALSE, sizeof(double));
  for (guint i = 0; i < m->n; i++)
    if (m->rec[i].finished)
      g_array_append_val(done, m->rec[i].done);
  g_array_sort(done, cmp_double);
  double x = 0;
  guint n = done->len, c = m->c;
  guint enrolled_total = 0;
  for (guint i = 0; i < m->n; i++)
    enrolled_total += m->rec[i].finished && m->rec[i].outcome == ES_ENB_OUTCOME_OK;
  if (m->failed == 0 && n >= 3 * c && n > 2) {
    guint a = c - 1, b = n - c - 1; /* 0-based indices of the c-th and (n-c)-th */
    if (b > a) {
      double span = g_array_index(done, double, b) - g_array_index(done, double, a);
      x = span > 0 ? (b - a) / span : 0;
    }
  } else if (n > 0) {
    double span = g_array_index(done, double, n - 1) - t0;
    x = span > 0 ? enrolled_total / span : 0;
  }
  g_array_unref(done);
  return x;
}

gboolean es_calib_run_step(EsCalibMeter *m, guint c, guint n, gboolean strict, const char *phase,
                           EsCalibStep *step, GArray *samples, GError **error)
{
  g_return_val_if_fail(c >= 1 && n >= 1, FALSE);
  guint devices = m->o->devices > 0 ? m->o->devices : c;
  if (m->devices < devices) {
    if (!m->o->need_devices(m->o->arg, devices, error))
      return FALSE;
    m->devices = devices;
  }
  m->step_devices = devices;
  m->rec = g_new0(Record, n);
  m->base = m->next_number;
  m->next_number += n;
  m->n = n;
  m->c = c;
  m->next = m->active = m->finished = m->failed = 0;
  m->stopping = m->interrupted = FALSE;
  m->phase = phase;
  m->last_progress = -1;
  double t0 = es_engine_now(m->engine);
  m->check_timer = es_engine_timer_add(m->engine, INTERRUPT_CHECK_S, on_check, m);
  start_more(m);
  if (m->finished < n && !(m->stopping && m->active == 0))
    es_live_run(m->live);
  if (m->check_timer != 0)
    es_engine_timer_cancel(m->engine, m->check_timer);
  m->check_timer = 0;
  report_progress(m, TRUE);

  gboolean ok = TRUE;
  memset(step, 0, sizeof *step);
  step->concurrency = c;
  step->enrolments = m->next;
  double *lat = g_new(double, n);
  guint n_lat = 0;
  double ir_sum = 0, cc_sum = 0;
  const Record *first_failed = NULL;
  for (guint i = 0; i < n; i++) {
    Record *rec = &m->rec[i];
    if (!rec->finished)
      continue;
    if (rec->outcome == ES_ENB_OUTCOME_OK) {
      EsCalibSample s = {rec->ip - rec->ir_sent, rec->pkiconf - rec->certconf_sent};
      lat[n_lat++] = rec->done - rec->start;
      ir_sum += s.ir_s;
      cc_sum += s.certconf_s;
      if (samples != NULL)
        g_array_append_val(samples, s);
    } else if (rec->answer.http_status == 503) {
      step->busy_503++;
      step->retry_after_s = MAX(step->retry_after_s, rec->answer.retry_after_s);
    } else {
      step->errors++;
    }
    if (rec->outcome != ES_ENB_OUTCOME_OK && (first_failed == NULL || rec->done < first_failed->done))
      first_failed = rec;
  }
  step->enrolled = n_lat;
  qsort(lat, n_lat, sizeof *lat, cmp_double);
  step->p50_s = quantile(lat, n_lat, 0.50);
  step->p99_s = quantile(lat, n_lat, 0.99);
  step->ir_mean_s = n_lat ? ir_sum / n_lat : 0;
  step->certconf_mean_s = n_lat ? cc_sum / n_lat : 0;
  step->throughput = steady_throughput(m, t0);
  g_free(lat);

  if (m->interrupted) {
    g_set_error(error, ES_CALIB_ERROR, ES_CALIB_ERROR_INTERRUPTED, "interrupted by a signal");
    ok = FALSE;
  } else if (strict && first_failed != NULL) {
    g_autofree char *why = describe_failure(m, first_failed);
    g_set_error(error, ES_CALIB_ERROR, ES_CALIB_ERROR_TARGET, "%s: %s", m->o->server, why);
    ok = FALSE;
  }
  for (guint i = 0; i < n; i++) {
    es_enb_free(m->rec[i].enb);
    g_free(m->rec[i].answer.content_type);
  }
  g_clear_pointer(&m->rec, g_free);
  return ok;
}
