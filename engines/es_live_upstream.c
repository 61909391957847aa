/* The CA behind a live RA (serve --upstream): its target, parsed from what a user types, and
 * how long a post to it may take. Its channels are es_live_client.c's. */
#include "engines/es_live_priv.h"

#include <string.h>

static gboolean bad(GError **error, const char *target, const char *why)
{
  g_set_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_ADDRESS,
              "'%s': %s (expected HOST:PORT or http://HOST:PORT[/PATH], e.g. 127.0.0.1:8080)",
              target, why);
  return FALSE;
}

/* The port after the authority's last ':' (after the ']' of an IPv6 address), checked here
 * so that the message says what is wrong with it. */
static gboolean check_port(const char *target, const char *authority, GError **error)
{
  const char *close = authority[0] == '[' ? strchr(authority, ']') : NULL;
  if (authority[0] == '[' && close == NULL)
    return bad(error, target, "unbalanced [ ]");
  const char *colon = strrchr(close != NULL ? close : authority, ':');
  if (colon == NULL || colon[1] == '\0')
    return bad(error, target, "no port");
  if (colon == authority)
    return bad(error, target, "no host");
  char *end = NULL;
  guint64 port = g_ascii_strtoull(colon + 1, &end, 10);
  if (!g_ascii_isdigit(colon[1]) || *end != '\0')
    return bad(error, target, "the port is not a number");
  if (port == 0 || port > 65535)
    return bad(error, target, "port out of range (1-65535)");
  return TRUE;
}

gboolean es_live_set_upstream(EsLive *live, const char *target, GError **error)
{
  g_return_val_if_fail(live != NULL, FALSE);
  const char *text = target != NULL ? target : "";
  const char *rest = text;
  const char *scheme_end = strstr(text, "://");
  gboolean https = FALSE;
  if (scheme_end != NULL) {
    https = g_ascii_strncasecmp(text, "https://", 8) == 0;
    if (!https && g_ascii_strncasecmp(text, "http://", 7) != 0)
      return bad(error, text, "only http:// and https:// are supported");
    rest = scheme_end + 3;
  }
  const char *slash = strchr(rest, '/');
  g_autofree char *authority = slash != NULL ? g_strndup(rest, (gsize)(slash - rest))
                                             : g_strdup(rest);
  const char *path = slash != NULL ? slash : "/";
  if (authority[0] == '\0')
    return bad(error, text, "no host");
  if (strpbrk(path, " \t\r\n?#") != NULL)
    return bad(error, text, "the path has spaces, a query or a fragment");
  if (strchr(authority, '@') != NULL)
    return bad(error, text, "user information is not supported");
  if (!check_port(text, authority, error))
    return FALSE;
  if (https != (live->upstream.tls != NULL)) {
    g_set_error(error, ES_LIVE_ERROR, ES_LIVE_ERROR_TLS,
                https ? "'%s': https:// needs the trust anchors to verify the CA's TLS "
                        "certificate with (--upstream-tls-trusted)"
                      : "'%s': TLS settings for the upstream (--upstream-tls-*), but the target "
                        "is not https://",
                text);
    return FALSE;
  }
  char *host = NULL;
  guint16 port;
  GError *why = NULL;
  if (!es_live_parse_host_port(authority, &host, &port, &why)) {
    /* Its message names the HOST:PORT part; the whole target, when there is more. */
    if (strcmp(authority, text) != 0)
      g_prefix_error(&why, "'%s': ", text);
    g_propagate_error(error, why);
    return FALSE;
  }
  g_free(live->upstream.host);
  g_free(live->upstream.hostport);
  g_free(live->upstream.path);
  live->upstream.host = host;
  live->upstream.port = port;
  live->upstream.hostport = g_steal_pointer(&authority);
  if (live->upstream.tls != NULL)
    es_live_tls_default_host(live->upstream.tls, host);
  live->upstream.path = g_strdup(path);
  return TRUE;
}

void es_live_set0_upstream_tls(EsLive *live, EsLiveTls *tls)
{
  g_return_if_fail(live != NULL && tls != NULL && !es_live_tls_is_server(tls));
  es_live_tls_free(live->upstream.tls);
  live->upstream.tls = tls;
  if (live->upstream.host != NULL)
    es_live_tls_default_host(tls, live->upstream.host);
}

void es_live_set_upstream_timeout(EsLive *live, double timeout_s)
{
  g_return_if_fail(live != NULL && timeout_s > 0);
  live->upstream.timeout_s = timeout_s;
}
