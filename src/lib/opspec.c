/*
 * opspec.c -- the one table of ops and argument shapes (see opspec.h), and
 * the check of an args object against it.  src/lib/proto.c (the client
 * gate) and src/db/apply.c (the database) both use it; the args of each
 * command are described in words in src/db/db.h and docs/APP.md.
 */
#include "opspec.h"

#include <stdio.h>
#include <string.h>

static const wp_arg_spec args_none[] = {{NULL, 0, 0}};
static const wp_arg_spec args_name[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED}, {NULL, 0, 0}};
static const wp_arg_spec args_maintenance[] = {{"on", WP_ARG_BOOL, WP_ARG_REQUIRED}, {NULL, 0, 0}};
static const wp_arg_spec args_id[] = {{"id", WP_ARG_STRING, WP_ARG_REQUIRED}, {NULL, 0, 0}};
static const wp_arg_spec args_resource_list[] = {{"group", WP_ARG_STRING, WP_ARG_OPTIONAL},
                                                 {NULL, 0, 0}};
static const wp_arg_spec args_node[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                        {"address", WP_ARG_STRING, WP_ARG_REQUIRED},
                                        {"id", WP_ARG_INTEGER, WP_ARG_REQUIRED},
                                        {NULL, 0, 0}};
/* node.add: without an id, wolfpackd picks the next free one (nodeconf.c). */
static const wp_arg_spec args_node_add[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                            {"address", WP_ARG_STRING, WP_ARG_REQUIRED},
                                            {"id", WP_ARG_INTEGER, WP_ARG_FILLED},
                                            {NULL, 0, 0}};
static const wp_arg_spec args_node_remove[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                               {"force", WP_ARG_BOOL, WP_ARG_OPTIONAL},
                                               {NULL, 0, 0}};
static const wp_arg_spec args_cluster_create[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                                  {"nodes", WP_ARG_ARR_NODES, WP_ARG_OPTIONAL},
                                                  {"ip", WP_ARG_STRING, WP_ARG_OPTIONAL},
                                                  {NULL, 0, 0}};
static const wp_arg_spec args_group_create[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                                {"policy", WP_ARG_OBJ_STR_NUL, WP_ARG_OPTIONAL},
                                                {NULL, 0, 0}};
static const wp_arg_spec args_group_set[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                             {"policy", WP_ARG_OBJ_STR_NUL, WP_ARG_REQUIRED},
                                             {NULL, 0, 0}};
/* policy may hold null (= the default), as for group.create: the handler
 * merges it over the defaults like resource.set does (db_policy_merge). */
static const wp_arg_spec args_resource_create[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                                   {"group", WP_ARG_STRING, WP_ARG_REQUIRED},
                                                   {"type", WP_ARG_STRING, WP_ARG_REQUIRED},
                                                   {"props", WP_ARG_OBJ_STR, WP_ARG_OPTIONAL},
                                                   {"policy", WP_ARG_OBJ_STR_NUL, WP_ARG_OPTIONAL},
                                                   {"depends_on", WP_ARG_ARR_STR, WP_ARG_OPTIONAL},
                                                   {NULL, 0, 0}};
static const wp_arg_spec args_resource_set[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                                {"props", WP_ARG_OBJ_STR_NUL, WP_ARG_OPTIONAL},
                                                {"policy", WP_ARG_OBJ_STR_NUL, WP_ARG_OPTIONAL},
                                                {NULL, 0, 0}};
static const wp_arg_spec args_depend[] = {
    {"name", WP_ARG_STRING, WP_ARG_REQUIRED}, {"on", WP_ARG_STRING, WP_ARG_REQUIRED}, {NULL, 0, 0}};
static const wp_arg_spec args_move[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                        {"to", WP_ARG_STRING, WP_ARG_OPTIONAL},
                                        {"until", WP_ARG_INTEGER, WP_ARG_OPTIONAL},
                                        {NULL, 0, 0}};
