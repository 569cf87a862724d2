#!/bin/bash
# test_config.sh -- wolfpackd's configuration file (--config, the strict
# `key = value` lines of src/lib/conffile.c, docs/DAEMON.md
# "Configuration"): a file's settings are used, command-line flags override
# them, a bad line stops the daemon before it touches anything, with
# FILE:LINE, what, why and what to do; without --state-dir and --socket the
# daemon uses /var/lib/wolfpack and /run/wolfpack/wolfpackd.sock, the
# socket the CLI uses by default (checked as root in a private mount
# namespace whose /var/lib and /run are empty tmpfs).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

CONF=$TMP/wolfpackd.conf

# refused DESC TEXT REGEX: a file with TEXT makes wolfpackd exit 2 without
# creating its state directory or socket; stderr matches REGEX.
refused() {
    printf '%b' "$2" >"$CONF"
    rm -rf "$TMP/never"
    local rc
    rc=$(_status_of timeout -k 5 30 "$WOLFPACKD" --config "$CONF" --solo \
        --state-dir "$TMP/never/state" --socket "$TMP/never/sock")
    if [ "$rc" -ne 2 ]; then
        fail "$1 (exit $rc, expected 2)"
    elif ! grep -Eq -- "$3" "$ERR"; then
        fail "$1 (stderr lacks /$3/)"
    elif [ -e "$TMP/never" ]; then
        fail "$1 (it created $TMP/never)"
    else
        pass "$1"
    fi
}

# ---- a file's settings, and flags over them
cat >"$CONF" <<CONF
# wolfpackd.conf of the test
solo = yes
state-dir = $TMP/file-state
socket = $TMP/file.sock
cluster-name = fromfile
node-name = filenode
idle-timeout = 20
CONF
mkdir -p "$STATE"
"$WOLFPACKD" --config "$CONF" --state-dir "$STATE" --socket "$SOCK" --node-name n1 \
    >>"$DLOG" 2>&1 &
DPID=$!
check "wolfpackd starts with --config and flags" wait_socket
check "the flag --socket overrides the file's socket" test -S "$SOCK"
check "... the file's socket is not made" test ! -e "$TMP/file.sock"
check "the flag --state-dir overrides the file's" test -f "$STATE/cluster.db"
check "... the file's state directory is not made" test ! -e "$TMP/file-state"
wp --json status
check "the file's cluster-name and solo are used" jq -e '.cluster == "fromfile"
    and .transport == "solo"' "$OUT"
wp --json node list
check "the flag --node-name overrides the file's" jq -e '[.[].name] == ["n1"]' "$OUT"
stop_daemon

# ---- the shipped file (contrib/wolfpackd.conf): every option, defaults valid
shipped=$here/../../contrib/wolfpackd.conf
opts=$("$WOLFPACKD" --help | grep -oE '^  --[a-z-]+' | sed 's/^  --//' |
    grep -vx -e config -e version | sort | tr '\n' ' ')
keys=$(grep -oE '^#?[a-z-]+ =' "$shipped" | sed 's/^#//; s/ =$//' | sort | tr '\n' ' ')
check "contrib/wolfpackd.conf shows every option of wolfpackd --help" test "$opts" = "$keys"
# its lines uncommented are accepted (but the example cluster address, which
# a new solo cluster would bring online on this machine, the watchdog
# device, which a test must never open, and the user, which the Debian
# package creates and this machine may lack)
sed -E 's/^#([a-z-]+ =)/\1/' "$shipped" | grep -v -e '^cluster-ip ' -e '^watchdog ' -e '^user ' \
    >"$TMP/shipped.conf"
check "... (the uncommented file keeps watchdog-timeout, without watchdog)" \
    bash -c "grep -q '^watchdog-timeout = 10\$' '$TMP/shipped.conf' && ! grep -q '^watchdog ' '$TMP/shipped.conf'"
rm -rf "$STATE"
mkdir -p "$STATE"
"$WOLFPACKD" --config "$TMP/shipped.conf" --solo --state-dir "$STATE" --socket "$SOCK" \
    --node-name n1 >>"$DLOG" 2>&1 &
DPID=$!
check "wolfpackd starts with the shipped file's defaults uncommented" wait_socket
stop_daemon

