#!/bin/bash
# bench_keeper_jitter.sh -- how late the disk keeper's and the watchdog
# pet's periodic wake-ups come under a bounded CPU hog that saturates every
# core, with and without their hardening (src/lib/rt.h: memory locked,
# SCHED_RR), so that the lease and watchdog margins can be derived from
# measurements (docs/DISK.md and docs/FENCING.md, "Under load").
#
#   bench/bench_keeper_jitter.sh [BUILD] [SECONDS] [PERIOD_MS]
#
# BUILD defaults to build, SECONDS (per run) to 30, PERIOD_MS to 20 (the
# keeper renews every L/3 = 400 ms at the default lease; a shorter period
# gives more samples of the same wake-up jitter).  Three runs of
# tests/tools/wpjitter: idle (no hog), hog with ordinary scheduling, hog
# hardened as the keeper is (SCHED_RR 10, memory locked).  The hog is
# 2 x nproc busy loops at nice 0, each ended by timeout(1) and by PID on
# any exit.  Run as root (SCHED_RR, mlockall).  A measurement, not a test:
# it never fails on a figure.
set -u -o pipefail
build=${1:-build}
seconds=${2:-30}
period=${3:-20}
cd "$(dirname "$0")/.." || exit 1
make -s BUILD="$build" "$build/tests/tools/wpjitter" >/dev/null || exit 1
jitter=$build/tests/tools/wpjitter
hogs=()

stop_hog() {
    local pid
    for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${hogs[@]}"; do wait "$pid" 2>/dev/null; done
    hogs=()
}
trap stop_hog EXIT

start_hog() {
    local i
    for ((i = 0; i < 2 * $(nproc); i++)); do
        timeout "$((seconds + 5))" sh -c 'while :; do :; done' &
        hogs+=($!)
    done
}

echo "machine: $(nproc) cpu, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "period ${period} ms, ${seconds} s per run"
printf '%-34s %s\n' "idle, ordinary scheduling:" "$("$jitter" --period "$period" --seconds "$seconds")"
start_hog
printf '%-34s %s\n' "hog, ordinary scheduling:" "$("$jitter" --period "$period" --seconds "$seconds")"
stop_hog
start_hog
printf '%-34s %s\n' "hog, SCHED_RR 10 + mlockall:" \
    "$("$jitter" --period "$period" --seconds "$seconds" --rt 10 --lock)"
stop_hog
