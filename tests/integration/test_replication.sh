#!/bin/bash
# tests/integration/test_replication.sh -- the cluster database replicated
# over Corosync CPG (src/repl/cpg*.c, docs/REPLICATION.md), on a real test
# cluster (tools/testcluster: network namespaces, real corosync).
#
#   1. 3 nodes: changes made on each node appear on all three; same version
#      and checksum everywhere.
#   2. a node killed, changes made, the node started again: it catches up.
#   3. partition n1,n2 | n3: the pair accepts changes, n3 refuses with the
#      no-quorum error (CLI exit status 5); after heal all match.
#   4. 5 nodes, 1,000 changes from all five at once (wpload, 200 each): every
#      node identical, version up by exactly 1,000, every group present once.
#
# Needs root.  BUILD selects the build (default build).  The cluster lives in
# its own state directory and name prefix and is torn down on every exit.
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
WPLOAD=${WPLOAD:-$REPO/${BUILD:-build}/tests/tools/wpload}
# ok, bad, finish; TC, TMP, the cluster's own WPTC_DIR/PREFIX, clean-up
. "$REPO/tests/integration/lib/checks.sh"
cluster_test rt
# version, checksum, synced, wait_ready, wait_match, describe
. "$REPO/tests/integration/lib/repl.sh"
export WOLFPACK_CHECK_INTERVAL_MS=2000

wp() { # wp NODE ARGS...: the CLI on a node, output on stdout (not checks.sh's wp)
    local n=$1
    shift
    "$TC" exec "$n" "$WOLFPACK" "$@"
}

# has_group NODE NAME: the group exists on that node
has_group() { wp "$1" --json group show "$2" >/dev/null 2>&1; }

# ---------------------------------------------------------------- 1 ------
if ! "$TC" up 3 --token 1000 >"$TMP/up.log" 2>&1; then
    bad "test cluster of 3 nodes starts" "$(tail -5 "$TMP/up.log")"
    finish
fi
if wait_ready 30 n1 n2 n3; then
    ok "3 nodes: every wolfpackd synced"
else
    bad "3 nodes: every wolfpackd synced" "$(describe n1 n2 n3)"
    finish
fi

v0=$(version n1)
for n in n1 n2 n3; do
    wp "$n" group create "from-$n" >/dev/null 2>"$TMP/err" || bad "group create on $n" "$(cat "$TMP/err")"
done
missing=
for n in n1 n2 n3; do
    for g in from-n1 from-n2 from-n3; do
        has_group "$n" "$g" || missing="$missing $n:$g"
    done
done
if [ -z "$missing" ]; then
    ok "changes made on each node appear on all three"
else
    bad "changes made on each node appear on all three" "missing:$missing"
fi
if wait_match 10 n1 n2 n3 && [ "$(version n1)" -eq $((v0 + 3)) ]; then
    ok "3 nodes: same version ($(version n1)) and checksum everywhere"
else
    bad "3 nodes: same version and checksum everywhere" "$(describe n1 n2 n3)"
fi
# a refused change is refused everywhere alike and changes nothing
v1=$(version n2)
wp n2 group create from-n1 >/dev/null 2>"$TMP/err"
rc=$?
if [ $rc -eq 4 ] && wait_match 5 n1 n2 n3 && [ "$(version n3)" = "$v1" ]; then
    ok "a refused change (exists) keeps the version on every node"
else
    bad "a refused change (exists) keeps the version on every node" "rc=$rc $(describe n1 n2 n3)"
fi

# ---------------------------------------------------------------- 2 ------
"$TC" kill n3 >/dev/null 2>&1
"$TC" wait-view n1 n2 --members 2 --quorate yes --timeout 30 >/dev/null 2>&1
wait_ready 20 n1 n2
for i in 1 2 3 4 5; do
    wp n1 group create "while-down-$i" >/dev/null 2>"$TMP/err" || bad "change while n3 is down ($i)" "$(cat "$TMP/err")"
