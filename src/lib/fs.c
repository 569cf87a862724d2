/*
 * fs.c -- the shared file-system steps (fs.h): mkdir -p, durable and
 * volatile atomic replacement, atomic copy, errno to wp_err.  Every
 * function either completes or leaves the target as it was, and reports
 * failures with what, why and what to do.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

void wp_fs_err(wp_err *err, int errnum, const char *doing, const char *path)
{
    wp_errf(err, WP_E_IO, "%s %s", doing, path);
    wp_err_why(err, "%s", strerror(errnum));
    switch (errnum) {
    case ENOSPC:
    case EDQUOT:
        wp_err_todo(err,
                    "free space on the file system of %s (df -h shows it), or choose "
                    "another place; nothing was left half-written",
                    path);
        break;
    case EACCES:
    case EPERM:
        wp_err_todo(err, "run as root, or check the permissions of %s and its directories", path);
        break;
    case EROFS:
        wp_err_todo(err, "the file system of %s is read-only: remount it or choose another place",
                    path);
        break;
    case ENOENT:
        wp_err_todo(err, "check that %s exists", path);
        break;
    default:
        wp_err_todo(err, "check %s and try again", path);
    }
}

bool wp_fs_mkdir_p(const char *path, mode_t mode, wp_err *err)
{
    return wp_fs_mkdir_p_noting(path, mode, NULL, NULL, err);
}

bool wp_fs_mkdir_p_noting(const char *path, mode_t mode, void (*made)(const char *dir, void *arg),
                          void *arg, wp_err *err)
{
    char buf[PATH_MAX];
    if (!path[0] || snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        wp_errf(err, WP_E_INVALID, "bad directory path \"%.200s\"", path);
        wp_err_why(err, "it is empty or longer than %d bytes", PATH_MAX - 1);
        wp_err_todo(err, "give a shorter path");
        errno = EINVAL;
        return false;
    }
    for (char *p = buf + 1;; p++) {
        bool end = *p == '\0';
        if (*p != '/' && !end)
            continue;
        *p = '\0';
        struct stat st;
        if (mkdir(buf, mode) == 0) {
            if (chmod(buf, mode) != 0) { /* the umask must not narrow mode */
                wp_fs_err(err, errno, "cannot set the mode of the directory", buf);
                return false;
            }
            if (made)
                made(buf, arg);
        } else if (errno != EEXIST) {
            wp_fs_err(err, errno, "cannot create the directory", buf);
            return false;
        } else if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
            wp_fs_err(err, ENOTDIR, "cannot create the directory", buf);
            errno = ENOTDIR;
            return false;
        }
        if (end)
            return true;
        *p = '/';
    }
}

bool wp_fs_fsync_parent(const char *path, wp_err *err)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    const char *dir = dirname(buf);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        wp_fs_err(err, errno, "cannot flush the directory", dir);
        if (fd >= 0)
            close(fd);
        return false;
    }
    close(fd);
    return true;
}

int wp_fs_mktemp_beside(const char *path, const char *tag, char *tmp, size_t size, wp_err *err)
{
    char d[PATH_MAX], b[PATH_MAX];
    snprintf(d, sizeof d, "%s", path);
    snprintf(b, sizeof b, "%s", path);
    if (snprintf(tmp, size, "%s/.%s.%s-XXXXXX", dirname(d), basename(b), tag) >= (int)size) {
        wp_errf(err, WP_E_INVALID, "path too long: %s", path);
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        wp_fs_err(err, errno, "cannot create a temporary file beside", path);
    return fd;
}

int wp_fs_tmpfile_beside(const char *path, const char *tag, char *tmp, size_t size, wp_err *err)
{
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s", path);
    int fd = open(dirname(d), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) {
        tmp[0] = '\0';
        return fd;
    }
    return wp_fs_mktemp_beside(path, tag, tmp, size, err);
}

bool wp_fs_tmpfile_link(int fd, const char *tmp, const char *path, wp_err *err)
{
    int rc;
    if (tmp[0]) {
        rc = link(tmp, path);
    } else {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        rc = linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
    }
    int e = errno;
    if (tmp[0])
        unlink(tmp);
    if (rc != 0)
        wp_fs_err(err, e, "cannot put the file in place at", path);
    return rc == 0;
}

void wp_fs_remove_stale_beside(const char *path, const char *tag)
{
    char d[PATH_MAX], b[PATH_MAX], prefix[PATH_MAX];
    snprintf(d, sizeof d, "%s", path);
    snprintf(b, sizeof b, "%s", path);
    const char *dir = dirname(d);
    snprintf(prefix, sizeof prefix, ".%s.%s-", basename(b), tag);
    DIR *dh = opendir(dir);
    struct dirent *de;
    while (dh && (de = readdir(dh))) {
        if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
            strlen(de->d_name) != strlen(prefix) + 6)
            continue;
        char stale[PATH_MAX];
        if (snprintf(stale, sizeof stale, "%s/%s", dir, de->d_name) < (int)sizeof stale)
            unlink(stale);
    }
    if (dh)
        closedir(dh);
}

