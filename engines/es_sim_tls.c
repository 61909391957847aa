/* TLS on the simulated backhaul: real OpenSSL TLS records over ns-3 TCP, through memory BIOs.
 * Each connection end is an SSL whose network side is two memory buffers: bytes TCP delivers
 * go into one, the bytes TLS produces (handshake, records, alerts) are taken from the other
 * and sent. The handshake's round trips and sizes are the library's own; its randomness is
 * the run's (a stream of its own), so replays stay byte-identical. */
#include "engines/es_sim_priv.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "config/es_streams.h"
#include "pki/es_rand.h"

#define KEY(...) ES_CONFIG_KEY(EsTransportConfig, "transport", __VA_ARGS__)
static const char *const version_words[] = {"1.3", "1.2", NULL};
static const EsConfigKey keys[] = {
    ES_CONFIG_CHOICE_KEY(EsTransportConfig, "transport", "tls", tls, "false",
                         es_config_bool_words),
    ES_CONFIG_CHOICE_KEY(EsTransportConfig, "transport", "tls_version", tls_version, "1.3",
                         version_words),
};

const EsConfigSchema *es_transport_config_schema(void)
{
  static const EsConfigPart part = ES_CONFIG_PART(keys, 0);
  static const EsConfigSchema schema = {
      .parts = &part, .n_parts = 1, .size = sizeof(EsTransportConfig)};
  return &schema;
}

const char *es_transport_tls_version_name(guint version)
{
  return version < G_N_ELEMENTS(version_words) - 1 ? version_words[version] : "?";
}

struct EsTlsEnd {
  EsSim *sim;
  SSL *ssl;
  BIO *net_in, *net_out; /* owned by ssl */
  GByteArray *pending;   /* plaintext written before the handshake finished */
  gboolean finished;
};

/* OpenSSL draws for TLS (randoms, key shares, signatures) from the run's TLS stream, whoever
 * else's stream was current: the engine runs between the nodes' own work. */
static EsRand *enter(EsSim *sim)
{
  ERR_clear_error();
  return es_rand_set_current(sim->tls_rand);
}

static void leave(EsRand *prev)
{
  ERR_clear_error();
  es_rand_set_current(prev);
}

static gboolean set_versions(SSL_CTX *ctx, guint version)
{
  int v = version == ES_TLS_1_2 ? TLS1_2_VERSION : TLS1_3_VERSION;
  return SSL_CTX_set_min_proto_version(ctx, v) && SSL_CTX_set_max_proto_version(ctx, v);
}

static gboolean tls_fail(GError **error, const char *what)
{
  unsigned long e = ERR_peek_last_error();
  g_set_error(error, ES_SIM_ERROR, ES_SIM_ERROR_TLS, "%s: %s", what,
              e != 0 ? ERR_reason_error_string(e) : "unknown error");
  return FALSE;
}

gboolean es_sim_set_tls(EsSim *sim, const EsTransportConfig *config, X509 *trusted, guint64 seed,
                        GError **error)
{
  g_return_val_if_fail(sim != NULL && config != NULL && trusted != NULL, FALSE);
  g_return_val_if_fail(sim->tls_client == NULL, FALSE);
  if (!config->tls)
    return TRUE;
  sim->tls_version = config->tls_version;
  sim->tls_rand = es_rand_new(seed, ES_STREAM_TLS);
  EsRand *prev = enter(sim);
  gboolean ok = FALSE;
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == NULL || !set_versions(ctx, config->tls_version)
      || !X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), trusted)) {
    tls_fail(error, "TLS client context");
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    ok = TRUE;
  }
  leave(prev);
  if (!ok) {
    SSL_CTX_free(ctx);
    return FALSE;
  }
  sim->tls_client = ctx;
  sim->tls_sessions = g_new0(SSL_SESSION *, MAX(sim->enbs, 1));
  return TRUE;
}

gboolean es_sim_set_tls_credential(EsSim *sim, guint16 port, X509 *cert, EVP_PKEY *key,
                                   GError **error)
{
  g_return_val_if_fail(sim != NULL && cert != NULL && key != NULL, FALSE);
  if (sim->tls_client == NULL)
    return TRUE;
  port = port != 0 ? port : HTTP_PORT;
  EsRand *prev = enter(sim);
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  gboolean ok = ctx != NULL && set_versions(ctx, sim->tls_version)
                && SSL_CTX_use_certificate(ctx, cert) == 1
                && SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  if (!ok)
    tls_fail(error, "TLS server credential");
  else
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  leave(prev);
  if (!ok) {
    SSL_CTX_free(ctx);
    return FALSE;
  }
  if (sim->tls_servers == NULL)
    sim->tls_servers = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)SSL_CTX_free);
  g_hash_table_replace(sim->tls_servers, GUINT_TO_POINTER(port), ctx);
  return TRUE;
}

void es_sim_get_tls_stats(const EsSim *sim, EsSimTlsStats *stats)
{
  g_return_if_fail(sim != NULL && stats != NULL);
  *stats = sim->tls_stats;
}

/* ---- one end of a connection ---------------------------------------------------------- */

static EsTlsEnd *end_new(EsSim *sim, SSL_CTX *ctx, gboolean server, SSL_SESSION *resume)
{
  EsRand *prev = enter(sim);
  EsTlsEnd *t = g_new0(EsTlsEnd, 1);
  t->sim = sim;
  t->ssl = SSL_new(ctx);
  t->net_in = BIO_new(BIO_s_mem());
  t->net_out = BIO_new(BIO_s_mem());
  if (t->ssl == NULL || t->net_in == NULL || t->net_out == NULL)
    g_error("TLS: out of memory");
  /* An empty input buffer reads as "retry later", not as the end of the stream. */
  BIO_set_mem_eof_return(t->net_in, -1);
  SSL_set_bio(t->ssl, t->net_in, t->net_out);
  if (server) {
    SSL_set_accept_state(t->ssl);
  } else {
    if (resume != NULL)
      SSL_set_session(t->ssl, resume);
    SSL_set_connect_state(t->ssl);
    SSL_do_handshake(t->ssl); /* the ClientHello */
  }
  t->pending = g_byte_array_new();
  leave(prev);
  return t;
}

