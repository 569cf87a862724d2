#!/bin/bash
# tests/integration/test_membership.sh -- runtime cluster membership:
# `wolfpack node add` / `node remove`, wolfpackd's rewrite of corosync.conf
# and corosync's reload (src/daemon/nodeconf.c, docs/REPLICATION.md
# "Changing membership"), on a real test cluster (tools/testcluster).
#
#   1. 3 nodes, a group with a running Generic Service and an idle group.
#   2. bad input: node add with a duplicate name / address / id, a bad
#      address: refused, the database version unchanged on every node, no
#      corosync.conf touched.
#   3. `node add n4=...` on n2: every node's corosync.conf lists n4, and
#      corosync-quorumtool on n1 shows 4 expected votes (3 present: quorate).
#   4. `testcluster add-node n4`: n4 joins and catches up (same version and
#      checksum on all 4).
#   5. kill n3 and n4: 2 of 4 votes is no quorum; a change on n1 is refused
#      with the quorum error (exit 5). Start them again: 4 nodes match.
#      Then, with n3 down, `node add n5` (never started): n3, started again,
#      gets n5 into its corosync.conf from its own wolfpackd (5 expected
#      votes); `node remove n5` takes it out of every file again.
#   6. remove n4 while it runs: refused (exit 4). Stop n4, `node remove n4`
#      on n1: no node's corosync.conf lists it, 3 expected votes, n4 not put
#      back from corosync's nodelist; `testcluster remove-node n4`.
#      6b. n4 added and started again, then `node remove n4 --force` while
#      it runs: n1..n3 drop it (3 members, 3 expected votes); n4's wolfpackd
#      leaves its own corosync.conf alone and logs why.
#   7. kill n3: n1 and n2 keep quorum (2 of 3) and accept a change.
#
# Needs root.  BUILD selects the build (default build).  The cluster lives in
# its own state directory and name prefix and is torn down on every exit.
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
WPLOAD=${WPLOAD:-$REPO/${BUILD:-build}/tests/tools/wpload}
# ok, bad, finish; TC, TMP, the cluster's own WPTC_DIR/PREFIX, clean-up
. "$REPO/tests/integration/lib/checks.sh"
cluster_test mt
# version, checksum, synced, wait_ready, wait_match, describe
. "$REPO/tests/integration/lib/repl.sh"
export WOLFPACK_CHECK_INTERVAL_MS=2000
N4_ADDR=198.51.100.14

check_detail() { # check_detail DESC CMD...: on a failure, $DETAIL (set just before) under it
    local desc=$1
    shift
    if "$@"; then ok "$desc"; else bad "$desc" "${DETAIL:-}"; fi
    DETAIL=
}

jqf() { jq -e "$1" "$2" >/dev/null 2>&1; } # jqf FILTER FILE: the filter holds

wp() { # wp NODE ARGS...: the CLI on a node, output on stdout (not checks.sh's wp)
    local n=$1
    shift
    "$TC" exec "$n" "$WOLFPACK" "$@"
}

conf() { echo "$WPTC_DIR/nodes/$1/etc/corosync/corosync.conf"; }
lists_n4() { grep -Eq "ring0_addr: $N4_ADDR\$" "$(conf "$1")"; }

# expected_votes NODE: "Expected votes" of corosync-quorumtool on the node
expected_votes() {
    "$TC" exec "$1" corosync-quorumtool -s 2>/dev/null | awk -F: '/^Expected votes/ {gsub(/ /, "", $2); print $2}'
}

# wait_for TIMEOUT CMD...: until CMD succeeds (4 tries a second)
wait_for() {
    local timeout=$1 i
    shift
    for ((i = 0; i < timeout * 4; i++)); do
        "$@" && return 0
        sleep 0.25
    done
    return 1
}
votes_are() { [ "$(expected_votes "$1")" = "$2" ]; }
all_list_n4() { local n; for n in "$@"; do lists_n4 "$n" || return 1; done; }
none_list_n4() { local n; for n in "$@"; do ! lists_n4 "$n" || return 1; done; }

