#!/bin/bash
# tests/integration/test_app_rollout.sh -- the rolling service pack (issue
# 6) killed at every step, and rolled back after its upgrade step, on a
# 3-node test cluster (tools/testcluster; root, bind9).
#
#   1. A virtual server: group rs with an IP Address, a Network Name
#      (rsvs.wptc.test, registered in the test cluster's BIND) and a
#      Physical Disk (the shared loop disk), online on n1; recordstore 1.0
#      installed into it directly (`app install --cluster --group rs`); 40
#      records written through the name from the client namespace.
#   2. Rollback after the upgrade step: a rollout of recordstore-sp1 killed
#      just before its last step (every node has 1.1, the database is in
#      format 2, a record written in 1.1) and `sp apply --rollback`: 1.0 on
#      every node, the database back in format 1 from the verified backup
#      the rollout took, every record from before there, the record written
#      in 1.1 kept in the archive the rollback saved, the owner lists back,
#      the lock free.  Then a rollout killed after the upgrade's work but
#      before its record (the state says "move") rolled back the same way.
#   3. The rollout killed at every step in turn -- before the step, then
#      after the step's work and before its record -- 18 kills, each rerun
#      (--force: the dead run holds the lock) resuming where the last
#      recorded step left it, while a client in the client namespace writes
#      a record a connection through the network name all along.  At the
#      end: every node has 1.1, the database is in format 2 and was upgraded
#      exactly once (one conversion in all the nodes' logs, consecutive
#      record ids), every record from before and every acknowledged write is
#      there, the owner lists are back, no operation is recorded, the lock is
#      free.
#
# Each node's install root is /var/lib/wolfpack/root (private to the node);
# the kits are in the repository, which every node sees at the same path.
# About 3 to 4 minutes.  Prints "N passed, N failed"; tears the cluster down
# on any exit.
set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
BUILD=${BUILD:-build}
TC=$REPO/tools/testcluster
KITS=$REPO/$BUILD/kits
SP=$KITS/recordstore-sp1
export WPTC_DIR=${WPTC_DIR:-/run/wptc-ro-$$}
export WPTC_PREFIX=${WPTC_PREFIX:-wpro$$-}
export WOLFPACK=${WOLFPACK:-$REPO/$BUILD/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$REPO/$BUILD/wolfpackd}
WPCALL=${WPCALL:-$REPO/$BUILD/tests/tools/wpcall}
export WOLFPACK_APP_ROOT=/var/lib/wolfpack/root
export WOLFPACK_APP_TASK_TIMEOUT=60
TMP=$(mktemp -d /tmp/test_app_rollout.XXXXXX)
chmod 755 "$TMP"
PASSED=0
FAILED=0
PORT=7171
VIP=198.51.100.61
ZONE=wptc.test
NAME=rsvs.$ZONE
DB=/srv/rs/recordstore/records.db
STEPS=(update-target offline restrict move upgrade records online update-rest lift)
WRITER=

