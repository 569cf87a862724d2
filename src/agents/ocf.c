/*
 * ocf.c -- the "OCF" agent: a bridge to any OCF resource agent (the Linux HA
 * standard; Debian's resource-agents package ships ~100 of them).
 *
 * The resource's `agent` property names ocf:PROVIDER:TYPE (or PROVIDER:TYPE);
 * every other property becomes OCF_RESKEY_<name>.  Each op execs
 * /usr/lib/ocf/resource.d/PROVIDER/TYPE ACTION without a shell, with only
 * PATH and the OCF variables in its environment:
 *
 *   validate  the agent's meta-data (parsed with libxml2) must know every
 *             parameter given and get every required one; then validate-all
 *             if the agent advertises it
 *   start / stop                 start / stop
 *   quick                        monitor, OCF_CHECK_LEVEL=0
 *   thorough                     monitor, OCF_CHECK_LEVEL = the deepest
 *                                depth the meta-data advertises (10, 20), or 0
 *
 * Timeout: the caller's (the resource's pending_timeout); when the caller
 * gives 0, the agent's advertised timeout for that action (meta-data), and
 * the op child moves the parent's deadline to it.  OCF_RESKEY_CRM_meta_timeout
 * carries it in milliseconds.  Exit codes map as wp_ocf_map_status says
 * (docs/AGENTS.md has the table).
 */
#include "agent.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "../lib/json.h"

#define WP_OCF_ROOT "/usr/lib/ocf"
#define WP_OCF_RSCTMP "/run/resource-agents" /* the agents' default HA_RSCTMP */
#define WP_OCF_META_MAX (1 << 20)
#define WP_OCF_META_TIMEOUT_MS 10000L /* used only to tell the agent */

/* ---- Pure parts ---------------------------------------------------------- */

const char *wp_ocf_code_name(int code)
{
    switch (code) {
    case 0:
        return "OCF_SUCCESS";
    case 1:
        return "OCF_ERR_GENERIC";
    case 2:
        return "OCF_ERR_ARGS";
    case 3:
        return "OCF_ERR_UNIMPLEMENTED";
    case 4:
        return "OCF_ERR_PERM";
    case 5:
        return "OCF_ERR_INSTALLED";
    case 6:
        return "OCF_ERR_CONFIGURED";
    case 7:
        return "OCF_NOT_RUNNING";
    case 8:
        return "OCF_RUNNING_PROMOTED";
    case 9:
        return "OCF_FAILED_PROMOTED";
    case 190:
        return "OCF_DEGRADED";
    case 191:
        return "OCF_DEGRADED_PROMOTED";
    }
    return "unknown";
}

static const char *code_meaning(int code)
{
    switch (code) {
    case 1:
        return "the agent hit an error it did not classify";
    case 2:
        return "the agent was called with bad arguments";
    case 3:
        return "the agent does not implement this action";
    case 4:
        return "the agent lacks a permission it needs";
    case 5:
        return "something the agent needs is not installed on this node";
    case 6:
        return "the resource's parameters are wrong (on every node)";
    case 8:
    case 9:
    case 191:
        return "the agent reports a promoted (master) state; wolfpack runs OCF resources as "
               "plain, unpromoted ones and does not support promotable clones";
    }
    return "the OCF standard does not define this exit code";
}

wp_agent_rc wp_ocf_map_status(int status, wp_agent_op op, const char *agent, wp_err *err)
{
    const char *action = op == WP_OP_VALIDATE ? "validate-all"
                         : op == WP_OP_START  ? "start"
                         : op == WP_OP_STOP   ? "stop"
                                              : "monitor";
    if (status == 0 || status == 190)
        return WP_AGENT_OK;
    if (status == 7 && op == WP_OP_STOP)
        return WP_AGENT_OK; /* stopped is what stop wants */
    if (status == 7 && (op == WP_OP_QUICK_CHECK || op == WP_OP_THOROUGH_CHECK)) {
        wp_errf(err, WP_E_NOTFOUND, "%s monitor: not running (OCF_NOT_RUNNING)", agent);
        wp_err_why(err, "the agent says the resource is cleanly stopped");
        wp_err_todo(err, "start the resource");
        return WP_AGENT_NOT_RUNNING;
    }
    wp_errf(err, status == 6 || status == 2 ? WP_E_INVALID : WP_E_IO,
            "%s %s failed with exit code %d (%s)", agent, action, status, wp_ocf_code_name(status));
    if (status == 7)
        wp_err_why(err, "the agent says the resource is not running after %s", action);
    else
        wp_err_why(err, "%s", code_meaning(status));
    wp_err_todo(err, "%s",
                status == 5   ? "install what the agent needs (see the agent log)"
                : status == 6 ? "correct the resource's parameters"
                              : "read the agent's messages in the agent log");
    return WP_AGENT_FAILED;
}

