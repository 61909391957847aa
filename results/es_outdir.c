/* The manifest of a result folder: written ahead of every file, so that --overwrite can remove
 * exactly what earlier commands wrote, even when one was stopped midway. GLib only. */
#include "results/es_outdir.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

G_DEFINE_QUARK(es-outdir-error-quark, es_outdir_error)

struct EsOutdir {
  char *dir;
  char *manifest;     /* DIR/.enrolsim-files */
  FILE *file;         /* NULL: an append handle on a folder without a manifest */
  GHashTable *listed; /* relative paths in the manifest */
};

/* What versions before the manifest wrote, by name (a frozen list: new files are listed in
 * the manifest): a run's and enrol's result files, the hierarchy (a run's pki/ or the folder
 * of pki init) and the plots, then the numbered files of --keep-certs, --pcap and --devices. */
static const char *const legacy_files[] = {
    "enrolments.csv", "summary.json", "raca_queue.csv", "revocations.csv", "hostile.csv",
    "crl.pem", "scenario.ini",
    "vendor-root.pem", "vendor-root.key", "operator-root.pem", "operator-root.key", "raca.pem",
    "raca.key", "raca-cross.pem",
    "pki/vendor-root.pem", "pki/vendor-root.key", "pki/operator-root.pem",
    "pki/operator-root.key", "pki/raca.pem", "pki/raca.key", "pki/raca-cross.pem",
    "plots/latency_cdf.gp", "plots/latency_cdf.png", "plots/latency_cdf.svg",
    "plots/enrolled_over_time.gp", "plots/enrolled_over_time.png",
    "plots/enrolled_over_time.svg", "plots/raca_queue.gp", "plots/raca_queue.png",
    "plots/raca_queue.svg", NULL};
static const struct {
  const char *dir, *prefix, *suffix; /* DIR/PREFIX<digits>SUFFIX */
} legacy_numbered[] = {{"certs", "enb-", ".pem"}, {"certs", "enb-", ".key"},
                       {"pcap", "enb-", ".pcap"}, {"pcap", "raca-", ".pcap"},
                       {"devices", "enb-", ".pem"}, {"devices", "enb-", ".key"}};
/* Any one of these says an older version wrote the folder (pki/ comes first in a run, so an
 * interrupted one has it). */
static const char *const legacy_markers[] = {"summary.json", "pki/vendor-root.pem",
                                             "vendor-root.pem", NULL};

static gboolean io_error(GError **error, const char *what, const char *path, int e)
{
  g_set_error(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_IO, "cannot %s %s: %s", what, path,
              g_strerror(e));
  return FALSE;
}

/* Relative, '/'-separated, no empty, "." or ".." part, one line: a manifest line may name
 * nothing outside its folder, whoever edited it. */
static gboolean plain_relpath(const char *p)
{
  if (p == NULL || *p == '\0' || *p == '/' || strchr(p, '\n') != NULL || strchr(p, '\r') != NULL)
    return FALSE;
  g_auto(GStrv) parts = g_strsplit(p, "/", -1);
  for (char **s = parts; *s != NULL; s++)
    if (**s == '\0' || strcmp(*s, ".") == 0 || strcmp(*s, "..") == 0)
      return FALSE;
  return TRUE;
}

static const char *legacy_marker(const char *dir)
{
  for (const char *const *m = legacy_markers; *m != NULL; m++) {
    g_autofree char *path = g_build_filename(dir, *m, NULL);
    if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
      return *m;
  }
  return NULL;
}

gboolean es_outdir_holds_results(const char *dir)
{
  g_autofree char *manifest = g_build_filename(dir, ES_OUTDIR_MANIFEST, NULL);
  return g_file_test(manifest, G_FILE_TEST_EXISTS) || legacy_marker(dir) != NULL;
}

/* The manifest's paths (comment lines left out); NULL with an error when unreadable. */
static GPtrArray *read_manifest(const char *manifest, char **command, GError **error)
{
  g_autofree char *text = NULL;
  GError *inner = NULL;
  if (!g_file_get_contents(manifest, &text, NULL, &inner)) {
    g_set_error(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_IO, "%s", inner->message);
    g_error_free(inner);
    return NULL;
  }
  GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l != NULL; l++) {
    if (**l == '#') {
      /* "# enrolsim run: ..." names the command that started the manifest. */
      const char *colon = strchr(*l, ':');
      if (command != NULL && *command == NULL && g_str_has_prefix(*l, "# enrolsim ") && colon)
        *command = g_strdup_printf("`%.*s`", (int)(colon - *l - 2), *l + 2);
    } else if (**l != '\0') {
      g_ptr_array_add(paths, g_strdup(*l));
    }
  }
  return paths;
}

/* Removes DIR/relpath if it is a file (or a link) reached through real folders: a folder
 * swapped for a link to elsewhere, or a directory where a file was, is not enrolsim's. */
