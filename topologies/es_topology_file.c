/* Topology files: `node NAME ROLE [raca=|ca=NAME]`, `link A B RATE DELAY [LOSS] [KEY=VALUE...]`
 * lines, checked to form one tree (errors name the file, the line and why), laid out root first. */
#include "topologies/es_topology_priv.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
  const char *name;
  EsNodeRole role;
  guint line;
  const char *raca_name; /* eNB's or SeGW's raca=NAME, or NULL */
  const char *ca_name;   /* RA/CA's ca=NAME, or NULL */
} FileNode;

typedef struct {
  const char *a, *b;
  guint ia, ib; /* node indexes once resolved */
  EsLinkParams params;
  const char *access; /* class=NAME, or NULL */
  guint line;
} FileLink;

typedef struct {
  const char *path;
  GStringChunk *strings;
  GArray *nodes;       /* FileNode, in file order */
  GArray *links;       /* FileLink, in file order */
  GHashTable *by_name; /* name -> index + 1 */
} Parser;

static gboolean fail(GError **error, EsTopologyError code, const char *path, guint line,
                     const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static gboolean fail(GError **error, EsTopologyError code, const char *path, guint line,
                     const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *why = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  if (line > 0)
    g_set_error(error, ES_TOPOLOGY_ERROR, code, "%s:%u: %s", path, line, why);
  else
    g_set_error(error, ES_TOPOLOGY_ERROR, code, "%s: %s", path, why);
  return FALSE;
}

static gboolean parse_node(Parser *p, char **tok, guint ntok, guint line, GError **error) {
  if (ntok < 3 || ntok > 4)
    return fail(error, ES_TOPOLOGY_ERROR_SYNTAX, p->path, line,
                "expected 'node NAME router|raca|enb|ca|segw [raca=NAME|ca=NAME]'");
  FileNode n = {.line = line};
  if (strcmp(tok[2], "router") == 0)
    n.role = ES_NODE_ROUTER;
  else if (strcmp(tok[2], "raca") == 0)
    n.role = ES_NODE_RACA;
  else if (strcmp(tok[2], "enb") == 0)
    n.role = ES_NODE_ENB;
  else if (strcmp(tok[2], "ca") == 0)
    n.role = ES_NODE_CA;
  else if (strcmp(tok[2], "segw") == 0)
    n.role = ES_NODE_SEGW;
  else
    return fail(error, ES_TOPOLOGY_ERROR_SYNTAX, p->path, line,
                "unknown role '%s' (expected router, raca, enb, ca or segw)", tok[2]);
  if (ntok == 4) {
    gboolean relying = n.role == ES_NODE_ENB || n.role == ES_NODE_SEGW;
    if (relying && g_str_has_prefix(tok[3], "raca=") && tok[3][5])
      n.raca_name = g_string_chunk_insert_const(p->strings, tok[3] + 5);
    else if (n.role == ES_NODE_RACA && g_str_has_prefix(tok[3], "ca=") && tok[3][3])
      n.ca_name = g_string_chunk_insert_const(p->strings, tok[3] + 3);
    else
      return fail(error, ES_TOPOLOGY_ERROR_SYNTAX, p->path, line,
                  "unexpected '%s' (only an enb or a segw takes raca=NAME, only a raca ca=NAME)",
                  tok[3]);
  }
  if (p->nodes->len >= ES_TOPOLOGY_MAX_NODES)
    return fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, line,
                "more than %u nodes (the most a topology may have)", ES_TOPOLOGY_MAX_NODES);
  guint earlier = GPOINTER_TO_UINT(g_hash_table_lookup(p->by_name, tok[1]));
  if (earlier)
    return fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, line,
                "node '%s' already declared on line %u", tok[1],
                g_array_index(p->nodes, FileNode, earlier - 1).line);
  n.name = g_string_chunk_insert_const(p->strings, tok[1]);
  g_array_append_val(p->nodes, n);
  g_hash_table_insert(p->by_name, (gpointer)n.name, GUINT_TO_POINTER(p->nodes->len));
  return TRUE;
}

/* The impairment attributes of a link, KEY=VALUE with the scenario's key names. */
static const struct {
  const char *key;
  size_t offset;
} link_probabilities[] = {
    {"loss", G_STRUCT_OFFSET(EsLinkParams, loss)},
    {"burst_enter", G_STRUCT_OFFSET(EsLinkParams, burst_enter)},
    {"burst_exit", G_STRUCT_OFFSET(EsLinkParams, burst_exit)},
    {"burst_loss", G_STRUCT_OFFSET(EsLinkParams, burst_loss)},
    {"corruption", G_STRUCT_OFFSET(EsLinkParams, corruption)},
};

