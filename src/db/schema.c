/*
 * schema.c -- opening the cluster database: creating a new file with the
 * one wolfpack schema, or checking that an existing file is a wolfpack
 * database this build understands, then setting the pragmas that make a
 * commit durable (WAL, synchronous=FULL) and the foreign keys enforced.
 *
 * A new file is built next to its final path as PATH.new and renamed into
 * place only when complete, so a crash during creation never leaves a
 * half-made database at PATH.  Any existing file that is not ours (not
 * SQLite, foreign SQLite, damaged, empty, newer schema) is refused with
 * WP_E_CORRUPT and left untouched.
 */
#include "db_internal.h"

#include "../lib/model.h"
#include "../lib/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The schema.  Names compare case-insensitively ("Web" and "web" are the
 * same resource); policies and properties are canonical JSON objects.
 * Runtime state sits beside the configuration: node paused/drained; a
 * group's owner, operator target, pending move, the state its last
 * scheduler decision left (sched_state, NULL before any) and its failover
 * history; a resource's state, node, target, last error, pending_since and
 * restart history.  Histories are JSON arrays of unix times (at most 64). */
static const char schema_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;\n"
    "CREATE TABLE node(name TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,"
    " id INTEGER NOT NULL UNIQUE,"
    " address TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    " paused INTEGER NOT NULL DEFAULT 0,"
    " drained INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;\n"
    "CREATE TABLE grp(name TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,"
    " policy TEXT NOT NULL,"
    " owner TEXT COLLATE NOCASE REFERENCES node(name) ON DELETE SET NULL,"
    " sched_state TEXT,"
    " target TEXT NOT NULL DEFAULT 'offline',"
    " move_to TEXT COLLATE NOCASE,"
    " failovers TEXT NOT NULL DEFAULT '[]') WITHOUT ROWID;\n"
    "CREATE TABLE resource(name TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,"
    " grp TEXT NOT NULL COLLATE NOCASE REFERENCES grp(name),"
    " type TEXT NOT NULL,"
    " props TEXT NOT NULL,"
    " policy TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'Offline',"
    " target TEXT NOT NULL DEFAULT 'online',"
    " node TEXT COLLATE NOCASE REFERENCES node(name) ON DELETE SET NULL,"
    " last_error TEXT,"
    " pending_since INTEGER,"
    " restarts TEXT NOT NULL DEFAULT '[]') WITHOUT ROWID;\n"
    "CREATE INDEX resource_by_grp ON resource(grp, name);\n"
    "CREATE INDEX resource_by_node ON resource(node);\n"
    "CREATE TABLE dependency("
    " res TEXT NOT NULL COLLATE NOCASE REFERENCES resource(name) ON DELETE CASCADE,"
    " dep TEXT NOT NULL COLLATE NOCASE REFERENCES resource(name),"
    " PRIMARY KEY(res, dep)) WITHOUT ROWID;\n"
    "CREATE INDEX dependency_by_dep ON dependency(dep, res);\n";

