/* Scenario values driven by one table of keys (name, type, field, default, bounds): defaults,
 * key-file loading, `section.key=value` overrides, range checks and the canonical dump. */
#include "topologies/es_scenario.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(es-scenario-error-quark, es_scenario_error)

typedef enum {
  ES_KEY_UINT,        /* guint, decimal */
  ES_KEY_UINT64,      /* guint64, decimal */
  ES_KEY_STRING,      /* char *, UTF-8, not empty */
  ES_KEY_PATH,        /* char *, UTF-8, may be empty; relative to the key file that set it */
  ES_KEY_KEYTYPE,     /* char *, one of es_key_types */
  ES_KEY_CHOICE,      /* an enum (int): index into the key's words */
  ES_KEY_DURATION,    /* double seconds, written with a unit */
  ES_KEY_RATE,        /* double bits per second, written with a unit */
  ES_KEY_PROBABILITY, /* double in [0, 1] */
  ES_KEY_ARRIVALS,    /* double events per second, written with a unit (10/s, 3/min) */
  ES_KEY_TIME,        /* gint64 Unix seconds, written as ISO 8601 */
  ES_KEY_OUTAGES,     /* EsOutages *, owned, NULL when empty: "100s+30s,500s+10s" */
  /* EsValueList of the element type above them; the bounds apply to every element. */
  ES_KEY_UINT_LIST,
  ES_KEY_DURATION_LIST,
  ES_KEY_RATE_LIST,
  ES_KEY_PROBABILITY_LIST,
} EsKeyType;

typedef struct {
  const char *section;
  const char *key;
  EsKeyType type;
  size_t offset;
  const char *def; /* default as the user would write it: parsed by es_scenario_new */
  /* Inclusive bounds of numeric types; min_open makes the lower one exclusive (> min),
   * for quantities where zero makes no sense (a rate, a timeout). */
  double min, max;
  gboolean min_open;
  const char *const *words; /* ES_KEY_CHOICE: the accepted words, value = index */
  gboolean hidden;          /* an older name of another key: read, never written */
} EsKeyDef;

/* Through KEY_ so that the bound shorthands below expand into three arguments. */
#define KEY(...) KEY_(__VA_ARGS__)
#define KEY_(sec, k, type, field, def, min, max, open) \
  {sec, k, type, offsetof(EsScenario, field), def, min, max, open, NULL, FALSE}
#define CHOICE(sec, k, field, def, words) \
  {sec, k, ES_KEY_CHOICE, offsetof(EsScenario, field), def, 0, 0, FALSE, words, FALSE}
/* An older name kept working: loads into the same field, is never dumped. */
#define ALIAS(...) ALIAS_(__VA_ARGS__)
#define ALIAS_(sec, k, type, field, def, min, max, open) \
  {sec, k, type, offsetof(EsScenario, field), def, min, max, open, NULL, TRUE}
#define ANY 0, INFINITY, FALSE      /* >= 0 */
#define POSITIVE 0, INFINITY, TRUE  /* > 0 */
#define UNIT_RANGE 0, 1, FALSE

static const char *const confirm_words[] = {"explicit", "implicit", NULL};
static const char *const topology_words[] = {"tree", "star", "national", "file", NULL};
static const char *const schedule_words[] = {"burst", "uniform", "waves", "poisson", NULL};
static const char *const service_words[] = {"fixed", "exponential", NULL};
static const char *const retry_words[] = {"resend", "restart", NULL};

/* The impairments every link class has besides its loss: Gilbert-Elliott bursts, outage
 * windows and corruption. `field` is the struct holding them. */
#define IMPAIRMENT_KEYS(sec, prefix, field, def_enter, def_exit, def_bloss)                    \
  KEY(sec, prefix "burst_enter", ES_KEY_PROBABILITY, field.burst_enter, def_enter, UNIT_RANGE), \
      KEY(sec, prefix "burst_exit", ES_KEY_PROBABILITY, field.burst_exit, def_exit, UNIT_RANGE), \
      KEY(sec, prefix "burst_loss", ES_KEY_PROBABILITY, field.burst_loss, def_bloss, UNIT_RANGE), \
      KEY(sec, prefix "outages", ES_KEY_OUTAGES, field.outages, "", ANY),                      \
      KEY(sec, prefix "corruption", ES_KEY_PROBABILITY, field.corruption, "0", UNIT_RANGE)
/* A gboolean field as a choice: index 0 is FALSE. */
static const char *const bool_words[] = {"false", "true", NULL};

/* Access-link classes of the national layout: share, rate, latency (one value or a min,max
 * range), loss and the other impairments. Defaults and their sources: README, "National
 * layout". */
#define ACCESS_KEYS(cls, idx, def_share, def_rate, def_latency, def_loss, def_enter, def_exit,  \
                    def_bloss)                                                                  \
  KEY("national", cls "_share", ES_KEY_PROBABILITY, access_class[idx].share, def_share,       \
      UNIT_RANGE),                                                                            \
      KEY("national", cls "_rate", ES_KEY_RATE, access_class[idx].rate_bps, def_rate,          \
          POSITIVE),                                                                          \
      KEY("national", cls "_latency", ES_KEY_DURATION_LIST, access_class[idx].latency,        \
          def_latency, ANY),                                                                  \
      KEY("national", cls "_loss", ES_KEY_PROBABILITY, access_class[idx].loss, def_loss,       \
          UNIT_RANGE),                                                                        \
      IMPAIRMENT_KEYS("national", cls "_", access_class[idx], def_enter, def_exit, def_bloss)

