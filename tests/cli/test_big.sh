#!/bin/bash
# test_big.sh -- replies larger than a request may be (docs/DAEMON.md,
# "Frame sizes"): a solo daemon holding 6,000 groups (made with
# tests/tools/wpload over a few connections, the fastest way in) answers
# `wolfpack --json status` and `wolfpack --json group list` whole -- well
# over 1 MiB of JSON, the request limit -- and every group is in them; a
# request above 1 MiB is still refused and changes nothing.
. "$(dirname "$0")/lib.sh"

WPLOAD=${WPLOAD:-}
N=6000
if [ ! -x "$WPCALL" ] || [ ! -x "$WPLOAD" ]; then
    fail "tests/tools/wpcall and wpload are built ('$WPCALL', '$WPLOAD')"
    finish
fi
start_daemon

# wpload sends group.create big-0 .. big-5999, four connections busy at once.
rc=0
timeout -k 5 120 "$WPLOAD" --socket "$SOCK" --connections 4 --requests "$N" --prefix big \
    --op group.create >"$OUT" 2>"$ERR" || rc=$?
check "wpload: $N group.create requests, all acknowledged (exit $rc)" \
    jq -e --argjson n "$N" '.acked == $n and .failed == 0' "$OUT"

# count_big FILE JQ-PATH: how many distinct big-* names the array at PATH holds
count_big() {
    jq -r "[$2 | .name | select(startswith(\"big-\"))] | unique | length" "$1" 2>/dev/null
}

# The raw reply to status is larger than any request may be.
rc=0
timeout -k 5 60 "$WPCALL" --timeout 50 "$SOCK" '{"op": "status"}' >"$OUT" 2>"$ERR" || rc=$?
check "raw status: answered ok (wpcall exit $rc)" [ "$rc" -eq 0 ]
size=$(head -n 1 "$OUT" | wc -c)
check "raw status: the reply frame ($size bytes) is over 1 MiB" [ "$size" -gt 1048576 ]

CALL_TIMEOUT=60
expect_ok "status --json at $N groups" wp --json status
check "status --json is one JSON document" json_ok "$OUT"
got=$(count_big "$OUT" '.groups[]')
check "status --json lists all $N groups (got '$got')" [ "$got" = "$N" ]
check "status --json: the version counts every create" \
    jq -e --argjson n "$N" '.version >= $n' "$OUT"

expect_ok "group list --json at $N groups" wp --json group list
got=$(count_big "$OUT" '.[]')
check "group list --json lists all $N groups (got '$got')" [ "$got" = "$N" ]

expect_ok "group list (text) at $N groups" wp group list
got=$(grep -c 'big-' "$OUT")
check "group list (text) shows all $N groups (got '$got')" [ "$got" = "$N" ]

# A request above 1 MiB is still refused, with an error reply and nothing
# changed; the daemon goes on answering large replies afterwards.
before=$(version_of)
big=$TMP/request.json
{
    printf '{"op": "group.create", "args": {"name": "'
    head -c 1100000 /dev/zero | tr '\0' 'a'
    printf '"}}'
} >"$big"
rc=0
timeout -k 5 60 "$WPCALL" --timeout 50 "$SOCK" <"$big" >"$OUT" 2>"$ERR" || rc=$?
check "a 1.1 MB request is refused (wpcall exit $rc)" [ "$rc" -eq 1 ]
check "the refusal is a protocol error naming the length" \
    jq -se 'length == 1 and .[0].ok == false and .[0].error.code == "protocol"
            and (.[0].error.what | test("length"))' "$OUT"
after=$(version_of)
check "the refusal changed nothing (version '$before' -> '$after')" \
    [ -n "$before" ] && [ "$before" = "$after" ]
expect_ok "status --json still answered after the refusal" wp --json status
got=$(count_big "$OUT" '.groups[]')
check "still all $N groups (got '$got')" [ "$got" = "$N" ]

finish