static const wp_arg_spec args_ban[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                       {"node", WP_ARG_STRING, WP_ARG_REQUIRED},
                                       {"until", WP_ARG_INTEGER, WP_ARG_OPTIONAL},
                                       {NULL, 0, 0}};

/* wolfpackd's own commands (src/db/ops_runtime.c) */
static const wp_arg_spec args_report[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                          {"node", WP_ARG_STRING, WP_ARG_REQUIRED},
                                          {"state", WP_ARG_STRING, WP_ARG_REQUIRED},
                                          {"at", WP_ARG_INTEGER, WP_ARG_REQUIRED},
                                          {"error", WP_ARG_STRING, WP_ARG_OPTIONAL},
                                          {"stop", WP_ARG_BOOL, WP_ARG_OPTIONAL},
                                          {NULL, 0, 0}};
static const wp_arg_spec args_commit[] = {
    {"at", WP_ARG_INTEGER, WP_ARG_REQUIRED},        {"coordinator", WP_ARG_STRING, WP_ARG_REQUIRED},
    {"decisions", WP_ARG_ARR_OBJ, WP_ARG_REQUIRED}, {"actions", WP_ARG_ARR_OBJ, WP_ARG_OPTIONAL},
    {"offline", WP_ARG_ARR_STR, WP_ARG_OPTIONAL},   {NULL, 0, 0}};

/* Clustered applications (src/db/ops_app.c, docs/APP.md). */
static const wp_arg_spec args_app_register[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                                {"record", WP_ARG_OBJECT, WP_ARG_REQUIRED},
                                                {NULL, 0, 0}};
static const wp_arg_spec args_app_node[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                            {"node", WP_ARG_STRING, WP_ARG_REQUIRED},
                                            {"version", WP_ARG_STRING, WP_ARG_OPTIONAL},
                                            {NULL, 0, 0}};
static const wp_arg_spec args_app_task[] = {{"id", WP_ARG_STRING, WP_ARG_REQUIRED},
                                            {"node", WP_ARG_STRING, WP_ARG_REQUIRED},
                                            {"kind", WP_ARG_STRING, WP_ARG_REQUIRED},
                                            {"args", WP_ARG_OBJ_STR, WP_ARG_OPTIONAL},
                                            {NULL, 0, 0}};
static const wp_arg_spec args_app_task_done[] = {
    {"id", WP_ARG_STRING, WP_ARG_REQUIRED},     {"node", WP_ARG_STRING, WP_ARG_REQUIRED},
    {"result", WP_ARG_STRING, WP_ARG_REQUIRED}, {"error", WP_ARG_STRING, WP_ARG_OPTIONAL},
    {"output", WP_ARG_OBJECT, WP_ARG_OPTIONAL}, {NULL, 0, 0}};
static const wp_arg_spec args_app_op[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                          {"state", WP_ARG_OBJECT, WP_ARG_OPTIONAL},
                                          {NULL, 0, 0}};
static const wp_arg_spec args_app_lock[] = {{"holder", WP_ARG_STRING, WP_ARG_REQUIRED},
                                            {"op", WP_ARG_STRING, WP_ARG_REQUIRED},
                                            {"at", WP_ARG_INTEGER, WP_ARG_REQUIRED},
                                            {"force", WP_ARG_STRING, WP_ARG_OPTIONAL},
                                            {NULL, 0, 0}};
static const wp_arg_spec args_app_unlock[] = {{"holder", WP_ARG_STRING, WP_ARG_REQUIRED},
                                              {NULL, 0, 0}};

/* cluster.quorum: the votequorum options and the quorum device; wolfpackd
 * merges the request over the cluster's current options (nodeconf.c) and
 * submits all of them (the database keeps the whole set). */
