#!/bin/bash
# bench/bench_failover.sh -- how long a client at the virtual address is
# without service (docs/EXECUTOR.md, "Measurements").
#
# A 3-node test cluster (tools/testcluster) per Corosync token (1000 and
# 300 ms); the group "web": IP Address 198.51.100.100/24 and a Generic
# Service (wptcpserver) depending on it.  A client in the client namespace
# (tests/tools/wppoll) starts a request (connect, PING, PONG) every 10 ms,
# up to 30 in flight for 150 ms each, and logs when the service stops and
# starts answering.
#
#   unplanned  the owner "loses power": its link goes down and its corosync
#              and wolfpackd get SIGKILL (tools/testcluster kill); measured
#              from that moment to the client's first answer from the new
#              owner.  Beside it: the token's detection time, measured on a
#              survivor as the time until its corosync shows the node gone.
#   planned    `wolfpack group move web --to NODE` on n1 (run with nsenter,
#              as a person on the node would): from the command's start to
#              the client's first answer from the new owner.
#
# RUNS (default 10) of each, per token; median, min and max, beside the
# targets (unplanned <= detection + 50 ms, planned <= 50 ms: issue #17).  Then
# Pacemaker does the same (bench/bench_peer_pacemaker.sh, a cluster of its
# own per token, same RUNS) and its medians are printed beside ours with the
# ratio wolfpack / Pacemaker; the script installs Pacemaker with apt-get
# when it is missing (bench/peer/deps.sh).  PEER=0 skips Pacemaker.  A benchmark
# prints figures; it never fails on time.
#
# Needs root.  BUILD selects the build (default build); TOKENS="1000 300";
# KINDS="planned unplanned" (e.g. KINDS=planned for planned moves only);
# BENCH_LOGS=DIR keeps every node's wolfpackd.log and agents.log per token
# (the timestamps that split a move, docs/TIMING.md "A planned move").
set -u
cd "$(dirname "$0")/.." || exit 1
build=${BUILD:-build}
export WOLFPACK=${WOLFPACK:-$PWD/$build/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$PWD/$build/wolfpackd}
SERVER=$PWD/$build/tests/tools/wptcpserver
export WPTC_DIR=/run/wptc-fobench-$$
export WPTC_PREFIX=wfb$$-
TC=$PWD/tools/testcluster
RUNS=${RUNS:-10}
TOKENS=${TOKENS:-1000 300}
VIP=198.51.100.100
TMP=$(mktemp -d /tmp/wpfobench.XXXXXX)
POLLER=$PWD/$build/tests/tools/wppoll
poller_pid=

KINDS=${KINDS:-planned unplanned}

keep_logs() { # keep_logs TOKEN: copy the nodes' logs to BENCH_LOGS
    [ -n "${BENCH_LOGS:-}" ] || return 0
    local n
    mkdir -p "$BENCH_LOGS"
    for n in n1 n2 n3; do
        cp "$WPTC_DIR/nodes/$n/var/log/wolfpack/wolfpackd.log" "$BENCH_LOGS/wolfpackd.$1.$n" 2>/dev/null
        cp "$WPTC_DIR/nodes/$n/var/lib/wolfpack/agents.log" "$BENCH_LOGS/agents.$1.$n" 2>/dev/null
    done
    cp "$TMP/planned.$1" "$BENCH_LOGS/planned.$1" 2>/dev/null
}

cleanup() {
    [ -n "$poller_pid" ] && kill "$poller_pid" 2>/dev/null
    "$TC" down >/dev/null 2>&1
    rm -rf "$TMP" "$WPTC_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wp, bench_ready_all, bench_web_group
. bench/lib/cluster.sh
owner() { wp "${1:-n1}" group show web --json 2>/dev/null | jq -r '"\(.state) \(.owner)"'; }
wait_owner() { # wait_owner ASK "Online nX" SECONDS
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        [ "$(owner "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    echo "bench: group web is '$(owner "$1")', wanted '$2'" >&2
    return 1
}
now() { date +%s.%N; }

# first "S" after the first "F" that follows T0, minus T0 (ms)
outage_ms() {
    awk -v t0="$1" '$2 >= t0 - 0.2 && $1 == "F" && !f { f = 1; next }
                    f && $1 == "S" && $2 > t0 { printf "%.0f\n", ($2 - t0) * 1000; exit }' "$2"
}

# membership on NODE drops below 3: unix time
detect_time() {
    "$TC" exec "$1" bash -c 'for ((i = 0; i < 3000; i++)); do
        n=$(corosync-quorumtool -l 2>/dev/null | grep -c "^ *[0-9]")
        [ "$n" -lt 3 ] && { date +%s.%N; exit 0; }
        sleep 0.005
    done; exit 1'
}

stats() { # stats FILE: "median min max" of the numbers in FILE
    sort -n "$1" | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "- - -"; exit }
        m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        printf "%.0f %.0f %.0f\n", m, a[1], a[NR] }'
}

