#!/bin/bash
# tests/integration/test_os_update.sh -- `wolfpack cluster update` (issue
# 19): the operating system's packages updated node by node with real apt
# and dpkg, on a 3-node test cluster (tools/testcluster; root, bind9).
#
#   1. A virtual server: group rs (IP Address, Network Name rsvs.wptc.test,
#      Physical Disk) with recordstore, online on n1; a client writes
#      through the name all along.
#   2. Package roots: every node gets its own apt and dpkg root below its
#      private install root (/var/lib/wolfpack/root; apt's Dir options and
#      dpkg's --root/--admindir/--log, never the host's /var/lib/dpkg or
#      /etc/apt) with package wptest 1.0, built here with dpkg-deb; a
#      local repository (a file: source in the test's directory) has 1.1.
#      1.1's postinst fails where the root holds "fail-postinst" (n2) and
#      asks for a reboot where it holds "needs-reboot" (n2).
#   3. The update from n1 (order n2, n3, n1; pre- and post-update hooks;
#      --retries 1): n2's update fails twice, the run stops at
#      --max-failed-nodes 0, n2 stays paused with the reason, n3 and n1
#      keep 1.0 and are not paused; `status` (and --json) shows the run
#      stopped at n2 with n2 failed.
#   4. After the fix on n2 (marker gone, dpkg --configure -a), a rerun on
#      n1 resumes at n2 and asks for its reboot (a reboot command:
#      testcluster stop + start, done by this script on a request file, as
#      a node cannot run testcluster); the request first takes `status`
#      (the run on n1 at n2, rebooting, n3 and n1 left), then powers n1
#      off (testcluster power off: the run dies), sees `status` on n3 say
#      the run stopped with its node down, waits for rs recovered on n3 (n1
#      fenced), powers n1 on and reboots n2.
#      A rerun on n3 (--force: the dead run holds the lock) resumes after
#      n2's update, finds n2 rebooted (not asked again), takes n3 and n1
#      to 1.1 (n1 last); every node updated once (its post-update hook ran
#      once), n2 rebooted once; the report (printed, `cluster update
#      --report` and --json) lists per node wptest 1.0 -> the version its
#      dpkg database has, the time drained; it is kept in the cluster
#      database and the history; `status` shows the last run done; the
#      history shows never two nodes drained at once; every acknowledged
#      write is there; the lock is free, no run recorded.
#   5. A run whose command fails on its first node, then --abort: no run
#      recorded, the lock free, that node left paused, the others not;
#      the report and `status` say aborted.
#
# About half a minute (25 s measured at load 7; longer on a busier machine).  Prints "N passed, N failed"; tears the cluster down
# on any exit.
set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
BUILD=${BUILD:-build}
KITS=$REPO/$BUILD/kits
WPCALL=${WPCALL:-$REPO/$BUILD/tests/tools/wpcall}
. "$REPO/tests/integration/lib/checks.sh"
. "$REPO/tests/integration/lib/vserver.sh"
cluster_test osu
export WOLFPACK_APP_ROOT=/var/lib/wolfpack/root
export WOLFPACK_APP_TASK_TIMEOUT=60
chmod 755 "$TMP"
PORT=7173
VIP=198.51.100.63
ZONE=wptc.test
NAME=rsvs.$ZONE
R=$WOLFPACK_APP_ROOT
WRITER=
REBOOTER=

stop_helpers() {
    [ -n "$WRITER" ] && touch "$TMP/writer.stop" && wait "$WRITER" 2>/dev/null
    [ -n "$REBOOTER" ] && kill "$REBOOTER" 2>/dev/null && wait "$REBOOTER" 2>/dev/null
    WRITER=''
    REBOOTER=''
}
trap 'stop_helpers; cluster_cleanup' EXIT

