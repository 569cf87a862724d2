#!/bin/bash
# tests/integration/test_fence_order.sh -- the disk fence never loses a
# write it let a writer acknowledge (docs/DISK.md, "The fence"; issue: a
# writer whose fsync is in flight when the journal is aborted may be told
# "success" for a transaction that never commits).
#
# No cluster: one ext4 image, two loop devices over it (two nodes seeing
# one shared disk), a private mount namespace.  tests/tools/wpfenceorder
# mounts the first device, lets a writer append + fsync + acknowledge
# records, fences the disk a few ms later, mounts the second device (journal
# replay, as the next owner does) and checks the last acknowledged record.
#
#   1. the order the fence had before (shut down, then kill): run until the
#      first round that loses an acknowledged record (at most 600 rounds) --
#      this shows the harness sees the hazard on this kernel;
#   2. wolfpack's fence (wp_disk_fence_now: detach, kill until none is new,
#      then shut down): 200 rounds (WP_FENCE_ROUNDS), none may lose one.
#
# Needs root.  Cleans up on any exit.  BUILD selects the build.  Prints
# "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
build=${BUILD:-build}
TOOL=$PWD/$build/tests/tools/wpfenceorder
ROUNDS=${WP_FENCE_ROUNDS:-200}
TMP=$(mktemp -d /tmp/wpfo.XXXXXX)
LA=
LB=
PASSED=0
FAILED=0

cleanup() {
    # the fence set LA read-only, and the kernel keeps that flag across
    # detach: the next user of the device would get a read-only disk
    for l in $LA $LB; do
        blockdev --setrw "$l" 2>/dev/null
        losetup -d "$l" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

# ok, fail, finish
# shellcheck source=lib/checks.sh
. tests/integration/lib/checks.sh

if [ "$(id -u)" -ne 0 ]; then
    echo "test_fence_order: needs root"
    fail "run as root"
    finish
fi
truncate -s 64M "$TMP/disk.img"
mkfs.ext4 -q -F "$TMP/disk.img" || {
    fail "mkfs.ext4"
    finish
}
{ LA=$(losetup -f --show "$TMP/disk.img") && LB=$(losetup -f --show "$TMP/disk.img"); } || {
    fail "two loop devices over one image"
    finish
}
blockdev --setrw "$LA" && blockdev --setrw "$LB" # a read-only flag survives detach (docs/DISK.md)
mkdir -p "$TMP/mnt"

# run ORDER ROUNDS [--until-loss]: the tool in a private mount namespace;
# prints its output, sets LOST and DONE from its tally.
run() {
    local out
    out=$(unshare --mount --propagation private "$TOOL" "$LA" "$LB" "$TMP/mnt" "$2" "$1" ${3:+"$3"} 2>&1)
    printf '%s\n' "$out" | sed 's/^/    /'
    local tally
    tally=$(echo "$out" | grep -E "^order $1: [0-9]+ rounds, [0-9]+ lost$" | tail -1)
    [ -n "$tally" ] || return 1
    DONE=$(echo "$tally" | sed -E 's/.*: ([0-9]+) rounds.*/\1/')
    LOST=$(echo "$tally" | sed -E 's/.* ([0-9]+) lost$/\1/')
}

if run old 600 --until-loss; then
    if [ "$LOST" -gt 0 ]; then
        ok "the old order (shut down, then kill) lost an acknowledged record in round $DONE: the harness sees the hazard"
    else
        fail "the old order lost nothing in $DONE rounds: this harness cannot show the hazard on this machine"
    fi
else
    fail "the old-order run did not complete"
fi

if run new "$ROUNDS"; then
    if [ "$LOST" -eq 0 ] && [ "$DONE" -eq "$ROUNDS" ]; then
        ok "wolfpack's fence: $DONE rounds, no acknowledged record lost"
    else
        fail "wolfpack's fence lost $LOST acknowledged record(s) in $DONE rounds"
    fi
else
    fail "the wolfpack-fence run did not complete"
fi
if grep -qs "$TMP" /proc/mounts; then
    fail "mounts left under $TMP"
else
    ok "no mount left behind"
fi
for l in $LA $LB; do blockdev --setrw "$l"; done
check "the loop devices go back writable (the kernel keeps a fence's read-only flag across detach)" \
    test "$(blockdev --getro "$LA")$(blockdev --getro "$LB")" = 00
finish
