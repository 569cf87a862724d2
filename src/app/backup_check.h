/*
 * backup_check.h -- the restore rules for the entries of a directory
 * database's inner tar (backup_dir.h), applied by the checking pass of a
 * restore before anything is written (backup.c) and again by the
 * extraction (backup_dir.c).  docs/APP.md "Backup and restore" states them:
 *
 *   - names are "." (the database's top, a directory, first) or "./a/b"
 *     with no empty, "." or ".." component; every entry's parent is a
 *     directory entry that came before it; no name twice;
 *   - types: regular files, directories, and symlinks whose target is
 *     relative and only goes down (no "..", not absolute); no hard links,
 *     devices, FIFOs or sockets;
 *   - permission bits: no setuid, setgid or sticky bit, nothing writable
 *     by others;
 *   - owners (when the rules carry an allow-list): root, or a user/group
 *     the install allows for that database.
 * The top's mode and owner are not judged: a restore never uses them (the
 * top gets the install's).
 *
 * A checker keeps the names it has seen (for the parent and twice rules);
 * one checker per tree.
 */
#ifndef WP_BACKUP_CHECK_H
#define WP_BACKUP_CHECK_H

#include <archive_entry.h>
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../lib/err.h"

typedef struct wp_tree_check {
    const char *from; /* the archive, for messages */
    const char *db;   /* the database, for messages */
    bool check_owners;
    unsigned uids[16]; /* user ids allowed besides root */
    size_t nuids;
    unsigned gids[16]; /* group ids */
    size_t ngids;
    json_t *seen; /* name -> "d" (directory) or "-" (anything else) */
    size_t entries;
} wp_tree_check;

/* Start a checker.  owners: a JSON array of user/group names (or NULL)
 * resolved on this node; install_uid/gid (or -1): the owner of the
 * database as installed, also allowed.  check_owners false (verify, no
 * install to compare with): owners are not judged.  Fails (err filled)
 * when a name is not a user or group here. */
bool wp_tree_check_init(wp_tree_check *c, const char *from, const char *db, bool check_owners,
                        const json_t *owners, uid_t install_uid, gid_t install_gid, wp_err *err);
void wp_tree_check_free(wp_tree_check *c);

/* One entry, in archive order; false with err (what, why, to do) when it
 * breaks a rule. */
bool wp_tree_check_entry(wp_tree_check *c, struct archive_entry *e, wp_err *err);

/* After the last entry: the tree had its top directory. */
bool wp_tree_check_done(wp_tree_check *c, wp_err *err);

#endif
