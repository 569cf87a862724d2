#!/bin/bash
# bench/bench_timing.sh -- Corosync's failure detection and its false
# failovers at the timing `wolfpack cluster create` writes (docs/TIMING.md).
#
# Per token (TOKENS, default "200 250 300"; 0 = what `cluster create`
# writes when no --token is given) a 3-node test cluster without
# wolfpackd (tools/testcluster up 3 --no-daemons):
#
#   detection  RUNS (default 5) times: n3 "loses power" (tools/testcluster
#              kill: SIGKILL of its corosync) and a survivor polls
#              corosync-quorumtool every 5 ms until n3 is gone; then n3 is
#              started again and the cluster waits for 3 members.
#   stability  DUR seconds (default 30) per condition, counting the new
#              memberships n1's corosync forms (each one is a failover the
#              cluster would make, a false one here since no node failed)
#              and the knet links any node declares down:
#                idle      nothing added
#                hog       2 busy loops (both cores), ordinary priority,
#                          bounded by DUR
#                hog-nort  the same with every node's corosync moved to
#                          SCHED_OTHER first (what happens when corosync
#                          does not get real-time priority)
#                loss1     1 % of corosync's packets dropped on receipt in
#                          every node (nft numgen in the node's namespace:
#                          this kernel has no netem)
#                loss5     5 %
#
# KNET="INTERVAL TIMEOUT" sets the knet ping timers at run time (corosync-cfgtool
# -R) instead of what `cluster create` wrote.
#
# Prints one line per token and condition; never fails on a figure.  The
# load average at the start and the end is printed beside them (the machine
# is shared).  Needs root; BUILD (default build) selects wolfpack.
set -u
cd "$(dirname "$0")/.." || exit 1
build=${BUILD:-build}
export WOLFPACK=${WOLFPACK:-$PWD/$build/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$PWD/$build/wolfpackd}
export WPTC_DIR=/run/wptc-timing-$$
export WPTC_PREFIX=wtm$$-
TC=$PWD/tools/testcluster
RUNS=${RUNS:-5}
DUR=${DUR:-30}
TOKENS=${TOKENS:-200 250 300}
CONDS=${CONDS:-idle hog hog-nort loss1 loss5}
TMP=$(mktemp -d /tmp/wptiming.XXXXXX)
hogs=()

stop_hogs() {
    local p
    for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${hogs[@]}"; do wait "$p" 2>/dev/null; done
    hogs=()
}
cleanup() {
    stop_hogs
    "$TC" down >/dev/null 2>&1
    rm -rf "$TMP" "$WPTC_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

members() { # members NODE: how many members NODE's corosync shows
    "$TC" exec "$1" corosync-quorumtool -l 2>/dev/null | grep -c "^ *[0-9]"
}
wait_members() { # wait_members NODE N: up to 30 s
    local i
    for ((i = 0; i < 300; i++)); do
        [ "$(members "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
detect_ms() { # n3 killed; ms until n1 shows 2 members
    local t0 t1
    t0=$(date +%s.%N)
    "$TC" kill n3 >/dev/null 2>&1
    t1=$("$TC" exec n1 bash -c 'for ((i = 0; i < 3000; i++)); do
        n=$(corosync-quorumtool -l 2>/dev/null | grep -c "^ *[0-9]")
        [ "$n" -lt 3 ] && { date +%s.%N; exit 0; }
        sleep 0.005
    done; exit 1') || return 1
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }'
}
stats() { # "median min max" of the numbers in FILE
    sort -n "$1" | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "- - -"; exit }
        m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        printf "%.0f %.0f %.0f\n", m, a[1], a[NR] }'
}
count_in_logs() { # count_in_logs PATTERN: lines in every node's corosync.log
    cat "$WPTC_DIR"/nodes/n*/var/log/corosync/corosync.log 2>/dev/null | grep -c "$1"
}
n1_memberships() {
    grep -c "A new membership" "$WPTC_DIR/nodes/n1/var/log/corosync/corosync.log" 2>/dev/null
}
corosync_pids() { cat "$WPTC_DIR"/nodes/n*/corosync.pid 2>/dev/null | cut -d" " -f1; }
set_rt() { # set_rt on|off: every thread of every node's corosync
    local p t
    for p in $(corosync_pids); do
        for t in /proc/"$p"/task/*; do
            t=${t##*/}
            if [ "$1" = off ]; then chrt -o -p 0 "$t"; else chrt -r -p 99 "$t"; fi
        done
    done >/dev/null 2>&1
}
set_loss() { # set_loss PERMILLE (0: none)
    local n
    for n in n1 n2 n3; do
        ip netns exec "${WPTC_PREFIX}$n" nft delete table inet wptiming 2>/dev/null
        [ "$1" = 0 ] && continue
        ip netns exec "${WPTC_PREFIX}$n" nft -f - <<EOF
table inet wptiming {
    chain in { type filter hook input priority 0; policy accept; udp dport 5405 numgen random mod 1000 < $1 drop; }
}
EOF
    done
}
run_condition() { # run_condition COND: new memberships and links down in DUR s
    local m0 l0 m1 l1
    m0=$(n1_memberships)
    l0=$(count_in_logs "link: 0 is down")
    case $1 in
    hog | hog-nort)
        [ "$1" = hog-nort ] && set_rt off
        hogs=()
        timeout "$DUR" sh -c 'while :; do :; done' &
        hogs+=($!)
        timeout "$DUR" sh -c 'while :; do :; done' &
        hogs+=($!)
        sleep "$DUR"
        stop_hogs
        [ "$1" = hog-nort ] && set_rt on
        ;;
    loss1) set_loss 10 && sleep "$DUR" && set_loss 0 ;;
    loss5) set_loss 50 && sleep "$DUR" && set_loss 0 ;;
    *) sleep "$DUR" ;;
    esac
    sleep 2 # let a membership change that began at the end settle
    m1=$(n1_memberships)
    l1=$(count_in_logs "link: 0 is down")
    echo "$((m1 - m0)) $((l1 - l0))"
    wait_members n1 3 || echo "(the cluster did not come back to 3 members)" >&2
}

