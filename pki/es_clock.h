/* The wall clock that OpenSSL reads (CMP messageTime, certificate and CRL checks). In a
 * simulated run it is the scenario's epoch plus simulated time, so results never depend on
 * when the run happened; elsewhere it is the real clock. */
#ifndef ES_CLOCK_H
#define ES_CLOCK_H

#include <glib.h>

/* Seconds since the Unix epoch. */
typedef gint64 (*EsClockFn)(void *arg);

/* Routes time() through fn (NULL: the real clock again). Works because this library defines
 * time() and executables export it (see pki/CMakeLists.txt), so libcrypto binds to it. */
void es_clock_set(EsClockFn fn, void *arg);
/* Fixes what time() returns on the calling thread (until es_clock_unfix_thread): work done
 * off the simulation's thread for a given simulated moment reads that moment. */
void es_clock_fix_thread(gint64 now);
void es_clock_unfix_thread(void);
/* What time() returns now. */
gint64 es_clock_now(void);

#endif
