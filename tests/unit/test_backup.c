/*
 * test_backup.c -- unit tests of backup and restore (src/app/backup.c):
 * a round trip restores every byte; the archive's checksums match the
 * files; a damaged, truncated, foreign or tampered archive, and one of
 * another app, version or database set, is refused and changes nothing
 * (the databases keep their bytes, no temporary file is left); a backup
 * never replaces a file; a full disk during backup leaves no partial
 * archive and during restore leaves the databases as they were.  The full
 * disk tests mount a small tmpfs (root only; skipped otherwise).  A
 * database of kind directory makes the same round trip.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../src/app/backup.h"

typedef struct fixture {
    char dir[64];
    char a[128], b[128], archive[128];
    wp_backup_db dbs[2];
    wp_backup_spec spec;
} fixture;

/* Deterministic bytes: half compressible text, half noise. */
static void write_file(const char *path, size_t size, unsigned seed)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        fputc(i % 2048 < 1024 ? 'a' + (int)(i % 26) : (int)(x >> 24), f);
    }
    fclose(f);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *buf = malloc(*len + 1);
    assert_int_equal(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

static bool same_file(const char *x, const char *y)
{
    size_t lx, ly;
    char *bx = read_all(x, &lx), *by = read_all(y, &ly);
    bool same = bx && by && lx == ly && memcmp(bx, by, lx) == 0;
    free(bx);
    free(by);
    return same;
}

/* Entries of a directory other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wptest-backup.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char sub[160];
    snprintf(sub, sizeof sub, "%s/db", f->dir);
    mkdir(sub, 0755);
    snprintf(f->a, sizeof f->a, "%s/db/records.db", f->dir);
    snprintf(f->b, sizeof f->b, "%s/db/index.db", f->dir);
    snprintf(f->archive, sizeof f->archive, "%s/backup.tar.zst", f->dir);
    write_file(f->a, 3 * 1024 * 1024 + 17, 1);
    write_file(f->b, 100, 2);
    f->dbs[0] = (wp_backup_db){.name = "records", .path = f->a};
    f->dbs[1] = (wp_backup_db){.name = "index", .path = f->b};
    f->spec = (wp_backup_spec){"recordstore", "1.0", f->dbs, 2};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
    free(f);
    return 0;
}

/* Copies of the databases as they are now, to compare with later. */
static void snapshot(fixture *f, const char *tag)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s.%s' && cp '%s' '%s.%s'", f->a, f->a, tag, f->b, f->b,
             tag);
    assert_int_equal(system(cmd), 0);
}

static void assert_unchanged(fixture *f, const char *tag)
{
    char x[256], y[256];
    snprintf(x, sizeof x, "%s.%s", f->a, tag);
    snprintf(y, sizeof y, "%s.%s", f->b, tag);
    assert_true(same_file(f->a, x));
    assert_true(same_file(f->b, y));
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    snapshot(f, "orig");
    uint64_t bytes = 0;
    assert_true(wp_backup_create(&f->spec, f->archive, NULL, &bytes, &err));
    assert_true(bytes > 0 && bytes < 3 * 1024 * 1024); /* compressed */
    assert_true(wp_backup_compare(&f->spec, f->archive, &err));
    write_file(f->a, 5000, 9); /* the database changes after the backup */
    unlink(f->b);              /* and one is lost */
    assert_false(wp_backup_compare(&f->spec, f->archive, &err));
    assert_true(wp_backup_restore(&f->spec, f->archive, NULL, &err));
    assert_unchanged(f, "orig");
    assert_true(wp_backup_compare(&f->spec, f->archive, &err));
    char dbdir[160];
    snprintf(dbdir, sizeof dbdir, "%s/db", f->dir);
    assert_int_equal(count_entries(dbdir), 4); /* 2 dbs + 2 .orig copies: no temp files */
}

static void test_verify_info(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    assert_true(wp_backup_create(&f->spec, f->archive, NULL, NULL, &err));
    json_t *info = NULL;
    assert_true(wp_backup_verify(f->archive, NULL, &info, &err));
    assert_string_equal(json_string_value(json_object_get(info, "app")), "recordstore");
    assert_string_equal(json_string_value(json_object_get(info, "format")), WP_BACKUP_FORMAT);
    json_t *files = json_object_get(info, "files");
    assert_int_equal(json_array_size(files), 2);
    char hex[65];
    assert_true(wp_sha256_file(f->a, hex, &err));
    assert_string_equal(json_string_value(json_object_get(json_array_get(files, 0), "sha256")),
                        hex);
    json_decref(info);
    /* and the ordinary tools agree */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir x && cd x && tar --zstd -xf ../backup.tar.zst && "
             "sha256sum --quiet -c MANIFEST.sha256",
             f->dir);
    assert_int_equal(system(cmd), 0);
}

static void test_never_replaces(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    write_file(f->archive, 10, 3);
    assert_false(wp_backup_create(&f->spec, f->archive, NULL, NULL, &err));
    assert_int_equal(err.code, WP_E_EXISTS);
    assert_int_equal(count_entries(f->dir), 2); /* db/ and the old file only */
}

