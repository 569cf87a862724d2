#!/bin/bash
# tests/integration/test_failover.sh -- wolfpackd running a group for real
# (coordinator, executor, monitors; docs/EXECUTOR.md) on a 3-node test
# cluster (tools/testcluster: namespaces, real corosync, token 1000 ms).
#
# The group "web": IP Address 198.51.100.100/24 and a Generic Service
# (wptcpserver on that address, port 7000) depending on it; preferred owners
# n1,n2,n3; svc restart_threshold=2, quick checks every second.
# During the move the destination is looked at before the source: the move
# stops the address on n1 before n2 adds it, so a sample that finds it on n2
# first and then still on n1 is a real overlap, never a sampling artefact.
#
#   1. group online: Online on n1, the client reaches the service;
#      `resource fail svc`: restarted in place; the coordinator's incident
#      file replays with wpsched;
#   2. group move --to n2 while every node's addresses are sampled: never on
#      two nodes, then only on n2, the client reaches it;
#   3. the service killed 3 times on n2: restarted twice in place, the third
#      failure fails the group over (to n1);
#   4. kill -9 of the owner n1: Online on n2, the client reaches it;
#   5. failback=immediate, n1 started again: its stale address is cleaned up
#      and the group fails back to n1;
#   6. partition n1 | n2,n3: the majority fences n1 (the test cluster's
#      power switch, a fence device per node: docs/FENCING.md) and only
#      then takes the group over, the address leaves n1; heal, n1 powered
#      on: back to n1 (failback);
#   7. node drain n1: the group moves to n2; resume: it fails back;
#   8. n2 paused, owner n1 killed: the group goes to n3, never to n2;
#   9. SIGTERM to n3's wolfpackd (testcluster stop): it stops the group's
#      resources before it leaves; no sanitizer report in any daemon's log
#      (run with BUILD=<a SAN=1 build> to make that check bite).
# `wolfpack status --watch` runs on n3 all along and must print event lines
# (the owner changes among them).
#
# Needs root.  BUILD selects the build (default build).  Prints
# "N passed, N failed"; the cluster is torn down on every exit.
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test fo
build=${BUILD:-build}
SERVER=$REPO/$build/tests/tools/wptcpserver
WPSCHED=$REPO/$build/tests/tools/wpsched
VIP=198.51.100.100
watch_pid=
sampler_pid=
test_cleanup() {
    [ -z "$sampler_pid" ] || kill "$sampler_pid" 2>/dev/null
    [ -z "$watch_pid" ] || kill "$watch_pid" 2>/dev/null
}
test_on_failure() { # the daemons' logs, before the tally
    for n in n1 n2 n3; do
        echo "--- $n wolfpackd.log (tail)"
        tail -25 "$WPTC_DIR/nodes/$n/var/log/wolfpack/wolfpackd.log" 2>/dev/null
    done
}

wp() { # wp NODE ARGS...: the CLI on a node
    local node=$1
    shift
    "$TC" exec "$node" "$WOLFPACK" "$@"
}

# "STATE OWNER" of group web as NODE sees it
group_state() {
    wp "${1:-n1}" group show web --json 2>/dev/null | jq -r '"\(.state) \(.owner)"'
}

# wait_group NODE_TO_ASK "STATE OWNER" TIMEOUT_S
wait_group() {
    local ask=$1 want=$2 t=$3 i
    for ((i = 0; i < t * 5; i++)); do
        [ "$(group_state "$ask")" = "$want" ] && return 0
        sleep 0.2
    done
    echo "group web: wanted '$want', have '$(group_state "$ask")'"
    wp "$ask" status 2>&1 | tail -8
    return 1
}

# the client's request at the virtual address
reach() {
    "$TC" exec client timeout 3 bash -c \
        "exec 3<>/dev/tcp/$VIP/7000 && echo PING >&3 && read -r l <&3 && [ \"\$l\" = PONG ]" \
        2>/dev/null
}
wait_reach() {
    local i
    for ((i = 0; i < 50; i++)); do
        reach && return 0
        sleep 0.2
    done
    echo "the client cannot reach $VIP:7000"
    return 1
}

