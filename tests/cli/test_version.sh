#!/bin/bash
# test_version.sh -- `wolfpack --version` and `wolfpackd --version` print
# "PROGRAM VERSION" with the version of the file VERSION (the one place it
# is kept, docs/PACKAGING.md), exit 0, need no daemon and no state.
. "$(dirname "$0")/lib.sh"

version=$(cat "$(dirname "$0")/../../VERSION")
check "VERSION holds a version (digits and dots, e.g. 0.1.0)" \
    sh -c "echo '$version' | grep -Eqx '[0-9]+(\.[0-9]+)+([~+.a-z0-9]*)?'"

run_out() { # CMD...: run CMD, its stdout/stderr to $OUT/$ERR, its status in $RC
    RC=0
    "$@" >"$OUT" 2>"$ERR" || RC=$?
}
run_out "$WOLFPACK" --version
check "wolfpack --version exits 0 (exit $RC)" [ "$RC" -eq 0 ]
check "wolfpack --version prints \"wolfpack $version\"" [ "$(cat "$OUT")" = "wolfpack $version" ]
check "wolfpack --version prints nothing on stderr" [ ! -s "$ERR" ]
run_out "$WOLFPACK" --socket /nonexistent/sock --version
check "wolfpack --socket X --version needs no daemon (exit $RC)" [ "$RC" -eq 0 ]
check "... and prints the version" [ "$(cat "$OUT")" = "wolfpack $version" ]
run_out "$WOLFPACKD" --version
check "wolfpackd --version exits 0 without --state-dir/--socket (exit $RC)" [ "$RC" -eq 0 ]
check "wolfpackd --version prints \"wolfpackd $version\"" [ "$(cat "$OUT")" = "wolfpackd $version" ]
check "wolfpack --help names --version" grep -q -- '--version' <("$WOLFPACK" --help)
check "wolfpackd --help names --version" grep -q -- '--version' <("$WOLFPACKD" --help)
finish
