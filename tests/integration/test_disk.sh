#!/bin/bash
# tests/integration/test_disk.sh -- the Physical Disk agent, its lease and
# its fence against a real kernel, without a cluster (docs/DISK.md).
#
# One image file, two loop devices over it (as two hosts see one LUN), two
# "nodes" = two mount + UTS namespaces of our own (host names wpdk-a-PID and
# wpdk-b-PID), each with its own run directory and a heartbeat feeder
# (wpdiskwatch feed) standing in for wolfpackd (B's feeds every keeper of
# its run directory, A's names its resource).  Agent operations run
# through tests/tools/wpagent inside the node.  An independent observer
# (wpdiskwatch watch) samples both nodes' mount tables and the lease area
# every 2 ms.
#
#   1. prepare, show, validate; A starts; B's start fails while A renews
#   2. A "dies" (keeper, feeder and holders killed, its kernel drops the
#      mount): B takes over after the lease and sees A's data
#   3. planned move B -> A (stop, start); A's keeper crashes: the heartbeat
#      side fences in its place
#   4. A's keeper frozen (SIGSTOP) while its daemon lives: the heartbeat
#      fences A at its deadline, B takes over; the observer saw no overlap
#   5. the whole of A frozen (keeper and feeder): B takes over after L; A,
#      continued, fences before any write: the image is byte-identical
#   6. forced release while A holds the disk: A's keeper fences itself
#   7. a damaged lease record: validate refuses, release --force repairs
#   8. ext4 multi-mount protection: takeover time after an unclean stop
#      (WP_DISK_SKIP_MMP=1 skips it)
# WP_SOAK=1 adds a soak of random kills, keeper freezes and moves at the
# agent level (WP_SOAK_ROUNDS, default 50).
#
# Needs root.  Cleans up on any exit.  BUILD selects the build.  Prints
# "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
build=${BUILD:-build}
WPAGENT=$PWD/$build/tests/tools/wpagent
WATCH=$PWD/$build/tests/tools/wpdiskwatch
WOLFPACK=$PWD/$build/wolfpack
TMP=$(mktemp -d /tmp/wpdk-int.XXXXXX)
IMG=$TMP/disk.img
MP=/mnt/wpdk-$$
HA=wpdk-a-$$
HB=wpdk-b-$$
RES=disk1
LOG=$TMP/agent.log
LA=
LB=
NSA=
NSB=
FA=
FB=
WPID=
PASSED=0
FAILED=0
PIDS=()
# ok, bad, finish
. "$PWD/tests/integration/lib/checks.sh"

kill_pid() { [ -n "${1:-}" ] && kill -9 "$1" 2>/dev/null; }

