/*
 * fsutil.h -- small file-system steps the application setup repeats:
 * creating directories, durable atomic replacement (write a temporary
 * file beside the target, fsync, rename, fsync the directory), copying a
 * file that way, and turning errno into a wp_err that says what to do
 * (a full disk gets its own advice).
 */
#ifndef WP_FSUTIL_H
#define WP_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../lib/err.h"

/* mkdir -p with mode for the directories it creates. */
bool wp_fs_mkdir_p(const char *path, mode_t mode, wp_err *err);
/* fsync the directory that holds path. */
bool wp_fs_fsync_parent(const char *path, wp_err *err);
/* Replace path with data atomically and durably (mode for a new file). */
bool wp_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, wp_err *err);
/* Copy src to dst atomically and durably, with mode; parents created. */
bool wp_fs_copy_atomic(const char *src, const char *dst, mode_t mode, wp_err *err);
/* Fill err (WP_E_IO) for a failed system call: "<doing> <path>", the errno
 * text as why, and a TO DO that fits (ENOSPC, EDQUOT, EACCES, EROFS ...). */
void wp_fs_err(wp_err *err, int errnum, const char *doing, const char *path);
/* A temporary name beside path: "<dir>/.<base>.<tag>-XXXXXX" opened with
 * mkstemp; returns the fd (and the name in tmp) or -1 with err filled. */
int wp_fs_mktemp_beside(const char *path, const char *tag, char *tmp, size_t size, wp_err *err);
/* A file without a name in the directory of path (O_TMPFILE, mode 0600):
 * a process killed while it writes leaves nothing behind.  Where the file
 * system cannot, a named one as wp_fs_mktemp_beside; tmp says which ("" for
 * the unnamed one).  Returns the fd or -1 with err filled. */
int wp_fs_tmpfile_beside(const char *path, const char *tag, char *tmp, size_t size, wp_err *err);
/* Give the file of wp_fs_tmpfile_beside the name path (never replacing a
 * file): linkat of the unnamed file, or link + unlink of the named one. */
bool wp_fs_tmpfile_link(int fd, const char *tmp, const char *path, wp_err *err);
/* Remove what a killed run left beside path: "<dir>/.<base>.<tag>-*". */
void wp_fs_remove_stale_beside(const char *path, const char *tag);

#endif
