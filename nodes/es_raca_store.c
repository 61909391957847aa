/* The live RA/CA's state in SQLite (WAL, synchronous=FULL: a commit survives a kill and a
 * power cut). Serials are hex as `openssl x509 -serial` prints them; times are wall-clock. */
#include "nodes/es_raca_store.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "pki/es_pki.h"

G_DEFINE_QUARK(es-raca-store-error-quark, es_raca_store_error)

#define SCHEMA_VERSION 1

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
  /* seq: order of issue. state: pending until confirmed, revoked once on the CRL (a revoked
   * one keeps confirmed=1 if it was). The pending columns let a restarted RA/CA accept its
   * certConf. */
  "CREATE TABLE IF NOT EXISTS certs("
  " seq INTEGER PRIMARY KEY, serial TEXT NOT NULL UNIQUE, subject TEXT NOT NULL,"
  " not_after INTEGER NOT NULL, der BLOB NOT NULL, request TEXT NOT NULL, replaces TEXT,"
  " state TEXT NOT NULL CHECK(state IN ('pending','confirmed','revoked')),"
  " confirmed INTEGER NOT NULL DEFAULT 0, t REAL NOT NULL, utc_us INTEGER NOT NULL,"
  " transaction_id BLOB, request_type INTEGER, sender_nonce BLOB, deadline REAL, client BLOB,"
  " confirmed_at REAL, answer_request BLOB, answer_response BLOB);"
  "CREATE TABLE IF NOT EXISTS revocations("
  " seq INTEGER PRIMARY KEY, serial TEXT NOT NULL UNIQUE REFERENCES certs(serial),"
  " reason INTEGER NOT NULL, cause TEXT NOT NULL, revoked_at INTEGER NOT NULL,"
  " t REAL NOT NULL, utc_us INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS seen_requests("
  " transaction_id BLOB NOT NULL, sender_nonce BLOB NOT NULL, message_time INTEGER NOT NULL,"
  " PRIMARY KEY(transaction_id, sender_nonce)) WITHOUT ROWID;"
  "CREATE INDEX IF NOT EXISTS seen_by_time ON seen_requests(message_time);";

enum {
  ST_ADD_CERT, ST_SET_PENDING, ST_CONFIRM, ST_REVOKE, ST_REVOKE_STATE, ST_SET_META,
  ST_GET_META, ST_ADD_SEEN, ST_N
};
static const char *const statements[ST_N] = {
  [ST_ADD_CERT] = "INSERT INTO certs(serial, subject, not_after, der, request, replaces, state,"
                  " t, utc_us) VALUES(?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
  [ST_SET_PENDING] = "UPDATE certs SET transaction_id = ?, request_type = ?, sender_nonce = ?,"
                     " deadline = ?, client = ?, answer_request = ?, answer_response = ?"
                     " WHERE serial = ?",
  [ST_CONFIRM] = "UPDATE certs SET confirmed = 1, state = 'confirmed', sender_nonce = NULL,"
                 " deadline = NULL, client = NULL, confirmed_at = ?, answer_request = ?, answer_response = ?"
                 " WHERE serial = ? AND state = 'pending'",
  [ST_REVOKE] = "INSERT INTO revocations(serial, reason, cause, revoked_at, t, utc_us)"
                " VALUES(?, ?, ?, ?, ?, ?)",
  [ST_REVOKE_STATE] = "UPDATE certs SET state = 'revoked', transaction_id = NULL,"
                      " sender_nonce = NULL, deadline = NULL, client = NULL WHERE serial = ?",
  [ST_SET_META] = "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)",
  [ST_GET_META] = "SELECT value FROM meta WHERE key = ?",
  [ST_ADD_SEEN] = "INSERT OR IGNORE INTO seen_requests(transaction_id, sender_nonce, message_time)"
                  " VALUES(?, ?, ?)",
};

struct EsRacaStore {
  sqlite3 *db;
  char *path;
  sqlite3_stmt *st[ST_N];
  guint depth;           /* begin calls not yet committed */
  GError *spoiled;       /* the first failed write of the open transaction */
};

/* The errno of the write that failed: SQLite says "disk I/O error" for one the file-size
 * limit refused (and its own sqlite3_system_errno is gone by the time COMMIT returns). */
static int io_errno;

