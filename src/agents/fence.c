/*
 * fence.c -- fence agents (fence.h): their metadata (libxml2), the check
 * of a device's properties against it, the key=value stdin, secrets, the
 * fence path, and one bounded run of an agent (fork + exec, no shell).
 * wolfpackd's fencer (src/daemon/fencer.c) and the unit tests use it.
 */
#include "fence.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/json.h"
#include "../lib/clock.h"

#define FENCE_PATH_DEFAULT "/usr/sbin:/sbin:/usr/local/sbin"
#define FENCE_VALUE_MAX 1024

/* ---- metadata ----------------------------------------------------------- */

static void copy_attr(xmlNode *node, const char *attr, char *out, size_t size)
{
    xmlChar *v = xmlGetProp(node, (const xmlChar *)attr);
    snprintf(out, size, "%s", v ? (const char *)v : "");
    xmlFree(v);
}

static bool attr_is_one(xmlNode *node, const char *attr)
{
    char buf[8];
    copy_attr(node, attr, buf, sizeof buf);
    return strcmp(buf, "1") == 0;
}

static bool is_elem(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

static bool push_str(char ***list, size_t *n, const char *s)
{
    char **grown = realloc(*list, (*n + 1) * sizeof **list);
    if (!grown)
        return false;
    *list = grown;
    if (!(grown[*n] = strdup(s)))
        return false;
    (*n)++;
    return true;
}

/* <content type="..."> and a select's <option value="..."/>s */
static bool parse_content(xmlNode *content, wp_fence_param *p)
{
    copy_attr(content, "type", p->type, sizeof p->type);
    for (xmlNode *o = content->children; o; o = o->next) {
        if (!is_elem(o, "option"))
            continue;
        char value[FENCE_VALUE_MAX];
        copy_attr(o, "value", value, sizeof value);
        if (!push_str(&p->choices, &p->n_choices, value))
            return false;
    }
    return true;
}

static bool parse_param(xmlNode *node, wp_fence_meta *meta)
{
    wp_fence_param *grown = realloc(meta->params, (meta->n_params + 1) * sizeof *grown);
    if (!grown)
        return false;
    meta->params = grown;
    wp_fence_param *p = &grown[meta->n_params++];
    memset(p, 0, sizeof *p);
    copy_attr(node, "name", p->name, sizeof p->name);
    copy_attr(node, "obsoletes", p->obsoletes, sizeof p->obsoletes);
    p->required = attr_is_one(node, "required");
    p->deprecated = attr_is_one(node, "deprecated");
    snprintf(p->type, sizeof p->type, "string");
    for (xmlNode *c = node->children; c; c = c->next)
        if (is_elem(c, "content") && !parse_content(c, p))
            return false;
    return true;
}

static bool parse_sections(xmlNode *root, wp_fence_meta *meta)
{
    for (xmlNode *s = root->children; s; s = s->next) {
        for (xmlNode *c = s->children; c && is_elem(s, "parameters"); c = c->next)
            if (is_elem(c, "parameter") && !parse_param(c, meta))
                return false;
        for (xmlNode *c = s->children; c && is_elem(s, "actions"); c = c->next) {
            if (!is_elem(c, "action"))
                continue;
            char name[WP_FENCE_NAME_MAX + 1];
            copy_attr(c, "name", name, sizeof name);
            if (name[0] && !push_str(&meta->actions, &meta->n_actions, name))
                return false;
        }
    }
    return true;
}

static bool not_metadata(wp_err *err, const char *why)
{
    wp_errf(err, WP_E_INVALID, "cannot read the fence agent's metadata");
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "check that the agent is a fence agent of the fence-agents kind: "
                     "AGENT -o metadata must print <resource-agent> XML");
    return false;
}