static gboolean parse_link_attribute(Parser *p, FileLink *l, const char *tok, GError **error) {
  const char *eq = strchr(tok, '=');
  g_autofree char *key = eq ? g_strndup(tok, (gsize)(eq - tok)) : NULL;
  if (key && strcmp(key, "class") == 0) {
    /* A name to group results by (enrolments.csv's access column): no commas, not empty. */
    if (eq[1] == '\0' || strpbrk(eq + 1, ",\"") != NULL)
      return fail(error, ES_TOPOLOGY_ERROR_SYNTAX, p->path, l->line,
                  "bad class '%s' (a name without commas, like class=satellite)", eq + 1);
    l->access = g_string_chunk_insert_const(p->strings, eq + 1);
    return TRUE;
  }
  if (key && strcmp(key, "outages") == 0) {
    char *why = NULL;
    g_clear_pointer(&l->params.outages, g_free);
    if (!es_parse_outages(eq + 1, &l->params.outages, &why)) {
      gboolean r = fail(error, ES_TOPOLOGY_ERROR_SYNTAX, p->path, l->line,
                        "bad outages '%s': %s (START+DURATION,..., like 100s+30s,500s+10s)",
                        eq + 1, why);
      g_free(why);
      return r;
    }
    return TRUE;
  }
  for (gsize i = 0; key && i < G_N_ELEMENTS(link_probabilities); i++)
    if (strcmp(key, link_probabilities[i].key) == 0) {
      double *field = G_STRUCT_MEMBER_P(&l->params, link_probabilities[i].offset);
      if (!es_parse_probability(eq + 1, field))
        return fail(error, ES_TOPOLOGY_ERROR_SYNTAX, p->path, l->line,
                    "bad %s '%s' (a probability in [0, 1])", key, eq + 1);
      return TRUE;
    }
  return fail(error, ES_TOPOLOGY_ERROR_SYNTAX, p->path, l->line,
              "unknown link attribute '%s' (expected loss=, burst_enter=, burst_exit=, "
              "burst_loss=, outages=, corruption= or class=)",
              tok);
}

static gboolean parse_link(Parser *p, char **tok, guint ntok, guint line, GError **error) {
  if (ntok < 5)
    return fail(error, ES_TOPOLOGY_ERROR_SYNTAX, p->path, line,
                "expected 'link A B RATE DELAY [LOSS] [KEY=VALUE...]'");
  FileLink l = {.line = line, .params.burst_loss = 1};
  /* "-1Mbps" is a non-positive rate rather than a typo: say so. */
  gboolean parsed = es_parse_rate(tok[3][0] == '-' ? tok[3] + 1 : tok[3], &l.params.rate_bps);
  if (!parsed)
    return fail(error, ES_TOPOLOGY_ERROR_SYNTAX, p->path, line,
                "bad rate '%s' (a number with bps, kbps, Mbps or Gbps)", tok[3]);
  if (tok[3][0] == '-' || !(l.params.rate_bps > 0))
    return fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, line,
                "rate must be greater than 0 (value '%s')", tok[3]);
  if (l.params.rate_bps < ES_CONFIG_RATE_MIN || l.params.rate_bps > ES_CONFIG_RATE_MAX)
    return fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, line,
                "rate '%s' out of range (1bps to 1Tbps)", tok[3]);
  if (!es_parse_duration(tok[4], &l.params.delay_s))
    return fail(error, ES_TOPOLOGY_ERROR_SYNTAX, p->path, line,
                "bad delay '%s' (a non-negative number with us, ms or s)", tok[4]);
  if ((l.params.delay_s != 0 && l.params.delay_s < ES_CONFIG_DURATION_MIN)
      || l.params.delay_s > ES_CONFIG_DURATION_MAX)
    return fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, line,
                "delay '%s' out of range (0, or 1ns to 100 years)", tok[4]);
  guint next = 5;
  if (ntok > 5 && !strchr(tok[5], '=')) {
    if (!es_parse_probability(tok[5], &l.params.loss))
      return fail(error, ES_TOPOLOGY_ERROR_SYNTAX, p->path, line,
                  "bad loss '%s' (a probability in [0, 1])", tok[5]);
    next = 6;
  }
  for (guint i = next; i < ntok; i++)
    if (!parse_link_attribute(p, &l, tok[i], error)) {
      g_free(l.params.outages);
      return FALSE;
    }
  GError *why = NULL;
  if (!es_link_check(&l.params, "", TRUE, &why)) {
    g_free(l.params.outages);
    fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, line, "%s", why->message);
    g_error_free(why);
    return FALSE;
  }
  l.a = g_string_chunk_insert_const(p->strings, tok[1]);
  l.b = g_string_chunk_insert_const(p->strings, tok[2]);
  g_array_append_val(p->links, l);
  return TRUE;
}

