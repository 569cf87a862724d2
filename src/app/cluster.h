/*
 * cluster.h -- the clustered half of `wolfpack app`: which groups may
 * hold an application, the clustered install, service packs, node tasks.
 *
 * qualify.c (pure, JSON in and out): whether a group may hold a clustered
 * application -- it must hold an IP address, a network name and a shared
 * hard disk, judged by resource *class* (network-address, network-name,
 * storage; src/lib/model.h: today only Physical Disk has class storage) and
 * be online -- and the texts of KB Q221393 the service pack prints.
 *
 * cluster.c talks to wolfpackd (src/client) and to this node's files
 * (app.h): the clustered install and `sp apply`; tasks.c runs the node
 * tasks another node asks this one to run (wp_app_task_run, started by
 * wolfpackd through the node-task entry point wolfpack-task,
 * src/task/main.c).  docs/APP.md describes the behaviour.
 */
#ifndef WP_APP_CLUSTER_H
#define WP_APP_CLUSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "../client/client.h"
#include "../lib/err.h"
#include "app.h"

/* The article's two messages, byte for byte (APP = the application). */
#define WP_APP_SELECT_FMT                                                                          \
    "Select the cluster group configured for %s. The %s resources will be added to this group."
#define WP_APP_NOT_QUALIFIED                                                                       \
    "This cluster group does not contain the appropriate system resources. Select a group "        \
    "that contains an IP address, a network name, and a shared hard disk."

/* ---- qualify.c (pure) ---------------------------------------------------------- */

/* Judge one group from its group.show object and its resource.list
 * objects ({"name", "class", "type", "props", "state"}).  Returns
 *   {"group", "state", "owner", "qualifies": bool,
 *    "missing": ["an IP address (...)", ...],     every item it lacks
 *    "address": RES|null, "ip": "A.B.C.D"|null,  its first of each class
 *    "name": RES|null, "disk": RES|null, "mountpoint": PATH|null}
 * A storage resource without a mountpoint property cannot hold databases:
 * it counts as a disk for the article's check, "mountpoint" stays null. */
json_t *wp_app_group_assess(const json_t *group, const json_t *resources);

/* Print the refusal for an assessment: the article's message, each
 * missing item, then the groups that qualify (names, may be empty). */
void wp_app_print_not_qualified(FILE *out, const json_t *assessment, const json_t *qualifying);

/* A command line for a Generic Service resource from an argv (JSON array
 * of strings): every word single-quoted as needed so wp_argv_split gives
 * the same words back.  malloc'd. */
char *wp_app_argv_join(const json_t *argv);

/* The resource name of a kit service: APP when the service is named like
 * the application, else APP-SERVICE.  Into out. */
void wp_app_resource_name(const char *app, const char *service, char *out, size_t size);

/* ---- cluster.c ---------------------------------------------------------------- */

/* How long `wolfpack app` waits for a node task, a group or a resource:
 * $WOLFPACK_APP_TASK_TIMEOUT seconds (a positive whole number), else the
 * default.  The one place it is read (docs/CLI.md lists it). */
#define WP_APP_TASK_TIMEOUT_ENV "WOLFPACK_APP_TASK_TIMEOUT"
#define WP_APP_TASK_TIMEOUT_DEFAULT 120
long wp_app_task_timeout_s(void);

typedef struct wp_app_cluster {
    const wp_app_env *env;
    wp_client *client;
    char node[64];         /* this node's name in the cluster database */
    bool corosync;         /* the transport is corosync (a real cluster) */
    bool tty;              /* stdin and stdout are terminals: questions may be asked */
    FILE *out;             /* where messages go (stdout) */
    unsigned task_seq;     /* makes node task ids unique within one run */
    char socket_path[108]; /* wolfpackd's socket, for the watch stream */
    wp_client *watch;      /* the watch stream while waiting (wp_app_wait_for) */
} wp_app_cluster;

/* Connect to wolfpackd and learn this node's name.  false: no daemon
 * (err says so). */
bool wp_app_cluster_open(wp_app_cluster *c, const wp_app_env *env, const char *socket_path,
                         wp_err *err);
void wp_app_cluster_close(wp_app_cluster *c);

/* Every group assessed ([assessment...]), caller owns. */
json_t *wp_app_groups_assess(wp_app_cluster *c, wp_err *err);

/* Install kit into group (the article's "install on the Cluster Server"):
 * group checked, this node must own it, program files here, databases on
 * the group's disk, Generic Service resources, the cluster record, and
 * program files on every other node through node tasks. */
json_t *wp_app_install_clustered(wp_app_cluster *c, const wp_kit *kit, const char *group,
                                 const wp_app_install_opts *opts, wp_err *err);

