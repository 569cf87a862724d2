#!/bin/bash
# test_notify.sh -- wolfpackd under systemd's Type=notify (src/daemon/notify.c):
# with $NOTIFY_SOCKET it sends READY=1 with a STATUS= line once it serves,
# and STOPPING=1 on SIGTERM; without it, it sends nothing.  A Python
# listener on a datagram socket stands in for systemd.
. "$(dirname "$0")/lib.sh"

NSOCK=$TMP/notify.sock
GOT=$TMP/notify.got
LPID=
# listen: receive datagrams on $NSOCK into $GOT, one line per field,
# "--" after each datagram (ends with the test)
listen() {
    : >"$GOT"
    rm -f "$NSOCK"
    python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "a") as out:
    print("listening", file=out, flush=True)
    while True:
        data = s.recv(65536).decode(errors="replace")
        print(data.strip() + "\n--", file=out, flush=True)
' "$NSOCK" "$GOT" &
    LPID=$!
    for _ in $(seq 1 100); do grep -q listening "$GOT" 2>/dev/null && return 0; sleep 0.05; done
    return 1
}
stop_listen() {
    [ -n "$LPID" ] && kill "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
    LPID=
}
trap 'stop_listen; _cleanup' EXIT
wait_got() { # REGEX: until $GOT has a line matching it (at most 10 s)
    for _ in $(seq 1 200); do grep -Eq "$1" "$GOT" && return 0; sleep 0.05; done
    return 1
}

# 1. under "systemd"
check "a notify socket listens" listen
NOTIFY_SOCKET=$NSOCK start_daemon
check "READY=1 once wolfpackd serves" wait_got '^READY=1$'
check "with STATUS=ready: and its socket" grep -Eq "^STATUS=ready: socket $SOCK, database version [0-9]+, transport solo$" "$GOT"
check "READY=1 is sent once" [ "$(grep -c '^READY=1$' "$GOT")" -eq 1 ]
expect_ok "it serves" wp status
stop_daemon
check "STOPPING=1 on SIGTERM" wait_got '^STOPPING=1$'
check "with STATUS=stopping:" grep -q '^STATUS=stopping:' "$GOT"
stop_listen

# 2. not under systemd: nothing sent
check "a notify socket listens again" listen
start_daemon
expect_ok "it serves without NOTIFY_SOCKET" wp status
stop_daemon
sleep 0.3
check "without NOTIFY_SOCKET nothing is sent" [ "$(grep -vc listening "$GOT")" -eq 0 ]
stop_listen
finish
