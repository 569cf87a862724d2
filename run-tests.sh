#!/bin/bash
# run-tests.sh -- the whole wolfpack test suite (the README's second command).
#
#   ./run-tests.sh            everything CI runs (about 15-25 min on 2 cores)
#   ./run-tests.sh --quick    gcc build, unit + CLI + scheduler + docs tests, shellcheck
#   ./run-tests.sh --soak     also the long soak/chaos runs (not in CI)
#
# Steps: install Debian packages; build with gcc (-Werror), with clang, and
# with AddressSanitizer+UBSan; check clang-format; run unit, scheduler, CLI
# and docs (the man pages render and cover the usage texts) tests, and the
# dependency check (tools/install-deps installs all that is used), on the
# gcc build and again on the sanitizer build; run shellcheck over every
# shell script (tests/run-shellcheck); run the fuzzers briefly (10
# minutes each with --soak); build the Debian packages, lintian them and
# install them into a throwaway root; follow docs/GETTING-STARTED.md on
# three fresh Debian 12 roots (tests/guide/run.sh); run the integration tests (network
# namespaces, real Corosync: needs root).  Prints one closing tally
# "N passed, N failed".
set -u
cd "$(dirname "$0")" || exit 1

quick=0
soak=0
for a in "$@"; do
    case "$a" in
    --quick) quick=1 ;;
    --soak) soak=1 ;;
    -h | --help)
        sed -n '2,16p' "$0"
        exit 0
        ;;
    *)
        echo "error: unknown option $a (try --help)" >&2
        exit 2
        ;;
    esac
done
export WP_SOAK=$soak

total_pass=0
total_fail=0
failed_steps=()
logdir=$(mktemp -d /tmp/wolfpack-tests.XXXXXX)

# run NAME CMD... : run a step, echo its output, add its tally.
run() {
    local name=$1
    shift
    echo
    echo "=== $name"
    local log
    log="$logdir/$(echo "$name" | tr ' /' '__').log"
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    local line p f
    line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed -E 's/.*\b([0-9]+) passed, ([0-9]+) failed.*/\1/')
        f=$(echo "$line" | sed -E 's/.*\b([0-9]+) passed, ([0-9]+) failed.*/\2/')
    elif [ "$rc" -eq 0 ]; then
        p=1 f=0
    else
        p=0 f=1
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    if [ "$rc" -ne 0 ]; then failed_steps+=("$name"); fi
    return 0
}

tools/install-deps || exit 1

jobs=$(nproc 2>/dev/null || echo 2)
run "build gcc" make -j"$jobs" BUILD=build CC=gcc
run "build clang" make -j"$jobs" BUILD=build-clang CC=clang
if [ $quick -eq 0 ]; then
    run "build asan+ubsan" make -j"$jobs" BUILD=build-san CC=gcc SAN=1
    run "clang-format" tools/check-format
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run "unit (gcc)" tests/run-unit build
[ -x tests/run-sched ] && run "scheduler fixtures" tests/run-sched build
[ -x tests/run-cli ] && run "cli (gcc)" tests/run-cli build
[ -x tests/run-docs ] && run "docs (man pages)" tests/run-docs build
[ -x tests/run-deps ] && run "dependencies (install-deps covers what is used)" tests/run-deps
[ -x tests/run-shellcheck ] && run "shellcheck (every shell script)" tests/run-shellcheck
if [ $quick -eq 0 ]; then
    run "unit (asan+ubsan)" tests/run-unit build-san
    [ -x tests/run-cli ] && run "cli (asan+ubsan)" tests/run-cli build-san
    run "fuzz (short)" tools/run-fuzz 30
    [ -x tests/run-package ] && run "Debian packages (build, lintian, install)" tests/run-package
    [ -x tests/guide/run.sh ] && run "the guide on three fresh Debian 12 roots" tests/guide/run.sh
    [ $soak -eq 1 ] && run "fuzz (soak)" tools/run-fuzz 600
    [ -x tests/run-integration ] && run "integration" tests/run-integration build
fi

echo
echo "=== summary"
if [ ${#failed_steps[@]} -gt 0 ]; then
    echo "failed steps: ${failed_steps[*]} (logs in $logdir)"
fi
echo "all: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ ${#failed_steps[@]} -eq 0 ]
