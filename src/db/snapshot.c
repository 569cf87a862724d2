/*
 * snapshot.c -- the whole database as one image, and its fingerprint.
 *
 * export:   sqlite3_serialize() of the live database (the replication's
 *           state transfer and backups).
 * import:   the image is loaded with sqlite3_deserialize() into a private
 *           in-memory connection, checked there exactly as a file is checked
 *           at open (format marker, schema version, integrity, schema), and
 *           only then copied over the live database with the backup API in
 *           one step, so a bad image changes nothing.
 * checksum: SHA-256 over a canonical logical dump (every table's rows in
 *           primary-key order, each value typed and length-prefixed so no
 *           two dumps can be confused, then the version).  It ignores the
 *           physical layout, so two nodes that applied the same commands
 *           agree on it.
 */
#include "db_internal.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static bool image_refused(wp_err *err, const char *why)
{
    wp_errf(err, WP_E_CORRUPT, "cannot load the database snapshot");
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "the live database was left unchanged; request a new snapshot from "
                     "another node");
    return false;
}

bool wp_db_snapshot_export(wp_db *db, unsigned char **buf, size_t *len, wp_err *err)
{
    *buf = NULL;
    *len = 0;
    sqlite3_stmt *begin = db_stmt(db, "BEGIN", err);
    if (!begin || !db_step_done(db, begin, "start reading", err))
        return false;
    sqlite3_int64 size = 0;
    unsigned char *image = sqlite3_serialize(db->conn, "main", &size, 0);
    sqlite3_exec(db->conn, "COMMIT", NULL, NULL, NULL);
    if (!image || size <= 0) {
        sqlite3_free(image);
        return db_sql_fail(db, err, "export a snapshot");
    }
    *buf = malloc((size_t)size);
    if (*buf) {
        memcpy(*buf, image, (size_t)size);
        *len = (size_t)size;
    } else {
        wp_errf(err, WP_E_IO, "cannot export a snapshot of %s", db->path);
        wp_err_why(err, "out of memory (%lld bytes)", (long long)size);
        wp_err_todo(err, "free memory and retry");
    }
    sqlite3_free(image);
    return *buf != NULL;
}

/* Load an image into a new in-memory connection and check it. */
static sqlite3 *image_open(const unsigned char *buf, size_t len, wp_err *err)
{
    if (!buf || len < 512 || len > ((size_t)1 << 31)) {
        image_refused(err, "the image is too small or too large to be a database");
        return NULL;
    }
    unsigned char *copy = sqlite3_malloc64(len);
    sqlite3 *mem = NULL;
    if (!copy || sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_free(copy);
        sqlite3_close(mem);
        wp_errf(err, WP_E_IO, "cannot load the database snapshot");
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "free memory and retry");
        return NULL;
    }
    memcpy(copy, buf, len);
    /* A WAL database's header says so (bytes 18-19 = 2); memory databases have
     * no WAL, so read the image as the rollback-journal database it equals. */
    if (copy[18] == 2 && copy[19] == 2)
        copy[18] = copy[19] = 1;
    db_conn_harden(mem);
    int rc = sqlite3_deserialize(mem, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
                                 SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
    if (rc != SQLITE_OK) {
        image_refused(err, sqlite3_errmsg(mem));
        sqlite3_close(mem);
        return NULL;
    }
    if (!db_schema_verify(mem, "the snapshot", err)) {
        wp_err_todo(err, "the live database was left unchanged; request a new snapshot "
                         "from another node");
        sqlite3_close(mem);
        return NULL;
    }
    return mem;
}

