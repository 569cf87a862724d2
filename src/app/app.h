/*
 * app.h -- installed applications on this node: install records,
 * standalone install and removal, local services, and the databases spec
 * that backup/restore (backup.h) take.
 *
 * Everything lives below one install root (wp_app_env): "/" in production,
 * a temporary directory in tests ($WOLFPACK_APP_ROOT).  Below it:
 *
 *     var/lib/wolfpack/apps/<app>.json   the install record (node-local)
 *     run/wolfpack/apps/<app>/<svc>.pid  a supervised service's PID file
 *     var/log/wolfpack/apps/<app>/<svc>.log  its output
 *     <files[].to>, <databases[].standalone> as the kit names them
 *
 * The install record (JSON, documented in docs/APP.md) says what is
 * installed here and where its databases live:
 *
 *     {"app", "version", "edition", "clusterable", "kit", "node",
 *      "installed_at", "root",
 *      "mode": "standalone" | "clustered", "group": null | "G",
 *      "parameters": {...},
 *      "files": [{"path", "mode"}],
 *      "databases": [{"name", "path", "standalone", "clustered"}],
 *      "services": [{"name", "command": [argv], "check": [argv] | null,
 *                    "depends_on": [...], "start_timeout": s}]}
 *
 * "path" of a database is where it is now: the standalone path below the
 * root, or for a clustered install the path on the group's disk.  Commands
 * in the record are expanded (no ${...} left) and run without a shell.
 *
 * Standalone services run outside the cluster as supervised processes
 * (service.c): a supervisor per service holds a lock on the PID file while
 * it lives, restarts the process when it dies (at most 5 times a minute),
 * and stops it on SIGTERM.
 */
#ifndef WP_APP_H
#define WP_APP_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../lib/err.h"
#include "backup.h"
#include "kit.h"

#define WP_APP_ROOT_ENV "WOLFPACK_APP_ROOT"
#define WP_APP_MODE_STANDALONE "standalone"
#define WP_APP_MODE_CLUSTERED "clustered"

typedef struct wp_app_env {
    char root[3072]; /* without a trailing '/'; "" is "/" */
} wp_app_env;

/* root NULL: $WOLFPACK_APP_ROOT, else "/".  The root must be absolute. */
bool wp_app_env_init(wp_app_env *env, const char *root, wp_err *err);
/* root + an absolute path, into out. */
void wp_app_path(const wp_app_env *env, const char *abs, char *out, size_t size);
void wp_app_record_path(const wp_app_env *env, const char *app, char *out, size_t size);
void wp_app_run_dir(const wp_app_env *env, const char *app, char *out, size_t size);
void wp_app_log_dir(const wp_app_env *env, const char *app, char *out, size_t size);

/* ---- install records (record.c) --------------------------------------------- */

/* The record of app, or NULL (WP_E_NOTFOUND when it is not installed). */
json_t *wp_app_record_load(const wp_app_env *env, const char *app, wp_err *err);
/* Write atomically and durably. */
bool wp_app_record_save(const wp_app_env *env, const json_t *record, wp_err *err);
bool wp_app_record_delete(const wp_app_env *env, const char *app, wp_err *err);
/* Every record of this node, sorted by app (caller owns the array). */
json_t *wp_app_record_list(const wp_app_env *env, wp_err *err);

/* The databases of a record as a backup spec.  *dbs is malloc'd (free it);
 * the strings are borrowed from the record. */
bool wp_app_backup_spec(const json_t *record, wp_backup_spec *spec, wp_backup_db **dbs,
                        wp_err *err);

/* ---- standalone install and removal (install.c) ------------------------------- */

typedef struct wp_app_install_opts {
    const char *const *set; /* "NAME=VALUE" parameter overrides */
    size_t nset;
    /* Clustered records only (wp_app_record_from_kit): the group, and the
     * mount point of its shared disk, where the databases live. */
    const char *group;
    const char *disk_mount;
} wp_app_install_opts;

/* The install record a kit gives on this node, without touching any file:
 * parameters resolved, commands expanded, database paths chosen (standalone
 * below the root, or with opts->group on opts->disk_mount, mode
 * "clustered").  For the clustered install to build on.  Caller owns. */
json_t *wp_app_record_from_kit(const wp_app_env *env, const wp_kit *kit,
                               const wp_app_install_opts *opts, wp_err *err);

/* Install kit on this node, standalone: program files copied, databases
 * created at their standalone paths (an existing database is kept), the
 * record written.  On failure everything it created is removed again.
 * Returns the record (caller owns); *notes (if not NULL) gets an array of
 * plain-words remarks (kept databases ...). */
json_t *wp_app_install_standalone(const wp_app_env *env, const wp_kit *kit,
                                  const wp_app_install_opts *opts, json_t **notes, wp_err *err);

/* Copy kit->files[i] to its place below the root (atomic, its mode). */
bool wp_app_put_kit_file(const wp_app_env *env, const wp_kit *kit, size_t i, wp_err *err);
/* Create database `name` (kd: its kit entry, may be NULL) at path: a
 * directory, a copy of the kit's initial file, or an empty file.  One that
 * exists already is kept, with a note in notes; *created says whether
 * this call made it (what to remove if a later step fails). */
bool wp_app_db_create(const wp_kit *kit, const wp_kit_db *kd, const char *name, const char *path,
                      json_t *notes, bool *created, wp_err *err);

/* Stop the services, remove the program files and the record; the
 * databases stay unless purge.  *kept (if not NULL) lists the database
 * paths left in place. */
bool wp_app_remove(const wp_app_env *env, const char *app, bool purge, json_t **kept, wp_err *err);

/* ---- local services (service.c) -------------------------------------------------- */

/* Start every service of the record (dependencies first) as a supervised
 * process, waiting for its check command when it has one. */
bool wp_app_start(const wp_app_env *env, const json_t *record, wp_err *err);
/* Stop them (dependents first), waiting for each to end. */
bool wp_app_stop(const wp_app_env *env, const json_t *record, wp_err *err);
/* PID of the running supervisor of a service, or 0. */
pid_t wp_app_service_pid(const wp_app_env *env, const char *app, const char *service);
/* [{"name", "running", "pid"}] for the record's services (caller owns). */
json_t *wp_app_services_status(const wp_app_env *env, const json_t *record);
bool wp_app_any_running(const wp_app_env *env, const json_t *record);

/* ---- the cluster around this node ----------------------------------------------- */

/* True when a wolfpackd answers on socket_path (NULL: the default) and
 * reports the "corosync" transport: this node is a cluster node. */
bool wp_app_node_in_cluster(const char *socket_path);

#endif
