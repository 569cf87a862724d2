/*
 * cmd_verify.c -- `wolfpack verify [--file FILE] [--no-local]`: the whole
 * configuration checked, as crm_verify checks Pacemaker's (docs/CLI.md,
 * "verify").
 *
 * The configuration comes from the daemon (the same read as `cluster
 * export`, wp_cli_config_read) or, with --file, from an export file (no
 * daemon needed: a configuration can be checked before `cluster import`).
 * verify.c checks it; this file adds what only this node can tell (unless
 * --no-local): an OCF agent installed here and its meta-data knowing every
 * parameter and getting the required ones, a service's program or unit
 * present, a disk's device present.  Those are warnings when the agent,
 * program or device is missing here (another possible owner may have
 * it), errors when the agent's own meta-data refuses the parameters.
 *
 * Prints one line per finding and a summary; exit status 0 valid, 8
 * warnings only, 9 errors (WP_VERIFY_EXIT_*); with --json {"valid",
 * "errors", "warnings", "findings": [...]}.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../agents/agent.h"
#include "../lib/model.h"
#include "cli.h"
#include "verify.h"

static const char usage[] = "wolfpack verify [--file FILE] [--no-local] [--json]";
static const char doc[] =
    "\n"
    "Checks the whole configuration, as crm_verify does (docs/CLI.md, \"verify\").\n"
    "  --file FILE   Check FILE (what cluster export wrote; - is stdin): no daemon\n"
    "  --no-local    Leave out this node's checks (agents, programs, devices)\n"
    "  --json        Print {valid, errors, warnings, findings: [...]}\n"
    "Exit status: 0 valid, 8 warnings only, 9 errors; 2 bad usage or file, 6 no daemon.\n";

#define META_MAX (1 << 20)
#define META_TIMEOUT_MS 10000

/* Read up to META_MAX bytes of fd until EOF or the deadline. */
static char *read_all(int fd, size_t *len)
{
    char *buf = malloc(META_MAX + 1);
    *len = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (buf && *len < META_MAX) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
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

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static void check_ocf(const json_t *props, const char *obj, const char *here, json_t *findings)
{
    char provider[64], type[64], path[256];
    if (!wp_ocf_agent_parse(str(props, "agent"), provider, type, NULL))
        return; /* verify.c reported the bad name */
    snprintf(path, sizeof path, "/usr/lib/ocf/resource.d/%s/%s", provider, type);
    if (access(path, X_OK) != 0) {
        wp_verify_add(findings, false, obj, "install the agent on every possible owner",
                      "%s: the agent %s is not installed (%s)", here, str(props, "agent"), path);
        return;
    }
    wp_ocf_meta meta;
    wp_err err = {0};
    if (!ocf_meta(path, &meta, &err)) {
        wp_verify_add(findings, true, obj, err.todo, "%s: %s%s%s", here, err.what,
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
            wp_verify_add(findings, true, obj,
                          "remove or rename the property (resource set NAME "
                          "--unset-prop KEY)",
                          "%s: %s has no parameter '%s' (see `%s meta-data`)", here,
                          str(props, "agent"), key, path);
    }
    for (size_t i = 0; i < meta.nparams; i++)
        if (meta.params[i].required && !json_object_get(props, meta.params[i].name))
            wp_verify_add(findings, true, obj, "set it (resource set NAME --prop KEY=VALUE)",
                          "%s: %s requires the parameter '%s'", here, str(props, "agent"),
                          meta.params[i].name);
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
    if (str(props, "unit")[0] && !unit_known(str(props, "unit")))
        wp_verify_add(findings, false, obj, "install the unit on every possible owner",
                      "%s: no systemd unit file '%s'", here, str(props, "unit"));
    static const char *const keys[] = {"command", "check_command"};
    for (size_t k = 0; k < 2; k++) {
        char **argv = str(props, keys[k])[0] ? wp_argv_split(str(props, keys[k]), NULL) : NULL;
        if (argv && argv[0] && argv[0][0] == '/' && access(argv[0], X_OK) != 0)
            wp_verify_add(findings, false, obj, "install the program on every possible owner",
                          "%s: the program %s of its %s is not there or not executable", here,
                          argv[0], keys[k]);
        wp_argv_free(argv);
    }
}

/* What only this node can tell about each resource. */
static void check_local(const json_t *config, json_t *findings)
{
    char host[128] = "this node";
    char here[160];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "?");
    host[sizeof host - 1] = '\0';
    snprintf(here, sizeof here, "on this node (%s)", host);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(config, "resources"), i, r)
    {
        wp_rtype type;
        if (!wp_rtype_parse(str(r, "type"), &type, NULL))
            continue;
        char obj[128];
        snprintf(obj, sizeof obj, "resource %s", str(r, "name"));
        const json_t *props = json_object_get(r, "props");
        struct stat st;
        if (type == WP_RT_OCF)
            check_ocf(props, obj, here, findings);
        else if (type == WP_RT_SERVICE)
            check_service(props, obj, here, findings);
        else if (type == WP_RT_DISK && str(props, "device")[0] &&
                 stat(str(props, "device"), &st) != 0)
            wp_verify_add(findings, false, obj, "attach the shared disk to every possible owner",
                          "%s: the device %s does not exist", here, str(props, "device"));
    }
}