cleanup() {
    [ -n "$WRITER" ] && touch "$TMP/writer.stop" && wait "$WRITER" 2>/dev/null
    "$TC" down >/dev/null 2>&1 || "$TC" down
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$REPO/tests/integration/lib/checks.sh"
. "$REPO/tests/integration/lib/vserver.sh"
rs() { rs_at client "$NAME" "$@"; } # rs REQUEST...: from the client, through the name
answers() { rs VERSION | grep -q "^VERSION $1 FORMAT $2"; }
owner() { "$TC" exec n1 "$WOLFPACK" group show rs --json | jq -r .owner; }
res_online() { "$TC" exec n1 "$WOLFPACK" resource show recordstore --json | jq -e '.state == "Online"'; }
format_of_db() { # 1 or 2: the database's format on the group's owner
    if "$TC" exec "$(owner)" head -1 "$DB" | grep -q '^RECORDSTORE 2$'; then echo 2; else echo 1; fi
}
versions() { "$TC" exec n1 "$WOLFPACK" app list | grep -q "n1 $1, n2 $1, n3 $1"; }
owners_back() {
    "$TC" exec n1 "$WOLFPACK" group show rs --json |
        jq -e '.policy.possible_owners == "" and .policy.preferred_owners == "n1,n2,n3"' >/dev/null
}
lock_free() {
    "$TC" exec n1 "$WPCALL" /run/wolfpack/wolfpackd.sock '{"op":"app.lock.show"}' |
        jq -e '.result == null' >/dev/null
}
no_op() {
    "$TC" exec n1 "$WPCALL" /run/wolfpack/wolfpackd.sock \
        '{"op":"app.op.show","args":{"name":"recordstore"}}' | jq -e '.result == null' >/dev/null
}
conversions() { # how many times the upgrade step converted the database, all nodes
    cat "$WPTC_DIR"/nodes/n*/var/lib/wolfpack/agents.log 2>/dev/null |
        grep -c 'from format 1 to format 2'
}
# die_at STEP: a rollout on n3 killed by $WOLFPACK_TEST_DIE_AT (exit 137)
die_at() {
    local rc=0
    timeout -k 5 300 "$TC" exec n3 env WOLFPACK_TEST_DIE_AT="$1" "$WOLFPACK" app sp apply "$SP" \
        --force >"$TMP/out" 2>"$TMP/err" || rc=$?
    [ "$rc" -eq 137 ]
}
put_in_11() { rs 'PUT written in 1.1' | grep -q '^OK'; }
all_forty() { [ "$(rs GET | grep -c '^record number')" -eq 40 ]; }
back_to_10() { # the checks after a rollback
    check "$1: 1.0 on every node" versions 1.0
    check "$1: the cluster record says 1.0" sh -c \
        "'$TC' exec n1 '$WOLFPACK' --json app show recordstore | jq -e '.version == \"1.0\"' >/dev/null"
    check "$1: the application is Online" wait_until 60 res_online
    check "$1: it answers through $NAME as 1.0, format 1" wait_until 30 answers 1.0 1
    check "$1: the database on the disk is in format 1" test "$(format_of_db)" = 1
    check "$1: all 40 records from before are there" wait_until 20 all_forty
    check "$1: the owner lists are back" owners_back
    check "$1: the lock is free" lock_free
    check "$1: no operation is recorded" no_op
}

if [ "$(id -u)" -ne 0 ] || [ ! -x "$WOLFPACK" ] || [ ! -x "$KITS/recordstore/bin/recordstore" ]; then
    fail "run as root after make BUILD=$BUILD (kits built)"
    finish
fi

# ---- 1. the virtual server and the clustered install ------------------------------------------
vs_cluster_up
vs_group_rs
check "app install --cluster --group rs (no standalone install, no migrate)" \
    wp n1 app install "$KITS/recordstore" --cluster --group rs --set port=$PORT
check "recordstore Online" wait_until 60 res_online
check "the client resolves $NAME to $VIP through the cluster's DNS" wait_until 30 sh -c \
    "'$TC' exec client getent hosts $NAME | grep -q '^$VIP '"
RECS=()
for i in $(seq 1 40); do RECS+=("PUT record number $i"); done
check "40 records written through $NAME" test "$(rs "${RECS[@]}" | grep -c '^OK')" -eq 40
check "it answers as 1.0, format 1" answers 1.0 1

# ---- 2. rollback after the upgrade step -----------------------------------------------------------
check "a rollout killed before its last step (lift)" die_at lift
check "  by then every node had 1.1" versions 1.1
check "  and the database was in format 2" test "$(format_of_db)" = 2
check "  a record written in 1.1" put_in_11
TARGET=$(owner)
check "sp apply --rollback --force (after the upgrade step)" wp n3 app sp apply "$SP" --rollback --force
check "  it restored the databases from the rollout's verified backup" grep -q 'the databases are those of the verified backup' "$TMP/out"
back_to_10 "rolled back after update-rest"
KEEP=$("$TC" exec "$TARGET" sh -c 'ls /var/lib/wolfpack/root/var/lib/wolfpack/app-backups/*-upgraded-rolled-back.tar.zst' | head -1)
check "the upgraded databases are kept (with the write made in 1.1): $(basename "${KEEP:-none}")" sh -c \
    "'$TC' exec '$TARGET' tar --zstd -xOf '$KEEP' databases/records | grep -q 'written in 1.1'"
check "  and the record written in 1.1 is not in the 1.0 database" sh -c "! '$TC' exec '$(owner)' grep -q 'written in 1.1' $DB"

check "a rollout killed after the upgrade's work, before its record" die_at upgrade+
check "  the database was in format 2 then" test "$(format_of_db)" = 2
check "sp apply --rollback --force" wp n3 app sp apply "$SP" --rollback --force
back_to_10 "rolled back after upgrade+"

# ---- 3. killed at every step, resumed, while a client writes through the name ----------------------
CONV0=$(conversions)
vs_writer_start
sleep 2
prev=(none)
for s in "${STEPS[@]}"; do
    check "rollout killed before $s" die_at "$s"
    check "rollout killed after the work of $s, before its record" die_at "$s+"
    check "  that run resumed after step ${prev[-1]/none/(none)}" grep -q "after step ${prev[-1]/none/(none)}\$" "$TMP/out"
    prev+=("$s")
done
check "the rerun finishes the rollout" wp n3 app sp apply "$SP" --force
check "  resuming after update-rest" grep -q 'Resuming the service pack recordstore 1.1 after step update-rest' "$TMP/out"
sleep 2
touch "$TMP/writer.stop"
wait "$WRITER"
WRITER=
CONV1=$(conversions)
check "every node has 1.1" versions 1.1
check "the application is Online" wait_until 60 res_online
check "it answers through $NAME as 1.1, format 2" wait_until 30 answers 1.1 2
check "the database is in format 2" test "$(format_of_db)" = 2
check "the upgrade step converted the database exactly once ($CONV0 -> $CONV1)" test $((CONV1 - CONV0)) -eq 1
"$TC" exec "$(owner)" cat "$DB" >"$TMP/db"
check "one format header, consecutive ids, nothing converted twice" awk -F'\t' '
    NR == 1 { if ($0 != "RECORDSTORE 2") exit 1; next }
    $1 != NR - 1 || length($3) != $2 || $3 ~ /^[0-9]+\t/ || $0 ~ /^RECORDSTORE/ { exit 1 }' "$TMP/db"
rs GET >"$TMP/all"
check "the 40 records from before are all there" test "$(grep -c '^record number' "$TMP/all")" -eq 40
missing=0
while read -r w; do grep -qx "$w" "$TMP/all" || missing=$((missing + 1)); done <"$TMP/acked"
check "writes acknowledged through the name all along ($(wc -l <"$TMP/acked"))" test "$(wc -l <"$TMP/acked")" -gt 10
check "every acknowledged write is there ($missing missing)" [ "$missing" -eq 0 ]
check "the owner lists are back" owners_back
check "the lock is free" lock_free
check "no operation is recorded" no_op

finish
