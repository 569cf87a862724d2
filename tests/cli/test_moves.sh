#!/bin/bash
# test_moves.sh -- moves with intent against a real wolfpackd --solo with a
# second node n2 that is never up: a move or a drain that cannot happen is
# refused at once with why (exit 4, nothing changed) instead of printing
# success; `group move --to N --lifetime D` records a preference that ends,
# `group ban --from N [--lifetime D]` a ban, `group show` prints both with
# their end, `group clear` drops them; bad options are usage errors.
. "$(dirname "$0")/lib.sh"
start_daemon

json() { wp --json "$@"; }
until_true() { # until_true SECONDS CMD...
    local n=$(($1 * 5))
    shift
    for _ in $(seq 1 "$n"); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}
gstate_is() { json group show "$1" && jq -e --arg s "$2" '.state == $s' "$OUT"; }

expect_ok "add a node n2 that is never up (raw node.add)" "$WPCALL" "$SOCK" \
    '{"op":"node.add","args":{"name":"n2","address":"198.51.100.202","id":2}}'
expect_ok "create group mv" wp group create mv
expect_ok "a service in mv" wp resource create mv-svc --group mv --type service \
    --prop user=root --prop "command=/bin/sleep 6$$"
expect_ok "group online mv" wp group online mv
check "mv is Online on n1" until_true 30 gstate_is mv Online

# --- what cannot be done says why, at once ---------------------------------------
expect_fail 4 "move mv to the best other node: refused" wp group move mv
expect_err "why: no other node can take it" "no other node can take it: n2: it is down"
expect_err "what to do" "bring up or resume a node"
expect_fail 4 "move mv to n2 (down): refused" wp group move mv --to n2
expect_err "why: n2 is down" "it is down"
expect_fail 4 "drain n1 with nowhere to go: refused" wp node drain n1
expect_err "what: cannot drain node 'n1'" "cannot drain node 'n1'"
expect_err "why: names the group and each node" "group mv \(n2: it is down"
expect_err "what to do: pause instead" "wolfpack node pause n1"
expect_ok "node show --json" json node show n1
check "n1 was not drained" jq -e '(.drained | not) and (.paused | not)' "$OUT"
expect_fail 4 "ban mv from its only node: refused" wp group ban mv --from n1
expect_err "why: no other node can take it" "no other node can take it"
expect_ok "drain n2 (it owns no group)" wp node drain n2
expect_ok "resume n2" wp node resume n2

# --- a preference that ends, a ban ------------------------------------------------
expect_ok "create group mvp (never placed)" wp group create mvp
expect_ok "move mvp to n1 for 1h" wp group move mvp --to n1 --lifetime 1h
expect_out "says what and for how long" 'Group mvp: moves to n1 and prefers it for 1h'
now=$(date +%s)
expect_ok "group show mvp --json" json group show mvp
check "the preference is stored with its end" jq -e --argjson now "$now" \
    '.constraints.prefer.node == "n1" and .constraints.prefer.until > $now + 3500 and
     .constraints.prefer.until <= $now + 3700' "$OUT"
expect_ok "group show mvp" wp group show mvp
expect_out "show prints the preference and its end" '^ *constraint: +prefers n1 until [0-9-]+ [0-9:]+ UTC'
expect_ok "ban mvp from n2 for 30m" wp group ban mvp --from n2 --lifetime 30m
expect_out "ban says for how long" 'Group mvp: banned from n2 for 30m'
expect_ok "group show mvp" wp group show mvp
expect_out "show prints the ban" '^ *constraint: +banned from n2 until [0-9-]+'
expect_ok "ban mvp from n2 until cleared" wp group ban mvp --from N2
expect_out "ban without lifetime: until cleared" "banned from N2 until 'wolfpack group clear'"
expect_ok "group show mvp --json" json group show mvp
check "the ban (node name as stored) has no end" jq -e '.constraints.ban == {"n2": 0}' "$OUT"
expect_ok "group clear mvp" wp group clear mvp
expect_out "clear says so" 'Group mvp: move and ban constraints cleared'
expect_ok "group show mvp" wp group show mvp
expect_out "show prints no constraints" '^ *constraints: +none'

# --- bad input ------------------------------------------------------------------
expect_fail 2 "--lifetime without --to" wp group move mvp --lifetime 1h
expect_fail 2 "--lifetime that is no duration" wp group move mvp --to n1 --lifetime soon
expect_fail 2 "ban without --from" wp group ban mvp
expect_fail 3 "ban from an unknown node" wp group ban mvp --from nosuch
expect_fail 3 "ban of an unknown group" wp group ban nosuch --from n1
expect_fail 3 "clear of an unknown group" wp group clear nosuch
v=$(version_of)
"$WPCALL" "$SOCK" '{"op":"group.move","args":{"name":"mvp","until":1}}' >"$OUT" 2>"$ERR"
check "a raw group.move with until but no target changes nothing" [ "$(version_of)" = "$v" ]
expect_out "... as invalid: a lifetime needs a target node" '"code":"invalid".*a lifetime needs a target'

expect_ok "group offline mv (tidy up)" wp group offline mv
check "mv is Offline" until_true 30 gstate_is mv Offline
finish
