/*
 * table.c -- human output of `wolfpack`: aligned tables for listings,
 * key/value blocks for `show`, and pretty JSON for --json.
 *
 * A wp_table owns copies of its cells; widths are computed when printed, so
 * rows can be added in any order.  No colours: the output is meant to be
 * read by people and grepped by scripts alike (scripts should use --json).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct wp_table {
    int ncols;
    size_t nrows, cap; /* rows, not counting the header row */
    char **cells;      /* (nrows + 1) * ncols, row 0 = headers */
};

static char *dup_cell(const char *s)
{
    char *d = strdup(s ? s : "-");
    if (!d)
        abort(); /* out of memory while printing: nothing sensible to do */
    return d;
}

static void ensure_room(wp_table *t)
{
    if (t->nrows + 1 < t->cap)
        return;
    t->cap = t->cap ? t->cap * 2 : 16;
    t->cells = realloc(t->cells, t->cap * (size_t)t->ncols * sizeof *t->cells);
    if (!t->cells)
        abort();
}

wp_table *wp_table_new(int ncols, const char *const *headers)
{
    wp_table *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->ncols = ncols;
    ensure_room(t);
    for (int c = 0; c < ncols; c++)
        t->cells[c] = dup_cell(headers[c]);
    return t;
}

void wp_table_add(wp_table *t, const char *const *cells)
{
    ensure_room(t);
    t->nrows++;
    for (int c = 0; c < t->ncols; c++)
        t->cells[t->nrows * (size_t)t->ncols + (size_t)c] = dup_cell(cells[c]);
}

void wp_table_print(const wp_table *t, FILE *out, const char *indent)
{
    size_t width[t->ncols];
    for (int c = 0; c < t->ncols; c++) {
        width[c] = 0;
        for (size_t r = 0; r <= t->nrows; r++) {
            size_t len = strlen(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (len > width[c])
                width[c] = len;
        }
    }
    for (size_t r = 0; r <= t->nrows; r++) {
        fputs(indent, out);
        for (int c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * (size_t)t->ncols + (size_t)c];
            if (c == t->ncols - 1)
                fprintf(out, "%s\n", cell);
            else
                fprintf(out, "%-*s  ", (int)width[c], cell);
        }
    }
}

void wp_table_free(wp_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < (t->nrows + 1) * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

void wp_cli_print_json(const json_t *value, FILE *out)
{
    json_dumpf(value, out, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    fputc('\n', out);
}

/* Comma-join the strings of an array into buf. */
static const char *join_array(const json_t *arr, char *buf, size_t size)
{
    size_t used = 0;
    size_t i;
    json_t *item;
    buf[0] = '\0';
    json_array_foreach(arr, i, item)
    {
        char tmp[64];
        const char *s =
            json_is_string(item) ? json_string_value(item) : wp_cli_text(item, tmp, sizeof tmp);
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", s);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    return used ? buf : "-";
}

const char *wp_cli_text(const json_t *value, char *buf, size_t size)
{
    if (!value || json_is_null(value))
        return "-";
    if (json_is_string(value))
        return json_string_length(value) ? json_string_value(value) : "\"\"";
    if (json_is_boolean(value))
        return json_is_true(value) ? "yes" : "no";
    if (json_is_integer(value)) {
        snprintf(buf, size, "%lld", (long long)json_integer_value(value));
        return buf;
    }
    if (json_is_array(value))
        return join_array(value, buf, size);
    char *dump = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(buf, size, "%s", dump ? dump : "?");
    free(dump);
    return buf;
}

void wp_cli_print_kv(FILE *out, int width, const char *key, const char *value)
{
    fprintf(out, "  %s:%*s %s\n", key, width - (int)strlen(key), "", value);
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void wp_cli_print_object_block(FILE *out, const char *title, const json_t *obj)
{
    const char *key;
    json_t *value;
    int width = 0;
    fprintf(out, "%s:\n", title);
    if (!json_is_object(obj) || json_object_size(obj) == 0) {
        fprintf(out, "  (none)\n");
        return;
    }
    json_object_foreach((json_t *)obj, key, value)
    {
        if ((int)strlen(key) > width)
            width = (int)strlen(key);
    }
    /* Sorted keys, so the output does not depend on the daemon's order. */
    size_t n = json_object_size(obj), i = 0;
    const char **keys = malloc(n * sizeof *keys);
    if (!keys)
        abort();
    json_object_foreach((json_t *)obj, key, value) keys[i++] = key;
    qsort(keys, n, sizeof *keys, cmp_keys);
    for (i = 0; i < n; i++) {
        char buf[1024];
        wp_cli_print_kv(out, width, keys[i],
                        wp_cli_text(json_object_get(obj, keys[i]), buf, sizeof buf));
    }
    free(keys);
}
