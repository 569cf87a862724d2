/*
 * backup.c -- backup and restore archives of an application's databases
 * (backup.h): libarchive writes and reads the tar (pax) stream and its
 * zstd filter, OpenSSL's EVP computes SHA-256 while the data streams
 * through, jansson writes and reads wolfpack-backup.json.
 *
 * Writing: an unnamed temporary file (O_TMPFILE) in the target's
 * directory, linked into place only after libarchive closed the stream
 * cleanly and fsync succeeded; a directory database's packed tree must
 * pass the restore rules (backup_check.h) first.
 * Reading: one pass over the archive (verify); a directory database's
 * inner tar streams through the restore rules entry by entry.  A restore
 * makes a checking pass that writes nothing (structure, app, version, the
 * set and kinds of the databases, every checksum, the restore rules, free
 * space), cleans up what a killed restore left, then a second pass that
 * writes every database to a temporary file beside its destination
 * (checking again), and only then renames them over the databases.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "backup_check.h"
#include "backup_dir.h"
#include "../lib/fs.h"
#include "../lib/json.h"

#define CHUNK (1024 * 1024)
#define INFO_MAX (1024 * 1024)
#define WRITEBACK (8 * 1024 * 1024)

static void hex_of(const unsigned char *md, char hex[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* A SHA-256 context, or NULL when OpenSSL cannot make one. */
static EVP_MD_CTX *sha_new(void)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        c = NULL;
    }
    return c;
}

static void sha_done(EVP_MD_CTX *c, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(c, md, &len);
    hex_of(md, hex);
}

bool wp_sha256_file(const char *path, char hex[65], wp_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        wp_fs_err(err, errno, "cannot read", path);
        return false;
    }
    EVP_MD_CTX *c = sha_new();
    char *buf = malloc(CHUNK);
    ssize_t n = 0;
    while (c && buf && (n = read(fd, buf, CHUNK)) > 0)
        EVP_DigestUpdate(c, buf, (size_t)n);
    int e = errno;
    close(fd);
    free(buf);
    if (!c || n < 0) {
        EVP_MD_CTX_free(c);
        wp_fs_err(err, c ? e : ENOMEM, "cannot read", path);
        return false;
    }
    sha_done(c, hex);
    EVP_MD_CTX_free(c);
    return true;
}

static void entry_name(char *out, size_t size, const char *db)
{
    snprintf(out, size, WP_BACKUP_DB_PREFIX "%s", db);
}

static void report(const wp_backup_opts *o, const char *stage, uint64_t done, uint64_t total)
{
    if (o && o->progress)
        o->progress(stage, done, total, o->user);
}

/* ---- writing -------------------------------------------------------------------- */

typedef struct writer {
    struct archive *a;
    const char *to;
    const wp_backup_opts *opts;
    uint64_t done, total;
    char *buf;
    char *manifest; /* MANIFEST.sha256 text, grown as entries are written */
    size_t manifest_len;
    FILE *manifest_out;
    wp_err *err;
} writer;

/* A libarchive failure while writing: a full disk gets its own advice. */
static bool write_failed(writer *w, const char *doing)
{
    int e = archive_errno(w->a);
    if (e == ENOSPC || e == EDQUOT || e == EIO || e == EROFS) {
        wp_fs_err(w->err, e, "cannot write the backup", w->to);
        return false;
    }
    wp_errf(w->err, WP_E_IO, "cannot write the backup %s while %s", w->to, doing);
    wp_err_why(w->err, "%s", archive_error_string(w->a) ? archive_error_string(w->a) : "unknown");
    wp_err_todo(w->err, "check the file system of %s; no partial archive was left", w->to);
    return false;
}

static bool write_header(writer *w, const char *path, int64_t size, mode_t mode, time_t mtime)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_size(e, size);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, mode & 07777);
    archive_entry_set_mtime(e, mtime, 0);
    int rc = archive_write_header(w->a, e);
    archive_entry_free(e);
    return rc == ARCHIVE_OK || write_failed(w, "writing an entry header");
}

static bool write_data(writer *w, const void *data, size_t len)
{
    if (len && archive_write_data(w->a, data, len) != (la_ssize_t)len)
        return write_failed(w, "writing data");
    return true;
}

static void manifest_add(writer *w, const char *hex, const char *path)
{
    fprintf(w->manifest_out, "%s  %s\n", hex, path);
}

static bool write_buffer_entry(writer *w, const char *path, const char *data, size_t len)
{
    unsigned char md[32];
    char hex[65];
    EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
    hex_of(md, hex);
    manifest_add(w, hex, path);
    return write_header(w, path, (int64_t)len, 0644, time(NULL)) && write_data(w, data, len);
}

/* One database: exactly the size stat() saw when the backup began. */
static bool write_db_entry(writer *w, const wp_backup_db *db, off_t size, int packed)
{
    char name[PATH_MAX];
    entry_name(name, sizeof name, db->name);
    /* A directory was packed into a temporary tar (packed): copy that. */
    int fd = packed >= 0 ? dup(packed) : open(db->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || (packed >= 0 && lseek(fd, 0, SEEK_SET) != 0) || fstat(fd, &st) != 0) {
        wp_fs_err(w->err, errno, "cannot read the database", db->path);
        if (fd >= 0)
            close(fd);
        return false;
    }
    EVP_MD_CTX *sha = sha_new();
    bool ok = sha && write_header(w, name, (int64_t)size, st.st_mode, st.st_mtime);
    off_t left = size;
    while (ok && left > 0) {
        ssize_t n = read(fd, w->buf, left < CHUNK ? (size_t)left : CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            wp_errf(w->err, WP_E_CONFLICT, "the database %s changed while it was backed up",
                    db->path);
            wp_err_why(w->err, "%s", n < 0 ? strerror(errno) : "it became shorter");
            wp_err_todo(w->err, "stop the application (wolfpack app stop) and back up again");
            ok = false;
            break;
        }
        EVP_DigestUpdate(sha, w->buf, (size_t)n);
        ok = write_data(w, w->buf, (size_t)n);
        left -= n;
        w->done += (uint64_t)n;
        report(w->opts, "backup", w->done, w->total);
    }
    close(fd);
    if (ok) {
        char hex[65];
        sha_done(sha, hex);
        manifest_add(w, hex, name);
    }
    EVP_MD_CTX_free(sha);
    return ok;
}

