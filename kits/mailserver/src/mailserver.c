/*
 * mailserver.c -- the wrapper of the mailserver kit (docs/MAIL.md): it
 * renders this node's Postfix and Dovecot configuration from the install's
 * parameters (which the cluster keeps in its replicated database), then
 * execs the real server in the foreground, supervised by wolfpack (a
 * Generic Service when clustered).  Nothing is read from the host's
 * /etc/postfix or /etc/dovecot.
 *
 *   mailserver postfix OPTIONS     render HOME/postfix, postfix check (only when the
 *                                  queue lacks a directory), exec its master
 *   mailserver dovecot OPTIONS     render HOME/dovecot, exec dovecot -F -c ...
 *   mailserver check-smtp OPTIONS  the greeting must be "220 HOSTNAME ..."
 *   mailserver check-imap OPTIONS  the greeting names HOSTNAME; LOGIN as the first user
 *                                  through the node's check master user (below)
 *   mailserver upgrade --store S   convert the mail store to this version's layout
 *   mailserver deliver --store S QUEUE_ID RECIPIENT
 *                                  (Postfix's pipe) the message on stdin into the
 *                                  recipient's Maildir, exactly once
 *
 * OPTIONS: --home DIR (node-local: rendered files, sockets), --queue DIR
 * (Postfix queue), --store DIR (mail store), --state DIR (Dovecot state),
 * --address A, --hostname H, --domain D, --users "u1:pw1,u2:pw2",
 * --size-limit BYTES, --smtp-port P, --imap-port P.
 *
 * Passwords: the kit marks `users` a hash-list secret, so wolfpack hands
 * over "NAME:{CRYPT}$y$..." (docs/SECURITY.md, "Secrets"); a password
 * with a {SCHEME} prefix goes to Dovecot as it is, a bare one as {PLAIN}.
 * The health check cannot know the users' passwords, so each `dovecot`
 * start makes a random token for a Dovecot master user (wolfpack-check,
 * HOME/dovecot/master-users) and keeps it in HOME/dovecot/check-token
 * (mode 0600, root): check-imap logs in as "FIRSTUSER*wolfpack-check", which
 * still goes through the users file (pass = yes) and the mail store.
 *
 * Mail store layouts: 1 (mailserver 1.0) keeps a flat Maildir per address,
 * STORE/alice@example.org/; 2 (mailserver 1.1, kits/mailserver-sp1 defines
 * MS_LAYOUT 2 and includes this file) keeps STORE/example.org/alice/Maildir/.
 * STORE/.layout names the layout; each version refuses the other's store,
 * and `upgrade` (the service pack's one-time step) converts 1 into 2.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MS_LAYOUT
#define MS_LAYOUT 1
#define MS_VERSION "1.0"
#endif
#define MS_MAIL_USER "mail" /* owns the mail store (Dovecot's mail_uid) */
#define MS_MAX_USERS 64

typedef struct ms_user {
    char name[64]; /* local part */
    char pass[128];
} ms_user;

typedef struct ms_opts {
    const char *home, *queue, *store, *state;
    const char *address, *hostname, *domain, *users, *size_limit;
    const char *smtp_port, *imap_port;
    ms_user user[MS_MAX_USERS];
    size_t nusers;
} ms_opts;

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mailserver: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

/* ---- options -------------------------------------------------------------- */

static bool word_ok(const char *s, const char *extra)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr(extra, *s)))
            return false;
    return true;
}

/* "alice:secret,bob:pw" -> users (names a-z0-9._-, passwords without
 * ':', ',', spaces or quotes). */
static bool parse_users(ms_opts *o)
{
    char copy[8192], *save = NULL;
    if (!o->users || snprintf(copy, sizeof copy, "%s", o->users) >= (int)sizeof copy)
        return false;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(t, ':');
        if (!colon || o->nusers == MS_MAX_USERS)
            return false;
        *colon = '\0';
        ms_user *u = &o->user[o->nusers++];
        if (!word_ok(t, "._-") || strlen(t) >= sizeof u->name ||
            !word_ok(colon + 1, "!#$%&()*+-./;<=>?@[]^_{|}~") ||
            strlen(colon + 1) >= sizeof u->pass)
            return false;
        snprintf(u->name, sizeof u->name, "%s", t);
        snprintf(u->pass, sizeof u->pass, "%s", colon + 1);
    }
    return o->nusers > 0;
}

