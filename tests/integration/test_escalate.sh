#!/bin/bash
# test_escalate.sh -- a stop that keeps failing escalates (issue #15,
# src/daemon/escalate.c, docs/OPERATIONS.md "A stop that keeps failing") on
# a 3-node test cluster with the power switch's fence devices power-nI:
#   A. group esc (possible owners n2, n3; the coordinator n1 never owns it)
#      runs on n2; its resource is ocf:heartbeat:Delay whose stop sleeps
#      60 s with a stop timeout of 3 s, so every stop fails.  `group move
#      esc --to n3`: the stop fails on n2 (not the coordinator) -> the
#      coordinator powers n2 off through power-n2, recovery proves it down
#      and the group comes Online on n3; an observer on n1 sees the resource
#      Online on n3 only once no process of n2 is left (never on two nodes).
#   B. a node without a fence device (what `testcluster up --no-fence`
#      gives every node; the same path in escalate.c, wp_fencer_node_has_device):
#      power-n3 deleted, `group move esc --to n2`: the stop fails on n3 ->
#      the resource is left Failed on n3, n3 is not fenced, and `status`
#      shows the reason with the operator's way out (stop it by hand, then
#      resource cleanup, or node fence).
# ~50 s.  Run as root: tests/integration/test_escalate.sh.  Own WPTC_DIR and
# WPTC_PREFIX; the cluster is torn down on any exit.  The coordinator's own
# failed stop is test_escalate_coord.sh's.

set -u -o pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test esc

OBS_PID=
test_cleanup() {
    if [ -n "$OBS_PID" ]; then
        kill "$OBS_PID" 2>/dev/null
        wait "$OBS_PID" 2>/dev/null
    fi
}
test_on_failure() {
    "$TC" exec n1 "$WOLFPACK" --json status 2>&1 | jq -c '.groups[], .nodes[], .fencing' |
        sed 's/^/    n1 status: /'
    [ -s "$TMP/observed" ] && cut -d' ' -f2- "$TMP/observed" | uniq -c | sed 's/^/    observed: /'
    for n in n1 n2 n3; do
        echo "    --- $n wolfpackd.log (escalate, fencer, recovery):"
        grep -E "escalate|fencer|recovery" "$WPTC_DIR/nodes/$n/var/log/wolfpack/wolfpackd.log" \
            2>/dev/null | tail -8 | sed 's/^/    /'
    done
}

res_at() { # res_at NODE: "STATE NODE STOP_FAILED" of esc-d as NODE's daemon sees it
    "$TC" exec "$1" "$WOLFPACK" resource show esc-d --json 2>/dev/null |
        jq -r '"\(.state) \(.node) \(.stop_failed)"'
}
res_is() { [ "$(res_at n1)" = "$1" ]; }
powered_off() { [ -e "$WPTC_DIR/nodes/$1/powered-off" ]; }
power_is_off() { "$TC" power status "$1" 2>/dev/null | grep -q ': off$'; } # no process left
group_online_on() {
    [ "$("$TC" exec n1 "$WOLFPACK" group show esc --json 2>/dev/null |
        jq -r '"\(.state) \(.owner)"')" = "Online $1" ]
}
status_says() { wp n1 status && grep -qF -- "$1" "$TMP/out"; }

"$TC" up 3 --no-dns >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 3"
    finish
}
check "n1 is ready (quorate, synced)" wait_until 60 bash -c \
    "'$TC' exec n1 '$WOLFPACK' --json status | jq -e '.ready == true'"
check "every node has its fence device (power-n1..n3)" bash -c \
    "'$TC' exec n1 '$WOLFPACK' fence list | grep -c '^power-n' | grep -qx 3"

check "group esc, owners n2 then n3 (never the coordinator n1)" wp n1 group create esc \
    --policy preferred_owners=n2,n3 --policy possible_owners=n2,n3
check "resource esc-d: Delay, a stop of 60 s past its 3 s timeout" wp n1 resource create esc-d \
    --group esc --type ocf --prop agent=ocf:heartbeat:Delay --prop startdelay=0 \
    --prop mondelay=0 --prop stopdelay=60 --policy stop_timeout=3s --policy restart_action=none
