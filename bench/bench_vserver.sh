#!/bin/bash
# bench/bench_vserver.sh -- planned move and unplanned failover of the whole
# virtual server (IP Address, Network Name, Physical Disk, Generic Service),
# with the time split into its parts, beside Pacemaker's IPaddr2 +
# Filesystem + service group (bench_peer_pacemaker.sh --fs) in the same run.
#
# Per TOKEN (default "1000 300"): tools/testcluster up 3 (its DNS server),
# a shared disk prepared with lease L (LEASE_1000, LEASE_300: default 1200
# and 400 ms, docs/DISK.md "What the numbers give"), the group "vs": disk
# (ext4, /srv/vs), ip 198.51.100.100/24, name vs.wptc.test (DNS update, TSIG)
# on ip, svc = wptcpserver on the address keeping records on the disk,
# depending on all three.  The client (wppoll, in the client namespace)
# starts a PING every 10 ms.
#
#   planned    `wolfpack group move vs --to NEXT`: from the command to the
#              client's first answer after its outage;
#   unplanned  the owner "loses power" (link down, SIGKILL of its corosync
#              and wolfpackd; its disk keeper, left alive, fences itself);
#              from then to the client's first answer.  Detection is
#              measured on a survivor (corosync-quorumtool until 2 members).
#
# The split comes from the nodes' logs: the executor logs each op's duration
# ("executor: start disk: ok after N ms", wolfpackd.log), the disk agent the
# arbitration wait ("claiming DEV after N ms", agents.log); fsck/mount is the
# disk start minus that wait (it includes the claim's settle time, L/20 at
# least 30 ms).  "rest" is what is left: CPG rounds, the scheduler, process
# start-up, the client's polling.
#
# Targets, printed beside the figures: planned move <= 300 ms; unplanned <=
# detection + the lease wait the design needs + 150 ms, where that wait is
# max(0, 1.25 L - detection) for a crashed owner (printed on its own line).
# It prints figures and never fails on time; every wait is bounded.
#
# Environment: RUNS (default 5), TOKENS, BUILD (default build), PEER=0 skips
# Pacemaker (installed with apt-get when missing, bench/peer/deps.sh),
# KINDS="planned unplanned" (KINDS=planned: planned moves only).
# Needs root, bind9 (the cluster's DNS), e2fsprogs.
set -u
cd "$(dirname "$0")/.." || exit 1
build=${BUILD:-build}
export BUILD=$build
export WOLFPACK=${WOLFPACK:-$PWD/$build/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$PWD/$build/wolfpackd}
SERVER=$PWD/$build/tests/tools/wptcpserver
export WPTC_DIR=/run/wptc-vsbench-$$
export WPTC_PREFIX=wvb$$-
TC=$PWD/tools/testcluster
RUNS=${RUNS:-5}
TOKENS=${TOKENS:-1000 300}
VIP=198.51.100.100
DEV=/run/wolfpack/disks/disk1
TMP=$(mktemp -d /tmp/wpvsbench.XXXXXX)
export MR_TMP=$TMP
. bench/peer/measure.sh

cleanup() {
    mr_poller_stop
    mr_detect_stop
    "$TC" down >/dev/null 2>&1
    rm -rf "$TMP" "$WPTC_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wp, bench_ready_all
. bench/lib/cluster.sh
state() { wp "$1" group show vs --json 2>/dev/null | jq -r '"\(.state)|\(.owner)"'; }
wait_state() { # ASK "Online|nX" SECONDS
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        [ "$(state "$1")" = "$2" ] && return 0
        sleep 0.1
    done
    echo "bench: group vs is '$(state "$1")', wanted '$2'" >&2
    return 1
}
next_node() { case $1 in n1) echo n2 ;; n2) echo n3 ;; *) echo n1 ;; esac; }
dlog() { echo "$WPTC_DIR/nodes/$1/var/log/wolfpack/wolfpackd.log"; }
alog() { echo "$WPTC_DIR/nodes/$1/var/lib/wolfpack/agents.log"; }
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
# op_ms LOGFILE FROM_LINE VERB RES: the duration of the last such op after FROM_LINE
op_ms() {
    tail -n +"$(($2 + 1))" "$1" 2>/dev/null |
        sed -n "s/.*executor: $3 $4: ok after \([0-9]*\) ms.*/\1/p" | tail -1
}
claim_ms() { # LOGFILE FROM_LINE: the arbitration wait of the last claim
    tail -n +"$(($2 + 1))" "$1" 2>/dev/null |
        sed -n 's/.*claiming .* after \([0-9]*\) ms.*/\1/p' | tail -1
}

