/* The TLS options of serve (--tls-cert, --tls-key, --tls-client-ca), of the live clients,
 * enrol and calibrate (--tls-trusted, --tls-cert, --tls-key, --tls-host), and of serve as a
 * client of the CA behind it (the same as --upstream-tls-*), parsed once here. */
#ifndef ES_TLS_OPTIONS_H
#define ES_TLS_OPTIONS_H

#include <glib.h>

#include "engines/es_live.h"

typedef struct {
  gboolean server;
  gboolean upstream;            /* a client's options, named --upstream-tls-* */
  char *cert, *key, *client_ca; /* serve; cert and key also a client's own */
  char *trusted, *host;         /* clients */
} EsTlsOptions;

/* Adds the options of the role (o->server) to ctx's main group. */
void es_tls_options_add(GOptionContext *ctx, EsTlsOptions *o);
/* Whether the options ask for TLS. */
gboolean es_tls_options_used(const EsTlsOptions *o);
/* The context the options ask for, NULL without TLS options (then *error stays unset) or on
 * an error naming the option and file. Call it before anything slow: it reads the files. */
EsLiveTls *es_tls_options_context_new(const EsTlsOptions *o, GError **error);
/* " --tls-trusted FILE ..." as given, for a command line that reproduces a run. */
void es_tls_options_append(const EsTlsOptions *o, GString *line);
void es_tls_options_clear(EsTlsOptions *o);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(EsTlsOptions, es_tls_options_clear)

#endif
