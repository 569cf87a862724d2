#!/bin/bash
# test_fence_recovery.sh -- recovery waits for proof (docs/FENCING.md):
# 3 nodes with wolfpackd, the test cluster's switch as fence device, group
# web (an IP Address) on n3.
#   1. the device is broken (its cluster is not there), n3 is cut off
#      (unplugged: it still runs): the coordinator tries to fence n3, fails,
#      retries; `status` says what it waits for; web stays on n3 (not
#      started on n1 or n2) across the retries; `node confirm-down n3` (with
#      its warning) lets web start on n2.
#   2. n3 back: its records go.  The device repaired, web back on n3, n3 cut
#      off again: the coordinator powers n3 off through the switch (its
#      processes gone, its port down) and only then starts web on n2.
#   3. n3 powered on, holding nothing, cut off: it is not fenced.
# ~60 s.  Run as root.  Own WPTC_DIR and WPTC_PREFIX; torn down on any exit.

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test frc
export WOLFPACK_FENCE_PATH=$REPO/tools
VIP=198.51.100.61
LOG1=$WPTC_DIR/nodes/n1/var/log/wolfpack/wolfpackd.log

says() { grep -Eq -- "$1" "$TMP/out"; }
owner() { "$TC" exec "$1" "$WOLFPACK" group show web --json 2>/dev/null | jq -r '"\(.state) \(.owner)"'; }
owner_is() { [ "$(owner "$1")" = "$2" ]; }
vip_on() { [ -n "$(ip -n "${WPTC_PREFIX}$1" -o -4 addr show to "$VIP" 2>/dev/null)" ]; }
fencing() { "$TC" exec n1 "$WOLFPACK" --json status 2>/dev/null | jq -c ".fencing$1"; }
fence_is() { [ "$(fencing "$1" | tr -d '"')" = "$2" ]; } # fence_is JQPATH WANT
pid_gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status"; }
log_count() { grep -c -- "$1" "$LOG1" 2>/dev/null; }
count_at_least() { [ "$(log_count "$1")" -ge "$2" ]; }

"$TC" up 3 --no-dns --no-fence >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 3"
    finish
}
check "n1 is ready" wait_until 60 bash -c "'$TC' exec n1 '$WOLFPACK' --json status | jq -e '.ready == true'"
check "device sw (broken: its cluster is not there)" wp n1 fence create sw --agent fence_wptc \
    --prop wptc_dir=/run/no-such-wptc --nodes n1,n2,n3
check "group web, preferred n3 then n2" wp n1 group create web \
    --policy preferred_owners=n3,n2,n1 --policy failover_threshold=100
check "its IP Address" wp n1 resource create ip --group web --type "IP Address" \
    --prop address=$VIP/24 --policy quick_check_interval=1
check "web online" wp n1 group online web
check "web Online on n3" wait_until 60 owner_is n1 "Online n3"
check "the address is on n3" wait_until 30 vip_on n3

echo "== 1. fencing fails: web stays, status says why, confirm-down lets it go"
check "unplug n3" "$TC" unplug n3
check "n1, n2 keep quorum" "$TC" wait-view n1 n2 --members 2 --quorate yes --timeout 30
check "the coordinator tries to fence n3 and fails" wait_until 60 count_at_least \
    "recovery: fencing node n3 failed" 1
check "it retries" wait_until 60 count_at_least "recovery: fencing node n3 failed" 2
check "the held group is logged" grep -q "recovery: group(s) web wait" "$LOG1"
check "web still belongs to n3 (the database)" owner_is n1 "Online n3"
check "the address is not on n1" bash -c "! ip -n ${WPTC_PREFIX}n1 -o -4 addr show to $VIP | grep -q ."
check "the address is not on n2" bash -c "! ip -n ${WPTC_PREFIX}n2 -o -4 addr show to $VIP | grep -q ."
check "status --json: n3 fencing failed" fence_is .fencing.n3.state failed
wp n2 status
check "status: the Fencing section names n3 and the failure" says "n3: lost; fencing FAILED"
check "status: what the operator can do" says "confirm-down n3"
check "status: the held group" says "its groups wait \(web\)"

wp n1 node confirm-down n1
check "confirm-down of a member is refused (exit 4)" [ $? = 4 ]
wp n1 node confirm-down n3
rc=$?
check "node confirm-down n3: exit 0" [ "$rc" = 0 ]
check "confirm-down: a loud warning" grep -q "WARNING" "$TMP/err"
check "web starts on n2" wait_until 60 owner_is n1 "Online n2"
check "the address is on n2" wait_until 30 vip_on n2
check "status --json: n3 down, confirmed" fence_is .down.n3.how confirmed

echo "== 2. fencing works: n3 is powered off before web starts elsewhere"
check "plug n3 back in" "$TC" plug n3
check "3 members" "$TC" wait-quorum --timeout 60
check "n3's records are gone once it is a member" wait_until 30 \
    bash -c "[ \"\$('$TC' exec n1 '$WOLFPACK' --json status | jq -c '.fencing.down')\" = '{}' ]"
check "repair the device: delete" wp n1 fence delete sw
check "repair the device: create" wp n1 fence create sw --agent fence_wptc \
    --prop "wptc_dir=$WPTC_DIR" --nodes n1,n2,n3
check "n3 ready again" wait_until 60 bash -c "'$TC' exec n3 '$WOLFPACK' --json status | jq -e '.ready == true'"
check "move web back to n3" wp n1 group move web --to n3
check "web Online on n3" wait_until 60 owner_is n1 "Online n3"
read -r wpd3 _ <"$WPTC_DIR/nodes/n3/wolfpackd.pid"
lines_before=$(wc -l <"$LOG1")
check "unplug n3 again" "$TC" unplug n3
check "the coordinator fences n3" wait_until 60 count_at_least "recovery: node n3 fenced" 1
check "n3's wolfpackd was killed by the switch" pid_gone "$wpd3"
check "nothing is left in n3's network namespace" bash -c "[ -z \"\$(ip netns pids ${WPTC_PREFIX}n3)\" ]"
check "web starts on n2" wait_until 60 owner_is n1 "Online n2"
check "the address is on n2" wait_until 30 vip_on n2
tail -n +"$((lines_before + 1))" "$LOG1" >"$TMP/log"
fenced_at=$(grep -n "recovery: node n3 fenced" "$TMP/log" | head -1 | cut -d: -f1)
failover_at=$(grep -n "coordinator: start ip on n2" "$TMP/log" | head -1 | cut -d: -f1)
check "n3 was fenced before web's start on n2 was planned (n1's log)" \
    bash -c "[ -n '$fenced_at' ] && [ -n '$failover_at' ] && [ '$fenced_at' -lt '$failover_at' ]"
check "status --json: n3 down, fenced" fence_is .down.n3.how fenced

echo "== 3. a lost node that holds no group is not powered off"
check "power n3 on" "$TC" power on n3
check "3 members" "$TC" wait-quorum --timeout 60
check "n3's records are gone" wait_until 30 \
    bash -c "[ \"\$('$TC' exec n1 '$WOLFPACK' --json status | jq -c '.fencing.down')\" = '{}' ]"
check "web stays on n2 (n3 holds nothing)" owner_is n1 "Online n2"
read -r wpd3 _ <"$WPTC_DIR/nodes/n3/wolfpackd.pid"
fences_before=$(log_count "recovery: node n3 is lost: fencing it")
check "unplug n3 (idle)" "$TC" unplug n3
check "n1, n2 keep quorum" "$TC" wait-view n1 n2 --members 2 --quorate yes --timeout 30
# commands make the coordinator tick; then one more second of ticks
check "a command after the loss" wp n1 group set web --policy failover_threshold=99
check "another one" wp n1 group set web --policy failover_threshold=100
sleep 2
check "no fencing of the idle n3" [ "$(log_count "recovery: node n3 is lost: fencing it")" = "$fences_before" ]
check "n3's wolfpackd still runs" kill -0 "$wpd3"

finish
