/*
 * le.h -- little-endian fields in byte buffers, for the formats wolfpack
 * writes itself (the CPG messages, src/repl/cpg_msg.c; the disk lease
 * records, src/agents/disk_lease.c).  <endian.h> does the conversion;
 * memcpy makes any alignment of p safe.
 */
#ifndef WP_LE_H
#define WP_LE_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

static inline void wp_le16_put(unsigned char *p, uint16_t v)
{
    v = htole16(v);
    memcpy(p, &v, sizeof v);
}

static inline void wp_le32_put(unsigned char *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, sizeof v);
}

static inline void wp_le64_put(unsigned char *p, uint64_t v)
{
    v = htole64(v);
    memcpy(p, &v, sizeof v);
}

static inline uint16_t wp_le16_get(const unsigned char *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return le16toh(v);
}

static inline uint32_t wp_le32_get(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return le32toh(v);
}

static inline uint64_t wp_le64_get(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return le64toh(v);
}

#endif
