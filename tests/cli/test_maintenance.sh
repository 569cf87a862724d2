#!/bin/bash
# test_maintenance.sh -- the operator's maintenance tools against a real
# wolfpackd --solo: `cluster maintenance on|off` (status says so at the top;
# a killed service is neither noticed nor restarted while it is on; leaving
# it, the node probes and the cluster starts it again), `resource
# unmanage|manage` and `group unmanage|manage` (a failure of an unmanaged
# resource is not restarted until it is managed again), `resource cleanup`
# and `group cleanup` (failures forgotten, the resource runs again), and the
# refusals of bad input (the database version unchanged).
#
# The service runs /bin/sleep with a duration unique to this test run, so
# its PID is found with pgrep on that exact command line and killed by PID.
. "$(dirname "$0")/lib.sh"
start_daemon

json() { wp --json "$@"; }
SECS=7$$
SVC_CMD="/bin/sleep $SECS"

svc_pid() { pgrep -f -x "$SVC_CMD" | head -1; }
state_of() { json resource show "$1" && jq -r .state "$OUT"; }

# until_true SECONDS CMD...: poll CMD every 0.2 s, at most SECONDS.
until_true() {
    local n=$(($1 * 5))
    shift
    for _ in $(seq 1 "$n"); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}
is_state() { [ "$(state_of "$1")" = "$2" ]; }
svc_running() { [ -n "$(svc_pid)" ]; }
svc_gone() { [ -z "$(svc_pid)" ]; }

expect_ok "create group mweb" wp group create mweb
expect_ok "create a service in mweb (checked every second)" wp resource create mweb-svc \
    --group mweb --type service --prop user=root --prop "command=$SVC_CMD" --policy quick_check_interval=1
expect_ok "group online mweb" wp group online mweb
check "mweb-svc comes Online" until_true 30 is_state mweb-svc Online
check "its process runs" svc_running

# --- cluster maintenance --------------------------------------------------------
expect_ok "status --json" json status
check "status --json: maintenance false" jq -e '.maintenance == false' "$OUT"
expect_ok "cluster maintenance on" wp cluster maintenance on
expect_out "on: says what it means" 'maintenance mode ON .*resources keep running'
expect_ok "status" wp status
check "status: the first line is the maintenance banner" \
    grep -Eq '^\*\*\* MAINTENANCE MODE' <(head -1 "$OUT")
expect_out "status: the banner says how to leave" "wolfpack cluster maintenance off"
expect_ok "status --json" json status
check "status --json: maintenance true" jq -e '.maintenance == true' "$OUT"

pid=$(svc_pid)
kill -KILL "$pid" 2>/dev/null
check "the killed process is gone" until_true 10 svc_gone
# three check intervals: a monitor would have reported it, the cluster
# restarted it; in maintenance neither happens
sleep 3
check "maintenance: the killed service is not restarted" svc_gone
check "maintenance: no failure is reported (still Online in the database)" \
    is_state mweb-svc Online
expect_ok "group show --json" json group show mweb
check "maintenance: no move or stop was planned" jq -e '.owner == "n1"' "$OUT"

expect_fail 4 "maintenance: a move is refused (it would not happen)" wp group move mweb --to n1
expect_err "why: maintenance mode" "maintenance mode"
expect_ok "cluster maintenance off" wp cluster maintenance off
expect_out "off: says the nodes probe first" 'maintenance mode OFF .*probes'
check "leaving maintenance: the service runs again" until_true 30 svc_running
check "leaving maintenance: Online again" until_true 30 is_state mweb-svc Online
expect_ok "status" wp status
check "status: no banner once off" bash -c "! grep -q 'MAINTENANCE MODE' '$OUT'"

expect_fail 2 "maintenance without on/off" wp cluster maintenance
expect_fail 2 "maintenance maybe" wp cluster maintenance maybe
expect_err "the refusal says on or off" "on or off"
expect_ok "cluster maintenance --help" wp cluster maintenance --help
expect_out "help shows the usage" 'wolfpack cluster maintenance on/off'