static void test_missing_database(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    unlink(f->b);
    assert_false(wp_backup_create(&f->spec, f->archive, NULL, NULL, &err));
    assert_int_equal(err.code, WP_E_NOTFOUND);
    assert_int_equal(access(f->archive, F_OK), -1);
}

/* Make a backup, change the databases, then damage the archive with
 * mutate; restore must be refused with code and leave everything as it
 * was. */
static void refused_restore(fixture *f, void (*mutate)(fixture *), const wp_backup_spec *spec,
                            wp_code code, const char *what_has)
{
    wp_err err = {0};
    assert_true(wp_backup_create(&f->spec, f->archive, NULL, NULL, &err));
    write_file(f->a, 4096, 7);
    snapshot(f, "now");
    if (mutate)
        mutate(f);
    assert_false(wp_backup_restore(spec ? spec : &f->spec, f->archive, NULL, &err));
    if (err.code != code || !strstr(err.what, what_has))
        fail_msg("got code %d '%s' (%s), expected %d '%s'", err.code, err.what, err.why, code,
                 what_has);
    assert_true(err.why[0] && err.todo[0]);
    assert_unchanged(f, "now");
    char dbdir[160];
    snprintf(dbdir, sizeof dbdir, "%s/db", f->dir);
    assert_int_equal(count_entries(dbdir), 4); /* no temporary file left */
}

static void flip_middle(fixture *f)
{
    int fd = open(f->archive, O_RDWR);
    struct stat st;
    fstat(fd, &st);
    unsigned char c;
    off_t at = st.st_size / 2;
    assert_int_equal(pread(fd, &c, 1, at), 1);
    c ^= 0x5a;
    assert_int_equal(pwrite(fd, &c, 1, at), 1);
    close(fd);
}

static void truncate_half(fixture *f)
{
    struct stat st;
    stat(f->archive, &st);
    assert_int_equal(truncate(f->archive, st.st_size / 2), 0);
}

static void truncate_tail(fixture *f)
{
    struct stat st;
    stat(f->archive, &st);
    assert_int_equal(truncate(f->archive, st.st_size - 40), 0);
}

static void replace_with_text(fixture *f)
{
    unlink(f->archive);
    write_file(f->archive, 5000, 4);
}

/* A real tar.zst, but not ours. */
static void replace_with_foreign_tar(fixture *f)
{
    char cmd[1024];
    unlink(f->archive);
    snprintf(cmd, sizeof cmd, "cd '%s' && tar --zstd -cf backup.tar.zst db/index.db", f->dir);
    assert_int_equal(system(cmd), 0);
}

/* Rebuild the archive with one database's bytes changed but the original
 * MANIFEST.sha256 and info kept: only the checksum can tell. */
static void tamper_content(fixture *f)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir t && cd t && tar --zstd -xf ../backup.tar.zst && "
             "printf Z | dd of=databases/index bs=1 seek=10 conv=notrunc status=none && "
             "rm ../backup.tar.zst && "
             "tar --zstd --format=pax -cf ../backup.tar.zst wolfpack-backup.json databases/records "
             "databases/index "
             "MANIFEST.sha256",
             f->dir);
    assert_int_equal(system(cmd), 0);
}

static void test_damaged_refused(void **state)
{
    refused_restore(*state, flip_middle, NULL, WP_E_CORRUPT, "damaged");
}

static void test_truncated_refused(void **state)
{
    refused_restore(*state, truncate_half, NULL, WP_E_CORRUPT, "");
}

static void test_truncated_tail_refused(void **state)
{
    refused_restore(*state, truncate_tail, NULL, WP_E_CORRUPT, "");
}

static void test_foreign_refused(void **state)
{
    refused_restore(*state, replace_with_text, NULL, WP_E_CORRUPT, "not a wolfpack backup");
}

static void test_foreign_tar_refused(void **state)
{
    refused_restore(*state, replace_with_foreign_tar, NULL, WP_E_CORRUPT, "not a wolfpack backup");
}

static void test_tampered_refused(void **state)
{
    refused_restore(*state, tamper_content, NULL, WP_E_CORRUPT, "damaged");
}

static void test_other_app_refused(void **state)
{
    fixture *f = *state;
    wp_backup_spec other = f->spec;
    other.app = "mailstore";
    refused_restore(f, NULL, &other, WP_E_CONFLICT, "not of 'mailstore'");
}

static void test_other_version_refused(void **state)
{
    fixture *f = *state;
    wp_backup_spec other = f->spec;
    other.version = "1.1";
    refused_restore(f, NULL, &other, WP_E_CONFLICT, "1.1 is installed");
}

static void test_other_databases_refused(void **state)
{
    fixture *f = *state;
    wp_backup_spec other = f->spec;
    other.ndbs = 1;
    refused_restore(f, NULL, &other, WP_E_CONFLICT, "does not hold the databases");
}

/* ---- full disks --------------------------------------------------------------- */

