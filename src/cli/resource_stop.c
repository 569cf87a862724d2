/*
 * resource_stop.c -- safe edits of a running resource (docs/CLI.md, "Safe
 * edits"): `resource delete` stops a resource that runs before it deletes
 * it, and `resource set --restart` restarts it so that a property change
 * takes effect.
 *
 * Both ask the cluster as the operator would: resource.offline (the
 * coordinator stops the resource and what depends on it), then wait,
 * reading resource.show every RETRY_MS, until it is Offline.  The wait ends
 * at the resource's stop timeout (stop_timeout, else pending_timeout) plus
 * SLACK_S; a Failed state means its stop failed.  Each way out is said in
 * the error.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "../lib/json.h"

#define RETRY_MS 200
#define SLACK_S 15

static void nap_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static json_t *show(wp_cli *cli, const char *name, wp_err *err)
{
    return wp_cli_call(cli, "resource.show", json_pack("{s:s}", "name", name), NULL, err);
}

static const char *state_of(const json_t *r)
{
    const char *st = wp_json_str(r, "state");
    return st ? st : "Offline";
}

/* Seconds to wait for a stop: stop_timeout, else pending_timeout. */
static long stop_wait_s(const json_t *r)
{
    const json_t *pol = json_object_get(r, "policy");
    long stop = atol(wp_json_str_or(pol, "stop_timeout", "0"));
    long pending = atol(wp_json_str_or(pol, "pending_timeout", "180"));
    return (stop > 0 ? stop : pending) + SLACK_S;
}

bool wp_cli_resource_running(wp_cli *cli, const char *name, bool *running, wp_err *err)
{
    json_t *r = show(cli, name, err);
    if (!r)
        return false;
    *running = strcmp(state_of(r), "Offline") != 0;
    json_decref(r);
    return true;
}

bool wp_cli_resource_stop_wait(wp_cli *cli, const char *name, const char *doing, wp_err *err)
{
    json_t *r = show(cli, name, err);
    if (!r)
        return false;
    if (strcmp(state_of(r), "Offline") == 0) {
        json_decref(r);
        return true;
    }
    time_t deadline = time(NULL) + stop_wait_s(r);
    json_decref(r);
    json_t *ok = wp_cli_call(cli, "resource.offline", json_pack("{s:s}", "name", name), NULL, err);
    if (!ok)
        return false;
    json_decref(ok);
    fprintf(stderr, "Stopping resource %s before %s...\n", name, doing);
    for (;;) {
        nap_ms(RETRY_MS);
        if (!(r = show(cli, name, err)))
            return false;
        char st[32];
        snprintf(st, sizeof st, "%s", state_of(r));
        json_decref(r);
        if (strcmp(st, "Offline") == 0)
            return true;
        if (strcmp(st, "Failed") == 0) {
            wp_errf(err, WP_E_CONFLICT, "cannot %s resource %s: its stop failed", doing, name);
            wp_err_why(err, "it may still run; it was taken offline but nothing else changed");
            wp_err_todo(err,
                        "see 'wolfpack resource show %s' for the error; stop it by hand, then "
                        "'wolfpack resource cleanup %s' and try again",
                        name, name);
            return false;
        }
        if (time(NULL) > deadline) {
            wp_errf(err, WP_E_UNAVAILABLE, "cannot %s resource %s: it did not stop in time", doing,
                    name);
            wp_err_why(err, "it is %s after its stop timeout", st);
            wp_err_todo(err, "see 'wolfpack status'; when it is Offline, run the command again "
                             "(the resource stays taken offline)");
            return false;
        }
    }
}