rs() { rs_at client "$NAME" "$@"; }
res_online() { "$TC" exec n1 "$WOLFPACK" resource show recordstore --json | jq -e '.state == "Online"'; }
version_on() { "$TC" exec "$1" cat "$R/usr/share/wptest/version" 2>/dev/null; }
paused() { "$TC" exec n1 "$WOLFPACK" status --json | jq -e --arg n "$1" '.nodes[] | select(.name == $n) | .paused' >/dev/null; }
lock_free() {
    "$TC" exec n1 "$WPCALL" /run/wolfpack/wolfpackd.sock '{"op":"app.lock.show"}' |
        jq -e '.result == null' >/dev/null
}
op_show() { "$TC" exec n1 "$WPCALL" /run/wolfpack/wolfpackd.sock "{\"op\":\"app.op.show\",\"args\":{\"name\":\"$1\"}}"; }
fix_n2() { "$TC" exec n2 "${DPKG[@]}" --configure -a >"$TMP/fix.log" 2>&1; }
# never_two_drained HISTORY.json: between a node's drain and its resume, no other node drained
never_two_drained() {
    jq -e '
    reduce (.[] | select(.op == "node.drain" or .op == "node.resume")) as $e
        ({d: null, ok: true};
         if $e.op == "node.drain" then
             (if .d != null and .d != $e.args.name then .ok = false else . end) | .d = $e.args.name
         elif .d == $e.args.name then .d = null else . end) | .ok' "$1" >/dev/null
}
# the run on n1, powered off by the rebooter when it asks for n2's reboot;
# once n1 is back on and n2 rebooted, the versions in $TMP/versions
powered_off_run() {
    local rc=0
    touch "$TMP/poweroff-n1"
    timeout -k 5 300 "$TC" exec n1 "$WOLFPACK" cluster update >"$TMP/out" 2>"$TMP/err" || rc=$?
    wait_until 300 test -e "$TMP/reboot.done"
    "$TC" wait-quorum --timeout 60 >/dev/null 2>&1
    echo "$(version_on n2) $(version_on n3) $(version_on n1)" >"$TMP/versions"
    [ "$rc" -ne 0 ] && grep -q 'n1: powered off' "$TMP/reboots.log"
}
status_json() { "$TC" exec "$1" "$WOLFPACK" status --json >"$TMP/status.json" 2>/dev/null; }
# os_update JQ [NODE]: the os_update of NODE's (n1's) status --json passes JQ
os_update() { status_json "${2:-n1}" && jq -e ".os_update | $1" "$TMP/status.json" >/dev/null; }
jqf() { jq -e "$1" "$2" >/dev/null; } # jqf FILTER FILE
stopped_seen() { # the status on n3 says the run's node is down (kept in $TMP/status-stopped.json)
    "$TC" exec n3 "$WOLFPACK" status --json >"$TMP/status-stopped.json" 2>/dev/null &&
        jq -e '.os_update.state == "stopped: the node running it is down"' "$TMP/status-stopped.json"
}
rs_on_n3() { [ "$("$TC" exec n3 "$WOLFPACK" group show rs --json | jq -r '"\(.state) \(.owner)"')" = "Online n3" ]; }
# dpkg's version of wptest on a node (its own database)
dpkg_version() { "$TC" exec "$1" dpkg-query "--admindir=$R/var/lib/dpkg" -W -f='${Version}' wptest; }
report_lists() { # report_lists FILE NODE: its entry updated, wptest 1.0 -> dpkg's version
    grep -A1 "^  $2: updated" "$1" | grep -qx "    packages changed: wptest 1.0 -> $(dpkg_version "$2")"
}
hooks_ran_once() { # the post-update hook (after a successful update) once on each node
    local n
    for n in n1 n2 n3; do
        [ "$("$TC" exec "$n" grep -cx "$n" "$R/post-ran")" = 1 ] || return 1
    done
}
none_paused() { ! paused n1 && ! paused n2 && ! paused n3; }
others_untouched() { [ "$(version_on n3)" = 1.0 ] && [ "$(version_on n1)" = 1.0 ] && ! paused n3 && ! paused n1; }
reason_shown() { "$TC" exec n1 "$WOLFPACK" cluster update --plan | grep -q 'failed, left paused: n2: .*exit status'; }
report_kept() { op_show os-update-report | jq -e '[.result.nodes[] | select(.packages | test("^wptest 1.0 -> 1.1$"))] | length == 3' >/dev/null; }
in_report() { grep -A1 "^  $1: updated" "$TMP/run2" | grep -q '^    packages changed: wptest 1.0 -> 1.1$'; }
no_run() { op_show os-update | jq -e '.result == null' >/dev/null; }
planned_order() {
    "$TC" exec n1 "$WOLFPACK" cluster update --plan --command "$CMD" >"$TMP/plan" &&
        grep -q '1. n2:' "$TMP/plan" && grep -q '2. n3:' "$TMP/plan" && grep -q '3. n1 (this node):' "$TMP/plan"
}

