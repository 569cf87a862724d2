/*
 * backup_dir.c -- a database of kind `directory` as one deterministic tar
 * stream (backup_dir.h): libarchive writes the pax stream (to a file, or
 * into a SHA-256 as it streams) and extracts it with archive_write_disk,
 * each entry first passed by the restore rules (backup_check.c).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup_dir.h"
#include "../lib/fs.h"

#define BUF (256 * 1024)

typedef struct packer {
    struct archive *a;
    const char *top; /* the tree's root, for messages */
    char *buf;
    wp_err *err;
} packer;

static bool pack_failed(packer *k, const char *path)
{
    int e = archive_errno(k->a);
    if (e)
        wp_fs_err(k->err, e, "cannot back up", path);
    else
        wp_errf(k->err, WP_E_IO, "cannot back up %s: %s", path,
                archive_error_string(k->a) ? archive_error_string(k->a) : "libarchive failed");
    return false;
}

static bool pack_header(packer *k, const char *name, const struct stat *st, int type, int64_t size,
                        const char *link_target)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, (unsigned)type);
    archive_entry_set_perm(e, st->st_mode & 07777);
    archive_entry_set_uid(e, st->st_uid);
    archive_entry_set_gid(e, st->st_gid);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, st->st_mtime, 0);
    if (link_target)
        archive_entry_set_symlink(e, link_target);
    int rc = archive_write_header(k->a, e);
    archive_entry_free(e);
    return rc == ARCHIVE_OK || pack_failed(k, name);
}

/* A regular file: exactly the size fstat saw (a file that shrinks is an
 * error: the application was not stopped). */
static bool pack_file(packer *k, const char *path, const char *name)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        wp_fs_err(k->err, errno, "cannot read", path);
        if (fd >= 0)
            close(fd);
        return false;
    }
    bool ok = pack_header(k, name, &st, AE_IFREG, st.st_size, NULL);
    for (off_t left = st.st_size; ok && left > 0;) {
        ssize_t n = read(fd, k->buf, left < BUF ? (size_t)left : BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            wp_errf(k->err, WP_E_CONFLICT, "%s changed while it was backed up", path);
            wp_err_todo(k->err, "stop the application (wolfpack app stop) and back up again");
            ok = false;
        } else if (archive_write_data(k->a, k->buf, (size_t)n) != n) {
            ok = pack_failed(k, path);
        } else {
            left -= n;
        }
    }
    close(fd);
    return ok;
}

static bool pack_tree(packer *k, const char *path, const char *name);

static bool pack_one(packer *k, const char *path, const char *name)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT) /* gone while we walked: the application moved it */
            return true;
        wp_fs_err(k->err, errno, "cannot read", path);
        return false;
    }
    if (S_ISDIR(st.st_mode))
        return pack_header(k, name, &st, AE_IFDIR, 0, NULL) && pack_tree(k, path, name);
    if (S_ISREG(st.st_mode))
        return pack_file(k, path, name);
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0) {
            wp_fs_err(k->err, errno, "cannot read", path);
            return false;
        }
        target[n] = '\0';
        return pack_header(k, name, &st, AE_IFLNK, 0, target);
    }
    return true; /* sockets, FIFOs, devices: made again by the server */
}

/* Every entry of a directory, sorted by name so the stream is always the
 * same for the same tree. */
static bool pack_tree(packer *k, const char *path, const char *name)
{
    struct dirent **list = NULL;
    int n = scandir(path, &list, NULL, alphasort);
    if (n < 0) {
        wp_fs_err(k->err, errno, "cannot read", path);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < n; i++) {
        const char *d = list[i]->d_name;
        if (ok && strcmp(d, ".") != 0 && strcmp(d, "..") != 0) {
            char sub[PATH_MAX], subname[PATH_MAX];
            if (snprintf(sub, sizeof sub, "%s/%s", path, d) >= (int)sizeof sub ||
                snprintf(subname, sizeof subname, "%s/%s", name, d) >= (int)sizeof subname) {
                wp_errf(k->err, WP_E_INVALID, "a path below %s is too long", k->top);
                ok = false;
            } else {
                ok = pack_one(k, sub, subname);
            }
        }
        free(list[i]);
    }
    free(list);
    return ok;
}

static bool pack_with(struct archive *a, const char *dir, wp_err *err)
{
    packer k = {.a = a, .top = dir, .buf = malloc(BUF), .err = err};
    struct stat st;
    bool ok = k.buf != NULL;
    if (ok && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        wp_fs_err(err, errno ? errno : ENOTDIR, "cannot read the directory", dir);
        ok = false;
    }
    /* The top directory's mtime, mode and owner are left out: a restore
     * gives the top the install's (never the archive's), and they say
     * nothing about the data -- so a restored tree compares equal. */
    st.st_mtime = 0;
    st.st_mode = S_IFDIR | 0755;
    st.st_uid = 0;
    st.st_gid = 0;
    ok = ok && pack_header(&k, ".", &st, AE_IFDIR, 0, NULL) && pack_tree(&k, dir, ".");
    if (ok && archive_write_close(a) != ARCHIVE_OK)
        ok = pack_failed(&k, dir);
    free(k.buf);
    return ok;
}

static struct archive *new_writer(void)
{
    struct archive *a = archive_write_new();
    if (a && (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
              archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK)) {
        archive_write_free(a);
        a = NULL;
    }
    return a;
}