static char *iso_now(char *buf, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static void install_owner(const char *path, uid_t *uid, gid_t *gid, mode_t *mode);

/* A backup that a restore would refuse is no backup: the packed tree must
 * pass the restore rules, with the owners the install allows. */
static bool check_packed(const wp_backup_db *db, int fd, wp_err *err)
{
    uid_t uid;
    gid_t gid;
    install_owner(db->path, &uid, &gid, NULL);
    char what[PATH_MAX + 32];
    snprintf(what, sizeof what, "a backup of %s", db->path);
    wp_tree_check chk;
    if (!wp_tree_check_init(&chk, what, db->name, true, db->owners, uid, gid, err))
        return false;
    struct archive *in = archive_read_new();
    bool ok = in && lseek(fd, 0, SEEK_SET) == 0 &&
              archive_read_support_format_tar(in) == ARCHIVE_OK &&
              archive_read_open_fd(in, fd, CHUNK) == ARCHIVE_OK;
    if (!ok)
        wp_errf(err, WP_E_INTERNAL, "cannot read back the packed tree of %s", db->path);
    struct archive_entry *e;
    int rc = ARCHIVE_EOF;
    while (ok && (rc = archive_read_next_header(in, &e)) == ARCHIVE_OK)
        ok = wp_tree_check_entry(&chk, e, err);
    if (ok && rc != ARCHIVE_EOF) {
        wp_errf(err, WP_E_INTERNAL, "cannot read back the packed tree of %s: %s", db->path,
                archive_error_string(in));
        ok = false;
    } else if (!ok && err->code == WP_E_CORRUPT) {
        err->code = WP_E_CONFLICT;
        wp_err_todo(err,
                    "make %s hold only what a restore takes (docs/APP.md, the restore rules: "
                    "no setuid/setgid/sticky or world-writable entries, owners the kit names, "
                    "symlinks inside), then back up again; no backup was written",
                    db->path);
    }
    if (in)
        archive_read_free(in);
    wp_tree_check_free(&chk);
    return ok;
}

/* A database of kind directory: its tree as a tar in a temporary file
 * beside the backup (unlinked at once), whose size the info can name. */
static int pack_db(const wp_backup_db *db, const char *to, off_t *size, wp_err *err)
{
    char tmp[PATH_MAX];
    int fd = wp_fs_tmpfile_beside(to, "tree", tmp, sizeof tmp, err);
    if (fd < 0)
        return -1;
    if (tmp[0])
        unlink(tmp);
    struct stat st;
    if (!wp_backup_pack_dir(db->path, fd, err) || fstat(fd, &st) != 0 ||
        !check_packed(db, fd, err)) {
        close(fd);
        return -1;
    }
    *size = st.st_size;
    return fd;
}

/* The databases must be there and be regular files or (kind directory)
 * directories, which are packed now; note their sizes. */
static bool stat_dbs(const wp_backup_spec *spec, const char *to, off_t *sizes, int *packed,
                     wp_err *err)
{
    for (size_t i = 0; i < spec->ndbs; i++) {
        struct stat st;
        bool exists = stat(spec->dbs[i].path, &st) == 0;
        if (exists && S_ISDIR(st.st_mode)) {
            packed[i] = pack_db(&spec->dbs[i], to, &sizes[i], err);
            if (packed[i] < 0)
                return false;
            continue;
        }
        if (!exists || !S_ISREG(st.st_mode)) {
            int e = errno;
            wp_errf(err, WP_E_NOTFOUND, "the database %s of %s is missing at %s", spec->dbs[i].name,
                    spec->app, spec->dbs[i].path);
            wp_err_why(err, "%s", exists ? "it is not a regular file" : strerror(e));
            wp_err_todo(err, "check the install (wolfpack app show %s)", spec->app);
            return false;
        }
        sizes[i] = st.st_size;
    }
    return true;
}

static char *info_text(const wp_backup_spec *spec, const off_t *sizes, const int *packed)
{
    char created[32], name[PATH_MAX];
    json_t *files = json_array();
    for (size_t i = 0; i < spec->ndbs; i++) {
        entry_name(name, sizeof name, spec->dbs[i].name);
        json_array_append_new(files, json_pack("{s:s, s:s, s:I, s:s}", "path", name, "database",
                                               spec->dbs[i].name, "size", (json_int_t)sizes[i],
                                               "kind", packed[i] >= 0 ? "directory" : "file"));
    }
    json_t *info = json_pack("{s:s, s:s, s:s?, s:s, s:o}", "format", WP_BACKUP_FORMAT, "app",
                             spec->app, "version", spec->version, "created",
                             iso_now(created, sizeof created), "files", files);
    char *text = json_dumps(info, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(info);
    return text;
}

static bool write_entries(writer *w, const wp_backup_spec *spec, const off_t *sizes,
                          const int *packed)
{
    char *info = info_text(spec, sizes, packed);
    bool ok = info && write_buffer_entry(w, WP_BACKUP_INFO_ENTRY, info, strlen(info));
    free(info);
    for (size_t i = 0; ok && i < spec->ndbs; i++)
        ok = write_db_entry(w, &spec->dbs[i], sizes[i], packed[i]);
    if (ok) {
        fflush(w->manifest_out);
        ok = write_buffer_entry(w, WP_BACKUP_MANIFEST_ENTRY, w->manifest, w->manifest_len);
    }
    if (ok && archive_write_close(w->a) != ARCHIVE_OK)
        ok = write_failed(w, "finishing the archive");
    return ok;
}

static bool open_archive_writer(writer *w, int fd, int level, int nthreads)
{
    char lvl[16], threads[16];
    snprintf(lvl, sizeof lvl, "%d", level > 0 ? level : 3);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int n = nthreads > 0 ? nthreads : ncpu > 4 ? 4 : (int)ncpu;
    snprintf(threads, sizeof threads, "%d", n > 1 ? n : 0); /* 0: in this thread */
    w->a = archive_write_new();
    if (!w->a || archive_write_add_filter_zstd(w->a) != ARCHIVE_OK ||
        archive_write_set_filter_option(w->a, "zstd", "compression-level", lvl) != ARCHIVE_OK ||
        archive_write_set_filter_option(w->a, "zstd", "threads", threads) < ARCHIVE_WARN ||
        archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(w->a, fd) != ARCHIVE_OK)
        return write_failed(w, "starting the archive");
    return true;
}

static void close_all(int *fds, size_t n)
{
    for (size_t i = 0; fds && i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
}

bool wp_backup_create(const wp_backup_spec *spec, const char *to, const wp_backup_opts *opts,
                      uint64_t *bytes, wp_err *err)
{
    struct stat st;
    if (lstat(to, &st) == 0) {
        wp_errf(err, WP_E_EXISTS, "%s already exists", to);
        wp_err_why(err, "a backup never replaces a file");
        wp_err_todo(err, "choose another file name, or remove the old one first");
        return false;
    }
    off_t *sizes = calloc(spec->ndbs + 1, sizeof *sizes);
    int *packed = calloc(spec->ndbs + 1, sizeof *packed);
    for (size_t i = 0; packed && i < spec->ndbs; i++)
        packed[i] = -1;
    if (!sizes || !packed || !stat_dbs(spec, to, sizes, packed, err)) {
        close_all(packed, spec->ndbs);
        free(sizes);
        return false;
    }
    writer w = {.to = to, .opts = opts, .err = err, .buf = malloc(CHUNK)};
    w.manifest_out = open_memstream(&w.manifest, &w.manifest_len);
    for (size_t i = 0; i < spec->ndbs; i++)
        w.total += (uint64_t)sizes[i];
    /* Unnamed until it is complete: a killed backup leaves nothing. */
    char tmp[PATH_MAX];
    wp_fs_remove_stale_beside(to, "partial");
    int fd = wp_fs_tmpfile_beside(to, "partial", tmp, sizeof tmp, err);
    bool ok = fd >= 0 && w.buf && w.manifest_out &&
              open_archive_writer(&w, fd, opts ? opts->level : 0, opts ? opts->threads : 0) &&
              write_entries(&w, spec, sizes, packed);
    if (w.a)
        archive_write_free(w.a);
    if (ok && (fchmod(fd, 0600) != 0 || fsync(fd) != 0 || fstat(fd, &st) != 0)) {
        wp_fs_err(err, errno, "cannot write the backup", to);
        ok = false;
    }
    /* link, not rename: never replace a file */
    if (ok)
        ok = wp_fs_tmpfile_link(fd, tmp, to, err);
    else if (fd >= 0 && tmp[0])
        unlink(tmp);
    if (fd >= 0 && close(fd) != 0 && ok) {
        wp_fs_err(err, errno, "cannot write the backup", to);
        unlink(to);
        ok = false;
    }
    if (ok)
        ok = wp_fs_fsync_parent(to, err);
    if (ok && bytes)
        *bytes = (uint64_t)st.st_size;
    if (w.manifest_out)
        fclose(w.manifest_out);
    free(w.manifest);
    free(w.buf);
    free(sizes);
    close_all(packed, spec->ndbs);
    return ok;
}

/* ---- reading -------------------------------------------------------------------------- */

/* Where one database's bytes go during a restore. */
typedef struct sink {
    int fd;
    char tmp[PATH_MAX];
    bool directory;      /* kind directory: tmp holds the tree's tar */
    char tree[PATH_MAX]; /* ... extracted here, beside the destination */
} sink;

typedef struct reader {
    struct archive *a;
    const char *from;
    const wp_backup_spec *expect;
    const wp_backup_opts *opts;
    json_t *info;      /* wolfpack-backup.json */
    json_t *files;     /* borrowed from info */
    char (*hex)[65];   /* per file of info, once read */
    sink *sinks;       /* per database of expect (restore only) */
    char info_hex[65]; /* SHA-256 of wolfpack-backup.json as stored */
    uint64_t done, total;
    char *buf;
    wp_err *err;
} reader;

static bool corrupt(reader *r, const char *what, const char *why)
{
    wp_errf(r->err, WP_E_CORRUPT, "%s is %s", r->from, what);
    wp_err_why(r->err, "%s", why);
    wp_err_todo(r->err, "use another copy of the backup; nothing was changed");
    return false;
}

static bool archive_failed(reader *r)
{
    const char *msg = archive_error_string(r->a);
    return corrupt(r, "damaged or truncated", msg ? msg : "the archive could not be read");
}

static bool foreign(reader *r, const char *why)
{
    wp_errf(r->err, WP_E_CORRUPT, "%s is not a wolfpack backup", r->from);
    wp_err_why(r->err, "%s", why);
    wp_err_todo(r->err, "name a file made by 'wolfpack app backup'; nothing was changed");
    return false;
}

/* Where an entry's bytes go while they stream: into a SHA-256 and, during
 * a restore, into a temporary file. */
typedef struct stream {
    reader *r;
    EVP_MD_CTX *sha;
    int fd;           /* -1: nowhere */
    const char *dest; /* for messages */
    off_t written, flushed;
    bool failed; /* r->err says why */
} stream;

static bool stream_write(stream *s, la_ssize_t n)
{
    for (la_ssize_t off = 0; off < n;) {
        ssize_t m = write(s->fd, s->r->buf + off, (size_t)(n - off));
        if (m < 0 && errno == EINTR)
            continue;
        if (m <= 0) {
            wp_fs_err(s->r->err, m < 0 ? errno : ENOSPC, "cannot restore into", s->dest);
            return false;
        }
        off += m;
    }
    /* Start writing back what is done, so the fsync at the end does not
     * wait for the whole file. */
    if ((s->written += n) - s->flushed >= WRITEBACK) {
        sync_file_range(s->fd, s->flushed, s->written - s->flushed, SYNC_FILE_RANGE_WRITE);
        s->flushed = s->written;
    }
    return true;
}

/* The next block of the current entry, hashed and written: its length, 0
 * at the end, -1 on failure. */
static la_ssize_t stream_next(stream *s)
{
    reader *r = s->r;
    if (s->failed)
        return -1;
    la_ssize_t n = archive_read_data(r->a, r->buf, CHUNK);
    if (n < 0) {
        s->failed = true;
        archive_failed(r);
        return -1;
    }
    if (n == 0)
        return 0;
    EVP_DigestUpdate(s->sha, r->buf, (size_t)n);
    if (s->fd >= 0 && !stream_write(s, n)) {
        s->failed = true;
        return -1;
    }
    r->done += (uint64_t)n;
    report(r->opts, s->fd >= 0 ? "restore" : "verify", r->done, r->total);
    return n;
}

/* Read the current entry's data, hashing it and writing it to fd (-1:
 * nowhere). */
static bool read_entry_data(reader *r, int fd, const char *dest, char hex[65])
{
    stream s = {.r = r, .sha = sha_new(), .fd = fd, .dest = dest};
    la_ssize_t n = -1;
    while (s.sha && (n = stream_next(&s)) > 0)
        ;
    bool ok = n == 0;
    if (ok)
        sha_done(s.sha, hex);
    EVP_MD_CTX_free(s.sha);
    return ok;
}

/* libarchive pulls the inner tar of a directory database through this. */
static la_ssize_t inner_read(struct archive *a, void *user, const void **buf)
{
    (void)a;
    stream *s = user;
    *buf = s->r->buf;
    return stream_next(s);
}

static bool tree_damaged(reader *r, const char *db, struct archive *in)
{
    char why[512];
    snprintf(why, sizeof why, "the directory database %s is not a whole tar archive: %s", db,
             archive_error_string(in) ? archive_error_string(in) : "it cannot be read");
    return corrupt(r, "damaged", why);
}

/* The owner of a database as installed here: of the one at path, or for a
 * new one of this process (which the install would make it). */
static void install_owner(const char *path, uid_t *uid, gid_t *gid, mode_t *mode)
{
    struct stat st;
    bool there = stat(path, &st) == 0;
    *uid = there ? st.st_uid : geteuid();
    *gid = there ? st.st_gid : getegid();
    if (mode)
        *mode = there ? st.st_mode & 07777 : 0755;
}

/* The restore rules for the tree of db (k: its index in expect, or -1). */
static bool tree_check_for(const reader *r, const char *db, ssize_t k, wp_tree_check *chk)
{
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    if (k >= 0)
        install_owner(r->expect->dbs[k].path, &uid, &gid, NULL);
    return wp_tree_check_init(chk, r->from, db, k >= 0, k >= 0 ? r->expect->dbs[k].owners : NULL,
                              uid, gid, r->err);
}

/* A directory database: its inner tar streams through the restore rules
 * entry by entry (nothing is extracted here), hashed and -- restore --
 * written to fd. */
static bool read_tree_data(reader *r, int fd, const char *dest, const char *db, ssize_t k,
                           char hex[65])
{
    stream s = {.r = r, .sha = sha_new(), .fd = fd, .dest = dest};
    wp_tree_check chk = {0};
    struct archive *in = NULL;
    bool ok = s.sha && tree_check_for(r, db, k, &chk);
    if (ok) {
        in = archive_read_new();
        ok = in && archive_read_support_format_tar(in) == ARCHIVE_OK;
        if (ok && archive_read_open(in, &s, NULL, inner_read, NULL) != ARCHIVE_OK)
            ok = s.failed ? false : tree_damaged(r, db, in);
    }
    struct archive_entry *e;
    int rc = ARCHIVE_EOF;
    while (ok && (rc = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
        ok = wp_tree_check_entry(&chk, e, r->err);
        if (ok && archive_read_data_skip(in) != ARCHIVE_OK)
            ok = s.failed ? false : tree_damaged(r, db, in);
    }
    if (ok && rc != ARCHIVE_EOF)
        ok = s.failed ? false : tree_damaged(r, db, in);
    ok = ok && wp_tree_check_done(&chk, r->err);
    la_ssize_t n = 0;
    while (ok && (n = stream_next(&s)) > 0) /* what follows the tar's end */
        ;
    ok = ok && n == 0;
    if (ok)
        sha_done(s.sha, hex);
    if (in)
        archive_read_free(in);
    wp_tree_check_free(&chk);
    EVP_MD_CTX_free(s.sha);
    return ok;
}

static json_int_t file_size(const json_t *f)
{
    return json_integer_value(json_object_get(f, "size"));
}

/* A file's "kind" in wolfpack-backup.json (none: a file, as before
 * directories existed); AUTO for anything else. */
static wp_backup_kind file_kind(const json_t *f)
{
    json_t *k = json_object_get(f, "kind");
    if (!k)
        return WP_BACKUP_KIND_FILE;
    const char *kind = json_string_value(k);
    if (kind && strcmp(kind, "file") == 0)
        return WP_BACKUP_KIND_FILE;
    if (kind && strcmp(kind, "directory") == 0)
        return WP_BACKUP_KIND_DIRECTORY;
    return WP_BACKUP_KIND_AUTO;
}

/* A database name as kits allow them: 1..40 of a-z, 0-9, '_', '-'. */
static bool db_name_ok(const char *db)
{
    size_t n = strlen(db);
    return n >= 1 && n <= 40 && strspn(db, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* The kind the install declares for db, or for an old record the kind of
 * the database as it is now. */
static wp_backup_kind declared_kind(const wp_backup_db *db)
{
    struct stat st;
    if (db->kind != WP_BACKUP_KIND_AUTO)
        return db->kind;
    return stat(db->path, &st) == 0 && S_ISDIR(st.st_mode) ? WP_BACKUP_KIND_DIRECTORY
                                                           : WP_BACKUP_KIND_FILE;
}

static const char *kind_name(wp_backup_kind k)
{
    return k == WP_BACKUP_KIND_DIRECTORY ? "directory" : "file";
}

/* Each database of the archive is of the kind the install declares: the
 * archive never decides whether a database is a file or a directory. */
static bool check_kinds(reader *r)
{
    size_t i;
    json_t *f;
    json_array_foreach(r->files, i, f)
    {
        const char *db = wp_json_str(f, "database");
        for (size_t k = 0; k < r->expect->ndbs; k++) {
            wp_backup_kind want = declared_kind(&r->expect->dbs[k]);
            if (strcmp(r->expect->dbs[k].name, db) != 0 || file_kind(f) == want)
                continue;
            wp_errf(r->err, WP_E_CONFLICT,
                    "%s holds the database %s as a %s, but %s has it as a %s", r->from, db,
                    kind_name(file_kind(f)), r->expect->app, kind_name(want));
            wp_err_why(r->err, "a restore makes each database of the kind its kit declares");
            wp_err_todo(r->err,
                        "name a backup made by 'wolfpack app backup' of this version of %s; "
                        "nothing was changed",
                        r->expect->app);
            return false;
        }
    }
    return true;
}

/* wolfpack-backup.json: its shape, and against expect the app, the version
 * and the set and kinds of the databases. */
static bool check_info(reader *r)
{
    json_t *files = json_object_get(r->info, "files");
    const char *format = wp_json_str(r->info, "format");
    const char *app = wp_json_str(r->info, "app");
    const char *version = wp_json_str(r->info, "version");
    if (!format || strcmp(format, WP_BACKUP_FORMAT) != 0 || !app || !json_is_array(files))
        return foreign(r, WP_BACKUP_INFO_ENTRY " does not describe a " WP_BACKUP_FORMAT " archive");
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f)
    {
        const char *path = wp_json_str(f, "path");
        const char *db = wp_json_str(f, "database");
        char want[PATH_MAX];
        if (db)
            entry_name(want, sizeof want, db);
        if (!path || !db || !db_name_ok(db) || strcmp(path, want) != 0 || file_size(f) < 0 ||
            !json_is_integer(json_object_get(f, "size")) || file_kind(f) == WP_BACKUP_KIND_AUTO)
            return foreign(r, WP_BACKUP_INFO_ENTRY " lists a file it cannot describe");
        for (size_t j = 0; j < i; j++)
            if (strcmp(wp_json_str(json_array_get(files, j), "database"), db) == 0)
                return corrupt(r, "damaged", WP_BACKUP_INFO_ENTRY " names a database twice");
        r->total += (uint64_t)file_size(f);
    }
    r->files = files;
    const wp_backup_spec *x = r->expect;
    if (!x)
        return true;
    if (strcmp(app, x->app) != 0) {
        wp_errf(r->err, WP_E_CONFLICT, "%s is a backup of '%s', not of '%s'", r->from, app, x->app);
        wp_err_why(r->err, "a restore only takes a backup of the same application");
        wp_err_todo(r->err, "name a backup of %s; nothing was changed", x->app);
        return false;
    }
    if (x->version && (!version || strcmp(version, x->version) != 0)) {
        wp_errf(r->err, WP_E_CONFLICT, "%s holds %s %s databases, but %s %s is installed", r->from,
                app, version ? version : "(unknown)", x->app, x->version);
        wp_err_why(r->err, "databases of another version may have another format");
        wp_err_todo(r->err,
                    "install version %s, restore, then apply the service pack; nothing "
                    "was changed",
                    version ? version : "(unknown)");
        return false;
    }
    bool same = json_array_size(files) == x->ndbs;
    for (size_t k = 0; same && k < x->ndbs; k++) {
        bool found = false;
        json_array_foreach(files, i, f) found |=
            strcmp(wp_json_str(f, "database"), x->dbs[k].name) == 0;
        same = found;
    }
    if (!same) {
        wp_errf(r->err, WP_E_CONFLICT, "%s does not hold the databases %s has", r->from, x->app);
        wp_err_why(r->err, "the backup and the install must name the same databases");
        wp_err_todo(r->err, "name a backup made from this version of %s; nothing was changed",
                    x->app);
        return false;
    }
    return check_kinds(r);
}

static bool read_info(reader *r)
{
    struct archive_entry *e;
    int rc = archive_read_next_header(r->a, &e);
    if (rc == ARCHIVE_EOF)
        return foreign(r, "the archive is empty");
    if (rc != ARCHIVE_OK)
        return foreign(r, archive_error_string(r->a) ? archive_error_string(r->a)
                                                     : "it is not a zstd-compressed tar archive");
    if (strcmp(archive_entry_pathname(e), WP_BACKUP_INFO_ENTRY) != 0 ||
        archive_entry_filetype(e) != AE_IFREG || archive_entry_size(e) > INFO_MAX)
        return foreign(r, "its first entry is not " WP_BACKUP_INFO_ENTRY);
    size_t len = (size_t)archive_entry_size(e);
    char *text = malloc(len + 1);
    la_ssize_t n = text ? archive_read_data(r->a, text, len) : -1;
    bool ok = n == (la_ssize_t)len;
    if (ok) {
        unsigned char md[32];
        EVP_Digest(text, len, md, NULL, EVP_sha256(), NULL);
        hex_of(md, r->info_hex);
        text[len] = '\0';
        r->info = json_loadb(text, len, 0, NULL);
        r->hex = calloc(json_array_size(json_object_get(r->info, "files")) + 1, sizeof *r->hex);
    }
    free(text);
    if (!ok)
        return archive_failed(r);
    if (!json_is_object(r->info))
        return foreign(r, WP_BACKUP_INFO_ENTRY " is not JSON");
    return check_info(r);
}

static ssize_t file_index(const reader *r, const char *path)
{
    size_t i;
    json_t *f;
    json_array_foreach(r->files, i,
                       f) if (strcmp(wp_json_str(f, "path"), path) == 0) return (ssize_t)i;
    return -1;
}

static ssize_t expect_index(const reader *r, const char *db)
{
    for (size_t k = 0; r->expect && k < r->expect->ndbs; k++)
        if (strcmp(r->expect->dbs[k].name, db) == 0)
            return (ssize_t)k;
    return -1;
}

/* Open the temporary file of a database (restore only). */
static int open_sink(reader *r, const char *db, bool directory)
{
    ssize_t k = expect_index(r, db);
    if (!r->sinks || k < 0)
        return -1;
    r->sinks[k].directory = directory;
    const char *path = r->expect->dbs[k].path;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    if (!wp_fs_mkdir_p(dirname(dir), 0755, r->err))
        return -2;
    r->sinks[k].fd = wp_fs_mktemp_beside(path, "restore", r->sinks[k].tmp, PATH_MAX, r->err);
    return r->sinks[k].fd < 0 ? -2 : r->sinks[k].fd;
}

static bool read_db_entry(reader *r, struct archive_entry *e, const char *path)
{
    ssize_t i = file_index(r, path);
    if (i < 0)
        return corrupt(r, "damaged",
                       "it holds an entry that its " WP_BACKUP_INFO_ENTRY " does not list");
    if (r->hex[i][0])
        return corrupt(r, "damaged", "it holds an entry twice");
    json_t *f = json_array_get(r->files, (size_t)i);
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) ||
        archive_entry_symlink(e))
        return corrupt(r, "damaged", "a database entry is not a regular file");
    if (archive_entry_size(e) != file_size(f))
        return corrupt(r, "damaged", "an entry's size differs from " WP_BACKUP_INFO_ENTRY);
    const char *db = wp_json_str(f, "database");
    bool tree = file_kind(f) == WP_BACKUP_KIND_DIRECTORY;
    int fd = open_sink(r, db, tree);
    if (fd == -2)
        return false;
    ssize_t k = expect_index(r, db);
    const char *dest = k >= 0 ? r->expect->dbs[k].path : path;
    return tree ? read_tree_data(r, fd, dest, db, k, r->hex[i])
                : read_entry_data(r, fd, dest, r->hex[i]);
}

/* MANIFEST.sha256 must list every entry with the hash we computed. */
static bool check_manifest(reader *r, const char *text, const char *info_hex)
{
    size_t nfiles = json_array_size(r->files), seen = 0;
    bool info_seen = false;
    char *copy = strdup(text), *save = NULL;
    bool *listed = calloc(nfiles + 1, sizeof *listed); /* per file: its line came */
    bool ok = copy && listed;
    for (char *line = strtok_r(copy, "\n", &save); ok && line; line = strtok_r(NULL, "\n", &save)) {
        if (strlen(line) < 67 || line[64] != ' ' || line[65] != ' ') {
            ok = corrupt(r, "damaged", WP_BACKUP_MANIFEST_ENTRY " has a malformed line");
            break;
        }
        line[64] = '\0';
        const char *path = line + 66;
        ssize_t i = file_index(r, path);
        bool is_info = strcmp(path, WP_BACKUP_INFO_ENTRY) == 0;
        const char *have = is_info ? info_hex : i >= 0 ? r->hex[i] : NULL;
        if (!have || !have[0]) {
            ok = corrupt(r, "damaged", WP_BACKUP_MANIFEST_ENTRY " names a file the archive lacks");
        } else if (is_info ? info_seen : listed[i]) {
            ok = corrupt(r, "damaged", WP_BACKUP_MANIFEST_ENTRY " names a file twice");
        } else if (strcmp(have, line) != 0) {
            char why[PATH_MAX + 64];
            snprintf(why, sizeof why, "the SHA-256 of %s does not match " WP_BACKUP_MANIFEST_ENTRY,
                     path);
            ok = corrupt(r, "damaged", why);
        } else {
            seen += !is_info;
            info_seen |= is_info;
            if (!is_info)
                listed[i] = true;
        }
    }
    free(copy);
    free(listed);
    if (ok && (seen != nfiles || !info_seen))
        ok = corrupt(r, "damaged", WP_BACKUP_MANIFEST_ENTRY " does not cover every file");
    return ok;
}

static bool read_manifest(reader *r, struct archive_entry *e, const char *info_hex)
{
    if (archive_entry_size(e) > INFO_MAX)
        return corrupt(r, "damaged", WP_BACKUP_MANIFEST_ENTRY " is too large");
    size_t len = (size_t)archive_entry_size(e);
    char *text = calloc(1, len + 1);
    bool ok = text && archive_read_data(r->a, text, len) == (la_ssize_t)len;
    if (!ok)
        ok = archive_failed(r);
    else if (strlen(text) != len)
        ok = corrupt(r, "damaged", WP_BACKUP_MANIFEST_ENTRY " is not text");
    else
        ok = check_manifest(r, text, info_hex);
    free(text);
    return ok;
}

/* Walk every entry after the info; the manifest must come last. */
static bool read_rest(reader *r, const char *info_hex)
{
    struct archive_entry *e;
    bool manifest_done = false;
    for (;;) {
        int rc = archive_read_next_header(r->a, &e);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc != ARCHIVE_OK)
            return archive_failed(r);
        const char *path = archive_entry_pathname(e);
        if (manifest_done)
            return corrupt(r, "damaged", "it holds entries after " WP_BACKUP_MANIFEST_ENTRY);
        if (strcmp(path, WP_BACKUP_MANIFEST_ENTRY) == 0) {
            if (!read_manifest(r, e, info_hex))
                return false;
            manifest_done = true;
        } else if (!read_db_entry(r, e, path)) {
            return false;
        }
    }
    if (!manifest_done)
        return corrupt(r, "damaged or truncated", WP_BACKUP_MANIFEST_ENTRY " is missing");
    return true;
}

static bool open_archive_reader(reader *r)
{
    r->a = archive_read_new();
    if (!r->a || archive_read_support_filter_zstd(r->a) != ARCHIVE_OK ||
        archive_read_support_format_tar(r->a) != ARCHIVE_OK) {
        wp_errf(r->err, WP_E_INTERNAL, "libarchive cannot read zstd-compressed tar");
        return false;
    }
    if (archive_read_open_filename(r->a, r->from, CHUNK) != ARCHIVE_OK) {
        int e = archive_errno(r->a);
        if (e == ENOENT || e == EACCES || e == EISDIR) {
            wp_fs_err(r->err, e, "cannot read the backup", r->from);
            if (e == ENOENT)
                r->err->code = WP_E_NOTFOUND;
            return false;
        }
        return foreign(r, archive_error_string(r->a) ? archive_error_string(r->a)
                                                     : "it is not a zstd-compressed tar archive");
    }
    return true;
}

/* The one pass over an archive, for verify (no sinks) and restore. */
static bool read_archive(reader *r)
{
    r->buf = malloc(CHUNK);
    if (!r->buf || !open_archive_reader(r) || !read_info(r))
        return false;
    return read_rest(r, r->info_hex);
}

static void reader_free(reader *r)
{
    if (r->a)
        archive_read_free(r->a);
    json_decref(r->info);
    free(r->hex);
    free(r->buf);
}

bool wp_backup_verify(const char *from, const wp_backup_spec *expect, json_t **info, wp_err *err)
{
    reader r = {.from = from, .expect = expect, .err = err};
    bool ok = read_archive(&r);
    if (ok && info) {
        size_t i;
        json_t *f;
        json_array_foreach(r.files, i, f) json_object_set_new(f, "sha256", json_string(r.hex[i]));
        *info = json_incref(r.info);
    }
    reader_free(&r);
    return ok;
}

/* Swap the verified temporary files in: keep each old file as a hard link
 * until every rename succeeded, so a failure can put the old ones back. */
static bool swap_one(const char *path, sink *s)
{
    char old[PATH_MAX];
    snprintf(old, sizeof old, "%s.wp-old", path);
    if (s->directory) { /* a tree: move the old one aside, the new one in */
        wp_backup_remove_tree(old);
        if (rename(path, old) != 0 && errno != ENOENT)
            return false;
        if (rename(s->tree, path) != 0) {
            int e = errno;
            rename(old, path);
            errno = e;
            return false;
        }
        s->tree[0] = '\0';
        return true;
    }
    unlink(old);
    if ((link(path, old) != 0 && errno != ENOENT) || rename(s->tmp, path) != 0)
        return false;
    s->tmp[0] = '\0';
    return true;
}

static bool swap_in(const wp_backup_spec *spec, sink *sinks, wp_err *err)
{
    size_t done = 0;
    bool ok = true;
    char old[PATH_MAX];
    for (; ok && done < spec->ndbs; done++) {
        const char *path = spec->dbs[done].path;
        if (!swap_one(path, &sinks[done])) {
            wp_fs_err(err, errno, "cannot put the restored database in place at", path);
            ok = false;
            break;
        }
    }
    for (size_t i = 0; i < done; i++) {
        const char *path = spec->dbs[i].path;
        snprintf(old, sizeof old, "%s.wp-old", path);
        if (!ok && access(old, F_OK) == 0) {
            if (sinks[i].directory)
                wp_backup_remove_tree(path);
            rename(old, path);
        } else if (sinks[i].directory) {
            wp_backup_remove_tree(old);
        } else {
            unlink(old);
        }
        wp_fs_fsync_parent(path, NULL);
    }
    return ok;
}

/* Give the restored database the owner and mode of the one it replaces
 * (the install's), never the archive's; a tree is extracted beside its
 * destination under the same restore rules as the checking pass. */
static bool finish_sink(const wp_backup_spec *spec, size_t k, sink *s, const char *from,
                        wp_err *err)
{
    const char *path = spec->dbs[k].path;
    uid_t uid;
    gid_t gid;
    mode_t mode;
    install_owner(path, &uid, &gid, &mode);
    if (s->directory) {
        wp_tree_check chk;
        if (!wp_tree_check_init(&chk, from, spec->dbs[k].name, true, spec->dbs[k].owners, uid, gid,
                                err))
            return false;
        snprintf(s->tree, sizeof s->tree, "%s.wp-restore", path);
        wp_backup_remove_tree(s->tree);
        bool ok = wp_backup_unpack_dir(s->fd, s->tree, &chk, uid, gid, mode, err);
        wp_tree_check_free(&chk);
        if (!ok)
            s->tree[0] = '\0';
        return ok;
    }
    struct stat st;
    mode = 0640;
    if (stat(path, &st) == 0)
        mode = st.st_mode & 07777;
    if (fchown(s->fd, uid, gid) != 0 && errno != EPERM) {
        wp_fs_err(err, errno, "cannot set the owner of", s->tmp);
        return false;
    }
    if (fchmod(s->fd, mode) != 0 || fsync(s->fd) != 0) {
        wp_fs_err(err, errno, "cannot restore into", path);
        return false;
    }
    return true;
}

/* The nearest directory at or above path's parent that exists. */
static void existing_parent(const char *path, char *dir, size_t size)
{
    snprintf(dir, size, "%s", path);
    struct stat st;
    do {
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir) {
            snprintf(dir, size, "/");
            return;
        }
        *slash = '\0';
    } while (stat(dir, &st) != 0);
}

typedef struct space {
    dev_t dev;
    char dir[PATH_MAX]; /* for the message */
    uint64_t need, avail;
} space;

/* Enough free space for every database on its file system: a file's size,
 * twice a tree's (its tar, then the tree beside the old one). */
static bool check_space(const wp_backup_spec *spec, const reader *chk, wp_err *err)
{
    space *fs = calloc(spec->ndbs + 1, sizeof *fs);
    size_t nfs = 0;
    bool ok = fs != NULL;
    size_t i;
    json_t *f;
    json_array_foreach(chk->files, i, f)
    {
        ssize_t k = expect_index(chk, wp_json_str(f, "database"));
        if (!ok || k < 0)
            continue;
        char dir[PATH_MAX];
        struct stat st;
        struct statvfs vfs;
        existing_parent(spec->dbs[k].path, dir, sizeof dir);
        if (stat(dir, &st) != 0 || statvfs(dir, &vfs) != 0)
            continue; /* the write will say what is wrong */
        size_t n = 0;
        while (n < nfs && fs[n].dev != st.st_dev)
            n++;
        if (n == nfs) {
            fs[nfs].dev = st.st_dev;
            snprintf(fs[nfs].dir, sizeof fs[nfs].dir, "%s", dir);
            fs[nfs++].avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        }
        uint64_t size = (uint64_t)file_size(f);
        fs[n].need += file_kind(f) == WP_BACKUP_KIND_DIRECTORY ? 2 * size : size;
    }
    for (size_t n = 0; ok && n < nfs; n++) {
        if (fs[n].need <= fs[n].avail)
            continue;
        wp_errf(err, WP_E_IO,
                "not enough free space to restore %s: it needs %llu MiB on the file system of "
                "%s, %llu MiB are free",
                spec->app, (unsigned long long)(fs[n].need >> 20) + 1, fs[n].dir,
                (unsigned long long)(fs[n].avail >> 20));
        wp_err_why(err, "a restore writes the new databases beside the old ones before it "
                        "swaps them in");
        wp_err_todo(err,
                    "free space on that file system (df -h %s), then restore again; "
                    "nothing was changed",
                    fs[n].dir);
        ok = false;
    }
    free(fs);
    return ok;
}

/* One restore of these databases at a time: an exclusive lock on the
 * directory that holds the first.  Returns the fd (-1: nothing to lock),
 * -2 with err when another restore holds it. */
static int lock_restore(const wp_backup_spec *spec, wp_err *err)
{
    if (spec->ndbs == 0)
        return -1;
    char dir[PATH_MAX];
    existing_parent(spec->dbs[0].path, dir, sizeof dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) == 0)
        return fd;
    close(fd);
    wp_errf(err, WP_E_CONFLICT, "another restore of %s is running", spec->app);
    wp_err_why(err, "it holds the lock on %s", dir);
    wp_err_todo(err, "wait for it to end, then restore again; nothing was changed");
    return -2;
}

