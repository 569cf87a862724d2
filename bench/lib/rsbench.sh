#!/bin/bash
# bench/lib/rsbench.sh -- what the benchmarks of the recordstore virtual
# server "rs" share (bench_rollout.sh, bench_os_update.sh): source it after
# bench/lib/cluster.sh (wp) with TC, WOLFPACK and TMP set; it defines
# functions only.
#
#   state                 "STATE|OWNER" of group rs as n1 sees it
#   app_online            the recordstore resource is Online
#   wait_there NODE SECS  group and application Online on NODE
#   next_node NODE        n1 -> n2 -> n3 -> n1
#   rs_writer_script FILE the client (python3 FILE NAME PORT LOG STOPFILE)
#   gap T0 T1             the longest interval between acknowledged writes
#                         ($TMP/acked) that touches [T0, T1], in ms

state() { wp n1 group show rs --json 2>/dev/null | jq -r '"\(.state)|\(.owner)"'; }
app_online() { wp n1 resource show recordstore --json 2>/dev/null | jq -e '.state == "Online"' >/dev/null; }
wait_there() { # NODE SECONDS: group and application Online on NODE
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        [ "$(state)" = "Online|$1" ] && app_online && return 0
        sleep 0.1
    done
    echo "bench: group rs is '$(state)', wanted Online on $1" >&2
    return 1
}
next_node() { case $1 in n1) echo n2 ;; n2) echo n3 ;; *) echo n1 ;; esac; }

# rs_writer_script FILE: the client, one write at a time through the name;
# "T N" per acknowledged write (unix time of the answer, the write's number).
rs_writer_script() {
    cat >"$1" <<'EOF'
import os, socket, sys, time
name, port, log, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
n = 0
with open(log, "a", buffering=1) as out:
    while not os.path.exists(stop):
        n += 1
        try:
            addr = socket.getaddrinfo(name, port, socket.AF_INET, socket.SOCK_STREAM)[0][4]
            with socket.create_connection(addr, timeout=0.3) as s:
                s.settimeout(0.5)
                s.sendall(b"PUT bench-%d\n" % n)
                if s.makefile().readline().startswith("OK"):
                    out.write("%.6f %d\n" % (time.time(), n))
        except OSError:
            pass
        time.sleep(0.02)
EOF
}
# gap T0 T1: the longest interval between acknowledged writes that touches
# [T0, T1], in ms
gap() {
    awk -v a="$1" -v b="$2" '{ if (p != "" && $1 >= a && p <= b && $1 - p > m) m = $1 - p; p = $1 }
        END { printf "%.0f\n", m * 1000 }' "$TMP/acked"
}
