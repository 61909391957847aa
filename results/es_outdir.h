/* A folder enrolsim writes into, and the manifest of every file it wrote there
 * (DIR/.enrolsim-files): a new run never leaves an earlier run's files beside its own. */
#ifndef ES_OUTDIR_H
#define ES_OUTDIR_H

#include <glib.h>

/* One path per line, relative to the folder, after a first comment line naming the command. */
#define ES_OUTDIR_MANIFEST ".enrolsim-files"

#define ES_OUTDIR_ERROR (es_outdir_error_quark())
GQuark es_outdir_error_quark(void);
typedef enum {
  ES_OUTDIR_ERROR_HOLDS_RESULTS, /* the folder holds an earlier command's files: bad usage */
  ES_OUTDIR_ERROR_IO,            /* a file or folder could not be made, written or removed */
  ES_OUTDIR_ERROR_PATH           /* a path that is not a plain relative one was claimed */
} EsOutdirError;

typedef struct EsOutdir EsOutdir;

/* TRUE when `dir` holds files of an earlier enrolsim command: a manifest, or what a version
 * without manifests left (summary.json, pki/vendor-root.pem or vendor-root.pem). */
gboolean es_outdir_holds_results(const char *dir);

/* Makes `dir` ready for the files of command `what` ("run", "enrol", "pki init"), creating it
 * when missing. When it holds an earlier command's files: without `overwrite`,
 * ES_OUTDIR_ERROR_HOLDS_RESULTS with a message naming the folder and --overwrite, and nothing
 * touched; with it, every file the manifest lists is removed first (for a folder of a version
 * without manifests, the files such a version is known to write), then the folders that left
 * empty; files enrolsim did not write stay. Then a new manifest is started. NULL on error;
 * the caller frees the handle (es_outdir_free), which keeps the manifest open. */
EsOutdir *es_outdir_open(const char *dir, const char *what, gboolean overwrite, GError **error);

/* A handle that adds to `dir`'s manifest, for files written into a folder after its command
 * (enrolsim plot DIR, enrol's device credentials in PKI_DIR). A folder without a manifest (of
 * an older version, or of no command) gets none: its claims succeed and record nothing. */
EsOutdir *es_outdir_append(const char *dir, GError **error);

/* Records `relpath` ('/'-separated, relative, no "." or ".." parts) before its file is
 * written, flushed at once: a command stopped midway leaves a manifest of all it wrote.
 * A path already listed is not repeated. */
gboolean es_outdir_claim(EsOutdir *od, const char *relpath, GError **error);
gboolean es_outdir_claimf(EsOutdir *od, GError **error, const char *format, ...)
    G_GNUC_PRINTF(3, 4);
/* Each of the NULL-terminated `relpaths`. */
gboolean es_outdir_claimv(EsOutdir *od, const char *const *relpaths, GError **error);

/* es_outdir_append, es_outdir_claimv and es_outdir_free in one. */
gboolean es_outdir_record(const char *dir, const char *const *relpaths, GError **error);

void es_outdir_free(EsOutdir *od);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EsOutdir, es_outdir_free)

#endif
