/*
 * kit.c -- the kit manifest parser (kit.h): libyaml's document loader
 * gives a node tree with a line/column mark on every node; each section of
 * the manifest is read by one small function that checks its keys (unknown
 * and repeated keys are refused), its values, and the references between
 * sections (variables in commands, service dependencies).  The first error
 * stops the parse and names file, line and field.  Before the loader runs,
 * the size is capped and a pass over libyaml's events refuses deep nesting
 * and aliases (check_shape), so a crafted manifest cannot keep the parser
 * busy (docs/SECURITY.md, "Kits").  Nothing here touches anything but the
 * manifest text and, in wp_kit_load / wp_kit_resolve, the kit's files
 * (resolved, and refused when they lead out of the kit).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "../lib/model.h"
#include "kit.h"

/* One parse: the document, the file name for messages, the kit being
 * filled. */
typedef struct pctx {
    yaml_document_t doc;
    const char *file;
    const char *kit_dir;
    wp_kit *kit;
    wp_err *err;
} pctx;

static const char todo_fix[] = "correct the manifest; docs/KITS.md describes every field";

static size_t line_of(const yaml_node_t *node)
{
    return node ? node->start_mark.line + 1 : 1;
}

/* Fill err with "FILE:LINE: FIELD: message"; why may be NULL.  Returns
 * false so callers can `return fail_at(...)`. */
__attribute__((format(printf, 5, 6))) static bool
fail_at(pctx *p, const yaml_node_t *node, const char *field, const char *why, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    wp_errf(p->err, WP_E_INVALID, "%s:%zu: %s: %s", p->file, line_of(node), field, msg);
    if (why)
        wp_err_why(p->err, "%s", why);
    else
        wp_err_why(p->err, "a kit manifest is checked completely before anything is installed");
    wp_err_todo(p->err, "%s", todo_fix);
    return false;
}

static yaml_node_t *node_at(pctx *p, int index)
{
    return yaml_document_get_node(&p->doc, index);
}

static const char *scalar_text(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* A plain "~", "null" or empty scalar counts as absent. */
static bool is_null(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *t = scalar_text(n);
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0;
}

/* ---- small value readers ---------------------------------------------------- */

static bool want_string(pctx *p, const yaml_node_t *n, const char *field, char **out)
{
    if (n->type != YAML_SCALAR_NODE)
        return fail_at(p, n, field, NULL, "must be a single value (text), not a %s",
                       n->type == YAML_MAPPING_NODE ? "mapping" : "list");
    if (is_null(n) || n->data.scalar.length == 0)
        return fail_at(p, n, field, NULL, "must not be empty");
    if (strlen(scalar_text(n)) != n->data.scalar.length)
        return fail_at(p, n, field, NULL, "must not hold a NUL character");
    *out = strdup(scalar_text(n));
    return *out != NULL || fail_at(p, n, field, NULL, "out of memory");
}

static bool want_kind(pctx *p, const yaml_node_t *n, yaml_node_type_t kind, const char *field)
{
    if (n->type == kind)
        return true;
    return fail_at(p, n, field, NULL, "must be a %s",
                   kind == YAML_MAPPING_NODE ? "mapping (KEY: VALUE lines)" : "list");
}

static bool charset_ok(const char *s, const char *extra)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr(extra, *s)))
            return false;
    return true;
}

/* A path without empty, "." or ".." components (after an optional leading
 * '/'), without a trailing '/'. */
static bool path_clean(const char *path)
{
    const char *s = path[0] == '/' ? path + 1 : path;
    if (*s == '\0')
        return false;
    while (*s) {
        const char *slash = strchr(s, '/');
        size_t len = slash ? (size_t)(slash - s) : strlen(s);
        if (len == 0 || (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
            return false;
        if (!slash)
            break;
        s = slash + 1;
        if (*s == '\0')
            return false;
    }
    return true;
}

static bool want_path(pctx *p, const yaml_node_t *n, const char *field, bool absolute, char **out)
{
    if (!want_string(p, n, field, out))
        return false;
    if (absolute && (*out)[0] != '/')
        return fail_at(p, n, field, "destinations are absolute; the install root is put in front",
                       "must be an absolute path (starting with '/'), got '%s'", *out);
    if (!absolute && (*out)[0] == '/')
        return fail_at(p, n, field, NULL, "must be a relative path, got '%s'", *out);
    if (!path_clean(*out))
        return fail_at(p, n, field, "paths are taken literally and must stay where they point",
                       "'%s' has an empty, '.' or '..' component", *out);
    return true;
}

/* A file that the manifest takes from the kit must exist there, as a
 * regular file inside the kit directory (a symlink may point elsewhere in
 * the kit, never out of it). */
static bool want_kit_file(pctx *p, const yaml_node_t *n, const char *field, const char *rel)
{
    if (!p->kit_dir)
        return true;
    char full[PATH_MAX];
    wp_err e = {0};
    if (!wp_kit_resolve(p->kit_dir, rel, full, sizeof full, &e))
        return fail_at(p, n, field, e.why, "%s", e.what);
    return true;
}

/* ---- mappings ----------------------------------------------------------------- */

/* Walk a mapping whose keys must all be in `keys` (NULL-terminated); put
 * each value node into vals[i].  Unknown and repeated keys are refused. */
static bool read_map(pctx *p, const yaml_node_t *map, const char *field, const char *const *keys,
                     yaml_node_t **vals)
{
    size_t nkeys = 0;
    while (keys[nkeys])
        vals[nkeys++] = NULL;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = node_at(p, pr->key);
        char where[160];
        if (k->type != YAML_SCALAR_NODE)
            return fail_at(p, k, field[0] ? field : "(top)", NULL, "keys must be plain words");
        const char *key = scalar_text(k);
        snprintf(where, sizeof where, "%s%s%s", field, field[0] ? "." : "", key);
        size_t i = 0;
        while (keys[i] && strcmp(keys[i], key) != 0)
            i++;
        if (!keys[i]) {
            char allowed[400] = "";
            for (size_t j = 0; keys[j]; j++)
                snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s",
                         j ? ", " : "", keys[j]);
            return fail_at(p, k, where, NULL, "unknown key (expected one of: %s)", allowed);
        }
        if (vals[i])
            return fail_at(p, k, where, NULL, "given twice");
        vals[i] = node_at(p, pr->value);
    }
    return true;
}

