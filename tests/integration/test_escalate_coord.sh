#!/bin/bash
# test_escalate_coord.sh -- a failed stop on the coordinator escalates
# (docs/FENCING.md, "A failed stop escalates"; issue #14): 3 nodes with
# wolfpackd and the test cluster's switch (a fence device power-nI per
# node); group web (an IP Address, an OCF Dummy on it) on n1, the
# coordinator (lowest node id).  On n1 only, the Dummy's stop always fails
# (a wrapper bind-mounted over the agent in n1's mount namespace).
#   1. web is moved to n2: the stop fails on n1, which never fences
#      itself; its deputy n2 (the next member by id) powers n1 off through
#      the switch, once; web then starts on n2 or n3; an observer sampling
#      every node's addresses never sees the VIP on two nodes.
#   2. n1 back (the wrapper stays in its mount namespace), its device
#      deleted (no device, no watchdog), web on n1 again, moved away: the
#      stop fails, nobody can fence n1: web stays held on n1, nowhere
#      else, and `status` says that n1 cannot be fenced and what to do.
# The non-coordinator case is test_escalate.sh's.  ~70 s.  Run as root.
# Own WPTC_DIR and WPTC_PREFIX; torn down on any exit.

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test esc
VIP=198.51.100.71
LOG2=$WPTC_DIR/nodes/n2/var/log/wolfpack/wolfpackd.log
OBSERVER=

test_cleanup() {
    [ -n "$OBSERVER" ] && kill "$OBSERVER" 2>/dev/null && wait "$OBSERVER" 2>/dev/null
    return 0
}
test_on_failure() { # ESC_DEBUG=DIR: the nodes' logs are kept there
    if [ -n "${ESC_DEBUG:-}" ]; then
        local d
        d=$ESC_DEBUG/$(date +%H%M%S)
        mkdir -p "$d" && for n in n1 n2 n3; do
            cp -r "$WPTC_DIR/nodes/$n/var/log/wolfpack" "$d/$n" 2>/dev/null
        done
    fi
    for n in n1 n2 n3; do
        echo "--- $n: wolfpackd.log (escalate, recovery, coordinator)"
        grep -E "escalate|recovery|coordinator" \
            "$WPTC_DIR/nodes/$n/var/log/wolfpack/wolfpackd.log" 2>/dev/null | tail -25
    done
}

says() { grep -Eq -- "$1" "$TMP/out"; }
state_of() { "$TC" exec "$1" "$WOLFPACK" group show web --json 2>/dev/null | jq -r '"\(.state) \(.owner)"'; }
state_is() { [[ "$(state_of "$1")" =~ ^$2$ ]]; } # state_is NODE REGEX
vip_on() { [ -n "$(ip -n "${WPTC_PREFIX}$1" -o -4 addr show to "$VIP" 2>/dev/null)" ]; }
pid_gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status"; }
log_count() { grep -c -- "$2" "$WPTC_DIR/nodes/$1/var/log/wolfpack/wolfpackd.log" 2>/dev/null; }
ready() { "$TC" exec "$1" "$WOLFPACK" --json status 2>/dev/null | jq -e '.ready == true' >/dev/null; }

# observe: every node's addresses, until killed; a line per sample with the
# VIP on more than one node
observe() {
    local n on
    while :; do
        on=""
        for n in n1 n2 n3; do vip_on "$n" && on+="$n "; done
        [ "$(wc -w <<<"$on")" -gt 1 ] && echo "$(date +%T.%N) $on" >>"$TMP/twice"
        sleep 0.05
    done
}

# web (ip, dummy) Online on n1 of a new 3-node cluster (testcluster up ARGS),
# the Dummy's stop failing on n1 only (its mount namespace, gone with it)
setup() {
    "$TC" up 3 --no-dns "$@" >"$TMP/up" 2>&1 || {
        cat "$TMP/up"
        fail "testcluster up 3 $*"
        finish
    }
    check "n1 is ready" wait_until 60 ready n1
    check "the failing stop in n1's mount namespace" "$TC" exec n1 sh -eu -c '
        cp /usr/lib/ocf/resource.d/heartbeat/Dummy /run/Dummy.real
        printf "%s\n" "#!/bin/sh" "# test_escalate_coord: stop fails on this node" \
            "[ \"\$1\" = stop ] && { echo \"stop refused by the test\" >&2; exit 1; }" \
            "exec /run/Dummy.real \"\$@\"" >/run/Dummy.failstop
        chmod 755 /run/Dummy.failstop
        mount --bind /run/Dummy.failstop /usr/lib/ocf/resource.d/heartbeat/Dummy'
    check "group web, preferred n1, n2, n3" wp n1 group create web \
        --policy preferred_owners=n1,n2,n3 --policy failover_threshold=100
    check "its IP Address" wp n1 resource create ip --group web --type "IP Address" \
        --prop address=$VIP/24
    check "an OCF Dummy on it" wp n1 resource create dummy --group web --type OCF \
        --prop agent=ocf:heartbeat:Dummy --prop state=/run/dummy-web.state --depends-on ip
    check "web online" wp n1 group online web
    check "web Online on n1" wait_until 60 state_is n1 "Online n1"
    check "the address is on n1" wait_until 30 vip_on n1
}

