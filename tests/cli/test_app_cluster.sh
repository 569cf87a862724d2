#!/bin/bash
# test_app_cluster.sh -- the clustered half of `wolfpack app` against a real
# solo wolfpackd (docs/APP.md): cluster records (app.register, app.node,
# app.unregister) in `app list` / `app show`, bad records refused with the
# database unchanged, a node task run by the daemon (`wolfpack app task-run`)
# and answered with app.task.done, and the service pack's group question of
# KB Q221393: both of the article's messages byte for byte, answered through
# a pseudo-terminal (tests/tools/ptyrun.py), with --group, and without a
# terminal (an error, never a wait); qualification by resource class (every
# missing item named; an offline group does not qualify).
#
# Nothing here brings a group online: a solo daemon in the host's namespaces
# must not add addresses or mount disks.  A group that qualifies (online,
# with address, name and disk) is tested in tests/integration/test_app_article.sh
# and, as a pure function, in tests/unit/test_app_cluster.c.
. "$(dirname "$0")/lib.sh"

KITS=$(cd "$(dirname "$WOLFPACK")" && pwd)/kits
PTYRUN=$(cd "$(dirname "$0")/../tools" && pwd)/ptyrun.py
ROOT=$TMP/root
export WOLFPACK_APP_ROOT=$ROOT
export WOLFPACK_APP_TASK_TIMEOUT=20
SELECT='Select the cluster group configured for recordstore. The recordstore resources will be added to this group.'
NOTQ='This cluster group does not contain the appropriate system resources. Select a group that contains an IP address, a network name, and a shared hard disk.'

