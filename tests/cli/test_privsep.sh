#!/bin/bash
# test_privsep.sh -- privilege separation (wolfpackd --user, src/daemon/
# privsep.c, privexec.c; docs/SECURITY.md "Privilege separation").
#
#   1. the executor's protocol, spoken by tests/tools/wpexec as a
#      compromised wolfpackd would: a request that is not in the table
#      (a shell command), an extra key, a value of the wrong type, a message
#      of 200 KB, bytes that are not JSON, properties the agent layer
#      refuses, node-task ids that are options or paths, corosync.conf
#      nodes with a newline or a key of their own -- each is refused with an
#      answer that says so, and nothing runs: the command's marker file
#      never appears, no corosync.conf is written; a valid agent.op and a
#      valid corosync.write do run (so the refusals are not vacuous);
#      a root service (no user, or user=root) whose program the root-owned
#      allow-list (STATE/root-services.d) does not name is refused, also
#      when a file of the list that others may write names it; once a
#      root-owned file names it, it runs; a listed program that others may
#      write is refused;
#   2. wolfpackd --solo --user nobody: `ps` shows the daemon as nobody and
#      its executor child (wolfpack-exec) as root; the daemon cannot get
#      root back; a Generic Service with user=daemon comes Online and runs
#      as daemon; the database belongs to nobody; the executor pets the
#      root-owned watchdog and disarms it at the clean stop; --user root
#      is refused; a Generic Service command without user (or losing its
#      user) is refused, nothing created; a service with user=root whose program is not on the
#      allow-list (--root-services) fails with that reason in its state,
#      one whose program is listed comes Online as root.
#
# Root only (the executor runs the real agents); everything runs in private
# mount namespaces with a tmpfs on /run, so the agents' run directory is
# the test's own.
# `A && pass "..." || fail "..."` is meant: pass and fail (tests/cli/lib.sh)
# always return 0, so fail runs exactly when A is false.
# shellcheck disable=SC2015
. "$(dirname "$0")/lib.sh"
: "${WOLFPACK:?WOLFPACK must name the wolfpack binary (see tests/run-cli)}"

WPEXEC=${WPEXEC:-$(dirname "$WOLFPACKD")/tests/tools/wpexec}
REAL_WOLFPACKD=$WOLFPACKD
SVC_PID=

# the service of part 2 outlives a solo daemon: end it by its PID
_privsep_cleanup() {
    [ -n "$SVC_PID" ] && kill -9 "$SVC_PID" 2>/dev/null
    [ -f "$TMP/pids" ] && while read -r p; do kill -9 "$p" 2>/dev/null; done <"$TMP/pids"
    _cleanup
}
trap _privsep_cleanup EXIT

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null || [ ! -x "$WPEXEC" ]; then
    fail "test_privsep.sh needs root, unshare and $WPEXEC (make BUILD=...)"
    finish
fi
chmod 0711 "$TMP" # nobody must reach its state directory below

# in_private_run CMD...: CMD in a new mount namespace with its own /run
in_private_run() {
    unshare --mount --propagation private sh -c 'mount -t tmpfs tmpfs /run && exec "$@"' sh "$@"
}

