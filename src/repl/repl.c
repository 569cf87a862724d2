/*
 * repl.c -- what the transports share: freeing a wp_repl.
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
