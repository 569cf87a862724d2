/*
 * repl.c -- what the transports share: freeing a wp_repl, the membership
 * callback and the before-import callback.
 */
#include "repl.h"

#include <stdlib.h>

void wp_repl_free(wp_repl *r)
{
    if (!r)
        return;
    if (r->ops && r->ops->destroy)
        r->ops->destroy(r->impl);
    free(r);
}

void wp_repl_on_membership(wp_repl *r, wp_repl_membership_fn fn, void *ctx)
{
    r->membership_fn = fn;
    r->membership_ctx = ctx;
}

void wp_repl_notify_membership(wp_repl *r)
{
    if (r && r->membership_fn)
        r->membership_fn(r->membership_ctx);
}

void wp_repl_on_before_import(wp_repl *r, wp_repl_membership_fn fn, void *ctx)
{
    r->before_import_fn = fn;
    r->before_import_ctx = ctx;
}

void wp_repl_notify_before_import(wp_repl *r)
{
    if (r && r->before_import_fn)
        r->before_import_fn(r->before_import_ctx);
}
