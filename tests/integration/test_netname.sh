#!/bin/bash
# test_netname.sh -- integration test of the Network Name agent against a
# real DNS server: tools/testcluster up 2 gives nodes n1, n2 (with wolfpackd)
# and a client namespace that runs BIND (zone wptc.test, TSIG-signed dynamic
# updates); wpagent runs the agent's operations on n1 the way wolfpackd does.
#
#   - start registers mail.wptc.test -> 198.51.100.50; the client resolves it
#     (getent, through its own resolv.conf); quick and thorough pass
#   - a second start with another address replaces it
#   - a later registration by another host is not removed by n1's stop
#   - stop removes the name; a second stop succeeds; quick says not running
#   - a wrong secret is refused with BADSIG, an unknown key with BADKEY, an
#     unsigned update with REFUSED, a dead server with "no answer"
#   - hosts-file mode (no dns_server) writes n1's own /etc/hosts only
#   - through wolfpackd: a group with an IP Address and a Network Name that
#     depends on it comes online, the client resolves the name to the
#     group's address; after a move to n2 still; offline removes the name
#
# Run as root: tests/integration/test_netname.sh (BUILD=build-x for another
# build directory).  Needs bind9 (named, tsig-keygen).  Prints
# "N passed, N failed"; the cluster is removed on any exit.

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
BUILD=${BUILD:-build}
TC=$REPO/tools/testcluster
WPAGENT=$REPO/$BUILD/tests/tools/wpagent
export WPTC_DIR=${WPTC_DIR:-/run/wptc-netname-$$}
export WPTC_PREFIX=${WPTC_PREFIX:-wpnn$$-}
export WOLFPACK=${WOLFPACK:-$REPO/$BUILD/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$REPO/$BUILD/wolfpackd}
TMP=$(mktemp -d /tmp/test_netname.XXXXXX)
PASSED=0
FAILED=0

