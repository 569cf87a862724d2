/*
 * netname_hosts.c -- the Network Name's hosts-file mode (no dns_server):
 * the name is published as marked lines in this node's /etc/hosts,
 *
 *     198.51.100.50 mail.wptc.test mail # wolfpack:mail
 *
 * added on start and removed on stop.  Only the resource's own marked lines
 * are ever touched; every other line stays byte for byte.  The file is
 * replaced atomically (a temporary file renamed over it) unless it is a
 * mount point (a bind-mounted per-node file, as in tools/testcluster), where
 * it is rewritten in place.  A lock file serialises the agents of one node.
 */
#include "netname.h"
#include "../lib/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARK "# wolfpack:"

/* Does the line [p, end) end with " # wolfpack:RESOURCE" (spaces allowed
 * before the '#', trailing blanks ignored)? */
static bool line_is_marked(const char *p, const char *end, const char *resource)
{
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    size_t rl = strlen(resource), ml = strlen(MARK);
    if ((size_t)(end - p) < ml + rl)
        return false;
    const char *m = end - rl - ml;
    return memcmp(m, MARK, ml) == 0 && memcmp(m + ml, resource, rl) == 0 &&
           (m == p || m[-1] == ' ' || m[-1] == '\t');
}

char *wp_hosts_edit(const char *text, const char *resource, const char *lines)
{
    size_t tl = strlen(text), ll = lines ? strlen(lines) : 0;
    char *out = malloc(tl + ll + 2);
    size_t o = 0;
    if (!out)
        return NULL;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        if (!line_is_marked(p, end, resource)) {
            memcpy(out + o, p, (size_t)(end - p));
            o += (size_t)(end - p);
            out[o++] = '\n';
        }
        p = nl ? nl + 1 : end;
    }
    if (ll) {
        memcpy(out + o, lines, ll);
        o += ll;
        if (lines[ll - 1] != '\n')
            out[o++] = '\n';
    }
    out[o] = '\0';
    return out;
}

char *wp_hosts_lines(const wp_netname_addr *addrs, size_t naddrs, const char *name,
                     const char *alias, const char *resource)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    for (size_t i = 0; i < naddrs; i++)
        fprintf(f, "%s %s%s%s " MARK "%s\n", addrs[i].text, name, alias ? " " : "",
                alias ? alias : "", resource);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static char *read_all(const char *path, wp_err *err)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    if (!f) {
        if (errno == ENOENT)
            return strdup("");
        wp_errf(err, WP_E_IO, "cannot read %s", path);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "check the file's permissions");
        return NULL;
    }
    do {
        if (len + 4096 + 1 > cap) {
            char *n = realloc(buf, cap = cap * 2 + 4096 + 1);
            if (!n) {
                free(buf);
                fclose(f);
                wp_errf(err, WP_E_IO, "cannot read %s", path);
                wp_err_why(err, "out of memory");
                wp_err_todo(err, "check the node's memory");
                return NULL;
            }
            buf = n;
        }
        got = fread(buf + len, 1, 4096, f);
        len += got;
    } while (got > 0);
    bool bad = ferror(f) || memchr(buf, '\0', len);
    fclose(f);
    buf[len] = '\0';
    if (bad) {
        free(buf);
        wp_errf(err, WP_E_IO, "cannot read %s", path);
        wp_err_why(err, "a read error, or the file holds NUL bytes (it is not a hosts file)");
        wp_err_todo(err, "check the file");
        return NULL;
    }
    return buf;
}

static bool io_fail(wp_err *err, const char *what, const char *path)
{
    wp_errf(err, WP_E_IO, "cannot %s %s", what, path);
    wp_err_why(err, "%s", strerror(errno));
    wp_err_todo(err, "check the file system and the file's permissions (the agent runs as root)");
    return false;
}

/* Rewrite in place: for a file that is a mount point (rename over it fails). */
static bool write_in_place(const char *path, const char *text, wp_err *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return io_fail(err, "open", path);
    size_t n = strlen(text);
    bool ok = wp_fs_write_all(fd, text, n) && ftruncate(fd, (off_t)n) == 0 && fsync(fd) == 0;
    if (!ok)
        io_fail(err, "write", path);
    close(fd);
    return ok;
}

/* Keep the file's mode; a hosts file bind-mounted over (a container's)
 * cannot be renamed over: rewrite it in place. */
static bool write_atomic(const char *path, const char *text, wp_err *err)
{
    struct stat st;
    mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : 0644;
    if (wp_fs_write_atomic(path, text, strlen(text), mode, err))
        return true;
    if (errno == EBUSY || errno == EXDEV)
        return write_in_place(path, text, err);
    return false;
}

static int lock_open(const char *lock_path, wp_err *err)
{
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        io_fail(err, "open the lock file", lock_path);
        return -1;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            io_fail(err, "lock", lock_path);
            close(fd);
            return -1;
        }
    }
    return fd;
}

bool wp_hosts_update(const char *path, const char *lock_path, const char *resource,
                     const char *lines, wp_err *err)
{
    int lock = lock_open(lock_path, err);
    if (lock < 0)
        return false;
    bool ok = false;
    char *text = read_all(path, err);
    char *next = text ? wp_hosts_edit(text, resource, lines) : NULL;
    if (text && !next) {
        wp_errf(err, WP_E_IO, "cannot edit %s", path);
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "check the node's memory");
    }
    if (next)
        ok = strcmp(text, next) == 0 || write_atomic(path, next, err);
    free(next);
    free(text);
    close(lock);
    return ok;
}

bool wp_hosts_has(const char *path, const char *resource, const char *lines, bool *has, wp_err *err)
{
    char *text = read_all(path, err);
    if (!text)
        return false;
    /* the resource's marked lines, in file order, must be exactly ours */
    char *mine = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mine, &len);
    if (!f) {
        free(text);
        wp_errf(err, WP_E_IO, "cannot read %s", path);
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "check the node's memory");
        return false;
    }
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        if (line_is_marked(p, end, resource))
            fprintf(f, "%.*s\n", (int)(end - p), p);
        p = nl ? nl + 1 : end;
    }
    fclose(f);
    *has = mine && strcmp(mine, lines) == 0;
    free(mine);
    free(text);
    return true;
}