setup_cluster() { # setup_cluster TOKEN
    "$TC" up 3 --token "$1" >"$TMP/up.log" 2>&1 || {
        tail -20 "$TMP/up.log"
        return 1
    }
    bench_ready_all n1 n3 # the group is created on n1 and watched from n3
    bench_web_group "$VIP" "$SERVER" && wait_owner n2 "Online n1" 30
}

start_poller() {
    : >"$TMP/poll.log"
    "$TC" exec client "$POLLER" $VIP 7000 --log "$TMP/poll.log" &
    poller_pid=$!
    sleep 0.5
}
stop_poller() {
    kill "$poller_pid" 2>/dev/null
    wait "$poller_pid" 2>/dev/null
    poller_pid=
}

next_node() { # the node after $1 in n1 n2 n3
    case $1 in n1) echo n2 ;; n2) echo n3 ;; *) echo n1 ;; esac
}

bench_unplanned() { # TOKEN: RUNS power losses of the owner
    local token=$1 r own surv t0 td ms
    : >"$TMP/unplanned.$token"
    : >"$TMP/detect.$token"
    : >"$TMP/above.$token"
    for ((r = 0; r < RUNS; r++)); do
        own=$(owner n1 | cut -d' ' -f2)
        [ "$own" = null ] && own=$(owner n2 | cut -d' ' -f2)
        surv=$(next_node "$own")
        start_poller
        detect_time "$surv" >"$TMP/detect.out" &
        local dpid=$!
        sleep 0.2
        t0=$(now)
        ip -n "${WPTC_PREFIX}$own" link set eth0 down
        "$TC" kill "$own" >/dev/null
        wait $dpid
        td=$(cat "$TMP/detect.out")
        [ -n "$td" ] && awk -v a="$td" -v b="$t0" 'BEGIN { printf "%.0f\n", (a - b) * 1000 }' \
            >>"$TMP/detect.$token"
        local ask
        ask=$(next_node "$own")
        for ((i = 0; i < 100; i++)); do
            [ "$(owner "$ask" | cut -d' ' -f1)" = Online ] &&
                [ "$(owner "$ask" | cut -d' ' -f2)" != "$own" ] && break
            sleep 0.1
        done
        sleep 0.5
        stop_poller
        ms=$(outage_ms "$t0" "$TMP/poll.log")
        local det
        det=$(tail -1 "$TMP/detect.$token")
        echo "  unplanned run $((r + 1)): $own lost -> $(owner "$ask"): client back after" \
            "${ms:-?} ms (membership changed after ${det:-?} ms)"
        [ -n "$ms" ] && echo "$ms" >>"$TMP/unplanned.$token"
        [ -n "$ms" ] && [ -n "$td" ] && echo $((ms - det)) >>"$TMP/above.$token"
        ip -n "${WPTC_PREFIX}$own" link set eth0 up
        "$TC" start "$own" >/dev/null
        "$TC" wait-quorum --timeout 30 >/dev/null
        sleep 1
    done
}

# the CLI on node n1 without testcluster's bash wrapper (as a person types it)
wp_direct() {
    nsenter --net="/run/netns/${WPTC_PREFIX}n1" --mount="$WPTC_DIR/ns/n1.mnt" \
        --uts="$WPTC_DIR/ns/n1.uts" -- env WOLFPACK_SOCKET=/run/wolfpack/wolfpackd.sock \
        "$WOLFPACK" "$@"
}

bench_planned() { # TOKEN: RUNS moves to the next node
    local token=$1 r own to t0 ms
    : >"$TMP/planned.$token"
    for ((r = 0; r < RUNS; r++)); do
        own=$(owner n1 | cut -d' ' -f2)
        to=$(next_node "$own")
        start_poller
        t0=$(now)
        wp_direct group move web --to "$to" >/dev/null
        wait_owner n1 "Online $to" 30
        sleep 0.3
        stop_poller
        ms=$(outage_ms "$t0" "$TMP/poll.log")
        if [ -n "${BENCH_LOGS:-}" ]; then # the command's start and the client's log, per run
            mkdir -p "$BENCH_LOGS"
            echo "$t0" >"$BENCH_LOGS/planned.$token.$((r + 1)).t0"
            cp "$TMP/poll.log" "$BENCH_LOGS/planned.$token.$((r + 1)).poll"
        fi
        echo "  planned run $((r + 1)): $own -> $to: client back after ${ms:-?} ms"
        [ -n "$ms" ] && echo "$ms" >>"$TMP/planned.$token"
    done
}