static bool need(pctx *p, const yaml_node_t *map, const char *field, const char *key,
                 const yaml_node_t *val)
{
    if (val && !is_null(val))
        return true;
    return fail_at(p, val ? val : map, field[0] ? field : key, NULL, "%s%s is required",
                   field[0] ? "key " : "", key);
}

/* Count of a list node, after checking it is one. */
static bool want_list(pctx *p, const yaml_node_t *n, const char *field, size_t *count)
{
    if (!want_kind(p, n, YAML_SEQUENCE_NODE, field))
        return false;
    *count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    return true;
}

static yaml_node_t *item_at(pctx *p, const yaml_node_t *seq, size_t i)
{
    return node_at(p, seq->data.sequence.items.start[i]);
}

/* ---- commands and variables ----------------------------------------------------- */

static bool var_name_ok(const char *name)
{
    return name[0] && !(name[0] >= '0' && name[0] <= '9') && charset_ok(name, "_") &&
           strpbrk(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == NULL;
}

/* The variables a command may use, with placeholder values. */
static wp_kit_var *check_vars(const wp_kit *kit, bool with_kit, size_t *n, char ***names)
{
    size_t cap = 2 + kit->ndbs + kit->nparams;
    wp_kit_var *vars = calloc(cap, sizeof *vars);
    char **owned = calloc(kit->ndbs + 1, sizeof *owned);
    size_t k = 0;
    vars[k++] = (wp_kit_var){"root", ""};
    if (with_kit)
        vars[k++] = (wp_kit_var){"kit", "/kit"};
    for (size_t i = 0; i < kit->ndbs; i++) {
        if (asprintf(&owned[i], "db:%s", kit->dbs[i].name) < 0)
            owned[i] = NULL;
        vars[k++] = (wp_kit_var){owned[i] ? owned[i] : "", "/db"};
    }
    for (size_t i = 0; i < kit->nparams; i++)
        vars[k++] = (wp_kit_var){kit->params[i].name, "x"};
    *n = k;
    *names = owned;
    return vars;
}

static void free_check_vars(wp_kit_var *vars, char **names)
{
    for (size_t i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
    free(vars);
}

/* A command: words split without a shell, the program an absolute path
 * (or below ${root}), every variable known. */
static bool want_command(pctx *p, const yaml_node_t *n, const char *field, bool with_kit,
                         char ***out)
{
    char *text = NULL;
    if (!want_string(p, n, field, &text))
        return false;
    wp_err e = {0};
    *out = wp_argv_split(text, &e);
    free(text);
    if (!*out)
        return fail_at(p, n, field, e.why[0] ? e.why : NULL, "%s", e.what);
    if (!(*out)[0])
        return fail_at(p, n, field, NULL, "names no program");
    const char *prog = (*out)[0];
    bool abs = prog[0] == '/' || (strncmp(prog, "${root}/", 8) == 0 && prog[8]) ||
               (with_kit && strncmp(prog, "${kit}/", 7) == 0 && prog[7]);
    if (!abs)
        return fail_at(p, n, field,
                       "commands are run without a shell or a PATH search, so the program "
                       "must be named exactly",
                       "must be an absolute path (or start with ${root}/%s), got '%s'",
                       with_kit ? " or ${kit}/" : "", prog);
    /* a program of the kit itself: inside the kit, like every kit file */
    if (with_kit && strncmp(prog, "${kit}/", 7) == 0 && !want_kit_file(p, n, field, prog + 7))
        return false;
    size_t nv;
    char **names;
    wp_kit_var *vars = check_vars(p->kit, with_kit, &nv, &names);
    char **expanded = wp_kit_expand_argv(*out, vars, nv, &e);
    free_check_vars(vars, names);
    if (!expanded)
        return fail_at(p, n, field, e.why, "%s", e.what);
    wp_argv_free(expanded);
    return true;
}

/* ---- sections ------------------------------------------------------------------- */

/* A NAME:PASSWORD,... list (names and passwords without ':' and ','). */
static bool pair_list_ok(const char *v)
{
    if (!*v)
        return false;
    for (const char *item = v; item;) {
        const char *end = strchr(item, ',');
        size_t len = end ? (size_t)(end - item) : strlen(item);
        const char *colon = memchr(item, ':', len);
        if (!colon || colon == item || colon == item + len - 1 ||
            memchr(colon + 1, ':', len - (size_t)(colon - item) - 1))
            return false;
        item = end ? end + 1 : NULL;
    }
    return true;
}

/* A parameter is a plain value (its default), or a mapping
 * {value: DEFAULT, secret: hash | hash-list | file}. */
static bool read_param_value(pctx *p, const yaml_node_t *v, const char *field, wp_kit_param *pa)
{
    if (v->type != YAML_MAPPING_NODE)
        return want_string(p, v, field, &pa->value);
    static const char *const keys[] = {"value", "secret", NULL};
    yaml_node_t *vals[2];
    char f[200], *kind = NULL;
    if (!read_map(p, v, field, keys, vals) || !need(p, v, field, "value", vals[0]))
        return false;
    snprintf(f, sizeof f, "%s.value", field);
    if (!want_string(p, vals[0], f, &pa->value))
        return false;
    if (!vals[1] || is_null(vals[1]))
        return true;
    snprintf(f, sizeof f, "%s.secret", field);
    if (!want_string(p, vals[1], f, &kind))
        return false;
    bool known = wp_kit_secret_parse(kind, &pa->secret);
    free(kind);
    if (!known)
        return fail_at(p, vals[1], f,
                       "hash keeps a password as a crypt(3) hash, hash-list the passwords of "
                       "NAME:PASSWORD,... so, file keeps the value in a file only root reads",
                       "must be hash, hash-list or file");
    snprintf(f, sizeof f, "%s.value", field);
    if (pa->secret == WP_KIT_SECRET_HASH_LIST && !pair_list_ok(pa->value))
        return fail_at(p, vals[0], f, NULL,
                       "a hash-list value is NAME:PASSWORD items separated by commas");
    return true;
}

static bool read_params(pctx *p, const yaml_node_t *n)
{
    if (!want_kind(p, n, YAML_MAPPING_NODE, "parameters"))
        return false;
    size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    wp_kit *kit = p->kit;
    kit->params = calloc(count ? count : 1, sizeof *kit->params);
    for (size_t i = 0; i < count; i++) {
        yaml_node_pair_t *pr = &n->data.mapping.pairs.start[i];
        yaml_node_t *k = node_at(p, pr->key), *v = node_at(p, pr->value);
        char field[160];
        if (k->type != YAML_SCALAR_NODE)
            return fail_at(p, k, "parameters", NULL, "keys must be plain words");
        snprintf(field, sizeof field, "parameters.%s", scalar_text(k));
        if (!var_name_ok(scalar_text(k)))
            return fail_at(p, k, field, NULL,
                           "parameter names are a-z, 0-9 and '_', not starting with a digit");
        if (strcmp(scalar_text(k), "root") == 0 || strcmp(scalar_text(k), "kit") == 0)
            return fail_at(p, k, field, NULL, "'root' and 'kit' are reserved variable names");
        if (wp_kit_param_get(kit, scalar_text(k)))
            return fail_at(p, k, field, NULL, "given twice");
        wp_kit_param *pa = &kit->params[kit->nparams++]; /* freed with the kit */
        pa->name = strdup(scalar_text(k));
        if (!read_param_value(p, v, field, pa))
            return false;
    }
    return true;
}

static bool read_mode(pctx *p, const yaml_node_t *n, const char *field, unsigned *mode)
{
    char *text = NULL;
    if (!want_string(p, n, field, &text))
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 8);
    bool ok = *end == '\0' && errno == 0 && v <= 07777 && text[0] >= '0' && text[0] <= '7';
    free(text);
    if (!ok)
        return fail_at(p, n, field, NULL, "must be octal permission bits like \"0755\"");
    *mode = (unsigned)v;
    return true;
}

/* Item idx of the list named list: a mapping with keys only (vals as
 * read_map gives them); field gets its name, "list[idx]". */
static bool read_item(pctx *p, const yaml_node_t *n, const char *list, size_t idx,
                      const char *const *keys, yaml_node_t **vals, char *field, size_t size)
{
    snprintf(field, size, "%s[%zu]", list, idx);
    return want_kind(p, n, YAML_MAPPING_NODE, field) && read_map(p, n, field, keys, vals);
}

static bool read_file(pctx *p, const yaml_node_t *n, size_t idx)
{
    static const char *const keys[] = {"from", "to", "mode", NULL};
    yaml_node_t *v[3];
    char field[64], f[96];
    if (!read_item(p, n, "files", idx, keys, v, field, sizeof field))
        return false;
    wp_kit_file *file = &p->kit->files[p->kit->nfiles++];
    file->mode = 0644;
    snprintf(f, sizeof f, "%s.from", field);
    if (!need(p, n, field, "from", v[0]) || !want_path(p, v[0], f, false, &file->from) ||
        !want_kit_file(p, v[0], f, file->from))
        return false;
    snprintf(f, sizeof f, "%s.to", field);
    if (!need(p, n, field, "to", v[1]) || !want_path(p, v[1], f, true, &file->to))
        return false;
    for (size_t i = 0; i + 1 < p->kit->nfiles; i++)
        if (strcmp(p->kit->files[i].to, file->to) == 0)
            return fail_at(p, v[1], f, NULL, "'%s' is also the destination of files[%zu]", file->to,
                           i);
    snprintf(f, sizeof f, "%s.mode", field);
    return !v[2] || read_mode(p, v[2], f, &file->mode);
}

/* kind: file (the default: one regular file) or directory (a tree). */
static bool read_db_kind(pctx *p, const yaml_node_t *n, const char *field, wp_kit_db *db)
{
    char f[96], *kind = NULL;
    snprintf(f, sizeof f, "%s.kind", field);
    if (!n || is_null(n))
        return true;
    if (!want_string(p, n, f, &kind))
        return false;
    bool ok = strcmp(kind, "file") == 0 || strcmp(kind, "directory") == 0;
    db->directory = strcmp(kind, "directory") == 0;
    free(kind);
    return ok || fail_at(p, n, f, NULL, "must be 'file' or 'directory'");
}

/* owners: [user-or-group, ...] -- who may own files of a directory
 * database when a backup is restored (docs/KITS.md). */
static bool read_db_owners(pctx *p, const yaml_node_t *n, const char *field, wp_kit_db *db)
{
    char f[128];
    snprintf(f, sizeof f, "%s.owners", field);
    size_t count;
    if (!n || is_null(n))
        return true;
    if (!db->directory)
        return fail_at(p, n, f, NULL, "only a database of kind directory has owners");
    if (!want_list(p, n, f, &count))
        return false;
    if (count > WP_KIT_OWNERS_MAX)
        return fail_at(p, n, f, NULL, "at most %d owners", WP_KIT_OWNERS_MAX);
    db->owners = calloc(count + 1, sizeof *db->owners);
    for (size_t i = 0; i < count; i++) {
        char fi[160];
        snprintf(fi, sizeof fi, "%s[%zu]", f, i);
        yaml_node_t *it = item_at(p, n, i);
        char *name = NULL;
        if (!want_string(p, it, fi, &name))
            return false;
        db->owners[db->nowners++] = name;
        if (!name[0] || !charset_ok(name, "_-") || strlen(name) > 32 || name[0] == '-')
            return fail_at(p, it, fi, NULL,
                           "a user or group name: 1..32 of a-z, 0-9, '_' and '-', not "
                           "starting with '-'");
    }
    return true;
}

static bool read_db(pctx *p, const yaml_node_t *n, size_t idx)
{
    static const char *const keys[] = {"name", "standalone", "clustered", "initial",
                                       "kind", "owners",     NULL};
    yaml_node_t *v[6];
    char field[64], f[96];
    if (!read_item(p, n, "databases", idx, keys, v, field, sizeof field))
        return false;
    wp_kit *kit = p->kit;
    wp_kit_db *db = &kit->dbs[kit->ndbs++];
    snprintf(f, sizeof f, "%s.name", field);
    if (!need(p, n, field, "name", v[0]) || !want_string(p, v[0], f, &db->name))
        return false;
    if (!charset_ok(db->name, "_-") || strlen(db->name) > WP_APP_NAME_MAX)
        return fail_at(p, v[0], f, NULL, "database names are 1..%d of a-z, 0-9, '_' and '-'",
                       WP_APP_NAME_MAX);
    for (size_t i = 0; i + 1 < kit->ndbs; i++)
        if (strcmp(kit->dbs[i].name, db->name) == 0)
            return fail_at(p, v[0], f, NULL, "'%s' is also the name of databases[%zu]", db->name,
                           i);
    snprintf(f, sizeof f, "%s.standalone", field);
    if (!need(p, n, field, "standalone", v[1]) || !want_path(p, v[1], f, true, &db->standalone))
        return false;
    for (size_t i = 0; i + 1 < kit->ndbs; i++)
        if (strcmp(kit->dbs[i].standalone, db->standalone) == 0)
            return fail_at(p, v[1], f, NULL, "'%s' is also the path of databases[%zu]",
                           db->standalone, i);
    snprintf(f, sizeof f, "%s.clustered", field);
    if (!need(p, n, field, "clustered", v[2]) || !want_path(p, v[2], f, false, &db->clustered))
        return false;
    if (!read_db_kind(p, v[4], field, db) || !read_db_owners(p, v[5], field, db))
        return false;
    snprintf(f, sizeof f, "%s.initial", field);
    if (v[3] && !is_null(v[3]) && db->directory)
        return fail_at(p, v[3], f, NULL, "a database of kind directory starts empty");
    return !v[3] || is_null(v[3]) ||
           (want_path(p, v[3], f, false, &db->initial) && want_kit_file(p, v[3], f, db->initial));
}

static bool read_depends(pctx *p, const yaml_node_t *n, const char *field, wp_kit_service *svc)
{
    size_t count;
    if (!want_list(p, n, field, &count))
        return false;
    svc->depends_on = calloc(count + 1, sizeof *svc->depends_on);
    for (size_t i = 0; i < count; i++) {
        char f[128];
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        yaml_node_t *it = item_at(p, n, i);
        char *dep = NULL;
        if (!want_string(p, it, f, &dep))
            return false;
        svc->depends_on[svc->ndepends++] = dep;
        if (strcmp(dep, svc->name) == 0)
            return fail_at(p, it, f, NULL, "a service cannot depend on itself");
        for (size_t j = 0; j + 1 < svc->ndepends; j++)
            if (strcmp(svc->depends_on[j], dep) == 0)
                return fail_at(p, it, f, NULL, "'%s' is named twice", dep);
    }
    return true;
}

static bool read_service(pctx *p, const yaml_node_t *n, size_t idx)
{
    static const char *const keys[] = {"name",          "command", "check", "depends_on",
                                       "start_timeout", "user",    NULL};
    yaml_node_t *v[6];
    char field[64], f[96];
    if (!read_item(p, n, "services", idx, keys, v, field, sizeof field))
        return false;
    wp_kit *kit = p->kit;
    wp_kit_service *svc = &kit->services[kit->nservices++];
    svc->start_timeout = 30;
    snprintf(f, sizeof f, "%s.name", field);
    if (!need(p, n, field, "name", v[0]) || !want_string(p, v[0], f, &svc->name))
        return false;
    wp_err e;
    if (!wp_app_name_valid(svc->name, &e))
        return fail_at(p, v[0], f, NULL, "service names are 1..%d of a-z, 0-9, '_' and '-'",
                       WP_APP_NAME_MAX);
    for (size_t i = 0; i + 1 < kit->nservices; i++)
        if (strcmp(kit->services[i].name, svc->name) == 0)
            return fail_at(p, v[0], f, NULL, "'%s' is also the name of services[%zu]", svc->name,
                           i);
    snprintf(f, sizeof f, "%s.command", field);
    if (!need(p, n, field, "command", v[1]) || !want_command(p, v[1], f, false, &svc->command))
        return false;
    snprintf(f, sizeof f, "%s.check", field);
    if (v[2] && !is_null(v[2]) && !want_command(p, v[2], f, false, &svc->check))
        return false;
    snprintf(f, sizeof f, "%s.depends_on", field);
    if (v[3] && !is_null(v[3]) && !read_depends(p, v[3], f, svc))
        return false;
    snprintf(f, sizeof f, "%s.start_timeout", field);
    if (v[4]) {
        char *text = NULL;
        if (!want_string(p, v[4], f, &text))
            return false;
        bool ok = wp_duration_parse(text, &svc->start_timeout, &e);
        free(text);
        if (!ok || svc->start_timeout < 1 || svc->start_timeout > 3600)
            return fail_at(p, v[4], f, NULL, "must be a duration from 1s to 1h (\"30\", \"2m\")");
    }
    snprintf(f, sizeof f, "%s.user", field);
    if (v[5] && (!want_string(p, v[5], f, &svc->user) ||
                 !wp_prop_validate(WP_RT_SERVICE, "user", svc->user, &e)))
        return svc->user ? fail_at(p, v[5], f, NULL, "%s", e.why) : false;
    return true;
}

/* Read a list section with one reader per item; *array gets room for all. */
static bool read_list(pctx *p, const yaml_node_t *n, const char *field, size_t elem, void **array,
                      bool (*reader)(pctx *, const yaml_node_t *, size_t))
{
    size_t count;
    if (!want_list(p, n, field, &count))
        return false;
    *array = calloc(count ? count : 1, elem);
    if (!*array)
        return fail_at(p, n, field, NULL, "out of memory");
    for (size_t i = 0; i < count; i++)
        if (!reader(p, item_at(p, n, i), i))
            return false;
    return true;
}

static const wp_kit_service *service_find(const wp_kit *kit, const char *name)
{
    for (size_t i = 0; i < kit->nservices; i++)
        if (strcmp(kit->services[i].name, name) == 0)
            return &kit->services[i];
    return NULL;
}

/* Dependencies name services of the kit or the group's address/name/disk;
 * put the services in dependency order, refusing a cycle. */
static bool order_services(pctx *p, const yaml_node_t *list)
{
    wp_kit *kit = p->kit;
    size_t n = kit->nservices;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < kit->services[i].ndepends; j++) {
            const char *d = kit->services[i].depends_on[j];
            char f[96];
            snprintf(f, sizeof f, "services[%zu].depends_on[%zu]", i, j);
            if (!service_find(kit, d) && strcmp(d, WP_KIT_DEP_ADDRESS) != 0 &&
                strcmp(d, WP_KIT_DEP_NAME) != 0 && strcmp(d, WP_KIT_DEP_DISK) != 0)
                return fail_at(p, item_at(p, list, i), f, NULL,
                               "'%s' is neither a service of this kit nor one of address, name, "
                               "disk",
                               d);
        }
    wp_kit_service *sorted = calloc(n ? n : 1, sizeof *sorted);
    bool *done = calloc(n ? n : 1, sizeof *done);
    size_t k = 0;
    while (k < n) {
        size_t before = k;
        for (size_t i = 0; i < n; i++) {
            if (done[i])
                continue;
            bool ready = true;
            for (size_t j = 0; j < kit->services[i].ndepends && ready; j++) {
                const wp_kit_service *d = service_find(kit, kit->services[i].depends_on[j]);
                ready = !d || done[d - kit->services];
            }
            if (ready) {
                done[i] = true;
                sorted[k++] = kit->services[i];
            }
        }
        if (k == before)
            break;
    }
    size_t stuck = 0;
    while (stuck < n && done[stuck])
        stuck++;
    free(done);
    if (k < n) {
        free(sorted);
        char f[64];
        snprintf(f, sizeof f, "services[%zu].depends_on", stuck);
        return fail_at(p, item_at(p, list, stuck), f, NULL, "'%s' is part of a dependency cycle",
                       kit->services[stuck].name);
    }
    free(kit->services);
    kit->services = sorted;
    return true;
}

