/*
 * appname.h -- the one rule for application names, shared by the kits
 * (src/app/kit.c), the install records and node tasks (src/db/ops_app.c):
 * 1..WP_APP_NAME_MAX of a-z, 0-9, '_' and '-', starting with a letter or
 * a digit.  A name becomes part of file names and prefixes resource
 * names, so it has no '/', no '.', no upper case and no leading '-'.
 */
#ifndef WP_APPNAME_H
#define WP_APPNAME_H

#include <stdbool.h>

#include "err.h"

#define WP_APP_NAME_MAX 40

/* True if name follows the rule; false with err (WP_E_INVALID) if not. */
bool wp_app_name_valid(const char *name, wp_err *err);

#endif