# the nodes that hold the virtual address now, looked at in the order given
# (default n1 n2 n3; `ip -n` enters the node's network namespace only)
holders() {
    local n out=
    for n in ${1:-n1 n2 n3}; do
        [ -n "$(ip -n "${WPTC_PREFIX}$n" -o -4 addr show to "$VIP" 2>/dev/null)" ] && out="$out$n "
    done
    echo "${out% }"
}
holders_are() { # holders_are "n1" (only that node)
    local i h
    for ((i = 0; i < 25; i++)); do
        h=$(holders)
        [ "$h" = "$1" ] && return 0
        sleep 0.2
    done
    echo "the address is on '$h', wanted '$1'"
    return 1
}

svc_pid() {
    "$TC" exec "$1" cat /run/wolfpack/agents/svc.pid 2>/dev/null | cut -d' ' -f1
}
kill_svc() { # kill_svc NODE: kill -9 the service's process (its PID file)
    local pid
    pid=$(svc_pid "$1")
    [ -n "$pid" ] || return 1
    "$TC" exec "$1" kill -9 "$pid"
}
# wait until svc is Online again on NODE with a PID other than OLD
wait_svc_restarted() {
    local node=$1 old=$2 i pid st
    for ((i = 0; i < 75; i++)); do
        pid=$(svc_pid "$node")
        st=$(wp "$node" resource show svc --json 2>/dev/null | jq -r '"\(.state) \(.node)"')
        [ -n "$pid" ] && [ "$pid" != "$old" ] && [ "$st" = "Online $node" ] && return 0
        sleep 0.2
    done
    echo "svc not restarted on $node (pid '$pid', state '$st')"
    return 1
}

fail_restart() { # fail_restart NODE: `resource fail svc`, see it restarted
    local old
    old=$(svc_pid "$1")
    wp "$1" resource fail svc >/dev/null && wait_svc_restarted "$1" "$old"
}

restart_once() { # restart_once NODE: kill the service, see it restarted there
    local old
    old=$(svc_pid "$1")
    kill_svc "$1" && wait_svc_restarted "$1" "$old"
}

# ---------------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || {
    echo "test_failover.sh needs root"
    exit 1
}
for f in "$WOLFPACK" "$WOLFPACKD" "$SERVER" "$WPSCHED"; do
    [ -x "$f" ] || {
        echo "missing $f: run make BUILD=$build"
        exit 1
    }
done

echo "== a 3-node cluster (the default timing, docs/TIMING.md)"
if ! "$TC" up 3 >"$TMP/up.log" 2>&1; then
    bad "testcluster up 3" "$(tail -20 "$TMP/up.log")"
    finish
fi
ready=no
for ((i = 0; i < 100; i++)); do
    n=0
    for node in n1 n2 n3; do
        [ "$(wp $node status --json 2>/dev/null | jq -r '.ready')" = true ] && n=$((n + 1))
    done
    [ $n -eq 3 ] && ready=yes && break
    sleep 0.2
done
if [ $ready = yes ]; then
    ok "wolfpackd ready on 3 nodes"
else
    bad "wolfpackd ready on 3 nodes"
fi

"$TC" exec n3 "$WOLFPACK" status --watch >"$TMP/watch.out" 2>&1 &
watch_pid=$!

echo "== 1. the group comes online"
check_shown "create group web" wp n1 group create web --policy preferred_owners=n1,n2,n3 \
    --policy failover_threshold=100
check_shown "create the IP Address" wp n1 resource create ip --group web --type "IP Address" \
    --prop address=$VIP/24 --policy quick_check_interval=1
check_shown "create the Generic Service" wp n1 resource create svc --group web \
    --type "Generic Service" --depends-on ip \
    --prop user=root --prop "command=$SERVER --bind $VIP --port 7000 --data /var/lib/wolfpack/records" \
    --policy quick_check_interval=1 --policy restart_threshold=2
