/* TLS for the live engine: OpenSSL contexts built from PEM files for serve and for the eNBs'
 * channels, and the bufferevents that carry HTTP over them (libevent's bufferevent_openssl). */
#include "engines/es_live_priv.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <event2/bufferevent_ssl.h>

struct EsLiveTls {
  guint refs;
  SSL_CTX *ctx;
  gboolean server;
  char *host;    /* the name or address the server's certificate must carry (client side) */
  gboolean ip;   /* host is an IP address: matched against iPAddress SANs */
  gboolean host_given; /* by es_live_tls_set_host: the target's host does not replace it */
};

/* OpenSSL's error queue as text (emptied), for the message of a failed set-up. */
static char *ssl_errors(void)
{
  GString *s = g_string_new(NULL);
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    g_string_append_printf(s, "%s%s", s->len > 0 ? "; " : "", buf);
  }
  if (s->len == 0)
    g_string_append(s, "no further detail");
  return g_string_free(s, FALSE);
}

static gboolean fail(GError **error, const char *what, const char *file)
{
  g_autofree char *why = ssl_errors();
  g_set_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_TLS, "%s '%s': %s", what, file, why);
  return FALSE;
}

static gboolean check_readable(const char *option, const char *file, GError **error)
{
  if (file != NULL && g_file_test(file, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  g_set_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_TLS, "%s '%s': no such file", option,
              file != NULL ? file : "");
  return FALSE;
}

/* Certificate chain and key; the key must belong to the chain's first certificate. */
static gboolean load_identity(SSL_CTX *ctx, const char *cert, const char *key, GError **error)
{
  if (!check_readable("--tls-cert", cert, error) || !check_readable("--tls-key", key, error))
    return FALSE;
  if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
    return fail(error, "cannot use the TLS certificate chain", cert);
  if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1
      || SSL_CTX_check_private_key(ctx) != 1) {
    unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      g_set_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_TLS,
                  "--tls-key '%s' does not belong to the certificate of --tls-cert '%s'", key,
                  cert);
      return FALSE;
    }
    return fail(error, "cannot use the TLS key", key);
  }
  return TRUE;
}

static SSL_CTX *ctx_new(gboolean server)
{
  SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (ctx == NULL)
    return NULL;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  /* Renegotiation is refused (a client cannot make the server sign again and again on one
   * connection), and a peer that closes without close_notify ends the stream like EOF:
   * HTTP's Content-Length already says whether the message is whole. */
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF
                               | SSL_OP_CIPHER_SERVER_PREFERENCE);
  return ctx;
}

