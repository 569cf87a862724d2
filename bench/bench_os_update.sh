#!/bin/bash
# bench/bench_os_update.sh -- the longest time a client could not write
# during a cluster-aware OS update of 3 nodes (`wolfpack cluster update`,
# issue 19), beside planned moves of the same group measured in the same
# run.
#
# tools/testcluster up 3 (its DNS server), the shared disk, the group "rs":
# IP Address 198.51.100.64/24, Network Name osbench.wptc.test (DNS update,
# TSIG), Physical Disk (ext4, /srv/rs); recordstore installed into it
# (`wolfpack app install --cluster --group rs`).  Every node gets its own
# apt and dpkg root below its install root with package wptest 1.0 (built
# here with dpkg-deb, as tests/integration/test_os_update.sh does); a file:
# repository has 1.1, whose postinst asks n2 and n3 for a reboot
# (/run/reboot-required), done by WOLFPACK_REBOOT_COMMAND through this
# script (testcluster stop + start; n1 runs the update and is not
# rebooted: it would stop its own command).  A client in the client
# namespace writes all along through the NAME: each write resolves the name
# (the client's resolv.conf points at the cluster's DNS server), connects
# (timeout 0.3 s), sends "PUT bench-N" and waits for "OK" (0.5 s); a new
# write starts 20 ms after the last one ended.  The longest time the client
# could not write is the longest interval between two acknowledged writes.
#
#   planned move   `wolfpack group move rs --to NEXT`, RUNS times (default
#                  3), ending on n1: the longest gap from the command until
#                  the group and the application are Online on NEXT (+ 2 s);
#   OS update      `wolfpack cluster update` on n1 (order n2, n3, n1: rs
#                  moves away from n1 when n1 is drained and back by its
#                  failback policy): its wall time, each node's time from
#                  its "Node" line, the longest gap during each node's
#                  drain step, and the longest gap from its start to its
#                  end (+ 2 s).
#
# Target, printed beside the figures: the update's longest gap no longer
# than one planned move (their median).  It prints figures and never fails
# on time; every wait is bounded.  Never part of the test suite.
# Environment: RUNS (planned moves), BUILD (default build), BENCH_LOGS=DIR
# keeps the nodes' logs and the update's output.  Needs root, bind9 (the
# cluster's DNS), e2fsprogs, python3, dpkg-dev (dpkg-scanpackages).
set -u
cd "$(dirname "$0")/.." || exit 1
build=${BUILD:-build}
export BUILD=$build
export WOLFPACK=${WOLFPACK:-$PWD/$build/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$PWD/$build/wolfpackd}
export WPTC_DIR=${WPTC_DIR:-/run/wptc-osbench-$$}
export WPTC_PREFIX=${WPTC_PREFIX:-wob$$-}
export WOLFPACK_APP_ROOT=/var/lib/wolfpack/root
export WOLFPACK_APP_TASK_TIMEOUT=60
TC=$PWD/tools/testcluster
KITS=$PWD/$build/kits
RUNS=${RUNS:-3}
VIP=198.51.100.64
NAME=osbench.wptc.test
PORT=7274
R=$WOLFPACK_APP_ROOT
TMP=$(mktemp -d /tmp/wposbench.XXXXXX)
chmod 755 "$TMP"
WRITER=
REBOOTER=
export MR_TMP=$TMP
. bench/peer/measure.sh

cleanup() {
    [ -n "$WRITER" ] && touch "$TMP/writer.stop" && wait "$WRITER" 2>/dev/null
    [ -n "$REBOOTER" ] && kill "$REBOOTER" 2>/dev/null && wait "$REBOOTER" 2>/dev/null
    if [ -n "${BENCH_LOGS:-}" ]; then # keep the nodes' logs and the update's output
        mkdir -p "$BENCH_LOGS"
        cp "$TMP/update.log" "$TMP/acked" "$TMP/reboots.log" "$BENCH_LOGS/" 2>/dev/null
        for n in n1 n2 n3; do
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
    echo "bench_os_update.sh needs root"
    exit 1
}
command -v dpkg-scanpackages >/dev/null || {
    echo "bench_os_update.sh needs dpkg-dev (dpkg-scanpackages)"
    exit 1
}
for f in "$WOLFPACK" "$WOLFPACKD" "$KITS/recordstore/bin/recordstore"; do
    [ -x "$f" ] || {
        echo "missing $f (make BUILD=$build)"
        exit 1
    }
done

echo "== setting up: 3 nodes, group rs (address, name $NAME, disk), recordstore in it"
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
            --prop hostname=osbench --prop dns_zone=wptc.test --prop dns_server=198.51.100.200 \
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

# package wptest VERSION in $TMP/debs: 1.1's postinst asks for a reboot
# where the root holds "needs-reboot"
build_pkg() {
    local d=$TMP/pkg-$1
    mkdir -p "$d/DEBIAN" "$d/usr/share/wptest" "$TMP/debs"
    printf 'Package: wptest\nVersion: %s\nArchitecture: all\nMaintainer: wolfpack bench <t@example.org>\nDescription: wolfpack bench package\n' "$1" >"$d/DEBIAN/control"
    echo "$1" >"$d/usr/share/wptest/version"
    cat >"$d/DEBIAN/postinst" <<'EOS'
#!/bin/sh
[ -e "$DPKG_ROOT/needs-reboot" ] && mkdir -p "$DPKG_ROOT/run" && touch "$DPKG_ROOT/run/reboot-required"
exit 0
EOS
    chmod 755 "$d/DEBIAN/postinst"
    dpkg-deb -Zgzip --root-owner-group -b "$d" "$TMP/debs/wptest_$1_all.deb" >/dev/null
}
cat >"$TMP/mkroot.sh" <<'EOS'
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
EOS
DPKG=(dpkg "--root=$R" "--admindir=$R/var/lib/dpkg" "--log=$R/var/log/dpkg.log" --force-script-chrootless)
CMD="APT_CONFIG=$R/apt.conf apt-get -q update && APT_CONFIG=$R/apt.conf apt-get -q -y -o DPkg::Lock::Timeout=60 upgrade"