static bool read_version_text(pctx *p, const yaml_node_t *n, const char *field, char **out)
{
    if (!want_string(p, n, field, out))
        return false;
    if (strlen(*out) > 32 || !charset_ok(*out, ".+_-")) {
        free(*out);
        *out = NULL;
        return fail_at(p, n, field, NULL,
                       "versions are 1..32 characters of letters, digits and . + _ - "
                       "(write it in quotes: \"1.0\")");
    }
    return true;
}

static bool read_service_pack(pctx *p, const yaml_node_t *root, yaml_node_t *from,
                              yaml_node_t *upgrade)
{
    wp_kit *kit = p->kit;
    bool has_from = from && !is_null(from), has_up = upgrade && !is_null(upgrade);
    if (has_from != has_up)
        return fail_at(p, has_from ? from : upgrade, has_from ? "upgrade" : "upgrades_from",
                       "a service pack names the versions it upgrades and its database upgrade "
                       "step together",
                       "is required with %s", has_from ? "upgrades_from" : "upgrade");
    if (!has_from)
        return true;
    size_t count;
    if (!want_list(p, from, "upgrades_from", &count))
        return false;
    if (count == 0)
        return fail_at(p, from, "upgrades_from", NULL, "must name at least one version");
    kit->upgrades_from = calloc(count + 1, sizeof *kit->upgrades_from);
    for (size_t i = 0; i < count; i++) {
        char f[64];
        snprintf(f, sizeof f, "upgrades_from[%zu]", i);
        yaml_node_t *it = item_at(p, from, i);
        char **slot = &kit->upgrades_from[kit->nupgrades_from];
        if (!read_version_text(p, it, f, slot))
            return false;
        kit->nupgrades_from++;
        if (strcmp(*slot, kit->version) == 0)
            return fail_at(p, it, f, NULL, "a kit cannot upgrade its own version %s", *slot);
    }
    static const char *const keys[] = {"command", NULL};
    yaml_node_t *v[1];
    if (!want_kind(p, upgrade, YAML_MAPPING_NODE, "upgrade") ||
        !read_map(p, upgrade, "upgrade", keys, v) || !need(p, upgrade, "upgrade", "command", v[0]))
        return false;
    (void)root;
    return want_command(p, v[0], "upgrade.command", true, &kit->upgrade);
}

