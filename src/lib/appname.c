/*
 * appname.c -- the application-name rule (appname.h).
 */
#include "appname.h"

#include <string.h>

static bool lower_or_digit(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool wp_app_name_valid(const char *name, wp_err *err)
{
    size_t len = strlen(name);
    bool ok = len >= 1 && len <= WP_APP_NAME_MAX && lower_or_digit(name[0]);
    for (size_t i = 1; ok && i < len; i++)
        ok = lower_or_digit(name[i]) || name[i] == '_' || name[i] == '-';
    if (ok)
        return true;
    wp_errf(err, WP_E_INVALID, "'%.60s' is not a valid application name", name);
    wp_err_why(err,
               "application names are 1..%d characters of a-z, 0-9, '_' and '-', starting "
               "with a letter or digit: they name files and prefix resource names",
               WP_APP_NAME_MAX);
    wp_err_todo(err, "use the name of the application's kit, like 'recordstore' or "
                     "'mail-server'");
    return false;
}
