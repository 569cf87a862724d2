/*
 * backup_dir.h -- databases of kind `directory` (docs/KITS.md) inside a
 * backup (backup.c): a directory tree travels as ONE archive entry
 * `databases/NAME` whose content is an uncompressed tar (pax) of the tree.
 *
 * The inner tar is deterministic -- entries sorted by name, each carrying
 * only its type, permissions, numeric owner, size and mtime; the top "."
 * always 0755, root, mtime 0 (a restore gives it the install's) -- so
 * the SHA-256 of a tree is the SHA-256 of its inner tar, and
 * wp_backup_compare can check a restored or moved tree byte for byte.
 * Sockets and FIFOs are skipped (a server makes them again when it starts:
 * Postfix's public/ and private/ entries).
 */
#ifndef WP_BACKUP_DIR_H
#define WP_BACKUP_DIR_H

#include <stdbool.h>

#include "../lib/err.h"
#include "backup_check.h"

/* Write the tree below dir as a tar stream to fd (from its current
 * offset). */
bool wp_backup_pack_dir(const char *dir, int fd, wp_err *err);

/* Extract the tar stream in fd (from offset 0) into dir, which must not
 * exist yet, every entry checked against the restore rules of check
 * (backup_check.h) before it is written: the top directory gets uid, gid
 * and mode (the install's), the entries below it their permissions, owners
 * and mtimes as archived (the rules allow only plain permissions and the
 * owners the kit names); no extended attributes, ACLs or file flags.
 * Every file synced.  On failure dir is removed again. */
bool wp_backup_unpack_dir(int fd, const char *dir, wp_tree_check *check, uid_t uid, gid_t gid,
                          mode_t mode, wp_err *err);

/* Remove a tree (rm -rf); true when it is gone. */
bool wp_backup_remove_tree(const char *dir);

/* The SHA-256 of the tree's inner tar (computed as it streams) into
 * hex[65]. */
bool wp_backup_sha256_dir(const char *dir, char hex[65], wp_err *err);

#endif
