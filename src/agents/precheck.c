/*
 * precheck.c -- what only the node it runs on can tell about a resource
 * (precheck.h): for `wolfpack verify` and `resource create` on the node
 * that takes the command (src/cli/localcheck.c), and on every other
 * possible owner through the node task resource-check (src/app/tasks.c).
 *
 *   OCF             the agent installed here (warning if not), its
 *                   meta-data knowing every parameter and getting the
 *                   required ones (error: the agent itself refuses them),
 *                   then its validate-all when it advertises one (error;
 *                   OCF_ERR_INSTALLED a warning)
 *   Generic Service its program (command, check_command) and its systemd
 *                   unit present here (warning if not)
 *   Physical Disk   its device present here (warning if not)
 *   IP Address      (network) nobody on the network answers for the
 *                   address yet: duplicate address detection with arping
 *                   -D from this node's interface in the address's subnet,
 *                   and no local interface holding it (error: a conflict)
 *
 * Missing things are warnings because another possible owner may have
 * them; the node's name is in each finding.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "../lib/clock.h"
#include "../lib/json.h"
#include "../lib/model.h"
#include "precheck.h"

#define META_MAX (1 << 20)
#define META_TIMEOUT_MS 10000

/* Read up to META_MAX bytes of fd until EOF or the deadline. */
static char *read_all(int fd, size_t *len)
{
    char *buf = malloc(META_MAX + 1);
    *len = 0;
    int64_t t0 = wp_clock_ms();
    while (buf && *len < META_MAX) {
        int64_t spent = wp_clock_ms() - t0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (spent >= META_TIMEOUT_MS || poll(&p, 1, (int)(META_TIMEOUT_MS - spent)) <= 0)
            break;
        ssize_t n = read(fd, buf + *len, META_MAX - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        *len += (size_t)n;
    }
    if (buf)
        buf[*len] = '\0';
    return buf;
}

/* `PATH meta-data`, parsed; false with err. */
static bool ocf_meta(const char *path, wp_ocf_meta *meta, wp_err *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        wp_errf(err, WP_E_IO, "cannot run %s meta-data: pipe: %s", path, strerror(errno));
        return false;
    }
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {(char *)path, "meta-data", NULL};
        char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "OCF_ROOT=/usr/lib/ocf", NULL};
        wp_agent_exec_child(argv, envp, fds[1], -1);
    }
    close(fds[1]);
    size_t len = 0;
    char *xml = pid > 0 ? read_all(fds[0], &len) : NULL;
    close(fds[0]);
    int status = -1;
    if (pid > 0) {
        kill(pid, SIGKILL); /* done or too slow: it ends here either way */
        waitpid(pid, &status, 0);
    }
    bool ok = xml && len && wp_ocf_meta_parse(xml, len, meta, err);
    if (!ok && (!xml || !len)) {
        wp_errf(err, WP_E_IO, "cannot read the meta-data of %s", path);
        wp_err_why(err, "`%s meta-data` printed nothing", path);
        wp_err_todo(err, "run it by hand; reinstall the agent");
    }
    free(xml);
    return ok;
}

/* The agent's validate-all with the resource's parameters (OCF_RESKEY_*):
 * OCF_ERR_INSTALLED is a warning (another owner may have what it lacks),
 * any other failure an error with the agent's last line of output. */
static void validate_all(const char *path, const json_t *props, const char *obj, const char *here,
                         json_t *findings)
{
    char *env[WP_OCF_MAX_PARAMS + 8] = {NULL};
    size_t n = 0;
    env[n++] = strdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
    env[n++] = strdup("OCF_ROOT=/usr/lib/ocf");
    env[n++] = strdup("OCF_RESOURCE_INSTANCE=wolfpack-check");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)props, key,
                        v) if (strcmp(key, "agent") != 0 && json_is_string(v) &&
                               n + 1 < sizeof env / sizeof env[0] &&
                               asprintf(&env[n], "OCF_RESKEY_%s=%s", key, json_string_value(v)) >=
                                   0) n++;
    int fds[2] = {-1, -1};
    pid_t pid = pipe2(fds, O_CLOEXEC) == 0 ? fork() : -1;
    if (pid == 0) {
        char *argv[] = {(char *)path, "validate-all", NULL};
        alarm(META_TIMEOUT_MS / 1000); /* survives exec: a hanging agent dies */
        wp_agent_exec_child(argv, env, fds[1], fds[1]);
    }
    for (size_t i = 0; i < n; i++)
        free(env[i]);
    if (fds[1] >= 0)
        close(fds[1]);
    size_t len = 0;
    char *out = pid > 0 ? read_all(fds[0], &len) : NULL;
    if (fds[0] >= 0)
        close(fds[0]);
    int status = -1;
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    while (out && len && (out[len - 1] == '\n' || out[len - 1] == ' '))
        out[--len] = '\0';
    const char *last = out && strrchr(out, '\n') ? strrchr(out, '\n') + 1 : out ? out : "";
    if (rc != 0)
        wp_precheck_add(findings, rc != 5, obj,
                        rc == 5 ? "install what the agent needs on every possible owner"
                                : "correct the parameters (resource set NAME --prop KEY=VALUE)",
                        "%s: `%s validate-all` failed with %s (%d)%s%.300s", here, path,
                        rc < 0 ? "no exit status" : wp_ocf_code_name(rc), rc, last[0] ? ": " : "",
                        last);
    free(out);
}

