/* Fibers over ucontext with mmap'd stacks and a PROT_NONE guard page, annotated for
 * valgrind so memcheck follows the stack switches. */
#define _GNU_SOURCE
#include "es_fiber.h"

#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define ES_HAVE_VALGRIND 1
#endif

#define ES_FIBER_FILL 0xA5

struct EsFiber {
  ucontext_t ctx;
  ucontext_t caller;
  EsFiberFn fn;
  void *arg;
  guint8 *map;      /* guard page + stack */
  gsize map_size;
  gsize guard;
  gboolean finished;
#ifdef ES_HAVE_VALGRIND
  unsigned stack_id;
#endif
};

static __thread EsFiber *current;

static void trampoline(unsigned hi, unsigned lo)
{
  EsFiber *f = (EsFiber *)(((guintptr)hi << 32) | (guintptr)lo);
  f->fn(f->arg);
  f->finished = TRUE;
  /* uc_link returns to f->caller */
}

EsFiber *es_fiber_new(gsize stack_size, EsFiberFn fn, void *arg, GError **error)
{
  gsize page = (gsize)sysconf(_SC_PAGESIZE);
  EsFiber *f = g_new0(EsFiber, 1);
  stack_size = (stack_size + page - 1) / page * page;
  f->guard = page;
  f->map_size = stack_size + page;
  f->map = mmap(NULL, f->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (f->map == MAP_FAILED) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                "fiber stack of %zu bytes: %s", stack_size, g_strerror(errno));
    g_free(f);
    return NULL;
  }
  /* A stack overflow faults on the guard page instead of corrupting the heap. */
  mprotect(f->map, page, PROT_NONE);
  memset(f->map + page, ES_FIBER_FILL, stack_size);
  f->fn = fn;
  f->arg = arg;
  getcontext(&f->ctx);
  f->ctx.uc_stack.ss_sp = f->map + page;
  f->ctx.uc_stack.ss_size = stack_size;
  f->ctx.uc_link = &f->caller;
  guintptr p = (guintptr)f;
  makecontext(&f->ctx, (void (*)(void))trampoline, 2, (unsigned)(p >> 32), (unsigned)(p & 0xffffffffu));
#ifdef ES_HAVE_VALGRIND
  f->stack_id = VALGRIND_STACK_REGISTER(f->map + page, f->map + f->map_size);
#endif
  return f;
}

void es_fiber_free(EsFiber *f)
{
  if (f == NULL)
    return;
  g_return_if_fail(f != current);
#ifdef ES_HAVE_VALGRIND
  VALGRIND_STACK_DEREGISTER(f->stack_id);
#endif
  munmap(f->map, f->map_size);
  g_free(f);
}

void es_fiber_resume(EsFiber *f)
{
  g_return_if_fail(current == NULL && !f->finished);
  current = f;
  swapcontext(&f->caller, &f->ctx);
  current = NULL;
}

void es_fiber_yield(void)
{
  EsFiber *f = current;
  g_return_if_fail(f != NULL);
  current = NULL;
  swapcontext(&f->ctx, &f->caller);
  current = f;
}

gboolean es_fiber_is_finished(const EsFiber *f) { return f->finished; }

EsFiber *es_fiber_current(void) { return current; }

gsize es_fiber_stack_used(const EsFiber *f)
{
#ifdef ES_HAVE_VALGRIND
  /* memcheck forbids reads below a registered stack's pointer. */
  if (RUNNING_ON_VALGRIND)
    return 0;
#endif
  const guint8 *p = f->map + f->guard, *end = f->map + f->map_size;
  while (p < end && *p == ES_FIBER_FILL)
    p++;
  return (gsize)(end - p);
}