/* The one list of scenario keys, in the order es_scenario_to_keyfile writes them. */
static const EsKeyDef es_keys[] = {
    KEY("scenario", "name", ES_KEY_STRING, name, "default", ANY),
    KEY("scenario", "seed", ES_KEY_UINT64, seed, "1", ANY),
    KEY("scenario", "enbs", ES_KEY_UINT, enbs, "500", 1, 1000000, FALSE),
    KEY("scenario", "epoch", ES_KEY_TIME, epoch, "2026-11-01T00:00:00Z", ANY),
    ALIAS("scenario", "start_window", ES_KEY_DURATION, start_window_s, "1s", ANY),
    KEY("scenario", "stop_time", ES_KEY_DURATION, stop_time_s, "3600s", POSITIVE),
    CHOICE("topology", "type", topology_type, "tree", topology_words),
    KEY("topology", "file", ES_KEY_PATH, topology_file, "", ANY),
    KEY("topology", "racas", ES_KEY_UINT, racas, "1", 1, 64, FALSE),
    KEY("topology", "aggregations", ES_KEY_UINT, aggregations, "0", 0, 1000000, FALSE),
    KEY("tree", "fanout", ES_KEY_UINT_LIST, tree_fanout, "", 1, 1000000, FALSE),
    KEY("tree", "rate", ES_KEY_RATE_LIST, tree_rate, "", POSITIVE),
    KEY("tree", "latency", ES_KEY_DURATION_LIST, tree_latency, "", ANY),
    KEY("tree", "loss", ES_KEY_PROBABILITY_LIST, tree_loss, "", UNIT_RANGE),
    KEY("tree", "burst_enter", ES_KEY_PROBABILITY_LIST, tree_burst_enter, "", UNIT_RANGE),
    KEY("tree", "burst_exit", ES_KEY_PROBABILITY_LIST, tree_burst_exit, "", UNIT_RANGE),
    KEY("tree", "burst_loss", ES_KEY_PROBABILITY_LIST, tree_burst_loss, "", UNIT_RANGE),
    KEY("tree", "corruption", ES_KEY_PROBABILITY_LIST, tree_corruption, "", UNIT_RANGE),
    KEY("national", "regions", ES_KEY_UINT, national_regions, "0", 0, 100000, FALSE),
    KEY("national", "aggregations", ES_KEY_UINT, national_aggregations, "0", 0, 1000000, FALSE),
    KEY("national", "backbone_rate", ES_KEY_RATE, backbone_rate_bps, "10Gbps", POSITIVE),
    KEY("national", "backbone_latency", ES_KEY_DURATION_LIST, backbone_latency, "1ms,6ms", ANY),
    KEY("national", "metro_rate", ES_KEY_RATE, metro_rate_bps, "10Gbps", POSITIVE),
    KEY("national", "metro_latency", ES_KEY_DURATION_LIST, metro_latency, "0.1ms,1ms", ANY),
    ACCESS_KEYS("fibre", ES_ACCESS_FIBRE, "0.6", "1Gbps", "0.1ms,1ms", "0", "0", "0", "1"),
    /* Fading in bursts: a fade below the margin 1e-4 of the time (enter/(enter+exit)), 5
     * packets long on average, losing half of them. README, "National layout", says why. */
    ACCESS_KEYS("microwave", ES_ACCESS_MICROWAVE, "0.38", "400Mbps", "1ms,4ms", "0.0001",
                "0.00002", "0.2", "0.5"),
    ACCESS_KEYS("satellite", ES_ACCESS_SATELLITE, "0.02", "20Mbps", "250ms,280ms", "0.001", "0",
                "0", "1"),
    CHOICE("rollout", "schedule", schedule, "uniform", schedule_words),
    KEY("rollout", "window", ES_KEY_DURATION, start_window_s, "1s", ANY),
    KEY("rollout", "wave_size", ES_KEY_UINT, wave_size, "100", 1, 1000000, FALSE),
    KEY("rollout", "wave_period", ES_KEY_DURATION, wave_period_s, "60s", POSITIVE),
    KEY("rollout", "wave_spread", ES_KEY_DURATION, wave_spread_s, "0s", ANY),
    KEY("rollout", "rate", ES_KEY_ARRIVALS, arrival_rate, "10/s", POSITIVE),
    KEY("backhaul", "rate", ES_KEY_RATE, access.rate_bps, "100Mbps", POSITIVE),
    KEY("backhaul", "latency", ES_KEY_DURATION, access.delay_s, "5ms", ANY),
    KEY("backhaul", "loss", ES_KEY_PROBABILITY, access.loss, "0", UNIT_RANGE),
    IMPAIRMENT_KEYS("backhaul", "", access, "0", "0", "1"),
    KEY("aggregation", "rate", ES_KEY_RATE, aggregation.rate_bps, "1Gbps", POSITIVE),
    KEY("aggregation", "latency", ES_KEY_DURATION, aggregation.delay_s, "2ms", ANY),
    KEY("aggregation", "loss", ES_KEY_PROBABILITY, aggregation.loss, "0", UNIT_RANGE),
    IMPAIRMENT_KEYS("aggregation", "", aggregation, "0", "0", "1"),
    KEY("core", "rate", ES_KEY_RATE, core.rate_bps, "10Gbps", POSITIVE),
    KEY("core", "latency", ES_KEY_DURATION, core.delay_s, "1ms", ANY),
    KEY("core", "loss", ES_KEY_PROBABILITY, core.loss, "0", UNIT_RANGE),
    IMPAIRMENT_KEYS("core", "", core, "0", "0", "1"),
    KEY("pki", "key", ES_KEY_KEYTYPE, pki_key, "p256", ANY),
    KEY("pki", "cert_validity", ES_KEY_DURATION, cert_validity_s, "3650d", POSITIVE),
    CHOICE("raca", "confirm", confirm, "explicit", confirm_words),
    KEY("raca", "confirm_wait", ES_KEY_DURATION, confirm_wait_s, "60s", POSITIVE),
    KEY("raca", "workers", ES_KEY_UINT, workers, "2", 1, G_MAXUINT, FALSE),
    KEY("raca", "queue_limit", ES_KEY_UINT, queue_limit, "0", 0, G_MAXUINT, FALSE),
    KEY("raca", "retry_after", ES_KEY_DURATION, retry_after_s, "2s", 0, 86400, FALSE),
    CHOICE("raca", "service", service_dist, "fixed", service_words),
    KEY("raca", "ir_service", ES_KEY_DURATION, ir_service_s, "1ms", ANY),
    KEY("raca", "kur_service", ES_KEY_DURATION, kur_service_s, "1ms", ANY),
    KEY("raca", "certconf_service", ES_KEY_DURATION, certconf_service_s, "0.5ms", ANY),
    KEY("raca", "rr_service", ES_KEY_DURATION, rr_service_s, "0.5ms", ANY),
    KEY("raca", "crl_validity", ES_KEY_DURATION, crl_validity_s, "3650d", POSITIVE),
    KEY("raca", "crl_interval", ES_KEY_DURATION, crl_interval_s, "0s", ANY),
    CHOICE("raca", "keep_superseded", keep_superseded, "false", bool_words),
    CHOICE("raca", "cross", raca_cross, "true", bool_words),
    KEY("enb", "key", ES_KEY_KEYTYPE, enb_key, "p256", ANY),
    KEY("enb", "keygen_time", ES_KEY_DURATION, enb_keygen_s, "20ms", ANY),
    KEY("enb", "sign_time", ES_KEY_DURATION, enb_sign_s, "5ms", ANY),
    KEY("enb", "cpu_spread", ES_KEY_PROBABILITY, enb_cpu_spread, "0", 0, 0.99, FALSE),
    KEY("enb", "msg_timeout", ES_KEY_DURATION, msg_timeout_s, "10s", POSITIVE),
    CHOICE("enb", "retry", enb_retry, "resend", retry_words),
    KEY("enb", "max_attempts", ES_KEY_UINT, enb_max_attempts, "4", 1, 1000, FALSE),
    KEY("enb", "backoff", ES_KEY_DURATION, enb_backoff_s, "1s", ANY),
    KEY("enb", "backoff_max", ES_KEY_DURATION, enb_backoff_max_s, "60s", ANY),
    KEY("enb", "backoff_jitter", ES_KEY_PROBABILITY, enb_backoff_jitter, "0.5", UNIT_RANGE),
    KEY("enb", "renew_after", ES_KEY_DURATION, enb_renew_after_s, "0s", ANY),
    KEY("hostile", "unknown_vendor", ES_KEY_PROBABILITY, hostile_unknown_vendor, "0", UNIT_RANGE),
    KEY("hostile", "expired_device", ES_KEY_PROBABILITY, hostile_expired_device, "0", UNIT_RANGE),
    KEY("hostile", "rogue_raca", ES_KEY_PROBABILITY, hostile_rogue_raca, "0", UNIT_RANGE),
};