# refused CODE DESC NODE ARGS...: the CLI exits CODE, versions unchanged on n1..n3
refused() {
    local code=$1 desc=$2 n=$3 rc=0 before after
    shift 3
    before="$(version n1) $(version n2) $(version n3)"
    wp "$n" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
    after="$(version n1) $(version n2) $(version n3)"
    if [ "$rc" -eq "$code" ] && [ "$before" = "$after" ] && [ -s "$TMP/err" ]; then
        ok "$desc"
    else
        bad "$desc" "exit $rc (want $code), versions '$before' -> '$after'; $(head -3 "$TMP/err")"
    fi
}

# ---------------------------------------------------------------- 1 ------
start_s=$SECONDS
if ! "$TC" up 3 --token 1000 --no-dns >"$TMP/up.log" 2>&1; then
    bad "test cluster of 3 nodes starts" "$(tail -5 "$TMP/up.log")"
    finish
fi
if wait_ready 30 n1 n2 n3; then
    ok "3 nodes: every wolfpackd synced"
else
    { bad "3 nodes: every wolfpackd synced" "$(describe n1 n2 n3)"; finish; }
fi
wp n1 group create web --policy possible_owners=n1,n2 >/dev/null &&
    wp n1 resource create web-svc --group web --type service --prop user=root --prop "command=/bin/sleep 3600" \
        >/dev/null &&
    wp n2 group online web >/dev/null &&
    wp n3 group create idle >/dev/null
check_detail "resources created (a running service, an idle group)" [ $? -eq 0 ]
cp "$(conf n1)" "$TMP/conf-before"

# ---------------------------------------------------------------- 2 ------
# settle: the coordinator is done with the group's start (the version has
# stayed the same for 1 s; at most 30 s), so "unchanged" means the refusal
settle() {
    local last now same=0
    last=$(version n1)
    for _ in $(seq 1 120); do
        sleep 0.25
        now=$(version n1)
        if [ "$now" = "$last" ]; then
            same=$((same + 1))
            [ "$same" -ge 4 ] && return 0
        else
            same=0 last=$now
        fi
    done
}
settle
refused 4 "node add with a duplicate name is refused" n2 node add n3=198.51.100.19
refused 4 "node add with a duplicate address is refused" n2 node add n9=198.51.100.13
refused 4 "node add with a duplicate node id is refused" n2 node add n9=198.51.100.19 --nodeid 2
refused 2 "node add with a bad address is refused" n2 node add n9=198.51.100.400
refused 2 "node add with a host name is refused" n2 node add n9=n9.example
DETAIL="$(diff "$TMP/conf-before" "$(conf n1)")"
check_detail "refusals left corosync.conf alone" cmp -s "$TMP/conf-before" "$(conf n1)"

# ---------------------------------------------------------------- 3 ------
t0=$(date +%s%N)
if wp n2 node add n4=$N4_ADDR >"$TMP/out" 2>"$TMP/err"; then
    ok "node add n4=$N4_ADDR on n2"
else
    bad "node add n4=$N4_ADDR on n2" "$(cat "$TMP/err")"
    finish
fi
DETAIL="$(grep -c 'node {' "$(conf n1)" "$(conf n2)" "$(conf n3)")"
check_detail "every node's corosync.conf lists n4" wait_for 10 all_list_n4 n1 n2 n3
DETAIL="expected votes on n1: $(expected_votes n1)"
check_detail "corosync-quorumtool on n1: 4 expected votes" wait_for 10 votes_are n1 4
echo "     (node add to 4 expected votes on n1: $((($(date +%s%N) - t0) / 1000000)) ms, polled every 250 ms)"
DETAIL="$(grep nodeconf "$WPTC_DIR"/nodes/n*/var/log/wolfpack/wolfpackd.log)"
check_detail "every wolfpackd logged its reload" \
    [ "$(grep -l 'nodeconf: corosync reloaded' "$WPTC_DIR"/nodes/n[123]/var/log/wolfpack/wolfpackd.log | wc -l)" = 3 ]

# ---------------------------------------------------------------- 4 ------
if "$TC" add-node n4 >"$TMP/add.log" 2>&1; then
    ok "testcluster add-node n4"
else
    bad "testcluster add-node n4" "$(tail -5 "$TMP/add.log")"
    finish
fi
DETAIL="$(describe n1 n2 n3 n4)"
check_detail "n4 joins and catches up: same version and checksum on all 4" wait_match 30 n1 n2 n3 n4
wp n4 --json group show web >"$TMP/out" 2>&1
check_detail "n4 serves the cluster's groups" jqf '.name == "web"' "$TMP/out"