static void set_db_error(EsRacaStore *store, GError **error, int code, const char *what)
{
  int rc = store->db != NULL ? sqlite3_errcode(store->db) : SQLITE_NOMEM;
  int sys = rc == SQLITE_IOERR || rc == SQLITE_FULL || rc == SQLITE_CANTOPEN
                ? (sqlite3_system_errno(store->db) != 0 ? sqlite3_system_errno(store->db) : io_errno)
                : 0;
  g_set_error(error, ES_RACA_STORE_ERROR, code, "%s %s: %s%s%s%s", what, store->path,
              store->db != NULL ? sqlite3_errmsg(store->db) : "out of memory",
              sys != 0 ? " (" : "", sys != 0 ? g_strerror(sys) : "", sys != 0 ? ")" : "");
}

static gboolean exec(EsRacaStore *store, const char *sql, int code, const char *what,
                     GError **error)
{
  errno = 0;
  if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  io_errno = errno;
  set_db_error(store, error, code, what);
  return FALSE;
}

/* Runs a prepared statement to its end (reset afterwards). */
static gboolean step(EsRacaStore *store, sqlite3_stmt *st, GError **error)
{
  errno = 0;
  int rc = sqlite3_step(st);
  io_errno = errno;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return TRUE;
  set_db_error(store, error, ES_RACA_STORE_ERROR_WRITE, "cannot write");
  return FALSE;
}

/* A write inside begin/commit: its failure spoils the transaction, which commit then rolls
 * back, so no half of a request's writes is ever kept. */
static gboolean write_done(EsRacaStore *store, gboolean ok, GError **error)
{
  if (!ok && store->depth > 0 && store->spoiled == NULL && error != NULL && *error != NULL)
    store->spoiled = g_error_copy(*error);
  return ok;
}

static gboolean meta_set(EsRacaStore *store, const char *key, sqlite3_int64 value, GError **error)
{
  sqlite3_stmt *st = store->st[ST_SET_META];
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, value);
  return step(store, st, error);
}

static gboolean meta_get_text(EsRacaStore *store, const char *key, char **out)
{
  sqlite3_stmt *st = store->st[ST_GET_META];
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  *out = NULL;
  gboolean found = sqlite3_step(st) == SQLITE_ROW;
  if (found)
    *out = g_strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return found;
}

static guint64 meta_get_uint(EsRacaStore *store, const char *key)
{
  char *text = NULL;
  guint64 v = meta_get_text(store, key, &text) && text != NULL ? g_ascii_strtoull(text, NULL, 10) : 0;
  g_free(text);
  return v;
}

/* The CA a database belongs to: the SHA-256 of its certificate. */
static char *ca_fingerprint(X509 *ca_cert)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!X509_digest(ca_cert, EVP_sha256(), md, &n))
    return NULL;
  GString *hex = g_string_new(NULL);
  for (unsigned int i = 0; i < n; i++)
    g_string_append_printf(hex, "%02X", md[i]);
  return g_string_free(hex, FALSE);
}

EsRacaStore *es_raca_store_open(const char *path, X509 *ca_cert, GError **error)
{
  EsRacaStore *store = g_new0(EsRacaStore, 1);
  store->path = g_strdup(path);
  char *fingerprint = ca_fingerprint(ca_cert);
  char *stored = NULL;
  if (sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)
      != SQLITE_OK) {
    set_db_error(store, error, ES_RACA_STORE_ERROR_OPEN, "cannot open");
    goto fail;
  }
  sqlite3_busy_timeout(store->db, 5000);
  /* WAL: a commit appends to the log, readers (sqlite3 on the command line) do not block
   * the server; FULL: the log is synced at each commit, so a committed issue survives. */
  if (!exec(store, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
            ES_RACA_STORE_ERROR_OPEN, "cannot open", error)
      || !exec(store, schema, ES_RACA_STORE_ERROR_OPEN, "cannot create tables in", error))
    goto fail;
  for (int i = 0; i < ST_N; i++)
    if (sqlite3_prepare_v3(store->db, statements[i], -1, SQLITE_PREPARE_PERSISTENT, &store->st[i],
                           NULL) != SQLITE_OK) {
      set_db_error(store, error, ES_RACA_STORE_ERROR_OPEN, "cannot prepare statements on");
      goto fail;
    }
  if (fingerprint == NULL) {
    g_set_error(error, ES_RACA_STORE_ERROR, ES_RACA_STORE_ERROR_OPEN,
                "cannot hash the CA certificate for %s", path);
    goto fail;
  }
  if (meta_get_text(store, "ca_sha256", &stored)) {
    if (g_strcmp0(stored, fingerprint) != 0) {
      g_set_error(error, ES_RACA_STORE_ERROR, ES_RACA_STORE_ERROR_OTHER_CA,
                  "%s holds the state of another CA (certificate SHA-256 %s, not %s)", path,
                  stored != NULL ? stored : "?", fingerprint);
      goto fail;
    }
  } else {
    sqlite3_stmt *st = store->st[ST_SET_META];
    sqlite3_bind_text(st, 1, "ca_sha256", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fingerprint, -1, SQLITE_STATIC);
    if (!step(store, st, error) || !meta_set(store, "schema", SCHEMA_VERSION, error))
      goto fail;
  }
  g_free(stored);
  g_free(fingerprint);
  return store;
