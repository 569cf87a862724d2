/*
 * table.c -- human output of `wolfpack`: aligned tables for listings,
 * key/value blocks for `show`, and pretty JSON for --json.
 *
 * A wp_table owns copies of its cells; widths are computed when printed, so
 * rows can be added in any order.  A cell may be painted (wp_table_paint)
 * with an SGR colour code; the caller paints only when colour is wanted
 * (`wolfpack status --color`, on a terminal), so listings stay plain text
 * that people read and scripts grep alike (scripts should use --json).
 * Padding is computed on the text, never on the escape sequences.  Every
 * cell and key/value is escaped (src/lib/text.h) as it is taken: it may
 * come from outside (a name, a value, an agent's error).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct wp_table {
    int ncols;
    size_t nrows, cap; /* rows, not counting the header row */
    char **cells;      /* (nrows + 1) * ncols, row 0 = headers */
    const char **sgr;  /* same layout: a cell's SGR code ("32") or NULL */
};

static char *dup_cell(const char *s)
{
    char *d = wp_text_escape(s ? s : "-");
    if (!d)
        abort(); /* out of memory while printing: nothing sensible to do */
    return d;
}

static void ensure_room(wp_table *t)
{
    if (t->nrows + 1 < t->cap)
        return;
    t->cap = t->cap ? t->cap * 2 : 16;
    size_t old = t->nrows ? (t->nrows + 1) * (size_t)t->ncols : 0;
    t->cells = realloc(t->cells, t->cap * (size_t)t->ncols * sizeof *t->cells);
    t->sgr = realloc(t->sgr, t->cap * (size_t)t->ncols * sizeof *t->sgr);
    if (!t->cells || !t->sgr)
        abort();
    for (size_t i = old; i < t->cap * (size_t)t->ncols; i++)
        t->sgr[i] = NULL;
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

void wp_table_paint(wp_table *t, int col, const char *sgr)
{
    if (col >= 0 && col < t->ncols)
        t->sgr[t->nrows * (size_t)t->ncols + (size_t)col] = sgr;
}

/* One cell, in its colour when painted, padded to width (0: not padded). */
static void print_cell(FILE *out, const char *cell, const char *sgr, size_t width)
{
    size_t len = strlen(cell);
    if (sgr)
        fprintf(out, "\033[%sm%s\033[0m", sgr, cell);
    else
        fputs(cell, out);
    for (; width && len < width; len++)
        fputc(' ', out);
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
            size_t i = r * (size_t)t->ncols + (size_t)c;
            bool last = c == t->ncols - 1;
            print_cell(out, t->cells[i], t->sgr[i], last ? 0 : width[c]);
            fputs(last ? "\n" : "  ", out);
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
    free(t->sgr);
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
    char *k = wp_text_escape(key), *v = wp_text_escape(value);
    if (!k || !v)
        abort(); /* out of memory while printing: nothing sensible to do */
    fprintf(out, "  %s:%*s %s\n", k, width - (int)strlen(k), "", v);
    free(k);
    free(v);
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
