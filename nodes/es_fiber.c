/* Fibers over ucontext with mmap'd stacks and a PROT_NONE guard page, annotated for
 * valgrind so memcheck follows the stack switches. Freed stacks are pooled for reuse. */
#define _GNU_SOURCE
#include "nodes/es_fiber.h"

#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <openssl/err.h>

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

/* Stacks of freed fibers, refilled with the pattern, for the next es_fiber_new. Unmapping one
 * per enrolment cost a TLB shootdown on every other core each time (6% of a run's time), and
 * mapping one 16 page faults. */
#define POOL_MAX 1024
typedef struct {
  guint8 *map;
  gsize map_size;
} PooledStack;
static PooledStack pool[POOL_MAX];
static guint pool_len;
G_LOCK_DEFINE_STATIC(pool);

static guint8 *pool_take(gsize map_size)
{
  guint8 *map = NULL;
  G_LOCK(pool);
  for (guint i = pool_len; i-- > 0;) {
    if (pool[i].map_size == map_size) {
      map = pool[i].map;
      pool[i] = pool[--pool_len];
      break;
    }
  }
  G_UNLOCK(pool);
  return map;
}

static gboolean pool_give(guint8 *map, gsize map_size)
{
  G_LOCK(pool);
  gboolean kept = pool_len < POOL_MAX;
  if (kept)
    pool[pool_len++] = (PooledStack){map, map_size};
  G_UNLOCK(pool);
  return kept;
}

static void trampoline(unsigned hi, unsigned lo)
{
  EsFiber *f = (EsFiber *)(((guintptr)hi << 32) | (guintptr)lo);
  f->fn(f->arg);
  f->finished = TRUE;
  /* uc_link returns to f->caller */
}

/* getcontext returns twice in the compiler's eyes: kept out of es_fiber_new so that none of
 * its locals can be clobbered. */
static int G_GNUC_NO_INLINE context_init(ucontext_t *ctx)
{
  return getcontext(ctx);
}

EsFiber *es_fiber_new(gsize stack_size, EsFiberFn fn, void *arg, GError **error)
{
  gsize page = (gsize)sysconf(_SC_PAGESIZE);
  EsFiber *f = g_new0(EsFiber, 1);
  stack_size = (stack_size + page - 1) / page * page;
  f->guard = page;
  f->map_size = stack_size + page;
  f->map = pool_take(f->map_size);
  if (f->map == NULL) {
    f->map = mmap(NULL, f->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (f->map == MAP_FAILED) {
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                  "fiber stack of %zu bytes: %s", stack_size, g_strerror(errno));
      g_free(f);
      return NULL;
    }
    /* A stack overflow faults on the guard page instead of corrupting the heap: no fiber
     * without one (the mapping count limit, vm.max_map_count, is what makes this fail). */
    if (mprotect(f->map, page, PROT_NONE) != 0) {
      int err = errno;
      munmap(f->map, f->map_size);
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err),
                  "fiber stack guard page: %s", g_strerror(err));
      g_free(f);
      return NULL;
    }
    memset(f->map + page, ES_FIBER_FILL, stack_size);
  }
  f->fn = fn;
  f->arg = arg;
  if (context_init(&f->ctx) != 0) {
    int err = errno;
    munmap(f->map, f->map_size);
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "fiber context: %s",
                g_strerror(err));
    g_free(f);
    return NULL;
  }
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
  /* Under valgrind the watermark cannot be read: a fresh mapping each time. */
  if (RUNNING_ON_VALGRIND) {
    munmap(f->map, f->map_size);
    g_free(f);
    return;
  }
#endif
  /* Only the used top of the stack lost the pattern. */
  gsize used = es_fiber_stack_used(f);
  memset(f->map + f->map_size - used, ES_FIBER_FILL, used);
  if (!pool_give(f->map, f->map_size))
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
  /* The fiber may be resumed on another thread, and OpenSSL's error queue is per thread: an
   * entry left here would be read by whatever runs next on this thread and be missing there. */
  if (ERR_peek_error() != 0) {
    g_critical("fiber yields with OpenSSL's error queue not empty");
    ERR_clear_error();
  }
  current = NULL;
  swapcontext(&f->ctx, &f->caller);
  /* No thread-local access from here on: es_fiber_resume has set `current` on the thread that
   * resumed us, and an address computed before the switch would be the old thread's. */
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
  /* A word at a time up to the first touched word, then its bytes. */
  const guint64 fill = G_GUINT64_CONSTANT(0x0101010101010101) * ES_FIBER_FILL;
  const guint64 *w = (const guint64 *)(f->map + f->guard);
  const guint8 *end = f->map + f->map_size;
  while ((const guint8 *)w < end && *w == fill)
    w++;
  const guint8 *p = (const guint8 *)w;
  while (p < end && *p == ES_FIBER_FILL)
    p++;
  return (gsize)(end - p);
}
