/* OpenSSL's default provider behind a filter that offers only the key types a simulated run
 * makes: in OpenSSL 3.0 every key a certificate carries costs a decoder chain built from all
 * decoders on offer, and every key encoded an encoder chain. */
#ifndef ES_PROVIDER_H
#define ES_PROVIDER_H

#include <glib.h>

#include "pki/es_pki.h"

/* Loads the filter into OpenSSL's default library context. Call it before anything fetches
 * an algorithm: once the default provider is active, the filter would only add to it. Does
 * nothing when the OpenSSL configuration activates providers itself (they are the user's
 * choice). Every algorithm is still the default provider's; only decoders and encoders of
 * other key types than EC and RSA are hidden, and ECDSA verification may be answered by the
 * same verification made ahead (es_sigcache.h, off until enabled). FALSE with `error` set if
 * OpenSSL refuses it. */
gboolean es_provider_install(GError **error);
/* Narrows the decoders on offer to those that read DER keys of these `n` types (EC's for P-256
 * and P-384, RSA's), leaving out PEM, encrypted keys and the decoders of no key type: what a
 * simulated run decodes is the DER of keys it made. Each decoder chain is then
 * built from 4 decoders per key type instead of 13: a tenth less CPU time in a simulated run.
 * FALSE, and nothing changed, once OpenSSL has asked for the decoders or without the filter. */
gboolean es_provider_narrow_decoders(const EsKeyType *types, gsize n);
/* How many decoders the filter offers (13, or 4 per key type narrowed to); 0 without it. */
guint es_provider_decoders_offered(void);
/* TRUE once es_provider_install put the filter in place. */
gboolean es_provider_active(void);
/* What results and benchmarks report (wall_clock.openssl_providers): "trimmed" when the filter
 * is in place, "configured" when OpenSSL's providers are as its configuration loads them. */
const char *es_provider_name(void);

#endif