static gboolean parse_lines(Parser *p, char *text, GError **error) {
  guint line = 0;
  for (char *cur = text; cur != NULL;) {
    char *next = strchr(cur, '\n');
    if (next)
      *next++ = '\0';
    line++;
    char *hash = strchr(cur, '#');
    if (hash)
      *hash = '\0';
    g_auto(GStrv) raw = g_strsplit_set(cur, " \t\r", -1);
    char *tok[16];
    guint ntok = 0;
    for (char **t = raw; *t; t++)
      if (**t) {
        if (ntok == G_N_ELEMENTS(tok))
          return fail(error, ES_TOPOLOGY_ERROR_SYNTAX, p->path, line, "too many fields");
        tok[ntok++] = *t;
      }
    cur = next;
    if (ntok == 0)
      continue;
    gboolean ok;
    if (strcmp(tok[0], "node") == 0)
      ok = parse_node(p, tok, ntok, line, error);
    else if (strcmp(tok[0], "link") == 0)
      ok = parse_link(p, tok, ntok, line, error);
    else
      ok = fail(error, ES_TOPOLOGY_ERROR_SYNTAX, p->path, line,
                "unknown statement '%s' (expected node or link)", tok[0]);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

static guint find_root(guint *up, guint i) {
  while (up[i] != i) {
    up[i] = up[up[i]];
    i = up[i];
  }
  return i;
}

/* Every link names declared nodes and joins two parts not joined yet (else it closes a
 * loop); afterwards everything must hang together. */
static gboolean check_tree(Parser *p, GError **error) {
  guint n = p->nodes->len;
  g_autofree guint *up = g_new(guint, n);
  for (guint i = 0; i < n; i++)
    up[i] = i;
  for (guint k = 0; k < p->links->len; k++) {
    FileLink *l = &g_array_index(p->links, FileLink, k);
    const char *names[2] = {l->a, l->b};
    guint idx[2];
    for (int e = 0; e < 2; e++) {
      idx[e] = GPOINTER_TO_UINT(g_hash_table_lookup(p->by_name, names[e]));
      if (idx[e] == 0)
        return fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, l->line, "unknown node '%s'",
                    names[e]);
      idx[e]--;
    }
    if (idx[0] == idx[1])
      return fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, l->line,
                  "link from '%s' to itself", l->a);
    guint ra = find_root(up, idx[0]), rb = find_root(up, idx[1]);
    if (ra == rb)
      return fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, l->line,
                  "link %s - %s closes a loop: they are already connected, and the backhaul "
                  "must be a tree",
                  l->a, l->b);
    up[ra] = rb;
    l->ia = idx[0];
    l->ib = idx[1];
  }
  guint root = find_root(up, 0);
  for (guint i = 1; i < n; i++)
    if (find_root(up, i) != root) {
      const FileNode *fn = &g_array_index(p->nodes, FileNode, i);
      return fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, fn->line,
                  "node '%s' is not connected to '%s' (the first node, the root)", fn->name,
                  g_array_index(p->nodes, FileNode, 0).name);
    }
  return TRUE;
}

/* The number of the node an eNB's or SeGW's raca= or an RA/CA's ca= names, or G_MAXUINT (and
 * the error, at the naming node's line) when it names no RA/CA or no CA respectively. */
static guint named_server(Parser *p, const FileNode *fn, const guint *number, GError **error) {
  gboolean enb = fn->role == ES_NODE_ENB || fn->role == ES_NODE_SEGW;
  const char *name = enb ? fn->raca_name : fn->ca_name;
  guint r = GPOINTER_TO_UINT(g_hash_table_lookup(p->by_name, name));
  const FileNode *rn = r ? &g_array_index(p->nodes, FileNode, r - 1) : NULL;
  if (rn != NULL && rn->role == (enb ? ES_NODE_RACA : ES_NODE_CA))
    return number[r - 1];
  if (enb)
    fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, fn->line, "raca=%s: %s", name,
         rn == NULL                ? "unknown node"
         : rn->role == ES_NODE_CA ? "not an RA/CA (a CA: eNBs enrol with the RAs in front of it)"
                                  : "not an RA/CA");
  else
    fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, fn->line, "ca=%s: %s", name,
         rn == NULL ? "unknown node" : "not a CA (a 'node NAME ca' line)");
  return G_MAXUINT;
}

