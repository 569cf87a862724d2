#!/bin/bash
# test_alert.sh -- alert agents against a real wolfpackd --solo: `alert
# create/list/delete` (values checked, names unique, a program that is not
# here a warning); an agent gets resource and group events with the
# documented WOLFPACK_ALERT_* variables (kind, node, group, resource,
# state, recipient, cluster, timestamp); an agent that fails or hangs past
# its timeout (killed, logged) has no effect: the group still comes online
# and the daemon answers.
. "$(dirname "$0")/lib.sh"
start_daemon

events=$TMP/events # one file per run: runs go on at the same time
mkdir -p "$events"
agent=$TMP/agent.sh
cat >"$agent" <<AGENT
#!/bin/sh
{ env | grep '^WOLFPACK_ALERT_' | sort; echo ---; } >"\$(mktemp "$events/ev.XXXXXX")"
AGENT
chmod +x "$agent"
printf '#!/bin/sh\nexit 3\n' >"$TMP/fails.sh"
printf '#!/bin/sh\nexec sleep 300\n' >"$TMP/hangs.sh"
chmod +x "$TMP/fails.sh" "$TMP/hangs.sh"

# block KIND KEY=VALUE...: some block of the log is of KIND and holds every pair
block() {
    local kind=$1
    shift
    awk -v kind="$kind" -v want="$*" '
        BEGIN { n = split(want, w, " ") }
        /^---$/ { if (b["WOLFPACK_ALERT_KIND"] == kind) { ok = 1
                      for (i = 1; i <= n; i++) { split(w[i], kv, "="); if (b[kv[1]] != kv[2]) ok = 0 }
                      if (ok) found = 1 }
                  delete b; next }
        { i = index($0, "="); b[substr($0, 1, i - 1)] = substr($0, i + 1) }
        END { exit !found }' "$events"/ev.*
}

expect_ok "alert list: none yet" wp --json alert list
check "an empty list" jq -e 'length == 0' "$OUT"
expect_ok "alert create rec (with a recipient)" wp alert create rec --path "$agent" \
    --recipient ops@example.org --timeout 20
expect_out "acknowledged" "^Created alert rec"
expect_fail 4 "the same name again (any case)" wp alert create REC --path "$agent"
expect_fail 2 "a relative path" wp alert create rel --path bin/agent
expect_fail 2 "a timeout out of range" wp alert create slow --path "$agent" --timeout 601
expect_fail 2 "no --path" wp alert create nopath
expect_ok "a program that is not here: created, with a warning" \
    wp alert create gone --path /nonexistent/agent$$
expect_err "the warning" "^warning: /nonexistent/agent$$ is not an executable program on this node"
expect_ok "alert create fails (an agent that exits 3)" wp alert create fails --path "$TMP/fails.sh"
expect_ok "alert create hangs (killed after 1 s)" wp alert create hangs --path "$TMP/hangs.sh" \
    --timeout 1
expect_ok "alert list" wp alert list
expect_out "a table" "^NAME +PATH +TIMEOUT +RECIPIENT"
expect_out "rec with its values" "^rec +$agent +20s +ops@example.org"
expect_ok "alert list --json" wp --json alert list
check "four alerts, by name" jq -e '[.[].name] == ["fails", "gone", "hangs", "rec"]' "$OUT"
expect_ok "alert delete gone" wp alert delete gone
expect_fail 3 "alert delete of an unknown alert" wp alert delete gone

expect_ok "create group ag" wp group create ag
expect_ok "a service in ag" wp resource create ag-svc --group ag --type service --prop user=root \
    --prop "command=/bin/sleep 6$$"
expect_ok "group online ag" wp group online ag
check "the group comes online despite the failing and hanging agents" bash -c \
    "for _ in \$(seq 1 100); do '$WOLFPACK' --socket '$SOCK' --json group show ag |
     jq -e '.state == \"Online\"' >/dev/null && exit 0; sleep 0.1; done; exit 1"
# eventually CMD...: CMD succeeds within 10 s (polled)
eventually() {
    for _ in $(seq 1 100); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}
check "  resource ag-svc Online on n1" eventually block resource WOLFPACK_ALERT_RESOURCE=ag-svc \
    WOLFPACK_ALERT_STATE=Online WOLFPACK_ALERT_NODE=n1 WOLFPACK_ALERT_GROUP=ag \
    WOLFPACK_ALERT_RECIPIENT=ops@example.org WOLFPACK_ALERT_NAME=rec \
    WOLFPACK_ALERT_CLUSTER=clitest WOLFPACK_ALERT_SOURCE_NODE=n1
check "  a group event: ag Online on n1" eventually block group WOLFPACK_ALERT_GROUP=ag \
    WOLFPACK_ALERT_STATE=Online WOLFPACK_ALERT_NODE=n1
check "  a unix time near now" bash -c "cat '$events'/ev.* | awk -F= -v now=$(date +%s) \
    '/^WOLFPACK_ALERT_TIMESTAMP=/ { n++; if (\$2 < now - 600 || \$2 > now + 5) bad = 1 } END { exit bad || !n }'"
check "  a description" bash -c "cat '$events'/ev.* | grep -q '^WOLFPACK_ALERT_DESC=resource ag-svc is Online on n1'"
check "the hanging agent is killed at its timeout (the log says so)" bash -c \
    "for _ in \$(seq 1 50); do grep -q 'alert hangs: the agent (pid [0-9]*) ran past its timeout: killed' '$DLOG' && exit 0; sleep 0.1; done; exit 1"
expect_ok "the daemon still answers" wp status
expect_ok "group offline ag" wp group offline ag
sleep 1
finish
