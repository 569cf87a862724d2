#!/bin/bash
# bench/bench_fence_failover.sh -- unplanned failover of the virtual
# address when the lost node must be fenced first (docs/FENCING.md,
# "Recovery waits for proof"), split into detection, fencing and start.
#
# A 3-node test cluster (token TOKEN, default 1000 ms), group web = IP
# Address 198.51.100.100/24 + Generic Service (wptcpserver) on it.  A client
# (tests/tools/wppoll) starts a request every 10 ms.  In each run the owner
# is cut off (its switch port down: it keeps running, so it must be fenced)
# at t0; then
#   detection  t0 -> a survivor's corosync shows the node gone;
#   fencing    detection -> the node is off: the switch's power-off done
#              (mtime of STATE/nodes/NODE/powered-off; mode switch: the
#              coordinator ran fence_wptc off) or its watchdog fired (mode
#              watchdog: `up --watchdog 4`, no fence device; the majority
#              then waits out the self-fence deadline, 2 x 4 s after the
#              loss, before it starts anything);
#   start      fencing -> the client's first answer from the new owner;
#   total      t0 -> that answer.
# MODES="switch watchdog" (default both), RUNS (default 5) each; median,
# min and max.  Pacemaker with the same switch agent as its stonith device
# is not run yet (bench/README.md).  Prints figures; never fails on time.
# Needs root.  BUILD selects the build (default build).
set -u
cd "$(dirname "$0")/.." || exit 1
build=${BUILD:-build}
export BUILD=$build
export WOLFPACK=${WOLFPACK:-$PWD/$build/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$PWD/$build/wolfpackd}
export WOLFPACK_FENCE_PATH=$PWD/tools
SERVER=$PWD/$build/tests/tools/wptcpserver
export WPTC_DIR=/run/wptc-fencebench-$$
export WPTC_PREFIX=wfe$$-
TC=$PWD/tools/testcluster
RUNS=${RUNS:-5}
TOKEN=${TOKEN:-1000}
MODES=${MODES:-switch watchdog}
VIP=198.51.100.100
TMP=$(mktemp -d /tmp/wpfencebench.XXXXXX)
export MR_TMP=$TMP
# mr_now, mr_ms, mr_poller_*, mr_detect_*, mr_stats
. bench/peer/measure.sh
# wp, bench_ready_all, bench_web_group
. bench/lib/cluster.sh

cleanup() {
    mr_poller_stop
    mr_detect_stop
    "$TC" down >/dev/null 2>&1
    rm -rf "$TMP" "$WPTC_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

owner() { wp "$1" group show web --json 2>/dev/null | jq -r '"\(.state) \(.owner)"'; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print ""; else printf "%.0f\n", (b - a) * 1000 }'; }
first_answer() { # the first "S" of the poller's log after T0
    awk -v t0="$1" '$1 == "S" && $2 > t0 { print $2; exit }' "$2"
}

setup() { # setup MODE
    local args=(3 --no-dns --token "$TOKEN")
    [ "$1" = watchdog ] && args+=(--watchdog 4)
    "$TC" up "${args[@]}" >"$TMP/up.log" 2>&1 || {
        tail -20 "$TMP/up.log"
        return 1
    }
    bench_ready_all || return 1
    if [ "$1" = switch ]; then
        wp n1 fence create sw --agent fence_wptc --prop "wptc_dir=$WPTC_DIR" --nodes n1,n2,n3 \
            >/dev/null || return 1
    fi
    bench_web_group "$VIP" "$SERVER" || return 1
    local i
    for ((i = 0; i < 150; i++)); do
        [ "$(owner n2)" = "Online n1" ] && return 0
        sleep 0.2
    done
    return 1
}

run_once() { # run_once MODE RUN
    local mode=$1 own surv t0 td toff tback i f
    own=$(owner n1 | cut -d' ' -f2)
    [ "$own" = null ] || [ -z "$own" ] && own=$(owner n2 | cut -d' ' -f2)
    case $own in n1) surv=n2 ;; *) surv=n1 ;; esac
    mr_poller_start "$TMP/poll.log" "$VIP" 7000
    sleep 0.2
    mr_detect_start "$surv" 3 "$TMP/detect.out"
    sleep 0.2
    t0=$(mr_now)
    "$TC" unplug "$own" >/dev/null
    mr_detect_wait
    td=$(cat "$TMP/detect.out")
    f=$WPTC_DIR/nodes/$own/powered-off
    for ((i = 0; i < 600; i++)); do
        [ -e "$f" ] && break
        sleep 0.05
    done
    toff=$(stat -c %.9Y "$f" 2>/dev/null)
    for ((i = 0; i < 600; i++)); do
        tback=$(first_answer "$t0" "$TMP/poll.log")
        [ -n "$tback" ] && break
        sleep 0.05
    done
    mr_poller_stop
    local d fe st tot
    d=$(ms_between "$t0" "$td") fe=$(ms_between "$td" "$toff") st=$(ms_between "$toff" "$tback")
    tot=$(ms_between "$t0" "$tback")
    echo "  $mode run $2: $own cut off: detection ${d:-?} ms, fencing ${fe:-?} ms," \
        "start ${st:-?} ms, total ${tot:-?} ms"
    [ -n "$d" ] && echo "$d" >>"$TMP/$mode.detect"
    [ -n "$fe" ] && echo "$fe" >>"$TMP/$mode.fence"
    [ -n "$st" ] && echo "$st" >>"$TMP/$mode.start"
    [ -n "$tot" ] && echo "$tot" >>"$TMP/$mode.total"
    "$TC" power on "$own" >/dev/null 2>&1 || "$TC" start "$own" >/dev/null
    rm -f "$WPTC_DIR/nodes/$own/watchdog-fired"
    "$TC" wait-quorum --timeout 60 >/dev/null
    bench_ready_all
    sleep 1
}

[ "$(id -u)" -eq 0 ] || {
    echo "bench_fence_failover.sh needs root"
    exit 1
}
for f in "$WOLFPACK" "$WOLFPACKD" "$SERVER"; do
    [ -x "$f" ] || {
        echo "missing $f (make BUILD=$build)"
        exit 1
    }
done
for mode in $MODES; do
    echo "== $mode: 3 nodes, token $TOKEN ms, $RUNS runs"
    if ! setup "$mode"; then
        echo "bench: could not set up the cluster ($mode)"
        "$TC" down >/dev/null 2>&1
        continue
    fi
    for ((r = 1; r <= RUNS; r++)); do run_once "$mode" "$r"; done
    "$TC" down >/dev/null 2>&1
done
echo
echo "== results (ms: median min max over $RUNS runs)"
for mode in $MODES; do
    for part in detect fence start total; do
        printf '%-8s %-7s %s\n' "$mode" "$part" "$(mr_stats "$TMP/$mode.$part" | cut -d' ' -f1-3)"
    done
done