/* Lays the tree out breadth first from the first node (parents before children); numbers eNBs,
 * RA/CAs, CAs and SeGWs in file order; gives each eNB and SeGW its raca= or else the nearest
 * RA/CA (a CA is never one), and each RA/CA of a file with CAs its ca= or else the first CA. */
static EsTopology *lay_out(Parser *p, GError **error) {
  guint n = p->nodes->len, n_links = p->links->len;
  guint n_enbs = 0, n_racas = 0, n_cas = 0, n_segws = 0;
  g_autofree guint *number = g_new0(guint, n); /* eNB 1.., RA/CA, CA, SeGW 0.. in file order */
  for (guint i = 0; i < n; i++) {
    const FileNode *fn = &g_array_index(p->nodes, FileNode, i);
    if (fn->role == ES_NODE_ENB)
      number[i] = ++n_enbs;
    else if (fn->role == ES_NODE_RACA)
      number[i] = n_racas++;
    else if (fn->role == ES_NODE_CA)
      number[i] = n_cas++;
    else if (fn->role == ES_NODE_SEGW)
      number[i] = n_segws++;
  }
  for (guint i = 0; i < n && n_cas == 0; i++) {
    const FileNode *fn = &g_array_index(p->nodes, FileNode, i);
    if (fn->ca_name != NULL) {
      fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, fn->line,
           "ca=%s: the file declares no CA (a 'node NAME ca' line), so every RA/CA is its own",
           fn->ca_name);
      return NULL;
    }
  }
  if (n_racas == 0 || n_enbs == 0) {
    fail(error, ES_TOPOLOGY_ERROR_INVALID, p->path, 0, "no %s (a 'node NAME %s' line)",
         n_racas == 0 ? "RA/CA" : "eNB", n_racas == 0 ? "raca" : "enb");
    return NULL;
  }

  /* Adjacency in compressed rows: the links of node i are adj[first[i]..first[i+1]). */
  g_autofree guint *first = g_new0(guint, n + 1);
  g_autofree guint *adj = g_new(guint, 2 * MAX(n_links, 1u)); /* link indexes */
  for (guint k = 0; k < n_links; k++) {
    const FileLink *l = &g_array_index(p->links, FileLink, k);
    first[l->ia + 1]++;
    first[l->ib + 1]++;
  }
  for (guint i = 0; i < n; i++)
    first[i + 1] += first[i];
  {
    g_autofree guint *fill = g_memdup2(first, sizeof(guint) * n);
    for (guint k = 0; k < n_links; k++) {
      const FileLink *l = &g_array_index(p->links, FileLink, k);
      adj[fill[l->ia]++] = k;
      adj[fill[l->ib]++] = k;
    }
  }
#define OTHER(k, i)                                                                              \
  (g_array_index(p->links, FileLink, (k)).ia == (i) ? g_array_index(p->links, FileLink, (k)).ib \
                                                    : g_array_index(p->links, FileLink, (k)).ia)

  /* Nearest RA/CA by hops: breadth first from all of them at once, in RA/CA order, so a tie
   * goes to the lower number. */
  g_autofree guint *nearest = g_new(guint, n);
  g_autofree guint *queue = g_new(guint, n);
  guint head = 0, tail = 0;
  for (guint i = 0; i < n; i++)
    nearest[i] = G_MAXUINT;
  for (guint r = 0; r < n_racas; r++)
    for (guint i = 0; i < n; i++)
      if (g_array_index(p->nodes, FileNode, i).role == ES_NODE_RACA && number[i] == r) {
        nearest[i] = r;
        queue[tail++] = i;
      }
  while (head < tail) {
    guint v = queue[head++];
    for (guint e = first[v]; e < first[v + 1]; e++) {
      guint w = OTHER(adj[e], v);
      if (nearest[w] == G_MAXUINT) {
        nearest[w] = nearest[v];
        queue[tail++] = w;
      }
    }
  }

  /* Breadth first from the root: position in the layout, parent and uplink. */
  g_autofree guint *pos = g_new(guint, n);
  g_autofree guint *via = g_new(guint, n); /* link to the parent */
  for (guint i = 0; i < n; i++)
    pos[i] = G_MAXUINT;
  head = tail = 0;
  queue[tail++] = 0;
  pos[0] = 0;
  via[0] = G_MAXUINT;
  while (head < tail) {
    guint v = queue[head++];
    for (guint e = first[v]; e < first[v + 1]; e++) {
      guint w = OTHER(adj[e], v);
      if (pos[w] == G_MAXUINT) {
        pos[w] = tail;
        via[w] = adj[e];
        queue[tail++] = w;
      }
    }
  }