# build_pkg VERSION: wptest_VERSION_all.deb in $TMP/debs
build_pkg() {
    local d=$TMP/pkg-$1
    mkdir -p "$d/DEBIAN" "$d/usr/share/wptest" "$TMP/debs"
    printf 'Package: wptest\nVersion: %s\nArchitecture: all\nMaintainer: wolfpack tests <t@example.org>\nDescription: wolfpack test package\n' "$1" >"$d/DEBIAN/control"
    echo "$1" >"$d/usr/share/wptest/version"
    # dpkg runs it without chroot (--force-script-chrootless), DPKG_ROOT the node's root
    cat >"$d/DEBIAN/postinst" <<'EOF'
#!/bin/sh
[ -e "$DPKG_ROOT/fail-postinst" ] && { echo "wptest: postinst fails on purpose" >&2; exit 1; }
[ -e "$DPKG_ROOT/needs-reboot" ] && mkdir -p "$DPKG_ROOT/run" && touch "$DPKG_ROOT/run/reboot-required"
exit 0
EOF
    chmod 755 "$d/DEBIAN/postinst"
    dpkg-deb -Zgzip --root-owner-group -b "$d" "$TMP/debs/wptest_$1_all.deb" >/dev/null
}

# a package root below the node's install root: apt.conf and dpkg's database
cat >"$TMP/mkroot.sh" <<'EOF'
set -e
R=$1 REPO=$2
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers" "$R/var/log" \
    "$R/var/lib/apt/lists/partial" "$R/var/cache/apt/archives/partial" "$R/etc/apt/apt.conf.d" \
    "$R/etc/apt/preferences.d" "$R/etc/apt/sources.list.d" "$R/etc/apt/trusted.gpg.d" "$R/run"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
echo "deb [trusted=yes] file:$REPO ./" >"$R/etc/apt/sources.list"
cat >"$R/apt.conf" <<EOC
Dir "$R/";
Dir::State::status "$R/var/lib/dpkg/status";
Dir::Etc "$R/etc/apt/";
Dir::Etc::main "$R/apt.conf";
Dir::Etc::Parts "$R/etc/apt/apt.conf.d/";
DPkg::Options { "--root=$R"; "--admindir=$R/var/lib/dpkg"; "--log=$R/var/log/dpkg.log"; "--force-script-chrootless"; };
APT::Sandbox::User "root";
EOC
EOF
DPKG=(dpkg "--root=$R" "--admindir=$R/var/lib/dpkg" "--log=$R/var/log/dpkg.log" --force-script-chrootless)
CMD="APT_CONFIG=$R/apt.conf apt-get -q update && APT_CONFIG=$R/apt.conf apt-get -q -y -o DPkg::Lock::Timeout=60 upgrade"