check_shown "group online web" wp n2 group online web
check_shown "web Online on n1" wait_group n3 "Online n1" 20
check_shown "the client reaches the service on n1" wait_reach
check_shown "the address is on n1 only" holders_are n1
# no false fencing under load (docs/FENCING.md): wolfpackd runs SCHED_RR
# 5; what it starts (the service) is an ordinary process (reset on fork)
policy_of() { chrt -p "$1" 2>/dev/null | sed -n "1s/.*policy: //p"; }
prio_of() { chrt -p "$1" 2>/dev/null | sed -n "2s/.*priority: //p"; }
read -r wpd1 _ <"$WPTC_DIR/nodes/n1/wolfpackd.pid"
check_shown "n1's wolfpackd runs SCHED_RR priority 5, reset on fork" \
    test "$(policy_of "$wpd1") $(prio_of "$wpd1")" = "SCHED_RR|SCHED_RESET_ON_FORK 5"
svc1=$(for p in $(ip netns pids "${WPTC_PREFIX}n1"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = wptcpserver ] && echo "$p"
done | head -1)
check_shown "the service it started is SCHED_OTHER (pid ${svc1:-none})" \
    test -n "$svc1" -a "$(policy_of "$svc1")" = SCHED_OTHER

check_shown "resource fail svc: restarted in place on n1" fail_restart n1
inc=$(find "$WPTC_DIR/nodes/n1/var/lib/wolfpack/incidents/" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort | tail -1)
if [ -n "$inc" ] && "$WPSCHED" --summary "$WPTC_DIR/nodes/n1/var/lib/wolfpack/incidents/$inc" \
    >"$TMP/replay" 2>&1 && grep -q svc "$TMP/replay"; then
    ok "the coordinator's last incident replays with wpsched ($inc)"
else
    bad "the coordinator's last incident replays with wpsched" "$inc: $(cat "$TMP/replay")"
fi

echo "== 2. planned move to n2 (addresses sampled on every node)"
(
    while :; do
        holders "n2 n3 n1" >>"$TMP/samples"
    done
) &
sampler_pid=$!
sleep 0.5
check_shown "group move web --to n2" wp n1 group move web --to n2
check_shown "web Online on n2" wait_group n1 "Online n2" 20
sleep 0.3
kill "$sampler_pid" 2>/dev/null
wait "$sampler_pid" 2>/dev/null
sampler_pid=
both=$(grep -c ' ' "$TMP/samples")
nsamples=$(wc -l <"$TMP/samples")
if [ "$both" -eq 0 ] && grep -qx n1 "$TMP/samples" && tail -1 "$TMP/samples" | grep -qx n2; then
    ok "the address was never on two nodes ($nsamples samples, n1 then n2)"
else
    bad "the address was never on two nodes" "$(uniq -c "$TMP/samples" | head -20)"
fi
check_shown "the client reaches the service on n2" wait_reach

echo "== 3. restart threshold (2), then failover"
check_shown "kill the service (1): restarted on n2" restart_once n2
check_shown "kill the service (2): restarted on n2" restart_once n2
check_shown "still owned by n2 after two restarts" wait_group n1 "Online n2" 10
check_shown "kill the service (3)" kill_svc n2
check_shown "past the threshold the group fails over to n1" wait_group n3 "Online n1" 30
check_shown "the client reaches the service on n1" wait_reach
check_shown "the address is on n1 only" holders_are n1

echo "== 4. kill -9 of the owner (n1)"
check_shown "testcluster kill n1" "$TC" kill n1
check_shown "web Online on n2 (next preferred)" wait_group n2 "Online n2" 30
check_shown "the client reaches the service on n2" wait_reach

