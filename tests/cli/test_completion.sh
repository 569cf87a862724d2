#!/bin/bash
# test_completion.sh -- bash completion (contrib/bash-completion/wolfpack):
# the verbs and subcommands it offers are those of `wolfpack --help` and
# `wolfpack VERB --help`; options come from the usage texts; names of
# nodes, groups (with spaces, quoted) and resources come from the daemon
# (through the --socket on the command line, or $WOLFPACK_SOCKET); with no
# daemon it offers no names and prints nothing.
. "$(dirname "$0")/lib.sh"
COMPLETION=$(dirname "$0")/../../contrib/bash-completion/wolfpack
# shellcheck source=/dev/null
. "$COMPLETION" || {
    fail "contrib/bash-completion/wolfpack loads"
    finish
}

# complete WORDS...: COMPREPLY for the command line WORDS (the last word is
# the one being completed), one a line in $OUT, nothing else on $ERR
complete_line() {
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _wolfpack 2>"$ERR"
    printf '%s\n' "${COMPREPLY[@]}" | grep . >"$OUT"
}
offers() { grep -qxF -- "$1" "$OUT"; }
offers_only() { [ "$(sort "$OUT" | tr '\n' ' ')" = "$(printf '%s\n' "$@" | sort | tr '\n' ' ')" ]; }

check "complete -p wolfpack names _wolfpack" grep -q _wolfpack <(complete -p wolfpack)
check "the completion function is defined" declare -F _wolfpack

# 1. verbs and subcommands follow the usage texts
verbs=$("$WOLFPACK" --help | awk '/^  [a-z]+( |$)/ { print $1 }' | sort -u)
complete_line "$WOLFPACK" ""
mapfile -t verb_list <<<"$verbs"
check "wolfpack <TAB>: the verbs of wolfpack --help (${verb_list[*]})" offers_only "${verb_list[@]}"
for v in $verbs; do
    subs=$("$WOLFPACK" "$v" --help 2>&1 | sed -e 's/^usage: //' -e "s/wolfpack $v //g" |
        sed -E -e 's/--[a-z-]+(=[^ ]*)?//g' -e 's/ *\| */\n/g' |
        awk -v v="$v" '{ sub(/^[ \t|]+/, "") } $1 ~ /^[a-z][a-z-]*$/ && $1 != v && $1 != "wolfpack" { print $1 }' |
        grep -vx task-run | sort -u)
    [ -n "$subs" ] || continue
    complete_line "$WOLFPACK" "$v" ""
    mapfile -t sub_list <<<"$subs"
    check "wolfpack $v <TAB>: the subcommands of wolfpack $v --help (${sub_list[*]})" offers_only "${sub_list[@]}"
done
complete_line "$WOLFPACK" app sp ""
check "wolfpack app sp <TAB>: apply" offers_only apply
complete_line "$WOLFPACK" gr
check "wolfpack gr<TAB>: group" offers_only group
complete_line "$WOLFPACK" --v
check "wolfpack --v<TAB>: --version" offers_only --version
complete_line "$WOLFPACK" group --po
check "wolfpack group --po<TAB>: --policy (from wolfpack group --help)" offers --policy
complete_line "$WOLFPACK" resource create r1 --type ""
check "--type <TAB>: the resource types" offers "IP\\ Address"

# 2. no daemon: no names, no noise
complete_line "$WOLFPACK" --socket "$TMP/nothing.sock" group show ""
check "no daemon: no group names offered" [ ! -s "$OUT" ]
check "no daemon: nothing printed" [ ! -s "$ERR" ]

# 3. names from the daemon
start_daemon
expect_ok "create group Mail Server" wp group create "Mail Server"
expect_ok "create group web" wp group create web
expect_ok "create resource mail-ip" wp resource create mail-ip --group "Mail Server" --type "IP Address" \
    --prop address=198.51.100.50/24
complete_line "$WOLFPACK" --socket "$SOCK" group show ""
check "group show <TAB>: every group, quoted" offers_only "Cluster\\ Group" "Mail\\ Server" web
complete_line "$WOLFPACK" --socket "$SOCK" group online Ma
check "group online Ma<TAB>: Mail\\ Server" offers_only "Mail\\ Server"
complete_line "$WOLFPACK" --socket "$SOCK" group online "Mail\\ S"
check "group online Mail\\ S<TAB>: Mail\\ Server" offers_only "Mail\\ Server"
complete_line "$WOLFPACK" --socket="$SOCK" resource create r2 --group ""
check "--socket=PATH, --group <TAB>: the groups" offers web
complete_line "$WOLFPACK" --socket "$SOCK" resource offline ""
check "resource offline <TAB>: mail-ip" offers_only mail-ip
complete_line "$WOLFPACK" --socket "$SOCK" node show ""
check "node show <TAB>: n1" offers_only n1
complete_line "$WOLFPACK" --socket "$SOCK" group move web --to ""
check "group move web --to <TAB>: the nodes" offers_only n1
WOLFPACK_SOCKET=$SOCK complete_line "$WOLFPACK" group delete w
check "\$WOLFPACK_SOCKET: group delete w<TAB>: web" offers_only web
complete_line "$WOLFPACK" --socket "$SOCK" app show ""
check "app show <TAB> with no application: nothing" [ ! -s "$OUT" ]
finish