/* The key types pki/ knows how to generate. */
static const char *const es_key_types[] = {"p256", "p384", "rsa2048", NULL};

typedef union {
  guint u;
  guint64 u64;
  char *s; /* owned when parsed, borrowed when read from a scenario */
  int choice;
  double d;
  gint64 t;
  EsValueList list;
  EsOutages *outages; /* owned when parsed, borrowed when read from a scenario */
} EsValue;

typedef struct {
  const char *suffix;
  double factor;
  gboolean divide; /* sub-second units divide, so "20ms" is exactly the double nearest 0.02 */
} EsUnit;

static const EsUnit duration_units[] = {
    {"us", 1e6, TRUE}, {"ms", 1e3, TRUE}, {"s", 1, FALSE},
    {"m", 60, FALSE},  {"h", 3600, FALSE}, {"d", 86400, FALSE}, {NULL, 0, FALSE}};
static const EsUnit rate_units[] = {
    {"bps", 1, FALSE}, {"kbps", 1e3, FALSE}, {"Mbps", 1e6, FALSE}, {"Gbps", 1e9, FALSE},
    {NULL, 0, FALSE}};
static const EsUnit arrival_units[] = {
    {"/s", 1, FALSE}, {"/min", 60, TRUE}, {"/h", 3600, TRUE}, {NULL, 0, FALSE}};

static char *unit_list(const EsUnit *units) {
  GString *s = g_string_new(NULL);
  for (const EsUnit *u = units; u->suffix; u++)
    g_string_append_printf(s, "%s%s", u == units ? "" : ", ", u->suffix);
  return g_string_free(s, FALSE);
}

/* A plain decimal number (no sign, no hex, no inf/nan: g_ascii_strtod alone takes all of
 * those) followed by one of `units`, or by nothing when units is NULL. Returns NULL on
 * success, else why the text was rejected. */
static char *parse_number_unit(const char *text, const EsUnit *units, double *out) {
  if (!text || !*text)
    return g_strdup("empty");
  if (*text == '-')
    return g_strdup("negative");
  const char *p = text;
  gsize digits = 0;
  for (; g_ascii_isdigit(*p); p++)
    digits++;
  if (*p == '.')
    for (p++; g_ascii_isdigit(*p); p++)
      digits++;
  if (digits == 0)
    return g_strdup("not a number");
  if ((*p == 'e' || *p == 'E') &&
      (g_ascii_isdigit(p[1]) || ((p[1] == '+' || p[1] == '-') && g_ascii_isdigit(p[2])))) {
    p += 2;
    while (g_ascii_isdigit(*p))
      p++;
  }
  char *number = g_strndup(text, (gsize)(p - text));
  char *end = NULL;
  double v = g_ascii_strtod(number, &end);
  gboolean whole = *end == '\0';
  g_free(number);
  if (!whole)
    return g_strdup("not a number");
  if (!isfinite(v))
    return g_strdup("out of range");

  if (!units) {
    if (*p)
      return g_strdup_printf("unexpected '%s' after the number", p);
    *out = v;
    return NULL;
  }
  const EsUnit *unit = NULL;
  for (const EsUnit *u = units; u->suffix && !unit; u++)
    if (strcmp(p, u->suffix) == 0)
      unit = u;
  if (!unit) {
    g_autofree char *list = unit_list(units);
    if (!*p)
      return g_strdup_printf("missing unit (one of %s)", list);
    return g_strdup_printf("unknown unit '%s' (one of %s)", p, list);
  }
  v = unit->divide ? v / unit->factor : v * unit->factor;
  if (!isfinite(v))
    return g_strdup("out of range");
  *out = v;
  return NULL;
}

gboolean es_parse_duration(const char *text, double *out_s) {
  double v;
  char *reason = parse_number_unit(text, duration_units, &v);
  if (reason) {
    g_free(reason);
    return FALSE;
  }
  if (out_s)
    *out_s = v;
  return TRUE;
}

gboolean es_parse_rate(const char *text, double *out_bps) {
  double v;
  char *reason = parse_number_unit(text, rate_units, &v);
  if (reason) {
    g_free(reason);
    return FALSE;
  }
  if (out_bps)
    *out_bps = v;
  return TRUE;
}

gboolean es_parse_probability(const char *text, double *out) {
  double v;
  char *reason = parse_number_unit(text, NULL, &v);
  if (reason) {
    g_free(reason);
    return FALSE;
  }
  if (v > 1)
    return FALSE;
  if (out)
    *out = v;
  return TRUE;
}

/* Why a list of windows is unusable, or NULL. Overlapping windows are allowed: they are
 * simply one longer outage. */
