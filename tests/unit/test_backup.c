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
#include <sys/mount.h>
#include <sys/stat.h>
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
    f->dbs[0] = (wp_backup_db){"records", f->a};
    f->dbs[1] = (wp_backup_db){"index", f->b};
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
    wp_backup_db dbs[2] = {{"records", small_db}, {"index", f->b}};
    wp_backup_spec spec = {"recordstore", "1.0", dbs, 2};
    bool ok = wp_backup_restore(&spec, f->archive, NULL, &err);
    bool same = same_file(small_db, before);
    int left = count_entries(mnt);
    umount(mnt);
    assert_false(ok);
    assert_int_equal(err.code, WP_E_IO);
    assert_non_null(strstr(err.why, "No space left"));
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
    f->dbs[1] = (wp_backup_db){"store", tree};
    assert_true(wp_backup_create(&f->spec, f->archive, NULL, NULL, &err));
    json_t *info = NULL;
    assert_true(wp_backup_verify(f->archive, &f->spec, &info, &err));
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
