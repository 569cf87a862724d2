#!/bin/bash
# test_report.sh -- `wolfpack report`: this node's diagnostics in one
# tar.gz (libarchive) against a real wolfpackd --solo: the daemon's status,
# configuration (as `cluster export`) and history, the agents' log, the
# incident files since --since (an older one left out); without a daemon
# the report is still written, errors.txt naming what was not gathered; never the database file; an existing --to is
# refused and kept; a bad --since is a usage error.
. "$(dirname "$0")/lib.sh"
start_daemon

expect_ok "create group rg" wp group create rg
expect_ok "a service in rg" wp resource create rg-svc --group rg --type service --prop user=root \
    --prop "command=/bin/sleep 9$$"
mkdir -p "$STATE/incidents"
echo '{"old": true}' >"$STATE/incidents/1000000000000-v1.json"
echo '{"new": true}' >"$STATE/incidents/$(date +%s)000-v9.json"
: >>"$STATE/agents.log"

r=$TMP/r.tar.gz
expect_ok "report --since 1h" wp report --since 1h --to "$r" --state-dir "$STATE"
expect_out "it says where" "^Report of .* written to $r "
tar tzf "$r" >"$TMP/list"
top=$(head -1 "$TMP/list" | cut -d/ -f1)
check "one top directory report-HOST" bash -c "[ \"\$(cut -d/ -f1 '$TMP/list' | sort -u)\" = '$top' ] && [[ '$top' == report-* ]]"
for m in status.json export.json history.json agents.log errors.txt journal.txt quorum.txt; do
    check "the archive holds $m" grep -qx "$top/$m" "$TMP/list"
done
check "the incident since then" grep -q "^$top/incidents/[0-9]*-v9.json$" "$TMP/list"
check "not the older incident" bash -c "! grep -q 'incidents/1000000000000-v1.json' '$TMP/list'"
check "never the database file" bash -c "! grep -q 'cluster.db' '$TMP/list'"
check "export.json is the configuration with group rg" bash -c \
    "tar xzOf '$r' '$top/export.json' | jq -e '.format == \"wolfpack-export-1\" and any(.groups[]; .name == \"rg\")'"
check "history.json holds the changes" bash -c \
    "tar xzOf '$r' '$top/history.json' | jq -e 'any(.[]; .op == \"resource.create\")'"
expect_ok "report without a daemon: still written" \
    "$WOLFPACK" --socket "$TMP/none.sock" report --to "$TMP/r3.tar.gz" --state-dir "$STATE"
check "its errors.txt names what the daemon would have given" bash -c \
    "tar xzOf '$TMP/r3.tar.gz' '$top/errors.txt' | grep -q '^status.json: cannot reach wolfpackd'"
size=$(stat -c %s "$r")
expect_fail 7 "an existing --to is refused" wp report --to "$r" --state-dir "$STATE"
check "and left as it was" [ "$(stat -c %s "$r")" = "$size" ]
expect_fail 2 "a bad --since" wp report --since soon --to "$TMP/r2.tar.gz"
check "no archive for a usage error" [ ! -e "$TMP/r2.tar.gz" ]
finish