void db_conn_harden(sqlite3 *conn)
{
    sqlite3_db_config(conn, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_db_config(conn, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    sqlite3_extended_result_codes(conn, 1);
}

static bool conn_exec(sqlite3 *conn, const char *sql, const char *label, wp_err *err)
{
    if (sqlite3_exec(conn, sql, NULL, NULL, NULL) == SQLITE_OK)
        return true;
    int rc = sqlite3_extended_errcode(conn);
    wp_errf(err, db_code_of(rc), "cannot set up the cluster database %s", label);
    wp_err_why(err, "SQLite: %s", sqlite3_errmsg(conn));
    wp_err_todo(err, "check the disk and the permissions of %s", label);
    return false;
}

bool db_schema_create(sqlite3 *conn, wp_err *err)
{
    if (!conn_exec(conn, schema_sql, "(new)", err))
        return false;
    json_t *policy = wp_group_policy_defaults();
    char *policy_text = policy ? db_json_text(policy) : NULL;
    json_decref(policy);
    if (!policy_text) {
        wp_errf(err, WP_E_INTERNAL, "cannot create the cluster database");
        wp_err_why(err, "the default group policy could not be built");
        wp_err_todo(err, "report this bug");
        return false;
    }
    char *sql = sqlite3_mprintf(
        "INSERT INTO meta(key, value) VALUES ('format', '%q'), ('schema_version', %d),"
        " ('cluster', NULL), ('version', 0);"
        "INSERT INTO grp(name, policy) VALUES ('%q', '%q');",
        WP_DB_FORMAT, WP_DB_SCHEMA_VERSION, WP_CLUSTER_GROUP, policy_text);
    free(policy_text);
    bool ok = sql && conn_exec(conn, sql, "(new)", err);
    sqlite3_free(sql);
    return ok;
}

/* --- verification ------------------------------------------------------ */

static bool corrupt(wp_err *err, const char *label, const char *why, const char *detail)
{
    wp_errf(err, WP_E_CORRUPT, "cannot use %s as a wolfpack cluster database", label);
    wp_err_why(err, "%s%s%s", why, detail ? ": " : "", detail ? detail : "");
    wp_err_todo(err,
                "move %s away; a cluster node receives the database from the "
                "cluster when it joins, or restore a backup",
                label);
    return false;
}

/* Run a one-row query; returns the first column as text in buf. */
static int query_text(sqlite3 *conn, const char *sql, char *buf, size_t size)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(conn, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            snprintf(buf, size, "%s", t ? (const char *)t : "");
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            buf[0] = '\0';
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* The schema as SQLite stores it, one string, for comparison. */
static char *schema_dump(sqlite3 *conn)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(conn,
                           "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema"
                           " ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK)
        return NULL;
    char *out = sqlite3_mprintf("%s", "");
    int rc;
    while (out && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        char *next = sqlite3_mprintf("%s%s\x1f%s\x1f%s\x1f%s\x1e", out, sqlite3_column_text(st, 0),
                                     sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
                                     sqlite3_column_text(st, 3));
        sqlite3_free(out);
        out = next;
    }
    if (out && rc != SQLITE_DONE) {
        sqlite3_free(out);
        out = NULL;
    }
    sqlite3_finalize(st);
    return out;
}

static bool schema_matches(sqlite3 *conn)
{
    sqlite3 *ref = NULL;
    bool same = false;
    if (sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_exec(ref, schema_sql, NULL, NULL, NULL) == SQLITE_OK) {
        char *want = schema_dump(ref);
        char *have = schema_dump(conn);
        same = want && have && strcmp(want, have) == 0;
        sqlite3_free(want);
        sqlite3_free(have);
    }
    sqlite3_close(ref);
    return same;
}

/* A read that failed: damage or a foreign file is WP_E_CORRUPT; a lock, a
 * full disk or an I/O error is reported as what it is. */
static bool read_failed(sqlite3 *conn, int rc, const char *label, const char *why, wp_err *err)
{
    wp_code code = db_code_of(rc);
    if (code == WP_E_CORRUPT || code == WP_E_INTERNAL)
        return corrupt(err, label, why, sqlite3_errmsg(conn));
    wp_errf(err, code, "cannot read the cluster database %s", label);
    wp_err_why(err, "SQLite: %s", sqlite3_errmsg(conn));
    wp_err_todo(err,
                code == WP_E_UNAVAILABLE
                    ? "another process holds the database locked; stop it and retry"
                    : "check the disk and the permissions of %s",
                label);
    return false;
}

bool db_schema_verify(sqlite3 *conn, const char *label, wp_err *err)
{
    char buf[512];
    int rc = query_text(conn, "PRAGMA application_id", buf, sizeof buf);
    if (rc != SQLITE_OK)
        return read_failed(conn, rc, label, "it is not an SQLite database", err);
    if (strtoll(buf, NULL, 10) != WP_DB_APP_ID)
        return corrupt(err, label, "it is an SQLite database of another application", NULL);
    rc = query_text(conn, "PRAGMA quick_check", buf, sizeof buf);
    if (rc != SQLITE_OK)
        return read_failed(conn, rc, label, "SQLite cannot read it", err);
    if (strcmp(buf, "ok") != 0)
        return corrupt(err, label, "SQLite's integrity check failed", buf);
    rc = query_text(conn, "SELECT value FROM meta WHERE key = 'format'", buf, sizeof buf);
    if (rc != SQLITE_OK || strcmp(buf, WP_DB_FORMAT) != 0)
        return corrupt(err, label, "its format marker is missing or unknown", NULL);
    rc = query_text(conn, "SELECT value FROM meta WHERE key = 'schema_version'", buf, sizeof buf);
    long long schema = rc == SQLITE_OK ? strtoll(buf, NULL, 10) : 0;
    if (schema > WP_DB_SCHEMA_VERSION) {
        corrupt(err, label, "it was written by a newer wolfpack", NULL);
        wp_err_why(err,
                   "it was written by a newer wolfpack (schema version %lld, this build "
                   "knows up to %d)",
                   schema, WP_DB_SCHEMA_VERSION);
        wp_err_todo(err, "upgrade wolfpack on this node before using %s", label);
        return false;
    }
    if (schema < 1)
        return corrupt(err, label, "its schema version is missing", NULL);
    if (!schema_matches(conn))
        return corrupt(err, label, "its tables differ from the wolfpack schema", NULL);
    rc = query_text(conn, "SELECT typeof(value) FROM meta WHERE key = 'version'", buf, sizeof buf);
    if (rc != SQLITE_OK || strcmp(buf, "integer") != 0)
        return corrupt(err, label, "its database version is missing", NULL);
    return true;
}

/* --- open / create ----------------------------------------------------- */

static bool open_fail(sqlite3 *conn, const char *path, const char *doing, wp_err *err)
{
    int rc = conn ? sqlite3_extended_errcode(conn) : SQLITE_NOMEM;
    wp_errf(err, db_code_of(rc) == WP_E_INTERNAL ? WP_E_IO : db_code_of(rc),
            "cannot %s the cluster database %s", doing, path);
    wp_err_why(err, "SQLite: %s", conn ? sqlite3_errmsg(conn) : "out of memory");
    wp_err_todo(err, "check that the directory exists and is writable, and the disk has room");
    return false;
}

/* Build a complete new database at path (via path.new and rename). */
static bool create_file(const char *path, wp_err *err)
{
    char *tmp = sqlite3_mprintf("%s.new", path);
    char *tmp_wal = sqlite3_mprintf("%s.new-wal", path);
    char *tmp_jnl = sqlite3_mprintf("%s.new-journal", path);
    sqlite3 *conn = NULL;
    bool ok = tmp && tmp_wal && tmp_jnl;
    if (ok) {
        unlink(tmp);
        unlink(tmp_wal);
        unlink(tmp_jnl);
        ok = sqlite3_open_v2(tmp, &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
             SQLITE_OK;
        if (!ok)
            open_fail(conn, path, "create", err);
    }
    if (ok) {
        db_conn_harden(conn);
        char *pragmas = sqlite3_mprintf("PRAGMA application_id = %d; PRAGMA user_version = %d;"
                                        " PRAGMA synchronous = FULL;",
                                        WP_DB_APP_ID, WP_DB_SCHEMA_VERSION);
        ok = conn_exec(conn, pragmas, path, err) && conn_exec(conn, "BEGIN", path, err) &&
             db_schema_create(conn, err) && conn_exec(conn, "COMMIT", path, err) &&
             conn_exec(conn, "PRAGMA journal_mode = WAL", path, err);
        sqlite3_free(pragmas);
    }
    if (conn && sqlite3_close(conn) != SQLITE_OK && ok)
        ok = open_fail(conn, path, "create", err);
    if (ok && (rename(tmp, path) != 0 || !wp_fs_fsync_parent(path, NULL))) {
        wp_errf(err, WP_E_IO, "cannot create the cluster database %s", path);
        wp_err_why(err, "rename of %s failed: %s", tmp, strerror(errno));
        wp_err_todo(err, "check the permissions of the directory holding %s", path);
        ok = false;
    }
    if (!ok && tmp) {
        unlink(tmp);
        unlink(tmp_wal);
        unlink(tmp_jnl);
    }
    sqlite3_free(tmp);
    sqlite3_free(tmp_wal);
    sqlite3_free(tmp_jnl);
    return ok;
}

static bool set_pragmas(sqlite3 *conn, const char *path, wp_err *err)
{
    char mode[32];
    if (query_text(conn, "PRAGMA journal_mode = WAL", mode, sizeof mode) != SQLITE_OK ||
        strcmp(mode, "wal") != 0) {
        wp_errf(err, WP_E_IO, "cannot put the cluster database %s in WAL mode", path);
        wp_err_why(err, "SQLite: %s (journal mode is '%s')", sqlite3_errmsg(conn), mode);
        wp_err_todo(err,
                    "check that the directory of %s is writable (WAL needs "
                    "PATH-wal and PATH-shm next to it)",
                    path);
        return false;
    }
    return conn_exec(conn, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", path, err);
}

static bool check_existing_file(const char *path, bool *missing, wp_err *err)
{
    struct stat sb;
    *missing = false;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT) {
            *missing = true;
            return true;
        }
        wp_errf(err, WP_E_IO, "cannot open the cluster database %s", path);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "check the path and its permissions");
        return false;
    }
    if (!S_ISREG(sb.st_mode))
        return corrupt(err, path, "it is not a regular file", NULL);
    if (sb.st_size == 0)
        return corrupt(err, path, "the file is empty", NULL);
    return true;
}

wp_db *wp_db_open(const char *path, wp_err *err)
{
    if (!path || !*path) {
        wp_errf(err, WP_E_INVALID, "cannot open the cluster database");
        wp_err_why(err, "no path was given");
        wp_err_todo(err, "pass the database path (wolfpackd uses STATE_DIR/cluster.db)");
        return NULL;
    }
    bool missing;
    if (!check_existing_file(path, &missing, err))
        return NULL;
    if (missing && !create_file(path, err))
        return NULL;
    wp_db *db = calloc(1, sizeof *db);
    if (!db || !(db->path = strdup(path))) {
        free(db);
        wp_errf(err, WP_E_IO, "cannot open the cluster database %s", path);
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "free memory and retry");
        return NULL;
    }
    if (sqlite3_open_v2(path, &db->conn, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        open_fail(db->conn, path, "open", err);
        wp_db_close(db);
        return NULL;
    }
    db_conn_harden(db->conn);
    sqlite3_busy_timeout(db->conn, WP_DB_BUSY_MS);
    if (!db_schema_verify(db->conn, path, err) || !set_pragmas(db->conn, path, err)) {
        wp_db_close(db);
        return NULL;
    }
    return db;
}

void wp_db_close(wp_db *db)
{
    if (!db)
        return;
    db_stmts_finalize(db);
    sqlite3_close(db->conn);
    free(db->path);
    free(db);
}

int64_t wp_db_version(wp_db *db)
{
    sqlite3_stmt *st = db_stmt(db, "SELECT value FROM meta WHERE key = 'version'", NULL);
    if (!st)
        return -1;
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return v;
}