#undef OTHER

  EsTopology *topo = es_topology_alloc(n, n_enbs, n_racas, n_cas);
  es_topology_alloc_segws(topo, n_segws);
  for (guint j = 0; j < n; j++) {
    guint i = queue[j];
    const FileNode *fn = &g_array_index(p->nodes, FileNode, i);
    EsTopoNode *node = &topo->nodes[j];
    node->role = fn->role;
    node->number = number[i];
    if (j > 0) {
      const FileLink *l = &g_array_index(p->links, FileLink, via[i]);
      node->parent = pos[l->ia == i ? l->ib : l->ia];
      node->uplink = l->params;
      node->uplink.outages = es_topology_intern_outages(topo, l->params.outages);
    }
    if (fn->role == ES_NODE_ENB) {
      topo->enb_nodes[number[i] - 1] = j;
      node->raca = nearest[i];
      /* Its uplink's class=, or the node it hangs on (named before it: parents come first);
       * an eNB at the root has neither and is its own. */
      const FileLink *up = j > 0 ? &g_array_index(p->links, FileLink, via[i]) : NULL;
      const char *access = up == NULL ? fn->name
                           : up->access != NULL ? up->access : topo->names[node->parent];
      node->access = g_string_chunk_insert_const(topo->strings, access);
      if (fn->raca_name && (node->raca = named_server(p, fn, number, error)) == G_MAXUINT) {
        es_topology_free(topo);
        return NULL;
      }
    } else if (fn->role == ES_NODE_RACA) {
      topo->raca_nodes[number[i]] = j;
      if (fn->ca_name && (node->ca = named_server(p, fn, number, error)) == G_MAXUINT) {
        es_topology_free(topo);
        return NULL;
      }
    } else if (fn->role == ES_NODE_CA) {
      topo->ca_nodes[number[i]] = j;
    } else if (fn->role == ES_NODE_SEGW) {
      topo->segw_nodes[number[i]] = j;
      node->raca = nearest[i];
      node->access = "segw"; /* its fetches' bytes are counted under this class */
      if (fn->raca_name && (node->raca = named_server(p, fn, number, error)) == G_MAXUINT) {
        es_topology_free(topo);
        return NULL;
      }
    }
    topo->names[j] = g_string_chunk_insert_const(topo->strings, fn->name);
  }
  topo->filled = n;
  topo->enbs_added = n_enbs;
  topo->racas_added = n_racas;
  topo->cas_added = n_cas;
  topo->segws_added = n_segws;
  return topo;
}

EsTopology *es_topology_load(const char *path, GError **error) {
  g_return_val_if_fail(path != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  g_autofree char *text = NULL;
  GError *inner = NULL;
  /* Not read whole when it cannot be a topology: a device never ends, and a file beyond the
   * node bound's size is refused before its text is held. */
  GStatBuf st;
  if (g_stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size > ES_TOPOLOGY_MAX_BYTES)) {
    fail(error, ES_TOPOLOGY_ERROR_FILE, path, 0,
         !S_ISREG(st.st_mode) ? "not a regular file" : "larger than 256 MiB: not a topology file");
    return NULL;
  }
  if (!g_file_get_contents(path, &text, NULL, &inner)) {
    g_set_error(error, ES_TOPOLOGY_ERROR, ES_TOPOLOGY_ERROR_FILE, "%s", inner->message);
    g_error_free(inner);
    return NULL;
  }
  Parser p = {
      .path = path,
      .strings = g_string_chunk_new(1 << 16),
      .nodes = g_array_new(FALSE, FALSE, sizeof(FileNode)),
      .links = g_array_new(FALSE, FALSE, sizeof(FileLink)),
      .by_name = g_hash_table_new(g_str_hash, g_str_equal),
  };
  EsTopology *topo = NULL;
  if (!parse_lines(&p, text, error))
    goto out;
  if (p.nodes->len == 0) {
    fail(error, ES_TOPOLOGY_ERROR_INVALID, path, 0, "no nodes");
    goto out;
  }
  if (check_tree(&p, error))
    topo = lay_out(&p, error);
out:
  for (guint i = 0; i < p.links->len; i++)
    g_free(g_array_index(p.links, FileLink, i).params.outages);
  g_hash_table_destroy(p.by_name);
  g_array_unref(p.nodes);
  g_array_unref(p.links);
  g_string_chunk_free(p.strings);
  return topo;
}
