#!/bin/bash
# test_failures.sh -- failures as the operator sees and handles them,
# against a real wolfpackd --solo: a service whose program is not installed
# fails once and is left Failed (no restart loop: one failure, no restart);
# `resource show` and `status` show the failure count per node; after the
# program is corrected, `resource cleanup` forgets the failures and the
# service runs; with restart_action none and a failure_timeout, a failed
# resource is left Failed until its failures expire and is then restarted;
# bad failure_timeout values are refused.
. "$(dirname "$0")/lib.sh"
start_daemon

json() { wp --json "$@"; }
SVC_CMD="/bin/sleep 9$$"

until_true() { # until_true SECONDS CMD...: poll every 0.2 s
    local n=$(($1 * 5))
    shift
    for _ in $(seq 1 "$n"); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}
state_of() { json resource show "$1" && jq -r .state "$OUT"; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
# settle: the database version stays the same for 1 s (bounded: 30 s)
settle() {
    local last now same=0
    last=$(version_of)
    for _ in $(seq 1 120); do
        sleep 0.25
        now=$(version_of)
        if [ "$now" = "$last" ]; then
            same=$((same + 1))
            [ "$same" -ge 4 ] && return 0
        else
            same=0
            last=$now
        fi
    done
}

# --- an error retrying cannot mend ----------------------------------------------
expect_ok "create group fweb" wp group create fweb
expect_ok "a service whose program is not installed" wp resource create fweb-svc \
    --group fweb --type service --prop user=root --prop "command=/nonexistent/wp-prog-$$"
expect_ok "group online fweb" wp group online fweb
check "fweb-svc fails" until_true 30 is_state fweb-svc Failed
settle
expect_ok "resource show --json" json resource show fweb-svc
check "the error says it is not installed" jq -e '.last_error | test("not installed")' "$OUT"
check "no restart loop: one failure on n1, no restart" \
    jq -e '.failures == {"n1": 1} and .restarts == [] and .state == "Failed"' "$OUT"
expect_ok "group show --json" json group show fweb
check "the group is Failed" jq -e '.state == "Failed"' "$OUT"
expect_ok "resource show" wp resource show fweb-svc
expect_out "show prints the failure count per node" '^ *failures: +n1: 1'
expect_ok "status" wp status
expect_out "status lists the failures per resource and node" '^  fweb-svc +n1 +1 +the command program .*not installed'

# the operator's online is a retry (as in Windows), even of such an error
expect_ok "group online fweb (retry)" wp group online fweb
settle
expect_ok "resource show --json" json resource show fweb-svc
check "retried once: one restart, failed again, one failure on record" \
    jq -e '.restarts | length == 1' "$OUT"
check "... and left Failed again, not installed" \
    jq -e '.state == "Failed" and (.last_error | test("not installed")) and .failures == {"n1": 1}' "$OUT"

expect_ok "correct the program" wp resource set fweb-svc --prop "command=$SVC_CMD"
expect_ok "resource cleanup fweb-svc" wp resource cleanup fweb-svc
check "after cleanup the service runs" until_true 30 is_state fweb-svc Online
expect_ok "resource show --json" json resource show fweb-svc
check "after cleanup: no failures" jq -e '.failures == {} and .last_error == null' "$OUT"
expect_ok "resource show" wp resource show fweb-svc
expect_out "show prints failures: none" '^ *failures: +none'

# --- failure_timeout ---------------------------------------------------------------
expect_ok "restart_action none, failures forgotten after 2 s" \
    wp resource set fweb-svc --policy restart_action=none --policy failure_timeout=2s
expect_ok "resource show --json" json resource show fweb-svc
check "failure_timeout stored in seconds" jq -e '.policy.failure_timeout == "2"' "$OUT"
pid=$(pgrep -f -x "$SVC_CMD" | head -1)
check "the service's process is found" [ -n "$pid" ]
kill -KILL "${pid:-0}" 2>/dev/null
check "killed, it is reported Failed" until_true 30 is_state fweb-svc Failed
check "its failures expire and it is restarted" until_true 60 is_state fweb-svc Online
expect_ok "resource show --json" json resource show fweb-svc
check "one restart recorded, one failure on n1" \
    jq -e '(.restarts | length) == 1 and .failures == {"n1": 1}' "$OUT"

expect_fail 2 "failure_timeout -1 refused" wp resource set fweb-svc --policy failure_timeout=-1
expect_err "the refusal names the policy" "failure_timeout"
expect_fail 2 "failure_timeout beyond 7 days refused" \
    wp resource set fweb-svc --policy failure_timeout=200h

expect_ok "group offline fweb (tidy up)" wp group offline fweb
check "fweb-svc stops" until_true 30 is_state fweb-svc Offline
finish