done
wp n2 group delete from-n3 >/dev/null 2>"$TMP/err" || bad "delete while n3 is down" "$(cat "$TMP/err")"
want=$(version n1)
"$TC" start n3 >/dev/null 2>&1
# while it starts, n3 must never serve an older copy (it serves once synced
# in a quorate partition)
stale=
for ((i = 0; i < 120; i++)); do
    v=$(version n3)
    [ -n "$v" ] && [ "$v" != "$want" ] && stale="$stale $v"
    [ "$v" = "$want" ] && break
    sleep 0.1
done
if [ -z "$stale" ]; then
    ok "a restarting node serves no stale copy"
else
    bad "a restarting node serves no stale copy" "served versions:$stale, cluster at $want"
fi
if wait_match 30 n1 n2 n3 && has_group n3 while-down-5 && ! has_group n3 from-n3; then
    ok "a node that was down catches up and matches (version $(version n3))"
else
    bad "a node that was down catches up and matches" "$(describe n1 n2 n3)"
fi

# ---------------------------------------------------------------- 3 ------
"$TC" partition n1,n2 n3 >/dev/null 2>&1
"$TC" wait-view n3 --members 1 --quorate no --timeout 30 >/dev/null 2>&1
"$TC" wait-view n1 n2 --members 2 --quorate yes --timeout 30 >/dev/null 2>&1
wait_ready 20 n1 n2 n3
if wp n1 group create in-majority >/dev/null 2>"$TMP/err" && has_group n2 in-majority; then
    ok "partition: the majority pair accepts changes"
else
    bad "partition: the majority pair accepts changes" "$(cat "$TMP/err")"
fi
out=$(wp n3 group create in-minority 2>&1)
rc=$?
if [ $rc -eq 5 ] && echo "$out" | grep -q "no quorum" && echo "$out" | grep -q "votes are present"; then
    ok "partition: the minority refuses with the no-quorum error (exit 5)"
else
    bad "partition: the minority refuses with the no-quorum error (exit 5)" "rc=$rc $out"
fi
if has_group n3 in-minority; then
    bad "partition: the refused change is absent" "n3 has in-minority"
else
    ok "partition: the refused change is absent"
fi
"$TC" heal >/dev/null 2>&1
"$TC" wait-view n1 n2 n3 --members 3 --quorate yes --timeout 30 >/dev/null 2>&1
if wait_match 30 n1 n2 n3 && has_group n3 in-majority && ! has_group n1 in-minority; then
    ok "heal: all three match, the majority's change won"
else
    bad "heal: all three match, the majority's change won" "$(describe n1 n2 n3)"
fi

# ---------------------------------------------------------------- 3b -----
# damage n3's copy behind wolfpackd's back: the periodic consistency check
# (every 2 s here) must find it, and the resync must repair it.
if command -v sqlite3 >/dev/null; then
    deleted=$(sqlite3 "$WPTC_DIR/nodes/n3/var/lib/wolfpack/cluster.db" \
        ".timeout 5000" "DELETE FROM grp WHERE name = 'in-majority'; SELECT changes();" 2>"$TMP/err")
    [ "$deleted" = 1 ] || bad "consistency check: damage n3's database" "$deleted $(cat "$TMP/err")"
    repaired=0
    for ((i = 0; i < 60; i++)); do
        has_group n3 in-majority && { repaired=1; break; }
        sleep 0.25
    done
    log=$WPTC_DIR/nodes/n3/var/log/wolfpack/wolfpackd.log
    if [ $repaired = 1 ] && grep -q "consistency check failed" "$log" && wait_match 10 n1 n2 n3; then
        ok "consistency check: a damaged copy is found and resynchronized"
    else
        bad "consistency check: a damaged copy is found and resynchronized" \
            "$(describe n1 n2 n3; grep replication "$log" | tail -5)"
    fi
