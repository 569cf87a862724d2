/*
 * tls.c -- the certificate of wolfpack-web (web.h, docs/WEB.md).
 *
 * `cert` and `key` in web.conf (or --cert/--key) name PEM files to use.
 * Without them the server uses STATE_DIR/cert.pem and STATE_DIR/key.pem,
 * and when those do not exist yet it makes them on this first start with
 * GnuTLS: an ECDSA P-256 key and a self-signed certificate for five years,
 * its names the host name, "localhost" and the listen address (when it is
 * not 0.0.0.0), both stored 0600 in the state directory (created 0700) and
 * reused from then on.  Operators who want browsers to trust the console
 * configure a certificate of their own CA instead.
 */
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/fs.h"
#include "web.h"

#define PEM_MAX (64 * 1024)

static char *read_pem(const char *path, const char *what, wp_err *err)
{
    char *buf = malloc(PEM_MAX);

    if (!buf) {
        wp_errf(err, WP_E_INTERNAL, "out of memory");
        return NULL;
    }
    buf[0] = '\0';
    bool read = wp_fs_read_small(path, buf, PEM_MAX);
    int e = errno;
    if (!read || !strstr(buf, "-----BEGIN")) {
        wp_errf(err, WP_E_IO, "cannot read the %s %s", what, path);
        wp_err_why(err, "%s", read ? "it is not a PEM file" : strerror(e));
        wp_err_todo(err, "give a readable PEM file (cert/key in web.conf), or leave both out "
                         "for a self-signed certificate");
        free(buf);
        return NULL;
    }
    return buf;
}

static bool gnutls_failed(int rc, const char *doing, wp_err *err)
{
    if (rc >= 0)
        return false;
    wp_errf(err, WP_E_INTERNAL, "cannot make a self-signed certificate: %s failed", doing);
    wp_err_why(err, "GnuTLS: %s", gnutls_strerror(rc));
    wp_err_todo(err, "configure cert and key in web.conf instead");
    return true;
}

/* The names the certificate is for. */
static int add_names(gnutls_x509_crt_t crt, const wp_web_opts *o, char *cn, size_t cn_size)
{
    int rc;

    if (gethostname(cn, cn_size) != 0 || !cn[0])
        snprintf(cn, cn_size, "wolfpack");
    cn[cn_size - 1] = '\0';
    rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn));
    if (rc >= 0)
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, cn, strlen(cn),
                                                  GNUTLS_FSAN_APPEND);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                  GNUTLS_FSAN_APPEND);
    if (rc >= 0 && o->addr.sin_addr.s_addr != htonl(INADDR_ANY))
        rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, &o->addr.sin_addr, 4,
                                                  GNUTLS_FSAN_APPEND);
    return rc;
}

static bool make_cert(gnutls_x509_privkey_t key, const wp_web_opts *o, gnutls_datum_t *pem,
                      wp_err *err)
{
    gnutls_x509_crt_t crt;
    unsigned char serial[16];
    char cn[256];
    time_t now = time(NULL);
    int rc = gnutls_x509_crt_init(&crt);

    if (gnutls_failed(rc, "gnutls_x509_crt_init", err))
        return false;
    rc = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
    serial[0] &= 0x7f; /* a positive serial number */
    if (rc >= 0)
        rc = gnutls_x509_crt_set_version(crt, 3);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_activation_time(crt, now - 3600);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_expiration_time(crt, now + 5 * 365 * 86400L);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_key(crt, key);
    if (rc >= 0)
        rc = add_names(crt, o, cn, sizeof cn);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
    if (rc >= 0)
        rc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
    if (rc >= 0)
        rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
    if (rc >= 0)
        rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, pem);
    gnutls_x509_crt_deinit(crt);
    return !gnutls_failed(rc, "signing the certificate", err);
}

/* Make key and certificate and store them in the state directory. */
static bool generate(wp_web *w, const char *cert_path, const char *key_path, wp_err *err)
{
    gnutls_x509_privkey_t key;
    gnutls_datum_t key_pem = {0}, cert_pem = {0};
    int rc = gnutls_x509_privkey_init(&key);

    if (gnutls_failed(rc, "gnutls_x509_privkey_init", err))
        return false;
    rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                      GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
    if (rc >= 0)
        rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem);
    bool ok = !gnutls_failed(rc, "making the key", err) && make_cert(key, &w->opts, &cert_pem, err);
    gnutls_x509_privkey_deinit(key);
    ok = ok && wp_fs_mkdir_p(w->opts.state_dir, 0700, err) &&
         wp_fs_write_atomic(key_path, key_pem.data, key_pem.size, 0600, err) &&
         wp_fs_write_atomic(cert_path, cert_pem.data, cert_pem.size, 0600, err);
    if (ok) {
        w->key_pem = strndup((const char *)key_pem.data, key_pem.size);
        w->cert_pem = strndup((const char *)cert_pem.data, cert_pem.size);
        ok = w->key_pem && w->cert_pem;
    }
    if (key_pem.data)
        gnutls_memset(key_pem.data, 0, key_pem.size);
    gnutls_free(key_pem.data);
    gnutls_free(cert_pem.data);
    return ok;
}

bool wp_web_tls_load(wp_web *w, wp_err *err)
{
    char cert_path[4096], key_path[4096];
    const wp_web_opts *o = &w->opts;

    if (o->cert || o->key) {
        if (!o->cert || !o->key) {
            wp_errf(err, WP_E_INVALID, "cert and key go together");
            wp_err_why(err, "only %s is set", o->cert ? "cert" : "key");
            wp_err_todo(err, "set both (PEM files), or neither for a self-signed certificate");
            return false;
        }
        w->cert_pem = read_pem(o->cert, "certificate", err);
        w->key_pem = w->cert_pem ? read_pem(o->key, "key", err) : NULL;
        return w->key_pem != NULL;
    }
    snprintf(cert_path, sizeof cert_path, "%s/cert.pem", o->state_dir);
    snprintf(key_path, sizeof key_path, "%s/key.pem", o->state_dir);
    if (access(cert_path, F_OK) == 0 && access(key_path, F_OK) == 0) {
        w->cert_pem = read_pem(cert_path, "certificate", err);
        w->key_pem = w->cert_pem ? read_pem(key_path, "key", err) : NULL;
        return w->key_pem != NULL;
    }
    return generate(w, cert_path, key_path, err);
}
