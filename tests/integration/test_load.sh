#!/bin/bash
# test_load.sh -- no false fencing under load (issue 14, docs/FENCING.md):
# a steady 3-node cluster (emulated watchdog 4 s on every node, the switch
# as fence device, group vs = an IP Address and a Physical Disk with its
# lease keeper on n1) while a bounded CPU hog saturates every core
# (2 busy loops a core, at the same priority as the cluster, for
# LOAD_SECONDS: 75 by default, 600 with WP_SOAK=1).  Sampled every 2 s and
# counted at the end:
#   fences       nodes fenced (wolfpackd's "recovery: fencing node",
#                a watchdog that fired, a node powered off) and disks
#                fenced by their keeper (the agents' *.fenced files);
#   failovers    changes of vs's owner or state, corosync membership below 3;
#   quarantined  disks fenced late ("late fence": the mount quarantined).
# All must be 0.  The figures are printed (LOAD_REPORT=FILE keeps them).
# Run as root.  Own WPTC_DIR and WPTC_PREFIX; torn down on any exit.

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test load
export WOLFPACK_FENCE_PATH=$REPO/tools
if [ "${WP_SOAK:-0}" = 1 ]; then SECS=${LOAD_SECONDS:-600}; else SECS=${LOAD_SECONDS:-75}; fi
VIP=198.51.100.65
DEV=/run/wolfpack/disks/disk1
HOGS=()

load_cleanup() {
    local p
    for p in "${HOGS[@]}"; do kill "$p" 2>/dev/null; done
    cluster_cleanup
    rmdir /srv/load 2>/dev/null
    return 0
}
trap load_cleanup EXIT

group_at() { "$TC" exec "$1" "$WOLFPACK" group show vs --json 2>/dev/null | jq -r '"\(.state) \(.owner)"'; }
ready() { [ "$("$TC" exec "$1" "$WOLFPACK" --json status 2>/dev/null | jq -r .ready)" = true ]; }
log_of() { echo "$WPTC_DIR/nodes/$1/var/log/wolfpack/wolfpackd.log"; }
count_in_logs() { cat "$(log_of n1)" "$(log_of n2)" "$(log_of n3)" 2>/dev/null | grep -c -- "$1"; }
disk_fences() { # the keepers' fence records of every node ("late" ones: $1 = late)
    local n c=0
    for n in n1 n2 n3; do
        c=$((c + $("$TC" exec "$n" sh -c "cat /run/wolfpack/agents/*.fenced 2>/dev/null" |
            grep -c -- "${1:-fenced}")))
    done
    echo "$c"
}

"$TC" up 3 --no-dns --watchdog 4 >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 3 --watchdog 4"
    finish
}
for n in n1 n2 n3; do check "$n is ready" wait_until 60 ready "$n"; done
"$TC" disk disk1 >"$TMP/disk" 2>&1 || {
    cat "$TMP/disk"
    fail "testcluster disk"
    finish
}
check "disk prepare" wp n1 disk prepare "$DEV"
check "fence device sw (the switch)" wp n1 fence create sw --agent fence_wptc \
    --prop "wptc_dir=$WPTC_DIR" --nodes n1,n2,n3
check "group vs on n1" wp n1 group create vs --policy preferred_owners=n1,n2,n3 \
    --policy failover_threshold=1000
check "IP Address" wp n1 resource create ip --group vs --type "IP Address" \
    --prop address=$VIP/24 --policy quick_check_interval=1
check "Physical Disk" wp n1 resource create disk --group vs --type "Physical Disk" \
    --prop device=$DEV --prop mountpoint=/srv/load --prop fstype=ext4
check "group online vs" wp n1 group online vs
check "vs Online on n1" wait_until 90 bash -c "[ \"\$('$TC' exec n1 '$WOLFPACK' group show vs --json | jq -r '\"\(.state) \(.owner)\"')\" = 'Online n1' ]"
sleep 3
fences0=$(count_in_logs "recovery: fencing node")
before=$(group_at n1)

cores=$(nproc)
echo "== $SECS s of CPU hog: $((2 * cores)) busy loops on $cores cores"
for ((i = 0; i < 2 * cores; i++)); do
    timeout "$SECS" bash -c 'while :; do :; done' &
    HOGS+=($!)
done
changes=0 lowviews=0 samples=0 end=$((SECONDS + SECS))
while [ $SECONDS -lt $end ]; do
    now=$(group_at n2)
    samples=$((samples + 1))
    [ "$now" = "$before" ] || {
        changes=$((changes + 1))
        echo "     $(date +%T): vs is '$now' (was '$before')"
        before=$now
    }
    for n in n1 n2 n3; do
        m=$("$TC" view "$n" 2>/dev/null | awk '{print $1}')
        [ "${m:-0}" -ge 3 ] || {
            lowviews=$((lowviews + 1))
            echo "     $(date +%T): $n sees ${m:-no} members"
        }
    done
    sleep 2
done
for p in "${HOGS[@]}"; do wait "$p" 2>/dev/null; done
HOGS=()
sleep 2

node_fences=$(($(count_in_logs "recovery: fencing node") - fences0))
fired=$(find "$WPTC_DIR/nodes" -maxdepth 2 \( -name watchdog-fired -o -name powered-off \) | wc -l)
dfences=$(disk_fences)
late=$(disk_fences "late fence")
missed=$(count_in_logs "missed its lease deadline")
report="load $SECS s on $cores cores: $samples samples; node fences $node_fences, watchdogs fired/powered off $fired, disk fences $dfences (keeper deadline missed: $missed), quarantined $late, owner/state changes $changes, membership < 3 seen $lowviews"
echo "     $report"
[ -n "${LOAD_REPORT:-}" ] && echo "$report" >>"$LOAD_REPORT"
for n in n1 n2 n3; do # what the keepers said when they fenced
    "$TC" exec "$n" sh -c 'for f in /run/wolfpack/agents/*.fenced; do [ -e "$f" ] && echo "$f: $(cat "$f")"; done' |
        sed "s/^/     $n: /"
done
check "the cluster was sampled under load" [ "$samples" -gt 5 ]
check "0 node fences" [ "$node_fences" = 0 ]
check "0 watchdogs fired, 0 nodes powered off" [ "$fired" = 0 ]
check "0 disk fences" [ "$dfences" = 0 ]
check "0 quarantined disks" [ "$late" = 0 ]
check "0 failovers (vs stayed Online on n1)" [ "$changes" = 0 ]
check "membership stayed 3 on every node" [ "$lowviews" = 0 ]
check "vs still Online on n1" [ "$(group_at n1)" = "Online n1" ]
finish
