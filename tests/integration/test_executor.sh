#!/bin/bash
# tests/integration/test_executor.sh -- the executor, the monitors, the
# start-up probe, the child reaper and the watch stream of one wolfpackd
# --solo (docs/EXECUTOR.md), in a network namespace of the test's own
# (198.51.100.1/24 on a veth pair; the virtual address 198.51.100.100) with
# a private /run, so nothing touches the host.
#
#   1. a group (IP Address, Generic Service on it, a second service on that)
#      comes online in dependency order; `wolfpack status --watch` through a
#      pipe prints the status, then one line per change;
#   2. a start that fails (the program is not installed): the service is
#      Failed with the agent's error at once, without a restart loop, what
#      depends on it is reported Offline (never started), the group is
#      Partially Online (the address stays) and the coordinator goes quiet
#      (no command storm); `group online` retries it;
#   3. the service killed: no zombie stays under wolfpackd (the reaper), the
#      monitor reports it, it is restarted;
#   4. wolfpackd killed (-9) and started again: the probe finds what runs and
#      leaves it (no restart);
#   5. SIGTERM: wolfpackd exits; no sanitizer report in its log (run with
#      BUILD=<a SAN=1 build> to make that check bite).
#
# Needs root.  BUILD selects the build (default build).  Prints
# "N passed, N failed"; everything is removed on any exit.
set -u
cd "$(dirname "$0")/../.." || exit 1
build=${BUILD:-build}
WOLFPACK=$PWD/$build/wolfpack
WOLFPACKD=$PWD/$build/wolfpackd
SERVER=$PWD/$build/tests/tools/wptcpserver
NS=wpex$$
TMP=$(mktemp -d /tmp/wpexec.XXXXXX)
SOCK=$TMP/sock
VIP=198.51.100.100
PASSED=0
FAILED=0
dpid=
watch_pid=