static json_t *load_file(const char *path, wp_err *err)
{
    json_error_t je;
    json_t *config =
        strcmp(path, "-") == 0 ? json_loadf(stdin, 0, &je) : json_load_file(path, 0, &je);
    if (!config) {
        wp_errf(err, WP_E_INVALID, "cannot read the configuration file %s", path);
        wp_err_why(err, "line %d: %s", je.line, je.text);
        wp_err_todo(err, "give a file that `wolfpack cluster export` wrote");
    }
    return config;
}

static void print_findings(const json_t *findings, size_t errors, size_t warnings)
{
    size_t i;
    json_t *f;
    json_array_foreach(findings, i, f)
    {
        bool error = strcmp(str(f, "level"), "error") == 0;
        printf("%s %s: %s\n", error ? "ERROR:  " : "WARNING:", str(f, "object"), str(f, "message"));
        if (str(f, "todo")[0])
            printf("          to do: %s\n", str(f, "todo"));
    }
    if (!errors && !warnings)
        printf("Configuration valid: no errors, no warnings\n");
    else
        printf("Configuration %s: %zu error%s, %zu warning%s\n", errors ? "invalid" : "valid",
               errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
}

int wp_cmd_verify(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--file", .has_value = true}, {.name = "--no-local"}};
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub_doc(cli, argc, argv, opts, 2, usage, doc, "nothing", 0, &a, &status))
        return status;
    const wp_cli_opt *file = wp_cli_opt_get(opts, 2, "--file");
    wp_err err = {0};
    json_t *config = file->count ? load_file(file->values[0], &err) : wp_cli_config_read(cli, &err);
    if (!config)
        return wp_cli_fail(&err);
    json_t *findings = json_array();
    wp_verify_config(config, findings);
    if (!wp_cli_opt_get(opts, 2, "--no-local")->count)
        check_local(config, findings);
    size_t errors = wp_verify_count(findings, true);
    size_t warnings = wp_verify_count(findings, false);
    if (cli->json) {
        json_t *out =
            json_pack("{s:b, s:I, s:I, s:O}", "valid", errors == 0, "errors", (json_int_t)errors,
                      "warnings", (json_int_t)warnings, "findings", findings);
        wp_cli_print_json(out, stdout);
        json_decref(out);
    } else {
        print_findings(findings, errors, warnings);
    }
    json_decref(findings);
    json_decref(config);
    return errors ? WP_VERIFY_EXIT_ERRORS : warnings ? WP_VERIFY_EXIT_WARNINGS : 0;
}