/* Mount a tmpfs of size at dir; false (test skipped) when not possible. */
static bool small_fs(const char *dir, const char *size)
{
    char opts[64];
    snprintf(opts, sizeof opts, "size=%s,mode=0755", size);
    mkdir(dir, 0755);
    return geteuid() == 0 && mount("tmpfs", dir, "tmpfs", 0, opts) == 0;
}

static void test_full_disk_backup(void **state)
{
    fixture *f = *state;
    char mnt[160], to[200];
    snprintf(mnt, sizeof mnt, "%s/small", f->dir);
    if (!small_fs(mnt, "512k"))
        skip();
    snprintf(to, sizeof to, "%s/backup.tar.zst", mnt);
    wp_err err = {0};
    bool ok = wp_backup_create(&f->spec, to, NULL, NULL, &err);
    int left = count_entries(mnt);
    umount(mnt);
    assert_false(ok);
    assert_int_equal(err.code, WP_E_IO);
    assert_non_null(strstr(err.why, "No space left"));
    assert_non_null(strstr(err.todo, "free space"));
    assert_int_equal(left, 0); /* no partial archive, no temporary file */
}

static void test_full_disk_restore(void **state)
{
    fixture *f = *state;
    char mnt[160], small_db[200];
    wp_err err = {0};
    /* a backup of a 3 MB database */
    assert_true(wp_backup_create(&f->spec, f->archive, NULL, NULL, &err));
    snprintf(mnt, sizeof mnt, "%s/small", f->dir);
    if (!small_fs(mnt, "2m"))
        skip();
    /* the install's database lives on a 2 MB file system, 1 MB used */
    snprintf(small_db, sizeof small_db, "%s/records.db", mnt);
    write_file(small_db, 1024 * 1024, 5);
    char before[200];
    snprintf(before, sizeof before, "%s/records.before", f->dir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", small_db, before);
    assert_int_equal(system(cmd), 0);
    wp_backup_db dbs[2] = {{.name = "records", .path = small_db}, {.name = "index", .path = f->b}};
    wp_backup_spec spec = {"recordstore", "1.0", dbs, 2};
    bool ok = wp_backup_restore(&spec, f->archive, NULL, &err);
    bool same = same_file(small_db, before);
    int left = count_entries(mnt);
    umount(mnt);
    assert_false(ok);
    assert_int_equal(err.code, WP_E_IO);
    /* refused by the free-space check before anything was written */
    if (!strstr(err.what, "not enough free space") || !strstr(err.todo, "free space"))
        fail_msg("got '%s' (%s; %s)", err.what, err.why, err.todo);
    assert_true(same);         /* the database is as it was */
    assert_int_equal(left, 1); /* and no temporary file is left */
}

/* A database of kind directory: a tree (subdirectories, an empty one, a
 * symlink) goes into one entry; a restore brings back every file, mode and
 * mtime after the tree was changed and a file lost, compare holds again, and
 * no .wp-restore / .wp-old tree is left beside it. */
static void test_directory_database(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    char tree[160], cmd[2048], p[256];
    snprintf(tree, sizeof tree, "%s/db/store", f->dir);
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s/alice/new' '%s/alice/cur' '%s/empty' && chmod 0700 '%s/alice' && "
             "ln -s alice '%s/link' && touch -d @1000000000 '%s/empty'",
             tree, tree, tree, tree, tree, tree);
    assert_int_equal(system(cmd), 0);
    snprintf(p, sizeof p, "%s/alice/new/1.msg", tree);
    write_file(p, 70000, 3);
    snprintf(p, sizeof p, "%s/alice/cur/2.msg", tree);
    write_file(p, 10, 4);
    f->dbs[1] = (wp_backup_db){.name = "store", .path = tree, .kind = WP_BACKUP_KIND_DIRECTORY};
    assert_true(wp_backup_create(&f->spec, f->archive, NULL, NULL, &err));
    json_t *info = NULL;
    if (!wp_backup_verify(f->archive, &f->spec, &info, &err))
        fail_msg("%s (%s)", err.what, err.why);
    json_t *file = json_array_get(json_object_get(info, "files"), 1);
    assert_string_equal(json_string_value(json_object_get(file, "kind")), "directory");
    json_decref(info);
    snprintf(cmd, sizeof cmd, "cp -a '%s' '%s.orig'", tree, tree);
    assert_int_equal(system(cmd), 0);
    assert_true(wp_backup_compare(&f->spec, f->archive, &err));
    snprintf(p, sizeof p, "%s/alice/new/1.msg", tree);
    unlink(p); /* a message lost, another one added */
    snprintf(p, sizeof p, "%s/alice/new/3.msg", tree);
    write_file(p, 5, 5);
    assert_false(wp_backup_compare(&f->spec, f->archive, &err));
    assert_true(wp_backup_restore(&f->spec, f->archive, NULL, &err));
    snprintf(cmd, sizeof cmd, "diff -r --no-dereference '%s' '%s.orig' >/dev/null", tree, tree);
    assert_int_equal(system(cmd), 0);
    struct stat st;
    snprintf(p, sizeof p, "%s/alice", tree);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    snprintf(p, sizeof p, "%s/empty", tree);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal((long)st.st_mtime, 1000000000L);
    assert_true(wp_backup_compare(&f->spec, f->archive, &err));
    char dbdir[160];
    snprintf(dbdir, sizeof dbdir, "%s/db", f->dir);
    assert_int_equal(count_entries(dbdir), 4); /* records.db, index.db, store, store.orig */
}

