/*
 * main.c -- wolfpack-task: the node-task entry point (docs/APP.md, "Node
 * tasks").  wolfpackd starts it, beside its own executable, when the
 * cluster database holds a node task for this node:
 *
 *   wolfpack-task [--socket PATH] TASK-ID
 *
 * It runs the task (src/app/tasks.c: wp_app_task_run), which reports
 * app.task.done to wolfpackd, and exits 0 when the task succeeded (or was
 * not pending any more), else the error's exit status (src/lib/err.h)
 * with the error on stderr.  It is not a command for people: the
 * user-facing `wolfpack` CLI and its parser play no part in a node task.
 */
#include <getopt.h>
#include <stdio.h>

#include "../app/cluster.h"

static const char usage[] = "usage: wolfpack-task [--socket PATH] TASK-ID\n"
                            "  (wolfpackd runs it for a node task; see docs/APP.md)\n";

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"socket", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *socket_path = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 's') {
            socket_path = optarg;
        } else {
            fputs(usage, ch == 'h' ? stdout : stderr);
            return ch == 'h' ? 0 : wp_code_exit_status(WP_E_INVALID);
        }
    }
    if (optind != argc - 1) {
        fputs(usage, stderr);
        return wp_code_exit_status(WP_E_INVALID);
    }
    wp_err err = {0};
    if (!wp_app_task_run_id(socket_path, argv[optind], stdout, &err)) {
        wp_err_print(&err, stderr);
        int status = wp_code_exit_status(err.code);
        return status ? status : 1;
    }
    return 0;
}