static bool read_bool(pctx *p, const yaml_node_t *n, const char *field, bool *out)
{
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (strcmp(scalar_text(n), "true") == 0)
            return (*out = true), true;
        if (strcmp(scalar_text(n), "false") == 0)
            return (*out = false), true;
    }
    return fail_at(p, n, field, NULL, "must be true or false");
}

enum {
    K_NAME,
    K_VERSION,
    K_EDITION,
    K_CLUSTERABLE,
    K_DESCRIPTION,
    K_PARAMETERS,
    K_FILES,
    K_DATABASES,
    K_SERVICES,
    K_UPGRADES_FROM,
    K_UPGRADE,
    K__COUNT
};

static bool read_top(pctx *p, const yaml_node_t *root)
{
    static const char *const keys[] = {"name",        "version",       "edition", "clusterable",
                                       "description", "parameters",    "files",   "databases",
                                       "services",    "upgrades_from", "upgrade", NULL};
    yaml_node_t *v[K__COUNT];
    if (root->type != YAML_MAPPING_NODE)
        return fail_at(p, root, "(top)", NULL, "the manifest must be a mapping of KEY: VALUE");
    if (!read_map(p, root, "", keys, v))
        return false;
    wp_kit *kit = p->kit;
    wp_err e;
    for (int k = K_NAME; k <= K_CLUSTERABLE; k++)
        if (!need(p, root, "", keys[k], v[k]))
            return false;
    if (!want_string(p, v[K_NAME], "name", &kit->name))
        return false;
    if (!wp_app_name_valid(kit->name, &e))
        return fail_at(p, v[K_NAME], "name", e.why, "'%s' is not a valid application name",
                       kit->name);
    if (!read_version_text(p, v[K_VERSION], "version", &kit->version) ||
        !want_string(p, v[K_EDITION], "edition", &kit->edition))
        return false;
    if (strlen(kit->edition) > 32 || !charset_ok(kit->edition, " ._-"))
        return fail_at(p, v[K_EDITION], "edition", NULL,
                       "editions are 1..32 characters of letters, digits, space . _ -");
    if (!read_bool(p, v[K_CLUSTERABLE], "clusterable", &kit->clusterable))
        return false;
    if (v[K_DESCRIPTION] && !is_null(v[K_DESCRIPTION]) &&
        !want_string(p, v[K_DESCRIPTION], "description", &kit->description))
        return false;
    if (v[K_PARAMETERS] && !is_null(v[K_PARAMETERS]) && !read_params(p, v[K_PARAMETERS]))
        return false;
    if (v[K_FILES] && !is_null(v[K_FILES]) &&
        !read_list(p, v[K_FILES], "files", sizeof(wp_kit_file), (void **)&kit->files, read_file))
        return false;
    if (v[K_DATABASES] && !is_null(v[K_DATABASES]) &&
        !read_list(p, v[K_DATABASES], "databases", sizeof(wp_kit_db), (void **)&kit->dbs, read_db))
        return false;
    if (v[K_SERVICES] && !is_null(v[K_SERVICES]) &&
        (!read_list(p, v[K_SERVICES], "services", sizeof(wp_kit_service), (void **)&kit->services,
                    read_service) ||
         !order_services(p, v[K_SERVICES])))
        return false;
    return read_service_pack(p, root, v[K_UPGRADES_FROM], v[K_UPGRADE]);
}