static const wp_arg_spec args_cluster_quorum[] = {
    {"wait_for_all", WP_ARG_BOOL, WP_ARG_OPTIONAL},
    {"last_man_standing", WP_ARG_BOOL, WP_ARG_OPTIONAL},
    {"auto_tie_breaker", WP_ARG_BOOL, WP_ARG_OPTIONAL},
    {"qdevice_host", WP_ARG_STRING, WP_ARG_OPTIONAL},
    {"qdevice_algorithm", WP_ARG_STRING, WP_ARG_OPTIONAL},
    {"qdevice_tls", WP_ARG_STRING, WP_ARG_OPTIONAL},
    {"at_restart", WP_ARG_BOOL, WP_ARG_OPTIONAL},
    {"force", WP_ARG_BOOL, WP_ARG_OPTIONAL},
    {NULL, 0, 0}};

/* Fence devices (src/db/ops_fence.c, src/daemon/fencer.c, docs/FENCING.md). */
static const wp_arg_spec args_fence_create[] = {
    {"name", WP_ARG_STRING, WP_ARG_REQUIRED},     {"agent", WP_ARG_STRING, WP_ARG_REQUIRED},
    {"props", WP_ARG_OBJ_STR, WP_ARG_OPTIONAL},   {"nodes", WP_ARG_ARR_STR, WP_ARG_REQUIRED},
    {"plugs", WP_ARG_OBJ_STR, WP_ARG_OPTIONAL},   {"level", WP_ARG_INTEGER, WP_ARG_OPTIONAL},
    {"timeout", WP_ARG_INTEGER, WP_ARG_OPTIONAL}, {NULL, 0, 0}};
/* cluster.import: configuration commands in one transaction (src/db/apply.c) */
static const wp_arg_spec args_import[] = {{"commands", WP_ARG_ARR_OBJ, WP_ARG_REQUIRED},
                                          {NULL, 0, 0}};
/* Alert agents (src/db/ops_alert.c, src/daemon/alerts.c). */
static const wp_arg_spec args_alert_create[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                                {"path", WP_ARG_STRING, WP_ARG_REQUIRED},
                                                {"timeout", WP_ARG_INTEGER, WP_ARG_OPTIONAL},
                                                {"recipient", WP_ARG_STRING, WP_ARG_OPTIONAL},
                                                {NULL, 0, 0}};
static const wp_arg_spec args_node_fence[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                              {"action", WP_ARG_STRING, WP_ARG_OPTIONAL},
                                              {NULL, 0, 0}};

static const wp_arg_spec args_node_fencing[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                                {"state", WP_ARG_STRING, WP_ARG_REQUIRED},
                                                {"at", WP_ARG_INTEGER, WP_ARG_REQUIRED},
                                                {"error", WP_ARG_STRING, WP_ARG_OPTIONAL},
                                                {NULL, 0, 0}};
static const wp_arg_spec args_node_down[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                             {"how", WP_ARG_STRING, WP_ARG_REQUIRED},
                                             {"at", WP_ARG_INTEGER, WP_ARG_REQUIRED},
                                             {"detail", WP_ARG_STRING, WP_ARG_OPTIONAL},
                                             {NULL, 0, 0}};
/* node.watchdog: a node's wolfpackd announces its self-fence time (0: none) */
/* node.poison: the poison pill (`node fence NODE --watchdog`);
 * node.unpoison: the node, back, clears a pill of an earlier life */
static const wp_arg_spec args_node_poison[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                               {NULL, 0, 0}};
static const wp_arg_spec args_node_watchdog[] = {{"name", WP_ARG_STRING, WP_ARG_REQUIRED},
                                                 {"timeout", WP_ARG_INTEGER, WP_ARG_REQUIRED},
                                                 {NULL, 0, 0}};
/* node.confirm-down: wolfpackd fills in `at` (handlers.c) */
static const wp_arg_spec args_confirm_down[] = {
    {"name", WP_ARG_STRING, WP_ARG_REQUIRED}, {"at", WP_ARG_INTEGER, WP_ARG_FILLED}, {NULL, 0, 0}};

