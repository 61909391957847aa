/* The TLS options of serve and of the live clients: what they are, how they combine, and the
 * TLS context they make (engines/es_live_tls.c reads the files). */
#include "cli/es_tls_options.h"

void es_tls_options_add(GOptionContext *ctx, EsTlsOptions *o)
{
  GOptionEntry server[] = {
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o->cert, "Serve HTTPS with this certificate chain (PEM, the server's certificate first)", "FILE"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o->key, "The key of --tls-cert (PEM)", "FILE"},
    {"tls-client-ca", 0, 0, G_OPTION_ARG_FILENAME, &o->client_ca, "Require a client certificate that verifies against these CA certificates (PEM)", "FILE"},
    {NULL},
  };
  GOptionEntry client[] = {
    {"tls-trusted", 0, 0, G_OPTION_ARG_FILENAME, &o->trusted, "Speak HTTPS: the server's certificate must verify against these (PEM) and name the server's host", "FILE"},
    {"tls-host", 0, 0, G_OPTION_ARG_STRING, &o->host, "The name or address the server's certificate must carry (default the host of --server)", "NAME"},
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o->cert, "Client certificate chain for TLS, for a server that asks for one (PEM)", "FILE"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o->key, "The key of --tls-cert (PEM)", "FILE"},
    {NULL},
  };
  GOptionEntry upstream[] = {
    {"upstream-tls-trusted", 0, 0, G_OPTION_ARG_FILENAME, &o->trusted, "With --upstream https://...: the CA's certificate must verify against these (PEM) and name its host", "FILE"},
    {"upstream-tls-host", 0, 0, G_OPTION_ARG_STRING, &o->host, "The name or address the CA's certificate must carry (default the host of --upstream)", "NAME"},
    {"upstream-tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o->cert, "The RA's client certificate chain, for a CA that asks for one (PEM)", "FILE"},
    {"upstream-tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o->key, "The key of --upstream-tls-cert (PEM)", "FILE"},
    {NULL},
  };
  g_option_context_add_main_entries(ctx, o->server ? server : o->upstream ? upstream : client,
                                    NULL);
}

gboolean es_tls_options_used(const EsTlsOptions *o)
{
  return o->cert != NULL || o->key != NULL || o->client_ca != NULL || o->trusted != NULL
         || o->host != NULL;
}

/* Messages name the options --tls-*; serve's for its CA are --upstream-tls-*. */
static void rename_options(const EsTlsOptions *o, GError *error)
{
  if (!o->upstream || error == NULL)
    return;
  g_auto(GStrv) parts = g_strsplit(error->message, "--tls-", -1);
  g_free(error->message);
  error->message = g_strjoinv("--upstream-tls-", parts);
}

static EsLiveTls *refuse(GError **error, const EsTlsOptions *o, const char *text)
{
  GError *why = g_error_new_literal(ES_LIVE_ERROR, ES_LIVE_ERROR_TLS, text);
  rename_options(o, why);
  g_propagate_error(error, why);
  return NULL;
}

EsLiveTls *es_tls_options_context_new(const EsTlsOptions *o, GError **error)
{
  if (!es_tls_options_used(o))
    return NULL;
  if ((o->cert != NULL) != (o->key != NULL))
    return refuse(error, o, "--tls-cert and --tls-key go together");
  if (o->server) {
    if (o->cert == NULL)
      return refuse(error, o, "--tls-client-ca needs --tls-cert and --tls-key: serve HTTPS first");
    return es_live_tls_server_new(o->cert, o->key, o->client_ca, error);
  }
  if (o->trusted == NULL)
    return refuse(error, o, o->host != NULL ? "--tls-host needs --tls-trusted"
                                         : "--tls-cert needs --tls-trusted: what should the "
                                           "server's certificate verify against?");
  GError *why = NULL;
  EsLiveTls *tls = es_live_tls_client_new(o->trusted, o->cert, o->key, o->host, &why);
  rename_options(o, why);
  if (why != NULL)
    g_propagate_error(error, why);
  return tls;
}

void es_tls_options_append(const EsTlsOptions *o, GString *line)
{
  const struct {
    const char *name;
    const char *value;
  } opts[] = {{"--tls-trusted", o->trusted}, {"--tls-host", o->host}, {"--tls-cert", o->cert},
              {"--tls-key", o->key}, {"--tls-client-ca", o->client_ca}};
  for (gsize i = 0; i < G_N_ELEMENTS(opts); i++) {
    if (opts[i].value != NULL) {
      g_autofree char *quoted = g_shell_quote(opts[i].value);
      g_string_append_printf(line, " %s%s %s", o->upstream ? "--upstream-" : "",
                             opts[i].name + (o->upstream ? 2 : 0), quoted);
    }
  }
}

void es_tls_options_clear(EsTlsOptions *o)
{
  g_clear_pointer(&o->cert, g_free);
  g_clear_pointer(&o->key, g_free);
  g_clear_pointer(&o->client_ca, g_free);
  g_clear_pointer(&o->trusted, g_free);
  g_clear_pointer(&o->host, g_free);
}