/* How `sp apply` runs on a clustered install (rollout.c). */
typedef struct wp_app_rollout_opts {
    bool single;                      /* one run on the owner (it must own the group) */
    bool plan;                        /* print the steps, change nothing */
    bool force;                       /* take the lock from a dead holder (said and recorded) */
    bool rollback;                    /* undo an interrupted rollout (before its upgrade step) */
    int retries;                      /* per node, after the first attempt */
    int max_failed;                   /* more failed nodes stop the run */
    const char *pre_hook, *post_hook; /* programs run on each node around its update */
} wp_app_rollout_opts;

/* What `sp apply` works from on a clustered install, built once (sp.c)
 * and passed to the single run and the rollout: the cluster record, its
 * group, the up nodes besides the owner (preferred first, then by name),
 * the application's resources and -- at its first use -- the record the
 * service pack gives (plan.c).  wp_app_sp_plan_free releases it. */
typedef struct wp_app_sp_plan {
    const wp_kit *sp;
    json_t *cur;    /* the cluster record (app.show) */
    json_t *group;  /* its group (group.show) */
    json_t *others; /* up nodes besides the owner, in update order */
    json_t *names;  /* the application's resource names */
    json_t *rec;    /* the new record (wp_app_sp_plan_record), or NULL */
} wp_app_sp_plan;
/* The plan of sp on the clustered install cur (taken: the plan owns it);
 * false with err when wolfpackd cannot say the group or the nodes. */
bool wp_app_sp_plan_build(wp_app_cluster *c, const wp_kit *sp, json_t *cur, wp_app_sp_plan *p,
                          wp_err *err);
/* The new record sp gives the clustered install (built once; the plan owns it). */
const json_t *wp_app_sp_plan_record(wp_app_cluster *c, wp_app_sp_plan *p, wp_err *err);
void wp_app_sp_plan_free(wp_app_sp_plan *p);

/* `wolfpack app sp apply SP [--group G] [options]`: the article's group
 * question for an application without a clustered install; on a clustered
 * one a rolling update when another node is up (else, or with single, one
 * run on the owner). */
bool wp_app_sp_apply(wp_app_cluster *c, const wp_kit *sp, const char *group,
                     const wp_app_rollout_opts *o, wp_err *err);
/* The rolling update of the plan's clustered install (rollout.c). */
bool wp_app_rollout(wp_app_cluster *c, wp_app_sp_plan *p, const wp_app_rollout_opts *o,
                    wp_err *err);

/* `wolfpack app config APP [NAME=VALUE ...]` (config.c): show the
 * parameters, or change them -- the cluster record (from any node), the
 * resources' commands, every node's copy, and a restart of the online
 * services; a standalone install's record and running services. */
bool wp_app_config(const wp_app_env *env, const char *socket_path, const char *app,
                   const char *const *sets, size_t nsets, FILE *out, wp_err *err);

/* `wolfpack app migrate APP --group G` (migrate.c): the article's
 * workaround, resumable; back: --rollback.  With create, the group is made
 * first (an IP Address, a Network Name, a Physical Disk) and brought online;
 * its values are checked (src/lib/model.h) before anything is created. */
typedef struct wp_app_new_group {
    const char *name, *ip, *hostname, *device, *mountpoint;
    const char *fstype;        /* NULL: ext4 */
    const char *mount_options; /* NULL: the disk's property stays unset */
} wp_app_new_group;
bool wp_app_migrate(wp_app_cluster *c, const char *app, const char *group,
                    const wp_app_new_group *create, bool back, wp_err *err);

/* Run node task id on this node and report app.task.done (tasks.c). */
bool wp_app_task_run(wp_app_cluster *c, const char *id, wp_err *err);
/* The node-task entry point's whole work (wolfpack-task, src/task/main.c,
 * and the older `wolfpack app task-run ID`): connect to the wolfpackd at
 * socket_path (NULL: the default), run task id, "OK: node task ID done"
 * on out. */
bool wp_app_task_run_id(const char *socket_path, const char *id, FILE *out, wp_err *err);

/* Submit a node task for every other node of the cluster and wait (bounded:
 * $WOLFPACK_APP_TASK_TIMEOUT seconds, default 120) for those that are up. */
bool wp_app_tasks_everywhere(wp_app_cluster *c, const char *app, const char *kind, json_t *args,
                             wp_err *err);

/* One node task on node, waited for (bounded); true when it succeeded. */
bool wp_app_task_on(wp_app_cluster *c, const char *node, const char *app, const char *kind,
                    const json_t *args, wp_err *err);
/* One node task on node, waited for at most limit_s seconds: its final
 * record ({id, node, kind, state "ok"|"failed", error, output?}, caller
 * owns), or NULL with err (not submitted, or no answer in time). */
json_t *wp_app_task_output(wp_app_cluster *c, const char *node, const char *app, const char *kind,
                           const json_t *args, long limit_s, wp_err *err);
/* The same, waited for at most limit_s seconds. */
bool wp_app_task_on_for(wp_app_cluster *c, const char *node, const char *app, const char *kind,
                        const json_t *args, long limit_s, wp_err *err);

#endif
