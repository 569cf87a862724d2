#!/bin/bash
# test_report_all.sh -- `wolfpack report` gathers every node's part through
# the cluster (issue #15; node task report-part, src/cli/cmd_report.c) on a
# 3-node test cluster:
#   - run on n1 with n3 down: one archive with report-n1/ (this node's
#     whole part), report-n2/ (n2's status, its own wolfpackd.log -- a line
#     only n2's log holds -- and errors.txt), and MISSING.txt naming n3;
#     the command names n1 and n2 and warns that n3 is missing;
#   - the part did not stay in the cluster database (its task forgotten
#     once read), and the history does not hold it;
#   - --local: this node's part only.
# ~20 s.  Run as root: tests/integration/test_report_all.sh.  Own WPTC_DIR
# and WPTC_PREFIX; the cluster is torn down on any exit.

set -u -o pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test rep

"$TC" up 3 --no-dns --no-fence >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 3"
    finish
}
check "n1 is ready (quorate, synced)" wait_until 60 bash -c \
    "'$TC' exec n1 '$WOLFPACK' --json status | jq -e '.ready == true'"
check "n2 is ready" wait_until 60 bash -c \
    "'$TC' exec n2 '$WOLFPACK' --json status | jq -e '.ready == true'"
check "stop n3" "$TC" stop n3
check "n1 sees 2 members" "$TC" wait-view n1 n2 --members 2 --timeout 30
mark="only-in-n2-log-$$"
check "a line only n2's log holds" "$TC" exec n2 sh -c "echo '$mark' >>/var/log/wolfpack/wolfpackd.log"

A=$TMP/all.tar.gz
check "report on n1" wp n1 report --since 1h --to "$A"
check "  it names n1 and n2" grep -q "^Report of n1, n2 since [0-9]* written to $A" "$TMP/out"
check "  it warns that n3 is missing" grep -q "^warning: node n3: down" "$TMP/err"
tar tzf "$A" >"$TMP/list" 2>&1
check "the archive lists" [ -s "$TMP/list" ]
check "  report-n1/ (this node's whole part)" grep -qx "report-n1/export.json" "$TMP/list"
check "  report-n2/status.json" grep -qx "report-n2/status.json" "$TMP/list"
check "  report-n2/wolfpackd.log" grep -qx "report-n2/wolfpackd.log" "$TMP/list"
check "  report-n2/errors.txt" grep -qx "report-n2/errors.txt" "$TMP/list"
check "  no part of n3" bash -c "! grep -q '^report-n3/' '$TMP/list'"
check "n2's log is n2's own" bash -c "tar xzOf '$A' report-n2/wolfpackd.log | grep -q '$mark'"
check "  not n1's" bash -c "! tar xzOf '$A' report-n1/wolfpackd.log | grep -q '$mark'"
check "n2's status.json is JSON" bash -c "tar xzOf '$A' report-n2/status.json | jq -e . >/dev/null"
check "MISSING.txt names n3" bash -c "tar xzOf '$A' MISSING.txt | grep -q '^n3: down'"
check "the part was forgotten once read (app.task.forget in history --all)" bash -c \
    "'$TC' exec n1 '$WOLFPACK' --json history --all 2>/dev/null | jq -e '[.. | objects | select(.op? == \"app.task.forget\")] | length == 1' >/dev/null"
check "the history (--all) does not hold the part" bash -c \
    "! '$TC' exec n1 '$WOLFPACK' --json history --all 2>/dev/null | grep -q '$mark'"

L=$TMP/local.tar.gz
check "report --local on n1" wp n1 report --local --to "$L"
check "  this node's part only" bash -c \
    "[ \"\$(tar tzf '$L' | cut -d/ -f1 | sort -u)\" = report-n1 ]"
finish
