#!/bin/bash
# test_node_membership.sh -- `wolfpack node add` / `node remove` against a
# real wolfpackd --solo (the cluster "clitest" whose one node, n1, is this
# daemon).  Solo mode has no corosync: nothing is rewritten, so this checks
# the verbs, the daemon's request checks and the database's refusals:
#   add with and without --nodeid (the next free id), --json;
#   refused and nothing changed: duplicate name / address / id, a bad
#   address (host name, garbage, other family), bad NAME=ADDRESS, bad --nodeid;
#   remove: the node the command runs on (n1: refused even with --force),
#   a node that owns a group (refused; --force releases it), an unknown node;
#   remove of a stopped node that owns nothing works.
# The running-member rule (remove of a node whose wolfpackd is up) needs
# real corosync: tests/integration/test_membership.sh.
. "$(dirname "$0")/lib.sh"
start_daemon

json() { wp --json "$@"; }

# --- add ----------------------------------------------------------------------
expect_ok "node add n2=198.51.100.12 (next free id)" wp node add n2=198.51.100.12
expect_out "the message says what to copy" "copy /etc/corosync/corosync.conf and /etc/corosync/authkey"
expect_ok "node show n2 --json" json node show n2
check "n2 got id 2 (highest + 1)" jq -e '.id == 2 and .address == "198.51.100.12"' "$OUT"
expect_ok "node add n7=198.51.100.17 --nodeid 7 --json" json node add n7=198.51.100.17 --nodeid 7
check "--json prints ok and the version" jq -e '.ok == true and (.version | type == "number")' "$OUT"
expect_ok "node show n7 --json" json node show n7
check "n7 has id 7" jq -e '.id == 7' "$OUT"
expect_ok "node add n8=198.51.100.18 (next free id after 7)" wp node add n8=198.51.100.18
expect_ok "node show n8 --json" json node show n8
check "n8 got id 8" jq -e '.id == 8' "$OUT"
expect_ok "node list" wp node list
expect_out "node list shows n8" "^n8 +8 +198\.51\.100\.18"

# --- refused adds: nothing changes --------------------------------------------
expect_fail 4 "add a duplicate name" wp node add n2=198.51.100.19
expect_err "duplicate name named" "already has the name n2"
expect_fail 4 "add a duplicate name (other case)" wp node add N2=198.51.100.19
expect_fail 4 "add a duplicate address" wp node add n9=198.51.100.12
expect_err "duplicate address named" "n2.*already has the address 198\.51\.100\.12"
expect_fail 4 "add a duplicate node id" wp node add n9=198.51.100.19 --nodeid 7
expect_err "duplicate id named" "n7.*already has the id 7"
expect_fail 2 "add with a host name as address" wp node add n9=node9.example
expect_err "bad address explained" "not an IPv4 or IPv6 address"
expect_fail 2 "add with a bad address" wp node add n9=198.51.100.300
expect_fail 2 "add without =ADDRESS" wp node add n9
expect_err "NAME=ADDRESS asked for" "expected NAME=ADDRESS"
expect_fail 2 "add with a bad name" wp node add 'n 9=198.51.100.19'
expect_fail 2 "add with --nodeid 0" wp node add n9=198.51.100.19 --nodeid 0
expect_fail 2 "add with --nodeid x" wp node add n9=198.51.100.19 --nodeid x
expect_fail 2 "add with two nodes" wp node add n9=198.51.100.19 n10=198.51.100.20
# the daemon checks too (a client that skips the CLI's checks): wpcall
# prints the reply and exits 1; the version must stay the same
raw_refused() { # raw_refused DESC JSON REGEX
    local before after rc=0
    before=$(version_of)
    "$WPCALL" "$SOCK" "$2" >"$OUT" 2>"$ERR" || rc=$?
    after=$(version_of)
    if [ "$rc" -ne 1 ] || [ "$before" != "$after" ] || ! grep -Eq -- "$3" "$OUT"; then
        fail "$1 (exit $rc, version $before -> $after)"
    else
        pass "$1"
    fi
}
if [ -n "$WPCALL" ]; then
    raw_refused "raw node.add with another address family" \
        '{"op":"node.add","args":{"name":"n9","address":"2001:db8::9"}}' \
        '"code":"invalid".*other address family'
    raw_refused "raw node.add with a host name" \
        '{"op":"node.add","args":{"name":"n9","address":"n9.example"}}' '"code":"invalid".*not valid'
    raw_refused "raw node.remove with force not a boolean" \
        '{"op":"node.remove","args":{"name":"n8","force":"yes"}}' '"code":"invalid".*force'
fi

# --- remove -----------------------------------------------------------------------
expect_fail 4 "remove the node the command runs on" wp node remove n1
expect_err "told to run it elsewhere" "on another node"
expect_fail 4 "remove the node the command runs on, --force" wp node remove n1 --force
expect_fail 3 "remove an unknown node" wp node remove nosuch
expect_fail 2 "remove without a name" wp node remove
expect_ok "remove n8 (stopped, owns nothing)" wp node remove n8
expect_out "remove confirms" "Node n8 removed"
expect_fail 3 "n8 is gone" wp node show n8
expect_ok "remove n7 --json" json node remove n7
check "--json prints ok" jq -e '.ok == true' "$OUT"

# A node that owns a group: only the coordinator sets owners, and here it
# places groups on n1 alone, which cannot be removed from itself; the owner
# rule is checked in tests/unit/test_db_runtime.c.
expect_ok "node list after the removals" json node list
check "n1 and n2 are left" jq -e '[.[].name] == ["n1","n2"]' "$OUT"
expect_ok "help of node add" wp node add --help
expect_out "help names --nodeid" "--nodeid"
expect_ok "help of node remove" wp node remove --help
expect_out "help states the rule" "stop its wolfpackd and corosync"

stop_daemon
finish