/* "20s", "20", "100ms", "2m", "1h" -> milliseconds; 0 if unreadable. */
static long parse_timeout_ms(const char *t)
{
    char *end;
    double v = t ? strtod(t, &end) : 0;
    if (!t || end == t || v < 0)
        return 0;
    while (*end == ' ')
        end++;
    if (strcmp(end, "ms") == 0)
        return (long)v;
    if (*end == '\0' || strcmp(end, "s") == 0 || strcmp(end, "sec") == 0)
        return (long)(v * 1000);
    if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        return (long)(v * 60000);
    if (strcmp(end, "h") == 0 || strcmp(end, "hr") == 0)
        return (long)(v * 3600000);
    return 0;
}

static bool attr_true(const char *v)
{
    return v && (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0);
}

static void meta_param(wp_ocf_meta *m, xmlNode *n)
{
    xmlChar *name = xmlGetProp(n, BAD_CAST "name");
    xmlChar *req = xmlGetProp(n, BAD_CAST "required");
    if (name && m->nparams < WP_OCF_MAX_PARAMS) {
        snprintf(m->params[m->nparams].name, sizeof m->params[0].name, "%s", (char *)name);
        m->params[m->nparams].required = attr_true((char *)req);
        m->nparams++;
    }
    xmlFree(name);
    xmlFree(req);
}

static void meta_action(wp_ocf_meta *m, xmlNode *n)
{
    xmlChar *name = xmlGetProp(n, BAD_CAST "name");
    xmlChar *timeout = xmlGetProp(n, BAD_CAST "timeout");
    xmlChar *depth = xmlGetProp(n, BAD_CAST "depth");
    const char *a = (const char *)name;
    long ms = parse_timeout_ms((const char *)timeout);
    int d = depth ? atoi((const char *)depth) : 0;
    if (!a) {
    } else if (strcmp(a, "start") == 0) {
        m->timeout_ms[WP_OP_START] = ms;
    } else if (strcmp(a, "stop") == 0) {
        m->timeout_ms[WP_OP_STOP] = ms;
    } else if (strcmp(a, "validate-all") == 0) {
        m->has_validate = true;
        m->timeout_ms[WP_OP_VALIDATE] = ms;
    } else if (strcmp(a, "monitor") == 0) {
        if (d <= 0 && !m->timeout_ms[WP_OP_QUICK_CHECK])
            m->timeout_ms[WP_OP_QUICK_CHECK] = ms;
        if (d >= m->deep_check_level) {
            m->deep_check_level = d;
            m->timeout_ms[WP_OP_THOROUGH_CHECK] = ms;
        }
    }
    xmlFree(name);
    xmlFree(timeout);
    xmlFree(depth);
}

bool wp_ocf_meta_parse(const char *xml, size_t len, wp_ocf_meta *meta, wp_err *err)
{
    memset(meta, 0, sizeof *meta);
    xmlDoc *doc = xml && len < WP_OCF_META_MAX
                      ? xmlReadMemory(xml, (int)len, "meta-data.xml", NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
                      : NULL;
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root || xmlStrcmp(root->name, BAD_CAST "resource-agent") != 0) {
        const xmlError *e = xmlGetLastError();
        wp_errf(err, WP_E_CORRUPT, "the agent's meta-data is not usable");
        wp_err_why(err, "%s",
                   !doc ? (e && e->message ? e->message : "it is not well-formed XML")
                        : "its root element is not <resource-agent>");
        wp_err_todo(err, "run the agent with the meta-data action by hand; reinstall it");
        xmlFreeDoc(doc);
        return false;
    }
    for (xmlNode *sec = root->children; sec; sec = sec->next) {
        if (sec->type != XML_ELEMENT_NODE)
            continue;
        bool params = xmlStrcmp(sec->name, BAD_CAST "parameters") == 0;
        bool actions = xmlStrcmp(sec->name, BAD_CAST "actions") == 0;
        for (xmlNode *n = sec->children; n && (params || actions); n = n->next) {
            if (n->type != XML_ELEMENT_NODE)
                continue;
            if (params && xmlStrcmp(n->name, BAD_CAST "parameter") == 0)
                meta_param(meta, n);
            else if (actions && xmlStrcmp(n->name, BAD_CAST "action") == 0)
                meta_action(meta, n);
        }
    }
    xmlFreeDoc(doc);
    return true;
}

