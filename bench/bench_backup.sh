#!/bin/bash
# bench_backup.sh -- throughput of `wolfpack app backup` and `app restore`
# beside the ordinary tools on the same data in the same run.
#
#   bench/bench_backup.sh [BUILD] [MB] [RUNS]   BUILD defaults to "build",
#                                                MB to 200, RUNS to 3
#
# The data: an application with 4 databases of MB/4 each, half record-like
# text (compresses well), half base64 of random bytes (compresses ~25 %),
# installed under a temporary install root.  Compared, best of RUNS each:
#
#   backup   wolfpack app backup          (tar + zstd -3 + SHA-256 manifest)
#   peer     tar -cf - | zstd -3          (no checksums)
#   peer+sync tar -cf - | zstd -3 -o F && sync F  (durable, as ours is)
#   peer+sum sha256sum > MANIFEST; tar -cf - ... | zstd -3
#   restore  wolfpack app restore         (verify every checksum, then swap in)
#   peer     zstd -dc | tar -xf -
#   peer+sync zstd -dc | tar -xf - && sync FILES  (durable, as ours is)
#   peer+sum zstd -dc | tar -xf - && sha256sum -c
#
# MB/s are of database bytes.  The ratio is ours / peer (target >= 0.9).
# A measurement on a shared machine, not a test: it never fails on time.
set -euo pipefail
build=${1:-build}
mb=${2:-200}
runs=${3:-3}
cd "$(dirname "$0")/.."
make -s BUILD="$build" "$build/wolfpack" >/dev/null
W=$(pwd)/$build/wolfpack
for tool in zstd tar sha256sum base64; do
    command -v $tool >/dev/null || { echo "error: $tool is missing" >&2; exit 1; }
done

T=$(mktemp -d /tmp/wpbench-backup.XXXXXX)
trap 'rm -rf "$T"' EXIT
export WOLFPACK_APP_ROOT=$T/root

# A kit with four databases and nothing else.
mkdir -p "$T/kit"
{
    printf 'name: benchdb\nversion: "1.0"\nedition: Enterprise\nclusterable: true\ndatabases:\n'
    for i in 1 2 3 4; do
        printf '  - name: db%d\n    standalone: /var/lib/benchdb/db%d.dat\n    clustered: benchdb/db%d.dat\n' $i $i $i
    done
} >"$T/kit/kit.yaml"
"$W" app install "$T/kit" >/dev/null

# Generate the data (not timed).
per=$((mb * 1024 * 1024 / 4))
for i in 1 2 3 4; do
    f=$WOLFPACK_APP_ROOT/var/lib/benchdb/db$i.dat
    {
        awk -v n=$((per / 2 / 40)) -v s="$i" 'BEGIN { for (k = 0; k < n; k++)
            printf "%08d\tcustomer-%05d\torder %07d\tstatus=%s\t\n", k, (k * 7 + s) % 50000,
                   k * 13 % 9999991, (k % 3 ? "shipped" : "pending") }'
        head -c $((per * 3 / 8)) /dev/urandom | base64 -w 76
    } | head -c "$per" >"$f" || true # head stops the generators early