cleanup() {
    [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
    [ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null
    # every process left in the namespace (services), by PID
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
    [ -n "${KEEP_LOG:-}" ] && cp "$TMP/daemon.log" "$KEEP_LOG"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ok, bad, check_shown, finish; wp is this test's own (one daemon, its socket)
. "$PWD/tests/integration/lib/checks.sh"
test_on_failure() {
    echo "--- wolfpackd log (tail)"
    tail -30 "$TMP/daemon.log"
}

wp() { "$WOLFPACK" --socket "$SOCK" "$@"; }
# in the daemon's namespaces (network, and the mount namespace with its /run)
in_ns() { nsenter --net="/run/netns/$NS" --mount="/proc/$dpid/ns/mnt" -- "$@"; }
# the agents' run directory of a daemon with this state directory (docs/DAEMON.md)
RUN=/run/wolfpack/agents$(printf '%s' "$TMP/state" | tr / -)

start_daemon() {
    ip netns exec "$NS" unshare --mount --propagation private sh -c \
        'mount -t tmpfs tmpfs /run && mkdir -p "$5" &&
         cp -a "$1" "$5"/ 2>/dev/null; exec "$2" --solo --state-dir "$3" \
         --socket "$4" --node-name n1' sh "$TMP/agents-keep/." "$WOLFPACKD" "$TMP/state" "$SOCK" "$RUN" \
        >>"$TMP/daemon.log" 2>&1 &
    dpid=$!
    local i
    for ((i = 0; i < 100; i++)); do
        wp status >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# "STATE NODE" of a resource
rstate() { wp resource show "$1" --json 2>/dev/null | jq -r '"\(.state) \(.node)"'; }
wait_rstate() { # wait_rstate NAME "STATE NODE" SECONDS
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        [ "$(rstate "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    echo "$1 is '$(rstate "$1")', wanted '$2'"
    return 1
}
gstate() { wp group show "$1" --json 2>/dev/null | jq -r .state; }
wait_gstate() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        [ "$(gstate "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    echo "group $1 is '$(gstate "$1")', wanted '$2'"
    return 1
}
svc_pid() { in_ns cat "$RUN/$1.pid" 2>/dev/null | cut -d' ' -f1; }
reach() {
    ip netns exec "$NS" timeout 3 bash -c \
        "exec 3<>/dev/tcp/$VIP/7000 && echo PING >&3 && read -r l <&3 && [ \"\$l\" = PONG ]"
}
commits() { grep -c "applied sched.commit" "$TMP/daemon.log"; }
zombies() { pgrep -c -r Z -P "$dpid"; }

# ---------------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || {
    echo "test_executor.sh needs root"
    exit 1
}
for f in "$WOLFPACK" "$WOLFPACKD" "$SERVER"; do
    [ -x "$f" ] || {
        echo "missing $f: run make BUILD=$build"
        exit 1
    }
done
{ ip netns add "$NS" && ip -n "$NS" link set lo up && ip -n "$NS" link add v0 type veth peer name v1 && ip -n "$NS" addr add 198.51.100.1/24 dev v0 && ip -n "$NS" link set v0 up && ip -n "$NS" link set v1 up; } || {
    bad "network namespace $NS"
    finish
}
mkdir -p "$TMP/agents-keep"
# not through check_shown: start_daemon sets dpid in this shell
if start_daemon; then
    ok "wolfpackd --solo starts in the namespace"
else
    bad "wolfpackd --solo starts in the namespace" "$(tail -5 "$TMP/daemon.log")"
fi

echo "== 1. online in dependency order; status --watch on a pipe"
wp status --watch >"$TMP/watch.out" 2>&1 &
watch_pid=$!
check_shown "group create" wp group create web --policy failover_threshold=0
check_shown "IP Address" wp resource create ip --group web --type "IP Address" --prop address=$VIP/24 \
    --policy quick_check_interval=1
check_shown "Generic Service on it" wp resource create svc --group web --type "Generic Service" \
    --depends-on ip --prop user=root --prop "command=$SERVER --bind $VIP --port 7000 --data $TMP/records" \
    --policy quick_check_interval=1 --policy restart_threshold=2
check_shown "a second service on that" wp resource create svc2 --group web --type "Generic Service" \
    --depends-on svc --prop user=root --prop "command=/bin/sleep 1000" --policy quick_check_interval=1
check_shown "group online" wp group online web
check_shown "svc2 Online" wait_rstate svc2 "Online n1" 20
check_shown "group Online" wait_gstate web Online 5
check_shown "the service answers at the address" reach
order=$(grep -o "executor: start [a-z0-9]* " "$TMP/daemon.log" | awk '{print $3}' | tr '\n' ' ')
if [ "$order" = "ip svc svc2 " ]; then
    ok "started in dependency order ($order)"
else
    bad "started in dependency order" "$order"
fi
sleep 0.5
kill "$watch_pid" 2>/dev/null
wait "$watch_pid" 2>/dev/null
watch_pid=
# On a pipe: the status once, then one line per change ("HH:MM:SS  NODE  what").
draws=$(grep -c '^Cluster:' "$TMP/watch.out")
events=$(grep -Ec '^[0-9]{2}:[0-9]{2}:[0-9]{2}  ' "$TMP/watch.out")
if [ "$draws" -eq 1 ] && [ "$events" -ge 3 ] && ! grep -q $'\033' "$TMP/watch.out"; then
    ok "status --watch: the status, then $events event lines, no escapes on a pipe"
else
    bad "status --watch on a pipe" "$(head -30 "$TMP/watch.out")"
fi
if grep -Eq '^[0-9:]{8}  n1 +resource svc2 \(web\): .* -> Online$' "$TMP/watch.out"; then
    ok "status --watch: a line says svc2 came Online on n1"
else
    bad "status --watch: a line says svc2 came Online on n1" "$(tail -30 "$TMP/watch.out")"
fi

echo "== 2. a start that fails"
check_shown "svc takes a program that does not exist" wp resource set svc \
    --prop user=root --prop "command=$TMP/no-such-program"
check_shown "restart svc through the operator" wp resource fail svc
# a program that is not installed cannot get better by retrying: svc is
# left Failed at once (no restart loop), what depends on it stops, the
# address stays (docs/SCHEDULER.md)
check_shown "svc is Failed" wait_rstate svc "Failed n1" 30
check_shown "the group ends Partially Online (the address stays)" wait_gstate web "Partially Online" 10
n=$(wp resource show svc --json | jq '.restarts | length')
if [ "$n" = 1 ]; then
    ok "no restart loop: only the operator's restart ($n)"
else
    bad "no restart loop: only the operator's restart" "restarts: $n"
fi
err=$(wp resource show svc --json | jq -r .last_error)
if [ -n "$err" ] && [ "$err" != null ]; then
    ok "svc's last error says why: $err"
else
    bad "svc's last error says why" "$err"
fi
# what depends on the failed svc settles Offline (a start the dropped plan
# recorded may show Online Pending until the next tick: at most 10 s)
for ((i = 0; i < 100; i++)); do
    st=$(wp resource show svc2 --json | jq -r .state)
    [ "$st" = Offline ] && break
    sleep 0.1
done
if [ "$st" = Offline ]; then
    ok "svc2 (depends on svc) is Offline, not pending"
else
    bad "svc2 (depends on svc) is Offline" "$st"
fi
before=$(commits)
sleep 4
after=$(commits)
if [ "$after" -eq "$before" ]; then
    ok "the coordinator is quiet ($after sched.commit in all)"
else
    bad "the coordinator is quiet" "$before then $after sched.commit"
fi
check_shown "recover: the program again" wp resource set svc \
    --prop "command=$SERVER --bind $VIP --port 7000 --data $TMP/records"
check_shown "group online (the operator recovers it)" wp group online web
check_shown "svc2 Online again" wait_rstate svc2 "Online n1" 20
check_shown "the service answers again" reach

echo "== 3. the service killed: reaped, reported, restarted"
pid=$(svc_pid svc)
check_shown "kill -9 the service" kill -9 "$pid"
check_shown "svc restarted" bash -c "for i in \$(seq 100); do
    p=\$(nsenter --net=/run/netns/$NS --mount=/proc/$dpid/ns/mnt -- cat $RUN/svc.pid | cut -d' ' -f1)
    [ -n \"\$p\" ] && [ \"\$p\" != $pid ] && exit 0; sleep 0.1; done; exit 1"
check_shown "svc Online" wait_rstate svc "Online n1" 10
z=$(zombies)
if [ "$z" -eq 0 ]; then
    ok "no zombie under wolfpackd"
else
    bad "no zombie under wolfpackd" "$(ps -o pid,stat,args --ppid "$dpid")"
fi
if grep -q "svc is Failed on n1: quick-check" "$TMP/daemon.log"; then
    ok "the monitor reported it"
else
    bad "the monitor reported it"
fi

echo "== 4. wolfpackd killed and started again: the probe"
svc_before=$(svc_pid svc)
# the daemon's /run is a tmpfs of its mount namespace: keep the agents'
# records for the next daemon (a real node keeps /run across a daemon restart)
in_ns cp -a "$RUN/." "$TMP/agents-keep/"
kill -9 "$dpid"
wait "$dpid" 2>/dev/null
dpid=
if ip netns pids "$NS" | grep -qx "$svc_before"; then
    ok "the service outlived the daemon"
else
    bad "the service outlived the daemon"
fi
if start_daemon; then
    ok "wolfpackd starts again"
else
    bad "wolfpackd starts again"
fi
check_shown "the probe finds svc Online" wait_rstate svc "Online n1" 10
sleep 2
if [ "$(svc_pid svc)" = "$svc_before" ]; then
    ok "svc was not restarted (same process)"
else
    bad "svc was not restarted" "before $svc_before, now $(svc_pid svc)"
fi
if grep -q "probing svc" "$TMP/daemon.log"; then
    ok "the daemon probed what the database placed here"
else
    bad "the daemon probed what the database placed here"
fi
check_shown "the service still answers" reach

echo "== 5. clean shut-down"
kill -TERM "$dpid"
for ((i = 0; i < 100; i++)); do
    kill -0 "$dpid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$dpid" 2>/dev/null; then
    bad "wolfpackd exits on SIGTERM"
else
    ok "wolfpackd exits on SIGTERM"
fi
wait "$dpid" 2>/dev/null
dpid=
if grep -q "AddressSanitizer\|runtime error\|LeakSanitizer" "$TMP/daemon.log"; then
    bad "no sanitizer report in the daemon's log" "$(grep -A12 "Sanitizer\|runtime error" "$TMP/daemon.log" | head -40)"
else
    ok "no sanitizer report in the daemon's log"
fi

finish
