#!/bin/bash
# test_cluster_create.sh -- `wolfpack cluster create` (src/cli/cluster_setup.c):
# the files it writes, their modes and contents, node ids in the order
# given, the token rules, refusing to overwrite without --force, and bad
# input refused with exit 2 and nothing written.  No daemon is needed.
. "$(dirname "$0")/lib.sh"

D=$TMP/cc
mkdir -p "$D"
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
check "no temporary file left" [ "$(ls -A "$D" | tr '\n' ' ')" = "authkey corosync.conf " ]

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
check "token 300: knet_ping_interval 250" conf_has "        knet_ping_interval: 250"
check "token 300: knet_ping_timeout 500" conf_has "        knet_ping_timeout: 500"
check "no temporary file left after --force" [ "$(ls -A "$D" | wc -l)" = 2 ]

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
rc=$(cc v6 --node a=2001:db8::1 --node b=2001:db8::2 --config-dir "$V")
check "IPv6 nodes: exit 0" [ "$rc" -eq 0 ]
check "IPv6 ring0_addr" grep -q 'ring0_addr: 2001:db8::2' "$V/corosync.conf"

finish