fail:
  g_free(stored);
  g_free(fingerprint);
  es_raca_store_free(store);
  return NULL;
}

void es_raca_store_free(EsRacaStore *store)
{
  if (store == NULL)
    return;
  for (int i = 0; i < ST_N; i++)
    sqlite3_finalize(store->st[i]);
  sqlite3_close(store->db);
  g_clear_error(&store->spoiled);
  g_free(store->path);
  g_free(store);
}

const char *es_raca_store_get0_path(const EsRacaStore *store)
{
  return store->path;
}

void es_raca_store_begin(EsRacaStore *store)
{
  if (store->depth++ > 0)
    return;
  GError *error = NULL;
  if (!exec(store, "BEGIN IMMEDIATE", ES_RACA_STORE_ERROR_WRITE, "cannot begin a transaction on",
            &error))
    store->spoiled = error;
}

gboolean es_raca_store_commit(EsRacaStore *store, GError **error)
{
  g_return_val_if_fail(store->depth > 0, FALSE);
  if (--store->depth > 0)
    return TRUE;
  if (store->spoiled == NULL
      && exec(store, "COMMIT", ES_RACA_STORE_ERROR_WRITE, "cannot commit to", error))
    return TRUE;
  if (store->spoiled != NULL) {
    g_propagate_error(error, store->spoiled);
    store->spoiled = NULL;
  }
  if (!sqlite3_get_autocommit(store->db))
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

static void bind_bytes(sqlite3_stmt *st, int i, GBytes *b)
{
  if (b == NULL) {
    sqlite3_bind_null(st, i);
    return;
  }
  gsize n;
  const void *data = g_bytes_get_data(b, &n);
  sqlite3_bind_blob(st, i, data != NULL ? data : "", (int)n, SQLITE_TRANSIENT);
}

gboolean es_raca_store_add_cert(EsRacaStore *store, X509 *cert, const char *request,
                                X509 *replaces, double t, gint64 utc_us, guint64 next_serial,
                                GError **error)
{
  unsigned char *der = NULL;
  int len = i2d_X509(cert, &der);
  if (len <= 0) {
    g_set_error(error, ES_RACA_STORE_ERROR, ES_RACA_STORE_ERROR_WRITE,
                "cannot encode a certificate for %s", store->path);
    return write_done(store, FALSE, error);
  }
  char *serial = es_serial_hex(X509_get0_serialNumber(cert));
  char *old = replaces != NULL ? es_serial_hex(X509_get0_serialNumber(replaces)) : NULL;
  char *subject = es_subject_rfc2253(cert);
  time_t not_after = 0;
  ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
  int days = 0, secs = 0;
  if (epoch != NULL && ASN1_TIME_diff(&days, &secs, epoch, X509_get0_notAfter(cert)))
    not_after = (time_t)days * 86400 + secs;
  ASN1_TIME_free(epoch);
  sqlite3_stmt *st = store->st[ST_ADD_CERT];
  sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)not_after);
  sqlite3_bind_blob(st, 4, der, len, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, request, -1, SQLITE_STATIC);
  if (old != NULL)
    sqlite3_bind_text(st, 6, old, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 6);
  sqlite3_bind_double(st, 7, t);
  sqlite3_bind_int64(st, 8, utc_us);
  gboolean ok = step(store, st, error)
                && meta_set(store, "next_serial", (sqlite3_int64)next_serial, error);
  OPENSSL_free(der);
  g_free(serial);
  g_free(old);
  g_free(subject);
  return write_done(store, ok, error);
}

