#!/bin/bash
# bench/bench_replication.sh -- what the Corosync transport costs, measured
# on a test cluster (tools/testcluster) on this machine.
#
#   commit latency    one client, one change at a time (wpload, 1 connection):
#                     median and p99, on 1, 3 and 5 nodes
#   throughput        many clients at once (wpload, 100 connections) on 1, 3, 5
#   fresh-node sync   3 nodes hold 10,000 resources; n3's database is wiped and
#                     its wolfpackd started: time until it serves (synced)
#   memory            wolfpackd's VmRSS with 10,000 resources: n1 right
#                     after the load, n1 once the load has stopped (after
#                     n3's sync, seconds later), n3 after its import; and
#                     n1's peak (VmHWM)
#
# Each figure is printed beside its target.  A benchmark prints; it does not
# fail on a missed target (exit status 0 unless the cluster cannot start).
# Needs root.  BUILD selects the build (default build).  Environment:
# LAT_N (changes for latency, 300), TP_N (changes for throughput, 4000),
# TP_CONN (100), RES_N (resources, 10000), NODES (cluster sizes, "1 3 5"),
# SYNC=0 skips the fresh-node sync and memory part (e.g. NODES=3 SYNC=0 for
# the commit figures alone).
set -u
cd "$(dirname "$0")/.." || exit 1
build=${BUILD:-build}
export WOLFPACK=${WOLFPACK:-$PWD/$build/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$PWD/$build/wolfpackd}
WPLOAD=${WPLOAD:-$PWD/$build/tests/tools/wpload}
export WPTC_DIR=/run/wptc-replbench-$$
export WPTC_PREFIX=wrb$$-
TC=$PWD/tools/testcluster
LAT_N=${LAT_N:-300}
TP_N=${TP_N:-4000}
TP_CONN=${TP_CONN:-100}
RES_N=${RES_N:-10000}
TMP=$(mktemp -d /tmp/wpbench.XXXXXX)