/* ---- entry points ------------------------------------------------------------------ */

static bool load_document(pctx *p, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    bool ok = yaml_parser_load(&parser, &p->doc) != 0;
    if (!ok) {
        wp_errf(p->err, WP_E_INVALID, "%s:%zu: not valid YAML: %s%s%s", p->file,
                parser.problem_mark.line + 1, parser.problem ? parser.problem : "syntax error",
                parser.context ? " " : "", parser.context ? parser.context : "");
        wp_err_why(p->err, "the manifest must be one YAML document (column %zu)",
                   parser.problem_mark.column + 1);
        wp_err_todo(p->err, "%s", todo_fix);
    } else {
        yaml_document_t extra;
        if (yaml_parser_load(&parser, &extra)) {
            bool more = yaml_document_get_root_node(&extra) != NULL;
            size_t line = extra.start_mark.line + 1;
            yaml_document_delete(&extra);
            if (more) {
                wp_errf(p->err, WP_E_INVALID, "%s:%zu: a second YAML document", p->file, line);
                wp_err_why(p->err, "a kit manifest is exactly one document");
                wp_err_todo(p->err, "remove the '---' and what follows it");
                yaml_document_delete(&p->doc);
                ok = false;
            }
        }
    }
    yaml_parser_delete(&parser);
    return ok;
}

