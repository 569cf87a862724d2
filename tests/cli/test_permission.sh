#!/bin/bash
# test_permission.sh -- who may use wolfpackd.  The CLI runs as another
# user with setpriv (no login shell, no set-up files):
#   - socket 0660 root:root: nobody cannot even connect (exit 6, the error
#     names the socket);
#   - socket opened to everyone (chmod 0666 by the test): wolfpackd itself
#     refuses nobody by its peer credentials (SO_PEERCRED), admin group
#     "wolfpack" (absent here), for reads and changes alike;
#   - daemon restarted with --admin-group nogroup: nobody (primary group
#     nogroup) is let in, a uid outside that group is still refused.
# Every refusal leaves the database version alone.
#
# The CLI nobody runs is a copy in this test's own directory (0711, a 0755
# bin/ inside): the clone may live where nobody cannot enter (/root/...),
# and the test must not depend on that.
. "$(dirname "$0")/lib.sh"

# as UID GID CMD...: run CMD as that user with no supplementary groups.
as() {
    local uid=$1 gid=$2
    shift 2
    setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
}
nobody_wp() {
    as nobody nogroup timeout -k 5 30 "$NOBODY_WOLFPACK" --socket "$SOCK" "$@"
}

if ! command -v setpriv >/dev/null; then
    fail "setpriv is installed (util-linux)"
    finish
fi
chmod 0711 "$TMP" # let other users reach the socket inside
NOBODY_WOLFPACK=$(for_others "$WOLFPACK") || fail "copy $WOLFPACK to $TMP/bin for other users"
check "nobody can run the CLI copy" as nobody nogroup "$NOBODY_WOLFPACK" --help
start_daemon
expect_ok "root may change" wp group create rootmade

# 1. file permissions of the socket keep nobody out
check "socket is not world-writable" [ "$(stat -c %a "$SOCK")" = 660 ]
expect_fail 6 "nobody: cannot connect to a 0660 socket" nobody_wp status
expect_err "the error names the socket" "$SOCK"

# 2. the daemon's own check
chmod 0666 "$SOCK"
expect_fail 6 "nobody: status refused by wolfpackd" nobody_wp status
expect_err "says permission denied" '[Pp]ermission denied'
expect_err "says what to do" 'to do:'
expect_fail 6 "nobody: group create refused by wolfpackd" nobody_wp group create evil
expect_fail 6 "nobody: group delete refused by wolfpackd" nobody_wp group delete rootmade
expect_fail 3 "the refused group was not made" wp group show evil
expect_ok "root still may" wp group show rootmade

# 3. an admin group lets its members in
stop_daemon
start_daemon --admin-group nogroup
chmod 0666 "$SOCK"
expect_ok "member of the admin group: status" nobody_wp status --json
check "status --json parses" json_ok "$OUT"
expect_ok "member of the admin group: group create" nobody_wp group create bynobody
expect_ok "the change is there" wp group show bynobody
expect_fail 6 "uid 4242 (not in the admin group) refused" \
    as 4242 4242 timeout -k 5 30 "$NOBODY_WOLFPACK" --socket "$SOCK" group create evil2
expect_err "names the admin group" 'nogroup'

finish