/* migrate's case: a tree restored to a new place (another disk) whose top
 * gets the install's mode and owner, not the source's, still compares
 * equal to its backup: the top's mode and owner are not data. */
static void test_tree_restored_elsewhere_compares(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    char tree[160], other[160], cmd[1024];
    snprintf(tree, sizeof tree, "%s/db/store", f->dir);
    snprintf(other, sizeof other, "%s/disk/store", f->dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/a' && echo x > '%s/a/f' && chmod 0700 '%s'", tree, tree,
             tree);
    assert_int_equal(system(cmd), 0);
    if (geteuid() == 0)
        assert_int_equal(chown(tree, 8, 8), 0);
    f->dbs[1] = (wp_backup_db){.name = "store", .path = tree, .kind = WP_BACKUP_KIND_DIRECTORY};
    assert_true(wp_backup_create(&f->spec, f->archive, NULL, NULL, &err));
    f->dbs[1].path = other;
    if (!wp_backup_restore(&f->spec, f->archive, NULL, &err) ||
        !wp_backup_compare(&f->spec, f->archive, &err))
        fail_msg("%s (%s)", err.what, err.why);
    struct stat st;
    assert_int_equal(stat(other, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755); /* a new database: the install's default */
    assert_int_equal(st.st_uid, geteuid());
}

/* A tree a restore would refuse (a world-writable file) is not backed up:
 * the backup says so at once, not the restore later. */
static void test_backup_refuses_unrestorable_tree(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    char tree[160], cmd[1024];
    snprintf(tree, sizeof tree, "%s/db/store", f->dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/a' && echo x > '%s/a/f' && chmod 0666 '%s/a/f'", tree,
             tree, tree);
    assert_int_equal(system(cmd), 0);
    f->dbs[1] = (wp_backup_db){.name = "store", .path = tree, .kind = WP_BACKUP_KIND_DIRECTORY};
    assert_false(wp_backup_create(&f->spec, f->archive, NULL, NULL, &err));
    if (!strstr(err.what, "writable by every user") || !strstr(err.todo, "back up again"))
        fail_msg("got '%s' (%s; %s)", err.what, err.why, err.todo);
    assert_int_equal(access(f->archive, F_OK), -1);
    snprintf(cmd, sizeof cmd, "%s/a/f", tree);
    assert_int_equal(chmod(cmd, 0644), 0); /* fixed: backed up */
    assert_true(wp_backup_create(&f->spec, f->archive, NULL, NULL, &err));
}

/* ---- hostile archives ---------------------------------------------------------------
 *
 * Each archive below is built by hand with libarchive, with a correct
 * wolfpack-backup.json and MANIFEST.sha256 (so the old `app verify`
 * passed them; test_hostile_control shows the builder's archives are
 * restorable), and one thing a restore must never do.  Each must be
 * refused with what/why/to-do before anything is written: the install
 * root (the databases, their modes and owners, the "outside" file, the
 * directory listing) is byte for byte as it was. */

typedef struct tent {
    const char *name;
    unsigned type; /* AE_IF* */
    unsigned perm;
    const char *data;     /* or NULL */
    const char *symlink;  /* or NULL */
    const char *hardlink; /* or NULL */
    long uid, gid;
    dev_t rdev;
} tent;

#define TOP                                                                                        \
    {                                                                                              \
        "./", AE_IFDIR, 0750, NULL, NULL, NULL, 0, 0, 0                                            \
    }

/* An inner tar (a directory database's entry) of entries t. */
static char *tree_tar(const tent *t, size_t n, size_t *len)
{
    size_t cap = 1 << 20, used = 0;
    char *buf = calloc(1, cap);
    struct archive *a = archive_write_new();
    assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
    assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, t[i].name);
        archive_entry_set_filetype(e, t[i].type);
        archive_entry_set_perm(e, t[i].perm);
        archive_entry_set_uid(e, t[i].uid);
        archive_entry_set_gid(e, t[i].gid);
        archive_entry_set_mtime(e, 1000000000, 0);
        archive_entry_set_size(e, t[i].data ? (la_int64_t)strlen(t[i].data) : 0);
        if (t[i].symlink)
            archive_entry_set_symlink(e, t[i].symlink);
        if (t[i].hardlink)
            archive_entry_set_hardlink(e, t[i].hardlink);
        if (t[i].rdev)
            archive_entry_set_rdev(e, t[i].rdev);
        assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
        if (t[i].data)
            archive_write_data(a, t[i].data, strlen(t[i].data));
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    *len = used;
    return buf;
}

typedef struct odb {
    const char *name;
    const char *kind; /* "file" or "directory" */
    const char *data;
    size_t len;
} odb;

static void sha_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[32];
    EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void outer_entry(struct archive *a, const char *name, const void *data, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    if (len)
        assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
    archive_entry_free(e);
}