EsTlsEnd *es_sim_tls_client_new(EsSim *sim, SSL_SESSION *resume)
{
  g_return_val_if_fail(sim->tls_client != NULL, NULL);
  return end_new(sim, sim->tls_client, FALSE, resume);
}

EsTlsEnd *es_sim_tls_server_new(EsSim *sim, guint16 port)
{
  SSL_CTX *ctx = sim->tls_servers != NULL
                     ? g_hash_table_lookup(sim->tls_servers, GUINT_TO_POINTER(port))
                     : NULL;
  return ctx != NULL ? end_new(sim, ctx, TRUE, NULL) : NULL;
}

void es_sim_tls_free(EsTlsEnd *t)
{
  if (t == NULL)
    return;
  SSL_free(t->ssl);
  g_byte_array_unref(t->pending);
  g_free(t);
}

/* Writes what can be written: everything once the handshake is done, nothing before. */
static void write_pending(EsTlsEnd *t)
{
  if (!t->finished || t->pending->len == 0)
    return;
  size_t n = 0;
  if (SSL_write_ex(t->ssl, t->pending->data, t->pending->len, &n) == 1)
    t->sim->tls_stats.plaintext_bytes += n;
  /* Memory BIOs grow: a write takes all or fails for good (the end is failing anyway). */
  g_byte_array_set_size(t->pending, 0);
}

void es_sim_tls_write(EsTlsEnd *t, const guint8 *data, gsize len)
{
  g_byte_array_append(t->pending, data, (guint)len);
  EsRand *prev = enter(t->sim);
  write_pending(t);
  leave(prev);
}

/* Why a handshake or record failed, as a message that stays valid (responses keep it). */
static const char *failure_text(EsTlsEnd *t)
{
  long verify = SSL_get_verify_result(t->ssl);
  g_autofree char *text = NULL;
  if (!SSL_is_server(t->ssl) && verify != X509_V_OK) {
    text = g_strdup_printf("TLS handshake failed: certificate verify failed (%s)",
                           X509_verify_cert_error_string(verify));
  } else {
    unsigned long e = ERR_peek_last_error();
    const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
    text = g_strdup_printf("TLS %s failed: %s", t->finished ? "connection" : "handshake",
                           reason != NULL ? reason : "protocol error");
  }
  return g_intern_string(text);
}

gboolean es_sim_tls_feed(EsTlsEnd *t, const guint8 *data, gsize len, GByteArray *plain,
                         const char **why)
{
  EsSim *sim = t->sim;
  EsRand *prev = enter(sim);
  gboolean ok = TRUE;
  BIO_write(t->net_in, data, (int)len);
  if (!t->finished) {
    int r = SSL_do_handshake(t->ssl);
    if (r == 1) {
      t->finished = TRUE;
      if (!SSL_is_server(t->ssl)) {
        sim->tls_stats.handshakes++;
        if (SSL_session_reused(t->ssl))
          sim->tls_stats.resumed++;
      }
      write_pending(t);
    } else if (SSL_get_error(t->ssl, r) != SSL_ERROR_WANT_READ) {
      ok = FALSE;
    }
  }
  /* Records after the handshake: application data, and TLS 1.3's session tickets. */
  while (ok && t->finished) {
    guint8 buf[16384];
    size_t n = 0;
    if (SSL_read_ex(t->ssl, buf, sizeof buf, &n) == 1) {
      g_byte_array_append(plain, buf, (guint)n);
      continue;
    }
    int e = SSL_get_error(t->ssl, 0);
    /* A close_notify ends the stream: TCP's FIN tells the rest. */
    ok = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_ZERO_RETURN;
    break;
  }
  if (!ok) {
    *why = failure_text(t);
    if (!SSL_is_server(t->ssl) && sim->tls_stats.failures++ == 0)
      sim->tls_stats.first_failure = *why;
  }
  leave(prev);
  return ok;
}

void es_sim_tls_flush(EsTlsEnd *t, EsNs3Socket *sock)
{
  char *bytes = NULL;
  long n = BIO_get_mem_data(t->net_out, &bytes);
  if (n <= 0)
    return;
  t->sim->tls_stats.record_bytes += (guint64)n;
  if (sock != NULL)
    es_ns3_socket_send(sock, (const guint8 *)bytes, (size_t)n);
  (void)BIO_reset(t->net_out);
}

void es_sim_send(EsNs3Socket *sock, EsTlsEnd *tls, const guint8 *bytes, gsize len)
{
  if (tls == NULL) {
    es_ns3_socket_send(sock, bytes, len);
    return;
  }
  es_sim_tls_write(tls, bytes, len);
  es_sim_tls_flush(tls, sock);
}

void es_sim_tls_close_notify(EsTlsEnd *t, EsNs3Socket *sock)
{
  if (!t->finished)
    return;
  EsRand *prev = enter(t->sim);
  SSL_shutdown(t->ssl);
  leave(prev);
  es_sim_tls_flush(t, sock);
}

SSL_SESSION *es_sim_tls_get1_session(EsTlsEnd *t)
{
  SSL_SESSION *s = t->finished ? SSL_get1_session(t->ssl) : NULL;
  if (s != NULL && !SSL_SESSION_is_resumable(s)) {
    SSL_SESSION_free(s);
    s = NULL;
  }
  return s;
}