echo "== 1. the executor refuses what is not in its table"
MARK=$TMP/marker
# the command notes its PID, so the cleanup ends it should a check fail
cmd="/bin/sh -c 'echo \$\$ >>$TMP/pids; touch $MARK; exec sleep 100'"
props=$(jq -cn --arg c "$cmd" '{command: $c}')
{
    echo '{"req":"exec","id":1,"argv":["/bin/sh","-c","touch '"$MARK"'"]}'
    echo '{"req":"agent.op","id":2,"type":"service","op":"start","name":"s1","props":'"$props"',"timeout_ms":5000,"env":"X=1"}'
    echo '{"req":"agent.op","id":3,"type":"service","op":"start","name":"s1","props":"'"$cmd"'","timeout_ms":5000}'
    echo '{"req":"agent.op","id":4,"type":"service","op":"start","name":"s1","props":'"$props"'}'
    echo 'touch '"$MARK"
    echo '{"req":"agent.op","id":5,"type":"service","op":"start","name":"../s1","props":'"$props"',"timeout_ms":5000}'
    echo '{"req":"agent.op","id":6,"type":"service","op":"start","name":"s1","props":{"command":"sh -c touch"},"timeout_ms":5000}'
    echo '{"req":"agent.op","id":6,"type":"service","op":"restart","name":"s1","props":'"$props"',"timeout_ms":5000}'
    echo '{"req":"apptask.run","id":10,"task":"--help"}'
    echo '{"req":"apptask.run","id":11,"task":"../../bin/sh"}'
    printf '%s\n' '{"req":"corosync.write","id":12,"cluster_name":"c","nodes":[{"name":"n1","id":1,"address":"198.51.100.1\nlogging { to_logfile: yes }"}],"token_ms":1000,"ping_interval_ms":0,"ping_timeout_ms":0,"quorum":{}}'
    echo '{"req":"corosync.write","id":13,"cluster_name":"c","nodes":[{"name":"n1","id":1,"address":"198.51.100.1","logfile":"/etc/shadow"}],"token_ms":1000,"ping_interval_ms":0,"ping_timeout_ms":0,"quorum":{}}'
    echo '{"req":"corosync.write","id":17,"cluster_name":"c","nodes":[{"name":"n1","id":1,"address":"198.51.100.1"}],"token_ms":1000,"ping_interval_ms":0,"ping_timeout_ms":0,"quorum":{"logfile":"/etc/shadow"}}'
    echo '{"req":"fence.run","id":14,"plan":{"mode":"metadata","agent":"../../bin/sh","path":"/bin/sh"}}'
    echo '{"req":"fence.run","id":15,"plan":{"mode":"fence","node":"n2","action":"shell","steps":[{"agent":"fence_dummy","props":{}}]}}'
    echo '{"req":"fence.run","id":16,"plan":{"mode":"metadata","path":"/bin/sh"}}'
    echo '{"req":"agent.op","id":18,"type":"service","op":"start","name":"s1","props":'"$props"',"timeout_ms":5000}'
    echo '{"req":"agent.op","id":19,"type":"service","op":"start","name":"s1","props":'"$(jq -c '. + {user: "root"}' <<<"$props")"',"timeout_ms":5000}'
    echo '{"req":"agent.op","id":20,"type":"service","op":"validate","name":"s1","props":'"$props"',"timeout_ms":5000}'
    echo '{"req":"agent.cancel"}'
    echo '{"req":"agent.cancel","id":"21"}'
} >"$TMP/bad.in"
mkdir -p "$TMP/xstate/root-services.d" "$TMP/fence"
chmod 0755 "$TMP/xstate" "$TMP/xstate/root-services.d"
# a file of the allow-list that others may write does not count
echo /bin/sh >"$TMP/xstate/root-services.d/loose"
chmod 0666 "$TMP/xstate/root-services.d/loose"
# a fence agent of the executor's own fence path: monitor succeeds
printf '#!/bin/sh\ncat >/dev/null\necho fence_dummy ran\nexit 0\n' >"$TMP/fence/fence_dummy"
chmod 0755 "$TMP/fence/fence_dummy"
export WOLFPACK_COROSYNC_CONF=$TMP/corosync.conf WOLFPACK_COROSYNC_CFGTOOL=/bin/true
export WOLFPACK_FENCE_PATH=$TMP/fence
in_private_run "$WPEXEC" "$TMP/xstate" --big 200000 <"$TMP/bad.in" >"$TMP/bad.out" 2>"$TMP/bad.err"
rc=$?
if [ "$rc" -eq 0 ]; then
    pass "the executor survives every refused message and exits at the channel's end"
else
    fail "the executor exits 0 at the end (rc $rc): $(tail -3 "$TMP/bad.err")"
