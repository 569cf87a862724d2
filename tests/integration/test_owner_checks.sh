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
#   - an error on another node: an OCF Dummy whose state directory exists
#     on n1 and n3 only (in each node's own /etc/wolfpack), so that its
#     validate-all fails on n2 only: the create is refused naming n2, and
#     accepted with --force;
#   - `resource set` runs the same checks on the resource as it will be:
#     moving a good Dummy's state there is refused naming n2 (the stored
#     value unchanged), and accepted with --force;
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

# an error on n2 only: validate-all cannot write Dummy's state file there
STATE=/etc/wolfpack/wpstate-$$ # on n1 and n3 only
GOOD=/etc/wolfpack/wpgood-$$   # on every node
n2_refuses() { # stderr: the refusal ("cannot VERB resource RES") names n2 and validate-all
    grep -q "^error: cannot $1 resource $2" "$TMP/err" &&
        grep -q "on node n2: .*validate-all.*not writable" "$TMP/err" &&
        grep -q "nothing was changed" "$TMP/err"
}
n2_forced() { # stderr: the --force warning names n2
    grep -q "^warning: resource $2: on node n2: .*validate-all.*(--force: $1 anyway)" "$TMP/err"
}
dummy() { # dummy NODE RESOURCE STATE [--force]: create an OCF Dummy in group everywhere
    wp "$1" resource create "$2" --group everywhere --type ocf --prop agent=ocf:heartbeat:Dummy \
        --prop "state=$3" "${@:4}"
}
if [ -x /usr/lib/ocf/resource.d/heartbeat/Dummy ]; then
    for n in n1 n2 n3; do "$TC" exec "$n" mkdir -p "$GOOD"; done
    check "Dummy's state directory on n1 and n3 only" bash -c \
        "'$TC' exec n1 mkdir -p '$STATE' && '$TC' exec n3 mkdir -p '$STATE'"
    dummy n1 oc-v "$STATE/v.state"
    check "create with validate-all failing on n2: refused (exit 2)" [ $? = 2 ]
    check "  the refusal names n2 and validate-all" n2_refuses create oc-v
    check "  not stored" bash -c "! '$TC' exec n1 '$WOLFPACK' resource show oc-v >/dev/null 2>&1"
    check "create it with --force: stored" dummy n1 oc-v "$STATE/v.state" --force
    check "  the refusal is a warning naming n2" n2_forced created oc-v
    check "a Dummy whose state may be written everywhere" dummy n1 oc-w "$GOOD/w.state"
    wp n1 resource set oc-w --prop "state=$STATE/w.state"
    check "set its state where n2 cannot write: refused (exit 2)" [ $? = 2 ]
    check "  the refusal names n2 and validate-all" n2_refuses change oc-w
    check "  the stored state is unchanged" bash -c \
        "'$TC' exec n1 '$WOLFPACK' --json resource show oc-w | jq -e '.props.state == \"$GOOD/w.state\"' >/dev/null"
    check "set it with --force: stored" wp n1 resource set oc-w --prop "state=$STATE/w.state" --force
    check "  the refusal is a warning naming n2" n2_forced changed oc-w
    check "  the stored state is the new one" bash -c \
        "'$TC' exec n1 '$WOLFPACK' --json resource show oc-w | jq -e '.props.state == \"$STATE/w.state\"' >/dev/null"
    check "delete the Dummies (verify below counts warnings only)" bash -c \
        "'$TC' exec n1 '$WOLFPACK' resource delete oc-v >/dev/null && '$TC' exec n1 '$WOLFPACK' resource delete oc-w >/dev/null"
else
    echo "skip the OCF checks on n2: resource-agents is not installed"
fi

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
