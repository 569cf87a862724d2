#!/bin/bash
# test_fence.sh -- fence devices through the CLI and a solo wolfpackd, with
# a fake fence agent (written below) that prints metadata like the
# fence-agents do and records what it reads on stdin: a device is stored
# only when its parameters pass the agent's metadata (unknown, missing
# required, bad select value, unknown node, agent not installed: refused,
# nothing changed); `fence show/list` never show the password, nor does
# the daemon's log, nor a failure's message; `fence test` runs monitor and
# then status of each node with key=value lines on stdin; a failing agent
# and one past its timeout are reported, each run in the change history
# with who asked (fence.record), "root (web)" when asked "as" root (the
# console's road); `node fence` of the node itself
# and `node confirm-down` of a member are refused; status carries the
# (empty) fencing records.
. "$(dirname "$0")/lib.sh"

AGENTS=$TMP/agents
mkdir -p "$AGENTS"
cat >"$AGENTS/fence_fake" <<'EOF'
#!/bin/sh
# a fake fence agent: metadata like fence-agents, stdin recorded
here=$(dirname "$0")
if [ "${1:-}" = "-o" ] && [ "${2:-}" = metadata ]; then
    cat <<'XML'
<?xml version="1.0" ?>
<resource-agent name="fence_fake" shortdesc="fake" >
<longdesc>fake</longdesc><vendor-url></vendor-url>
<parameters>
	<parameter name="action" unique="0" required="1"><content type="string" default="reboot" /></parameter>
	<parameter name="ip" unique="0" required="1" obsoletes="ipaddr"><content type="string" /></parameter>
	<parameter name="ipaddr" unique="0" required="1" deprecated="1"><content type="string" /></parameter>
	<parameter name="mode" unique="0" required="0"><content type="select" default="ok"><option value="ok" /><option value="fail" /><option value="slow" /></content></parameter>
	<parameter name="password" unique="0" required="0"><content type="string" /></parameter>
	<parameter name="plug" unique="0" required="1" obsoletes="port"><content type="string" /></parameter>
	<parameter name="port" unique="0" required="1" deprecated="1"><content type="string" /></parameter>
</parameters>
<actions><action name="on" automatic="0"/><action name="off" /><action name="status" /><action name="monitor" /><action name="metadata" /></actions>
</resource-agent>
XML
    exit 0
fi
input=$(cat)
printf '%s\n--\n' "$input" >>"$here/stdin.log"
mode=$(printf '%s\n' "$input" | sed -n 's/^mode=//p')
pw=$(printf '%s\n' "$input" | sed -n 's/^password=//p')
case $mode in
fail) echo "Failed: login with password $pw rejected"; exit 1 ;;
slow) sleep 30 ;;
esac
case $(printf '%s\n' "$input" | sed -n 's/^action=//p') in
status) echo "Status: ON" ;;
*) echo "Success: done" ;;
esac
exit 0
EOF
chmod +x "$AGENTS/fence_fake"
export WOLFPACK_FENCE_PATH=$AGENTS
start_daemon

# -- refusals ----------------------------------------------------------------
expect_fail 2 "create without --agent" wp fence create d1 --nodes n1
expect_fail 2 "create without --nodes" wp fence create d1 --agent fence_fake
expect_fail 3 "an agent that is not installed" wp fence create d1 --agent fence_nothere \
    --prop ip=a --nodes n1
expect_err "not installed: says where it looked" "no executable fence_nothere in $AGENTS"
expect_err "not installed: what to install" "apt-get install fence-agents"
expect_fail 2 "a bad agent name" wp fence create d1 --agent /bin/sh --nodes n1
expect_fail 2 "an unknown parameter" wp fence create d1 --agent fence_fake --prop ip=a \
    --prop colour=red --nodes n1
expect_err "unknown: names it and what the agent takes" "unknown parameter 'colour'.*"
expect_err "unknown: lists the parameters" "it takes: .*mode.*password"
expect_fail 2 "a required parameter missing" wp fence create d1 --agent fence_fake --nodes n1
expect_err "missing: names it" "needs parameter 'ip'"
expect_err "missing: says what to do" "add --prop ip=VALUE"
expect_fail 2 "a select value not offered" wp fence create d1 --agent fence_fake --prop ip=a \
    --prop mode=maybe --nodes n1
expect_err "select: lists the choices" "ok, fail, slow"
expect_fail 2 "plug as a property" wp fence create d1 --agent fence_fake --prop ip=a \
    --prop port=3 --nodes n1
expect_fail 3 "an unknown node" wp fence create d1 --agent fence_fake --prop ip=a --nodes n7
expect_fail 2 "level 0" wp fence create d1 --agent fence_fake --prop ip=a --nodes n1 --level 0
expect_fail 2 "an empty plug" wp fence create d1 --agent fence_fake --prop ip=a --nodes n1=

# -- a device ----------------------------------------------------------------
expect_ok "create a device (deprecated ipaddr satisfies ip)" wp fence create pdu \
    --agent fence_fake --prop ipaddr=198.51.100.7 --prop password=hunter2 --nodes n1=outlet-3
expect_out "create: acknowledged" "Fence device pdu created"
expect_fail 4 "the same name again (case-insensitive)" wp fence create PDU --agent fence_fake \
    --prop ip=a --nodes n1
