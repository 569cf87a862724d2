#!/bin/bash
# bench/bench_peer_pacemaker.sh -- Pacemaker's planned move and unplanned
# failover in the test cluster's namespaces, measured the way
# bench/bench_failover.sh measures wolfpack, so that the two can be printed
# side by side from the same run.
#
#   bench/bench_peer_pacemaker.sh [--runs N] [--fs] [TOKEN...]    (root)
#   bench/bench_peer_pacemaker.sh [--runs N] [--fs] --reuse
#
# --reuse runs on the caller's cluster (WPTC_DIR, WPTC_PREFIX; made with
# `up 3 --no-daemons`, nothing holding 198.51.100.100) at its token, stops
# Pacemaker afterwards and leaves the cluster up (the Pacemaker state stays
# in the nodes' /run); without it, a cluster of its own per token.
#
# Per TOKEN (ms; default 1000 300): `tools/testcluster up 3 --no-daemons
# --token TOKEN`, Pacemaker 2.1.5 on the three nodes (bench/peer/pacemaker.sh:
# fencing off, no-quorum-policy=stop, stickiness 100), the group "web" =
# IPaddr2 198.51.100.100/24 + wptcpserver on port 7000 (ocf:heartbeat:anything),
# preferred n1 > n2 > n3; with --fs a Filesystem first (ext4 on
# `testcluster disk pcmk`: a loop device per node over one image).  The client (build/tests/tools/wppoll in the client namespace)
# starts a request every 10 ms.
#
#   planned   crm_resource --move -r web -N NEXT (run on n1), from the command
#             to the client's first answer after the outage; then --clear.
#   failover  the owner "loses power": link down, SIGKILL to everything in it
#             (corosync, pacemaker, the service); from that moment to the
#             client's first answer.  Beside it the detection time: until
#             corosync-quorumtool on a survivor lists 2 members.  The node is
#             then "rebooted" (link up, corosync, pacemaker) before the next run.
#
# Output: a line per run, then the summary lines (fixed format, one per
# token and kind; the wolfpack benchmarks grep them):
#
#   peer=pacemaker token=T group=ip,svc kind=planned median_ms=M min_ms=A max_ms=B runs=N
#   peer=pacemaker token=T group=ip,svc kind=failover median_ms=M min_ms=A max_ms=B runs=N detection_ms=D over_detection_ms=O
#   peer=pacemaker token=T group=ip,svc kind=detection median_ms=M min_ms=A max_ms=B runs=N
#   peer=pacemaker token=T group=ip,svc kind=decision median_ms=M min_ms=A max_ms=B runs=N
#   detection_ms=D token=T
#
#   peer=pacemaker token=T group=ip,svc kind=failover_dc_lost_no|yes median_ms=M ...
#
# Odd failover runs lose a node that is not Pacemaker's DC, even runs the
# DC itself (the group is moved there first, unmeasured): losing the DC
# costs an election and a new DC's join round, so both cases are shown;
# the kind=failover line holds all runs (half of each, where a 3-node
# cluster would lose the DC in a third of its failures).
#
# A run's line also splits its time from the new owner's Pacemaker log:
# start_asked_ms (the controller asked the new owner for the group's first
# start) and started_ms (the service's start finished), both after the mark;
# "decision" is start_asked_ms minus the run's detection time, and dc= names
# the DC before the power loss (losing the DC costs an election).
#
# ("-" where nothing was measured).  It prints figures and never fails on a
# time; every wait is bounded.  Exit 0 when it ran, 1 when it could not
# (not root, Pacemaker missing, the cluster did not come up).
#
# Environment: RUNS (default 10, --runs wins), BUILD (default build),
# TOKENS (default "1000 300", arguments win).
set -u -o pipefail
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
RUNS=${RUNS:-10}
TOKENS=${TOKENS:-1000 300}
FS=0
REUSE=0
tokens=()
while [ $# -gt 0 ]; do
    case $1 in
    --runs) RUNS=${2:-}; shift ;;
    --runs=*) RUNS=${1#--runs=} ;;
    --fs) FS=1 ;;
    --reuse) REUSE=1 ;;
    [0-9]*) tokens+=("$1") ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_peer_pacemaker.sh: unknown argument \"$1\" (--runs N, --fs, --reuse, TOKEN...)" >&2; exit 2 ;;
    esac
    shift
