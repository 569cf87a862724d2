/*
 * fuzz_backup.c -- libFuzzer target for the restore checker: what
 * `wolfpack app verify` and `app restore` do with a backup archive they did
 * not make (src/app/backup.c, backup_check.c, backup_dir.c).
 *
 * An input that starts like a backup (zstd magic, or a tar whose first
 * entry is wolfpack-backup.json) is verified as a whole archive.  Any
 * other input is the inner tar of a directory database, wrapped into an
 * otherwise correct backup (right wolfpack-backup.json, right
 * MANIFEST.sha256), so the bytes reach the tree checker.  Then:
 *   - a refusal has a code, a what, a why and a to-do;
 *   - an accepted inner tar holds only what the restore rules allow
 *     (checked again here by an independent reading: no hard links, only
 *     files, directories and inward symlinks, no special or world-writable
 *     modes, no absolute or ".." names);
 *   - an accepted archive is restored into a scratch root on /dev/shm: the
 *     restore writes nothing outside it and makes nothing the rules forbid.
 *
 * The seeds (tests/fuzz/corpus/backup) are made by tests/fuzz/backup_seeds.py.
 *
 *   make fuzz
 *   build-fuzz/fuzz_backup -max_total_time=120 tests/fuzz/corpus/backup
 */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/app/backup.h"
#include "../../src/app/backup_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUTER_MAX (4 * 1024 * 1024)

/* The scratch root (one per fuzzing process). */
static char root[4096];
static char sentinel[4200];
static char records[4200];
static char store[4200];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_root(void)
{
    nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_root(void)
{
    if (root[0])
        return;
    /* tools/run-fuzz names a scratch directory it removes afterwards
     * (libFuzzer may end without running atexit handlers). */
    const char *base = getenv("WPFUZZ_SCRATCH");
    snprintf(root, sizeof root, "%s/wpfuzz-backup.XXXXXX", base && base[0] ? base : "/dev/shm");
    if (!mkdtemp(root)) {
        snprintf(root, sizeof root, "/tmp/wpfuzz-backup.XXXXXX");
        if (!mkdtemp(root))
            abort();
    }
    snprintf(sentinel, sizeof sentinel, "%s/outside", root);
    snprintf(records, sizeof records, "%s/db/records.db", root);
    snprintf(store, sizeof store, "%s/db/store", root);
    char db[4200];
    snprintf(db, sizeof db, "%s/db", root);
    FILE *f = fopen(sentinel, "w");
    if (!f || fputs("root:x:0:0\n", f) < 0 || fclose(f) != 0 || mkdir(db, 0755) != 0)
        abort();
    atexit(remove_root);
}

static void sha_hex(const void *p, size_t len, char hex[65])
{
    unsigned char md[32];
    EVP_Digest(p, len, md, NULL, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void add_entry(struct archive *a, const char *name, const void *p, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    if (archive_write_header(a, e) != ARCHIVE_OK ||
        (len && archive_write_data(a, p, len) != (la_ssize_t)len))
        abort();
    archive_entry_free(e);
}

/* A correct backup of recordstore 1.0 whose directory database "store"
 * holds tree (uncompressed: libarchive reads it as it reads zstd). */
static size_t wrap(const uint8_t *tree, size_t len, char *out, size_t cap)
{
    char info[512], manifest[512], h_info[65], h_rec[65], h_store[65];
    snprintf(info, sizeof info,
             "{\"format\": \"wolfpack-backup/1\", \"app\": \"recordstore\", \"version\": \"1.0\", "
             "\"created\": \"2026-01-01T00:00:00Z\", \"files\": ["
             "{\"path\": \"databases/records\", \"database\": \"records\", \"size\": 3, "
             "\"kind\": \"file\"}, "
             "{\"path\": \"databases/store\", \"database\": \"store\", \"size\": %zu, "
             "\"kind\": \"directory\"}]}",
             len);
    sha_hex(info, strlen(info), h_info);
    sha_hex("new", 3, h_rec);
    sha_hex(tree, len, h_store);
    snprintf(manifest, sizeof manifest,
             "%s  wolfpack-backup.json\n%s  databases/records\n%s  databases/store\n", h_info,
             h_rec, h_store);
    size_t used = 0;
    struct archive *a = archive_write_new();
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_open_memory(a, out, cap, &used) != ARCHIVE_OK)
        abort();
    add_entry(a, "wolfpack-backup.json", info, strlen(info));
    add_entry(a, "databases/records", "new", 3);
    add_entry(a, "databases/store", tree, len);
    add_entry(a, "MANIFEST.sha256", manifest, strlen(manifest));
    if (archive_write_close(a) != ARCHIVE_OK)
        abort();
    archive_write_free(a);
    return used;
}

static bool name_inside(const char *name)
{
    if (!name || name[0] == '/')
        return false;
    for (const char *p = name; *p;) {
        if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
            return false;
        const char *slash = strchr(p, '/');
        p = slash ? slash + 1 : p + strlen(p);
    }
    return true;
}

/* The oracle: an accepted tree, read again independently. */
static void check_accepted_tree(const uint8_t *tree, size_t len)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    if (archive_read_open_memory(a, tree, len) != ARCHIVE_OK)
        abort();
    struct archive_entry *e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        unsigned type = archive_entry_filetype(e);
        if (archive_entry_hardlink(e) || !name_inside(archive_entry_pathname(e)))
            abort();
        if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
            abort();
        if (type != AE_IFLNK && (archive_entry_perm(e) & 07002))
            abort();
        if (type == AE_IFLNK &&
            (!archive_entry_symlink(e) || !name_inside(archive_entry_symlink(e))))
            abort();
    }
    archive_read_free(a);
}

