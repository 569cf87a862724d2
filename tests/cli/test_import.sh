#!/bin/bash
# test_import.sh -- `wolfpack cluster import FILE --dry-run | --apply`
# against a real wolfpackd --solo: the difference between an export file
# and the cluster is printed first (new group, new resource, changed
# property and policy, new and removed dependency, what is only in the
# cluster left alone); --dry-run changes nothing; --apply makes the cluster
# match (the next export equals the file) in one change; a second import
# has nothing to do; a file whose later step the database refuses changes
# nothing at all (one transaction); a file with errors (verify) is exit 2;
# a resource whose group differs is refused (exit 4).
. "$(dirname "$0")/lib.sh"
start_daemon

expect_ok "create group ia" wp group create ia
expect_ok "a service ia-a" wp resource create ia-a --group ia --type service --prop user=root \
    --prop "command=/bin/sleep 11$$"
expect_ok "a service ia-b depending on ia-a" wp resource create ia-b --group ia --type service --prop user=root \
    --prop "command=/bin/sleep 12$$" --depends-on ia-a
expect_ok "create group left (only in the cluster later)" wp group create left
expect_ok "cluster export" wp cluster export
cp "$OUT" "$TMP/base.json"

# the wanted configuration: a new group with a resource, ia's failback
# changed, ia-a's command changed, ia-b no longer depends on ia-a but ia-a
# on nothing and a new ia-c on ia-b; group left not in the file
jq --arg c "/bin/sleep 13$$" '
    .groups |= (map(select(.name != "left")) + [{"name": "ib", "policy": {}}]) |
    (.groups[] | select(.name == "ia") | .policy.failback) = "immediate" |
    (.resources[] | select(.name == "ia-a") | .props.command) = $c |
    (.resources[] | select(.name == "ia-b") | .depends_on) = [] |
    .resources += [{"name": "ia-c", "group": "ia", "type": "Generic Service",
                    "props": {"command": "/bin/sleep 14"}, "depends_on": ["ia-b"]},
                   {"name": "ib-x", "group": "ib", "type": "Generic Service",
                    "props": {"command": "/bin/sleep 15"}}]' "$TMP/base.json" >"$TMP/want.json"

v0=$(version_of)
expect_ok "import --dry-run" wp cluster import "$TMP/want.json" --dry-run
expect_out "a new group" '^\+ group ib$'
expect_out "a changed group policy" '^~ group ia: policy failback=immediate$'
expect_out "a new resource" '^\+ resource ia-c in group ia \(Generic Service\)$'
expect_out "a changed property" "^~ resource ia-a: props command=/bin/sleep 13$$\$"
expect_out "a removed dependency" '^- dependency ia-b -> ia-a$'
expect_out "a new dependency" '^\+ dependency ia-c -> ia-b$'
expect_out "what is only in the cluster is left alone" '^= group left: only in the cluster, left alone$'
expect_out "the count, and that nothing changed" '^6 changes \(dry run: nothing was changed\)$|^7 changes \(dry run'
check "--dry-run changed nothing" [ "$(version_of)" = "$v0" ]
expect_ok "import --dry-run --json" wp --json cluster import "$TMP/want.json" --dry-run
check "--json: the commands" jq -e '[.commands[].op] | index("group.create") and index("resource.depend")' "$OUT"

expect_ok "import --apply" wp cluster import "$TMP/want.json" --apply
expect_out "the difference, then one change" '^Imported .*want.json: [0-9]+ changes in one transaction \(version [0-9]+\)$'
check "one database version for the whole import" [ "$(version_of)" = "$((v0 + 1))" ]
expect_ok "cluster export after the import" wp cluster export
check "the cluster now has what the file says" jq -e --arg c "/bin/sleep 13$$" '
    (.groups[] | select(.name == "ia") | .policy.failback) == "immediate" and
    any(.groups[]; .name == "ib") and
    (.resources[] | select(.name == "ia-a") | .props.command) == $c and
    ((.resources[] | select(.name == "ia-b") | .depends_on) // []) == [] and
    (.resources[] | select(.name == "ia-c") | .depends_on) == ["ia-b"] and
    (.resources[] | select(.name == "ib-x") | .group) == "ib"' "$OUT"
check "group left is still there" jq -e 'any(.groups[]; .name == "left")' "$OUT"
expect_ok "import --apply again" wp cluster import "$TMP/want.json" --apply
expect_out "nothing to do" '^0 changes: nothing to do$'

# one transaction: the second new group names an unknown preferred owner,
# which only the database refuses; the first new group must not stay
jq '.groups += [{"name": "ok1", "policy": {}}, {"name": "bad2", "policy": {"preferred_owners": "n9"}}]' \
    "$TMP/want.json" >"$TMP/half.json"
expect_fail 3 "a file the database refuses half-way: refused" wp cluster import "$TMP/half.json" --apply
expect_err "the step is named" "refused at step [0-9]+ \(group.create bad2\); nothing was changed"
expect_fail 3 "ok1 was not created (all or nothing)" wp group show ok1

jq '.resources += [{"name": "ia-d", "group": "nogroup", "type": "Generic Service",
                    "props": {"command": "/bin/true"}}]' "$TMP/want.json" >"$TMP/bad.json"
expect_fail 2 "a file with errors (verify): exit 2" wp cluster import "$TMP/bad.json" --apply
expect_err "the error is listed" "resource ia-d: its group 'nogroup' does not exist"
jq '(.resources[] | select(.name == "ib-x") | .group) = "ia"' "$TMP/want.json" >"$TMP/moved.json"
expect_fail 4 "a resource in another group: refused (exit 4)" wp cluster import "$TMP/moved.json" --apply
expect_out "the line says why" "^! resource ib-x: .* cannot be changed in place"
expect_fail 2 "--dry-run and --apply together" wp cluster import "$TMP/want.json" --dry-run --apply
expect_fail 2 "neither" wp cluster import "$TMP/want.json"
finish
