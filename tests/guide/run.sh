#!/bin/bash
# tests/guide/run.sh -- docs/GETTING-STARTED.md followed, by a script, on
# three fresh Debian 12 roots: the two cluster nodes of the guide, alpha
# (198.51.100.11) and beta (198.51.100.12), and a client (198.51.100.30).
#
#   tests/guide/run.sh [DEB_DIR]     (as root)
#
# DEB_DIR holds wolfpack_*.deb and wolfpack-kits_*.deb; without it the
# packages are built first (tools/build-deb).  It took 1 min 55 s on the
# 2-core test machine, the build and apt's downloads included (52 s with
# DEB_DIR), so ./run-tests.sh runs it (not --quick; not behind --soak).  Skipped, with the
# reason, without /var/tmp/fresh-base or when Debian's mirror cannot be
# reached (`apt-get update` fails in the fresh root).
#
# What it does, in the guide's order, with the guide's commands and example
# values (the output of each goes to the transcript, WORK/transcript.log):
#  1. Each root is a copy of /var/tmp/fresh-base (a debootstrap minbase of
#     Debian 12 made by ../shared/tools/fresh-machine.sh; not created or
#     changed here: without it the script says so and exits 0).  Step 1 of
#     the guide, the packages: `apt-get update` and `apt-get install` of the
#     .debs with apt, from Debian's mirror, as the guide's "Or build Debian
#     packages" says (plus python3 for the guide's web service and curl for
#     the client).  apt needs the mirror, so this one step runs in alpha's
#     root with the host's network (a private mount and PID namespace, root
#     changed with pivot_root, nothing started: a policy-rc.d refuses
#     service starts, as in any chroot); beta and the client are copies of
#     that root.  Then the network is cut: every node gets a network
#     namespace of its own, on a bridge in a "switch" namespace, addresses
#     from 198.51.100.0/24, no route out.
#  2. The guide's `systemctl` lines go to a stand-in (tests/guide/systemctl
#     in /usr/local/sbin of each root): this machine's PID 1 is not systemd.
#     It runs corosync and wolfpackd the way their units do.
#  3. The shared disk is a loop device all three roots see (the guide's
#     iSCSI LUN, which this machine cannot serve); DNS is the guide's hosts
#     mode (no DNS server); the firewall step is left out (nftables is not
#     in the kernel's modules here).
#  4. Steps 3, 4, 6, 7 and 9: `wolfpack cluster create prod ... --force` on
#     alpha, the three files copied to beta, corosync and wolfpackd started,
#     `corosync-quorumtool -s` and `wolfpack status` on both, the disk
#     prepared on alpha and shown on beta, the group web (IP Address,
#     Network Name, Physical Disk, the python3 web server) brought online,
#     a page put on the disk and fetched by the client with curl, a planned
#     move to beta and back, then alpha "powered off" (every process of its
#     namespaces killed, its link down): beta's status says alpha CANNOT BE
#     FENCED (no fence device: no BMC here) and web waits; the guide's
#     `wolfpack node confirm-down alpha`; then beta takes web over, the client
#     fetches the same page from beta, `wolfpack group show web` counts one
#     failover.
# Cleans up (namespaces, loop device, the roots) also on failure; WP_KEEP=1
# keeps WORK (/var/tmp/wpguide.*) for a post-mortem.  Prints
# "guide: N passed, N failed" and the time it took.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
debs=
for a in "$@"; do
    case $a in
    -h | --help) sed -n '2,50p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) debs=$a ;;
    esac
done
base=/var/tmp/fresh-base
if [ ! -x "$base/bin/bash" ]; then
    echo "skip: no fresh Debian 12 root in $base; make one with ../shared/tools/fresh-machine.sh"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "error: tests/guide/run.sh needs root (namespaces, mounts)"; exit 2; }

SECONDS=0
W=$(mktemp -d /var/tmp/wpguide.XXXXXX)
LOG=$W/transcript.log
PASSED=0
FAILED=0
declare -A PID=() ADDR=([alpha]=198.51.100.11 [beta]=198.51.100.12 [client]=198.51.100.30)
SW=
LOOP=

