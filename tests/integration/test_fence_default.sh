#!/bin/bash
# test_fence_default.sh -- recovery waits for proof by default
# (docs/FENCING.md, "Fencing is on by default"): 3 nodes with wolfpackd and
# NO way to fence them (testcluster up --no-fence: no fence device, no
# watchdog), group web (an IP Address) on n3.
#   1. n3 cut off (unplugged: it still runs): web is held on n3, not started
#      on n1 or n2; `status --json` says fencing.n3.state unfenceable, the
#      human status says CANNOT BE FENCED, why, and the ways out
#      (fence create, confirm-down, cluster fencing off); n1's log says so.
#   2. `wolfpack cluster fencing off` (with its warning): status shows the
#      FENCING IS OFF banner and fencing.enabled false; web starts on n2; the
#      stale record goes.
#   3. n3 back, fencing on again, web back on n3, n3 cut off again: held
#      again; `node confirm-down n3` lets it go.
# ~60 s.  Run as root.  Own WPTC_DIR and WPTC_PREFIX; torn down on any exit.

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test fdf
VIP=198.51.100.62
LOG1=$WPTC_DIR/nodes/n1/var/log/wolfpack/wolfpackd.log

says() { grep -Eq -- "$1" "$TMP/out"; }
owner() { "$TC" exec "$1" "$WOLFPACK" group show web --json 2>/dev/null | jq -r '"\(.state) \(.owner)"'; }
owner_is() { [ "$(owner "$1")" = "$2" ]; }
vip_on() { [ -n "$(ip -n "${WPTC_PREFIX}$1" -o -4 addr show to "$VIP" 2>/dev/null)" ]; }
vip_nowhere_but_n3() { ! vip_on n1 && ! vip_on n2; }
fencing() { "$TC" exec n1 "$WOLFPACK" --json status 2>/dev/null | jq -c ".fencing$1"; }
fence_is() { [ "$(fencing "$1" | tr -d '"')" = "$2" ]; } # fence_is JQPATH WANT
logged() { grep -q -- "$1" "$LOG1"; }

"$TC" up 3 --no-dns --no-fence >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 3 --no-fence"
    finish
}
check "n1 is ready" wait_until 60 bash -c "'$TC' exec n1 '$WOLFPACK' --json status | jq -e '.ready == true'"
check "no fence device" bash -c "[ \"\$('$TC' exec n1 '$WOLFPACK' fence list --json | jq length)\" = 0 ]"
check "fencing is on by default (status --json)" fence_is .enabled true
check "group web, preferred n3 then n2" wp n1 group create web \
    --policy preferred_owners=n3,n2,n1 --policy failover_threshold=100
check "its IP Address" wp n1 resource create ip --group web --type "IP Address" \
    --prop address=$VIP/24 --policy quick_check_interval=1
check "web online" wp n1 group online web
check "web Online on n3" wait_until 60 owner_is n1 "Online n3"
check "the address is on n3" wait_until 30 vip_on n3

echo "== 1. n3 cut off, no way to fence it: web is held, status says why"
check "unplug n3" "$TC" unplug n3
check "n1, n2 keep quorum" "$TC" wait-view n1 n2 --members 2 --quorate yes --timeout 30
check "status --json: n3 unfenceable" wait_until 30 fence_is .fencing.n3.state unfenceable
check "n1's log: no fence device and no watchdog" \
    logged "recovery: node n3 is lost and has no fence device and no watchdog"
check "the held group is logged" logged "recovery: group(s) web wait"
sleep 3 # what would have failed web over at once did so long before this
check "web still belongs to n3 (the database)" owner_is n1 "Online n3"
check "the address is on neither n1 nor n2" vip_nowhere_but_n3
wp n2 status
check "status: n3 CANNOT BE FENCED, and why" says "n3: lost; CANNOT BE FENCED: it has no fence device and no watchdog"
check "status: the held group" says "its groups wait \(web\)"
check "status: confirm-down" says "wolfpack node confirm-down n3"
check "status: the opt-out" says "wolfpack cluster fencing off"
check "status: a fence device" says "wolfpack fence create"

echo "== 2. the operator's opt-out: cluster fencing off"
check "cluster fencing bogus is refused" bash -c "! '$TC' exec n1 '$WOLFPACK' cluster fencing bogus 2>/dev/null"
check "fencing still on after the refusal" fence_is .enabled true
check "cluster fencing off" wp n1 cluster fencing off
check "with a loud warning" grep -q "WARNING" "$TMP/err"
check "status --json: fencing.enabled false" fence_is .enabled false
wp n2 status
check "status: the FENCING IS OFF banner" says "FENCING IS OFF"
check "web starts on n2" wait_until 60 owner_is n1 "Online n2"
check "the address is on n2" wait_until 30 vip_on n2
check "n3's stale record goes" wait_until 30 fence_is .fencing.n3 null

echo "== 3. fencing on again: held again; confirm-down lets it go"
check "plug n3 back in" "$TC" plug n3
check "3 members" "$TC" wait-quorum --timeout 60
check "cluster fencing on" wp n1 cluster fencing on
check "status --json: fencing.enabled true" fence_is .enabled true
check "n3 ready again" wait_until 60 bash -c "'$TC' exec n3 '$WOLFPACK' --json status | jq -e '.ready == true'"
check "move web back to n3" wp n1 group move web --to n3
check "web Online on n3" wait_until 60 owner_is n1 "Online n3"
check "unplug n3 again" "$TC" unplug n3
check "n1, n2 keep quorum" "$TC" wait-view n1 n2 --members 2 --quorate yes --timeout 30
check "status --json: n3 unfenceable again" wait_until 30 fence_is .fencing.n3.state unfenceable
sleep 2
check "web still belongs to n3" owner_is n1 "Online n3"
check "the address is on neither n1 nor n2" vip_nowhere_but_n3
check "node confirm-down n3" wp n1 node confirm-down n3
check "web starts on n2" wait_until 60 owner_is n1 "Online n2"
check "status --json: n3 down, confirmed" fence_is .down.n3.how confirmed

finish
