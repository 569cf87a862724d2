#!/bin/bash
# test_policy.sh -- group and resource policies: defaults shown, valid
# values set and normalised, --reset restores defaults, bad values and
# owner lists naming unknown nodes are refused without a change.
. "$(dirname "$0")/lib.sh"
start_daemon

# -- group policies ----------------------------------------------------------
expect_ok "group with no policy" wp group create plain
expect_ok "show defaults" wp group show plain --json
check "defaults follow Windows failover clustering" jq -e '.policy == {
    "preferred_owners": "", "possible_owners": "", "failback": "never",
    "failback_window": "", "failover_threshold": "auto", "failover_period": "21600",
    "managed": "true", "anti_affinity": "", "colocate_with": "", "start_after": "",
    "retry_period": "0"}' "$OUT"

expect_ok "group with policies" wp group create web --policy failback=immediate \
    --policy preferred_owners=n1 --policy failover_period=2h --policy failover_threshold=4
expect_ok "show web" wp group show web --json
check "failback set" jq -e '.policy.failback == "immediate"' "$OUT"
check "preferred owners set" jq -e '.policy.preferred_owners == "n1"' "$OUT"
check "2h normalised to seconds" jq -e '.policy.failover_period == "7200"' "$OUT"
check "threshold set" jq -e '.policy.failover_threshold == "4"' "$OUT"
check "unset keys keep defaults" jq -e '.policy.possible_owners == ""' "$OUT"

expect_ok "set a failback window" wp group set web --policy failback=window \
    --policy failback_window=22-06
expect_ok "show web" wp group show web --json
check "window set" jq -e '.policy.failback == "window" and .policy.failback_window == "22-06"' "$OUT"
expect_ok "reset failback and its window" wp group set web --reset failback --reset failback_window
expect_ok "show web" wp group show web --json
check "failback back to never" jq -e '.policy.failback == "never"' "$OUT"
check "other policies kept" jq -e '.policy.failover_period == "7200"' "$OUT"
expect_ok "group show (human) lists every policy" wp group show web
expect_out "human show lists failover_period" 'failover_period: +7200'

expect_fail 2 "failback=sometimes" wp group set web --policy failback=sometimes
expect_err "bad value explained with the allowed ones" 'never'
expect_fail 2 "failback=window without a window" wp group set web --policy failback=window
expect_fail 2 "failback window 25-03" wp group set web --policy failback_window=25-03
expect_fail 2 "threshold -1" wp group set web --policy failover_threshold=-1
expect_fail 2 "threshold 10001" wp group set web --policy failover_threshold=10001
expect_fail 2 "period 'soon'" wp group set web --policy failover_period=soon
expect_fail 2 "unknown group policy" wp group set web --policy colour=blue
expect_fail 2 "resource policy on a group" wp group set web --policy restart_threshold=3
expect_fail 2 "--reset of an unknown key" wp group set web --reset colour
expect_fail 2 "create with a bad policy" wp group create bad --policy failback=later
expect_fail 3 "set on a missing group" wp group set nosuch --policy failback=immediate

expect_fail 3 "preferred owner that is not a node" wp group set web \
    --policy preferred_owners=n1,ghost
expect_err "unknown node named" 'ghost'
expect_fail 3 "possible owner that is not a node" wp group set plain --policy possible_owners=ghost
expect_fail 3 "create with an unknown owner" wp group create bad --policy preferred_owners=ghost
expect_fail 2 "owner list naming a node twice" wp group set web --policy preferred_owners=n1,n1
expect_ok "possible owners = n1" wp group set web --policy possible_owners=n1

# -- resource policies -------------------------------------------------------
expect_ok "resource with defaults" wp resource create r1 --group web --type service \
    --prop user=root --prop command=/bin/true
expect_ok "show r1" wp resource show r1 --json
check "resource defaults" jq -e '.policy == {"restart_action": "failover",
    "restart_threshold": "3", "restart_period": "900", "quick_check_interval": "5",
    "thorough_check_interval": "60", "pending_timeout": "180", "managed": "true",
    "failure_timeout": "0", "restart_delay": "0", "start_timeout": "0", "stop_timeout": "0",
    "check_timeout": "0"}' "$OUT"
expect_ok "resource with policies" wp resource create r2 --group web --type service \
    --prop user=root --prop command=/bin/true --policy restart_action=restart --policy restart_period=30m
expect_ok "show r2" wp resource show r2 --json
check "restart_action set" jq -e '.policy.restart_action == "restart"' "$OUT"
check "30m normalised" jq -e '.policy.restart_period == "1800"' "$OUT"
expect_ok "set policies" wp resource set r2 --policy restart_threshold=7 \
    --policy pending_timeout=5m --reset-policy restart_action
expect_ok "show r2" wp resource show r2 --json
check "threshold 7, timeout 300, action reset" jq -e '.policy.restart_threshold == "7" and
    .policy.pending_timeout == "300" and .policy.restart_action == "failover"' "$OUT"

expect_fail 2 "restart_action=explode" wp resource set r2 --policy restart_action=explode
expect_fail 2 "restart_threshold=abc" wp resource set r2 --policy restart_threshold=abc
expect_fail 2 "quick_check_interval=0" wp resource set r2 --policy quick_check_interval=0
expect_fail 2 "pending_timeout beyond a day" wp resource set r2 --policy pending_timeout=25h
expect_fail 2 "unknown resource policy" wp resource set r2 --policy failback=never
expect_fail 2 "create with a bad policy" wp resource create r3 --group web --type service \
    --prop user=root --prop command=/bin/true --policy restart_threshold=-2
expect_fail 3 "policy on a missing resource" wp resource set nosuch --policy restart_threshold=1

finish