static bool parse_opts(ms_opts *o, int argc, char **argv)
{
    static const char *names[] = {"--home",       "--queue",     "--store",     "--state",
                                  "--address",    "--hostname",  "--domain",    "--users",
                                  "--size-limit", "--smtp-port", "--imap-port", NULL};
    const char **slots[] = {&o->home,       &o->queue,     &o->store,    &o->state,
                            &o->address,    &o->hostname,  &o->domain,   &o->users,
                            &o->size_limit, &o->smtp_port, &o->imap_port};
    o->smtp_port = "25";
    o->imap_port = "143";
    for (int i = 2; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        int k = 0;
        while (names[k] && strcmp(names[k], argv[i]) != 0)
            k++;
        if (!names[k] || i + 1 >= argc) {
            fail("unknown option or missing value: %s", argv[i]);
            return false;
        }
        *slots[k] = argv[i + 1];
    }
    if (o->hostname && !word_ok(o->hostname, ".-"))
        return fail("--hostname '%s' is not a host name", o->hostname), false;
    if (o->domain && !word_ok(o->domain, ".-"))
        return fail("--domain '%s' is not a mail domain", o->domain), false;
    if (o->address && !word_ok(o->address, ".:"))
        return fail("--address '%s' is not an IP address", o->address), false;
    if (o->size_limit && !word_ok(o->size_limit, ""))
        return fail("--size-limit '%s' is not a number of bytes", o->size_limit), false;
    if (!word_ok(o->smtp_port, "") || !word_ok(o->imap_port, ""))
        return fail("the ports must be numbers"), false;
    if (o->users && !parse_users(o))
        return fail("--users must be NAME:PASSWORD[,NAME:PASSWORD...] (names a-z 0-9 . _ -; "
                    "passwords without ':' ',' quotes or spaces)"),
               false;
    return true;
}

static bool need(const char *what, const char *v)
{
    if (!v)
        fail("%s is required", what);
    return v != NULL;
}

/* ---- files ------------------------------------------------------------------ */

/* mkdir -p; the directory itself gets mode (also when it exists: a
 * directory left with another mode would lock out the servers' users). */
static bool mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return false;
            *p = '/';
        }
    return (mkdir(buf, mode) == 0 || errno == EEXIST) && chmod(buf, mode) == 0;
}

/* Write a whole file atomically: beside it, fsync, rename. */
static bool write_file(const char *path, const char *text, mode_t mode)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    size_t len = strlen(text);
    bool ok =
        fd >= 0 && write(fd, text, len) == (ssize_t)len && fchmod(fd, mode) == 0 && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (ok && rename(tmp, path) == 0)
        return true;
    fail("cannot write %s: %s", path, strerror(errno));
    unlink(tmp);
    return false;
}

static char *fmt(const char *f, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, f);
    if (vasprintf(&s, f, ap) < 0)
        s = NULL;
    va_end(ap);
    if (!s) {
        fail("out of memory");
        exit(1);
    }
    return s;
}

static bool chown_to(const char *path, const char *user)
{
    struct passwd *pw = getpwnam(user);
    if (!pw || chown(path, pw->pw_uid, pw->pw_gid) != 0)
        return fail("cannot give %s to user %s: %s", path, user,
                    pw ? strerror(errno) : "no such user"),
               false;
    return true;
}

/* ---- the mail store layout ------------------------------------------------------ */

static int read_layout(const char *store)
{
    char path[PATH_MAX], buf[16] = "";
    snprintf(path, sizeof path, "%s/.layout", store);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    if (!fgets(buf, sizeof buf, f))
        buf[0] = '\0';
    fclose(f);
    return atoi(buf);
}

/* Does the store hold a layout-1 maildir (an entry "local@domain")? */
static bool has_flat_maildirs(const char *store)
{
    DIR *d = opendir(store);
    struct dirent *e;
    bool found = false;
    while (d && !found && (e = readdir(d)))
        found = e->d_name[0] != '.' && strchr(e->d_name, '@') != NULL;
    if (d)
        closedir(d);
    return found;
}

