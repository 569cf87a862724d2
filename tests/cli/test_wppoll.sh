#!/bin/bash
# test_wppoll.sh -- tests/tools/wppoll, the one client poller of the
# benchmarks and the demo (./demo.sh polls its mail service by name with
# it): --until-up stops at the first good answer and prints it, --send ''
# lets the server speak first (SMTP, IMAP), a name is looked up; without an
# answer --until-up fails.  A local greeting server on 127.0.0.1 stands in
# for the service; no daemon is needed.
. "$(dirname "$0")/lib.sh"

WPPOLL=${WPPOLL:-$(dirname "$WPCALL")/wppoll}
if [ ! -x "$WPPOLL" ]; then
    fail "$WPPOLL is missing; build it first (make)"
    finish
fi

# greeter PORTFILE GOTFILE: a server that greets "220 ready" and appends
# what the client sent (within 0.3 s) to GOTFILE; its port goes to PORTFILE
python3 -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
while True:
    c, _ = s.accept()
    c.sendall(b"220 ready\r\n")
    c.settimeout(0.3)
    try:
        got = c.recv(100)
    except OSError:
        got = b""
    open(sys.argv[2], "ab").write(got)
    c.close()
' "$TMP/port" "$TMP/got" &
SRV=$!
trap 'kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; _cleanup' EXIT
for _ in $(seq 1 50); do
    [ -s "$TMP/port" ] && break
    sleep 0.1
done
PORT=$(cat "$TMP/port")

run_out() { # CMD...: stdout/stderr to $OUT/$ERR, the status in $RC
    RC=0
    "$@" >"$OUT" 2>"$ERR" || RC=$?
}

run_out "$WPPOLL" 127.0.0.1 "$PORT" --send '' --expect 220 --timeout 1000 --duration 20 --until-up
check "--until-up: exit 0 at the first answer (exit $RC)" [ "$RC" -eq 0 ]
check "--until-up: one line, S, the time and the answer" grep -Eqx 'S [0-9]+\.[0-9]{6} 220 ready' "$OUT"
check "--until-up: nothing more than that line" [ "$(wc -l <"$OUT")" -eq 1 ]
sleep 0.4 # the server's read of the last connection ends
check "--send '': nothing sent, the server spoke first" [ ! -s "$TMP/got" ]

run_out "$WPPOLL" localhost "$PORT" --send HELO --expect 220 --timeout 1000 --duration 20 --until-up
check "a name (localhost) is looked up (exit $RC)" [ "$RC" -eq 0 ]
sleep 0.4
check "--send HELO: the server got \"HELO\" and a newline" grep -qx HELO "$TMP/got"

run_out "$WPPOLL" 127.0.0.1 "$PORT" --send '' --expect 250 --timeout 500 --duration 1 --until-up
check "--until-up, never the expected answer: exit 1 (exit $RC)" [ "$RC" -eq 1 ]
check "... and an F line, no S" sh -c "grep -q '^F ' '$OUT' && ! grep -q '^S ' '$OUT'"

run_out "$WPPOLL" no-such-host.invalid "$PORT" --until-up --duration 1
check "an unknown name: exit 2 (exit $RC)" [ "$RC" -eq 2 ]
check "... saying which name and what to do" \
    sh -c "grep -q 'cannot find the address of no-such-host.invalid' '$ERR' && grep -q 'to do:' '$ERR'"
finish
