#!/bin/bash
# tests/cli/test_web_conf.sh -- wolfpack-web's settings (docs/WEB.md):
#   - a bad /etc/wolfpack/web.conf or option stops it before it serves
#     (exit 2, FILE:LINE and what to do): unknown key, bad listen, bad
#     session-idle, metrics-token on the command line, a stray argument;
#     cert without key, an unreadable certificate (exit 1);
#   - in a network namespace of its own (loopback only; the host's network
#     is not touched), against a solo wolfpackd: metrics-token makes
#     /metrics answer 401 without or with a wrong bearer token and 200 with
#     it; the self-signed certificate made on the first start is reused by
#     the next; SIGTERM ends it with exit 0.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

WEB=${WOLFPACK_WEB:-$(dirname "$WOLFPACK")/wolfpack-web}
if [ ! -x "$WEB" ] || ! command -v curl >/dev/null || ! command -v unshare >/dev/null ||
    [ "$(id -u)" -ne 0 ]; then
    fail "this test needs $WEB (make), curl, unshare and root"
    finish
fi
web() { timeout -k 5 20 "$WEB" "$@" >"$OUT" 2>"$ERR"; }
conf() { printf '%s\n' "$@" >"$TMP/web.conf"; }

# ---- refused settings
expect_web() { # CODE DESC ARGS...: wolfpack-web exits CODE
    local code=$1 desc=$2 rc=0
    shift 2
    web "$@" || rc=$?
    if [ "$rc" = "$code" ]; then pass "$desc"; else fail "$desc (exit $rc, expected $code)"; fi
}
expect_web 0 "--version" --version
expect_out "... prints wolfpack-web VERSION" '^wolfpack-web [0-9]'
conf "# a comment" "listn = 127.0.0.1:8443"
expect_web 2 "an unknown key in web.conf: exit 2" --config "$TMP/web.conf"
expect_err "... names file, line and key" "web.conf:2: unknown key \"listn\""
conf "listen = 127.0.0.1"
expect_web 2 "listen without a port: exit 2" --config "$TMP/web.conf"
expect_err "... says what it must be and what to do" 'is not an IPv4 ADDR:PORT'
expect_err "... with an example" 'listen = 0.0.0.0:8443'
conf "session-idle = 5"
expect_web 2 "session-idle = 5: exit 2" --config "$TMP/web.conf"
: >"$TMP/web.conf"
expect_web 2 "--metrics-token on the command line: exit 2 (file only)" \
    --config "$TMP/web.conf" --metrics-token x
expect_web 2 "a stray argument: exit 2" --config "$TMP/web.conf" extra
expect_web 2 "--listen 999.1.1.1:80: exit 2" --config "$TMP/web.conf" --listen 999.1.1.1:80
expect_web 1 "--cert without --key: exit 1" --config "$TMP/web.conf" --cert /etc/hostname \
    --state-dir "$TMP/state" --socket "$SOCK"
expect_err "... cert and key go together" 'cert and key go together'
expect_web 1 "an unreadable certificate: exit 1" --config "$TMP/web.conf" \
    --cert "$TMP/missing.pem" --key "$TMP/missing.pem" --socket "$SOCK"
expect_err "... names it" "cannot read the certificate $TMP/missing.pem"
check "nothing was made in the state directory by the refusals" test ! -e "$TMP/state"

# ---- serving, in a network namespace of its own
start_daemon
conf "metrics-token = tok-$$" "listen = 127.0.0.1:8443"
mkdir -p "$TMP/www" && echo '<p>page</p>' >"$TMP/www/index.html"
cat >"$TMP/inner.sh" <<'INNER'
# runs in a new network namespace: only its own loopback
set -u
web=$1 tmp=$2 sock=$3 token=$4
ip link set lo up || { echo "FAIL loopback up"; exit 0; }
say() { if "${@:2}" >/dev/null 2>&1; then echo "ok   $1"; else echo "FAIL $1"; fi; }
serve() {
    "$web" --config "$tmp/web.conf" --socket "$sock" --state-dir "$tmp/state" \
        --web-root "$tmp/www" >>"$tmp/web.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        [ -s "$tmp/state/cert.pem" ] && curl -s -o /dev/null --cacert "$tmp/state/cert.pem" \
            https://127.0.0.1:8443/ && return 0
        sleep 0.1
    done
    return 1
}
status() { curl -s -o "$tmp/body" -D "$tmp/hdr" -w '%{http_code}' --cacert "$tmp/state/cert.pem" "$@"; }
say "wolfpack-web serves on 127.0.0.1:8443 with a certificate it made" serve
say "/metrics without the token: 401" test "$(status https://127.0.0.1:8443/metrics)" = 401
say "... WWW-Authenticate: Bearer" grep -qi '^www-authenticate: bearer' "$tmp/hdr"
say "/metrics with a wrong token: 401" test "$(status -H 'Authorization: Bearer nope' \
    https://127.0.0.1:8443/metrics)" = 401
say "/metrics with the token: 200" test "$(status -H "Authorization: Bearer $token" \
    https://127.0.0.1:8443/metrics)" = 200
say "... wolfpackd answered (wolfpack_up 1)" grep -qx 'wolfpack_up 1' "$tmp/body"
say "... Prometheus text format" grep -qi '^content-type: text/plain; version=0.0.4' "$tmp/hdr"
say "a missing file: 404 with the security headers" test "$(status https://127.0.0.1:8443/x.js)" = 404
say "... Content-Security-Policy" grep -qi "^content-security-policy: default-src 'self'" "$tmp/hdr"
cp "$tmp/state/cert.pem" "$tmp/first.pem"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
say "SIGTERM: exit 0" test "$rc" = 0
say "a second start serves again" serve
say "... with the certificate of the first" cmp -s "$tmp/first.pem" "$tmp/state/cert.pem"
kill -TERM "$pid"
wait "$pid"
INNER
timeout -k 5 60 unshare --net bash "$TMP/inner.sh" "$WEB" "$TMP" "$SOCK" "tok-$$" >"$TMP/inner.out" 2>&1
while IFS= read -r line; do
    case $line in
    "ok   "*) pass "${line#ok   }" ;;
    "FAIL "*) fail "${line#FAIL }" ;;
    *) echo "    $line" ;;
    esac
done <"$TMP/inner.out"
check "the served part ran all its checks" test "$(grep -c -E '^(ok|FAIL) ' "$TMP/inner.out")" -eq 12
check "the key is 0600" test "$(stat -c %a "$TMP/state/key.pem")" = 600
check "no sanitizer report from wolfpack-web" bash -c \
    "! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' '$TMP/web.log'"
finish