# ---------------------------------------------------------------- 5 ------
"$TC" kill n3 >/dev/null && "$TC" kill n4 >/dev/null
"$TC" wait-view n1 n2 --members 2 --quorate no --timeout 30 >/dev/null 2>&1
check_detail "n3 and n4 killed: n1 and n2 have 2 of 4 votes, no quorum" [ $? -eq 0 ]
rc=0
wp n1 group create during-split >"$TMP/out" 2>"$TMP/err" || rc=$?
DETAIL="exit $rc: $(cat "$TMP/err")"
check_detail "a change on n1 is refused with the quorum error (exit 5)" \
    eval '[ $rc -eq 5 ] && grep -q quorum "$TMP/err"'
"$TC" start n3 >/dev/null && "$TC" start n4 >/dev/null
"$TC" wait-quorum --timeout 30 >/dev/null 2>&1
DETAIL="$(describe n1 n2 n3 n4)"
check_detail "n3 and n4 back: 4 nodes match again" wait_match 30 n1 n2 n3 n4

# ---------------------------------------------------------------- 5b -----
# a node that is down while a node is added gets the new corosync.conf from
# its own wolfpackd when it is back (ready again): kill n3, add n5 (never
# started: 3 of 5 votes is still quorate), start n3
lists_n5() { grep -Eq "ring0_addr: 198\.51\.100\.15\$" "$(conf "$1")"; }
"$TC" kill n3 >/dev/null
"$TC" wait-view n1 n2 n4 --members 3 --quorate yes --timeout 30 >/dev/null 2>&1
rc=0
for _ in 1 2 3 4 5 6 7 8 9 10; do # n1, n2, n4 sync after the membership change
    rc=0
    wp n1 node add n5=198.51.100.15 >"$TMP/out" 2>"$TMP/err" && break || rc=$?
    sleep 0.5
done
DETAIL="exit $rc: $(cat "$TMP/err")"
check_detail "n3 down: node add n5 on n1 (3 of 5 votes, quorate)" [ $rc -eq 0 ]
check_detail "n3's corosync.conf (n3 down) does not list n5 yet" eval '! lists_n5 n3'
"$TC" start n3 >/dev/null
DETAIL="$(grep -h nodeconf "$WPTC_DIR"/nodes/n3/var/log/wolfpack/wolfpackd.log | tail -5)"
check_detail "n3 back: its wolfpackd writes n5 into its corosync.conf" wait_for 30 lists_n5 n3
DETAIL="expected votes on n3: $(expected_votes n3)"
check_detail "corosync-quorumtool on n3: 5 expected votes" wait_for 10 votes_are n3 5
rc=0
wp n2 node remove n5 >"$TMP/out" 2>"$TMP/err" || rc=$?
DETAIL="exit $rc: $(cat "$TMP/err")"
check_detail "node remove n5 (never started) on n2" [ $rc -eq 0 ]
no_n5() { local n; for n in n1 n2 n3 n4; do ! lists_n5 "$n" || return 1; done; }
check_detail "no node's corosync.conf lists n5" wait_for 10 no_n5
DETAIL="expected votes on n1: $(expected_votes n1)"
check_detail "corosync-quorumtool on n1: 4 expected votes again" wait_for 10 votes_are n1 4
DETAIL="$(describe n1 n2 n3 n4)"
check_detail "4 nodes match" wait_match 30 n1 n2 n3 n4

# ---------------------------------------------------------------- 6 ------
refused 4 "node remove n4 while n4 runs is refused" n1 node remove n4
"$TC" stop n4 >/dev/null
"$TC" wait-view n1 n2 n3 --members 3 --quorate yes --timeout 30 >/dev/null 2>&1
rc=0
for _ in 1 2 3 4 5 6 7 8; do # the stop reaches every view within a moment
    rc=0
    wp n1 node remove n4 >"$TMP/out" 2>"$TMP/err" && break || rc=$?
    sleep 0.5
