#!/bin/bash
# test_depend.sh -- dependencies: self, missing, cross-group and cyclic
# dependencies are refused; a Network Name needs an IP Address below it (at
# create and at undepend); `resource list --group G` is in dependency order;
# a resource others depend on cannot be deleted.  Every refusal leaves the
# database version alone.
. "$(dirname "$0")/lib.sh"
start_daemon

svc() { # svc NAME GROUP [ARGS...]: a Generic Service resource
    local name=$1 group=$2
    shift 2
    wp resource create "$name" --group "$group" --type service --prop user=root --prop command=/bin/true "$@"
}

expect_ok "group g" wp group create g
expect_ok "group other" wp group create other
expect_ok "a" svc a g
expect_ok "b" svc b g
expect_ok "c" svc c g
expect_ok "x in other group" svc x other

# -- refusals ----------------------------------------------------------------
expect_fail 2 "depend on itself" wp resource depend a --on a
expect_err "self: explained" 'itself'
expect_fail 2 "create depending on itself" svc d g --depends-on d
expect_fail 3 "depend on a missing resource" wp resource depend a --on nosuch
expect_fail 3 "create depending on a missing resource" svc d g --depends-on nosuch
expect_fail 3 "depend of a missing resource" wp resource depend nosuch --on a
expect_fail 4 "depend across groups" wp resource depend a --on x
expect_err "cross-group: names both groups" "other"
expect_fail 4 "create depending across groups" svc d g --depends-on x

expect_ok "a -> b" wp resource depend a --on b
expect_ok "b -> c" wp resource depend b --on c
expect_fail 4 "c -> a closes a cycle" wp resource depend c --on a
expect_err "cycle: explained" 'cycle'
expect_fail 4 "a -> b twice" wp resource depend a --on b
expect_fail 3 "undepend a dependency that does not exist" wp resource undepend c --on a

# -- order -------------------------------------------------------------------
expect_ok "a -> c" wp resource depend a --on c
expect_ok "resource list --group g --json" wp resource list --group g --json
check "dependency order is c, b, a" jq -e 'map(.name) == ["c", "b", "a"]' "$OUT"
check "every dependency listed before its dependent" jq -e '
    (map(.name) | to_entries | map({key: .value, value: .key}) | from_entries) as $pos
    | all(.[]; . as $r | all($r.depends_on[]; $pos[.] < $pos[$r.name]))' "$OUT"
check "only group g listed" jq -e 'all(.[]; .group == "g")' "$OUT"
expect_ok "resource list --group g (human)" wp resource list --group g
check "human list in the same order" [ "$(awk 'NR > 1 {print $2}' "$OUT" | tr '\n' ' ')" = "c b a " ]
expect_ok "resource list (all)" wp resource list --json
check "all groups' resources listed" jq -e 'map(.name) | sort == ["a", "b", "c", "x"]' "$OUT"
expect_fail 3 "resource list of a missing group" wp resource list --group nosuch

expect_ok "resource show b" wp resource show b --json
check "b depends on c" jq -e '.depends_on == ["c"]' "$OUT"
check "a depends on b" jq -e '.dependents == ["a"]' "$OUT"

# -- delete ------------------------------------------------------------------
expect_fail 4 "delete c while b and a depend on it" wp resource delete c
expect_err "delete refusal names a dependent" '(a|b)'
expect_ok "undepend a from b" wp resource undepend a --on b
expect_ok "resource show a" wp resource show a --json
check "a now depends on c only" jq -e '.depends_on == ["c"]' "$OUT"

# -- Network Name needs an IP Address below it -------------------------------
expect_ok "group vs" wp group create vs
expect_ok "ip1" wp resource create ip1 --group vs --type ip --prop address=198.51.100.50/24
expect_ok "ip2" wp resource create ip2 --group vs --type ip --prop address=198.51.100.51/24
expect_ok "svc over ip1" svc s1 vs --depends-on ip1
expect_fail 2 "Network Name without any dependency" wp resource create nn --group vs \
    --type netname --prop hostname=vs1
expect_err "explains the missing IP Address" 'IP Address'
expect_ok "svc without an IP" svc s2 vs
expect_fail 2 "Network Name over a service without an IP" wp resource create nn --group vs \
    --type netname --prop hostname=vs1 --depends-on s2
expect_ok "Network Name over an IP through a service (transitive)" wp resource create nn0 \
    --group vs --type netname --prop hostname=vs0 --depends-on s1
expect_ok "Network Name over ip1 and ip2" wp resource create nn --group vs --type netname \
    --prop hostname=vs1 --depends-on ip1 --depends-on ip2
expect_ok "undepend ip2: ip1 is still below" wp resource undepend nn --on ip2
expect_fail 4 "undepend ip1 would strand the Network Name" wp resource undepend nn --on ip1
expect_err "strand refusal names the Network Name" 'nn'
expect_fail 4 "undepend s1 would strand nn0" wp resource undepend nn0 --on s1
expect_fail 4 "delete ip1 while nn depends on it" wp resource delete ip1

finish
