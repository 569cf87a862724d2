#!/bin/bash
# tests/cli/test_web_as.sh -- acting for a web user (docs/DAEMON.md,
# "Acting for a web user"): a request's "as": USER is honoured only from
# root or wolfpackd's --web-user, and USER's role is computed
# by wolfpackd from USER's groups.  A solo daemon with --admin-group adm
# --read-group daemon --web-user nobody; raw requests (wpcall) as other
# users with setpriv:
#   uid 1 (daemon, read group)   "as" refused (not trusted), nothing changed
#   nobody (the web user)        own requests: read role; "as" root: changes,
#                                audited "root (web)"; "as" daemon: read-only
#                                refusal naming "daemon"; "as" bin (neither
#                                group) and an unknown user: refused
#   root                         "as" daemon: whoami says read
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

: "${WPCALL:?WPCALL must name tests/tools/wpcall}"

if ! command -v setpriv >/dev/null || [ "$(id -u)" -ne 0 ]; then
    fail "this test needs root and setpriv"
    finish
fi
for name in daemon bin nobody; do
    getent passwd "$name" >/dev/null || { fail "this test needs the user $name"; finish; }
done
chmod 0711 "$TMP"
WPCALL_AS=$(for_others "$WPCALL")

# call UID GID JSON: one raw request; the reply in $OUT
call() {
    setpriv --reuid="$1" --regid="$2" --clear-groups "$WPCALL_AS" --timeout 20 "$SOCK" "$3" \
        >"$OUT" 2>"$ERR" || true
}
reply_is() { # DESC JQ-FILTER
    if jq -se "$2" "$OUT" >/dev/null 2>&1; then pass "$1"; else
        fail "$1 (reply: $(head -c 400 "$OUT"))"
    fi
}

start_daemon --admin-group adm --read-group daemon --web-user nobody
chmod 0666 "$SOCK" # the web user and the reader reach it; wolfpackd checks peers

# ---- an untrusted peer may not say "as"
v0=$(version_of)
call 1 1 '{"op":"group.create","args":{"name":"forged"},"as":"root"}'
reply_is "reader (uid 1) with \"as\": root: refused" \
    '.[0].ok == false and .[0].error.code == "permission"'
reply_is "... says who may send \"as\"" '.[0].error.what | test("may not act for user \"root\"")'
reply_is "... and why" '.[0].error.why | test("web user \"nobody\"")'
check "... nothing changed (database version)" test "$(version_of)" = "$v0"
expect_fail 3 "... the group was not made" wp group show forged
check "... the refusal is logged" grep -q 'acting for "root": permission denied' "$DLOG"
call 1 1 '{"op":"whoami","as":"root"}'
reply_is "... also for a read op" '.[0].ok == false and .[0].error.code == "permission"'

# ---- the web user
call 65534 65534 '{"op":"whoami"}'
reply_is "web user (nobody, in no group) may connect: its own role is read" \
    '.[0].ok == true and .[0].result.role == "read" and .[0].result.user == "nobody"'
call 65534 65534 '{"op":"group.create","args":{"name":"own"}}'
reply_is "... its own change is refused (read role)" '.[0].error.code == "permission"'
call 65534 65534 '{"op":"group.create","args":{"name":"byroot"},"as":"root"}'
reply_is "... \"as\" root: applied" '.[0].ok == true and .[0].result.applied == true'
expect_ok "... the group is there" wp group show byroot
expect_ok "history" wp --json history
check "... records the change as \"root (web)\" with root's uid" \
    jq -e '[.[] | select(.op == "group.create" and .args.name == "byroot")] |
           .[0].user == "root (web)" and .[0].uid == 0' "$OUT"
v1=$(version_of)
call 65534 65534 '{"op":"group.delete","args":{"name":"byroot"},"as":"daemon"}'
reply_is "... \"as\" daemon (read group): the change is refused" \
    '.[0].ok == false and .[0].error.code == "permission"'
reply_is "... naming the user and the read-only group" \
    '.[0].error.why | test("\"daemon\" is a member of the read-only group \"daemon\"")'
call 65534 65534 '{"op":"status","as":"daemon"}'
reply_is "... but it may read" '.[0].ok == true and (.[0].result.groups | length > 0)'
call 65534 65534 '{"op":"whoami","as":"daemon"}'
reply_is "... whoami: read" '.[0].result.role == "read" and .[0].result.user == "daemon"'
call 65534 65534 '{"op":"whoami","as":"bin"}'
reply_is "... \"as\" bin (in neither group): refused" '.[0].error.code == "permission"'
reply_is "... naming both groups" '.[0].error.why | test("\"adm\" \\(admin\\) or \"daemon\"")'
call 65534 65534 '{"op":"status","as":"no-such-user-here"}'
reply_is "... an unknown user: refused" '.[0].error.what | test("no user \"no-such-user-here\"")'
call 65534 65534 '{"op":"status","as":""}'
reply_is "... an empty \"as\": protocol error" '.[0].error.code == "protocol"'
check "nothing changed by the refusals" test "$(version_of)" = "$v1"

# ---- root may say "as" too
call 0 0 '{"op":"whoami","as":"daemon"}'
reply_is "root \"as\" daemon: whoami says read" '.[0].result.role == "read"'

finish