# the "reboot" of a test node: a node cannot run testcluster (its /run hides
# the cluster's state), so the reboot command asks this script, which stops
# and starts the node
rebooter() {
    while :; do
        if [ -s "$TMP/reboot.req" ]; then
            n=$(cat "$TMP/reboot.req")
            if [ -e "$TMP/poweroff-n1" ]; then # the node running the update dies meanwhile
                rm -f "$TMP/poweroff-n1"
                "$TC" exec n3 "$WOLFPACK" status >"$TMP/status-rebooting" 2>&1
                "$TC" exec n3 "$WOLFPACK" status --json >"$TMP/status-rebooting.json" 2>&1
                {
                    "$TC" power off n1
                    wait_until 60 stopped_seen
                    # on again only once the cluster fenced it (rs recovered on n3):
                    # a fence still under way would power it off again
                    wait_until 60 rs_on_n3
                    "$TC" power on n1
                } >>"$TMP/reboots.log" 2>&1
            fi
            "$TC" stop "$n" >>"$TMP/reboots.log" 2>&1
            "$TC" exec "$n" rm -f "$R/run/reboot-required" # /run is empty after a boot
            "$TC" start "$n" >>"$TMP/reboots.log" 2>&1
            echo "$n" >>"$TMP/rebooted"
            : >"$TMP/reboot.req"
            touch "$TMP/reboot.done"
        fi
        sleep 0.2
    done
}
export WOLFPACK_REBOOT_COMMAND="rm -f $TMP/reboot.done; echo \"\$WOLFPACK_NODE\" >$TMP/reboot.req; i=0; while [ ! -e $TMP/reboot.done ] && [ \$i -lt 600 ]; do sleep 0.2; i=\$((i + 1)); done; [ -e $TMP/reboot.done ]"

if [ "$(id -u)" -ne 0 ] || [ ! -x "$WOLFPACK" ] || [ ! -x "$KITS/recordstore/bin/recordstore" ] ||
    ! command -v dpkg-scanpackages >/dev/null; then
    fail "run as root after make BUILD=$BUILD (kits built), with dpkg-dev installed"
    finish
fi

# ---- 1. the virtual server --------------------------------------------------------------------
vs_cluster_up
vs_group_rs
check "recordstore installed into rs" \
    wp n1 app install "$KITS/recordstore" --cluster --group rs --set port=$PORT
check "recordstore Online" wait_until 60 res_online
check "the client resolves $NAME" wait_until 30 sh -c "'$TC' exec client getent hosts $NAME | grep -q '^$VIP '"

# ---- 2. package roots and the repository ------------------------------------------------------------
build_pkg 1.0
build_pkg 1.1
mkdir -p "$TMP/repo"
cp "$TMP/debs/wptest_1.1_all.deb" "$TMP/repo/"
(cd "$TMP/repo" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null)
check "the repository lists wptest 1.1" grep -q '^Version: 1.1' "$TMP/repo/Packages"
for n in n1 n2 n3; do
    check "$n: its own package root with wptest 1.0" sh -c \
        "'$TC' exec $n sh '$TMP/mkroot.sh' '$R' '$TMP/repo' && '$TC' exec $n ${DPKG[*]} -i '$TMP/debs/wptest_1.0_all.deb' >'$TMP/dpkg-$n.log' 2>&1 && [ \"\$('$TC' exec $n cat '$R/usr/share/wptest/version')\" = 1.0 ]"
done
check "the host's dpkg database knows no wptest" sh -c "! dpkg-query -W wptest >/dev/null 2>&1"
"$TC" exec n2 touch "$R/fail-postinst"
"$TC" exec n2 touch "$R/needs-reboot"

vs_writer_start
rebooter &
REBOOTER=$!

# ---- 3. the plan, then a failing node ---------------------------------------------------------------
check "--plan: n2, n3, then n1 (owns rs, runs the update)" planned_order
check "--plan changed nothing" none_paused
check "  and records no run" no_run
rc=0
wp n1 cluster update --command "$CMD" --max-failed-nodes 0 --retries 1 \
    --pre-hook 'echo "$WOLFPACK_NODE" >>"$WOLFPACK_APP_ROOT/pre-ran"' \
    --post-hook 'echo "$WOLFPACK_NODE" >>"$WOLFPACK_APP_ROOT/post-ran"' || rc=$?
check "the run with n2's postinst failing stops (exit $rc)" test "$rc" -ne 0
check "  after one retry on n2" grep -q 'retrying the update on n2 (1 of 1)' "$TMP/out"
check "  the pre-update hook ran on n2 (twice), the post-update hook not" sh -c \
    "[ \"\$('$TC' exec n2 cat '$R/pre-ran')\" = 'n2