static char *outages_problem(const EsOutages *o) {
  if (!o)
    return NULL;
  if (o->n > ES_OUTAGES_MAX)
    return g_strdup_printf("at most %d windows", ES_OUTAGES_MAX);
  for (guint i = 0; i < o->n; i++) {
    if (!(o->w[i].start_s >= 0) || !isfinite(o->w[i].start_s))
      return g_strdup_printf("window %u: bad start", i + 1);
    if (!(o->w[i].duration_s > 0) || !isfinite(o->w[i].duration_s))
      return g_strdup_printf("window %u: the duration must be greater than 0s", i + 1);
  }
  return NULL;
}

gboolean es_parse_outages(const char *text, EsOutages **out, char **why) {
  g_return_val_if_fail(text != NULL && out != NULL, FALSE);
  *out = NULL;
  g_autofree char *copy = g_strstrip(g_strdup(text));
  if (!*copy)
    return TRUE;
  g_auto(GStrv) parts = g_strsplit(copy, ",", -1);
  guint n = g_strv_length(parts);
  char *reason = NULL;
  if (n > ES_OUTAGES_MAX)
    reason = g_strdup_printf("at most %d windows", ES_OUTAGES_MAX);
  EsOutages *o = g_malloc0(sizeof *o + sizeof(EsOutage) * n);
  for (guint i = 0; i < n && !reason; i++) {
    char *part = g_strstrip(parts[i]);
    char *plus = strchr(part, '+');
    if (!plus) {
      reason = g_strdup_printf("window %u: expected START+DURATION, like 100s+30s", i + 1);
      break;
    }
    *plus = '\0';
    char *r = parse_number_unit(g_strstrip(part), duration_units, &o->w[i].start_s);
    if (!r)
      r = parse_number_unit(g_strstrip(plus + 1), duration_units, &o->w[i].duration_s);
    if (r) {
      reason = g_strdup_printf("window %u: %s", i + 1, r);
      g_free(r);
      break;
    }
    o->n = i + 1;
  }
  if (!reason)
    reason = outages_problem(o);
  if (reason) {
    g_free(o);
    if (why)
      *why = reason;
    else
      g_free(reason);
    return FALSE;
  }
  *out = o;
  return TRUE;
}

EsOutages *es_outages_copy(const EsOutages *o) {
  if (!o || o->n == 0)
    return NULL;
  return g_memdup2(o, sizeof *o + sizeof(EsOutage) * o->n);
}

gboolean es_link_impaired(const EsLinkParams *l) {
  g_return_val_if_fail(l != NULL, FALSE);
  return l->loss > 0 || (l->burst_enter > 0 && l->burst_loss > 0) || l->corruption > 0 ||
         (l->outages && l->outages->n > 0);
}

/* Shortest text that g_ascii_strtod reads back as the same double ("0.1", not the
 * "0.10000000000000001" of a fixed %.17g), so dumped scenarios stay readable. */
static void format_shortest(char *buf, gsize len, double v) {
  static const char *const formats[] = {"%.15g", "%.16g", "%.17g"};
  for (gsize i = 0; i < G_N_ELEMENTS(formats); i++) {
    g_ascii_formatd(buf, (int)len, formats[i], v);
    if (g_ascii_strtod(buf, NULL) == v)
      return;
  }
}

char *es_outages_to_string(const EsOutages *o) {
  GString *s = g_string_new(NULL);
  char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
  for (guint i = 0; o && i < o->n; i++) {
    format_shortest(a, sizeof a, o->w[i].start_s);
    format_shortest(b, sizeof b, o->w[i].duration_s);
    g_string_append_printf(s, "%s%ss+%ss", i ? "," : "", a, b);
  }
  return g_string_free(s, FALSE);
}

/* The type of one element of a list type (and of the bounds). */
static EsKeyType element_type(EsKeyType type) {
  switch (type) {
  case ES_KEY_UINT_LIST: return ES_KEY_UINT;
  case ES_KEY_DURATION_LIST: return ES_KEY_DURATION;
  case ES_KEY_RATE_LIST: return ES_KEY_RATE;
  case ES_KEY_PROBABILITY_LIST: return ES_KEY_PROBABILITY;
  default: return type;
  }
}

/* "a, b, c or d" */
static char *word_list(const char *const *words) {
  GString *s = g_string_new(NULL);
  for (gsize i = 0; words[i]; i++)
    g_string_append_printf(s, "%s%s", i == 0 ? "" : words[i + 1] ? ", " : " or ", words[i]);
  return g_string_free(s, FALSE);
}

/* Canonical text of one number of a numeric type. */
static char *format_number(EsKeyType type, double d) {
  char buf[G_ASCII_DTOSTR_BUF_SIZE + 8];
  if (type == ES_KEY_UINT)
    return g_strdup_printf("%u", (guint)d);
  format_shortest(buf, sizeof buf, d);
  switch (type) {
  case ES_KEY_DURATION: return g_strconcat(buf, "s", NULL);
  case ES_KEY_RATE: return g_strconcat(buf, "bps", NULL);
  case ES_KEY_ARRIVALS: return g_strconcat(buf, "/s", NULL);
  default: return g_strdup(buf);
  }
}

/* Canonical text of a value, which parse_value reads back to the same value. */
static char *format_value(const EsKeyDef *d, const EsValue *v) {
  switch (d->type) {
  case ES_KEY_UINT:
    return g_strdup_printf("%u", v->u);
  case ES_KEY_UINT64:
    return g_strdup_printf("%" G_GUINT64_FORMAT, v->u64);
  case ES_KEY_STRING:
  case ES_KEY_PATH:
  case ES_KEY_KEYTYPE:
    return g_strdup(v->s ? v->s : "");
  case ES_KEY_CHOICE:
    return g_strdup(v->choice >= 0 && v->choice < (int)g_strv_length((char **)d->words)
                        ? d->words[v->choice]
                        : "?");
  case ES_KEY_DURATION:
  case ES_KEY_RATE:
  case ES_KEY_PROBABILITY:
  case ES_KEY_ARRIVALS:
    return format_number(d->type, v->d);
  case ES_KEY_TIME: {
    GDateTime *dt = g_date_time_new_from_unix_utc(v->t);
    char *text = dt ? g_date_time_format_iso8601(dt) : g_strdup_printf("%" G_GINT64_FORMAT, v->t);
    if (dt)
      g_date_time_unref(dt);
    return text;
  }
  case ES_KEY_OUTAGES:
    return es_outages_to_string(v->outages);
  case ES_KEY_UINT_LIST:
  case ES_KEY_DURATION_LIST:
  case ES_KEY_RATE_LIST:
  case ES_KEY_PROBABILITY_LIST: {
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < v->list.n; i++) {
      g_autofree char *one = format_number(element_type(d->type), v->list.v[i]);
      g_string_append_printf(s, "%s%s", i ? "," : "", one);
    }
    return g_string_free(s, FALSE);
  }
  }
  g_assert_not_reached();
}

