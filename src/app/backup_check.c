/*
 * backup_check.c -- the restore rules for the entries of a directory
 * database's inner tar (backup_check.h).  Pure checks on libarchive
 * entries: nothing here touches the file system except looking up the
 * users and groups a kit names.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "backup_check.h"
#include "../lib/json.h"

#define NAME_SHOWN 200

/* A name as it may be shown: control characters become '?', long names
 * are cut (a crafted name must not drive the terminal). */
static void shown(const char *name, char out[NAME_SHOWN])
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)(name ? name : "(none)");
         *p && n + 4 < NAME_SHOWN; p++)
        out[n++] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
    if (name && strlen(name) + 4 >= NAME_SHOWN)
        out[n++] = '.', out[n++] = '.', out[n++] = '.';
    out[n] = '\0';
}

static bool fail(wp_tree_check *c, wp_err *err, const char *name, const char *what, const char *why)
{
    char n[NAME_SHOWN];
    shown(name, n);
    wp_errf(err, WP_E_CORRUPT, "%s cannot be restored: the database %s holds '%s', %s", c->from,
            c->db, n, what);
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "restore from a backup made by 'wolfpack app backup' of this "
                     "application; nothing was changed");
    return false;
}

bool wp_tree_check_init(wp_tree_check *c, const char *from, const char *db, bool check_owners,
                        const json_t *owners, uid_t install_uid, gid_t install_gid, wp_err *err)
{
    *c = (wp_tree_check){.from = from, .db = db, .check_owners = check_owners};
    c->seen = json_object();
    if (install_uid != (uid_t)-1)
        c->uids[c->nuids++] = install_uid;
    if (install_gid != (gid_t)-1)
        c->gids[c->ngids++] = install_gid;
    size_t i;
    json_t *o;
    json_array_foreach(owners, i, o)
    {
        const char *name = json_string_value(o);
        struct passwd *pw = name ? getpwnam(name) : NULL;
        struct group *gr = name ? getgrnam(name) : NULL;
        if (pw && c->nuids < sizeof c->uids / sizeof c->uids[0])
            c->uids[c->nuids++] = pw->pw_uid;
        if (gr && c->ngids < sizeof c->gids / sizeof c->gids[0])
            c->gids[c->ngids++] = gr->gr_gid;
        if (check_owners && !pw && !gr) {
            wp_errf(err, WP_E_NOTFOUND,
                    "cannot restore the database %s: its owner '%s' is no user "
                    "or group on this node",
                    db, name ? name : "?");
            wp_err_why(err, "the kit lets '%s' own files of %s, and a restore gives them to it",
                       name ? name : "?", db);
            wp_err_todo(err, "install the packages of the application on this node (they create "
                             "the user), then restore again; nothing was changed");
            wp_tree_check_free(c);
            return false;
        }
    }
    return c->seen != NULL;
}

void wp_tree_check_free(wp_tree_check *c)
{
    json_decref(c->seen);
    c->seen = NULL;
}