done
[ ${#tokens[@]} -gt 0 ] || read -r -a tokens <<<"$TOKENS"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "bench_peer_pacemaker.sh: --runs takes a number" >&2; exit 2; }

build=${BUILD:-build}
export WPTCPSERVER=$REPO/$build/tests/tools/wptcpserver
export WOLFPACK=${WOLFPACK:-$REPO/$build/wolfpack}
if [ $REUSE = 1 ]; then
    # the caller's cluster (WPTC_DIR, default /run/wptc): its token, left up
    export WPTC_DIR=${WPTC_DIR:-/run/wptc}
    [ -f "$WPTC_DIR/cluster.env" ] || {
        echo "bench_peer_pacemaker.sh: --reuse: no test cluster in $WPTC_DIR" >&2
        exit 1
    }
    export WPTC_PREFIX
    WPTC_PREFIX=$(sed -n 's/^PREFIX=//p' "$WPTC_DIR/cluster.env")
    tokens=("$(sed -n 's/^TOKEN=//p' "$WPTC_DIR/cluster.env")")
else
    export WPTC_DIR=/run/wptc-pcmkbench-$$
    export WPTC_PREFIX=wpk$$-
fi
TC=$REPO/tools/testcluster
TMP=$(mktemp -d /tmp/wppcmkbench.XXXXXX)
export MR_TMP=$TMP
DISK=
# shellcheck source=bench/peer/pacemaker.sh
. "$REPO/bench/peer/pacemaker.sh"
# shellcheck source=bench/peer/measure.sh
. "$REPO/bench/peer/measure.sh"

cleanup() {
    mr_poller_stop
    mr_detect_stop
    if [ $REUSE = 1 ]; then
        pcmk_stop >/dev/null 2>&1
        pcmk_clean >/dev/null 2>&1
    else
        "$TC" down >/dev/null 2>&1
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { echo "$*"; }

[ "$(id -u)" = 0 ] || { echo "bench_peer_pacemaker.sh needs root"; exit 1; }
for f in /usr/sbin/pacemakerd /usr/sbin/crm_resource /usr/sbin/cibadmin /usr/bin/tini \
    /usr/lib/ocf/resource.d/heartbeat/IPaddr2 /usr/lib/ocf/resource.d/heartbeat/anything \
    "$WPTCPSERVER" "$WOLFPACK"; do
    [ -x "$f" ] || {
        echo "bench_peer_pacemaker.sh: missing $f (apt-get install pacemaker pacemaker-cli-utils" \
            "resource-agents tini; make)"
        exit 1
    }
done
if [ $FS = 1 ]; then
    command -v modprobe >/dev/null || { echo "bench_peer_pacemaker.sh: --fs needs modprobe (kmod)"; exit 1; }
fi
mr_wppoll >/dev/null || { echo "bench_peer_pacemaker.sh: cannot build the poller"; exit 1; }

GROUP=ip,svc
[ $FS = 1 ] && GROUP=fs,ip,svc
next_node() { case $1 in n1) echo n2 ;; n2) echo n3 ;; *) echo n1 ;; esac; }

# The shared disk: `testcluster disk` (one image, a loop device per node,
# /run/wolfpack/disks/pcmk in every node), ext4 made from n1.
make_disk() {
    if [ -e "$WPTC_DIR/disks/pcmk.img" ]; then # --reuse, a second time
        echo /run/wolfpack/disks/pcmk >"$TMP/disk.out"
    elif ! "$TC" disk pcmk --size 64 >"$TMP/disk.out" 2>&1; then
        echo "bench: cannot make the shared disk:"
        cat "$TMP/disk.out"
        return 1
    fi
    DISK=$(tail -1 "$TMP/disk.out")
    if ! "$TC" exec n1 mkfs.ext4 -q -F "$DISK" >/dev/null 2>&1; then
        echo "bench: cannot make a file system on $DISK"
        return 1
    fi
}

