#!/bin/bash
# test_fence_switch.sh -- the test cluster's power switch: tools/fence_wptc
# speaks the fence-agents protocol (key=value on stdin, or -o/-n on the
# command line; exit 0 success, 1 failure, 2 for status "off"), run on the
# host and from inside a node, against `testcluster power`: off kills every
# process of the node (the recorded daemons and anything else in its
# namespaces) and takes its switch port down; on starts it again; reboot
# does both; a power action waits while another one holds the node's power
# lock; off kills the node's processes before it shuts its test disks' file
# systems down.  3 nodes, corosync only (--no-daemons), ~30 s.
#
# Run as root: tests/integration/test_fence_switch.sh.  Own WPTC_DIR and
# WPTC_PREFIX; the cluster is torn down on any exit.  Prints "N passed, N failed".

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test fsw
AGENT=$REPO/tools/fence_wptc

# agent WHERE LINES...: run the agent on the host (WHERE = host) or in a
# node, the LINES on its stdin; output in $TMP/out, exit status in $rc
agent() {
    local where=$1
    shift
    if [ "$where" = host ]; then
        printf '%s\n' "$@" | "$AGENT" >"$TMP/out" 2>"$TMP/err"
    else
        printf '%s\n' "$@" | "$TC" exec "$where" "$AGENT" >"$TMP/out" 2>"$TMP/err"
    fi
    rc=$?
}
says() { grep -q -- "$1" "$TMP/out"; }
port_down() { ip -n "${WPTC_PREFIX}sw" -o link show "p-$1" | grep -q 'state DOWN'; }
port_up() { ! port_down "$1"; }
netns_empty() { [ -z "$(ip netns pids "${WPTC_PREFIX}$1")" ]; }
pid_gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status"; }

"$TC" up 3 --no-daemons --no-dns >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 3"
    finish
}

# -- protocol --------------------------------------------------------------
agent host "action=metadata"
check "metadata: exit 0" [ "$rc" = 0 ]
check "metadata: well-formed XML" xmllint --noout "$TMP/out"
check "metadata: names plug (obsoletes port), wptc_dir and the actions" \
    bash -c "grep -q 'parameter name=\"plug\" unique=\"0\" required=\"1\" obsoletes=\"port\"' '$TMP/out' &&
        grep -q 'parameter name=\"wptc_dir\"' '$TMP/out' &&
        grep -q 'action name=\"off\"' '$TMP/out' && grep -q 'action name=\"monitor\"' '$TMP/out'"
"$AGENT" -o metadata >"$TMP/meta2" 2>/dev/null
check "metadata on the command line is the same" cmp -s "$TMP/out" "$TMP/meta2"