setup
check "every node has its fence device (power-n1..3)" \
    bash -c "'$TC' exec n1 '$WOLFPACK' fence list | grep -c '^power-n' | grep -qx 3"

observe &
OBSERVER=$!

echo "== 1. the coordinator's stop fails: its deputy fences it, web moves"
read -r wpd1 _ <"$WPTC_DIR/nodes/n1/wolfpackd.pid"
check "move web to n2" wp n1 group move web --to n2
check "n2, the deputy, fences n1 after the failed stop" wait_until 60 \
    bash -c "[ \"\$(grep -c 'escalate: the stop of dummy failed on node n1' '$LOG2')\" -ge 1 ]"
check "n1's wolfpackd was killed by the switch" wait_until 60 pid_gone "$wpd1"
check "n1 logged that it does not fence itself" \
    grep -q "escalate: the stop of dummy failed on this node (n1), the coordinator" \
    "$WPTC_DIR/nodes/n1/var/log/wolfpack/wolfpackd.log"
check "n2 and n3 keep quorum" "$TC" wait-view n2 n3 --members 2 --quorate yes --timeout 30
check "web Online on n2 or n3" wait_until 60 state_is n2 "Online n[23]"
check "the address is on n2 or n3" wait_until 30 bash -c \
    "[ -n \"\$(ip -n ${WPTC_PREFIX}n2 -o -4 addr show to $VIP; ip -n ${WPTC_PREFIX}n3 -o -4 addr show to $VIP)\" ]"
check "n1 was fenced once by escalation (only n2 ran it)" wait_until 30 bash -c \
    "[ \"\$(grep -c 'escalate: node n1 fenced after a failed stop' '$LOG2')\" = 1 ] &&
     ! grep -q 'escalate: node n1 fenced' '$WPTC_DIR/nodes/n3/var/log/wolfpack/wolfpackd.log'"
check "status --json: n1 down, fenced" bash -c \
    "'$TC' exec n2 '$WOLFPACK' --json status | jq -e '.fencing.down.n1.how == \"fenced\"'"

echo "== 2. no device, no watchdog: the coordinator stays Failed, status says so"
check "power n1 on" "$TC" power on n1
check "3 members" "$TC" wait-quorum --timeout 60
check "n1 ready again" wait_until 60 ready n1
check "delete n1's fence device" wp n2 fence delete power-n1
check "move web back to n1" wp n2 group move web --to n1
check "web Online on n1" wait_until 60 state_is n2 "Online n1"
check "move web to n2 again" wp n2 group move web --to n2
check "status says n1 cannot be fenced" wait_until 60 bash -c \
    "'$TC' exec n2 '$WOLFPACK' status >'$TMP/out' 2>&1; grep -q 'n1: the stop of dummy failed there (the coordinator) and it has no fence device' '$TMP/out'"
check "status: what the operator can do" says "wolfpack resource cleanup"
check "status --json: n1 recorded unfenceable" bash -c \
    "'$TC' exec n2 '$WOLFPACK' --json status | jq -e '.fencing.fencing.n1.state == \"unfenceable\"'"
sleep 3
check "web stays held on n1 (Failed or Partially Online)" state_is n2 "(Failed|Partially Online) n1"
check "the address is still on n1 only" bash -c \
    "ip -n ${WPTC_PREFIX}n1 -o -4 addr show to $VIP | grep -q . &&
     ! ip -n ${WPTC_PREFIX}n2 -o -4 addr show to $VIP | grep -q . &&
     ! ip -n ${WPTC_PREFIX}n3 -o -4 addr show to $VIP | grep -q ."
check "n1's wolfpackd still runs (nobody fenced it)" bash -c \
    "read -r p _ <'$WPTC_DIR/nodes/n1/wolfpackd.pid'; kill -0 \$p"

test_cleanup
OBSERVER=
if [ -s "$TMP/twice" ]; then
    bad "the observer saw the address on two nodes" "$(head -5 "$TMP/twice")"
else
    ok "the observer never saw the address on two nodes"
fi

echo "== 3. no device, a watchdog: the coordinator swallows its own poison pill"
[ "$FAILED" -gt 0 ] && test_on_failure >/dev/null # ESC_DEBUG: parts 1-2's logs
"$TC" down >/dev/null 2>&1
setup --watchdog 4
rm -f "$TMP/twice"
observe &
OBSERVER=$!
check "move web to n2" wp n1 group move web --to n2
check "n1 sends itself a poison pill" wait_until 60 bash -c \
    "grep -q 'escalate: node n1: the stop of dummy failed there (the coordinator): poison pill sent' \
    '$WPTC_DIR/nodes/n1/var/log/wolfpack/wolfpackd.log'"
check "n1's watchdog powers it off" wait_until 60 test -e "$WPTC_DIR/nodes/n1/watchdog-fired"
check "web Online on n2 or n3 (after 2 x the watchdog's timeout)" wait_until 90 state_is n2 "Online n[23]"
check "status --json: n1 down by its watchdog" bash -c \
    "'$TC' exec n2 '$WOLFPACK' --json status | jq -e '.fencing.down.n1.how == \"watchdog\"'"
test_cleanup
OBSERVER=
if [ -s "$TMP/twice" ]; then
    bad "3: the observer saw the address on two nodes" "$(head -5 "$TMP/twice")"
else
    ok "3: the observer never saw the address on two nodes"
fi
finish
