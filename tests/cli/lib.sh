# tests/cli/lib.sh -- shared helpers of the CLI tests (sourced, not run).
#
# Each tests/cli/test_*.sh sources this file, starts a real wolfpackd with
# start_daemon (solo transport, its own state dir and socket in a temporary
# directory), drives it with the real `wolfpack` CLI, and ends with `finish`,
# which prints "N passed, N failed" and sets the exit status.  The EXIT
# trap stops the daemon by its PID and removes the temporary directory, also
# when a test fails or is interrupted.
#
# Binaries come from the environment (tests/run-cli exports them):
#   WOLFPACKD, WOLFPACK, WPCALL
# WP_KEEP_TMP=1 keeps the temporary directory (daemon log, state) of a
# failed test for a post-mortem.
#
# Checks:
#   expect_ok DESC CMD...          CMD exits 0
#   expect_fail CODE DESC CMD...   CMD exits CODE, and the database version is
#                                  the same before and after (a refusal
#                                  changes nothing)
#   expect_out DESC REGEX          the last command's stdout matches REGEX
#   expect_err DESC REGEX          the last command's stderr matches REGEX
#   check DESC CMD...              CMD (any shell test) succeeds
# After every run, $OUT and $ERR hold the files with its stdout and stderr.
# shellcheck shell=bash

set -u

: "${WOLFPACKD:?WOLFPACKD must name the wolfpackd binary (see tests/run-cli)}"
: "${WOLFPACK:?WOLFPACK must name the wolfpack binary (see tests/run-cli)}"
WPCALL=${WPCALL:-}

TMP=$(mktemp -d /tmp/wpcli.XXXXXX)
STATE=$TMP/state
SOCK=$TMP/sock
DLOG=$TMP/daemon.log
OUT=$TMP/out
ERR=$TMP/err
DPID=
PASSED=0
FAILED=0
CALL_TIMEOUT=${CALL_TIMEOUT:-30}
# LeakSanitizer cannot run under ptrace-less setpriv etc.; keep ASan quiet
# about leaks only where a test says so.  By default everything is checked.
# a kit install as root adds its root services to the allow-list: the
# test's own, never the host's /etc (src/lib/rootlist.h)
export WOLFPACK_ROOT_SERVICES=$TMP/root-services.d
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
unset WOLFPACK_SOCKET

_cleanup() {
    if [ -n "$DPID" ]; then
        kill -TERM "$DPID" 2>/dev/null
        # bounded wait: the daemon must not keep the test alive
        for _ in $(seq 1 100); do
            kill -0 "$DPID" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$DPID" 2>/dev/null
        wait "$DPID" 2>/dev/null
        DPID=
    fi
    # the agents' run directories of this test's daemons (docs/DAEMON.md:
    # /run/wolfpack/agents + the state directory, '/' made '-'; all under $TMP)
    rm -rf "/run/wolfpack/agents$(printf '%s' "$TMP" | tr / -)"*
    if [ "${WP_KEEP_TMP:-0}" = 1 ] && [ "$FAILED" -gt 0 ]; then
        echo "kept $TMP (WP_KEEP_TMP=1)"
    else
        rm -rf "$TMP"
    fi
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

pass() {
    PASSED=$((PASSED + 1))
    echo "ok   $*"
}

fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL $*"
    if [ -s "$ERR" ]; then sed 's/^/    stderr: /' "$ERR" | head -8; fi
    if [ -s "$OUT" ]; then sed 's/^/    stdout: /' "$OUT" | head -8; fi
}

# for_others PROG: print the path of a copy of PROG that other users (nobody)
# can run: $TMP/bin/NAME, mode 0755 in a 0755 directory (the test makes $TMP
# 0711).  The clone itself may be closed to them (a clone under /root): a
# test must not depend on where the clone lives.
for_others() {
    local copy
    copy=$TMP/bin/$(basename "$1")
    mkdir -p "$TMP/bin" && chmod 0755 "$TMP/bin" && install -m 0755 "$1" "$copy" && echo "$copy"
}

# wp ARGS...: the CLI against this test's daemon; stdout/stderr to $OUT/$ERR.
wp() {
    timeout -k 5 "$CALL_TIMEOUT" "$WOLFPACK" --socket "$SOCK" "$@" >"$OUT" 2>"$ERR"
}

