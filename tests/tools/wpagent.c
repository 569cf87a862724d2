/*
 * wpagent.c -- run one resource-agent operation through the real child
 * mechanism (wp_agent_op_run, src/agents/run.c) and print its result.
 *
 *   wpagent [--run-dir DIR] [--timeout S] [--log FILE] TYPE NAME OP [KEY=VALUE ...]
 *
 * TYPE is a resource type ("IP Address", ip, service, ocf, ...), NAME the
 * resource name, OP one of validate start stop quick thorough, and the
 * KEY=VALUE pairs its properties.  --timeout 0 (the default) means the
 * type's default (OCF: the agent's advertised timeout).  Programs' output
 * goes to --log FILE (appended) or to stderr.
 *
 * Prints "RESULT" or "RESULT: what / why / to do" and exits 0 ok,
 * 7 not running, 1 failed, 124 timeout, 2 bad usage.  The integration tests
 * use it, and so can a person debugging an agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/agents/agent.h"

static int usage(const char *why)
{
    fprintf(stderr,
            "wpagent: %s\n"
            "usage: wpagent [--run-dir DIR] [--timeout S] [--log FILE] TYPE NAME OP "
            "[KEY=VALUE ...]\n"
            "  OP: validate start stop quick thorough\n",
            why);
    return 2;
}

int main(int argc, char **argv)
{
    const char *run_dir = NULL, *log_path = NULL;
    long timeout_s = 0;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc)
            return usage("an option needs a value");
        if (strcmp(argv[i], "--run-dir") == 0)
            run_dir = argv[++i];
        else if (strcmp(argv[i], "--log") == 0)
            log_path = argv[++i];
        else if (strcmp(argv[i], "--timeout") == 0) {
            char *end;
            timeout_s = strtol(argv[++i], &end, 10);
            if (*end || timeout_s < 0 || timeout_s > 86400)
                return usage("--timeout takes whole seconds, 0..86400");
        } else
            return usage("unknown option");
    }
    if (argc - i < 3)
        return usage("TYPE, NAME and OP are required");

    wp_err err = {0};
    wp_rtype type;
    wp_agent_op op;
    if (!wp_rtype_parse(argv[i], &type, &err) || !wp_agent_op_parse(argv[i + 2], &op, &err)) {
        wp_err_print(&err, stderr);
        return 2;
    }
    json_t *props = json_object();
    for (int k = i + 3; k < argc; k++) {
        const char *eq = strchr(argv[k], '=');
        if (!eq || eq == argv[k]) {
            json_decref(props);
            return usage("properties are KEY=VALUE");
        }
        char *key = strndup(argv[k], (size_t)(eq - argv[k]));
        json_object_set_new(props, key, json_string(eq + 1));
        free(key);
    }
    int log_fd = 2;
    if (log_path &&
        (log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) {
        fprintf(stderr, "wpagent: cannot open log %s: %s\n", log_path, strerror(errno));
        json_decref(props);
        return 2;
    }
    wp_agent_ctx ctx = {.name = argv[i + 1],
                        .props = props,
                        .run_dir = run_dir,
                        .log_fd = log_fd,
                        .timeout_ms = timeout_s * 1000};
    wp_agent_rc rc = wp_agent_op_run(type, op, &ctx, &err);
    if (rc == WP_AGENT_OK)
        printf("%s\n", wp_agent_rc_name(rc));
    else
        printf("%s: %s%s%s%s%s\n", wp_agent_rc_name(rc), err.what, err.why[0] ? " / " : "", err.why,
               err.todo[0] ? " / to do: " : "", err.todo);
    if (log_fd != 2)
        close(log_fd);
    json_decref(props);
    return (int)rc;
}
