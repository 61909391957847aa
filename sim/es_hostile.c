/* Hostile and broken eNBs (hostile.* keys): which eNBs, their foreign PKI, the rogue RA/CA,
 * and what they achieved. */
#include "sim/es_run_priv.h"

#include "nodes/es_cmp.h"

const char *const es_hostile_names[HOSTILE_CLASSES] = {"none", "unknown_vendor", "expired_device",
                                                       "rogue_raca", "forger", "replayer"};


/* Which eNBs are hostile: one draw per eNB from the run's seed, the hostile.* shares slicing
 * [0, 1) in turn, so an eNB is in one class at most and the same eNBs are hostile in every
 * replication of the same seed. */
void es_run_choose_hostile(EsRun *run)
{
  const EsScenario *sc = run->sc;
  const double share[HOSTILE_CLASSES] = {0, sc->hostile.unknown_vendor,
                                         sc->hostile.expired_device, sc->hostile.rogue_raca,
                                         sc->hostile.forger, sc->hostile.replayer};
  double any = 0;
  for (guint c = HOSTILE_NONE + 1; c < HOSTILE_CLASSES; c++)
    any += share[c];
  if (any <= 0)
    return;
  run->hostile = g_new0(guint8, sc->enbs + 1);
  EsRand *rand = es_rand_new(sc->seed, ES_STREAM_HOSTILE);
  for (guint k = 1; k <= sc->enbs; k++) {
    double u = es_rand_double(rand), edge = 0;
    for (guint c = HOSTILE_NONE + 1; c < HOSTILE_CLASSES; c++) {
      edge += share[c];
      if (u < edge) {
        run->hostile[k] = (guint8)c;
        run->hostile_enbs[c]++;
        break;
      }
    }
  }
  es_rand_free(rand);
}

/* What the RA/CAs hold (the run's hierarchy, without the cross certificate when raca.cross
 * is false), an unknown vendor's hierarchy and a rogue RA/CA's, as the hostile eNBs need. */
gboolean es_run_make_hostile_pki(EsRun *run, GError **error)
{
  const EsScenario *sc = run->sc;
  run->raca_pki = es_pki_dup(run->pki);
  if (!sc->raca.cross)
    es_pki_set0_raca_cross(run->raca_pki, NULL);
  if (run->hostile_enbs[HOSTILE_UNKNOWN_VENDOR] == 0 && run->hostile_enbs[HOSTILE_ROGUE_RACA] == 0)
    return TRUE;
  EsRand *rand = es_rand_new(sc->seed, ES_STREAM_HOSTILE_PKI);
  EsRand *prev = es_rand_set_current(rand);
  gboolean ok = TRUE;
  if (run->hostile_enbs[HOSTILE_UNKNOWN_VENDOR] > 0)
    ok = (run->foreign_vendor = es_pki_generate(es_pki_get_key_type(run->pki), sc->epoch,
                                                error)) != NULL;
  if (ok && run->hostile_enbs[HOSTILE_ROGUE_RACA] > 0)
    ok = (run->rogue_pki = es_pki_generate_rogue(run->pki, error)) != NULL;
  es_rand_set_current(prev);
  es_rand_free(rand);
  return ok;
}

/* The forgers and replayers (hostile.forger, hostile.replayer): each sits on the path of the
 * eNB of its class, sees CMP in clear, and strikes once, at the next enrolment of an eNB that
 * is not hostile (its victim) it sees the RA/CA issue for. Seeing is modelled by the RA/CA's
 * issue event, which names the ir; striking is posting over the network from the eNB's node.
 * What the RA/CA issued or revoked while processing an attacker's post is what it achieved. */
typedef struct {
  EsRun *run;
  guint enb;                    /* where it sits */
  EsHostile cls;
  guint victim;                 /* 0: not struck yet */
  GBytes *posts[2];             /* what it posts, in turn */
  guint next;                   /* the next of posts[] to send */
  GBytes *posting;              /* the one in flight, as the RA/CA will see it */
  gboolean outstanding;         /* a post awaits its answer (one at a time per channel) */
  EsChannel *channel;
  guint64 timer;
  gboolean disrupted;           /* the RA/CA revoked the victim's certificate for a post */
  guint issued;                 /* certificates the RA/CA issued for its posts */
} Attacker;

