/* Runs a fuzz target over saved inputs (seeds and every crasher ever found) without libFuzzer,
 * so the default build keeps them as regression tests. Arguments: files or folders. */
#include <stdio.h>
#include <glib.h>
#include "tests/fuzz/fuzz_common.h"

static int replay(const char *path)
{
  gchar *data;
  gsize len;
  GError *error = NULL;
  if (!g_file_get_contents(path, &data, &len, &error)) {
    fprintf(stderr, "%s\n", error->message);
    g_error_free(error);
    return 1;
  }
  LLVMFuzzerTestOneInput((const uint8_t *)data, len);
  g_free(data);
  return 0;
}

int main(int argc, char **argv)
{
  int inputs = 0, failed = 0;
  for (int i = 1; i < argc; i++) {
    if (g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
      GDir *dir = g_dir_open(argv[i], 0, NULL);
      const char *name;
      while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        char *p = g_build_filename(argv[i], name, NULL);
        failed += replay(p);
        inputs++;
        g_free(p);
      }
      if (dir != NULL)
        g_dir_close(dir);
    } else {
      failed += replay(argv[i]);
      inputs++;
    }
  }
  printf("replayed %d inputs\n", inputs);
  return failed != 0 || inputs == 0;
}
