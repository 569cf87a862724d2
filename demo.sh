#!/bin/bash
# demo.sh -- the wolfpack demo (the README's first command): the story of
# KB Q221393 ("Exchange 5.5 SP Setup Incomplete on Cluster Server") told on
# one machine, as root, in a few minutes, with real Corosync, a real DNS
# server and a shared disk, in network namespaces (tools/testcluster).
#
#   1. a 3-node cluster: its nodes, quorum, one change replicated;
#   2. the application installed standalone on n1 while n1 had no cluster
#      service yet (the article's mistake), and used there;
#   3. its service pack refused with the article's question and message
#      (answered through a pseudo-terminal), and wolfpack's explanation;
#   4. a virtual server (IP address, network name in DNS, shared disk) and
#      `wolfpack app migrate` into it, data included;
#   5. the service pack applied rolling: the plan, then the run;
#   6. messages sent to the network name; 7. the owner killed (kill -9 of
#      its cluster stack, its network cable pulled); 8. every message read
#      back from the survivor; 9. a summary with the measured failover time.
#
# The application is a kit in kits/: mailserver (Postfix + Dovecot; the
# messages are mails, sent by SMTP, read over IMAP), or recordstore
# (WOLFPACK_DEMO_APP=recordstore: a small record server; the messages are
# records).  Everything application-specific is in the block "the
# application" below.  The demo installs its packages and builds; it
# removes everything it made when it ends, also on failure or Ctrl-C.
#
#   ./demo.sh [--short]     --short: no pauses (used by the test suite)
#   WOLFPACK_DEMO_KEEP=1    on failure, leave the cluster up to look at it
#                           (tools/testcluster status; then tools/testcluster down)
#   WOLFPACK_DEMO_APP=recordstore   the other application
#   WPTC_DIR, WPTC_PREFIX   where the test cluster lives (docs/TESTCLUSTER.md)
# Exit status 0 only when every check of the summary holds.
#
# Every step whose output is captured is captured whole and cut afterwards
# (out=$(cmd) || fail ...; then ${out##*$'\n'}), never `$(cmd | tail -1) ||
# fail`, whose status is tail's: a failed step stops the demo at once with
# its own error.  pipefail makes the other pipelines' status their first
# failure's too (wpx, field, group_state).
set -u -o pipefail
cd "$(dirname "$0")" || exit 1
short=0
[ "${1:-}" = "--short" ] && short=1

if [ "$(id -u)" -ne 0 ]; then
    echo "error: the demo must run as root" >&2
    echo "  why: it creates network namespaces, loop devices and starts Corosync" >&2
    echo "  to do: run it again as root (sudo ./demo.sh)" >&2
    exit 1
fi

TC=tools/testcluster
PREFIX=${WPTC_PREFIX:-wptc-}
STATE=${WPTC_DIR:-/run/wptc}
PTY=(python3 tests/tools/ptyrun.py)
MAILCLIENT=(/usr/bin/python3 "$PWD/tests/tools/mailclient.py") # the SMTP/IMAP client of the tests
GROUP=mail
VIP=198.51.100.60
ZONE=wptc.test
NAME=mail.$ZONE
PROMPT='Group [Cluster Group]: '
NOTQ='This cluster group does not contain the appropriate system resources.'
TMP=$(mktemp -d /tmp/wolfpack-demo.XXXXXX)
export WOLFPACK_APP_ROOT=/var/lib/wolfpack/root # each node's own (docs/APP.md)
export WOLFPACK_APP_TASK_TIMEOUT=60