/* The store must be in this version's layout; a new store gets it. */
static bool check_layout(const char *store)
{
    int have = read_layout(store);
    if (have == 0 && MS_LAYOUT == 2 && has_flat_maildirs(store))
        have = 1;
    if (have == 0) {
        char path[PATH_MAX], text[8];
        snprintf(path, sizeof path, "%s/.layout", store);
        snprintf(text, sizeof text, "%d\n", MS_LAYOUT);
        return write_file(path, text, 0644);
    }
    if (have == MS_LAYOUT)
        return true;
    if (have < MS_LAYOUT)
        return fail("the mail store %s has layout %d; mailserver %s needs layout %d: run the "
                    "service pack's upgrade step (mailserver upgrade --store %s)",
                    store, have, MS_VERSION, MS_LAYOUT, store),
               false;
    return fail("the mail store %s has layout %d, newer than mailserver %s knows (%d): install "
                "the newer version",
                store, have, MS_VERSION, MS_LAYOUT),
           false;
}

/* Where a user's maildir is, as Dovecot variables. */
static const char *mail_home(void)
{
    return MS_LAYOUT == 1 ? "%u" : "%d/%n";
}

static const char *mail_dir(void)
{
    return MS_LAYOUT == 1 ? "%u" : "%d/%n/Maildir";
}

/* ---- Postfix ----------------------------------------------------------------------- */

static char *postfix_main(const ms_opts *o, const char *dir)
{
    return fmt("# Rendered by mailserver %s from the install's parameters at every start.\n"
               "# Do not edit: change them with `wolfpack app config mailserver NAME=VALUE`.\n"
               "compatibility_level = 3.6\n"
               "queue_directory = %s\n"
               "data_directory = %s-data\n"
               "mail_owner = postfix\n"
               "setgid_group = postdrop\n"
               "myhostname = %s\n"
               "mydomain = %s\n"
               "myorigin = $mydomain\n"
               "mydestination =\n"
               "inet_interfaces = %s\n"
               "inet_protocols = ipv4\n"
               "mynetworks = 127.0.0.0/8\n"
               "smtpd_banner = $myhostname ESMTP\n"
               "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"
               "virtual_mailbox_domains = %s\n"
               "virtual_mailbox_maps = texthash:%s/vmailbox\n"
               "virtual_transport = deliver\n"
               "deliver_destination_recipient_limit = 1\n"
               "enable_long_queue_ids = yes\n"
               "default_transport = error:this server relays no mail\n"
               "relay_transport = error:this server relays no mail\n"
               "message_size_limit = %s\n"
               "alias_maps =\nalias_database =\nlocal_recipient_maps =\n"
               "smtputf8_enable = no\nbiff = no\nappend_dot_mydomain = no\n"
               "maillog_file = /dev/stdout\n",
               MS_VERSION, o->queue, dir, o->hostname, o->domain, o->address, o->domain, dir,
               o->size_limit ? o->size_limit : "10240000");
}

/* A copy of this program beside the rendered files, for Postfix's pipe
 * to run as the mail user (the install root need not be open to it). */
static bool copy_self(const char *to)
{
    int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    char *tmp = fmt("%s.tmp", to);
    int out = in >= 0 ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755) : -1;
    char buf[65536];
    ssize_t n = 0;
    bool ok = out >= 0;
    while (ok && (n = read(in, buf, sizeof buf)) > 0)
        ok = write(out, buf, (size_t)n) == n;
    ok = ok && n == 0 && fchmod(out, 0755) == 0;
    if (out >= 0 && close(out) != 0)
        ok = false;
    if (in >= 0)
        close(in);
    if (ok && rename(tmp, to) == 0)
        return true;
    unlink(tmp);
    return fail("cannot copy this program to %s: %s", to, strerror(errno)), false;
}

