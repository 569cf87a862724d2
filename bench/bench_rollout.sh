#!/bin/bash
# bench/bench_rollout.sh -- how long a rolling service pack takes on 3 nodes,
# and the longest time a client could not write during it, beside planned
# moves of the same group measured in the same run (issue 6).
#
# tools/testcluster up 3 (its DNS server), the shared disk, the group "rs":
# IP Address 198.51.100.62/24, Network Name rsbench.wptc.test (DNS update,
# TSIG), Physical Disk (ext4, /srv/rs); recordstore 1.0 installed into it
# (`wolfpack app install --cluster --group rs`).  A client in the client
# namespace writes all along through the NAME: each write resolves the name
# (the client's resolv.conf points at the cluster's DNS server), connects
# (timeout 0.3 s), sends "PUT bench-N" and waits for "OK" (0.5 s); a new
# write starts 20 ms after the last one ended.  The longest time the client
# could not write is the longest interval between two acknowledged writes.
#
#   planned move   `wolfpack group move rs --to NEXT`, RUNS times (default
#                  3): the longest gap from the command until the group and
#                  the application are Online on NEXT (+ 2 s);
#   rollout        `wolfpack app sp apply recordstore-sp1` (run on n3): its
#                  wall time, its steps' times (from its own step lines), and
#                  the longest gap from its start to its end (+ 2 s).
#
# Target, printed beside the figures: the rollout's outage no longer than
# one planned move (its median).  It prints figures and never fails on time;
# every wait is bounded.  Environment: RUNS (planned moves), BUILD (default
# build), BENCH_LOGS=DIR keeps the nodes' logs and the rollout's output.  Needs root, bind9 (the cluster's DNS), e2fsprogs, python3.
set -u
cd "$(dirname "$0")/.." || exit 1
build=${BUILD:-build}
export BUILD=$build
export WOLFPACK=${WOLFPACK:-$PWD/$build/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$PWD/$build/wolfpackd}
export WPTC_DIR=${WPTC_DIR:-/run/wptc-robench-$$}
export WPTC_PREFIX=${WPTC_PREFIX:-wrb$$-}
export WOLFPACK_APP_ROOT=/var/lib/wolfpack/root
export WOLFPACK_APP_TASK_TIMEOUT=60
TC=$PWD/tools/testcluster
KITS=$PWD/$build/kits
RUNS=${RUNS:-3}
VIP=198.51.100.62
NAME=rsbench.wptc.test
PORT=7272
TMP=$(mktemp -d /tmp/wprobench.XXXXXX)
chmod 755 "$TMP"
WRITER=
export MR_TMP=$TMP
. bench/peer/measure.sh