/* Bounds of the numeric types; NULL when x is within them. */
static char *check_bounds(const EsKeyDef *d, double x) {
  EsKeyType type = element_type(d->type);
  if (isnan(x))
    return g_strdup("not a number");
  if (d->min_open ? !(x > d->min) : !(x >= d->min)) {
    g_autofree char *b = format_number(type, d->min);
    return g_strdup_printf("must be %s %s", d->min_open ? "greater than" : "at least", b);
  }
  if (!(x <= d->max)) {
    g_autofree char *b = format_number(type, d->max);
    return g_strdup_printf("must be at most %s", b);
  }
  if (type == ES_KEY_UINT && x != floor(x))
    return g_strdup("not a non-negative integer");
  return NULL;
}

/* The table's bounds and the closed sets of words; NULL when the value is acceptable. */
static char *check_value(const EsKeyDef *d, const EsValue *v) {
  switch (d->type) {
  case ES_KEY_STRING:
    if (!v->s || !*v->s)
      return g_strdup("empty");
    /* fall through */
  case ES_KEY_PATH:
    if (v->s && !g_utf8_validate(v->s, -1, NULL))
      return g_strdup("not valid UTF-8");
    return NULL;
  case ES_KEY_KEYTYPE:
    if (v->s && g_strv_contains(es_key_types, v->s))
      return NULL;
    return g_strdup("expected p256, p384 or rsa2048");
  case ES_KEY_CHOICE:
    if (v->choice >= 0 && v->choice < (int)g_strv_length((char **)d->words))
      return NULL;
    {
      g_autofree char *words = word_list(d->words);
      return g_strdup_printf("expected %s", words);
    }
  case ES_KEY_UINT64:
  case ES_KEY_TIME:
    return NULL;
  case ES_KEY_OUTAGES:
    return outages_problem(v->outages);
  case ES_KEY_UINT:
    return check_bounds(d, (double)v->u);
  case ES_KEY_DURATION:
  case ES_KEY_RATE:
  case ES_KEY_PROBABILITY:
  case ES_KEY_ARRIVALS:
    return check_bounds(d, v->d);
  case ES_KEY_UINT_LIST:
  case ES_KEY_DURATION_LIST:
  case ES_KEY_RATE_LIST:
  case ES_KEY_PROBABILITY_LIST:
    if (v->list.n > ES_SCENARIO_LIST_MAX)
      return g_strdup_printf("at most %d values", ES_SCENARIO_LIST_MAX);
    for (guint i = 0; i < v->list.n; i++) {
      char *reason = check_bounds(d, v->list.v[i]);
      if (reason) {
        char *r = g_strdup_printf("value %u: %s", i + 1, reason);
        g_free(reason);
        return r;
      }
    }
    return NULL;
  }
  g_assert_not_reached();
}

/* One number of a numeric type; NULL on success, else why not. */
static char *parse_number(EsKeyType type, const char *text, double *out) {
  switch (type) {
  case ES_KEY_UINT: {
    if (!*text)
      return g_strdup("empty");
    if (*text == '-')
      return g_strdup("negative");
    guint64 v = 0;
    GError *err = NULL;
    if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT, &v, &err)) {
      char *reason = g_strdup(err->code == G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS
                                  ? "too large"
                                  : "not a non-negative integer");
      g_error_free(err);
      return reason;
    }
    *out = (double)v;
    return NULL;
  }
  case ES_KEY_DURATION: return parse_number_unit(text, duration_units, out);
  case ES_KEY_RATE: return parse_number_unit(text, rate_units, out);
  case ES_KEY_ARRIVALS: return parse_number_unit(text, arrival_units, out);
  default: return parse_number_unit(text, NULL, out);
  }
}

/* "1ms, 4ms" → {2, 0.001, 0.004}; an empty text is the empty list. */
static char *parse_list(EsKeyType type, const char *text, EsValueList *out) {
  memset(out, 0, sizeof *out);
  if (!*text)
    return NULL;
  g_auto(GStrv) parts = g_strsplit(text, ",", -1);
  if (g_strv_length(parts) > ES_SCENARIO_LIST_MAX)
    return g_strdup_printf("at most %d values", ES_SCENARIO_LIST_MAX);
  for (guint i = 0; parts[i]; i++) {
    char *reason = parse_number(type, g_strstrip(parts[i]), &out->v[i]);
    if (reason) {
      char *r = g_strdup_printf("value %u: %s", i + 1, reason);
      g_free(reason);
      return r;
    }
    out->n = i + 1;
  }
  return NULL;
}

/* Text to value, bounds included. On success the caller owns out->s for string types. */
static char *parse_value(const EsKeyDef *d, const char *raw, EsValue *out) {
  memset(out, 0, sizeof *out);
  /* Key files keep trailing blanks in values; they are noise around a number or a word. */
  g_autofree char *text = g_strdup(raw);
  if (d->type != ES_KEY_STRING)
    g_strstrip(text);
  char *reason = NULL;
  switch (d->type) {
  case ES_KEY_UINT: {
    double v = 0;
    if ((reason = parse_number(ES_KEY_UINT, text, &v)))
      return reason;
    out->u = (guint)v;
    break;
  }
  case ES_KEY_UINT64: {
    guint64 v = 0;
    if (!*text)
      return g_strdup("empty");
    if (*text == '-')
      return g_strdup("negative");
    GError *err = NULL;
    if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &v, &err)) {
      reason = g_strdup(err->code == G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS
                            ? "too large"
                            : "not a non-negative integer");
      g_error_free(err);
      return reason;
    }
    out->u64 = v;
    break;
  }
  case ES_KEY_STRING:
  case ES_KEY_PATH:
  case ES_KEY_KEYTYPE:
    out->s = g_strdup(text);
    break;
  case ES_KEY_CHOICE:
    out->choice = -1;
    for (int i = 0; d->words[i]; i++)
      if (strcmp(text, d->words[i]) == 0)
        out->choice = i;
    break;
  case ES_KEY_DURATION:
  case ES_KEY_RATE:
  case ES_KEY_PROBABILITY:
  case ES_KEY_ARRIVALS:
    reason = parse_number(d->type, text, &out->d);
    break;
  case ES_KEY_TIME: {
    /* No default time zone: a time without one would mean something else on every host. */
    GDateTime *dt = g_date_time_new_from_iso8601(text, NULL);
    if (!dt)
      return g_strdup("expected an ISO 8601 time with a zone, like 2026-11-01T00:00:00Z");
    /* Certificates carry whole seconds; a fraction would be dropped silently. */
    if (g_date_time_get_microsecond(dt) != 0)
      reason = g_strdup("fractional seconds not supported");
    out->t = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    break;
  }
  case ES_KEY_UINT_LIST:
  case ES_KEY_DURATION_LIST:
  case ES_KEY_RATE_LIST:
  case ES_KEY_PROBABILITY_LIST:
    reason = parse_list(element_type(d->type), text, &out->list);
    break;
  case ES_KEY_OUTAGES:
    es_parse_outages(text, &out->outages, &reason);
    break;
  }
  if (!reason)
    reason = check_value(d, out);
  if (reason && (d->type == ES_KEY_STRING || d->type == ES_KEY_PATH || d->type == ES_KEY_KEYTYPE))
    g_clear_pointer(&out->s, g_free);
  if (reason && d->type == ES_KEY_OUTAGES)
    g_clear_pointer(&out->outages, g_free);
  return reason;
}