cleanup() {
    kill_pid "$WPID"
    for f in "$TMP"/ra/*.disk.watch "$TMP"/rb/*.disk.watch; do
        [ -e "$f" ] && kill_pid "$(cut -d' ' -f1 "$f")"
    done
    for f in "$TMP"/ra/*.disk "$TMP"/rb/*.disk; do
        [ -e "$f" ] || continue
        p=$(sed -n 's/^pid=//p' "$f")
        kill -CONT "$p" 2>/dev/null
        kill_pid "$p"
    done
    for p in "${PIDS[@]}"; do
        kill -CONT "$p" 2>/dev/null
        kill_pid "$p"
    done
    # the namespaces die with their last process; their mounts go with them
    sleep 0.2
    for l in $LA $LB; do
        blockdev --setrw "$l" 2>/dev/null
        losetup -d "$l" 2>/dev/null
    done
    # a quarantined mount keeps the directory busy until its namespace is gone
    for _ in $(seq 1 50); do
        rmdir "$MP" 2>/dev/null || [ ! -d "$MP" ] && break
        sleep 0.1
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# expect NAME GOT WANTED: on a mismatch the last agent output ($out) is shown
expect() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got '$2', wanted '$3')" "${out:-}"; fi; }

if [ "$(id -u)" != 0 ]; then
    bad "test_disk.sh: needs root"
    finish
fi
for p in "$WPAGENT" "$WATCH" "$WOLFPACK"; do
    [ -x "$p" ] || { bad "missing $p (make BUILD=$build)"; finish; }
done

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# a node: a mount + UTS namespace kept alive by a sleep; sets NODE_PID
new_node() {
    unshare --mount --uts --propagation private bash -c "hostname $1; exec sleep 100000" \
        </dev/null >/dev/null 2>&1 &
    local p=$!
    PIDS+=("$p")
    NODE_PID=$p
    for _ in $(seq 1 50); do
        [ "$(readlink /proc/$p/ns/uts)" != "$(readlink /proc/self/ns/uts)" ] &&
            [ "$(cat /proc/$p/comm 2>/dev/null)" = sleep ] && break
        sleep 0.02
    done
}
in_node() {
    local p=$1
    shift
    nsenter --mount="/proc/$p/ns/mnt" --uts="/proc/$p/ns/uts" -- "$@"
}
# feeder for a node (started in it, $! is the feeder itself); sets FEEDER
start_feeder() {
    nsenter --mount="/proc/$1/ns/mnt" --uts="/proc/$1/ns/uts" -- \
        "$WATCH" feed --resource $RES --run-dir "$2" --device "$3" --every 100 \
        --all "$([ "$2" = "$TMP/rb" ] && echo yes || echo no)" </dev/null >/dev/null 2>&1 &
    PIDS+=("$!")
    FEEDER=$!
    sleep 0.1
    kill -0 "$FEEDER" 2>/dev/null || bad "the heartbeat feeder for $2 runs (wpdiskwatch too old?)"
}
agent() { # NODEPID RUNDIR DEV OP
    in_node "$1" "$WPAGENT" --run-dir "$2" --log "$LOG" disk $RES "$4" device="$3" \
        mountpoint="$MP" fstype=ext4 2>&1
}
put_file() { # NODEPID FILE TEXT: only onto the mounted disk, never the bare directory
    if in_node "$1" sh -c 'mountpoint -q "$1" && echo "$3" > "$1/$2" && sync' sh "$MP" "$2" "$3"; then
        ok "wrote $2 on the mounted disk"
    else
        bad "wrote $2 on the mounted disk (not mounted?)"
    fi
}
# the disk mounted there (a fence's read-only placeholder tmpfs does not count)
mounted_in() {
    in_node "$1" findmnt -n -o SOURCE "$MP" 2>/dev/null | grep -qv '^wolfpack-fenced$' &&
        echo yes || echo no
}
keeper_of() { sed -n 's/^pid=//p' "$1/$RES.disk" 2>/dev/null; }
lease_field() { "$WOLFPACK" --json disk show "$LA" | sed -n "s/.*\"$1\": \"\{0,1\}\([^\",]*\).*/\1/p"; }
holder() { # a process of the node holding a file open on the disk; sets HOLD
    nsenter --mount="/proc/$1/ns/mnt" -- bash -c "exec sleep 100000 < $MP/$2" >/dev/null 2>&1 &
    PIDS+=("$!")
    HOLD=$!
    sleep 0.1
}
watch_start() {
    "$WATCH" watch --dev "$LA" --dev "$LB" --pid "$NSA" --pid "$NSB" --lease "$LA" --every 2 \
        </dev/null >"$TMP/watch.$1" 2>&1 &
    WPID=$!
}
watch_stop() { # sets summary to the observer's last line
    kill -TERM "$WPID" 2>/dev/null
    wait "$WPID" 2>/dev/null
    WPID=
    summary=$(tail -n1 "$TMP/watch.$1")
}

# ---- set-up ------------------------------------------------------------------
truncate -s 64M "$IMG"
LA=$(losetup -f --show "$IMG")
LB=$(losetup -f --show "$IMG")
blockdev --setrw "$LA" && blockdev --setrw "$LB" # a read-only flag survives detach (docs/DISK.md)
mkdir -p "$TMP/ra" "$TMP/rb" "$MP"
new_node "$HA"
NSA=$NODE_PID
new_node "$HB"
NSB=$NODE_PID
echo "image $IMG on $LA (node A) and $LB (node B)"

# ---- 1. prepare, show, validate, start, refusal ------------------------------
out=$("$WOLFPACK" disk prepare "$LA" --lease-ms 1200 2>&1)
expect "prepare" "$?" 0
"$WOLFPACK" disk prepare "$LA" >/dev/null 2>&1
expect "prepare refuses a prepared disk" "$?" 4
expect "show: free after prepare" "$(lease_field state)" free
expect "show through the other loop device: same UUID" \
    "$("$WOLFPACK" --json disk show "$LB" | sed -n 's/.*"uuid": "\(.*\)".*/\1/p')" \
    "$(lease_field uuid)"
out=$(agent "$NSA" "$TMP/ra" "$LA" validate)
expect "validate on A" "$?" 0
out=$(in_node "$NSA" "$WPAGENT" disk $RES validate device="$LA" mountpoint="$MP" fstype=ext3 2>&1)
expect "validate refuses the wrong fstype" "$?" 1
out=$(in_node "$NSA" "$WPAGENT" disk $RES validate device=/etc/hostname mountpoint="$MP" \
    fstype=ext4 2>&1)
expect "validate refuses a file that is not a block device" "$?" 1

watch_start 1
start_feeder "$NSA" "$TMP/ra" "$LA"
FA=$FEEDER
start_feeder "$NSB" "$TMP/rb" "$LB"
FB=$FEEDER
t0=$(now_ms)
out=$(agent "$NSA" "$TMP/ra" "$LA" start)
rc=$?
echo "     start on A (free lease): $(($(now_ms) - t0)) ms"
expect "A starts the disk" "$rc" 0
expect "mounted in A" "$(mounted_in "$NSA")" yes
expect "not mounted in B" "$(mounted_in "$NSB")" no
expect "not mounted on the host" "$(findmnt -n "$MP" >/dev/null && echo yes || echo no)" no
expect "lease owner is A" "$(lease_field owner)" "$HA"
if grep -q "has no persistent reservations" "$LOG"; then
    ok "loop device: reservations skipped, said so"
else
    bad "loop device: reservations skipped, said so" "$(tail -5 "$LOG")"
fi
out=$(agent "$NSA" "$TMP/ra" "$LA" quick)
expect "quick check on A" "$?" 0
out=$(agent "$NSA" "$TMP/ra" "$LA" thorough)
expect "thorough check on A" "$?" 0 
out=$(agent "$NSB" "$TMP/rb" "$LB" quick)
expect "quick check on B: not running" "$?" 7
# no false fencing under load (docs/DISK.md, "Under load"): the keeper
# runs SCHED_RR 10 (reset on fork), its memory locked unless a sanitizer
# build (its start line in the agent log says which)
ka=$(keeper_of "$TMP/ra")
expect "A's keeper runs SCHED_RR 10, reset on fork" \
    "$(chrt -p "$ka" 2>/dev/null | sed -n '1s/.*policy: //p;2s/.*priority: //p' | tr '\n' ' ')" \
    "SCHED_RR|SCHED_RESET_ON_FORK 10 "
if [ "$(awk '/^VmLck:/ {print $2}' "/proc/$ka/status")" -gt 0 ] ||
    grep -q "memory not locked (a sanitizer build)" "$LOG"; then
    ok "A's keeper has its memory locked (VmLck > 0), or says why not"
else
    bad "A's keeper has its memory locked (VmLck > 0), or says why not" "$(grep Vm "/proc/$ka/status")"
fi
c1=$(lease_field counter)
sleep 1
c2=$(lease_field counter)
if [ "$c2" -gt "$c1" ]; then
    ok "A's keeper renews ($c1 -> $c2 in 1 s)"
else
    bad "A's keeper renews ($c1 -> $c2)"
fi
t0=$(now_ms)
out=$(agent "$NSB" "$TMP/rb" "$LB" start)
rc=$?
expect "B's start fails while A renews" "$rc" 1
if echo "$out" | grep -q "held by another node"; then
    ok "B's refusal names the holder"
else
    bad "B's refusal names the holder" "$out"
fi
echo "     B gave up after $(($(now_ms) - t0)) ms"
expect "still not mounted in B" "$(mounted_in "$NSB")" no

# ---- 2. A dies ---------------------------------------------------------------
put_file "$NSA" data record-from-A
holder "$NSA" data
KA=$(keeper_of "$TMP/ra")
kill -9 "$KA" "$FA" "$HOLD"
tk=$(now_ms)
# A's kernel goes away with it: nothing of A's may stay mounted
in_node "$NSA" umount "$MP"
# the cluster needs its detection time before it starts the disk on B:
# Corosync at token 1000 takes ~2.1 s; B's lease watcher saw A stop
sleep 1.6
t0=$(now_ms)
out=$(agent "$NSB" "$TMP/rb" "$LB" start)
rc=$?
took=$(($(now_ms) - t0))
expect "B takes over after A died" "$rc" 0
echo "     takeover 1.6 s after A died: start took $took ms (L = 1200 ms, watcher seeded)"
if grep -q "lease watcher last saw a change" "$LOG"; then
    ok "B's start used its lease watcher"
else
    bad "B's start used its lease watcher" "$(tail -5 "$LOG")"
fi
if [ $((t0 + took - tk)) -gt 1200 ]; then
    ok "B claimed more than L after A's death"
else
    bad "B claimed more than L after A's death"
fi
expect "mounted in B" "$(mounted_in "$NSB")" yes
expect "A's data is on B" "$(in_node "$NSB" cat "$MP/data" 2>/dev/null)" record-from-A
expect "lease owner is B" "$(lease_field owner)" "$HB"

# ---- 3. planned move B -> A --------------------------------------------------
start_feeder "$NSA" "$TMP/ra" "$LA"
FA=$FEEDER
t0=$(now_ms)
out=$(agent "$NSB" "$TMP/rb" "$LB" stop)
expect "B stops the disk" "$?" 0
expect "lease released" "$(lease_field state)" released
out=$(agent "$NSA" "$TMP/ra" "$LA" start)
expect "A starts it again" "$?" 0
echo "     planned move (stop on B + start on A): $(($(now_ms) - t0)) ms"
out=$(agent "$NSB" "$TMP/rb" "$LB" stop)
expect "stop where it is not online is success" "$?" 0
expect "  ...and leaves A's lease alone" "$(lease_field owner)" "$HA"

# ---- 3b. A's keeper crashes, its daemon alive: the heartbeat side fences ----------
kill -9 "$(keeper_of "$TMP/ra")"
for _ in $(seq 1 150); do
    [ "$(mounted_in "$NSA")" = no ] && break
    sleep 0.02
done
expect "A's crashed keeper: the heartbeat side unmounted the disk" "$(mounted_in "$NSA")" no
if grep -q "missed its lease deadline" "$TMP/ra/$RES.disk.fenced" 2>/dev/null; then
    ok "  ...and said why"
else
    bad "  ...and said why" "$(cat "$TMP/ra/$RES.disk.fenced" 2>&1)"
fi
out=$(agent "$NSA" "$TMP/ra" "$LA" start)
expect "A starts again after its keeper crashed" "$?" 0

# ---- 4. A's keeper frozen, its daemon alive ------------------------------------
put_file "$NSA" data2 second
holder "$NSA" data2
KA=$(keeper_of "$TMP/ra")
kill -STOP "$KA"
t0=$(now_ms)
out=$(agent "$NSB" "$TMP/rb" "$LB" start)
rc=$?
expect "B takes over from A's frozen keeper" "$rc" 0
echo "     takeover from a frozen keeper: $(($(now_ms) - t0)) ms"
expect "A was unmounted by the heartbeat side" "$(mounted_in "$NSA")" no
expect "A's device is read-only" "$(blockdev --getro "$LA")" 1
if grep -q "missed its lease deadline" "$TMP/ra/$RES.disk.fenced" 2>/dev/null; then
    ok "A's fence left its reason"
else
    bad "A's fence left its reason"
fi
sleep 0.1
if kill -0 "$HOLD" 2>/dev/null; then bad "A's holder was killed"; else ok "A's holder was killed"; fi
if ps -o stat= -p "$KA" 2>/dev/null | grep -qv '^Z'; then bad "A's frozen keeper was killed"; else
    ok "A's frozen keeper was killed"; fi
out=$(agent "$NSA" "$TMP/ra" "$LA" quick)
expect "quick check on A reports the fence" "$?" 1
watch_stop 1
echo "     observer: $summary"
case "$summary" in *" overlaps 0 "*) ok "observer: no moment with two mounts (scenarios 1-4)" ;;
*) bad "observer: no moment with two mounts" "$(grep -E 'OVERLAP|mounted' "$TMP/watch.1")" ;; esac

