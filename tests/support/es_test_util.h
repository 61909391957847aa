/* Helpers shared by the unit tests: running the openssl CLI (the interop reference for every
 * certificate and CRL the project writes). */
#ifndef ES_TEST_UTIL_H
#define ES_TEST_UTIL_H

#include <glib.h>

/* Runs `openssl FIRST ...` (NULL-terminated; $ES_OPENSSL overrides the program) and returns
 * its exit status; *output (may be NULL) gets stdout and stderr together, to be freed. */
int es_test_run_openssl(char **output, const char *first, ...) G_GNUC_NULL_TERMINATED;

#endif