/* A backup of recordstore 1.0 holding dbs, with a correct
 * wolfpack-backup.json and MANIFEST.sha256. */
static void make_archive(const char *path, const odb *dbs, size_t n)
{
    json_t *files = json_array();
    for (size_t i = 0; i < n; i++) {
        char entry[128];
        snprintf(entry, sizeof entry, "databases/%s", dbs[i].name);
        json_array_append_new(files, json_pack("{s:s, s:s, s:I, s:s}", "path", entry, "database",
                                               dbs[i].name, "size", (json_int_t)dbs[i].len, "kind",
                                               dbs[i].kind));
    }
    json_t *info =
        json_pack("{s:s, s:s, s:s, s:s, s:o}", "format", "wolfpack-backup/1", "app", "recordstore",
                  "version", "1.0", "created", "2026-01-01T00:00:00Z", "files", files);
    char *text = json_dumps(info, JSON_INDENT(2));
    json_decref(info);
    char manifest[4096], hex[65];
    sha_hex(text, strlen(text), hex);
    int m = snprintf(manifest, sizeof manifest, "%s  wolfpack-backup.json\n", hex);
    for (size_t i = 0; i < n; i++) {
        sha_hex(dbs[i].data, dbs[i].len, hex);
        m += snprintf(manifest + m, sizeof manifest - (size_t)m, "%s  databases/%s\n", hex,
                      dbs[i].name);
    }
    unlink(path);
    struct archive *a = archive_write_new();
    assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
    assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    outer_entry(a, "wolfpack-backup.json", text, strlen(text));
    for (size_t i = 0; i < n; i++) {
        char entry[128];
        snprintf(entry, sizeof entry, "databases/%s", dbs[i].name);
        /* a name given twice in the info is stored once */
        bool dup = false;
        for (size_t j = 0; j < i; j++)
            dup |= strcmp(dbs[j].name, dbs[i].name) == 0;
        if (!dup)
            outer_entry(a, entry, dbs[i].data, dbs[i].len);
    }
    outer_entry(a, "MANIFEST.sha256", manifest, strlen(manifest));
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    free(text);
}

/* Every path below dir with its type, mode, owner, link count, size,
 * symlink target and content hash: what "nothing changed" compares. */
static char *state_of(const char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && find . -printf '%%p %%y %%m %%U:%%G %%n %%s %%l\\n' | sort && "
             "find . -type f -print0 | sort -z | xargs -0 -r md5sum",
             dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 4096)
            out = realloc(out, cap *= 2);
    }
    out[len] = '\0';
    pclose(p);
    return out;
}

typedef struct hfix {
    char dir[64];
    char records[128], store[128], outside[128], archive[128];
    char cwd[1024];
    wp_backup_db dbs[2];
    wp_backup_spec spec;
} hfix;

/* The install: records.db (kind file) and store/ (kind directory) below
 * db/, and a file "outside" them standing for /etc/passwd.  The working
 * directory is the test's directory, so a relative hard link target
 * "outside/passwd" would reach it. */
static int hsetup(void **state)
{
    hfix *h = calloc(1, sizeof *h);
    snprintf(h->dir, sizeof h->dir, "/tmp/wptest-hostile.XXXXXX");
    assert_non_null(mkdtemp(h->dir));
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir -p db/store/sub outside && printf old > db/records.db && "
             "printf keep > db/store/sub/keep && chmod 0640 db/records.db && "
             "chmod 0750 db/store && printf 'root:x:0:0::/root:/bin/sh\\n' > outside/passwd && "
             "chmod 0644 outside/passwd",
             h->dir);
    assert_int_equal(system(cmd), 0);
    snprintf(h->records, sizeof h->records, "%s/db/records.db", h->dir);
    snprintf(h->store, sizeof h->store, "%s/db/store", h->dir);
    snprintf(h->outside, sizeof h->outside, "%s/outside/passwd", h->dir);
    snprintf(h->archive, sizeof h->archive, "%s/hostile.tar.zst", h->dir);
    h->dbs[0] = (wp_backup_db){.name = "records", .path = h->records, .kind = WP_BACKUP_KIND_FILE};
    h->dbs[1] = (wp_backup_db){.name = "store", .path = h->store, .kind = WP_BACKUP_KIND_DIRECTORY};
    h->spec = (wp_backup_spec){"recordstore", "1.0", h->dbs, 2};
    assert_non_null(getcwd(h->cwd, sizeof h->cwd));
    assert_int_equal(chdir(h->dir), 0);
    *state = h;
    return 0;
}

