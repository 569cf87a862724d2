#!/bin/bash
# bench/peer/measure.sh -- measuring helpers shared by the benchmarks that
# run on tools/testcluster (source it; it defines functions only).
#
#   mr_now                       unix time, ns resolution ("1795826981.835571515")
#   mr_wppoll                    path of the client poller (builds it if need be)
#   mr_poller_start LOG [ADDR PORT]
#                                start wppoll in the client namespace: a request
#                                every 10 ms, "F T" / "S T" lines in LOG
#   mr_poller_stop               stop it (by its PID)
#   mr_outage_ms T0 LOG          ms from T0 to the first "S" after the first
#                                "F" that follows T0 (the client's first answer
#                                after the outage); nothing if there is none
#   mr_detect_start NODE N OUT   on NODE, poll corosync-quorumtool -l until it
#                                lists fewer than N members; write that unix
#                                time to OUT (background, PID in MR_DETECT_PID;
#                                gives up after ~30 s)
#   mr_detect_wait               wait for it
#   mr_wait_outage T0 LOG S      wait until mr_outage_ms has an answer (at most S s)
#   mr_ms T0 T1                  (T1 - T0) in ms, rounded
#   mr_stats FILE                "median min max runs" of the numbers in FILE
#                                ("- - - 0" when it holds none)
#
# Environment: WPTC_DIR / WPTC_PREFIX (the test cluster), MR_TMP (where a
# wppoll built on the fly goes; default /tmp).

MR_REPO=${MR_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
MR_TC=${MR_TC:-$MR_REPO/tools/testcluster}
MR_POLLER_PID=
MR_DETECT_PID=

mr_now() { date +%s.%N; }

mr_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }'; }

# The poller: build/tests/tools/wppoll (make), else compiled here from
# tests/tools/wppoll.c (it needs nothing but libc).
mr_wppoll() {
    local bin=${BUILD:-$MR_REPO/build}/tests/tools/wppoll
    case $bin in /*) ;; *) bin=$MR_REPO/$bin ;; esac
    [ -x "$bin" ] && [ "$bin" -nt "$MR_REPO/tests/tools/wppoll.c" ] && { echo "$bin"; return 0; }
    bin=${MR_TMP:-/tmp}/wppoll.$$
    [ -x "$bin" ] || cc -std=c17 -D_GNU_SOURCE -O2 -Wall -o "$bin" \
        "$MR_REPO/tests/tools/wppoll.c" || return 1
    echo "$bin"
}

mr_poller_start() { # LOG [ADDR PORT]
    local log=$1 addr=${2:-198.51.100.100} port=${3:-7000} bin
    bin=$(mr_wppoll) || return 1
    : >"$log"
    "$MR_TC" exec client "$bin" "$addr" "$port" --log "$log" &
    MR_POLLER_PID=$!
    sleep 0.3 # let it see the service answer first
}

mr_poller_stop() {
    [ -n "$MR_POLLER_PID" ] || return 0
    kill -TERM "$MR_POLLER_PID" 2>/dev/null
    wait "$MR_POLLER_PID" 2>/dev/null
    MR_POLLER_PID=
}

# The same rule as bench/bench_failover.sh: failures that started up to
# 0.2 s before T0 count (a request in flight at T0), the answer must come
# after T0.
mr_outage_ms() { # T0 LOG
    awk -v t0="$1" '$2 >= t0 - 0.2 && $1 == "F" && !f { f = 1; next }
        f && $1 == "S" && $2 > t0 { printf "%.0f\n", ($2 - t0) * 1000; exit }' "$2"
}

# Detection as corosync itself sees it on a survivor.  The probe runs in
# one shell inside the node (no nsenter per poll); each corosync-quorumtool
# takes a few ms (~40 ms on a loaded 2-core machine): that is the probe's
# resolution.
mr_detect_start() { # NODE N OUT
    local node=$1 n=$2 out=$3
    : >"$out"
    # shellcheck disable=SC2016 # expands in the node's shell
    "$MR_TC" exec "$node" /bin/bash -c '
        n=$1
        for ((i = 0; i < 3000; i++)); do
            m=$(corosync-quorumtool -l 2>/dev/null | grep -c "^ *[0-9]")
            if [ "$m" -lt "$n" ]; then date +%s.%N; exit 0; fi
            sleep 0.005
        done
        exit 1' sh "$n" >"$out" &
    MR_DETECT_PID=$!
}

mr_detect_wait() {
    [ -n "$MR_DETECT_PID" ] || return 0
    wait "$MR_DETECT_PID" 2>/dev/null
    MR_DETECT_PID=
}

mr_detect_stop() {
    [ -n "$MR_DETECT_PID" ] || return 0
    kill -TERM "$MR_DETECT_PID" 2>/dev/null
    wait "$MR_DETECT_PID" 2>/dev/null
    MR_DETECT_PID=
}

mr_stats() { # FILE
    sort -n "$1" 2>/dev/null | awk '/^-?[0-9.]+$/ { a[++n] = $1 } END {
        if (n == 0) { print "- - - 0"; exit }
        m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        printf "%.0f %.0f %.0f %d\n", m, a[1], a[n], n }'
}

# mr_wait_outage T0 LOG TIMEOUT_S: wait (reading LOG only, nothing that
# competes with the cluster for the CPU) until the client is back after its
# outage; prints the outage in ms, or nothing and status 1 on timeout.
mr_wait_outage() {
    local t0=$1 log=$2 end ms
    end=$(awk -v t="$(mr_now)" -v s="$3" 'BEGIN { printf "%d\n", (t + s) * 1000 }')
    while :; do
        ms=$(mr_outage_ms "$t0" "$log")
        [ -n "$ms" ] && { echo "$ms"; return 0; }
        [ "$(date +%s%3N)" -lt "$end" ] || return 1
        sleep 0.05
    done
}
