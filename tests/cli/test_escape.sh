#!/bin/bash
# tests/cli/test_escape.sh -- text from outside is escaped where a person
# sees it (docs/SECURITY.md, "Text from outside"; src/lib/text.h):
#   - a Generic Service command with a newline is refused (validation: a
#     command line is one line), and the refusal quotes it escaped: it
#     cannot forge a line of the error output; nothing is created;
#   - an error quoting a name typed on the command line (ESC, OSC, CR,
#     newline) prints it escaped on stderr;
#   - a request whose op holds ESC and a newline, and a refused change
#     naming such a group, are logged escaped: no raw control character in
#     the daemon's log, no forged log line;
#   - `app verify` of a crafted backup (checksums right, the app name,
#     version and date full of ESC, OSC, CR, newline) prints them escaped.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

: "${WPCALL:?WPCALL must name tests/tools/wpcall}"

ESC=$(printf '\033')
CR=$(printf '\r')
# no_raw_controls FILE: FILE holds no ESC, BEL or CR byte
no_raw_controls() {
    ! grep -q "[$ESC$CR$(printf '\007')]" "$1"
}

start_daemon
expect_ok "a group" wp group create g1

# ---- 1. a value with a newline cannot forge a line of the output
cmd=$(printf '/bin/true\n  node:          forged')
expect_fail 2 "a command with a newline is refused" \
    wp resource create r1 --group g1 --type "Generic Service" --prop user=root --prop "command=$cmd"
check "no forged line in the error" bash -c "! grep -q '^  node: *forged' '$ERR'"
expect_err "the newline is quoted as \\x0a" '/bin/true\\x0a  node: +forged'
expect_fail 3 "nothing was created" wp resource show r1

# ---- 2. errors quoting a name from the command line
bad=$(printf 'x\033]0;owned\007\033[31mred\r\nerror: forged')
RC=0
wp group show "$bad" || RC=$?
check "group show of a nasty name fails (exit 3)" test "$RC" -eq 3
check "the error on stderr holds no raw ESC, BEL or CR" no_raw_controls "$ERR"
expect_err "... shows them escaped" 'x\\x1b\]0;owned\\a\\x1b\[31mred\\r\\nerror: forged'
check "... and forges no second error line" \
    test "$(grep -c '^error:' "$ERR")" -eq 1
RC=0
wp resource show "$bad" || RC=$?
check "resource show of a nasty name: no raw control on stderr" no_raw_controls "$ERR"

# ---- 3. the daemon's log
"$WPCALL" --timeout 20 "$SOCK" \
    "{\"op\":\"grp\\u001b[2J\\r\\nFORGED: log line\"}" >"$OUT" 2>"$ERR"
check "a request with a nasty op is refused (the reply is exact JSON)" \
    jq -e '.error.code == "invalid" and (.error.what|test("\u001b"))' "$OUT"
RC=0
wp group delete "$bad" || RC=$?
check "deleting a nasty group name is refused" test "$RC" -ne 0
check "the daemon log holds no raw ESC, BEL or CR" no_raw_controls "$DLOG"
check "no line of the daemon log starts with the forged text" \
    bash -c "! grep -q '^FORGED' '$DLOG'"
check "the log shows the bad op escaped" grep -qF 'grp\x1b[2J\r\nFORGED: log line' "$DLOG"

# ---- 4. app verify of a crafted archive (its manifest and checksums right)
python3 - "$TMP/evil.tar" <<'PY'
import hashlib, io, json, sys, tarfile
info = json.dumps({"format": "wolfpack-backup/1", "app": "rec\x1b]0;pwned\x07",
                   "version": "1.0\r\nOK: forged", "created": "2026\x1b[2J",
                   "files": []}).encode()
manifest = ("%s  wolfpack-backup.json\n" % hashlib.sha256(info).hexdigest()).encode()
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for name, data in (("wolfpack-backup.json", info), ("MANIFEST.sha256", manifest)):
        ti = tarfile.TarInfo(name)
        ti.size, ti.mode = len(data), 0o600
        t.addfile(ti, io.BytesIO(data))
PY
zstd -q -f "$TMP/evil.tar" -o "$TMP/evil.tar.zst"
RC=0
wp app verify "$TMP/evil.tar.zst" || RC=$?
check "app verify: no raw ESC, BEL or CR on stdout" no_raw_controls "$OUT"
check "app verify: no raw ESC, BEL or CR on stderr" no_raw_controls "$ERR"
check "app verify: no forged OK line" bash -c "! grep -q '^OK: forged' '$OUT'"
if [ "$RC" -eq 0 ]; then
    expect_out "app verify: the archive's strings are shown escaped" \
        'backup of rec\\x1b\]0;pwned\\a 1\.0\\r\\nOK: forged made 2026\\x1b\[2J'
fi

finish