static int hteardown(void **state)
{
    hfix *h = *state;
    char cmd[1024];
    if (chdir(h->cwd) != 0)
        fprintf(stderr, "could not go back to %s\n", h->cwd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", h->dir);
    free(h);
    return 0;
}

/* Restore an archive of records ("new") and a store tree of entries t;
 * it must be refused, naming what_has, and change nothing. */
static void refuse_archive(hfix *h, const odb *dbs, size_t n, const char *what_has)
{
    make_archive(h->archive, dbs, n);
    char *before = state_of(h->dir);
    wp_err err = {0};
    bool ok = wp_backup_restore(&h->spec, h->archive, NULL, &err);
    char *after = state_of(h->dir);
    if (ok)
        fail_msg("a hostile archive was restored (expected a refusal naming '%s')", what_has);
    if (!strstr(err.what, what_has) || !err.why[0] || !strstr(err.todo, "nothing was changed"))
        fail_msg("refused with '%s' (%s; %s), expected '%s'", err.what, err.why, err.todo,
                 what_has);
    if (strcmp(before, after) != 0)
        fail_msg("the refused restore changed files:\n--- before\n%s--- after\n%s", before, after);
    free(before);
    free(after);
}

static void refuse_tree(hfix *h, const tent *t, size_t n, const char *what_has)
{
    size_t len;
    char *tar = tree_tar(t, n, &len);
    odb dbs[2] = {{"records", "file", "new", 3}, {"store", "directory", tar, len}};
    refuse_archive(h, dbs, 2, what_has);
    free(tar);
}

#define REFUSE_TREE(h, what, ...)                                                                  \
    do {                                                                                           \
        const tent t_[] = {TOP, __VA_ARGS__};                                                      \
        refuse_tree(h, t_, sizeof t_ / sizeof t_[0], what);                                        \
    } while (0)

/* The builder's archives are good ones: a plain tree restores. */
static void test_hostile_control(void **state)
{
    hfix *h = *state;
    /* the top's mode and owner are the install's whatever the archive says */
    const tent t[] = {{"./", AE_IFDIR, 0777, NULL, NULL, NULL, 4242, 4242, 0},
                      {"./sub/", AE_IFDIR, 0700, NULL, NULL, NULL, 0, 0, 0},
                      {"./sub/msg", AE_IFREG, 0600, "hello", NULL, NULL, 0, 0, 0},
                      {"./link", AE_IFLNK, 0777, NULL, "sub/msg", NULL, 0, 0, 0}};
    size_t len;
    char *tar = tree_tar(t, 4, &len);
    odb dbs[2] = {{"records", "file", "new", 3}, {"store", "directory", tar, len}};
    make_archive(h->archive, dbs, 2);
    wp_err err = {0};
    if (!wp_backup_verify(h->archive, &h->spec, NULL, &err) ||
        !wp_backup_restore(&h->spec, h->archive, NULL, &err))
        fail_msg("%s (%s)", err.what, err.why);
    size_t n;
    char *text = read_all(h->records, &n);
    assert_true(n == 3 && memcmp(text, "new", 3) == 0);
    free(text);
    char p[256];
    snprintf(p, sizeof p, "%s/sub/msg", h->store);
    text = read_all(p, &n);
    assert_true(text && n == 5 && memcmp(text, "hello", 5) == 0);
    free(text);
    struct stat st;
    assert_int_equal(stat(h->store, &st), 0); /* the top keeps the install's mode */
    assert_int_equal(st.st_mode & 07777, 0750);
    assert_int_equal(st.st_uid, geteuid());
    free(tar);
}

static void test_hostile_hardlink_absolute(void **state)
{
    hfix *h = *state;
    REFUSE_TREE(h, "hard link",
                {"./pw", AE_IFREG, 0644, "pwned::0:0\n", NULL, h->outside, 0, 0, 0});
}

static void test_hostile_hardlink_relative(void **state)
{
    REFUSE_TREE((hfix *)*state, "hard link",
                {"./pw", AE_IFREG, 0644, "pwned::0:0\n", NULL, "outside/passwd", 0, 0, 0});
}

/* Even to an entry of the same tree: a restore makes no hard links. */
static void test_hostile_hardlink_inside(void **state)
{
    REFUSE_TREE((hfix *)*state, "hard link", {"./a", AE_IFREG, 0644, "x", NULL, NULL, 0, 0, 0},
                {"./b", AE_IFREG, 0644, NULL, NULL, "./a", 0, 0, 0});
}

static void test_hostile_setuid(void **state)
{
    REFUSE_TREE((hfix *)*state, "setuid", {"./sh", AE_IFREG, 04755, "#!", NULL, NULL, 0, 0, 0});
}

static void test_hostile_setgid_dir(void **state)
{
    REFUSE_TREE((hfix *)*state, "setuid, setgid or sticky",
                {"./d/", AE_IFDIR, 02775, NULL, NULL, NULL, 0, 0, 0});
}

static void test_hostile_sticky(void **state)
{
    REFUSE_TREE((hfix *)*state, "sticky", {"./t/", AE_IFDIR, 01755, NULL, NULL, NULL, 0, 0, 0});
}

static void test_hostile_device(void **state)
{
    REFUSE_TREE((hfix *)*state, "device node",
                {"./mem", AE_IFCHR, 0666 & ~0002, NULL, NULL, NULL, 0, 0, makedev(1, 1)});
}

static void test_hostile_block_device(void **state)
{
    REFUSE_TREE((hfix *)*state, "device node",
                {"./sda", AE_IFBLK, 0660, NULL, NULL, NULL, 0, 0, makedev(8, 0)});
}

static void test_hostile_fifo(void **state)
{
    REFUSE_TREE((hfix *)*state, "FIFO", {"./fifo", AE_IFIFO, 0644, NULL, NULL, NULL, 0, 0, 0});
}

static void test_hostile_world_writable(void **state)
{
    REFUSE_TREE((hfix *)*state, "writable by every user",
                {"./drop/", AE_IFDIR, 0777, NULL, NULL, NULL, 0, 0, 0});
}

static void test_hostile_world_writable_file(void **state)
{
    REFUSE_TREE((hfix *)*state, "writable by every user",
                {"./f", AE_IFREG, 0666, "x", NULL, NULL, 0, 0, 0});
}

static void test_hostile_foreign_owner(void **state)
{
    REFUSE_TREE((hfix *)*state, "owned by a user the kit does not name",
                {"./f", AE_IFREG, 0644, "x", NULL, NULL, 4242, 4242, 0});
}

static void test_hostile_foreign_group(void **state)
{
    REFUSE_TREE((hfix *)*state, "owned by a user the kit does not name",
                {"./f", AE_IFREG, 0640, "x", NULL, NULL, 0, 4243, 0});
}

/* The same owner is fine once the kit names it (databases[].owners). */
static void test_owner_the_kit_names(void **state)
{
    hfix *h = *state;
    struct passwd *pw = getpwnam("mail");
    if (!pw)
        skip();
    const tent t[] = {TOP, {"./m", AE_IFREG, 0600, "x", NULL, NULL, pw->pw_uid, pw->pw_gid, 0}};
    refuse_tree(h, t, 2, "owned by a user the kit does not name");
    json_t *owners = json_pack("[s]", "mail");
    h->dbs[1].owners = owners;
    size_t len;
    char *tar = tree_tar(t, 2, &len);
    odb dbs[2] = {{"records", "file", "new", 3}, {"store", "directory", tar, len}};
    make_archive(h->archive, dbs, 2);
    wp_err err = {0};
    if (!wp_backup_restore(&h->spec, h->archive, NULL, &err))
        fail_msg("%s (%s)", err.what, err.why);
    char p[256];
    struct stat st;
    snprintf(p, sizeof p, "%s/m", h->store);
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_uid, geteuid() == 0 ? pw->pw_uid : geteuid());
    free(tar);
    json_decref(owners);
}

