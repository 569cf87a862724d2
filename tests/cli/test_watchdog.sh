#!/bin/bash
# tests/cli/test_watchdog.sh -- wolfpackd --watchdog on a solo daemon
# (docs/FENCING.md, "Watchdog self-fencing"), on a regular file standing in
# for the device (never a real watchdog: opening one arms it): the daemon
# arms it once ready, pets it (one byte that is not 'V' a time), announces
# its timeout (status --json .fencing.watchdog), disarms it with the magic
# close ('V' last) on SIGTERM and not on SIGKILL; a path that cannot be
# opened is logged and retried, the daemon keeps serving; bad timeouts are
# usage errors.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

WD=$TMP/watchdog
bytes() { stat -c %s "$WD" 2>/dev/null || echo 0; }
has_pets() { [ "$(bytes)" -ge "$1" ]; }
last_byte() { tail -c 1 "$WD"; }
wait_for() { # wait_for TENTHS CMD...
    local i
    for ((i = 0; i < $1; i++)); do
        "${@:2}" && return 0
        sleep 0.1
    done
    "${@:2}"
}
announced() {
    [ "$("$WOLFPACK" --socket "$SOCK" --json status 2>/dev/null |
        jq -r '.fencing.watchdog.n1.timeout')" = "$1" ]
}

# ---- usage errors
rc=$(_status_of "$WOLFPACKD" --solo --state-dir "$STATE" --socket "$SOCK" --watchdog "$WD" \
    --watchdog-timeout 1)
check "--watchdog-timeout 1: exit 2" [ "$rc" = 2 ]
check "  says the range" grep -q "2 to 300" "$ERR"
rc=$(_status_of "$WOLFPACKD" --solo --state-dir "$STATE" --socket "$SOCK" --watchdog "$WD" \
    --watchdog-timeout ten)
check "--watchdog-timeout ten: exit 2" [ "$rc" = 2 ]
check "nothing was opened or created" [ ! -e "$WD" ]

# ---- armed, petted, announced, disarmed on SIGTERM
: >"$WD"
start_daemon --watchdog "$WD" --watchdog-timeout 3
check "the daemon pets the watchdog (3 keepalives)" wait_for 100 has_pets 3
check "the log says it is not a device (ioctls fail, tolerated)" \
    grep -q "armed; it is not a watchdog device" "$DLOG"
check "status --json: n1's watchdog timeout 3" wait_for 100 announced 3
check "no keepalive is a 'V'" bash -c "! tr -d . <'$WD' | grep -q ."
stop_daemon
check "SIGTERM: the magic close ('V' last)" [ "$(last_byte)" = V ]
check "  logged" grep -q "watchdog: disarmed (clean stop)" "$DLOG"

# ---- SIGKILL: no magic close
: >"$WD"
start_daemon --watchdog "$WD" --watchdog-timeout 3
check "petted again after a restart" wait_for 100 has_pets 2
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
DPID=
check "SIGKILL: no 'V' (the watchdog would fire)" [ "$(last_byte)" = . ]

# ---- a path that cannot be opened: logged, the daemon serves on
rm -f "$WD"
start_daemon --watchdog "$TMP/no/such/watchdog"
check "cannot arm it: logged at crit" wait_for 50 grep -q "watchdog: cannot arm it" "$DLOG"
check "  the daemon still answers" wp status
check "  no timeout announced (it is withdrawn)" wait_for 50 announced null
check "  nothing was created" [ ! -e "$TMP/no" ]
stop_daemon

# ---- the poison pill: node fence NODE --watchdog
: >"$WD"
start_daemon --watchdog "$WD" --watchdog-timeout 3
check "petted" wait_for 100 has_pets 2
check "announced 3" wait_for 100 announced 3
rc=$(_status_of "$WOLFPACK" --socket "$SOCK" node fence n1 --watchdog --action off)
check "--watchdog with --action: exit 2" [ "$rc" = 2 ]
rc=$(_status_of "$WOLFPACK" --socket "$SOCK" node fence n1 --watchdog)
check "node fence n1 --watchdog: exit 0" [ "$rc" = 0 ]
check "  a warning" grep -q "WARNING: node n1 gets a poison pill" "$ERR"
check "  logged at crit" wait_for 50 grep -q "watchdog: poison pill for this node" "$DLOG"
poisoned() { [ "$("$WOLFPACK" --socket "$SOCK" --json status | jq -r '.fencing.poison.n1.node')" = n1 ]; }
check "status --json: the pill" poisoned
wp status
check "status: the Fencing section names the pill" grep -q "n1: poison pill sent" "$OUT"
size=$(bytes)
sleep 2.5 # more than two pet periods (3 s / 4)
check "no keepalive after the pill" [ "$(bytes)" = "$size" ]
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
DPID=
: >"$WD"
start_daemon --watchdog "$WD" --watchdog-timeout 3
check "a new life: the old pill is cleared" wait_for 100 bash -c "! { $(declare -f poisoned); WOLFPACK='$WOLFPACK' SOCK='$SOCK' poisoned; }"
check "  logged" wait_for 50 grep -q "clearing a poison pill of an earlier life" "$DLOG"
check "  and it pets again" wait_for 100 has_pets 3
stop_daemon

# ---- without --watchdog: the announcement is withdrawn
: >"$WD"
start_daemon --watchdog "$WD" --watchdog-timeout 4
check "announced 4" wait_for 100 announced 4
stop_daemon
start_daemon
check "restarted without --watchdog: withdrawn" wait_for 50 announced null
rc=$(_status_of "$WOLFPACK" --socket "$SOCK" node fence n1 --watchdog)
check "a poison pill for a node without a watchdog: refused, exit 4" [ "$rc" = 4 ]
check "  says to use fence devices" grep -q "wolfpack node fence n1" "$ERR"
check "the file was not touched after the stop" [ "$(last_byte)" = V ]

finish
