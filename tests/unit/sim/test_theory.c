/* Validation against theory: one eNB on an idle network enrols in the time that link delays,
 * store-and-forward serialisation, the TCP handshake, modelled CPU and service times add up
 * to. Frame sizes come from a capture of the run itself; the timing is what is checked. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/es_run.h"
#include "sim/es_scenario.h"

/* The path eNB -> aggregation router -> core router -> RA/CA: slow access, so serialisation
 * is a visible part of the total (about a fifth), and different delays per link. */
#define ACCESS_BPS 2e6
#define ACCESS_S 0.007
#define AGG_BPS 50e6
#define AGG_S 0.003
#define CORE_BPS 1e9
#define CORE_S 0.0005
#define KEYGEN_S 0.020
#define SIGN_S 0.005
#define IR_SERVICE_S 0.002
#define CERTCONF_SERVICE_S 0.001

typedef struct {
  guint len;      /* bytes on the wire: PPP header, IP, TCP, payload */
  guint payload;  /* TCP payload */
  gboolean up;    /* sent by the eNB */
  guint8 flags;   /* TCP flags */
} Frame;

static guint32 be32(const guint8 *p) {
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

/* The frames of a pcap file (link type PPP: 2-byte header, then IPv4) in capture order. */
static GArray *read_frames(const char *path) {
  gsize len;
  g_autofree guint8 *data = NULL;
  g_assert_true(g_file_get_contents(path, (char **)&data, &len, NULL));
  g_assert_cmpuint(len, >=, 24);
  guint32 magic;
  memcpy(&magic, data, 4);
  g_assert_cmphex(magic, ==, 0xa1b2c3d4); /* written on this host, so host byte order */
  GArray *frames = g_array_new(FALSE, TRUE, sizeof(Frame));
  guint32 enb = 0;
  for (gsize off = 24; off + 16 <= len;) {
    guint32 incl, orig;
    memcpy(&incl, data + off + 8, 4);
    memcpy(&orig, data + off + 12, 4);
    const guint8 *ip = data + off + 16 + 2;
    g_assert_cmpuint(off + 16 + incl, <=, len);
    guint ihl = (ip[0] & 15) * 4, total = (guint)ip[2] << 8 | ip[3];
    const guint8 *tcp = ip + ihl;
    guint thl = (tcp[12] >> 4) * 4;
    if (enb == 0)
      enb = be32(ip + 12); /* the first frame is the eNB's SYN */
    Frame f = {orig, total - ihl - thl, be32(ip + 12) == enb, tcp[13]};
    g_array_append_val(frames, f);
    off += 16 + incl;
  }
  return frames;
}

typedef struct {
  double bps, delay_s;
} Link;

/* Up: eNB to RA/CA. */
static const Link path_up[] = {{ACCESS_BPS, ACCESS_S}, {AGG_BPS, AGG_S}, {CORE_BPS, CORE_S}};
static const Link path_down[] = {{CORE_BPS, CORE_S}, {AGG_BPS, AGG_S}, {ACCESS_BPS, ACCESS_S}};

/* Frames handed to the first link together at time t: each link sends a frame once it has
 * all of it (store and forward) and is free (the frames queue behind each other). Returns
 * when the last one has arrived at the far end; `serialisation` gets its share of that. */
static double pipeline(double t, const Link *path, const guint *sizes, guint n,
                       double *serialisation) {
  double ready[8];
  g_assert_cmpuint(n, <=, G_N_ELEMENTS(ready));
  for (guint k = 0; k < n; k++)
    ready[k] = t;
  for (guint j = 0; j < 3; j++) {
    double free_at = 0;
    for (guint k = 0; k < n; k++) {
      double start = MAX(ready[k], free_at);
      free_at = start + sizes[k] * 8.0 / path[j].bps;
      ready[k] = free_at + path[j].delay_s;
    }
  }
  double prop = path[0].delay_s + path[1].delay_s + path[2].delay_s;
  *serialisation += ready[n - 1] - t - prop;
  return ready[n - 1];
}

/* The frames of the next message in one direction: consecutive frames with payload (and a
 * leading bare ACK sent together with them, as the handshake's last ACK is). */
static guint next_message(GArray *frames, guint *at, gboolean up, guint *sizes, guint max) {
  guint n = 0;
  while (*at < frames->len) {
    Frame *f = &g_array_index(frames, Frame, *at);
    if (f->up != up || (f->payload == 0 && n > 0))
      break;
    if (f->payload == 0 && !(f->up && n == 0)) {
      (*at)++; /* the other side's bare ACK: no part of this message */
      continue;
    }
    g_assert_cmpuint(n, <, max);
    sizes[n++] = f->len;
    (*at)++;
  }
  return n;
}

static void skip_bare_acks(GArray *frames, guint *at) {
  while (*at < frames->len && g_array_index(frames, Frame, *at).payload == 0 &&
         !(g_array_index(frames, Frame, *at).flags & 0x03)) /* not SYN, not FIN */
    (*at)++;
}

static void test_single_enb(void) {
  g_autoptr(EsScenario) sc = es_scenario_new();
  const char *sets[] = {
      "scenario.enbs=1",          "topology.aggregations=1",    "rollout.schedule=burst",
      "backhaul.rate=2Mbps",      "backhaul.latency=7ms",       "aggregation.rate=50Mbps",
      "aggregation.latency=3ms",  "core.rate=1Gbps",            "core.latency=0.5ms",
      "enb.keygen_time=20ms",     "enb.sign_time=5ms",          "raca.ir_service=2ms",
      "raca.certconf_service=1ms", "raca.confirm=explicit",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(sets); i++)
    g_assert_true(es_scenario_set(sc, sets[i], NULL, NULL));
  GError *error = NULL;
  g_assert_true(es_scenario_validate(sc, &error));
  g_autofree char *dir = g_dir_make_tmp("es-theory-XXXXXX", &error);
  g_assert_no_error(error);
  const EsRunCapture first = {ES_SIM_NODE_ENB, 1, 1};
  EsRunOptions options = {.out_dir = dir, .quiet = TRUE, .captures = &first, .n_captures = 1};
  EsRunResult result = {0};
  g_assert_true(es_run_scenario(sc, &options, &result, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(result.stats.enrolled, ==, 1);
  double measured = result.stats.max; /* done_s - start_s of the one eNB */
  es_run_result_clear(&result);

  g_autofree char *pcap = g_build_filename(dir, "pcap", "enb-1.pcap", NULL);
  g_autoptr(GArray) frames = read_frames(pcap);
  guint at = 0, sizes[8], n;
  double ser = 0;

  /* 1. Power on: new key pair and the ir's signature, in modelled CPU time. */
  double t = KEYGEN_S + SIGN_S, cpu = t;
  /* 2. TCP handshake: SYN up, SYN-ACK down (one round trip). */
  Frame *syn = &g_array_index(frames, Frame, at++);
  Frame *synack = &g_array_index(frames, Frame, at++);
  g_assert_true(syn->up && (syn->flags & 0x02) && !synack->up && (synack->flags & 0x12) == 0x12);
  t = pipeline(t, path_up, &syn->len, 1, &ser);
  t = pipeline(t, path_down, &synack->len, 1, &ser);
  double handshake = t - cpu;
  /* 3. ir: the handshake's last ACK and the request go out back to back. */
  n = next_message(frames, &at, TRUE, sizes, 8);
  g_assert_cmpuint(n, >=, 2);
  t = pipeline(t, path_up, sizes, n, &ser);
  /* 4. The RA/CA verifies, issues and signs; ip comes back (two segments at this size). */
  t += IR_SERVICE_S;
  skip_bare_acks(frames, &at);
  n = next_message(frames, &at, FALSE, sizes, 8);
  g_assert_cmpuint(n, >=, 1);
  t = pipeline(t, path_down, sizes, n, &ser);
  /* 5. certConf, signed, on the kept-alive connection. */
  t += SIGN_S;
  cpu += SIGN_S;
  skip_bare_acks(frames, &at);
  n = next_message(frames, &at, TRUE, sizes, 8);
  g_assert_cmpuint(n, >=, 1);
  t = pipeline(t, path_up, sizes, n, &ser);
  /* 6. pkiConf ends the enrolment. */
  t += CERTCONF_SERVICE_S;
  skip_bare_acks(frames, &at);
  n = next_message(frames, &at, FALSE, sizes, 8);
  g_assert_cmpuint(n, >=, 1);
  t = pipeline(t, path_down, sizes, n, &ser);

  double one_way = ACCESS_S + AGG_S + CORE_S;
  /* Six one-way trips: SYN, SYN-ACK, ir, ip, certConf, pkiConf. */
  g_test_message("theory: CPU %.6f + propagation 6 x %.6f = %.6f + serialisation %.6f + "
                 "service %.6f = %.6f s (handshake round trip %.6f s)",
                 cpu, one_way, 6 * one_way, ser, IR_SERVICE_S + CERTCONF_SERVICE_S, t,
                 handshake);
  g_assert_cmpfloat(fabs(cpu + 6 * one_way + ser + IR_SERVICE_S + CERTCONF_SERVICE_S - t), <,
                    1e-9);
  g_test_message("simulated: %.6f s; difference %.3f%%", measured,
                 100 * (measured - t) / t);
  /* The terms must all be there: without serialisation the sum would be far off. */
  g_assert_cmpfloat(ser / t, >, 0.1);
  g_assert_cmpfloat(fabs(measured - t) / t, <, 0.01);

  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  g_assert_cmpint(system(cmd), ==, 0);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/theory/single-enb", test_single_enb);
  return g_test_run();
}
