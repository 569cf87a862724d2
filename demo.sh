#!/bin/bash
# demo.sh -- the wolfpack demo (the README's first command).
#
# On one machine, as root: installs what it needs, builds, brings up a
# 3-node cluster in network namespaces (real Corosync, real SQLite, one
# wolfpackd per node), and shows what exists so far:
#   1. the cluster database replicated to every node, with identical checksums;
#   2. bad input refused with what / why / what to do, changing nothing;
#   3. a node killed (kill -9) while changes go on, and its catch-up;
#   4. a partition 2|1: the majority works, the minority refuses (no quorum);
#      healed, all three agree again.
# It removes everything it made when it ends, also on Ctrl-C.
#   ./demo.sh [--short]     --short: fewer pauses (used by the test suite)
set -u
cd "$(dirname "$0")"
short=0
[ "${1:-}" = "--short" ] && short=1

if [ "$(id -u)" -ne 0 ]; then
    echo "error: the demo must run as root" >&2
    echo "  why: it creates network namespaces and starts Corosync" >&2
    echo "  to do: run it again as root (sudo ./demo.sh)" >&2
    exit 1
fi

bold() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
say() { printf '   %s\n' "$*"; }
pause() { [ $short -eq 1 ] || sleep "${1:-1}"; }
run_on() { # NODE CMD... (echoes the command like a shell prompt)
    local node=$1
    shift
    printf '\n[%s]# wolfpack %s\n' "$node" "$*"
    tools/testcluster exec "$node" "$WOLFPACK" "$@"
}
field() { # NODE JQ-EXPR : one field of `wolfpack status --json` on NODE
    tools/testcluster exec "$1" "$WOLFPACK" status --json 2>/dev/null | jq -r "$2"
}
fail() {
    echo "demo: FAILED: $*" >&2
    exit 1
}

bold "Installing packages and building"
tools/install-deps || exit 1
make -s -j"$(nproc)" >/dev/null || fail "the build failed (run make to see why)"
export WOLFPACK=$PWD/build/wolfpack WOLFPACKD=$PWD/build/wolfpackd

cleanup() { tools/testcluster down >/dev/null 2>&1; }
trap cleanup EXIT
trap 'exit 130' INT TERM
tools/testcluster down >/dev/null 2>&1

bold "1. A 3-node cluster in network namespaces (Corosync token 1000 ms)"
t0=$(date +%s.%N)
tools/testcluster up 3 --token 1000 || fail "the test cluster did not come up"
for n in n1 n2 n3; do
    for _ in $(seq 1 100); do
        [ "$(field $n .sync 2>/dev/null)" = synced ] && break
        sleep 0.1
    done
done
say "up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
run_on n1 status

bold "2. A virtual server configured on n1 ..."
run_on n1 group create "Mail Server" --policy preferred_owners=n1,n2
run_on n1 resource create mail-ip --group "Mail Server" --type "IP Address" \
    --prop address=198.51.100.50/24
run_on n1 resource create mail-name --group "Mail Server" --type "Network Name" \
    --prop hostname=mail --depends-on mail-ip
run_on n1 resource create mail-disk --group "Mail Server" --type "Physical Disk" \
    --prop device=/dev/loop7 --prop mountpoint=/srv/mail --prop fstype=ext4
run_on n1 resource create mail-smtp --group "Mail Server" --type "Generic Service" \
    --prop command="/usr/sbin/postfix start-fg" --depends-on mail-ip --depends-on mail-name \
    --depends-on mail-disk
say "... is on n3 when the command returns:"
run_on n3 resource list --group "Mail Server"
for n in n1 n2 n3; do say "$n: version $(field $n .version), checksum $(field $n .checksum | cut -c1-16)"; done
pause 2

bold "3. Bad input is refused, and nothing changes"
v=$(field n2 .version)
run_on n2 resource depend mail-ip --on mail-smtp
say "(exit status $?: a cycle; version still $(field n2 .version), was $v)"
run_on n2 resource create bad-ip --group "Mail Server" --type "IP Address" --prop address=198.51.100.51
say "(exit status $?)"
pause 2

bold "4. n3 is killed (kill -9); changes go on; n3 comes back and catches up"
tools/testcluster kill n3
run_on n1 group create "File Server"
run_on n2 group create "Print Server"
say "n1 is at version $(field n1 .version); starting n3 again"
tools/testcluster start n3
for _ in $(seq 1 150); do
    [ "$(field n3 .sync 2>/dev/null)" = synced ] &&
        [ "$(field n3 .version)" = "$(field n1 .version)" ] && break
    sleep 0.1
done
run_on n3 group list
for n in n1 n2 n3; do say "$n: version $(field $n .version), checksum $(field $n .checksum | cut -c1-16)"; done
pause 2

bold "5. A partition: n1,n2 | n3"
tools/testcluster partition n1,n2 n3
for _ in $(seq 1 100); do
    [ "$(field n3 .quorate)" = false ] && break
    sleep 0.1
done
run_on n3 group create "Only On n3"
say "(exit status $?: the minority refuses)"
run_on n1 group create "Made During Partition"
say "(exit status $?: the majority accepts)"
tools/testcluster heal
for _ in $(seq 1 150); do
    [ "$(field n3 .quorate)" = true ] && [ "$(field n3 .sync)" = synced ] &&
        [ "$(field n3 .version)" = "$(field n1 .version)" ] && break
    sleep 0.1
done
run_on n3 group list
same=1
c1=$(field n1 .checksum)
for n in n2 n3; do [ "$(field $n .checksum)" = "$c1" ] || same=0; done

bold "Summary"
say "3 nodes, database version $(field n1 .version) on every node"
if [ $same -eq 1 ]; then say "checksums identical on n1, n2, n3"; else fail "checksums differ"; fi
say "a killed node caught up; a minority partition refused changes; healed, all agree"
say "not yet in this build: running resources (agents, failover), disks, names, app setup"
tools/testcluster down >/dev/null 2>&1
say "everything removed"