/* fence.record: a fence run by hand (node.fence, fence.test) for the history */
static const wp_arg_spec args_fence_record[] = {
    {"op", WP_ARG_STRING, WP_ARG_REQUIRED},     {"name", WP_ARG_STRING, WP_ARG_REQUIRED},
    {"action", WP_ARG_STRING, WP_ARG_OPTIONAL}, {"ok", WP_ARG_BOOL, WP_ARG_REQUIRED},
    {"result", WP_ARG_STRING, WP_ARG_OPTIONAL}, {NULL, 0, 0}};

/* The order is the one the client gate lists in its unknown-op error. */
static const wp_op_spec op_table[] = {
    {"status", WP_OP_QUERY, args_none},
    {"whoami", WP_OP_QUERY, args_none},
    {"history", WP_OP_QUERY, args_none},
    {"metrics", WP_OP_QUERY, args_none},
    {"cluster.show", WP_OP_QUERY, args_none},
    {"node.list", WP_OP_QUERY, args_none},
    {"node.show", WP_OP_QUERY, args_name},
    {"group.list", WP_OP_QUERY, args_none},
    {"group.show", WP_OP_QUERY, args_name},
    {"resource.list", WP_OP_QUERY, args_resource_list},
    {"resource.show", WP_OP_QUERY, args_name},
    {"watch", WP_OP_QUERY, args_none},
    {"cluster.create", WP_OP_COMMAND, args_cluster_create},
    {"node.add", WP_OP_COMMAND, args_node_add},
    {"node.remove", WP_OP_COMMAND, args_node_remove},
    {"group.create", WP_OP_COMMAND, args_group_create},
    {"group.delete", WP_OP_COMMAND, args_name},
    {"group.set", WP_OP_COMMAND, args_group_set},
    {"resource.create", WP_OP_COMMAND, args_resource_create},
    {"resource.delete", WP_OP_COMMAND, args_name},
    {"resource.set", WP_OP_COMMAND, args_resource_set},
    {"resource.depend", WP_OP_COMMAND, args_depend},
    {"resource.undepend", WP_OP_COMMAND, args_depend},
    {"node.pause", WP_OP_COMMAND, args_name},
    {"node.resume", WP_OP_COMMAND, args_name},
    {"node.drain", WP_OP_COMMAND, args_name},
    {"group.online", WP_OP_COMMAND, args_name},
    {"group.offline", WP_OP_COMMAND, args_name},
    {"group.move", WP_OP_COMMAND, args_move},
    {"group.ban", WP_OP_COMMAND, args_ban},
    {"group.clear", WP_OP_COMMAND, args_name},
    {"resource.online", WP_OP_COMMAND, args_name},
    {"resource.offline", WP_OP_COMMAND, args_name},
    {"resource.fail", WP_OP_COMMAND, args_name},
    {"resource.cleanup", WP_OP_COMMAND, args_name},
    {"group.cleanup", WP_OP_COMMAND, args_name},
    {"cluster.maintenance", WP_OP_COMMAND, args_maintenance},
    {"cluster.fencing", WP_OP_COMMAND, args_maintenance},
    {"cluster.quorum", WP_OP_COMMAND, args_cluster_quorum},
    {"app.list", WP_OP_QUERY, args_none},
    {"app.show", WP_OP_QUERY, args_name},
    {"app.task.show", WP_OP_QUERY, args_id},
    {"app.op.show", WP_OP_QUERY, args_name},
    {"app.lock.show", WP_OP_QUERY, args_none},
    {"app.register", WP_OP_COMMAND, args_app_register},
    {"app.unregister", WP_OP_COMMAND, args_name},
    {"app.node", WP_OP_COMMAND, args_app_node},
    {"app.task", WP_OP_COMMAND, args_app_task},
    {"app.task.done", WP_OP_COMMAND, args_app_task_done},
    {"app.task.forget", WP_OP_COMMAND, args_id},
    {"app.op", WP_OP_COMMAND, args_app_op},
    {"app.lock", WP_OP_COMMAND, args_app_lock},
    {"app.unlock", WP_OP_COMMAND, args_app_unlock},
    {"fence.list", WP_OP_QUERY, args_none},
    {"fence.show", WP_OP_QUERY, args_name},
    /* run agents on the node that takes the request (src/daemon/fencer.c);
     * they change no database row, so they are not commands */
    {"fence.test", WP_OP_QUERY, args_name},
    {"node.fence", WP_OP_QUERY, args_node_fence},
    {"fence.create", WP_OP_COMMAND, args_fence_create},
    {"fence.delete", WP_OP_COMMAND, args_name},
    {"alert.list", WP_OP_QUERY, args_none},
    {"cluster.import", WP_OP_COMMAND, args_import},
    {"alert.create", WP_OP_COMMAND, args_alert_create},
    {"alert.delete", WP_OP_COMMAND, args_name},
    {"node.confirm-down", WP_OP_COMMAND, args_confirm_down},
    {"resource.report", WP_OP_INTERNAL, args_report},
    {"sched.commit", WP_OP_INTERNAL, args_commit},
    {"node.fencing", WP_OP_INTERNAL, args_node_fencing},
    {"node.down", WP_OP_INTERNAL, args_node_down},
    {"node.rejoined", WP_OP_INTERNAL, args_name},
    {"node.watchdog", WP_OP_INTERNAL, args_node_watchdog},
    {"fence.record", WP_OP_INTERNAL, args_fence_record},
    {"node.poison", WP_OP_COMMAND, args_node_poison},
    {"node.unpoison", WP_OP_INTERNAL, args_node_poison},
};