bool wp_fence_meta_parse(const char *xml, size_t len, wp_fence_meta *meta, wp_err *err)
{
    memset(meta, 0, sizeof *meta);
    if (!xml || len == 0 || len > (size_t)INT32_MAX)
        return not_metadata(err, "it printed nothing");
    xmlDoc *doc = xmlReadMemory(xml, (int)len, "metadata.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return not_metadata(err, "its output is not well-formed XML");
    xmlNode *root = xmlDocGetRootElement(doc);
    bool ok = root && is_elem(root, "resource-agent");
    if (!ok) {
        xmlFreeDoc(doc);
        return not_metadata(err, "the XML's root element is not <resource-agent>");
    }
    copy_attr(root, "name", meta->agent, sizeof meta->agent);
    ok = parse_sections(root, meta);
    xmlFreeDoc(doc);
    if (!ok) {
        wp_fence_meta_free(meta);
        wp_errf(err, WP_E_INTERNAL, "cannot read the fence agent's metadata");
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "free memory and retry");
        return false;
    }
    if (meta->n_params == 0 || meta->n_actions == 0) {
        wp_fence_meta_free(meta);
        return not_metadata(err, "it lists no <parameter> or no <action>");
    }
    return true;
}

void wp_fence_meta_free(wp_fence_meta *meta)
{
    for (size_t i = 0; i < meta->n_params; i++) {
        for (size_t j = 0; j < meta->params[i].n_choices; j++)
            free(meta->params[i].choices[j]);
        free(meta->params[i].choices);
    }
    free(meta->params);
    for (size_t i = 0; i < meta->n_actions; i++)
        free(meta->actions[i]);
    free(meta->actions);
    memset(meta, 0, sizeof *meta);
}

const wp_fence_param *wp_fence_meta_param(const wp_fence_meta *meta, const char *name)
{
    for (size_t i = 0; i < meta->n_params; i++)
        if (strcmp(meta->params[i].name, name) == 0)
            return &meta->params[i];
    return NULL;
}

bool wp_fence_meta_has_action(const wp_fence_meta *meta, const char *action)
{
    for (size_t i = 0; i < meta->n_actions; i++)
        if (strcmp(meta->actions[i], action) == 0)
            return true;
    return false;
}

bool wp_fence_meta_takes_plug(const wp_fence_meta *meta)
{
    return wp_fence_meta_param(meta, "plug") || wp_fence_meta_param(meta, "port");
}

/* ---- validation --------------------------------------------------------- */