static void test_hostile_symlink_absolute(void **state)
{
    hfix *h = *state;
    REFUSE_TREE(h, "symlink that points out",
                {"./etc", AE_IFLNK, 0777, NULL, "/etc", NULL, 0, 0, 0});
}

static void test_hostile_symlink_up(void **state)
{
    REFUSE_TREE((hfix *)*state, "symlink that points out",
                {"./pw", AE_IFLNK, 0777, NULL, "../../outside/passwd", NULL, 0, 0, 0});
}

/* A symlink to a directory of the tree, then an entry written through it. */
static void test_hostile_through_symlink(void **state)
{
    REFUSE_TREE((hfix *)*state, "parent is not a directory",
                {"./sub/", AE_IFDIR, 0755, NULL, NULL, NULL, 0, 0, 0},
                {"./l", AE_IFLNK, 0777, NULL, "sub", NULL, 0, 0, 0},
                {"./l/f", AE_IFREG, 0644, "x", NULL, NULL, 0, 0, 0});
}

static void test_hostile_dotdot_name(void **state)
{
    REFUSE_TREE((hfix *)*state, "leaves it",
                {"./../../outside/passwd", AE_IFREG, 0644, "pwned", NULL, NULL, 0, 0, 0});
}

static void test_hostile_absolute_name(void **state)
{
    hfix *h = *state;
    REFUSE_TREE(h, "absolute", {h->outside, AE_IFREG, 0644, "pwned", NULL, NULL, 0, 0, 0});
}

static void test_hostile_name_twice(void **state)
{
    REFUSE_TREE((hfix *)*state, "twice", {"./f", AE_IFREG, 0644, "x", NULL, NULL, 0, 0, 0},
                {"./f", AE_IFREG, 0644, "y", NULL, NULL, 0, 0, 0});
}

/* The kit says records is a file: an archive holding it as a tree is
 * refused (and the other way round). */
static void test_hostile_kind_file_as_directory(void **state)
{
    hfix *h = *state;
    const tent t[] = {TOP, {"./x", AE_IFREG, 0644, "x", NULL, NULL, 0, 0, 0}};
    size_t len;
    char *tar = tree_tar(t, 2, &len);
    odb dbs[2] = {{"records", "directory", tar, len}, {"store", "directory", tar, len}};
    refuse_archive(h, dbs, 2, "as a directory, but recordstore has it as a file");
    free(tar);
}

static void test_hostile_kind_directory_as_file(void **state)
{
    odb dbs[2] = {{"records", "file", "new", 3}, {"store", "file", "flat", 4}};
    refuse_archive(*state, dbs, 2, "as a file, but recordstore has it as a directory");
}

static void test_hostile_database_twice(void **state)
{
    const tent t[] = {TOP};
    size_t len;
    char *tar = tree_tar(t, 1, &len);
    odb dbs[3] = {{"records", "file", "new", 3},
                  {"store", "directory", tar, len},
                  {"records", "file", "new", 3}};
    refuse_archive(*state, dbs, 3, "damaged");
    free(tar);
}

