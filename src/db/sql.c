/*
 * sql.c -- small helpers over SQLite for the rest of src/db: a cache of
 * prepared statements (prepared once, reused by every command, which is
 * what lets a batch apply thousands of commands per second), mapping of
 * SQLite errors to wolfpack errors, and one-line lookups.
 */
#include "db_internal.h"

#include <stdlib.h>
#include <string.h>

sqlite3_stmt *db_stmt(wp_db *db, const char *sql, wp_err *err)
{
    for (size_t i = 0; i < db->nstmts; i++) {
        if (db->stmts[i].sql == sql) {
            sqlite3_stmt *st = db->stmts[i].stmt;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
    }
    if (db->nstmts == WP_DB_STMT_MAX) {
        wp_errf(err, WP_E_INTERNAL, "cannot prepare a database statement");
        wp_err_why(err, "the statement cache is full (%d entries)", WP_DB_STMT_MAX);
        wp_err_todo(err, "report this bug; raise WP_DB_STMT_MAX");
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        db_sql_fail(db, err, "prepare a database statement");
        return NULL;
    }
    db->stmts[db->nstmts].sql = sql;
    db->stmts[db->nstmts].stmt = st;
    db->nstmts++;
    return st;
}

void db_stmts_finalize(wp_db *db)
{
    for (size_t i = 0; i < db->nstmts; i++)
        sqlite3_finalize(db->stmts[i].stmt);
    db->nstmts = 0;
}

wp_code db_code_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return WP_E_CORRUPT;
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_READONLY:
        return WP_E_PERM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return WP_E_UNAVAILABLE;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
        return WP_E_IO;
    default:
        return WP_E_INTERNAL;
    }
}

bool db_sql_fail(wp_db *db, wp_err *err, const char *what)
{
    int rc = sqlite3_extended_errcode(db->conn);
    wp_errf(err, db_code_of(rc), "cannot %s in the cluster database %s", what, db->path);
    wp_err_why(err, "SQLite: %s", sqlite3_errmsg(db->conn));
    switch (db_code_of(rc)) {
    case WP_E_IO:
        wp_err_todo(err, "check free space and the disk holding %s", db->path);
        break;
    case WP_E_CORRUPT:
        wp_err_todo(err,
                    "stop wolfpackd on this node, move %s away and let the node "
                    "receive the database from the cluster",
                    db->path);
        break;
    case WP_E_UNAVAILABLE:
        wp_err_todo(err, "another process holds the database; retry, or stop it");
        break;
    default:
        wp_err_todo(err, "report this bug with the message above");
        break;
    }
    return false;
}

bool db_exec(wp_db *db, const char *sql, wp_err *err)
{
    if (sqlite3_exec(db->conn, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_sql_fail(db, err, "run a database statement");
    return true;
}

bool db_step_done(wp_db *db, sqlite3_stmt *st, const char *what, wp_err *err)
{
    int rc = sqlite3_step(st);
    bool ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
    if (!ok)
        db_sql_fail(db, err, what);
    sqlite3_reset(st);
    return ok;
}

void db_bind_texts(sqlite3_stmt *st, int n, const char *const *values)
{
    for (int i = 0; i < n; i++) {
        if (values[i])
            sqlite3_bind_text(st, i + 1, values[i], -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, i + 1);
    }
}

bool db_run(wp_db *db, const char *sql, int n, const char *const *values, const char *what,
            wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db, sql, err);
    if (!st)
        return false;
    db_bind_texts(st, n, values);
    return db_step_done(db, st, what, err);
}

int db_exists(wp_db *db, const char *sql, const char *a, const char *b, wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db, sql, err);
    if (!st)
        return -1;
    const char *vals[2] = {a, b};
    db_bind_texts(st, sqlite3_bind_parameter_count(st), vals);
    int rc = sqlite3_step(st);
    int result = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (result < 0)
        db_sql_fail(db, err, "read");
    sqlite3_reset(st);
    return result;
}

int db_text(wp_db *db, const char *sql, const char *a, char **out, wp_err *err)
{
    *out = NULL;
    sqlite3_stmt *st = db_stmt(db, sql, err);
    if (!st)
        return -1;
    if (a)
        sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int result = 0;
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        *out = strdup(t ? (const char *)t : "");
        result = 1;
        if (!*out) {
            wp_errf(err, WP_E_IO, "cannot read the cluster database %s", db->path);
            wp_err_why(err, "out of memory");
            wp_err_todo(err, "free memory and retry");
            result = -1;
        }
    } else if (rc != SQLITE_DONE) {
        db_sql_fail(db, err, "read");
        result = -1;
    }
    sqlite3_reset(st);
    return result;
}

json_t *db_json_column(sqlite3_stmt *st, int col)
{
    const char *text = (const char *)sqlite3_column_text(st, col);
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_object(v)) {
        json_decref(v);
        v = json_object();
    }
    return v;
}

char *db_json_text(const json_t *obj)
{
    return json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
}
