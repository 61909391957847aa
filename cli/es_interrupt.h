/* Ctrl-C and SIGTERM while a command works: the first asks it to stop at the next step and
 * keep its results, the second ends the program at once. */
#ifndef ES_INTERRUPT_H
#define ES_INTERRUPT_H

#include <signal.h>

/* The first SIGINT or SIGTERM caught since es_interrupt_install, 0 while none came. The
 * handler only sets it (and writes one line to stderr). */
extern volatile sig_atomic_t es_interrupt_signal;

/* Catches SIGINT and SIGTERM from now on. Without SA_RESTART, so a blocking wait returns
 * EINTR and its caller sees the flag. `what` says what the first signal does ("stopping the
 * run at the next event and writing its results"). */
void es_interrupt_install(const char *what);
/* 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a program
 * the signal ended; 0 while none came. */
int es_interrupt_exit_status(void);
/* Takes the default action again: the next signal ends the program at once. */
void es_interrupt_restore(void);

/* A file-size limit (ulimit -f) makes a write fail with EFBIG, reported with the file's path,
 * instead of ending the program with SIGXFSZ and a core dump halfway through its results. */
void es_interrupt_ignore_file_size_limit(void);

#endif