fi
answer() { sed -n "$1p" "$TMP/bad.out"; }
refused() { # refused LINE DESC REGEX
    local a
    a=$(answer "$1")
    if echo "$a" | jq -e '.rc == 1 and (.err.what | length > 0)' >/dev/null 2>&1 &&
        echo "$a" | grep -Eq "$3"; then
        pass "refused: $2"
    else
        fail "refused: $2 (answer: $a)"
    fi
}
refused 1 "a message of 200000 bytes" 'at most 131072 bytes'
refused 2 "a request not in the table (a shell command)" 'not in its table'
refused 3 "agent.op with a key not in the table (env)" 'unknown key.*env'
refused 4 "agent.op with props of the wrong type" 'wrong type or size.*props'
refused 5 "agent.op without timeout_ms" 'lacks .*timeout_ms'
refused 6 "bytes that are not JSON" 'not a JSON object'
refused 7 "a resource name that climbs out (../s1)" 'invalid|name'
refused 8 "a command that is not an absolute path (agent layer)" 'not valid'
refused 9 "an op that is not in the table (restart)" 'restart'
refused 10 "apptask.run of a task id that is an option (--help)" 'task id'
refused 11 "apptask.run of a task id with slashes" 'task id'
refused 12 "corosync.write with a newline in an address" 'address|invalid'
refused 13 "corosync.write with a key of its own in a node" 'not \{name, id, address'

refused 14 "corosync.write with a quorum key of its own" 'quorum object'
refused 15 "fence.run of an agent named ../../bin/sh" 'fence agent|name'
refused 16 "fence.run of a fence plan with action shell" 'refused fence.run'
refused 17 "fence.run of a program path without an agent name" 'names no agent'
refused 18 "a root service whose program is not on the allow-list" 'may not run as root on this node'
refused 19 "... also with user=root said" 'may not run as root on this node'
refused 20 "... also its validate" 'may not run as root on this node'
refused 21 "a request without an id (the keys every request has)" 'lacks .*id'
refused 22 "a request whose id is a string" 'wrong type or size.*id'
answer 18 | jq -r .err.why | grep -q 'loose is writable by others' &&
    pass "... the allow-list file others may write is skipped, and the answer says so" ||
    fail "... the loose allow-list file is named: $(answer 18)"
if [ ! -e "$TMP/corosync.conf" ]; then
    pass "no corosync.conf was written"
else
    fail "no corosync.conf was written: $(cat "$TMP/corosync.conf")"
fi
grep -q 'executor: .*refused\|executor: the executor refused' "$TMP/bad.err" &&
    pass "the refusals are logged" || fail "the refusals are logged: $(head -3 "$TMP/bad.err")"
[ ! -e "$MARK" ] && pass "nothing ran: the marker file does not exist" ||
    fail "nothing ran: $MARK exists"

# the same command in a valid request does run (so the checks above can fail),
# once a root-owned file of the allow-list names its program
rm -f "$TMP/xstate/root-services.d/loose"
printf '# test\n/bin/sh\n' >"$TMP/xstate/root-services.d/test"
chmod 0644 "$TMP/xstate/root-services.d/test"
# a listed program that others may write is not run
cp /bin/sleep "$TMP/loose-sleep"
chmod 0777 "$TMP/loose-sleep"
echo "$TMP/loose-sleep" >>"$TMP/xstate/root-services.d/test"
{
    echo '{"req":"agent.op","id":7,"type":"service","op":"start","name":"s1","props":'"$props"',"timeout_ms":5000}'
    echo '{"req":"agent.op","id":8,"type":"service","op":"stop","name":"s1","props":'"$props"',"timeout_ms":5000}'
    echo '{"req":"fence.run","id":10,"plan":{"mode":"test","steps":[{"device":"d1","agent":"fence_dummy","path":"/bin/false","props":{},"nodes":[],"level":1,"timeout":10}]}}'
    echo '{"req":"corosync.write","id":9,"cluster_name":"c","nodes":[{"name":"n1","id":1,"address":"198.51.100.1"},{"name":"n2","id":2,"address":"198.51.100.2"}],"token_ms":1000,"ping_interval_ms":0,"ping_timeout_ms":0,"quorum":{}}'
    echo '{"req":"agent.op","id":11,"type":"service","op":"start","name":"s2","props":{"command":"'"$TMP"'/loose-sleep 100"},"timeout_ms":5000}'
} >"$TMP/good.in"
in_private_run "$WPEXEC" "$TMP/xstate" <"$TMP/good.in" >"$TMP/good.out" 2>"$TMP/good.err"
[ "$(jq -sc '.[0:4] | map(.id, .rc)' "$TMP/good.out" 2>/dev/null)" = "[7,0,8,0,10,0,9,0]" ] &&
    pass "a valid agent.op start and stop (its program listed) and a corosync.write run (answers rc 0)" ||
    fail "a valid agent.op runs: $(cat "$TMP/good.out")"