n2' ] && ! '$TC' exec n2 test -e '$R/post-ran'"
check "  past --max-failed-nodes 0" grep -q 'more than --max-failed-nodes 0' "$TMP/err"
check "  n2 stays paused" paused n2
check "  the reason is recorded (cluster update --plan)" reason_shown
check "  n3 and n1 untouched: 1.0, not paused" others_untouched
check "  the lock is free" lock_free
"$TC" exec n1 "$WOLFPACK" status >"$TMP/status-failed" 2>&1
check "  status shows the run stopped at n2, n2 failed" sh -c \
    "grep -q '^OS update (cluster update): stopped\$' '$TMP/status-failed' && grep -q '^  node n2 (1 of 3): stopped after step drain' '$TMP/status-failed' && grep -q '^  failed, left paused: n2: .*exit status' '$TMP/status-failed'"
check "  status --json too" os_update '.state == "stopped" and .node == "n2" and .left == ["n3", "n1"] and (.failed.n2 | test("exit status"))'

# ---- 4. fixed, resumed, every node to 1.1 -------------------------------------------------------------
"$TC" exec n2 rm -f "$R/fail-postinst"
check "n2 fixed by hand (dpkg --configure -a)" fix_n2
check "the rerun on n1, powered off while it has n2 reboot" powered_off_run
check "  it resumed at n2" grep -q 'Resuming the OS update at node n2 after step drain' "$TMP/out"
check "  status then: the run on n1 at n2, rebooting, n3 and n1 left" sh -c \
    "grep -q '^OS update (cluster update): running on n1\$' '$TMP/status-rebooting' && grep -q '^  node n2 (1 of 3): rebooting if needed\$' '$TMP/status-rebooting' && grep -q '^  done: none; left: n3, n1\$' '$TMP/status-rebooting'"
check "  status --json then too" jqf '.os_update | .state == "running" and .runner == "n1" and .node == "n2" and .step == "rebooting if needed" and .done == [] and .failed == {}' "$TMP/status-rebooting.json"
check "  with n1 off, status on n3: the run stopped, its node down" \
    jqf '.os_update | .last_step_done == "update" and .node == "n2"' "$TMP/status-stopped.json"
check "  n2 has 1.1 then, n3 and n1 still 1.0" sh -c "[ \"\$(cat '$TMP/versions')\" = '1.1 1.0 1.0' ]"
check "a rerun on n3 (--force) finishes the update" wp n3 cluster update --force
check "  resuming at n2 after step update" grep -q 'Resuming the OS update at node n2 after step update' "$TMP/out"
check "  it finds n2 rebooted and does not ask again" sh -c \
    "grep -q 'the run that stopped had asked n2 to reboot' '$TMP/out' && grep -qx '  n2 rebooted' '$TMP/out'"
check "  the order is kept: n3 then n1" sh -c "grep '^Node' '$TMP/out' | tr '\n' ' ' | grep -q 'Node n2 (1 of 3) Node n3 (2 of 3) Node n1 (3 of 3)'"
cp "$TMP/out" "$TMP/run2"
sleep 2
stop_helpers
for n in n1 n2 n3; do
    check "$n has wptest 1.1" test "$(version_on "$n")" = 1.1
    check "$n is not paused" eval "! paused $n"
    check "  the report: $n wptest 1.0 -> 1.1" in_report "$n"
done
for n in n1 n2 n3; do
    check "$n ran the pre- and post-update hooks (the run's own, kept on resume)" \
        "$TC" exec "$n" sh -c "grep -qx $n '$R/pre-ran' && grep -qx $n '$R/post-ran'"
done
check "n2 was rebooted (asked by its update) once, n1 and n3 not" test "$(cat "$TMP/rebooted" 2>/dev/null)" = n2
check "no node updated twice, none skipped (each one's post-update hook ran once)" hooks_ran_once
for n in n1 n2 n3; do
    check "  the report's $n entry: wptest 1.0 -> $(dpkg_version $n) (its dpkg database)" report_lists "$TMP/run2" "$n"
