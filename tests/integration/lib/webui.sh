# tests/integration/lib/webui.sh -- what the web console's browser test
# (test_web_browser.sh) and its benchmark (bench/bench_web.sh) share: test
# users for PAM in one node's own /etc, wolfpack-web started on that node
# with the page of this checkout, and the browser driver (web_browser.py)
# run from the cluster's client network namespace.  Sourced after
# lib/checks.sh and cluster_test (needs REPO, TC, TMP, WPTC_PREFIX).
# shellcheck shell=bash

WEBUI_ADMIN=wpadmin
WEBUI_READER=wpreader
WEBUI_ADMIN_PW="admin-pw-$$"
WEBUI_READER_PW="read-pw-$$"
WEBUI_PID=""

# webui_browser_missing: the browser pieces that are not installed ("" if none).
webui_browser_missing() {
    local p missing=""
    for p in /usr/bin/chromium /usr/bin/chromedriver; do
        [ -x "$p" ] || missing="$missing $p"
    done
    /usr/bin/python3 -c 'import selenium' 2>/dev/null || missing="$missing python3-selenium"
    echo "$missing"
}

# webui_users NODE: the test users in NODE's own /etc (bind mounts in its
# mount namespace only; the host's /etc is never touched): wpadmin in the
# daemon's admin group "wolfpack", wpreader in its read group
# "wolfpack-read", and a PAM service wolfpack-web (pam_unix).
webui_users() {
    local node=$1 e=$TMP/etc hash f
    mkdir -p "$e" && cp -a /etc/pam.d "$e/pam.d" || return 1
    cp /etc/passwd /etc/group /etc/shadow "$e/" || return 1
    printf 'auth required pam_unix.so\naccount required pam_unix.so\n' >"$e/pam.d/wolfpack-web"
    echo "$WEBUI_ADMIN:x:61001:61001::/nonexistent:/usr/sbin/nologin" >>"$e/passwd"
    echo "$WEBUI_READER:x:61002:61002::/nonexistent:/usr/sbin/nologin" >>"$e/passwd"
    hash=$(openssl passwd -6 "$WEBUI_ADMIN_PW") || return 1
    echo "$WEBUI_ADMIN:$hash:20000:0:99999:7:::" >>"$e/shadow"
    hash=$(openssl passwd -6 "$WEBUI_READER_PW") || return 1
    echo "$WEBUI_READER:$hash:20000:0:99999:7:::" >>"$e/shadow"
    {
        echo "$WEBUI_ADMIN:x:61001:"
        echo "$WEBUI_READER:x:61002:"
        grep -q '^wolfpack:' /etc/group || echo "wolfpack:x:61010:"
        grep -q '^wolfpack-read:' /etc/group || echo "wolfpack-read:x:61011:"
    } >>"$e/group"
    sed -i -e "/^wolfpack:/s/\$/,$WEBUI_ADMIN/" -e "/^wolfpack-read:/s/\$/,$WEBUI_READER/" \
        -e '/^wolfpack\(-read\)\?:/s/:,/:/' "$e/group"
    for f in passwd group shadow pam.d; do
        "$TC" exec "$node" mount --bind "$e/$f" "/etc/$f" || return 1
    done
}

# webui_start NODE ADDRESS: wolfpack-web on NODE at https://ADDRESS:8443
# (as root, defaults, the page from ${WEB_ROOT:-web/}, a self-signed
# certificate in TMP); WEBUI_PID is its PID.  Its output: $TMP/web.log.
webui_start() {
    local node=$1 addr=$2 web=${WOLFPACK_WEB:-$REPO/${BUILD:-build}/wolfpack-web}
    mkdir -p "$TMP/webstate"
    : >"$TMP/web.conf" # the defaults, whatever /etc/wolfpack/web.conf says
    "$TC" exec "$node" "$web" --config "$TMP/web.conf" --listen "$addr:8443" \
        --web-root "${WEB_ROOT:-$REPO/web}" --state-dir "$TMP/webstate" >"$TMP/web.log" 2>&1 &
    WEBUI_PID=$!
    wait_until 30 "$TC" exec client curl -skf -o /dev/null "https://$addr:8443/"
}

# webui_driver ARGS...: web_browser.py in the client's network namespace
# (nsenter --net only: `ip netns exec` would make a mount namespace of its
# own, from which the driver's `testcluster exec NODE` cannot enter a
# node's), with a HOME of its own in TMP (Chromium writes there).
webui_driver() {
    mkdir -p "$TMP/home"
    nsenter --net="/run/netns/${WPTC_PREFIX}client" -- env HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home" \
        XDG_CACHE_HOME="$TMP/home" /usr/bin/python3 "$REPO/tests/integration/web_browser.py" "$@"
}

# webui_stop: wolfpack-web, and every process in the client's network
# namespace (the driver, chromedriver, Chromium: the namespace is the
# test's own), by PID.
webui_stop() {
    local p
    [ -n "$WEBUI_PID" ] && kill "$WEBUI_PID" 2>/dev/null
    for p in $(ip netns pids "${WPTC_PREFIX}client" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    return 0
}