for _ in $(seq 1 50); do [ -e "$MARK" ] && break || sleep 0.1; done
[ -e "$MARK" ] && pass "the valid start ran the command (marker written)" ||
    fail "the valid start ran the command"
grep -q 'ring0_addr: 198.51.100.2' "$TMP/corosync.conf" 2>/dev/null &&
    pass "the valid corosync.write rendered the file with both nodes" ||
    fail "the valid corosync.write rendered the file"
sed -n 3p "$TMP/good.out" | jq -e '.result.ok == true and
    (.result.attempts[0].output | test("fence_dummy ran"))' >/dev/null &&
    pass "fence.run runs the agent of the executor's fence path, not the plan's /bin/false" ||
    fail "fence.run runs the executor's agent: $(sed -n 3p "$TMP/good.out")"
sed -n 5p "$TMP/good.out" | jq -e '.rc == 1 and (.err.what | test("loose-sleep may not run as root: .* writable by others"))' >/dev/null &&
    pass "a listed program that others may write is refused" ||
    fail "a listed program that others may write is refused: $(sed -n 5p "$TMP/good.out")"
unset WOLFPACK_COROSYNC_CONF WOLFPACK_COROSYNC_CFGTOOL WOLFPACK_FENCE_PATH
grep -Eq 'AddressSanitizer|runtime error:' "$TMP/bad.err" "$TMP/good.err" &&
    fail "a sanitizer report in the executor's output" || true

echo "== 2. wolfpackd --user nobody"
NOBODY_UID=$(id -u nobody)
DAEMON_UID=$(id -u daemon)
cat >"$TMP/wolfpackd-ns" <<EOF
#!/bin/sh
exec unshare --mount --propagation private sh -c 'mount -t tmpfs tmpfs /run && exec "\$@"' sh \
    "$REAL_WOLFPACKD" "\$@"
EOF
chmod 0755 "$TMP/wolfpackd-ns"

for u in root no-such-user-wp; do
    rc=0
    timeout 10 "$REAL_WOLFPACKD" --solo --state-dir "$TMP/rstate" --socket "$TMP/rsock" --user "$u" \
        >"$OUT" 2>"$ERR" || rc=$?
    why=$(grep -E 'is root|does not exist' "$ERR" | head -1)
    [ "$rc" -ne 0 ] && [ -n "$why" ] && [ ! -e "$TMP/rsock" ] &&
        pass "--user $u is refused: ${why:0:70}" || fail "--user $u is refused (rc $rc)"
done

# the root CLI's application records beside the database stay root's; the
# state directory is 0700 as the package makes it (a 0755 one keeps o+rx)
mkdir -p "$STATE/apps" && chmod 0700 "$STATE" && echo '{"secret":"s3cret"}' >"$STATE/apps/rec.json" &&
    chmod 0600 "$STATE/apps/rec.json"
# the watchdog (a plain file stands in for the device, as in test_watchdog.sh)
# is root's: the executor opens it and pets it on the daemon's word
WD=$TMP/watchdog
: >"$WD"
chmod 0600 "$WD"
WOLFPACKD=$TMP/wolfpackd-ns
# the allow-list of root services: the test's own, never the host's /etc
mkdir -p "$TMP/rs.d" && chmod 0755 "$TMP/rs.d" && echo /usr/bin/sleep >"$TMP/rs.d/test"
start_daemon --user nobody --watchdog "$WD" --watchdog-timeout 4 --root-services "$TMP/rs.d"
WOLFPACKD=$REAL_WOLFPACKD
user=$(ps -o uid= -p "$DPID" | tr -d ' ')
[ "$user" = "$NOBODY_UID" ] && pass "ps: wolfpackd runs as nobody (uid $user)" ||
    fail "ps: wolfpackd runs as nobody (uid '$user')"
