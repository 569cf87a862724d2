#!/bin/bash
# test_cluster_update.sh -- `wolfpack cluster update` (issue 19) against a
# real wolfpackd --solo: its bad options refused (exit 2) and, on a
# one-node cluster, the run and --plan refused (no other node to take the
# groups), --abort with no run in progress refused, --report with no run
# ever refused (and with another option: exit 2), `status` without a run
# shows none, each with the
# database version unchanged and no run or lock left behind.  The update
# itself, node by node, is tests/integration/test_os_update.sh.
. "$(dirname "$0")/lib.sh"
start_daemon

expect_fail 2 "--reboot sometimes: refused" wp cluster update --reboot sometimes
expect_err "  it names the values" "auto, always or never"
expect_fail 2 "--max-failed-nodes x: refused" wp cluster update --max-failed-nodes x
expect_fail 2 "--max-failed-nodes -1: refused" wp cluster update --max-failed-nodes -1
expect_fail 2 "--node-timeout 0: refused" wp cluster update --node-timeout 0
expect_fail 2 "--command '': refused" wp cluster update --command ''
expect_fail 2 "an argument: refused" wp cluster update n1
expect_fail 2 "--retries 11: refused" wp cluster update --retries 11
expect_fail 2 "--pre-hook '': refused" wp cluster update --pre-hook ''
expect_fail 2 "--post-hook '': refused" wp cluster update --post-hook ''
expect_fail 4 "one node: the run is refused" wp cluster update --command /bin/true
expect_err "  no other node" "no other node is up to take the groups"
expect_fail 4 "one node: --plan is refused too" wp cluster update --plan
expect_fail 3 "--abort with no run in progress: refused" wp cluster update --abort
expect_err "  none in progress" "no OS update is in progress"
expect_fail 2 "--report with --plan: refused" wp cluster update --report --plan
expect_err "  it says why" "--report takes no other option"
expect_fail 3 "--report with no run ever: refused" wp cluster update --report
expect_err "  none" "no OS update report"
check "status --json has no os_update without a run" \
    sh -c "'$WOLFPACK' --socket '$SOCK' status --json | jq -e 'has(\"os_update\") | not' >/dev/null"
no_run() {
    "$WPCALL" "$SOCK" '{"op":"app.op.show","args":{"name":"os-update"}}' | jq -e '.result == null' &&
        "$WPCALL" "$SOCK" '{"op":"app.lock.show"}' | jq -e '.result == null'
}
check "no run recorded, the lock free" no_run
stop_daemon
finish
