#!/bin/bash
# bench/peer/pacemaker.sh -- Pacemaker as the peer, on the nodes of a test
# cluster made by `tools/testcluster up N --no-daemons` (corosync already
# runs on every node).  A library (source it) and a small CLI:
#
#   pacemaker.sh start [NODE...]      prepare the nodes, start pacemakerd, wait online
#   pacemaker.sh configure            stonith-enabled=false, no-quorum-policy=stop,
#                                     resource-stickiness=100
#   pacemaker.sh group [--fs DEV]     the group "web": [Filesystem] + IPaddr2
#                                     198.51.100.100/24 + wptcpserver on port 7000
#   pacemaker.sh where                the node running the whole group (or "-")
#   pacemaker.sh move NODE            planned move (crm_resource --move, wait, --clear)
#   pacemaker.sh powerloss NODE       link down + SIGKILL of everything on NODE
#   pacemaker.sh restore NODE         "reboot" NODE: link up, corosync, pacemaker
#   pacemaker.sh stop [NODE...]       stop pacemakerd cleanly (SIGTERM, 60 s, then KILL)
#   pacemaker.sh clean [NODE...]      after stop: drop the CIB, logs, mounts (as before start)
#   pacemaker.sh status               crm_mon -1 on the first node that answers
#
# Environment: WPTC_DIR / WPTC_PREFIX as for tools/testcluster (the cluster
# to use), WPTCPSERVER (default build/tests/tools/wptcpserver), PCMK_ENV
# (more VAR=VALUE for pacemakerd, e.g. PCMK_debug=pacemaker-controld).
#
# How Pacemaker 2.1.5 runs in a node (notes/TESTBED.md):
# - /var/lib/pacemaker and /var/log/pacemaker are the node's own: copies of
#   the host's (cp -a, keeping hacluster:haclient) in the node's /run tmpfs,
#   bind-mounted over the host paths inside the node's mount namespace only.
#   They live as long as the node's mount namespace, so the CIB survives a
#   restart of the node as it survives a reboot.  /run/resource-agents is
#   created (IPaddr2 keeps its state there).
# - pacemakerd runs in the foreground (-f) under `tini -s`: tini is a child
#   subreaper and reaps at once what the agents leave behind.  PID 1 of this
#   machine reaps orphans only every ~2 s, and ocf:heartbeat:anything's stop
#   waits until `kill -0 PID` fails, which a zombie passes: without tini every
#   stop of the service took ~2 s, which says nothing about Pacemaker (on a
#   real host systemd reaps at once).  The PIDs are recorded as "PID
#   STARTTIME" in STATE/nodes/NODE/pacemaker.pid (tini) like testcluster's.
# - root's ~/.bashrc on this machine runs pyenv's set-up (~0.5 s under load);
#   ocf:heartbeat:anything starts the program with `su - root`, i.e. a login
#   shell.  Inside the node (its own mount namespace) /dev/null is
#   bind-mounted over /root/.bashrc, as on a freshly installed Debian.
# - pacemakerd's stdout/stderr go to STATE/nodes/NODE/var/log/corosync/
#   pacemakerd.out (seen from the host); its log is the node's
#   /var/log/pacemaker/pacemaker.log (`testcluster exec NODE cat ...`).
#
# Nothing here touches the host's network namespace; every process it
# signals is found by PID inside the cluster's own namespaces.

PCMK_REPO=${PCMK_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PCMK_TC=${PCMK_TC:-$PCMK_REPO/tools/testcluster}
PCMK_STATE=${WPTC_DIR:-/run/wptc}
PCMK_VIP=${PCMK_VIP:-198.51.100.100}
PCMK_PORT=${PCMK_PORT:-7000}
PCMK_GROUP=web
PCMK_FIRST=${PCMK_FIRST:-web-ip} # the group's first member (pcmk_group sets it)
WPTCPSERVER=${WPTCPSERVER:-$PCMK_REPO/build/tests/tools/wptcpserver}

pcmk_log() { echo "pacemaker: $*" >&2; }

pcmk_prefix() { sed -n 's/^PREFIX=//p' "$PCMK_STATE/cluster.env" 2>/dev/null; }
pcmk_nodes() { "$PCMK_TC" nodes; }
pcmk_x() { # pcmk_x NODE CMD...: run CMD in the node (testcluster exec)
    "$PCMK_TC" exec "$@"
}

# "PID STARTTIME" -> PID if that very process still lives (not a zombie)
pcmk_starttime() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null; }
pcmk_alive() {
    local pid st
    read -r pid st 2>/dev/null <"$1" || return 1
    [ -n "$pid" ] && [ "$(pcmk_starttime "$pid")" = "$st" ] || return 1
    grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null && return 1
    echo "$pid"
}