# ---- 5. the whole of A frozen ----------------------------------------------------
out=$(agent "$NSB" "$TMP/rb" "$LB" stop)
out=$(agent "$NSA" "$TMP/ra" "$LA" start)
expect "A starts again after its fence (read-only cleared)" "$?" 0
expect "A's device is writable again" "$(blockdev --getro "$LA")" 0
watch_start 2
KA=$(keeper_of "$TMP/ra")
kill -STOP "$KA" "$FA"
out=$(agent "$NSB" "$TMP/rb" "$LB" start)
expect "B takes over from a frozen node" "$?" 0
put_file "$NSB" marker written-by-B
out=$(agent "$NSB" "$TMP/rb" "$LB" stop)
expect "B stops" "$?" 0
sync
before=$(sha256sum <"$IMG")
[ -n "${WP_DISK_DEBUG:-}" ] && cp "$IMG" "$WP_DISK_DEBUG.before"
kill -CONT "$KA" "$FA"
for _ in $(seq 1 100); do
    [ -e "$TMP/ra/$RES.disk.fenced" ] && break
    sleep 0.02
done
sleep 0.2
sync
after=$(sha256sum <"$IMG")
[ -n "${WP_DISK_DEBUG:-}" ] && cp "$IMG" "$WP_DISK_DEBUG.after"
if grep -q "deadline" "$TMP/ra/$RES.disk.fenced" 2>/dev/null; then
    ok "continued keeper fenced (deadline passed)"
