/* The files of serve's CA state in OUT_DIR besides its database's rows: the session's figures
 * (serve_summary.json) and their removal for --new-ca-state. */
#ifndef ES_SERVE_STATE_H
#define ES_SERVE_STATE_H

#include <glib.h>
#include "engines/es_faults.h"
#include "engines/es_live.h"
#include "nodes/es_raca.h"

/* What serve_summary.json is written from. */
typedef struct {
  EsLive *live;
  gint64 epoch;          /* es_live_get_epoch: when the session started */
  EsRaca *raca;
  guint workers;
  EsFaults *faults;      /* NULL: none injected */
  const char *tls_mode;  /* off, server, mutual */
  const char *upstream;  /* --upstream: the CA this RA obtains certificates from; NULL: none */
  int signal;            /* what stopped the session */
} EsServeSession;

/* OUT_DIR/serve_summary.json, replaced at the end of each session: the session and the RA/CA's
 * figures under the names of a simulated run's racas.0.* (sim/es_run_results.c), the
 * faults injected, and "upstream": the CA behind this RA (null: an RA/CA). */
gboolean es_serve_write_summary(const EsServeSession *s, const char *out_dir, GError **error);

/* --new-ca-state: removes OUT_DIR's raca.db (and its journal), issued.csv, revocations.csv,
 * crl.pem and serve_summary.json; a file that is not there is no error. */
gboolean es_serve_remove_state(const char *out_dir, GError **error);

#endif
