/*
 * conffile.c -- strict `key = value` configuration files: parse a text into
 * entries, read a file, look a key up; the command line's first pass that
 * finds the file.  See conffile.h.
 */
#include "conffile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "text.h"

#define TODO_EDIT "correct or remove that line of %s (see wolfpackd(8), \"CONFIGURATION\")"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static void trim(const char **b, const char **e)
{
    while (*b < *e && is_blank(**b))
        (*b)++;
    while (*e > *b && is_blank((*e)[-1]))
        (*e)--;
}

/* A key: a lower-case letter, then letters, digits, '-' and '_'. */
static bool key_chars_valid(const char *b, const char *e)
{
    if (b == e || *b < 'a' || *b > 'z')
        return false;
    for (const char *p = b; p < e; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return false;
    }
    return true;
}

static bool key_known(const char *key, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++) {
        if (strcmp(keys[i], key) == 0)
            return true;
    }
    return false;
}

static void known_keys_text(const char *const *keys, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; keys[i] && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? ", " : "", keys[i]);
}

/* Set err to "PATH:LINE: WHAT" with why and the standard to-do. */
static void line_error(wp_err *err, const char *path, unsigned line, const char *what,
                       const char *why)
{
    wp_errf(err, WP_E_INVALID, "%s:%u: %s", path, line, what);
    wp_err_why(err, "%s", why);
    wp_err_todo(err, TODO_EDIT, path);
}

static bool add_entry(wp_conf *c, const char *kb, size_t klen, const char *vb, size_t vlen,
                      unsigned line)
{
    wp_conf_entry *grown = realloc(c->entries, (c->n + 1) * sizeof *grown);
    if (!grown)
        return false;
    c->entries = grown;
    wp_conf_entry *e = &c->entries[c->n];
    e->key = strndup(kb, klen);
    e->value = strndup(vb, vlen);
    e->line = line;
    if (!e->key || !e->value) {
        free(e->key);
        free(e->value);
        return false;
    }
    c->n++;
    return true;
}

/* One line [b, e) without its newline. */
static bool parse_line(const char *path, const char *b, const char *e, unsigned line,
                       const char *const *keys, wp_conf *c, wp_err *err)
{
    char shown[120], key[64], known[512];

    if (e - b > WP_CONFFILE_LINE_MAX) {
        wp_errf(err, WP_E_INVALID, "%s:%u: the line is too long", path, line);
        wp_err_why(err, "it has %zu bytes; a line may have at most %d", (size_t)(e - b),
                   WP_CONFFILE_LINE_MAX);
        wp_err_todo(err, TODO_EDIT, path);
        return false;
    }
    trim(&b, &e);
    if (b == e || *b == '#')
        return true;
    wp_text_escape_buf(shown, sizeof shown, b, (size_t)(e - b));
    char *raw = strndup(b, (size_t)(e - b));
    bool clean = raw && memchr(b, '\0', (size_t)(e - b)) == NULL && wp_text_is_clean(raw);
    free(raw);
    if (!clean) {
        line_error(err, path, line, "the line holds a control character or invalid UTF-8", shown);
        return false;
    }
    const char *eq = memchr(b, '=', (size_t)(e - b));
    const char *kb = b, *ke = eq ? eq : e;
    trim(&kb, &ke);
    if (!eq || !key_chars_valid(kb, ke) || (size_t)(ke - kb) >= sizeof key) {
        char why[256];
        snprintf(why, sizeof why,
                 "\"%s\" is not `key = value` (a key is lower-case letters, "
                 "digits and '-', e.g. admin-group = hadmin)",
                 shown);
        line_error(err, path, line, "not a setting", why);
        return false;
    }
    snprintf(key, sizeof key, "%.*s", (int)(ke - kb), kb);
    if (!key_known(key, keys)) {
        char why[700];
        known_keys_text(keys, known, sizeof known);
        snprintf(why, sizeof why, "the keys are: %s", known);
        wp_errf(err, WP_E_INVALID, "%s:%u: unknown key \"%s\"", path, line, key);
        wp_err_why(err, "%s", why);
        wp_err_todo(err, TODO_EDIT, path);
        return false;
    }
    const wp_conf_entry *first = wp_conf_get(c, key);
    if (first) {
        wp_errf(err, WP_E_INVALID, "%s:%u: \"%s\" is set again", path, line, key);
        wp_err_why(err, "line %u sets it already; a key may be set once", first->line);
        wp_err_todo(err, "keep one of the two lines of %s", path);
        return false;
    }
    const char *vb = eq + 1, *ve = e;
    trim(&vb, &ve);
    if (vb == ve) {
        wp_errf(err, WP_E_INVALID, "%s:%u: \"%s\" has no value", path, line, key);
        wp_err_why(err, "nothing follows '='");
        wp_err_todo(err, "give a value, or put '#' before the line of %s to use the default", path);
        return false;
    }
    if (!add_entry(c, kb, (size_t)(ke - kb), vb, (size_t)(ve - vb), line)) {
        wp_errf(err, WP_E_INTERNAL, "%s:%u: cannot keep the setting", path, line);
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "check the machine's memory and try again");
        return false;
    }
    return true;
}

