/* Numbers with units: the one parser of durations, rates and arrival rates, and the shortest
 * text that reads back as the same double. */
#include "config/es_config_priv.h"

#include <math.h>
#include <string.h>

/* Minutes both ways: "m" as in 2m, "min" as in the /min of arrival rates. The canonical text
 * is always seconds, so a unit added here never changes a dump. */
const EsUnit es_duration_units[] = {
    {"us", 1e6, TRUE}, {"ms", 1e3, TRUE},   {"s", 1, FALSE},        {"m", 60, FALSE},
    {"min", 60, FALSE}, {"h", 3600, FALSE}, {"d", 86400, FALSE},    {NULL, 0, FALSE}};
const EsUnit es_rate_units[] = {
    {"bps", 1, FALSE}, {"kbps", 1e3, FALSE}, {"Mbps", 1e6, FALSE}, {"Gbps", 1e9, FALSE},
    {NULL, 0, FALSE}};
const EsUnit es_arrival_units[] = {
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
char *es_parse_number_unit(const char *text, const EsUnit *units, double *out) {
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

/* The parse without its reason: TRUE and *out (when out is set), or FALSE. */
static gboolean parse_quiet(const char *text, const EsUnit *units, double max, double *out) {
  double v;
  char *reason = es_parse_number_unit(text, units, &v);
  g_free(reason);
  if (reason != NULL || v > max)
    return FALSE;
  if (out)
    *out = v;
  return TRUE;
}

gboolean es_parse_duration(const char *text, double *out_s) {
  return parse_quiet(text, es_duration_units, INFINITY, out_s);
}

gboolean es_parse_rate(const char *text, double *out_bps) {
  return parse_quiet(text, es_rate_units, INFINITY, out_bps);
}

gboolean es_parse_probability(const char *text, double *out) {
  return parse_quiet(text, NULL, 1, out);
}

/* Shortest text that g_ascii_strtod reads back as the same double ("0.1", not the
 * "0.10000000000000001" of a fixed %.17g), so dumped scenarios stay readable. */
void es_format_shortest(char *buf, gsize len, double v) {
  static const char *const formats[] = {"%.15g", "%.16g", "%.17g"};
  for (gsize i = 0; i < G_N_ELEMENTS(formats); i++) {
    g_ascii_formatd(buf, (int)len, formats[i], v);
    if (g_ascii_strtod(buf, NULL) == v)
      return;
  }
}