cleanup() {
    [ -n "$WRITER" ] && touch "$TMP/writer.stop" && wait "$WRITER" 2>/dev/null
    if [ -n "${BENCH_LOGS:-}" ]; then # keep the nodes' logs and the rollout's output
        mkdir -p "$BENCH_LOGS"
        cp "$TMP/rollout.log" "$TMP/acked" "$BENCH_LOGS/" 2>/dev/null
        for n in n1 n2 n3; do
            cp "$WPTC_DIR/nodes/$n/var/lib/wolfpack/agents.log" "$BENCH_LOGS/agents.$n" 2>/dev/null
            cp "$WPTC_DIR/nodes/$n/var/log/wolfpack/wolfpackd.log" "$BENCH_LOGS/wolfpackd.$n" 2>/dev/null
        done
    fi
    "$TC" down >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. bench/lib/cluster.sh # wp
. bench/lib/rsbench.sh # state, app_online, wait_there, next_node, the writer, gap
rs_writer_script "$TMP/writer.py"

[ "$(id -u)" -eq 0 ] || {
    echo "bench_rollout.sh needs root"
    exit 1
}
for f in "$WOLFPACK" "$WOLFPACKD" "$KITS/recordstore/bin/recordstore"; do
    [ -x "$f" ] || {
        echo "missing $f (make BUILD=$build)"
        exit 1
    }
done

echo "== setting up: 3 nodes, group rs (address, name $NAME, disk), recordstore 1.0 in it"
{
    "$TC" up 3 && "$TC" disk disk1 --prepare && for ((i = 0; i < 300; i++)); do
        c=0
        for n in n1 n2 n3; do [ "$(wp $n status --json | jq -r .ready)" = true ] && c=$((c + 1)); done
        [ $c = 3 ] && break
        sleep 0.2
    done &&
        wp n1 group create rs --policy preferred_owners=n1,n2,n3 &&
        wp n1 resource create rs-ip --group rs --type ip --prop address=$VIP/24 &&
        wp n1 resource create rs-name --group rs --type netname --depends-on rs-ip \
            --prop hostname=rsbench --prop dns_zone=wptc.test --prop dns_server=198.51.100.200 \
            --prop tsig_key_file=/etc/wolfpack/tsig.key &&
        wp n1 resource create rs-disk --group rs --type disk --prop device=/run/wolfpack/disks/disk1 \
            --prop mountpoint=/srv/rs --prop fstype=ext4 &&
        wp n1 group online rs && for ((i = 0; i < 600; i++)); do
            [ "$(state)" = "Online|n1" ] && break
            sleep 0.1
        done &&
        wp n1 app install "$KITS/recordstore" --cluster --group rs --set port=$PORT &&
        wait_there n1 60
} >"$TMP/setup.log" 2>&1 || {
    tail -20 "$TMP/setup.log"
    echo "bench: could not set up the cluster"
    exit 1
}

: >"$TMP/acked"
rm -f "$TMP/writer.stop"
"$TC" exec client python3 "$TMP/writer.py" "$NAME" $PORT "$TMP/acked" "$TMP/writer.stop" &
WRITER=$!
sleep 3
[ -s "$TMP/acked" ] || echo "bench: the client's writes through $NAME are not acknowledged yet"

echo "== planned moves of the group ($RUNS), the client writing through $NAME"
: >"$TMP/planned"
for ((r = 1; r <= RUNS; r++)); do
    own=$(state | cut -d'|' -f2)
    to=$(next_node "$own")
    t0=$(mr_now)
    wp "$own" group move rs --to "$to" >/dev/null
    wait_there "$to" 60
    t1=$(mr_now)
    sleep 2
    g=$(gap "$t0" "$(awk -v t="$t1" 'BEGIN { printf "%.6f", t + 2 }')")
    echo "  move $r: $own -> $to: Online there after $(mr_ms "$t0" "$t1") ms; longest write gap $g ms"
    echo "$g" >>"$TMP/planned"
done

echo "== rolling service pack recordstore 1.0 -> 1.1 (sp apply on n3)"
t0=$(mr_now)
wp n3 app sp apply "$KITS/recordstore-sp1" 2>&1 | while IFS= read -r l; do
    echo "$(date +%s.%N) $l"
done >"$TMP/rollout.log"
t1=$(mr_now)
sleep 2
app_online || sleep 5
touch "$TMP/writer.stop"
wait "$WRITER"
WRITER=
rg=$(gap "$t0" "$(awk -v t="$t1" 'BEGIN { printf "%.6f", t + 2 }')")
grep -q '^[0-9.]* OK: applied' "$TMP/rollout.log" || {
    echo "bench: the rollout did not finish:"
    cut -d' ' -f2- "$TMP/rollout.log" | tail -15
}
echo "  steps (s from the start of the command):"
awk -v t0="$t0" '/ step [0-9] of 9: / { printf "    %6.2f  %s\n", $1 - t0, substr($0, index($0, $2)) }
    / OK: applied/ { printf "    %6.2f  done\n", $1 - t0 }
    / online on .* after .* took / { sub(/^[0-9.]+ +/, ""); print "            " $0 }' "$TMP/rollout.log"
# the outage's window: from the step that takes the application offline to
# the one after it comes online
awk -v t0="$t0" '/ step 2 of 9: / { a = $1 } / step 8 of 9: / { b = $1 }
    END { if (a && b) printf "  application offline (step offline .. step update-rest): %.0f ms\n", (b - a) * 1000 }' \
    "$TMP/rollout.log"

read -r pm pmin pmax pn <<<"$(mr_stats "$TMP/planned")"
echo
echo "== results (ms)"
printf 'planned move     longest write gap: median %s min %s max %s (%s moves)\n' "$pm" "$pmin" "$pmax" "$pn"
printf 'rolling sp       whole run %s ms; longest write gap %s ms (target: <= one planned move, %s ms)\n' \
    "$(mr_ms "$t0" "$t1")" "$rg" "$pm"
printf 'client           %s writes acknowledged through %s\n' "$(wc -l <"$TMP/acked")" "$NAME"
