/*
 * cpg.c -- the Corosync CPG transport (NOT BUILT YET: being written).
 * Until then wp_repl_cpg_new refuses with a clear error.
 */
#include "repl.h"

wp_repl *wp_repl_cpg_new(wp_db *db, qb_loop_t *loop, const char *cpg_group,
                         wp_repl_applied_fn on_applied, void *ctx, wp_err *err)
{
    (void)db, (void)loop, (void)cpg_group, (void)on_applied, (void)ctx;
    wp_errf(err, WP_E_UNAVAILABLE, "the Corosync transport is not built yet");
    wp_err_why(err, "this build of wolfpackd only serves one node");
    wp_err_todo(err, "start wolfpackd with --solo");
    return NULL;
}
