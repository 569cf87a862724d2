/*
 * ops_alert.c -- alert agents: programs the operator registers, run by
 * wolfpackd on node, group, resource and fencing events (src/daemon/
 * alerts.c; docs/OPERATIONS.md, "Alerts").  Stored in the meta table under
 * "alert:" + the lower-case name, value {"name", "path", "timeout",
 * "recipient"?}, so they replicate with every other change.
 *
 *   alert.create {name, path, timeout?: 1..600 s (30), recipient?}
 *   alert.delete {name}
 *   query: wp_db_alert_list, by name
 */
#include "db_internal.h"

#include "../lib/model.h"
#include "../lib/json.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ALERT_PREFIX "alert:"
#define ALERT_TIMEOUT_DEFAULT 30
#define ALERT_TIMEOUT_MAX 600
#define ALERT_TEXT_MAX 1024

static bool invalid(wp_err *err, const char *what, const char *why, const char *todo)
{
    wp_errf(err, WP_E_INVALID, "%s", what);
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "%s", todo);
    return false;
}

/* The program: an absolute path of printable characters. */
static bool path_ok(const char *path, wp_err *err)
{
    bool printable = path[0] == '/' && strlen(path) < ALERT_TEXT_MAX;
    for (const char *p = path; printable && *p; p++)
        printable = (unsigned char)*p >= 0x20 && *p != 0x7f;
    return printable || invalid(err, "invalid path of an alert agent",
                                "it must be an absolute path of printable characters, shorter "
                                "than 1024 bytes",
                                "give the program's full path, e.g. "
                                "/usr/share/wolfpack/alerts/alert-syslog");
}

bool db_op_alert_create(wp_db *db, const json_t *args, wp_err *err)
{
    const char *name = wp_json_str(args, "name");
    const char *path = wp_json_str(args, "path");
    const char *recipient = wp_json_str(args, "recipient");
    const json_t *t = json_object_get(args, "timeout");
    json_int_t timeout = t ? json_integer_value(t) : ALERT_TIMEOUT_DEFAULT;
    if (!wp_name_valid("alert", name, err) || !path_ok(path, err))
        return false;
    if (timeout < 1 || timeout > ALERT_TIMEOUT_MAX)
        return invalid(err, "invalid timeout of an alert agent", "it must be 1..600 seconds",
                       "give --timeout SECONDS within 1..600 (default 30)");
    if (recipient && (strlen(recipient) >= ALERT_TEXT_MAX || strchr(recipient, '\n')))
        return invalid(err, "invalid recipient of an alert agent",
                       "it must be one line shorter than 1024 bytes",
                       "give one address, e.g. --recipient ops@example.org");
    char *key = db_meta_key_ci(ALERT_PREFIX, name);
    int found = key ? db_exists(db, "SELECT 1 FROM meta WHERE key = ?1", key, NULL, err) : -1;
    if (found == 1) {
        wp_errf(err, WP_E_EXISTS, "alert %.63s already exists", name);
        wp_err_why(err, "alert names are unique in the cluster, ignoring case");
        wp_err_todo(err, "delete it first (wolfpack alert delete %.63s), or choose another name",
                    name);
    } else if (!key) {
        wp_errf(err, WP_E_INTERNAL, "out of memory");
    }
    json_t *value =
        found == 0 ? json_pack("{s:s, s:s, s:I}", "name", name, "path", path, "timeout", timeout)
                   : NULL;
    if (value && recipient)
        json_object_set_new(value, "recipient", json_string(recipient));
    char *text = value ? db_json_text(value) : NULL;
    const char *vals[2] = {key, text};
    bool ok = text && db_run(db, "INSERT INTO meta(key, value) VALUES (?1, ?2)", 2, vals,
                             "store an alert", err);
    free(text);
    json_decref(value);
    free(key);
    return ok;
}

bool db_op_alert_delete(wp_db *db, const json_t *args, wp_err *err)
{
    return db_meta_delete_ci(db, ALERT_PREFIX, wp_json_str(args, "name"), "alert", "alert", err);
}

json_t *wp_db_alert_list(wp_db *db, wp_err *err)
{
    return db_meta_list(db, ALERT_PREFIX, "read the alerts", err);
}