/* Set by wolfpack for each run, never a device property. */
static bool reserved(const char *name)
{
    static const char *const names[] = {"action", "plug", "port", "nodename", "option"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* Is p given, under its name or an alias (what it obsoletes, or a newer
 * parameter that obsoletes it)? */
static bool given(const wp_fence_meta *meta, const wp_fence_param *p, const json_t *props)
{
    if (json_object_get(props, p->name))
        return true;
    if (p->obsoletes[0] && json_object_get(props, p->obsoletes))
        return true;
    for (size_t i = 0; i < meta->n_params; i++)
        if (strcmp(meta->params[i].obsoletes, p->name) == 0 &&
            json_object_get(props, meta->params[i].name))
            return true;
    return false;
}

static void list_params(const wp_fence_meta *meta, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < meta->n_params && used < size; i++) {
        const wp_fence_param *p = &meta->params[i];
        if (reserved(p->name) || p->deprecated)
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", p->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static bool value_of_type(const wp_fence_param *p, const char *v)
{
    if (strcmp(p->type, "boolean") == 0) {
        static const char *const ok[] = {"0", "1", "yes", "no", "on", "off", "true", "false"};
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
            if (strcasecmp(ok[i], v) == 0)
                return true;
        return false;
    }
    if (strcmp(p->type, "integer") == 0 || strcmp(p->type, "second") == 0) {
        const char *s = v + (v[0] == '-' && p->type[0] == 'i');
        bool dot = p->type[0] == 's'; /* seconds may be 0.5 */
        if (!*s)
            return false;
        for (; *s; s++) {
            if (*s == '.' && dot)
                dot = false;
            else if (!isdigit((unsigned char)*s))
                return false;
        }
        return true;
    }
    if (p->n_choices) {
        for (size_t i = 0; i < p->n_choices; i++)
            if (strcmp(p->choices[i], v) == 0)
                return true;
        return false;
    }
    return true;
}

static bool check_value(const wp_fence_meta *meta, const char *device, const wp_fence_param *p,
                        const char *v, wp_err *err)
{
    if (value_of_type(p, v))
        return true;
    char choices[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < p->n_choices && used < sizeof choices; i++) {
        int n =
            snprintf(choices + used, sizeof choices - used, "%s%s", i ? ", " : "", p->choices[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    wp_errf(err, WP_E_INVALID, "fence device %s: bad value for parameter '%s' of %s", device,
            p->name, meta->agent);
    if (p->n_choices)
        wp_err_why(err, "'%s' takes one of: %s", p->name, choices);
    else
        wp_err_why(err, "'%s' is of type %s in the agent's metadata", p->name, p->type);
    wp_err_todo(err, "give --prop %s=VALUE with a value of that kind", p->name);
    return false;
}

static bool check_known(const wp_fence_meta *meta, const char *device, const char *key,
                        const char *value, wp_err *err)
{
    if (reserved(key)) {
        wp_errf(err, WP_E_INVALID, "fence device %s: '%s' cannot be a property", device, key);
        wp_err_why(err, "wolfpack sets action and plug (port) itself for each run: the plug "
                        "of a node comes from --nodes NODE=PLUG (default: the node's name)");
        wp_err_todo(err, "remove --prop %s; name plugs in --nodes, e.g. --nodes n1=3,n2=4", key);
        return false;
    }
    const wp_fence_param *p = wp_fence_meta_param(meta, key);
    if (!p) {
        char known[1024];
        list_params(meta, known, sizeof known);
        wp_errf(err, WP_E_INVALID, "fence device %s: unknown parameter '%s' for %s", device, key,
                meta->agent);
        wp_err_why(err, "the agent's metadata (%s -o metadata) has no parameter '%s'; it takes: %s",
                   meta->agent, key, known);
        wp_err_todo(err, "remove --prop %s or correct its name", key);
        return false;
    }
    return check_value(meta, device, p, value, err);
}

bool wp_fence_validate(const wp_fence_meta *meta, const char *device, const json_t *props,
                       wp_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)props, key, v)
    {
        if (!json_is_string(v) || !wp_fence_prop_valid(key, json_string_value(v), err) ||
            !check_known(meta, device, key, json_string_value(v), err))
            return false;
    }
    for (size_t i = 0; i < meta->n_params; i++) {
        const wp_fence_param *p = &meta->params[i];
        if (!p->required || reserved(p->name) || given(meta, p, props))
            continue;
        const char *name = p->deprecated ? NULL : p->name;
        for (size_t j = 0; !name && j < meta->n_params; j++) /* the newer name */
            if (strcmp(meta->params[j].obsoletes, p->name) == 0)
                name = meta->params[j].name;
        wp_errf(err, WP_E_INVALID, "fence device %s: %s needs parameter '%s'", device, meta->agent,
                name ? name : p->name);
        wp_err_why(err, "the agent's metadata marks '%s' required", name ? name : p->name);
        wp_err_todo(err, "add --prop %s=VALUE", name ? name : p->name);
        return false;
    }
    if (!wp_fence_meta_has_action(meta, "off") ||
        !(wp_fence_meta_has_action(meta, "status") || wp_fence_meta_has_action(meta, "monitor"))) {
        wp_errf(err, WP_E_INVALID, "fence device %s: %s cannot fence a node", device, meta->agent);
        wp_err_why(err, "its metadata lists no 'off' action, or neither 'status' nor 'monitor'");
        wp_err_todo(err, "use a power fence agent (fence_ipmilan, fence_virsh, a PDU's agent)");
        return false;
    }
    return true;
}

bool wp_fence_agent_name_valid(const char *agent, wp_err *err)
{
    size_t n = agent ? strlen(agent) : 0;
    bool ok = n > 6 && n <= WP_FENCE_NAME_MAX && strncmp(agent, "fence_", 6) == 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)agent[i]) || strchr("_.-", agent[i]);
    if (!ok) {
        wp_errf(err, WP_E_INVALID, "bad fence agent name '%.80s'", agent ? agent : "");
        wp_err_why(err,
                   "a fence agent is named fence_SOMETHING (letters, digits, _ . -), at "
                   "most %d characters, and is given without a directory",
                   WP_FENCE_NAME_MAX);
        wp_err_todo(err, "give e.g. --agent fence_ipmilan (Debian's fence-agents package)");
    }
    return ok;
}

bool wp_fence_prop_valid(const char *key, const char *value, wp_err *err)
{
    size_t n = strlen(key);
    bool ok = n > 0 && n <= WP_FENCE_NAME_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = islower((unsigned char)key[i]) || isdigit((unsigned char)key[i]) || key[i] == '_' ||
             key[i] == '-';
    if (!ok) {
        wp_errf(err, WP_E_INVALID, "bad fence parameter name '%.80s'", key);
        wp_err_why(err, "parameter names are lower-case letters, digits, _ and -");
        wp_err_todo(err, "use the names of the agent's metadata (AGENT -o metadata)");
        return false;
    }
    if (strlen(value) > FENCE_VALUE_MAX || strpbrk(value, "\n\r")) {
        wp_errf(err, WP_E_INVALID, "bad value for fence parameter '%s'", key);
        wp_err_why(err,
                   "a value is one line of at most %d bytes (the agent reads key=value "
                   "lines)",
                   FENCE_VALUE_MAX);
        wp_err_todo(err, "give a shorter value without line breaks");
        return false;
    }
    return true;
}

/* ---- secrets ------------------------------------------------------------ */

bool wp_fence_is_secret(const char *name)
{
    static const char *const parts[] = {"passw", "secret", "token", "community", "key", "_kg"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (strstr(name, parts[i]))
            return true;
    return false;
}

json_t *wp_fence_props_masked(const json_t *props)
{
    json_t *out = json_deep_copy(props);
    const char *key;
    json_t *v;
    json_object_foreach(out, key, v)
    {
        if (wp_fence_is_secret(key))
            json_object_set_new(out, key, json_string(WP_FENCE_MASK));
    }
    return out;
}

void wp_fence_scrub(char *buf, size_t size, const json_t *props)
{
    const char *key;
    json_t *v;
    size_t mask = strlen(WP_FENCE_MASK);
    json_object_foreach((json_t *)props, key, v)
    {
        const char *secret = json_string_value(v);
        size_t n = secret ? strlen(secret) : 0;
        if (!wp_fence_is_secret(key) || n == 0)
            continue;
        for (char *hit = strstr(buf, secret); hit; hit = strstr(hit + mask, secret)) {
            size_t tail = strlen(hit + n) + 1;
            if ((size_t)(hit - buf) + mask + tail > size) { /* no room: cut here */
                *hit = '\0';
                break;
            }
            memmove(hit + mask, hit + n, tail);
            memcpy(hit, WP_FENCE_MASK, mask);
        }
    }
}

/* ---- stdin -------------------------------------------------------------- */

static bool append(char **buf, size_t *len, const char *k, const char *v)
{
    size_t add = strlen(k) + strlen(v) + 2;
    char *grown = realloc(*buf, *len + add + 1);
    if (!grown)
        return false;
    *buf = grown;
    *len += (size_t)snprintf(grown + *len, add + 1, "%s=%s\n", k, v);
    return true;
}

char *wp_fence_stdin(const char *action, const char *plug, const json_t *props)
{
    char *buf = NULL;
    size_t len = 0;
    bool ok = append(&buf, &len, "action", action) && (!plug || append(&buf, &len, "plug", plug));
    size_t n = json_object_size(props), i = 0;
    const char **keys = n ? calloc(n, sizeof *keys) : NULL;
    const char *key;
    json_t *v;
    if (n && !keys) {
        free(buf);
        return NULL;
    }
    json_object_foreach((json_t *)props, key, v) keys[i++] = key;
    for (size_t a = 1; a < n; a++) /* key order (insertion sort: few keys) */
        for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
            const char *t = keys[b];
            keys[b] = keys[b - 1];
            keys[b - 1] = t;
        }
    for (i = 0; ok && i < n; i++) {
        const char *val = wp_json_str(props, keys[i]);
        ok = !val || append(&buf, &len, keys[i], val);
    }
    free(keys);
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- path --------------------------------------------------------------- */

bool wp_fence_agent_path(const char *agent, const char *search, char *out, size_t size, wp_err *err)
{
    if (!wp_fence_agent_name_valid(agent, err))
        return false;
    if (!search)
        search = getenv("WOLFPACK_FENCE_PATH");
    if (!search || !*search)
        search = FENCE_PATH_DEFAULT;
    char *dirs = strdup(search), *save = NULL;
    bool found = false;
    for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d && !found;
         d = strtok_r(NULL, ":", &save)) {
        snprintf(out, size, "%s/%s", d, agent);
        found = access(out, X_OK) == 0;
    }
    if (!found) {
        wp_errf(err, WP_E_NOTFOUND, "fence agent %s not found", agent);
        wp_err_why(err, "no executable %s in %s", agent, search);
        wp_err_todo(err, "install Debian's fence-agents package (apt-get install fence-agents) "
                         "on every node, or set WOLFPACK_FENCE_PATH for wolfpackd");
    }
    free(dirs);
    return found;
}

/* ---- run ---------------------------------------------------------------- */

static void child_exec(const char *path, const char *const *args, int in, int out)
{
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(127);
    close_range(3, ~0U, 0);
    const char *argv0[] = {path, NULL};
    execv(path, (char *const *)(args ? args : argv0));
    _exit(127);
}

/* Keep the last size-1 bytes read in out. */
static void keep_tail(char *out, size_t size, size_t *used, const char *buf, size_t n)
{
    if (n >= size - 1) {
        memcpy(out, buf + n - (size - 1), size - 1);
        *used = size - 1;
    } else {
        if (*used + n > size - 1) {
            size_t drop = *used + n - (size - 1);
            memmove(out, out + drop, *used - drop);
            *used -= drop;
        }
        memcpy(out + *used, buf, n);
        *used += n;
    }
    out[*used] = '\0';
}

static bool start_failed(const char *path, wp_err *err)
{
    wp_errf(err, WP_E_IO, "cannot run the fence agent %s", path);
    wp_err_why(err, "%s", strerror(errno));
    wp_err_todo(err, "check the agent and the system's limits (processes, files)");
    return false;
}

bool wp_fence_exec(const char *path, const char *const *args, const char *input, int timeout_ms,
                   int *exit_status, bool *timed_out, char *out, size_t out_size, wp_err *err)
{
    int in[2], pipe_out[2];
    size_t used = 0;
    out[0] = '\0';
    *timed_out = false;
    *exit_status = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0)
        return start_failed(path, err);
    if (pipe2(pipe_out, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        return start_failed(path, err);
    }
    pid_t pid = fork();
    if (pid == 0)
        child_exec(path, args, in[1], pipe_out[1]);
    close(in[1]);
    close(pipe_out[1]);
    if (pid < 0) {
        close(in[0]);
        close(pipe_out[0]);
        return start_failed(path, err);
    }
    if (input) /* small (a few hundred bytes): fits the socket buffer */
        (void)!send(in[0], input, strlen(input), MSG_NOSIGNAL | MSG_DONTWAIT);
    close(in[0]);
    long long deadline = wp_clock_ms() + timeout_ms;
    bool reading = true, exited = false;
    int status = 0;
    while (!exited) {
        long long left = deadline - wp_clock_ms();
        if (left <= 0) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            *timed_out = true;
            break;
        }
        struct pollfd p = {.fd = pipe_out[0], .events = POLLIN};
        int r = reading ? poll(&p, 1, left < 50 ? (int)left : 50) : (usleep(20000), 0);
        if (r > 0) {
            char buf[1024];
            ssize_t n = read(pipe_out[0], buf, sizeof buf);
            if (n > 0)
                keep_tail(out, out_size, &used, buf, (size_t)n);
            else if (n == 0 || errno != EINTR)
                reading = false;
        }
        exited = waitpid(pid, &status, WNOHANG) == pid;
    }
    if (exited) { /* what is still in the pipe; a helper the agent left may hold it */
        fcntl(pipe_out[0], F_SETFL, O_NONBLOCK);
        char buf[1024];
        ssize_t n;
        while ((n = read(pipe_out[0], buf, sizeof buf)) > 0)
            keep_tail(out, out_size, &used, buf, (size_t)n);
        kill(-pid, SIGKILL); /* the agent's leftovers */
    }
    close(pipe_out[0]);
    if (!*timed_out && WIFEXITED(status))
        *exit_status = WEXITSTATUS(status);
    return true;
}