static void read_value(const EsScenario *sc, const EsKeyDef *d, EsValue *v) {
  const void *p = G_STRUCT_MEMBER_P(sc, d->offset);
  switch (d->type) {
  case ES_KEY_UINT: v->u = *(const guint *)p; break;
  case ES_KEY_UINT64: v->u64 = *(const guint64 *)p; break;
  case ES_KEY_STRING:
  case ES_KEY_PATH:
  case ES_KEY_KEYTYPE: v->s = *(char *const *)p; break;
  case ES_KEY_CHOICE: v->choice = *(const int *)p; break;
  case ES_KEY_DURATION:
  case ES_KEY_RATE:
  case ES_KEY_PROBABILITY:
  case ES_KEY_ARRIVALS: v->d = *(const double *)p; break;
  case ES_KEY_TIME: v->t = *(const gint64 *)p; break;
  case ES_KEY_OUTAGES: v->outages = *(EsOutages *const *)p; break;
  case ES_KEY_UINT_LIST:
  case ES_KEY_DURATION_LIST:
  case ES_KEY_RATE_LIST:
  case ES_KEY_PROBABILITY_LIST: v->list = *(const EsValueList *)p; break;
  }
}

/* Stores a parsed value, taking ownership of a string and freeing the one it replaces. */
static void store_value(EsScenario *sc, const EsKeyDef *d, EsValue *v) {
  void *p = G_STRUCT_MEMBER_P(sc, d->offset);
  switch (d->type) {
  case ES_KEY_UINT: *(guint *)p = v->u; break;
  case ES_KEY_UINT64: *(guint64 *)p = v->u64; break;
  case ES_KEY_STRING:
  case ES_KEY_PATH:
  case ES_KEY_KEYTYPE:
    g_free(*(char **)p);
    *(char **)p = g_steal_pointer(&v->s);
    break;
  case ES_KEY_CHOICE: *(int *)p = v->choice; break;
  case ES_KEY_DURATION:
  case ES_KEY_RATE:
  case ES_KEY_PROBABILITY:
  case ES_KEY_ARRIVALS: *(double *)p = v->d; break;
  case ES_KEY_TIME: *(gint64 *)p = v->t; break;
  case ES_KEY_OUTAGES:
    g_free(*(EsOutages **)p);
    *(EsOutages **)p = g_steal_pointer(&v->outages);
    break;
  case ES_KEY_UINT_LIST:
  case ES_KEY_DURATION_LIST:
  case ES_KEY_RATE_LIST:
  case ES_KEY_PROBABILITY_LIST: *(EsValueList *)p = v->list; break;
  }
}

static gboolean is_string_type(const EsKeyDef *d) {
  return d->type == ES_KEY_STRING || d->type == ES_KEY_PATH || d->type == ES_KEY_KEYTYPE;
}

static const EsKeyDef *find_key(const char *section, const char *key) {
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++)
    if (strcmp(es_keys[i].section, section) == 0 && strcmp(es_keys[i].key, key) == 0)
      return &es_keys[i];
  return NULL;
}

static gboolean is_section(const char *section) {
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++)
    if (strcmp(es_keys[i].section, section) == 0)
      return TRUE;
  return FALSE;
}

/* "section.key" → its definition; the key part may itself not contain a dot. */
static const EsKeyDef *find_dotted_key(const char *name) {
  const char *dot = strchr(name, '.');
  if (!dot)
    return NULL;
  g_autofree char *section = g_strndup(name, (gsize)(dot - name));
  return find_key(section, dot + 1);
}

EsScenario *es_scenario_new(void) {
  EsScenario *sc = g_new0(EsScenario, 1);
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++) {
    EsValue v;
    char *reason = parse_value(&es_keys[i], es_keys[i].def, &v);
    if (reason)
      g_error("built-in default %s.%s = '%s': %s", es_keys[i].section, es_keys[i].key,
              es_keys[i].def, reason);
    store_value(sc, &es_keys[i], &v);
  }
  return sc;
}

static void free_contents(EsScenario *sc) {
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++)
    if (is_string_type(&es_keys[i]) || es_keys[i].type == ES_KEY_OUTAGES)
      g_free(*(void **)G_STRUCT_MEMBER_P(sc, es_keys[i].offset));
}

void es_scenario_free(EsScenario *sc) {
  if (!sc)
    return;
  free_contents(sc);
  g_free(sc);
}

EsScenario *es_scenario_copy(const EsScenario *sc) {
  EsScenario *copy = g_memdup2(sc, sizeof *sc);
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++)
    if (is_string_type(&es_keys[i])) {
      char **p = G_STRUCT_MEMBER_P(copy, es_keys[i].offset);
      *p = g_strdup(*p);
    } else if (es_keys[i].type == ES_KEY_OUTAGES) {
      EsOutages **p = G_STRUCT_MEMBER_P(copy, es_keys[i].offset);
      *p = es_outages_copy(*p);
    }
  return copy;
}

/* Whole file or nothing: stdio rather than g_file_get_contents so the reason reads
 * "FILE: No such file or directory" without GLib repeating the name. */
