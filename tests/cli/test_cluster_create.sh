#!/bin/bash
# test_cluster_create.sh -- `wolfpack cluster create` (src/cli/cluster_setup.c):
# the files it writes, their modes and contents, node ids in the order
# given, the token rules, refusing to overwrite without --force, bad
# input refused with exit 2 and nothing written, and --ip: wolfpack.conf
# with cluster_ip, refused outside the nodes' subnet.  No daemon is needed.
. "$(dirname "$0")/lib.sh"

D=$TMP/cc
V6IP=$TMP/v6ip
mkdir -p "$D" "$V6IP"
cc() { _status_of "$WOLFPACK" cluster create "$@"; }
conf_has() { grep -Fxq -- "$1" "$D/corosync.conf"; }
nothing_in() { [ -z "$(ls -A "$1")" ]; }
lacks() { ! grep -q -- "$1" "$D/corosync.conf"; }

# -- a 3-node cluster ----------------------------------------------------------
rc=$(cc prod --node n3=198.51.100.13 --node n1=198.51.100.11 --node n2=198.51.100.12 \
    --config-dir "$D" --token 1500)
check "3 nodes: exit 0" [ "$rc" -eq 0 ]
expect_out "prints the file it wrote" "Wrote $D/corosync.conf"
expect_out "prints the next steps" 'Copy both files'
expect_out "next steps name wolfpackd" 'wolfpackd'
check "corosync.conf mode 0644" [ "$(stat -c %a "$D/corosync.conf")" = 644 ]
check "authkey mode 0400" [ "$(stat -c %a "$D/authkey")" = 400 ]
check "authkey has 256 bytes" [ "$(stat -c %s "$D/authkey")" = 256 ]
check "cluster_name" conf_has "    cluster_name: prod"
check "knet transport" conf_has "    transport: knet"
check "crypto aes256" conf_has "    crypto_cipher: aes256"
check "crypto sha256" conf_has "    crypto_hash: sha256"
check "token 1500" conf_has "    token: 1500"
check "token_coefficient 0" conf_has "    token_coefficient: 0"
check "no knet ping timers at token 1500" lacks knet_ping
check "no two_node with 3 nodes" lacks two_node
check "votequorum" conf_has "    provider: corosync_votequorum"
check "not to syslog" conf_has "    to_syslog: no"
check "first node given gets id 1" grep -Pzq 'name: n3\n\s+nodeid: 1\n\s+ring0_addr: 198.51.100.13\n' \
    "$D/corosync.conf"
check "third node given gets id 3" grep -Pzq 'name: n2\n\s+nodeid: 3\n\s+ring0_addr: 198.51.100.12\n' \
    "$D/corosync.conf"
check "no temporary file left" [ "$(find "$D" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')" = "authkey corosync.conf " ]
check "without --ip: no wolfpack.conf" [ ! -e "$D/wolfpack.conf" ]

# -- refuse to overwrite, --force replaces ---------------------------------------
sum_before=$(cat "$D/corosync.conf" "$D/authkey" | sha256sum)
rc=$(cc other --node a=198.51.100.1 --config-dir "$D")
check "existing files: exit 4" [ "$rc" -eq 4 ]
expect_err "existing files: names the file" "$D/corosync.conf already exists"
expect_err "existing files: says --force" '--force'
check "existing files: unchanged" [ "$(cat "$D/corosync.conf" "$D/authkey" | sha256sum)" = "$sum_before" ]
rm "$D/corosync.conf"
rc=$(cc other --node a=198.51.100.1 --config-dir "$D")
check "existing authkey alone: exit 4" [ "$rc" -eq 4 ]
check "existing authkey alone: no corosync.conf written" [ ! -e "$D/corosync.conf" ]
key_before=$(sha256sum <"$D/authkey")
rc=$(cc two --node a=198.51.100.1 --node b=198.51.100.2 --config-dir "$D" --token=300 --force)
check "--force: exit 0" [ "$rc" -eq 0 ]
check "--force: new cluster name" conf_has "    cluster_name: two"
check "--force: a new authkey" [ "$(sha256sum <"$D/authkey")" != "$key_before" ]
check "2 nodes: two_node" conf_has "    two_node: 1"
check "token 300: knet_ping_interval 100" conf_has "        knet_ping_interval: 100"
check "token 300: knet_ping_timeout 1000" conf_has "        knet_ping_timeout: 1000"
# -- the default timing (docs/TIMING.md) ---------------------------------------
rc=$(cc dflt --node a=198.51.100.1 --node b=198.51.100.2 --node c=198.51.100.3 --config-dir "$D" --force)
check "no --token: exit 0" [ "$rc" -eq 0 ]
expect_out "no --token: says the token it chose" "token 200 ms"
check "no --token: token 200" conf_has "    token: 200"
check "no --token: token_coefficient 0" conf_has "    token_coefficient: 0"
check "no --token: knet ping timers set" conf_has "        knet_ping_interval: 100"
rc=$(cc two --node a=198.51.100.1 --node b=198.51.100.2 --config-dir "$D" --token=300 --force)