static void check_ocf(const json_t *props, const char *obj, const char *here, json_t *findings)
{
    char provider[64], type[64], path[256];
    if (!wp_ocf_agent_parse(wp_json_str_or(props, "agent", ""), provider, type, NULL))
        return; /* verify.c reported the bad name */
    snprintf(path, sizeof path, "/usr/lib/ocf/resource.d/%s/%s", provider, type);
    if (access(path, X_OK) != 0) {
        wp_precheck_add(findings, false, obj, "install the agent on every possible owner",
                        "%s: the agent %s is not installed (%s)", here,
                        wp_json_str_or(props, "agent", ""), path);
        return;
    }
    wp_ocf_meta meta;
    wp_err err = {0};
    if (!ocf_meta(path, &meta, &err)) {
        wp_precheck_add(findings, true, obj, err.todo, "%s: %s%s%s", here, err.what,
                        err.why[0] ? ": " : "", err.why);
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)props, key, v)
    {
        bool known = strcmp(key, "agent") == 0;
        for (size_t i = 0; i < meta.nparams && !known; i++)
            known = strcmp(meta.params[i].name, key) == 0;
        if (!known)
            wp_precheck_add(findings, true, obj,
                            "remove or rename the property (resource set NAME "
                            "--unset-prop KEY)",
                            "%s: %s has no parameter '%s' (see `%s meta-data`)", here,
                            wp_json_str_or(props, "agent", ""), key, path);
    }
    size_t before = json_array_size(findings);
    for (size_t i = 0; i < meta.nparams; i++)
        if (meta.params[i].required && !json_object_get(props, meta.params[i].name))
            wp_precheck_add(findings, true, obj, "set it (resource set NAME --prop KEY=VALUE)",
                            "%s: %s requires the parameter '%s'", here,
                            wp_json_str_or(props, "agent", ""), meta.params[i].name);
    if (meta.has_validate && json_array_size(findings) == before)
        validate_all(path, props, obj, here, findings);
}

static bool unit_known(const char *unit)
{
    static const char *const dirs[] = {"/etc/systemd/system", "/run/systemd/system",
                                       "/usr/lib/systemd/system", "/lib/systemd/system"};
    char path[512];
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dirs[i], unit);
        if (access(path, F_OK) == 0)
            return true;
    }
    return false;
}

static void check_service(const json_t *props, const char *obj, const char *here, json_t *findings)
{
    if (wp_json_str_or(props, "unit", "")[0] && !unit_known(wp_json_str_or(props, "unit", "")))
        wp_precheck_add(findings, false, obj, "install the unit on every possible owner",
                        "%s: no systemd unit file '%s'", here, wp_json_str_or(props, "unit", ""));
    static const char *const keys[] = {"command", "check_command"};
    for (size_t k = 0; k < 2; k++) {
        char **argv = wp_json_str_or(props, keys[k], "")[0]
                          ? wp_argv_split(wp_json_str_or(props, keys[k], ""), NULL)
                          : NULL;
        if (argv && argv[0] && argv[0][0] == '/' && access(argv[0], X_OK) != 0)
            wp_precheck_add(findings, false, obj, "install the program on every possible owner",
                            "%s: the program %s of its %s is not there or not executable", here,
                            argv[0], keys[k]);
        wp_argv_free(argv);
    }
}