struct EsAttacks {
  Attacker *attackers;
  guint n;
  guint8 *targeted;             /* per eNB number: struck at already */
};

static void post_next(void *arg);

static void on_attacker_response(void *arg, const EsResponse *response)
{
  (void)response; /* an error or a rejection: what it achieved shows in the RA/CA's events */
  Attacker *a = arg;
  a->outstanding = FALSE;
  g_clear_pointer(&a->posting, g_bytes_unref);
  a->timer = es_engine_timer_add(a->run->engine, 0, post_next, a);
}

static void on_connected(void *arg, const EsResponse *response)
{
  (void)response;
  Attacker *a = arg;
  a->outstanding = FALSE;
  if (a->timer == 0 && a->posts[a->next] != NULL && a->next < G_N_ELEMENTS(a->posts))
    a->timer = es_engine_timer_add(a->run->engine, 0, post_next, a);
}

/* An attacker waiting on the path has its connection to the RA/CA ready: it opens it at the
 * start with a request the RA/CA refuses unread (415, no queue). */
static void connect_early(void *arg)
{
  Attacker *a = arg;
  a->timer = 0;
  a->channel = es_engine_channel_open(a->run->engine, a->enb);
  a->outstanding = TRUE;
  es_channel_post(a->channel, a->run->engine, "text/plain", (const guint8 *)"", 0, on_connected, a);
}

static void post_next(void *arg)
{
  Attacker *a = arg;
  a->timer = 0;
  if (a->outstanding || a->next >= G_N_ELEMENTS(a->posts) || a->posts[a->next] == NULL)
    return;
  a->outstanding = TRUE;
  a->posting = g_bytes_ref(a->posts[a->next++]);
  if (a->channel == NULL)
    a->channel = es_engine_channel_open(a->run->engine, a->enb);
  gsize n;
  const guint8 *der = g_bytes_get_data(a->posting, &n);
  es_channel_post(a->channel, a->run->engine, "application/pkixcmp", der, n, on_attacker_response,
                  a);
}

/* A certConf under the victim's transactionID: the ir's header (sender, nonces and all), a
 * certConf body accepting a certificate of hash zero, the ir's protection (which no longer
 * verifies). The simplest forgery anyone who saw the ir can make. */