# Run "$@" with output captured; print its exit status.
_status_of() {
    local rc=0
    "$@" >"$OUT" 2>"$ERR" </dev/null || rc=$?
    echo "$rc"
}

# version_of: the database version from `wolfpack status --json` (empty if
# the daemon does not answer).
version_of() {
    timeout -k 5 "$CALL_TIMEOUT" "$WOLFPACK" --socket "$SOCK" --json status 2>/dev/null |
        jq -er '.version' 2>/dev/null
}

expect_ok() {
    local desc=$1
    shift
    local rc
    rc=$(_status_of "$@")
    if [ "$rc" -eq 0 ]; then pass "$desc"; else fail "$desc (exit $rc, expected 0)"; fi
}

expect_fail() {
    local code=$1 desc=$2
    shift 2
    local before after rc
    before=$(version_of)
    rc=$(_status_of "$@")
    after=$(version_of)
    if [ "$rc" -ne "$code" ]; then
        fail "$desc (exit $rc, expected $code)"
    elif [ -z "$before" ] || [ "$before" != "$after" ]; then
        fail "$desc (database version changed: '$before' -> '$after')"
    elif [ ! -s "$ERR" ]; then
        fail "$desc (refused without an error message)"
    else
        pass "$desc"
    fi
}

expect_out() {
    if grep -Eq -- "$2" "$OUT"; then pass "$1"; else fail "$1 (stdout lacks /$2/)"; fi
}

expect_err() {
    if grep -Eq -- "$2" "$ERR"; then pass "$1"; else fail "$1 (stderr lacks /$2/)"; fi
}

check() {
    local desc=$1
    shift
    if "$@" >/dev/null 2>&1; then pass "$desc"; else fail "$desc"; fi
}

# wait_socket: wait until the daemon answers `status` (bounded).
wait_socket() {
    for _ in $(seq 1 200); do
        if [ -S "$SOCK" ] && version_of >/dev/null; then return 0; fi
        if [ -n "$DPID" ] && ! kill -0 "$DPID" 2>/dev/null; then return 1; fi
        sleep 0.05
    done
    return 1
}

# start_daemon [EXTRA ARGS...]: start wolfpackd in the background (a solo
# cluster "clitest" whose one node is "n1") and wait until it answers.  Fails the test (and exits) if it does not come up.
start_daemon() {
    mkdir -p "$STATE"
    # an empty configuration: a host's /etc/wolfpack/wolfpackd.conf must not
    # change the test (a --config in "$@" comes later and wins)
    : >"$TMP/none.conf"
    "$WOLFPACKD" --config "$TMP/none.conf" --solo --state-dir "$STATE" --socket "$SOCK" \
        --cluster-name clitest --node-name n1 "$@" >>"$DLOG" 2>&1 &
    DPID=$!
    if ! wait_socket; then
        fail "wolfpackd starts and answers on $SOCK"
        sed 's/^/    daemon: /' "$DLOG" | tail -20
        finish
    fi
}

# stop_daemon: SIGTERM, wait for it; the exit status must be 0 and the log
# free of sanitizer reports.
stop_daemon() {
    [ -n "$DPID" ] || return 0
    kill -TERM "$DPID" 2>/dev/null
    local rc=0
    wait "$DPID" || rc=$?
    DPID=
    if [ "$rc" -ne 0 ]; then
        fail "wolfpackd exits 0 on SIGTERM (exit $rc)"
        sed 's/^/    daemon: /' "$DLOG" | tail -20
    fi
    check_daemon_log
}

# kill9_daemon: kill -9 by PID and reap it.
kill9_daemon() {
    [ -n "$DPID" ] || return 0
    kill -KILL "$DPID" 2>/dev/null
    wait "$DPID" 2>/dev/null
    DPID=
}

# check_daemon_log: no AddressSanitizer / UBSan report in the daemon's log.
check_daemon_log() {
    if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$DLOG" 2>/dev/null; then
        fail "daemon log has a sanitizer report"
        grep -E -A12 'AddressSanitizer|LeakSanitizer|runtime error:' "$DLOG" | head -30 |
            sed 's/^/    daemon: /'
    fi
}

# json_ok FILE: the file parses as JSON.
json_ok() {
    jq -e . "$1" >/dev/null 2>&1
}

# finish: closing tally; exit status 1 if anything failed.
finish() {
    stop_daemon
    echo "$(basename "$0"): $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ] && exit 0
    exit 1
}
