#!/bin/bash
# test_history.sh -- `wolfpack history` against a real wolfpackd --solo:
# every change a client makes is recorded with who made it (the socket's
# peer credentials: uid and user), the node that took it, the time and the
# command, under the database version it got; a refused change and the
# daemon's own commands (the coordinator's, the executor's reports) are
# not; --group and --since filter; --json prints the entries; bad --since
# is a usage error; the node tasks' bookkeeping (app.task, app.task.done,
# app.task.forget, as `resource create`'s owner checks make them) is left
# out unless --all.  `cluster export` prints the configuration as JSON.
. "$(dirname "$0")/lib.sh"
start_daemon

json() { wp --json "$@"; }
me=$(id -un)
myuid=$(id -u)

expect_ok "history of a new cluster" json history
check "no change recorded yet" jq -e 'length == 0' "$OUT"
expect_ok "create group hweb" json group create hweb
v1=$(jq -r .version "$OUT")
expect_ok "a service in hweb" wp resource create hweb-svc --group hweb --type service \
    --prop user=root --prop "command=/bin/sleep 4$$"
expect_ok "create group hother" wp group create hother
expect_fail 4 "a refused change (group exists)" wp group create hweb
expect_ok "group online hweb (the cluster then starts it)" wp group online hweb
sleep 2

expect_ok "history --json" json history
check "four changes recorded (not the refusal, not the daemon's own)" jq -e 'length == 4' "$OUT"
check "the first: group.create hweb, at the version its reply gave" jq -e --argjson v "$v1" \
    '.[0].op == "group.create" and .[0].args.name == "hweb" and .[0].version == $v' "$OUT"
check "who: this user and uid, on node n1" jq -e --arg u "$me" --argjson id "$myuid" \
    'all(.[]; .user == $u and .uid == $id and .node == "n1")' "$OUT"
check "when: a unix time near now" jq -e --argjson now "$(date +%s)" \
    'all(.[]; .at > $now - 600 and .at <= $now + 5)' "$OUT"
check "no sched.commit or resource.report" jq -e \
    'all(.[]; .op != "sched.commit" and .op != "resource.report")' "$OUT"

expect_ok "history (table)" wp history
expect_out "a header" '^TIME \(UTC\) +VERSION +USER +NODE +COMMAND'
expect_out "a line per change" "^[0-9-]+ [0-9:]+ +[0-9]+ +$me +n1 +resource.create .*hweb-svc"

expect_ok "history --group hweb --json" json history --group hweb
check "--group: the group's changes and its resources'" jq -e \
    '[.[].op] == ["group.create", "resource.create", "group.online"]' "$OUT"
expect_ok "history --since a future time --json" json history --since $(($(date +%s) + 3600))
check "--since: nothing after then" jq -e 'length == 0' "$OUT"
expect_ok "history --since 1h --json" json history --since 1h
check "--since 1h: all four" jq -e 'length == 4' "$OUT"

# a node task as the owner checks make it: asked, run, answered, forgotten
call() { timeout -k 5 30 "$WPCALL" --timeout 20 "$SOCK" "$1" >"$OUT" 2>"$ERR"; }
call '{"op":"app.task","args":{"id":"hist-t1","node":"n1","kind":"resource-check","args":{"app":"wolfpack","resources":"[]"}}}'
check "a node task (resource-check of nothing)" jq -e '.ok == true' "$OUT"
for _ in $(seq 1 100); do
    call '{"op":"app.task.show","args":{"id":"hist-t1"}}'
    [ "$(jq -r '.result.state' "$OUT")" = pending ] || break
    sleep 0.1
done
check "  it ran" jq -e '.result.state == "ok"' "$OUT"
call '{"op":"app.task.forget","args":{"id":"hist-t1"}}'
check "  and was forgotten" jq -e '.ok == true' "$OUT"
expect_ok "history --json after the node task" json history
check "the node task's bookkeeping is not shown: still the four changes" jq -e \
    'length == 4 and all(.[]; .op | startswith("app.task") | not)' "$OUT"
expect_err "a note says how many entries --all would add" \
    '^\([0-9]+ node-task entries not shown: --all shows them\)$'
expect_ok "history --all --json" json history --all
check "--all: the task's app.task and app.task.forget too" jq -e \
    'length > 5 and any(.[]; .op == "app.task" and .args.id == "hist-t1") and
     any(.[]; .op == "app.task.forget" and .args.id == "hist-t1")' "$OUT"
expect_ok "history --all (table)" wp history --all
expect_out "--all: the task in the table" ' app.task .*hist-t1'
expect_fail 2 "--since that is neither" wp history --since soon
expect_fail 3 "--group of an unknown group" wp history --group nosuch
expect_fail 2 "history takes no argument" wp history extra

# --- cluster export: the configuration as data ---------------------------------
expect_ok "cluster export" wp cluster export
check "export is JSON with its format" jq -e '.format == "wolfpack-export-1" and .cluster == "clitest"' "$OUT"
check "export holds the groups with their policies" jq -e \
    '[.groups[].name] == ["Cluster Group", "hother", "hweb"] and
     (.groups[] | select(.name == "hweb") | .policy.failback) == "never"' "$OUT"
check "export holds the resources' configuration, not their runtime state" jq -e --arg c "/bin/sleep 4$$" \
    '(.resources[] | select(.name == "hweb-svc")) as $r |
     $r.group == "hweb" and $r.type == "Generic Service" and $r.props.command == $c and
     ($r | has("state") | not) and ($r | has("restarts") | not)' "$OUT"
check "export holds the nodes without their runtime flags" jq -e \
    '.nodes == [{"name": "n1", "id": 1, "address": "127.0.0.1"}]' "$OUT"
expect_fail 2 "cluster export takes no argument" wp cluster export extra

expect_ok "group offline hweb (tidy up)" wp group offline hweb
sleep 1
finish