[ "$(id -u)" -eq 0 ] || {
    echo "bench_failover.sh needs root"
    exit 1
}
for f in "$WOLFPACK" "$WOLFPACKD" "$SERVER" "$POLLER"; do
    [ -x "$f" ] || {
        echo "missing $f (make BUILD=$build)"
        exit 1
    }
done

for token in $TOKENS; do
    echo "== token $token ms: 3 nodes, $RUNS runs each"
    setup_cluster "$token" || {
        echo "bench: could not set up the cluster"
        "$TC" down >/dev/null 2>&1
        continue
    }
    case " $KINDS " in *" planned "*) bench_planned "$token" ;; esac
    case " $KINDS " in *" unplanned "*) bench_unplanned "$token" ;; esac
    keep_logs "$token"
    "$TC" down >/dev/null 2>&1
done

echo
echo "== results (ms: median min max over $RUNS runs)"
for token in $TOKENS; do
    read -r dm dmin dmax <<<"$(stats "$TMP/detect.$token" 2>/dev/null || echo - - -)"
    read -r um umin umax <<<"$(stats "$TMP/unplanned.$token" 2>/dev/null || echo - - -)"
    read -r pm pmin pmax <<<"$(stats "$TMP/planned.$token" 2>/dev/null || echo - - -)"
    read -r am amin amax <<<"$(stats "$TMP/above.$token" 2>/dev/null || echo - - -)"
    printf 'token %4s  detection  %6s %6s %6s   (corosync on a survivor shows the node gone)\n' \
        "$token" "$dm" "$dmin" "$dmax"
    printf 'token %4s  unplanned  %6s %6s %6s\n' "$token" "$um" "$umin" "$umax"
    printf 'token %4s   above det %6s %6s %6s   (per run; target: 50 ms or less)\n' "$token" \
        "$am" "$amin" "$amax"
    printf 'token %4s  planned    %6s %6s %6s   (target: 50 ms or less, issue #17)\n' "$token" "$pm" \
        "$pmin" "$pmax"
done

# ---- Pacemaker, the peer: same tokens, same runs, same client ---------------------
if [ "${PEER:-1}" = 1 ]; then
    . bench/peer/deps.sh
    if peer_pacemaker_deps; then
        echo
        echo "== Pacemaker (bench/bench_peer_pacemaker.sh --runs $RUNS $TOKENS)"
        for token in $TOKENS; do
            WPTC_DIR="" WPTC_PREFIX="" BUILD=$build bench/bench_peer_pacemaker.sh --runs "$RUNS" \
                "$token" 2>&1 | tee "$TMP/pcmk.$token" | grep -E '^peer=.*kind=(planned|failover) med|^detection_ms'
        done
    fi
fi
pcmk() { # pcmk TOKEN KIND FIELD: a figure of Pacemaker's summary line, or -
    local v
    v=$(sed -n "s/^peer=pacemaker token=$1 .*kind=$2 .*$3=\([0-9-]*\).*/\1/p" \
        "$TMP/pcmk.$1" 2>/dev/null | head -1)
    echo "${v:--}"
}
ratio() { # ratio A B: A/B with two decimals, or -
    [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ && $2 -gt 0 ]] || { echo -; return; }
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
echo
echo "== wolfpack beside Pacemaker (medians, ms; ratio = wolfpack / Pacemaker, lower is better)"
for token in $TOKENS; do
    read -r um _ <<<"$(stats "$TMP/unplanned.$token" 2>/dev/null || echo -)"
    read -r pm _ <<<"$(stats "$TMP/planned.$token" 2>/dev/null || echo -)"
    read -r dm _ <<<"$(stats "$TMP/detect.$token" 2>/dev/null || echo -)"
    kpm=$(pcmk "$token" planned median_ms)
    kum=$(pcmk "$token" failover median_ms)
    kdm=$(pcmk "$token" detection median_ms)
    printf 'token %4s  planned    wolfpack %6s  pacemaker %6s (%s..%s, %s runs)  ratio %s\n' \
        "$token" "$pm" "$kpm" "$(pcmk "$token" planned min_ms)" "$(pcmk "$token" planned max_ms)" \
        "$(pcmk "$token" planned runs)" "$(ratio "$pm" "$kpm")"
    printf 'token %4s  unplanned  wolfpack %6s  pacemaker %6s (%s..%s, %s runs)  ratio %s\n' \
        "$token" "$um" "$kum" "$(pcmk "$token" failover min_ms)" "$(pcmk "$token" failover max_ms)" \
        "$(pcmk "$token" failover runs)" "$(ratio "$um" "$kum")"
    printf 'token %4s  detection  wolfpack %6s  pacemaker %6s   (the same corosync token)\n' \
        "$token" "$dm" "$kdm"
done
