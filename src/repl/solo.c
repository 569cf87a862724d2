/*
 * solo.c -- the one-node transport (see repl.h).
 *
 * There is nobody to agree with: submit() applies the command to the local
 * database at once with wp_db_apply(), calls done() before it returns, and
 * then on_applied() for a command that was applied.  The node is always
 * ready and always quorate.  wolfpackd --solo and the tests use it.
 */
#include "repl.h"

#include <stdlib.h>

typedef struct solo {
    wp_db *db; /* borrowed: the daemon owns the database */
    wp_repl_applied_fn on_applied;
    void *ctx;
} solo;

static bool solo_submit(void *impl, const json_t *cmd, wp_repl_done_fn done, void *cookie,
                        wp_err *err)
{
    solo *s = impl;
    wp_err refused = {0};

    (void)err;
    if (!wp_db_apply(s->db, cmd, &refused)) {
        if (done)
            done(cookie, &refused, wp_db_version(s->db));
        return true;
    }
    int64_t version = wp_db_version(s->db);
    if (done)
        done(cookie, NULL, version);
    if (s->on_applied)
        s->on_applied(s->ctx, cmd, version);
    return true;
}

static bool solo_ready(void *impl, wp_err *err)
{
    (void)impl, (void)err;
    return true;
}

static json_t *solo_status(void *impl)
{
    (void)impl;
    return json_pack("{s:s, s:b, s:i, s:[i], s:s}", "transport", "solo", "quorate", 1,
                     "local_node_id", 1, "members", 1, "sync", "synced");
}

static void solo_destroy(void *impl)
{
    free(impl);
}

static const wp_repl_ops solo_ops = {
    .name = "solo",
    .submit = solo_submit,
    .ready = solo_ready,
    .status = solo_status,
    .destroy = solo_destroy,
};

wp_repl *wp_repl_solo_new(wp_db *db, wp_repl_applied_fn on_applied, void *ctx, wp_err *err)
{
    wp_repl *r = calloc(1, sizeof *r);
    solo *s = calloc(1, sizeof *s);

    if (!r || !s) {
        free(r);
        free(s);
        wp_errf(err, WP_E_INTERNAL, "out of memory creating the solo transport");
        wp_err_why(err, "calloc failed");
        wp_err_todo(err, "free some memory and start wolfpackd again");
        return NULL;
    }
    s->db = db;
    s->on_applied = on_applied;
    s->ctx = ctx;
    r->ops = &solo_ops;
    r->impl = s;
    return r;
}
