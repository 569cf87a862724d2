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
#      healed, all three agree again;
#   5. a virtual server (IP address, a name registered in DNS, a shared disk
#      with an on-disk lease, a service writing records to it) comes online,
#      a client writes through the name; the owner loses power; the group
#      comes back on a survivor and every acknowledged record is read back.
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
    for n in n1 n2 n3; do # what the cluster says, for the bug report
        tools/testcluster exec "$n" "$WOLFPACK" status 2>/dev/null | sed "s/^/  [$n] /" >&2 && break
    done
    exit 1
}

bold "Installing packages and building"
tools/install-deps || exit 1
make -s -j"$(nproc)" >/dev/null || fail "the build failed (run make to see why)"
export WOLFPACK=$PWD/build/wolfpack WOLFPACKD=$PWD/build/wolfpackd

# WOLFPACK_DEMO_KEEP=1 leaves the cluster up after a failure, to look at it.
cleanup() {
    [ "${WOLFPACK_DEMO_KEEP:-0}" = 1 ] && [ "${demo_ok:-0}" != 1 ] && return
    tools/testcluster down >/dev/null 2>&1
}
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
v_healed=$(field n1 .version)
for n in n2 n3; do [ "$(field $n .checksum)" = "$c1" ] || same=0; done

bold "6. A virtual server: an address, a name in DNS, a shared disk, a service"
disk=$(tools/testcluster disk vsdisk --prepare | tail -1) || fail "no shared disk"
say "shared disk $disk (one image, a loop device per node, with an on-disk lease)"
run_on n1 group create vs --policy preferred_owners=n1,n2,n3
run_on n1 resource create vs-ip --group vs --type "IP Address" --prop address=198.51.100.100/24
run_on n1 resource create vs-name --group vs --type "Network Name" --prop hostname=vs \
    --prop dns_server=198.51.100.200 --prop dns_zone=wptc.test \
    --prop tsig_key_file=/etc/wolfpack/tsig.key --depends-on vs-ip
run_on n1 resource create vs-disk --group vs --type "Physical Disk" --prop device="$disk" \
    --prop mountpoint=/srv/vs --prop fstype=ext4
run_on n1 resource create vs-svc --group vs --type "Generic Service" \
    --prop command="$PWD/build/tests/tools/wptcpserver --bind 198.51.100.100 --port 7000 --data /srv/vs/records" \
    --depends-on vs-ip --depends-on vs-name --depends-on vs-disk
run_on n1 group online vs
# group_state NODE -> "STATE|OWNER" of the group vs as NODE sees it
group_state() { tools/testcluster exec "$1" "$WOLFPACK" group show vs --json 2>/dev/null | jq -r '"\(.state)|\(.owner)"'; }
for _ in $(seq 1 300); do
    case "$(group_state n2)" in "Online|"*) break ;; esac
    sleep 0.1
done
st=$(group_state n2)
[ "${st%%|*}" = Online ] || fail "the virtual server did not come online ($st)"
owner=${st#*|}
run_on n2 status
client() { tools/testcluster exec client bash -c "$1"; }
printf '\n[client]$ getent hosts vs.wptc.test\n'
client 'getent hosts vs.wptc.test'
acked=0
for i in 1 2 3 4 5; do
    reply=$(client "exec 3<>/dev/tcp/vs.wptc.test/7000 && echo 'PUT record $i' >&3 && read -r l <&3 && echo \$l")
    case "$reply" in OK*) acked=$((acked + 1)) ;; esac
done
say "the client wrote 5 records through vs.wptc.test:7000; $acked acknowledged"

bold "7. The owner ($owner) loses power (kill -9 of its corosync and wolfpackd)"
pollog=$(mktemp /tmp/wolfpack-demo-poll.XXXXXX)
tools/testcluster exec client "$PWD/build/tests/tools/wppoll" 198.51.100.100 7000 --duration 12 \
    --log "$pollog" &
poller=$!
sleep 0.5
kill_at=$(date +%s.%N)
tools/testcluster kill "$owner"
survivor=n2
[ "$owner" = n2 ] && survivor=n3
for _ in $(seq 1 300); do
    st=$(group_state "$survivor")
    [ "${st%%|*}" = Online ] && [ "${st#*|}" != "$owner" ] && break
    sleep 0.05
done
wait "$poller" 2>/dev/null # it ends by itself (--duration)
back=$(awk -v k="$kill_at" '$1=="S" && $2>k {print $2; exit}' "$pollog")
rm -f "$pollog"
failover_ms=$(awk -v a="$kill_at" -v b="${back:-0}" 'BEGIN{ if (b > a) printf "%d", (b-a)*1000; else print "?" }')
run_on "$survivor" status
got=$(client "exec 3<>/dev/tcp/vs.wptc.test/7000 && echo GET >&3 && while read -r l <&3; do [ \"\$l\" = END ] && break; echo \"\$l\"; done" | grep -c '^record ')
say "after the failover the client reads $got of the $acked acknowledged records back"
[ "$got" -ge "$acked" ] && [ "$acked" -gt 0 ] || fail "records were lost"
say "the service answered again ${failover_ms} ms after the kill (Corosync token 1000 ms: detection alone is ~2.1 s)"
pause 2

bold "Summary"
say "3 nodes, database version $v_healed on every node after the heal"
if [ $same -eq 1 ]; then say "checksums identical on n1, n2, n3"; else fail "checksums differ"; fi
say "a killed node caught up; a minority partition refused changes; healed, all agree"
say "a virtual server (address, DNS name, shared disk, service) failed over in ${failover_ms} ms; $got/$acked records kept"
say "next: the application setup of the article (wolfpack app ...) in this demo"
demo_ok=1
tools/testcluster down >/dev/null 2>&1
say "everything removed"
