#!/bin/bash
# test_maintenance.sh -- the cluster's maintenance mode on the test cluster
# (2 nodes, real Corosync): a group with a Generic Service runs on one node;
# `wolfpack cluster maintenance on` (from the other node, so the command is
# replicated) puts every node's status under the banner; the service's
# process is killed and, three check intervals later, it is neither
# reported failed nor restarted (no monitoring, no recovery); `cluster
# maintenance off` makes its node probe what the database places there
# (the log says so), the probe finds the service gone, and the cluster
# starts it again on the same node.  ~30 s.
#
# Run as root: tests/integration/test_maintenance.sh.  Own WPTC_DIR and
# WPTC_PREFIX; the cluster is torn down on any exit.  Prints "N passed, N failed".

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
TC=$REPO/tools/testcluster
export WPTC_DIR=${WPTC_DIR:-/run/wptc-mnt-$$}
export WPTC_PREFIX=${WPTC_PREFIX:-wmnt$$-}
export WOLFPACK=${WOLFPACK:-$REPO/build/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$REPO/build/wolfpackd}
TMP=$(mktemp -d)
PASSED=0
FAILED=0
SVC_CMD="/bin/sleep 8$$"

cleanup() {
    "$TC" down >/dev/null 2>&1 || "$TC" down
    # the service, should a node have left it behind (by PID)
    for p in $(pgrep -f -x "$SVC_CMD"); do kill -9 "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"

says() { grep -Eq -- "$1" "$TMP/out"; }
svc_pid() { pgrep -f -x "$SVC_CMD" | head -1; }
svc_running() { [ -n "$(svc_pid)" ]; }
svc_gone() { [ -z "$(svc_pid)" ]; }
rstate() { # "STATE NODE" of mt-svc, asked on n1
    "$TC" exec n1 "$WOLFPACK" resource show mt-svc --json 2>/dev/null |
        jq -r '"\(.state) \(.node)"'
}
rstate_is() { [ "$(rstate)" = "$1" ]; }

"$TC" up 2 --no-dns >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 2"
    finish
}
check "n1 is ready (quorate, synced)" wait_until 60 bash -c \
    "'$TC' exec n1 '$WOLFPACK' --json status | jq -e '.ready == true'"

check "create group mt (n1 preferred)" wp n1 group create mt --policy preferred_owners=n1
check "create a service, checked every second" wp n1 resource create mt-svc --group mt \
    --type service --prop user=root --prop "command=$SVC_CMD" --policy quick_check_interval=1
check "group online mt" wp n1 group online mt
check "mt-svc Online on n1" wait_until 60 rstate_is "Online n1"
check "its process runs" svc_running

check "cluster maintenance on (from n2)" wp n2 cluster maintenance on
check "n1's status: the maintenance banner on the first line" bash -c \
    "'$TC' exec n1 '$WOLFPACK' status | head -1 | grep -q '^\*\*\* MAINTENANCE MODE'"
check "n2's status --json: maintenance true" bash -c \
    "'$TC' exec n2 '$WOLFPACK' --json status | jq -e '.maintenance == true' >/dev/null"

pid=$(svc_pid)
kill -KILL "${pid:-0}"
check "the service's process is killed" wait_until 10 svc_gone
sleep 3 # three check intervals
check "maintenance: the killed service is not restarted" svc_gone
check "maintenance: no failure reported (still Online on n1)" rstate_is "Online n1"

probes_before=$(grep -c "executor: probing mt-svc" \
    "$WPTC_DIR/nodes/n1/var/log/wolfpack/wolfpackd.log")
check "cluster maintenance off (from n2)" wp n2 cluster maintenance off
check "leaving maintenance: n1 probes mt-svc" wait_until 30 bash -c \
    "[ \$(grep -c 'executor: probing mt-svc' '$WPTC_DIR/nodes/n1/var/log/wolfpack/wolfpackd.log') -gt $probes_before ]"
check "leaving maintenance: the service runs again" wait_until 60 svc_running
check "leaving maintenance: mt-svc Online on n1" wait_until 60 rstate_is "Online n1"
check "n1's status: no banner any more" bash -c \
    "! '$TC' exec n1 '$WOLFPACK' status | grep -q 'MAINTENANCE MODE'"

check "group offline mt (tidy up)" wp n1 group offline mt
check "the service is stopped" wait_until 60 svc_gone
finish