check "group online esc" wp n1 group online esc
check "esc-d is Online on n2" wait_until 30 res_is "Online n2 null"

# --- A: the failed stop on n2 (not the coordinator): n2 is fenced --------------
# the observer: every 0.3 s the resource as n1 sees it, and whether n2 has
# been powered off yet
(
    while :; do
        # the resource first, then the power: n2 on after seeing the
        # resource means it was on when the resource was seen
        r=$(res_at n1)
        echo "$(date +%T.%N) $(power_is_off n2 && echo off || echo on) $r"
        sleep 0.3
    done
) >"$TMP/observed" 2>/dev/null &
OBS_PID=$!

check "group move esc --to n3" wp n1 group move esc --to n3
check "the stop fails on n2: Failed there, stop_failed n2" wait_until 30 res_is "Failed n2 n2"
check "the coordinator fences n2 (its switch cuts the power)" wait_until 30 powered_off n2
check "n1 logs the escalation" grep -q \
    "escalate: the stop of esc-d failed on node n2, which may still run it: fencing n2" \
    "$WPTC_DIR/nodes/n1/var/log/wolfpack/wolfpackd.log"
check "n1 and n3 keep quorum" "$TC" wait-view n1 n3 --members 2 --quorate yes --timeout 30
check "the group comes Online on n3" wait_until 40 group_online_on n3
check "esc-d is Online on n3, no failed stop left" wait_until 10 res_is "Online n3 null"
# the observer's round (a power status waits for the node's power lock) may
# not have logged the Online on n3 yet: let it log one before it stops
wait_until 15 awk '$3 == "Online" && $4 == "n3" {s = 1} END {exit !s}' "$TMP/observed"
test_cleanup
OBS_PID=
# a line: TIME POWER-OF-N2 STATE... NODE STOP_FAILED ("Online Pending n3" while
# n2 stops it is the move's queued start: n3 runs it only once n2's stop is done)
if awk '$3 == "Online" && $4 == "n3" {s = 1} END {exit !s}' "$TMP/observed" &&
    ! awk '$2 == "on" && $3 == "Online" && $4 == "n3" {s = 1} END {exit !s}' "$TMP/observed"; then
    ok "never on two nodes: n3 ran it only once n2 was powered off"
else
    bad "never on two nodes: n3 ran it only once n2 was powered off" \
        "$(awk '$3 == "Online" && $4 == "n3"' "$TMP/observed" | head -5)"
fi

# --- B: a node without a fence device: left Failed, the way out shown --------
check "n2 powered on again" "$TC" power on n2
check "3 members again" "$TC" wait-quorum --timeout 60
check "n2 is ready" wait_until 60 bash -c \
    "'$TC' exec n2 '$WOLFPACK' --json status | jq -e '.ready == true'"
check "fence delete power-n3 (n3 has no fence device now)" wp n1 fence delete power-n3
check "group move esc --to n2" wp n1 group move esc --to n2
check "the stop fails on n3: Failed there, stop_failed n3" wait_until 30 res_is "Failed n3 n3"
check "status gives the reason and the way out" wait_until 15 status_says \
    "STOP FAILED on n3 (it may still run there: stop it by hand, then 'wolfpack resource cleanup esc-d', or 'wolfpack node fence n3'); stop of OCF \"esc-d\" timed out after 3 s"
sleep 3 # a coordinator that would fence would have started by now
check "n3 is not fenced (no device)" bash -c "! [ -e '$WPTC_DIR/nodes/n3/powered-off' ]"
check "the resource stays Failed on n3 (no loop, no failover)" res_is "Failed n3 n3"
check "the group is not Online anywhere else" bash -c \
    "! '$TC' exec n1 '$WOLFPACK' group show esc --json | jq -e '.state == \"Online\"' >/dev/null"
check "n3 still runs (it was never powered off)" wp n3 --json status

finish
