#!/usr/bin/env python3
"""bench/lib/move_split.py DIR TOKEN -- split each planned move that
bench_failover.sh kept (KINDS=planned BENCH_LOGS=DIR) into the steps the
nodes' wolfpackd.log stamp (ms; libqb's clock has a 4 ms grain here): ms
after the command's start (t0, taken by the benchmark just before it runs
`wolfpack group move`), then the median (min..max) of each step.  The
client's first answer comes from its own log (wppoll, the same rule as the
benchmark's outage).  The logs carry no year: this year is assumed.
docs/TIMING.md, "A planned move", shows what it printed."""
import datetime
import glob
import os
import re
import statistics
import sys

d, token = sys.argv[1], sys.argv[2]
year = datetime.date.today().year

def stamp(line):
    m = re.match(r'(\w{3} \d\d \d\d:\d\d:\d\d\.\d{3})', line)
    if not m:
        return None
    t = datetime.datetime.strptime(f"{year} {m.group(1)}", "%Y %b %d %H:%M:%S.%f")
    return t.timestamp()

events = []
for n in ("n1", "n2", "n3"):
    try:
        with open(os.path.join(d, f"wolfpackd.{token}.{n}"), errors="replace") as f:
            for line in f:
                t = stamp(line)
                if t is not None:
                    events.append((t, n, line.rstrip("\n")))
    except OSError:
        pass
events.sort(key=lambda e: e[0])

steps = [
    ("received", r"received group\.move"),
    ("group.move applied", r"applied group\.move"),
    ("sched.commit sent", r"coordinator: sched\.commit sent"),
    ("stop svc begins", r"executor: stop svc \(group"),
    ("stop svc done", r"executor: stop svc: ok"),
    ("stop ip done", r"executor: stop ip: ok"),
    ("start ip begins (report applied)", r"executor: start ip \(group"),
    ("start ip done", r"executor: start ip: ok"),
    ("svc Online reported", r"executor: start svc: ok"),
]
runs = sorted(glob.glob(os.path.join(d, f"planned.{token}.*.t0")),
              key=lambda p: int(p.split(".")[-2]))
rows = []
for p in runs:
    r = p.split(".")[-2]
    t0 = float(open(p).read())
    first_s = None
    fail_seen = False
    with open(p[:-3] + ".poll") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            v, t = parts[0], float(parts[1])
            if v == "F" and t >= t0 - 0.2:
                fail_seen = True
            elif v == "S" and fail_seen and t > t0:
                first_s = t
                break
    row = {"run": r}
    for name, rx in steps:
        for t, n, line in events:
            if t >= t0 - 0.005 and re.search(rx, line):
                row[name] = round((t - t0) * 1000)
                break
    row["client answered"] = round((first_s - t0) * 1000) if first_s else None
    rows.append(row)
cols = [s[0] for s in steps] + ["client answered"]
print("run | " + " | ".join(cols))
for row in rows:
    print(row["run"] + " | " + " | ".join(str(row.get(c, "-")) for c in cols))
print()
for c in cols:
    v = [row[c] for row in rows if row.get(c) is not None]
    if v:
        print(f"{c:34s} median {statistics.median(v):6.0f}  ({min(v)}..{max(v)}, {len(v)} runs)")