done
check "  the report says so" grep -q '^  n2: updated, rebooted' "$TMP/run2"
check "the report is kept in the cluster database" report_kept
check "cluster update --report shows it (on n2)" wp n2 cluster update --report
cp "$TMP/out" "$TMP/report"
check "  its heading: done" grep -q '^OS update: done, ended ' "$TMP/report"
for n in n1 n2 n3; do
    check "  $n: wptest 1.0 -> $(dpkg_version $n)" report_lists "$TMP/report" "$n"
done
check "  --json: every node updated, drained a number of seconds" sh -c \
    "'$TC' exec n2 '$WOLFPACK' cluster update --report --json | jq -e '.result == \"done\" and ([.nodes[] | select((.result | startswith(\"updated\")) and (.drained_s | type) == \"number\")] | length) == 3' >/dev/null"
check "status shows the last run: done, 3 updated" os_update '.state == "ended" and .result == "done" and .updated == 3 and .failed == 0'
check "  in words" sh -c "'$TC' exec n1 '$WOLFPACK' status | grep -q '^Last OS update: done, ended .*: 3 updated, 0 failed'"
wp n1 history --json
check "the report is in the history" jqf '[.[] | select(.op == "app.op" and .args.name == "os-update-report")] | length >= 1' "$TMP/out"
check "never two nodes drained at once (the history)" never_two_drained "$TMP/out"
check "  every node drained and resumed" test "$(jq -r '[.[] | select(.op == "node.resume") | .args.name] | unique | join(" ")' "$TMP/out")" = "n1 n2 n3"
# (a failback after the last resume may still be moving rs: wait for its answer)
get_all() { rs GET >"$TMP/all" && grep -qx END "$TMP/all"; }
check "the records answer through $NAME" wait_until 60 get_all
missing=0
while read -r w; do
    grep -qx "$w" "$TMP/all" && continue
    missing=$((missing + 1))
    echo "$w" >>"$TMP/missing"
done <"$TMP/acked"
[ "$missing" -eq 0 ] || echo "missing: $(head -3 "$TMP/missing" | tr '\n' ' ')... $(tail -1 "$TMP/missing") of $(head -1 "$TMP/acked")..$(tail -1 "$TMP/acked")"
check "writes acknowledged through the name all along ($(wc -l <"$TMP/acked"))" test "$(wc -l <"$TMP/acked")" -gt 10
check "every acknowledged write is there ($missing missing)" [ "$missing" -eq 0 ]
check "the lock is free" lock_free
check "no run is recorded" no_run

# ---- 5. --abort ------------------------------------------------------------------------------------
"$TC" exec n1 "$WOLFPACK" cluster update --plan >"$TMP/plan"
FIRST=$(sed -n 's/^  1\. \(n[0-9]\).*/\1/p' "$TMP/plan")
OTHERS=$(echo n1 n2 n3 | tr ' ' '\n' | grep -vx "${FIRST:-none}" | tr '\n' ' ')
others_not_paused() { local n; for n in $OTHERS; do ! paused "$n" || return 1; done; }
rc=0
wp n1 cluster update --command 'echo broken on purpose; exit 3' || rc=$?
check "a run whose command fails on its first node, ${FIRST:-?}, stops (exit $rc)" test "$rc" -ne 0
check "  the command's output is in the reason" grep -q 'broken on purpose' "$TMP/err"
check "--abort ends it" wp n1 cluster update --abort
check "  it says where it stopped" grep -q "Aborted the OS update at node ${FIRST:-?} " "$TMP/out"
check "  no run recorded, the lock free" eval "no_run && lock_free"
check "  ${FIRST:-?} is left paused" paused "${FIRST:-none}"
check "  the others ($OTHERS) were not touched" others_not_paused
check "  status and --report say aborted" sh -c \
    "'$TC' exec n1 '$WOLFPACK' status --json | jq -e '.os_update.result == \"aborted at node ${FIRST:-?}\"' >/dev/null && '$TC' exec n1 '$WOLFPACK' cluster update --report | grep -q '^OS update: aborted at node ${FIRST:-?}, ended'"

finish