const wp_op_spec *wp_opspec_table(size_t *count)
{
    *count = sizeof op_table / sizeof op_table[0];
    return op_table;
}

const wp_op_spec *wp_opspec_find(const char *op)
{
    for (size_t i = 0; op && i < sizeof op_table / sizeof op_table[0]; i++)
        if (strcmp(op_table[i].op, op) == 0)
            return &op_table[i];
    return NULL;
}

/* ---- shape checks ----------------------------------------------------- */

const char *wp_opspec_shape_text(wp_arg_shape shape)
{
    switch (shape) {
    case WP_ARG_STRING:
        return "a string";
    case WP_ARG_INTEGER:
        return "an integer";
    case WP_ARG_BOOL:
        return "true or false";
    case WP_ARG_OBJ_STR:
        return "an object of string values";
    case WP_ARG_OBJ_STR_NUL:
        return "an object of string (or null) values";
    case WP_ARG_ARR_STR:
        return "an array of strings";
    case WP_ARG_ARR_NODES:
        return "an array of node objects {name, address, id}";
    case WP_ARG_ARR_OBJ:
        return "an array of objects";
    case WP_ARG_OBJECT:
        return "an object";
    }
    return "?";
}

static bool obj_of_strings(const json_t *v, bool null_ok)
{
    const char *k;
    json_t *item;
    if (!json_is_object(v))
        return false;
    json_object_foreach((json_t *)v, k, item)
    {
        if (!json_is_string(item) && !(null_ok && json_is_null(item)))
            return false;
    }
    return true;
}

static bool array_of(const json_t *v, int (*is)(const json_t *))
{
    json_t *item;
    size_t i;
    if (!json_is_array(v))
        return false;
    json_array_foreach(v, i, item)
    {
        if (!is(item))
            return false;
    }
    return true;
}

static int is_string(const json_t *v)
{
    return json_is_string(v);
}

static int is_object(const json_t *v)
{
    return json_is_object(v);
}

/* Each node object is checked as args of its own, so a fault names it:
 * "cluster.create nodes[0]: missing argument "id"".  The outer caller
 * reports a plain wrong type when err stays WP_OK. */
static bool nodes_ok(const char *where, const json_t *v, wp_err *err)
{
    json_t *item;
    size_t i;
    if (!array_of(v, is_object))
        return false;
    json_array_foreach(v, i, item)
    {
        char sub[128];
        snprintf(sub, sizeof sub, "%.100s[%zu]", where, i);
        if (!wp_opspec_check_args(sub, item, args_node, WP_SIDE_COMMAND, err))
            return false;
    }
    return true;
}

