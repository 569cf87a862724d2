#!/bin/bash
# test_status.sh -- `wolfpack status` for people, against a real wolfpackd
# --solo: the tables (nodes with quorum, groups with owner and preferred
# owners, resources with class, state and a note), colour only when wanted
# (--color=auto|always|never, NO_COLOR, TERM=dumb; never with --json), a
# failed resource with its reason (the agent's error, the restarts against
# the threshold) and its group's (failover threshold reached), a pending
# resource (stopping, on which node), and `status --watch`: event lines on a
# pipe, JSON Lines with --json, a redrawn screen on a terminal, status 0 on
# Ctrl-C, an error (exit 6) when the daemon goes away.
#
# A terminal is given by script(1) (util-linux): `script -qec CMD /dev/null`
# runs CMD with a pseudo-terminal as its stdout.
. "$(dirname "$0")/lib.sh"
start_daemon

ESC=$'\033'
WATCH_PID=
_status_cleanup() {
    if [ -n "$WATCH_PID" ]; then
        kill "$WATCH_PID" 2>/dev/null
        wait "$WATCH_PID" 2>/dev/null
    fi
    _cleanup
}
trap _status_cleanup EXIT

json() { wp --json "$@"; }

# on_tty CMD...: run the wolfpack CMD on a pseudo-terminal; output in $OUT.
on_tty() {
    local cmd
    cmd="$(printf '%q ' "$WOLFPACK" --socket "$SOCK" "$@")"
    timeout -k 5 "$CALL_TIMEOUT" script -qec "$cmd" /dev/null >"$OUT" 2>"$ERR" </dev/null
}

