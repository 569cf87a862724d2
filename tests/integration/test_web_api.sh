#!/bin/bash
# test_web_api.sh -- the web console's server (wolfpack-web, docs/WEB.md,
# docs/API.md) on a 3-node test cluster with real Corosync and real PAM.
#
# Node n1's mount namespace (only it: bind mounts there, never the host's
# /etc) gets private copies of /etc/passwd, /etc/shadow, /etc/group and
# /etc/pam.d with the users alice (admin group "wolfpack"), bob (read-only
# group "wolfpack-read") and carol (neither), and a wolfpack-web PAM service
# (pam_unix).  wolfpack-web runs there as nobody (every wolfpackd is told
# --web-user nobody, so it trusts that user to act for users) with the group
# shadow, on n1's address, with the certificate it generates.  From the
# client namespace, curl with that certificate checks: logins (admin 200,
# wrong password 401, carol 403, read-only bob 200), the cookie's flags and
# the security headers, /api/status against `wolfpack status --json`, an
# op without the CSRF token refused (403, nothing changed), alice's move
# changes the owner (wolfpack status) and is in the history as "alice
# (web)", bob's move 403 and nothing changed, the event stream shows an
# event after a move and ends at logout, /metrics parsed by
# prometheus_client matches status --json, path traversal refused, an
# oversized body 413, bad JSON 400, and from n2's address 5 wrong logins
# then 429 with Retry-After (logged with user and address, never the
# password) while the client's address may still log in.  ~60 s.
#
# Run as root: tests/integration/test_web_api.sh.  Own WPTC_DIR and
# WPTC_PREFIX; the cluster, the server and the files are removed on any
# exit.  Prints "N passed, N failed".

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test web
# the test's wolfpack-web runs as nobody: the daemons trust that user
export WOLFPACKD_ARGS="${WOLFPACKD_ARGS:+$WOLFPACKD_ARGS }--web-user nobody"
WEB=${WOLFPACK_WEB:-$(dirname "$WOLFPACK")/wolfpack-web}
WEBPID=
STREAMPID=
SVC_CMD="/bin/sleep 7$$"
N1=198.51.100.11
URL=https://$N1:8443
PASSWORD=Secret-$$-pw
# Debian's python3 (python3-prometheus-client), not one earlier in PATH
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

test_cleanup() {
    for p in $STREAMPID $WEBPID; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    # the service, should a node have left it behind (its own command line)
    for p in $(pgrep -x -f "$SVC_CMD"); do kill -9 "$p" 2>/dev/null; done
}
test_on_failure() {
    echo "    --- wolfpack-web's log"
    tail -20 "$TMP/web.log" 2>/dev/null | sed 's/^/    /'
}

for tool in curl openssl setpriv jq; do
    command -v "$tool" >/dev/null || {
        bad "$tool is installed (tools/install-deps)"
        finish
    }
done
"$PY" -c 'import prometheus_client' 2>/dev/null || {
    bad "python3-prometheus-client is installed (tools/install-deps)"
    finish
}
[ -x "$WEB" ] || {
    bad "$WEB is built (make)"
    finish
}
getent group shadow >/dev/null || {
    bad "the group shadow exists"
    finish
}

# ---- the cluster and a group with a service
"$TC" up 3 --no-dns >"$TMP/up" 2>&1 || {
    bad "testcluster up 3" "$(tail -20 "$TMP/up")"
    finish
}
check "n1 is ready (quorate, synced)" wait_until 60 bash -c \
    "'$TC' exec n1 '$WOLFPACK' --json status | jq -e '.ready == true and (.members | length) == 3'"
check "a group web with a service, n1 preferred" bash -c "
    '$TC' exec n1 '$WOLFPACK' group create web --policy preferred_owners=n1 >/dev/null &&
    '$TC' exec n1 '$WOLFPACK' resource create web-svc --group web --type service \
        --prop user=nobody --prop 'command=$SVC_CMD' >/dev/null &&
    '$TC' exec n1 '$WOLFPACK' group online web >/dev/null"
