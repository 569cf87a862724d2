#!/bin/bash
# test_refused_values.sh -- values that must be refused, through the real
# CLI and daemon (docs/SECURITY.md, "Values refused"): each refusal exits 2
# with a message and leaves the database version as it was; a close value
# beside it is accepted.  Mount points on system directories, IP Addresses
# that are a network, broadcast or loopback address, unit names starting
# with '-', commands with a newline, groups and resources named "." or "..",
# node addresses that corosync cannot reach (cluster create, node add).
. "$(dirname "$0")/lib.sh"

start_daemon
NL='
'
expect_ok "group create g" wp group create g
for name in . ..; do
    expect_fail 2 "group create '$name' is refused" wp group create "$name"
    expect_err "  and says why" 'parent directory'
    expect_fail 2 "resource create '$name' is refused" wp resource create "$name" --group g \
        --type ip --prop address=198.51.100.50/24
done
for mp in / /etc /etc/ssl /usr /var /home /boot/efi /proc /run //etc//; do
    expect_fail 2 "mountpoint=$mp is refused" wp resource create d --group g --type disk \
        --prop device=/dev/loop7 --prop mountpoint="$mp" --prop fstype=ext4
done
expect_err "  and says why" 'hide the node'
expect_ok "mountpoint=/var/lib/mysql is fine" wp resource create d --group g --type disk \
    --prop device=/dev/loop7 --prop mountpoint=/var/lib/mysql --prop fstype=ext4
for a in 198.51.100.0/24 198.51.100.255/24 127.0.0.1/8 ::1/128; do
    expect_fail 2 "IP Address $a is refused" wp resource create ip --group g --type ip \
        --prop address="$a"
done
expect_err "  and says why" 'loopback'
expect_ok "IP Address 198.51.100.1/24 is fine" wp resource create ip --group g --type ip \
    --prop address=198.51.100.1/24
expect_fail 2 "unit=-exim4.service is refused" wp resource create s --group g --type service \
    --prop unit=-exim4.service
expect_err "  and says why" 'option'
expect_fail 2 "a command with a newline is refused" wp resource create s --group g \
    --type service --prop user=root --prop "command=/bin/sleep 1${NL}/bin/id"
expect_err "  and says why" 'newline'
expect_ok "the same command on one line is fine" wp resource create s --group g \
    --type service --prop user=root --prop "command=/bin/sleep 1"

expect_fail 2 "node add n2=127.0.0.2 is refused" wp node add n2=127.0.0.2
expect_err "  and says why" 'loopback'
expect_fail 2 "node add n2=224.0.0.9 is refused" wp node add n2=224.0.0.9
expect_fail 2 "node add n2=0.0.0.0 is refused" wp node add n2=0.0.0.0

C=$TMP/cc
mkdir -p "$C"
cc() { _status_of "$WOLFPACK" cluster create "$@"; }
rc=$(cc two --node a=127.0.0.1 --node b=198.51.100.2 --config-dir "$C")
check "cluster create with a loopback node among two: exit 2" [ "$rc" -eq 2 ]
expect_err "  and says why" 'loopback'
rc=$(cc two --node a=255.255.255.255 --config-dir "$C")
check "cluster create with a broadcast node address: exit 2" [ "$rc" -eq 2 ]
check "  nothing written" [ -z "$(ls -A "$C")" ]
rc=$(cc one --node a=127.0.0.1 --config-dir "$C")
check "a one-node cluster at 127.0.0.1 is fine" [ "$rc" -eq 0 ]

finish
