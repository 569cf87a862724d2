#!/bin/bash
# test_cluster_update.sh -- `wolfpack cluster update` (issue 19) against a
# real wolfpackd --solo: its bad options refused (exit 2) and, on a
# one-node cluster, the run and --plan refused (no other node to take the
# groups), --abort with no run in progress refused, --report with no run
# ever refused (and with another option: exit 2), `status` without a run
# shows none, each with the
# database version unchanged and no run or lock left behind; `status
# --watch` follows a run (its state written here as the run writes it): a
# line when it starts, when its node's step changes, when it ends.  The update
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

# status --watch follows a run: the run's own records, written as it writes them
call() { "$WPCALL" "$SOCK" "$1" >/dev/null; }
run_state() { # run_state [STEP]: the run's state on node n1, after STEP
    call "{\"op\":\"app.op\",\"args\":{\"name\":\"os-update\",\"state\":{\"nodes\":[\"n1\"],
        \"index\":0,\"node\":\"n1\",\"holder\":\"n1:4242\",\"failed\":{}${1:+,\"step\":\"$1\"}}}}"
}
watched() { # watched REGEX: a line of the watch's output matches, within 10 s
    for _ in $(seq 1 100); do
        grep -Eq -- "$1" "$TMP/watch" && return 0
        sleep 0.1
    done
    return 1
}
"$WOLFPACK" --socket "$SOCK" status --watch >"$TMP/watch" 2>&1 &
WATCH=$!
check "status --watch is watching" watched '^Events'
call "{\"op\":\"app.lock\",\"args\":{\"holder\":\"n1:4242\",\"op\":\"cluster update\",\"at\":$(date +%s)}}"
run_state
check "--watch: the run starts, its node and step" \
    watched ' n1 +OS update running on n1: node n1 \(1 of 1\): draining$'
run_state drain
check "--watch: the node's next step" watched ' n1 +OS update: node n1 \(1 of 1\): updating$'
call "{\"op\":\"app.op\",\"args\":{\"name\":\"os-update-report\",\"state\":{\"started_at\":1,
    \"finished_at\":$(date +%s),\"result\":\"done\",\"nodes\":[{\"node\":\"n1\",\"result\":\"updated\"}],
    \"failed\":{}}}}"
call '{"op":"app.op","args":{"name":"os-update"}}'
call '{"op":"app.unlock","args":{"holder":"n1:4242"}}'
check "--watch: the run ends, with its result" \
    watched 'OS update ended: done: 1 updated, 0 failed, 0 not updated'
kill "$WATCH" 2>/dev/null
wait "$WATCH" 2>/dev/null
call '{"op":"app.op","args":{"name":"os-update-report"}}'
check "no run recorded, the lock free" no_run
stop_daemon
finish