static GBytes *forged_certconf(const guint8 *ir, gsize len)
{
  const unsigned char *p = ir, *end;
  long n;
  int tag, xclass;
  if ((ASN1_get_object(&p, &n, &tag, &xclass, (long)len) & 0x80))
    return NULL;
  end = p + n;
  const unsigned char *header = p;
  if ((ASN1_get_object(&p, &n, &tag, &xclass, end - p) & 0x80) || n > end - p)
    return NULL;
  p += n;
  gsize header_len = (gsize)(p - header);
  if ((ASN1_get_object(&p, &n, &tag, &xclass, end - p) & 0x80) || n > end - p) /* body */
    return NULL;
  p += n;
  const unsigned char *protection = p;
  if ((ASN1_get_object(&p, &n, &tag, &xclass, end - p) & 0x80) || n > end - p
      || xclass != V_ASN1_CONTEXT_SPECIFIC || tag != 0)
    return NULL;
  gsize protection_len = (gsize)(p + n - protection);
  /* [24] { SEQUENCE { SEQUENCE { OCTET STRING (32 zeros), INTEGER 0 } } } */
  static const guint8 body[] = {0xb8, 0x29, 0x30, 0x27, 0x30, 0x25, 0x04, 0x20,
                                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                0x02, 0x01, 0x00};
  int content = (int)(header_len + sizeof body + protection_len);
  int total = ASN1_object_size(1, content, V_ASN1_SEQUENCE);
  guint8 *out = g_malloc((gsize)total);
  unsigned char *o = out;
  ASN1_put_object(&o, 1, content, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
  memcpy(o, header, header_len);
  memcpy(o + header_len, body, sizeof body);
  memcpy(o + header_len + sizeof body, protection, protection_len);
  return g_bytes_new_take(out, (gsize)total);
}

/* The ir again, a bit of its protection flipped: an ir anyone could post under that ID. */
static GBytes *forged_ir(const guint8 *ir, gsize len)
{
  GBytes *stripped = es_cmp_strip_extra_certs(ir, len);
  if (stripped == NULL)
    return NULL;
  gsize n;
  guint8 *copy = g_bytes_unref_to_data(stripped, &n);
  copy[n - 1] ^= 0x01; /* the last byte of the signature */
  return g_bytes_new_take(copy, n);
}

static void strike(EsRun *run, guint victim, const guint8 *ir, gsize len)
{
  struct EsAttacks *at = run->attacks;
  Attacker *a = NULL;
  guint raca = es_topology_enb_raca(run->topo, victim);
  for (guint i = 0; i < at->n && a == NULL; i++)
    if (at->attackers[i].victim == 0 && es_topology_enb_raca(run->topo, at->attackers[i].enb) == raca)
      a = &at->attackers[i];
  if (a == NULL)
    return;
  a->victim = victim;
  at->targeted[victim] = 1;
  if (a->cls == HOSTILE_FORGER) {
    a->posts[0] = forged_certconf(ir, len);
    a->posts[1] = forged_ir(ir, len);
    a->timer = es_engine_timer_add(run->engine, 0, post_next, a);
  } else {
    /* Once the RA/CA forgot the answer it keeps for a resend of these very bytes. */
    a->posts[0] = g_bytes_new(ir, len);
    a->timer = es_engine_timer_add(run->engine, run->sc->raca.confirm_wait_s + 1, post_next, a);
  }
}

static void on_raca_event(void *arg, const EsRacaEvent *ev)
{
  EsRun *run = arg;
  es_collector_raca_observer()->event(run->collector, ev);
  struct EsAttacks *at = run->attacks;
  if (at == NULL || ev->request_der == NULL)
    return;
  guint enb = es_run_enb_of_cert(ev->cert);
  for (guint i = 0; i < at->n; i++) {
    Attacker *a = &at->attackers[i];
    gsize n;
    const guint8 *posted = a->posting != NULL ? g_bytes_get_data(a->posting, &n) : NULL;
    if (posted == NULL || n != ev->request_len || memcmp(posted, ev->request_der, n) != 0)
      continue;
    if (ev->kind == ES_RACA_EVENT_ISSUED)
      a->issued++;
    else if (enb == a->victim)
      a->disrupted = TRUE;
    return;
  }
  if (ev->kind == ES_RACA_EVENT_ISSUED && (ev->request == ES_CMP_IR || ev->request == ES_CMP_CR)
      && enb >= 1 && enb <= run->sc->enbs && run->hostile[enb] == HOSTILE_NONE
      && !at->targeted[enb])
    strike(run, enb, ev->request_der, ev->request_len);
}

static void on_queue_changed(void *arg, guint raca, guint waiting, guint busy, double t)
{
  EsRun *run = arg;
  es_collector_raca_observer()->queue_changed(run->collector, raca, waiting, busy, t);
}

static void on_backlog_changed(void *arg, guint raca, guint waiting, double t)
{
  EsRun *run = arg;
  es_collector_raca_observer()->backlog_changed(run->collector, raca, waiting, t);
}

static void on_duplicate(void *arg, const X509_NAME *subject, double t)
{
  EsRun *run = arg;
  es_collector_raca_observer()->duplicate(run->collector, subject, t);
}

/* The run's RA/CAs front one CA: a request one of them saw is a replay at any other. */
static void on_remember(void *arg, GBytes *id, GBytes *nonce, gint64 message_time)
{
  EsRun *run = arg;
  for (guint r = 0; r < run->n_racas; r++)
    es_raca_remember_request(run->racas[r], id, nonce, message_time);
}

/* Places the attackers and puts them on the path: every RA/CA's events pass them first. With
 * several RA/CAs, each also learns the requests the others have seen. */
static void start_attackers(EsRun *run)
{
  static const EsRacaObserver tap = {.event = on_raca_event, .queue_changed = on_queue_changed,
                                     .backlog_changed = on_backlog_changed,
                                     .duplicate = on_duplicate, .remember = on_remember};
  guint n = run->hostile_enbs[HOSTILE_FORGER] + run->hostile_enbs[HOSTILE_REPLAYER];
  if (n > 0 || run->n_racas > 1)
    for (guint r = 0; r < run->n_racas; r++)
      es_raca_set_observer(run->racas[r], &tap, run);
  if (n == 0)
    return;
  struct EsAttacks *at = run->attacks = g_new0(struct EsAttacks, 1);
  at->attackers = g_new0(Attacker, n);
  at->targeted = g_new0(guint8, run->sc->enbs + 1);
  for (guint k = 1; k <= run->sc->enbs; k++)
    if (run->hostile[k] == HOSTILE_FORGER || run->hostile[k] == HOSTILE_REPLAYER)
      at->attackers[at->n++] = (Attacker){.run = run, .enb = k, .cls = run->hostile[k]};
  for (guint i = 0; i < at->n; i++)
    at->attackers[i].timer = es_engine_timer_add(run->engine, 0, connect_early, &at->attackers[i]);
}

void es_run_free_attacks(EsRun *run)
{
  struct EsAttacks *at = run->attacks;
  if (at == NULL)
    return;
  for (guint i = 0; i < at->n; i++) {
    Attacker *a = &at->attackers[i];
    if (a->timer != 0)
      es_engine_timer_cancel(run->engine, a->timer);
    if (a->channel != NULL)
      es_channel_close(a->channel, run->engine);
    for (guint j = 0; j < G_N_ELEMENTS(a->posts); j++)
      if (a->posts[j] != NULL)
        g_bytes_unref(a->posts[j]);
    if (a->posting != NULL)
      g_bytes_unref(a->posting);
  }
  g_free(at->attackers);
  g_free(at->targeted);
  g_free(at);
  run->attacks = NULL;
}

/* The rogue RA/CA: a working CMP server of its own hierarchy, whose cross certificate comes
 * from a forged vendor root, listening on ROGUE_PORT of every RA/CA node; its eNBs connect
 * there over the same path as to the genuine one. It issues from a CA of its own, so nothing
 * it does reaches the operator CA, its CRL or revocations.csv. */
gboolean es_run_start_rogue(EsRun *run, const EsRacaConfig *config, GError **error)
{
  start_attackers(run); /* hostile eNBs beside the RA/CAs, too */
  if (run->rogue_pki == NULL)
    return TRUE;
  EsRacaConfig rc = *config;
  rc.ca = NULL;
  rc.seed = config->seed ^ ES_STREAM_HOSTILE_PKI;
  if ((run->rogue = es_raca_new(&rc, run->rogue_pki, run->engine, error)) == NULL)
    return FALSE;
  if (!es_run_set_tls_credential(run, run->rogue_pki, ROGUE_PORT, error))
    return FALSE;
  for (guint r = 0; r < run->n_ras; r++)
    es_sim_serve_port(run->sim, r, ROGUE_PORT, es_raca_on_request, run->rogue);
  for (guint k = 1; k <= run->sc->enbs; k++)
    if (run->hostile[k] == HOSTILE_ROGUE_RACA)
      es_sim_set_enb_port(run->sim, k, ROGUE_PORT);
  return TRUE;
}

typedef struct {
  guint victims, disrupted, issued;
} AttackCounts;

static AttackCounts attack_counts(EsRun *run, EsHostile cls)
{
  AttackCounts n = {0};
  for (guint i = 0; run->attacks != NULL && i < run->attacks->n; i++) {
    const Attacker *a = &run->attacks->attackers[i];
    if (a->cls != cls)
      continue;
    n.victims += a->victim != 0;
    n.disrupted += a->disrupted;
    n.issued += a->issued;
  }
  return n;
}

char *es_run_attacks_line(EsRun *run)
{
  if (run->attacks == NULL)
    return NULL;
  GString *out = g_string_new("attacks:");
  for (guint c = HOSTILE_FORGER; c <= HOSTILE_REPLAYER; c++) {
    if (run->hostile_enbs[c] == 0)
      continue;
    AttackCounts n = attack_counts(run, c);
    g_string_append_printf(out, "%s %s struck %u enrolments, disrupted %u, got %u certificates",
                           c == HOSTILE_FORGER ? "" : ";", es_hostile_names[c], n.victims,
                           n.disrupted, n.issued);
  }
  g_string_append(out, run->sc->raca.harden ? " (raca.harden=true)" : " (raca.harden=false)");
  return g_string_free(out, FALSE);
}

/* summary.json "hostile": per class the eNBs in it and how many of them enrolled (0 unless
 * a check is missing), and what the rogue RA/CA issued (every such certificate refused). */
void es_run_summarise_hostile(EsRun *run, EsSummary *s)
{
  guint enrolled[HOSTILE_CLASSES] = {0};
  for (guint k = 1; run->hostile != NULL && k <= run->sc->enbs; k++) {
    const char *outcome = es_recorder_get_outcome(es_collector_get0_recorder(run->collector), k);
    if (outcome != NULL && strcmp(outcome, "enrolled") == 0)
      enrolled[run->hostile[k]]++;
  }
  char key[64];
  for (guint c = HOSTILE_NONE + 1; c < HOSTILE_CLASSES; c++) {
    g_snprintf(key, sizeof key, "hostile.%s.enbs", es_hostile_names[c]);
    es_summary_set_uint(s, key, run->hostile_enbs[c]);
    g_snprintf(key, sizeof key, "hostile.%s.enrolled", es_hostile_names[c]);
    es_summary_set_uint(s, key, enrolled[c]);
  }
  EsRacaStats st = {0};
  if (run->rogue != NULL)
    es_raca_get_stats(run->rogue, &st);
  es_summary_set_uint(s, "hostile.rogue_raca.issued_by_rogue", st.issued);
  /* Per attacking class: the victims struck at, those whose certificate the RA/CA revoked for
   * an attacker's post, and the certificates it issued for them. */
  for (guint c = HOSTILE_FORGER; c <= HOSTILE_REPLAYER; c++) {
    AttackCounts n = attack_counts(run, c);
    g_snprintf(key, sizeof key, "hostile.%s.victims", es_hostile_names[c]);
    es_summary_set_uint(s, key, n.victims);
    g_snprintf(key, sizeof key, "hostile.%s.disrupted", es_hostile_names[c]);
    es_summary_set_uint(s, key, n.disrupted);
    g_snprintf(key, sizeof key, "hostile.%s.issued_to_attacker", es_hostile_names[c]);
    es_summary_set_uint(s, key, n.issued);
  }
}

/* hostile.csv: `enb,class`, one row per hostile eNB (the header alone when none is). */
gboolean es_run_write_hostile_csv(EsRun *run, const char *path, GError **error)
{
  GString *out = g_string_new("enb,class\n");
  for (guint k = 1; run->hostile != NULL && k <= run->sc->enbs; k++)
    if (run->hostile[k] != HOSTILE_NONE)
      g_string_append_printf(out, "%u,%s\n", k, es_hostile_names[run->hostile[k]]);
  gboolean ok = g_file_set_contents_full(path, out->str, (gssize)out->len,
                                         G_FILE_SET_CONTENTS_CONSISTENT, 0666, error);
  g_string_free(out, TRUE);
  return ok;
}
