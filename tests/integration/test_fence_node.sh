#!/bin/bash
# test_fence_node.sh -- fencing a node by hand through fence devices, with
# the test cluster's power switch as the agent (tools/fence_wptc, the same
# fence-agents protocol as fence_ipmilan): 3 nodes with wolfpackd; a
# level-1 device that fails (its cluster is not there) and a level-2
# device that works; `wolfpack node fence n3` on n1 tries level 1, then
# level 2, and n3's processes (wolfpackd, corosync, one it does not
# record) are gone, its network namespace empty, its switch port down,
# while n1 and n2 keep quorum; `fence test` then reports n3 off; n3 comes
# back with `testcluster power on`.  ~40 s.
#
# Run as root: tests/integration/test_fence_node.sh.  Own WPTC_DIR and
# WPTC_PREFIX; the cluster is torn down on any exit.  Prints "N passed, N failed".

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test fnd
export WOLFPACK_FENCE_PATH=$REPO/tools # every wolfpackd finds fence_wptc there

says() { grep -Eq -- "$1" "$TMP/out"; }
port_down() { ip -n "${WPTC_PREFIX}sw" -o link show "p-$1" | grep -q 'state DOWN'; }
netns_empty() { [ -z "$(ip netns pids "${WPTC_PREFIX}$1")" ]; }
pid_gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status"; }
ready() { wp "$1" status && grep -q 'quorate' "$TMP/out"; }

"$TC" up 3 --no-dns --no-fence >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 3"
    finish
}
check "wolfpackd answers on n1" wait_until 60 wp n1 --json status
check "n1 is ready (quorate, synced)" wait_until 60 bash -c \
    "'$TC' exec n1 '$WOLFPACK' --json status | jq -e '.ready == true'"

check "a device whose cluster is not there (level 1)" wp n1 fence create broken \
    --agent fence_wptc --prop wptc_dir=/run/no-such-wptc --nodes n1,n2,n3 --level 1
check "the test cluster's switch (level 2)" wp n1 fence create sw --agent fence_wptc \
    --prop "wptc_dir=$WPTC_DIR" --nodes n1,n2,n3 --level 2
wp n1 fence create sw2 --agent fence_wptc --prop wrong=1 --nodes n1
check "an unknown parameter is refused on a real node (exit 2)" [ $? = 2 ]
check "fence list on n2 (replicated): both devices, by level" bash -c \
    "'$TC' exec n2 '$WOLFPACK' fence list | awk 'NR>1 {print \$1}' | tr '\n' ' ' | grep -qx 'broken sw '"
check "fence test sw" wp n2 fence test sw
check "test: n3 is on" says "status n3: exit 0, Status: ON"
wp n2 fence test broken
check "fence test of the broken device fails (exit 6)" [ $? = 6 ]

# a process of n3 that no pid file records
"$TC" exec n3 setsid sleep 1000 </dev/null >/dev/null 2>&1 &
disown
sleep 0.5
extra=$(ip netns pids "${WPTC_PREFIX}n3" | while read -r p; do
    grep -qx sleep "/proc/$p/comm" 2>/dev/null && echo "$p"; done | head -1)
read -r wpd _ <"$WPTC_DIR/nodes/n3/wolfpackd.pid"
read -r coro _ <"$WPTC_DIR/nodes/n3/corosync.pid"
check "n3 runs wolfpackd, corosync and an unrecorded process" \
    bash -c "[ -n '$extra' ] && kill -0 $wpd && kill -0 $coro"

wp n1 node fence n3
rc=$?
check "node fence n3 on n1: exit 0" [ "$rc" = 0 ]
check "the operator was warned" grep -q WARNING "$TMP/err"
check "fenced at level 2" says "Node fenced \(level 2\)"
check "level 1 was tried first and failed" says "broken \(level 1\) off n3: exit 1"
check "level 2 powered n3 off" says "sw \(level 2\) off n3: exit 0, Success: Powered OFF"
check "n3's wolfpackd is gone" pid_gone "$wpd"
check "n3's corosync is gone" pid_gone "$coro"
check "n3's unrecorded process is gone" pid_gone "${extra:-0}"
check "nothing is left in n3's network namespace" netns_empty n3
check "n3's switch port is down" port_down n3
check "n1 and n2 keep quorum with 2 members" "$TC" wait-view n1 n2 --members 2 --quorate yes \
    --timeout 30
check "the fencer logged it on n1" grep -q "fencer: done: .*sw level 2 off n3" \
    "$WPTC_DIR/nodes/n1/var/log/wolfpack/wolfpackd.log"
check "fence test sw: n3 is off" wp n1 fence test sw
check "test: status n3 exit 2 (off)" says "status n3: exit 2, Status: OFF"
check "node fence n3 again: already off" wp n1 node fence n3
check "again: Already OFF" says "Already OFF"

check "testcluster power on n3" "$TC" power on n3
check "3 members again" "$TC" wait-quorum --timeout 60
check "n3's wolfpackd answers again" wait_until 60 wp n3 --json status

finish