bool wp_conf_parse(const char *path, const char *text, size_t len, const char *const *keys,
                   wp_conf *out, wp_err *err)
{
    memset(out, 0, sizeof *out);
    out->path = strdup(path);
    if (!out->path) {
        wp_errf(err, WP_E_INTERNAL, "cannot read %s", path);
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "check the machine's memory and try again");
        return false;
    }
    if (len > WP_CONFFILE_MAX) {
        wp_errf(err, WP_E_INVALID, "%s is too large", path);
        wp_err_why(err, "it has %zu bytes; a configuration file may have at most %d", len,
                   WP_CONFFILE_MAX);
        wp_err_todo(err, "check that %s is the configuration file", path);
        wp_conf_free(out);
        return false;
    }
    unsigned line = 1;
    for (const char *p = text, *end = text + len; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        if (!parse_line(path, p, e, line, keys, out, err)) {
            wp_conf_free(out);
            return false;
        }
        p = e + 1;
    }
    return true;
}

/* The whole regular file at fd, at most WP_CONFFILE_MAX + 1 bytes. */
static char *read_all(int fd, const char *path, size_t *len, wp_err *err)
{
    struct stat st;
    const char *why = NULL;
    if (fstat(fd, &st) != 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "it is not a regular file";
    if (why) {
        wp_errf(err, WP_E_INVALID, "cannot read the configuration %s", path);
        wp_err_why(err, "%s", why);
        wp_err_todo(err, "give the path of a configuration file (--config)");
        return NULL;
    }
    char *buf = malloc(WP_CONFFILE_MAX + 2);
    size_t used = 0;
    while (buf && used <= WP_CONFFILE_MAX) {
        ssize_t r = read(fd, buf + used, WP_CONFFILE_MAX + 1 - used);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            wp_errf(err, WP_E_IO, "cannot read the configuration %s", path);
            wp_err_why(err, "%s", strerror(errno));
            wp_err_todo(err, "check the file and its permissions");
            free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        used += (size_t)r;
    }
    if (!buf) {
        wp_errf(err, WP_E_INTERNAL, "cannot read the configuration %s", path);
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "check the machine's memory and try again");
        return NULL;
    }
    buf[used] = '\0';
    *len = used;
    return buf;
}

bool wp_conf_read(const char *path, bool missing_ok, const char *const *keys, wp_conf *out,
                  wp_err *err)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT && missing_ok)
            return true;
        wp_errf(err, WP_E_IO, "cannot open the configuration %s", path);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "check the path given with --config and the file's permissions");
        return false;
    }
    size_t len = 0;
    char *text = read_all(fd, path, &len, err);
    close(fd);
    if (!text)
        return false;
    bool ok = wp_conf_parse(path, text, len, keys, out, err);
    free(text);
    return ok;
}

const wp_conf_entry *wp_conf_get(const wp_conf *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->entries[i].key, key) == 0)
            return &c->entries[i];
    }
    return NULL;
}

void wp_conf_free(wp_conf *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->entries[i].key);
        free(c->entries[i].value);
    }
    free(c->entries);
    free(c->path);
    memset(c, 0, sizeof *c);
}

const char *wp_conf_first_pass(int argc, char **argv, const struct option *longopts,
                               const char *program, void (*usage)(FILE *out), FILE *out,
                               bool *exit_now)
{
    const char *path = NULL;
    int ch;

    *exit_now = false;
    opterr = 0;
    while (!*exit_now && (ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (ch == 'C')
            path = optarg;
        else if (ch == 'h') {
            usage(out);
            *exit_now = true;
        } else if (ch == 'V') {
            fprintf(out, "%s %s\n", program, WP_VERSION);
            *exit_now = true;
        }
    }
    opterr = 1;
    optind = 0; /* glibc: start the next getopt_long afresh */
    return path;
}
