#!/bin/bash
# test_rundir.sh -- each wolfpackd has its own agents' run directory: two
# solo daemons on this host (state directories of their own) each run a
# Generic Service named svc; each service's pid file is in its daemon's
# run directory (/run/wolfpack/agents + the state directory with '/' made
# '-'), with a different pid; taking one group offline stops only its own
# service.  (Before, both shared /run/wolfpack/agents/svc.pid.)
. "$(dirname "$0")/lib.sh"
start_daemon

run1=/run/wolfpack/agents$(printf '%s' "$STATE" | tr / -)
state2=$TMP/state2
sock2=$TMP/sock2
run2=/run/wolfpack/agents$(printf '%s' "$state2" | tr / -)
mkdir -p "$state2"
"$WOLFPACKD" --config "$TMP/none.conf" --solo --state-dir "$state2" --socket "$sock2" \
    --cluster-name clitest2 --node-name n1 >>"$TMP/daemon2.log" 2>&1 &
d2=$!
stop2() {
    kill -TERM "$d2" 2>/dev/null
    wait "$d2" 2>/dev/null
    rm -rf "$run1" "$run2" # on this host's /run: ours only
}
trap 'stop2; _cleanup' EXIT # the second daemon and the run directories, also on failure
wp2() { timeout -k 5 "$CALL_TIMEOUT" "$WOLFPACK" --socket "$sock2" "$@" >"$OUT" 2>"$ERR"; }
pid_in() { cut -d' ' -f1 "$1/svc.pid" 2>/dev/null; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

check "the second daemon answers" bash -c \
    "for _ in \$(seq 1 100); do '$WOLFPACK' --socket '$sock2' status >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1"
for n in 1 2; do
    if [ $n = 1 ]; then w=wp; else w=wp2; fi
    expect_ok "daemon $n: group g" $w group create g
    expect_ok "daemon $n: service svc" $w resource create svc --group g --type service --prop user=root \
        --prop "command=/bin/sleep 3$n$$"
    expect_ok "daemon $n: group online g" $w group online g
done
check "daemon 1's pid file in its own run directory" bash -c \
    "for _ in \$(seq 1 100); do [ -s '$run1/svc.pid' ] && exit 0; sleep 0.1; done; exit 1"
check "daemon 2's pid file in its own run directory" bash -c \
    "for _ in \$(seq 1 100); do [ -s '$run2/svc.pid' ] && exit 0; sleep 0.1; done; exit 1"
p1=$(pid_in "$run1")
p2=$(pid_in "$run2")
check "two services, two pids" [ -n "$p1" ] && [ -n "$p2" ] && [ "$p1" != "$p2" ]
check "nothing in the shared /run/wolfpack/agents/svc.pid from these daemons" \
    bash -c "! grep -qs -e '^$p1 ' -e '^$p2 ' /run/wolfpack/agents/svc.pid"
expect_ok "daemon 1: group offline g" wp group offline g
check "daemon 1's service stops" bash -c \
    "for _ in \$(seq 1 100); do kill -0 '$p1' 2>/dev/null || exit 0; sleep 0.1; done; exit 1"
check "daemon 2's service still runs" alive "$p2"
expect_ok "daemon 2: group offline g" wp2 group offline g
check "daemon 2's service stops" bash -c \
    "for _ in \$(seq 1 100); do kill -0 '$p2' 2>/dev/null || exit 0; sleep 0.1; done; exit 1"
stop2
finish
