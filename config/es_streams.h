/* Every random-stream identifier of the program, in one place so that no two uses share a
 * stream. A run's randomness is (seed, stream) -> ChaCha20 (pki/es_rand.h), or an ns-3
 * RngStream number; changing a value here changes every result that draws from it. */
#ifndef ES_STREAMS_H
#define ES_STREAMS_H

#include <glib.h>

/* es_rand streams of a run's seed. */
/* eNB k's first session reads stream k; its session s >= 1 (a kur, an rr, a restart) reads
 * k + (s << 32). eNB numbers stay below 2^32, sessions below 2^16. */
#define ES_STREAM_ENB(k, session) ((guint64)(k) + ((guint64)(session) << 32))
/* eNB k's factory credential. */
#define ES_STREAM_DEVICE(k) (G_GUINT64_CONSTANT(0xde71ce0000000000) + (guint64)(k))
#define ES_STREAM_PKI G_GUINT64_CONSTANT(0x9e1a000000000001)      /* the run's CAs */
#define ES_STREAM_SCHEDULE G_GUINT64_CONSTANT(0x9e1a000000000002) /* power-on times */
#define ES_STREAM_KEY_POOL G_GUINT64_CONSTANT(0x9e1a000000000003) /* pooled RSA keys */
#define ES_STREAM_HOSTILE G_GUINT64_CONSTANT(0x9e1a000000000004)  /* which eNBs are hostile */
#define ES_STREAM_HOSTILE_PKI G_GUINT64_CONSTANT(0x9e1a000000000005) /* unknown vendor, rogue */
/* serve's injected faults (engines/es_faults.h): one draw per request, one per transaction
 * whose certConf comes. */
#define ES_STREAM_FAULTS G_GUINT64_CONSTANT(0x9e1a000000000006)
/* TLS on the simulated backhaul (transport.tls): every connection end's draws, in event order. */
#define ES_STREAM_TLS G_GUINT64_CONSTANT(0x9e1a000000000007)
/* The TLS certificate of the servers on port p (0: the RA/CAs' own) reads ES_STREAM_TLS_PKI + p. */
#define ES_STREAM_TLS_PKI G_GUINT64_CONSTANT(0x9e1a000000010000)
/* An RA/CA's own stream (serials, signatures) and its service times, of the RA/CA's seed. */
#define ES_STREAM_RACA G_GUINT64_CONSTANT(0x7ac0000000000000)
#define ES_STREAM_RACA_SERVICE G_GUINT64_CONSTANT(0x7ac0000000000001)
/* Its checks beside the library's (signature verifications, which may draw blinding bytes)
 * and its refusals: apart, so that they leave ES_STREAM_RACA's draws as they were. */
#define ES_STREAM_RACA_CHECKS G_GUINT64_CONSTANT(0x7ac0000000000002)
/* Its CA approval delays (raca.approval=exponential), one draw per certificate request. */
#define ES_STREAM_RACA_APPROVAL G_GUINT64_CONSTANT(0x7ac0000000000003)
/* An RA's own requests to the CA behind it (raca.upstream): their nonces and signatures. */
#define ES_STREAM_RACA_UPSTREAM G_GUINT64_CONSTANT(0x7ac0000000000004)
/* rollout.start = enrolled: the installed base's issue dates, keys and signatures. */
#define ES_STREAM_INSTALLED G_GUINT64_CONSTANT(0x9e1a000000000008)
/* enb.renew_window: each renewal's share of the window. */
#define ES_STREAM_RENEWAL G_GUINT64_CONSTANT(0x9e1a000000000009)
/* revocation.share's choice of certificates, crl_fetch's phases and jitters. */
#define ES_STREAM_CRL_DIST G_GUINT64_CONSTANT(0x9e1a00000000000a)
/* The SeGWs' crl_fetch phases and jitters: apart, so that the eNBs' draws (and who is
 * revoked) are those of the same run without SeGWs. */
#define ES_STREAM_CRL_DIST_SEGW G_GUINT64_CONSTANT(0x9e1a00000000000c)
/* rollover.spread: when each eNB asks for the root CA key update (es_rollover.c). */
#define ES_STREAM_ROLLOVER G_GUINT64_CONSTANT(0x9e1a00000000000b)
/* The signature checks made ahead of the receivers (nodes/es_predecode.h): no result reads
 * it. */
#define ES_STREAM_PREDECODE G_GUINT64_CONSTANT(0x9e1a00000000000d)

/* Seeds derived from the run's: RA/CA r >= 1 gets seed + r * step (RA/CA 0 keeps the run's,
 * as with one RA/CA); the rogue RA/CA gets seed ^ ES_STREAM_HOSTILE_PKI. */
#define ES_SEED_RACA_STEP G_GUINT64_CONSTANT(0x9e3779b97f4a7c15)

/* ns-3 RngStream numbers (the run's seed becomes ns-3's seed 1 + seed % 4294944442 and run
 * seed / 4294944442, es_ns3_init): link with stream index i has loss
 * streams 2i and 2i+1 (one per direction), burst streams ES_NS3_STREAM_BURST + 2i (+1),
 * corruption ES_NS3_STREAM_CORRUPT + 2i (+1); node n's Internet stack (ARP and friends)
 * 16 streams from ES_NS3_STREAM_STACK + 16n. */
#define ES_NS3_STREAM_STACK (G_GINT64_CONSTANT(1) << 40)
#define ES_NS3_STREAM_BURST (G_GINT64_CONSTANT(1) << 41)
#define ES_NS3_STREAM_CORRUPT (G_GINT64_CONSTANT(1) << 42)

#endif
