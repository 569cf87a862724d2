/*
 * access.c -- who may talk to wolfpackd.
 *
 * The peer's credentials come from SO_PEERCRED (ipc.c).  Root may always
 * connect; anyone else must be in the admin group (--admin-group, default
 * "wolfpack"): as primary group of the connection, as primary group of the
 * user, or as a supplementary group of the user (getgrouplist).  When the
 * admin group does not exist on this host, only root may connect.
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

bool wp_access_check(const char *admin_group, uid_t uid, gid_t gid, wp_err *err)
{
    gid_t admin;

    if (uid == 0)
        return true;
    if (!group_gid(admin_group, &admin)) {
        wp_errf(err, WP_E_PERM, "permission denied: only root may use wolfpackd here");
        wp_err_why(err, "you are uid %u and the admin group \"%s\" does not exist on this host",
                   (unsigned)uid, admin_group ? admin_group : "");
        wp_err_todo(err,
                    "run the command as root, or ask an administrator to create group "
                    "\"%s\" and add you to it",
                    admin_group ? admin_group : "wolfpack");
        return false;
    }
    if (gid == admin || user_in_group(uid, admin))
        return true;
    wp_errf(err, WP_E_PERM, "permission denied: you may not use wolfpackd");
    wp_err_why(err, "you are uid %u, which is not root and not in group \"%s\"", (unsigned)uid,
               admin_group);
    wp_err_todo(err, "ask an administrator to add you to group \"%s\" (then log in again)",
                admin_group);
    return false;
}