static gboolean remove_one(const char *dir, const char *relpath, GHashTable *parents,
                           GError **error)
{
  if (!plain_relpath(relpath))
    return TRUE;
  g_auto(GStrv) parts = g_strsplit(relpath, "/", -1);
  GString *path = g_string_new(dir);
  gboolean ok = TRUE;
  for (char **s = parts; *s != NULL; s++) {
    g_string_append_c(path, G_DIR_SEPARATOR);
    g_string_append(path, *s);
    GStatBuf st;
    if (g_lstat(path->str, &st) != 0)
      break; /* gone already */
    if (s[1] != NULL) {
      if (!S_ISDIR(st.st_mode))
        break;
      g_hash_table_add(parents, g_strdup(path->str));
    } else if (!S_ISDIR(st.st_mode) && g_unlink(path->str) != 0 && errno != ENOENT) {
      ok = io_error(error, "remove", path->str, errno);
    }
  }
  g_string_free(path, TRUE);
  return ok;
}

static gint deeper_first(gconstpointer a, gconstpointer b)
{
  const char *x = *(const char *const *)a, *y = *(const char *const *)b;
  gsize dx = 0, dy = 0;
  for (const char *p = x; *p; p++)
    dx += *p == G_DIR_SEPARATOR;
  for (const char *p = y; *p; p++)
    dy += *p == G_DIR_SEPARATOR;
  return dx != dy ? (dx > dy ? -1 : 1) : strcmp(x, y);
}

/* A file is written whole or not at all through a temporary NAME.XXXXXX beside it
 * (g_file_set_contents): a command stopped midway may leave one. Removes those of the
 * `listed` files (full paths) in `folder`. */
static gboolean remove_partial(const char *folder, GHashTable *listed, GError **error)
{
  GDir *d = g_dir_open(folder, 0, NULL);
  gboolean ok = TRUE;
  for (const char *name; ok && d != NULL && (name = g_dir_read_name(d)) != NULL;) {
    gsize len = strlen(name);
    if (len <= 7 || name[len - 7] != '.')
      continue;
    gboolean random = TRUE;
    for (gsize k = len - 6; k < len; k++)
      random = random && g_ascii_isalnum(name[k]);
    g_autofree char *path = g_strconcat(folder, G_DIR_SEPARATOR_S, name, NULL);
    g_autofree char *whole = g_strndup(path, strlen(path) - 7);
    GStatBuf st;
    if (random && g_hash_table_contains(listed, whole) && g_lstat(path, &st) == 0
        && S_ISREG(st.st_mode) && g_unlink(path) != 0 && errno != ENOENT)
      ok = io_error(error, "remove", path, errno);
  }
  if (d != NULL)
    g_dir_close(d);
  return ok;
}

/* Removes each of `paths` (and what a stopped write of one left), then the folders that
 * held them once they are empty. */
static gboolean remove_all(const char *dir, GPtrArray *paths, GError **error)
{
  GHashTable *parents = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GHashTable *listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < paths->len; i++) {
    const char *relpath = g_ptr_array_index(paths, i);
    ok = remove_one(dir, relpath, parents, error);
    g_hash_table_add(listed, g_strconcat(dir, G_DIR_SEPARATOR_S, relpath, NULL));
  }
  guint n;
  const char **folders = (const char **)g_hash_table_get_keys_as_array(parents, &n);
  qsort(folders, n, sizeof *folders, (int (*)(const void *, const void *))deeper_first);
  ok = ok && remove_partial(dir, listed, error);
  for (guint i = 0; ok && i < n; i++)
    ok = remove_partial(folders[i], listed, error);
  for (guint i = 0; ok && i < n; i++)
    g_rmdir(folders[i]); /* fails, rightly, when something else is in it */
  g_free(folders);
  g_hash_table_destroy(listed);
  g_hash_table_destroy(parents);
  return ok;
}

/* The files a version without manifests wrote that `dir` holds. */
static GPtrArray *legacy_paths(const char *dir)
{
  GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
  for (const char *const *f = legacy_files; *f != NULL; f++)
    g_ptr_array_add(paths, g_strdup(*f));
  for (gsize k = 0; k < G_N_ELEMENTS(legacy_numbered); k++) {
    g_autofree char *sub = g_build_filename(dir, legacy_numbered[k].dir, NULL);
    GDir *d = g_dir_open(sub, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
      const char *p = name + strlen(legacy_numbered[k].prefix);
      if (!g_str_has_prefix(name, legacy_numbered[k].prefix) || !g_ascii_isdigit(*p))
        continue;
      while (g_ascii_isdigit(*p))
        p++;
      if (strcmp(p, legacy_numbered[k].suffix) == 0)
        g_ptr_array_add(paths, g_strdup_printf("%s/%s", legacy_numbered[k].dir, name));
    }
    if (d != NULL)
      g_dir_close(d);
  }
  return paths;
}

