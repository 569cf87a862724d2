/*
 * fs.h -- the file-system steps every part of wolfpack shares: mkdir -p,
 * replacing a file atomically (write a temporary file beside the target,
 * then rename it over the target), copying a file that way, collecting a
 * child's output from a pipe up to a limit, and turning
 * errno into a wp_err that says what to do (a full disk gets its own
 * advice).
 *
 * Two kinds of replacement:
 *   durable   (wp_fs_write_atomic, wp_fs_copy_atomic): the temporary is
 *             fsynced before the rename and the directory after it, so
 *             after a crash the file is either the old or the new one;
 *             for configuration, records and databases.
 *   volatile  (wp_fs_publish): temporary + rename, no fsync; readers
 *             never see half a file, but a crash may lose it.  For state
 *             files in /run that a reboot removes anyway and that timing-
 *             critical loops (the disk keeper) rewrite often.
 * Every function either completes or leaves the target as it was; the
 * temporary is removed on failure.  On failure errno still holds the
 * cause, for callers that handle one (EBUSY from a rename over a mount
 * point).  err may be NULL.
 */
#ifndef WP_FS_H
#define WP_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* mkdir -p: every missing directory of path, created with exactly mode
 * (the umask does not narrow it); existing ones are left as they are. */
bool wp_fs_mkdir_p(const char *path, mode_t mode, wp_err *err);
/* The same, calling made(dir, arg) for each directory it creates, in
 * order (the install record notes what install created). */
bool wp_fs_mkdir_p_noting(const char *path, mode_t mode, void (*made)(const char *dir, void *arg),
                          void *arg, wp_err *err);
/* fsync the directory that holds path. */
bool wp_fs_fsync_parent(const char *path, wp_err *err);
/* Replace path with data atomically and durably; the file gets mode. */
bool wp_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, wp_err *err);
/* Replace path with data atomically, without fsync (see above). */
bool wp_fs_publish(const char *path, const void *data, size_t len, mode_t mode, wp_err *err);
/* Copy src to dst atomically and durably, with mode; parents created. */
bool wp_fs_copy_atomic(const char *src, const char *dst, mode_t mode, wp_err *err);
/* The first half of wp_fs_write_atomic, for changes of several files that
 * must all be written before any is renamed into place: a temporary file
 * beside path holding data with mode, fsynced and closed; its name goes
 * to tmp.  The caller renames it (then wp_fs_fsync_parent) or unlinks it. */
bool wp_fs_write_temp(const char *path, const void *data, size_t len, mode_t mode, char *tmp,
                      size_t size, wp_err *err);
/* Read the start of a small file (state files, /proc): at most size - 1
 * bytes into buf, NUL-terminated.  False (errno set) if it cannot be read. */
bool wp_fs_read_small(const char *path, char *buf, size_t size);
/* write(2) all of data, resumed after EINTR and short writes; false with
 * errno set. */
bool wp_fs_write_all(int fd, const void *data, size_t len);
/* Append what a non-blocking fd (a child's output pipe) has now to *buf
 * (*len bytes so far; at most max in all; the caller frees *buf).  True:
 * more may come (nothing to read yet, or a chunk read): call it again
 * when fd is readable; false: the end (end of file or an error, *len what
 * came; more than max or out of memory: *len 0). */
bool wp_fs_read_more(int fd, char **buf, size_t *len, size_t max);
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