web_is() { # web_is "STATE OWNER", by wolfpack status on n1
    [ "$("$TC" exec n1 "$WOLFPACK" --json status |
        jq -r '.groups[] | select(.name == "web") | "\(.state) \(.owner)"')" = "$1" ]
}
owner_is() { # owner_is NODE
    [ "$("$TC" exec n1 "$WOLFPACK" --json status |
        jq -r '.groups[] | select(.name == "web") | .owner')" = "$1" ]
}
version() { "$TC" exec n1 "$WOLFPACK" --json status | jq .version; }
jqe() { jq -e "$@" >/dev/null; } # jqe FILTER FILE: FILTER holds for FILE
unchanged() { [ "$(version)" = "$1" ] && owner_is "$2"; } # unchanged VERSION OWNER
check "web is Online on n1" wait_until 60 web_is "Online n1"

# ---- n1's private user database and PAM service (n1's mount namespace only)
chmod 0711 "$TMP"
mkdir -p "$TMP/etc" "$TMP/bin" "$TMP/www" "$TMP/state"
cp /etc/passwd /etc/shadow /etc/group "$TMP/etc/"
cp -a /etc/pam.d "$TMP/etc/pam.d"
hash=$(openssl passwd -6 "$PASSWORD")
"$PY" - "$TMP/etc" "$hash" <<'EOF'
import os, sys
etc, pwhash = sys.argv[1], sys.argv[2]
def lines(name):
    with open(os.path.join(etc, name)) as f:
        return [l.rstrip("\n") for l in f if l.strip()]
passwd, shadow, group = lines("passwd"), lines("shadow"), lines("group")
used_uids = {int(l.split(":")[2]) for l in passwd}
used_gids = {int(l.split(":")[2]) for l in group}
uid = 4711
for user in ("alice", "bob", "carol"):
    while uid in used_uids or uid in used_gids:
        uid += 1
    passwd.append(f"{user}:x:{uid}:{uid}:{user}:/nonexistent:/usr/sbin/nologin")
    shadow.append(f"{user}:{pwhash}:19000:0:99999:7:::")
    group.append(f"{user}:x:{uid}:")
    used_uids.add(uid); used_gids.add(uid)
def member(gname, user):
    global group
    for i, l in enumerate(group):
        f = l.split(":")
        if f[0] == gname:
            f[3] = ",".join([m for m in f[3].split(",") if m] + [user])
            group[i] = ":".join(f)
            return
    gid = 4701
    while gid in used_gids:
        gid += 1
    used_gids.add(gid)
    group.append(f"{gname}:x:{gid}:{user}")
member("wolfpack", "alice")
member("wolfpack-read", "bob")
for name, content in (("passwd", passwd), ("shadow", shadow), ("group", group)):
    with open(os.path.join(etc, name), "w") as f:
        f.write("\n".join(content) + "\n")
EOF
printf 'auth required pam_unix.so nodelay\naccount required pam_unix.so\n' \
    >"$TMP/etc/pam.d/wolfpack-web"
chown root:shadow "$TMP/etc/shadow" && chmod 0640 "$TMP/etc/shadow"
chmod 0644 "$TMP/etc/passwd" "$TMP/etc/group"
check "n1 only: private /etc/passwd, shadow, group, pam.d bind-mounted" "$TC" exec n1 sh -c "
    for f in passwd shadow group pam.d; do mount --bind '$TMP/etc/'\$f /etc/\$f || exit 1; done"
check "... n1 knows alice, in group wolfpack" bash -c \
    "'$TC' exec n1 id -nG alice | grep -qw wolfpack"
check "... the host does not know alice" bash -c "! getent passwd alice"
check "... nor does n2" bash -c "! '$TC' exec n2 getent passwd alice"

# ---- wolfpack-web on n1 as nobody (group shadow), a page of its own
install -m 0755 "$WEB" "$TMP/bin/wolfpack-web"
printf '<!doctype html><title>wolfpack</title><p>test page</p>\n' >"$TMP/www/index.html"
chmod -R a+rX "$TMP/www"
chown nobody "$TMP/state" && chmod 0700 "$TMP/state"
: >"$TMP/web.conf" && chmod 0644 "$TMP/web.conf"
setsid "$TC" exec n1 setpriv --reuid=nobody --regid=nogroup --groups=shadow \
    "$TMP/bin/wolfpack-web" --config "$TMP/web.conf" --listen "$N1:8443" \
    --socket /run/wolfpack/wolfpackd.sock --state-dir "$TMP/state" --web-root "$TMP/www" \
    </dev/null >"$TMP/web.log" 2>&1 &
