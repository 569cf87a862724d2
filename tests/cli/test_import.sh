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
expect_out "what is only in the cluster is left alone" '^= group left: only in the cluster, left alone \(--prune deletes it\)$'
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

# --prune: what is only in the cluster is deleted (never without --prune);
# a resource that is not Offline refuses the prune
expect_ok "left-a in group left (only in the cluster)" wp resource create left-a --group left \
    --type service --prop user=root --prop "command=/bin/sleep 16$$"
expect_ok "left-b depends on left-a" wp resource create left-b --group left --type service \
    --prop user=root --prop "command=/bin/sleep 17$$" --depends-on left-a
expect_ok "import --dry-run without --prune" wp cluster import "$TMP/want.json" --dry-run
expect_out "the resource is listed, left alone" '^= resource left-b: only in the cluster, left alone \(--prune deletes it\)$'
expect_ok "import --apply without --prune" wp cluster import "$TMP/want.json" --apply
expect_ok "  group left is still there" wp group show left
expect_ok "  and left-a" wp resource show left-a
v1=$(version_of)
expect_ok "import --dry-run --prune" wp cluster import "$TMP/want.json" --dry-run --prune
expect_out "left-b is deleted before left-a (it depends on it)" '^- resource left-b$'
check "  in that order, then the group" bash -c "grep -E '^- ' '$OUT' | tr '\n' ' ' | grep -qx -- '- resource left-b - resource left-a - group left '"
expect_out "  three changes, nothing done" '^3 changes \(dry run: nothing was changed\)$'
check "--dry-run --prune changed nothing" [ "$(version_of)" = "$v1" ]
expect_ok "import --apply --prune" wp cluster import "$TMP/want.json" --apply --prune
expect_out "one change" '^Imported .*want.json: 3 changes in one transaction'
expect_fail 3 "  group left is gone" wp group show left
expect_fail 3 "  and left-a" wp resource show left-a
expect_ok "cluster export" wp cluster export
names() { jq -c '[.groups[].name] + [.resources[].name] | sort' "$1"; }
check "the cluster has the file's groups and resources, no more" [ "$(names "$OUT")" = "$(names "$TMP/want.json")" ]
expect_ok "a running resource (group run online)" wp group create run
expect_ok "  its service" wp resource create run-s --group run --type service --prop user=root \
    --prop "command=/bin/sleep 18$$"
expect_ok "  online" wp group online run
online() { wp resource show run-s --json && jq -e '.state == "Online"' "$OUT" >/dev/null; }
for _ in $(seq 100); do online && break; sleep 0.2; done
check "run-s is Online" online
# (not expect_fail: the running service's reports may move the version)
wp cluster import "$TMP/want.json" --apply --prune
check "--prune of a running resource: refused (exit 4)" [ $? = 4 ]
expect_out "  it says why and what to do" '^! resource run-s: only in the cluster, but Online on .*wolfpack resource offline run-s\)$'
expect_ok "  nothing was deleted" wp resource show run-s
expect_ok "group offline run" wp group offline run
offline() { wp resource show run-s --json && jq -e '.state == "Offline"' "$OUT" >/dev/null; }
for _ in $(seq 100); do offline && break; sleep 0.2; done
check "run-s is Offline (its stop reported: the version stays still from here)" offline
expect_fail 2 "--dry-run and --apply together" wp cluster import "$TMP/want.json" --dry-run --apply
expect_fail 2 "neither" wp cluster import "$TMP/want.json"
finish