# pcmk_prepare NODE: private /var/lib/pacemaker, /var/log/pacemaker,
# /run/resource-agents, a quiet root login shell.  Idempotent.
pcmk_prepare() {
    pcmk_x "$1" /bin/sh -eu -c '
        mkdir -p /run/pcmk /run/resource-agents
        if ! mountpoint -q /var/lib/pacemaker; then
            rm -rf /run/pcmk/lib /run/pcmk/log
            cp -a /var/lib/pacemaker /run/pcmk/lib
            cp -a /var/log/pacemaker /run/pcmk/log
            mount --bind /run/pcmk/lib /var/lib/pacemaker
            mount --bind /run/pcmk/log /var/log/pacemaker
        fi
        if [ -f /root/.bashrc ] && ! mountpoint -q /root/.bashrc; then
            mount --bind /dev/null /root/.bashrc
        fi'
}

# pcmk_start_node NODE: pacemakerd -f under tini, PID recorded.
pcmk_start_node() {
    local n=$1 d pid
    d=$PCMK_STATE/nodes/$n
    if pid=$(pcmk_alive "$d/pacemaker.pid"); then
        pcmk_log "$n: pacemaker already runs (PID $pid)"
        return 0
    fi
    pcmk_prepare "$n" || { pcmk_log "$n: cannot prepare the node's directories"; return 1; }
    # setsid: a terminal's ^C reaches the benchmark, not the node's daemons
    # shellcheck disable=SC2086 # PCMK_ENV: more VAR=VALUE words, e.g. PCMK_debug=pacemaker-controld
    setsid "$PCMK_TC" exec "$n" env PCMK_logfacility=none PCMK_logfile=/var/log/pacemaker/pacemaker.log \
        ${PCMK_ENV:-} /usr/bin/tini -s -- /usr/sbin/pacemakerd -f \
        </dev/null >>"$d/var/log/corosync/pacemakerd.out" 2>&1 &
    pid=$!
    disown "$pid" # no "Killed" notice from bash after a power loss
    local i st=
    for ((i = 0; i < 50; i++)); do
        st=$(pcmk_starttime "$pid") && [ -n "$st" ] && break
        sleep 0.01
    done
    echo "$pid $st" >"$d/pacemaker.pid"
}

# pcmk_online_count NODE: how many nodes NODE's crm_mon shows online
pcmk_online_count() {
    pcmk_x "$1" crm_mon -1 --output-as=xml 2>/dev/null | grep -c '<node name=.* online="true"'
}

# pcmk_wait_online TIMEOUT_S NODE...: until every NODE sees all NODEs online
pcmk_wait_online() {
    local timeout=$1 n end ok
    shift
    end=$((SECONDS + timeout))
    while [ $SECONDS -lt $end ]; do
        ok=1
        for n in "$@"; do
            [ "$(pcmk_online_count "$n")" = "$#" ] || { ok=0; break; }
        done
        [ $ok = 1 ] && return 0
        sleep 0.5
    done
    pcmk_log "not all of $* online in crm_mon after $timeout s"
    return 1
}