static char *read_file(const char *path, gsize *len, char **reason) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    *reason = g_strdup(g_strerror(errno));
    return NULL;
  }
  GString *s = g_string_new(NULL);
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    g_string_append_len(s, buf, (gssize)n);
  int failed = ferror(f) ? errno : 0;
  fclose(f);
  if (failed) {
    *reason = g_strdup(g_strerror(failed));
    g_string_free(s, TRUE);
    return NULL;
  }
  *len = s->len;
  return g_string_free(s, FALSE);
}

/* Checks every group and key before changing anything: on error `sc` is as it was. */
gboolean es_scenario_load(EsScenario *sc, const char *path, GError **error) {
  g_return_val_if_fail(sc != NULL && path != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  gsize len = 0;
  char *reason = NULL;
  g_autofree char *data = read_file(path, &len, &reason);
  if (!data) {
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_FILE, "%s: %s", path, reason);
    g_free(reason);
    return FALSE;
  }
  g_autoptr(GKeyFile) kf = g_key_file_new();
  GError *inner = NULL;
  if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &inner)) {
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_FILE, "%s: %s", path,
                inner->message);
    g_error_free(inner);
    return FALSE;
  }

  g_autoptr(EsScenario) work = es_scenario_copy(sc);
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (gsize g = 0; groups[g]; g++) {
    if (!is_section(groups[g])) {
      g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_KEY, "%s: unknown group [%s]",
                  path, groups[g]);
      return FALSE;
    }
    g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[g], NULL, NULL);
    for (gsize k = 0; keys && keys[k]; k++) {
      const EsKeyDef *d = find_key(groups[g], keys[k]);
      if (!d) {
        g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_KEY,
                    "%s: unknown key [%s] %s", path, groups[g], keys[k]);
        return FALSE;
      }
      g_autofree char *text = g_key_file_get_string(kf, groups[g], keys[k], &inner);
      if (!text) {
        g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE, "%s: [%s] %s: %s", path,
                    groups[g], keys[k], inner->message);
        g_error_free(inner);
        return FALSE;
      }
      EsValue v;
      reason = parse_value(d, text, &v);
      if (reason) {
        g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                    "%s: [%s] %s: %s (value '%s')", path, groups[g], keys[k], reason, text);
        g_free(reason);
        return FALSE;
      }
      /* A file the scenario names sits beside it, wherever the run starts from. */
      if (d->type == ES_KEY_PATH && v.s[0] && !g_path_is_absolute(v.s)) {
        g_autofree char *dir = g_path_get_dirname(path);
        char *joined = g_build_filename(dir, v.s, NULL);
        g_free(v.s);
        v.s = joined;
      }
      store_value(work, d, &v);
    }
  }
  free_contents(sc);
  *sc = *work;
  g_free(g_steal_pointer(&work));
  return TRUE;
}

gboolean es_scenario_set(EsScenario *sc, const char *key, const char *value, GError **error) {
  g_return_val_if_fail(sc != NULL && key != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  g_autofree char *name = NULL;
  if (value) {
    name = g_strdup(key);
  } else {
    const char *eq = strchr(key, '=');
    if (!eq) {
      g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_KEY,
                  "expected section.key=value, got '%s'", key);
      return FALSE;
    }
    name = g_strndup(key, (gsize)(eq - key));
    value = eq + 1;
  }
  g_strstrip(name);
  const EsKeyDef *d = find_dotted_key(name);
  if (!d) {
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_KEY, "unknown key '%s'", name);
    return FALSE;
  }
  EsValue v;
  char *reason = parse_value(d, value, &v);
  if (reason) {
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE, "%s: %s (value '%s')", name,
                reason, value);
    g_free(reason);
    return FALSE;
  }
  store_value(sc, d, &v);
  return TRUE;
}

static char *format_seconds(double v) {
  return format_number(ES_KEY_DURATION, v);
}

/* A latency key of the national layout: one value, or min,max with min <= max. */
static gboolean check_range(const char *key, const EsValueList *l, GError **error) {
  if (l->n == 1 || (l->n == 2 && l->v[0] <= l->v[1]))
    return TRUE;
  g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
              "%s: expected one latency or a range min,max (min <= max), got %u values", key,
              l->n);
  return FALSE;
}

/* Topology keys that only make sense together. */
static gboolean validate_topology(const EsScenario *sc, GError **error) {
  switch (sc->topology_type) {
  case ES_TOPOLOGY_FILE:
    if (!sc->topology_file || !*sc->topology_file) {
      g_set_error_literal(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                          "topology.type = file needs topology.file");
      return FALSE;
    }
    return TRUE;
  case ES_TOPOLOGY_STAR:
    return TRUE;
  case ES_TOPOLOGY_TREE: {
    guint levels = MAX(sc->tree_fanout.n, 1);
    if (sc->tree_fanout.n > 0 && sc->aggregations > 0) {
      g_set_error_literal(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                          "set topology.aggregations or tree.fanout, not both");
      return FALSE;
    }
    const struct {
      const char *key;
      const EsValueList *list;
    } per_level[] = {{"tree.rate", &sc->tree_rate},
                     {"tree.latency", &sc->tree_latency},
                     {"tree.loss", &sc->tree_loss},
                     {"tree.burst_enter", &sc->tree_burst_enter},
                     {"tree.burst_exit", &sc->tree_burst_exit},
                     {"tree.burst_loss", &sc->tree_burst_loss},
                     {"tree.corruption", &sc->tree_corruption}};
    for (gsize i = 0; i < G_N_ELEMENTS(per_level); i++)
      if (per_level[i].list->n > 1 && per_level[i].list->n != levels) {
        g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                    "%s has %u values: give one for every router level (%u) or one for all",
                    per_level[i].key, per_level[i].list->n, levels);
        return FALSE;
      }
    /* Spare routers would sit idle and skew per-router load figures. */
    double leaves = 1;
    for (guint i = 0; i < sc->tree_fanout.n; i++)
      leaves *= sc->tree_fanout.v[i];
    if (sc->tree_fanout.n > 0 && leaves > sc->enbs) {
      g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                  "tree.fanout makes %.0f lowest-level routers, more than scenario.enbs (%u)",
                  leaves, sc->enbs);
      return FALSE;
    }
    if (sc->aggregations > sc->enbs) {
      g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                  "topology.aggregations (%u) exceeds scenario.enbs (%u)", sc->aggregations,
                  sc->enbs);
      return FALSE;
    }
    return TRUE;
  }
  case ES_TOPOLOGY_NATIONAL: {
    static const char *const names[] = {"national.fibre_latency", "national.microwave_latency",
                                        "national.satellite_latency"};
    double shares = 0;
    for (int c = 0; c < ES_ACCESS_CLASSES; c++) {
      shares += sc->access_class[c].share;
      if (!check_range(names[c], &sc->access_class[c].latency, error))
        return FALSE;
    }
    if (fabs(shares - 1) > 1e-9) {
      g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                  "national.fibre_share + microwave_share + satellite_share must be 1, not %g",
                  shares);
      return FALSE;
    }
    if (!check_range("national.backbone_latency", &sc->backbone_latency, error) ||
        !check_range("national.metro_latency", &sc->metro_latency, error))
      return FALSE;
    if (sc->national_regions > sc->enbs) {
      g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                  "national.regions (%u) exceeds scenario.enbs (%u)", sc->national_regions,
                  sc->enbs);
      return FALSE;
    }
    return TRUE;
  }
  }
  return TRUE;
}

