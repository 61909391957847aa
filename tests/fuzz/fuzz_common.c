/* The fuzz world: made under a fixed randomness stream so every run of a target sees the same
 * certificates, and a crasher found once reproduces. */
#include "tests/fuzz/fuzz_common.h"

#include <stdlib.h>
#include "pki/es_rand.h"

const EsFuzzWorld *es_fuzz_world(void)
{
  static EsFuzzWorld world;
  if (world.pki == NULL) {
    GError *error = NULL;
    es_rand_install(1);
    world.pki = es_pki_generate(ES_KEY_P256, ES_FUZZ_EPOCH, &error);
    world.device_key = world.pki != NULL ? es_key_generate(ES_KEY_P256, &error) : NULL;
    world.device_cert = world.device_key != NULL
                            ? es_pki_issue_device(world.pki, 1, world.device_key, &error) : NULL;
    /* Last, so everything above stays as the kept inputs were made with: a next root for the
     * RA/CA that has rolled over. */
    if (world.device_cert != NULL && !es_pki_add_next_root(world.pki, ES_FUZZ_EPOCH, &error))
      g_clear_pointer(&world.device_cert, X509_free);
    if (world.device_cert == NULL) {
      g_printerr("fuzz world: %s\n", error != NULL ? error->message : "?");
      abort();
    }
  }
  return &world;
}