WEBPID=$!
check "wolfpack-web serves (its certificate made)" wait_until 20 test -s "$TMP/state/cert.pem"
check "... key and certificate are 0600, nobody's" bash -c \
    "[ \"\$(stat -c '%a %U' '$TMP/state/key.pem' '$TMP/state/cert.pem' | sort -u)\" = '600 nobody' ]"
CERT=$TMP/state/cert.pem
# curl from the client namespace, verifying the generated certificate
cu() { timeout -k 5 30 "$TC" exec client curl -sS --cacert "$CERT" -H 'Content-Type: application/json' "$@"; }
page_ok() { cu "$URL/" | grep -q 'test page'; }
check "the page, over TLS verified with the generated certificate" wait_until 20 page_ok

# code METHOD-ARGS...: only the HTTP status
code() { cu -o "$TMP/body" -w '%{http_code}' "$@"; }
login_json() { printf '{"user":"%s","password":"%s"}' "$1" "$2"; }

# ---- logins
c=$(code -D "$TMP/hdr" -c "$TMP/alice.jar" -H 'Content-Type: application/json' \
    -d "$(login_json alice "$PASSWORD")" "$URL/api/login")
check "alice logs in: 200" test "$c" = 200
check "... role admin, a CSRF token" jqe '.user == "alice" and .role == "admin" and
    (.csrf | test("^[0-9a-f]{64}$"))' "$TMP/body"
ACSRF=$(jq -r .csrf "$TMP/body")
check "... the cookie is Secure, HttpOnly, SameSite=Strict, Path=/" grep -Eiq \
    '^set-cookie: wp_session=[0-9a-f]{64}; Secure; HttpOnly; SameSite=Strict; Path=/' "$TMP/hdr"
c=$(code -d "$(login_json alice wrong-password)" "$URL/api/login")
check "a wrong password: 401" test "$c" = 401
check "... with what, why, to do" jqe '.error.what and .error.why and .error.todo' "$TMP/body"
c=$(code -d "$(login_json carol "$PASSWORD")" "$URL/api/login")
check "carol (in neither group): 403" test "$c" = 403
check "... naming both groups" jqe '.error.why | test("wolfpack.*wolfpack-read")' "$TMP/body"
c=$(code -c "$TMP/bob.jar" -d "$(login_json bob "$PASSWORD")" "$URL/api/login")
check "bob logs in: 200, role read" bash -c "[ $c = 200 ] && jq -e '.role == \"read\"' '$TMP/body'"
BCSRF=$(jq -r .csrf "$TMP/body")
c=$(code -d '{"user":"alice",' "$URL/api/login")
check "bad JSON: 400" test "$c" = 400
c=$(timeout -k 5 30 "$TC" exec client curl -sS --cacert "$CERT" -o "$TMP/body" -w '%{http_code}' \
    -d "$(login_json alice "$PASSWORD")" "$URL/api/login")
check "a login not declared as JSON (what an HTML form sends): 415" test "$c" = 415
c=$(code "$URL/api/status")
check "/api/status without a session: 401" test "$c" = 401

# ---- status
c=$(code -D "$TMP/hdr" -b "$TMP/alice.jar" "$URL/api/status")
check "alice: /api/status 200" test "$c" = 200
cp "$TMP/body" "$TMP/api-status"
"$TC" exec n1 "$WOLFPACK" --json status >"$TMP/cli-status"
check "... the same nodes as wolfpack status --json" bash -c "[ \"\$(jq -c '[.nodes[].name] | sort' '$TMP/api-status')\" = \
    \"\$(jq -c '[.nodes[].name] | sort' '$TMP/cli-status')\" ] && jq -e '(.nodes | length) == 3' '$TMP/api-status'"
check "... the same group owners" bash -c "[ \"\$(jq -c '[.groups[] | [.name, .owner]] | sort' '$TMP/api-status')\" = \
    \"\$(jq -c '[.groups[] | [.name, .owner]] | sort' '$TMP/cli-status')\" ]"
check "... the same resources (wolfpack status --json carries them)" bash -c "[ \"\$(jq -c '[.resources[] | [.name, .group, .state]] | sort' '$TMP/api-status')\" = \
    \"\$(jq -c '[.resources[] | [.name, .group, .state]] | sort' '$TMP/cli-status')\" ] && jq -e '(.resources | length) >= 1' '$TMP/api-status' >/dev/null"