/* What a killed restore left: temporary files and trees beside each
 * database; an old database moved aside but not yet replaced goes back. */
static void clean_leftovers(const wp_backup_spec *spec)
{
    for (size_t k = 0; k < spec->ndbs; k++) {
        const char *path = spec->dbs[k].path;
        char side[PATH_MAX];
        struct stat st;
        wp_fs_remove_stale_beside(path, "restore");
        snprintf(side, sizeof side, "%s.wp-restore", path);
        wp_backup_remove_tree(side);
        snprintf(side, sizeof side, "%s.wp-old", path);
        if (lstat(side, &st) != 0)
            continue;
        if (lstat(path, &st) != 0 && errno == ENOENT)
            rename(side, path);
        else
            wp_backup_remove_tree(side);
    }
}

/* The checking pass: the whole archive read and judged, nothing written. */
static bool check_restore(const wp_backup_spec *spec, const char *from, wp_err *err)
{
    reader r = {.from = from, .expect = spec, .err = err};
    bool ok = read_archive(&r) && check_space(spec, &r, err);
    reader_free(&r);
    return ok;
}

bool wp_backup_restore(const wp_backup_spec *spec, const char *from, const wp_backup_opts *opts,
                       wp_err *err)
{
    int lock = lock_restore(spec, err);
    if (lock == -2)
        return false;
    if (!check_restore(spec, from, err)) {
        if (lock >= 0)
            close(lock);
        return false;
    }
    clean_leftovers(spec);
    sink *sinks = calloc(spec->ndbs + 1, sizeof *sinks);
    for (size_t k = 0; sinks && k < spec->ndbs; k++)
        sinks[k].fd = -1;
    reader r = {.from = from, .expect = spec, .opts = opts, .sinks = sinks, .err = err};
    bool ok = sinks && read_archive(&r);
    for (size_t k = 0; ok && k < spec->ndbs; k++)
        ok = finish_sink(spec, k, &sinks[k], from, err);
    for (size_t k = 0; sinks && k < spec->ndbs; k++)
        if (sinks[k].fd >= 0 && close(sinks[k].fd) != 0 && ok) {
            wp_fs_err(err, errno, "cannot restore into", spec->dbs[k].path);
            ok = false;
        }
    if (ok)
        ok = swap_in(spec, sinks, err);
    for (size_t k = 0; sinks && k < spec->ndbs; k++) {
        if (sinks[k].tmp[0])
            unlink(sinks[k].tmp);
        if (sinks[k].tree[0])
            wp_backup_remove_tree(sinks[k].tree);
    }
    reader_free(&r);
    free(sinks);
    if (lock >= 0)
        close(lock);
    return ok;
}

