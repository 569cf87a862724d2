/*
 * secret.h -- secret kit parameters (docs/SECURITY.md, "Secrets"; the kit
 * syntax is in docs/KITS.md): how their values are kept, and how records
 * are shown without them.
 *
 * A parameter a kit marks `secret: hash` or `secret: hash-list` is kept
 * only as crypt(3) hashes ("{CRYPT}$y$..." -- yescrypt from Debian's
 * libcrypt, a 128-bit salt from getrandom; the RFC 2307 / Dovecot form),
 * everywhere: install records, the cluster database, the commands of the
 * services.  A value whose password parts are hashed already ("{...}") is
 * kept as it is, so rebuilding a record from its own values never hashes
 * twice, and an operator may give hashes directly.
 *
 * A parameter marked `secret: file` is kept only in a 0600 root file beside
 * the install record (var/lib/wolfpack/apps/APP.secrets/NAME); the record
 * says WP_SECRET_SHOWN in its place and ${NAME} in commands is that file's
 * path.  (Standalone installs only: a clustered install refuses it.)
 *
 * Whatever shows a record (app show, app list, app config, --json or not)
 * shows it through wp_secret_mask_record: every secret parameter, and every
 * part of a command that holds its stored value, reads WP_SECRET_SHOWN.
 */
#ifndef WP_SECRET_H
#define WP_SECRET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/err.h"
#include "app.h"
#include "kit.h"

#define WP_SECRET_SHOWN "(secret)"

/* "{CRYPT}" + crypt(3) of password with a fresh yescrypt salt (malloc'd),
 * or NULL with err. */
char *wp_secret_hash(const char *password, wp_err *err);
/* Is this password part hashed already ("{SCHEME}...")? */
bool wp_secret_is_hashed(const char *password);
/* The value as it is kept for a hash or hash-list parameter (malloc'd):
 * each password not hashed yet is hashed. */
char *wp_secret_keep(wp_kit_secret kind, const char *value, wp_err *err);

/* The file a `secret: file` parameter is kept in. */
void wp_secret_file_path(const wp_app_env *env, const char *app, const char *param, char *out,
                         size_t size);
/* Write rec's pending file secrets ("secret_files": {NAME: VALUE}, put
 * there by wp_app_record_from_kit) into their 0600 files and take them out
 * of rec.  Called by wp_app_record_save before the record is written. */
bool wp_secret_files_write(const wp_app_env *env, json_t *rec, wp_err *err);
/* Remove the secret files of app (on app remove). */
void wp_secret_files_remove(const wp_app_env *env, const char *app);

/* Replace, in a record (or any object with "parameters", "secrets" and
 * "services"), every secret parameter value and every occurrence of its
 * stored value in a command or check by WP_SECRET_SHOWN.  Also descends
 * into "cluster" (app list) and "record". */
void wp_secret_mask_record(json_t *rec);
/* The same for text shown to a person: a copy of text with each secret's
 * stored value of rec replaced (malloc'd). */
char *wp_secret_mask_text(const json_t *rec, const char *text);

#endif
