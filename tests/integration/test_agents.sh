#!/bin/bash
# tests/integration/test_agents.sh -- the resource agents against a real
# kernel, through the real child mechanism (tests/tools/wpagent).
#
# Two network namespaces of our own, wpag-a-PID and wpag-b-PID, joined by a
# veth pair (198.51.100.1 and .2/24, nothing in the host's namespace, no
# routes out).  In A: an IP Address resource (its gratuitous ARP must
# replace a stale neighbour entry in B), a Generic Service (wptcpserver on
# that address, reachable from B, killed from outside), OCF Dummy and OCF
# IPaddr2.  Needs root.  Cleans up on any exit.  BUILD selects the build.
set -u
cd "$(dirname "$0")/../.." || exit 1
build=${BUILD:-build}
WPAGENT=$PWD/$build/tests/tools/wpagent
TCPSERVER=$PWD/$build/tests/tools/wptcpserver
NA=wpag-a-$$
NB=wpag-b-$$
VIP=198.51.100.10
OCFIP=198.51.100.20
PORT=7070
TMP=$(mktemp -d /tmp/wpag-int.XXXXXX)
RUN=$TMP/run
LOG=$TMP/agents.log
DUMMY=wpag-dummy-$$
DELAY=wpag-delay-$$
PASSED=0
FAILED=0
# ok, bad, finish (and test_on_failure: the agent log)
. "$PWD/tests/integration/lib/checks.sh"

cleanup() {
    for f in "$RUN"/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cut -d' ' -f1 "$f")
        [ -n "$pid" ] && kill -9 -- "-$pid" 2>/dev/null
    done
    [ -n "${EXTRA_PID:-}" ] && kill -9 "$EXTRA_PID" 2>/dev/null
    ip netns exec "$NA" "$WPAGENT" ocf "$DUMMY" stop agent=ocf:heartbeat:Dummy >/dev/null 2>&1
    ip netns exec "$NA" "$WPAGENT" ocf "$DELAY" stop agent=ocf:heartbeat:Delay >/dev/null 2>&1
    ip netns del "$NA" 2>/dev/null
    ip netns del "$NB" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# agent_check NAME EXPECTED_STATUS NS wpagent-args...: run wpagent in NS
# and compare its exit status.
agent_check() {
    local name=$1 want=$2 ns=$3
    shift 3
    local out rc
    out=$(ip netns exec "$ns" "$WPAGENT" --run-dir "$RUN" --log "$LOG" "$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$name"; else bad "$name (status $rc, wanted $want)" "$out"; fi
}

# in NS: is ADDR on some interface?
has_addr() { ip -n "$1" -o addr show | grep -q " $2/"; }

# a request to wptcpserver from NS B: prints the first reply line
tcp_req() {
    ip netns exec "$NB" timeout 5 bash -c "exec 3<>/dev/tcp/$VIP/$PORT && echo '$1' >&3 && head -n1 <&3" 2>/dev/null
}

# wait (bounded) until the service answers PING from B: start only says
# the process runs, not that it listens yet
wait_ready() {
    for _ in $(seq 1 50); do
        [ "$(tcp_req PING)" = "PONG" ] && return 0
        sleep 0.1
    done
    return 1
}

# wait (bounded) until PID is dead (gone or a zombie)
wait_dead() {
    for _ in $(seq 1 100); do
        st=$(ps -o stat= -p "$1" 2>/dev/null)
        case "$st" in "" | Z*) return 0 ;; esac
        sleep 0.05
    done
    return 1
}

if [ "$(id -u)" -ne 0 ]; then
    bad "test_agents: needs root"
    finish
fi
for b in "$WPAGENT" "$TCPSERVER"; do
    [ -x "$b" ] || { bad "missing $b (make BUILD=$build)"; finish; }
done