static bool shape_ok(const char *where, const json_t *v, wp_arg_shape shape, wp_err *err)
{
    switch (shape) {
    case WP_ARG_OBJECT:
        return json_is_object(v);
    case WP_ARG_STRING:
        return json_is_string(v);
    case WP_ARG_INTEGER:
        return json_is_integer(v);
    case WP_ARG_BOOL:
        return json_is_boolean(v);
    case WP_ARG_OBJ_STR:
    case WP_ARG_OBJ_STR_NUL:
        return obj_of_strings(v, shape == WP_ARG_OBJ_STR_NUL);
    case WP_ARG_ARR_STR:
        return array_of(v, is_string);
    case WP_ARG_ARR_OBJ:
        return array_of(v, is_object);
    case WP_ARG_ARR_NODES:
        return nodes_ok(where, v, err);
    }
    return false;
}

static const wp_arg_spec *spec_find(const wp_arg_spec *specs, const char *key)
{
    for (; specs->key; specs++)
        if (strcmp(specs->key, key) == 0)
            return specs;
    return NULL;
}

bool wp_opspec_required(const wp_arg_spec *spec, wp_arg_side side)
{
    return spec->need == WP_ARG_REQUIRED ||
           (spec->need == WP_ARG_FILLED && side == WP_SIDE_COMMAND);
}

static void list_keys(const wp_arg_spec *specs, wp_arg_side side, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (; specs->key && used < size; specs++) {
        int n = snprintf(buf + used, size - used, "%s%s%s", used ? ", " : "", specs->key,
                         wp_opspec_required(specs, side) ? "" : "?");
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (!buf[0])
        snprintf(buf, size, "none");
}

static bool check_one(const char *where, const char *key, const json_t *v, const wp_arg_spec *specs,
                      const char *keys, wp_err *err)
{
    const wp_arg_spec *spec = spec_find(specs, key);
    if (!spec) {
        wp_errf(err, WP_E_INVALID, "%s: unknown argument \"%.64s\"", where, key);
        wp_err_why(err, "the arguments it takes are: %s (? = optional)", keys);
        wp_err_todo(err, "remove \"%.64s\" from the request", key);
        return false;
    }
    wp_err shape_err = {0};
    char path[160];
    snprintf(path, sizeof path, "%.60s %.64s", where, key);
    if (shape_ok(path, v, spec->shape, &shape_err))
        return true;
    if (shape_err.code != WP_OK) {
        if (err)
            *err = shape_err;
        return false;
    }
    const char *want = wp_opspec_shape_text(spec->shape);
    wp_errf(err, WP_E_INVALID, "%s: argument \"%s\" has the wrong type", where, key);
    wp_err_why(err, "\"%s\" must be %s", key, want);
    wp_err_todo(err, "send \"%s\" as %s", key, want);
    return false;
}

bool wp_opspec_check_args(const char *where, const json_t *args, const wp_arg_spec *specs,
                          wp_arg_side side, wp_err *err)
{
    const char *key;
    json_t *v;
    char keys[256];

    list_keys(specs, side, keys, sizeof keys);
    json_object_foreach((json_t *)args, key, v)
    {
        if (!check_one(where, key, v, specs, keys, err))
            return false;
    }
    for (; specs->key; specs++) {
        if (wp_opspec_required(specs, side) && !json_object_get(args, specs->key)) {
            wp_errf(err, WP_E_INVALID, "%s: missing argument \"%s\"", where, specs->key);
            wp_err_why(err, "\"%s\" is required (%s); the arguments are: %s", specs->key,
                       wp_opspec_shape_text(specs->shape), keys);
            wp_err_todo(err, "add \"%s\" to the request", specs->key);
            return false;
        }
    }
    return true;
}