/* Walk the YAML events (no tree is built) and refuse, before the loader
 * runs, nesting deeper than WP_KIT_DEPTH_MAX and any alias: libyaml's cost
 * grows with the square of the nesting depth, so a small file of nested
 * "[[[[..." would otherwise keep the parser busy for minutes, and aliases
 * let a small file name one subtree many times.  A syntax error is left to
 * the loader, which reports it with its line. */
static bool check_shape(pctx *p, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int depth = 0;
    bool ok = true, done = false;
    while (ok && !done && yaml_parser_parse(&parser, &ev)) {
        size_t line = ev.start_mark.line + 1;
        if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
            if (++depth > WP_KIT_DEPTH_MAX) {
                wp_errf(p->err, WP_E_INVALID, "%s:%zu: nested deeper than %d levels", p->file, line,
                        WP_KIT_DEPTH_MAX);
                wp_err_why(p->err,
                           "a kit manifest needs 5 levels at most; deeper nesting is refused "
                           "before the manifest is parsed, so that a crafted file cannot keep "
                           "the parser busy");
                ok = false;
            }
        } else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
            depth--;
        } else if (ev.type == YAML_ALIAS_EVENT) {
            wp_errf(p->err, WP_E_INVALID, "%s:%zu: a YAML alias (*NAME)", p->file, line);
            wp_err_why(p->err, "kit manifests do not use anchors and aliases: every value is "
                               "written where it is used");
            ok = false;
        } else if (ev.type == YAML_STREAM_END_EVENT) {
            done = true;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (!ok)
        wp_err_todo(p->err, "%s", todo_fix);
    return ok;
}