# ---- showing things ----------------------------------------------------------------------------
act() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
say() { printf '   %s\n' "$*"; }
pause() { [ $short -eq 1 ] || sleep "${1:-2}"; }
shown() { # NODE CMD... : print the command as typed at NODE's prompt (quoted where needed)
    local n=$1 a line=
    shift
    for a in "$@"; do
        case "$a" in
        *[!A-Za-z0-9_./:=,@%+-]* | "") line="$line '$a'" ;;
        *) line="$line $a" ;;
        esac
    done
    printf '\n[%s]#%s\n' "$n" "$line"
}
on() { # NODE CMD... : show a command, run it on NODE; its exit status
    shown "$@"
    "$TC" exec "$@"
}
wp() { # NODE ARGS... : show and run `wolfpack ARGS` on NODE
    local n=$1
    shift
    shown "$n" wolfpack "$@"
    "$TC" exec "$n" "$WOLFPACK" "$@"
}
wpx() { # SED-SCRIPT NODE ARGS... : as wp, showing only the lines SED-SCRIPT prints
    local script=$1
    shift
    shown "$1" wolfpack "${@:2}"
    "$TC" exec "$1" "$WOLFPACK" "${@:2}" | sed -n "$script"
}
q() { "$TC" exec "$1" "$WOLFPACK" "${@:2}" 2>/dev/null; } # quiet: for the demo's own checks
field() { q "$1" status --json | jq -r "$2"; }
app_online() { # every resource of the group Online
    q n1 resource list --group "$GROUP" | awk 'NR > 1 && ($0 !~ / Online / || /Pending/) { bad = 1 } NR > 1 { n++ }
        END { exit !(n > 0 && !bad) }'
}
group_state() { q "$1" group show $GROUP --json | jq -r '"\(.state) \(.owner)"'; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
wait_for() { # SECONDS CMD... : until CMD succeeds
    local end=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.2
    done
}
fail() { # fatal: the story cannot go on
    echo "demo: FAILED: $*" >&2
    for n in n1 n2 n3; do # what the cluster says, for the bug report
        q "$n" status | sed "s/^/  [$n] /" >&2 && break
    done
    exit 1
}
CHECKS=()
BAD=0
check() { # NAME CMD... : one line of the summary
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then
        CHECKS+=("ok      $name")
    else
        CHECKS+=("FAILED  $name")
        BAD=$((BAD + 1))
    fi
}

# ---- the application ---------------------------------------------------------------------------
# APP, KIT, SP: the application and its kits; NOUN: what its messages are
# called; SEND_HOW, READ_HOW: how the client reaches it (for a person);
# PROBES: what the failover poller asks (PORT:PROBE:EXPECTED-ANSWER-PREFIX);
# DISK_PROPS: more properties of the group's Physical Disk;
# INSTALL_ARGS: `app install` arguments; app_send NODE HOST TEXT: send
# one message (TEXT identifies it), print the server's answer, succeed when
# it was accepted; app_read NODE HOST: the TEXT of every message stored, one
# a line; app_format NODE: the data's format on disk, for a person;
# app_port_name PORT: what answers there, for a person.
DEMO_APP=${WOLFPACK_DEMO_APP:-mailserver}
case "$DEMO_APP" in
recordstore | mailserver) ;;
*)
    echo "error: unknown WOLFPACK_DEMO_APP \"$DEMO_APP\"" >&2
    echo "  why: the demo knows the applications mailserver and recordstore" >&2
    echo "  to do: unset it, or set it to one of those" >&2
    exit 2
    ;;
esac

if [ "$DEMO_APP" = recordstore ]; then # kits/recordstore: a message is a record
    APP=recordstore
    PORT=7171
    NOUN=records
    SEND_HOW="on port $PORT"
    READ_HOW="on port $PORT"
    PROBES=("$PORT:VERSION:VERSION")
    DISK_PROPS=()
    INSTALL_ARGS=(--set "port=$PORT")
    app_port_name() { echo "port $1"; }
    app_talk() { # NODE HOST REQUEST : one request, the answer's lines
        "$TC" exec "$1" bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
            printf "%s\n" "$2" >&3
            while IFS= read -r -t 10 l <&3; do
                echo "$l"
                [ "$2" = GET ] && [ "$l" != END ] && continue
                break
            done' "$2" "$PORT" "$3"
    }
    app_send() {
        local ans
        ans=$(app_talk "$1" "$2" "PUT $3")
        echo "$ans"
        case "$ans" in OK*) return 0 ;; *) return 1 ;; esac
    }
    app_read() { app_talk "$1" "$2" GET | grep -v '^END$'; }
    app_format() { # on the node that owns the disk, or the standalone file
        local f=/srv/$GROUP/recordstore/records.db
        "$TC" exec "$1" test -e "$f" || f=$WOLFPACK_APP_ROOT/var/lib/recordstore/records.db
        printf '%s: first line "%s"\n' "$f" "$("$TC" exec "$1" head -1 "$f")"
    }
