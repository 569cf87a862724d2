#!/bin/bash
# test_durability.sh -- kill -9 in the middle of a stream of changes: every
# change the CLI acknowledged (exit 0) is still there after a restart on the
# same state directory, at most the one change in flight is extra, and the
# daemon starts cleanly each time.  Three rounds (ten with WP_SOAK=1) on the
# same state directory, so a database that survived a crash must survive
# the next one too.
. "$(dirname "$0")/lib.sh"

rounds=3
[ "${WP_SOAK:-0}" = 1 ] && rounds=10
count=1000 # an upper bound: the kill comes long before

# stream PREFIX FILE: create PREFIX1..PREFIXcount, one CLI call each;
# append "NAME RC" to FILE for each call; stop at the first failure.
stream() {
    local prefix=$1 file=$2 i rc
    for i in $(seq 1 $count); do
        rc=0
        timeout -k 5 30 "$WOLFPACK" --socket "$SOCK" group create "$prefix$i" \
            >/dev/null 2>&1 || rc=$?
        echo "$prefix$i $rc" >>"$file"
        [ "$rc" -eq 0 ] || return 0
    done
}

start_daemon
for round in $(seq 1 $rounds); do
    prefix="r${round}g"
    log=$TMP/acks.$round
    : >"$log"
    stream "$prefix" "$log" &
    spid=$!
    # wait until the stream is under way, then kill at a random moment
    for _ in $(seq 1 400); do
        [ "$(wc -l <"$log")" -ge 5 ] && break
        kill -0 "$spid" 2>/dev/null || break
        sleep 0.02
    done
    sleep "0.$((RANDOM % 400 + 10))"
    kill9_daemon
    wait "$spid"

    acked=$(awk '$2 == 0 {print $1}' "$log" | sort)
    nacked=$(echo "$acked" | grep -c . || true)
    inflight=$(awk '$2 != 0 {print $1; exit}' "$log")
    check "round $round: killed mid-stream ($nacked of $count acknowledged)" \
        [ "$nacked" -gt 0 -a "$nacked" -lt "$count" ]

    start_daemon
    check "round $round: daemon restarted on the same state dir" kill -0 "$DPID"
    expect_ok "round $round: group list after restart" wp group list --json
    present=$(jq -r --arg p "$prefix" '.[].name | select(startswith($p))' "$OUT" | sort)
    missing=$(comm -23 <(echo "$acked") <(echo "$present") | grep -c . || true)
    extra=$(comm -13 <(echo "$acked") <(echo "$present"))
    check "round $round: every acknowledged change survived ($missing missing)" \
        [ "$missing" -eq 0 ]
    check "round $round: nothing but the change in flight is extra" \
        [ -z "$extra" -o "$extra" = "$inflight" ]
    expect_ok "round $round: the database takes changes again" wp group create "after$round"
done

check_daemon_log
finish
