/* Fibers: control passes back and forth at yields, each fiber keeps its own stack, and a
 * finished fiber reports it. */
#include <glib.h>
#include <valgrind/valgrind.h>
#include "nodes/es_fiber.h"

typedef struct {
  int steps;
  GString *trace;
} Ctx;

static void body(void *arg)
{
  Ctx *c = arg;
  char local[64];
  for (int i = 0; i < c->steps; i++) {
    g_snprintf(local, sizeof local, "f%d", i);
    g_string_append(c->trace, local);
    g_assert_nonnull(es_fiber_current());
    es_fiber_yield();
  }
}

static void test_interleave(void)
{
  Ctx a = {3, g_string_new(NULL)}, b = {2, a.trace};
  GError *error = NULL;
  EsFiber *fa = es_fiber_new(ES_FIBER_STACK_SIZE, body, &a, &error);
  g_assert_no_error(error);
  EsFiber *fb = es_fiber_new(ES_FIBER_STACK_SIZE, body, &b, &error);
  g_assert_no_error(error);
  g_assert_null(es_fiber_current());
  while (!es_fiber_is_finished(fa) || !es_fiber_is_finished(fb)) {
    if (!es_fiber_is_finished(fa)) {
      es_fiber_resume(fa);
      g_string_append_c(a.trace, 'a');
    }
    if (!es_fiber_is_finished(fb)) {
      es_fiber_resume(fb);
      g_string_append_c(a.trace, 'b');
    }
  }
  g_assert_cmpstr(a.trace->str, ==, "f0af0bf1af1bf2aba");
  if (!RUNNING_ON_VALGRIND) { /* memcheck forbids the watermark scan */
    g_assert_cmpuint(es_fiber_stack_used(fa), >, 0);
    g_assert_cmpuint(es_fiber_stack_used(fa), <, ES_FIBER_STACK_SIZE);
  }
  g_assert_null(es_fiber_current());
  es_fiber_free(fa);
  es_fiber_free(fb);
  g_string_free(a.trace, TRUE);
}

static void count_to(void *arg)
{
  int *n = arg;
  while (*n < 1000) {
    (*n)++;
    es_fiber_yield();
  }
}

static void test_many(void)
{
  /* Thousands alive at once, as in a burst of enrolments. */
  enum { N = 2000 };
  EsFiber **f = g_new(EsFiber *, N);
  int *n = g_new0(int, N);
  for (int i = 0; i < N; i++)
    f[i] = es_fiber_new(ES_FIBER_STACK_SIZE, count_to, &n[i], NULL);
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < N; i++)
      es_fiber_resume(f[i]);
  for (int i = 0; i < N; i++) {
    g_assert_cmpint(n[i], ==, 3);
    es_fiber_free(f[i]);
  }
  g_free(f);
  g_free(n);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/fiber/interleave", test_interleave);
  g_test_add_func("/fiber/many", test_many);
  return g_test_run();
}