expect_ok "fence list" wp fence list
expect_out "list: the device, its agent and plug" "pdu +fence_fake +1 +n1=outlet-3"
expect_ok "fence show" wp fence show pdu
expect_out "show: the address" "ipaddr: +198.51.100.7"
expect_out "show: the password is hidden" "password: +\(hidden\)"
check "show: the password itself is not there" bash -c "! grep -q hunter2 '$OUT'"
expect_ok "fence show --json" wp --json fence show pdu
check "show --json: hidden" bash -c "jq -e '.props.password == \"(hidden)\"' '$OUT'"
expect_ok "fence list --json" wp --json fence list
check "list --json: hidden" bash -c "! grep -q hunter2 '$OUT'"
expect_ok "history --json" wp --json history
check "history: fence create recorded with its author, without the password" bash -c \
    "jq -e '[.[] | select(.op == \"fence.create\")] | last | .user == \"root\" and .args.name == \"pdu\"' '$OUT' &&
     ! grep -q hunter2 '$OUT'"

: >"$AGENTS/stdin.log"
expect_ok "fence test" wp fence test pdu
expect_out "test: monitor, then status of the node" "monitor: exit 0.*"
expect_out "test: status of n1" "status n1: exit 0, Status: ON"
check "test: the agent read key=value lines on stdin (monitor)" \
    grep -qx "action=monitor" "$AGENTS/stdin.log"
want=$(printf 'action=status\nplug=outlet-3\nipaddr=198.51.100.7\npassword=hunter2\n--')
check "test: status with the plug, the properties in key order, the password" \
    bash -c "grep -A4 -x 'action=status' '$AGENTS/stdin.log' | head -5 | diff - <(printf '%s\n' \"\$1\")" \
    _ "$want"

expect_ok "a failing device" wp fence create bad --agent fence_fake --prop ip=a \
    --prop mode=fail --prop password=hunter2 --nodes n1
rc=$(_status_of wp fence test bad) # a run that failed: in the history, so not expect_fail
check "fence test of a failing device: exit 6 with a message" bash -c "[ $rc = 6 ] && [ -s '$ERR' ]"
expect_err "test failure: the agent's message" "Failed: login with password"
expect_err "test failure: the password masked" "password \(hidden\) rejected"
check "test failure: the password is not shown" bash -c "! grep -q hunter2 '$ERR'"
expect_ok "a device past its timeout" wp fence create slow --agent fence_fake --prop ip=a \
    --prop mode=slow --nodes n1 --timeout 1
rc=$(_status_of wp fence test slow) # a run that failed: in the history, so not expect_fail
check "fence test of a slow device: exit 6 with a message" bash -c "[ $rc = 6 ] && [ -s '$ERR' ]"
expect_err "slow: timed out" "timed out"

expect_ok "history --json after the tests" wp --json history
check "history: each fence test run recorded (fence.record) with its author and result" bash -c \
    "jq -e '[.[] | select(.op == \"fence.record\") | .args | select(.op == \"fence.test\")] |
        (map(select(.name == \"pdu\" and .ok == true)) | length) == 1 and
        (map(select(.name == \"bad\" and .ok == false and (.result | test(\"Failed\")))) | length) == 1' '$OUT' &&
     jq -e '[.[] | select(.op == \"fence.record\")] | all(.user == \"root\")' '$OUT'"
check "history: no password in the recorded runs" bash -c "! grep -q hunter2 '$OUT'"
if [ -n "${WPCALL:-}" ]; then # the console's road: "as" a user (docs/WEB.md)
    "$WPCALL" --timeout 20 "$SOCK" '{"op": "fence.test", "args": {"name": "pdu"}, "as": "root"}' \
        >"$OUT" 2>"$ERR"
    expect_ok "history --json after a fence test \"as\" root" wp --json history
    check "history: the run asked through the console is by \"root (web)\"" jq -e \
        '[.[] | select(.op == "fence.record")] | last | .user == "root (web)" and .args.name == "pdu"' "$OUT"
fi

expect_fail 4 "node fence of the node itself" wp node fence n1
expect_err "self: what to do" "on another node"
expect_fail 3 "node fence of an unknown node" wp node fence n9
expect_fail 3 "fence test of an unknown device" wp fence test nosuch
expect_fail 4 "node confirm-down of a member" wp node confirm-down n1
expect_err "confirm-down: the warning comes first" "WARNING"
expect_err "confirm-down of a member: why" "n1 is up"
expect_fail 3 "node confirm-down of an unknown node" wp node confirm-down n9
expect_ok "status --json" wp --json status
check "status --json: no fencing under way, no proof, no watchdog, no pill; fencing on" \
    jq -e '.fencing == {"fencing": {}, "down": {}, "watchdog": {}, "poison": {}, "enabled": true}' "$OUT"
expect_ok "cluster fencing off" wp cluster fencing off
expect_err "cluster fencing off: a loud warning" "WARNING: with fencing off"
expect_ok "status after fencing off" wp status
expect_out "status: the FENCING IS OFF banner" "FENCING IS OFF"
expect_ok "status --json after fencing off" wp --json status
check "status --json: fencing.enabled false" jq -e '.fencing.enabled == false' "$OUT"
expect_fail 2 "cluster fencing maybe" wp cluster fencing maybe
expect_err "cluster fencing maybe: the refusal says on or off" "expected on or off, got .maybe."
expect_ok "cluster fencing on" wp cluster fencing on
expect_ok "status after fencing on" wp status
check "status: no banner once on" bash -c "! grep -q 'FENCING IS OFF' '$OUT'"

expect_ok "fence delete" wp fence delete pdu
expect_fail 3 "fence delete again" wp fence delete pdu
expect_ok "fence list after delete" wp fence list
check "list: pdu gone" bash -c "! grep -q '^pdu ' '$OUT'"

check "the daemon's log never shows the password" bash -c "! grep -q hunter2 '$DLOG'"
stop_daemon
finish