gboolean es_raca_store_set_pending(EsRacaStore *store, const ASN1_INTEGER *serial,
                                   GBytes *transaction_id, int request_type, GBytes *sender_nonce,
                                   double deadline, GBytes *client, GBytes *request,
                                   GBytes *response, GError **error)
{
  char *hex = es_serial_hex(serial);
  sqlite3_stmt *st = store->st[ST_SET_PENDING];
  bind_bytes(st, 1, transaction_id);
  sqlite3_bind_int(st, 2, request_type);
  bind_bytes(st, 3, sender_nonce);
  sqlite3_bind_double(st, 4, deadline);
  bind_bytes(st, 5, client);
  bind_bytes(st, 6, request);
  bind_bytes(st, 7, response);
  sqlite3_bind_text(st, 8, hex, -1, SQLITE_STATIC);
  gboolean ok = step(store, st, error);
  g_free(hex);
  return write_done(store, ok, error);
}

gboolean es_raca_store_confirm(EsRacaStore *store, const ASN1_INTEGER *serial, double when,
                               GBytes *request, GBytes *response, GError **error)
{
  char *hex = es_serial_hex(serial);
  sqlite3_stmt *st = store->st[ST_CONFIRM];
  sqlite3_bind_double(st, 1, when);
  bind_bytes(st, 2, request);
  bind_bytes(st, 3, response);
  sqlite3_bind_text(st, 4, hex, -1, SQLITE_STATIC);
  gboolean ok = step(store, st, error);
  g_free(hex);
  return write_done(store, ok, error);
}

gboolean es_raca_store_revoke(EsRacaStore *store, const ASN1_INTEGER *serial, int reason,
                              const char *cause, gint64 when, double t, gint64 utc_us,
                              GError **error)
{
  char *hex = es_serial_hex(serial);
  sqlite3_stmt *st = store->st[ST_REVOKE];
  sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, reason);
  sqlite3_bind_text(st, 3, cause, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, when);
  sqlite3_bind_double(st, 5, t);
  sqlite3_bind_int64(st, 6, utc_us);
  gboolean ok = step(store, st, error);
  if (ok) {
    st = store->st[ST_REVOKE_STATE];
    sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
    ok = step(store, st, error);
  }
  g_free(hex);
  return write_done(store, ok, error);
}

gboolean es_raca_store_set_crl_number(EsRacaStore *store, guint64 number, GError **error)
{
  return write_done(store, meta_set(store, "crl_number", (sqlite3_int64)number, error), error);
}

guint64 es_raca_store_get_next_serial(EsRacaStore *store)
{
  return meta_get_uint(store, "next_serial");
}

guint64 es_raca_store_get_crl_number(EsRacaStore *store)
{
  return meta_get_uint(store, "crl_number");
}

static GBytes *column_bytes(sqlite3_stmt *st, int i)
{
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    return NULL;
  const void *p = sqlite3_column_blob(st, i);
  return g_bytes_new(p, (gsize)sqlite3_column_bytes(st, i));
}

static gboolean query(EsRacaStore *store, const char *sql, gint64 after, sqlite3_stmt **st,
                      GError **error)
{
  if (sqlite3_prepare_v2(store->db, sql, -1, st, NULL) != SQLITE_OK) {
    set_db_error(store, error, ES_RACA_STORE_ERROR_READ, "cannot read");
    return FALSE;
  }
  if (after >= 0)
    sqlite3_bind_int64(*st, 1, after);
  return TRUE;
}

static gboolean query_end(EsRacaStore *store, sqlite3_stmt *st, int rc, GError **error)
{
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE)
    return TRUE;
  set_db_error(store, error, ES_RACA_STORE_ERROR_READ, "cannot read");
  return FALSE;
}

gboolean es_raca_store_foreach_cert(EsRacaStore *store, gint64 after_seq, EsStoredCertFn fn,
                                    void *arg, GError **error)
{
  sqlite3_stmt *st;
  if (!query(store,
             "SELECT seq, der, request, replaces, t, utc_us, confirmed, state = 'revoked',"
             " transaction_id, request_type, sender_nonce, deadline, confirmed_at,"
             " answer_request, answer_response, client FROM certs WHERE seq > ?"
             " ORDER BY seq", after_seq, &st, error))
    return FALSE;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    EsStoredCert c = {
      .seq = sqlite3_column_int64(st, 0),
      .der = sqlite3_column_blob(st, 1),
      .der_len = (gsize)sqlite3_column_bytes(st, 1),
      .request = (const char *)sqlite3_column_text(st, 2),
      .replaces = (const char *)sqlite3_column_text(st, 3),
      .t = sqlite3_column_double(st, 4),
      .utc_us = sqlite3_column_int64(st, 5),
      .confirmed = sqlite3_column_int(st, 6) != 0,
      .revoked = sqlite3_column_int(st, 7) != 0,
      .transaction_id = column_bytes(st, 8),
      .request_type = sqlite3_column_int(st, 9),
      .sender_nonce = column_bytes(st, 10),
      .deadline = sqlite3_column_double(st, 11),
      .confirmed_at = sqlite3_column_double(st, 12),
      .answer_request = column_bytes(st, 13),
      .answer_response = column_bytes(st, 14),
      .client = column_bytes(st, 15),
    };
    fn(arg, &c);
    if (c.answer_request != NULL)
      g_bytes_unref(c.answer_request);
    if (c.answer_response != NULL)
      g_bytes_unref(c.answer_response);
    if (c.transaction_id != NULL)
      g_bytes_unref(c.transaction_id);
    if (c.sender_nonce != NULL)
      g_bytes_unref(c.sender_nonce);
    if (c.client != NULL)
      g_bytes_unref(c.client);
  }
  return query_end(store, st, rc, error);
}