EsLiveTls *es_live_tls_server_new(const char *cert, const char *key, const char *client_ca,
                                  GError **error)
{
  ERR_clear_error();
  EsLiveTls *tls = g_new0(EsLiveTls, 1);
  tls->refs = 1;
  tls->server = TRUE;
  tls->ctx = ctx_new(TRUE);
  if (tls->ctx == NULL) {
    fail(error, "cannot create a TLS context for", cert != NULL ? cert : "");
    goto err;
  }
  if (!load_identity(tls->ctx, cert, key, error))
    goto err;
  if (client_ca != NULL) {
    if (!check_readable("--tls-client-ca", client_ca, error))
      goto err;
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(client_ca);
    if (names == NULL || SSL_CTX_load_verify_file(tls->ctx, client_ca) != 1) {
      sk_X509_NAME_pop_free(names, X509_NAME_free);
      fail(error, "no CA certificate read from", client_ca);
      goto err;
    }
    SSL_CTX_set_client_CA_list(tls->ctx, names);
    SSL_CTX_set_verify(tls->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
  }
  static const unsigned char sid_ctx[] = "enrolsim serve";
  SSL_CTX_set_session_id_context(tls->ctx, sid_ctx, sizeof sid_ctx - 1);
  return tls;
err:
  es_live_tls_free(tls);
  return NULL;
}

EsLiveTls *es_live_tls_client_new(const char *trusted, const char *cert, const char *key,
                                  const char *host, GError **error)
{
  ERR_clear_error();
  EsLiveTls *tls = g_new0(EsLiveTls, 1);
  tls->refs = 1;
  tls->ctx = ctx_new(FALSE);
  if (tls->ctx == NULL) {
    fail(error, "cannot create a TLS context for", trusted != NULL ? trusted : "");
    goto err;
  }
  if (!check_readable("--tls-trusted", trusted, error))
    goto err;
  if (SSL_CTX_load_verify_file(tls->ctx, trusted) != 1) {
    fail(error, "no trusted certificate read from", trusted);
    goto err;
  }
  SSL_CTX_set_verify(tls->ctx, SSL_VERIFY_PEER, NULL);
  if ((cert != NULL) != (key != NULL)) {
    g_set_error_literal(error, ES_LIVE_ERROR, ES_LIVE_ERROR_TLS,
                        "--tls-cert and --tls-key go together");
    goto err;
  }
  if (cert != NULL && !load_identity(tls->ctx, cert, key, error))
    goto err;
  if (host != NULL)
    es_live_tls_set_host(tls, host);
  return tls;
err:
  es_live_tls_free(tls);
  return NULL;
}

static void set_host(EsLiveTls *tls, const char *host)
{
  ASN1_OCTET_STRING *ip = a2i_IPADDRESS(host);
  tls->ip = ip != NULL;
  ASN1_OCTET_STRING_free(ip);
  g_free(tls->host);
  tls->host = g_strdup(host);
}

void es_live_tls_set_host(EsLiveTls *tls, const char *host)
{
  g_return_if_fail(tls != NULL && !tls->server && host != NULL);
  set_host(tls, host);
  tls->host_given = TRUE;
}

void es_live_tls_default_host(EsLiveTls *tls, const char *host)
{
  if (!tls->host_given)
    set_host(tls, host);
}

EsLiveTls *es_live_tls_ref(EsLiveTls *tls)
{
  tls->refs++;
  return tls;
}

void es_live_tls_free(EsLiveTls *tls)
{
  if (tls == NULL || --tls->refs > 0)
    return;
  SSL_CTX_free(tls->ctx);
  g_free(tls->host);
  g_free(tls);
}

gboolean es_live_tls_is_server(const EsLiveTls *tls) { return tls->server; }

/* TCP_NODELAY once the handshake starts, when the socket exists whoever made it (evhttp
 * connects its own). Each TLS record is a write of its own, and with Nagle's algorithm one
 * that follows an unacknowledged one waits for its ACK, which the peer delays (40 ms on
 * Linux): libevent writes an HTTP request's head and body as two records, and OpenSSL a
 * handshake flight as several. A certConf took 48 ms for an injected 5 ms. */
static void nodelay_from_start(const SSL *ssl, int where, int ret)
{
  (void)ret;
  int fd = (where & SSL_CB_HANDSHAKE_START) ? SSL_get_fd(ssl) : -1, on = 1;
  if (fd >= 0)
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

struct bufferevent *es_live_tls_bufferevent_new(EsLiveTls *tls, struct event_base *base,
                                                evutil_socket_t fd)
{
  SSL *ssl = SSL_new(tls->ctx);
  if (ssl == NULL)
    return NULL;
  SSL_set_info_callback(ssl, nodelay_from_start);
  if (!tls->server && tls->host != NULL) {
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    if (tls->ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, tls->host);
    } else {
      SSL_set_tlsext_host_name(ssl, tls->host);
      SSL_set1_host(ssl, tls->host);
    }
  }
  struct bufferevent *bev = bufferevent_openssl_socket_new(
      base, fd, ssl, tls->server ? BUFFEREVENT_SSL_ACCEPTING : BUFFEREVENT_SSL_CONNECTING,
      BEV_OPT_CLOSE_ON_FREE | (tls->server ? 0 : BEV_OPT_DEFER_CALLBACKS));
  if (bev == NULL) {
    SSL_free(ssl);
    return NULL;
  }
  bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  return bev;
}

/* OpenSSL's reason for a failure. libevent keeps SSL_get_error's code (lib 0) and then the
 * error queue, and hands them back last first: the first of lib > 0 is the queue's last. */
static unsigned long openssl_reason(struct bufferevent *bev)
{
  unsigned long e, found = 0;
  while (bev != NULL && (e = bufferevent_get_openssl_error(bev)) != 0)
    if (found == 0 && ERR_GET_LIB(e) != 0)
      found = e;
  return found;
}

gboolean es_live_tls_got_plain_http(struct bufferevent *bev)
{
  unsigned long last = openssl_reason(bev);
  return ERR_GET_LIB(last) == ERR_LIB_SSL
         && (ERR_GET_REASON(last) == SSL_R_HTTP_REQUEST
             || ERR_GET_REASON(last) == SSL_R_HTTPS_PROXY_REQUEST);
}

gboolean es_live_tls_session_reused(struct bufferevent *bev)
{
  SSL *ssl = bufferevent_openssl_get_ssl(bev);
  return ssl != NULL && SSL_session_reused(ssl);
}

/* Says close_notify before the socket goes, when the handshake got that far. */
void es_live_tls_shutdown(struct bufferevent *bev)
{
  SSL *ssl = bufferevent_openssl_get_ssl(bev);
  if (ssl != NULL && SSL_is_init_finished(ssl)) {
    SSL_set_quiet_shutdown(ssl, 0);
    SSL_shutdown(ssl);
  }
  ERR_clear_error();
}

void es_live_tls_describe_failure(struct bufferevent *bev, char *buf, gsize size)
{
  SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
  long verify = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
  unsigned long e = openssl_reason(bev);
  if (verify != X509_V_OK) {
    g_snprintf(buf, size, "TLS: the server's certificate did not verify: %s",
               X509_verify_cert_error_string(verify));
  } else if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_WRONG_VERSION_NUMBER) {
    g_snprintf(buf, size, "TLS handshake failed: the server does not speak TLS (its answer "
                          "is no TLS record)");
  } else if (e != 0) {
    char reason[200];
    ERR_error_string_n(e, reason, sizeof reason);
    g_snprintf(buf, size, "TLS handshake failed: %s", reason);
  } else if (ssl != NULL && !SSL_is_init_finished(ssl)) {
    g_snprintf(buf, size, "TLS handshake failed: the connection closed during it");
  } else {
    buf[0] = '\0';
  }
}
