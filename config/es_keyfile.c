/* The text of a key file: GKeyFile parses it but knows no line numbers and keeps the last of
 * two equal keys silently, so every section header and key is found again here, with its line. */
#include "config/es_config_priv.h"

#include <string.h>

static gboolean loads(const char *data, gsize len) {
  g_autoptr(GKeyFile) kf = g_key_file_new();
  return g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, NULL);
}

/* GKeyFile stops at the first bad line, so a prefix of the text loads exactly when it ends
 * before that line: a binary search over line ends finds it. */
static guint bad_line(const char *data, gsize len) {
  g_autoptr(GArray) ends = g_array_new(FALSE, FALSE, sizeof(gsize));
  for (gsize i = 0; i < len; i++)
    if (data[i] == '\n') {
      gsize end = i + 1;
      g_array_append_val(ends, end);
    }
  if (len > 0 && data[len - 1] != '\n')
    g_array_append_val(ends, len);
  if (ends->len == 0)
    return 1;
  guint lo = 0, hi = ends->len - 1;
  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (loads(data, g_array_index(ends, gsize, mid)))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo + 1;
}

static void clear_line(gpointer p) {
  EsKeyLine *l = p;
  g_free(l->section);
  g_free(l->key);
}

/* The grammar is GKeyFile's (gkeyfile.c, g_key_file_parse_line), on a text it accepted:
 * leading blanks are skipped, '#' and empty lines are comments, a line starting with '[' is a
 * header ending at the first ']', any other line is KEY = VALUE with blanks around KEY. */
static GArray *scan(const char *data, gsize len) {
  GArray *lines = g_array_new(FALSE, TRUE, sizeof(EsKeyLine));
  g_array_set_clear_func(lines, clear_line);
  const char *section = NULL;
  guint number = 0;
  for (gsize at = 0; at < len;) {
    const char *nl = memchr(data + at, '\n', len - at);
    gsize end = nl ? (gsize)(nl - data) : len;
    g_autofree char *text = g_strndup(data + at, end - at);
    at = end + 1;
    number++;
    const char *p = text;
    while (g_ascii_isspace(*p))
      p++;
    if (*p == '#' || *p == '\0')
      continue;
    EsKeyLine l = {.line = number};
    if (*p == '[') {
      const char *bracket = strchr(p, ']');
      l.section = g_strndup(p + 1, (gsize)(bracket - p - 1));
      section = l.section;
    } else {
      const char *eq = strchr(p, '=');
      const char *key_end = eq;
      while (key_end > p && g_ascii_isspace(key_end[-1]))
        key_end--;
      l.section = g_strdup(section);
      l.key = g_strndup(p, (gsize)(key_end - p));
    }
    g_array_append_val(lines, l);
  }
  return lines;
}

GArray *es_keyfile_read(const char *path, const char *data, gsize len, GKeyFile **kf_out,
                        GError **error) {
  g_autoptr(GKeyFile) kf = g_key_file_new();
  GError *inner = NULL;
  if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &inner)) {
    g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_FILE, "%s:%u: %s", path,
                bad_line(data, len), inner->message);
    g_error_free(inner);
    return NULL;
  }
  GArray *lines = scan(data, len);
  /* A key given twice would silently lose one value; a section may be opened again. */
  g_autoptr(GHashTable) first = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < lines->len; i++) {
    const EsKeyLine *l = &g_array_index(lines, EsKeyLine, i);
    if (!l->key)
      continue;
    char *name = g_strconcat(l->section, "]", l->key, NULL);
    guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(first, name));
    if (seen) {
      g_set_error(error, ES_CONFIG_ERROR, ES_CONFIG_ERROR_KEY,
                  "%s:%u: [%s] %s given twice, first on line %u (a key may appear once in a file)",
                  path, l->line, l->section, l->key, seen);
      g_free(name);
      g_array_unref(lines);
      return NULL;
    }
    g_hash_table_insert(first, name, GUINT_TO_POINTER(l->line));
  }
  *kf_out = g_steal_pointer(&kf);
  return lines;
}
