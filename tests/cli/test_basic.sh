#!/bin/bash
# test_basic.sh -- usage, help, exit statuses, --json on every listing and
# show, status, and the error when no daemon is running.
. "$(dirname "$0")/lib.sh"

# -- without a daemon --------------------------------------------------------
expect_ok "wolfpack --help" "$WOLFPACK" --help
expect_out "--help lists the verbs" 'resource create'
for verb in status "cluster" "node" "group" "resource"; do
    expect_ok "wolfpack $verb --help" "$WOLFPACK" $verb --help
    expect_out "$verb --help prints usage" 'usage: wolfpack'
done

rc=$(_status_of "$WOLFPACK" --socket "$TMP/no-such.sock" status)
check "no daemon: exit 6" [ "$rc" -eq 6 ]
expect_err "no daemon: the error names the socket" "$TMP/no-such.sock"
expect_err "no daemon: the error says to start wolfpackd" 'start it with `wolfpackd'
rc=$(_status_of env WOLFPACK_SOCKET="$TMP/env.sock" "$WOLFPACK" group list)
check "WOLFPACK_SOCKET is used" [ "$rc" -eq 6 ]
expect_err "WOLFPACK_SOCKET path in the error" "$TMP/env.sock"

rc=$(_status_of "$WOLFPACK" frobnicate)
check "unknown verb: exit 2" [ "$rc" -eq 2 ]
expect_err "unknown verb: usage line shown" 'usage: wolfpack'
rc=$(_status_of "$WOLFPACK" --bogus status)
check "unknown global option: exit 2" [ "$rc" -eq 2 ]
rc=$(_status_of "$WOLFPACK")
check "no verb: exit 2" [ "$rc" -eq 2 ]

# cluster create is wired (it writes files only; no daemon needed)
mkdir -p "$TMP/cc"
expect_ok "cluster create writes corosync.conf and authkey" "$WOLFPACK" cluster create t1 \
    --node a=198.51.100.1 --node b=198.51.100.2 --config-dir "$TMP/cc" --force
check "corosync.conf written" [ -s "$TMP/cc/corosync.conf" ]
check "authkey written" [ -s "$TMP/cc/authkey" ]
rc=$(_status_of "$WOLFPACK" cluster create)
check "cluster create without NAME: exit 2" [ "$rc" -eq 2 ]
rc=$(_status_of "$WOLFPACK" cluster frob)
check "unknown cluster subcommand: exit 2" [ "$rc" -eq 2 ]

# -- with a daemon -----------------------------------------------------------
start_daemon

expect_ok "status" wp status
expect_out "status names the cluster group" 'Cluster Group'
expect_out "status names the cluster" '^Cluster: +clitest'
expect_out "status shows node n1 up (and in quorum)" '^  n1 +1 .* Up +yes$'
expect_ok "status --json" wp status --json
check "status --json parses" json_ok "$OUT"
check "status --json has an integer version" jq -e '.version | type == "number"' "$OUT"
expect_ok "--json before the verb" wp --json status
check "global --json parses" json_ok "$OUT"

expect_ok "group create for listings" wp group create web
expect_ok "resource create for listings" wp resource create web-ip --group web --type ip \
    --prop address=198.51.100.20/24

for cmd in "cluster show" "node list" "group list" "group show web" "resource list" \
    "resource list --group web" "resource show web-ip" "status"; do
    # shellcheck disable=SC2086
    expect_ok "$cmd --json" wp $cmd --json
    check "$cmd --json parses as JSON" json_ok "$OUT"
    check "$cmd --json ends with one newline" [ "$(tail -c1 "$OUT" | od -An -c | tr -d ' ')" = '\n' ]
    # shellcheck disable=SC2086
    expect_ok "$cmd (human)" wp $cmd
done
expect_ok "node show n1 --json" wp node show n1 --json
check "node show --json parses" json_ok "$OUT"
check "node show --json names n1" jq -e '.name == "n1"' "$OUT"

expect_ok "group list" wp group list
expect_out "group list has a header" '^GROUP +OWNER +STATE'
expect_out "group list lists web" '^web '

# usage errors of each verb: exit 2, usage line, nothing changed
expect_fail 2 "group create without NAME" wp group create
expect_err "group create usage shown" 'usage: wolfpack group create NAME'
expect_fail 2 "group show with two names" wp group show a b
expect_fail 2 "resource create without --type" wp resource create x --group web
expect_err "missing --type named" 'missing --type'
expect_fail 2 "resource create with an unknown option" wp resource create x --group web \
    --type ip --colour red
expect_fail 2 "resource depend without --on" wp resource depend web-ip
expect_fail 2 "group set with nothing to change" wp group set web
expect_fail 2 "--policy without '='" wp group create g2 --policy failback
expect_fail 2 "unknown group subcommand" wp group frob
expect_fail 2 "node without subcommand" wp node
expect_fail 2 "bad group name" wp group create ' lead'
expect_fail 2 "a name that is not UTF-8" wp group create $'bad\xff'
expect_fail 2 "an optional property that is not UTF-8" wp resource create x --group web \
    --type ip --prop address=198.51.100.22/24 --prop interface=$'eth\xfe0'
expect_fail 3 "show a missing group" wp group show nosuch
expect_fail 3 "show a missing resource" wp resource show nosuch
expect_fail 3 "show a missing node" wp node show nosuch

# options are read with getopt_long (args.c): every form the CLI documents,
# and nothing more (no abbreviations, no value where none belongs)
expect_fail 2 "an abbreviated option is refused" wp group create g9 --pol failback=immediate
expect_err "the abbreviation is named" "unknown option '--pol'"
expect_fail 2 "an abbreviated global option is refused" "$WOLFPACK" --sock "$SOCK" group list
expect_err "the global abbreviation is named" "unknown option '--sock'"
expect_fail 2 "a value for an option that takes none" wp node remove n9 --force=yes
expect_err "says the option takes no value" 'option --force takes no value'
expect_fail 2 "a value option as the last word" wp group create g9 --policy
expect_err "says the option needs a value" 'option --policy needs a value'
expect_fail 2 "an unknown short option" wp group list -x
expect_err "the short option is named" "unknown option '-x'"
expect_fail 2 "a global option without its value" "$WOLFPACK" --timeout
expect_err "says --timeout needs a value" 'option --timeout needs a value'
expect_ok "options before the name, value after '='" wp group create --policy=failback=immediate g9
expect_ok "the option took effect" wp --json group show g9
expect_out "failback as given" '"failback": *"immediate"'
expect_ok "--json after the verb's words" wp group show g9 --json
expect_out "JSON printed" '"name": *"g9"'
expect_ok "--socket=PATH before the verb" "$WOLFPACK" --socket="$SOCK" group show g9
expect_fail 3 "after --, a word that looks like an option is a name" wp group show -- -h
expect_err "the name was looked up" 'group'
expect_ok "cluster create reads its options the same way" "$WOLFPACK" cluster create t2 \
    --node=a=198.51.100.1 --config-dir "$TMP/cc" --force --ip=198.51.100.50/24
expect_fail 2 "cluster create refuses an abbreviation" "$WOLFPACK" cluster create t2 \
    --nod a=198.51.100.1 --config-dir "$TMP/cc" --force
expect_err "cluster create names it" "unknown option '--nod'"

finish