exec_line=$(ps -o pid=,uid=,comm= --ppid "$DPID" | awk '$3 == "wolfpack-exec"')
[ "$(echo "$exec_line" | awk '{print $2}')" = 0 ] &&
    pass "ps: its child wolfpack-exec runs as root ($exec_line)" ||
    fail "ps: its child wolfpack-exec runs as root ($(ps -o pid=,uid=,comm= --ppid "$DPID"))"
exec_pid=$(echo "$exec_line" | awk '{print $1}')
bnd=$(awk '/^CapBnd:/ {print $2}' "/proc/${exec_pid:-0}/status" 2>/dev/null)
# CAP_SYS_BOOT (22) and CAP_MAC_ADMIN (33) dropped, CAP_NET_ADMIN (12) and
# CAP_SYS_ADMIN (21) kept (the agents add addresses and mount)
if [ -n "$bnd" ] && ! (((0x$bnd >> 22) & 1)) && ! (((0x$bnd >> 33) & 1)) &&
    (((0x$bnd >> 12) & 1)) && (((0x$bnd >> 21) & 1)); then
    pass "the executor's bounding set lacks CAP_SYS_BOOT and CAP_MAC_ADMIN, keeps NET_ADMIN and SYS_ADMIN ($bnd)"
else
    fail "the executor's bounding set ($bnd)"
fi
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$DPID/status" &&
    grep -Eq "^Uid:[[:space:]]+${NOBODY_UID}[[:space:]]+${NOBODY_UID}[[:space:]]+${NOBODY_UID}[[:space:]]+$NOBODY_UID" \
        "/proc/$DPID/status" &&
    grep -q '^CapEff:[[:space:]]*0000000000000000' "/proc/$DPID/status" &&
    pass "the daemon has no_new_privs, every uid nobody, no capabilities" ||
    fail "the daemon dropped everything: $(grep -E 'Uid|Cap|NoNew' "/proc/$DPID/status")"
[ "$(stat -c %u "$STATE/cluster.db")" = "$NOBODY_UID" ] && pass "the database belongs to nobody" ||
    fail "the database belongs to nobody ($(stat -c %U "$STATE/cluster.db"))"
[ "$(stat -c '%u %a' "$STATE" "$STATE/apps" "$STATE/apps/rec.json" | tr '\n' ' ')" = \
    "0 1770 0 755 0 600 " ] &&
    pass "the state directory is root's 1770, the CLI's records stay root's" ||
    fail "the state directory and records: $(stat -c '%n %U %a' "$STATE" "$STATE/apps" "$STATE/apps/rec.json")"
if command -v setpriv >/dev/null; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups mv "$STATE/apps" "$STATE/apps2" 2>/dev/null &&
        fail "nobody cannot move the CLI's records away" ||
        pass "nobody cannot move the CLI's records away (sticky state directory)"
fi

expect_ok "group create" wp group create web
# a service runs as root only when said: without user it is refused, and
# so is unsetting the user of one
expect_fail 2 "a Generic Service command without user is refused" wp resource create nouser \
    --group web --type "Generic Service" --prop "command=/bin/sleep 1003"
grep -q 'has no user to run its command as' "$ERR" && grep -q 'runs as root only when said' "$ERR" &&
    grep -q 'user=root' "$ERR" && pass "... it says what, why and what to do (user=NAME or user=root)" ||
    fail "... what/why/to-do: $(cat "$ERR")"
expect_fail 3 "... and nothing was created" wp resource show nouser
expect_ok "a Generic Service with user=daemon" wp resource create svc --group web \
    --type "Generic Service" --prop "command=/bin/sleep 1000" --prop user=daemon \
    --policy quick_check_interval=1
expect_fail 2 "unsetting the user of a service is refused" wp resource set svc --unset-prop user
grep -q 'cannot lose its user' "$ERR" && pass "... it says so" || fail "... it says so: $(cat "$ERR")"
expect_ok "group online" wp group online web
for _ in $(seq 1 100); do
    [ "$(timeout 10 "$WOLFPACK" --socket "$SOCK" resource show svc --json 2>/dev/null |
        jq -r .state)" = Online ] && break
    sleep 0.1
