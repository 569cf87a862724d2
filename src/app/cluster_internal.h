/*
 * cluster_internal.h -- what cluster.c shares with sp.c (the service
 * pack); not used outside src/app.
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

#endif