_stop_services() {
    for f in "$ROOT"/run/wolfpack/apps/*/*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f" 2>/dev/null)
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
    done
}
trap '_stop_services; _cleanup' EXIT

if [ ! -x "$KITS/recordstore/bin/recordstore" ] || ! command -v python3 >/dev/null; then
    fail "the recordstore kit is built ($KITS/recordstore) and python3 is there"
    finish
fi

# call JSON: a raw request through wpcall; its reply in $OUT.
call() {
    timeout -k 5 30 "$WPCALL" --timeout 20 "$SOCK" "$1" >"$OUT" 2>"$ERR"
}

start_daemon

# ---- groups to choose from (never online here) ---------------------------------------------
expect_ok "a group with an address only" wp group create web
expect_ok "its IP Address" wp resource create web-ip --group web --type ip \
    --prop address=198.51.100.10/24
expect_ok "a group with all three" wp group create full
expect_ok "its IP Address" wp resource create full-ip --group full --type ip \
    --prop address=198.51.100.11/24
expect_ok "its Network Name" wp resource create full-name --group full --type netname \
    --prop hostname=full --depends-on full-ip
expect_ok "its Physical Disk" wp resource create full-disk --group full --type disk \
    --prop device=/dev/loop99 --prop mountpoint=/srv/full --prop fstype=ext4

# ---- a standalone install: the article's starting point -----------------------------------
expect_ok "standalone install" wp app install "$KITS/recordstore" --set port=17171
SP=$KITS/recordstore-sp1

# ---- the question without a terminal: an error, never a wait ------------------------------
expect_fail 2 "sp apply without a terminal and without --group" wp app sp apply "$SP"
check "it still says the question, byte for byte" grep -Fxq "$SELECT" "$OUT"
check "it lists Cluster Group" grep -q '1) Cluster Group' "$OUT"
expect_err "and what to do" 'sp apply SP --group G'

# ---- --group answers it; a group by class --------------------------------------------------
expect_fail 4 "sp apply --group web (address only)" wp app sp apply "$SP" --group web
check "the article's refusal, byte for byte" grep -Fxq "$NOTQ" "$OUT"
check "it names the missing network name" grep -q 'a network name (no resource of class network-name' "$OUT"
check "it names the missing shared hard disk" grep -q 'a shared hard disk (no resource of class storage' "$OUT"
check "it names the offline state" grep -q 'the group online (it is Offline' "$OUT"
check "it does not claim a missing address" bash -c "! grep -q 'an IP address (no' '$OUT'"
check "it says no group qualifies" grep -q 'No group of this cluster qualifies' "$OUT"

expect_fail 4 "sp apply --group full (all three, but offline)" wp app sp apply "$SP" --group full
check "only the online state is missing" \
    bash -c "grep -q 'the group online' '$OUT' && ! grep -q 'no resource of class' '$OUT'"
expect_fail 3 "sp apply --group nosuch" wp app sp apply "$SP" --group nosuch
expect_err "says the group does not exist" "group 'nosuch' does not exist"

# ---- through a pseudo-terminal: default, a name, then end of input ------------------------
rc=0
timeout -k 5 60 python3 "$PTYRUN" --prompt 'Group [Cluster Group]: ' --answer '' --answer web \
    --answer 2 -- "$WOLFPACK" --socket "$SOCK" app sp apply "$SP" >"$OUT" 2>"$ERR" || rc=$?
check "pty: no group chosen ends with exit 2" [ "$rc" -eq 2 ]
check "pty: the question, byte for byte" grep -Fxq "$SELECT" "$OUT"
check "pty: Cluster Group is the default" grep -Fq 'Group [Cluster Group]: ' "$OUT"
check "pty: the refusal, byte for byte, for each of the two answers" \
    [ "$(grep -Fxc "$NOTQ" "$OUT")" -eq 3 ]
check "pty: Cluster Group's refusal names all three and the state" \
    bash -c "grep -A5 'Group \"Cluster Group\" lacks:' '$OUT' | grep -c 'no resource of class\|the group online' | grep -qx 4"
check "pty: the answer 2 (a list number) picks full" grep -q 'Group "full" lacks:' "$OUT"
check "pty: end of input is no answer" grep -q 'no cluster group was chosen' "$OUT"

# ---- install --cluster checks the group the same way -----------------------------------------
expect_fail 4 "install --cluster into web is refused" \
    wp app install "$KITS/recordstore" --cluster --group web
check "with the article's refusal" grep -Fxq "$NOTQ" "$OUT"
expect_fail 2 "install --cluster without --group" wp app install "$KITS/recordstore" --cluster

# ---- migrate: what it refuses before changing anything ---------------------------------------
expect_fail 2 "migrate without --group" wp app migrate recordstore
expect_fail 3 "migrate --rollback with none in progress" wp app migrate recordstore --rollback
expect_err "says none is in progress" 'no migration of recordstore is in progress'
expect_fail 2 "--create-group without its values" wp app migrate recordstore --create-group g2
expect_fail 2 "--ip without --create-group" wp app migrate recordstore --group full --ip 198.51.100.9/24
expect_fail 2 "--mount-options without --create-group" \
    wp app migrate recordstore --group full --mount-options dirsync
expect_err "says it goes with --create-group" '--mount-options go with --create-group'
NEWG=(--create-group g2 --ip 198.51.100.9/24 --name g2 --disk /dev/loop-none --mountpoint /srv/g2)
expect_fail 2 "--create-group with bad --mount-options creates nothing" \
    wp app migrate recordstore "${NEWG[@]}" --mount-options 'dirsync,,noatime'
expect_err "names the option list" 'mount_options'
expect_err "and says nothing was created" 'nothing was created'
expect_fail 2 "--create-group with a bad --fstype creates nothing" \
    wp app migrate recordstore "${NEWG[@]}" --fstype ntfs --mount-options dirsync
expect_fail 3 "so group g2 does not exist" wp group show g2
expect_fail 4 "migrate into a group that does not qualify" wp app migrate recordstore --group web
check "with the article's refusal" grep -Fxq "$NOTQ" "$OUT"
check "the standalone install is untouched" \
    jq -e '.mode == "standalone"' "$ROOT/var/lib/wolfpack/apps/recordstore.json"

# ---- cluster records -------------------------------------------------------------------------
DEMO=$TMP/kits/demo
mkdir -p "$TMP/kits"
cp -r "$KITS/recordstore" "$DEMO"
sed -i -e 's/^name: .*/name: demo/' -e 's|/opt/recordstore/|/opt/demo/|' \
    -e 's|/var/lib/recordstore/|/var/lib/demo/|' "$DEMO/kit.yaml"
REC=$(jq -nc --arg kit "$DEMO" '{app: "demo", version: "1.0", edition: "Enterprise",
    clusterable: true, kit: $kit, node: "n1", installed_at: "2026-01-01T00:00:00Z", root: "/",
    mode: "clustered", group: "full", parameters: {}, files: [],
    databases: [{name: "records", path: "/srv/full/demo/records.db",
                 standalone: "/var/lib/demo/records.db", clustered: "demo/records.db"}],
    services: []}')
v0=$(version_of)
call "{\"op\":\"app.register\",\"args\":{\"name\":\"demo\",\"record\":$REC}}"
check "app.register is applied" jq -e '.ok == true' "$OUT"
call '{"op":"app.node","args":{"name":"demo","node":"n1","version":"1.0"}}'
check "app.node is applied" jq -e '.ok == true' "$OUT"

expect_ok "app list" wp app list
expect_out "lists the clustered install with its group" 'demo +1\.0 +Enterprise +clustered in group full'
expect_out "and the node that has its files" 'n1 1\.0'
expect_out "and the standalone one on this node" 'recordstore +1\.0 .*standalone'
expect_ok "app list --json" wp --json app list
check "json: demo has nodes" jq -e '.[] | select(.app == "demo") | .nodes[0].node == "n1"' "$OUT"
expect_ok "app show demo" wp app show demo
expect_out "says it is not installed here" 'not installed on this node'
expect_out "names the database on the group's disk" '/srv/full/demo/records.db \(on the group'
expect_ok "app show --json" wp --json app show demo
check "json: the cluster part" jq -e '.cluster.group == "full" and .cluster.operation == null' "$OUT"

v1=$(version_of)
for bad in \
    '{"op":"app.register","args":{"name":"demo","record":{"app":"other"}}}' \
    '{"op":"app.register","args":{"name":"Bad Name","record":{}}}' \
    '{"op":"app.register","args":{"name":"demo","record":"text"}}' \
    '{"op":"app.node","args":{"name":"demo","node":"nosuch","version":"1.0"}}' \
    '{"op":"app.node","args":{"name":"ghost","node":"n1","version":"1.0"}}' \
    '{"op":"app.task","args":{"id":"t0","node":"n1","kind":"format-disk"}}' \
    '{"op":"app.task","args":{"id":"bad id","node":"n1","kind":"files"}}' \
    '{"op":"app.task.done","args":{"id":"nosuch","node":"n1","result":"ok"}}' \
    '{"op":"app.unregister","args":{"name":"ghost"}}'; do
    call "$bad"
    check "refused: $bad" jq -e '.ok == false' "$OUT"
done
check "refusals changed nothing" [ "$(version_of)" = "$v1" ]
BADREC=$(jq -c '.group = "nosuch"' <<<"$REC")
call "{\"op\":\"app.register\",\"args\":{\"name\":\"demo\",\"record\":$BADREC}}"
check "a record of a group that does not exist is refused" jq -e '.error.code == "not-found"' "$OUT"

# ---- a node task, run by the daemon ------------------------------------------------------------
call '{"op":"app.task","args":{"id":"t1","node":"n1","kind":"files","args":{"app":"demo"}}}'
check "app.task is applied" jq -e '.ok == true' "$OUT"
state=
for _ in $(seq 1 100); do
    call '{"op":"app.task.show","args":{"id":"t1"}}'
    state=$(jq -r '.result.state' "$OUT")
    [ "$state" = pending ] || break
    sleep 0.1
done
check "the daemon ran the task: ok" [ "$state" = ok ]
check "through the node-task entry point wolfpack-task, not the CLI" \
    grep -q "node task t1 started (pid [0-9]*): .*/wolfpack-task\$" "$DLOG"
check "which reported it in agents.log" grep -q "OK: node task t1 done" "$STATE/agents.log"
check "the program files are on the node" test -x "$ROOT/opt/demo/bin/recordstore"
check "the node's record is the clustered one" \
    jq -e '.mode == "clustered" and .group == "full"' "$ROOT/var/lib/wolfpack/apps/demo.json"
call '{"op":"app.task.done","args":{"id":"t1","node":"n1","result":"ok"}}'
check "a task is done only once" jq -e '.error.code == "conflict"' "$OUT"

# ---- wolfpack-task by hand: a usage error, a task that is done already ------------------------
TASKPROG=$(dirname "$WOLFPACK")/wolfpack-task
rc=0
"$TASKPROG" >"$TMP/task.out" 2>&1 || rc=$?
check "wolfpack-task without a task id: usage error (exit 2)" [ "$rc" -eq 2 ]
check "  naming its usage" grep -q "usage: wolfpack-task \[--socket PATH\] TASK-ID" "$TMP/task.out"
check "wolfpack-task on a task done already does nothing" "$TASKPROG" --socket "$SOCK" t1
check "app task-run (the executor's entry) still works" wp app task-run t1

# ---- unregister ----------------------------------------------------------------------------------
call '{"op":"app.unregister","args":{"name":"demo"}}'
check "app.unregister is applied" jq -e '.ok == true' "$OUT"
expect_ok "app list after unregister" wp --json app list
check "demo is only the node's own record now" \
    jq -e '[.[] | select(.app == "demo")] | length == 1 and (.[0].cluster == null)' "$OUT"
check "versions moved by the accepted changes only" [ "$(version_of)" -gt "$v0" ]

_stop_services
finish
