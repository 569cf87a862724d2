#!/bin/bash
# test_qdevice.sh -- quorum for a two-node cluster with corosync-qnetd as
# the tie-breaker (docs/FENCING.md, "Quorum for small clusters"): 2 nodes
# (testcluster up 2 --qdevice: `cluster create --qdevice 198.51.100.200`,
# corosync-qnetd in the client namespace, corosync-qdevice on both nodes,
# TLS with certificates made in the namespaces)
# with the emulated watchdog (--watchdog 4), group web (an IP Address) on
# n2.  The link between n1 and n2 is cut (both still reach qnetd): exactly
# one side keeps quorum (qnetd's ffsplit gives its vote to the lowest node
# id: n1); n2 stops petting and is powered off by its watchdog; web starts
# on n1 after n2's self-fence deadline; an observer sampling both nodes'
# addresses every 20 ms never sees the address on both.
# ~60 s.  Run as root.  Own WPTC_DIR and WPTC_PREFIX; torn down on any exit.

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test qd
VIP=198.51.100.63
OBSERVER=
test_cleanup() { [ -z "$OBSERVER" ] || kill "$OBSERVER" 2>/dev/null; }

owner() { "$TC" exec "$1" "$WOLFPACK" group show web --json 2>/dev/null | jq -r '"\(.state) \(.owner)"'; }
owner_is() { [ "$(owner "$1")" = "$2" ]; }
vip_on() { [ -n "$(ip -n "${WPTC_PREFIX}$1" -o -4 addr show to "$VIP" 2>/dev/null)" ]; }
quorate() { [ "$("$TC" view "$1" 2>/dev/null | awk '{print $2}')" = "$2" ]; } # quorate NODE Yes|No
fired() { [ -e "$WPTC_DIR/nodes/$1/watchdog-fired" ]; }
qdevice_votes() { "$TC" exec n1 corosync-quorumtool -s 2>/dev/null | grep -Eq "^ +0 +1 +Qdevice"; }

observe() {
    local n on
    while :; do
        on=""
        for n in n1 n2; do vip_on "$n" && on="$on $n"; done
        echo "$on" >>"$TMP/samples"
        [ "$(wc -w <<<"$on")" -ge 2 ] && echo "$(date +%T.%N)$on" >>"$TMP/doubles"
        sleep 0.02
    done
}

"$TC" up 2 --no-dns --qdevice --watchdog 4 >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 2 --qdevice --watchdog 4"
    finish
}
check "corosync.conf names the quorum device" \
    grep -q "host: 198.51.100.200" "$WPTC_DIR/nodes/n1/etc/corosync/corosync.conf"
check "TLS between qdevice and qnetd" grep -q "tls: on" "$WPTC_DIR/nodes/n1/etc/corosync/corosync.conf"
check "no two_node with the device" \
    bash -c "! grep -q two_node '$WPTC_DIR/nodes/n1/etc/corosync/corosync.conf'"
check "the device votes (corosync-quorumtool on n1)" wait_until 30 qdevice_votes
for n in n1 n2; do
    check "$n is ready" wait_until 60 bash -c "'$TC' exec $n '$WOLFPACK' --json status | jq -e '.ready == true'"
    check "$n: watchdog armed" wait_until 30 grep -q "$n: armed" "$WPTC_DIR/nodes/$n/watchdog.log"
done
check "group web, preferred n2" wp n1 group create web --policy preferred_owners=n2,n1 \
    --policy failover_threshold=100
check "its IP Address" wp n1 resource create ip --group web --type "IP Address" \
    --prop address=$VIP/24 --policy quick_check_interval=1
check "web online" wp n1 group online web
check "web Online on n2" wait_until 60 owner_is n1 "Online n2"
check "the address is on n2" wait_until 30 vip_on n2

observe &
OBSERVER=$!

echo "== cut the link between n1 and n2 (both still reach qnetd)"
check "partition n1 | n2" "$TC" partition n1 n2
check "n1 keeps quorum (qnetd's vote)" wait_until 30 quorate n1 Yes
n2_lost() { fired n2 || quorate n2 No; }
check "n2 loses it (or is already powered off)" wait_until 30 n2_lost
check "n2's watchdog powers it off" wait_until 30 fired n2
check "web starts on n1" wait_until 60 owner_is n1 "Online n1"
check "the address is on n1" wait_until 30 vip_on n1
check "n1 still quorate" quorate n1 Yes
check "the address is not on n2" bash -c "! ip -n ${WPTC_PREFIX}n2 -o -4 addr show to $VIP | grep -q ."

kill "$OBSERVER" 2>/dev/null
wait "$OBSERVER" 2>/dev/null
OBSERVER=
check "the observer took samples" [ "$(wc -l <"$TMP/samples")" -gt 50 ]
check "the observer never saw the address on both nodes" bash -c "! [ -s '$TMP/doubles' ]"
[ -s "$TMP/doubles" ] && head -5 "$TMP/doubles"

finish
