#!/bin/bash
# test_timeout.sh -- the CLI's reply timeout (docs/CLI.md, "Timeouts").
#
# A stand-in for a wedged daemon (tests/tools/wpmute: accepts, reads, never
# answers; --partial: sends half a frame header, then nothing) must give a
# clear error and exit status 6 instead of a hung command; --timeout and
# WOLFPACK_TIMEOUT set the limit, bad values are refused with status 2, and
# a real daemon still answers with a timeout set.  Only statuses and
# messages are checked, never how long anything took.
. "$(dirname "$0")/lib.sh"

WPMUTE=${WPMUTE:-$(dirname "$WOLFPACK")/tests/tools/wpmute}
if [ ! -x "$WPMUTE" ]; then
    fail "wpmute is built ($WPMUTE)"
    finish
fi
MUTE=$TMP/mute.sock
MPID=
stop_mute() {
    if [ -n "$MPID" ]; then
        kill -TERM "$MPID" 2>/dev/null
        wait "$MPID" 2>/dev/null
        MPID=
    fi
}
trap 'stop_mute; _cleanup' EXIT

# start_mute [--partial]: a mute server on $MUTE, waited for ("ready").
start_mute() {
    stop_mute
    rm -f "$MUTE"
    "$WPMUTE" "$MUTE" "$@" >"$TMP/mute.out" 2>&1 &
    MPID=$!
    for _ in $(seq 1 100); do
        grep -q ready "$TMP/mute.out" 2>/dev/null && return 0
        sleep 0.05
    done
    fail "wpmute starts"
    finish
}

# mute ARGS...: the CLI against the mute server, bounded from outside so a
# regression fails instead of hanging; prints the exit status.
mute() {
    _status_of timeout -k 5 20 "$WOLFPACK" --socket "$MUTE" "$@"
}

start_mute
rc=$(mute --timeout 1 group list)
check "a read that gets no reply: exit 6 (not a hang)" [ "$rc" -eq 6 ]
expect_err "the error says which call went unanswered" 'did not answer "group.list" within 1 s'
expect_err "the error says why" 'why: .*no reply in time'
expect_err "the error says what to do" 'to do: .*--timeout SECONDS or WOLFPACK_TIMEOUT'

rc=$(_status_of env WOLFPACK_TIMEOUT=1 timeout -k 5 20 "$WOLFPACK" --socket "$MUTE" \
    group create g1)
check "WOLFPACK_TIMEOUT sets the limit: exit 6" [ "$rc" -eq 6 ]
expect_err "a change that timed out may still be applied" 'may still be applied'

rc=$(_status_of env WOLFPACK_TIMEOUT=1 timeout -k 5 20 "$WOLFPACK" --socket "$MUTE" \
    --timeout=1 resource list)
check "--timeout=N form: exit 6" [ "$rc" -eq 6 ]
expect_err "--timeout=N form: the call is named" 'did not answer "resource.list"'

rc=$(_status_of timeout -k 2 2 "$WOLFPACK" --socket "$MUTE" --timeout 0 group list)
check "--timeout 0 waits without limit (still waiting when killed)" [ "$rc" -eq 124 ]

start_mute --partial
rc=$(mute --timeout 1 --json status)
check "half a reply, then nothing: exit 6" [ "$rc" -eq 6 ]
expect_err "half a reply: named as a timeout" 'did not answer "status" within 1 s'
stop_mute

# -- bad values: refused before anything is sent -----------------------------
for bad in abc -1 1.5 86401 ""; do
    rc=$(_status_of "$WOLFPACK" --socket "$MUTE" --timeout "$bad" status)
    if [ -z "$bad" ]; then
        # an empty --timeout means "not given": the default applies, and
        # nobody listens on the socket now
        check "--timeout '' is the default (no daemon: exit 6)" [ "$rc" -eq 6 ]
        continue
    fi
    check "--timeout '$bad': exit 2" [ "$rc" -eq 2 ]
    expect_err "--timeout '$bad': the error names the value" "invalid reply timeout \"$bad\" \\(from --timeout\\)"
done
rc=$(_status_of env WOLFPACK_TIMEOUT=soon "$WOLFPACK" --socket "$MUTE" status)
check "WOLFPACK_TIMEOUT=soon: exit 2" [ "$rc" -eq 2 ]
expect_err "WOLFPACK_TIMEOUT=soon: the error names the variable" 'from WOLFPACK_TIMEOUT'
expect_err "WOLFPACK_TIMEOUT=soon: the error says what to do" 'to do: set e.g. WOLFPACK_TIMEOUT=60'
rc=$(_status_of "$WOLFPACK" --socket "$MUTE" --timeout)
check "--timeout without SECONDS: exit 2" [ "$rc" -eq 2 ]

# -- a real daemon answers well within any limit ------------------------------
start_daemon
expect_ok "--timeout 5 status against wolfpackd" "$WOLFPACK" --socket "$SOCK" --timeout 5 status
expect_ok "WOLFPACK_TIMEOUT=0 group create against wolfpackd" \
    env WOLFPACK_TIMEOUT=0 "$WOLFPACK" --socket "$SOCK" group create g2
expect_out "the change is acknowledged" 'Created group g2'
finish