check "no temporary file left after --force" [ "$(find "$D" -mindepth 1 -maxdepth 1 | wc -l)" = 2 ]

# -- bad input: exit 2, nothing written -------------------------------------------
E=$TMP/empty
mkdir -p "$E"
bad() { # bad DESC ARGS...
    local desc=$1 rc
    shift
    rc=$(_status_of "$WOLFPACK" cluster create --config-dir "$E" "$@")
    check "$desc: exit 2" [ "$rc" -eq 2 ]
    check "$desc: nothing written" nothing_in "$E"
    check "$desc: error says what to do" grep -q 'to do:' "$ERR"
}
bad "no name" --node a=198.51.100.1
bad "no nodes" c1
bad "bad cluster name" 'c 1' --node a=198.51.100.1
bad "bad node name" c1 --node 'a b=198.51.100.1'
bad "node name with a brace" c1 --node 'a}=198.51.100.1'
bad "node without address" c1 --node a
bad "node with empty address" c1 --node a=
bad "host name as address" c1 --node a=node-a.example
bad "address with prefix" c1 --node a=198.51.100.1/24
bad "address out of range" c1 --node a=198.51.100.256
bad "same node twice" c1 --node a=198.51.100.1 --node a=198.51.100.2
bad "same address twice" c1 --node a=198.51.100.1 --node b=198.51.100.1
bad "mixed address families" c1 --node a=198.51.100.1 --node b=2001:db8::2
bad "token not a number" c1 --node a=198.51.100.1 --token 5x
bad "token too small" c1 --node a=198.51.100.1 --token 10
bad "token missing" c1 --node a=198.51.100.1 --token
bad "unknown option" c1 --node a=198.51.100.1 --frob
bad "two names" c1 c2 --node a=198.51.100.1
expect_err "two names: says which" 'unexpected word "c2"'

# -- --ip: the cluster's own address in wolfpack.conf --------------------------------
P=$TMP/ip
mkdir -p "$P"
rc=$(cc prod --node n1=198.51.100.11 --node n2=198.51.100.12 --ip 198.51.100.99/24 --config-dir "$P" \
    --force)
check "--ip: exit 0" [ "$rc" -eq 0 ]
check "--ip: wolfpack.conf mode 0644" [ "$(stat -c %a "$P/wolfpack.conf" 2>/dev/null)" = 644 ]
check "--ip: cluster_ip line" grep -Fxq "cluster_ip=198.51.100.99/24" "$P/wolfpack.conf"
check "--ip: exactly one key line" [ "$(grep -vc '^#' "$P/wolfpack.conf")" = 1 ]
expect_out "--ip: prints wolfpack.conf" "Wrote $P/wolfpack.conf: cluster_ip=198.51.100.99/24"
expect_out "--ip: next steps copy it" "$P/wolfpack.conf root@NODE"
check "--ip: three files, no temporary" [ "$(find "$P" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')" = "authkey corosync.conf wolfpack.conf " ]
sum_before=$(sha256sum <"$P/wolfpack.conf")
rm "$P/corosync.conf" "$P/authkey"
rc=$(cc prod --node n1=198.51.100.11 --ip 198.51.100.98/24 --config-dir "$P")
check "existing wolfpack.conf: exit 4" [ "$rc" -eq 4 ]
expect_err "existing wolfpack.conf: names it" "$P/wolfpack.conf already exists"
check "existing wolfpack.conf: unchanged" [ "$(sha256sum <"$P/wolfpack.conf")" = "$sum_before" ]
check "existing wolfpack.conf: nothing else written" [ ! -e "$P/corosync.conf" ]
rc=$(cc prod --node n1=198.51.100.11 --config-dir "$P")
check "stale wolfpack.conf without --ip: exit 4" [ "$rc" -eq 4 ]
rc=$(cc prod --node n1=198.51.100.11 --ip=198.51.100.98/24 --config-dir "$P" --force)
check "--ip --force: exit 0" [ "$rc" -eq 0 ]
check "--ip --force: replaced" grep -Fxq "cluster_ip=198.51.100.98/24" "$P/wolfpack.conf"
rc=$(cc prod --node n1=198.51.100.11 --config-dir "$P" --force)
check "--force without --ip: exit 0" [ "$rc" -eq 0 ]
check "--force without --ip: stale wolfpack.conf removed" [ ! -e "$P/wolfpack.conf" ]
rc=$(cc v6 --node a=2001:db8::1 --node b=2001:db8::2 --ip 2001:db8::99/64 --config-dir "$V6IP" --force)
check "--ip IPv6: exit 0" [ "$rc" -eq 0 ]
check "--ip IPv6: cluster_ip line" grep -Fxq "cluster_ip=2001:db8::99/64" "$V6IP/wolfpack.conf"