/* The interfaces' addresses of this node (getifaddrs), as ip.c lists them. */
static wp_ip_ifaddr *local_addrs(size_t *n)
{
    struct ifaddrs *all = NULL;
    *n = 0;
    if (getifaddrs(&all) != 0)
        return NULL;
    size_t cap = 0;
    for (struct ifaddrs *i = all; i; i = i->ifa_next)
        cap++;
    wp_ip_ifaddr *list = calloc(cap ? cap : 1, sizeof *list);
    for (struct ifaddrs *i = all; list && i; i = i->ifa_next) {
        if (!i->ifa_addr || !i->ifa_netmask ||
            (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
            continue;
        wp_ip_ifaddr *a = &list[(*n)++];
        snprintf(a->ifname, sizeof a->ifname, "%s", i->ifa_name);
        a->family = i->ifa_addr->sa_family;
        const unsigned char *mask;
        size_t len;
        if (a->family == AF_INET) {
            memcpy(a->addr, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, 4);
            mask = (const unsigned char *)&((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr;
            len = 4;
        } else {
            memcpy(a->addr, &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr, 16);
            mask =
                (const unsigned char *)&((struct sockaddr_in6 *)(void *)i->ifa_netmask)->sin6_addr;
            len = 16;
        }
        for (size_t b = 0; b < len; b++)
            for (int bit = 7; bit >= 0; bit--)
                a->prefixlen += (mask[b] >> bit) & 1;
    }
    freeifaddrs(all);
    return list;
}

/* Run argv (no shell, output discarded) and return its exit status, -1 if
 * it could not run or was killed. */
static int run_quiet(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
        wp_agent_exec_child(argv, envp, -1, -1);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static void check_ip(const json_t *props, const char *obj, const char *here, json_t *findings)
{
    int family, prefixlen;
    unsigned char addr[16];
    if (!wp_ip_parse(wp_json_str_or(props, "address", ""), &family, addr, &prefixlen, NULL))
        return; /* verify.c / the model reported it */
    char text[64];
    snprintf(text, sizeof text, "%s", wp_json_str_or(props, "address", ""));
    *strchrnul(text, '/') = '\0';
    size_t n = 0;
    wp_ip_ifaddr *list = local_addrs(&n);
    for (size_t i = 0; list && i < n; i++)
        if (list[i].family == family &&
            memcmp(list[i].addr, addr, family == AF_INET ? 4 : 16) == 0) {
            wp_precheck_add(
                findings, true, obj, "choose a free address, or remove it from the interface",
                "%s: the address %s is already on interface %s", here, text, list[i].ifname);
            free(list);
            return;
        }
    char ifname[32];
    if (wp_json_str_or(props, "interface", "")[0])
        snprintf(ifname, sizeof ifname, "%s", wp_json_str_or(props, "interface", ""));
    else if (!list || !wp_ip_pick_iface(list, n, family, addr, prefixlen, ifname, NULL))
        ifname[0] = '\0';
    free(list);
    if (family != AF_INET || !ifname[0])
        return; /* IPv4 only; no interface here: this node cannot carry it */
    static const char *const paths[] = {"/usr/bin/arping", "/usr/sbin/arping", "/bin/arping",
                                        "/sbin/arping"};
    const char *arping = paths[0];
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], X_OK) == 0) {
            arping = paths[i];
            break;
        }
    char *argv[] = {(char *)arping, "-D", "-q", "-c", "2", "-w", "2", "-I", ifname, text, NULL};
    int rc = run_quiet(argv);
    if (rc == 1)
        wp_precheck_add(findings, true, obj,
                        "choose a free address, or stop the host that has it (--force takes it "
                        "anyway)",
                        "%s: the address %s is already in use on the network: a host answered "
                        "ARP for it on %s (arping -D)",
                        here, text, ifname);
    else if (rc != 0)
        wp_precheck_add(findings, false, obj, "make sure nobody else uses the address",
                        "%s: could not check whether %s is in use on the network (arping -D on "
                        "%s %s; it needs root and iputils-arping)",
                        here, text, ifname, rc < 0 ? "did not run" : "failed");
}

void wp_precheck_add(json_t *findings, bool error, const char *object, const char *todo,
                     const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(findings,
                          json_pack("{s:s, s:s, s:s, s:s}", "level", error ? "error" : "warning",
                                    "object", object, "message", msg, "todo", todo ? todo : ""));
}

void wp_precheck_resource(const json_t *r, bool network, const char *here, json_t *findings)
{
    wp_rtype type;
    if (!wp_rtype_parse(wp_json_str_or(r, "type", ""), &type, NULL))
        return;
    char obj[128];
    snprintf(obj, sizeof obj, "resource %s", wp_json_str_or(r, "name", ""));
    const json_t *props = json_object_get(r, "props");
    struct stat st;
    if (type == WP_RT_OCF)
        check_ocf(props, obj, here, findings);
    else if (type == WP_RT_SERVICE)
        check_service(props, obj, here, findings);
    else if (type == WP_RT_DISK && wp_json_str_or(props, "device", "")[0] &&
             stat(wp_json_str_or(props, "device", ""), &st) != 0)
        wp_precheck_add(findings, false, obj, "attach the shared disk to every possible owner",
                        "%s: the device %s does not exist", here,
                        wp_json_str_or(props, "device", ""));
    else if (type == WP_RT_IP && network)
        check_ip(props, obj, here, findings);
}
