/* Fibers: a stack of their own (guard page below) so OpenSSL's blocking CMP client can run
 * inside a discrete-event world; the transfer callback yields, the engine resumes. */
#ifndef ES_FIBER_H
#define ES_FIBER_H

#include <glib.h>

#define ES_FIBER_STACK_SIZE (64 * 1024)

typedef struct EsFiber EsFiber;
typedef void (*EsFiberFn)(void *arg);

/* Allocates the stack (mmap, guard page); nothing runs until the first resume. */
EsFiber *es_fiber_new(gsize stack_size, EsFiberFn fn, void *arg, GError **error);
/* Frees the stack. A fiber that has not finished is abandoned: its stack is discarded without
 * unwinding, so only free an unfinished fiber whose frames own nothing (or accept the leak). */
void es_fiber_free(EsFiber *fiber);
/* Runs the fiber from the main stack until it yields or returns. */
void es_fiber_resume(EsFiber *fiber);
/* From inside a fiber: back to whoever resumed it. The next resume may come from another
 * thread, so OpenSSL's error queue (per thread) must be empty here: a critical if it is not, and
 * the queue is cleared. */
void es_fiber_yield(void);
gboolean es_fiber_is_finished(const EsFiber *fiber);
/* The fiber running now, NULL on the main stack. */
EsFiber *es_fiber_current(void);
/* Deepest stack use seen so far (bytes), from the untouched-pattern watermark; 0 under
 * valgrind, which forbids the scan. */
gsize es_fiber_stack_used(const EsFiber *fiber);

#endif
