#!/bin/bash
# tests/cli/test_daemon.sh -- wolfpackd itself: start-up and shut-down,
# status, the socket server under malformed, pipelined, abandoned and too
# many connections, access control by peer credentials, a stale socket, a
# corrupt database, one daemon per state directory.  Raw requests go through
# tests/tools/wpcall (see its header for the exit statuses).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

: "${WPCALL:?WPCALL must name tests/tools/wpcall}"

# call ARGS...: wpcall against this test's daemon; output in $OUT/$ERR,
# exit status in $RC.
call() {
    RC=0
    timeout -k 5 "$CALL_TIMEOUT" "$WPCALL" --timeout 20 "$@" >"$OUT" 2>"$ERR" || RC=$?
}
call_sock() { call "$SOCK" "$@"; }

expect_rc() {
    if [ "$RC" -eq "$1" ]; then pass "$2"; else fail "$2 (wpcall exit $RC, expected $1)"; fi
}

# hexframe JSON: the frame (length + body) of JSON as hex.
hexframe() {
    printf '%08x' "${#1}"
    printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'
}

# the daemon answers `status` (it is alive and serving)
alive() {
    "$WPCALL" --timeout 10 "$SOCK" '{"op":"status"}' >/dev/null 2>&1
}

start_daemon

# ---- status and cluster.show
call_sock '{"op":"status"}'
expect_rc 0 "status answers ok"
check "status has version, solo transport, synced, named cluster" \
    jq -e '.version >= 1 and .result.version == .version and .result.transport == "solo"
           and .result.sync == "synced" and .result.quorate == true
           and .result.members == [1] and .result.cluster == "clitest"' "$OUT"
call_sock '{"op":"cluster.show"}'
check "cluster.show gives name, version, nodes" \
    jq -e '.result.name == "clitest" and (.result.version|type) == "number"
           and .result.nodes[0].name == "n1" and .result.nodes[0].id == 1' "$OUT"

# ---- changes
call_sock '{"op":"group.create","args":{"name":"web"}}'
expect_rc 0 "group.create is applied"
check "a change replies applied and the new version" \
    jq -e '.result.applied == true and .version >= 2' "$OUT"
call_sock '{"op":"group.create","args":{"name":"web"}}'
expect_rc 1 "a refused change is an error reply"
check "the refusal has code, what, why, todo, version" \
    jq -e '.ok == false and .error.code == "exists" and (.error.what|length) > 0
           and (.error.why|length) > 0 and (.error.todo|length) > 0 and .version >= 2' "$OUT"

# ---- malformed requests
call_sock 'this is not json'
expect_rc 1 "not JSON: error reply"
check "not JSON: protocol error" jq -e '.error.code == "protocol"' "$OUT"
call_sock '{"op":"node.explode"}'
check "unknown op: invalid, names the op" \
    jq -e '.error.code == "invalid" and (.error.what|test("node.explode"))' "$OUT"
call_sock '{"op":"group.show","args":{"name":"web","colour":"red"}}'
check "unknown argument: invalid, names it" \
    jq -e '.error.code == "invalid" and (.error.what|test("colour"))' "$OUT"
call_sock '{"op":"group.show","args":{"name":7}}'
check "wrong-typed argument: invalid" \
    jq -e '.error.code == "invalid" and (.error.what|test("name"))' "$OUT"

call --raw-hex "$SOCK" "$(hexframe 'nope')$(hexframe '{"op":"status"}')"
check "a bad frame keeps the connection: two replies" test "$(wc -l <"$OUT")" -eq 2
check "... the second one answered" jq -se '.[0].ok == false and .[1].ok == true' "$OUT"

call --raw-hex "$SOCK" "00000000$(hexframe '{"op":"status"}')"
expect_rc 1 "length 0: error reply"
check "length 0: protocol error, then closed (one reply)" \
    jq -se 'length == 1 and .[0].error.code == "protocol"' "$OUT"

call --length 2000000 "$SOCK" '{"op":"status"}'
check "oversized length: protocol error naming the length" \
    jq -e '.error.code == "protocol" and (.error.what|test("2000000"))' "$OUT"

call --length 100 "$SOCK" '{"op":"status"}'
expect_rc 4 "truncated frame: closed without a reply"
check "daemon alive after a truncated frame" alive

call --raw-hex "$SOCK" "0000"
expect_rc 4 "EOF inside the length prefix: closed without a reply"

# ---- pipelining, abandoned requests, connection limit
call --repeat 40 "$SOCK" '{"op":"group.list"}'
check "40 pipelined requests get 40 replies" test "$(wc -l <"$OUT")" -eq 40

call --no-read "$SOCK" '{"op":"group.create","args":{"name":"gone"}}'
expect_rc 0 "a client can send a change and leave"
call_sock '{"op":"group.show","args":{"name":"gone"}}'
expect_rc 0 "the change of a client that left stands"