# --reuse: the caller's cluster must have 3 nodes, no wolfpackd (a
# restarted node would start one: `up --no-daemons`), and nobody holding
# the virtual address.
check_reuse() {
    local n
    if [ "$(sed -n 's/^NODES=//p' "$WPTC_DIR/cluster.env")" != 3 ] ||
        [ "$(sed -n 's/^DAEMONS=//p' "$WPTC_DIR/cluster.env")" != 0 ]; then
        echo "bench: --reuse needs a 3-node cluster made with --no-daemons"
        return 1
    fi
    for n in n1 n2 n3; do
        if "$TC" exec "$n" ip -o -4 addr show dev eth0 | grep -q " $PCMK_VIP/"; then
            echo "bench: --reuse: $n holds $PCMK_VIP; take that group offline first"
            return 1
        fi
    done
    "$TC" wait-quorum --timeout 30 >/dev/null || { echo "bench: --reuse: no quorum"; return 1; }
}

setup() { # TOKEN
    if [ $REUSE = 1 ]; then
        check_reuse || return 1
    else
        "$TC" up 3 --no-daemons --token "$1" >"$TMP/up.log" 2>&1 || {
            tail -20 "$TMP/up.log"
            return 1
        }
    fi
    if [ $FS = 1 ]; then make_disk || return 1; fi
    local t=$SECONDS
    pcmk_start || return 1
    say "# token $1: pacemaker online on 3 nodes after $((SECONDS - t)) s"
    pcmk_configure >/dev/null || { echo "bench: cannot set the cluster options"; return 1; }
    if [ $FS = 1 ]; then pcmk_group --fs "$DISK"; else pcmk_group; fi || {
        echo "bench: cannot create the group"
        return 1
    }
    pcmk_wait_where n1 60 n1
}

bench_planned() { # TOKEN
    local token=$1 r own to t0 ms asked started
    : >"$TMP/planned.$token"
    for ((r = 1; r <= RUNS; r++)); do
        own=$(pcmk_where n1)
        to=$(next_node "$own")
        mr_poller_start "$TMP/poll.log"
        t0=$(mr_now)
        pcmk_move "$to" n1
        ms=$(mr_wait_outage "$t0" "$TMP/poll.log" 30)
        pcmk_move_finish "$to" n1
        sleep 0.2
        mr_poller_stop
        read -r asked started <<<"$(pcmk_split "$to" "$t0")"
        say "peer=pacemaker token=$token group=$GROUP kind=planned run=$r from=$own to=$to ms=${ms:--}" \
            "start_asked_ms=$asked started_ms=$started"
        [ -n "$ms" ] && echo "$ms" >>"$TMP/planned.$token"
        sleep 0.5
    done
}

place() { # place NODE: a planned move between runs, not measured
    pcmk_move "$1" n1
    pcmk_move_finish "$1" n1 >/dev/null 2>&1
    sleep 1
}