cleanup() {
    local n
    for n in "${!PID[@]}"; do kill -KILL "${PID[$n]}" 2>/dev/null; done
    [ -n "$SW" ] && kill -KILL "$SW" 2>/dev/null
    wait 2>/dev/null
    if [ -n "$LOOP" ]; then
        blockdev --setrw "$LOOP" 2>/dev/null
        losetup -d "$LOOP" 2>/dev/null
    fi
    if [ "${WP_KEEP:-0}" = 1 ]; then
        echo "kept $W (WP_KEEP=1)"
    elif grep -q " $W/" /proc/mounts; then
        echo "mounts are left under $W: not removing it"
    else
        rm -rf "$W"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
bad() {
    FAILED=$((FAILED + 1))
    echo "FAIL $*"
    tail -15 "$LOG" | sed 's/^/    /'
}
finish() {
    echo "guide: $PASSED passed, $FAILED failed (${SECONDS}s; transcript $LOG)"
    [ "$FAILED" -eq 0 ]
    exit
}

# ---- the packages
if [ -z "$debs" ]; then
    debs=$W/deb
    echo "building the packages (tools/build-deb $debs)"
    "$repo/tools/build-deb" "$debs" >"$W/build-deb.log" 2>&1 ||
        { bad "the packages build"; finish; }
fi
debs=$(cd "$debs" && pwd)
ls "$debs"/wolfpack_*.deb "$debs"/wolfpack-kits_*.deb >/dev/null 2>&1 ||
    { bad "wolfpack_*.deb and wolfpack-kits_*.deb in $debs"; finish; }

# ---- 1. alpha's root, the guide's step 1 with the host's network (apt)
cp -a "$base" "$W/alpha"
cp /etc/resolv.conf "$W/alpha/etc/resolv.conf" 2>/dev/null
printf '#!/bin/sh\n# tests/guide/run.sh: start no service while packages install\nexit 101\n' \
    >"$W/alpha/usr/sbin/policy-rc.d"
chmod 0755 "$W/alpha/usr/sbin/policy-rc.d"
install -m 0755 "$here/systemctl" "$W/alpha/usr/local/sbin/systemctl"
mkdir -p "$W/alpha/root/debs"
cp "$debs"/wolfpack_*.deb "$debs"/wolfpack-kits_*.deb "$W/alpha/root/debs/"

# in_root ROOT CMD: CMD in ROOT, in a private mount and PID namespace
# (pivot_root), with the host's network.
in_root() {
    unshare --mount --pid --fork --propagation private /bin/bash -c '
        r=$1; cmd=$2
        mount --bind "$r" "$r" && cd "$r" || exit 99
        mount -t proc proc proc && mount --rbind /sys sys && mount --rbind /dev dev &&
            mount -t tmpfs tmpfs run && mount -t tmpfs tmpfs tmp || exit 99
        mkdir -p .oldroot && pivot_root . .oldroot && umount -l /.oldroot && rmdir /.oldroot || exit 99
        export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
        cd /root && exec /bin/bash -c "$cmd" </dev/null' sh "$1" "$2"
}
echo "== alpha: guide step 1 (packages), with the host's network" >>"$LOG"
if ! in_root "$W/alpha" 'apt-get update' >>"$LOG" 2>&1; then
    echo "skip: apt-get update fails in the fresh root (is Debian's mirror reachable?):"
    tail -3 "$LOG" | sed 's/^/    /'
    exit 0
fi
if in_root "$W/alpha" 'set -ex
    DEBIAN_FRONTEND=noninteractive apt-get install -y ./debs/wolfpack_*.deb ./debs/wolfpack-kits_*.deb \
        iproute2 python3 curl
    groupadd --system wolfpack
    wolfpack --version' >>"$LOG" 2>&1; then
    ok "apt-get install ./wolfpack_*.deb ./wolfpack-kits_*.deb on a fresh Debian 12 root"
else
    bad "apt-get install ./wolfpack_*.deb ./wolfpack-kits_*.deb on a fresh Debian 12 root"
    finish
fi
if grep -q "^wolfpack $(cat "$repo/VERSION")\$" "$LOG"; then
    ok "wolfpack --version there"
else
    bad "wolfpack --version there"
fi
cp -a "$W/alpha" "$W/beta"
cp -a "$W/alpha" "$W/client"

# ---- the machines: one network, PID, mount and UTS namespace each
SWREADY=$W/switch.ready
unshare --net /bin/bash -c 'ip link set lo up; ip link add br0 type bridge; ip link set br0 up;
    touch "$1"; exec sleep infinity' sh "$SWREADY" &
SW=$!
for _ in $(seq 1 100); do [ -e "$SWREADY" ] && break; sleep 0.05; done
# boot NAME: its namespaces, the root made /, a shell as PID 1 that reaps
boot() {
    local n=$1 r=$W/$1 upid child
    unshare --net --uts --mount --pid --fork --propagation private /bin/bash -c '
        r=$1; n=$2
        hostname "$n"
        mount --bind "$r" "$r" && cd "$r" || exit 99
        mount -t proc proc proc && mount -t sysfs sysfs sys && mount --rbind /dev dev &&
            mount -t tmpfs tmpfs dev/shm && mount -t tmpfs tmpfs run && mount -t tmpfs tmpfs tmp ||
            exit 99
        mkdir -p .oldroot && pivot_root . .oldroot && umount -l /.oldroot && rmdir /.oldroot || exit 99
        mkdir -p /run/lock && touch /run/guide.booted
        trap "" TERM
        while :; do sleep 1; done' sh "$r" "$n" >>"$W/$n.init.log" 2>&1 &
    upid=$!
    for _ in $(seq 1 100); do
        child=$(awk '{ print $1 }' "/proc/$upid/task/$upid/children" 2>/dev/null)
        [ -n "$child" ] && [ -e "/proc/$child/root/run/guide.booted" ] && break
        sleep 0.05
    done
    [ -n "$child" ] || return 1
    PID[$n]=$child
    nsenter -t "$SW" -n ip link add "v-$n" type veth peer name eth0 netns "$child" &&
        nsenter -t "$SW" -n ip link set "v-$n" master br0 up &&
        nsenter -t "$child" -n ip link set lo up &&
        nsenter -t "$child" -n ip addr add "${ADDR[$n]}/24" dev eth0 &&
        nsenter -t "$child" -n ip link set eth0 up
}
for n in alpha beta client; do
    if boot "$n"; then
        ok "machine $n up at ${ADDR[$n]} (own namespaces, fresh root)"
    else
        bad "machine $n boots"
        finish
    fi
done
# on NAME CMDS: shell commands of the guide on machine NAME, as root there
on() {
    local n=$1
    shift
    printf '\n== %s\n%s\n' "$n" "$*" >>"$LOG"
    timeout -k 5 600 nsenter -t "${PID[$n]}" -n -m -u -p -r -w -- /usr/bin/env -i HOME=/root \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        TERM=dumb NO_COLOR=1 /bin/bash -c "cd /root; $*" </dev/null >>"$LOG" 2>&1
}
step() { # DESC NAME CMDS
    local d=$1
    shift
    if on "$@"; then ok "$d"; else bad "$d"; fi
}
# until_on SECONDS NAME CMDS: repeat until CMDS succeed
until_on() {
    local t=$1
    shift
    local _
    for _ in $(seq 1 "$t"); do
        on "$@" && return 0
        sleep 1
    done
    return 1
}
if nsenter -t "${PID[alpha]}" -n ip route get 192.0.2.1 >/dev/null 2>&1; then
    bad "no route out of the machines"
else
    ok "no route out of the machines"
fi

# ---- 3. the cluster configuration (on alpha, then copied to beta)
step "step 3: systemctl stop corosync (both)" alpha 'systemctl stop corosync'
on beta 'systemctl stop corosync'
step "step 3: wolfpack cluster create prod ... --force on alpha" alpha \
    'wolfpack cluster create prod --node alpha=198.51.100.11 --node beta=198.51.100.12 \
        --ip 198.51.100.99/24 --force'
# scp -p ... root@198.51.100.12:/etc/corosync/ (no ssh here: the same copy)
for f in corosync.conf authkey wolfpack.conf; do
    cp -p "$W/alpha/etc/corosync/$f" "$W/beta/etc/corosync/$f"
done
if cmp -s "$W/alpha/etc/corosync/authkey" "$W/beta/etc/corosync/authkey"; then
    ok "step 3: the three files copied to beta with their modes"
else
    bad "step 3: the three files copied to beta"
fi

# ---- 4. corosync and wolfpackd
step "step 4: systemctl enable --now corosync (alpha)" alpha 'systemctl enable --now corosync'
step "step 4: systemctl enable --now corosync (beta)" beta 'systemctl enable --now corosync'
if until_on 60 alpha 'corosync-quorumtool -s | grep -q "Quorate: *Yes"'; then
    ok "step 4: corosync-quorumtool -s: Quorate: Yes"
else
    bad "step 4: corosync quorate"
fi
step "step 4: systemctl enable --now wolfpackd (alpha, returns when ready)" alpha \
    'systemctl daemon-reload && systemctl enable --now wolfpackd'
step "step 4: systemctl enable --now wolfpackd (beta)" beta \
    'systemctl daemon-reload && systemctl enable --now wolfpackd'
if until_on 60 beta 'wolfpack status | grep -Eq "Cluster IP Address +network-address +Online"'; then
    ok "step 4: wolfpack status: cluster prod, Cluster Group online"
else
    bad "step 4: Cluster Group online"
fi
step "step 4: both nodes Up" alpha 'wolfpack status | grep -Eq "^ +alpha +1 .* Up" &&
    wolfpack status | grep -Eq "^ +beta +2 .* Up"'

# ---- 6. the shared disk (a loop device both nodes see)
truncate -s 256M "$W/shared.img"
LOOP=$(losetup -f --show "$W/shared.img") || { bad "a loop device for the shared disk"; finish; }
# the kernel keeps a read-only flag (a fence's BLKROSET) across detach: make
# sure the device another test may have used is writable (docs/DISK.md)
blockdev --setrw "$LOOP" || { bad "the shared disk's loop device writable"; finish; }
step "step 6: wolfpack disk prepare $LOOP (alpha)" alpha "wolfpack disk prepare $LOOP"
step "step 6: wolfpack disk show $LOOP (beta sees the lease)" beta "wolfpack disk show $LOOP"

# ---- 7. a first virtual server (hosts mode)
step "step 7: group web and its four resources, online" alpha "set -e
    wolfpack group create web --policy preferred_owners=alpha,beta
    wolfpack resource create web-ip --group web --type ip --prop address=198.51.100.40/24
    wolfpack resource create web-name --group web --type netname --prop hostname=web --depends-on web-ip
    wolfpack resource create web-disk --group web --type disk \\
        --prop device=$LOOP --prop mountpoint=/srv/web --prop fstype=ext4
    wolfpack resource create web-svc --group web --type service --prop user=www-data \\
        --prop \"command=/usr/bin/python3 -m http.server 8080 --bind 198.51.100.40 --directory /srv/web\" \\
        --depends-on web-disk --depends-on web-name
    wolfpack group online web"
online_on() { # NODE: web is Online there (as beta sees it)
    until_on 90 beta "wolfpack status | grep -Eq '^ +web +Online +$1 '"
}
if online_on alpha; then
    ok "step 7: web Online on alpha"
else
    bad "step 7: web Online on alpha"
fi
step "step 7: echo hello > /srv/web/index.html (on the owner)" alpha \
    'echo hello > /srv/web/index.html'
if until_on 30 client 'curl -s -m 2 http://198.51.100.40:8080/ | grep -qx hello'; then
    ok "step 7: the client fetches the page"
else
    bad "step 7: the client fetches the page"
fi
step "step 7: hosts mode: web in alpha's /etc/hosts" alpha 'grep -qw web /etc/hosts'

# ---- 9. a failover test
step "step 9: wolfpack group move web --to beta" beta 'wolfpack group move web --to beta'
if online_on beta; then
    ok "step 9: web Online on beta"
else
    bad "step 9: web Online on beta"
fi
if until_on 30 client 'curl -s -m 2 http://198.51.100.40:8080/ | grep -qx hello'; then
    ok "step 9: the client fetches the page from beta"
else
    bad "step 9: the page from beta"
fi
step "step 9: wolfpack group move web --to alpha" beta 'wolfpack group move web --to alpha'
if online_on alpha; then
    ok "step 9: web back on alpha"
else
    bad "step 9: web back on alpha"
fi
# alpha disappears without warning: its link down, every process killed
nsenter -t "${PID[alpha]}" -n ip link set eth0 down
kill -KILL "${PID[alpha]}"
unset 'PID[alpha]'
ok "step 9: alpha powered off (link down, its processes killed)"
# the guide's nodes have no fence device (no BMC here): recovery waits for
# proof, status says so, and the operator who knows alpha is off confirms it
if until_on 60 beta "wolfpack status | grep -q 'alpha: lost; CANNOT BE FENCED'"; then
    ok "step 9: status on beta: alpha CANNOT BE FENCED, its groups wait"
else
    bad "step 9: status on beta: alpha CANNOT BE FENCED"
fi
step "step 9: web waits (not Online on beta before the proof)" beta \
    "! wolfpack status | grep -Eq '^ +web +Online +beta '"
step "step 9: wolfpack node confirm-down alpha (on beta)" beta 'wolfpack node confirm-down alpha'
if until_on 120 beta "wolfpack status | grep -Eq '^ +web +Online +beta '"; then
    ok "step 9: beta takes web over"
else
    bad "step 9: beta takes web over"
fi
if until_on 30 client 'curl -s -m 2 http://198.51.100.40:8080/ | grep -qx hello'; then
    ok "step 9: the client fetches the same page from beta"
else
    bad "step 9: the same page from beta"
fi
step "step 9: wolfpack group show web: failovers: 1" beta \
    'wolfpack group show web | grep -Eq "failovers:? +1"'
step "step 9: systemctl stop wolfpackd on beta (a clean stop)" beta 'systemctl stop wolfpackd'
finish