static bool ocf_name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= 64 || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
            return false;
    return true;
}

bool wp_ocf_agent_parse(const char *agent, char provider[64], char type[64], wp_err *err)
{
    const char *s = agent ? agent : "";
    if (strncasecmp(s, "ocf:", 4) == 0)
        s += 4;
    const char *colon = strchr(s, ':');
    if (colon && ocf_name_ok(s, (size_t)(colon - s)) && ocf_name_ok(colon + 1, strlen(colon + 1))) {
        snprintf(provider, 64, "%.*s", (int)(colon - s), s);
        snprintf(type, 64, "%s", colon + 1);
        return true;
    }
    wp_errf(err, WP_E_INVALID, "\"%s\" is not an OCF agent name", agent ? agent : "");
    wp_err_why(err, "an OCF agent is named ocf:PROVIDER:TYPE, each part of letters, digits, "
                    "_ . - and not starting with a dot");
    wp_err_todo(err, "use a name like ocf:heartbeat:IPaddr2 (see /usr/lib/ocf/resource.d)");
    return false;
}

/* ---- The environment ------------------------------------------------------ */

typedef struct envb {
    char **v;
    size_t n, cap;
    bool oom;
} envb;

static void env_add(envb *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void env_add(envb *e, const char *fmt, ...)
{
    if (e->oom)
        return;
    if (e->n + 2 > e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 32;
        char **v = realloc(e->v, cap * sizeof *v);
        if (!v) {
            e->oom = true;
            return;
        }
        e->v = v;
        e->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&e->v[e->n], fmt, ap);
    va_end(ap);
    if (r < 0) {
        e->oom = true;
        return;
    }
    e->v[++e->n] = NULL;
}

char **wp_ocf_env_build(const wp_agent_ctx *ctx, const char *provider, const char *type,
                        long timeout_ms, int check_level, wp_err *err)
{
    envb e = {0};
    for (char *const *p = wp_agent_base_env; *p; p++)
        env_add(&e, "%s", *p);
    env_add(&e, "OCF_ROOT=%s", WP_OCF_ROOT);
    env_add(&e, "OCF_RA_VERSION_MAJOR=1");
    env_add(&e, "OCF_RA_VERSION_MINOR=1");
    env_add(&e, "OCF_RESOURCE_INSTANCE=%s", ctx->name ? ctx->name : "");
    env_add(&e, "OCF_RESOURCE_TYPE=%s", type);
    env_add(&e, "OCF_RESOURCE_PROVIDER=%s", provider);
    env_add(&e, "OCF_RESKEY_CRM_meta_timeout=%ld", timeout_ms);
    if (check_level >= 0)
        env_add(&e, "OCF_CHECK_LEVEL=%d", check_level);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)ctx->props, key, value)
    {
        if (strcmp(key, "agent") != 0 && json_is_string(value))
            env_add(&e, "OCF_RESKEY_%s=%s", key, json_string_value(value));
    }
    if (e.oom || !e.v) {
        wp_agent_env_free(e.v);
        wp_errf(err, WP_E_IO, "cannot build the OCF agent's environment");
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "check the memory of this node");
        return NULL;
    }
    return e.v;
}

/* ---- Running the agent ---------------------------------------------------- */

typedef struct ocfa {
    char provider[64], type[64];
    char path[256];
    char label[140]; /* "ocf:heartbeat:Dummy" */
} ocfa;

