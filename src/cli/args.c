/*
 * args.c -- option and KEY=VALUE parsing for the verbs of `wolfpack`.
 *
 * Each verb declares the options it accepts as a small wp_cli_opt array;
 * wp_cli_parse walks argv once, collecting option values and positional
 * arguments, and refuses anything it does not know.  "--json" and "--help"
 * are understood everywhere.  KEY=VALUE pairs become JSON objects for the
 * "props" and "policy" arguments of the IPC requests, checked locally with
 * the model's validators so a typo is reported before the daemon is asked.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/model.h"
#include "cli.h"

wp_cli_opt *wp_cli_opt_get(wp_cli_opt *opts, int nopts, const char *name)
{
    for (int i = 0; i < nopts; i++)
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    return NULL;
}

/* Find the option that `arg` names ("--x" or "--x=value"); *inline_value
 * points after '=' when present. */
static wp_cli_opt *find_opt(wp_cli_opt *opts, int nopts, const char *arg, const char **inline_value)
{
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    *inline_value = eq ? eq + 1 : NULL;
    for (int i = 0; i < nopts; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, arg, len) == 0)
            return &opts[i];
    return NULL;
}

static bool add_value(wp_cli_opt *o, const char *value, wp_err *err)
{
    if (o->count >= WP_CLI_MAX_VALUES) {
        wp_errf(err, WP_E_INVALID, "too many %s options", o->name);
        wp_err_why(err, "at most %d are accepted in one command", WP_CLI_MAX_VALUES);
        wp_err_todo(err, "split the change into several commands");
        return false;
    }
    o->values[o->count++] = value;
    return true;
}

static bool add_positional(wp_cli_args *out, const char *arg, wp_err *err)
{
    if (out->npos >= WP_CLI_MAX_VALUES) {
        wp_errf(err, WP_E_INVALID, "too many arguments");
        wp_err_todo(err, "see the usage line below");
        return false;
    }
    out->pos[out->npos++] = arg;
    return true;
}

/* One "--name[=value]" argument at argv[*i]; may consume argv[*i + 1]. */
static bool parse_option(wp_cli *cli, int argc, char **argv, int *i, wp_cli_opt *opts, int nopts,
                         wp_cli_args *out, wp_err *err)
{
    const char *arg = argv[*i];
    if (strcmp(arg, "--json") == 0) {
        cli->json = true;
        return true;
    }
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        out->help = true;
        return true;
    }
    const char *value;
    wp_cli_opt *o = find_opt(opts, nopts, arg, &value);
    if (!o) {
        wp_errf(err, WP_E_INVALID, "unknown option '%s'", arg);
        wp_err_why(err, "this command does not take that option");
        wp_err_todo(err, "see the usage line below");
        return false;
    }
    if (!o->has_value) {
        if (value) {
            wp_errf(err, WP_E_INVALID, "option %s takes no value", o->name);
            wp_err_todo(err, "write it as '%s' alone", o->name);
            return false;
        }
        o->count++;
        return true;
    }
    if (!value) {
        if (*i + 1 >= argc) {
            wp_errf(err, WP_E_INVALID, "option %s needs a value", o->name);
            wp_err_todo(err, "write '%s VALUE'", o->name);
            return false;
        }
        value = argv[++*i];
    }
    return add_value(o, value, err);
}

bool wp_cli_parse(wp_cli *cli, int argc, char **argv, wp_cli_opt *opts, int nopts, wp_cli_args *out,
                  wp_err *err)
{
    memset(out, 0, sizeof *out);
    bool only_positional = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!only_positional && strcmp(arg, "--") == 0) {
            only_positional = true;
            continue;
        }
        bool is_opt = !only_positional && arg[0] == '-' && arg[1] != '\0';
        if (is_opt && !parse_option(cli, argc, argv, &i, opts, nopts, out, err))
            return false;
        if (!is_opt && !add_positional(out, arg, err))
            return false;
    }
    return true;
}

bool wp_cli_kv_split(const char *text, const char *option, char **key, char **value, wp_err *err)
{
    const char *eq = strchr(text, '=');
    if (!eq || eq == text) {
        wp_errf(err, WP_E_INVALID, "bad %s value '%s'", option, text);
        wp_err_why(err, "expected KEY=VALUE with a non-empty KEY");
        wp_err_todo(err, "write it as %s KEY=VALUE", option);
        return false;
    }
    *key = strndup(text, (size_t)(eq - text));
    *value = strdup(eq + 1);
    if (!*key || !*value) {
        free(*key);
        free(*value);
        wp_errf(err, WP_E_INTERNAL, "out of memory");
        return false;
    }
    return true;
}

static bool kv_add(json_t *obj, const char *option, const char *text, wp_cli_kv_check check,
                   wp_err *err)
{
    char *key = NULL, *value = NULL;
    if (!wp_cli_kv_split(text, option, &key, &value, err))
        return false;
    bool ok = true;
    if (json_object_get(obj, key)) {
        wp_errf(err, WP_E_INVALID, "%s %s given twice", option, key);
        wp_err_why(err, "each key may appear once in one command");
        wp_err_todo(err, "keep only the value you want");
        ok = false;
    }
    if (ok && check)
        ok = check(key, value, err);
    if (ok)
        json_object_set_new(obj, key, json_string(value));
    free(key);
    free(value);
    return ok;
}

bool wp_cli_kv_into(json_t *obj, const wp_cli_opt *opt, wp_cli_kv_check check, wp_err *err)
{
    for (int i = 0; i < opt->count; i++)
        if (!kv_add(obj, opt->name, opt->values[i], check, err))
            return false;
    return true;
}

bool wp_cli_null_into(json_t *obj, const wp_cli_opt *opt, wp_err *err)
{
    for (int i = 0; i < opt->count; i++) {
        const char *key = opt->values[i];
        if (key[0] == '\0' || strchr(key, '=')) {
            wp_errf(err, WP_E_INVALID, "bad %s value '%s'", opt->name, key);
            wp_err_why(err, "expected a key alone, without '=' or a value");
            wp_err_todo(err, "write it as %s KEY", opt->name);
            return false;
        }
        if (json_object_get(obj, key)) {
            wp_errf(err, WP_E_INVALID, "key '%s' is both set and reset", key);
            wp_err_why(err, "one command cannot both change and reset a key");
            wp_err_todo(err, "keep only one of them");
            return false;
        }
        json_object_set_new(obj, key, json_null());
    }
    return true;
}

bool wp_cli_check_group_policy(const char *key, const char *value, wp_err *err)
{
    return wp_group_policy_validate(key, value, NULL, err);
}

bool wp_cli_check_resource_policy(const char *key, const char *value, wp_err *err)
{
    return wp_resource_policy_validate(key, value, NULL, err);
}
