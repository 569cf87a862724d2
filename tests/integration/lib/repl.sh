# tests/integration/lib/repl.sh -- what the replication tests ask every
# node of a test cluster about its copy of the database (test_replication,
# test_membership): its version, its checksum, whether it is synced, and
# waiting until nodes agree.  Sourced after checks.sh and cluster_test (TC,
# TMP, WOLFPACK, WPTC_DIR); WPLOAD (tests/tools/wpload) for the checksum of
# a file when the daemon does not report one.
# shellcheck shell=bash

# repl_cli NODE ARGS...: the CLI on a node, output on stdout
repl_cli() {
    local n=$1
    shift
    "$TC" exec "$n" "$WOLFPACK" "$@"
}

# version NODE: the database version a node serves (empty while it syncs)
version() { repl_cli "$1" --json cluster show 2>/dev/null | jq -r '.version // empty'; }

# checksum NODE: the transport's status checksum when the daemon passes it
# through, else wp_db_checksum of a copy of the node's database file.
checksum() {
    local n=$1 sum
    sum=$(repl_cli "$n" --json status 2>/dev/null | jq -r '.checksum // .replication.checksum // empty')
    if [ -n "$sum" ]; then
        echo "$sum"
        return
    fi
    local src=$WPTC_DIR/nodes/$n/var/lib/wolfpack dst=$TMP/copy-$n
    rm -rf "$dst" && mkdir -p "$dst"
    cp "$src"/cluster.db* "$dst"/ 2>/dev/null
    "$WPLOAD" --db-checksum "$dst/cluster.db" 2>/dev/null | jq -r .checksum
}

# synced NODE: the node's transport says synced (and it serves reads)
synced() {
    local st
    st=$(repl_cli "$1" --json status 2>/dev/null) || return 1
    [ "$(echo "$st" | jq -r '.sync // .replication.sync')" = synced ] && [ -n "$(version "$1")" ]
}

# wait_ready TIMEOUT NODE...: every node synced (4 looks a second)
wait_ready() {
    local timeout=$1 n i all
    shift
    for ((i = 0; i < timeout * 4; i++)); do
        all=1
        for n in "$@"; do synced "$n" || { all=0; break; }; done
        [ "$all" = 1 ] && return 0
        sleep 0.25
    done
    return 1
}

# wait_match TIMEOUT NODE...: every node synced at one version and checksum
wait_match() {
    local timeout=$1 n v s first_v first_s i all
    shift
    for ((i = 0; i < timeout * 4; i++)); do
        first_v="" first_s="" all=1
        for n in "$@"; do
            synced "$n" || { all=0; break; }
            v=$(version "$n")
            s=$(checksum "$n")
            [ -z "$first_v" ] && first_v=$v first_s=$s
            { [ "$v" = "$first_v" ] && [ "$s" = "$first_s" ] && [ -n "$s" ]; } || { all=0; break; }
        done
        [ "$all" = 1 ] && return 0
        sleep 0.25
    done
    return 1
}

# describe NODE...: version, checksum and status of each, for a failure
describe() {
    local n
    for n in "$@"; do
        echo "$n: version=$(version "$n") checksum=$(checksum "$n") status=$(repl_cli "$n" --json status 2>/dev/null | jq -c '[.sync, .quorate, .members]')"
    done
}
