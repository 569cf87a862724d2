#!/bin/bash
# test_app.sh -- `wolfpack app`: the recordstore kit installed standalone
# under a temporary install root ($WOLFPACK_APP_ROOT), started as a
# supervised local service on 127.0.0.1 and a free port, records written,
# backed up (and checked with tar + sha256sum), the database damaged and
# restored, records back; refusals (running app, damaged archive, hostile
# archives with correct checksums -- a file database turned into a tree
# holding a hard link to a file outside, a setuid file --, existing
# target, bad kit, service pack, --cluster of a Standard edition) change
# nothing; list/show JSON; remove keeps the databases, --purge deletes
# exactly what the install created (never a database it found, nor the
# parents that were there: a directory database kept below /srv); a killed service is restarted by its supervisor; a standalone
# install on a cluster node warns (a fake daemon says "corosync"); the
# service pack's upgrade step converts the database for recordstore 1.1.
. "$(dirname "$0")/lib.sh"

KITS=$(cd "$(dirname "$WOLFPACK")" && pwd)/kits
ROOT=$TMP/root
export WOLFPACK_APP_ROOT=$ROOT
DB=$ROOT/var/lib/recordstore/records.db
BIN=$ROOT/opt/recordstore/bin/recordstore
FAKE_PID=

# Stop every supervisor this test started (by the PID in its PID file),
# then the shared cleanup.
app_cleanup() {
    local f pid
    for f in "$ROOT"/run/wolfpack/apps/*/*.pid; do
        [ -f "$f" ] || continue
        pid=$(head -1 "$f")
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
    done
    [ -n "$FAKE_PID" ] && kill -TERM "$FAKE_PID" 2>/dev/null
    _cleanup
}
trap app_cleanup EXIT

if ! command -v python3 >/dev/null; then
    fail "python3 is needed to talk to recordstore"
    finish
fi
if [ ! -x "$KITS/recordstore/bin/recordstore" ]; then
    fail "the recordstore kit is built ($KITS/recordstore)"
    finish
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# rs REQUEST...: send lines to recordstore, print its answer.
rs() {
    python3 - "$PORT" "$@" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rw")
for req in sys.argv[2:]:
    f.write(req + "\n"); f.flush()
    if req == "GET":
        while True:
            line = f.readline()
            print(line, end="")
            if line in ("END\n", ""): break
    else:
        print(f.readline(), end="")
EOF
}

# wait_check: the service answers PING within a bounded number of tries.
wait_check() {
    for _ in $(seq 1 100); do
        "$BIN" --check --port "$PORT" && return 0
        sleep 0.1
    done
    return 1
}

start_daemon

# ---- the kit ---------------------------------------------------------------
expect_ok "inspect the kit" wp app inspect "$KITS/recordstore" --json
check "inspect: name, version, clusterable" \
    jq -e '.name == "recordstore" and .version == "1.0" and .clusterable == true' "$OUT"

BAD=$TMP/badkit
mkdir -p "$BAD"
printf 'name: x\nversion: "1"\nedition: E\nclusterable: true\nservices:\n  - name: s\n    command: bin/s\n' \
    >"$BAD/kit.yaml"
expect_fail 2 "a bad kit is refused" wp app install "$BAD"
expect_err "the refusal names file, line and field" 'kit.yaml:7: services\[0\]\.command: must be an absolute path'
check "nothing installed by a bad kit" [ ! -e "$ROOT/var/lib/wolfpack/apps/x.json" ]

expect_fail 2 "a service pack is not an install" wp app install "$KITS/recordstore-sp1"
expect_err "says to install 1.0 first" 'install recordstore 1.0 first'

# ---- install -------------------------------------------------------------------
expect_fail 2 "an unknown --set is refused" wp app install "$KITS/recordstore" --set colour=red
check "nothing installed by the refusal" [ ! -e "$ROOT/opt" ]
expect_ok "install standalone" wp app install "$KITS/recordstore" --set port="$PORT"
expect_out "says standalone" 'installed recordstore 1.0 .* standalone'
check "no cluster warning on a solo node" bash -c "! grep -q 'cluster node' '$ERR'"
check "program file installed below the root" [ -x "$BIN" ]
check "database created empty" [ -f "$DB" ] && [ ! -s "$DB" ]
check "install record written" jq -e '.mode == "standalone" and .group == null' \
    "$ROOT/var/lib/wolfpack/apps/recordstore.json"
expect_fail 4 "a second install is refused" wp app install "$KITS/recordstore"

expect_ok "list --json" wp app list --json
check "list: one standalone app" \
    jq -e 'length == 1 and .[0].app == "recordstore" and .[0].mode == "standalone" and .[0].running == false' "$OUT"
expect_ok "show --json" wp app show recordstore --json
check "show: the database path is below the root" \
    jq -e --arg db "$DB" '.databases[0].path == $db and .databases[0].clustered == "recordstore/records.db"' "$OUT"
expect_ok "show (human)" wp app show recordstore
expect_out "human show says where the database is" "records at $DB"

# ---- run it ------------------------------------------------------------------------
expect_ok "start" wp app start recordstore
check "it answers its check" "$BIN" --check --port "$PORT"
expect_ok "show --json while running" wp app show recordstore --json
check "show: running" jq -e '.running == true and .service_status[0].pid > 0' "$OUT"
rs 'PUT one' 'PUT two words' 'PUT three' >"$TMP/rs.out" 2>&1
check "three records written" [ "$(tr '\n' ' ' <"$TMP/rs.out")" = 'OK 1 OK 2 OK 3 ' ]
rs GET >"$TMP/rs.out" 2>&1
check "GET returns them" [ "$(tr '\n' '|' <"$TMP/rs.out")" = 'one|two words|three|END|' ]

# the supervisor restarts a killed service
PIDFILE=$ROOT/run/wolfpack/apps/recordstore/recordstore.pid
child=$(sed -n 2p "$PIDFILE")
kill -KILL "$child"
restarted=no
for _ in $(seq 1 100); do
    now=$(sed -n 2p "$PIDFILE" 2>/dev/null)
    if [ -n "$now" ] && [ "$now" != "$child" ] && "$BIN" --check --port "$PORT"; then
        restarted=yes
        break
    fi
    sleep 0.1
done
check "a killed service is restarted by its supervisor" [ "$restarted" = yes ]
rs GET >"$TMP/rs.out" 2>&1
check "records survive the restart" grep -qx three "$TMP/rs.out"

# ---- backup ------------------------------------------------------------------------------
expect_fail 2 "backup without --to is a usage error" wp app backup recordstore
expect_err "says what it needs" 'app backup needs --to FILE'
expect_fail 2 "restore without --from is a usage error" wp app restore recordstore
expect_err "says what it needs" 'app restore needs --from FILE'
expect_fail 4 "backup while running is refused" wp app backup recordstore --to "$TMP/b0.tar.zst"
expect_err "says to stop it" 'wolfpack app stop recordstore'
check "no archive left by the refusal" [ ! -e "$TMP/b0.tar.zst" ]
expect_ok "backup --online while running" wp app backup recordstore --to "$TMP/online.tar.zst" --online
expect_ok "stop" wp app stop recordstore
check "stopped: the port is closed" bash -c "! '$BIN' --check --port $PORT"
cp "$DB" "$TMP/records.orig"
expect_ok "backup" wp app backup recordstore --to "$TMP/b.tar.zst"
expect_out "says what it wrote" "backed up 1 database of recordstore 1.0 to $TMP/b.tar.zst"
check "no progress when stdout is a file" bash -c "! grep -q \$'\\r' '$OUT'"
mkdir -p "$TMP/x"
check "tar --zstd -xf && sha256sum -c MANIFEST.sha256 works" \
    bash -c "cd '$TMP/x' && tar --zstd -xf ../b.tar.zst && sha256sum -c MANIFEST.sha256"
check "the archive holds the database as it was" cmp "$TMP/x/databases/records" "$TMP/records.orig"
check "wolfpack-backup.json names app and version" \
    jq -e '.app == "recordstore" and .version == "1.0" and .files[0].database == "records"' \
    "$TMP/x/wolfpack-backup.json"
expect_fail 4 "backup onto an existing file is refused" wp app backup recordstore --to "$TMP/b.tar.zst"
expect_ok "verify the archive" wp app verify "$TMP/b.tar.zst" --json
check "verify gives the checksum" \
    jq -e --arg h "$(sha256sum "$TMP/records.orig" | cut -d' ' -f1)" '.files[0].sha256 == $h' "$OUT"

# progress only on a terminal
rm -f "$TMP/tty.tar.zst"
script -qec "'$WOLFPACK' --socket '$SOCK' app backup recordstore --to '$TMP/tty.tar.zst'" /dev/null \
    >"$TMP/tty.out" 2>&1
check "progress on a terminal" grep -q 'backup 100%' "$TMP/tty.out"
rm -f "$TMP/tty.tar.zst"

# a full disk during backup: a clear error and no partial archive
mkdir -p "$TMP/small"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=64k tmpfs "$TMP/small" 2>/dev/null; then
    head -c 1000000 /dev/urandom >>"$DB.big" && cat "$DB.big" >>"$DB" && rm -f "$DB.big"
    expect_fail 7 "backup onto a full disk fails" wp app backup recordstore --to "$TMP/small/b.tar.zst"
    expect_err "says the disk is full" 'No space left on device'
    check "no partial archive on the full disk" [ -z "$(ls -A "$TMP/small")" ]
    umount "$TMP/small"
    cp "$TMP/records.orig" "$DB"
else
    echo "skip full-disk check (needs root and tmpfs)"
fi

# ---- damage and restore -------------------------------------------------------------------
printf 'garbage\n' >"$DB"
cp "$TMP/b.tar.zst" "$TMP/damaged.tar.zst"
size=$(stat -c %s "$TMP/damaged.tar.zst")
printf 'XXXX' | dd of="$TMP/damaged.tar.zst" bs=1 seek=$((size / 2)) conv=notrunc status=none
expect_fail 7 "a damaged archive is refused" wp app restore recordstore --from "$TMP/damaged.tar.zst"
expect_err "says it is damaged" 'damaged'
check "the database is unchanged by the refusal" bash -c "[ \"\$(cat '$DB')\" = garbage ]"
head -c 200 "$TMP/b.tar.zst" >"$TMP/truncated.tar.zst"
expect_fail 7 "a truncated archive is refused" wp app restore recordstore --from "$TMP/truncated.tar.zst"
printf 'not an archive\n' >"$TMP/foreign"
expect_fail 7 "a foreign file is refused" wp app restore recordstore --from "$TMP/foreign"
expect_err "says it is not a wolfpack backup" 'not a wolfpack backup'
# hostile archives with correct checksums (docs/SECURITY.md): the kit's file
# database as a directory holding a hard link to a file outside; a tree
# with a setuid file, which verify already refuses
echo "outside, untouched" >"$TMP/outside"
chmod 0644 "$TMP/outside"
hostile() { # hostile FILE KIND ENTRY-TYPE NAME [TARGET]: a backup of recordstore 1.0
    python3 - "$@" <<'EOF'
import hashlib, io, json, sys, tarfile
out, kind, etype, name = sys.argv[1:5]
target = sys.argv[5] if len(sys.argv) > 5 else ""
inner = io.BytesIO()
with tarfile.open(fileobj=inner, mode="w", format=tarfile.PAX_FORMAT) as t:
    top = tarfile.TarInfo("./"); top.type = tarfile.DIRTYPE; top.mode = 0o755
    t.addfile(top)
    e = tarfile.TarInfo(name)
    if etype == "hardlink":
        e.type = tarfile.LNKTYPE; e.linkname = target; e.mode = 0o644
    else:
        e.mode = 0o4755; e.size = 2
    t.addfile(e, io.BytesIO(b"#!") if etype != "hardlink" else None)
data = inner.getvalue()
info = json.dumps({"format": "wolfpack-backup/1", "app": "recordstore", "version": "1.0",
                   "created": "2026-01-01T00:00:00Z",
                   "files": [{"path": "databases/records", "database": "records",
                              "size": len(data), "kind": kind}]}).encode()
man = ("%s  wolfpack-backup.json\n%s  databases/records\n" % (
    hashlib.sha256(info).hexdigest(), hashlib.sha256(data).hexdigest())).encode()
with tarfile.open(out, mode="w", format=tarfile.PAX_FORMAT) as t:
    for n, b in (("wolfpack-backup.json", info), ("databases/records", data),
                 ("MANIFEST.sha256", man)):
        ti = tarfile.TarInfo(n); ti.size = len(b); ti.mode = 0o644
        t.addfile(ti, io.BytesIO(b))
EOF
}
hostile "$TMP/hardlink.tar" directory hardlink ./pw "$TMP/outside"
expect_fail 4 "a file database archived as a directory is refused" \
    wp app restore recordstore --from "$TMP/hardlink.tar"
expect_err "says the kit has it as a file" 'as a directory, but recordstore has it as a file'
hostile "$TMP/setuid.tar" directory setuid ./sh
expect_fail 7 "verify refuses a tree with a setuid file" wp app verify "$TMP/setuid.tar"
expect_err "and says why" "setuid"
check "the file outside is untouched" \
    bash -c "[ \"\$(cat '$TMP/outside')\" = 'outside, untouched' ] && [ \$(stat -c %h '$TMP/outside') = 1 ]"
check "the database is still unchanged" bash -c "[ \"\$(cat '$DB')\" = garbage ]"
check "no temporary file beside the database" \
    bash -c "[ \"\$(ls -A '$(dirname "$DB")')\" = records.db ]"

expect_ok "restore" wp app restore recordstore --from "$TMP/b.tar.zst"
check "the database is back byte for byte" cmp "$DB" "$TMP/records.orig"
expect_ok "start again" wp app start recordstore
rs GET >"$TMP/rs.out" 2>&1
check "the records are back" [ "$(tr '\n' '|' <"$TMP/rs.out")" = 'one|two words|three|END|' ]
expect_fail 4 "restore while running is refused" wp app restore recordstore --from "$TMP/b.tar.zst"

# ---- the service pack's database upgrade (recordstore 1.0 -> 1.1) -------------------------
cp "$DB" "$TMP/upgrade.db"
SP=$KITS/recordstore-sp1/bin
check "1.1 refuses a 1.0 database" bash -c "! '$SP/recordstore' --db '$TMP/upgrade.db' --port 1 2>/dev/null"
check "the upgrade step converts it" "$SP/recordstore-upgrade" --db "$TMP/upgrade.db"
check "the new format has its header" bash -c "head -1 '$TMP/upgrade.db' | grep -qx 'RECORDSTORE 2'"
check "the old file is kept as .bak" cmp "$TMP/upgrade.db.bak" "$DB"
check "running the step twice is harmless" "$SP/recordstore-upgrade" --db "$TMP/upgrade.db"
check "1.0 refuses the 1.1 database" bash -c "! '$BIN' --db '$TMP/upgrade.db' --port 1 2>/dev/null"

# ---- remove --------------------------------------------------------------------------------
expect_ok "remove (running: it is stopped first)" wp app remove recordstore
expect_out "says the database is kept" "kept the database $DB"
check "the service is gone" bash -c "! '$BIN' --check --port $PORT 2>/dev/null; [ ! -e '$PIDFILE' ]"
check "program files removed" [ ! -e "$BIN" ] && [ ! -d "$ROOT/opt" ]
check "install record removed" [ ! -e "$ROOT/var/lib/wolfpack/apps/recordstore.json" ]
check "the database is kept" cmp "$DB" "$TMP/records.orig"
expect_fail 3 "show of a removed app" wp app show recordstore
expect_ok "reinstall keeps the existing database" wp app install "$KITS/recordstore" --set port="$PORT"
expect_out "says so" 'kept the existing database records'
expect_ok "remove --purge" wp app remove recordstore --purge
expect_out "says the database it found stays" "kept the database $DB .the install found it there"
check "purge keeps a database the install found" [ -s "$DB" ]
rm -rf "$ROOT/var/lib/recordstore"
expect_ok "install on a root without the database" wp app install "$KITS/recordstore" --set port="$PORT"
expect_ok "remove --purge" wp app remove recordstore --purge
check "the database it created is deleted" [ ! -e "$DB" ]
check "and the directories it created" [ ! -e "$ROOT/var/lib/recordstore" ]
expect_ok "list --json is empty" wp app list --json
check "nothing installed" jq -e 'length == 0' "$OUT"

# ---- purge deletes exactly what the install created --------------------------------------------
# A kit with a directory database the install finds (with a file in it)
# below a parent that exists too, and program files below a pre-existing
# empty /opt: purge deletes the database it created and the directories it
# made, never the directory it kept nor the parents that were there.
PK=$TMP/recordstore-spool
cp -r "$KITS/recordstore" "$PK"
sed -i 's|^services:|  - name: spool\n    kind: directory\n    standalone: /srv/pk/spool\n    clustered: pk/spool\n\n&|' \
    "$PK/kit.yaml"
mkdir -p "$ROOT/srv/pk/spool/sub" "$ROOT/opt"
echo "mail of before" >"$ROOT/srv/pk/spool/sub/keep.txt"
expect_ok "install finding an existing directory database" wp app install "$PK" --set port="$PORT"
expect_out "says it kept it" "kept the existing database spool at $ROOT/srv/pk/spool"
check "the record lists what it created" \
    jq -e --arg db "$DB" --arg sp "$ROOT/srv/pk/spool" \
    '(.created | index($db)) != null and (.created | index($sp)) == null and
     (.created | index($sp + "/..")) == null' "$ROOT/var/lib/wolfpack/apps/recordstore.json"
expect_ok "remove --purge" wp app remove recordstore --purge
expect_out "says the kept directory stays" "kept the database $ROOT/srv/pk/spool .the install found it"
check "the kept directory database is intact" \
    grep -qx "mail of before" "$ROOT/srv/pk/spool/sub/keep.txt"
check "its pre-existing parent stays" [ -d "$ROOT/srv/pk" ]
check "the pre-existing empty /opt stays" [ -d "$ROOT/opt" ]
check "the program files and the directories the install made are gone" \
    [ ! -e "$ROOT/opt/recordstore" ]
check "the database it created is deleted" [ ! -e "$DB" ]
check "and its directory" [ ! -e "$ROOT/var/lib/recordstore" ]
rm -rf "$ROOT/srv" "$ROOT/opt"

# ---- a Standard edition (may not be clustered) --------------------------------------------------
STD=$TMP/recordstore-standard
cp -r "$KITS/recordstore" "$STD"
sed -i -e 's/^edition: .*/edition: Standard/' -e 's/^clusterable: .*/clusterable: false/' "$STD/kit.yaml"
expect_fail 2 "--cluster of a Standard edition is refused" wp app install "$STD" --cluster --group web
expect_err "says the edition may not be clustered" 'Standard edition of recordstore may not be clustered'
check "nothing installed by the refusal" [ ! -e "$ROOT/var/lib/wolfpack/apps/recordstore.json" ]
expect_ok "the Standard edition installs standalone" wp app install "$STD" --set port="$PORT"
expect_ok "show --json" wp app show recordstore --json
check "show: Standard, not clusterable" jq -e '.edition == "Standard" and .clusterable == false' "$OUT"

# ---- a kit with an initial database, and a service that cannot start ---------------------------------
expect_ok "remove the Standard edition" wp app remove recordstore --purge
SEED=$TMP/recordstore-seeded
cp -r "$KITS/recordstore" "$SEED"
mkdir -p "$SEED/data"
printf 'seeded one\nseeded two\n' >"$SEED/data/seed.db"
sed -i 's|^    clustered: recordstore/records.db|&\n    initial: data/seed.db|' "$SEED/kit.yaml"
expect_ok "a kit with an initial database installs" wp app install "$SEED" --set port="$PORT"
check "the database starts as the kit's copy" cmp "$DB" "$SEED/data/seed.db"
expect_ok "remove it" wp app remove recordstore --purge
BROKEN=$TMP/recordstore-broken
cp -r "$KITS/recordstore" "$BROKEN"
sed -i -e 's|^    command: .*|    command: /bin/false|' -e 's|^    check: .*|    check: /bin/false|' \
    "$BROKEN/kit.yaml"
expect_ok "install a kit whose service cannot run" wp app install "$BROKEN"
expect_fail 7 "its start fails" wp app start recordstore
expect_err "and says so with its log" 'did not start'
check "nothing is left running" bash -c "[ ! -e '$PIDFILE' ] || ! '$BIN' --check --port $PORT"
expect_ok "show --json" wp app show recordstore --json
check "show: not running" jq -e '.running == false' "$OUT"

# ---- a standalone install on a cluster node warns (the article's trap) --------------------------------
# A fake wolfpackd that answers `status` with the corosync transport.
FAKE=$TMP/fake.sock
python3 - "$FAKE" <<'EOF' &
import json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
while True:
    c, _ = s.accept()
    try:
        while True:
            hdr = c.recv(4, socket.MSG_WAITALL)
            if len(hdr) < 4: break
            body = c.recv(struct.unpack(">I", hdr)[0], socket.MSG_WAITALL)
            reply = json.dumps({"ok": True, "version": 1, "result":
                {"transport": "corosync", "cluster": "fake", "version": 1, "quorate": True,
                 "nodes": [], "groups": []}}).encode()
            c.sendall(struct.pack(">I", len(reply)) + reply)
    except OSError:
        pass
    c.close()
EOF
FAKE_PID=$!
for _ in $(seq 1 50); do [ -S "$FAKE" ] && break; sleep 0.1; done
expect_ok "remove the broken kit" wp app remove recordstore --purge
rc=$(_status_of timeout -k 5 "$CALL_TIMEOUT" "$WOLFPACK" --socket "$FAKE" app install "$KITS/recordstore" --set port="$PORT")
check "a standalone install on a cluster node succeeds" [ "$rc" -eq 0 ]
expect_err "and warns in plain words" 'this node is a cluster node, but recordstore is being installed standalone'
expect_err "naming the service pack trap" 'a later service pack will need a'
rc=$(_status_of timeout -k 5 "$CALL_TIMEOUT" "$WOLFPACK" --socket "$FAKE" --json app show recordstore)
check "show flags the standalone install on a cluster node" \
    jq -e '.standalone_on_cluster_node == true' "$OUT"
kill -TERM "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
FAKE_PID=
expect_ok "remove" wp app remove recordstore --purge

finish