done
bytes=$(du -cb "$WOLFPACK_APP_ROOT"/var/lib/benchdb/*.dat | tail -1 | cut -f1)
DATA=$WOLFPACK_APP_ROOT/var/lib/benchdb

# best_of FN: "wall cpu" seconds of the run with the shortest wall time
# among RUNS runs of the function FN (cpu: user + system of every process
# of the run, children included).
best_of() {
    local best="" cpu="" line f
    for _ in $(seq 1 "$runs"); do
        /usr/bin/time -f "%e %U %S" -o "$T/time" bash -c "$1" >/dev/null
        line=$(tail -1 "$T/time")
        read -r -a f <<<"$line" && set -- "$1" "${f[@]}"
        if [ -z "$best" ] || [ "$(echo "$2 < $best" | bc -l)" = 1 ]; then
            best=$2
            cpu=$(echo "$3 + $4" | bc -l)
        fi
    done
    echo "$best $cpu"
}
mbps() { echo "scale=1; $bytes / 1048576 / $1" | bc -l; }

export W T DATA
ours_backup() { rm -f "$T/ours.tar.zst"; "$W" app backup benchdb --to "$T/ours.tar.zst"; }
peer_backup() { tar -cf - -C "$DATA" db1.dat db2.dat db3.dat db4.dat | zstd -3 -q -f -o "$T/peer.tar.zst"; }
peer_backup_sync() { peer_backup && sync "$T/peer.tar.zst"; }
peer_backup_sum() {
    (cd "$DATA" && sha256sum db1.dat db2.dat db3.dat db4.dat >"$T/MANIFEST.sha256")
    tar -cf - -C "$DATA" db1.dat db2.dat db3.dat db4.dat -C "$T" MANIFEST.sha256 |
        zstd -3 -q -f -o "$T/peer.tar.zst"
}
ours_restore() { "$W" app restore benchdb --from "$T/ours.tar.zst"; }
peer_restore() { rm -rf "$T/out" && mkdir "$T/out" && zstd -dc -q "$T/peer.tar.zst" | tar -xf - -C "$T/out"; }
peer_restore_sync() { peer_restore && sync "$T"/out/*.dat; }
peer_restore_sum() { peer_restore && (cd "$T/out" && sha256sum --quiet -c MANIFEST.sha256); }
export -f ours_backup peer_backup peer_backup_sync peer_backup_sum ours_restore peer_restore peer_restore_sync \
    peer_restore_sum

echo "machine: $(nproc) cpu, $(uname -m); data: $((bytes / 1048576)) MB in 4 files; best of $runs"
b_ours=$(best_of ours_backup)
b_peer=$(best_of peer_backup)
b_peerd=$(best_of peer_backup_sync)
b_peers=$(best_of peer_backup_sum)
r_ours=$(best_of ours_restore)
r_peer=$(best_of peer_restore)
r_peerd=$(best_of peer_restore_sync)
r_peers=$(best_of peer_restore_sum)
size_ours=$(stat -c %s "$T/ours.tar.zst")
size_peer=$(stat -c %s "$T/peer.tar.zst")

row() {
    local wall=${3% *} cpu=${3#* }
    printf '%-8s %-34s %6.2f s %7s MB/s   cpu %5.2f s\n' "$1" "$2" "$wall" "$(mbps "$wall")" "$cpu"
}
echo "         (wall time of the fastest run, MB/s of database bytes, its CPU time)"
row backup "wolfpack app backup" "$b_ours"
row backup "tar | zstd -3" "$b_peer"
row backup "tar | zstd -3; sync FILE" "$b_peerd"
row backup "sha256sum; tar | zstd -3" "$b_peers"
row restore "wolfpack app restore (fsync)" "$r_ours"
row restore "zstd -dc | tar -x (no fsync)" "$r_peer"
row restore "zstd -dc | tar -x; sync FILES" "$r_peerd"
row restore "zstd -dc | tar -x; sha256sum -c" "$r_peers"
echo "archive: ours $((size_ours / 1048576)) MB, tar|zstd $((size_peer / 1048576)) MB"
# ours speed / peer speed = peer time / ours time (wall), and the same for
# CPU time, which the machine's load moves less.
ratio() { echo "scale=2; $2 / $1" | bc -l | sed 's/^\./0./'; }
echo "ratios (ours / peer; above 1: ours is faster)          wall   cpu"
for pair in "backup vs tar|zstd:$b_ours:$b_peer" "backup vs tar|zstd+sync:$b_ours:$b_peerd" \
    "backup vs sha256sum+tar|zstd:$b_ours:$b_peers" \
    "restore vs zstd|tar:$r_ours:$r_peer" "restore vs zstd|tar+sync:$r_ours:$r_peerd" \
    "restore vs zstd|tar+sha256sum -c:$r_ours:$r_peers"; do
    IFS=: read -r name o p <<<"$pair"
    rw=$(ratio "${o% *}" "${p% *}")
    rc=$(ratio "${o#* }" "${p#* }")
    printf '  %-50s %5s %5s (target >= 0.9 wall: %s)\n' "$name" "$rw" "$rc" \
        "$([ "$(echo "$rw >= 0.9" | bc -l)" = 1 ] && echo met || echo NOT met)"
done
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
"$W" app remove benchdb --purge >/dev/null