# ---- refusals: FILE:LINE, what, why or what to do; nothing created
refused "an unknown key is refused" 'solo = yes\n\nsockett = /x\n' \
    "^error: $CONF:3: unknown key \"sockett\""
check "... its why lists the keys" grep -q 'why: the keys are: solo, state-dir, socket' "$ERR"
check "... its to-do names the file" grep -q "to do: correct or remove that line of $CONF" "$ERR"
check "... and says wolfpackd does not start" grep -q 'wolfpackd does not start' "$ERR"
refused "a line that is not key = value is refused" '# c\nsolo\n' "^error: $CONF:2: not a setting"
refused "a key set twice is refused" 'socket = /a\nsocket = /b\n' \
    "^error: $CONF:2: \"socket\" is set again"
check "... its why names the first line" grep -q 'why: line 1 sets it already' "$ERR"
refused "an empty value is refused" 'admin-group =\n' "^error: $CONF:1: \"admin-group\" has no value"
refused "a control character is refused" 'node-name = a\033[2Jb\n' \
    "^error: $CONF:1: the line holds a control character"
refused "a bad timeout is refused" 'frame-timeout = 0\n' \
    "^error: $CONF:1: frame-timeout \"0\" is not a number of seconds from 1 to 3600"
check "... with what to do" grep -q 'to do: give e.g. frame-timeout = 15' "$ERR"
refused "a watchdog-timeout out of the watchdog's range is refused" 'watchdog-timeout = 1\n' \
    "^error: $CONF:1: watchdog-timeout \"1\" is not from 2 to 300 seconds"
refused "a bad solo value is refused" 'solo = maybe\n' "^error: $CONF:1: solo \"maybe\" is not yes or no"
refused "an option that is not a setting (config) is refused" 'config = /x\n' \
    "^error: $CONF:1: unknown key \"config\""
refused "a bad value is refused even when a flag would override it" 'idle-timeout = x\n' \
    "^error: $CONF:1: idle-timeout \"x\""
rc=$(_status_of timeout -k 5 30 "$WOLFPACKD" --config "$TMP/missing.conf" --solo \
    --state-dir "$TMP/never/state" --socket "$TMP/never/sock")
check "a missing --config file is refused (exit 2)" test "$rc" -eq 2
expect_err "... naming it and why" "cannot open the configuration $TMP/missing.conf"
check "... and nothing is created" test ! -e "$TMP/never"
rc=$(_status_of timeout -k 5 30 "$WOLFPACKD" --config "$TMP" --solo \
    --state-dir "$TMP/never/state" --socket "$TMP/never/sock")
check "a directory as --config is refused (exit 2)" test "$rc" -eq 2
expect_err "... as not a regular file" "it is not a regular file"
rc=$(_status_of timeout -k 5 30 "$WOLFPACKD" --config "$CONF" --socket "")
check "an empty --socket is refused (exit 2)" test "$rc" -eq 2

# ---- the defaults: /var/lib/wolfpack and the CLI's default socket
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
    : >"$CONF"
    rc=$(_status_of timeout -k 5 60 unshare --mount --propagation private -- sh -c '
        mount -t tmpfs wptest /var/lib && mount -t tmpfs wptest /run || exit 90
        "$1" --config "$2" --solo --node-name n1 >"$3" 2>&1 &
        pid=$!
        ok=1
        for _ in $(seq 1 200); do
            if "$4" --json status >/dev/null 2>&1; then ok=0; break; fi
            sleep 0.05
        done
        "$4" --json status
        ls -d /var/lib/wolfpack/cluster.db /run/wolfpack/wolfpackd.sock
        kill -TERM "$pid"; wait "$pid"
        exit $ok' sh "$WOLFPACKD" "$CONF" "$TMP/defaults.log" "$WOLFPACK")
    check "without --state-dir and --socket the CLI's default reaches the daemon" test "$rc" -eq 0
    expect_out "... the state is in /var/lib/wolfpack" '^/var/lib/wolfpack/cluster.db$'
    expect_out "... and the socket is /run/wolfpack/wolfpackd.sock" \
        '^/run/wolfpack/wolfpackd.sock$'
else
    echo "skip defaults check: needs root and unshare"
fi

finish
