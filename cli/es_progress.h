/* The progress line of `enrolsim run` on a terminal: simulated time, enrolled/total, events
 * per wall-second and an estimate of the time left, a few times per wall-second on stderr. */
#ifndef ES_PROGRESS_H
#define ES_PROGRESS_H

#include "sim/es_run.h"

typedef struct EsProgress EsProgress;

/* NULL unless stderr is a terminal (nothing to show then); pass es_progress_report and it as
 * EsRunOptions.progress and .progress_arg. */
EsProgress *es_progress_new(void);
void es_progress_report(void *progress, const EsRunProgress *p);
/* Clears the line and frees. */
void es_progress_free(EsProgress *progress);

#endif
