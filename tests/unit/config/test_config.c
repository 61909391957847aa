/* Unit tests of the configuration core: numbers with units, outage lists, the one link
 * check, and a table of keys on a struct of its own (defaults, set, check, dump, load); key
 * files whose mistakes are named by file and line, misspelt names with a suggestion, keys
 * given twice, path keys naming no file, and the record of keys given. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "config/es_config.h"
#include "config/es_link.h"

typedef struct {
  const char *text;
  gboolean ok;
  double value;
} UnitCase;

static const UnitCase duration_cases[] = {
    {"20ms", TRUE, 0.02},  {"1.5s", TRUE, 1.5},   {"250us", TRUE, 250e-6},
    {"2m", TRUE, 120},     {"1h", TRUE, 3600},    {"3650d", TRUE, 315360000},
    {"0s", TRUE, 0},       {".5s", TRUE, 0.5},    {"1e3ms", TRUE, 1},
    {"0.005s", TRUE, 0.005},
    {"20", FALSE, 0},      {"abc", FALSE, 0},     {"-5ms", FALSE, 0},
    {"", FALSE, 0},        {"5 ms", FALSE, 0},    {"5msx", FALSE, 0},
    {"5MS", FALSE, 0},     {"nans", FALSE, 0},    {"infs", FALSE, 0},
    {"1e999s", FALSE, 0},  {"0x10s", FALSE, 0},   {"+5s", FALSE, 0},
    {"s", FALSE, 0},       {".s", FALSE, 0},      {"5", FALSE, 0},
    {"10min", TRUE, 600},  {"1.5min", TRUE, 90},  {"0.5min", TRUE, 30},
    {"min", FALSE, 0},     {"10mins", FALSE, 0},  {"10 min", FALSE, 0},
    {"10MIN", FALSE, 0},
};

static const UnitCase rate_cases[] = {
    {"100Mbps", TRUE, 100e6}, {"1Gbps", TRUE, 1e9},      {"64kbps", TRUE, 64e3},
    {"9600bps", TRUE, 9600},  {"2.5Gbps", TRUE, 2.5e9},  {"100MBps", FALSE, 0},
    {"100mbps", FALSE, 0},    {"100", FALSE, 0},         {"-1Mbps", FALSE, 0},
    {"1Kbps", FALSE, 0},      {"Mbps", FALSE, 0},        {"1e400bps", FALSE, 0},
};

static const UnitCase probability_cases[] = {
    {"0", TRUE, 0},    {"1", TRUE, 1},     {"0.25", TRUE, 0.25}, {"1e-3", TRUE, 0.001},
    {"1.5", FALSE, 0}, {"-0.1", FALSE, 0}, {"nan", FALSE, 0},    {"0.5%", FALSE, 0},
    {"", FALSE, 0},    {"inf", FALSE, 0},
};

static void run_unit_cases(const UnitCase *cases, gsize n,
                           gboolean (*parse)(const char *, double *)) {
  for (gsize i = 0; i < n; i++) {
    double v = -1;
    gboolean ok = parse(cases[i].text, &v);
    if (ok != cases[i].ok)
      g_error("'%s': expected %s", cases[i].text, cases[i].ok ? "success" : "failure");
    if (ok && v != cases[i].value)
      g_error("'%s': got %.17g, expected %.17g", cases[i].text, v, cases[i].value);
  }
}

static void test_parse_units(void) {
  run_unit_cases(duration_cases, G_N_ELEMENTS(duration_cases), es_parse_duration);
  run_unit_cases(rate_cases, G_N_ELEMENTS(rate_cases), es_parse_rate);
  run_unit_cases(probability_cases, G_N_ELEMENTS(probability_cases), es_parse_probability);
}

static void test_outages(void) {
  EsOutages *o = NULL;
  char *why = NULL;
  g_assert_true(es_parse_outages(" 1m+30s ,2h+1ms", &o, &why));
  g_assert_nonnull(o);
  g_assert_cmpuint(o->n, ==, 2);
  g_assert_cmpfloat(o->w[0].start_s, ==, 60);
  g_assert_cmpfloat(o->w[0].duration_s, ==, 30);
  g_assert_cmpfloat(o->w[1].start_s, ==, 7200);
  g_assert_cmpfloat(o->w[1].duration_s, ==, 0.001);
  g_autofree char *text = es_outages_to_string(o);
  g_assert_cmpstr(text, ==, "60s+30s,7200s+0.001s");
  g_free(o);
  g_assert_true(es_parse_outages("", &o, NULL));
  g_assert_null(o);
  g_autofree char *none = es_outages_to_string(NULL);
  g_assert_cmpstr(none, ==, "");
  g_assert_false(es_parse_outages("5s", &o, &why));
  g_assert_null(o);
  g_assert_nonnull(strstr(why, "START+DURATION"));
  g_free(why);
  GString *many = g_string_new(NULL);
  for (int i = 0; i <= ES_OUTAGES_MAX; i++)
    g_string_append_printf(many, "%s%ds+1s", i ? "," : "", i * 10);
  g_assert_false(es_parse_outages(many->str, &o, &why));
  g_assert_nonnull(strstr(why, "at most"));
  g_free(why);
  g_string_free(many, TRUE);

}

/* The one check of a link, whatever its source. */
static void test_link_check(void) {
  EsLinkParams l = {.rate_bps = 1e6, .delay_s = 0.001, .burst_loss = 1};
  GError *error = NULL;
  g_assert_true(es_link_check(&l, "x.", TRUE, &error));
  g_assert_no_error(error);
  l.burst_enter = 0.1;
  g_assert_false(es_link_check(&l, "x.", TRUE, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, "x.burst_exit must be greater than 0"));
  g_clear_error(&error);
  l.burst_exit = 0.5;
  g_assert_true(es_link_check(&l, "x.", TRUE, NULL));
  l.loss = 1.5;
  g_assert_false(es_link_check(&l, "x.", TRUE, &error));
  g_assert_nonnull(strstr(error->message, "x.loss"));
  g_clear_error(&error);
  l.loss = 0;
  l.rate_bps = 0;
  g_assert_false(es_link_check(&l, "x.", TRUE, NULL));
  g_assert_true(es_link_check(&l, "x.", FALSE, NULL));
}

