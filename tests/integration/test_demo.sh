#!/bin/bash
# test_demo.sh -- the README's demo runs in the test suite, in short mode:
# it must end with exit 0 and its summary must state what it showed
# (identical checksums, records kept across the failover).
set -u
cd "$(dirname "$0")/../.."
log=$(mktemp /tmp/wolfpack-demo-test.XXXXXX)
trap 'rm -f "$log"' EXIT
pass=0
fail=0
check() { # NAME CONDITION...
    local name=$1
    shift
    if "$@"; then
        pass=$((pass + 1))
        echo "ok   $name"
    else
        fail=$((fail + 1))
        echo "FAIL $name"
    fi
}
timeout 900 ./demo.sh --short >"$log" 2>&1
rc=$?
check "demo exits 0" [ "$rc" -eq 0 ]
check "summary: checksums identical" grep -q "checksums identical on n1, n2, n3" "$log"
check "summary: every record kept" grep -Eq "failed over in [0-9]+ ms; ([0-9]+)/\1 records kept" "$log"
check "the minority refused with the quorum error" grep -q "this partition has no quorum" "$log"
check "everything removed" grep -q "everything removed" "$log"
check "no test-cluster namespace left" bash -c '! ip netns list | grep -q "^wptc-"'
[ "$fail" -eq 0 ] || tail -60 "$log"
echo "test_demo: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
