#!/bin/bash
# test_safe_edits.sh -- edits of running resources and the policies that
# place groups against each other, against a real wolfpackd --solo:
# `resource delete` of a running service stops it first (its process is
# gone); a resource added to a running group comes in Offline and does not
# start until `resource online`, and when it keeps failing it is left
# Failed without failing the group over (its healthy siblings keep
# running); `resource online R` in an offline group
# brings R and what it depends on online, not the rest of the group;
# `resource set` of a property on a running resource says when it takes
# effect, and --restart restarts it with the new value; the group policies
# anti_affinity, colocate_with, start_after and retry_period and the
# resource policies restart_delay and the operation timeouts are stored
# normalised, bad values refused.
. "$(dirname "$0")/lib.sh"
start_daemon

json() { wp --json "$@"; }
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
target_of() { json resource show "$1" && jq -r .target "$OUT"; }
runs() { pgrep -f -x "$1" >/dev/null; }
stopped() { ! runs "$1"; }

A="/bin/sleep 8$$1"
B="/bin/sleep 8$$2"
C="/bin/sleep 8$$3"
C2="/bin/sleep 8$$4"

# --- a resource added to a running group comes in Offline -----------------------
expect_ok "create group se" wp group create se
expect_ok "a service" wp resource create se-a --group se --type service --prop user=root --prop "command=$A"
expect_ok "group online se" wp group online se
check "se-a runs" until_true 30 is_state se-a Online
expect_ok "add a resource to the running group" wp resource create se-b --group se \
    --type service --prop user=root --prop "command=$B" --depends-on se-a
check "it comes in with target offline" test "$(target_of se-b)" = offline
sleep 1
check "... and does not start by itself" is_state se-b Offline
check "its program does not run" stopped "$B"
expect_ok "resource online se-b" wp resource online se-b
check "now it runs" until_true 30 is_state se-b Online

# --- a new resource that keeps failing does not take its siblings down -----------
expect_ok "add a broken resource to the running group" wp resource create se-bad --group se \
    --type service --prop user=root --prop "command=/bin/sh -c 'exit 1'" --policy quick_check_interval=1
expect_ok "resource online se-bad" wp resource online se-bad
restarts_used() { json resource show se-bad && jq -e '.state == "Failed" and
    (.restarts | length) == 3' "$OUT"; }
check "se-bad fails past its restarts" until_true 60 restarts_used
sleep 2 # two scheduler ticks
check "se-bad is left Failed" is_state se-bad Failed
check "se-a keeps running (no failover, group not left failed)" is_state se-a Online
check "se-a's program still runs" runs "$A"
expect_ok "delete se-bad" wp resource delete se-bad

# --- resource set on a running resource ------------------------------------------
expect_ok "change a property of a running resource" wp resource set se-b --prop "command=$C"
expect_err "says when it takes effect" 'next start.*--restart'
check "the old program still runs" runs "$B"
expect_ok "a policy change" wp resource set se-b --policy restart_delay=5s
expect_ok "show se-b" json resource show se-b
check "restart_delay stored in seconds" jq -e '.policy.restart_delay == "5"' "$OUT"
expect_ok "--restart" wp resource set se-b --restart
check "it runs again" until_true 30 is_state se-b Online
check "with the new program" until_true 10 runs "$C"
check "the old one is gone" stopped "$B"
check "se-a was not touched" runs "$A"

# --- resource delete of a running resource stops it first ------------------------
expect_ok "delete the running se-b" wp resource delete se-b
expect_err "it said it stops it first" 'Stopping resource se-b'
check "its program no longer runs" stopped "$C"
expect_fail 3 "se-b is gone" wp resource show se-b
check "se-a still runs" is_state se-a Online

# --- resource online R: R and what it depends on, not the group ------------------
expect_ok "group offline se" wp group offline se
check "se-a stops" until_true 30 is_state se-a Offline
expect_ok "se-c depends on se-a" wp resource create se-c --group se --type service --prop user=root \
    --prop "command=$C2" --depends-on se-a
expect_ok "se-d (independent)" wp resource create se-d --group se --type service --prop user=root \
    --prop "command=/bin/sleep 8$$5"
expect_ok "resource online se-c" wp resource online se-c
check "se-c runs" until_true 30 is_state se-c Online
check "se-a (below it) runs" is_state se-a Online
check "se-d stays offline" is_state se-d Offline
check "se-d's target is offline" test "$(target_of se-d)" = offline
expect_ok "group online se brings the rest" wp group online se
check "se-d runs" until_true 30 is_state se-d Online
expect_ok "group offline se" wp group offline se
check "all stopped" until_true 30 is_state se-a Offline

# --- placement and failure policies ----------------------------------------------
expect_ok "anti-affinity classes" wp group create sa --policy "anti_affinity=sql, big"
expect_ok "colocation and start order" wp group create sb --policy colocate_with=sa \
    --policy start_after=sa --policy retry_period=1h
expect_ok "show sa" json group show sa
check "classes normalised" jq -e '.policy.anti_affinity == "sql,big"' "$OUT"
expect_ok "show sb" json group show sb
check "colocate_with, start_after, retry_period stored" jq -e '.policy.colocate_with == "sa" and
    .policy.start_after == "sa" and .policy.retry_period == "3600"' "$OUT"
expect_fail 2 "a class twice" wp group set sa --policy anti_affinity=sql,sql
expect_fail 2 "a bad class name" wp group set sa --policy "anti_affinity=a b"
expect_fail 2 "a bad group name" wp group set sb --policy colocate_with=bad/name
expect_fail 2 "a negative retry period" wp group set sb --policy retry_period=-1
expect_ok "operation timeouts" wp resource create st --group sa --type service --prop user=root \
    --prop command=/bin/true --policy start_timeout=2m --policy stop_timeout=30s \
    --policy check_timeout=10s
expect_ok "show st" json resource show st
check "timeouts in seconds" jq -e '.policy.start_timeout == "120" and
    .policy.stop_timeout == "30" and .policy.check_timeout == "10"' "$OUT"
expect_fail 2 "a timeout beyond a day" wp resource set st --policy start_timeout=25h

expect_fail 2 "a restart delay beyond an hour" wp resource set st --policy restart_delay=2h

# a check slower than its check_timeout fails the resource (the pending
# timeout, 180 s, would have let it pass)
expect_ok "group tmo" wp group create tmo
expect_ok "a service whose check takes 3 s, check_timeout 1 s" wp resource create tmo-svc \
    --group tmo --type service --prop user=root --prop "command=/bin/sleep 8$$6" \
    --prop "check_command=/bin/sleep 3" --policy quick_check_interval=1 \
    --policy thorough_check_interval=1 --policy check_timeout=1 --policy restart_action=none
expect_ok "group online tmo" wp group online tmo
check "the check times out: tmo-svc Failed" until_true 30 is_state tmo-svc Failed
expect_ok "show tmo-svc" json resource show tmo-svc
check "its error says the check timed out" jq -e '.last_error | test("time")' "$OUT"
expect_ok "group offline tmo" wp group offline tmo

finish