setup() { # TOKEN LEASE
    "$TC" up 3 --token "$1" >"$TMP/up.log" 2>&1 || {
        tail -20 "$TMP/up.log"
        return 1
    }
    bench_ready_all # as before: a node not ready yet shows in the next step
    "$TC" disk disk1 >/dev/null 2>&1 && wp n1 disk prepare "$DEV" --lease-ms "$2" >/dev/null &&
        wp n1 group create vs --policy preferred_owners=n1,n2,n3 \
            --policy failover_threshold=10000 >/dev/null &&
        wp n1 resource create disk --group vs --type "Physical Disk" --prop device=$DEV \
            --prop mountpoint=/srv/vs --prop fstype=ext4 >/dev/null &&
        wp n1 resource create ip --group vs --type "IP Address" --prop address=$VIP/24 \
            >/dev/null &&
        wp n1 resource create name --group vs --type "Network Name" --depends-on ip \
            --prop hostname=vs --prop dns_server=198.51.100.200 --prop dns_zone=wptc.test. \
            --prop tsig_key_file=/etc/wolfpack/tsig.key >/dev/null &&
        wp n1 resource create svc --group vs --type "Generic Service" --depends-on ip \
            --depends-on name --depends-on disk \
            --prop user=root --prop "command=$SERVER --bind $VIP --port 7000 --data /srv/vs/records" >/dev/null &&
        wp n1 group online vs >/dev/null && wait_state n2 "Online|n1" 60
}

# split TOKEN KIND NEW_OWNER FROM_D FROM_A: append the parts of one run
split() {
    local f=$TMP/split.$1.$2 w d ip nm sv
    w=$(claim_ms "$(alog "$3")" "$5")
    d=$(op_ms "$(dlog "$3")" "$4" start disk)
    ip=$(op_ms "$(dlog "$3")" "$4" start ip)
    nm=$(op_ms "$(dlog "$3")" "$4" start name)
    sv=$(op_ms "$(dlog "$3")" "$4" start svc)
    echo "${w:--} $([ -n "$d" ] && [ -n "$w" ] && echo $((d - w)) || echo -) ${ip:--} ${nm:--} ${sv:--}" >>"$f"
    echo "      split: arbitration wait ${w:-?}, fsck/mount $([ -n "$d" ] && [ -n "$w" ] && echo $((d - w)) || echo ?), address ${ip:-?}, name ${nm:-?}, service ${sv:-?} ms"
}

bench_planned() { # TOKEN
    local token=$1 r own to t0 ms fd fa
    for ((r = 1; r <= RUNS; r++)); do
        own=$(state n1 | cut -d'|' -f2)
        to=$(next_node "$own")
        fd=$(lines "$(dlog "$to")")
        fa=$(lines "$(alog "$to")")
        mr_poller_start "$TMP/poll.log"
        t0=$(mr_now)
        wp "$own" group move vs --to "$to" >/dev/null
        ms=$(mr_wait_outage "$t0" "$TMP/poll.log" 30)
        wait_state n1 "Online|$to" 30
        sleep 0.3
        mr_poller_stop
        echo "  planned run $r: $own -> $to: client back after ${ms:-?} ms"
        [ -n "$ms" ] && echo "$ms" >>"$TMP/planned.$token"
        split "$token" planned "$to" "$fd" "$fa"
        # the old owner's stops, for the record
        echo "      stops on $own: svc $(op_ms "$(dlog "$own")" 0 stop svc) name $(op_ms "$(dlog "$own")" 0 stop name) ip $(op_ms "$(dlog "$own")" 0 stop ip) disk $(op_ms "$(dlog "$own")" 0 stop disk) ms"
    done
}

