#!/bin/bash
# test_toolkit_b.sh -- the operator's checks of issue #15 (part B) on the
# test cluster (2 nodes, real Corosync and a real network):
#   - `resource create` of an IP Address whose address already answers on
#     the network is refused (exit 4, nothing stored): an address the client
#     namespace holds, and node n2's own address (duplicate address
#     detection with arping -D from n1's interface); --force creates it
#     anyway with the refusal as a warning; a free address is created
#     without a word;
#   - `wolfpack verify` on both nodes: the replicated configuration is
#     valid (exit 0), then a group that n2 only may run is a warning (8);
#   - an alert agent registered on n2 runs on n1 (the coordinator) when n2
#     leaves and when it comes back, once each.
# ~25 s.  Run as root: tests/integration/test_toolkit_b.sh.  Own WPTC_DIR
# and WPTC_PREFIX; the cluster is torn down on any exit.

set -u -o pipefail
REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test tkb

says_err() { grep -Eq -- "$1" "$TMP/err"; }
status_of() { # status_of NODE ARGS...: the CLI's exit status on NODE
    local rc=0
    wp "$@" || rc=$?
    echo "$rc"
}
no_resource() { ! wp n1 resource show "$1"; }

"$TC" up 2 --no-dns >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 2"
    finish
}
check "n1 is ready (quorate, synced)" wait_until 60 bash -c \
    "'$TC' exec n1 '$WOLFPACK' --json status | jq -e '.ready == true'"
check "the client holds 198.51.100.77 (someone else's address)" \
    "$TC" exec client ip addr add 198.51.100.77/24 dev eth0

check "create group dad" wp n1 group create dad
check "an address the client holds: refused (exit 4)" \
    [ "$(status_of n1 resource create dad-taken --group dad --type ip \
        --prop address=198.51.100.77/24)" = 4 ]
check "  it says the address answers on the network" says_err "already in use on the network.*arping"
check "  and nothing was stored" no_resource dad-taken
check "node n2's own address: refused (exit 4)" \
    [ "$(status_of n1 resource create dad-n2 --group dad --type ip \
        --prop address=198.51.100.12/24)" = 4 ]
check "  nothing stored" no_resource dad-n2
check "--force takes the client's address anyway" wp n1 resource create dad-taken --group dad \
    --type ip --prop address=198.51.100.77/24 --force
check "  with the refusal as a warning" says_err "^warning: resource dad-taken: .*--force"
check "a free address is created" wp n1 resource create dad-free --group dad --type ip \
    --prop address=198.51.100.78/24
check "  without a warning" [ ! -s "$TMP/err" ]
check "resource delete dad-taken" wp n1 resource delete dad-taken

check "verify on n1: valid (exit 0)" wp n1 verify
check "  it says so" grep -q "^Configuration valid: no errors, no warnings" "$TMP/out"
check "verify on n2 (the replicated configuration): valid" wp n2 verify
check "group dad may run on n2 only" wp n1 group set dad --policy possible_owners=n2
check "verify on n2: warnings only (exit 8)" [ "$(status_of n2 verify)" = 8 ]
check "  the group cannot fail over" grep -q "^WARNING: group dad: it can run on 1 of the cluster's 2 nodes" "$TMP/out"

# --- alert agents: node events, once, on the coordinator ---------------------------
# agents run as the daemon's user (nobody in the test cluster): the agent and
# its log where nobody reaches them (TMP itself is 0700)
AL="$TMP/alerts"
chmod 0711 "$TMP" && mkdir -p "$AL" && chmod 1777 "$AL"
cat >"$AL/agent.sh" <<AGENT
#!/bin/sh
echo "\$WOLFPACK_ALERT_SOURCE_NODE \$WOLFPACK_ALERT_KIND \$WOLFPACK_ALERT_NODE \$WOLFPACK_ALERT_STATE" >>"$AL/alerts.log"
AGENT
chmod 0755 "$AL/agent.sh"
check "alert create (on n2: replicated to n1)" wp n2 alert create rec --path "$AL/agent.sh"
check "n1 lists it" bash -c "'$TC' exec n1 '$WOLFPACK' alert list | grep -q '^rec '"
check "stop n2" "$TC" stop n2
check "n1 runs the agent: node n2 down" wait_until 30 grep -qx "n1 node n2 down" "$AL/alerts.log"
check "start n2" "$TC" start n2
check "n1 runs the agent: node n2 up" wait_until 30 grep -qx "n1 node n2 up" "$AL/alerts.log"
check "each node event once (the coordinator's)" \
    [ "$(grep -c ' node n2 ' "$AL/alerts.log")" = 2 ]
finish