echo "== package roots: wptest 1.0 on every node, 1.1 in a file: repository"
{
    build_pkg 1.0 && build_pkg 1.1 && mkdir -p "$TMP/repo" &&
        cp "$TMP/debs/wptest_1.1_all.deb" "$TMP/repo/" &&
        (cd "$TMP/repo" && dpkg-scanpackages -m . /dev/null >Packages 2>/dev/null) &&
        for n in n1 n2 n3; do
            "$TC" exec $n sh "$TMP/mkroot.sh" "$R" "$TMP/repo" &&
                "$TC" exec $n "${DPKG[@]}" -i "$TMP/debs/wptest_1.0_all.deb" || exit 1
        done && "$TC" exec n2 touch "$R/needs-reboot" && "$TC" exec n3 touch "$R/needs-reboot"
} >"$TMP/packages.log" 2>&1 || {
    tail -20 "$TMP/packages.log"
    echo "bench: could not set up the package roots"
    exit 1
}

# the "reboot" of a node: asked by the reboot command through a request
# file (a node cannot run testcluster), done here by a stop and a start
rebooter() {
    while :; do
        if [ -s "$TMP/reboot.req" ]; then
            n=$(cat "$TMP/reboot.req")
            {
                echo "$(mr_now) stop $n"
                "$TC" stop "$n"
                "$TC" exec "$n" rm -f "$R/run/reboot-required"
                "$TC" start "$n"
                echo "$(mr_now) started $n"
            } >>"$TMP/reboots.log" 2>&1
            : >"$TMP/reboot.req"
            touch "$TMP/reboot.done"
        fi
        sleep 0.2
    done
}
export WOLFPACK_REBOOT_COMMAND="rm -f $TMP/reboot.done; echo \"\$WOLFPACK_NODE\" >$TMP/reboot.req; i=0; while [ ! -e $TMP/reboot.done ] && [ \$i -lt 900 ]; do sleep 0.2; i=\$((i + 1)); done; [ -e $TMP/reboot.done ]"
rebooter &
REBOOTER=$!

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

# end the planned moves on n1, the owner the update's order assumes
own=$(state | cut -d'|' -f2)
if [ "$own" != n1 ]; then
    wp "$own" group move rs --to n1 >/dev/null
    wait_there n1 60
    sleep 2
fi

echo "== OS update of 3 nodes, wptest 1.0 -> 1.1 (cluster update on n1; n2 and n3 reboot)"
t0=$(mr_now)
wp n1 cluster update --command "$CMD" 2>&1 | while IFS= read -r l; do
    echo "$(date +%s.%N) $l"
done >"$TMP/update.log"
t1=$(mr_now)
sleep 2
app_online || sleep 5
touch "$TMP/writer.stop"
wait "$WRITER"
WRITER=
ug=$(gap "$t0" "$(awk -v t="$t1" 'BEGIN { printf "%.6f", t + 2 }')")
grep -q '^[0-9.]* OK: the OS update is done' "$TMP/update.log" || {
    echo "bench: the update did not finish:"
    cut -d' ' -f2- "$TMP/update.log" | tail -15
}
echo "  nodes (s from the start of the command):"
awk -v t0="$t0" '/ Node n[0-9]+ \(/ { printf "    %7.2f  %s\n", $1 - t0, substr($0, index($0, $2)) }
    / OK: the OS update is done/ { printf "    %7.2f  done\n", $1 - t0 }' "$TMP/update.log"
echo "  the longest write gap while each node drained (its groups moved away):"
awk '/ Node n[0-9]+ \(/ { n = $3 } / step 1 of 5: drain/ { a = $1 } / step 2 of 5: update/ { print n, a, $1 }' \
    "$TMP/update.log" | while read -r n a b; do
    echo "    $n: $(gap "$a" "$b") ms ($(mr_ms "$a" "$b") ms drain step)"
done
echo "  the report:"
sed -n '/ Report:$/,/ OK: /p' "$TMP/update.log" | cut -d' ' -f2- | sed 's/^/    /'
for n in n1 n2 n3; do
    echo "  $n: wptest $("$TC" exec $n dpkg-query "--admindir=$R/var/lib/dpkg" -W -f='${Version}' wptest)"
done

read -r pm pmin pmax pn <<<"$(mr_stats "$TMP/planned")"
echo
echo "== results (ms)"
printf 'planned move     longest write gap: median %s min %s max %s (%s moves)\n' "$pm" "$pmin" "$pmax" "$pn"
printf 'OS update        whole run %s ms; longest write gap %s ms (target: <= one planned move, %s ms)\n' \
    "$(mr_ms "$t0" "$t1")" "$ug" "$pm"
printf 'client           %s writes acknowledged through %s\n' "$(wc -l <"$TMP/acked")" "$NAME"
