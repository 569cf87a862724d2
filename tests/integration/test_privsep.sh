#!/bin/bash
# tests/integration/test_privsep.sh -- privilege separation on a real
# cluster (docs/SECURITY.md, "Privilege separation"): `testcluster up 3
# --user nobody` runs every wolfpackd as nobody (corosync allows it through
# the node's own /etc/corosync/uidgid.d/wolfpack), with its root executor
# beside it.
#
#   1. `ps` on every node: wolfpackd runs as nobody, its child wolfpack-exec
#      as root; the node's corosync allows nobody (uidgid.d) and wolfpackd
#      is ready (CPG, quorum and the database work as nobody);
#   2. a group with an IP Address and a Generic Service (wptcpserver, with
#      user=nobody) comes Online; the client reaches the service; the
#      service runs as nobody;
#   3. the owner is powered off: the group fails over to another node, which
#      alone of the living nodes holds the address, and the client reaches
#      the service there; with a SAN=1 build, no sanitizer report in any
#      node's log.
#
# Needs root.  BUILD selects the build (default build).  WPTC_DIR and
# WPTC_PREFIX name the test cluster (default: per run).  Prints "N passed,
# N failed"; the cluster is torn down on every exit.
set -u
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test ps
build=${BUILD:-build}
SERVER=$REPO/$build/tests/tools/wptcpserver
VIP=198.51.100.100
test_on_failure() { # the daemons' logs, before the tally
    for n in n1 n2 n3; do
        echo "--- $n wolfpackd.log (tail)"
        tail -15 "$WPTC_DIR/nodes/$n/var/log/wolfpack/wolfpackd.log" 2>/dev/null
    done
}
wp() { # wp NODE ARGS...: the CLI on a node
    local node=$1
    shift
    "$TC" exec "$node" timeout 30 "$WOLFPACK" "$@"
}
# "STATE|OWNER" of group web (a state may hold a space: "Online Pending")
group_state() { wp "$1" group show web --json 2>/dev/null | jq -r '"\(.state)|\(.owner)"'; }
group_owner() { group_state "$1" | cut -d'|' -f2; }
wait_online() { # wait_online NODE_TO_ASK SECONDS [NOT_OWNER]: Online, on a node (not NOT_OWNER)
    local i st
    for ((i = 0; i < $2 * 5; i++)); do
        st=$(group_state "$1")
        case $st in
        "Online|null" | "Online|${3:-none}") ;;
        "Online|"*) return 0 ;;
        esac
        sleep 0.2
    done
    echo "group web: '$st'"
    wp "$1" status 2>&1 | tail -8
    return 1
}
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
holders() { # the given nodes that hold the address now
    local n out=
    for n in "$@"; do
        [ -n "$(ip -n "${WPTC_PREFIX}$n" -o -4 addr show to "$VIP" 2>/dev/null)" ] && out="$out$n "
    done
    echo "${out% }"
}
daemon_pid() { read -r p _ <"$WPTC_DIR/nodes/$1/wolfpackd.pid" && echo "$p"; }

# ---------------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || {
    echo "test_privsep.sh needs root"
    exit 1
}
for f in "$WOLFPACK" "$WOLFPACKD" "$SERVER"; do
    [ -x "$f" ] || {
        echo "missing $f: run make BUILD=$build"
        exit 1
    }
done
NOBODY=$(id -u nobody) || {
    echo "test_privsep.sh needs the user nobody"
    exit 1
}
chmod 0711 "$TMP"
mkdir -m 0777 "$TMP/records"
# the service runs as nobody: its program must lie where nobody may run it,
# wherever the clone is (one under /root, mode 0700, is out of its reach)
mkdir -m 0755 "$TMP/bin" && install -m 0755 "$SERVER" "$TMP/bin/wptcpserver"

echo "== up 3 --user nobody"
if ! "$TC" up 3 --no-dns --user nobody >"$TMP/up.log" 2>&1; then
    bad "testcluster up 3 --user nobody" "$(tail -20 "$TMP/up.log")"
    finish
fi
ok "testcluster up 3 --user nobody"
ready=no
for ((i = 0; i < 150; i++)); do
    k=0
    for node in n1 n2 n3; do
        [ "$(wp $node status --json 2>/dev/null | jq -r '.ready')" = true ] && k=$((k + 1))
    done
    [ $k -eq 3 ] && ready=yes && break
    sleep 0.2
done
check_shown "wolfpackd ready on 3 nodes (CPG, quorum, database as nobody)" [ $ready = yes ]

echo "== 1. ps on every node"
for n in n1 n2 n3; do
    check_shown "$n: corosync allows nobody (its own uidgid.d)" \
        "$TC" exec "$n" grep -q 'uid: nobody' /etc/corosync/uidgid.d/wolfpack
    dp=$(daemon_pid "$n")
    uid=$("$TC" exec "$n" ps -o uid= -p "$dp" | tr -d ' ')
    check_shown "$n: wolfpackd (pid $dp) runs as nobody (uid $uid)" [ "$uid" = "$NOBODY" ]
    ex=$("$TC" exec "$n" ps -o uid=,comm= --ppid "$dp" | awk '$2 == "wolfpack-exec"')
    check_shown "$n: its executor wolfpack-exec runs as root ($ex)" [ "$(echo "$ex" | awk '{print $1}')" = 0 ]
done

echo "== 2. a group with an IP Address and a Generic Service"
check_shown "create group web" wp n1 group create web --policy preferred_owners=n1,n2,n3
check_shown "create the IP Address" wp n1 resource create ip --group web --type "IP Address" \
    --prop address=$VIP/24 --policy quick_check_interval=1
check_shown "create the Generic Service (user=nobody)" wp n1 resource create svc --group web \
    --type "Generic Service" --depends-on ip --prop user=nobody \
    --prop "command=$TMP/bin/wptcpserver --bind $VIP --port 7000 --data $TMP/records" \
    --policy quick_check_interval=1
check_shown "group online web" wp n2 group online web
check_shown "web Online" wait_online n1 30
owner=$(group_owner n1)
check_shown "the client reaches the service on $owner" wait_reach
spid=$("$TC" exec "$owner" cat /run/wolfpack/agents/svc.pid 2>/dev/null | cut -d' ' -f1)
check_shown "the service (pid $spid) runs as nobody" \
    [ "$("$TC" exec "$owner" ps -o uid= -p "${spid:-0}" | tr -d ' ')" = "$NOBODY" ]
check_shown "only $owner holds $VIP" [ "$(holders n1 n2 n3)" = "$owner" ]

echo "== 3. the owner ($owner) loses power: failover"
"$TC" power off "$owner" >"$TMP/power.log" 2>&1
rest=$(for n in n1 n2 n3; do [ "$n" != "$owner" ] && echo "$n"; done | tr '\n' ' ')
ask=${rest%% *}
check_shown "web Online on another node" wait_online "$ask" 40 "$owner"
new=$(group_owner "$ask")
check_shown "the new owner ($new) is not $owner" [ "$new" != "$owner" ]
# shellcheck disable=SC2086
check_shown "of the living nodes only $new holds $VIP" [ "$(holders $rest)" = "$new" ]
check_shown "the client reaches the service on $new" wait_reach
# with a SAN=1 build (BUILD=build-san) this bites: daemons and executors log there
san=$(grep -lE 'AddressSanitizer|LeakSanitizer|runtime error:' \
    "$WPTC_DIR"/nodes/n*/var/log/wolfpack/wolfpackd.log 2>/dev/null)
check_shown "no sanitizer report in any daemon's or executor's log" [ -z "$san" ]
finish
