#!/bin/bash
# tests/integration/test_cluster_group.sh -- the cluster's own address and
# name (issue 5, item 5; docs/NETNAME.md "The cluster's own name") on a
# 3-node test cluster (tools/testcluster, real corosync and wolfpackd):
#
#   1. `testcluster up 3 --cluster-ip 198.51.100.99/24` runs `wolfpack
#      cluster create ... --ip`, whose wolfpack.conf reaches every node's
#      /etc/corosync;
#   2. the lowest node's wolfpackd creates the cluster with that address:
#      Cluster Group holds "Cluster IP Address" (198.51.100.99/24) and
#      "Cluster Name" (hostname wptc, depending on the address), and every
#      node sees the same;
#   3. Cluster Group comes Online by itself on one node, which alone holds
#      the address; the client namespace pings it; the owner resolves the
#      cluster name to it (hosts-file mode: no dns_server is set);
#   4. group move to another node: the address follows, the client still
#      pings it, the name line leaves the old owner's hosts file.
#
# Needs root.  BUILD selects the build (default build).  WPTC_DIR and
# WPTC_PREFIX may name the test cluster (default: per run).  Prints
# "N passed, N failed"; the cluster is torn down on every exit.
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test cg
build=${BUILD:-build}
CIP=198.51.100.99

wp() { # wp NODE ARGS...: the CLI on a node
    local node=$1
    shift
    "$TC" exec "$node" "$WOLFPACK" "$@"
}

# "STATE OWNER" of Cluster Group as NODE sees it
group_state() {
    wp "$1" group show "Cluster Group" --json 2>/dev/null | jq -r '"\(.state) \(.owner)"'
}

# wait_online NODE_TO_ASK TIMEOUT_S [OWNER]: Online (on OWNER if given)
wait_online() {
    local ask=$1 t=$2 want=${3:-} i st
    for ((i = 0; i < t * 5; i++)); do
        st=$(group_state "$ask")
        case $st in "Online $want"*) [ "$st" != "Online null" ] && return 0 ;; esac
        sleep 0.2
    done
    echo "Cluster Group: wanted 'Online ${want:-on some node}', have '$st'"
    wp "$ask" status 2>&1 | tail -8
    return 1
}

# the nodes that hold the cluster address now (`ip -n`: network namespace only)
holders() {
    local n out=
    for n in n1 n2 n3; do
        [ -n "$(ip -n "${WPTC_PREFIX}$n" -o -4 addr show to "$CIP" 2>/dev/null)" ] && out="$out$n "
    done
    echo "${out% }"
}
holders_are() { # holders_are NODE: only that node, within 5 s
    local i h
    for ((i = 0; i < 25; i++)); do
        h=$(holders)
        [ "$h" = "$1" ] && return 0
        sleep 0.2
    done
    echo "the address is on '$h', wanted '$1'"
    return 1
}

# a client retries, as real ones do: up to 5 pings, 1 s each (the later
# gratuitous ARP rounds go out 0.5 s apart after a move)
ping_cip() {
    local i
    for i in 1 2 3 4 5; do
        "$TC" exec client ping -c 1 -W 1 "$CIP" >/dev/null 2>&1 && return 0
    done
    "$TC" exec client ping -c 1 -W 1 "$CIP"
}

resource_json() { # resource_json NODE NAME JQ
    wp "$1" resource show "$2" --json 2>/dev/null | jq -r "$3"
}

# the owner resolves the cluster name to the address (its hosts file)
owner_resolves() {
    local i
    for ((i = 0; i < 25; i++)); do
        [ "$("$TC" exec "$1" getent hosts wptc | awk '{print $1}')" = "$CIP" ] && return 0
        sleep 0.2
    done
    echo "getent hosts wptc on $1: '$("$TC" exec "$1" getent hosts wptc)'"
    return 1
}

# ---------------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || {
    echo "test_cluster_group.sh needs root"
    exit 1
}
for f in "$WOLFPACK" "$WOLFPACKD"; do
    [ -x "$f" ] || {
        echo "missing $f: run make BUILD=$build"
        exit 1
    }
done
for c in jq ping; do
    command -v $c >/dev/null || {
        echo "$c is missing (tools/install-deps: jq, iputils-ping)"
        exit 1
    }
done

echo "== up 3 --cluster-ip $CIP/24"
if ! "$TC" up 3 --no-dns --cluster-ip "$CIP/24" >"$TMP/up.log" 2>&1; then
    bad "testcluster up 3 --cluster-ip" "$(tail -20 "$TMP/up.log")"
    finish
fi
ok "testcluster up 3 --cluster-ip $CIP/24"
for n in n1 n2 n3; do
    check_shown "$n: /etc/corosync/wolfpack.conf has cluster_ip" \
        "$TC" exec "$n" grep -Fxq "cluster_ip=$CIP/24" /etc/corosync/wolfpack.conf
done
ready=no
for ((i = 0; i < 150; i++)); do
    k=0
    for node in n1 n2 n3; do
        [ "$(wp $node status --json 2>/dev/null | jq -r '.cluster')" = wptc ] && k=$((k + 1))
    done
    [ $k -eq 3 ] && ready=yes && break
    sleep 0.2
done
check_shown "every node knows cluster wptc" [ $ready = yes ]

echo "== Cluster Group holds the cluster's address and name"
for n in n1 n2 n3; do
    check_shown "$n: Cluster IP Address in Cluster Group" \
        [ "$(resource_json "$n" "Cluster IP Address" '"\(.group)|\(.type)|\(.props.address)"')" = \
        "Cluster Group|IP Address|$CIP/24" ]
    check_shown "$n: Cluster Name in Cluster Group, on the address" \
        [ "$(resource_json "$n" "Cluster Name" \
            '"\(.group)|\(.type)|\(.props.hostname)|\(.depends_on|join(","))"')" = \
        "Cluster Group|Network Name|wptc|Cluster IP Address" ]
done
check_shown "Cluster Name has no dns_server (hosts-file mode)" \
    [ "$(resource_json n2 "Cluster Name" '.props.dns_server // "none"')" = none ]
check_shown "Cluster Group's target is online" \
    [ "$(wp n3 group show "Cluster Group" --json | jq -r .target)" = online ]

echo "== it comes Online by itself"
check_shown "Cluster Group Online" wait_online n1 60
owner=$(group_state n1 | cut -d' ' -f2)
check_shown "the owner ($owner) is a node" [ "${owner:-null}" != null ]
for n in n2 n3; do
    check_shown "$n sees the same owner" wait_online "$n" 10 "$owner"
done
check_shown "only $owner holds $CIP" holders_are "$owner"
check_shown "the client pings $CIP" ping_cip
check_shown "$owner resolves wptc to $CIP" owner_resolves "$owner"
check_shown "$owner's hosts file marks the line" \
    "$TC" exec "$owner" grep -q "^$CIP .*# wolfpack:Cluster Name" /etc/hosts

echo "== move it"
case $owner in n1) to=n2 ;; *) to=n1 ;; esac
check_shown "group move Cluster Group --to $to" wp n3 group move "Cluster Group" --to "$to"
check_shown "Online on $to" wait_online n3 30 "$to"
check_shown "only $to holds $CIP" holders_are "$to"
check_shown "the client pings $CIP after the move" ping_cip
check_shown "$to resolves wptc to $CIP" owner_resolves "$to"
check_shown "the name left $owner's hosts file" \
    bash -c "! '$TC' exec '$owner' grep -q 'wolfpack:Cluster Name' /etc/hosts"

finish