static bool ocfa_resolve(const wp_agent_ctx *ctx, ocfa *a, wp_err *err)
{
    const char *agent = wp_json_str(ctx->props, "agent");
    if (!wp_ocf_agent_parse(agent, a->provider, a->type, err))
        return false;
    snprintf(a->path, sizeof a->path, "%s/resource.d/%s/%s", WP_OCF_ROOT, a->provider, a->type);
    snprintf(a->label, sizeof a->label, "ocf:%s:%s", a->provider, a->type);
    if (access(a->path, X_OK) != 0) {
        wp_errf(err, WP_E_NOTFOUND, "OCF agent %s is not installed on this node", a->label);
        wp_err_why(err, "%s: %s", a->path, strerror(errno));
        wp_err_todo(err, "install it (Debian: apt-get install resource-agents) or correct the "
                         "agent property");
        return false;
    }
    return true;
}

/* Run the agent's meta-data action and read its stdout. */
static bool read_meta(const wp_agent_ctx *ctx, const ocfa *a, wp_ocf_meta *meta, wp_err *err)
{
    char **env = wp_ocf_env_build(ctx, a->provider, a->type, WP_OCF_META_TIMEOUT_MS, -1, err);
    int p[2];
    if (!env || pipe2(p, O_CLOEXEC) != 0) {
        if (env)
            wp_errf(err, WP_E_IO, "cannot read the meta-data of %s: pipe: %s", a->label,
                    strerror(errno));
        wp_agent_env_free(env);
        return false;
    }
    char *argv[] = {(char *)a->path, "meta-data", NULL};
    pid_t pid = fork();
    if (pid == 0)
        wp_agent_exec_child(argv, env, p[1], ctx->log_fd);
    close(p[1]);
    wp_agent_env_free(env);
    size_t len = 0, cap = 65536;
    char *buf = pid > 0 ? malloc(cap) : NULL;
    for (ssize_t n = 1; buf && n > 0 && len < WP_OCF_META_MAX;) {
        if (len + 1 >= cap) {
            char *b = realloc(buf, cap * 2);
            if (!b)
                break;
            buf = b;
            cap *= 2;
        }
        n = read(p[0], buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            n = 1;
        else if (n > 0)
            len += (size_t)n;
    }
    close(p[0]);
    int status = 0;
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    bool ok = buf && pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok) {
        ok = wp_ocf_meta_parse(buf, len, meta, err);
    } else {
        char how[96] = "could not be run";
        if (pid > 0)
            wp_agent_status_text(status, how, sizeof how);
        wp_errf(err, WP_E_IO, "cannot read the meta-data of %s", a->label);
        wp_err_why(err, "`%s meta-data` %s", a->path, how);
        wp_err_todo(err, "run it by hand to see why; reinstall the agent");
    }
    free(buf);
    return ok;
}

static const char *action_name(wp_agent_op op)
{
    switch (op) {
    case WP_OP_VALIDATE:
        return "validate-all";
    case WP_OP_START:
        return "start";
    case WP_OP_STOP:
        return "stop";
    default:
        return "monitor";
    }
}

/* The agents keep their state in HA_RSCTMP (/run/resource-agents), which
 * they expect to exist (a tmpfiles.d entry makes it at boot where systemd
 * runs).  Make it when it is missing, as that entry would. */
static bool ensure_rsctmp(wp_err *err)
{
    if (mkdir(WP_OCF_RSCTMP, 01755) == 0 || errno == EEXIST)
        return true;
    wp_errf(err, WP_E_IO, "cannot create %s for the OCF agents' state", WP_OCF_RSCTMP);
    wp_err_why(err, "%s", strerror(errno));
    wp_err_todo(err, "create it (mode 1755, owned by root)");
    return false;
}