static char *postfix_master(const ms_opts *o, const char *deliver_prog)
{
    return fmt("# Rendered by mailserver %s: every service unchrooted, SMTP on port %s.\n"
               "%s inet n - n - - smtpd\n"
               "pickup unix n - n 60 1 pickup\n"
               "cleanup unix n - n - 0 cleanup\n"
               "qmgr unix n - n 300 1 qmgr\n"
               "rewrite unix - - n - - trivial-rewrite\n"
               "bounce unix - - n - 0 bounce\n"
               "defer unix - - n - 0 bounce\n"
               "trace unix - - n - 0 bounce\n"
               "verify unix - - n - 1 verify\n"
               "flush unix n - n 1000? 0 flush\n"
               "proxymap unix - - n - - proxymap\n"
               "smtp unix - - n - - smtp\n"
               "relay unix - - n - - smtp\n"
               "showq unix n - n - - showq\n"
               "error unix - - n - - error\n"
               "retry unix - - n - - error\n"
               "discard unix - - n - - discard\n"
               "deliver unix - n n - - pipe flags=R user=" MS_MAIL_USER
               " argv=%s deliver --store %s ${queue_id} ${recipient}\n"
               "anvil unix - - n - 1 anvil\n"
               "scache unix - - n - 1 scache\n"
               "postlog unix-dgram n - n - 1 postlogd\n",
               MS_VERSION, o->smtp_port, o->smtp_port, deliver_prog, o->store);
}

static char *postfix_recipients(const ms_opts *o)
{
    char *text = fmt("# the mail users (parameter users)\n");
    for (size_t i = 0; i < o->nusers; i++) {
        char *next = fmt("%s%s@%s OK\n", text, o->user[i].name, o->domain);
        free(text);
        text = next;
    }
    return text;
}

/* Postfix rereads a configuration file every 300 ms until its mtime is
 * more than a second older than the read began (dict_load_file: "pausing
 * to let it finish writing"): a main.cf written just now cost 1.5 s of
 * every start.  The files are complete (written whole, fsync'd, renamed
 * into place), so they are dated 10 s back. */
static bool settled(const char *path)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    now.tv_sec -= 10;
    struct timespec times[2] = {now, now};
    if (utimensat(AT_FDCWD, path, times, 0) == 0)
        return true;
    return fail("cannot set the time of %s: %s", path, strerror(errno)), false;
}

/* Is DIR a directory owned by uid (and gid, unless -1)? */
static bool owned_dir(const char *queue, const char *name, uid_t uid, gid_t gid)
{
    struct stat st;
    char *path = fmt("%s/%s", queue, name);
    bool ok = stat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid &&
              (gid == (gid_t)-1 || st.st_gid == gid);
    free(path);
    return ok;
}

/* Every queue directory `postfix check` would make is there, owned by
 * this node's postfix (maildrop and public: group postdrop).  Then the
 * check -- dozens of postconf runs, 0.2 s alone and seconds on a loaded
 * node -- has nothing to do and is skipped; a new queue, or one restored or
 * written by a node whose postfix has other ids, still gets it. */
static bool queue_ready(const char *queue)
{
    static const char *const private_dirs[] = {"active",   "bounce", "corrupt", "defer",
                                               "deferred", "flush",  "hold",    "incoming",
                                               "private",  "saved",  "trace"};
    struct passwd *pw = getpwnam("postfix");
    struct group *gr = getgrnam("postdrop");
    if (!pw || !gr)
        return false;
    uid_t uid = pw->pw_uid;
    gid_t gid = gr->gr_gid;
    for (size_t i = 0; i < sizeof private_dirs / sizeof *private_dirs; i++)
        if (!owned_dir(queue, private_dirs[i], uid, (gid_t)-1))
            return false;
    return owned_dir(queue, "maildrop", uid, gid) && owned_dir(queue, "public", uid, gid) &&
           owned_dir(queue, "pid", 0, (gid_t)-1);
}

/* `postfix -c DIR check`: makes the queue's directories, fixes owners. */
static bool postfix_check(const char *dir)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/usr/sbin/postfix", "postfix", "-c", dir, "check", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return fail("postfix -c %s check failed (see the lines above)", dir), false;
    return true;
}