/* A table on a struct of its own: what every layer's section relies on. */
typedef enum { COLOUR_RED, COLOUR_GREEN } Colour;
typedef struct {
  guint count;
  double wait_s;
  Colour colour;
  char *label;
  EsOutages *outages;
} Thing;
static const char *const colour_words[] = {"red", "green", NULL};
static const EsConfigKey thing_keys[] = {
    ES_CONFIG_KEY(Thing, "thing", "count", ES_CONFIG_UINT, count, "3", ES_RANGE(1, 10)),
    ES_CONFIG_KEY(Thing, "thing", "wait", ES_CONFIG_DURATION, wait_s, "1.5s", ES_POSITIVE),
    ES_CONFIG_CHOICE_KEY(Thing, "thing", "colour", colour, "green", colour_words),
    ES_CONFIG_KEY(Thing, "thing", "label", ES_CONFIG_STRING, label, "x", ES_ANY),
    ES_CONFIG_KEY(Thing, "other", "outages", ES_CONFIG_OUTAGES, outages, "", ES_ANY),
};
static const EsConfigPart thing_part = ES_CONFIG_PART(thing_keys, 0);
static const EsConfigSchema thing_schema = {.parts = &thing_part, .n_parts = 1,
                                            .size = sizeof(Thing)};

static void test_table(void) {
  Thing t = {0};
  es_config_init(&thing_schema, &t);
  g_assert_cmpuint(t.count, ==, 3);
  g_assert_cmpfloat(t.wait_s, ==, 1.5);
  g_assert_cmpint(t.colour, ==, COLOUR_GREEN);
  g_assert_cmpstr(t.label, ==, "x");
  g_assert_null(t.outages);
  GError *error = NULL;
  g_assert_true(es_config_set(&thing_schema, &t, "thing.wait=20ms", NULL, &error));
  g_assert_true(es_config_set(&thing_schema, &t, "thing.colour", "red", &error));
  g_assert_true(es_config_set(&thing_schema, &t, "other.outages=1s+2s", NULL, &error));
  g_assert_no_error(error);
  g_assert_cmpfloat(t.wait_s, ==, 0.02);
  g_assert_cmpint(t.colour, ==, COLOUR_RED);
  g_assert_cmpuint(t.outages->n, ==, 1);
  /* Bounds, words and names: each refusal names the key and changes nothing. */
  static const char *const bad[] = {"thing.count=11", "thing.count=0", "thing.wait=0s",
                                    "thing.wait=5", "thing.colour=blue", "thing.nope=1",
                                    "nope.count=1", "thing.count"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_false(es_config_set(&thing_schema, &t, bad[i], NULL, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
  }
  g_assert_cmpuint(t.count, ==, 3);
  t.count = 99; /* written directly: the check catches it */
  g_assert_false(es_config_check(&thing_schema, &t, &error));
  g_assert_nonnull(strstr(error->message, "thing.count"));
  g_clear_error(&error);
  t.count = 4;
  g_autofree char *text = es_config_to_keyfile(&thing_schema, &t);
  g_assert_cmpstr(text, ==,
                  "[thing]\ncount=4\nwait=0.02s\ncolour=red\nlabel=x\n\n[other]\noutages=1s+2s\n");
  /* The dump loads back to the same values; a copy owns its own values. */
  g_autofree char *dir = g_dir_make_tmp("es-config-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "thing.ini", NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  Thing u = {0};
  es_config_init(&thing_schema, &u);
  g_assert_true(es_config_load(&thing_schema, &u, path, &error));
  g_assert_no_error(error);
  g_autofree char *again = es_config_to_keyfile(&thing_schema, &u);
  g_assert_cmpstr(again, ==, text);
  Thing c;
  es_config_copy(&thing_schema, &c, &u);
  g_assert_true(c.label != u.label && c.outages != u.outages);
  /* A file with one bad key changes nothing. */
  g_assert_true(g_file_set_contents(path, "[thing]\ncount=5\nwait=oops\n", -1, NULL));
  g_assert_false(es_config_load(&thing_schema, &u, path, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_VALUE);
  g_assert_nonnull(strstr(error->message, "[thing] wait"));
  g_clear_error(&error);
  g_assert_cmpuint(u.count, ==, 4);
  g_remove(path);
  g_rmdir(dir);
  es_config_clear(&thing_schema, &t);
  es_config_clear(&thing_schema, &u);
  es_config_clear(&thing_schema, &c);
  g_assert_null(t.label);
}

/* The file `name` in `dir` holding `text`. */
static char *write_file(const char *dir, const char *name, const char *text) {
  char *path = g_build_filename(dir, name, NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

/* A key file that es_config_load refuses with `code` and the message "PATH:`rest`" (or, for
 * GLib's own wording, which may change, a message starting so and holding `glib_part`),
 * changing nothing. */
static void assert_load_fails_glib(const char *dir, const char *text, EsConfigError code,
                                   const char *rest, const char *glib_part) {
  g_autofree char *path = write_file(dir, "t.ini", text);
  Thing t = {0};
  es_config_init(&thing_schema, &t);
  GError *error = NULL;
  g_assert_false(es_config_load(&thing_schema, &t, path, &error));
  g_assert_error(error, ES_CONFIG_ERROR, (gint)code);
  g_autofree char *want = g_strconcat(path, ":", rest, NULL);
  if (glib_part) {
    g_assert_true(g_str_has_prefix(error->message, want));
    g_assert_nonnull(strstr(error->message, glib_part));
  } else {
    g_assert_cmpstr(error->message, ==, want);
  }
  g_error_free(error);
  g_assert_cmpuint(t.count, ==, 3);
  g_assert_cmpfloat(t.wait_s, ==, 1.5);
  es_config_clear(&thing_schema, &t);
  g_remove(path);
}

static void assert_load_fails(const char *dir, const char *text, EsConfigError code,
                              const char *rest) {
  assert_load_fails_glib(dir, text, code, rest, NULL);
}

/* GKeyFile names no line: the core finds it, whatever the mistake and the line endings. */
static void test_syntax_line(void) {
  g_autofree char *dir = g_dir_make_tmp("es-config-XXXXXX", NULL);
  assert_load_fails_glib(dir, "[thing]\ncount=4\n\n# fine\nthis is not a key line\nwait=1s\n",
                         ES_CONFIG_ERROR_FILE, "5: ", "this is not a key line");
  assert_load_fails_glib(dir, "[thing]\r\ncount=4\r\n[bad\r\n", ES_CONFIG_ERROR_FILE, "3: ",
                         "[bad");
  assert_load_fails_glib(dir, "# a comment\ncount=4\n[thing]\n", ES_CONFIG_ERROR_FILE, "2: ",
                         "group");
  assert_load_fails_glib(dir, "[thing]\ncount=4\nno equals sign", ES_CONFIG_ERROR_FILE, "3: ",
                         "no equals sign");
  assert_load_fails_glib(dir, "[thing]\ncount=4\n[th]ng]\n", ES_CONFIG_ERROR_FILE, "3: ",
                         "th]ng");
  /* Values are named by their line too. */
  assert_load_fails(dir, "[thing]\n\ncount=4\n  wait = oops\n", ES_CONFIG_ERROR_VALUE,
                    "4: [thing] wait: not a number (value 'oops')");
  /* GKeyFile returns the text of a bad escape sequence, with an error: refused. */
  assert_load_fails_glib(dir, "[thing]\ncount=4\nlabel=a\\qb\n", ES_CONFIG_ERROR_VALUE,
                         "3: [thing] label: ", "label");
  g_rmdir(dir);
}

/* A key given twice in one file would lose a value silently; a section may open again. */
static void test_duplicate_key(void) {
  g_autofree char *dir = g_dir_make_tmp("es-config-XXXXXX", NULL);
  assert_load_fails(dir, "[thing]\ncount=4\n[other]\noutages=\n[thing]\nwait=1s\ncount = 5\n",
                    ES_CONFIG_ERROR_KEY,
                    "7: [thing] count given twice, first on line 2 (a key may appear once in a "
                    "file)");
  assert_load_fails(dir, "[other]\noutages=\n\n[other]\n  outages=1s+1s\n", ES_CONFIG_ERROR_KEY,
                    "5: [other] outages given twice, first on line 2 (a key may appear once in "
                    "a file)");
  g_autofree char *path = write_file(dir, "t.ini", "[thing]\ncount=4\n[other]\n[thing]\nwait=1s\n");
  Thing t = {0};
  es_config_init(&thing_schema, &t);
  GError *error = NULL;
  g_assert_true(es_config_load(&thing_schema, &t, path, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(t.count, ==, 4);
  g_assert_cmpfloat(t.wait_s, ==, 1);
  es_config_clear(&thing_schema, &t);
  g_remove(path);
  g_rmdir(dir);
}

/* A misspelt name gets the closest known one, when one is close enough to be what was meant. */
static void test_suggestion(void) {
  g_autofree char *dir = g_dir_make_tmp("es-config-XXXXXX", NULL);
  assert_load_fails(dir, "[thing]\ncount=4\ncuont=5\n", ES_CONFIG_ERROR_KEY,
                    "3: unknown key [thing] cuont: did you mean 'thing.count'?");
  assert_load_fails(dir, "[thing]\nwiat=1s\n", ES_CONFIG_ERROR_KEY,
                    "2: unknown key [thing] wiat: did you mean 'thing.wait'?");
  /* A translation (key[locale]) GKeyFile would drop unless it is the user's language. */
  assert_load_fails(dir, "[thing]\nlabel[fr]=y\n", ES_CONFIG_ERROR_KEY,
                    "2: unknown key [thing] label[fr]: did you mean 'thing.label'?");
  /* The right name in the wrong section. */
  assert_load_fails(dir, "[thing]\noutages=1s+1s\n", ES_CONFIG_ERROR_KEY,
                    "2: unknown key [thing] outages: did you mean 'other.outages'?");
  assert_load_fails(dir, "[thnig]\ncount=1\n", ES_CONFIG_ERROR_KEY,
                    "1: unknown section [thnig]: did you mean 'thing.count'?");
  assert_load_fails(dir, "[thing]\ncount=1\n\n[othre]\n", ES_CONFIG_ERROR_KEY,
                    "4: unknown section [othre]: did you mean [other]?");
  /* Nothing close: no guess. */
  assert_load_fails(dir, "[thing]\nvolume=1\n", ES_CONFIG_ERROR_KEY,
                    "2: unknown key [thing] volume");
  assert_load_fails(dir, "[radio]\nband=7\n", ES_CONFIG_ERROR_KEY, "1: unknown section [radio]");
  g_rmdir(dir);

  static const struct {
    const char *set, *message;
  } sets[] = {
      {"thing.cont=3", "unknown key 'thing.cont': did you mean 'thing.count'?"},
      {"thnig.count=3", "unknown key 'thnig.count': did you mean 'thing.count'?"},
      {"count=3", "unknown key 'count': did you mean 'thing.count'?"},
      {"thing.outages=1s+1s", "unknown key 'thing.outages': did you mean 'other.outages'?"},
      {"thing.volume=1", "unknown key 'thing.volume'"},
  };
  Thing t = {0};
  es_config_init(&thing_schema, &t);
  for (gsize i = 0; i < G_N_ELEMENTS(sets); i++) {
    GError *error = NULL;
    g_assert_false(es_config_set(&thing_schema, &t, sets[i].set, NULL, &error));
    g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY);
    g_assert_cmpstr(error->message, ==, sets[i].message);
    g_error_free(error);
  }
  es_config_clear(&thing_schema, &t);
}

/* A unit added to the parser never reaches the dump: durations are written in seconds. */
static void test_minutes_dump(void) {
  Thing t = {0};
  es_config_init(&thing_schema, &t);
  g_assert_true(es_config_set(&thing_schema, &t, "thing.wait=1.5min", NULL, NULL));
  g_assert_cmpfloat(t.wait_s, ==, 90);
  g_assert_true(es_config_set(&thing_schema, &t, "other.outages=10min+0.5min", NULL, NULL));
  g_autofree char *text = es_config_to_keyfile(&thing_schema, &t);
  g_assert_cmpstr(text, ==,
                  "[thing]\ncount=3\nwait=90s\ncolour=green\nlabel=x\n\n"
                  "[other]\noutages=600s+30s\n");
  es_config_clear(&thing_schema, &t);
}

/* A struct that records the keys given, with a path key. */
typedef struct {
  guint n;
  char *file;
  EsConfigGiven *given;
} Input;
static const EsConfigKey input_keys[] = {
    ES_CONFIG_KEY(Input, "input", "n", ES_CONFIG_UINT, n, "1", ES_ANY),
    ES_CONFIG_KEY(Input, "input", "file", ES_CONFIG_PATH, file, "", ES_ANY),
};
static const EsConfigPart input_part = ES_CONFIG_PART(input_keys, 0);
static const EsConfigSchema input_schema = {.parts = &input_part,
                                            .n_parts = 1,
                                            .size = sizeof(Input),
                                            .has_given = TRUE,
                                            .given_offset = G_STRUCT_OFFSET(Input, given)};

/* A path key names a file someone will read: one that cannot be read is refused with the key
 * file, the line and the key that named it. */
static void test_path_key(void) {
  g_autofree char *dir = g_dir_make_tmp("es-config-XXXXXX", NULL);
  g_autofree char *sub = g_build_filename(dir, "sub", NULL);
  g_assert_cmpint(g_mkdir(sub, 0755), ==, 0);
  g_autofree char *ini = write_file(sub, "a.ini", "[input]\nn = 2\nfile = x.dat  \n");
  g_autofree char *dat = g_build_filename(sub, "x.dat", NULL);
  Input in = {0};
  es_config_init(&input_schema, &in);
  GError *error = NULL;
  g_assert_false(es_config_load(&input_schema, &in, ini, &error));
  g_assert_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_FILE);
  g_autofree char *want = g_strdup_printf("%s:3: [input] file: cannot open 'x.dat' (%s): %s", ini,
                                          dat, g_strerror(ENOENT));
  g_assert_cmpstr(error->message, ==, want);
  g_clear_error(&error);
  g_assert_cmpuint(in.n, ==, 1);
  /* --set: relative to the working directory, named as given. */
  g_assert_false(es_config_set(&input_schema, &in, "input.file=/nonexistent/y.dat", NULL, &error));
  g_autofree char *want_set =
      g_strdup_printf("input.file: cannot open '/nonexistent/y.dat': %s", g_strerror(ENOENT));
  g_assert_cmpstr(error->message, ==, want_set);
  g_clear_error(&error);
  /* A folder opens but cannot be read. */
  g_assert_false(es_config_set(&input_schema, &in, "input.file", sub, &error));
  g_assert_nonnull(strstr(error->message, g_strerror(EISDIR)));
  g_clear_error(&error);
  g_assert_true(g_file_set_contents(dat, "data", -1, NULL));
  g_assert_true(es_config_load(&input_schema, &in, ini, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(in.file, ==, dat);
  g_assert_true(es_config_set(&input_schema, &in, "input.file=", NULL, &error));
  g_assert_cmpstr(in.file, ==, "");
  es_config_clear(&input_schema, &in);
  g_remove(dat);
  g_remove(ini);
  g_rmdir(sub);
  g_rmdir(dir);
}

/* Given means written by someone, whatever the value: the default written out counts. */
static void test_given(void) {
  const EsConfigKey *n = es_config_find(&input_schema, "input", "n");
  const EsConfigKey *file = es_config_find(&input_schema, "input", "file");
  Input in = {0};
  es_config_init(&input_schema, &in);
  g_assert_false(es_config_is_given(&input_schema, &in, n));
  g_assert_false(es_config_is_given(&input_schema, &in, file));
  GError *error = NULL;
  g_assert_true(es_config_set(&input_schema, &in, "input.n=1", NULL, &error));
  g_assert_true(es_config_is_given(&input_schema, &in, n));
  g_assert_false(es_config_is_given(&input_schema, &in, file));
  /* A refused value gives nothing, in a file or not. */
  g_assert_false(es_config_set(&input_schema, &in, "input.file=/nonexistent", NULL, &error));
  g_clear_error(&error);
  g_assert_false(es_config_is_given(&input_schema, &in, file));
  g_autofree char *dir = g_dir_make_tmp("es-config-XXXXXX", NULL);
  g_autofree char *ini = write_file(dir, "b.ini", "[input]\nfile =\nn = x\n");
  g_assert_false(es_config_load(&input_schema, &in, ini, &error));
  g_clear_error(&error);
  g_assert_false(es_config_is_given(&input_schema, &in, file));
  /* A copy has its own record; a file adds to it. */
  Input copy;
  es_config_copy(&input_schema, &copy, &in);
  g_assert_true(g_file_set_contents(ini, "[input]\nfile =\n", -1, NULL));
  g_assert_true(es_config_load(&input_schema, &copy, ini, &error));
  g_assert_true(es_config_is_given(&input_schema, &copy, file));
  g_assert_true(es_config_is_given(&input_schema, &copy, n));
  g_assert_false(es_config_is_given(&input_schema, &in, file));
  /* A schema that keeps no record answers FALSE. */
  Thing t = {0};
  es_config_init(&thing_schema, &t);
  g_assert_true(es_config_set(&thing_schema, &t, "thing.count=4", NULL, NULL));
  const EsConfigKey *count = es_config_find(&thing_schema, "thing", "count");
  g_assert_false(es_config_is_given(&thing_schema, &t, count));
  es_config_clear(&thing_schema, &t);
  es_config_clear(&input_schema, &in);
  es_config_clear(&input_schema, &copy);
  g_assert_null(copy.given);
  g_remove(ini);
  g_rmdir(dir);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/config/parse-units", test_parse_units);
  g_test_add_func("/config/outages", test_outages);
  g_test_add_func("/config/link-check", test_link_check);
  g_test_add_func("/config/table", test_table);
  g_test_add_func("/config/load/syntax-line", test_syntax_line);
  g_test_add_func("/config/load/duplicate-key", test_duplicate_key);
  g_test_add_func("/config/suggestion", test_suggestion);
  g_test_add_func("/config/minutes-dump", test_minutes_dump);
  g_test_add_func("/config/path-key", test_path_key);
  g_test_add_func("/config/given", test_given);
  return g_test_run();
}
