#!/bin/bash
# bench/lib/cluster.sh -- the test-cluster set-up the failover benchmarks
# share (source it after setting TC, WOLFPACK and WPTC_DIR/WPTC_PREFIX; it
# defines functions only).  bench_failover.sh, bench_fence_failover.sh and
# bench_vserver.sh used to type these out each.
#
#   wp NODE ARGS...               run `wolfpack ARGS` on NODE of the cluster
#   bench_ready_all [NODE...]     wait (at most 30 s) until every NODE (n1
#                                 n2 n3 when none is named) says it is ready
#   bench_web_group VIP SERVER    group "web": IP Address VIP/24 and a Generic
#                                 Service (SERVER, tests/tools/wptcpserver, on
#                                 VIP port 7000) depending on it, owners n1,
#                                 n2, n3 in that order, failover_threshold
#                                 10000 (a benchmark fails it over many times);
#                                 brought online (status 0 when every command
#                                 was accepted, not when it is Online)

wp() {
    local node=$1
    shift
    "$TC" exec "$node" "$WOLFPACK" "$@"
}

bench_ready_all() {
    local nodes=("$@") i n c
    [ ${#nodes[@]} -gt 0 ] || nodes=(n1 n2 n3)
    for ((i = 0; i < 150; i++)); do
        c=0
        for n in "${nodes[@]}"; do
            [ "$(wp "$n" status --json 2>/dev/null | jq -r .ready)" = true ] && c=$((c + 1))
        done
        [ "$c" = ${#nodes[@]} ] && return 0
        sleep 0.2
    done
    return 1
}

bench_web_group() {
    local vip=$1 server=$2
    wp n1 group create web --policy preferred_owners=n1,n2,n3 \
        --policy failover_threshold=10000 >/dev/null &&
        wp n1 resource create ip --group web --type "IP Address" --prop "address=$vip/24" \
            >/dev/null &&
        wp n1 resource create svc --group web --type "Generic Service" --depends-on ip \
            --prop user=root \
            --prop "command=$server --bind $vip --port 7000 --data /var/lib/wolfpack/records" \
            >/dev/null &&
        wp n1 group online web >/dev/null
}
