#!/bin/bash
# test_quorum_conf.sh -- a rewrite of corosync.conf by wolfpackd (node add,
# src/daemon/nodeconf.c) keeps the votequorum options that `cluster create`
# or the operator put there (docs/FENCING.md, "Quorum for small clusters"):
# 3 nodes; last_man_standing and wait_for_all added to every node's file by
# hand and reloaded (corosync-cfgtool -R); `wolfpack node add n4=...`: every
# node's rewritten file lists n4 and still has both options; corosync's
# running configuration (cmap) still has them after the reload.
# ~30 s.  Run as root.  Own WPTC_DIR and WPTC_PREFIX; torn down on any exit.

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
TC=$REPO/tools/testcluster
export WPTC_DIR=${WPTC_DIR:-/run/wptc-qconf-$$}
export WPTC_PREFIX=${WPTC_PREFIX:-wqc$$-}
export WOLFPACK=${WOLFPACK:-$REPO/build/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$REPO/build/wolfpackd}
TMP=$(mktemp -d)
PASSED=0
FAILED=0

cleanup() {
    "$TC" down >/dev/null 2>&1 || "$TC" down
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"

conf() { echo "$WPTC_DIR/nodes/$1/etc/corosync/corosync.conf"; }
lists_n4() { grep -q "ring0_addr: 198.51.100.14" "$(conf "$1")"; }
cmap_has() { "$TC" exec "$1" corosync-cmapctl -g "$2" 2>/dev/null | grep -q "= 1$"; }

"$TC" up 3 --no-dns >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 3"
    finish
}
check "n1 is ready" wait_until 60 bash -c "'$TC' exec n1 '$WOLFPACK' --json status | jq -e '.ready == true'"

for n in n1 n2 n3; do
    sed -i 's/^\(    provider: corosync_votequorum\)$/\1\n    last_man_standing: 1\n    wait_for_all: 1/' \
        "$(conf "$n")"
    check "$n: options added by hand" grep -q "last_man_standing: 1" "$(conf "$n")"
done
check "corosync reloads the files" "$TC" exec n1 corosync-cfgtool -R
check "cmap: quorum.last_man_standing" wait_until 10 cmap_has n1 quorum.last_man_standing
check "cmap: quorum.wait_for_all" wait_until 10 cmap_has n1 quorum.wait_for_all

check "node add n4 on n2" wp n2 node add n4=198.51.100.14
for n in n1 n2 n3; do
    check "$n: the rewritten file lists n4" wait_until 30 lists_n4 "$n"
    check "$n: last_man_standing kept" grep -q "^    last_man_standing: 1$" "$(conf "$n")"
    check "$n: wait_for_all kept" grep -q "^    wait_for_all: 1$" "$(conf "$n")"
done
check "cmap after the reload: quorum.last_man_standing" wait_until 10 cmap_has n1 \
    quorum.last_man_standing

finish