done
expect_ok "resource show svc" wp resource show svc --json
jq -e '.state == "Online"' "$OUT" >/dev/null && pass "svc comes Online through the executor" ||
    fail "svc comes Online through the executor ($(jq -c '{state, last_error}' "$OUT"))"
SVC_PID=$(ps -o pid=,comm= --ppid "$(echo "$exec_line" | awk '{print $1}')" |
    awk '$2 == "sleep" {print $1}' | head -1)
[ -n "$SVC_PID" ] && [ "$(ps -o uid= -p "$SVC_PID" | tr -d ' ')" = "$DAEMON_UID" ] &&
    pass "the service runs as daemon, under the executor (pid $SVC_PID)" ||
    fail "the service runs as daemon under the executor ($(ps -o pid,uid,ppid,comm -u daemon))"
for _ in $(seq 1 50); do [ "$(stat -c %s "$WD")" -ge 3 ] && break || sleep 0.1; done
[ "$(stat -c '%s %u' "$WD" | awk '{print ($1 >= 3) " " $2}')" = "1 0" ] &&
    pass "the executor pets the root-owned watchdog for nobody's daemon ($(stat -c %s "$WD") bytes)" ||
    fail "the executor pets the watchdog ($(stat -c '%s bytes, owner %U' "$WD"))"
# root services: one whose program is not on the allow-list fails and says
# why; one whose program is listed runs as root
expect_ok "group create rootweb" wp group create rootweb
expect_ok "a service with user=root, program not listed" wp resource create rootbad --group rootweb \
    --type "Generic Service" --prop "command=/usr/bin/tail -f /dev/null" --prop user=root \
    --policy restart_threshold=1
expect_ok "group create rootgood" wp group create rootgood
expect_ok "a service with user=root, program listed" wp resource create rootok --group rootgood \
    --type "Generic Service" --prop "command=/usr/bin/sleep 1002" --prop user=root \
    --policy quick_check_interval=1
expect_ok "group online rootweb" wp group online rootweb
expect_ok "group online rootgood" wp group online rootgood
for _ in $(seq 1 100); do
    timeout 10 "$WOLFPACK" --socket "$SOCK" resource show rootbad --json >"$TMP/rb.json" 2>/dev/null
    jq -e '.state == "Failed"' "$TMP/rb.json" >/dev/null && break
    sleep 0.1
done
jq -e '.state == "Failed" and (tostring | test("may not run as root"))' "$TMP/rb.json" >/dev/null &&
    pass "the unlisted root service fails, its state says it may not run as root" ||
    fail "the unlisted root service fails with the reason: $(jq -c . "$TMP/rb.json")"
pgrep -u 0 -f '^/usr/bin/tail -f /dev/null$' >/dev/null &&
    fail "the unlisted program did not run" || pass "the unlisted program did not run"
for _ in $(seq 1 100); do
    [ "$(timeout 10 "$WOLFPACK" --socket "$SOCK" resource show rootok --json 2>/dev/null |
        jq -r .state)" = Online ] && break
    sleep 0.1
done
ROOT_PID=$(ps -o pid=,comm= --ppid "$exec_pid" | awk '$2 == "sleep" {print $1}' |
    while read -r p; do [ "$(ps -o uid= -p "$p" | tr -d ' ')" = 0 ] && echo "$p"; done | head -1)
[ -n "$ROOT_PID" ] && echo "$ROOT_PID" >>"$TMP/pids" &&
    pass "the listed root service comes Online and runs as root (pid $ROOT_PID)" ||
    fail "the listed root service runs as root ($(ps -o pid,uid,ppid,args --ppid "$exec_pid"))"
expect_ok "group offline rootweb" wp group offline rootweb
expect_ok "group offline rootgood" wp group offline rootgood
expect_ok "group offline" wp group offline web
for _ in $(seq 1 50); do kill -0 "$SVC_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SVC_PID" 2>/dev/null && fail "the executor stopped the service" ||
    pass "the executor stopped the service"
stop_daemon
[ "$(tail -c 1 "$WD")" = V ] && pass "a clean stop disarms the watchdog (magic close 'V' last)" ||
    fail "a clean stop disarms the watchdog (last byte '$(tail -c 1 "$WD")')"
finish