bad "--ip without prefix" c1 --node a=198.51.100.1 --ip 198.51.100.99
expect_err "--ip without prefix: says why" 'prefix'
bad "--ip not an address" c1 --node a=198.51.100.1 --ip 198.51.100.999/24
bad "--ip prefix too long" c1 --node a=198.51.100.1 --ip 198.51.100.99/33
bad "--ip multicast" c1 --node a=198.51.100.1 --ip 224.0.0.9/4
bad "--ip missing value" c1 --node a=198.51.100.1 --ip
bad "--ip outside the subnet" c1 --node a=198.51.100.1 --node b=198.51.100.2 --ip 203.0.113.9/24
expect_err "--ip outside the subnet: names the node" 'not in the subnet of node address 198.51.100.1'
bad "--ip subnet too narrow for a node" c1 --node a=198.51.100.1 --node b=198.51.100.200 \
    --ip 198.51.100.99/25
expect_err "--ip too narrow: names the node outside" 'node address 198.51.100.200'
bad "--ip is a node's address" c1 --node a=198.51.100.1 --ip 198.51.100.1/24
expect_err "--ip is a node's address: says so" 'is node address 198.51.100.1'
bad "--ip of the other family" c1 --node a=198.51.100.1 --ip 2001:db8::99/64

# -- I/O errors: exit 7 ------------------------------------------------------------
rc=$(cc c1 --node a=198.51.100.1 --config-dir "$TMP/no/such/dir")
check "missing config dir: exit 7" [ "$rc" -eq 7 ]
expect_err "missing config dir: says mkdir" 'mkdir -p'
touch "$TMP/afile"
rc=$(cc c1 --node a=198.51.100.1 --config-dir "$TMP/afile")
check "config dir is a file: exit 7" [ "$rc" -eq 7 ]

# -- help ----------------------------------------------------------------------------
rc=$(cc --help)
check "--help: exit 0" [ "$rc" -eq 0 ]
expect_out "--help: usage" 'usage: wolfpack cluster create NAME --node NAME=ADDRESS'

# -- IPv6 -----------------------------------------------------------------------------
V=$TMP/v6
mkdir -p "$V"
rc=$(cc v6 --node a=2001:db8::1 --node b=2001:db8::2 --config-dir "$V" --force)
check "IPv6 nodes: exit 0" [ "$rc" -eq 0 ]
check "IPv6 ring0_addr" grep -q 'ring0_addr: 2001:db8::2' "$V/corosync.conf"

# -- wolfpackd --solo --cluster-ip --------------------------------------------------------
rc=$(_status_of timeout -k 5 30 "$WOLFPACKD" --solo --state-dir "$TMP/soloip" \
    --socket "$TMP/soloip.sock" --cluster-name c1 --node-name n1 --cluster-ip 198.51.100.99)
