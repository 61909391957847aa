/* Fuzzes the eNB's response path: the input replaces the RA/CA's ip on its way to a real eNB,
 * which must refuse it, never crash, and free everything. */
#include "tests/fuzz/fuzz_common.h"

#include <openssl/err.h>
#include "nodes/es_enb.h"
#include "engines/es_loop_engine.h"
#include "nodes/es_raca.h"

typedef struct {
  const uint8_t *data;
  size_t size;
} Input;

static GBytes *replace(void *arg, guint enb, const guint8 *body, gsize len)
{
  const Input *in = arg;
  (void)enb, (void)body, (void)len;
  return g_bytes_new(in->data, in->size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const EsFuzzWorld *w = es_fuzz_world();
  Input in = {data, size};
  EsLoopEngine *loop = es_loop_engine_new(0.001);
  EsEngine *engine = es_loop_engine_get0_engine(loop);
  EsRacaConfig rc = {.confirm_wait_s = 30, .workers = 1, .epoch = ES_FUZZ_EPOCH,
                     .cert_validity_s = 86400, .seed = 1};
  EsRaca *raca = es_raca_new(&rc, w->pki, engine, NULL);
  es_raca_attach(raca, 0);
  es_loop_engine_set_tamper(loop, replace, &in);
  EsEnbConfig ec = {.new_key = ES_KEY_P256, .msg_timeout_s = 5, .epoch = ES_FUZZ_EPOCH,
                    .seed = 1, .deterministic = TRUE};
  EsEnb *enb = es_enb_new(1, &ec, w->pki, engine);
  es_enb_set1_device(enb, w->device_cert, w->device_key);
  es_enb_start(enb);
  es_loop_engine_run(loop, 100);
  es_enb_free(enb);
  es_raca_free(raca);
  es_loop_engine_free(loop);
  ERR_clear_error();
  return 0;
}
