/*
 * kit.h -- application kits: the manifest (kit.yaml) of a server
 * application or of a service pack, parsed and checked.
 *
 * A kit is a directory holding kit.yaml and the files it names.  The
 * manifest (docs/KITS.md is the reference) says what the application is
 * (name, version, edition, whether that edition may be clustered), which
 * program files it installs where, which services it runs (they become
 * Generic Service resources of a group when clustered, with dependencies on
 * each other and on the group's address, name and disk), which databases it
 * keeps (a standalone path and a path relative to the group's disk), and for
 * a service pack which versions it upgrades and the one-time database
 * upgrade step.
 *
 * wp_kit_parse reads the YAML with libyaml and refuses anything it does not
 * know; every error names the file, the line and the field
 * ("kits/x/kit.yaml:12: services[1].command: must be an absolute path").
 * wp_kit_load also checks that the files the manifest names exist in the
 * kit directory, as regular files inside it (wp_kit_resolve: no symlink
 * out of the kit).  Manifests larger than WP_KIT_MANIFEST_MAX or nested
 * deeper than WP_KIT_DEPTH_MAX are refused before they are parsed.
 * Parameters may be secrets (wp_kit_secret; src/app/secret.h keeps them).
 * Commands are split into words at parse time
 * (wp_argv_split, never a shell) and may hold variables that install time
 * fills in (wp_kit_expand): ${root}, ${db:NAME}, ${PARAMETER}, and ${kit}
 * in the upgrade step only.
 */
#ifndef WP_KIT_H
#define WP_KIT_H

#include <stdbool.h>
#include <stddef.h>

#include "../lib/appname.h" /* wp_app_name_valid, WP_APP_NAME_MAX */
#include "../lib/err.h"

#define WP_KIT_MANIFEST "kit.yaml"
/* Limits checked before a manifest is parsed (docs/SECURITY.md, "Kits"). */
#define WP_KIT_MANIFEST_MAX (256u * 1024) /* bytes */
#define WP_KIT_DEPTH_MAX 16               /* nested lists and mappings */

/* How a secret parameter is kept (docs/KITS.md, docs/SECURITY.md "Secrets"):
 * never in the clear in an install record, the cluster database, output or
 * logs. */
typedef enum wp_kit_secret {
    WP_KIT_SECRET_NONE = 0,
    WP_KIT_SECRET_HASH,      /* one password, kept as a crypt(3) hash "{CRYPT}$y$..." */
    WP_KIT_SECRET_HASH_LIST, /* NAME:PASSWORD,... with each password hashed so */
    WP_KIT_SECRET_FILE,      /* kept in a 0600 file; ${NAME} is that file's path */
} wp_kit_secret;

typedef struct wp_kit_param {
    char *name;  /* [a-z_][a-z0-9_]* */
    char *value; /* default, overridable at install (--set NAME=VALUE) */
    wp_kit_secret secret;
} wp_kit_param;

typedef struct wp_kit_file {
    char *from;    /* relative path inside the kit */
    char *to;      /* absolute destination, below the install root */
    unsigned mode; /* permission bits, default 0644 */
} wp_kit_file;

typedef struct wp_kit_db {
    char *name;       /* [a-z0-9_-], unique in the kit */
    char *standalone; /* absolute path (below the install root) */
    char *clustered;  /* path relative to the group disk's mount point */
    char *initial;    /* kit file copied in when created, or NULL (empty) */
    bool directory;   /* kind: directory -- a directory tree, not one file */
    char **owners;    /* kind directory: users/groups that may own entries of
                       * the tree (besides root) when it is restored */
    size_t nowners;
} wp_kit_db;

#define WP_KIT_OWNERS_MAX 8

/* The group resources a service may depend on when clustered. */
#define WP_KIT_DEP_ADDRESS "address"
#define WP_KIT_DEP_NAME "name"
#define WP_KIT_DEP_DISK "disk"

typedef struct wp_kit_service {
    char *name;        /* unique in the kit; a resource name when clustered */
    char **command;    /* argv (words may hold ${...}), NULL-terminated */
    char **check;      /* health check argv, or NULL */
    char **depends_on; /* other services of the kit, or address/name/disk */
    size_t ndepends;
    long start_timeout; /* seconds to wait for the check after start, default 30 */
    char *user;         /* the account it runs as when clustered ("root" only when said) */
} wp_kit_service;

typedef struct wp_kit {
    char *dir;  /* the kit directory as given */
    char *path; /* the manifest's path (used in messages) */
    char *name;
    char *version;
    char *edition;
    char *description; /* or NULL */
    bool clusterable;
    wp_kit_param *params;
    size_t nparams;
    wp_kit_file *files;
    size_t nfiles;
    wp_kit_db *dbs;
    size_t ndbs;
    wp_kit_service *services; /* in dependency order (dependencies first) */
    size_t nservices;
    /* Service packs only (both set or both empty): */
    char **upgrades_from; /* versions this kit upgrades */
    size_t nupgrades_from;
    char **upgrade; /* the one-time database upgrade step (argv), or NULL */
} wp_kit;

/* Parse manifest text (name is used in messages).  kit_dir may be NULL
 * (no file existence checks).  Returns a kit (free with wp_kit_free) or
 * NULL with err naming file, line and field. */
wp_kit *wp_kit_parse(const char *text, size_t len, const char *name, const char *kit_dir,
                     wp_err *err);
/* Read DIR/kit.yaml and check the files it names exist in DIR. */
wp_kit *wp_kit_load(const char *dir, wp_err *err);
/* The resolved path of the kit file DIR/REL into out: it must be a regular
 * file inside DIR (symlinks may point within the kit, never out of it). */
bool wp_kit_resolve(const char *dir, const char *rel, char *out, size_t size, wp_err *err);
void wp_kit_free(wp_kit *kit);

bool wp_kit_is_service_pack(const wp_kit *kit);
const wp_kit_db *wp_kit_db_find(const wp_kit *kit, const char *name);
/* The default value of a parameter, or NULL if the kit declares none. */
const char *wp_kit_param_get(const wp_kit *kit, const char *name);
/* The parameter itself, or NULL. */
const wp_kit_param *wp_kit_param_find(const wp_kit *kit, const char *name);
/* "hash", "hash-list", "file" (NULL for WP_KIT_SECRET_NONE), and back. */
const char *wp_kit_secret_name(wp_kit_secret kind);
bool wp_kit_secret_parse(const char *text, wp_kit_secret *kind);

/* Variables for wp_kit_expand: "root", "kit", "db:records", "port", ... */
typedef struct wp_kit_var {
    const char *name;
    const char *value;
} wp_kit_var;

/* Replace every ${NAME} of text with its value from vars; "$$" is a
 * literal "$".  Returns a malloc'd string or NULL if a variable is unknown
 * or the syntax is bad. */
char *wp_kit_expand(const char *text, const wp_kit_var *vars, size_t nvars, wp_err *err);
/* The same for every word of a NULL-terminated argv (free with
 * wp_argv_free). */
char **wp_kit_expand_argv(char *const *argv, const wp_kit_var *vars, size_t nvars, wp_err *err);

#endif
