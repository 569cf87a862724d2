# tests/integration/lib/checks.sh -- the helpers every integration test
# shares: pass/fail counting (check, or check_shown that shows the output
# of a failed check), the CLI on a node, bounded waiting, and talking to
# recordstore.  Sourced, not run (tests/run-integration runs
# only test_*.sh).  The test sets TC, TMP, WOLFPACK, PASSED, FAILED
# (cluster_test does) and PORT for rs_at before it calls these.
# shellcheck shell=bash

# cluster_test TAG: the start every test on a test cluster of its own
# shares (after REPO is set and this file sourced): TC; WPTC_DIR and
# WPTC_PREFIX of its own (TAG and the PID) unless set; WOLFPACK and
# WOLFPACKD of $BUILD (default build) unless set; TMP; the counters; and on
# any exit the cluster torn down and TMP removed (cluster_cleanup), after
# the test's own test_cleanup when it defines one (an observer to stop).
cluster_test() {
    TC=$REPO/tools/testcluster
    export WPTC_DIR=${WPTC_DIR:-/run/wptc-$1-$$}
    export WPTC_PREFIX=${WPTC_PREFIX:-w$1$$-}
    export WOLFPACK=${WOLFPACK:-$REPO/${BUILD:-build}/wolfpack}
    export WOLFPACKD=${WOLFPACKD:-$REPO/${BUILD:-build}/wolfpackd}
    TMP=$(mktemp -d "/tmp/$(basename "$0" .sh).XXXXXX")
    PASSED=0
    FAILED=0
    trap cluster_cleanup EXIT
    trap 'exit 130' INT TERM
}
cluster_cleanup() {
    if declare -F test_cleanup >/dev/null; then test_cleanup; fi
    "$TC" down >/dev/null 2>&1 || "$TC" down
    rm -rf "$TMP"
}

ok() {
    PASSED=$((PASSED + 1))
    echo "ok   - $1"
}
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL - $1"
    for f in "$TMP/out" "$TMP/err"; do # the last command's output
        [ -s "$f" ] && tail -12 "$f" | sed "s/^/    $(basename "$f"): /"
    done
    return 0
}
check() { # check NAME CMD...
    local name=$1
    shift
    if "$@"; then ok "$name"; else fail "$name"; fi
}
bad() { # bad NAME [OUTPUT]: a failed check, OUTPUT (when given) shown under it
    FAILED=$((FAILED + 1))
    echo "FAIL - $1"
    if [ -n "${2:-}" ]; then
        while IFS= read -r line; do echo "    $line"; done <<<"$2"
    fi
    return 0
}
check_shown() { # check_shown NAME CMD...: CMD's output (stdout and stderr)
    local name=$1 out      # is kept quiet, and shown when the check fails
    shift
    if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}
finish() { # the tally; before it, on a failure, the test's test_on_failure if any
    if [ "$FAILED" -gt 0 ] && declare -F test_on_failure >/dev/null; then test_on_failure; fi
    echo "$(basename "$0"): $PASSED passed, $FAILED failed ($SECONDS s)"
    [ "$FAILED" -eq 0 ]
    exit
}
wp() { # wp NODE ARGS...: the CLI on a node, output in $TMP/out, $TMP/err
    local n=$1
    shift
    timeout -k 5 300 "$TC" exec "$n" "$WOLFPACK" "$@" >"$TMP/out" 2>"$TMP/err"
}
wait_until() { # wait_until SECONDS CMD...: CMD every 0.2 s until it succeeds
    local end=$((SECONDS + $1))
    shift
    while [ $SECONDS -lt $end ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    "$@"
}
# rs_at NODE HOST REQUEST...: talk to recordstore at HOST:$PORT from NODE;
# the answer lines on stdout
rs_at() {
    local n=$1 host=$2
    shift 2
    "$TC" exec "$n" timeout 30 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
        shift 1
        for r in "$@"; do
            printf "%s\n" "$r" >&3
            if [ "$r" = GET ]; then
                while IFS= read -r -t 10 l <&3; do echo "$l"; [ "$l" = END ] && break; done
            else
                IFS= read -r -t 10 l <&3 && echo "$l"
            fi
        done' "$host" "$PORT" "$@"
}
