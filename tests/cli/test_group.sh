#!/bin/bash
# test_group.sh -- group create/list/show/delete; Cluster Group is there
# from the start and cannot be deleted; duplicates and non-empty deletes are
# refused without changing the database.
. "$(dirname "$0")/lib.sh"
start_daemon

expect_ok "group list" wp group list --json
check "Cluster Group exists from the start" \
    jq -e 'map(.name) | index("Cluster Group") != null' "$OUT"
expect_fail 4 "Cluster Group cannot be deleted" wp group delete "Cluster Group"
expect_err "refusal explains itself" 'Cluster Group'

v0=$(version_of)
expect_ok "create group web" wp group create web
check "version raised by one" [ "$(version_of)" -eq $((v0 + 1)) ]
expect_ok "create group 'db tier' (space in name)" wp group create "db tier"
expect_ok "group list --json" wp group list --json
check "both groups listed" jq -e 'map(.name) | (index("web") != null and index("db tier") != null)' "$OUT"
expect_ok "group list (human)" wp group list
expect_out "human list shows 'db tier'" '^db tier '

expect_ok "group show web --json" wp group show web --json
check "show has the name" jq -e '.name == "web"' "$OUT"
check "show has a policy object" jq -e '.policy | type == "object"' "$OUT"
check "show has a resources array" jq -e '.resources | type == "array"' "$OUT"
expect_ok "group show web (human)" wp group show web
expect_out "human show titles the group" '^Group web:'
expect_out "human show lists the policy" 'failback: +never'

expect_fail 4 "duplicate group refused" wp group create web
expect_err "duplicate: says it exists" 'exist'
expect_fail 2 "empty group name refused" wp group create ""
expect_fail 2 "name too long refused" wp group create "$(printf 'x%.0s' $(seq 1 64))"
expect_fail 2 "name with a slash refused" wp group create "a/b"

expect_ok "resource in web" wp resource create web-ip --group web --type ip \
    --prop address=198.51.100.21/24
expect_fail 4 "deleting a non-empty group refused" wp group delete web
expect_ok "group still there" wp group show web
expect_fail 3 "deleting a missing group refused" wp group delete nosuch

expect_ok "delete the resource" wp resource delete web-ip
expect_ok "now the group can be deleted" wp group delete web
expect_fail 3 "deleted group is gone" wp group show web
expect_ok "delete 'db tier'" wp group delete "db tier"
expect_ok "group list --json" wp group list --json
check "only Cluster Group left" jq -e 'map(.name) == ["Cluster Group"]' "$OUT"

finish
