/*
 * recordstore-upgrade.c -- the one-time database upgrade step of the
 * recordstore service pack (1.0 -> 1.1): converts a format 1 database (one
 * record per line) into format 2 (a "RECORDSTORE 2" header, then
 * "id<TAB>length<TAB>text" per record).
 *
 *     recordstore-upgrade --db FILE
 *
 * Atomic: the new file is written beside the old one, fsync'ed and renamed
 * over it; the old file stays as FILE.bak.  A database already in format 2
 * is left alone (exit 0), so running the step twice is harmless -- a
 * rollout that was interrupted can run it again.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RS_HEADER "RECORDSTORE 2\n"

static int fail(const char *what, const char *path)
{
    fprintf(stderr, "recordstore-upgrade: %s %s: %s\n", what, path, strerror(errno));
    return 1;
}

static int fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    int rc = fd >= 0 ? fsync(fd) : -1;
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Write every line of in as a format 2 record to out; returns the count or
 * -1.  A last line without its newline (a torn write) is dropped. */
static long convert(FILE *in, FILE *out)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long id = 0;
    if (fputs(RS_HEADER, out) == EOF)
        return -1;
    while ((n = getline(&line, &cap, in)) > 0) {
        if (line[n - 1] != '\n')
            break;
        line[n - 1] = '\0';
        id++;
        if (fprintf(out, "%ld\t%zu\t%s\n", id, (size_t)(n - 1), line) < 0) {
            id = -1;
            break;
        }
    }
    free(line);
    return id;
}

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--db") != 0) {
        fprintf(stderr, "usage: recordstore-upgrade --db FILE\n");
        return 2;
    }
    const char *db = argv[2];
    FILE *in = fopen(db, "r");
    if (!in)
        return fail("cannot open", db);
    char head[sizeof RS_HEADER] = {0};
    size_t got = fread(head, 1, sizeof RS_HEADER - 1, in);
    if (got == strlen(RS_HEADER) && strcmp(head, RS_HEADER) == 0) {
        printf("%s is already format 2: nothing to do\n", db);
        fclose(in);
        return 0;
    }
    if (strncmp(head, "RECORDSTORE ", got < 12 ? got : 12) == 0 && got >= 12) {
        fprintf(stderr, "recordstore-upgrade: %s has an unknown format header\n", db);
        fclose(in);
        return 1;
    }
    rewind(in);
    char tmp[4096], bak[4096];
    snprintf(tmp, sizeof tmp, "%s.upgrade-XXXXXX", db);
    snprintf(bak, sizeof bak, "%s.bak", db);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return fail("cannot create a file beside", db);
    if (fchmod(fd, 0640) != 0) {
        unlink(tmp);
        return fail("cannot set the mode of", tmp);
    }
    FILE *out = fdopen(fd, "w");
    long count = convert(in, out);
    fclose(in);
    int rc = count < 0 || fflush(out) != 0 || fsync(fd) != 0 ? -1 : 0;
    if (fclose(out) != 0)
        rc = -1;
    if (rc != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return fail("cannot write the converted database beside", db);
    }
    if ((unlink(bak) != 0 && errno != ENOENT) || link(db, bak) != 0) {
        unlink(tmp);
        return fail("cannot keep the old database as", bak);
    }
    if (rename(tmp, db) != 0 || fsync_dir_of(db) != 0) {
        unlink(tmp);
        return fail("cannot put the converted database in place at", db);
    }
    printf("converted %ld records of %s from format 1 to format 2; the old file is %s\n", count, db,
           bak);
    return 0;
}