gboolean es_raca_store_foreach_revocation(EsRacaStore *store, gint64 after_seq,
                                          EsStoredRevocationFn fn, void *arg, GError **error)
{
  sqlite3_stmt *st;
  if (!query(store,
             "SELECT r.seq, r.serial, c.der, r.reason, r.cause, r.revoked_at, r.t, r.utc_us"
             " FROM revocations r JOIN certs c ON c.serial = r.serial WHERE r.seq > ?"
             " ORDER BY r.seq", after_seq, &st, error))
    return FALSE;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    EsStoredRevocation r = {
      .seq = sqlite3_column_int64(st, 0),
      .serial = (const char *)sqlite3_column_text(st, 1),
      .der = sqlite3_column_blob(st, 2),
      .der_len = (gsize)sqlite3_column_bytes(st, 2),
      .reason = sqlite3_column_int(st, 3),
      .cause = (const char *)sqlite3_column_text(st, 4),
      .when = sqlite3_column_int64(st, 5),
      .t = sqlite3_column_double(st, 6),
      .utc_us = sqlite3_column_int64(st, 7),
    };
    fn(arg, &r);
  }
  return query_end(store, st, rc, error);
}

gboolean es_raca_store_forget_answers(EsRacaStore *store, double confirmed_before, GError **error)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(store->db, "UPDATE certs SET answer_request = NULL,"
                         " answer_response = NULL WHERE confirmed_at < ?"
                         " AND answer_request IS NOT NULL", -1, &st, NULL) != SQLITE_OK) {
    set_db_error(store, error, ES_RACA_STORE_ERROR_WRITE, "cannot write");
    return write_done(store, FALSE, error);
  }
  sqlite3_bind_double(st, 1, confirmed_before);
  gboolean ok = step(store, st, error);
  sqlite3_finalize(st);
  return write_done(store, ok, error);
}

gboolean es_raca_store_add_seen(EsRacaStore *store, GBytes *transaction_id, GBytes *sender_nonce,
                                gint64 message_time, GError **error)
{
  sqlite3_stmt *st = store->st[ST_ADD_SEEN];
  bind_bytes(st, 1, transaction_id);
  bind_bytes(st, 2, sender_nonce);
  sqlite3_bind_int64(st, 3, message_time);
  return write_done(store, step(store, st, error), error);
}

gboolean es_raca_store_foreach_seen(EsRacaStore *store, EsStoredSeenFn fn, void *arg,
                                    GError **error)
{
  sqlite3_stmt *st;
  if (!query(store, "SELECT transaction_id, sender_nonce, message_time FROM seen_requests"
                    " ORDER BY message_time", -1, &st, error))
    return FALSE;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    GBytes *tid = column_bytes(st, 0), *nonce = column_bytes(st, 1);
    fn(arg, tid, nonce, sqlite3_column_int64(st, 2));
    g_bytes_unref(tid);
    g_bytes_unref(nonce);
  }
  return query_end(store, st, rc, error);
}

gboolean es_raca_store_forget_seen(EsRacaStore *store, gint64 message_time, GError **error)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(store->db, "DELETE FROM seen_requests WHERE message_time < ?", -1, &st,
                         NULL) != SQLITE_OK) {
    set_db_error(store, error, ES_RACA_STORE_ERROR_WRITE, "cannot write");
    return write_done(store, FALSE, error);
  }
  sqlite3_bind_int64(st, 1, message_time);
  gboolean ok = step(store, st, error);
  sqlite3_finalize(st);
  return write_done(store, ok, error);
}
