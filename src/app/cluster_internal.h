/*
 * cluster_internal.h -- what cluster.c shares with the other clustered
 * files of src/app (the service pack: sp.c, rollout.c, upgrade.c; migrate.c;
 * the step runner steps.c; the node tasks tasks.c): talking to wolfpackd,
 * waiting for the cluster, files on this node, the service pack's pieces
 * (upgrade.c).  Not used outside src/app.
 */
#ifndef WP_APP_CLUSTER_INTERNAL_H
#define WP_APP_CLUSTER_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "cluster.h"

/* One op to wolfpackd (args stolen); the result (caller owns) or NULL. */
json_t *wp_app_call(wp_app_cluster *c, const char *op, json_t *args, wp_err *err);
/* A changing op; true when applied. */
bool wp_app_change(wp_app_cluster *c, const char *op, json_t *args, wp_err *err);
/* The assessment of one group (qualify.c's object). */
json_t *wp_app_group_assess_one(wp_app_cluster *c, const char *group, wp_err *err);
/* Names of the assessed groups that qualify (new array). */
json_t *wp_app_qualifying(const json_t *assessments);
/* The assessment, or NULL after printing the article's refusal. */
json_t *wp_app_group_checked(wp_app_cluster *c, const char *group, wp_err *err);
/* true when this node owns the assessed group; else err says how to move it. */
bool wp_app_must_own(wp_app_cluster *c, const json_t *assessment, wp_err *err);
/* Copy the kit's program files below the root (replacing older ones). */
bool wp_app_put_program_files(const wp_app_env *env, const wp_kit *kit, wp_err *err);
/* Create the record's databases that do not exist (kept ones noted). */
bool wp_app_create_databases(const wp_kit *kit, const json_t *record, json_t *notes, wp_err *err);
/* Save this node's copy of a cluster record. */
bool wp_app_save_local_copy(wp_app_cluster *c, const json_t *record, wp_err *err);
/* Generic Service props {command, check_command} of a record's service. */
json_t *wp_app_service_props(const json_t *svc);

/* Create the Generic Service resources of a record in the assessed group
 * (dependencies first); existing_ok: one that exists already is fine
 * (a resumed run).  On failure those created are deleted again. */
bool wp_app_create_resources(wp_app_cluster *c, const json_t *rec, const json_t *assessment,
                             bool existing_ok, wp_err *err);
/* Set resources online/offline and wait (bounded) until each is there. */
bool wp_app_resources_to(wp_app_cluster *c, const json_t *names, bool online, wp_err *err);
/* Take resources offline and delete them (missing ones are skipped). */
bool wp_app_delete_resources(wp_app_cluster *c, const json_t *names, wp_err *err);

/* Wait (bounded) until something is mounted at mountpoint; false with err
 * (never write databases into a bare mount point). */
bool wp_app_disk_ready(wp_app_cluster *c, const char *mountpoint, wp_err *err);
/* The same for the disk of a clustered record's databases. */
bool wp_app_record_disk_ready(wp_app_cluster *c, const json_t *rec, wp_err *err);
void wp_app_record_mount(const json_t *rec, char *out, size_t size);

/* Waiting for a state of the cluster (a node task done, resources or a
 * group online, a disk mounted): ready says whether it is there (1), not
 * yet (0), or cannot be told (-1, with err).  wp_app_wait_for looks, then
 * waits on wolfpackd's watch stream -- every applied command and
 * membership change wakes it at once -- and looks again, until ready or
 * limit_ms have passed; without an event it looks again after at most
 * WP_APP_WAIT_RECHECK_MS anyway (a mount is announced by no command).
 * Returns 1 ready, 0 timed out (err untouched: the caller says what did
 * not happen), -1 ready's error.  Without a watch stream (it could not be
 * opened) it looks every 200 ms. */
#define WP_APP_WAIT_RECHECK_MS 1000
typedef int (*wp_app_ready_fn)(wp_app_cluster *c, void *ctx, wp_err *err);
int wp_app_wait_for(wp_app_cluster *c, wp_app_ready_fn ready, void *ctx, long limit_ms,
                    wp_err *err);

/* ---- TEST HOOK: crash injection ------------------------------------------
 * $WOLFPACK_TEST_DIE_AT=STEP ends the process (exit 137) before STEP
 * (after false), STEP+ after its work (after true).  It is in the shipped
 * binary on purpose: the integration tests kill a real `wolfpack app
 * migrate` / `sp apply` at every step to prove that a run resumes.  Build
 * with -DWP_NO_TEST_HOOKS (make CFLAGS="-O2 -g -DWP_NO_TEST_HOOKS") to leave it
 * out; nothing else changes. */
#ifdef WP_NO_TEST_HOOKS
static inline void wp_app_test_die(const char *step, bool after)
{
    (void)step, (void)after;
}
#else
void wp_app_test_die(const char *step, bool after);
#endif

/* ---- upgrade.c: service pack pieces ---- */
/* sp upgrades version have, or err says which it upgrades. */
bool wp_app_version_ok(const wp_kit *sp, const char *have, wp_err *err);
/* Run sp's upgrade step once with rec's variables (databases, parameters). */
bool wp_app_run_upgrade(const wp_app_env *env, const wp_kit *sp, const json_t *rec, wp_err *err);
/* The resource names of a record's services (new array). */
json_t *wp_app_resource_names(const json_t *rec);
/* Verified backup of rec's databases into file (chosen below the root
 * when file is ""; an existing archive is verified and kept). */
bool wp_app_verified_backup(const wp_app_env *env, const json_t *rec, char *file, size_t size,
                            wp_err *err);
bool wp_app_restore_backup(const json_t *rec, const char *file, wp_err *err);
/* The record sp gives for the clustered install old (same parameters,
 * group and disk). */
json_t *wp_app_sp_record(wp_app_cluster *c, const wp_kit *sp, const json_t *old, wp_err *err);
/* resource.set the new commands of rec's services. */
bool wp_app_update_resources(wp_app_cluster *c, const json_t *rec, wp_err *err);
/* Put the program files of old's kit back here (after a failed upgrade). */
void wp_app_put_back(wp_app_cluster *c, const json_t *old);
/* Node tasks: sp-files {app, kit, pre?, post?} (the kit's program files
 * here, between the hooks; app.node) and sp-upgrade {app, kit, backup}
 * (this node owns the group: verified backup, the upgrade step once,
 * the backup restored if it fails). */
bool wp_app_task_sp_files(wp_app_cluster *c, const json_t *args, wp_err *err);
bool wp_app_task_sp_upgrade(wp_app_cluster *c, const json_t *args, wp_err *err);
/* Node task sp-restore {app, kit, backup, from, keep?} (a rollback after
 * the upgrade step; this node owns the group): when the databases differ
 * from the backup, they are saved into keep (version from) and the backup
 * (of kit's version) is restored; no backup here: nothing was upgraded. */
bool wp_app_task_sp_restore(wp_app_cluster *c, const json_t *args, wp_err *err);

#endif