static int run_postfix(ms_opts *o)
{
    if (!need("--home", o->home) || !need("--queue", o->queue) || !need("--address", o->address) ||
        !need("--hostname", o->hostname) || !need("--domain", o->domain) ||
        !need("--users", o->users) || !need("--store", o->store))
        return 2;
    char *dir = fmt("%s/postfix", o->home), *data = fmt("%s-data", dir);
    char *prog = fmt("%s/mailserver-deliver", dir);
    char *main_cf = postfix_main(o, dir), *master_cf = postfix_master(o, prog);
    char *rcpt = postfix_recipients(o);
    bool ok = mkdir_p(o->home, 0755) && mkdir_p(dir, 0755) && copy_self(prog) &&
              mkdir_p(data, 0700) && chown_to(data, "postfix") && mkdir_p(o->queue, 0755) &&
              write_file(fmt("%s/main.cf", dir), main_cf, 0644) &&
              write_file(fmt("%s/master.cf", dir), master_cf, 0644) &&
              write_file(fmt("%s/vmailbox", dir), rcpt, 0644) && settled(fmt("%s/main.cf", dir)) &&
              settled(fmt("%s/master.cf", dir)) && settled(fmt("%s/vmailbox", dir));
    if (!ok)
        return 1;
    /* Postfix reads these from the environment: MAIL_DEBUG would run
     * every daemon under debugger_command, MAIL_VERBOSE logs verbosely. */
    unsetenv("MAIL_DEBUG");
    unsetenv("MAIL_VERBOSE");
    /* `postfix check` makes missing queue directories and fixes their
     * owners (a queue restored or new on the shared disk).  Then the
     * master runs as this very process (not `postfix start-fg`, which
     * keeps master a child unless it is PID 1), so the supervisor's
     * SIGTERM or SIGKILL reaches it. */
    if (!queue_ready(o->queue) && !postfix_check(dir))
        return 1;
    setenv("MAIL_CONFIG", dir, 1);
    execl("/usr/lib/postfix/sbin/master", "master", "-s", "-c", dir, (char *)NULL);
    return fail("cannot run /usr/lib/postfix/sbin/master: %s", strerror(errno));
}

/* ---- Dovecot ----------------------------------------------------------------------- */

static char *dovecot_conf(const ms_opts *o, const char *dir)
{
    return fmt("# Rendered by mailserver %s from the install's parameters at every start.\n"
               "# Do not edit: change them with `wolfpack app config mailserver NAME=VALUE`.\n"
               "protocols = imap\n"
               "listen = %s\n"
               "base_dir = %s/run\n"
               "state_dir = %s\n"
               "instance_name = mailserver-%s\n"
               "hostname = %s\n"
               "login_greeting = %s IMAP ready (mailserver %s)\n"
               "log_path = /dev/stderr\n"
               "ssl = no\n"
               "disable_plaintext_auth = no\n"
               "auth_mechanisms = plain login\n"
               "mail_uid = " MS_MAIL_USER "\nmail_gid = " MS_MAIL_USER "\n"
               "first_valid_uid = 1\nfirst_valid_gid = 1\n"
               "mail_location = maildir:%s/%s\n"
               "mail_fsync = always\n"
               "default_internal_user = dovecot\ndefault_login_user = dovenull\n"
               "auth_master_user_separator = *\n"
               "passdb {\n  driver = passwd-file\n  master = yes\n  pass = yes\n"
               "  args = scheme=PLAIN %s/master-users\n}\n"
               "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN %s/users\n}\n"
               "userdb {\n  driver = static\n  args = uid=" MS_MAIL_USER " gid=" MS_MAIL_USER
               " home=%s/%s\n}\n"
               "service imap-login {\n  inet_listener imap {\n    address = %s\n    port = %s\n"
               "  }\n  inet_listener imaps {\n    port = 0\n  }\n}\n",
               MS_VERSION, o->address, dir, o->state, o->address, o->hostname, o->hostname,
               MS_VERSION, o->store, mail_dir(), dir, dir, o->store, mail_home(), o->address,
               o->imap_port);
}

static char *dovecot_users(const ms_opts *o)
{
    char *text = fmt("");
    for (size_t i = 0; i < o->nusers; i++) {
        const char *pass = o->user[i].pass;
        char *next = fmt("%s%s@%s:%s%s::::::\n", text, o->user[i].name, o->domain,
                         pass[0] == '{' ? "" : "{PLAIN}", pass);
        free(text);
        text = next;
    }
    return text;
}

#define MS_CHECK_USER "wolfpack-check"

/* A fresh random token for the check master user: HOME/dovecot/check-token
 * (root only) and master-users (Dovecot's auth reads it as dovecot). */
