#!/bin/bash
# test_owner_checks.sh -- `resource create` checks the resource on every
# possible owner before it is stored (issue #15; src/cli/localcheck.c, the
# node task resource-check), on a 3-node test cluster:
#   - a Generic Service whose program exists on n1 only (a file in n1's own
#     /etc/wolfpack): created from n1, it is reported for n2 and n3 (each
#     named), not for n1;
#   - a group that may run on n1 and n2 only: reported for n2 only;
#   - created from n2: reported for n3 and not for n2 -- n1's check ran
#     there (it has the program);
#   - n3 down: a warning that its checks did not run; the resource is
#     stored anyway (warnings never refuse);
#   - `verify` on n1: n2's checks of the 4 resources it may own, n3 down
#     (exit 8, warnings); --no-local: no node's checks.
# ~30 s.  Run as root: tests/integration/test_owner_checks.sh.  Own WPTC_DIR
# and WPTC_PREFIX; the cluster is torn down on any exit.

set -u -o pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test own

TOOL=/etc/wolfpack/wptool-$$ # on n1 only: each node has its own /etc/wolfpack
missing() { # missing NODE: stderr reports the program missing on NODE
    grep -q "^warning: resource $RES: on node $1: the program $TOOL of its command is not there" \
        "$TMP/err"
}
not_missing() { ! missing "$1"; }
create() { # create NODE RESOURCE GROUP
    RES=$2
    wp "$1" resource create "$2" --group "$3" --type service --prop user=nobody \
        --prop "command=$TOOL 100"
}

"$TC" up 3 --no-dns --no-fence >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 3"
    finish
}
check "n1 is ready (quorate, synced)" wait_until 60 bash -c \
    "'$TC' exec n1 '$WOLFPACK' --json status | jq -e '.ready == true'"
check "the program exists on n1 only" "$TC" exec n1 cp /bin/sleep "$TOOL"
check "  not on n2" "$TC" exec n2 test ! -e "$TOOL"

check "group everywhere (every node may own it)" wp n1 group create everywhere
check "create on n1: stored (missing programs are warnings)" create n1 oc-a everywhere
check "  reported for n2" missing n2
check "  reported for n3" missing n3
check "  not for n1 (it has the program)" bash -c "! grep -q 'on this node.*$TOOL' '$TMP/err'"
check "  stored" wp n2 resource show oc-a

check "group two (possible owners n1, n2)" wp n1 group create two \
    --policy possible_owners=n1,n2
check "create in it on n1" create n1 oc-b two
check "  reported for n2" missing n2
check "  not for n3 (not a possible owner)" not_missing n3

check "create on n2 (everywhere)" create n2 oc-c everywhere
check "  reported on n2 itself (its own check)" grep -q "on this node.*$TOOL" "$TMP/err"
check "  reported for n3" missing n3
check "  not for n1 (its check ran there: it has the program)" not_missing n1

check "stop n3" "$TC" stop n3
check "n1 sees 2 members" "$TC" wait-view n1 n2 --members 2 --timeout 30
check "create on n1 with n3 down" create n1 oc-d everywhere
check "  n3: its checks did not run" grep -q \
    "^warning: resource oc-d: on node n3: the node is down, its checks did not run" "$TMP/err"
check "  reported for n2" missing n2
check "  stored" wp n1 resource show oc-d

# verify: every node's checks of the resources it may own
wp n1 verify
check "verify on n1: warnings only (exit 8)" [ $? = 8 ]
check "  n2: the program of each of its 4 resources" [ "$(grep -c "^WARNING: resource oc-.: on node n2: the program $TOOL of its command is not there" "$TMP/out")" = 4 ]
check "  n3 is down: its checks did not run" grep -q \
    "^WARNING: node n3: on node n3: the node is down, its checks did not run" "$TMP/out"
check "  n1 has the program: nothing about it" bash -c "! grep -q 'on this node.*$TOOL' '$TMP/out'"
wp n1 verify --no-local
check "verify --no-local: no node's checks" bash -c "! grep -q 'on node' '$TMP/out'"
finish