cleanup() {
    "$TC" down >/dev/null 2>&1
    rm -rf "$TMP" "$WPTC_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

now_ms() { date +%s%3N; }
wp() {
    local n=$1
    shift
    "$TC" exec "$n" "$WOLFPACK" "$@"
}
version() { wp "$1" --json cluster show 2>/dev/null | jq -r '.version // empty'; }
ready() { [ -n "$(version "$1")" ]; }
wait_ready() { # wait_ready TIMEOUT NODE...
    local t=$1 i n all
    shift
    for ((i = 0; i < t * 20; i++)); do
        all=1
        for n in "$@"; do ready "$n" || { all=0; break; }; done
        [ $all = 1 ] && return 0
        sleep 0.05
    done
    return 1
}
up() { # up N
    "$TC" down >/dev/null 2>&1
    "$TC" up "$1" --token 1000 >"$TMP/up.log" 2>&1 || {
        echo "bench: cannot start a cluster of $1 node(s):"
        tail -5 "$TMP/up.log"
        exit 1
    }
    local nodes=()
    for ((i = 1; i <= $1; i++)); do nodes+=("n$i"); done
    wait_ready 40 "${nodes[@]}" || {
        echo "bench: the $1-node cluster did not become ready"
        exit 1
    }
}
load() { # load NODE CONNS COUNT PREFIX [more wpload args]
    local n=$1 c=$2 k=$3 p=$4
    shift 4
    "$TC" exec "$n" "$WPLOAD" --connections "$c" --requests "$k" --prefix "$p" "$@" 2>>"$TMP/wpload.err"
}
fmt() { printf '%.2f' "$1"; }
line() { printf '  %-44s %12s   target %s\n' "$1" "$2" "$3"; }
rss_kb() { # rss_kb NODE [FIELD]: wolfpackd's VmRSS (or FIELD) in kB
    local pid
    pid=$(cut -d' ' -f1 "$WPTC_DIR/nodes/$1/wolfpackd.pid" 2>/dev/null)
    awk -v f="${2:-VmRSS}:" '$1 == f {print $2}' "/proc/$pid/status" 2>/dev/null
}
mb() { echo "$((${1:-0} / 1024)) MB"; }

echo "bench_replication: $(nproc) CPU(s), build $build, $(date -u +%FT%TZ)"
echo "  (a machine shared with other work gives noisy figures: compare runs, not digits)"

# the transport's counters on n1 (status "replication.stats")
cpg_stats() { wp n1 --json status 2>/dev/null | jq -c '.replication.stats // {}'; }
# the split of one commit on n1 between two cpg_stats readings: submit ->
# applied here (CPG send, total-order delivery, the batch's apply and
# fsync), applied -> every member acked, and the apply of one batch
commit_split() { # commit_split BEFORE AFTER
    jq -rn --argjson a "$1" --argjson b "$2" '
        def d(k): (($b[k] // 0) - ($a[k] // 0));
        def avg(k): ((($b[k] // 0) * ($b.own_commands // 0) - ($a[k] // 0) * ($a.own_commands // 0))
                     / ([d("own_commands"), 1] | max) / 1000);
        "submit -> applied here \(avg("own_deliver_us_avg") * 100 | round / 100) ms, " +
        "applied -> all acked \(avg("own_ack_us_avg") * 100 | round / 100) ms, " +
        "apply+fsync per batch \(d("apply_ms") / ([d("batches"), 1] | max) * 100 | round / 100) ms, " +
        "\(d("commands")) commands in \(d("batches")) batches"'
}

for nodes in ${NODES:-1 3 5}; do
    up "$nodes"
    s0=$(cpg_stats)
    lat=$(load n1 1 "$LAT_N" "lat")
    s1=$(cpg_stats)
    tp=$(load n1 "$TP_CONN" "$TP_N" "tp")
    echo "$nodes node(s):"
    line "commit latency median (1 client)" "$(fmt "$(echo "$lat" | jq .latency_ms.median)") ms" \
        "<= 2 ms on 3 nodes"
    line "commit latency p99 (1 client)" "$(fmt "$(echo "$lat" | jq .latency_ms.p99)") ms" "-"
    echo "    one client, n1: $(commit_split "$s0" "$s1" 2>/dev/null || echo '-')"
    line "throughput ($TP_CONN clients on n1)" "$(fmt "$(echo "$tp" | jq .per_second)")/s" \
        ">= 5000/s"
    line "latency median under that load" "$(fmt "$(echo "$tp" | jq .latency_ms.median)") ms" "-"
    if [ "$nodes" = 5 ]; then
        per=$((TP_N / 5))
        for i in 1 2 3 4 5; do load "n$i" $((TP_CONN / 4)) "$per" "tp5-n$i" >"$TMP/tp5-$i.json" & done
        wait
        t=$(cat "$TMP"/tp5-*.json | jq -s 'map(.acked) | add')
        s=$(cat "$TMP"/tp5-*.json | jq -s 'map(.seconds) | max')
        line "throughput (clients on all 5 nodes)" "$(fmt "$(echo "$t / $s" | bc -l 2>/dev/null || echo 0)")/s" \
            ">= 5000/s"
    fi
done

# ---- fresh node sync and memory at RES_N resources ----------------------
[ "${SYNC:-1}" = 0 ] && exit 0
up 3
t0=$(now_ms)
made=$(load n1 64 "$RES_N" "res" --op resource.create | jq .acked)
t1=$(now_ms)
rss_loaded=$(rss_kb n1)
echo "3 nodes, $made resources created in $(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100)) s:"
v=$(version n1)
# a fresh wolfpackd on a node whose corosync runs: stop it (by its recorded
# PID), wipe its database, start it, time until it serves the version
wpid=$(cut -d' ' -f1 "$WPTC_DIR/nodes/n3/wolfpackd.pid")
kill -TERM "$wpid" 2>/dev/null
for ((i = 0; i < 200; i++)); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.05; done
rm -f "$WPTC_DIR"/nodes/n3/var/lib/wolfpack/cluster.db*
t0=$(now_ms)
"$TC" start n3 >/dev/null 2>&1
synced=
for ((i = 0; i < 1200; i++)); do
    [ "$(version n3)" = "$v" ] && { synced=$(now_ms); break; }
    sleep 0.02
done
if [ -n "$synced" ]; then
    line "fresh wolfpackd: start to serving" "$((synced - t0)) ms" "<= 1000 ms"
else
    line "fresh wolfpackd: start to serving" "not in 24 s" "<= 1000 ms"
fi
# the transport's own figure: membership change -> synced (wolfpackd's log)
took=$(grep -h "snapshot imported" "$WPTC_DIR/nodes/n3/var/log/wolfpack/wolfpackd.log" 2>/dev/null |
    tail -1 | sed -n 's/.*, \([0-9]*\) ms after the membership change.*/\1/p')
bytes=$(grep -h "imported a snapshot of" "$WPTC_DIR/nodes/n3/var/log/wolfpack/wolfpackd.log" 2>/dev/null |
    tail -1 | sed -n 's/.*snapshot of \([0-9]*\) bytes.*/\1/p')
line "fresh node: joined to synced (${bytes:-?} B)" "${took:-?} ms" "<= 1000 ms"
line "wolfpackd VmRSS, n1 right after the load" "$(mb "$rss_loaded")" "<= 30 MB"
line "wolfpackd VmRSS, n1, the load stopped" "$(mb "$(rss_kb n1)")" "<= 30 MB"
line "wolfpackd VmRSS, n3 after the import" "$(mb "$(rss_kb n3)")" "<= 30 MB"
line "wolfpackd VmHWM (peak), n1" "$(mb "$(rss_kb n1 VmHWM)")" "-"
grep -v '^$' "$TMP/wpload.err" 2>/dev/null | sort | uniq -c | head -5 | sed 's/^/  wpload: /'
exit 0