# --- unmanaged resource -----------------------------------------------------------
expect_ok "resource unmanage mweb-svc" wp resource unmanage mweb-svc
expect_out "unmanage says what it means" 'Resource mweb-svc: unmanaged'
expect_ok "resource show --json" json resource show mweb-svc
check "policy managed is false" jq -e '.policy.managed == "false"' "$OUT"
expect_ok "status" wp status
expect_out "status notes the resource is unmanaged" 'mweb-svc .*unmanaged'
pid=$(svc_pid)
kill -KILL "$pid" 2>/dev/null
check "unmanaged: the monitor still reports the failure" until_true 30 is_state mweb-svc Failed
sleep 2
check "unmanaged: the failed service is not restarted" svc_gone
check "unmanaged: it stays Failed" is_state mweb-svc Failed
expect_ok "resource manage mweb-svc" wp resource manage mweb-svc
expect_out "manage says what it means" 'Resource mweb-svc: managed'
check "managed again: the cluster restarts it" until_true 30 is_state mweb-svc Online
check "managed again: its process runs" svc_running

# --- unmanaged group ----------------------------------------------------------------
expect_ok "group unmanage mweb" wp group unmanage mweb
expect_out "group unmanage says what it means" 'Group mweb: unmanaged'
expect_fail 4 "unmanaged group: a move is refused" wp group move mweb --to n1
expect_err "why: unmanaged" "unmanaged"
expect_ok "group offline mweb (recorded, not acted on)" wp group offline mweb
sleep 2
check "unmanaged group: nothing is stopped" svc_running
check "unmanaged group: still Online" is_state mweb-svc Online
expect_ok "group manage mweb" wp group manage mweb
check "managed group: the offline target is acted on" until_true 30 svc_gone
expect_ok "group online mweb" wp group online mweb
check "mweb-svc Online again" until_true 30 is_state mweb-svc Online

# --- cleanup ------------------------------------------------------------------------
expect_ok "restart_action none (a failure is left Failed)" \
    wp resource set mweb-svc --policy restart_action=none
expect_ok "resource fail mweb-svc" wp resource fail mweb-svc
check "left Failed" until_true 10 is_state mweb-svc Failed
expect_ok "resource show --json" json resource show mweb-svc
check "the failure is recorded" jq -e '.last_error != null' "$OUT"
expect_ok "resource cleanup mweb-svc" wp resource cleanup mweb-svc
expect_out "cleanup says what it did" 'Resource mweb-svc: failures forgotten'
check "after cleanup: Online again (probed or started)" until_true 30 is_state mweb-svc Online
expect_ok "resource show --json" json resource show mweb-svc
check "after cleanup: no last error, no restarts" \
    jq -e '.last_error == null and .restarts == []' "$OUT"
expect_ok "resource fail mweb-svc again" wp resource fail mweb-svc
check "left Failed again" until_true 10 is_state mweb-svc Failed
expect_ok "group cleanup mweb" wp group cleanup mweb
expect_out "group cleanup says what it did" 'Group mweb: failures forgotten'
check "after group cleanup: Online again" until_true 30 is_state mweb-svc Online
expect_ok "group show --json" json group show mweb
check "after group cleanup: no failovers" jq -e '.failovers == []' "$OUT"

expect_fail 3 "cleanup of an unknown resource" wp resource cleanup nosuch
expect_err "the refusal names it" "nosuch"
expect_fail 3 "cleanup of an unknown group" wp group cleanup nosuch
expect_fail 3 "unmanage an unknown resource" wp resource unmanage nosuch
expect_fail 3 "unmanage an unknown group" wp group unmanage nosuch
expect_fail 2 "cleanup without a name" wp resource cleanup
expect_fail 2 "unmanage with two names" wp group unmanage a b

expect_ok "group offline mweb (tidy up)" wp group offline mweb
check "the service is stopped at the end" until_true 30 svc_gone
finish
