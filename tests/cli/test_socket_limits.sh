#!/bin/bash
# tests/cli/test_socket_limits.sh -- nobody can lock wolfpackd's socket
# (docs/DAEMON.md, "Connection limits"; docs/SECURITY.md, "The daemon's
# socket").  A solo daemon with --idle-timeout 3 --frame-timeout 1 and the
# admin group nogroup; attackers run as other users with setpriv:
#   - a connection that sends nothing is closed, with an error reply;
#   - a half-sent frame is closed, with an error reply;
#   - one uid opening connections (watch streams, then plain ones) is
#     stopped at the per-uid limit; root still gets `status`;
#   - several uids together fill every slot open to non-root users; root
#     still gets `status` (its reserved slots), a further uid is refused;
#   - when the holders go, their slots are free again.
# tests/tools/wpconns opens and holds the connections (see its header).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

: "${WPCALL:?WPCALL must name tests/tools/wpcall}"
: "${WPCONNS:?WPCONNS must name tests/tools/wpconns}"

HOLDERS=()
_stop_holders() {
    for p in "${HOLDERS[@]}"; do
        kill -TERM "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    HOLDERS=()
}
trap '_stop_holders; _cleanup' EXIT

call() {
    RC=0
    timeout -k 5 "$CALL_TIMEOUT" "$WPCALL" --timeout 20 "$@" >"$OUT" 2>"$ERR" || RC=$?
}
expect_rc() {
    if [ "$RC" -eq "$1" ]; then pass "$2"; else fail "$2 (wpcall exit $RC, expected $1)"; fi
}
# reply_is FILTER: $OUT is not empty and jq FILTER holds on it (jq 1.6 -e
# alone passes on empty input).
reply_is() {
    test -s "$OUT" && jq -e "$1" "$OUT"
}
alive() {
    "$WPCALL" --timeout 10 "$SOCK" '{"op":"status"}' >/dev/null 2>&1
}

# hold UID OP FILE: wpconns as UID (primary group nogroup, the admin group)
# in the background; waits (bounded) until it printed its two lines.
hold() {
    local uid=$1 op=$2 file=$3
    : >"$file"
    setpriv --reuid="$uid" --regid=nogroup --clear-groups \
        "$WPCONNS_AS" --op "$op" --timeout 20 "$SOCK" >"$file" 2>"$file.err" &
    HOLDERS+=("$!")
    for _ in $(seq 1 600); do
        [ "$(wc -l <"$file")" -ge 2 ] && return 0
        kill -0 "$!" 2>/dev/null || break
        sleep 0.05
    done
    sed 's/^/    wpconns: /' "$file.err" | head -5
    return 1
}
served_of() { sed -n 's/^served //p' "$1"; }
refusal_of() { sed -n 2p "$1"; }

if ! command -v setpriv >/dev/null || [ "$(id -u)" -ne 0 ]; then
    fail "this test needs root and setpriv (util-linux)"
    finish