for h in "Content-Security-Policy: default-src 'self'" "X-Content-Type-Options: nosniff" \
    "X-Frame-Options: DENY" "Referrer-Policy: no-referrer" "Strict-Transport-Security: max-age" \
    "Cache-Control: no-store"; do
    check "... header $h" grep -Fiq "$h" "$TMP/hdr"
done

# ---- actions: CSRF, alice's move, bob's refusal
v0=$(version)
c=$(code -b "$TMP/alice.jar" -d '{"op":"group.move","args":{"name":"web","to":"n2"}}' "$URL/api/op")
check "a move without X-CSRF-Token: 403" test "$c" = 403
check "... says CSRF" jqe '.error.what | test("CSRF")' "$TMP/body"
c=$(code -b "$TMP/alice.jar" -H "X-CSRF-Token: $BCSRF" \
    -d '{"op":"group.move","args":{"name":"web","to":"n2"}}' "$URL/api/op")
check "... with another session's token: 403" test "$c" = 403
check "... nothing changed (database version, owner n1)" unchanged "$v0" n1

# the event stream of alice's session, opened before the move
timeout -k 5 30 "$TC" exec client curl -sS --cacert "$CERT" -N -b "$TMP/alice.jar" \
    "$URL/api/events" >"$TMP/events" 2>&1 &
STREAMPID=$!
check "alice's event stream opens" wait_until 10 grep -q '^: connected' "$TMP/events"

c=$(code -b "$TMP/alice.jar" -H "X-CSRF-Token: $ACSRF" \
    -d '{"op":"group.move","args":{"name":"web","to":"n2"}}' "$URL/api/op")
check "alice moves web to n2: 200, applied" bash -c \
    "[ $c = 200 ] && jq -e '.ok == true and .result.applied == true' '$TMP/body'"
check "... wolfpack status: owner n2" wait_until 30 owner_is n2
vmove=$(jq .version "$TMP/body")
c=$(code -b "$TMP/alice.jar" "$URL/api/status?version=$vmove")
check "... /api/status?version= of the move (what the page asks after its event): owner n2, not an older cached status" \
    bash -c "[ $c = 200 ] && jq -e '.version >= $vmove and (.groups[] | select(.name == \"web\") | .owner == \"n2\")' '$TMP/body' >/dev/null"
check "... the event carries the daemon's apply time (at_ms)" wait_until 10 grep -Eq \
    '^data: \{"event":"applied".*"op":"group.move".*"at_ms":[0-9]{13}' "$TMP/events"
check "... the event stream shows the move" wait_until 10 grep -q \
    '^data: {"event":"applied".*"op":"group.move"' "$TMP/events"
kill "$STREAMPID" 2>/dev/null && wait "$STREAMPID" 2>/dev/null
STREAMPID=
check "... wolfpack history: alice (web) moved it" bash -c "
    '$TC' exec n2 '$WOLFPACK' --json history |
    jq -e '[.[] | select(.op == \"group.move\")] | last | .user == \"alice (web)\" and .args.name == \"web\"'"
c=$(code -b "$TMP/alice.jar" "$URL/api/history?since=$v0")
check "... /api/history?since= shows it too" bash -c "[ $c = 200 ] &&
    jq -e 'length >= 1 and all(.[]; .version > $v0) and any(.[]; .user == \"alice (web)\")' '$TMP/body'"

v1=$(version)
c=$(code -b "$TMP/bob.jar" -H "X-CSRF-Token: $BCSRF" \
    -d '{"op":"group.move","args":{"name":"web","to":"n3"}}' "$URL/api/op")
check "bob (read-only) moves web: 403" test "$c" = 403
check "... wolfpackd's refusal naming bob and the read-only group" jqe \
    '.error.code == "permission" and (.error.why | test("\"bob\".*read-only group"))' "$TMP/body"
check "... nothing changed (version, owner n2)" unchanged "$v1" n2
c=$(code -b "$TMP/bob.jar" "$URL/api/status")
check "... bob may read the status" test "$c" = 200
c=$(code -b "$TMP/alice.jar" -H "X-CSRF-Token: $ACSRF" -d '{"op":"group.show","args":{"name":"nope"}}' \
    "$URL/api/op")
check "an op on a missing group: 404 with wolfpackd's message" bash -c \
    "[ $c = 404 ] && jq -e '.error.code == \"not-found\"' '$TMP/body'"
c=$(code -b "$TMP/alice.jar" -H "X-CSRF-Token: $ACSRF" -d '{"op":"group.move","args":{"name":"web"},"as":"root"}' \
    "$URL/api/op")
