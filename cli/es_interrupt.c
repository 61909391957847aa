/* The signal handlers of run, sweep and enrol: only a flag and write(2) in the handler, as
 * POSIX allows; the commands look at the flag between events. */
#include "cli/es_interrupt.h"

#include <string.h>
#include <unistd.h>
#include <glib.h>

volatile sig_atomic_t es_interrupt_signal = 0;
static char message[160];
static size_t message_len;

static void on_signal(int sig)
{
  if (es_interrupt_signal != 0) {
    /* The second one: the default action, i.e. the end of the program, now. */
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  es_interrupt_signal = sig;
  ssize_t ignored = write(STDERR_FILENO, message, message_len);
  (void)ignored;
}

void es_interrupt_install(const char *what)
{
  g_snprintf(message, sizeof message,
             "\nenrolsim: interrupted: %s (once more to abort at once)\n", what);
  message_len = strlen(message);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

int es_interrupt_exit_status(void)
{
  return es_interrupt_signal != 0 ? 128 + es_interrupt_signal : 0;
}

void es_interrupt_restore(void)
{
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
}

void es_interrupt_ignore_file_size_limit(void)
{
  signal(SIGXFSZ, SIG_IGN);
}