/* "." or "./a/b" with no empty, "." or ".." component. */
static bool name_ok(const char *name)
{
    if (strcmp(name, ".") == 0)
        return true;
    if (strncmp(name, "./", 2) != 0 || !name[2])
        return false;
    for (const char *p = name + 2;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}

/* A symlink target that stays inside: relative, only going down. */
static bool target_ok(const char *t)
{
    if (!t || !t[0] || t[0] == '/')
        return false;
    for (const char *p = t;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}

static bool parent_ok(const wp_tree_check *c, const char *name)
{
    const char *slash = strrchr(name, '/');
    char parent[4096];
    if (!slash || (size_t)(slash - name) >= sizeof parent)
        return false;
    snprintf(parent, sizeof parent, "%.*s", (int)(slash - name), name);
    const char *kind = wp_json_str(c->seen, parent);
    return kind && strcmp(kind, "d") == 0;
}

static bool id_allowed(const unsigned *ids, size_t n, unsigned id)
{
    if (id == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

static bool type_ok(wp_tree_check *c, struct archive_entry *e, const char *name, wp_err *err)
{
    if (archive_entry_hardlink(e))
        return fail(c, err, name, "a hard link",
                    "a restore never makes hard links: one could reach a file outside the "
                    "database");
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
    case AE_IFDIR:
        return true;
    case AE_IFLNK:
        if (target_ok(archive_entry_symlink(e)))
            return true;
        return fail(c, err, name, "a symlink that points out of the database",
                    "a symlink in a restored database must be relative and only go down "
                    "(no '..', not absolute)");
    default:
        return fail(c, err, name, "a device node, FIFO or socket",
                    "a restore writes only regular files, directories and symlinks that stay "
                    "inside the database");
    }
}

static bool mode_ok(wp_tree_check *c, struct archive_entry *e, const char *name, wp_err *err)
{
    mode_t perm = archive_entry_perm(e);
    if (archive_entry_filetype(e) == AE_IFLNK)
        return true; /* a symlink's own mode means nothing */
    if (perm & (S_ISUID | S_ISGID | S_ISVTX))
        return fail(c, err, name, "with a setuid, setgid or sticky bit",
                    "a restore never makes setuid, setgid or sticky files or directories");
    if (perm & S_IWOTH)
        return fail(c, err, name, "writable by every user",
                    "a restore never makes files or directories that others may write");
    return true;
}

static bool owner_ok(wp_tree_check *c, struct archive_entry *e, const char *name, wp_err *err)
{
    if (!c->check_owners)
        return true;
    la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
    if (uid >= 0 && uid <= 0xfffffffe && gid >= 0 && gid <= 0xfffffffe &&
        id_allowed(c->uids, c->nuids, (unsigned)uid) &&
        id_allowed(c->gids, c->ngids, (unsigned)gid))
        return true;
    char why[160];
    snprintf(why, sizeof why,
             "its owner %lld:%lld is neither root nor an owner the kit declares for %s "
             "(databases[].owners)",
             (long long)uid, (long long)gid, c->db);
    return fail(c, err, name, "owned by a user the kit does not name", why);
}

bool wp_tree_check_entry(wp_tree_check *c, struct archive_entry *e, wp_err *err)
{
    const char *raw = archive_entry_pathname(e);
    char name[4096];
    if (!raw || snprintf(name, sizeof name, "%s", raw) >= (int)sizeof name)
        return fail(c, err, raw, "a name too long", "names in a tree are shorter than 4096 bytes");
    size_t len = strlen(name);
    if (len > 1 && name[len - 1] == '/' && archive_entry_filetype(e) == AE_IFDIR)
        name[len - 1] = '\0'; /* tar writes directories as "./a/" */
    bool top = strcmp(name, ".") == 0;
    if (!name_ok(name))
        return fail(c, err, name, "a name that is absolute or leaves it ('..')",
                    "a restore writes only below the database's own directory");
    if (json_object_get(c->seen, name))
        return fail(c, err, name, "twice", "each name of a tree is in its backup once");
    if (c->entries == 0 && (!top || archive_entry_filetype(e) != AE_IFDIR))
        return fail(c, err, name, "where its top directory '.' should be",
                    "a directory database's backup starts with its top directory");
    if (!top && !parent_ok(c, name))
        return fail(c, err, name, "whose parent is not a directory before it",
                    "a restore writes only into directories it made itself");
    /* The top's owner and mode are never the archive's (the restore gives
     * it the install's), so only its type matters. */
    if (!type_ok(c, e, name, err) || (!top && !mode_ok(c, e, name, err)) ||
        (!top && !owner_ok(c, e, name, err)))
        return false;
    c->entries++;
    return json_object_set_new(c->seen, name,
                               json_string(archive_entry_filetype(e) == AE_IFDIR ? "d" : "-")) == 0;
}

bool wp_tree_check_done(wp_tree_check *c, wp_err *err)
{
    if (c->entries > 0)
        return true;
    return fail(c, err, ".", "no entries at all",
                "a directory database's backup holds at least its top directory");
}