else # kits/mailserver: Postfix (SMTP) and Dovecot (IMAP); a message is a mail to alice
    APP=mailserver
    NOUN=mails
    SEND_HOW="by SMTP (port 25), to alice@example.org"
    READ_HOW="over IMAP (port 143), as alice@example.org"
    PROBES=("25::220" "143::* OK")
    DISK_PROPS=(--prop mount_options=dirsync) # a mail queue relies on its directories (docs/MAIL.md)
    INSTALL_ARGS=()
    app_port_name() { case "$1" in 25) echo SMTP ;; 143) echo IMAP ;; *) echo "port $1" ;; esac; }
    app_send() { # the answer to DATA, e.g. "250 2.0.0 Ok: queued as 4Fk2..."; TEXT is the Message-ID
        "$TC" exec "$1" "${MAILCLIENT[@]}" deliver "$2" "$3"
    }
    app_read() { # the Message-ID of every mail in alice's INBOX
        "$TC" exec "$1" "${MAILCLIENT[@]}" ids "$2" alice@example.org alice-pw
    }
    app_format() { # where alice's Maildir is: the mail store's layout
        local d=/srv/$GROUP/mailserver/mail
        "$TC" exec "$1" test -d "$d" || d=$WOLFPACK_APP_ROOT/var/lib/mailserver/mail
        printf "%s: alice's Maildir is %s\\n" "$d" "$("$TC" exec "$1" find "$d" -maxdepth 4 -type d \
            -name cur -path '*alice*' -printf '%h/\n' | sed "s|^$d/||" | head -1)"
    }
fi
KIT=$PWD/build/kits/$APP
SP=$PWD/build/kits/$APP-sp1

# ---- the failover poller (runs in the client's namespace) ------------------------------------
# poll NAME SECONDS PORT:PROBE:EXPECT...: from now on, connect to NAME until
# every port answered as expected (tests/tools/wppoll --until-up, one per
# port); prints "PORT EPOCH-SECONDS ANSWER" for each at its first such
# answer, the first to answer first.
poll() {
    local name=$1 secs=$2 t port probe expect rc=0 pids=()
    shift 2
    for t in "$@"; do
        IFS=: read -r port probe expect <<<"$t"
        "$TC" exec client "$WPPOLL" "$name" "$port" --send "$probe" --expect "$expect" \
            --interval 20 --timeout 1000 --duration "$secs" --until-up >"$TMP/poll.$port" &
        pids+=("$!")
    done
    for t in "${pids[@]}"; do wait "$t" || rc=1; done
    for t in "$@"; do
        port=${t%%:*}
        sed -n "s/^S \([^ ]*\) /$port \1 /p" "$TMP/poll.$port"
    done | sort -k2,2n # in the order they answered
    return $rc
}

# ---- set-up ------------------------------------------------------------------------------------
act "Installing packages and building"
tools/install-deps || exit 1
make -s -j"$(nproc)" >/dev/null || fail "the build failed (run make to see why)"
export WOLFPACK=$PWD/build/wolfpack WOLFPACKD=$PWD/build/wolfpackd
WPPOLL=$PWD/build/tests/tools/wppoll
say "built: build/wolfpackd, build/wolfpack, the kits $APP and ${APP}-sp1"