static int page_size(sqlite3 *conn)
{
    sqlite3_stmt *st = NULL;
    int size = -1;
    if (sqlite3_prepare_v2(conn, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        size = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return size;
}

bool wp_db_snapshot_import(wp_db *db, const unsigned char *buf, size_t len, wp_err *err)
{
    sqlite3 *mem = image_open(buf, len, err);
    if (!mem)
        return false;
    bool ok = page_size(mem) == page_size(db->conn);
    if (!ok)
        image_refused(err, "its page size differs from the live database's");
    sqlite3_backup *b = ok ? sqlite3_backup_init(db->conn, "main", mem, "main") : NULL;
    if (ok && !b)
        ok = db_sql_fail(db, err, "start loading a snapshot");
    if (b) {
        int rc = sqlite3_backup_step(b, -1);
        sqlite3_backup_finish(b);
        ok = rc == SQLITE_DONE;
        if (!ok)
            db_sql_fail(db, err, "load a snapshot");
    }
    sqlite3_close(mem);
    if (ok) {
        /* The copied header says rollback journal: keep the file in WAL. */
        ok = db_exec(db, "PRAGMA journal_mode = WAL", err);
    }
    return ok;
}

/* --- checksum ---------------------------------------------------------- */

static void put_u64(EVP_MD_CTX *md, uint64_t v)
{
    unsigned char b[8];
    for (int i = 7; i >= 0; i--) {
        b[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    EVP_DigestUpdate(md, b, sizeof b);
}

static void put_bytes(EVP_MD_CTX *md, char tag, const void *p, size_t n)
{
    EVP_DigestUpdate(md, &tag, 1);
    put_u64(md, n);
    EVP_DigestUpdate(md, p, n);
}

static void put_value(EVP_MD_CTX *md, sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER:
        EVP_DigestUpdate(md, "I", 1);
        put_u64(md, (uint64_t)sqlite3_column_int64(st, col));
        break;
    case SQLITE_FLOAT: {
        double d = sqlite3_column_double(st, col);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        EVP_DigestUpdate(md, "F", 1);
        put_u64(md, bits);
        break;
    }
    case SQLITE_TEXT:
        put_bytes(md, 'S', sqlite3_column_text(st, col), (size_t)sqlite3_column_bytes(st, col));
        break;
    case SQLITE_BLOB:
        put_bytes(md, 'B', sqlite3_column_blob(st, col), (size_t)sqlite3_column_bytes(st, col));
        break;
    default:
        EVP_DigestUpdate(md, "N", 1);
        break;
    }
}

/* Every table of the schema, rows in primary-key order. */
static const char *const dump_sql[] = {
    "SELECT * FROM meta ORDER BY key",
    "SELECT * FROM node ORDER BY name",
    "SELECT * FROM grp ORDER BY name",
    "SELECT * FROM resource ORDER BY name",
    "SELECT * FROM dependency ORDER BY res, dep",
};

static bool dump_table(wp_db *db, EVP_MD_CTX *md, const char *sql, wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db, sql, err);
    if (!st)
        return false;
    put_bytes(md, 'T', sql, strlen(sql));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int n = sqlite3_column_count(st);
        EVP_DigestUpdate(md, "R", 1);
        put_u64(md, (uint64_t)n);
        for (int c = 0; c < n; c++)
            put_value(md, st, c);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE || db_sql_fail(db, err, "read a table for the checksum");
}

bool wp_db_checksum(wp_db *db, char out[65], wp_err *err)
{
    out[0] = '\0';
    sqlite3_stmt *begin = db_stmt(db, "BEGIN", err);
    if (!begin || !db_step_done(db, begin, "start reading", err))
        return false;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool crypto_ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    bool ok = crypto_ok;
    if (ok)
        EVP_DigestUpdate(md, WP_DB_FORMAT, strlen(WP_DB_FORMAT));
    for (size_t i = 0; ok && i < sizeof dump_sql / sizeof dump_sql[0]; i++)
        ok = dump_table(db, md, dump_sql[i], err);
    int64_t version = ok ? wp_db_version(db) : -1;
    sqlite3_exec(db->conn, "COMMIT", NULL, NULL, NULL);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (ok) {
        EVP_DigestUpdate(md, "V", 1);
        put_u64(md, (uint64_t)version);
        crypto_ok = ok = EVP_DigestFinal_ex(md, digest, &dlen) == 1 && dlen == 32;
    }
    EVP_MD_CTX_free(md);
    if (!ok) {
        if (!crypto_ok) {
            wp_errf(err, WP_E_INTERNAL, "cannot compute the database checksum");
            wp_err_why(err, "OpenSSL's SHA-256 failed");
            wp_err_todo(err, "check the OpenSSL installation");
        }
        return false;
    }
    for (unsigned i = 0; i < dlen; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
    return true;
}
