/* Fuzzes the RA/CA's request path: DER decoding, CMP validation and processing of whatever
 * arrives, including replays of valid requests mutated by the fuzzer, at an RA/CA as made and
 * at one rolled over to a new root (a root-update genm answered with it); the same input as a
 * sequence of messages to an RA/CA whose CA approves late (`waiting`, pollReq, pollRep); and
 * as a sequence to an RA in front of a CA (a request checked, then forwarded or refused). */
#include "tests/fuzz/fuzz_common.h"

#include <stdlib.h>
#include <openssl/err.h>
#include "engines/es_loop_engine.h"
#include "nodes/es_cmp.h"
#include "nodes/es_raca.h"

/* Length of the DER SEQUENCE at the start of `data` (tag and length included), 0 if none. */
static size_t der_length(const uint8_t *data, size_t size)
{
  if (size < 2 || data[0] != 0x30)
    return 0;
  size_t len = data[1], head = 2;
  if (len & 0x80) {
    size_t n = len & 0x7f;
    if (n == 0 || n > 3 || size < 2 + n)
      return 0;
    len = 0;
    for (size_t i = 0; i < n; i++)
      len = len << 8 | data[2 + i];
    head += n;
  }
  return head + len <= size ? head + len : 0;
}

static void noop(void *arg) { (void)arg; }

/* Up to six DER messages to a fresh RA/CA whose approval takes 1.5 s and whose checkAfter
 * is 1 s, in the client's rhythm (a pollRep is waited out, anything else answered at once):
 * the seed's ir is answered `waiting`, its pollReqs at 0 and 1 s get pollReps, the one at 2 s
 * the ip, its certConf the pkiConf; mutations meet a transaction in each of these states. */
static void process_sequence(const EsFuzzWorld *w, const uint8_t *data, size_t size)
{
  EsLoopEngine *loop = es_loop_engine_new(0.001);
  EsEngine *engine = es_loop_engine_get0_engine(loop);
  EsRacaConfig c = {.confirm_wait_s = 30, .workers = 1, .epoch = ES_FUZZ_EPOCH,
                    .cert_validity_s = 86400, .seed = 1, .approval_delay_s = 1.5,
                    .check_after_s = 1};
  EsRaca *raca = es_raca_new(&c, w->pki, engine, NULL);
  size_t off = 0, len;
  for (int i = 0; i < 6 && raca != NULL && (len = der_length(data + off, size - off)) > 0; i++) {
    GError *error = NULL;
    GBytes *rsp = es_raca_process(raca, data + off, len, &error);
    double wait = 0.001;
    if (rsp != NULL) {
      if (es_cmp_peek_body_type(g_bytes_get_data(rsp, NULL), g_bytes_get_size(rsp))
          == ES_CMP_POLLREP)
        wait = 1;
      g_bytes_unref(rsp);
    }
    g_clear_error(&error);
    off += len;
    double until = es_engine_now(engine) + wait;
    es_engine_timer_add(engine, wait, noop, NULL);
    es_loop_engine_run(loop, until);
  }
  es_raca_free(raca);
  es_loop_engine_free(loop);
}

static void on_answer(void *arg, const EsResponse *r)
{
  (void)r;
  *(gboolean *)arg = TRUE;
}

/* Up to six DER messages posted in turn, through the engine and the RA's queue, to an RA
 * (held answers up to 0.5 s, checkAfter 1 s) in front of a CA that approves in 1 s. */
static void process_split(const EsFuzzWorld *w, const uint8_t *data, size_t size)
{
  EsLoopEngine *loop = es_loop_engine_new(0.001);
  EsEngine *engine = es_loop_engine_get0_engine(loop);
  EsRacaConfig c = {.confirm_wait_s = 30, .workers = 1, .epoch = ES_FUZZ_EPOCH,
                    .cert_validity_s = 86400, .seed = 1, .check_after_s = 1,
                    .poll_threshold_s = 0.5, .upstream = TRUE};
  EsRaca *ra = es_raca_new(&c, w->pki, engine, NULL);
  c.upstream = FALSE;
  c.approval_delay_s = 1;
  c.seed = 2;
  EsRaca *ca = es_raca_new(&c, w->pki, engine, NULL);
  if (ra != NULL && ca != NULL) {
    es_raca_attach(ra, 0);
    es_raca_attach(ca, 1);
    EsChannel *ch = es_engine_channel_open(engine, 1);
    size_t off = 0, len;
    for (int i = 0; i < 6 && (len = der_length(data + off, size - off)) > 0; i++) {
      gboolean answered = FALSE;
      es_channel_post(ch, engine, "application/pkixcmp", data + off, len, on_answer, &answered);
      off += len;
      es_loop_engine_run(loop, es_engine_now(engine) + 3);
      if (!answered)
        break;
    }
    es_channel_close(ch, engine);
    es_loop_engine_run(loop, es_engine_now(engine) + 100);
  }
  es_raca_free(ra);
  es_raca_free(ca);
  es_loop_engine_free(loop);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const EsFuzzWorld *w = es_fuzz_world();
  /* One as made, one rolled over to the next root (signing under it, answering a root update
   * with one). */
  static EsRaca *racas[2];
  if (racas[0] == NULL) {
    EsRacaConfig c = {.confirm_wait_s = 30, .workers = 1, .epoch = ES_FUZZ_EPOCH,
                      .cert_validity_s = 86400, .seed = 1};
    racas[0] = es_raca_new(&c, w->pki, NULL, NULL);
    racas[1] = es_raca_new(&c, w->pki, NULL, NULL);
    if (racas[1] == NULL || !es_raca_roll_over(racas[1], NULL))
      abort();
  }
  for (int i = 0; i < 2; i++) {
    GError *error = NULL;
    GBytes *rsp = es_raca_process(racas[i], data, size, &error);
    if (rsp != NULL)
      g_bytes_unref(rsp);
    g_clear_error(&error);
    /* Transactions left open by valid-looking requests must not pile up across inputs. */
    es_raca_expire_all(racas[i]);
    ERR_clear_error();
  }
  process_sequence(w, data, size);
  ERR_clear_error();
  process_split(w, data, size);
  ERR_clear_error();
  return 0;
}