static bool write_check_token(const char *dir)
{
    unsigned char rnd[16];
    char token[33];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    bool ok = fd >= 0 && read(fd, rnd, sizeof rnd) == (ssize_t)sizeof rnd;
    if (fd >= 0)
        close(fd);
    if (!ok)
        return fail("cannot read /dev/urandom: %s", strerror(errno)), false;
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(token + 2 * i, 3, "%02x", rnd[i]);
    char *users = fmt("%s/master-users", dir);
    ok = write_file(fmt("%s/check-token", dir), token, 0600) &&
         write_file(users, fmt(MS_CHECK_USER ":{PLAIN}%s::::::\n", token), 0640) &&
         chown_to(users, "dovecot");
    return ok;
}

static int run_dovecot(ms_opts *o)
{
    if (!need("--home", o->home) || !need("--store", o->store) || !need("--state", o->state) ||
        !need("--address", o->address) || !need("--hostname", o->hostname) ||
        !need("--domain", o->domain) || !need("--users", o->users))
        return 2;
    char *dir = fmt("%s/dovecot", o->home), *run = fmt("%s/run", dir);
    char *conf = fmt("%s/dovecot.conf", dir);
    bool ok = mkdir_p(o->home, 0755) && mkdir_p(dir, 0755) && mkdir_p(run, 0755) &&
              mkdir_p(o->state, 0750) && mkdir_p(o->store, 0750) &&
              chown_to(o->store, MS_MAIL_USER) && check_layout(o->store) &&
              write_check_token(dir) && write_file(fmt("%s/users", dir), dovecot_users(o), 0640) &&
              chown_to(fmt("%s/users", dir), "dovecot") &&
              write_file(conf, dovecot_conf(o, dir), 0644);
    if (!ok)
        return 1;
    fflush(NULL);
    execl("/usr/sbin/dovecot", "dovecot", "-F", "-c", conf, (char *)NULL);
    return fail("cannot run /usr/sbin/dovecot: %s", strerror(errno));
}

/* ---- health checks -------------------------------------------------------------------- */