demo_ok=0
cleanup() {
    if [ "${WOLFPACK_DEMO_KEEP:-0}" = 1 ] && [ "$demo_ok" != 1 ]; then
        echo "demo: WOLFPACK_DEMO_KEEP=1: the cluster stays up (WPTC_DIR=$STATE WPTC_PREFIX=$PREFIX);" \
            "look with: $TC status; remove it with: $TC down" >&2
    else
        "$TC" down >/dev/null 2>&1
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$TC" down >/dev/null 2>&1 # what a killed earlier run left

# ---- 1 ------------------------------------------------------------------------------------------
act "1. A 3-node cluster in network namespaces (real Corosync, token 1000 ms)"
t0=$(date +%s.%N)
shown host "$TC" up 3 --token 1000
"$TC" up 3 --token 1000 >"$TMP/up.log" 2>&1 || {
    tail -20 "$TMP/up.log"
    fail "the test cluster did not come up"
}
wait_for 60 sh -c "for n in n1 n2 n3; do '$TC' exec \$n '$WOLFPACK' status --json | jq -e .ready || exit 1; done" ||
    fail "wolfpackd is not ready on every node"
say "n1, n2, n3 at 198.51.100.11-13, a client and a DNS server at .200: up in $(elapsed "$t0" "$(date +%s.%N)") s"
wpx '/^Quorate/p;/^Nodes/,/^$/{/^$/!p}' n1 status
wp n2 group create "Print Server"
wp n3 group list
for n in n1 n2 n3; do say "$n: database version $(field $n .version), checksum $(field $n .checksum | cut -c1-16)"; done
wp n3 group delete "Print Server"
pause

# ---- 2 ------------------------------------------------------------------------------------------
act "2. $APP installed standalone on n1 BEFORE n1 was a cluster node (the article's mistake)"
shown host "$TC" stop n1
"$TC" stop n1 >/dev/null || fail "could not stop n1's cluster service"
say "n1's cluster service is stopped: n1 is a plain server, as before the cluster came"
wp n1 status
wp n1 app install "$KIT" "${INSTALL_ARGS[@]}" || fail "the standalone install failed"
wp n1 app start $APP || fail "the standalone application did not start"
SENT=$TMP/sent
: >"$SENT"
say "(a user on n1 sends 3 $NOUN to 127.0.0.1 $SEND_HOW)"
for i in 1 2 3; do
    ans=$(app_send n1 127.0.0.1 "from-the-standalone-days-$i") && echo "from-the-standalone-days-$i" >>"$SENT"
    say "from-the-standalone-days-$i: $ans"
done
say "later the cluster service comes to n1 as well:"
shown host "$TC" start n1
"$TC" start n1 >/dev/null || fail "could not start n1's cluster service"
wait_for 60 sh -c "'$TC' exec n1 '$WOLFPACK' status --json | jq -e '.ready and .sync == \"synced\"'" ||
    fail "n1 did not join the cluster"
wpx '/^Nodes/,/^$/{/^$/!p}' n1 status
wp n1 app list
pause

# ---- 3 ------------------------------------------------------------------------------------------
act "3. Its service pack is refused, as in the article"
shown n1 wolfpack app sp apply "$SP"
say "(typed through a pseudo-terminal: Enter, the default group)"
rc=0
timeout -k 5 120 "${PTY[@]}" --prompt "$PROMPT" --answer '' -- "$TC" exec n1 "$WOLFPACK" app sp apply "$SP" \
    >"$TMP/refused" 2>&1 || rc=$?
cat "$TMP/refused"
check "the service pack was refused with the article's message (exit $rc)" \
    sh -c "[ $rc -ne 0 ] && grep -q '^$NOTQ' '$TMP/refused'"
say "wolfpack says why (the article's cause) and what to do (its workaround):"
wpx '/^Note/,$p' n1 app show $APP
pause 3

# ---- 4 ------------------------------------------------------------------------------------------
act "4. A virtual server (IP address, network name in DNS, shared disk), and migrate into it"
shown host "$TC" disk disk1 --prepare
disk_out=$("$TC" disk disk1 --prepare) || fail "no shared disk: $TC disk failed (its error above)"
disk=${disk_out##*$'\n'} # its last line: the device path every node sees
case "$disk" in /*) ;; *) fail "no shared disk: $TC disk printed \"$disk\", not a device path" ;; esac
say "the shared disk: one image, a loop device per node ($disk on every node), an on-disk lease"
wp n1 group create $GROUP --policy preferred_owners=n1,n2,n3 || fail "group create"
wp n1 resource create $GROUP-ip --group $GROUP --type "IP Address" --prop address=$VIP/24 ||
    fail "the IP Address resource"
wp n1 resource create $GROUP-name --group $GROUP --type "Network Name" --depends-on $GROUP-ip \
    --prop hostname=mail --prop dns_zone=$ZONE --prop dns_server=198.51.100.200 \
    --prop tsig_key_file=/etc/wolfpack/tsig.key || fail "the Network Name resource"
wp n1 resource create $GROUP-disk --group $GROUP --type "Physical Disk" --prop device="$disk" \
    --prop mountpoint=/srv/$GROUP --prop fstype=ext4 "${DISK_PROPS[@]}" || fail "the Physical Disk resource"
wp n1 group online $GROUP
wait_for 90 sh -c "[ \"\$('$TC' exec n1 '$WOLFPACK' group show $GROUP --json | jq -r .state)\" = Online ]" ||
    fail "the virtual server did not come online ($(group_state n1))"
on client getent hosts $NAME
shown n1 wolfpack app sp apply "$SP"
say "(typed: $GROUP)"
rc=0
timeout -k 5 120 "${PTY[@]}" --prompt "$PROMPT" --answer "$GROUP" -- "$TC" exec n1 "$WOLFPACK" app sp apply "$SP" \
    >"$TMP/explained" 2>&1 || rc=$?
cat "$TMP/explained"
check "a qualifying group: the standalone install explained, migrate proposed" \
    grep -q "wolfpack app migrate $APP" "$TMP/explained"
t0=$(date +%s.%N)
wp n1 app migrate $APP --group $GROUP
rc=$?
t_migrate=$(elapsed "$t0" "$(date +%s.%N)")
check "migrate into $GROUP (exit $rc, $t_migrate s)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || fail "migrate failed (exit $rc): the story cannot go on"
wait_for 90 app_online || fail "the application's resources did not come online after migrate"
wp n2 app list
wp n2 resource list --group $GROUP
say "$(app_format "$(group_state n1 | cut -d' ' -f2)")"
pause

# ---- 5 ------------------------------------------------------------------------------------------
act "5. The service pack, applied rolling (one node at a time; any node may run it)"
wp n3 app sp apply "$SP" --plan
t0=$(date +%s.%N)
wp n3 app sp apply "$SP"
rc=$?
t_sp=$(elapsed "$t0" "$(date +%s.%N)")
wait_for 90 app_online
wp n3 app list | tee "$TMP/list"
new_version=$(sed -n 's/^version: *"\{0,1\}\([^"]*\)"\{0,1\}.*/\1/p' "$SP/kit.yaml")
check "service pack applied rolling (exit $rc, $t_sp s), every node at $new_version" \
    grep -q "n1 $new_version, n2 $new_version, n3 $new_version" "$TMP/list"
owner=$(group_state n1 | cut -d' ' -f2)
say "$(app_format "$owner")"
pause

# ---- 6 ------------------------------------------------------------------------------------------
act "6. ${NOUN^} sent to the network name $NAME"
on client getent hosts $NAME
t0=$(date +%s.%N)
poll "$NAME" 60 "${PROBES[@]}" >/dev/null ||
    fail "$APP does not answer under $NAME (${PROBES[*]}) within 60 s"
say "(the application answers under the name; waited $(elapsed "$t0" "$(date +%s.%N)") s)"
owner=$(group_state n3 | cut -d' ' -f2)
say "(the client sends 10 $NOUN to $NAME $SEND_HOW)"
before=$(wc -l <"$SENT")
for i in $(seq 1 10); do
    msg="through-the-name-$i"
    ans=$(app_send client $NAME "$msg") && echo "$msg" >>"$SENT"
    [ "$i" -le 2 ] || [ "$i" -eq 10 ] && say "$msg: $ans"
    [ "$i" -eq 3 ] && say "..."
done
sent=$(wc -l <"$SENT")
say "$sent $NOUN accepted in all ($before from the standalone days, $((sent - before)) now); the group runs on $owner"
check "the 3 + 10 $NOUN sent were all accepted ($before + $((sent - before)))" [ "$sent" -eq 13 ]
pause

# ---- 7 ------------------------------------------------------------------------------------------
act "7. $owner, the owner, loses power"
say "kill -9 of its corosync and wolfpackd, and its network cable pulled"
shown host "$TC" kill "$owner"
shown host "$TC" unplug "$owner"
say "(the second one: $owner's port on the switch goes dark)"
t_kill=$(date +%s.%N)
"$TC" kill "$owner" >/dev/null
"$TC" unplug "$owner" >/dev/null
say "(the client, from now on: connect to $NAME until it answers again)"
poll "$NAME" 60 "${PROBES[@]}" >"$TMP/poll"
rc=$?
detail=
while read -r port at answer; do
    detail="$detail${detail:+, }$(app_port_name "$port") after $(elapsed "$t_kill" "$at") s"
    [ ${#answer} -le 60 ] || answer="${answer:0:57}..."
    say "$(app_port_name "$port") answers \"$answer\" $(elapsed "$t_kill" "$at") s after the kill"
done <"$TMP/poll"
back=$(awk '{ print $2 }' "$TMP/poll" | sort -n | tail -1)
failover=none
[ -n "$back" ] && failover="$(elapsed "$t_kill" "$back") s"
check "the service answered under its name again after the kill" [ $rc -eq 0 ]
survivor_of() { # the node that owns the group now, as a living node sees it
    local n st
    for n in n1 n2 n3; do
        [ "$n" = "$owner" ] && continue
        st=$(group_state $n)
        case "$st" in "Online "*) [ "${st#* }" != "$owner" ] && echo "${st#* }" && return 0 ;; esac
    done
    return 1
}
wait_for 60 survivor_of
survivor=$(survivor_of) || survivor=none
check "the group is Online on a survivor ($survivor)" [ "$survivor" != none ]
# recovery waited for proof (docs/FENCING.md): the switch powered the owner off first
fenced=$("$TC" exec "$survivor" "$WOLFPACK" --json status 2>/dev/null |
    jq -r --arg n "$owner" '.fencing.down[$n] | select(.how == "fenced") | .detail // empty')
say "$owner fenced (power switch) before the group started elsewhere: ${fenced:-not recorded}"
check "$owner was fenced (power switch) before its group started on $survivor" [ -n "$fenced" ]
for n in n1 n2 n3; do [ "$n" != "$owner" ] && wpx '/^Nodes/,$p' $n status && break; done
pause

# ---- 8 ------------------------------------------------------------------------------------------
act "8. All the $NOUN read back through $NAME, from the survivor $survivor"
say "(the client reads all the $NOUN back from $NAME $READ_HOW)"
count_read() { # sets found (messages sent and read) and dup (read more than once)
    local m c
    found=0
    dup=0
    while read -r m; do
        c=$(grep -cxF "$m" "$TMP/read")
        [ "$c" -ge 1 ] && found=$((found + 1))
        [ "$c" -gt 1 ] && dup=$((dup + 1))
    done <"$SENT"
}
# an accepted message may still be on its way to the mailbox (a mail queue):
# read again until every one is there, for at most a minute
end=$((SECONDS + 60))
while :; do
    app_read client $NAME >"$TMP/read" 2>"$TMP/read.err"
    count_read
    if [ "$found" -ge "$sent" ] || [ $SECONDS -ge $end ]; then break; fi
    sleep 1
done
sed 's/^/   /' "$TMP/read" "$TMP/read.err"
check "every accepted message read back once ($found of $sent, $dup more than once)" \
    test "$found" -eq "$sent" -a "$dup" -eq 0 -a "$sent" -gt 0
say "$(app_format "$survivor")"

# ---- 9 ------------------------------------------------------------------------------------------
act "9. Summary"
say "3-node cluster; $APP installed standalone on n1 before the cluster (the article's case);"
say "its service pack refused with the article's message; migrated into group $GROUP (IP $VIP,"
say "name $NAME, shared disk) in $t_migrate s; the service pack rolled out node by node in $t_sp s;"
say "$owner, the owner, killed: $owner fenced (power switch), the group came back on $survivor."
say "failover: $failover from the kill to the first answer under $NAME ($detail)"
say "          (Corosync token 1000 ms: detecting the failure is ~2 s of it)"
say "$found/$sent $NOUN read back"
if [ $BAD -ne 0 ] && [ "${WOLFPACK_DEMO_KEEP:-0}" = 1 ]; then
    for c in "${CHECKS[@]}"; do say "$c"; done
    exit 1 # the cluster stays (cleanup)
fi
# leave nothing behind: the cluster's processes, namespaces and loop devices
mapfile -t pids < <(for ns in $(ip netns list | awk -v p="$PREFIX" 'index($1, p) == 1 { print $1 }'); do ip netns pids "$ns"; done)
"$TC" down >/dev/null 2>&1
alive() { # PID... : those still running (a zombie is gone: PID 1 here reaps slowly)
    local p
    for p in "$@"; do
        [ -d "/proc/$p" ] && [ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" != Z ] && echo "$p"
    done
}
end=$((SECONDS + 10))
while left=$(alive "${pids[@]}") && [ -n "$left" ] && [ $SECONDS -lt $end ]; do sleep 0.5; done
[ -z "$left" ] || ps -o pid,stat,args -p "$(echo "$left" | paste -sd, -)" | sed 's/^/   still running: /'
left=$(echo "$left" | wc -w)
check "nothing left running: ${#pids[@]} processes of the cluster gone" [ "$left" -eq 0 ]
check "no namespace ${PREFIX}* left" sh -c "! ip netns list | grep '^$PREFIX' >/dev/null"
check "no loop device of $STATE left" sh -c "! losetup -a | grep -F '$STATE/' >/dev/null"
for c in "${CHECKS[@]}"; do say "$c"; done
if [ $BAD -eq 0 ]; then
    demo_ok=1
    say "all checks hold; everything removed"
    exit 0
fi
say "$BAD check(s) FAILED"
exit 1
