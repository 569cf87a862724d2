#!/bin/bash
# tests/integration/test_app_article.sh -- KB Q221393 end to end on a
# 3-node test cluster (tools/testcluster; root).
#
#   1. recordstore 1.0 installed standalone on n1 and n2 while no cluster
#      service answered there (the article's "before you install the Cluster
#      Server service"); records written on n1.
#   2. A virtual server: group exch with an IP Address, a Network Name (BIND
#      in the client namespace) and a Physical Disk (the test cluster's
#      shared loop disk), online on n1.
#   3. `sp apply` of recordstore-sp1 on n1, answered through a pseudo-
#      terminal: the article's question, Cluster Group refused with the
#      article's message, exch accepted, and the standalone install explained
#      (not a cluster install; run migrate).  `app show` explains it too.
#   4. `migrate --group exch`, killed before its restore step and rolled
#      back (the standalone install is back with every record), then started
#      again and killed before each of its steps in turn (and once after the
#      work of one step, before its record); each rerun resumes.  At the end
#      every record is there, served from the group's address, and every
#      node's record says clustered.
#   5. `sp apply` succeeds as a rolling update (--plan first; a lock held by
#      a dead run refused, then taken with --force; a rollout killed before
#      its move and rolled back; one killed after the upgrade's work and
#      resumed) while a client writes
#      records through the group's network name all along: n2 is updated, the
#      group moves there, the database is upgraded once (format 2), n1 and
#      n3 follow, the owner lists come back; every record from before and
#      every acknowledged write is there, every node has 1.1.
#
# Each node's install root is /var/lib/wolfpack/root (private to the node),
# the same path everywhere; the kits are in the repository, which every
# node sees at the same path.  Prints "N passed, N failed"; tears the
# cluster down on any exit.
set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
BUILD=${BUILD:-build}
TC=$REPO/tools/testcluster
PTYRUN=$REPO/tests/tools/ptyrun.py
KITS=$REPO/$BUILD/kits
export WPTC_DIR=${WPTC_DIR:-/run/wptc-app-$$}
export WPTC_PREFIX=${WPTC_PREFIX:-wpap$$-}
export WOLFPACK=${WOLFPACK:-$REPO/$BUILD/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$REPO/$BUILD/wolfpackd}
export WOLFPACK_APP_ROOT=/var/lib/wolfpack/root
export WOLFPACK_APP_TASK_TIMEOUT=60
TMP=$(mktemp -d /tmp/test_app_article.XXXXXX)
PASSED=0
FAILED=0
PORT=7171
VIP=198.51.100.60
ZONE=wptc.test
SELECT='Select the cluster group configured for recordstore. The recordstore resources will be added to this group.'
NOTQ='This cluster group does not contain the appropriate system resources. Select a group that contains an IP address, a network name, and a shared hard disk.'

