/*
 * access.c -- who may talk to wolfpackd, and what they may ask.
 *
 * The peer's credentials come from SO_PEERCRED (ipc.c).  Two roles:
 *   admin  root, and members of the admin group (--admin-group, default
 *          "wolfpack"): every op.  A Generic Service command runs as root
 *          on the nodes, so this role equals root (docs/SECURITY.md, "Roles");
 *   read   members of the read-only group (--read-group, default
 *          "wolfpack-read"): the ops that change nothing (status, the lists
 *          and shows, watch); everything else is refused per request.
 * Membership: the connection's primary group, the user's primary group, or
 * a supplementary group of the user (getgrouplist).  A group that does not
 * exist on this host has no members; when neither exists only root may
 * connect.  Anyone else is refused at connect time (ipc.c).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

/* Look a group up by name.  false when it does not exist (or on error). */
static bool group_gid(const char *name, gid_t *gid)
{
    struct group grp, *found = NULL;
    char buf[16384];

    if (!name || !name[0])
        return false;
    if (getgrnam_r(name, &grp, buf, sizeof buf, &found) != 0 || !found)
        return false;
    *gid = found->gr_gid;
    return true;
}

static bool user_in_group(uid_t uid, gid_t want)
{
    struct passwd pw, *found = NULL;
    char buf[16384];
    gid_t groups[256];
    int n = 256;

    if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || !found)
        return false;
    if (found->pw_gid == want)
        return true;
    if (getgrouplist(found->pw_name, found->pw_gid, groups, &n) < 0) {
        /* more than 256 groups: look again with room for all of them */
        gid_t *many = calloc((size_t)n, sizeof *many);
        bool in = false;
        if (many && getgrouplist(found->pw_name, found->pw_gid, many, &n) >= 0)
            for (int i = 0; i < n && !in; i++)
                in = many[i] == want;
        free(many);
        return in;
    }
    for (int i = 0; i < n; i++)
        if (groups[i] == want)
            return true;
    return false;
}

/* Is the peer (uid, connection gid) a member of the named group? */
static bool peer_in(const char *group, uid_t uid, gid_t gid)
{
    gid_t want;

    return group_gid(group, &want) && (gid == want || user_in_group(uid, want));
}

bool wp_access_role(const wp_daemon_opts *o, uid_t uid, gid_t gid, wp_role *role, wp_err *err)
{
    gid_t admin;
    const char *admin_group = o->admin_group;

    *role = WP_ROLE_NONE;
    if (uid == 0 || peer_in(admin_group, uid, gid)) {
        *role = WP_ROLE_ADMIN;
        return true;
    }
    if (peer_in(o->read_group, uid, gid)) {
        *role = WP_ROLE_READ;
        return true;
    }
    if (!group_gid(admin_group, &admin)) {
        gid_t reader;
        wp_errf(err, WP_E_PERM, "permission denied: only root%s may use wolfpackd here",
                group_gid(o->read_group, &reader) ? " and the read-only group" : "");
        wp_err_why(err, "you are uid %u and the admin group \"%s\" does not exist on this host",
                   (unsigned)uid, admin_group ? admin_group : "");
        wp_err_todo(err,
                    "run the command as root, or ask an administrator to create group "
                    "\"%s\" and add you to it",
                    admin_group ? admin_group : "wolfpack");
        return false;
    }
    wp_errf(err, WP_E_PERM, "permission denied: you may not use wolfpackd");
    wp_err_why(err,
               "you are uid %u, which is not root and not in group \"%s\" (nor in the "
               "read-only group \"%s\")",
               (unsigned)uid, admin_group, o->read_group ? o->read_group : "");
    wp_err_todo(err, "ask an administrator to add you to group \"%s\" (then log in again)",
                admin_group);
    return false;
}

bool wp_access_allows(const wp_daemon_opts *o, wp_role role, uid_t uid, const wp_request *req,
                      wp_err *err)
{
    if (role == WP_ROLE_ADMIN || (role == WP_ROLE_READ && !req->mutates))
        return true;
    wp_errf(err, WP_E_PERM, "permission denied: %s changes the cluster", req->op);
    wp_err_why(err,
               "you are uid %u, a member of the read-only group \"%s\": it may read (status, "
               "list, show, watch) and change nothing",
               (unsigned)uid, o->read_group ? o->read_group : "");
    wp_err_todo(err, "run it as root, or ask an administrator to add you to group \"%s\"",
                o->admin_group ? o->admin_group : "wolfpack");
    return false;
}
