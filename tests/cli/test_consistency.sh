#!/bin/bash
# test_consistency.sh -- what issue #15 found surprising, against a real
# wolfpackd --solo: `status --json` includes the resources (as `resource
# list --json`); `node list` and `node show` say Up or Down as `status`
# does (STATE column, state field, also in --json).
. "$(dirname "$0")/lib.sh"
start_daemon

expect_ok "create group cg" wp group create cg
expect_ok "a service in cg" wp resource create cg-svc --group cg --type service --prop user=root \
    --prop "command=/bin/sleep 5$$"
expect_ok "status --json" wp --json status
cp "$OUT" "$TMP/status.json"
expect_ok "resource list --json" wp --json resource list
check "status --json includes the resources, as resource list --json has them" \
    bash -c "[ \"\$(jq -S .resources '$TMP/status.json')\" = \"\$(jq -S . '$OUT')\" ] &&
             jq -e '.resources | length == 1' '$TMP/status.json'"
expect_ok "node list" wp node list
expect_out "a STATE column, as status has" '^NODE +ID +ADDRESS +STATE +PAUSED +DRAINED$'
expect_out "n1 is Up" '^n1 +1 +127\.0\.0\.1 +Up +no +no$'
expect_ok "node list --json" wp --json node list
check "--json: state Up" jq -e '.[0].state == "Up"' "$OUT"
expect_ok "node show n1" wp node show n1
expect_out "state: Up" '^  state: +Up$'
expect_ok "node show n1 --json" wp --json node show n1
check "--json: state Up" jq -e '.state == "Up" and .name == "n1"' "$OUT"
expect_fail 3 "node show of an unknown node" wp node show n9
finish
