/* time() interposed for OpenSSL: CMP headers carry messageTime, and its signature's length
 * varies with the signed bytes, so a wall-clock read would change packet sizes and timings. */
#include "pki/es_clock.h"

#include <time.h>

static EsClockFn source;
static void *source_arg;
static __thread gboolean fixed;
static __thread gint64 fixed_now;

void es_clock_fix_thread(gint64 now)
{
  fixed = TRUE;
  fixed_now = now;
}

void es_clock_unfix_thread(void) { fixed = FALSE; }

void es_clock_set(EsClockFn fn, void *arg)
{
  source = fn;
  source_arg = arg;
}

gint64 es_clock_now(void)
{
  if (fixed)
    return fixed_now;
  if (source != NULL)
    return source(source_arg);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

time_t time(time_t *out)
{
  time_t t = (time_t)es_clock_now();
  if (out != NULL)
    *out = t;
  return t;
}