static int dial(const char *address, const char *port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
    struct timeval tv = {.tv_sec = 5};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || inet_pton(AF_INET, address, &sa.sin_addr) != 1 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        fail("cannot connect to %s port %s: %s", address, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Read one line (CRLF) into buf. */
static bool read_line(int fd, char *buf, size_t size)
{
    size_t n = 0;
    while (n + 1 < size) {
        char c;
        if (read(fd, &c, 1) != 1)
            return false;
        if (c == '\n')
            break;
        if (c != '\r')
            buf[n++] = c;
    }
    buf[n] = '\0';
    return true;
}

static bool say(int fd, const char *text)
{
    return write(fd, text, strlen(text)) == (ssize_t)strlen(text);
}

static int check_smtp(ms_opts *o)
{
    if (!need("--address", o->address) || !need("--hostname", o->hostname))
        return 2;
    int fd = dial(o->address, o->smtp_port);
    char line[512], want[300];
    if (fd < 0)
        return 1;
    snprintf(want, sizeof want, "220 %s ", o->hostname);
    bool ok = read_line(fd, line, sizeof line) && strncmp(line, want, strlen(want)) == 0;
    say(fd, "QUIT\r\n");
    close(fd);
    if (!ok)
        return fail("the SMTP greeting is '%s', not '%s...'", line, want);
    return 0;
}

/* Read IMAP lines until the tagged answer of tag. */
static bool imap_answer(int fd, const char *tag, char *line, size_t size)
{
    size_t tl = strlen(tag);
    while (read_line(fd, line, size))
        if (strncmp(line, tag, tl) == 0 && line[tl] == ' ')
            return strncmp(line + tl + 1, "OK", 2) == 0;
    return false;
}

static int check_imap(ms_opts *o)
{
    if (!need("--address", o->address) || !need("--hostname", o->hostname) ||
        !need("--domain", o->domain) || !need("--users", o->users))
        return 2;
    int fd = dial(o->address, o->imap_port);
    char line[1024], cmd[512], want[300];
    if (fd < 0)
        return 1;
    /* "* OK [CAPABILITY ...] HOSTNAME IMAP ready ..." (login_greeting) */
    snprintf(want, sizeof want, " %s IMAP ready", o->hostname);
    bool greeted = read_line(fd, line, sizeof line) && strncmp(line, "* OK ", 5) == 0 &&
                   strstr(line, want) != NULL;
    char token[64] = "";
    if (o->home) { /* the master user of this node's Dovecot */
        FILE *f = fopen(fmt("%s/dovecot/check-token", o->home), "r");
        if (!f || !fgets(token, sizeof token, f))
            token[0] = '\0';
        if (f)
            fclose(f);
        token[strcspn(token, "\n")] = '\0';
    }
    if (token[0])
        snprintf(cmd, sizeof cmd, "a1 LOGIN \"%s@%s*" MS_CHECK_USER "\" \"%s\"\r\n",
                 o->user[0].name, o->domain, token);
    else if (o->user[0].pass[0] != '{')
        snprintf(cmd, sizeof cmd, "a1 LOGIN \"%s@%s\" \"%s\"\r\n", o->user[0].name, o->domain,
                 o->user[0].pass);
    else
        return fail("no check token in %s/dovecot (give --home) and the passwords are hashed",
                    o->home ? o->home : "HOME");
    bool ok = greeted && say(fd, cmd) && imap_answer(fd, "a1", line, sizeof line);
    say(fd, "a2 LOGOUT\r\n");
    close(fd);
    if (!greeted)
        return fail("the IMAP greeting is '%s', not '%s...'", line, want);
    if (!ok)
        return fail("IMAP LOGIN as %s@%s failed: %s", o->user[0].name, o->domain, line);
    return 0;
}

/* ---- the service pack's conversion ------------------------------------------------------- */

static bool fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool ok = fd >= 0 && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* STORE/local@domain -> STORE/domain/local/Maildir, one rename per user
 * (atomic: an interrupted conversion is finished by running it again). */
static bool convert_one(const char *store, const char *name, struct stat *st)
{
    char local[256], *at;
    snprintf(local, sizeof local, "%s", name);
    at = strchr(local, '@');
    *at = '\0';
    char *home = fmt("%s/%s/%s", store, at + 1, local), *dom = fmt("%s/%s", store, at + 1);
    char *from = fmt("%s/%s", store, name), *to = fmt("%s/Maildir", home);
    bool ok = mkdir_p(home, 0700) && chown(dom, st->st_uid, st->st_gid) == 0 &&
              chown(home, st->st_uid, st->st_gid) == 0 && rename(from, to) == 0 &&
              fsync_dir(home) && fsync_dir(store);
    if (!ok)
        fail("cannot move %s to %s: %s", from, to, strerror(errno));
    else
        printf("mailserver: moved %s to %s\n", from, to);
    return ok;
}

static int upgrade(ms_opts *o)
{
    if (!need("--store", o->store))
        return 2;
    int have = read_layout(o->store);
    if (have == 0 && !has_flat_maildirs(o->store))
        have = 1; /* a store that never held mail */
    if (have == MS_LAYOUT) {
        printf("mailserver: the mail store %s is in layout %d already\n", o->store, MS_LAYOUT);
        return 0;
    }
    if (MS_LAYOUT != 2 || (have != 1 && have != 0))
        return fail("mailserver %s cannot convert layout %d of %s", MS_VERSION, have, o->store);
    DIR *d = opendir(o->store);
    if (!d)
        return fail("cannot read the mail store %s: %s", o->store, strerror(errno));
    struct dirent *e;
    bool ok = true;
    long moved = 0;
    while (ok && (e = readdir(d))) {
        struct stat st;
        char *path = fmt("%s/%s", o->store, e->d_name);
        if (e->d_name[0] != '.' && strchr(e->d_name, '@') && stat(path, &st) == 0 &&
            S_ISDIR(st.st_mode)) {
            ok = convert_one(o->store, e->d_name, &st);
            moved += ok;
        }
        free(path);
    }
    closedir(d);
    if (!ok || !write_file(fmt("%s/.layout", o->store), "2\n", 0644) || !fsync_dir(o->store))
        return 1;
    printf("mailserver: converted %ld mailbox(es) of %s to layout 2 (domain/user/Maildir)\n", moved,
           o->store);
    return 0;
}

/* ---- delivery: exactly once into the Maildir ------------------------------------------- */

/* The recipient's Maildir in this version's layout. */
static char *maildir_of(const char *store, const char *rcpt)
{
    const char *at = strchr(rcpt, '@');
    if (MS_LAYOUT == 1)
        return fmt("%s/%s", store, rcpt);
    return fmt("%s/%s/%.*s/Maildir", store, at + 1, (int)(at - rcpt), rcpt);
}

/* Is there a message named key in new/ or (read: moved by Dovecot, flags
 * appended after ':') in cur/? */
static bool delivered_already(const char *md, const char *key)
{
    char *path = fmt("%s/new/%s", md, key);
    bool found = access(path, F_OK) == 0;
    free(path);
    char *cur = fmt("%s/cur", md);
    DIR *d = found ? NULL : opendir(cur);
    size_t kl = strlen(key);
    struct dirent *e;
    while (d && !found && (e = readdir(d)))
        found = strncmp(e->d_name, key, kl) == 0 && e->d_name[kl] == ':';
    if (d)
        closedir(d);
    free(cur);
    return found;
}

static bool copy_stdin(int fd)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        for (ssize_t off = 0; off < n;) {
            ssize_t m = write(fd, buf + off, (size_t)(n - off));
            if (m <= 0)
                return false;
            off += m;
        }
    }
    return true;
}