cleanup() {
    "$TC" down >/dev/null 2>&1 || "$TC" down
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ok, fail, check, finish, wp (output in $TMP/out), wait_until
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"

ZONE=wptc.test
SERVER=198.51.100.200
DNSP=(hostname=mail "dns_zone=$ZONE." "dns_server=$SERVER")
KEY=/etc/wolfpack/tsig.key # inside the nodes

# agent NODE OP PROPS... : run wpagent on NODE; sets RC and OUT
agent() {
    local node=$1 op=$2
    shift 2
    OUT=$("$TC" exec "$node" "$WPAGENT" --run-dir "$TMP/run" "Network Name" mail "$op" "$@" 2>&1)
    RC=$?
}
# expect NAME RC [TEXT] : the last agent call gave RC and its output holds TEXT
expect() {
    if [ "$RC" = "$2" ] && { [ -z "${3:-}" ] || grep -qF -- "$3" <<<"$OUT"; }; then
        ok "$1"
    else
        fail "$1 (exit $RC, want $2${3:+ and \"$3\"}): $OUT"
    fi
}
# resolves WHERE NAME ADDR : getent in WHERE gives exactly ADDR ("" = nothing)
resolves() {
    local got
    got=$("$TC" exec "$1" getent hosts "$2" 2>/dev/null | awk '{print $1}' | sort | tr '\n' ' ')
    [ "$got" = "${3:+$3 }" ] || {
        echo "    $1: getent hosts $2 gives \"$got\", want \"$3\""
        return 1
    }
}

if [ "$(id -u)" != 0 ]; then
    fail "test_netname: must run as root"
    finish
fi
for p in named tsig-keygen; do
    command -v "$p" >/dev/null || {
        fail "test_netname: $p is missing (Debian: apt-get install bind9)"
        finish
    }
done
{ [ -x "$WPAGENT" ] && [ -x "$WOLFPACK" ]; } || {
    fail "test_netname: build first (make BUILD=$BUILD): $WPAGENT / $WOLFPACK missing"
    finish
}
mkdir -p "$TMP/run"

if ! "$TC" up 2 >"$TMP/up.log" 2>&1; then
    cat "$TMP/up.log"
    fail "testcluster up 2 with DNS"
    finish
fi
ok "testcluster up 2 with DNS"
check "the client resolves through the cluster's DNS server" resolves client "ns.$ZONE" "$SERVER"
HOST_HOSTS=$(sha256sum /etc/hosts)
HOST_RESOLV=$(sha256sum /etc/resolv.conf)

# ---- DNS mode ------------------------------------------------------------------
agent n1 validate "${DNSP[@]}" "tsig_key_file=$KEY"
expect "validate without an address is refused" 1 "no address to register"
agent n1 start "${DNSP[@]}" "tsig_key_file=$KEY" address=198.51.100.50/24
expect "start registers the name" 0
check "the client resolves mail.$ZONE to 198.51.100.50" resolves client "mail.$ZONE" 198.51.100.50
check "n1 resolves the short name mail (search $ZONE)" resolves n1 mail 198.51.100.50
agent n1 quick "${DNSP[@]}" "tsig_key_file=$KEY" address=198.51.100.50/24
expect "quick check passes" 0
agent n1 thorough "${DNSP[@]}" "tsig_key_file=$KEY" address=198.51.100.50/24
expect "thorough check passes (server and system resolver)" 0

agent n1 start "${DNSP[@]}" "tsig_key_file=$KEY" address=198.51.100.51
expect "a second start with another address" 0
check "the client now resolves 198.51.100.51 only" resolves client "mail.$ZONE" 198.51.100.51
agent n1 quick "${DNSP[@]}" "tsig_key_file=$KEY" address=198.51.100.50
expect "quick with the old address fails and names both" 1 "answers 198.51.100.51"

# another host (the client namespace, a different host name) takes the
# name over, as a survivor does; n1's late stop must leave it alone
install -m 0600 -o root -g root "$WPTC_DIR/dns/tsig.key" "$TMP/client.key" # keys are private
OUT=$("$TC" exec client "$WPAGENT" --run-dir "$TMP/run" "Network Name" mail start \
    "${DNSP[@]}" "tsig_key_file=$TMP/client.key" address=198.51.100.52 2>&1)
RC=$?
expect "another host registers the name" 0
agent n1 stop "${DNSP[@]}" "tsig_key_file=$KEY"
expect "n1's late stop succeeds" 0 "left in place"
check "the other host's registration survives n1's stop" resolves client "mail.$ZONE" 198.51.100.52

agent n1 start "${DNSP[@]}" "tsig_key_file=$KEY" address=198.51.100.50
expect "n1 registers again" 0
agent n1 stop "${DNSP[@]}" "tsig_key_file=$KEY"
expect "stop removes the name" 0 "removed"
check "the client no longer resolves mail.$ZONE" resolves client "mail.$ZONE" ""
agent n1 stop "${DNSP[@]}" "tsig_key_file=$KEY"
expect "a second stop succeeds (absent)" 0
agent n1 quick "${DNSP[@]}" "tsig_key_file=$KEY" address=198.51.100.50
expect "quick after stop: not running" 7 "has no address"

# refusals
sed 's/secret "[^"]*"/secret "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="/' \
    "$WPTC_DIR/dns/tsig.key" >"$TMP/wrong.key"
sed 's/^key "[^"]*"/key "no-such-key"/' "$WPTC_DIR/dns/tsig.key" >"$TMP/unknown.key"
{ grep -q AAAAAAAA "$TMP/wrong.key" && grep -q no-such-key "$TMP/unknown.key"; } || fail "could not make the wrong keys"
chmod 0600 "$TMP/wrong.key" "$TMP/unknown.key"
install -m 0644 "$TMP/client.key" "$TMP/readable.key"
agent n1 start "${DNSP[@]}" "tsig_key_file=$TMP/readable.key" address=198.51.100.50
expect "a key file others may read is refused" 1 "is not private (mode 0644"
agent n1 start "${DNSP[@]}" "tsig_key_file=$TMP/wrong.key" address=198.51.100.50
expect "a wrong secret is refused: NOTAUTH, BADSIG" 1 "answered NOTAUTH with TSIG error BADSIG"
agent n1 start "${DNSP[@]}" "tsig_key_file=$TMP/unknown.key" address=198.51.100.50
expect "an unknown key is refused: BADKEY" 1 "TSIG error BADKEY"
agent n1 start "${DNSP[@]}" address=198.51.100.50
expect "an unsigned update is refused: REFUSED" 1 "answered REFUSED"
expect "an unsigned update is announced loudly" 1 "WARNING: DNS updates for mail.$ZONE. are sent UNSIGNED"
check "nothing was registered by the refused updates" resolves client "mail.$ZONE" ""
agent n1 start hostname=mail "dns_zone=$ZONE" dns_server=198.51.100.201 \
    "tsig_key_file=$KEY" address=198.51.100.50
expect "a server that does not answer" 1 "no answer from the DNS server 198.51.100.201"
agent n1 quick hostname=mail "dns_zone=$ZONE" dns_server=198.51.100.201 \
    "tsig_key_file=$KEY" address=198.51.100.50
expect "a check does not fail over for a server that does not answer" 0 "check skipped"
agent n1 start hostname=mail dns_zone=other.test "dns_server=$SERVER" "tsig_key_file=$KEY" \
    address=198.51.100.50
expect "a zone the server does not serve" 1 "REFUSED"
agent n1 start "${DNSP[@]}" tsig_key_file=/nonexistent.key address=198.51.100.50
expect "a missing key file" 1 "cannot read the TSIG key file"
# the zone is found from the server's SOA when dns_zone is not given
agent n1 start "hostname=mail.$ZONE" "dns_server=$SERVER" "tsig_key_file=$KEY" \
    address=198.51.100.53
expect "start without dns_zone (found by SOA)" 0
check "the client resolves it" resolves client "mail.$ZONE" 198.51.100.53
agent n1 stop "hostname=mail.$ZONE" "dns_server=$SERVER" "tsig_key_file=$KEY"
expect "stop without dns_zone" 0 "removed"

# ---- hosts-file mode -------------------------------------------------------------
N1_HOSTS_BEFORE=$("$TC" exec n1 cat /etc/hosts)
agent n1 start hostname=web "dns_zone=$ZONE" address=198.51.100.60
expect "hosts mode: start" 0
check "hosts mode: n1 resolves web.$ZONE" resolves n1 "web.$ZONE" 198.51.100.60
check "hosts mode: the client does not (hosts files reach one node)" \
    resolves client "web.$ZONE" ""
check "hosts mode: the marked line is in n1's /etc/hosts" \
    "$TC" exec n1 grep -qx "198.51.100.60 web.$ZONE web # wolfpack:mail" /etc/hosts
agent n1 start hostname=web "dns_zone=$ZONE" address=198.51.100.60
check "hosts mode: start again keeps one line" \
    test "$("$TC" exec n1 grep -c 'wolfpack:mail$' /etc/hosts)" = 1
agent n1 thorough hostname=web "dns_zone=$ZONE" address=198.51.100.60
expect "hosts mode: thorough" 0
agent n1 stop hostname=web "dns_zone=$ZONE"
expect "hosts mode: stop" 0
check "hosts mode: n1's hosts file is as before, byte for byte" \
    test "$("$TC" exec n1 cat /etc/hosts)" = "$N1_HOSTS_BEFORE"
agent n1 quick hostname=web "dns_zone=$ZONE" address=198.51.100.60
expect "hosts mode: quick after stop: not running" 7

# ---- through wolfpackd ------------------------------------------------------------
group_state() { wp n1 group show mailgrp --json && jq -r '"\(.state) \(.owner)"' "$TMP/out"; }
state_is() { [ "$(group_state)" = "$1" ]; }
check "wolfpackd ready on n1 and n2" wait_until 30 sh -c \
    "'$TC' exec n1 '$WOLFPACK' status --json | jq -e .ready && '$TC' exec n2 '$WOLFPACK' status --json | jq -e .ready"
check "create group mailgrp" wp n1 group create mailgrp --policy preferred_owners=n1,n2
check "create its IP Address" wp n1 resource create mailip --group mailgrp --type "IP Address" \
    --prop address=198.51.100.70/24
check "create its Network Name, depending on the address" wp n1 resource create mailname \
    --group mailgrp --type "Network Name" --depends-on mailip --prop hostname=mailsrv \
    --prop "dns_zone=$ZONE" --prop "dns_server=$SERVER" --prop "tsig_key_file=$KEY"
check "group online mailgrp" wp n1 group online mailgrp
check "mailgrp Online on n1" wait_until 20 state_is "Online n1"
check "the client resolves mailsrv.$ZONE to the group's address" \
    wait_until 10 resolves client "mailsrv.$ZONE" 198.51.100.70
check "group move mailgrp --to n2" wp n1 group move mailgrp --to n2
check "mailgrp Online on n2" wait_until 20 state_is "Online n2"
check "after the move the client still resolves mailsrv.$ZONE" \
    resolves client "mailsrv.$ZONE" 198.51.100.70
if command -v dig >/dev/null; then
    check "the owner record names n2" sh -c "'$TC' exec client dig +short TXT mailsrv.$ZONE @$SERVER | grep -q 'wolfpack-owner=n2 resource=mailname'"
fi
check "group offline mailgrp" wp n1 group offline mailgrp
check "mailgrp Offline" wait_until 20 sh -c "'$TC' exec n1 '$WOLFPACK' group show mailgrp --json | jq -e '.state == \"Offline\"'"
check "offline removed the name" wait_until 10 resolves client "mailsrv.$ZONE" ""

check "the host's /etc/hosts is untouched" test "$(sha256sum /etc/hosts)" = "$HOST_HOSTS"
check "the host's /etc/resolv.conf is untouched" \
    test "$(sha256sum /etc/resolv.conf)" = "$HOST_RESOLV"
check "no DNS server listens in the host's namespace" \
    sh -c "! ss -lnu | grep -q '$SERVER:53'"

finish