EsOutdir *es_outdir_open(const char *dir, const char *what, gboolean overwrite, GError **error)
{
  g_return_val_if_fail(dir != NULL && what != NULL, NULL);
  g_autofree char *manifest = g_build_filename(dir, ES_OUTDIR_MANIFEST, NULL);
  gboolean listed = g_file_test(manifest, G_FILE_TEST_EXISTS);
  const char *marker = listed ? NULL : legacy_marker(dir);
  if ((listed || marker != NULL) && !overwrite) {
    g_autofree char *command = NULL, *where = NULL;
    if (listed) {
      GPtrArray *lines = read_manifest(manifest, &command, NULL);
      if (lines != NULL)
        g_ptr_array_unref(lines);
      where = g_strdup_printf("listed in %s", manifest);
    } else {
      where = g_strdup_printf("%s/%s and more, written before enrolsim listed its files", dir,
                              marker);
    }
    g_set_error(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_HOLDS_RESULTS,
                "%s holds the results of an earlier %s (%s): add --overwrite to remove those "
                "files first (files enrolsim did not write stay), or choose another folder",
                dir, command != NULL ? command : "enrolsim command", where);
    return NULL;
  }
  if (listed || marker != NULL) {
    g_autoptr(GPtrArray) old = listed ? read_manifest(manifest, NULL, error) : legacy_paths(dir);
    if (old == NULL || !remove_all(dir, old, error))
      return NULL;
    if (listed && g_unlink(manifest) != 0 && errno != ENOENT) {
      io_error(error, "remove", manifest, errno);
      return NULL;
    }
  }
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    io_error(error, "create", dir, errno);
    return NULL;
  }
  EsOutdir *od = g_new0(EsOutdir, 1);
  od->dir = g_strdup(dir);
  od->manifest = g_steal_pointer(&manifest);
  od->listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  /* Appending, as every other writer of the manifest does (es_outdir_record), so that none
   * writes over another's lines. */
  if ((od->file = g_fopen(od->manifest, "a")) == NULL
      || fprintf(od->file, "# enrolsim %s: the files it wrote in this folder, which "
                           "--overwrite removes (and no other)\n", what) < 0
      || fflush(od->file) != 0) {
    io_error(error, "write", od->manifest, errno);
    es_outdir_free(od);
    return NULL;
  }
  return od;
}

EsOutdir *es_outdir_append(const char *dir, GError **error)
{
  g_return_val_if_fail(dir != NULL, NULL);
  EsOutdir *od = g_new0(EsOutdir, 1);
  od->dir = g_strdup(dir);
  od->manifest = g_build_filename(dir, ES_OUTDIR_MANIFEST, NULL);
  od->listed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  if (!g_file_test(od->manifest, G_FILE_TEST_EXISTS))
    return od;
  GPtrArray *paths = read_manifest(od->manifest, NULL, error);
  if (paths == NULL) {
    es_outdir_free(od);
    return NULL;
  }
  for (guint i = 0; i < paths->len; i++)
    g_hash_table_add(od->listed, g_strdup(g_ptr_array_index(paths, i)));
  g_ptr_array_unref(paths);
  if ((od->file = g_fopen(od->manifest, "a")) == NULL) {
    io_error(error, "write", od->manifest, errno);
    es_outdir_free(od);
    return NULL;
  }
  return od;
}

gboolean es_outdir_claim(EsOutdir *od, const char *relpath, GError **error)
{
  g_return_val_if_fail(od != NULL, FALSE);
  if (!plain_relpath(relpath)) {
    g_set_error(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_PATH,
                "%s: '%s' is not a plain path inside the folder", od->dir, relpath ? relpath : "");
    return FALSE;
  }
  if (od->file == NULL || g_hash_table_contains(od->listed, relpath))
    return TRUE;
  if (fprintf(od->file, "%s\n", relpath) < 0 || fflush(od->file) != 0) {
    int e = errno;
    g_set_error(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_IO, "cannot record %s in %s: %s",
                relpath, od->manifest, g_strerror(e));
    return FALSE;
  }
  g_hash_table_add(od->listed, g_strdup(relpath));
  return TRUE;
}

gboolean es_outdir_claimf(EsOutdir *od, GError **error, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  char *relpath = g_strdup_vprintf(format, ap);
  va_end(ap);
  gboolean ok = es_outdir_claim(od, relpath, error);
  g_free(relpath);
  return ok;
}

gboolean es_outdir_claimv(EsOutdir *od, const char *const *relpaths, GError **error)
{
  for (const char *const *p = relpaths; p != NULL && *p != NULL; p++)
    if (!es_outdir_claim(od, *p, error))
      return FALSE;
  return TRUE;
}

gboolean es_outdir_record(const char *dir, const char *const *relpaths, GError **error)
{
  EsOutdir *od = es_outdir_append(dir, error);
  gboolean ok = od != NULL && es_outdir_claimv(od, relpaths, error);
  es_outdir_free(od);
  return ok;
}

void es_outdir_free(EsOutdir *od)
{
  if (od == NULL)
    return;
  if (od->file != NULL)
    fclose(od->file);
  g_hash_table_destroy(od->listed);
  g_free(od->manifest);
  g_free(od->dir);
  g_free(od);
}