/* Postfix's pipe(8) runs `deliver --store S QUEUE_ID RECIPIENT` as the mail
 * user with the message on stdin.  The file's name is made from the queue
 * id (unique: enable_long_queue_ids) and the recipient, so a delivery that
 * is repeated -- the node died after the message was in the Maildir and
 * before Postfix removed its queue file, and the next owner's Postfix
 * delivers the queue file again -- finds it there and does nothing:
 * exactly once.  tmp/ -> fsync -> link into new/ (atomic; the directory
 * synced).  Exit 0 delivered, 75 (EX_TEMPFAIL: Postfix retries) on error. */
static int deliver(ms_opts *o, int argc, char **argv)
{
    if (!need("--store", o->store) || argc != 6)
        return fail("usage: mailserver deliver --store DIR QUEUE_ID RECIPIENT"), 75;
    const char *qid = argv[4], *rcpt = argv[5];
    const char *at = strchr(rcpt, '@');
    if (!word_ok(qid, "") || !at || at == rcpt || !word_ok(rcpt, "@._-+"))
        return fail("refusing to deliver to '%s' (queue id '%s')", rcpt, qid), 75;
    char *md = maildir_of(o->store, rcpt);
    char *key = fmt("%s.%s.mailserver", qid, rcpt);
    char *tmp = fmt("%s/tmp/%s", md, key), *dst = fmt("%s/new/%s", md, key);
    bool ok = mkdir_p(fmt("%s/tmp", md), 0700) && mkdir_p(fmt("%s/new", md), 0700) &&
              mkdir_p(fmt("%s/cur", md), 0700);
    if (ok && delivered_already(md, key)) {
        printf("mailserver: %s for %s was delivered already (%s)\n", qid, rcpt, key);
        return 0;
    }
    int fd = ok ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
    ok = fd >= 0 && copy_stdin(fd) && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (ok && link(tmp, dst) != 0 && errno != EEXIST)
        ok = false;
    int e = errno;
    unlink(tmp);
    if (!ok || !fsync_dir(fmt("%s/new", md)))
        return fail("cannot deliver %s to %s: %s", qid, md, strerror(e)), 75;
    return 0;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: mailserver postfix|dovecot|check-smtp|check-imap|upgrade OPTIONS\n"
            "  (mailserver " MS_VERSION ", mail store layout %d; docs/MAIL.md)\n",
            MS_LAYOUT);
    return 2;
}

int main(int argc, char **argv)
{
    static ms_opts o;
    /* Whatever the supervisor's umask (wolfpackd's may be 077): Postfix's
     * and Dovecot's unprivileged processes must reach what is rendered. */
    umask(022);
    if (argc < 2 || !parse_opts(&o, argc, argv))
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "postfix") == 0)
        return run_postfix(&o);
    if (strcmp(cmd, "dovecot") == 0)
        return run_dovecot(&o);
    if (strcmp(cmd, "check-smtp") == 0)
        return check_smtp(&o);
    if (strcmp(cmd, "check-imap") == 0)
        return check_imap(&o);
    if (strcmp(cmd, "upgrade") == 0)
        return upgrade(&o);
    if (strcmp(cmd, "deliver") == 0)
        return deliver(&o, argc, argv);
    return usage();
}