bench_unplanned() { # TOKEN
    local token=$1 r own surv t0 ms det new fd fa n
    for ((r = 1; r <= RUNS; r++)); do
        own=$(state n1 | cut -d'|' -f2)
        [ "$own" = null ] && own=$(state n2 | cut -d'|' -f2)
        surv=$(next_node "$own")
        fd=$TMP/fd.$r
        fa=$TMP/fa.$r
        for n in n1 n2 n3; do
            lines "$(dlog $n)" >"$fd.$n"
            lines "$(alog $n)" >"$fa.$n"
        done
        mr_poller_start "$TMP/poll.log"
        mr_detect_start "$surv" 3 "$TMP/detect.out"
        sleep 0.2
        t0=$(mr_now)
        ip -n "${WPTC_PREFIX}$own" link set eth0 down
        "$TC" kill "$own" >/dev/null
        ms=$(mr_wait_outage "$t0" "$TMP/poll.log" 30)
        mr_detect_wait
        det=$(head -1 "$TMP/detect.out")
        [ -n "$det" ] && det=$(mr_ms "$t0" "$det")
        sleep 0.5
        mr_poller_stop
        new=$(state "$surv" | cut -d'|' -f2)
        echo "  unplanned run $r: $own lost -> $new: client back after ${ms:-?} ms" \
            "(detection ${det:-?} ms)"
        [ -n "$ms" ] && echo "$ms" >>"$TMP/unplanned.$token"
        [ -n "$det" ] && echo "$det" >>"$TMP/detect.$token"
        [ -n "$ms" ] && [ -n "$det" ] && echo $((ms - det)) >>"$TMP/above.$token"
        case $new in n1 | n2 | n3) split "$token" unplanned "$new" "$(cat "$fd.$new")" \
            "$(cat "$fa.$new")" ;; esac
        ip -n "${WPTC_PREFIX}$own" link set eth0 up
        "$TC" start "$own" >/dev/null
        "$TC" wait-quorum --timeout 40 >/dev/null
        sleep 2 # its daemon probes and cleans up what it held
    done
}

col() { # col FILE N: the N-th column's numbers, one a line
    awk -v n="$2" '$n ~ /^-?[0-9]+$/ { print $n }' "$1" 2>/dev/null
}
med() { # med FILE [N]
    if [ -n "${2:-}" ]; then col "$1" "$2" >"$TMP/col"; else cp "$1" "$TMP/col" 2>/dev/null || : >"$TMP/col"; fi
    mr_stats "$TMP/col" | cut -d' ' -f1
}

[ "$(id -u)" -eq 0 ] || {
    echo "bench_vserver.sh needs root"
    exit 1
}
for f in "$WOLFPACK" "$WOLFPACKD" "$SERVER"; do
    [ -x "$f" ] || {
        echo "missing $f (make BUILD=$build)"
        exit 1
    }
done

for token in $TOKENS; do
    lease=1200
    [ "$token" -le 300 ] && lease=${LEASE_300:-400}
    [ "$token" -ge 1000 ] && lease=${LEASE_1000:-1200}
    echo "$lease" >"$TMP/lease.$token"
    echo "== wolfpack, token $token ms, lease $lease ms: 3 nodes, $RUNS runs each"
    setup "$token" "$lease" || {
        echo "bench: could not set up the cluster"
        "$TC" down >/dev/null 2>&1
        continue
    }
    case " ${KINDS:-planned unplanned} " in *" planned "*) bench_planned "$token" ;; esac
    case " ${KINDS:-planned unplanned} " in *" unplanned "*) bench_unplanned "$token" ;; esac
    "$TC" down >/dev/null 2>&1
done

