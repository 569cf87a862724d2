#!/bin/bash
# bench/peer/deps.sh -- source it: peer_pacemaker_deps installs what
# bench_peer_pacemaker.sh needs (Debian's pacemaker, pacemaker-cli-utils,
# resource-agents, tini, and kmod for the Filesystem agent) when a program
# is missing, with apt-get (root).  apt starts no daemon here (PID 1 is not
# systemd).  Returns 1 when something is still missing afterwards; the
# benchmarks then print Pacemaker's figures as "-".
peer_pacemaker_deps() {
    local f missing=0
    for f in /usr/sbin/pacemakerd /usr/sbin/crm_resource /usr/bin/tini /usr/sbin/modprobe \
        /usr/lib/ocf/resource.d/heartbeat/IPaddr2 /usr/lib/ocf/resource.d/heartbeat/Filesystem; do
        [ -x "$f" ] || missing=1
    done
    [ $missing = 0 ] && return 0
    echo "# installing Pacemaker for the peer figures (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q pacemaker pacemaker-cli-utils \
        resource-agents tini kmod >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q pacemaker \
                pacemaker-cli-utils resource-agents tini kmod >/dev/null 2>&1; } || {
        echo "# apt-get could not install pacemaker pacemaker-cli-utils resource-agents tini kmod"
        return 1
    }
}