bool wp_backup_pack_dir(const char *dir, int fd, wp_err *err)
{
    struct archive *a = new_writer();
    bool ok = a && archive_write_open_fd(a, fd) == ARCHIVE_OK;
    if (!ok)
        wp_errf(err, WP_E_INTERNAL, "libarchive cannot write a tar stream");
    ok = ok && pack_with(a, dir, err);
    if (a)
        archive_write_free(a);
    return ok;
}

static la_ssize_t sha_write(struct archive *a, void *user, const void *buf, size_t len)
{
    (void)a;
    EVP_DigestUpdate(user, buf, len);
    return (la_ssize_t)len;
}

bool wp_backup_sha256_dir(const char *dir, char hex[65], wp_err *err)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    struct archive *a = new_writer();
    bool ok = c && a && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
              archive_write_open2(a, c, NULL, sha_write, NULL, NULL) == ARCHIVE_OK;
    if (!ok)
        wp_errf(err, WP_E_INTERNAL, "cannot compute the SHA-256 of %s", dir);
    ok = ok && pack_with(a, dir, err);
    if (ok) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        EVP_DigestFinal_ex(c, md, &len);
        for (unsigned i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    if (a)
        archive_write_free(a);
    EVP_MD_CTX_free(c);
    return ok;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

bool wp_backup_remove_tree(const char *dir)
{
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 || errno == ENOENT;
}

typedef struct extract {
    struct archive *in, *out;
    const char *dir;
    wp_tree_check *check;
    uid_t uid;
    gid_t gid;
    mode_t mode;
    wp_err *err;
} extract;

/* Copy the current entry's data to the disk. */
static bool extract_data(extract *x, const char *full)
{
    const void *blk;
    size_t len;
    la_int64_t off;
    int r;
    while ((r = archive_read_data_block(x->in, &blk, &len, &off)) == ARCHIVE_OK)
        if (archive_write_data_block(x->out, blk, len, off) < ARCHIVE_WARN) {
            r = ARCHIVE_FATAL;
            break;
        }
    if (r == ARCHIVE_EOF)
        return true;
    wp_errf(x->err, WP_E_IO, "cannot restore %s: %s", full,
            archive_error_string(x->out) ? archive_error_string(x->out)
                                         : archive_error_string(x->in));
    return false;
}

/* One entry: checked, then written below dir ("." is dir itself, with the
 * install's owner and mode). */
static bool extract_one(extract *x, struct archive_entry *e)
{
    if (!wp_tree_check_entry(x->check, e, x->err))
        return false;
    const char *name = archive_entry_pathname(e);
    char full[PATH_MAX];
    if (snprintf(full, sizeof full, "%s/%s", x->dir, name) >= PATH_MAX) {
        wp_errf(x->err, WP_E_INVALID, "a path below %s is too long", x->dir);
        return false;
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "./") == 0) {
        archive_entry_set_uid(e, x->uid);
        archive_entry_set_gid(e, x->gid);
        archive_entry_set_perm(e, x->mode);
    }
    archive_entry_set_pathname(e, full);
    if (archive_write_header(x->out, e) < ARCHIVE_WARN) {
        wp_errf(x->err, WP_E_IO, "cannot restore %s: %s", full, archive_error_string(x->out));
        return false;
    }
    return extract_data(x, full);
}

static bool extract_all(extract *x)
{
    x->out = archive_write_disk_new();
    /* The checker allows only what these may write; the SECURE flags and
     * no XATTR/ACL/FFLAGS are a second wall.  (Names are made absolute
     * below dir after the checker saw them.) */
    int flags = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS;
    bool ok = x->out && archive_write_disk_set_options(x->out, flags) == ARCHIVE_OK;
    struct archive_entry *e;
    int rc = ARCHIVE_OK;
    while (ok && (rc = archive_read_next_header(x->in, &e)) == ARCHIVE_OK)
        ok = extract_one(x, e);
    if (ok && rc != ARCHIVE_EOF) {
        wp_errf(x->err, WP_E_CORRUPT, "a directory backup is damaged: %s",
                archive_error_string(x->in));
        ok = false;
    }
    ok = ok && wp_tree_check_done(x->check, x->err);
    if (x->out && archive_write_close(x->out) != ARCHIVE_OK && ok) {
        wp_errf(x->err, WP_E_IO, "cannot restore into %s: %s", x->dir,
                archive_error_string(x->out));
        ok = false;
    }
    if (x->out)
        archive_write_free(x->out);
    return ok;
}

bool wp_backup_unpack_dir(int fd, const char *dir, wp_tree_check *check, uid_t uid, gid_t gid,
                          mode_t mode, wp_err *err)
{
    if (lseek(fd, 0, SEEK_SET) != 0 || mkdir(dir, 0700) != 0) {
        wp_fs_err(err, errno, "cannot restore into", dir);
        return false;
    }
    struct archive *in = archive_read_new();
    bool ok = in && archive_read_support_format_tar(in) == ARCHIVE_OK &&
              archive_read_open_fd(in, fd, BUF) == ARCHIVE_OK;
    if (!ok)
        wp_errf(err, WP_E_CORRUPT, "a directory backup cannot be read");
    extract x = {
        .in = in, .dir = dir, .check = check, .uid = uid, .gid = gid, .mode = mode, .err = err};
    ok = ok && extract_all(&x);
    if (in)
        archive_read_free(in);
    int dfd = ok ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (ok && (dfd < 0 || syncfs(dfd) != 0)) {
        wp_fs_err(err, errno, "cannot sync", dir);
        ok = false;
    }
    if (dfd >= 0)
        close(dfd);
    if (!ok)
        wp_backup_remove_tree(dir);
    return ok;
}