call --connections 127 "$SOCK" '{"op":"status"}'
expect_rc 0 "128 connections at once are served"
call --connections 128 "$SOCK" '{"op":"status"}'
expect_rc 1 "the 129th connection is refused"
check "... with unavailable / too many connections" \
    jq -e '.error.code == "unavailable" and (.error.what|test("too many"))' "$OUT"
check "daemon alive after the connection storm" alive

# ---- access control (a peer that can reach the socket, not in the group)
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
    stop_daemon
    start_daemon --admin-group users
    chmod 0711 "$TMP"
    chmod 0666 "$SOCK"
    # uid 65534 runs a copy: the clone may be closed to it (under /root)
    OTHERS_WPCALL=$(for_others "$WPCALL") || fail "copy $WPCALL for other users"
    RC=0
    setpriv --reuid=65534 --regid=65534 --clear-groups "$OTHERS_WPCALL" --timeout 20 "$SOCK" \
        '{"op":"status"}' >"$OUT" 2>"$ERR" || RC=$?
    expect_rc 1 "a peer outside the admin group gets an error reply"
    check "... permission, naming the group" \
        jq -e '.error.code == "permission" and (.error.todo|test("users"))' "$OUT"
    RC=0
    setpriv --reuid=65534 --regid=100 --clear-groups "$OTHERS_WPCALL" --timeout 20 "$SOCK" \
        '{"op":"status"}' >"$OUT" 2>"$ERR" || RC=$?
    expect_rc 0 "a peer whose gid is the admin group is served"
    RC=0
    setpriv --reuid=65534 --regid=65534 --clear-groups "$OTHERS_WPCALL" --timeout 20 \
        --connections 140 "$SOCK" '{"op":"status"}' >"$OUT" 2>"$ERR" || RC=$?
    check "many refused peers at once are all told" jq -e '.error.code == "permission"' "$OUT"
    check "daemon alive after many refused peers" alive
    stop_daemon
    start_daemon --admin-group no-such-group-wp
    chmod 0666 "$SOCK"
    RC=0
    setpriv --reuid=65534 --regid=100 --clear-groups "$OTHERS_WPCALL" --timeout 20 "$SOCK" \
        '{"op":"status"}' >"$OUT" 2>"$ERR" || RC=$?
    check "admin group missing: only root (non-root refused)" \
        jq -e '.error.code == "permission"' "$OUT"
    chmod 0700 "$TMP"
else
    echo "skip access control (needs root and setpriv)"
fi

# ---- restarts: kill -9 leaves a stale socket; the data stays
before=$(version_of)
kill9_daemon
check "kill -9 leaves the socket file" test -S "$SOCK"
start_daemon
check "restart over a stale socket keeps the version" test "$(version_of)" = "$before"

RC=0
timeout -k 5 30 "$WOLFPACKD" --solo --state-dir "$STATE" --socket "$TMP/other.sock" \
    >"$OUT" 2>"$ERR" || RC=$?
expect_rc 1 "a second wolfpackd on the same state dir exits 1"
expect_err "... saying another wolfpackd uses it" "another wolfpackd uses the state directory"

RC=0
timeout -k 5 30 "$WOLFPACKD" --solo --state-dir "$TMP/state2" --socket "$SOCK" \
    >"$OUT" 2>"$ERR" || RC=$?
expect_rc 1 "a second wolfpackd on the same socket exits 1"
check "... before it created anything in its state" test ! -e "$TMP/state2/cluster.db"

stop_daemon
check "SIGTERM removes the socket" test ! -e "$SOCK"

# ---- a corrupt database is refused and left alone
mkdir -p "$TMP/bad"
head -c 16384 /dev/urandom >"$TMP/bad/cluster.db"
sum=$(sha256sum <"$TMP/bad/cluster.db")
RC=0
timeout -k 5 30 "$WOLFPACKD" --solo --state-dir "$TMP/bad" --socket "$TMP/bad.sock" \
    >"$OUT" 2>"$ERR" || RC=$?
expect_rc 1 "a corrupt database: exit 1"
expect_err "... with what and to do on stderr" "to do:"
check "... the file is unchanged" test "$(sha256sum <"$TMP/bad/cluster.db")" = "$sum"
check "... and no socket was left" test ! -e "$TMP/bad.sock"

# ---- usage errors and the client's message for a missing daemon
RC=0
# (without --state-dir and --socket wolfpackd now uses /var/lib/wolfpack and
# /run/wolfpack: test_config.sh checks that in a private mount namespace)
"$WOLFPACKD" --solo --state-dir "$TMP/never" --socket "$TMP/never.sock" --no-such-option \
    >"$OUT" 2>"$ERR" || RC=$?
expect_rc 2 "an unknown option: usage error 2"
check "... and nothing is created" test ! -e "$TMP/never"
RC=0
timeout -k 5 30 "$WOLFPACK" --socket "$TMP/nothing.sock" status >"$OUT" 2>"$ERR" || RC=$?
expect_rc 6 "CLI without a daemon: exit 6"
expect_err "... names the socket and says to start wolfpackd" "nothing.sock"
expect_err "... and what to do" "to do: .*wolfpackd"

finish