fi
chmod 0711 "$TMP" # let other users reach the socket inside
# the other users run copies in $TMP: the build may sit where they cannot
# reach it (a clone under /root)
mkdir -m 0755 "$TMP/bin"
cp "$WPCONNS" "$TMP/bin/" && WPCONNS_AS=$TMP/bin/$(basename "$WPCONNS")
cp "$WPCALL" "$TMP/bin/" && WPCALL_AS=$TMP/bin/$(basename "$WPCALL")
cp "$WOLFPACK" "$TMP/bin/" && WOLFPACK_AS=$TMP/bin/$(basename "$WOLFPACK")
chmod 0755 "$TMP"/bin/*
start_daemon --admin-group nogroup --idle-timeout 3 --frame-timeout 1

# ---- 1. an idle connection (connected, sends nothing) is closed
call --hold --raw-hex "$SOCK" ''
expect_rc 1 "idle connection: error reply, then closed (not left open)"
check "... says no request came within the idle timeout" \
    reply_is '.error.code == "protocol" and (.error.what|test("no whole request within 3 seconds"))
           and (.error.todo|length) > 0'

# ---- 2. a half-sent frame is closed
call --hold --length 100 "$SOCK" '{"op":"status"}'
expect_rc 1 "half-sent frame: error reply, then closed"
check "... says the frame was not complete, and how much came" \
    reply_is '.error.code == "protocol" and (.error.what|test("not complete within 1 seconds"))
           and (.error.why|test("19 bytes"))'
call --hold --raw-hex "$SOCK" '0000'
expect_rc 1 "half-sent length prefix: error reply, then closed"
check "... the frame timeout" reply_is '.error.what|test("not complete")'
call --hold --raw-hex "$SOCK" "$(printf '%08x' 15; printf '{"op":"status"}' | od -An -v -tx1 | tr -d ' \n')0000006400"
check "a whole request, then half a frame: the request answered, then the frame timeout" \
    jq -se 'length == 2 and .[0].ok == true and (.[1].error.what|test("not complete"))' "$OUT"
check "daemon alive after the timeouts" alive
check "the timeouts are logged" grep -q 'not complete within 1 seconds' "$DLOG"

# ---- 3. one user is held to its share, watch streams included
hold 65534 watch "$TMP/w1" || fail "wpconns as nobody printed its result"
n1=$(served_of "$TMP/w1")
check "nobody's watch streams were served ($n1)" test "${n1:-0}" -gt 0
check "... then refused, before the daemon's 128 were taken" test "${n1:-999}" -lt 128
refusal_of "$TMP/w1" >"$OUT"
check "... with unavailable / too many connections from uid 65534" \
    reply_is '.error.code == "unavailable" and (.error.what|test("too many connections from uid 65534"))
           and (.error.todo|test("watch"))'
expect_ok "root still gets status" wp status
call "$SOCK" '{"op":"status"}'
expect_rc 0 "root still gets a raw status"

# ---- 4. several users together: the last slots are root's
hold 4242 status "$TMP/w2" || fail "wpconns as uid 4242 printed its result"
hold 4243 status "$TMP/w3" || fail "wpconns as uid 4243 printed its result"
hold 4244 status "$TMP/w4" || fail "wpconns as uid 4244 printed its result"
total=$(($(served_of "$TMP/w1") + $(served_of "$TMP/w2") + $(served_of "$TMP/w3") + \
    $(served_of "$TMP/w4")))
check "four users together hold fewer than 128 connections ($total)" test "$total" -lt 128
refusal_of "$TMP/w4" >"$OUT"
check "the last of them is refused: the remaining slots are kept for root" \
    reply_is '.error.code == "unavailable" and (.error.why|test("kept for root"))'
expect_ok "root gets status with every non-root slot taken" wp status
call --connections 4 "$SOCK" '{"op":"status"}'
expect_rc 0 "root may open several connections then"
RC=0
setpriv --reuid=4245 --regid=nogroup --clear-groups "$WPCALL_AS" --timeout 20 "$SOCK" \
    '{"op":"status"}' >"$OUT" 2>"$ERR" || RC=$?
expect_rc 1 "a fifth user is refused"
check "... told it is busy (an error reply, not a hang)" \
    reply_is '.error.code == "unavailable"'
RC=0
setpriv --reuid=4245 --regid=nogroup --clear-groups "$WOLFPACK_AS" --socket "$SOCK" status \
    >"$OUT" 2>"$ERR" || RC=$?
check "... the CLI exits 6" test "$RC" -eq 6
expect_err "... and says wolfpackd is busy, and why" 'too many connections'

# ---- 5. the holders leave: their slots are free again
_stop_holders
ok_again=1
for _ in $(seq 1 100); do
    if setpriv --reuid=4245 --regid=nogroup --clear-groups "$WPCALL_AS" --timeout 20 "$SOCK" \
        '{"op":"status"}' >"$OUT" 2>"$ERR"; then
        ok_again=0
        break
    fi
    sleep 0.1
done
check "after the holders left, a user is served again" test "$ok_again" -eq 0

finish