else
    bad "continued keeper fenced" "$(tail -5 "$LOG")"
fi
if grep -q "late fence" "$TMP/ra/$RES.disk.fenced" 2>/dev/null; then
    ok "the fence knew it was late"
else
    bad "the fence knew it was late" "$(cat "$TMP/ra/$RES.disk.fenced")"
fi
expect "A's mount is left in place, quarantined" "$(mounted_in "$NSA")" yes
expect "no write of A landed after B's claim (image unchanged)" "$after" "$before"
out=$(agent "$NSA" "$TMP/ra" "$LA" start)
expect "start on A refused while quarantined" "$?" 1
if echo "$out" | grep -q quarantined; then
    ok "  ...saying why"
else
    bad "  ...saying why" "$out"
fi
out=$(agent "$NSA" "$TMP/ra" "$LA" stop)
expect "stop on A refused while quarantined (reboot needed)" "$?" 1
# the operator "reboots" A: its kernel drops the mount without writing
# (here: unmount after B is gone, then check the file system)
in_node "$NSA" umount "$MP"
out=$(e2fsck -fn "$LB" 2>&1)
expect "the file system is consistent after all this" "$?" 0
expect "the lease is still B's release" "$(lease_field owner)/$(lease_field state)" "$HB/released"
watch_stop 2
echo "     observer while A's kernel kept its mount, frozen: $summary"
echo "     (two mounts are expected here: a frozen node's kernel keeps its mount; docs/DISK.md)"