pcmk_start() { # pcmk_start [NODE...] (default all); waits until all online
    local nodes n
    if [ $# -gt 0 ]; then nodes=("$@"); else mapfile -t nodes < <(pcmk_nodes); fi
    for n in "${nodes[@]}"; do pcmk_start_node "$n" || return 1; done
    mapfile -t nodes < <(pcmk_nodes)
    pcmk_wait_online 90 "${nodes[@]}"
}

# pcmk_configure: no fencing (nothing to fence with here), a partition
# without quorum stops its resources, and resources stay where they are
# (no failback: as wolfpack's default).
pcmk_configure() {
    local n
    n=$(pcmk_nodes | head -1)
    pcmk_x "$n" crm_attribute --type crm_config --name stonith-enabled --update false &&
        pcmk_x "$n" crm_attribute --type crm_config --name no-quorum-policy --update stop &&
        pcmk_x "$n" crm_attribute --type rsc_defaults --name resource-stickiness --update 100
}

# pcmk_group [--fs DEVICE]: the group web (Filesystem on DEVICE mounted at
# /run/pcmk/disk -- DEVICE is the same path on every node, e.g. the
# /run/wolfpack/disks/NAME link of `testcluster disk` --, then) IPaddr2, then
# wptcpserver through
# ocf:heartbeat:anything; preferred n1 > n2 > n3 (scores 30, 20, 10: less
# than the stickiness, so no failback).
pcmk_group() {
    local fs='' n data=/run/pcmk/records xml i=0 score
    [ "${1:-}" = --fs ] && fs=$2
    n=$(pcmk_nodes | head -1)
    PCMK_FIRST=web-ip
    [ -n "$fs" ] && data=/run/pcmk/disk/records && PCMK_FIRST=web-fs
    xml="<group id=\"$PCMK_GROUP\">"
    if [ -n "$fs" ]; then
        for m in $(pcmk_nodes); do pcmk_x "$m" mkdir -p /run/pcmk/disk; done
        xml+="<primitive id=\"web-fs\" class=\"ocf\" provider=\"heartbeat\" type=\"Filesystem\">
 <instance_attributes id=\"web-fs-ia\">
  <nvpair id=\"web-fs-dev\" name=\"device\" value=\"$fs\"/>
  <nvpair id=\"web-fs-dir\" name=\"directory\" value=\"/run/pcmk/disk\"/>
  <nvpair id=\"web-fs-type\" name=\"fstype\" value=\"ext4\"/>
 </instance_attributes>
 <operations><op id=\"web-fs-mon\" name=\"monitor\" interval=\"20s\" timeout=\"40s\"/></operations>
</primitive>"
    fi
    xml+="<primitive id=\"web-ip\" class=\"ocf\" provider=\"heartbeat\" type=\"IPaddr2\">
 <instance_attributes id=\"web-ip-ia\">
  <nvpair id=\"web-ip-ip\" name=\"ip\" value=\"$PCMK_VIP\"/>
  <nvpair id=\"web-ip-mask\" name=\"cidr_netmask\" value=\"24\"/>
  <nvpair id=\"web-ip-nic\" name=\"nic\" value=\"eth0\"/>
 </instance_attributes>
 <operations><op id=\"web-ip-mon\" name=\"monitor\" interval=\"10s\" timeout=\"20s\"/></operations>
</primitive>
<primitive id=\"web-svc\" class=\"ocf\" provider=\"heartbeat\" type=\"anything\">
 <instance_attributes id=\"web-svc-ia\">
  <nvpair id=\"web-svc-bin\" name=\"binfile\" value=\"$WPTCPSERVER\"/>
  <nvpair id=\"web-svc-opt\" name=\"cmdline_options\" value=\"--bind $PCMK_VIP --port $PCMK_PORT --data $data\"/>
  <nvpair id=\"web-svc-wd\" name=\"workdir\" value=\"/run/pcmk\"/>
 </instance_attributes>
 <operations><op id=\"web-svc-mon\" name=\"monitor\" interval=\"10s\" timeout=\"20s\"/></operations>
</primitive></group>"
    pcmk_x "$n" cibadmin --create -o resources --xml-text "$xml" || return 1
    for m in $(pcmk_nodes); do
        i=$((i + 1))
        score=$((40 - 10 * i))
        [ $score -gt 0 ] || score=1
        pcmk_x "$n" cibadmin --create -o constraints --xml-text \
            "<rsc_location id=\"web-pref-$m\" rsc=\"$PCMK_GROUP\" node=\"$m\" score=\"$score\"/>" ||
            return 1
    done
}

# pcmk_where [ASK]: the node where the group's last member (the service)
# runs, as ASK's status section says; "-" if nowhere.
pcmk_where() {
    local ask=${1:-} out
    if [ -z "$ask" ]; then
        for ask in $(pcmk_nodes); do
            out=$(pcmk_x "$ask" crm_resource --locate -r web-svc 2>/dev/null) && break
        done
    else
        out=$(pcmk_x "$ask" crm_resource --locate -r web-svc 2>/dev/null)
    fi
    out=$(sed -n 's/.*is running on: *\([^ ]*\).*/\1/p' <<<"$out" | head -1)
    echo "${out:--}"
}

# pcmk_wait_where NODE TIMEOUT_S [ASK]: until the group runs on NODE
pcmk_wait_where() {
    local end=$((SECONDS + $2))
    while [ $SECONDS -lt $end ]; do
        [ "$(pcmk_where "${3:-}")" = "$1" ] && return 0
        sleep 0.1
    done
    pcmk_log "group $PCMK_GROUP is not running on $1 after $2 s (it is on $(pcmk_where "${3:-}"))"
    return 1
}

# pcmk_dc [ASK]: the current DC (designated controller) as ASK sees it
pcmk_dc() {
    pcmk_x "${1:-n1}" crm_mon -1 --output-as=xml 2>/dev/null |
        sed -n 's/.*<current_dc present="true".* name="\([^"]*\)".*/\1/p' | head -1
}

# pcmk_split NODE T0: where the time went on NODE (the new owner) after
# unix time T0, from its Pacemaker log (ms timestamps): "DECIDED STARTED"
# in ms after T0 -- the controller asked for the group's first start, and
# the last member's start finished.  "- -" when the log does not tell.
pcmk_split() {
    local n=$1 t0=$2 first=$PCMK_FIRST
    pcmk_x "$n" cat /var/log/pacemaker/pacemaker.log 2>/dev/null |
        grep -E "Requesting local execution of start operation for $first |Result of start operation for web-svc " |
        while read -r mon day hms rest; do
            printf '%s %s\n' "$(date -d "$mon $day $hms" +%s.%N)" "$rest"
        done | awk -v t0="$t0" '$1 > t0 && /Requesting/ && d == "" { d = ($1 - t0) * 1000 }
            $1 > t0 && /Result of start/ && d != "" && s == "" { s = ($1 - t0) * 1000 }
            END { printf "%s %s\n", d == "" ? "-" : sprintf("%.0f", d), s == "" ? "-" : sprintf("%.0f", s) }'
}

# pcmk_move TO [ASK]: the planned move, as an operator does it.  Returns when
# the command has been accepted; pcmk_move_finish waits and clears.
pcmk_move() {
    pcmk_x "${2:-$1}" crm_resource --move -r "$PCMK_GROUP" -N "$1" >/dev/null 2>&1
}
pcmk_move_finish() { # pcmk_move_finish TO [ASK]
    local rc=0
    pcmk_wait_where "$1" 30 "${2:-$1}" || rc=1
    pcmk_x "${2:-$1}" crm_resource --clear -r "$PCMK_GROUP" >/dev/null 2>&1
    return $rc
}

# The PIDs of everything running in NODE's network namespace.
pcmk_node_pids() {
    ip netns pids "$(pcmk_prefix)$1" 2>/dev/null
}

# pcmk_powerloss NODE: the node "loses power": its link goes down, then
# SIGKILL to every process in it (corosync, tini, pacemakerd and its
# daemons, the service, a pending arping).  The caller takes its time mark
# just before.
pcmk_powerloss() {
    local n=$1 pids pid
    pids=$(pcmk_node_pids "$n")
    ip -n "$(pcmk_prefix)$n" link set eth0 down
    # shellcheck disable=SC2086
    [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    for pid in $(pcmk_node_pids "$n"); do kill -KILL "$pid" 2>/dev/null; done
    # With a Filesystem in the group: the dead node's mount goes at once
    # (lazily: it ends when the killed processes are gone).  Its final
    # unmount writes a clean superblock well before a survivor can mount
    # (that takes at least the detection time), so it never writes behind
    # the new owner's back -- and the new owner replays no journal: the
    # figure is a lower bound for a real power loss.
    if [ "$PCMK_FIRST" = web-fs ]; then
        pcmk_x "$n" /bin/sh -c 'mountpoint -q /run/pcmk/disk && umount -l /run/pcmk/disk' 2>/dev/null
    fi
    return 0
}

# pcmk_wait_dead NODE: until no process (but zombies) is left in the node
pcmk_wait_dead() {
    local i pid left
    for ((i = 0; i < 100; i++)); do
        left=0
        for pid in $(pcmk_node_pids "$1"); do
            grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null || left=1
        done
        [ $left = 0 ] && return 0
        sleep 0.05
    done
    pcmk_log "$1: processes survive SIGKILL: $(pcmk_node_pids "$1" | tr '\n' ' ')"
    return 1
}

# pcmk_restore NODE: "reboot" a node that lost power: what its /run held
# for the agents is gone, the virtual address and any mount of the disk
# vanish, the link comes up, corosync and pacemaker start, and we wait until
# every node sees it online again.
pcmk_restore() {
    local n=$1 all
    pcmk_wait_dead "$n"
    pcmk_x "$n" /bin/sh -c "
        ip -4 addr del $PCMK_VIP/24 dev eth0 2>/dev/null
        rm -rf /run/resource-agents/* /run/anything_*.pid
        mountpoint -q /run/pcmk/disk && umount -l /run/pcmk/disk
        ip link set eth0 up" 2>/dev/null
    "$PCMK_TC" start "$n" >/dev/null || return 1
    "$PCMK_TC" wait-quorum --timeout 30 >/dev/null || return 1
    pcmk_start_node "$n" || return 1
    mapfile -t all < <(pcmk_nodes)
    pcmk_wait_online 90 "${all[@]}"
}

# pcmk_stop [NODE...]: SIGTERM to pacemakerd (through tini, which passes it
# on), first on every node but the DC at once, then on the DC; together they
# get 60 s to stop their resources and leave, then SIGKILL to what is left
# in the node but corosync.
pcmk_stop() {
    local nodes n d pid end left dc='' wave
    if [ $# -gt 0 ]; then nodes=("$@"); else mapfile -t nodes < <(pcmk_nodes); fi
    # the DC last: the others leave while it still runs their shutdown
    for n in "${nodes[@]}"; do
        pcmk_alive "$PCMK_STATE/nodes/$n/pacemaker.pid" >/dev/null || continue
        dc=$(pcmk_dc "$n")
        break
    done
    end=$((SECONDS + 60))
    for wave in others dc; do
        for n in "${nodes[@]}"; do
            if [ $wave = others ] && [ "$n" = "$dc" ]; then continue; fi
            if [ $wave = dc ] && [ "$n" != "$dc" ]; then continue; fi
            pid=$(pcmk_alive "$PCMK_STATE/nodes/$n/pacemaker.pid") && kill -TERM "$pid" 2>/dev/null
        done
        while [ $SECONDS -lt $end ]; do
            left=0
            for n in "${nodes[@]}"; do
                [ $wave = others ] && [ "$n" = "$dc" ] && continue
                pcmk_alive "$PCMK_STATE/nodes/$n/pacemaker.pid" >/dev/null && left=1
            done
            [ $left = 0 ] && break
            sleep 0.2
        done
    done
    for n in "${nodes[@]}"; do
        d=$PCMK_STATE/nodes/$n
        if pid=$(pcmk_alive "$d/pacemaker.pid"); then
            pcmk_log "$n: pacemakerd did not stop in 60 s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null
        fi
        # daemons or services that outlived it (never corosync)
        local cs
        read -r cs _ 2>/dev/null <"$d/corosync.pid"
        for pid in $(pcmk_node_pids "$n"); do
            [ "$pid" = "${cs:-}" ] && continue
            case $(cat "/proc/$pid/comm" 2>/dev/null) in
            pacemaker* | tini | wptcpserver) kill -KILL "$pid" 2>/dev/null ;;
            esac
        done
        rm -f "$d/pacemaker.pid"
    done
}

# pcmk_clean [NODE...]: after pcmk_stop, undo pcmk_prepare (the CIB, the
# logs, /root/.bashrc's cover), so that the node is as testcluster made it.
pcmk_clean() {
    local nodes n
    if [ $# -gt 0 ]; then nodes=("$@"); else mapfile -t nodes < <(pcmk_nodes); fi
    for n in "${nodes[@]}"; do
        pcmk_alive "$PCMK_STATE/nodes/$n/pacemaker.pid" >/dev/null && {
            pcmk_log "$n: pacemaker runs: stop it first"
            return 1
        }
        # shellcheck disable=SC2016 # $m expands in the node's shell
        pcmk_x "$n" /bin/sh -c '
            mountpoint -q /run/pcmk/disk && umount -l /run/pcmk/disk
            for m in /var/lib/pacemaker /var/log/pacemaker /root/.bashrc; do
                mountpoint -q "$m" && umount -l "$m"
            done
            rm -rf /run/pcmk /run/resource-agents /run/crm /run/anything_*.pid
            ip -4 addr del '"$PCMK_VIP"'/24 dev eth0 2>/dev/null
            exit 0'
    done
}

pcmk_status() {
    local n
    for n in $(pcmk_nodes); do
        pcmk_x "$n" crm_mon -1 2>/dev/null && return 0
    done
    return 1
}

pcmk_main() {
    local cmd=${1:-}
    [ $# -gt 0 ] && shift
    [ -f "$PCMK_STATE/cluster.env" ] || {
        echo "pacemaker.sh: no test cluster in $PCMK_STATE (tools/testcluster up 3 --no-daemons)" >&2
        return 6
    }
    case $cmd in
    start) pcmk_start "$@" ;;
    configure) pcmk_configure ;;
    group) pcmk_group "$@" ;;
    where) pcmk_where "$@" ;;
    move) pcmk_move "$1" && pcmk_move_finish "$1" ;;
    powerloss) pcmk_powerloss "$1" ;;
    restore) pcmk_restore "$1" ;;
    stop) pcmk_stop "$@" ;;
    clean) pcmk_clean "$@" ;;
    status) pcmk_status ;;
    *)
        sed -n '/^#   pacemaker.sh/s/^#   //p' "${BASH_SOURCE[0]}" >&2
        return 2 ;;
    esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u -o pipefail
    pcmk_main "$@"
fi
