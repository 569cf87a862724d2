/*
 * pam.c -- the password check of a login, through PAM (web.h).
 *
 * The service is --pam-service (default wolfpack-web, the package's
 * /etc/pam.d/wolfpack-web: common-auth and common-account).  The
 * conversation answers the one password prompt with the password it was
 * given and nothing else; the password is never logged or kept.
 * pam_authenticate and then pam_acct_mgmt (an expired or locked account is
 * refused).  pam_unix checks another user's password only when the process
 * can read /etc/shadow itself (the unit gives wolfpack-web the group
 * shadow: docs/WEB.md).  PAM modules are not all thread-safe, so one
 * conversation runs at a time (pam_lock); a failed one takes pam_unix's
 * delay, which also slows guessing.
 */
#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"

typedef struct conv_data {
    const char *password;
} conv_data;

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    const conv_data *cd = data;
    struct pam_response *r;

    if (n <= 0 || n > PAM_MAX_NUM_MSG)
        return PAM_CONV_ERR;
    r = calloc((size_t)n, sizeof *r);
    if (!r)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF)
            continue; /* info and error texts need no answer; a user name was given */
        r[i].resp = strdup(cd->password);
        if (!r[i].resp) {
            for (int j = 0; j < i; j++)
                free(r[j].resp);
            free(r);
            return PAM_BUF_ERR;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

bool wp_web_pam_check(wp_web *w, const char *user, const char *password, wp_err *err)
{
    conv_data cd = {.password = password};
    struct pam_conv pc = {.conv = conv, .appdata_ptr = &cd};
    pam_handle_t *h = NULL;
    int rc;

    pthread_mutex_lock(&w->pam_lock);
    rc = pam_start(w->opts.pam_service, user, &pc, &h);
    if (rc == PAM_SUCCESS)
        rc = pam_authenticate(h, PAM_DISALLOW_NULL_AUTHTOK);
    int step = rc == PAM_SUCCESS ? 1 : 0;
    if (rc == PAM_SUCCESS)
        rc = pam_acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
    const char *why = pam_strerror(h, rc);
    char why_copy[200];
    snprintf(why_copy, sizeof why_copy, "%s", why ? why : "?");
    if (h)
        pam_end(h, rc);
    pthread_mutex_unlock(&w->pam_lock);
    if (rc == PAM_SUCCESS)
        return true;
    if (rc == PAM_AUTH_ERR || rc == PAM_USER_UNKNOWN || rc == PAM_MAXTRIES ||
        rc == PAM_AUTHINFO_UNAVAIL || rc == PAM_CRED_INSUFFICIENT) {
        wp_errf(err, WP_E_PERM, "login refused: wrong user name or password");
        wp_err_why(err, "PAM (service \"%s\") did not accept them", w->opts.pam_service);
        wp_err_todo(err, "check the user name and the password and try again");
        return false;
    }
    if (step == 1) {
        wp_errf(err, WP_E_PERM, "login refused: the account of \"%s\" may not log in", user);
        wp_err_why(err, "PAM (service \"%s\") account check: %s", w->opts.pam_service, why_copy);
        wp_err_todo(err, "ask an administrator to unlock or renew the account");
        return false;
    }
    wp_errf(err, WP_E_UNAVAILABLE, "login failed: the password check did not work");
    wp_err_why(err, "PAM (service \"%s\"): %s", w->opts.pam_service, why_copy);
    wp_err_todo(err,
                "check /etc/pam.d/%s and that wolfpack-web may read /etc/shadow "
                "(docs/WEB.md); see the system log",
                w->opts.pam_service);
    return false;
}
