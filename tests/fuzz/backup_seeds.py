#!/usr/bin/env python3
# backup_seeds.py -- write the seed corpus of fuzz_backup.c into
# tests/fuzz/corpus/backup/: inner tars of a directory database (good
# trees, and one of each thing the restore rules refuse) and one whole
# uncompressed backup.  Run from the repository root; the files are
# committed, so this runs only when the seeds change.
import hashlib
import io
import json
import os
import tarfile

OUT = "tests/fuzz/corpus/backup"


def tree(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, mode, extra in entries:
            ti = tarfile.TarInfo(name)
            ti.mode = mode
            ti.mtime = 1000000000
            data = b""
            if kind == "file":
                data = extra.get("data", b"")
                ti.size = len(data)
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE
            elif kind == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = extra["to"]
            elif kind == "hardlink":
                ti.type = tarfile.LNKTYPE
                ti.linkname = extra["to"]
            elif kind == "fifo":
                ti.type = tarfile.FIFOTYPE
            elif kind == "chr":
                ti.type = tarfile.CHRTYPE
                ti.devmajor, ti.devminor = 1, 1
            ti.uid = extra.get("uid", 0)
            ti.gid = extra.get("gid", 0)
            t.addfile(ti, io.BytesIO(data) if data else None)
    return buf.getvalue()


TOP = ("./", "dir", 0o750, {})
seeds = {
    "good": [TOP, ("./a/", "dir", 0o700, {}), ("./a/m", "file", 0o600, {"data": b"hello"}),
             ("./l", "symlink", 0o777, {"to": "a/m"})],
    "empty": [TOP],
    "hardlink-out": [TOP, ("./pw", "hardlink", 0o644, {"to": "/etc/passwd"})],
    "hardlink-in": [TOP, ("./a", "file", 0o644, {"data": b"x"}), ("./b", "hardlink", 0o644, {"to": "./a"})],
    "setuid": [TOP, ("./sh", "file", 0o4755, {"data": b"#!"})],
    "device": [TOP, ("./mem", "chr", 0o660, {})],
    "fifo": [TOP, ("./f", "fifo", 0o644, {})],
    "world": [TOP, ("./d/", "dir", 0o777, {})],
    "owner": [TOP, ("./f", "file", 0o644, {"data": b"x", "uid": 4242})],
    "symlink-out": [TOP, ("./e", "symlink", 0o777, {"to": "../../etc"})],
    "dotdot": [TOP, ("./../x", "file", 0o644, {"data": b"x"})],
}
os.makedirs(OUT, exist_ok=True)
for name, entries in seeds.items():
    with open(os.path.join(OUT, name + ".tar"), "wb") as f:
        f.write(tree(entries))

# One whole backup (uncompressed) of recordstore 1.0: records (a file) and
# store (a directory), as fuzz_backup.c expects them.
dbs = [("records", "file", b"records\n"), ("store", "directory", tree(seeds["good"]))]
info = json.dumps({"format": "wolfpack-backup/1", "app": "recordstore", "version": "1.0",
                   "created": "2026-01-01T00:00:00Z",
                   "files": [{"path": "databases/" + n, "database": n, "size": len(d), "kind": k}
                             for n, k, d in dbs]}).encode()
manifest = "%s  wolfpack-backup.json\n" % hashlib.sha256(info).hexdigest()
for n, k, d in dbs:
    manifest += "%s  databases/%s\n" % (hashlib.sha256(d).hexdigest(), n)
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    for name, body in [("wolfpack-backup.json", info)] + \
            [("databases/" + n, d) for n, k, d in dbs] + [("MANIFEST.sha256", manifest.encode())]:
        ti = tarfile.TarInfo(name)
        ti.size = len(body)
        ti.mode = 0o644
        t.addfile(ti, io.BytesIO(body))
with open(os.path.join(OUT, "whole.tar"), "wb") as f:
    f.write(buf.getvalue())
