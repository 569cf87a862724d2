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
 *
 * Acting for another user (the web console, docs/WEB.md): a request may
 * carry "as": NAME.  Only a trusted peer may send it -- root or the
 * --web-user (default "wolfpack", the package's dedicated user; not
 * wolfpackd's own user as such: that may be a shared one such as nobody,
 * and every process of it would then act as anybody) -- and then the request
 * gets NAME's role, computed here from NAME's groups exactly as for a
 * peer; the web server's word on the role is never taken.  From anyone
 * else "as" is refused.  A trusted peer that is in neither group may
 * connect with the read role (its own requests then change nothing).
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

bool wp_access_trusted(const wp_daemon_opts *o, uid_t uid)
{
    struct passwd pw, *found = NULL;
    char buf[16384];

    if (uid == 0)
        return true;
    if (!o->web_user || !o->web_user[0])
        return false;
    return getpwnam_r(o->web_user, &pw, buf, sizeof buf, &found) == 0 && found &&
           found->pw_uid == uid;
}

/* The role of uid by its groups alone (no trust, no messages). */
static wp_role group_role(const wp_daemon_opts *o, uid_t uid, gid_t gid)
{
    if (uid == 0 || peer_in(o->admin_group, uid, gid))
        return WP_ROLE_ADMIN;
    if (peer_in(o->read_group, uid, gid))
        return WP_ROLE_READ;
    return WP_ROLE_NONE;
}

bool wp_access_as(const wp_daemon_opts *o, uid_t peer, const char *user, wp_role *role, uid_t *uid,
                  wp_err *err)
{
    struct passwd pw, *found = NULL;
    char buf[16384];

    *role = WP_ROLE_NONE;
    if (!wp_access_trusted(o, peer)) {
        wp_errf(err, WP_E_PERM, "permission denied: uid %u may not act for user \"%.64s\"",
                (unsigned)peer, user);
        wp_err_why(err,
                   "only root and wolfpackd's web user \"%s\" (--web-user) may "
                   "send a request with \"as\"",
                   o->web_user ? o->web_user : "");
        wp_err_todo(err, "leave \"as\" out: your request then runs as yourself");
        return false;
    }
    if (getpwnam_r(user, &pw, buf, sizeof buf, &found) != 0 || !found) {
        wp_errf(err, WP_E_PERM, "permission denied: no user \"%.64s\" on this node", user);
        wp_err_why(err, "the request acts for a user this node's user database does not know");
        wp_err_todo(err, "log in as a user that exists on every node");
        return false;
    }
    if (uid)
        *uid = found->pw_uid;
    *role = group_role(o, found->pw_uid, found->pw_gid);
    if (*role != WP_ROLE_NONE)
        return true;
    wp_errf(err, WP_E_PERM, "permission denied: user \"%.64s\" may not use wolfpack", user);
    wp_err_why(err, "\"%.64s\" is not in group \"%s\" (admin) or \"%s\" (read-only)", user,
               o->admin_group ? o->admin_group : "", o->read_group ? o->read_group : "");
    wp_err_todo(err, "ask an administrator to add \"%.64s\" to group \"%s\" or \"%s\"", user,
                o->admin_group ? o->admin_group : "wolfpack",
                o->read_group ? o->read_group : "wolfpack-read");
    return false;
}

bool wp_access_role(const wp_daemon_opts *o, uid_t uid, gid_t gid, wp_role *role, wp_err *err)
{
    gid_t admin;
    const char *admin_group = o->admin_group;

    *role = group_role(o, uid, gid);
    if (*role != WP_ROLE_NONE)
        return true;
    if (wp_access_trusted(o, uid)) { /* the web console: "as" gives the role */
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
    if (req->as) {
        wp_err_why(err,
                   "\"%.64s\" is a member of the read-only group \"%s\": it may read "
                   "(status, list, show, watch) and change nothing",
                   req->as, o->read_group ? o->read_group : "");
        wp_err_todo(err, "ask an administrator to add \"%.64s\" to group \"%s\"", req->as,
                    o->admin_group ? o->admin_group : "wolfpack");
        return false;
    }
    wp_err_why(err,
               "you are uid %u, a member of the read-only group \"%s\": it may read (status, "
               "list, show, watch) and change nothing",
               (unsigned)uid, o->read_group ? o->read_group : "");
    wp_err_todo(err, "run it as root, or ask an administrator to add you to group \"%s\"",
                o->admin_group ? o->admin_group : "wolfpack");
    return false;
}