/* A schedule whose last eNB would power on after the run ends starts eNBs nobody observes.
 * Poisson times are random: es_rollout_new checks those. */
static gboolean validate_rollout(const EsScenario *sc, GError **error) {
  g_autofree char *stop = format_seconds(sc->stop_time_s);
  if (sc->schedule == ES_SCHEDULE_UNIFORM && !(sc->start_window_s < sc->stop_time_s)) {
    g_autofree char *w = format_seconds(sc->start_window_s);
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                "rollout.window (%s) must be shorter than scenario.stop_time (%s)", w, stop);
    return FALSE;
  }
  if (sc->schedule != ES_SCHEDULE_WAVES)
    return TRUE;
  if (sc->wave_spread_s > sc->wave_period_s) {
    g_autofree char *a = format_seconds(sc->wave_spread_s);
    g_autofree char *b = format_seconds(sc->wave_period_s);
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                "rollout.wave_spread (%s) must not exceed rollout.wave_period (%s)", a, b);
    return FALSE;
  }
  double last_wave = (double)((sc->enbs - 1) / sc->wave_size) * sc->wave_period_s;
  if (!(last_wave + sc->wave_spread_s < sc->stop_time_s)) {
    g_autofree char *a = format_seconds(last_wave);
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                "rollout: the last wave of %u eNBs in waves of %u starts at %s, too late for "
                "scenario.stop_time (%s)",
                sc->enbs, sc->wave_size, a, stop);
    return FALSE;
  }
  return TRUE;
}

/* A burst chain that can enter the bad state must be able to leave it: with burst_exit 0 the
 * first burst would last for the rest of the run, which no fading does. */
static gboolean check_burst(const char *name, double enter, double exit, GError **error) {
  if (enter > 0 && !(exit > 0)) {
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                "%sburst_exit must be greater than 0 when %sburst_enter is set (it is %g): "
                "a burst lasts 1/burst_exit packets on average",
                name, name, enter);
    return FALSE;
  }
  return TRUE;
}

static gboolean validate_impairments(const EsScenario *sc, GError **error) {
  static const char *const classes[] = {"national.fibre_", "national.microwave_",
                                        "national.satellite_"};
  if (!check_burst("backhaul.", sc->access.burst_enter, sc->access.burst_exit, error) ||
      !check_burst("aggregation.", sc->aggregation.burst_enter, sc->aggregation.burst_exit,
                   error) ||
      !check_burst("core.", sc->core.burst_enter, sc->core.burst_exit, error))
    return FALSE;
  for (int c = 0; c < ES_ACCESS_CLASSES; c++)
    if (!check_burst(classes[c], sc->access_class[c].burst_enter, sc->access_class[c].burst_exit,
                     error))
      return FALSE;
  for (guint l = 0; l < ES_SCENARIO_LIST_MAX; l++)
    if (!check_burst("tree.",
                     es_value_list_get(&sc->tree_burst_enter, l, sc->aggregation.burst_enter),
                     es_value_list_get(&sc->tree_burst_exit, l, sc->aggregation.burst_exit),
                     error))
      return FALSE;
  return TRUE;
}

/* Re-checks every key against the table (callers may have written fields directly), then
 * what no single key can know. */
/* Each eNB is in one hostile class at most: the shares are slices of one draw per eNB. */
static gboolean validate_hostile(const EsScenario *sc, GError **error) {
  double sum = sc->hostile_unknown_vendor + sc->hostile_expired_device + sc->hostile_rogue_raca;
  if (sum > 1 + 1e-9) {
    g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE,
                "hostile.unknown_vendor + hostile.expired_device + hostile.rogue_raca add up to "
                "%g, more than 1",
                sum);
    return FALSE;
  }
  return TRUE;
}

gboolean es_scenario_validate(const EsScenario *sc, GError **error) {
  g_return_val_if_fail(sc != NULL, FALSE);
  g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++) {
    const EsKeyDef *d = &es_keys[i];
    if (d->hidden)
      continue;
    EsValue v;
    read_value(sc, d, &v);
    char *reason = check_value(d, &v);
    if (reason) {
      g_autofree char *text = format_value(d, &v);
      g_set_error(error, ES_SCENARIO_ERROR, ES_SCENARIO_ERROR_VALUE, "%s.%s: %s (value '%s')",
                  d->section, d->key, reason, text);
      g_free(reason);
      return FALSE;
    }
  }
  return validate_topology(sc, error) && validate_rollout(sc, error) &&
         validate_impairments(sc, error) && validate_hostile(sc, error);
}

double es_value_list_get(const EsValueList *list, guint i, double fallback) {
  g_return_val_if_fail(list != NULL, fallback);
  if (list->n == 0)
    return fallback;
  return list->v[MIN(i, list->n - 1)];
}

char *es_scenario_to_keyfile(const EsScenario *sc) {
  g_return_val_if_fail(sc != NULL, NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  for (gsize i = 0; i < G_N_ELEMENTS(es_keys); i++) {
    const EsKeyDef *d = &es_keys[i];
    if (d->hidden)
      continue;
    EsValue v;
    read_value(sc, d, &v);
    g_autofree char *text = format_value(d, &v);
    /* set_string escapes what a key file cannot hold verbatim (leading blanks, newlines). */
    if (is_string_type(d))
      g_key_file_set_string(kf, d->section, d->key, text);
    else
      g_key_file_set_value(kf, d->section, d->key, text);
  }
  return g_key_file_to_data(kf, NULL, NULL);
}