cleanup() {
    "$TC" down >/dev/null 2>&1 || "$TC" down
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$REPO/tests/integration/lib/checks.sh"
. "$REPO/tests/integration/lib/vserver.sh"
rs() { rs_at "$@"; } # rs NODE HOST REQUEST...
records() { rs "$1" "$2" GET | grep -vc '^END$'; }
forty() { [ "$(records client "$VIP")" -eq 40 ]; }
answers_11() { rs client "$VIP" VERSION | grep -q 'VERSION 1.1'; }
group_state() { "$TC" exec n1 "$WOLFPACK" group show exch --json | jq -r '"\(.state) \(.owner)"'; }
res_online() { "$TC" exec n1 "$WOLFPACK" resource show recordstore --json | jq -e '.state == "Online"'; }

if [ "$(id -u)" -ne 0 ] || [ ! -x "$WOLFPACK" ] || [ ! -x "$KITS/recordstore/bin/recordstore" ]; then
    fail "run as root after make BUILD=$BUILD (kits built)"
    finish
fi

# ---- 1. the cluster, the disk; standalone installs that knew of no cluster --------------------
vs_cluster_up

for n in n1 n2; do
    check "$n: standalone install (no cluster service answers there)" \
        "$TC" exec "$n" env WOLFPACK_SOCKET=/nonexistent "$WOLFPACK" app install \
        "$KITS/recordstore" --set port=$PORT >/dev/null
done
check "n1: start the standalone application" wp n1 app start recordstore
RECS=()
for i in $(seq 1 40); do RECS+=("PUT record number $i"); done
check "n1: 40 records written" test "$(rs n1 127.0.0.1 "${RECS[@]}" | grep -c '^OK')" -eq 40
check "n1: 40 records read back" test "$(records n1 127.0.0.1)" -eq 40
check "n1: stop it" wp n1 app stop recordstore
DBSUM=$("$TC" exec n1 sha256sum /var/lib/wolfpack/root/var/lib/recordstore/records.db | cut -d' ' -f1)

# ---- 2. the virtual server ------------------------------------------------------------------
check "group exch" wp n1 group create exch --policy preferred_owners=n1,n2,n3
check "its IP Address" wp n1 resource create exch-ip --group exch --type ip \
    --prop address=$VIP/24
check "its Network Name" wp n1 resource create exch-name --group exch --type netname \
    --depends-on exch-ip --prop hostname=exchsrv --prop dns_zone=$ZONE \
    --prop dns_server=198.51.100.200 --prop tsig_key_file=/etc/wolfpack/tsig.key
check "its Physical Disk" wp n1 resource create exch-disk --group exch --type disk \
    --prop device=/run/wolfpack/disks/disk1 --prop mountpoint=/srv/exch --prop fstype=ext4
check "group online exch" wp n1 group online exch
check "exch Online on n1" wait_until 90 sh -c "[ \"\$('$TC' exec n1 '$WOLFPACK' group show exch --json | jq -r '\"\(.state) \(.owner)\"')\" = 'Online n1' ]"

# ---- 3. the service pack meets the standalone install ------------------------------------------
rc=0
timeout -k 5 120 python3 "$PTYRUN" --prompt 'Group [Cluster Group]: ' --answer '' --answer exch \
    -- "$TC" exec n1 "$WOLFPACK" app sp apply "$KITS/recordstore-sp1" >"$TMP/pty" 2>&1 || rc=$?
check "sp apply on the standalone install is refused (exit 4)" [ "$rc" -eq 4 ]
check "it asks the article's question, byte for byte" grep -Fxq "$SELECT" "$TMP/pty"
check "Cluster Group, the default, gets the article's refusal" grep -Fxq "$NOTQ" "$TMP/pty"
check "exch qualifies, and the standalone install is explained" \
    grep -q 'A standalone install is not a cluster install, so its resources cannot' "$TMP/pty"
check "with the way out" grep -q 'wolfpack app migrate recordstore' "$TMP/pty"
check "app show explains it as well" sh -c "'$TC' exec n1 '$WOLFPACK' app show recordstore | grep -q 'is a standalone install'"

# ---- 4. migrate: killed, rolled back, killed at every step, finished ---------------------------
rc=0
"$TC" exec n1 env WOLFPACK_TEST_DIE_AT=restore "$WOLFPACK" app migrate recordstore --group exch \
    >"$TMP/m.out" 2>&1 || rc=$?
check "migrate killed before its restore step" [ "$rc" -eq 137 ]
check "app show names the migration in progress" sh -c \
    "'$TC' exec n3 '$WOLFPACK' app show recordstore | grep -q 'migrate into group exch: step install done'"
check "migrate --rollback" wp n1 app migrate recordstore --rollback
check "n1 is standalone again" sh -c "'$TC' exec n1 '$WOLFPACK' --json app show recordstore | jq -e '.mode == \"standalone\"' >/dev/null"
check "its database is byte for byte the one before" test \
    "$("$TC" exec n1 sha256sum /var/lib/wolfpack/root/var/lib/recordstore/records.db | cut -d' ' -f1)" = "$DBSUM"

for step in backup remove-others install restore+ verify register resources files-others; do
    rc=0
    "$TC" exec n1 env WOLFPACK_TEST_DIE_AT=$step "$WOLFPACK" app migrate recordstore --group exch \
        >"$TMP/m.out" 2>&1 || rc=$?
    check "migrate killed at $step (exit 137)" [ "$rc" -eq 137 ]
done
check "migrate resumes and finishes" wp n1 app migrate recordstore
check "it said it resumed" grep -q 'Resuming the migration' "$TMP/out"
check "the application's resource is Online" wait_until 60 res_online
check "all 40 records, served from the group's address $VIP" wait_until 30 forty
wp n3 app list
check "n3 lists recordstore clustered in exch" grep -q 'recordstore .*clustered in group exch' "$TMP/out"
check "with the program files on n1, n2 and n3" grep -q 'n1 1.0, n2 1.0, n3 1.0' "$TMP/out"
check "n2's standalone install is gone (its record is the clustered one)" sh -c \
    "'$TC' exec n2 '$WOLFPACK' --json app show recordstore | jq -e '.mode == \"clustered\"' >/dev/null"

# ---- 5. the service pack now applies: a rolling update while a client writes --------------
WPCALL=$REPO/$BUILD/tests/tools/wpcall
wp n3 app sp apply "$KITS/recordstore-sp1" --plan
check "--plan prints the steps" grep -q 'move the group to' "$TMP/out"
check "--plan changed nothing" sh -c "'$TC' exec n1 '$WOLFPACK' app list | grep -q 'n1 1.0, n2 1.0, n3 1.0'"
"$TC" exec n3 "$WPCALL" /run/wolfpack/wolfpackd.sock \
    '{"op":"app.lock","args":{"holder":"n3:999999","op":"a dead rollout","at":1}}' >/dev/null
rc=0
wp n3 app sp apply "$KITS/recordstore-sp1" || rc=$?
check "a held lock stops another rollout (exit 4)" [ "$rc" -eq 4 ]
check "naming its holder" grep -q 'n3:999999 holds it' "$TMP/err"

# a rollout killed before its move step, rolled back
rc=0
"$TC" exec n3 env WOLFPACK_TEST_DIE_AT=move "$WOLFPACK" app sp apply "$KITS/recordstore-sp1" \
    --force >"$TMP/r.out" 2>&1 || rc=$?
check "a rollout killed before its move step (exit 137)" [ "$rc" -eq 137 ]
check "app show names the rollout in progress" sh -c \
    "'$TC' exec n1 '$WOLFPACK' app show recordstore | grep -q 'service pack recordstore 1.1: step restrict done'"
rc=0
wp n3 app sp apply "$KITS/recordstore-sp1" --rollback || rc=$?
check "its lock, held by the dead run, stops even a rollback (exit 4)" [ "$rc" -eq 4 ]
check "--rollback --force undoes it" wp n3 app sp apply "$KITS/recordstore-sp1" --rollback --force
check "1.0 everywhere again" sh -c "'$TC' exec n1 '$WOLFPACK' app list | grep -q 'n1 1.0, n2 1.0, n3 1.0'"
check "the application is Online after the rollback" wait_until 60 res_online
check "the owner lists are back after the rollback" sh -c "'$TC' exec n1 '$WOLFPACK' group show exch --json | jq -e '.policy.possible_owners == \"\" and .policy.preferred_owners == \"n1,n2,n3\"' >/dev/null"
check "all 40 records after the rollback" wait_until 30 forty

# the client writes records through the virtual server's name all along (it
# resolves exchsrv.wptc.test through the test cluster's DNS server at each
# connection)
check "the client resolves exchsrv.$ZONE to $VIP" wait_until 30 sh -c \
    "'$TC' exec client getent hosts exchsrv.$ZONE | grep -q '^$VIP '"
ACK=$TMP/acked
: >"$ACK"
"$TC" exec client bash -c 'i=0
    while [ ! -e "$0.stop" ]; do
        i=$((i + 1))
        if exec 3<>"/dev/tcp/$1/$2"; then
            printf "PUT w%s\n" "$i" >&3
            if IFS= read -r -t 3 l <&3 && [ "${l#OK}" != "$l" ]; then echo "w$i" >>"$0"; fi
            exec 3>&-
        fi 2>/dev/null
        sleep 0.05
    done' "$ACK" "exchsrv.$ZONE" "$PORT" &
WRITER=$!
sleep 1
rc=0
"$TC" exec n3 env WOLFPACK_TEST_DIE_AT=upgrade+ "$WOLFPACK" app sp apply "$KITS/recordstore-sp1" \
    --force --pre-hook /bin/true --post-hook /bin/true >"$TMP/r.out" 2>&1 || rc=$?
check "a rollout killed after the upgrade's work, before its record (exit 137)" [ "$rc" -eq 137 ]
check "sp apply --force resumes the rollout and finishes" \
    wp n3 app sp apply "$KITS/recordstore-sp1" --force --retries 1 --max-failed-nodes 0 \
    --pre-hook /bin/true --post-hook /bin/true
check "it said it took the dead run's lock" grep -q 'taking the application lock from n3:' "$TMP/out"
check "it resumed after the move" grep -q 'Resuming the service pack recordstore 1.1 after step move' "$TMP/out"
check "the report: the upgrade once, the two other nodes updated" sh -c \
    "grep -q 'databases *backed up, verified, upgraded once' '$TMP/out' && [ \$(grep -c 'program files *updated' '$TMP/out') -eq 2 ]"
UPGRADED=$(sed -n 's/^  \(n[0-9]\) *databases .*upgraded once.*/\1/p' "$TMP/out")
sleep 1
touch "$ACK.stop"
wait "$WRITER"
check "the client's writes were acknowledged before and after" test "$(wc -l <"$ACK")" -gt 5
OWNER=$("$TC" exec n1 "$WOLFPACK" group show exch --json | jq -r .owner)
check "the group runs on the node updated first (${UPGRADED:-?})" test "${UPGRADED:-none}" = "$OWNER"
check "the database is in format 2" sh -c "'$TC' exec '$OWNER' head -1 /srv/exch/recordstore/records.db | grep -q '^RECORDSTORE 2'"
check "the application is Online again" wait_until 60 res_online
rs client $VIP GET >"$TMP/all"
check "the 40 records from before are all there" test "$(grep -c '^record number' "$TMP/all")" -eq 40
missing=0
while read -r w; do grep -qx "$w" "$TMP/all" || missing=$((missing + 1)); done <"$ACK"
check "every acknowledged write is there ($(wc -l <"$ACK") acknowledged, $missing missing)" [ "$missing" -eq 0 ]
check "it answers as 1.1" answers_11
wp n2 app list
check "every node has 1.1" grep -q 'n1 1.1, n2 1.1, n3 1.1' "$TMP/out"
check "the owner lists are back" sh -c "'$TC' exec n1 '$WOLFPACK' group show exch --json | jq -e '.policy.possible_owners == \"\" and .policy.preferred_owners == \"n1,n2,n3\"' >/dev/null"
check "the lock is free" sh -c "'$TC' exec n1 '$WPCALL' /run/wolfpack/wolfpackd.sock '{\"op\":\"app.lock.show\"}' | jq -e '.result == null' >/dev/null"

finish