check "an op request with \"as\": 400 (only op and args)" test "$c" = 400

# ---- metrics (the lifetime counters of a failover: at the end)
c=$(code "$URL/metrics")
cp "$TMP/body" "$TMP/metrics"
"$TC" exec n1 "$WOLFPACK" --json status >"$TMP/cli-status"
check "/metrics: 200 without login" test "$c" = 200
check_shown "... parses (prometheus_client) and matches status --json" \
    "$PY" - "$TMP/metrics" "$TMP/cli-status" <<'EOF'
import json, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
st = json.load(open(sys.argv[2]))
samples = {}
for fam in text_string_to_metric_families(text):
    for s in fam.samples:
        samples.setdefault(s.name, []).append(s)
def one(name):
    return samples[name][0].value
members = set(st["members"])
up = sum(1 for n in st["nodes"] if n["id"] in members)
online = sum(1 for g in st["groups"] if g["state"] == "Online")
errors = []
def want(what, got, expected):
    if got != expected:
        errors.append(f"{what}: metrics {got}, status {expected}")
want("wolfpack_up", one("wolfpack_up"), 1)
want("nodes up", one("wolfpack_nodes_up"), up)
want("nodes", one("wolfpack_nodes"), len(st["nodes"]))
want("quorate", one("wolfpack_quorate"), 1 if st["quorate"] else 0)
want("groups online", one("wolfpack_groups_online"), online)
want("database version", one("wolfpack_database_version"), st["version"])
want("votes", one("wolfpack_votes"), st["replication"]["votes"])
want("expected votes", one("wolfpack_expected_votes"), st["replication"]["expected_votes"])
owners = {s.labels["group"]: s.labels["node"] for s in samples.get("wolfpack_group_owner", [])}
want("owners", owners, {g["name"]: g["owner"] for g in st["groups"] if g["owner"]})
states = {s.labels["group"]: s.labels["state"] for s in samples["wolfpack_group_state"] if s.value == 1}
want("group states", states, {g["name"]: g["state"] for g in st["groups"]})
node_up = {s.labels["node"]: s.value for s in samples["wolfpack_node_up"]}
want("node_up", node_up, {n["name"]: (1 if n["id"] in members else 0) for n in st["nodes"]})
rstates = {s.labels["resource"]: s.labels["state"] for s in samples.get("wolfpack_resource_state", []) if s.value == 1}
want("resource states", rstates, {r["name"]: r["state"] for r in st.get("resources", [])})
# alice's move was submitted on this node: one commit at least, timed
want("commit latency observed", one("wolfpack_commit_latency_seconds_count") >= 1, True)
want("commit latency +Inf bucket = count", samples["wolfpack_commit_latency_seconds_bucket"][-1].value,
     one("wolfpack_commit_latency_seconds_count"))
print("\n".join(errors))
sys.exit(1 if errors or up != 3 or online < 1 else 0)
EOF

# ---- refusals of bad requests
c=$(cu -o "$TMP/body" -w '%{http_code}' --path-as-is "$URL/../../../../../../../../etc/passwd")
check "path traversal /../../(...)/etc/passwd: 404, no file" bash -c "[ $c = 404 ] && ! grep -q 'root:' '$TMP/body'"
c=$(cu -o "$TMP/body" -w '%{http_code}' --path-as-is "$URL/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd")
check "... %2e%2e too" bash -c "[ $c = 404 ] && ! grep -q 'root:' '$TMP/body'"
head -c 70000 /dev/zero | tr '\0' 'a' >"$TMP/big"
# with Expect: 100-continue the server's 413 comes before the body is sent
# (without it, the server's early answer and close race curl's sending: a
# broken pipe on curl's side, as with any server that refuses early)
c=$(code -b "$TMP/alice.jar" -H "X-CSRF-Token: $ACSRF" -H 'Expect: 100-continue' \
    --data-binary "@$TMP/big" "$URL/api/op")
check "a 70000-byte body: 413" test "$c" = 413
c=$(code -X DELETE -b "$TMP/alice.jar" "$URL/api/status")
check "a wrong method: 405" test "$c" = 405

# ---- logout ends the session and its event stream
timeout -k 5 30 "$TC" exec client curl -sS --cacert "$CERT" -N -b "$TMP/bob.jar" \
    "$URL/api/events" >"$TMP/bob-events" 2>&1 &
