#!/bin/bash
# test_quorum_change.sh -- `wolfpack cluster quorum` on a running cluster
# (docs/FENCING.md, "Changing the quorum options"): 2 nodes with
# corosync-qnetd as their quorum device (testcluster up 2 --qdevice --no-fence), no
# fence device.
#   1. refusals, nothing written: removing the device of a two-node cluster
#      without fencing; last_man_standing without --at-restart (corosync
#      reads it only at its start); auto_tie_breaker with the device;
#   2. --last-man-standing on --at-restart: stored, in corosync.conf on both
#      nodes (and kept by the next rewrite);
#   3. --no-qdevice --force: both nodes' corosync.conf lose the device and
#      get two_node, and corosync runs without it (cmap after the reload);
#   4. --qdevice 198.51.100.200: the device is back in the file and in cmap.
# ~40 s.  Run as root.  Own WPTC_DIR and WPTC_PREFIX; torn down on any exit.

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test qchg

conf() { echo "$WPTC_DIR/nodes/$1/etc/corosync/corosync.conf"; }
in_conf() { grep -Eq -- "$2" "$(conf "$1")"; }         # in_conf NODE REGEX
cmap() { "$TC" exec "$1" corosync-cmapctl -g "$2" 2>/dev/null; } # cmap NODE KEY
has_device() { cmap "$1" quorum.device.net.host | grep -q "= $2\$"; }
no_device() { ! cmap "$1" quorum.device.model | grep -q net; }
says() { grep -Eq -- "$1" "$TMP/err"; }
version() { "$TC" exec n1 "$WOLFPACK" --json status 2>/dev/null | jq -r .version; }

"$TC" up 2 --no-dns --qdevice --no-fence >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 2 --qdevice"
    finish
}
for n in n1 n2; do
    check "$n is ready" wait_until 60 bash -c "'$TC' exec $n '$WOLFPACK' --json status | jq -e '.ready == true'"
done
check "n1's corosync runs the device" has_device n1 198.51.100.200

echo "== 1. refusals"
v0=$(version)
cp "$(conf n1)" "$TMP/conf.before"
wp n1 cluster quorum --no-qdevice
check "--no-qdevice (two nodes, no fence device): refused (exit 4)" [ $? = 4 ]
check "... says why" says "without a tie-breaker and without fencing"
check "... and what to do" says "fence create"
wp n1 cluster quorum --last-man-standing on
check "--last-man-standing on without --at-restart: refused (exit 4)" [ $? = 4 ]
check "... says corosync reads it at its start" says "reads it only when it starts"
check "... names --at-restart" says "--at-restart"
wp n1 cluster quorum --auto-tie-breaker on --at-restart
check "--auto-tie-breaker with the device: refused (exit 2)" [ $? = 2 ]
check "the database did not change" [ "$(version)" = "$v0" ]
check "corosync.conf did not change" cmp -s "$TMP/conf.before" "$(conf n1)"

echo "== 2. last_man_standing at the next restart"
check "--last-man-standing on --at-restart" wp n1 cluster quorum --last-man-standing on --at-restart
for n in n1 n2; do
    check "$n: corosync.conf has last_man_standing" wait_until 30 in_conf "$n" "last_man_standing: 1"
    check "$n: the device is still in it" in_conf "$n" "host: 198.51.100.200"
done

echo "== 3. the device removed (--force)"
check "--no-qdevice --force" wp n1 cluster quorum --no-qdevice --force
for n in n1 n2; do
    check "$n: corosync.conf without the device" wait_until 30 bash -c "! grep -q 'model: net' '$(conf "$n")'"
    check "$n: two_node in it" in_conf "$n" "two_node: 1"
    check "$n: last_man_standing kept" in_conf "$n" "last_man_standing: 1"
    check "$n: corosync runs without the device (cmap)" wait_until 30 no_device "$n"
done

echo "== 4. the device added again"
check "--qdevice 198.51.100.200" wp n1 cluster quorum --qdevice 198.51.100.200
for n in n1 n2; do
    check "$n: corosync.conf has the device" wait_until 30 in_conf "$n" "host: 198.51.100.200"
    check "$n: no two_node with it" bash -c "! grep -q two_node '$(conf "$n")'"
    check "$n: corosync runs it (cmap)" wait_until 30 has_device "$n" 198.51.100.200
done
check "n1 stays quorate" bash -c "'$TC' view n1 | grep -q ' Yes'"
finish