bool wp_fs_read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n;
    do
        n = read(fd, buf, size - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0)
        return false;
    buf[n] = '\0';
    return true;
}

bool wp_fs_read_more(int fd, char **buf, size_t *len, size_t max)
{
    char chunk[8192];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return true;
    if (n > 0 && *len + (size_t)n <= max) {
        char *grown = realloc(*buf, *len + (size_t)n);
        if (grown) {
            memcpy(grown + *len, chunk, (size_t)n);
            *buf = grown;
            *len += (size_t)n;
            return true;
        }
    }
    if (n > 0)
        *len = 0; /* too big or out of memory: nothing usable */
    return false;
}

bool wp_fs_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Give fd mode, fsync it if durable, close it; unlink tmp on failure. */
static bool finish_temp(int fd, const char *tmp, const char *path, mode_t mode, bool durable,
                        wp_err *err)
{
    bool ok = fchmod(fd, mode) == 0 && (!durable || fsync(fd) == 0);
    int e = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        wp_fs_err(err, e, "cannot write", path);
        errno = e;
    }
    return ok;
}

/* Rename tmp over path (and fsync the directory if durable); unlink tmp
 * on failure. */
static bool rename_temp(const char *tmp, const char *path, bool durable, wp_err *err)
{
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        wp_fs_err(err, e, "cannot replace", path);
        errno = e;
        return false;
    }
    return !durable || wp_fs_fsync_parent(path, err);
}

/* A temporary beside path holding data (fd closed, name in tmp). */
static bool write_temp(const char *path, const void *data, size_t len, mode_t mode, bool durable,
                       char *tmp, size_t size, wp_err *err)
{
    int fd = wp_fs_mktemp_beside(path, "new", tmp, size, err);
    if (fd < 0)
        return false;
    if (!wp_fs_write_all(fd, data, len)) {
        int e = errno;
        close(fd);
        unlink(tmp);
        wp_fs_err(err, e, "cannot write", path);
        errno = e;
        return false;
    }
    return finish_temp(fd, tmp, path, mode, durable, err);
}

bool wp_fs_write_temp(const char *path, const void *data, size_t len, mode_t mode, char *tmp,
                      size_t size, wp_err *err)
{
    return write_temp(path, data, len, mode, true, tmp, size, err);
}

bool wp_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, wp_err *err)
{
    char tmp[PATH_MAX];
    return write_temp(path, data, len, mode, true, tmp, sizeof tmp, err) &&
           rename_temp(tmp, path, true, err);
}

bool wp_fs_publish(const char *path, const void *data, size_t len, mode_t mode, wp_err *err)
{
    char tmp[PATH_MAX];
    return write_temp(path, data, len, mode, false, tmp, sizeof tmp, err) &&
           rename_temp(tmp, path, false, err);
}

bool wp_fs_copy_atomic(const char *src, const char *dst, mode_t mode, wp_err *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", dst);
    if (!wp_fs_mkdir_p(dirname(dir), 0755, err))
        return false;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        wp_fs_err(err, errno, "cannot read", src);
        return false;
    }
    char tmp[PATH_MAX];
    int fd = wp_fs_mktemp_beside(dst, "new", tmp, sizeof tmp, err);
    if (fd < 0) {
        close(in);
        return false;
    }
    char buf[65536];
    ssize_t n;
    bool ok = true;
    int e = 0;
    while (ok && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0 && wp_fs_write_all(fd, buf, (size_t)n);
        e = errno;
    }
    close(in);
    if (!ok) {
        close(fd);
        unlink(tmp);
        wp_fs_err(err, e, "cannot copy to", dst);
        return false;
    }
    return finish_temp(fd, tmp, dst, mode, true, err) && rename_temp(tmp, dst, true, err);
}