check "solo --cluster-ip without prefix: refused" [ "$rc" -ne 0 ]
expect_err "solo --cluster-ip without prefix: says what to do" 'give --cluster-ip as an address'
# A good one brings Cluster Group online, which runs the IP Address agent: do
# that only in a network namespace of its own (no interface holds the subnet,
# so the start fails there and the host's network is never touched).
if [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
    mkdir -p "$STATE"
    unshare --net -- "$WOLFPACKD" --solo --state-dir "$STATE" --socket "$SOCK" \
        --cluster-name Solo_IP --node-name n1 --cluster-ip 192.0.2.99/24 >>"$DLOG" 2>&1 &
    # shellcheck disable=SC2034 # lib.sh's stop_daemon and EXIT trap use it
    DPID=$!
    if wait_socket; then
        expect_ok "solo --cluster-ip: Cluster IP Address exists" wp --json resource show "Cluster IP Address"
        check "solo --cluster-ip: its address" [ "$(jq -r .props.address "$OUT")" = 192.0.2.99/24 ]
        expect_ok "solo --cluster-ip: Cluster Name exists" wp --json resource show "Cluster Name"
        check "solo --cluster-ip: hostname from the cluster name" \
            [ "$(jq -r .props.hostname "$OUT")" = solo-ip ]
        expect_ok "solo --cluster-ip: Cluster Group" wp --json group show "Cluster Group"
        check "solo --cluster-ip: Cluster Group's target is online" [ "$(jq -r .target "$OUT")" = online ]
        stop_daemon
    else
        fail "solo --cluster-ip: wolfpackd starts"
        sed 's/^/    daemon: /' "$DLOG" | tail -20
    fi
else
    echo "skip: solo --cluster-ip online check (needs root and unshare --net)"
fi

# -- quorum for small clusters: the two-node refusal, votequorum options, a
# quorum device, a second link (docs/FENCING.md) ---------------------------
Q=$TMP/quorum
mkdir -p "$Q"
rc=$(cc duo --node n1=198.51.100.11 --node n2=198.51.100.12 --config-dir "$Q")
check "two nodes without a quorum device: refused, exit 4" [ "$rc" -eq 4 ]
check "  says why (each side keeps quorum)" grep -q "each node keeps quorum" "$ERR"
check "  says what to do (--qdevice or --force with fence devices)" \
    grep -q -- "--qdevice HOST.*--force" "$ERR"
check "  nothing written" [ -z "$(ls -A "$Q")" ]
rc=$(cc duo --node n1=198.51.100.11,203.0.113.11 --node n2=198.51.100.12,203.0.113.12 \
    --qdevice 198.51.100.200 --qdevice-tls off --config-dir "$Q")
check "two nodes with --qdevice: exit 0" [ "$rc" -eq 0 ]
check "  a device section for the qnetd host" grep -q "host: 198.51.100.200" "$Q/corosync.conf"
check "  tls off" grep -q "tls: off" "$Q/corosync.conf"
check "  no two_node with a device" bash -c "! grep -q two_node '$Q/corosync.conf'"
check "  ring1_addr of n1" grep -q "ring1_addr: 203.0.113.11" "$Q/corosync.conf"
check "  ring1_addr of n2" grep -q "ring1_addr: 203.0.113.12" "$Q/corosync.conf"
rc=$(cc duo --node n1=198.51.100.11 --node n2=198.51.100.12 --force --wait-for-all \
    --config-dir "$Q")
check "two nodes with --force: exit 0 (fence devices are the operator's promise)" [ "$rc" -eq 0 ]
check "  two_node" grep -q "two_node: 1" "$Q/corosync.conf"
rc=$(cc trio --node n1=198.51.100.11 --node n2=198.51.100.12 --node n3=198.51.100.13 \
    --last-man-standing --auto-tie-breaker --force --config-dir "$Q")
check "three nodes, last_man_standing + auto_tie_breaker: exit 0" [ "$rc" -eq 0 ]
check "  last_man_standing: 1" grep -q "last_man_standing: 1" "$Q/corosync.conf"
check "  auto_tie_breaker: 1" grep -q "auto_tie_breaker: 1" "$Q/corosync.conf"
sum_before=$(sha256sum <"$Q/corosync.conf")
rc=$(cc trio --node n1=198.51.100.11 --node n2=198.51.100.12 --node n3=198.51.100.13 \
    --auto-tie-breaker --qdevice qnetd.example --force --config-dir "$Q")
check "auto_tie_breaker with a quorum device: refused, exit 2" [ "$rc" -eq 2 ]
check "  the file is unchanged" [ "$(sha256sum <"$Q/corosync.conf")" = "$sum_before" ]
rc=$(cc trio --node n1=198.51.100.11,203.0.113.11 --node n2=198.51.100.12 \
    --node n3=198.51.100.13 --force --config-dir "$Q")
check "a second address for one node only: refused, exit 2" [ "$rc" -eq 2 ]
rc=$(cc trio --node n1=198.51.100.11 --node n2=198.51.100.12 --node n3=198.51.100.13 \
    --qdevice-tls maybe --force --config-dir "$Q")
check "--qdevice-tls maybe: refused, exit 2" [ "$rc" -eq 2 ]

finish