if [ "${PEER:-1}" = 1 ]; then
    . bench/peer/deps.sh
    if peer_pacemaker_deps; then
        for token in $TOKENS; do
            echo "== Pacemaker (Filesystem + IPaddr2 + service), token $token ms, $RUNS runs each"
            WPTC_DIR="" WPTC_PREFIX="" bench/bench_peer_pacemaker.sh --fs --runs "$RUNS" "$token" \
                >"$TMP/pcmk.$token" 2>&1
            grep -E '^peer=.*kind=(planned|failover|detection) med' "$TMP/pcmk.$token"
        done
    fi
fi
pcmk() { # TOKEN KIND: Pacemaker's median, or -
    local v
    v=$(sed -n "s/^peer=pacemaker token=$1 .*kind=$2 median_ms=\([0-9-]*\).*/\1/p" \
        "$TMP/pcmk.$1" 2>/dev/null | head -1)
    echo "${v:--}"
}
ratio() {
    [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ && $2 -gt 0 ]] || { echo -; return; }
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

echo
echo "== results (ms; median min max runs)"
for token in $TOKENS; do
    lease=$(cat "$TMP/lease.$token")
    read -r pm pmin pmax pn <<<"$(mr_stats "$TMP/planned.$token")"
    read -r um umin umax un <<<"$(mr_stats "$TMP/unplanned.$token")"
    read -r dm dmin dmax _ <<<"$(mr_stats "$TMP/detect.$token")"
    read -r am amin amax _ <<<"$(mr_stats "$TMP/above.$token")"
    wait_ms=-
    [[ $dm =~ ^[0-9]+$ ]] && wait_ms=$(awk -v l="$lease" -v d="$dm" \
        'BEGIN { w = 1.25 * l - d; printf "%d", (w > 0 ? w : 0) }')
    printf 'token %4s  planned move     %6s %6s %6s  (%s runs; target: 300 ms or less)\n' \
        "$token" "$pm" "$pmin" "$pmax" "$pn"
    printf 'token %4s    split (median): arbitration wait %s, fsck/mount %s, address %s, name %s, service %s\n' \
        "$token" "$(med "$TMP/split.$token.planned" 1)" "$(med "$TMP/split.$token.planned" 2)" \
        "$(med "$TMP/split.$token.planned" 3)" "$(med "$TMP/split.$token.planned" 4)" \
        "$(med "$TMP/split.$token.planned" 5)"
    printf 'token %4s  detection        %6s %6s %6s\n' "$token" "$dm" "$dmin" "$dmax"
    printf 'token %4s  lease wait the design needs after a crash: max(0, 1.25 x %s - %s) = %s ms\n' \
        "$token" "$lease" "$dm" "$wait_ms"
    printf 'token %4s  unplanned        %6s %6s %6s  (%s runs)\n' "$token" "$um" "$umin" "$umax" "$un"
    printf 'token %4s    above detection %5s %6s %6s  (target: lease wait + 150 = %s ms or less)\n' \
        "$token" "$am" "$amin" "$amax" "$([[ $wait_ms =~ ^[0-9]+$ ]] && echo $((wait_ms + 150)) || echo -)"
    printf 'token %4s    split (median): detection %s, arbitration wait %s, fsck/mount %s, address %s, name %s, service %s\n' \
        "$token" "$dm" "$(med "$TMP/split.$token.unplanned" 1)" "$(med "$TMP/split.$token.unplanned" 2)" \
        "$(med "$TMP/split.$token.unplanned" 3)" "$(med "$TMP/split.$token.unplanned" 4)" \
        "$(med "$TMP/split.$token.unplanned" 5)"
    kp=$(pcmk "$token" planned)
    ku=$(pcmk "$token" failover)
    printf 'token %4s  Pacemaker (Filesystem + IPaddr2 + service): planned %s, failover %s, detection %s\n' \
        "$token" "$kp" "$ku" "$(pcmk "$token" detection)"
    printf 'token %4s  ratio wolfpack / Pacemaker: planned %s, unplanned %s\n' "$token" \
        "$(ratio "$pm" "$kp")" "$(ratio "$um" "$ku")"
done
