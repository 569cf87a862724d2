#!/bin/bash
# test_help_walk.sh -- the CLI's consistency, walked from `wolfpack --help`
# (issue #15) against a real wolfpackd --solo:
#   - the unknown-verb message lists exactly the verbs `--help` lists;
#   - every verb's `--help` exits 0 with a usage; every sub-verb its usage
#     names answers `VERB SUB --help` with exit 0 and a usage naming it
#     (nothing is run);
#   - every sub-verb `--help` mentions is in the verb's own usage, and
#     every sub-verb of a verb's own usage is in `wolfpack --help` (the
#     top-level help lists them all, `group ban` included);
#   - every `VERB list`: a header of upper-case column names separated by
#     two or more spaces (the table style), and `--json VERB list` a JSON
#     array;
#   - every change prints one success line, "OK: ... (version N)" or the
#     sentence with "(version N)" (one form: what changed, the version).
. "$(dirname "$0")/lib.sh"
start_daemon

ok() { pass "$1"; }
bad() { # bad DESC [DETAILS]: a failed check, DETAILS under it
    FAILED=$((FAILED + 1))
    echo "FAIL $1"
    if [ -n "${2:-}" ]; then while IFS= read -r line; do echo "    $line"; done <<<"$2"; fi
}

"$WOLFPACK" --help >"$TMP/help" 2>&1
check "wolfpack --help exits 0" [ $? = 0 ]
verbs=$(awk '/^  [a-z]/ {print $1}' "$TMP/help" | sort -u)
check "it lists verbs" [ -n "$verbs" ]

"$WOLFPACK" no-such-verb >/dev/null 2>"$TMP/unknown"
listed=$(sed -n 's/.*expected one of: \([a-z, -]*\)).*/\1/p' "$TMP/unknown" | tr -d ' ' | tr ',' '\n' |
    sort -u)
if [ "$listed" = "$verbs" ]; then
    ok "the unknown-verb message lists every verb of --help"
else
    bad "the unknown-verb message lists every verb of --help" \
        "$(diff <(echo "$verbs") <(echo "$listed"))"
fi

# sub-verbs of VERB: the words after "wolfpack VERB" in its usage lines, and
# the alternatives of a one-line usage ("a | b NAME | c")
subs_of() {
    sed -n "s/^\(usage: \|       \)wolfpack $1 \([a-z][a-z-]*\).*/\2/p" "$TMP/verb.out"
    sed -n "s/^ *| \([a-z][a-z-]*\).*/\1/p" "$TMP/verb.out"
    sed -n "s/^usage: wolfpack $1 [a-z][a-z-]* [^|]*| \([a-z][a-z-]*\).*/\1/p" "$TMP/verb.out"
}
for v in $verbs; do
    if ! "$WOLFPACK" "$v" --help >"$TMP/verb.out" 2>"$TMP/verb.err" ||
        ! grep -q "^usage: wolfpack $v" "$TMP/verb.out"; then
        bad "$v --help: exit 0 and a usage" "$(cat "$TMP/verb.out" "$TMP/verb.err")"
        continue
    fi
    ok "$v --help: exit 0 and a usage"
    subs=$(subs_of "$v" | sort -u)
    # what the top-level help names for this verb (first word of each |
    # alternative on its lines) must be in the verb's own usage
    named=$(awk -v v="$v" '$1 == v {sub(/^  [a-z]+/, ""); sub(/ {3,}[^|]*$/, ""); print}' "$TMP/help" |
        tr '|' '\n' | awk '{print $1}' | grep -E '^[a-z][a-z-]*$' | sort -u)
    for s in $named; do
        if ! grep -qx -- "$s" <<<"$subs"; then
            bad "$v $s: named by wolfpack --help, missing from '$v --help'" "$subs"
        fi
    done
    for s in $subs; do
        if grep -qx -- "$s" <<<"$named"; then
            ok "$v $s: listed by wolfpack --help"
        else
            bad "$v $s: in '$v --help', missing from wolfpack --help" "$named"
        fi
    done
    for s in $subs; do
        if "$WOLFPACK" "$v" "$s" --help >"$TMP/sub.out" 2>"$TMP/sub.err" &&
            grep -q "^usage: " "$TMP/sub.out" && grep -qE "(^|[ |])$s( |$)" "$TMP/sub.out"; then
            ok "$v $s --help"
        else
            bad "$v $s --help: exit 0 and a usage naming $s" \
                "$(head -3 "$TMP/sub.out" "$TMP/sub.err")"
        fi
    done
done

# lists: one table style, and --json
expect_ok "a group to list" wp group create hw
expect_ok "a resource to list" wp resource create hw-a --group hw --type service --prop user=root \
    --prop "command=/bin/sleep 3$$"
for v in $verbs; do
    "$WOLFPACK" "$v" --help 2>/dev/null | grep -q "wolfpack $v list\b\|wolfpack $v list |" || continue
    [ "$v" = app ] && continue # app list reads this host's installs: tests/cli/test_app.sh
    expect_ok "$v list" wp "$v" list
    if [ ! -s "$OUT" ] || head -1 "$OUT" | grep -qE '^[A-Z][A-Z_]*( {2,}[A-Z][A-Z_ ]*)*$'; then
        ok "$v list: a header of upper-case columns (or nothing to list)"
    else
        bad "$v list: a header of upper-case columns" "$(head -2 "$OUT")"
    fi
    expect_ok "$v list --json" wp --json "$v" list
    check "$v list --json: an array" jq -e 'type == "array"' "$OUT"
done

# changes: one success line each, with the version
one_line() { # one_line DESC: the last command printed one line ending "(version N)"
    if [ "$(wc -l <"$OUT")" = 1 ] && grep -qE '\(version [0-9]+\)$' "$OUT"; then
        ok "$1: one success line with the version"
    else
        bad "$1: one success line with the version" "$(cat "$OUT")"
    fi
}
expect_ok "group create" wp group create hw2
one_line "group create"
expect_ok "group set" wp group set hw2 --policy failback=immediate
one_line "group set"
expect_ok "resource create" wp resource create hw2-a --group hw2 --type service \
    --prop user=root --prop "command=/bin/sleep 4$$"
one_line "resource create"
expect_ok "resource set (offline: no note)" wp resource set hw2-a --policy restart_threshold=2
one_line "resource set"
expect_ok "node pause" wp node pause n1
one_line "node pause"
expect_ok "node resume" wp node resume n1
one_line "node resume"
expect_ok "alert create" wp alert create hwal --path /bin/true
one_line "alert create"
expect_ok "alert delete" wp alert delete hwal
one_line "alert delete"
expect_ok "resource delete" wp resource delete hw2-a
one_line "resource delete"
expect_ok "group delete" wp group delete hw2
one_line "group delete"
finish