bool wp_backup_compare(const wp_backup_spec *spec, const char *from, wp_err *err)
{
    json_t *info = NULL;
    wp_backup_spec any = *spec;
    any.version = NULL;
    if (!wp_backup_verify(from, &any, &info, err))
        return false;
    bool ok = true;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(info, "files"), i, f)
    {
        const char *db = wp_json_str(f, "database");
        for (size_t k = 0; ok && k < spec->ndbs; k++) {
            char hex[65];
            if (strcmp(spec->dbs[k].name, db) != 0)
                continue;
            struct stat st;
            bool tree = stat(spec->dbs[k].path, &st) == 0 && S_ISDIR(st.st_mode);
            ok = tree ? wp_backup_sha256_dir(spec->dbs[k].path, hex, err)
                      : wp_sha256_file(spec->dbs[k].path, hex, err);
            if (ok && strcmp(hex, wp_json_str(f, "sha256")) != 0) {
                wp_errf(err, WP_E_CONFLICT, "the database %s at %s differs from its backup %s", db,
                        spec->dbs[k].path, from);
                wp_err_why(err, "its SHA-256 is not the one the backup recorded");
                wp_err_todo(err, "restore it: wolfpack app restore %s --from %s", spec->app, from);
                ok = false;
            }
        }
    }
    json_decref(info);
    return ok;
}
