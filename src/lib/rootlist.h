/*
 * rootlist.h -- the root-owned allow-list of what may run as root on this
 * node (docs/SECURITY.md, "Root services").
 *
 * A directory (default WP_ROOTLIST_DIR; wolfpackd --root-services) of
 * files, one entry a line: an absolute program path, or `unit NAME` for a
 * systemd unit; blank lines and `#` comments are skipped.  The directory,
 * every file read and every directory above them must belong to root and
 * not be writable by group or others (a sticky directory such as /tmp is
 * allowed above), so the unprivileged wolfpackd cannot add to it.  The
 * root executor (src/daemon/privexec.c) checks a Generic Service that
 * runs as root against it (src/agents/service.c); the root `wolfpack` CLI
 * adds the programs of root services of kits installed from a root-owned
 * kit directory (src/app).
 */
#ifndef WP_ROOTLIST_H
#define WP_ROOTLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define WP_ROOTLIST_DIR "/etc/wolfpack/root-services.d"

/* Is path (and every directory above it) root's and not writable by
 * group or others (sticky directories above allowed)?  false: why says
 * which part is not. */
bool wp_rootlist_path_trusted(const char *path, char *why, size_t size);

/* May entry (an absolute program path, or "unit NAME") run as root by the
 * allow-list in dir?  A program must also be a root-owned file nobody
 * else may write.  false with err: what is missing and where to add it. */
bool wp_rootlist_allows(const char *dir, const char *entry, wp_err *err);

/* Write entries (n lines) as the file dir/name (0644, root's), replacing
 * it; dir is created 0755.  Only root can. */
bool wp_rootlist_write(const char *dir, const char *name, const char *const *entries, size_t n,
                       wp_err *err);

#endif