wp_kit *wp_kit_parse(const char *text, size_t len, const char *name, const char *kit_dir,
                     wp_err *err)
{
    pctx p = {.file = name, .kit_dir = kit_dir, .err = err};
    if (len > WP_KIT_MANIFEST_MAX) {
        wp_errf(err, WP_E_INVALID, "%s: %zu bytes, larger than %u KiB", name, len,
                WP_KIT_MANIFEST_MAX / 1024);
        wp_err_why(err, "kit manifests are small text files; a larger one is refused unread");
        wp_err_todo(err, "%s", todo_fix);
        return NULL;
    }
    if (memchr(text, '\0', len)) {
        wp_errf(err, WP_E_INVALID, "%s: holds a NUL byte", name);
        wp_err_why(err, "a kit manifest is UTF-8 text");
        wp_err_todo(err, "%s", todo_fix);
        return NULL;
    }
    if (!check_shape(&p, text, len) || !load_document(&p, text, len))
        return NULL;
    p.kit = calloc(1, sizeof *p.kit);
    p.kit->dir = strdup(kit_dir ? kit_dir : ".");
    p.kit->path = strdup(name);
    yaml_node_t *root = yaml_document_get_root_node(&p.doc);
    bool ok;
    if (!root) {
        wp_errf(err, WP_E_INVALID, "%s:1: the manifest is empty", name);
        wp_err_why(err, "name, version, edition and clusterable are required");
        wp_err_todo(err, "%s", todo_fix);
        ok = false;
    } else {
        ok = read_top(&p, root);
    }
    yaml_document_delete(&p.doc);
    if (!ok) {
        wp_kit_free(p.kit);
        return NULL;
    }
    return p.kit;
}

/* Is path (resolved) inside dir (resolved)? */
static bool path_inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return path[0] == '/' && path[1] != '\0';
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

bool wp_kit_resolve(const char *dir, const char *rel, char *out, size_t size, wp_err *err)
{
    char kitdir[PATH_MAX], full[PATH_MAX], real[PATH_MAX];
    if (!realpath(dir, kitdir)) {
        int e = errno;
        wp_errf(err, e == ENOENT ? WP_E_NOTFOUND : WP_E_IO, "cannot open the kit directory %s",
                dir);
        wp_err_why(err, "%s", strerror(e));
        wp_err_todo(err, "name an existing kit directory");
        return false;
    }
    snprintf(full, sizeof full, "%s/%s", dir, rel);
    if (!realpath(full, real)) {
        int e = errno;
        wp_errf(err, e == ENOENT ? WP_E_NOTFOUND : WP_E_IO, "'%s' is not in the kit (%s)", rel,
                full);
        wp_err_why(err, "%s", strerror(e));
        wp_err_todo(err, "add the file to the kit, or correct the manifest");
        return false;
    }
    struct stat st;
    if (!path_inside(real, kitdir)) {
        wp_errf(err, WP_E_PERM, "'%s' of the kit %s leads out of the kit, to %s", rel, dir, real);
        wp_err_why(err, "a kit's files must be inside its directory: a symlink pointing out of "
                        "it would install or read a file of this machine that the kit does "
                        "not own");
        wp_err_todo(err, "replace the symlink with the file itself");
        return false;
    }
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
        wp_errf(err, WP_E_INVALID, "'%s' of the kit %s is not a regular file", rel, dir);
        wp_err_why(err, "kits name files, not directories, devices or pipes");
        wp_err_todo(err, "correct the manifest or the kit");
        return false;
    }
    if ((size_t)snprintf(out, size, "%s", real) >= size) {
        wp_errf(err, WP_E_INVALID, "the path of '%s' in the kit %s is too long", rel, dir);
        return false;
    }
    return true;
}

/* Read a whole manifest file (already checked: a regular file of at most
 * WP_KIT_MANIFEST_MAX bytes) into a malloc'd buffer. */
static char *read_manifest(const char *path, size_t *len, wp_err *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    char *text = NULL;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size > (off_t)WP_KIT_MANIFEST_MAX) {
        bool big = fd >= 0 && S_ISREG(st.st_mode) && st.st_size > (off_t)WP_KIT_MANIFEST_MAX;
        int e = errno;
        if (fd >= 0)
            close(fd);
        wp_errf(err, WP_E_INVALID, "cannot read the kit manifest %s", path);
        if (big)
            wp_err_why(err, "it is larger than %u KiB; kit manifests are small text files",
                       WP_KIT_MANIFEST_MAX / 1024);
        else
            wp_err_why(err, "%s", fd < 0 ? strerror(e) : "it is not a regular file");
        wp_err_todo(err, "check the file");
        return NULL;
    }
    text = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (text && got < (size_t)st.st_size) {
        ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!text || got != (size_t)st.st_size) {
        free(text);
        wp_errf(err, WP_E_IO, "cannot read the kit manifest %s", path);
        wp_err_why(err, "it could not be read completely (changed while reading?)");
        wp_err_todo(err, "check the file");
        return NULL;
    }
    *len = got;
    return text;
}

wp_kit *wp_kit_load(const char *dir, wp_err *err)
{
    char path[PATH_MAX], real[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, WP_KIT_MANIFEST);
    if (!wp_kit_resolve(dir, WP_KIT_MANIFEST, real, sizeof real, err)) {
        if (err && err->code == WP_E_NOTFOUND) {
            wp_errf(err, WP_E_NOTFOUND, "cannot read the kit manifest %s", path);
            wp_err_why(err, "%s", strerror(ENOENT));
            wp_err_todo(err, "name a kit directory that holds %s", WP_KIT_MANIFEST);
        }
        return NULL;
    }
    size_t len = 0;
    char *text = read_manifest(real, &len, err);
    if (!text)
        return NULL;
    wp_kit *kit = wp_kit_parse(text, len, path, dir, err);
    free(text);
    return kit;
}