# ---- 6. forced release while A holds -------------------------------------------------
kill_pid "$FA"
start_feeder "$NSA" "$TMP/ra" "$LA"
FA=$FEEDER
out=$(agent "$NSA" "$TMP/ra" "$LA" start)
expect "A starts" "$?" 0
out=$("$WOLFPACK" disk release "$LB" 2>&1)
expect "release without --force is refused" "$?" 2
out=$("$WOLFPACK" disk release "$LB" --force 2>&1)
expect "release --force" "$?" 0
if echo "$out" | grep -q "WILL BE CORRUPTED"; then
    ok "release prints the warning"
else
    bad "release warning" "$out"
fi
for _ in $(seq 1 100); do
    [ -e "$TMP/ra/$RES.disk.fenced" ] && break
    sleep 0.02
done
if grep -q "no longer ours" "$TMP/ra/$RES.disk.fenced" 2>/dev/null; then
    ok "A's keeper fenced when its lease was taken"
else
    bad "A's keeper fenced when its lease was taken"
fi
expect "A unmounted" "$(mounted_in "$NSA")" no
out=$(agent "$NSA" "$TMP/ra" "$LA" stop)
expect "stop after a fence is success" "$?" 0

# ---- 7. a damaged lease record ---------------------------------------------------------
size=$(blockdev --getsize64 "$LA")
off=$(((size - 1048576) / 4096 * 4096 + 4096 + 100))
printf 'garbage' | dd of="$LA" bs=1 seek="$off" conv=notrunc status=none oflag=direct 2>/dev/null ||
    printf 'garbage' | dd of="$IMG" bs=1 seek="$off" conv=notrunc status=none
out=$(agent "$NSA" "$TMP/ra" "$LA" validate)
expect "validate refuses a damaged lease record" "$?" 1
expect "show says damaged" "$(lease_field state)" damaged
out=$("$WOLFPACK" disk release "$LA" --force 2>&1)
expect "release --force repairs it" "$?" 0
out=$(agent "$NSA" "$TMP/ra" "$LA" validate)
expect "validate after the repair" "$?" 0

