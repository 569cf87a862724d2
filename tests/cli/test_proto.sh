#!/bin/bash
# test_proto.sh -- protocol robustness with tests/tools/wpcall: malformed
# JSON, unknown ops, wrong argument types, bad length prefixes, truncated
# frames, garbage bytes, deep nesting, oversized bodies.  Each gets an
# error reply (or a clean close); afterwards the daemon still answers
# `status` with the database version unchanged.  Also: requests the CLI
# would have refused locally are refused by the daemon too.
. "$(dirname "$0")/lib.sh"

if [ ! -x "$WPCALL" ]; then
    fail "tests/tools/wpcall is built ($WPCALL)"
    finish
fi
start_daemon
expect_ok "a group to keep" wp group create keep

# raw CODES DESC WPCALL-ARGS...: wpcall's exit status is one of CODES
# (1 = error reply, 4 = closed without reply); every reply is ok:false with
# the expected error code when ERRCODE is set; the daemon still answers with
# the same version.
raw() {
    local codes=$1 errcode=$2 desc=$3
    shift 3
    local before after rc
    before=$(version_of)
    rc=0
    timeout -k 5 60 "$WPCALL" --timeout 20 "$@" >"$OUT" 2>"$ERR" || rc=$?
    after=$(version_of)
    if ! echo " $codes " | grep -q " $rc "; then
        fail "$desc (wpcall exit $rc, expected one of: $codes)"
    elif [ -s "$OUT" ] && ! jq -se 'all(.[]; .ok == false)' "$OUT" >/dev/null 2>&1; then
        fail "$desc (a reply is not an error)"
    elif [ -n "$errcode" ] && ! jq -se --arg c "$errcode" \
        'length > 0 and all(.[]; .error.code == $c and (.error.what | length) > 0)' \
        "$OUT" >/dev/null 2>&1; then
        fail "$desc (expected an error reply with code $errcode)"
    elif [ -z "$before" ] || [ "$before" != "$after" ]; then
        fail "$desc (daemon answers afterwards with the same version: '$before' -> '$after')"
    else
        pass "$desc"
    fi
}

# The tool and the daemon work: a good request is answered ok.
rc=0
"$WPCALL" "$SOCK" '{"op": "status"}' >"$OUT" 2>"$ERR" || rc=$?
check "wpcall: a valid request is answered ok" [ "$rc" -eq 0 ]
check "wpcall: the reply carries the version" jq -e '.ok == true and (.version | type == "number")' "$OUT"

raw "1" protocol "malformed JSON" "$SOCK" '{"op":'
raw "1" protocol "trailing garbage after JSON" "$SOCK" '{"op": "status"} x'
raw "1" protocol "JSON that is not an object" "$SOCK" '[1, 2, 3]'
raw "1" "" "an object without op" "$SOCK" '{"args": {}}'
raw "1" invalid "unknown op" "$SOCK" '{"op": "frob"}'
raw "1" "" "op is a number" "$SOCK" '{"op": 7}'
raw "1" invalid "name is a number" "$SOCK" '{"op": "group.create", "args": {"name": 5}}'
raw "1" protocol "args is an array" "$SOCK" '{"op": "group.create", "args": [1]}'
raw "1" invalid "missing required argument" "$SOCK" '{"op": "group.delete", "args": {}}'
raw "1" invalid "unknown argument" "$SOCK" '{"op": "group.create", "args": {"name": "z", "colour": "red"}}'
raw "1" invalid "policy value is a number" "$SOCK" \
    '{"op": "group.create", "args": {"name": "z", "policy": {"failback": 1}}}'
raw "1" invalid "depends_on is a string" "$SOCK" \
    '{"op": "resource.create", "args": {"name": "z", "group": "keep", "type": "ip", "depends_on": "a"}}'
raw "1" "" "NUL inside a name" "$SOCK" '{"op": "group.create", "args": {"name": "a\u0000b"}}'
raw "1" "" "duplicate keys" "$SOCK" '{"op": "group.create", "args": {"name": "z"}, "op": "group.delete"}'
raw "1" protocol "length prefix 0" --length 0 "$SOCK" ''
raw "1" protocol "length prefix over 1 MiB" --length 2000000 "$SOCK" '{"op": "status"}'
raw "1 4" "" "length prefix 0xffffffff" --raw-hex "$SOCK" 'ffffffff 7b7d'
raw "1 4" "" "truncated frame, then disconnect" --length 100 "$SOCK" '{"op": "sta'
raw "1 4" "" "truncated length prefix, then disconnect" --raw-hex "$SOCK" '0000'
raw "1 4" "" "garbage bytes" --raw-hex "$SOCK" 'de ad be ef 00 01 02 03'
raw "1" protocol "invalid UTF-8" --raw-hex "$SOCK" '0000000d 7b226f70223a2022ff227d2020'
deep=$(printf '[%.0s' $(seq 1 5000))$(printf ']%.0s' $(seq 1 5000))
raw "1" "" "JSON nested 5000 deep" "$SOCK" "$deep"
big=$(mktemp "$TMP/big.XXXXXX")
{
    printf '{"op": "group.create", "args": {"name": "'
    head -c 1100000 /dev/zero | tr '\0' 'a'
    printf '"}}'
} >"$big"
raw "1 4 6" "" "body over 1 MiB" "$SOCK" <"$big"

# The daemon validates values itself (the CLI is not the only client).
raw "1" invalid "daemon: IP address without prefix" "$SOCK" \
    '{"op": "resource.create", "args": {"name": "z", "group": "keep", "type": "IP Address", "props": {"address": "198.51.100.9"}}}'
raw "1" invalid "daemon: unknown type" "$SOCK" \
    '{"op": "resource.create", "args": {"name": "z", "group": "keep", "type": "Frob"}}'
raw "1" invalid "daemon: bad policy value" "$SOCK" \
    '{"op": "group.set", "args": {"name": "keep", "policy": {"failback": "later"}}}'
raw "1" invalid "daemon: bad group name" "$SOCK" '{"op": "group.create", "args": {"name": "a/b"}}'
raw "1" invalid "daemon: relative command" "$SOCK" \
    '{"op": "resource.create", "args": {"name": "z", "group": "keep", "type": "service", "props": {"command": "sleep 1", "user": "root"}}}'

# Still the same daemon, still answering, nothing lost.
check "daemon still running" kill -0 "$DPID"
expect_ok "group keep still there" wp group show keep

finish
