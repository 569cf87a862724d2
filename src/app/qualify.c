/*
 * qualify.c -- may this group hold a clustered application?  (cluster.h)
 *
 * The service pack of KB Q221393 asks for "the cluster group configured
 * for" the application and refuses a group without "an IP address, a
 * network name, and a shared hard disk".  The check here goes by resource
 * class, not type name, so any type of class storage counts as the disk,
 * and it asks the group to be online (the application's resources start
 * on its owner at once).  Pure: JSON in, JSON out, no I/O but printing.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "../lib/json.h"

/* The first resource of a class, or NULL. */
static const json_t *first_of_class(const json_t *resources, const char *cls)
{
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        const char *c = wp_json_str(r, "class");
        if (c && strcmp(c, cls) == 0)
            return r;
    }
    return NULL;
}

/* A storage resource that can hold files: the first with a mountpoint. */
static const char *storage_mount(const json_t *resources, const char **res)
{
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        const char *c = wp_json_str(r, "class"),
                   *m = wp_json_str(json_object_get(r, "props"), "mountpoint");
        if (c && strcmp(c, "storage") == 0 && m && m[0] == '/') {
            *res = wp_json_str(r, "name");
            return m;
        }
    }
    return NULL;
}

static json_t *name_or_null(const json_t *r)
{
    return r ? json_string(wp_json_str(r, "name")) : json_null();
}

/* "198.51.100.10/24" -> "198.51.100.10" */
static json_t *ip_of(const json_t *r)
{
    const char *a = r ? wp_json_str(json_object_get(r, "props"), "address") : NULL;
    if (!a)
        return json_null();
    size_t n = strcspn(a, "/");
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), a);
    return json_string(buf);
}

/* The network name's host name as clients use it: hostname, with
 * dns_zone appended to a single label (as the Network Name agent does). */
static json_t *fqdn_of(const json_t *r)
{
    const json_t *props = r ? json_object_get(r, "props") : NULL;
    const char *h = wp_json_str(props, "hostname"), *zone = wp_json_str(props, "dns_zone");
    if (!h || !h[0])
        return json_null();
    if (strchr(h, '.') || !zone || !zone[0])
        return json_string(h);
    char buf[300];
    size_t zl = strlen(zone);
    snprintf(buf, sizeof buf, "%s.%.*s", h, (int)(zone[zl - 1] == '.' ? zl - 1 : zl), zone);
    return json_string(buf);
}

json_t *wp_app_group_assess(const json_t *group, const json_t *resources)
{
    const json_t *ip = first_of_class(resources, "network-address");
    const json_t *nn = first_of_class(resources, "network-name");
    const json_t *disk = first_of_class(resources, "storage");
    const char *mres = NULL, *mount = storage_mount(resources, &mres);
    const char *state = wp_json_str(group, "state");
    json_t *missing = json_array();
    if (!ip)
        json_array_append_new(missing, json_string("an IP address (no resource of class "
                                                   "network-address, such as an IP Address)"));
    if (!nn)
        json_array_append_new(missing, json_string("a network name (no resource of class "
                                                   "network-name, such as a Network Name)"));
    if (!disk)
        json_array_append_new(missing, json_string("a shared hard disk (no resource of class "
                                                   "storage, such as a Physical Disk)"));
    if (!state || strcmp(state, "Online") != 0) {
        char buf[160];
        snprintf(buf, sizeof buf,
                 "the group online (it is %s; bring it online with: wolfpack "
                 "group online GROUP)",
                 state ? state : "in an unknown state");
        json_array_append_new(missing, json_string(buf));
    }
    json_t *owner = json_object_get(group, "owner");
    json_t *target = json_object_get(group, "target");
    return json_pack("{s:o, s:s?, s:s?, s:O, s:O, s:b, s:o, s:o, s:o, s:o, s:o, s:o}", "hostname",
                     fqdn_of(nn), "group", wp_json_str(group, "name"), "state", state, "owner",
                     owner ? owner : json_null(), "target", target ? target : json_null(),
                     "qualifies", json_array_size(missing) == 0, "missing", missing, "address",
                     name_or_null(ip), "ip", ip_of(ip), "name", name_or_null(nn), "disk",
                     mres ? json_string(mres) : name_or_null(disk), "mountpoint",
                     mount ? json_string(mount) : json_null());
}

void wp_app_print_not_qualified(FILE *out, const json_t *a, const json_t *qualifying)
{
    fprintf(out, "%s\n", WP_APP_NOT_QUALIFIED);
    fprintf(out, "  Group \"%s\" lacks:\n",
            wp_json_str(a, "group") ? wp_json_str(a, "group") : "?");
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(a, "missing"), i, m)
        fprintf(out, "    - %s\n", json_string_value(m));
    if (json_array_size(qualifying) == 0) {
        fprintf(out, "  No group of this cluster qualifies. Create one with an IP Address, a "
                     "Network Name and a Physical Disk resource, and bring it online.\n");
        return;
    }
    fprintf(out, "  Groups that qualify:");
    json_array_foreach(qualifying, i, m) fprintf(out, "%s %s", i ? "," : "", json_string_value(m));
    fprintf(out, "\n");
}

/* Does a word need quotes for wp_argv_split? */
static bool plain_word(const char *w)
{
    if (!w[0])
        return false;
    for (const char *p = w; *p; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
              strchr("/._-:=,+@%", *p)))
            return false;
    return true;
}

char *wp_app_argv_join(const json_t *argv)
{
    size_t cap = 1, i;
    json_t *w;
    json_array_foreach(argv, i, w) cap += 4 * strlen(json_string_value(w)) + 3;
    char *out = malloc(cap), *p = out;
    if (!out)
        return NULL;
    json_array_foreach(argv, i, w)
    {
        const char *s = json_string_value(w);
        if (i)
            *p++ = ' ';
        if (plain_word(s)) {
            p = stpcpy(p, s);
            continue;
        }
        *p++ = '\'';
        for (; *s; s++) {
            if (*s == '\'')
                p = stpcpy(p, "'\\''");
            else
                *p++ = *s;
        }
        *p++ = '\'';
    }
    *p = '\0';
    return out;
}

void wp_app_resource_name(const char *app, const char *service, char *out, size_t size)
{
    if (strcmp(app, service) == 0)
        snprintf(out, size, "%s", app);
    else
        snprintf(out, size, "%s-%s", app, service);
}