static void free_service(wp_kit_service *s)
{
    free(s->name);
    free(s->user);
    wp_argv_free(s->command);
    wp_argv_free(s->check);
    for (size_t j = 0; j < s->ndepends; j++)
        free(s->depends_on[j]);
    free(s->depends_on);
}

void wp_kit_free(wp_kit *kit)
{
    if (!kit)
        return;
    free(kit->dir);
    free(kit->path);
    free(kit->name);
    free(kit->version);
    free(kit->edition);
    free(kit->description);
    for (size_t i = 0; i < kit->nparams; i++) {
        free(kit->params[i].name);
        free(kit->params[i].value);
    }
    free(kit->params);
    for (size_t i = 0; i < kit->nfiles; i++) {
        free(kit->files[i].from);
        free(kit->files[i].to);
    }
    free(kit->files);
    for (size_t i = 0; i < kit->ndbs; i++) {
        free(kit->dbs[i].name);
        free(kit->dbs[i].standalone);
        free(kit->dbs[i].clustered);
        free(kit->dbs[i].initial);
        for (size_t j = 0; j < kit->dbs[i].nowners; j++)
            free(kit->dbs[i].owners[j]);
        free(kit->dbs[i].owners);
    }
    free(kit->dbs);
    for (size_t i = 0; i < kit->nservices; i++)
        free_service(&kit->services[i]);
    free(kit->services);
    for (size_t i = 0; i < kit->nupgrades_from; i++)
        free(kit->upgrades_from[i]);
    free(kit->upgrades_from);
    wp_argv_free(kit->upgrade);
    free(kit);
}

bool wp_kit_is_service_pack(const wp_kit *kit)
{
    return kit->nupgrades_from > 0;
}

const wp_kit_db *wp_kit_db_find(const wp_kit *kit, const char *name)
{
    for (size_t i = 0; i < kit->ndbs; i++)
        if (strcmp(kit->dbs[i].name, name) == 0)
            return &kit->dbs[i];
    return NULL;
}

const wp_kit_param *wp_kit_param_find(const wp_kit *kit, const char *name)
{
    for (size_t i = 0; i < kit->nparams; i++)
        if (kit->params[i].name && strcmp(kit->params[i].name, name) == 0)
            return &kit->params[i];
    return NULL;
}

static const char *const secret_names[] = {
    [WP_KIT_SECRET_HASH] = "hash",
    [WP_KIT_SECRET_HASH_LIST] = "hash-list",
    [WP_KIT_SECRET_FILE] = "file",
};

const char *wp_kit_secret_name(wp_kit_secret kind)
{
    return kind > WP_KIT_SECRET_NONE && kind <= WP_KIT_SECRET_FILE ? secret_names[kind] : NULL;
}

bool wp_kit_secret_parse(const char *text, wp_kit_secret *kind)
{
    for (int k = WP_KIT_SECRET_HASH; k <= WP_KIT_SECRET_FILE; k++)
        if (strcmp(text, secret_names[k]) == 0) {
            *kind = (wp_kit_secret)k;
            return true;
        }
    return false;
}

const char *wp_kit_param_get(const wp_kit *kit, const char *name)
{
    for (size_t i = 0; i < kit->nparams; i++)
        if (kit->params[i].name && strcmp(kit->params[i].name, name) == 0)
            return kit->params[i].value;
    return NULL;
}

/* ---- variables ---------------------------------------------------------------------- */

static const char *var_lookup(const wp_kit_var *vars, size_t nvars, const char *name, size_t len)
{
    for (size_t i = 0; i < nvars; i++)
        if (strlen(vars[i].name) == len && strncmp(vars[i].name, name, len) == 0)
            return vars[i].value;
    return NULL;
}

char *wp_kit_expand(const char *text, const wp_kit_var *vars, size_t nvars, wp_err *err)
{
    char *out = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&out, &size);
    if (!m) {
        wp_errf(err, WP_E_INTERNAL, "out of memory");
        return NULL;
    }
    const char *s = text;
    bool ok = true;
    while (*s && ok) {
        if (s[0] == '$' && s[1] == '$') {
            fputc('$', m);
            s += 2;
        } else if (s[0] == '$' && s[1] == '{') {
            const char *close = strchr(s + 2, '}');
            const char *val =
                close ? var_lookup(vars, nvars, s + 2, (size_t)(close - s - 2)) : NULL;
            if (!val) {
                int len = close ? (int)(close - s + 1) : (int)strlen(s);
                wp_errf(err, WP_E_INVALID, "unknown variable %.*s", len, s);
                wp_err_why(err, "commands may use ${root}, ${db:NAME} of a declared database "
                                "and ${PARAMETER} of a declared parameter (${kit} in the "
                                "upgrade step); write $$ for a literal $");
                ok = false;
            } else {
                fputs(val, m);
                s = close + 1;
            }
        } else {
            fputc(*s++, m);
        }
    }
    fclose(m);
    if (!ok) {
        free(out);
        return NULL;
    }
    return out;
}

char **wp_kit_expand_argv(char *const *argv, const wp_kit_var *vars, size_t nvars, wp_err *err)
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **out = calloc(n + 1, sizeof *out);
    if (!out) {
        wp_errf(err, WP_E_INTERNAL, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = wp_kit_expand(argv[i], vars, nvars, err);
        if (!out[i]) {
            wp_argv_free(out);
            return NULL;
        }
    }
    return out;
}
