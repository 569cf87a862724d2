#!/bin/bash
# tests/cli/test_roles.sh -- the read-only role beside the admin group
# (docs/DAEMON.md, "Socket and access control"; docs/SECURITY.md, "Roles").
# A solo daemon with --admin-group nogroup --read-group users; the CLI runs
# as other users with setpriv (no supplementary groups):
#   uid 4242 gid users    reader: status, list, show, watch; every change
#                         refused (exit 6) with what/why/to do, nothing
#                         changed (the database version stays)
#   uid 4243 gid nogroup  admin: reads and changes
#   uid 4244 gid 4244     neither: refused, even status
# With a read-only group on the host the socket is 0666 (a file has one
# group), so the stranger reaches wolfpackd, which refuses it by its
# credentials.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

: "${WPCALL:?WPCALL must name tests/tools/wpcall}"

as() {
    local uid=$1 gid=$2
    shift 2
    setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
}
reader() { as 4242 users timeout -k 5 30 "$WOLFPACK_AS" --socket "$SOCK" "$@"; }
admin() { as 4243 nogroup timeout -k 5 30 "$WOLFPACK_AS" --socket "$SOCK" "$@"; }
stranger() { as 4244 4244 timeout -k 5 30 "$WOLFPACK_AS" --socket "$SOCK" "$@"; }
reader_call() {
    as 4242 users "$WPCALL_AS" --timeout 20 "$SOCK" "$1" >"$OUT" 2>"$ERR" || true
}

if ! command -v setpriv >/dev/null || [ "$(id -u)" -ne 0 ] || ! getent group users >/dev/null ||
    ! getent group nogroup >/dev/null; then
    fail "this test needs root, setpriv and the groups users and nogroup"
    finish
fi
chmod 0711 "$TMP" # let other users reach the socket inside
# the other users run copies in $TMP: the build may sit where they cannot
# reach it (a clone under /root)
mkdir -m 0755 "$TMP/bin"
cp "$WOLFPACK" "$TMP/bin/" && WOLFPACK_AS=$TMP/bin/$(basename "$WOLFPACK")
cp "$WPCALL" "$TMP/bin/" && WPCALL_AS=$TMP/bin/$(basename "$WPCALL")
chmod 0755 "$TMP"/bin/*
start_daemon --admin-group nogroup --read-group users
expect_ok "root: a group" wp group create g1
expect_ok "root: a resource" \
    wp resource create r1 --group g1 --type "Generic Service" --prop user=root --prop command=/bin/true
check "with a read-only group the socket is 0666 (wolfpackd checks peers)" \
    test "$(stat -c %a "$SOCK")" = 666

# ---- the reader reads
expect_ok "reader: status" reader status
expect_out "... shows the cluster" 'g1'
expect_ok "reader: status --json" reader --json status
check "... parses, with the groups" bash -c "test -s '$OUT' && jq -e '.groups|length > 0' '$OUT'"
expect_ok "reader: group list" reader group list
expect_ok "reader: group show" reader group show g1
expect_ok "reader: resource list" reader resource list
expect_ok "reader: resource show" reader resource show r1
expect_ok "reader: node list" reader node list
expect_ok "reader: cluster show" reader cluster show
reader_call '{"op":"watch"}'
check "reader: watch is answered (watching)" \
    bash -c "test -s '$OUT' && jq -se '.[0].result.watching == true' '$OUT'"

# ---- the reader changes nothing
expect_fail 6 "reader: group create refused" reader group create evil
expect_err "... says permission denied and names the op" 'permission denied: group.create'
expect_err "... says why: the read-only group" 'read-only group "users"'
expect_err "... and what to do: the admin group" 'to do: .*"nogroup"'
expect_fail 6 "reader: group delete refused" reader group delete g1
expect_fail 6 "reader: resource set refused" reader resource set r1 --prop command=/bin/false
expect_fail 6 "reader: group online refused" reader group online g1
expect_fail 6 "reader: node pause refused" reader node pause n1
expect_fail 3 "the refused group was not made" wp group show evil
expect_ok "root: the resource is unchanged" wp --json resource show r1
check "... command still /bin/true" jq -e '.props.command == "/bin/true"' "$OUT"
reader_call '{"op":"app.register","args":{"name":"x","record":{}}}'
check "reader: a raw app.register is refused (permission)" \
    bash -c "test -s '$OUT' && jq -e '.error.code == \"permission\"' '$OUT'"
reader_call '{"op":"resource.report","args":{"name":"r1","node":"n1","state":"Online","at":1}}'
check "reader: an internal op is refused" \
    bash -c "test -s '$OUT' && jq -e '.ok == false' '$OUT'"
check "refusals are logged" grep -q 'permission denied: group.create changes the cluster' "$DLOG"

# ---- the admin member may change; the stranger may not even read
expect_ok "admin member: group create" admin group create byadmin
expect_ok "... it is there" wp group show byadmin
expect_fail 6 "stranger: status refused" stranger status
expect_err "... names both groups" '"nogroup".*"users"'

finish
