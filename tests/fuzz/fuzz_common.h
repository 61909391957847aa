/* Shared set-up of the fuzz targets: one deterministic hierarchy and device credential,
 * made once per process, so each input costs only the code under test. */
#ifndef ES_FUZZ_COMMON_H
#define ES_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include "pki/es_pki.h"

#define ES_FUZZ_EPOCH 1793491200 /* 2026-11-01T00:00:00Z */

typedef struct {
  EsPki *pki;
  EVP_PKEY *device_key;
  X509 *device_cert;
} EsFuzzWorld;

const EsFuzzWorld *es_fuzz_world(void);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