done
DETAIL="exit $rc: $(cat "$TMP/err")"
check_detail "n4 stopped: node remove n4 on n1" [ $rc -eq 0 ]
DETAIL="$(grep -H "ring0_addr" "$(conf n1)" "$(conf n2)" "$(conf n3)")"
check_detail "no node's corosync.conf lists n4 any more" wait_for 10 none_list_n4 n1 n2 n3
DETAIL="expected votes on n1: $(expected_votes n1)"
check_detail "corosync-quorumtool on n1: 3 expected votes again" wait_for 10 votes_are n1 3
"$TC" remove-node n4 >"$TMP/rm.log" 2>&1
DETAIL="$(cat "$TMP/rm.log")"
check_detail "testcluster remove-node n4" [ "$("$TC" nodes | tr '\n' ' ')" = "n1 n2 n3 " ]

# ---------------------------------------------------------------- 6b -----
# --force removes a running node: add n4 again, start it, remove it running
rc=0
wp n1 node add n4=$N4_ADDR >/dev/null 2>"$TMP/err" && "$TC" add-node n4 >"$TMP/add.log" 2>&1 ||
    rc=$?
DETAIL="$(cat "$TMP/err" "$TMP/add.log" | tail -5)"
check_detail "n4 added and started again" [ $rc -eq 0 ]
DETAIL="$(describe n1 n2 n3 n4)"
check_detail "n4 caught up" wait_match 30 n1 n2 n3 n4
rc=0
wp n2 node remove n4 --force >"$TMP/out" 2>"$TMP/err" || rc=$?
DETAIL="exit $rc: $(cat "$TMP/err")"
check_detail "node remove n4 --force while n4 runs" [ $rc -eq 0 ]
check_detail "n1..n3 drop n4 from corosync.conf" wait_for 10 none_list_n4 n1 n2 n3
DETAIL="expected votes on n1: $(expected_votes n1)"
check_detail "corosync-quorumtool on n1: 3 expected votes" wait_for 10 votes_are n1 3
DETAIL="$(tail -5 "$WPTC_DIR/nodes/n4/var/log/wolfpack/wolfpackd.log")"
check_detail "n4's wolfpackd leaves its own corosync.conf alone and says so" \
    wait_for 10 grep -q "no longer in the cluster database" "$WPTC_DIR/nodes/n4/var/log/wolfpack/wolfpackd.log"
check_detail "n4's corosync.conf still lists n4" lists_n4 n4
"$TC" wait-view n1 n2 n3 --members 3 --quorate yes --timeout 90 >/dev/null 2>&1
check_detail "n1..n3: 3 members, quorate (n4 cut off)" [ $? -eq 0 ]
"$TC" remove-node n4 >/dev/null 2>&1
check_detail "testcluster remove-node n4 (again)" [ "$("$TC" nodes | tr '\n' ' ')" = "n1 n2 n3 " ]

# ---------------------------------------------------------------- 7 ------
"$TC" kill n3 >/dev/null
"$TC" wait-view n1 n2 --members 2 --quorate yes --timeout 30 >/dev/null 2>&1
check_detail "n3 killed: n1 and n2 keep quorum (2 of 3 votes)" [ $? -eq 0 ]
rc=0
for _ in 1 2 3 4 5 6 7 8 9 10; do # n1 and n2 sync after the membership change
    rc=0
    wp n1 group create after-remove >"$TMP/out" 2>"$TMP/err" && break || rc=$?
    sleep 0.5
done
DETAIL="exit $rc: $(cat "$TMP/err")"
check_detail "a change on n1 is accepted" [ $rc -eq 0 ]
wp n2 --json node list >"$TMP/out" 2>&1
DETAIL="$(cat "$TMP/out")"
check_detail "n4 stays removed (not put back from corosync's nodelist)" \
    jqf '[.[].name] == ["n1","n2","n3"]' "$TMP/out"
DETAIL="$(grep -h 'nodeconf:.*\(failed\|cannot\|killed\)' "$WPTC_DIR"/nodes/n*/var/log/wolfpack/wolfpackd.log)"
check_detail "no reload failed" [ -z "$DETAIL" ]
DETAIL="$(grep -h -A5 'AddressSanitizer\|LeakSanitizer\|runtime error:' "$WPTC_DIR"/nodes/n*/var/log/wolfpack/wolfpackd.log | head -20)"
check_detail "no sanitizer report in any wolfpackd log" [ -z "$DETAIL" ]
echo "wall time: $((SECONDS - start_s)) s"
finish
