#!/bin/bash
# tests/integration/test_app_create_group.sh -- `wolfpack app migrate APP
# --create-group ... --mount-options OPTS` end to end on a 2-node test
# cluster (tools/testcluster; root; a few seconds).
#
# recordstore is installed standalone on n1 and given records; migrate
# creates the group (IP Address, Network Name, Physical Disk on the test
# cluster's shared loop disk) with --mount-options dirsync and moves the
# application into it.  Checked: a bad --mount-options is refused before
# anything is created; the disk resource has mount_options=dirsync; the
# group's disk is really mounted with dirsync on its owner (findmnt); the
# records are served from the group's address; a rerun after the end is
# refused and changes nothing.  The argument checks without a cluster are in
# tests/cli/test_app_cluster.sh.  Prints "N passed, N failed"; tears the
# cluster down on any exit.
set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
BUILD=${BUILD:-build}
TC=$REPO/tools/testcluster
KITS=$REPO/$BUILD/kits
export WPTC_DIR=${WPTC_DIR:-/run/wptc-cg-$$}
export WPTC_PREFIX=${WPTC_PREFIX:-wpcg$$-}
export WOLFPACK=${WOLFPACK:-$REPO/$BUILD/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$REPO/$BUILD/wolfpackd}
export WOLFPACK_APP_ROOT=/var/lib/wolfpack/root
export WOLFPACK_APP_TASK_TIMEOUT=60
TMP=$(mktemp -d /tmp/test_app_create_group.XXXXXX)
PASSED=0
FAILED=0
PORT=7171
VIP=198.51.100.61

cleanup() {
    "$TC" down >/dev/null 2>&1 || "$TC" down
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$REPO/tests/integration/lib/checks.sh"
rs() { rs_at "$@"; } # rs NODE HOST REQUEST...
records() { rs "$1" "$2" GET | grep -vc '^END$'; }
db_version() { "$TC" exec n1 "$WOLFPACK" status --json | jq -r .version; }
disk_prop() { "$TC" exec n1 "$WOLFPACK" resource show cg-disk --json | jq -r ".props.$1"; }
mounted_with() { # mounted_with NODE OPTION: the group's disk is mounted there with OPTION
    local opts
    opts=$("$TC" exec "$1" findmnt -n -o OPTIONS /srv/cg) || return 1
    [[ ",$opts," == *",$2,"* ]]
}

if [ "$(id -u)" -ne 0 ] || [ ! -x "$WOLFPACK" ] || [ ! -x "$KITS/recordstore/bin/recordstore" ]; then
    fail "run as root after make BUILD=$BUILD (kits built)"
    finish
fi

logged() { # logged FILE CMD...: CMD's output into FILE
    local f=$1
    shift
    "$@" >"$f" 2>&1
}
if ! logged "$TMP/up.log" "$TC" up 2 --no-dns; then
    fail "test cluster up (2 nodes, no DNS)"
    tail -20 "$TMP/up.log"
    finish
fi
ok "test cluster up (2 nodes, no DNS)"
check "shared disk prepared" logged "$TMP/disk.log" "$TC" disk disk1 --prepare
check "wolfpackd ready on every node" wait_until 60 sh -c \
    "for n in n1 n2; do '$TC' exec \$n '$WOLFPACK' status --json | jq -e .ready || exit 1; done"

check "n1: standalone install" wp n1 app install "$KITS/recordstore" --set port=$PORT
check "n1: start it" wp n1 app start recordstore
check "n1: 5 records written" test "$(rs n1 127.0.0.1 'PUT a' 'PUT b' 'PUT c' 'PUT d' 'PUT e' |
    grep -c '^OK')" -eq 5
check "n1: stop it" wp n1 app stop recordstore

NEWG=(--create-group cg --ip "$VIP/24" --name cg --disk /run/wolfpack/disks/disk1 --mountpoint /srv/cg)
v0=$(db_version)
rc=0
wp n1 app migrate recordstore "${NEWG[@]}" --mount-options 'dirsync,,noatime' || rc=$?
check "a bad --mount-options is refused (exit 2, got $rc)" [ "$rc" -eq 2 ]
check "naming the option list" grep -q 'mount_options' "$TMP/err"
check "the cluster database is unchanged (version $v0)" [ "$(db_version)" = "$v0" ]
check "no group cg was created" sh -c "! '$TC' exec n1 '$WOLFPACK' group show cg >/dev/null 2>&1"

check "migrate --create-group cg --mount-options dirsync" \
    wp n1 app migrate recordstore "${NEWG[@]}" --mount-options dirsync
check "says it created the group" grep -q 'created group cg (cg-ip, cg-name, cg-disk)' "$TMP/out"
check "cg-disk has mount_options=dirsync" [ "$(disk_prop mount_options)" = dirsync ]
check "cg-disk has fstype ext4 (the default)" [ "$(disk_prop fstype)" = ext4 ]
check "the disk is mounted with dirsync on n1" wait_until 30 mounted_with n1 dirsync
check "the 5 records are served from $VIP" \
    wait_until 60 eval "[ \"\$(records client $VIP)\" -eq 5 ]"
v1=$(db_version)
rc=0
wp n1 app migrate recordstore "${NEWG[@]}" --mount-options noatime || rc=$?
check "a rerun after the end is refused (exit $rc)" [ "$rc" -ne 0 ]
check "saying it is clustered already" grep -q 'installed clustered already' "$TMP/err"
check "and changes nothing (version $v1, cg-disk still dirsync)" \
    [ "$(db_version)" = "$v1" ] && [ "$(disk_prop mount_options)" = dirsync ]
check "the records are still there" [ "$(records client $VIP)" -eq 5 ]
finish