printf 'load average at start: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
for token in $TOKENS; do
    args=()
    [ "$token" != 0 ] && args=(--token "$token")
    if ! "$TC" up 3 "${args[@]}" --no-daemons >"$TMP/up.log" 2>&1; then
        tail -20 "$TMP/up.log"
        continue
    fi
    wait_members n1 3 || { echo "token $token: no 3-member cluster"; "$TC" down >/dev/null 2>&1; continue; }
    if [ -n "${KNET:-}" ]; then # KNET="INTERVAL TIMEOUT": knet timers set at run time
        read -r kiv kto <<<"$KNET"
        for f in "$WPTC_DIR"/nodes/n*/etc/corosync/corosync.conf "$WPTC_DIR/shared/corosync.conf"; do
            sed -i -e "s/knet_ping_interval: .*/knet_ping_interval: $kiv/" \
                -e "s/knet_ping_timeout: .*/knet_ping_timeout: $kto/" "$f"
        done
        "$TC" exec n1 corosync-cfgtool -R >/dev/null 2>&1
    fi
    "$TC" exec n1 corosync-cmapctl -g totem.interface.0.knet_ping_timeout >&2
    conf=$(grep -E '^\s*(token|consensus|knet_ping_interval|knet_ping_timeout):' \
        "$WPTC_DIR/shared/corosync.conf" | tr -s ' \n' ' ')
    rt=$(chrt -p "$(corosync_pids | head -1)" 2>/dev/null | head -1 | sed 's/.*: //')
    : >"$TMP/det"
    for ((r = 0; r < RUNS; r++)); do
        detect_ms >>"$TMP/det" || echo "token $token: run $r: n3 not seen gone" >&2
        "$TC" start n3 >/dev/null 2>&1
        wait_members n1 3 || echo "token $token: n3 did not come back" >&2
        sleep 1
    done
    read -r med mn mx <<<"$(stats "$TMP/det")"
    printf 'token %4s  [%s] corosync %s\n' "$token" "$conf" "$rt"
    printf 'token %4s  detection median %s ms (%s..%s, %s runs)\n' "$token" "$med" "$mn" "$mx" "$RUNS"
    for c in $CONDS; do
        read -r nm nl <<<"$(run_condition "$c")"
        printf 'token %4s  %-9s %3s s: %s false membership changes, %s links declared down (load %s)\n' \
            "$token" "$c" "$DUR" "$nm" "$nl" "$(cut -d' ' -f1 /proc/loadavg)"
    done
    "$TC" down >/dev/null 2>&1
done
printf 'load average at end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
