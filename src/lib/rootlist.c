/*
 * rootlist.c -- the root-owned allow-list of what may run as root on this
 * node: reading and checking it (the executor's service agent), writing
 * one file of it (the root CLI).  rootlist.h has the format and the rule.
 */
#include "rootlist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

/* One path component's verdict: root's, not writable by group or others
 * (a sticky directory may be, when it is not the last component). */
static bool stat_trusted(const char *path, const struct stat *st, bool last, char *why, size_t size)
{
    bool sticky_dir = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && !last;
    if (st->st_uid != 0) {
        snprintf(why, size, "%s belongs to uid %u, not root", path, (unsigned)st->st_uid);
        return false;
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !sticky_dir) {
        snprintf(why, size, "%s is writable by %s", path,
                 st->st_mode & S_IWOTH ? "others" : "its group");
        return false;
    }
    return true;
}

bool wp_rootlist_path_trusted(const char *path, char *why, size_t size)
{
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(path, real)) {
        snprintf(why, size, "%s: %s", path, strerror(errno));
        return false;
    }
    size_t len = strlen(real);
    for (size_t i = 1; i <= len; i++) { /* every prefix ending at a '/' or the end */
        if (real[i] != '/' && real[i] != '\0')
            continue;
        char c = real[i];
        real[i] = '\0';
        bool ok = lstat(real[0] ? real : "/", &st) == 0 &&
                  stat_trusted(real[0] ? real : "/", &st, c == '\0', why, size);
        if (!ok && !why[0])
            snprintf(why, size, "%s: %s", real, strerror(errno));
        real[i] = c;
        if (!ok)
            return false;
    }
    return lstat("/", &st) == 0 && stat_trusted("/", &st, len <= 1, why, size);
}

/* Does file dfd/name hold entry as one of its lines? */
static bool file_lists(int dfd, const char *name, const char *entry)
{
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    char line[4200];
    bool found = false;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    while (!found && fgets(line, sizeof line, f)) {
        char *s = line, *e;
        while (*s == ' ' || *s == '\t')
            s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            *--e = '\0';
        found = *s != '#' && strcmp(s, entry) == 0;
    }
    fclose(f);
    return found;
}

/* Is entry in a trusted file of the trusted dir?  why: the first file or
 * directory that was not trusted (it is skipped). */
static bool dir_lists(const char *dir, const char *entry, char *why, size_t size)
{
    char path[PATH_MAX + 256], one[512] = "";
    if (!wp_rootlist_path_trusted(dir, why, size))
        return false;
    DIR *d = opendir(dir);
    struct dirent *e;
    bool found = false;
    while (d && !found && (e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!stat_trusted(path, &st, true, one, sizeof one)) {
            snprintf(why, size, "%s: skipped", one);
            continue;
        }
        found = file_lists(dirfd(d), e->d_name, entry);
    }
    if (d)
        closedir(d);
    return found;
}

bool wp_rootlist_allows(const char *dir, const char *entry, wp_err *err)
{
    char why[600] = "";
    bool program = entry[0] == '/';
    if (dir_lists(dir, entry, why, sizeof why)) {
        if (!program || wp_rootlist_path_trusted(entry, why, sizeof why))
            return true;
        wp_errf(err, WP_E_PERM, "%s may not run as root: %s", entry, why);
        wp_err_why(err, "a user who can change the program would run as root");
        wp_err_todo(err,
                    "make %s root's and writable by root only, or give the resource a "
                    "user (--prop user=NAME)",
                    entry);
        return false;
    }
    wp_errf(err, WP_E_PERM, "%s may not run as root on this node", entry);
    wp_err_why(err, "%s%sthe root-owned allow-list %s does not name it", why, why[0] ? "; " : "",
               dir);
    wp_err_todo(err,
                "give the resource a user (--prop user=NAME), or, as root on every node that "
                "may run it: echo '%s' >> %s/local",
                entry, dir);
    return false;
}

bool wp_rootlist_write(const char *dir, const char *name, const char *const *entries, size_t n,
                       wp_err *err)
{
    char path[PATH_MAX + 256];
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(entries[i]) + 1;
    char *text = malloc(len + 80);
    if (!text) {
        wp_errf(err, WP_E_INTERNAL, "out of memory");
        wp_err_why(err, "malloc failed");
        wp_err_todo(err, "free memory on this node");
        return false;
    }
    size_t o = (size_t)snprintf(text, len + 80, "# written by wolfpack: may run as root\n");
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(text + o, len + 80 - o, "%s\n", entries[i]);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    bool ok = wp_fs_mkdir_p(dir, 0755, err) && wp_fs_write_atomic(path, text, o, 0644, err);
    free(text);
    return ok;
}