# ---- the network -----------------------------------------------------------
{ ip netns add "$NA" && ip netns add "$NB" && ip -n "$NA" link add va type veth peer name vb netns "$NB" && ip -n "$NA" addr add 198.51.100.1/24 dev va && ip -n "$NB" addr add 198.51.100.2/24 dev vb && ip -n "$NA" link set lo up && ip -n "$NB" link set lo up && ip -n "$NA" link set va up && ip -n "$NB" link set vb up; } || {
    bad "cannot build the namespaces"
    finish
}
MAC_A=$(ip -n "$NA" -o link show va | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

# ---- IP Address ------------------------------------------------------------
# B believes the address lives at another MAC (a stale entry, as after a
# failover); the gratuitous ARP of start must correct it.
ip -n "$NB" neigh replace "$VIP" lladdr 02:00:00:00:00:99 dev vb nud stale
agent_check "ip: validate chooses an interface by subnet" 0 "$NA" ip vip validate address=$VIP/24
agent_check "ip: validate refuses an address no interface can carry" 1 "$NA" ip vip validate address=203.0.113.9/24
agent_check "ip: validate refuses a missing interface" 1 "$NA" ip vip validate address=$VIP/24 interface=nope0
agent_check "ip: quick before start is not running" 7 "$NA" ip vip quick address=$VIP/24
agent_check "ip: start" 0 "$NA" ip vip start address=$VIP/24
if has_addr "$NA" "$VIP"; then ok "ip: address present in A"; else bad "ip: address present in A"; fi
if ip -n "$NA" -o addr show dev va | grep -q " $VIP/24 brd 198.51.100.255"; then
    ok "ip: on va with /24 and broadcast"
else
    bad "ip: on va with /24 and broadcast" "$(ip -n "$NA" -o addr show)"
fi
seen=""
for _ in $(seq 1 40); do # the announcement is sent before start returns; allow delivery
    seen=$(ip -n "$NB" neigh show "$VIP" dev vb | awk '{print $3}')
    [ "$seen" = "$MAC_A" ] && break
    sleep 0.05
done
if [ "$seen" = "$MAC_A" ]; then
    ok "ip: gratuitous ARP replaced B's stale neighbour entry"
else
    bad "ip: gratuitous ARP replaced B's stale neighbour entry" "B has '$seen', A is $MAC_A"
fi
agent_check "ip: start again is ok (idempotent)" 0 "$NA" ip vip start address=$VIP/24
agent_check "ip: quick" 0 "$NA" ip vip quick address=$VIP/24
agent_check "ip: thorough" 0 "$NA" ip vip thorough address=$VIP/24 interface=va

# ---- Generic Service on that address -----------------------------------------
SVC_CMD="$TCPSERVER --bind $VIP --port $PORT --data $TMP/data"
agent_check "service: validate" 0 "$NA" service app validate "command=$SVC_CMD"
agent_check "service: start" 0 "$NA" service app start "command=$SVC_CMD" "check_command=/bin/true"
wait_ready
reply=$(tcp_req "PUT hello")
if [ "$reply" = "OK 1" ]; then ok "service: reachable from B"; else bad "service: reachable from B" "reply '$reply'"; fi
agent_check "service: quick" 0 "$NA" service app quick "command=$SVC_CMD"
agent_check "service: thorough with a passing check" 0 "$NA" service app thorough "command=$SVC_CMD" "check_command=/bin/true"
agent_check "service: thorough with a failing check" 1 "$NA" service app thorough "command=$SVC_CMD" "check_command=/bin/false"
pid=$(cut -d' ' -f1 "$RUN/app.pid" 2>/dev/null)
if [ -n "$pid" ] && [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ]; then
    ok "service: runs in its own process group"
else
    bad "service: runs in its own process group" "pid '$pid'"
fi
[ -n "$pid" ] && kill -9 "$pid" && wait_dead "$pid"
agent_check "service: killed from outside -> quick says not running" 7 "$NA" service app quick "command=$SVC_CMD"
agent_check "service: start after the crash" 0 "$NA" service app start "command=$SVC_CMD"
wait_ready
reply=$(tcp_req "PUT again")
if [ "$reply" = "OK 2" ]; then ok "service: data kept across restart"; else bad "service: data kept across restart" "reply '$reply'"; fi
pid=$(cut -d' ' -f1 "$RUN/app.pid" 2>/dev/null)
agent_check "service: stop" 0 "$NA" service app stop "command=$SVC_CMD"
if [ -n "$pid" ] && ! ps -o stat= -p "$pid" | grep -qv Z; then ok "service: process gone after stop"; else bad "service: process gone after stop" "pid '$pid'"; fi
if [ ! -e "$RUN/app.pid" ]; then ok "service: state file removed"; else bad "service: state file removed"; fi
agent_check "service: quick after stop" 7 "$NA" service app quick "command=$SVC_CMD"
agent_check "service: stop again is ok" 0 "$NA" service app stop "command=$SVC_CMD"
# a recorded PID that now belongs to another process is not the service
sleep 1000 &
EXTRA_PID=$!
echo "$EXTRA_PID 1" >"$RUN/impostor.pid"
agent_check "service: a reused PID is not taken for the service" 7 "$NA" service impostor quick "command=$SVC_CMD"
{ kill -9 "$EXTRA_PID" && wait "$EXTRA_PID"; } 2>/dev/null
EXTRA_PID=""
agent_check "service: a program that exits at once fails start" 1 "$NA" service quitter start "command=/bin/false"
agent_check "service: unit without systemd is refused" 1 "$NA" service unit1 start unit=foo.service

# ---- IP Address: link down, stop -------------------------------------------
ip -n "$NB" link set vb down
# the kernel reports the lost carrier asynchronously (linkwatch): wait for it
for ((i = 0; i < 50; i++)); do
    ip -n "$NA" -o link show va | grep -q "NO-CARRIER" && break
    sleep 0.1
done
agent_check "ip: thorough fails when the link has no carrier" 1 "$NA" ip vip thorough address=$VIP/24
agent_check "ip: quick still sees the address" 0 "$NA" ip vip quick address=$VIP/24
ip -n "$NB" link set vb up
agent_check "ip: stop" 0 "$NA" ip vip stop address=$VIP/24
if has_addr "$NA" "$VIP"; then bad "ip: address absent after stop"; else ok "ip: address absent after stop"; fi
agent_check "ip: quick after stop is not running" 7 "$NA" ip vip quick address=$VIP/24
agent_check "ip: stop again is ok" 0 "$NA" ip vip stop address=$VIP/24

# ---- OCF ---------------------------------------------------------------------
agent_check "ocf Dummy: validate" 0 "$NA" ocf "$DUMMY" validate agent=ocf:heartbeat:Dummy
agent_check "ocf Dummy: validate refuses an unknown parameter" 1 "$NA" ocf "$DUMMY" validate agent=ocf:heartbeat:Dummy colour=blue
agent_check "ocf Dummy: monitor before start" 7 "$NA" ocf "$DUMMY" quick agent=ocf:heartbeat:Dummy
agent_check "ocf Dummy: start" 0 "$NA" ocf "$DUMMY" start agent=ocf:heartbeat:Dummy
agent_check "ocf Dummy: quick" 0 "$NA" ocf "$DUMMY" quick agent=ocf:heartbeat:Dummy
agent_check "ocf Dummy: thorough" 0 "$NA" ocf "$DUMMY" thorough agent=ocf:heartbeat:Dummy
agent_check "ocf Dummy: stop" 0 "$NA" ocf "$DUMMY" stop agent=ocf:heartbeat:Dummy
agent_check "ocf Dummy: monitor after stop" 7 "$NA" ocf "$DUMMY" quick agent=ocf:heartbeat:Dummy
agent_check "ocf: an agent that is not installed" 1 "$NA" ocf x start agent=ocf:heartbeat:NoSuchAgent
agent_check "ocf Delay: a start past the timeout is killed" 124 "$NA" --timeout 1 ocf "$DELAY" start agent=ocf:heartbeat:Delay startdelay=5

# a node with a fresh /run (its own mount namespace, as in the test
# cluster): the bridge makes /run/resource-agents for the agents
if out=$(ip netns exec "$NA" unshare -m --propagation private sh -c "mount -t tmpfs wpag /run &&
    $WPAGENT ocf fresh start agent=ocf:heartbeat:Dummy &&
    $WPAGENT ocf fresh quick agent=ocf:heartbeat:Dummy &&
    $WPAGENT ocf fresh stop agent=ocf:heartbeat:Dummy &&
    test -d /run/resource-agents" 2>&1); then
    ok "ocf Dummy: works on a fresh /run"
else
    bad "ocf Dummy: works on a fresh /run" "$out"
fi

IPA=(agent=ocf:heartbeat:IPaddr2 "ip=$OCFIP" cidr_netmask=24)
agent_check "ocf IPaddr2: validate refuses a missing ip" 1 "$NA" ocf vip2 validate agent=ocf:heartbeat:IPaddr2
agent_check "ocf IPaddr2: validate" 0 "$NA" ocf vip2 validate "${IPA[@]}"
agent_check "ocf IPaddr2: start" 0 "$NA" ocf vip2 start "${IPA[@]}"
if has_addr "$NA" "$OCFIP"; then ok "ocf IPaddr2: address present"; else bad "ocf IPaddr2: address present"; fi
agent_check "ocf IPaddr2: monitor" 0 "$NA" ocf vip2 quick "${IPA[@]}"
agent_check "ocf IPaddr2: thorough" 0 "$NA" ocf vip2 thorough "${IPA[@]}"
agent_check "ocf IPaddr2: stop" 0 "$NA" ocf vip2 stop "${IPA[@]}"
if has_addr "$NA" "$OCFIP"; then bad "ocf IPaddr2: address gone"; else ok "ocf IPaddr2: address gone"; fi
agent_check "ocf IPaddr2: monitor after stop" 7 "$NA" ocf vip2 quick "${IPA[@]}"

test_on_failure() {
    if [ -s "$LOG" ]; then
        echo "--- agent log (last 30 lines)"
        tail -30 "$LOG"
    fi
}
finish