static int check_restored(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)flag;
    (void)ftw;
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) || S_ISFIFO(st->st_mode) ||
        S_ISSOCK(st->st_mode))
        abort();
    if (!S_ISLNK(st->st_mode) && (st->st_mode & 07002))
        abort();
    if (S_ISREG(st->st_mode) && st->st_nlink != 1)
        abort();
    return 0;
}

static void check_restore(const char *from, const wp_backup_spec *spec)
{
    wp_err err = {0};
    if (!wp_backup_restore(spec, from, NULL, &err)) {
        if (err.code == WP_OK || !err.what[0])
            abort();
    } else if (nftw(root, check_restored, 16, FTW_PHYS) != 0) {
        abort();
    }
    struct stat st;
    if (lstat(sentinel, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_size != 11)
        abort(); /* nothing outside the databases changed */
    wp_backup_remove_tree(store);
    unlink(records);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_root();
    bool whole = (size >= 4 && memcmp(data, "\x28\xb5\x2f\xfd", 4) == 0) ||
                 (size >= 20 && memcmp(data, "wolfpack-backup.json", 20) == 0);
    char *outer = NULL;
    size_t len = size;
    if (!whole) {
        if (size > OUTER_MAX / 2)
            return 0;
        outer = malloc(OUTER_MAX);
        len = wrap(data, size, outer, OUTER_MAX);
    }
    int fd = memfd_create("backup", MFD_CLOEXEC);
    const void *bytes = outer ? (const void *)outer : (const void *)data;
    if (fd < 0 || write(fd, bytes, len) != (ssize_t)len)
        abort();
    char from[64];
    snprintf(from, sizeof from, "/proc/self/fd/%d", fd);
    json_t *owners = json_pack("[s]", "nobody");
    wp_backup_db dbs[2] = {
        {.name = "records", .path = records, .kind = WP_BACKUP_KIND_FILE},
        {.name = "store", .path = store, .kind = WP_BACKUP_KIND_DIRECTORY, .owners = owners}};
    wp_backup_spec spec = {"recordstore", "1.0", dbs, 2};
    wp_err err = {0};
    if (!wp_backup_verify(from, &spec, NULL, &err)) {
        if (err.code == WP_OK || !err.what[0] || !err.why[0] || !err.todo[0])
            abort(); /* a refusal says what, why and what to do */
    } else {
        if (!whole)
            check_accepted_tree(data, size);
        check_restore(from, &spec);
    }
    json_decref(owners);
    close(fd);
    free(outer);
    return 0;
}
