#!/bin/bash
# test_journal.sh -- wolfpackd's log under systemd (src/daemon/log.c): when
# $JOURNAL_STREAM names its stderr, every message goes to the journal with
# sd_journal_send, with PRIORITY= (so `journalctl -p warning` works),
# SYSLOG_IDENTIFIER=wolfpackd and the text escaped, and nothing to stderr;
# a refused configuration, written before logging starts, reaches the
# journal's stream with the "<3>" (err) prefix; without $JOURNAL_STREAM the
# log goes to stderr as before.  A Python listener on the journal's socket
# stands in for journald, in a private mount namespace whose /run is an
# empty tmpfs (the socket's path is fixed: /run/systemd/journal/socket).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
    echo "skip: needs root and unshare (a private /run for the journal's socket)"
    finish
fi
: "${WPCALL:?WPCALL must name tests/tools/wpcall}"

GOT=$TMP/journal.got # one JSON object per datagram
JERR=$TMP/stderr.journal
: >"$TMP/none.conf"
printf 'solo = yes\nadmin-grup = x\n' >"$TMP/bad.conf"

# Everything that needs the private /run happens in here; it writes files
# the checks below read.
cat >"$TMP/inside.sh" <<'INSIDE'
set -u
T=$1 D=$2 W=$3 C=$4
mount -t tmpfs wptest /run || exit 90
mkdir -p /run/systemd/journal
python3 -c '
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/run/systemd/journal/socket")
out = open(sys.argv[1], "a")
print(json.dumps({"listening": True}), file=out, flush=True)
while True:
    data = s.recv(1 << 20)
    fields = {}
    while data:
        nl = data.index(b"\n")
        line = data[:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            data = data[nl + 1:]
        else:  # binary field: KEY\n, 64-bit LE length, data, \n
            k = line
            n = struct.unpack("<Q", data[nl + 1:nl + 9])[0]
            v = data[nl + 9:nl + 9 + n]
            data = data[nl + 10 + n:]
        fields[k.decode()] = v.decode("utf-8", "backslashreplace")
    print(json.dumps(fields), file=out, flush=True)
' "$T/journal.got" &
lpid=$!
for _ in $(seq 1 100); do grep -q listening "$T/journal.got" 2>/dev/null && break; sleep 0.05; done
: >"$T/stderr.journal"
js=$(stat -c '%d:%i' "$T/stderr.journal")
JOURNAL_STREAM=$js "$D" --config "$T/none.conf" --solo --state-dir "$T/jstate" \
    --socket "$T/j.sock" --cluster-name jtest --node-name n1 2>>"$T/stderr.journal" &
dpid=$!
for _ in $(seq 1 200); do
    "$W" --timeout 5 "$T/j.sock" '{"op":"status"}' >/dev/null 2>&1 && break
    sleep 0.05
done
"$W" --timeout 10 "$T/j.sock" '{"op":"grp\u001b[2J\r\nFORGED: log line"}' >/dev/null 2>&1
# a second daemon on the same state directory cannot start: an error
JOURNAL_STREAM=$js "$D" --config "$T/none.conf" --solo --state-dir "$T/jstate" \
    --socket "$T/j2.sock" 2>>"$T/stderr.journal"
echo "second $?" >"$T/results"
kill -TERM "$dpid"
wait "$dpid"
echo "first $?" >>"$T/results"
# a refused configuration: stderr only, with the journal's priority prefix
: >"$T/stderr.conf"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/stderr.conf") "$D" --config "$T/bad.conf" \
    --state-dir "$T/never" --socket "$T/never.sock" 2>>"$T/stderr.conf"
echo "badconf $?" >>"$T/results"
sleep 0.3
kill "$lpid"
wait "$lpid" 2>/dev/null
exit 0
INSIDE
rc=$(_status_of timeout -k 5 120 unshare --mount --propagation private -- \
    bash "$TMP/inside.sh" "$TMP" "$WOLFPACKD" "$WPCALL" "$TMP/none.conf")
check "the journal run in a private /run completes" test "$rc" -eq 0
check "the daemon under the journal exits 0 on SIGTERM" grep -qx 'first 0' "$TMP/results"
check "the second daemon cannot start (exit 1)" grep -qx 'second 1' "$TMP/results"

# msg PRIORITY REGEX: a journal entry of wolfpackd with that priority whose
# MESSAGE matches
msg() {
    jq -se --arg p "$1" --arg re "$2" 'map(select(.SYSLOG_IDENTIFIER == "wolfpackd"
        and .PRIORITY == $p and (.MESSAGE // "" | test($re)))) | length > 0' "$GOT" >/dev/null
}
check "ready is logged to the journal at notice (5)" msg 5 '^wolfpackd ready: socket .*/j\.sock'
check "an applied command at info (6)" msg 6 '^applied cluster\.create at version 1$'
check "the start that fails at err (3), with what" msg 3 '^cannot start: another wolfpackd uses the state directory'
check "... why and what to do" msg 3 '^  to do: stop the other wolfpackd'
check "the shut-down at notice (5)" msg 5 '^received Terminated: shutting down$'
check "entries carry the facility daemon (3) and the code location" \
    jq -se 'map(select(.SYSLOG_IDENTIFIER == "wolfpackd")) | length > 3 and
        all(.SYSLOG_FACILITY == "3" and (.CODE_FILE | test("^src/")) and (.CODE_LINE | test("^[0-9]+$")))' "$GOT"
check "a client's control characters reach the journal escaped" \
    msg 6 'grp\\x1b\[2J\\r\\nFORGED: log line'
check "... and no entry holds a raw ESC or newline" \
    jq -se 'map(.MESSAGE // "" | test("[\u001b\n\r]")) | any | not' "$GOT"
check "nothing of the log goes to stderr (no line twice in the journal)" test ! -s "$JERR"
check "a refused configuration stops it (exit 2)" grep -qx 'badconf 2' "$TMP/results"
check "... its lines reach the journal's stream at err: <3>FILE:LINE" \
    grep -qx "<3>error: $TMP/bad.conf:2: unknown key \"admin-grup\"" "$TMP/stderr.conf"
check "... every line with the prefix" bash -c "! grep -qv '^<3>' '$TMP/stderr.conf'"

# ---- without the journal: stderr as before (lib.sh's daemon, no JOURNAL_STREAM)
JOURNAL_STREAM=1:1 start_daemon
stop_daemon
check "without a matching JOURNAL_STREAM the log goes to stderr" \
    grep -Eq 'wolfpackd\[[0-9]+\] notice: wolfpackd ready' "$DLOG"
finish