echo "== 5. failback=immediate when n1 returns"
check_shown "failback=immediate" wp n2 group set web --policy failback=immediate
check_shown "testcluster start n1" "$TC" start n1
check_shown "web fails back: Online on n1" wait_group n2 "Online n1" 40
# n1's copy placed ip and svc on n1 when it died; the cluster had moved them
if grep -q "stopping 2 resource(s) of group web here" "$WPTC_DIR/nodes/n1/var/log/wolfpack/wolfpackd.log"; then
    ok "n1 stopped what its stale copy placed there before taking part"
else
    bad "n1 stopped what its stale copy placed there" "$(grep -h "executor\|probing" "$WPTC_DIR/nodes/n1/var/log/wolfpack/wolfpackd.log" | tail)"
fi
check_shown "the address is on n1 only (stale copies cleaned up)" holders_are n1
check_shown "the client reaches the service on n1" wait_reach

echo "== 6. partition n1 | n2,n3"
check_shown "partition n1" "$TC" partition n1
check_shown "the majority takes the group: Online on n2" wait_group n2 "Online n2" 30
check_shown "the address left the minority (only on n2)" holders_are n2
check_shown "the client reaches the service on n2" wait_reach
check_shown "n1 was fenced first (status: down, fenced)" bash -c \
    "'$TC' exec n2 '$WOLFPACK' --json status | jq -e '.fencing.down.n1.how == \"fenced\"'"
check_shown "n1 is powered off (the switch)" bash -c "'$TC' power status n1 | grep -q off"
check_shown "heal" "$TC" heal
check_shown "power n1 on" "$TC" power on n1
check_shown "n1 rejoins: all 3 quorate" "$TC" wait-quorum --timeout 30
check_shown "web fails back to n1 after the heal" wait_group n3 "Online n1" 40
check_shown "the address is on n1 only" holders_are n1

echo "== 7. drain and resume"
check_shown "node drain n1" wp n2 node drain n1
check_shown "web leaves the drained n1: Online on n2" wait_group n3 "Online n2" 30
check_shown "the address is on n2 only" holders_are n2
check_shown "node resume n1" wp n2 node resume n1
check_shown "web fails back to n1" wait_group n3 "Online n1" 30
check_shown "the client reaches the service on n1" wait_reach

echo "== 8. a paused node takes nothing"
check_shown "pause n2" wp n3 node pause n2
check_shown "testcluster kill n1" "$TC" kill n1
check_shown "web Online on n3, not on the paused n2" wait_group n3 "Online n3" 30
check_shown "the client reaches the service on n3" wait_reach
h=$(holders)
if [ "$h" = "n1 n3" ] || [ "$h" = "n3" ]; then
    ok "n2 holds no address"
else
    bad "n2 holds no address" "$h"
fi

echo "== 9. clean shut-down of the owner (n3) stops what runs there"
check_shown "testcluster stop n3" "$TC" stop n3
h=$(holders)
if [ "$h" != "${h/n3/}" ]; then
    bad "n3 released the address when it stopped" "$h"
else
    ok "n3 released the address when it stopped"
fi
reports=$(grep -l "AddressSanitizer\|runtime error\|LeakSanitizer" \
    "$WPTC_DIR"/nodes/n*/var/log/wolfpack/wolfpackd.log 2>/dev/null)
if [ -z "$reports" ]; then
    ok "no sanitizer report in the daemons' logs"
else
    bad "no sanitizer report in the daemons' logs" "$(echo "$reports" | xargs -d '\n' grep -h -A12 "Sanitizer\|runtime error" | head -40)"
fi

kill "$watch_pid" 2>/dev/null
wait "$watch_pid" 2>/dev/null
watch_pid=
events=$(grep -Ec '^[0-9]{2}:[0-9]{2}:[0-9]{2}  ' "$TMP/watch.out")
if [ "$events" -ge 10 ] && grep -Eq 'group web: owner n[0-9] -> n[0-9]' "$TMP/watch.out"; then
    ok "status --watch printed $events event lines, the owner changes among them"
else
    bad "status --watch event lines" "$(tail -20 "$TMP/watch.out")"
fi

finish
