#!/bin/bash
# test_testcluster.sh -- integration test of tools/testcluster with corosync
# alone (--no-daemons): a 3-node cluster forms, nothing leaks into the
# host's network namespace, a partition takes quorum from the minority, a
# killed node leaves and comes back, an unplugged node (switch port down)
# is cut off and comes back on plug, heal and start, add-node / remove-node grow and shrink
# the running cluster (votequorum follows), and `down` leaves nothing behind.
#
# Run as root from anywhere:  tests/integration/test_testcluster.sh
# It uses its own state directory and name prefix (WPTC_DIR, WPTC_PREFIX),
# so it does not touch a test cluster someone else has up.  Needs
# build/wolfpack (or WOLFPACK=...).  Prints "N passed, N failed".

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
TC=$REPO/tools/testcluster
export WPTC_DIR=${WPTC_DIR:-/run/wptc-itest-$$}
export WPTC_PREFIX=${WPTC_PREFIX:-wpti$$-}
export WOLFPACK=${WOLFPACK:-$REPO/build/wolfpack}
TMP=$(mktemp -d /tmp/test_testcluster.XXXXXX)
PASSED=0
FAILED=0

cleanup() {
    "$TC" down >/dev/null 2>&1 || "$TC" down
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ok, fail, check, finish
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
check_status() { # check_status NAME WANT CMD...
    local name=$1 want=$2 got
    shift 2
    "$@" >/dev/null 2>&1
    got=$?
    if [ "$got" = "$want" ]; then ok "$name"; else fail "$name (exit $got, want $want)"; fi
}

host_leaks() { # prints host addresses or links that belong to the test
    ip -o addr | grep -F '198.51.100.'
    ip -o link | grep -F "$WPTC_PREFIX"
    ip -o link | grep -E '(^|[ :@])p-(n[0-9]+|client)[@:]'
}
no_host_leaks() { [ -z "$(host_leaks)" ]; }

recorded_pids() { # "PID:STARTTIME" of every recorded process
    cat "$WPTC_DIR"/nodes/*/corosync.pid "$WPTC_DIR"/nodes/*/wolfpackd.pid 2>/dev/null |
        awk '{print $1 ":" $2}'
}
# alive = /proc/PID exists with that start time and is not a zombie
pid_alive() {
    local pid=${1%%:*} st=${1#*:} stat
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    # shellcheck disable=SC2086
    set -- $stat
    [ "$1" != Z ] && { [ "$st" = "$pid" ] || [ "${20}" = "$st" ]; }
}
none_alive() { # none_alive PID[:STARTTIME]...
    local p
    for p in "$@"; do
        if pid_alive "$p"; then
            echo "  still alive: $p $(tr '\0' ' ' <"/proc/${p%%:*}/cmdline" 2>/dev/null)"
            return 1
        fi
    done
    return 0
}
our_netns() { ip netns list | awk '{print $1}' | grep -F "$WPTC_PREFIX"; }
no_netns() { [ -z "$(our_netns)" ]; }
no_mounts() { ! findmnt -rn -o TARGET | grep -E "^$WPTC_DIR(/|$)" >/dev/null; }
view_is() { [ "$("$TC" view "$1" 2>/dev/null)" = "$2" ]; }
arp_reaches() { "$TC" exec "$1" arping -q -c 1 -w 2 -I eth0 "$2"; }

if [ "$(id -u)" != 0 ]; then
    fail "test_testcluster: must run as root"
    finish
fi
if [ ! -x "$WOLFPACK" ]; then
    fail "test_testcluster: $WOLFPACK is missing: build it (make) or set WOLFPACK"
    finish
fi

# --- a half-failed up is cleaned by down ---
check_status "up with a broken wolfpack fails" 7 env WOLFPACK=/bin/false "$TC" up 2 --no-daemons
check "down after a failed up" "$TC" down
check "no namespaces after the failed up" no_netns
check "no mounts after the failed up" no_mounts
check "state dir removed after the failed up" test ! -e "$WPTC_DIR"
check "down with nothing up" "$TC" down
check_status "up 0 is refused" 2 "$TC" up 0
check_status "up 17 is refused" 2 "$TC" up 17

# --- form ---
check "up 3 --no-daemons" "$TC" up 3 --no-daemons --token 1000
check_status "a second up is refused" 4 "$TC" up 3 --no-daemons
check "wait-quorum on every node" "$TC" wait-quorum --timeout 30
for n in n1 n2 n3; do check "$n sees 3 members, quorate" view_is "$n" "3 Yes"; done
check "nodes lists n1 n2 n3" test "$("$TC" nodes | tr '\n' ' ')" = "n1 n2 n3 "
check "corosync.conf has token 1000 and no two_node" \
    "$TC" exec n1 sh -c 'grep -q "token: 1000" /etc/corosync/corosync.conf &&
                       ! grep -q two_node /etc/corosync/corosync.conf'
check "authkey is 0400 in the node" \
    test "$("$TC" exec n2 stat -c %a /etc/corosync/authkey)" = 400
check "no test address or link in the host namespace" no_host_leaks

# --- exec ---
check "exec: host name is the node's" test "$("$TC" exec n2 hostname)" = n2
check "exec: node address" sh -c "'$TC' exec n3 ip -o addr show eth0 | grep 198.51.100.13/24 >/dev/null"
check "exec: no default route" test -z "$("$TC" exec n1 ip route show default)"
check_status "exec: exit status passes through" 3 "$TC" exec n1 sh -c 'exit 3'
check "exec: stdin passes through" test "$(echo hello | "$TC" exec n1 cat)" = hello
check "exec: WOLFPACK_SOCKET is set" \
    test "$("$TC" exec n1 sh -c 'echo $WOLFPACK_SOCKET')" = /run/wolfpack/wolfpackd.sock
check "exec: keeps the working directory" test "$(cd "$REPO" && "$TC" exec n1 pwd)" = "$REPO"
check "exec: own /run per node (the host's /run/netns unseen)" \
    sh -c "test -e '/run/netns/${WPTC_PREFIX}sw' && ! '$TC' exec n1 test -e '/run/netns/${WPTC_PREFIX}sw'"
check "exec: the state directory is seen, read-only (for fence_wptc)" \
    sh -c "'$TC' exec n1 test -e '$WPTC_DIR/cluster.env' && ! '$TC' exec n1 touch '$WPTC_DIR/x' 2>/dev/null"
check "client reaches n3" arp_reaches client 198.51.100.13
check_status "exec on an unknown node is refused" 2 "$TC" exec n7 true

# --- partition ---
check_status "partition with an unknown node is refused" 2 "$TC" partition n1 n9
check "partition n1,n2 n3" "$TC" partition n1,n2 n3
check "n3 loses quorum" "$TC" wait-view n3 --members 1 --quorate no --timeout 20
check "n1 and n2 see 2 members, quorate" "$TC" wait-view n1 n2 --members 2 --timeout 20
check "client still reaches n3" arp_reaches client 198.51.100.13
check "client still reaches n1" arp_reaches client 198.51.100.11
check "n1 does not reach n3" sh -c "! '$TC' exec n1 arping -q -c 1 -w 1 -I eth0 198.51.100.13"
check "heal" "$TC" heal
check "3 members again after heal" "$TC" wait-quorum --timeout 30

# --- kill and start ---
n2pid=$(awk '{print $1 ":" $2}' "$WPTC_DIR/nodes/n2/corosync.pid")
check "kill n2" "$TC" kill n2
check "n2's corosync is gone after kill" none_alive "$n2pid"
check "n1 and n3 see 2 members" "$TC" wait-view n1 n3 --members 2 --timeout 20
check "start n2" "$TC" start n2
check "3 members after start n2" "$TC" wait-quorum --timeout 30

# --- stop (SIGTERM) and start ---
n3pid=$(awk '{print $1 ":" $2}' "$WPTC_DIR/nodes/n3/corosync.pid")
check "stop n3" "$TC" stop n3
check "n3's corosync is gone after stop" none_alive "$n3pid"
check "n1 and n2 see 2 members after stop n3" "$TC" wait-view n1 n2 --members 2 --timeout 20
check "status works with a stopped node" sh -c "'$TC' status | grep '^n3 .*not running' >/dev/null"
check "start n3" "$TC" start n3
check "3 members after start n3" "$TC" wait-quorum --timeout 30

expect_status() { # expect_status CODE CMD...
    local want=$1 rc=0
    shift
    "$@" >/dev/null 2>&1 || rc=$?
    [ "$rc" = "$want" ]
}

# --- unplug and plug (the node's switch port down / up; its processes run on) ---
# one answer within three tries of 1 s (a port just plugged in may drop the
# first one while the bridge learns it; a fresh machine under load did)
pings() { "$TC" exec "$1" ping -q -n -c 1 -W 1 "$2" >/dev/null 2>&1 ||
    "$TC" exec "$1" ping -q -n -c 1 -W 1 "$2" >/dev/null 2>&1 ||
    "$TC" exec "$1" ping -q -n -c 1 -W 1 "$2" >/dev/null 2>&1; }
unplugged_in_status() { status_line "$1" | grep UNPLUGGED >/dev/null; }
status_line() { # the status line of node $1 (no pipe into grep -q: pipefail)
    local out
    out=$("$TC" status)
    grep "^$1 " <<<"$out"
}
check "before unplug: n1 pings n2" pings n1 198.51.100.12
n2pid=$(awk '{print $1 ":" $2}' "$WPTC_DIR/nodes/n2/corosync.pid")
check "unplug n2" "$TC" unplug n2
check "unplugged: n1 does not ping n2" eval '! pings n1 198.51.100.12'
check "unplugged: the client does not ping n2" eval '! pings client 198.51.100.12'
check "unplugged: n2 does not ping n3" eval '! pings n2 198.51.100.13'
check "n1 and n3 see 2 members while n2 is unplugged" "$TC" wait-view n1 n3 --members 2 --timeout 20
check "n2 alone loses quorum" "$TC" wait-view n2 --members 1 --quorate no --timeout 20
check "n2's corosync still runs while unplugged" pid_alive "$n2pid"
check "status shows n2 unplugged" unplugged_in_status n2
check "status shows n1 plugged in" eval '! unplugged_in_status n1'
check "unplug of an unknown node is refused" expect_status 2 "$TC" unplug n9
check "plug n2" "$TC" plug n2
check "plugged: n1 pings n2" pings n1 198.51.100.12
check "plugged: the client pings n2" pings client 198.51.100.12
check "status no longer shows n2 unplugged" eval '! unplugged_in_status n2'
check "3 members after plug n2" "$TC" wait-quorum --timeout 30
check "unplug n3, then heal" sh -c "'$TC' unplug n3 >/dev/null && '$TC' heal >/dev/null"
check "heal plugs n3 back in: n1 pings n3" pings n1 198.51.100.13
check "unplug and kill n3 (a power loss)" sh -c "'$TC' unplug n3 >/dev/null && '$TC' kill n3 >/dev/null"
check "start n3 says it plugs n3 back in" sh -c "'$TC' start n3 | grep 'plugged back in' >/dev/null"
check "started: n1 pings n3" pings n1 198.51.100.13
check "3 members after start n3 (unplugged)" "$TC" wait-quorum --timeout 30

# --- add-node / remove-node (--no-daemons: testcluster rewrites corosync.conf) ---
expected_votes() {
    "$TC" exec "$1" corosync-quorumtool -s 2>/dev/null | awk -F: '/^Expected votes/ {gsub(/ /, "", $2); print $2}'
}
check "add-node n4" "$TC" add-node n4
check "4 members after add-node" "$TC" wait-quorum --timeout 30
check "n1 expects 4 votes" test "$(expected_votes n1)" = 4
has_netns() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
check "n4 has its own network namespace" has_netns "${WPTC_PREFIX}n4"
check "add-node n6 (not the next) is refused" expect_status 2 "$TC" add-node n6
check "remove-node n2 (not the last) is refused" expect_status 2 "$TC" remove-node n2
n4pid=$(awk '{print $1 ":" $2}' "$WPTC_DIR/nodes/n4/corosync.pid")
check "remove-node n4" "$TC" remove-node n4
check "n4's corosync is gone" none_alive "$n4pid"
check "n4's namespace is gone" eval '! has_netns "${WPTC_PREFIX}n4"' 
check "3 members after remove-node" "$TC" wait-quorum --timeout 30
check "n1 expects 3 votes again" test "$(expected_votes n1)" = 3
check "add-node n4 again (down removes it)" "$TC" add-node n4
check "4 members again" "$TC" wait-quorum --timeout 30

# --- down (with a node unplugged) ---
check "unplug n4 before down" "$TC" unplug n4
mapfile -t pids < <(recorded_pids)
check "pids were recorded" test "${#pids[@]}" -ge 3
check "down" "$TC" down
check "no namespaces after down" no_netns
check "no mounts under the state dir after down" no_mounts
check "no recorded pid alive after down" none_alive "${pids[@]}"
check "state dir removed" test ! -e "$WPTC_DIR"
check "no test address or link in the host after down" no_host_leaks
check "down again is fine" "$TC" down

# --- with daemons (when wolfpackd is built): start waits for corosync ---
WOLFPACKD=${WOLFPACKD:-$REPO/build/wolfpackd}
wolfpackd_runs() { status_line "$1" | grep "^$1 .*running ([0-9]*) *running ([0-9]*)" >/dev/null; }
wait_wolfpackd_runs() { # a daemon that dies soon after its start is caught too
    sleep 1
    wolfpackd_runs "$1"
}
if [ -x "$WOLFPACKD" ]; then
    export WOLFPACKD
    check "up 2 with daemons" "$TC" up 2
    check "wolfpackd runs on n1" wait_wolfpackd_runs n1
    check "wolfpackd runs on n2" wolfpackd_runs n2
    check "wolfpack status through exec on n2" "$TC" exec n2 sh -c '"$0" status >/dev/null' "$WOLFPACK"
    check "kill n2 (daemons)" "$TC" kill n2
    check "n2's wolfpackd is not running after kill" sh -c "! '$TC' status | grep '^n2 .*running ([0-9]*) *running' >/dev/null"
    check "start n2 (daemons)" "$TC" start n2
    check "wolfpackd runs on n2 after start" wait_wolfpackd_runs n2
    mapfile -t pids < <(recorded_pids)
    check "down (daemons)" "$TC" down
    check "no recorded pid alive after down (daemons)" none_alive "${pids[@]}"
    check "no namespaces after down (daemons)" no_netns
else
    echo "skip - daemon checks: $WOLFPACKD is not built"
fi

finish
