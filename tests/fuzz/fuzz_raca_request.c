/* Fuzzes the RA/CA's request path: DER decoding, CMP validation and processing of whatever
 * arrives, including replays of valid requests mutated by the fuzzer. */
#include "tests/fuzz/fuzz_common.h"

#include <openssl/err.h>
#include "nodes/es_raca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const EsFuzzWorld *w = es_fuzz_world();
  static EsRaca *raca;
  if (raca == NULL) {
    EsRacaConfig c = {.confirm_wait_s = 30, .workers = 1, .epoch = ES_FUZZ_EPOCH,
                      .cert_validity_s = 86400, .seed = 1};
    raca = es_raca_new(&c, w->pki, NULL, NULL);
  }
  GError *error = NULL;
  GBytes *rsp = es_raca_process(raca, data, size, &error);
  if (rsp != NULL)
    g_bytes_unref(rsp);
  g_clear_error(&error);
  /* Transactions left open by valid-looking requests must not pile up across inputs. */
  es_raca_expire_all(raca);
  ERR_clear_error();
  return 0;
}