agent host "action=list" "wptc_dir=$WPTC_DIR"
check "list: exit 0, one line per node" bash -c "[ $rc = 0 ] &&
    [ \"\$(cat '$TMP/out')\" = \"\$(printf 'n1,n1\nn2,n2\nn3,n3')\" ]"
agent host "action=monitor" "wptc_dir=$WPTC_DIR"
check "monitor: exit 0" [ "$rc" = 0 ]
agent host "action=monitor" "wptc_dir=/run/no-such-wptc-$$"
check "monitor of a cluster that is not there: exit 1" [ "$rc" = 1 ]

agent host "# a comment" "action=status" "port=n3" "wptc_dir=$WPTC_DIR" "nodename=n1" \
    "frobnicate=1"
check "status (port=, comment, nodename): exit 0, Status: ON" bash -c "[ $rc = 0 ] && grep -qx 'Status: ON' '$TMP/out'"
check "an unknown option is ignored with a warning" grep -q "Ignoring unknown option 'frobnicate'" "$TMP/err"
"$AGENT" -o status -n n3 --wptc-dir "$WPTC_DIR" >"$TMP/out" 2>&1
check "status on the command line: exit 0" [ $? = 0 ]
agent host "action=status" "plug=n9" "wptc_dir=$WPTC_DIR"
check "status of an unknown plug: exit 1" bash -c "[ $rc = 1 ] && grep -q '^Failed:' '$TMP/out'"
agent host "action=off" "wptc_dir=$WPTC_DIR"
check "off without a plug: exit 1" [ "$rc" = 1 ]
agent host "action=explode" "plug=n3" "wptc_dir=$WPTC_DIR"
check "an unknown action: exit 1" [ "$rc" = 1 ]

# -- off, from inside a node -----------------------------------------------
# a process of n3 that no pid file records (a service, a disk keeper)
"$TC" exec n3 setsid sleep 1000 </dev/null >/dev/null 2>&1 &
disown
extra=''
for ((i = 0; i < 100; i++)); do # until it runs (at most 10 s under load)
    [ -n "$extra" ] && break
    sleep 0.1
    extra=$(ip netns pids "${WPTC_PREFIX}n3" | while read -r p; do
        grep -qx sleep "/proc/$p/comm" 2>/dev/null && echo "$p"; done | head -1)
done
read -r coro _ <"$WPTC_DIR/nodes/n3/corosync.pid"
check "n3 runs an unrecorded process" [ -n "$extra" ]

agent n1 "action=off" "plug=n3" "wptc_dir=$WPTC_DIR"
check "off n3 from n1: exit 0, Success: Powered OFF" bash -c "[ $rc = 0 ] && grep -qx 'Success: Powered OFF' '$TMP/out'"
check "n3's corosync is gone" pid_gone "$coro"
check "n3's unrecorded process is gone" pid_gone "${extra:-0}"
check "nothing is left in n3's network namespace" netns_empty n3
check "n3's switch port is down" port_down n3
check "n1 and n2 go on with 2 members" "$TC" wait-view n1 n2 --members 2 --quorate yes --timeout 30
check "testcluster status says POWERED OFF" bash -c "'$TC' status | grep -q 'POWERED OFF'"
agent host "action=status" "plug=n3" "wptc_dir=$WPTC_DIR"
check "status: exit 2, Status: OFF" bash -c "[ $rc = 2 ] && grep -qx 'Status: OFF' '$TMP/out'"
agent n2 "action=off" "plug=n3" "wptc_dir=$WPTC_DIR"
check "off again: exit 0, Already OFF" bash -c "[ $rc = 0 ] && grep -qx 'Success: Already OFF' '$TMP/out'"
agent host "action=list-status" "wptc_dir=$WPTC_DIR"
check "list-status: n3 OFF, n1 ON" bash -c "grep -qx 'n3,n3,OFF' '$TMP/out' && grep -qx 'n1,n1,ON' '$TMP/out'"

# -- on, reboot ------------------------------------------------------------
agent n1 "action=on" "plug=n3" "wptc_dir=$WPTC_DIR"
check "on n3: exit 0, Success: Powered ON" bash -c "[ $rc = 0 ] && grep -qx 'Success: Powered ON' '$TMP/out'"
check "n3's port is up again" port_up n3
check "3 members again" "$TC" wait-quorum --timeout 30
read -r coro _ <"$WPTC_DIR/nodes/n3/corosync.pid"
agent host "action=reboot" "plug=n3" "wptc_dir=$WPTC_DIR"
check "reboot n3: exit 0, Success: Rebooted" bash -c "[ $rc = 0 ] && grep -qx 'Success: Rebooted' '$TMP/out'"
check "reboot: the old corosync is gone" pid_gone "$coro"
check "reboot: 3 members again" "$TC" wait-quorum --timeout 30

# -- one power action of a node at a time ----------------------------------
# (the emulated watchdog's power-off once ran while `power on` started the
# node again, and killed its new corosync): while something else holds
# n3's power lock, `power off n3` waits for it and touches nothing
read -r coro _ <"$WPTC_DIR/nodes/n3/corosync.pid"
exec {held}>>"$WPTC_DIR/nodes/n3/power.lock"
flock "$held"
"$TC" power off n3 >/dev/null 2>&1 {held}>&- &
poff=$!
waits_for_lock() { [ "$(cat "/proc/$poff/comm" 2>/dev/null)" = flock ]; }
check "power off n3 waits for the lock held elsewhere" wait_until 10 waits_for_lock
sleep 0.5
check "meanwhile n3's corosync runs" kill -0 "$coro"
exec {held}>&-
wait "$poff"
check "the lock released, power off n3 ends: exit 0" [ $? = 0 ]
check "n3's corosync is gone" pid_gone "$coro"

# -- off with a test disk: the processes go before the file system -------
# A process of n3 reads a file on n3's mount of a test disk in a loop and
# notes any failure (outside the disk): a file system shut down while the
# node's processes still run would fail its reads (EIO) -- and a writer
# whose fsync was in flight could be told "success" for a commit that never
# lands, and answer a client, as nothing can after a real power cut.
check "a test disk" "$TC" disk d1 --size 64
"$TC" exec n3 mkfs.ext4 -q -F /run/wolfpack/disks/d1 >"$TMP/out" 2>&1
check "mkfs on n3's path to it" [ $? = 0 ]
mkdir -p "$TMP/mp"
check "mounted on n3" "$TC" exec n3 mount /run/wolfpack/disks/d1 "$TMP/mp"
check "a file on it" "$TC" exec n3 bash -c "echo x >'$TMP/mp/f' && sync"
mkfifo "$TMP/tick"
"$TC" exec n3 setsid bash -c 'echo reading >"$0/reader"
    while :; do
        IFS= read -r _ <"$0/mp/f" || echo "a read failed" >>"$0/reader"
        read -r -t 0.005 <>"$0/tick"
    done' "$TMP" </dev/null >/dev/null 2>&1 &
disown
check "n3 reads the file in a loop" wait_until 10 grep -q reading "$TMP/reader"
sleep 0.3
check "power off n3" "$TC" power off n3
check "no read failed while n3 ran: its processes went first" bash -c "! grep -q failed '$TMP/reader'"
check "the disk is not mounted on n3 any more" bash -c "! '$TC' exec n3 grep -q ' $TMP/mp ' /proc/self/mountinfo"
check "the other node mounts the disk, the file is there" "$TC" exec n2 bash -c "
    mkdir -p /run/fsw && mount /run/wolfpack/disks/d1 /run/fsw && grep -qx x /run/fsw/f; r=\$?; umount /run/fsw; exit \$r"

check_status() { # NAME WANT CMD...
    local name=$1 want=$2
    shift 2
    "$@" >/dev/null 2>&1
    check "$name (exit $want)" [ $? = "$want" ]
}
check_status "testcluster power with a bad action" 2 "$TC" power explode n3
check_status "testcluster power of an unknown node" 2 "$TC" power off n7

finish