/* Resolve, read meta-data, run one action, map its status. */
static wp_agent_rc ocf_action(const wp_agent_ctx *ctx, wp_agent_op op, wp_err *err)
{
    ocfa a;
    wp_ocf_meta meta;
    if (!ocfa_resolve(ctx, &a, err) || !ensure_rsctmp(err) || !read_meta(ctx, &a, &meta, err))
        return WP_AGENT_FAILED;
    long timeout = ctx->timeout_ms;
    if (timeout <= 0 && meta.timeout_ms[op] > 0) {
        timeout = meta.timeout_ms[op];
        wp_agent_child_set_deadline(ctx, timeout + 1000); /* + exec and meta-data time */
    } else if (timeout <= 0) {
        timeout = WP_AGENT_DEFAULT_TIMEOUT_MS;
    }
    int level = op == WP_OP_QUICK_CHECK      ? 0
                : op == WP_OP_THOROUGH_CHECK ? meta.deep_check_level
                                             : -1;
    char **env = wp_ocf_env_build(ctx, a.provider, a.type, timeout, level, err);
    if (!env)
        return WP_AGENT_FAILED;
    char *argv[] = {a.path, (char *)action_name(op), NULL};
    int status;
    bool ran = wp_agent_exec(argv, env, ctx->log_fd, &status, err);
    wp_agent_env_free(env);
    if (!ran)
        return WP_AGENT_FAILED;
    if (!WIFEXITED(status)) {
        char how[96];
        wp_agent_status_text(status, how, sizeof how);
        wp_errf(err, WP_E_IO, "%s %s did not finish", a.label, action_name(op));
        wp_err_why(err, "the agent %s", how);
        wp_err_todo(err, "read the agent's messages in the agent log");
        return WP_AGENT_FAILED;
    }
    return wp_ocf_map_status(WEXITSTATUS(status), op, a.label, err);
}

static wp_agent_rc ocf_validate(const wp_agent_ctx *ctx, wp_err *err)
{
    ocfa a;
    wp_ocf_meta meta;
    if (!ocfa_resolve(ctx, &a, err) || !read_meta(ctx, &a, &meta, err))
        return WP_AGENT_FAILED;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)ctx->props, key, value)
    {
        bool known = strcmp(key, "agent") == 0;
        for (size_t i = 0; i < meta.nparams && !known; i++)
            known = strcmp(meta.params[i].name, key) == 0;
        if (!known) {
            char names[512] = "";
            for (size_t i = 0; i < meta.nparams; i++) {
                size_t u = strlen(names);
                snprintf(names + u, sizeof names - u, "%s%s", i ? " " : "", meta.params[i].name);
            }
            wp_errf(err, WP_E_INVALID, "%s has no parameter \"%s\"", a.label, key);
            wp_err_why(err, "its meta-data lists: %s", meta.nparams ? names : "(none)");
            wp_err_todo(err, "remove or rename the property (see `%s meta-data`)", a.path);
            return WP_AGENT_FAILED;
        }
    }
    for (size_t i = 0; i < meta.nparams; i++) {
        if (meta.params[i].required && !json_object_get(ctx->props, meta.params[i].name)) {
            wp_errf(err, WP_E_INVALID, "%s needs the parameter \"%s\"", a.label,
                    meta.params[i].name);
            wp_err_why(err, "its meta-data marks it required");
            wp_err_todo(err, "set it with --prop %s=VALUE", meta.params[i].name);
            return WP_AGENT_FAILED;
        }
    }
    return meta.has_validate ? ocf_action(ctx, WP_OP_VALIDATE, err) : WP_AGENT_OK;
}

static wp_agent_rc ocf_start(const wp_agent_ctx *ctx, wp_err *err)
{
    return ocf_action(ctx, WP_OP_START, err);
}

static wp_agent_rc ocf_stop(const wp_agent_ctx *ctx, wp_err *err)
{
    return ocf_action(ctx, WP_OP_STOP, err);
}

static wp_agent_rc ocf_quick(const wp_agent_ctx *ctx, wp_err *err)
{
    return ocf_action(ctx, WP_OP_QUICK_CHECK, err);
}

static wp_agent_rc ocf_thorough(const wp_agent_ctx *ctx, wp_err *err)
{
    return ocf_action(ctx, WP_OP_THOROUGH_CHECK, err);
}

const wp_agent_type wp_agent_ocf = {
    .name = "OCF",
    .ops =
        {
            [WP_OP_VALIDATE] = ocf_validate,
            [WP_OP_START] = ocf_start,
            [WP_OP_STOP] = ocf_stop,
            [WP_OP_QUICK_CHECK] = ocf_quick,
            [WP_OP_THOROUGH_CHECK] = ocf_thorough,
        },
};