bench_failover() { # TOKEN
    local token=$1 r own surv t0 td ms det new dc asked started lost
    : >"$TMP/failover.$token"
    : >"$TMP/detect.$token"
    for ((r = 1; r <= RUNS; r++)); do
        # odd runs lose a node that is not the DC, even runs the DC too
        own=$(pcmk_where n1)
        dc=$(pcmk_dc n1)
        if [ $((r % 2)) = 1 ] && [ "$own" = "$dc" ]; then
            place "$(next_node "$own")"
        elif [ $((r % 2)) = 0 ] && [ -n "$dc" ] && [ "$own" != "$dc" ]; then
            place "$dc"
        fi
        own=$(pcmk_where n1)
        dc=$(pcmk_dc n1)
        surv=$(next_node "$own")
        lost=no
        [ "$own" = "$dc" ] && lost=yes
        mr_poller_start "$TMP/poll.log"
        mr_detect_start "$surv" 3 "$TMP/detect.out"
        sleep 0.2
        t0=$(mr_now)
        pcmk_powerloss "$own"
        ms=$(mr_wait_outage "$t0" "$TMP/poll.log" 60)
        mr_detect_wait
        td=$(cat "$TMP/detect.out")
        det=
        [ -n "$td" ] && det=$(mr_ms "$t0" "$td")
        sleep 0.2
        mr_poller_stop
        new=$(pcmk_where "$surv")
        read -r asked started <<<"$(pcmk_split "$new" "$t0")"
        say "peer=pacemaker token=$token group=$GROUP kind=failover run=$r from=$own to=$new" \
            "ms=${ms:--} detection_ms=${det:--} dc=${dc:--} dc_lost=$lost start_asked_ms=$asked" \
            "started_ms=$started"
        [ -n "$ms" ] && echo "$ms" >>"$TMP/failover_dc_$lost.$token"
        [ "$asked" != - ] && [ -n "$det" ] && echo $((asked - det)) >>"$TMP/decide.$token"
        [ -n "$ms" ] && echo "$ms" >>"$TMP/failover.$token"
        [ -n "$det" ] && echo "$det" >>"$TMP/detect.$token"
        pcmk_restore "$own" || {
            echo "bench: $own did not come back; stopping the failover runs for token $token"
            return 1
        }
        sleep 1
    done
}

summary() { # TOKEN
    local token=$1 pm pmin pmax pn fm fmin fmax fn dm dmin dmax dn xm xmin xmax xn over=-
    read -r pm pmin pmax pn <<<"$(mr_stats "$TMP/planned.$token")"
    read -r fm fmin fmax fn <<<"$(mr_stats "$TMP/failover.$token")"
    read -r dm dmin dmax dn <<<"$(mr_stats "$TMP/detect.$token")"
    [ "$fm" != - ] && [ "$dm" != - ] && over=$((fm - dm))
    echo "peer=pacemaker token=$token group=$GROUP kind=planned median_ms=$pm min_ms=$pmin max_ms=$pmax runs=$pn"
    echo "peer=pacemaker token=$token group=$GROUP kind=failover median_ms=$fm min_ms=$fmin max_ms=$fmax runs=$fn detection_ms=$dm over_detection_ms=$over"
    echo "peer=pacemaker token=$token group=$GROUP kind=detection median_ms=$dm min_ms=$dmin max_ms=$dmax runs=$dn"
    local k
    for k in no yes; do
        read -r xm xmin xmax xn <<<"$(mr_stats "$TMP/failover_dc_$k.$token")"
        echo "peer=pacemaker token=$token group=$GROUP kind=failover_dc_lost_$k median_ms=$xm min_ms=$xmin max_ms=$xmax runs=$xn"
    done
    read -r xm xmin xmax xn <<<"$(mr_stats "$TMP/decide.$token")"
    echo "peer=pacemaker token=$token group=$GROUP kind=decision median_ms=$xm min_ms=$xmin max_ms=$xmax runs=$xn"
    echo "detection_ms=$dm token=$token"
}

say "# Pacemaker $(pacemakerd --version 2>/dev/null | head -1 | awk '{print $2}') as the peer:" \
    "3 nodes, tokens ${tokens[*]} ms, $RUNS planned + $RUNS failover runs each, group $GROUP"
for token in "${tokens[@]}"; do
    : >"$TMP/planned.$token"
    : >"$TMP/failover.$token"
    : >"$TMP/detect.$token"
    : >"$TMP/decide.$token"
    : >"$TMP/failover_dc_no.$token"
    : >"$TMP/failover_dc_yes.$token"
    if setup "$token"; then
        bench_planned "$token"
        bench_failover "$token"
        t=$(mr_now)
        pcmk_stop
        say "# token $token: pacemaker stopped on every node in $(mr_ms "$t" "$(mr_now)") ms"
    else
        echo "bench: could not set up Pacemaker at token $token (pacemakerd.out and corosync logs:)"
        tail -5 "$WPTC_DIR"/nodes/n1/var/log/corosync/pacemakerd.out 2>/dev/null
    fi
    [ $REUSE = 1 ] || "$TC" down >/dev/null 2>&1
done
echo "# results (ms)"
for token in "${tokens[@]}"; do summary "$token"; done
