#!/bin/sh
# bench_sched.sh -- time the scheduler on 1,000 groups x 10 resources x 16
# nodes (tests/tools/wpsched_bench.c builds the cluster in memory).
#
#   bench/bench_sched.sh [BUILD] [RUNS]    BUILD defaults to "build-bench"
#
# Builds the benchmark with the normal optimised flags (-O2, no sanitizers)
# and prints the median and maximum time of one run beside the target
# (<= 10 ms).  Timings depend on the machine and its load: this is a
# measurement, not a test.
set -eu
build=${1:-build-bench}
runs=${2:-200}
cd "$(dirname "$0")/.."
make -s BUILD="$build" "$build/tests/tools/wpsched_bench" >/dev/null
echo "machine: $(nproc) cpu, $(uname -m), $(${CC:-cc} --version | head -1)"
"$build/tests/tools/wpsched_bench" "$runs"