else
    echo "     (sqlite3 not installed: consistency-check damage test skipped)"
fi

# ---------------------------------------------------------------- 3c -----
# a rogue member of the CPG group mcasts malformed messages and leaves: every
# wolfpackd drops them, stays up, resyncs, and the cluster still works.
cluster=$(wp n1 --json cluster show 2>/dev/null | jq -r .name)
out=$("$TC" exec n2 "$WPLOAD" --cpg-garbage "$cluster" 2>&1)
sent=$(echo "$out" | jq -r '.garbage_sent // 0' 2>/dev/null)
"$TC" wait-view n1 n2 n3 --members 3 --quorate yes --timeout 10 >/dev/null 2>&1
alive=1
for n in n1 n2 n3; do
    pid=$(cut -d' ' -f1 "$WPTC_DIR/nodes/$n/wolfpackd.pid")
    kill -0 "$pid" 2>/dev/null || alive=0
done
if [ "${sent:-0}" -gt 0 ] && [ $alive = 1 ] && wait_ready 20 n1 n2 n3 &&
    wp n3 group create after-garbage >/dev/null 2>&1 && wait_match 10 n1 n2 n3 &&
    has_group n1 after-garbage && grep -q "malformed replication message" \
    "$WPTC_DIR/nodes/n1/var/log/wolfpack/wolfpackd.log"; then
    ok "malformed CPG messages ($sent) are dropped; every node stays up and consistent"
else
    bad "malformed CPG messages are dropped; every node stays up and consistent" \
        "sent=$sent alive=$alive $out $(describe n1 n2 n3)"
fi

# ---------------------------------------------------------------- 4 ------
"$TC" down >/dev/null 2>&1
if ! "$TC" up 5 --token 1000 >"$TMP/up.log" 2>&1 || ! wait_ready 40 n1 n2 n3 n4 n5; then
    bad "test cluster of 5 nodes starts" "$(tail -5 "$TMP/up.log"; describe n1 n2 n3 n4 n5)"
    finish
fi
v0=$(version n1)
pids=()
for i in 1 2 3 4 5; do
    "$TC" exec "n$i" "$WPLOAD" --connections 8 --requests 200 --prefix "load-n$i" \
        >"$TMP/load-n$i.json" 2>"$TMP/load-n$i.err" &
    pids+=($!)
done
lf=0
for p in "${pids[@]}"; do wait "$p" || lf=$((lf + 1)); done
acked=$(cat "$TMP"/load-n*.json | jq -s 'map(.acked) | add')
if [ "$lf" -eq 0 ] && [ "$acked" = 1000 ]; then
    ok "5 nodes: 1,000 changes from all five at once acknowledged"
else
    bad "5 nodes: 1,000 changes from all five at once acknowledged" "acked=$acked $(cat "$TMP"/load-n*.json "$TMP"/load-n*.err)"
fi
if wait_match 30 n1 n2 n3 n4 n5 && [ "$(version n5)" -eq $((v0 + 1000)) ]; then
    ok "5 nodes: identical everywhere, version rose by exactly 1,000"
else
    bad "5 nodes: identical everywhere, version rose by exactly 1,000" "from $v0: $(describe n1 n2 n3 n4 n5)"
fi
bad_groups=$(wp n4 --json group list 2>/dev/null | jq -r '[.[] | .name | select(startswith("load-"))] as $g
    | ($g | length) as $n | ($g | unique | length) as $u | if $n == 1000 and $u == 1000 then "" else "\($n) groups, \($u) unique" end')
if [ -z "$bad_groups" ]; then
    ok "5 nodes: every group present once"
else
    bad "5 nodes: every group present once" "$bad_groups"
fi
lat=$(cat "$TMP"/load-n*.json | jq -s -c 'map(.latency_ms.median)')
echo "     (wpload medians per node, ms: $lat)"

finish
