/*
 * backup.h -- backup and restore of an application's databases.
 *
 * A backup is a tar archive (libarchive, pax format) compressed with zstd,
 * that ordinary tools can read:
 *
 *     tar --zstd -xf FILE && sha256sum -c MANIFEST.sha256
 *
 * Its entries, in this order:
 *     wolfpack-backup.json   {"format": "wolfpack-backup/1", "app", "version",
 *                             "created", "files": [{"path", "database",
 *                             "size"}]}
 *     databases/<name>       one regular file per database of the app
 *     MANIFEST.sha256        "<sha256>  <path>" for every entry above
 *
 * wp_backup_create writes to a temporary file beside FILE, fsyncs it and
 * renames it into place: a failure (a full disk, a database that changes
 * size while it is read) leaves no partial archive.  wp_backup_restore
 * first reads the whole archive without writing anything and checks it --
 * every checksum, the app name, the version, the set and the kinds of the
 * databases, and every entry of a directory database against the restore
 * rules (backup_check.h: only regular files, directories and symlinks that
 * stay inside, no hard links, no special modes, owners the kit allows) --
 * and the free space; only then does it read it again into temporary files
 * beside each database (checking again) and swap them in with renames.  A
 * damaged, truncated, foreign or hostile archive, or one of another
 * application or version, is refused and nothing changes.
 *
 * The spec names the databases by name and path, so a caller decides where
 * they live: the standalone path of an install record, or the path on a
 * group's shared disk (what `migrate` restores onto).
 */
#ifndef WP_BACKUP_H
#define WP_BACKUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

#define WP_BACKUP_FORMAT "wolfpack-backup/1"
#define WP_BACKUP_INFO_ENTRY "wolfpack-backup.json"
#define WP_BACKUP_MANIFEST_ENTRY "MANIFEST.sha256"
#define WP_BACKUP_DB_PREFIX "databases/"

/* The kind of a database as its kit declares it. */
typedef enum wp_backup_kind {
    WP_BACKUP_KIND_AUTO = 0, /* not declared (an old install record): the kind of the
                              * database now at path; a file when there is none */
    WP_BACKUP_KIND_FILE,
    WP_BACKUP_KIND_DIRECTORY,
} wp_backup_kind;

typedef struct wp_backup_db {
    const char *name; /* the kit's database name */
    const char *path; /* where the file is (backup) or goes (restore) */
    wp_backup_kind kind;
    /* Restore, kind directory: the users and groups (names, a JSON array
     * of strings) the kit allows to own entries of the tree besides root
     * and the owner of the database as installed; NULL: none. */
    const json_t *owners;
} wp_backup_db;

typedef struct wp_backup_spec {
    const char *app;
    const char *version; /* restore: the archive must carry this version; NULL: any */
    const wp_backup_db *dbs;
    size_t ndbs;
} wp_backup_spec;

/* Called now and then with the bytes of database data done and in all. */
typedef void (*wp_backup_progress_fn)(const char *stage, uint64_t done, uint64_t total, void *user);

typedef struct wp_backup_opts {
    wp_backup_progress_fn progress; /* or NULL */
    void *user;
    int level;   /* zstd level, 0: 3 (zstd's default) */
    int threads; /* zstd worker threads, 0: one per CPU (at most 4), 1: none */
} wp_backup_opts;

/* Write the databases of spec into a new archive at `to` (refused if it
 * exists).  *bytes (if not NULL) gets the archive's size. */
bool wp_backup_create(const wp_backup_spec *spec, const char *to, const wp_backup_opts *opts,
                      uint64_t *bytes, wp_err *err);

/* Read the whole archive and check it: structure, every checksum, and if
 * expect is not NULL its app, version and databases.  On success *info
 * (if not NULL) receives the archive's wolfpack-backup.json with a
 * "sha256" added to every file (caller owns). */
bool wp_backup_verify(const char *from, const wp_backup_spec *expect, json_t **info, wp_err *err);

/* Verify, then replace the database files of spec with the archive's. */
bool wp_backup_restore(const wp_backup_spec *spec, const char *from, const wp_backup_opts *opts,
                       wp_err *err);

/* Check that every database of spec is, byte for byte, the one in the
 * archive (by SHA-256): "nothing was lost" after a restore or a move. */
bool wp_backup_compare(const wp_backup_spec *spec, const char *from, wp_err *err);

/* The SHA-256 of a file as 64 hex digits into hex[65]. */
bool wp_sha256_file(const char *path, char hex[65], wp_err *err);

#endif
