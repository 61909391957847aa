/* Fibers: control passes back and forth at yields, each fiber keeps its own stack, a finished
 * fiber reports it, a fiber may go on on another thread, and never with an OpenSSL error queued. */
#include <glib.h>
#include <openssl/err.h>
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

/* ---- resumed on one thread, then on another (an eNB prepared on the factory thread) ---- */

typedef struct {
  EsFiber *fiber;
  GThread *ran_on[3];
  int steps;
} Hop;

static void hop_body(void *arg)
{
  Hop *h = arg;
  for (; h->steps < 3; h->steps++) {
    h->ran_on[h->steps] = g_thread_self();
    g_assert_true(es_fiber_current() == h->fiber);
    if (h->steps < 2)
      es_fiber_yield();
  }
}

/* A thread that resumes a fiber when asked, and reports what es_fiber_current says there. */
typedef struct {
  GMutex lock;
  GCond cond;
  EsFiber *to_resume;
  gboolean check, quit;
  EsFiber *seen;
} Helper;

static gpointer helper_main(gpointer data)
{
  Helper *t = data;
  g_mutex_lock(&t->lock);
  while (!t->quit) {
    if (t->to_resume != NULL) {
      EsFiber *f = g_steal_pointer(&t->to_resume);
      g_mutex_unlock(&t->lock);
      es_fiber_resume(f);
      g_mutex_lock(&t->lock);
      t->seen = es_fiber_current();
      g_cond_broadcast(&t->cond);
    } else if (t->check) {
      t->check = FALSE;
      t->seen = es_fiber_current();
      g_cond_broadcast(&t->cond);
    } else {
      g_cond_wait(&t->cond, &t->lock);
    }
  }
  g_mutex_unlock(&t->lock);
  return NULL;
}

/* Runs `what` on the helper thread and waits for it: a resume of `f`, or (f NULL) a look. */
static EsFiber *helper_do(Helper *t, EsFiber *f)
{
  g_mutex_lock(&t->lock);
  t->seen = GINT_TO_POINTER(1);
  if (f != NULL)
    t->to_resume = f;
  else
    t->check = TRUE;
  g_cond_broadcast(&t->cond);
  while (t->seen == GINT_TO_POINTER(1))
    g_cond_wait(&t->cond, &t->lock);
  EsFiber *seen = t->seen;
  g_mutex_unlock(&t->lock);
  return seen;
}

static void test_migrate(void)
{
  Hop h = {0};
  GError *error = NULL;
  h.fiber = es_fiber_new(ES_FIBER_STACK_SIZE, hop_body, &h, &error);
  g_assert_no_error(error);
  Helper t = {0};
  g_mutex_init(&t.lock);
  g_cond_init(&t.cond);
  GThread *thread = g_thread_new("fiber-helper", helper_main, &t);

  /* Started there, continued here, finished there; each thread's `current` is its own. */
  g_assert_null(helper_do(&t, h.fiber));
  g_assert_true(h.ran_on[0] == thread);
  es_fiber_resume(h.fiber);
  g_assert_true(h.ran_on[1] == g_thread_self());
  g_assert_null(es_fiber_current());
  g_assert_null(helper_do(&t, NULL)); /* the switch back did not reach the helper's */
  g_assert_null(helper_do(&t, h.fiber));
  g_assert_true(h.ran_on[2] == thread);
  g_assert_true(es_fiber_is_finished(h.fiber));
  g_assert_null(es_fiber_current());

  g_mutex_lock(&t.lock);
  t.quit = TRUE;
  g_cond_broadcast(&t.cond);
  g_mutex_unlock(&t.lock);
  g_thread_join(thread);
  g_mutex_clear(&t.lock);
  g_cond_clear(&t.cond);
  es_fiber_free(h.fiber);
}

/* OpenSSL's error queue is per thread: a fiber that left an entry in it when it yielded would
 * carry it from the thread it left to nowhere. es_fiber_yield refuses that loudly. */
static void raise_and_yield(void *arg)
{
  (void)arg;
  ERR_raise(ERR_LIB_USER, ERR_R_INTERNAL_ERROR);
  es_fiber_yield();
}

static void test_yield_with_error_queued(void)
{
  if (g_test_subprocess()) {
    EsFiber *f = es_fiber_new(ES_FIBER_STACK_SIZE, raise_and_yield, NULL, NULL);
    es_fiber_resume(f);
    return;
  }
  g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed();
  g_test_trap_assert_stderr("*error queue not empty*");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/fiber/interleave", test_interleave);
  g_test_add_func("/fiber/many", test_many);
  g_test_add_func("/fiber/migrate", test_migrate);
  g_test_add_func("/fiber/yield-with-error-queued", test_yield_with_error_queued);
  return g_test_run();
}