# ---- 8. ext4 multi-mount protection: the cost after an unclean stop ---------------------
if [ "${WP_DISK_SKIP_MMP:-0}" != 1 ]; then
    out=$("$WOLFPACK" disk prepare "$LA" --force --mmp 2>&1)
    expect "prepare --mmp" "$?" 0
    out=$(agent "$NSA" "$TMP/ra" "$LA" start)
    expect "A starts the mmp disk" "$?" 0
    KA=$(keeper_of "$TMP/ra")
    kill -STOP "$KA" # the heartbeat fences A: shutdown without log flush = unclean
    t0=$(now_ms)
    out=$(agent "$NSB" "$TMP/rb" "$LB" start)
    rc=$?
    expect "B takes over the mmp disk" "$rc" 0
    echo "     mmp: takeover after an unclean stop: $(($(now_ms) - t0)) ms (without mmp ~L)"
    out=$(agent "$NSB" "$TMP/rb" "$LB" stop)
fi

# ---- soak (WP_SOAK=1) ---------------------------------------------------------------------
# Agent-level soak: WP_SOAK_ROUNDS (50) rounds, each a random kill of the
# owner (keeper, feeder, holders; its kernel drops the mount), freeze of the
# owner's keeper (its heartbeat fences), or planned move; the other node
# takes over; the observer must never see two mounts.  The cluster-level
# soak (kills and partitions of nodes running wolfpackd) needs the daemon's
# executor and is not here.
if [ "${WP_SOAK:-0}" = 1 ]; then
    out=$("$WOLFPACK" disk prepare "$LA" --force 2>&1)
    kill_pid "$FA"
    kill_pid "$FB"
    start_feeder "$NSA" "$TMP/ra" "$LA"
    FA=$FEEDER
    start_feeder "$NSB" "$TMP/rb" "$LB"
    FB=$FEEDER
    watch_start soak
    owner=A
    out=$(agent "$NSA" "$TMP/ra" "$LA" start)
    rounds=${WP_SOAK_ROUNDS:-50}
    kills=0 freezes=0 moves=0 failed_starts=0
    for ((i = 1; i <= rounds; i++)); do
        if [ $owner = A ]; then
            ons=$NSA ord=$TMP/ra odev=$LA nns=$NSB nrd=$TMP/rb ndev=$LB
        else
            ons=$NSB ord=$TMP/rb odev=$LB nns=$NSA nrd=$TMP/ra ndev=$LA
        fi
        holder "$ons" .wolfpack-check 2>/dev/null
        k=$(keeper_of "$ord")
        case $((RANDOM % 3)) in
        0)
            kills=$((kills + 1))
            if [ $owner = A ]; then kill -9 "$k" "$FA" "$HOLD"; else kill -9 "$k" "$FB" "$HOLD"; fi
            sleep 0.05
            in_node "$ons" umount "$MP" 2>/dev/null
            sleep "0.$((RANDOM % 10))"
            ;;
        1)
            freezes=$((freezes + 1))
            kill -STOP "$k"
            ;;
        2)
            moves=$((moves + 1))
            out=$(agent "$ons" "$ord" "$odev" stop)
            ;;
        esac
        started=no
        for _ in 1 2 3 4 5; do
            if out=$(agent "$nns" "$nrd" "$ndev" start); then
                started=yes
                break
            fi
            failed_starts=$((failed_starts + 1))
        done
        [ $started = yes ] || bad "soak round $i: takeover failed" "$out"
        # the old owner comes back: a new feeder, a clean stop of what is left
        if ! kill -0 "$FA" 2>/dev/null; then
            start_feeder "$NSA" "$TMP/ra" "$LA"
            FA=$FEEDER
        fi
        if ! kill -0 "$FB" 2>/dev/null; then
            start_feeder "$NSB" "$TMP/rb" "$LB"
            FB=$FEEDER
        fi
        kill_pid "$HOLD"
        out=$(agent "$ons" "$ord" "$odev" stop)
        if [ $owner = A ]; then owner=B; else owner=A; fi
    done
    watch_stop soak
    echo "     soak: $rounds rounds: $kills kills, $freezes keeper freezes, $moves moves," \
        "$failed_starts refused starts; observer: $summary"
    case "$summary" in *" overlaps 0 "*) ok "soak: no moment with two mounts" ;;
    *) bad "soak: no moment with two mounts" "$(grep -E 'OVERLAP' "$TMP/watch.soak")" ;; esac
fi

finish