STREAMPID=$!
check "bob's event stream opens" wait_until 10 grep -q '^: connected' "$TMP/bob-events"
c=$(code -b "$TMP/bob.jar" "$URL/api/logout" -X POST)
check "logout without the CSRF token: 403" test "$c" = 403
c=$(code -b "$TMP/bob.jar" -H "X-CSRF-Token: $BCSRF" -X POST "$URL/api/logout")
check "bob logs out: 204" test "$c" = 204
check "... his event stream ends" wait_until 10 bash -c "! kill -0 $STREAMPID"
wait "$STREAMPID" 2>/dev/null
STREAMPID=
c=$(code -b "$TMP/bob.jar" "$URL/api/session")
check "... his session is gone: 401" test "$c" = 401

# ---- the rate limit, from n2's address (the client's stays usable)
codes=""
for _ in 1 2 3 4 5 6; do
    codes="$codes $(timeout -k 5 30 "$TC" exec n2 curl -sS --cacert "$CERT" -o "$TMP/body" \
        -H 'Content-Type: application/json' -D "$TMP/hdr" -w '%{http_code}' \
        -d "$(login_json mallory "guess-$$")" "$URL/api/login")"
done
check "from n2: 5 wrong logins 401, the 6th 429" test "$codes" = " 401 401 401 401 401 429"
check "... with Retry-After" grep -Eiq '^retry-after: [0-9]+' "$TMP/hdr"
c=$(timeout -k 5 30 "$TC" exec n2 curl -sS --cacert "$CERT" -o "$TMP/body" -w '%{http_code}' \
    -H 'Content-Type: application/json' -d "$(login_json alice "$PASSWORD")" "$URL/api/login")
check "... then even alice's right password from n2: 429" test "$c" = 429
c=$(code -d "$(login_json alice "$PASSWORD")" "$URL/api/login")
check "... while alice from the client logs in: 200" test "$c" = 200
check "failed logins are logged with user and address" grep -q \
    'failed login of user mallory from 198.51.100.12' "$TMP/web.log"
check "... passwords never" bash -c "! grep -q -e 'guess-$$' -e '$PASSWORD' '$TMP/web.log'"

# ---- a failover: the lifetime counters and the duration histogram grow
scrape() { # scrape FILE: /metrics into FILE
    timeout -k 5 30 "$TC" exec client curl -sS --cacert "$CERT" -o "$1" "$URL/metrics"
}
metric() { # metric FILE NAME: the unlabelled sample's value (prometheus_client's parser)
    "$PY" - "$1" "$2" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        if s.name == sys.argv[2] and not s.labels:
            print(int(s.value)); sys.exit(0)
sys.exit(1)
EOF
}
"$TC" exec n1 "$WOLFPACK" group move web --to n3 >/dev/null 2>&1
check "web moved to n3 (CLI)" wait_until 60 web_is "Online n3"
scrape "$TMP/m0"
f0=$(metric "$TMP/m0" wolfpack_failovers_total)
h0=$(metric "$TMP/m0" wolfpack_failover_duration_seconds_count)
check "/metrics before a failover: the counters are there ($f0 failovers, $h0 timed)" \
    test -n "$f0" -a -n "$h0"
"$TC" kill n3 >/dev/null 2>&1
check "owner n3 killed: web Online on a survivor" wait_until 90 bash -c \
    "'$TC' exec n1 '$WOLFPACK' --json status | jq -e '.groups[] | select(.name == \"web\") |
        .state == \"Online\" and (.owner == \"n1\" or .owner == \"n2\")' >/dev/null"
scrape "$TMP/m1"
f1=$(metric "$TMP/m1" wolfpack_failovers_total)
h1=$(metric "$TMP/m1" wolfpack_failover_duration_seconds_count)
check "... wolfpack_failovers_total grew ($f0 -> $f1)" test "${f1:-0}" -gt "${f0:-0}"
check "... wolfpack_failover_duration_seconds_count grew ($h0 -> $h1)" test "${h1:-0}" -gt "${h0:-0}"

check "wolfpack-web still runs" kill -0 "$WEBPID"
kill -TERM "$WEBPID"
rc=0
wait "$WEBPID" || rc=$?
WEBPID=
check "... and exits 0 on SIGTERM" test "$rc" = 0
check "... with no sanitizer report in its log" bash -c \
    "! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' '$TMP/web.log'"
finish