/* A damaged inner tar (the checksum is right: it was made so). */
static void test_hostile_tree_not_tar(void **state)
{
    odb dbs[2] = {{"records", "file", "new", 3}, {"store", "directory", "garbage!", 8}};
    refuse_archive(*state, dbs, 2, "damaged");
}

/* MANIFEST.sha256 naming one file twice and another not at all. */
static void test_manifest_names_file_twice(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    assert_true(wp_backup_create(&f->spec, f->archive, NULL, NULL, &err));
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir m && cd m && tar --zstd -xf ../backup.tar.zst && "
             "printf Z | dd of=databases/index bs=1 seek=10 conv=notrunc status=none && "
             "grep -v ' databases/index$' MANIFEST.sha256 > M && "
             "grep ' databases/records$' MANIFEST.sha256 >> M && mv M MANIFEST.sha256 && "
             "rm ../backup.tar.zst && tar --zstd --format=pax -cf ../backup.tar.zst "
             "wolfpack-backup.json databases/records databases/index MANIFEST.sha256",
             f->dir);
    assert_int_equal(system(cmd), 0);
    assert_false(wp_backup_verify(f->archive, NULL, NULL, &err));
    if (!strstr(err.why, "twice"))
        fail_msg("got '%s' (%s)", err.what, err.why);
}

/* A backup or a restore killed half-way: the next one finds nothing of
 * it, or cleans it up. */
static void progress_kill(const char *stage, uint64_t done, uint64_t total, void *user)
{
    (void)done;
    (void)total;
    if (strcmp(stage, (const char *)user) == 0)
        raise(SIGKILL);
}

static void killed_run(fixture *f, const char *stage, bool restore)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        wp_err err = {0};
        wp_backup_opts o = {.progress = progress_kill, .user = (void *)stage, .threads = 1};
        if (restore)
            wp_backup_restore(&f->spec, f->archive, &o, &err);
        else
            wp_backup_create(&f->spec, f->archive, &o, NULL, &err);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_killed_backup_leaves_nothing(void **state)
{
    fixture *f = *state;
    int before = count_entries(f->dir);
    killed_run(f, "backup", false);
    assert_int_equal(count_entries(f->dir), before); /* no partial archive */
    wp_err err = {0};
    assert_true(wp_backup_create(&f->spec, f->archive, NULL, NULL, &err));
    assert_int_equal(count_entries(f->dir), before + 1);
}

static void test_killed_restore_cleaned_up(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    assert_true(wp_backup_create(&f->spec, f->archive, NULL, NULL, &err));
    char dbdir[160];
    snprintf(dbdir, sizeof dbdir, "%s/db", f->dir);
    killed_run(f, "restore", true);
    assert_true(count_entries(dbdir) > 2); /* it left its temporary file */
    if (!wp_backup_restore(&f->spec, f->archive, NULL, &err))
        fail_msg("%s (%s)", err.what, err.why);
    assert_int_equal(count_entries(dbdir), 2); /* the next restore cleaned up */
    assert_true(wp_backup_compare(&f->spec, f->archive, &err));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_round_trip),
        T(test_verify_info),
        T(test_never_replaces),
        T(test_missing_database),
        T(test_damaged_refused),
        T(test_truncated_refused),
        T(test_truncated_tail_refused),
        T(test_foreign_refused),
        T(test_foreign_tar_refused),
        T(test_tampered_refused),
        T(test_other_app_refused),
        T(test_other_version_refused),
        T(test_other_databases_refused),
        T(test_full_disk_backup),
        T(test_full_disk_restore),
        T(test_directory_database),
        T(test_manifest_names_file_twice),
        T(test_backup_refuses_unrestorable_tree),
        T(test_tree_restored_elsewhere_compares),
        T(test_killed_backup_leaves_nothing),
        T(test_killed_restore_cleaned_up),
#define H(fn) cmocka_unit_test_setup_teardown(fn, hsetup, hteardown)
        H(test_hostile_control),
        H(test_hostile_hardlink_absolute),
        H(test_hostile_hardlink_relative),
        H(test_hostile_hardlink_inside),
        H(test_hostile_setuid),
        H(test_hostile_setgid_dir),
        H(test_hostile_sticky),
        H(test_hostile_device),
        H(test_hostile_block_device),
        H(test_hostile_fifo),
        H(test_hostile_world_writable),
        H(test_hostile_world_writable_file),
        H(test_hostile_foreign_owner),
        H(test_hostile_foreign_group),
        H(test_owner_the_kit_names),
        H(test_hostile_symlink_absolute),
        H(test_hostile_symlink_up),
        H(test_hostile_through_symlink),
        H(test_hostile_dotdot_name),
        H(test_hostile_absolute_name),
        H(test_hostile_name_twice),
        H(test_hostile_kind_file_as_directory),
        H(test_hostile_kind_directory_as_file),
        H(test_hostile_database_twice),
        H(test_hostile_tree_not_tar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
