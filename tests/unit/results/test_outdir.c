/* Result folders: a folder holding an earlier run's files is refused, --overwrite removes
 * exactly what enrolsim listed (or an older version is known to write), never a user's file. */
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "results/es_outdir.h"

static char *tmp_dir(void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp("es-outdir-XXXXXX", &error);
  g_assert_no_error(error);
  return dir;
}

static void remove_tree(const char *path)
{
  if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
    GDir *d = g_dir_open(path, 0, NULL);
    for (const char *name; d != NULL && (name = g_dir_read_name(d)) != NULL;) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      remove_tree(child);
    }
    if (d != NULL)
      g_dir_close(d);
    g_rmdir(path);
  } else {
    g_unlink(path);
  }
}

/* DIR/REL with `text`, its folders made. */
static void put(const char *dir, const char *rel, const char *text)
{
  g_autofree char *path = g_build_filename(dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname(path);
  g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static gboolean has(const char *dir, const char *rel)
{
  g_autofree char *path = g_build_filename(dir, rel, NULL);
  return g_file_test(path, G_FILE_TEST_EXISTS);
}

static char *manifest_text(const char *dir)
{
  g_autofree char *path = g_build_filename(dir, ES_OUTDIR_MANIFEST, NULL);
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  return text;
}

/* A run's folder: the files it claimed and wrote, and a user's notes beside them. */
static void earlier_run(const char *dir)
{
  GError *error = NULL;
  EsOutdir *od = es_outdir_open(dir, "run", FALSE, &error);
  g_assert_no_error(error);
  const char *files[] = {"summary.json", "certs/enb-1.pem", "certs/enb-2.pem", "plots/a.png",
                         "pcap/enb-1.pcap", NULL};
  g_assert_true(es_outdir_claimv(od, files, &error));
  g_assert_no_error(error);
  for (const char **f = files; *f != NULL; f++)
    put(dir, *f, "old\n");
  es_outdir_free(od);
  put(dir, "notes.txt", "mine\n");
  put(dir, "certs/mine.pem", "mine\n");
  put(dir, "notes.txt.Ab12cD", "mine\n");
  /* What a write stopped midway leaves: the temporary file it renames at the end. */
  put(dir, "certs/enb-2.pem.Xy78zQ", "half\n");
  put(dir, "summary.json.k9LmN0", "half\n");
}

static void test_new_and_empty_folders(void)
{
  g_autofree char *root = tmp_dir();
  g_autofree char *nested = g_build_filename(root, "a", "b", NULL);
  GError *error = NULL;
  g_assert_false(es_outdir_holds_results(nested));
  EsOutdir *od = es_outdir_open(nested, "run", FALSE, &error);
  g_assert_no_error(error);
  g_assert_nonnull(od);
  es_outdir_free(od);
  g_autofree char *text = manifest_text(nested);
  g_assert_true(g_str_has_prefix(text, "# enrolsim run:"));
  /* An empty folder is no earlier run; one with a manifest is, even a listing nothing. */
  g_autofree char *empty = g_build_filename(root, "empty", NULL);
  g_assert_cmpint(g_mkdir(empty, 0755), ==, 0);
  od = es_outdir_open(empty, "enrol", FALSE, &error);
  g_assert_no_error(error);
  es_outdir_free(od);
  g_assert_true(es_outdir_holds_results(empty));
  g_assert_null(es_outdir_open(empty, "run", FALSE, &error));
  g_assert_error(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_HOLDS_RESULTS);
  g_assert_nonnull(strstr(error->message, "`enrolsim enrol`"));
  g_clear_error(&error);
  remove_tree(root);
}

static void test_refused_untouched(void)
{
  g_autofree char *dir = tmp_dir();
  earlier_run(dir);
  g_autofree char *before = manifest_text(dir);
  GError *error = NULL;
  g_assert_true(es_outdir_holds_results(dir));
  g_assert_null(es_outdir_open(dir, "run", FALSE, &error));
  g_assert_error(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_HOLDS_RESULTS);
  g_test_message("%s", error->message);
  g_assert_nonnull(strstr(error->message, dir));
  g_assert_nonnull(strstr(error->message, "--overwrite"));
  g_assert_nonnull(strstr(error->message, "`enrolsim run`"));
  g_clear_error(&error);
  g_autofree char *after = manifest_text(dir);
  g_assert_cmpstr(before, ==, after);
  g_assert_true(has(dir, "certs/enb-1.pem") && has(dir, "plots/a.png") && has(dir, "summary.json"));
  remove_tree(dir);
}

static void test_overwrite_removes_only_listed(void)
{
  g_autofree char *dir = tmp_dir();
  earlier_run(dir);
  GError *error = NULL;
  EsOutdir *od = es_outdir_open(dir, "run", TRUE, &error);
  g_assert_no_error(error);
  g_assert_nonnull(od);
  g_assert_false(has(dir, "summary.json") || has(dir, "certs/enb-1.pem")
                 || has(dir, "certs/enb-2.pem") || has(dir, "pcap/enb-1.pcap"));
  /* Folders left empty go; one holding a user's file stays with it. */
  g_assert_false(has(dir, "plots") || has(dir, "pcap"));
  g_assert_true(has(dir, "notes.txt") && has(dir, "certs/mine.pem"));
  g_assert_true(has(dir, "notes.txt.Ab12cD"));
  g_assert_false(has(dir, "summary.json.k9LmN0") || has(dir, "certs/enb-2.pem.Xy78zQ"));
  g_assert_true(es_outdir_claim(od, "summary.json", &error));
  g_assert_no_error(error);
  es_outdir_free(od);
  g_autofree char *text = manifest_text(dir);
  g_assert_nonnull(strstr(text, "\nsummary.json\n"));
  g_assert_null(strstr(text, "certs/"));
  remove_tree(dir);
}

static void test_older_version_folder(void)
{
  g_autofree char *dir = tmp_dir();
  const char *known[] = {"summary.json", "enrolments.csv", "scenario.ini", "pki/vendor-root.pem",
                         "pki/raca.key", "certs/enb-3.pem", "certs/enb-3.key", "pcap/raca-0.pcap",
                         "plots/latency_cdf.png", NULL};
  const char *mine[] = {"notes.txt", "certs/enb-x.pem", "certs/enb-3.pem.bak", "pcap/enb-1.txt",
                        NULL};
  for (const char **f = known; *f != NULL; f++)
    put(dir, *f, "old\n");
  for (const char **f = mine; *f != NULL; f++)
    put(dir, *f, "mine\n");
  GError *error = NULL;
  g_assert_true(es_outdir_holds_results(dir));
  g_assert_null(es_outdir_open(dir, "run", FALSE, &error));
  g_assert_error(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_HOLDS_RESULTS);
  g_assert_nonnull(strstr(error->message, "summary.json"));
  g_clear_error(&error);
  EsOutdir *od = es_outdir_open(dir, "run", TRUE, &error);
  g_assert_no_error(error);
  es_outdir_free(od);
  for (const char **f = known; *f != NULL; f++)
    g_assert_false(has(dir, *f));
  for (const char **f = mine; *f != NULL; f++)
    g_assert_true(has(dir, *f));
  g_assert_false(has(dir, "pki") || has(dir, "plots"));
  /* A pki init folder of an older version counts too. */
  g_autofree char *pki = tmp_dir();
  put(pki, "vendor-root.pem", "old\n");
  put(pki, "devices/enb-12.key", "old\n");
  g_assert_true(es_outdir_holds_results(pki));
  od = es_outdir_open(pki, "pki init", TRUE, &error);
  g_assert_no_error(error);
  es_outdir_free(od);
  g_assert_false(has(pki, "vendor-root.pem") || has(pki, "devices"));
  remove_tree(pki);
  remove_tree(dir);
}

static void test_record_later(void)
{
  g_autofree char *dir = tmp_dir();
  earlier_run(dir);
  GError *error = NULL;
  /* enrolsim plot DIR after the run: its files join the list once. */
  const char *plots[] = {"plots/b.gp", "plots/b.png", NULL};
  g_assert_true(es_outdir_record(dir, plots, &error));
  g_assert_true(es_outdir_record(dir, plots, &error));
  g_assert_no_error(error);
  g_autofree char *text = manifest_text(dir);
  const char *first = strstr(text, "plots/b.png\n");
  g_assert_nonnull(first);
  g_assert_null(strstr(first + 1, "plots/b.png\n"));
  put(dir, "plots/b.gp", "x");
  EsOutdir *od = es_outdir_open(dir, "run", TRUE, &error);
  g_assert_no_error(error);
  es_outdir_free(od);
  g_assert_false(has(dir, "plots"));
  /* A folder without a manifest gets none (its files are known by name, or are no run's). */
  g_autofree char *plain = tmp_dir();
  g_assert_true(es_outdir_record(plain, plots, &error));
  g_assert_no_error(error);
  g_assert_false(has(plain, ES_OUTDIR_MANIFEST));
  g_assert_false(es_outdir_holds_results(plain));
  remove_tree(plain);
  remove_tree(dir);
}

/* Claims reach the disk at once: a process killed after a claim leaves it listed. */
static void test_listed_before_written(void)
{
  g_autofree char *dir = tmp_dir();
  GError *error = NULL;
  EsOutdir *od = es_outdir_open(dir, "run", FALSE, &error);
  g_assert_true(es_outdir_claimf(od, &error, "certs/enb-%u.pem", 7u));
  g_assert_no_error(error);
  g_autofree char *text = manifest_text(dir);
  g_assert_nonnull(strstr(text, "\ncerts/enb-7.pem\n"));
  /* Another writer of the folder meanwhile (the collector, the plots): no line is lost. */
  const char *other[] = {"enrolments.csv", NULL};
  g_assert_true(es_outdir_record(dir, other, &error));
  g_assert_true(es_outdir_claim(od, "summary.json", &error));
  g_assert_no_error(error);
  g_autofree char *both = manifest_text(dir);
  g_assert_nonnull(strstr(both, "\ncerts/enb-7.pem\nenrolments.csv\nsummary.json\n"));
  es_outdir_free(od);
  remove_tree(dir);
}

static void test_nothing_outside(void)
{
  g_autofree char *dir = tmp_dir();
  g_autofree char *outside = tmp_dir();
  GError *error = NULL;
  EsOutdir *od = es_outdir_open(dir, "run", FALSE, &error);
  const char *bad[] = {"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a\nb", NULL};
  for (const char **b = bad; *b != NULL; b++) {
    g_assert_false(es_outdir_claim(od, *b, &error));
    g_assert_error(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_PATH);
    g_clear_error(&error);
  }
  es_outdir_free(od);
  /* A manifest edited by hand, a listed folder swapped for a link, a listed name that is a
   * folder now: none of it leads to removing what is not the run's. */
  g_autofree char *base = g_path_get_basename(outside);
  g_autofree char *edited = g_strdup_printf("# enrolsim run: x\n../%s/keep.txt\npki/keep.txt\n"
                                            "data\n/%s/keep.txt\n", base, outside);
  g_autofree char *manifest = g_build_filename(dir, ES_OUTDIR_MANIFEST, NULL);
  g_assert_true(g_file_set_contents(manifest, edited, -1, NULL));
  put(outside, "keep.txt", "precious\n");
  g_autofree char *link = g_build_filename(dir, "pki", NULL);
  g_assert_cmpint(symlink(outside, link), ==, 0);
  put(dir, "data/inside.txt", "mine\n");
  od = es_outdir_open(dir, "run", TRUE, &error);
  g_assert_no_error(error);
  es_outdir_free(od);
  g_assert_true(has(outside, "keep.txt"));
  g_assert_true(has(dir, "data/inside.txt"));
  remove_tree(dir);
  remove_tree(outside);
}

static void test_write_failure(void)
{
  g_autofree char *dir = tmp_dir();
  put(dir, "file", "x");
  g_autofree char *below = g_build_filename(dir, "file", "out", NULL);
  GError *error = NULL;
  g_assert_null(es_outdir_open(below, "run", FALSE, &error));
  g_assert_error(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_IO);
  g_assert_nonnull(strstr(error->message, "cannot create"));
  g_assert_nonnull(strstr(error->message, below));
  g_clear_error(&error);
  /* A manifest that cannot be read is an error, not an empty list. */
  g_autofree char *run = g_build_filename(dir, "run", NULL);
  g_autofree char *manifest = g_build_filename(run, ES_OUTDIR_MANIFEST, NULL);
  g_assert_cmpint(g_mkdir_with_parents(manifest, 0755), ==, 0);
  g_assert_null(es_outdir_open(run, "run", TRUE, &error));
  g_assert_error(error, ES_OUTDIR_ERROR, ES_OUTDIR_ERROR_IO);
  g_clear_error(&error);
  remove_tree(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/outdir/new_and_empty_folders", test_new_and_empty_folders);
  g_test_add_func("/outdir/refused_untouched", test_refused_untouched);
  g_test_add_func("/outdir/overwrite_removes_only_listed", test_overwrite_removes_only_listed);
  g_test_add_func("/outdir/older_version_folder", test_older_version_folder);
  g_test_add_func("/outdir/record_later", test_record_later);
  g_test_add_func("/outdir/listed_before_written", test_listed_before_written);
  g_test_add_func("/outdir/nothing_outside", test_nothing_outside);
  g_test_add_func("/outdir/write_failure", test_write_failure);
  return g_test_run();
}
