/*
 * files.c -- the page's static files (web.h): GET or HEAD of a path under
 * --web-root; "/" is index.html.  Refused with 404, before the file system
 * is asked: a path with a segment that starts with "." (so "..", and
 * hidden files), a backslash or a control character.  The file is opened
 * beneath the root with openat2 RESOLVE_BENEATH, so neither a ".." nor a
 * symbolic link leads out of it (a kernel without openat2: openat with
 * O_NOFOLLOW).
 * The Content-Type comes from the name's extension; unknown ones are
 * application/octet-stream (with nosniff, http.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "web.h"

static const char *content_type(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(path, '.');

    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i][0]) == 0)
            return types[i][1];
    return "application/octet-stream";
}

/* Is url a path we serve at all? */
static bool path_ok(const char *url)
{
    if (url[0] != '/' || strlen(url) > 1024)
        return false;
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
            return false;
        if (*p == '/' && p[1] == '.')
            return false;
    }
    return true;
}

/* Open rel under the root directory dirfd without leaving it. */
static int open_beneath(int dirfd, const char *rel)
{
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH};
    int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how);

    if (fd < 0 && errno == ENOSYS) /* path_ok already refused ".." */
        fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    return fd;
}

static enum MHD_Result not_found(wp_web_req *r)
{
    static const char text[] = "not found\n";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(sizeof text - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
    return wp_web_send(r, MHD_HTTP_NOT_FOUND, resp);
}

enum MHD_Result wp_web_file(wp_web_req *r)
{
    const char *rel = strcmp(r->url, "/") == 0 ? "index.html" : r->url + 1;
    struct stat st;

    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
        wp_err err = {0};
        wp_errf(&err, WP_E_INVALID, "%s of a file is not allowed", r->method);
        wp_err_why(&err, "the page's files are only read");
        wp_err_todo(&err, "use GET");
        return wp_web_send_json(r, MHD_HTTP_METHOD_NOT_ALLOWED, wp_web_error_json(&err));
    }
    if (!path_ok(r->url) || !rel[0])
        return not_found(r);
    int root = open(r->w->opts.web_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int fd = root >= 0 ? open_beneath(root, rel) : -1;
    if (root >= 0)
        close(root);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return not_found(r);
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((size_t)st.st_size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", content_type(rel));
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    return wp_web_send(r, MHD_HTTP_OK, resp);
}
