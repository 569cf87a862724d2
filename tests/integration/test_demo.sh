#!/bin/bash
# test_demo.sh -- the README's demo runs in the test suite, in short mode,
# on a test cluster of its own (WPTC_DIR, WPTC_PREFIX).  It checks the
# demo's outcome, not only that it ran: exit 0; the article's question and
# refusal shown; migrate and the rolling service pack done; a failover time
# measured; the summary's "N/N ... read back" line with N > 0 and both
# numbers equal; every check of the summary "ok"; and nothing left behind
# (namespaces, loop devices).  About 1-2 minutes.
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
# check, finish (test_on_failure: the demo's output); the cluster's own
# WPTC_DIR/PREFIX (demo.sh runs tools/testcluster with them), TMP, clean-up
. "$REPO/tests/integration/lib/checks.sh"
cluster_test dm
log=$TMP/demo.log
test_on_failure() { tail -60 "$log"; }
has() { grep -Eq "$1" "$log"; }
WOLFPACK_DEMO_KEEP=0 timeout -k 10 600 ./demo.sh --short >"$log" 2>&1
rc=$?
check "demo exits 0" [ "$rc" -eq 0 ]
check "the article's question" has "^Select the cluster group configured for [a-z]+\. The [a-z]+ resources will be added to this group\.$"
check "the article's refusal" has "^This cluster group does not contain the appropriate system resources\. Select a group that contains an IP address, a network name, and a shared hard disk\.$"
check "the standalone install explained" has "A standalone install is not a cluster install"
check "migrate finished" has "^OK: [a-z]+ is a cluster install now"
check "the service pack's plan, then its rolling run" sh -c \
    "grep -q '^Plan: ' '$log' && grep -q '^OK: applied .* to the clustered install in group' '$log'"
check "every node at the new version" has "n1 ([0-9.]+), n2 \1, n3 \1$"
check "the owner fenced by the power switch first" has "^ *n[0-9] fenced \(power switch\) before the group started elsewhere: power-n[0-9] level 1 off n[0-9]: exit 0"
check "a failover time measured" has "failover: [0-9]+\.[0-9]+ s from the kill to the first answer under "
n=$(sed -nE 's/^ *([0-9]+)\/([0-9]+) [a-z]+ read back$/\1 \2/p' "$log" | tail -1)
check "summary: N/N read back, N > 0 (got: ${n:-no such line})" \
    sh -c "[ -n '$n' ] && set -- $n && [ \"\$1\" -eq \"\$2\" ] && [ \"\$1\" -gt 0 ]"
check "every check of the summary ok" sh -c "grep -q 'all checks hold' '$log' && ! grep -q '^ *FAILED ' '$log'"
check "no namespace $WPTC_PREFIX* left" sh -c "! ip netns list | grep -q '^$WPTC_PREFIX'"
check "no loop device of $WPTC_DIR left" sh -c "! losetup -a | grep -qF '$WPTC_DIR/'"
finish
