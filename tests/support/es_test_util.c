/* Shared unit-test helpers; GLib only. */
#include "tests/support/es_test_util.h"

#include <stdarg.h>
#include <sys/wait.h>

int es_test_run_openssl(char **output, const char *first, ...)
{
  const char *openssl = g_getenv("ES_OPENSSL");
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, (char *)(openssl != NULL ? openssl : "openssl"));
  va_list ap;
  va_start(ap, first);
  for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
    g_ptr_array_add(argv, (char *)a);
  va_end(ap);
  g_ptr_array_add(argv, NULL);
  char *out = NULL, *err = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
               &status, &error);
  g_assert_no_error(error);
  g_ptr_array_free(argv, TRUE);
  char *both = g_strconcat(out, err, NULL);
  g_free(out);
  g_free(err);
  if (output != NULL)
    *output = both;
  else
    g_free(both);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