# wait_rstate NAME STATE [SECONDS]: until resource NAME is in STATE.
wait_rstate() {
    local end=$((SECONDS + ${3:-20}))
    while [ "$SECONDS" -lt "$end" ]; do
        [ "$(json resource show "$1" 2>/dev/null && jq -r .state "$OUT")" = "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

# wait_out REGEX FILE [SECONDS]: until FILE has a line matching REGEX.
wait_out() {
    local end=$((SECONDS + ${3:-10}))
    while [ "$SECONDS" -lt "$end" ]; do
        grep -Eq -- "$1" "$2" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

no_escape() { ! grep -q "$ESC" "$OUT"; }
has_escape() { grep -q "$ESC\[" "$OUT"; }

# ---- the tables, plain on a pipe ------------------------------------------------
expect_ok "create group stweb (preferred n1)" wp group create stweb --policy preferred_owners=n1
expect_ok "create a service in stweb" wp resource create stweb-svc --group stweb --type service \
    --prop user=root --prop "command=/bin/sleep 300"
expect_ok "status" wp status
check "piped: no escape sequence" no_escape
expect_out "the node n1 is Up and counts toward quorum" '^  n1 +1 +127\.0\.0\.1 +Up +yes *$'
expect_out "the header says quorate with 1 of 1 nodes" '^Quorate: +yes \(1 of 1 nodes'
expect_out "the coordinator is n1" '^Coordinator: n1$'
expect_out "groups: state, owner, preferred owners, target" \
    '^  GROUP +STATE +OWNER +PREFERRED +TARGET +NOTE$'
expect_out "stweb is Offline with preferred owner n1" '^  stweb +Offline +- +n1 +offline'
expect_out "resources: group, name, class, state, node, note" \
    '^  GROUP +RESOURCE +CLASS +STATE +NODE +NOTE$'
expect_out "stweb-svc is a service, Offline" '^  stweb +stweb-svc +service +Offline'
expect_ok "status --color=never" wp status --color=never
check "--color=never: no escape" no_escape

# ---- colour -----------------------------------------------------------------------
expect_ok "status --color=always (piped)" wp status --color=always
check "--color=always: escapes even on a pipe" has_escape
expect_out "Up is green" "${ESC}\[32mUp${ESC}\[0m"
expect_out "Offline is dim" "${ESC}\[2mOffline${ESC}\[0m"
expect_out "columns stay aligned (padding outside the colour)" \
    "^  n1 +1 +127\.0\.0\.1 +${ESC}\[32mUp${ESC}\[0m +yes"
expect_ok "status --color always (separate word)" wp status --color always
check "--color always: escapes" has_escape
expect_fail 2 "status --color=sometimes is refused" wp status --color=sometimes
expect_err "the error names the accepted values" 'auto, always or never'
expect_ok "--json --color=always" wp --json status --color=always
check "--json is never coloured" no_escape
check "--json still parses, with version" jq -e '.version > 0 and (.nodes | length) == 1' "$OUT"

if command -v script >/dev/null; then
    export TERM=xterm
    on_tty status
    check "auto on a terminal: coloured" has_escape
    NO_COLOR=1 on_tty status
    check "auto on a terminal with NO_COLOR=1: plain" no_escape
    NO_COLOR="" on_tty status
    check "an empty NO_COLOR does not count (no-color.org)" has_escape
    TERM=dumb on_tty status
    check "auto on a terminal with TERM=dumb: plain" no_escape
    NO_COLOR=1 on_tty status --color=always
    check "--color=always beats NO_COLOR" has_escape
    on_tty status --color=never
    check "--color=never on a terminal: plain" no_escape
else
    fail "script(1) is missing (apt-get install bsdutils): no terminal checks"
fi

# ---- a failed resource and why ----------------------------------------------------------
expect_ok "create group stfail" wp group create stfail
expect_ok "a service that exits at once, restart threshold 1" wp resource create stfail-svc \
    --group stfail --type service --prop user=root --prop "command=/bin/false" --policy restart_threshold=1
expect_ok "group online stfail" wp group online stfail
check "stfail-svc ends Failed" wait_rstate stfail-svc Failed 30
json resource show stfail-svc
check "its restart history holds 1 restart" jq -e '.restarts | length == 1' "$OUT"
expect_ok "status" wp status
expect_out "the failed resource shows the agent's error" \
    '^  stfail +stfail-svc +service +Failed +n1 +service "stfail-svc" ended at once: /bin/false'
expect_out "... and its restarts against the threshold" \
    'stfail-svc .*; restarts 1 of 1 in 15m \(threshold reached\)$'
expect_out "the group says why the cluster gave it up" \
    '^  stfail +Failed +n1 +- +online +stfail-svc failed; failover threshold reached \(0 of 0 failovers in 6h\); `wolfpack group online stfail` recovers$'
expect_ok "status --color=always" wp status --color=always
expect_out "Failed is red" "stfail-svc +service +${ESC}\[31mFailed${ESC}\[0m"
expect_out "the reason is red too" "${ESC}\[31mservice \"stfail-svc\" ended at once"
expect_ok "create group stnone" wp group create stnone
expect_ok "a service that exits at once, restart_action none" wp resource create stnone-svc \
    --group stnone --type service --prop user=root --prop "command=/bin/false" --policy restart_action=none
expect_ok "group online stnone" wp group online stnone
check "stnone-svc ends Failed" wait_rstate stnone-svc Failed 30
expect_ok "status" wp status
expect_out "a resource left Failed: the group points at it" \
    '^  stnone +Failed +n1 +- +online +stnone-svc failed \(see its note below\)$'
expect_out "... and the resource says why, with no restart" \
    '^  stnone +stnone-svc +service +Failed +n1 +service "stnone-svc" ended at once: /bin/false exited with status 1[^;]*$'
expect_ok "take stnone offline" wp group offline stnone
expect_ok "take stfail offline" wp group offline stfail
check "stfail-svc Offline again" wait_rstate stfail-svc Offline 20
expect_ok "status" wp status
expect_out "stopped: the error went with the failure, the restarts stay" \
    '^  stfail +stfail-svc +service +Offline +n1 +restarts 1 of 1 in 15m \(threshold reached\)$'

# ---- a pending resource: stopping, on which node ----------------------------------------
# The service ignores SIGTERM, so its stop lasts the stop grace (10 s).
expect_ok "create group stpend" wp group create stpend
expect_ok "a service that ignores SIGTERM" wp resource create stpend-svc --group stpend \
    --type service --prop user=root --prop "command=/bin/sh -c 'trap \"\" TERM; while :; do sleep 0.2; done'"
expect_ok "group online stpend" wp group online stpend
check "stpend-svc Online" wait_rstate stpend-svc Online 20
expect_ok "resource offline stpend-svc" wp resource offline stpend-svc
check "stpend-svc Offline Pending" wait_rstate stpend-svc "Offline Pending" 10
expect_ok "status --color=always while it stops" wp status --color=always
expect_out "pending: stopping on n1, for how long" \
    "stpend-svc +service +${ESC}\[33mOffline Pending${ESC}\[0m +n1 +${ESC}\[33mstopping on n1 for [0-9]+ s"
expect_out "the group shows what is stopping" \
    "^  stpend +${ESC}\[33m(Offline Pending|Partially Online)${ESC}\[0m .*stopping on n1"
check "stpend-svc ends Offline (SIGKILL after the grace)" wait_rstate stpend-svc Offline 30
expect_ok "status" wp status
expect_out "an operator's offline says so" \
    'stpend-svc +service +Offline +n1 +taken offline by the operator$'

# ---- --watch on a pipe: the status, then one line per change -------------------------------
W=$TMP/watch.out
"$WOLFPACK" --socket "$SOCK" status --watch >"$W" 2>"$TMP/watch.err" &
WATCH_PID=$!
check "watch prints the status first" wait_out '^Events \(time, node, what changed\):$' "$W"
expect_ok "create group stwatch" wp group create stwatch
check "a line for the new group (time, node, what)" \
    wait_out '^[0-9]{2}:[0-9]{2}:[0-9]{2}  -  +group stwatch created$' "$W"
expect_ok "pause node n1" wp node pause n1
check "a line for the paused node" wait_out '^[0-9:]{8}  n1 +node n1: Up -> Paused$' "$W"
expect_ok "resume n1" wp node resume n1
check "a line for the resumed node" wait_out 'node n1: Paused -> Up$' "$W"
kill -INT "$WATCH_PID"
rc=0
wait "$WATCH_PID" || rc=$?
WATCH_PID=
check "Ctrl-C ends the watch with status 0 (was $rc)" [ "$rc" -eq 0 ]
check "no escape sequences on a pipe" sh -c "! grep -q '$ESC' '$W'"
check "nothing on stderr" [ ! -s "$TMP/watch.err" ]

# ---- --watch --json: JSON Lines --------------------------------------------------------------
"$WOLFPACK" --socket "$SOCK" --json status --watch >"$W" 2>"$TMP/watch.err" &
WATCH_PID=$!
check "the first line is the status" wait_out '^\{.*"version"' "$W"
expect_ok "group online stweb" wp group online stweb
check "event frames follow" wait_out '"event": ?"applied"' "$W"
kill -TERM "$WATCH_PID"
rc=0
wait "$WATCH_PID" || rc=$?
WATCH_PID=
check "SIGTERM ends it with status 0 (was $rc)" [ "$rc" -eq 0 ]
check "every line is one JSON value" sh -c "jq -c . '$W' >/dev/null && \
    [ \$(jq -c . '$W' | wc -l) -eq \$(wc -l <'$W') ]"
check "the first line has the version" sh -c "head -1 '$W' | jq -e '.version > 0'"
check "the events name their op" sh -c "tail -n +2 '$W' | jq -e 'select(.event == \"applied\") | .op' >/dev/null"
check "stweb-svc Online" wait_rstate stweb-svc Online 20

# ---- --watch on a terminal: redrawn ------------------------------------------------------------
if command -v script >/dev/null; then
    on_tty_watch() {
        local cmd
        cmd="timeout --preserve-status -s INT 2 $(printf '%q ' "$WOLFPACK" --socket "$SOCK" status --watch)"
        script -qec "$cmd" /dev/null >"$OUT" 2>"$ERR" </dev/null
    }
    rc=0
    on_tty_watch || rc=$?
    check "on a terminal, Ctrl-C ends it with status 0 (was $rc)" [ "$rc" -eq 0 ]
    check "the screen is cleared and redrawn" grep -q "${ESC}\[H${ESC}\[2J" "$OUT"
    expect_out "a title line with Ctrl-C" 'wolfpack status --watch .*\(Ctrl-C ends\)'
    expect_out "the events below the status" '^Events:'
    expect_out "coloured on the terminal" "${ESC}\[32mOnline${ESC}\[0m"
fi

# ---- the daemon goes away ------------------------------------------------------------------------
"$WOLFPACK" --socket "$SOCK" status --watch >"$W" 2>"$TMP/watch.err" &
WATCH_PID=$!
check "watch started" wait_out '^Events' "$W"
expect_ok "take stweb offline (nothing left running)" wp group offline stweb
check "stweb-svc Offline" wait_rstate stweb-svc Offline 20
stop_daemon
rc=0
wait "$WATCH_PID" || rc=$?
WATCH_PID=
check "the watch ends with exit 6 when the daemon stops (was $rc)" [ "$rc" -eq 6 ]
check "and says why" grep -q 'error: wolfpackd closed the watch connection' "$TMP/watch.err"
check "and what to do" grep -q 'to do: .*wolfpack status --watch' "$TMP/watch.err"
expect_fail_nodaemon() {
    local rc=0
    "$WOLFPACK" --socket "$SOCK" status --watch >"$OUT" 2>"$ERR" </dev/null || rc=$?
    [ "$rc" -eq 6 ] && grep -q 'error:' "$ERR"
}
check "watch without a daemon: exit 6 with an error" expect_fail_nodaemon

finish
