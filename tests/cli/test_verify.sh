#!/bin/bash
# test_verify.sh -- `wolfpack verify`: the whole configuration checked as
# crm_verify does.  From an export file (--file, no daemon): every rule of
# src/cli/verify.c on a configuration built to break it, each finding
# named; a file that is not an export is exit 2.  Against a real wolfpackd
# --solo: a new cluster is valid (exit 0), an empty group is a warning
# (exit 8), an OCF resource whose parameter the agent's meta-data does not
# know is refused by `resource create` (exit 2; --force creates it with a
# warning) and an error of verify (exit 9), a value the agent's
# validate-all refuses is refused by `resource create` (exit 2),
# --no-local leaves the node's checks out; a missing program is a warning of `resource create`.
# The unknown-verb message lists every verb.
. "$(dirname "$0")/lib.sh"

# expect_status CODE DESC CMD...: exit status CODE, whatever the output.
expect_status() {
    local code=$1 desc=$2 rc
    shift 2
    rc=$(_status_of "$@")
    if [ "$rc" -eq "$code" ]; then pass "$desc"; else fail "$desc (exit $rc, expected $code)"; fi
}
finding() { # finding LEVEL OBJECT REGEX: a finding of --json output in $OUT
    jq -e --arg l "$1" --arg o "$2" --arg m "$3" \
        'any(.findings[]; .level == $l and .object == $o and (.message | test($m)))' "$OUT"
}

mkdir -p "$TMP"
bad=$TMP/bad.json
cat >"$bad" <<'JSON'
{"format": "wolfpack-export-1", "cluster": "c",
 "nodes": [{"name": "n1", "id": 1, "address": "198.51.100.1"},
           {"name": "n2", "id": 2, "address": "198.51.100.2"}],
 "groups": [{"name": "web", "policy": {"possible_owners": "n1,n9"}},
            {"name": "empty", "policy": {}},
            {"name": "WEB", "policy": {"failback": "sometimes"}}],
 "resources": [
  {"name": "ip1", "group": "web", "type": "IP Address", "props": {"address": "198.51.100.10/24"}},
  {"name": "ip2", "group": "web", "type": "IP Address", "props": {"address": "198.51.100.10/25"}},
  {"name": "nn", "group": "web", "type": "Network Name", "props": {"hostname": "web"}},
  {"name": "a", "group": "web", "type": "Generic Service",
   "props": {"command": "/nonexistent/prog"}, "depends_on": ["b"]},
  {"name": "b", "group": "web", "type": "Generic Service",
   "props": {"command": "/bin/true"}, "depends_on": ["a", "ghost"]},
  {"name": "o", "group": "nogroup", "type": "OCF", "props": {"agent": "ocf:wptest:none"}},
  {"name": "s", "group": "web", "type": "Generic Service", "props": {}},
  {"name": "t", "group": "web", "type": "Teapot"},
  {"name": "d1", "group": "web", "type": "Physical Disk",
   "props": {"device": "/dev/wptest-none", "mountpoint": "/srv/x", "fstype": "ext4"}},
  {"name": "d2", "group": "web", "type": "Physical Disk",
   "props": {"device": "/dev/wptest-none", "mountpoint": "/srv/y", "fstype": "ext4"}}],
 "fence_devices": [{"name": "f1", "agent": "fence_x", "nodes": ["n3"]}], "apps": []}
JSON

expect_status 9 "verify --file of a broken configuration: errors (exit 9)" \
    "$WOLFPACK" --json verify --file "$bad"
check "--json: valid false, counts match the findings" jq -e \
    '.valid == false and .errors == ([.findings[] | select(.level == "error")] | length) and
     .warnings == ([.findings[] | select(.level == "warning")] | length) and .errors > 0' "$OUT"
check "a name used twice (web, WEB)" finding error "group WEB" "used by two groups"
check "a bad group policy" finding error "group WEB" "failback"
check "an owner that is not a node" finding warning "group web" "node 'n9'"
check "a group that cannot fail over" finding warning "group web" "1 of the cluster's 2 nodes"
check "an empty group" finding warning "group empty" "no resources"
check "a group that does not exist" finding error "resource o" "group 'nogroup' does not exist"
check "an unknown type" finding error "resource t" "Teapot"
check "properties the type refuses (neither command nor unit)" finding error "resource s" "command|unit"
check "a dependency on nothing" finding error "resource b" "depends on 'ghost'"
check "a dependency cycle" finding error "resource a" "cycle"
check "the same address twice (prefix aside)" finding error "resource ip2" "198.51.100.10 is also that of resource ip1"
check "the same device twice" finding error "resource d2" "device /dev/wptest-none"
check "a Network Name without an IP Address under it" finding warning "resource nn" "no IP Address"
check "a fence device for a node not in the cluster" finding warning "fence device f1" "node 'n3'"
check "local: an OCF agent not installed here" finding warning "resource o" "not installed"
check "local: a program that is not here" finding warning "resource a" "/nonexistent/prog"
check "local: a device that is not here" finding warning "resource d1" "/dev/wptest-none"

expect_status 9 "verify --file --no-local" "$WOLFPACK" --json verify --file "$bad" --no-local
check "--no-local: no finding of this node" jq -e \
    'all(.findings[]; .message | test("on this node") | not) and .errors > 0' "$OUT"
expect_status 9 "verify --file (text)" "$WOLFPACK" verify --file "$bad"
expect_out "text: one line per finding" '^ERROR: +resource b: it depends on .ghost.'
expect_out "text: the way out under it" '^ +to do: remove the dependency'
expect_out "text: a summary" '^Configuration invalid: [0-9]+ errors, [0-9]+ warnings$'

echo '{"format": "something else"}' >"$TMP/other.json"
expect_status 9 "a file that is not an export: an error finding" "$WOLFPACK" verify --file "$TMP/other.json"
expect_out "it says what it expected" "wolfpack-export-1"
echo '{not json' >"$TMP/broken.json"
expect_status 2 "a file that is not JSON: exit 2" "$WOLFPACK" verify --file "$TMP/broken.json"
expect_err "it names the file and the line" "broken.json.*|line 1"
expect_status 2 "verify takes no argument" "$WOLFPACK" verify extra
expect_status 0 "verify --help" "$WOLFPACK" verify --help
expect_out "--help explains the exit statuses" "0 valid, 8 warnings only, 9 errors"

# --- against the running cluster --------------------------------------------------
start_daemon
expect_status 0 "a new cluster is valid (exit 0)" "$WOLFPACK" --socket "$SOCK" verify
expect_out "it says so" '^Configuration valid: no errors, no warnings$'
expect_ok "create group vweb" wp group create vweb
expect_status 8 "an empty group: warnings only (exit 8)" "$WOLFPACK" --socket "$SOCK" verify
expect_out "the warning names the group" '^WARNING: group vweb: the group has no resources'
expect_out "the configuration is still valid" '^Configuration valid: 0 errors, 1 warning$'
expect_ok "a service in vweb" wp resource create vweb-svc --group vweb --type service --prop user=root \
    --prop "command=/bin/sleep 7$$"
expect_status 0 "valid again" "$WOLFPACK" --socket "$SOCK" verify
if [ -x /usr/lib/ocf/resource.d/heartbeat/Dummy ]; then
    expect_fail 2 "resource create: a parameter Dummy's meta-data does not know is refused" \
        wp resource create vweb-ocf --group vweb --type ocf \
        --prop agent=ocf:heartbeat:Dummy --prop nosuchparam=1
    expect_err "the refusal names the parameter" "has no parameter 'nosuchparam'"
    expect_err "and says nothing was changed" "nothing was changed"
    expect_ok "--force creates it anyway" wp resource create vweb-ocf --group vweb --type ocf \
        --prop agent=ocf:heartbeat:Dummy --prop nosuchparam=1 --force
    expect_err "with the refusal as a warning" "^warning: resource vweb-ocf: .*nosuchparam.*--force"
    expect_fail 2 "resource create: Dummy's validate-all refuses a state file it cannot write" \
        wp resource create vweb-val --group vweb --type ocf \
        --prop agent=ocf:heartbeat:Dummy --prop state=/nonexistent-wp$$/x.state
    expect_err "the refusal names validate-all, its code and the agent's reason" \
        "validate-all. failed with OCF_ERR_ARGS \(2\): .*not writable"
    expect_ok "a writable state file passes validate-all" wp resource create vweb-val \
        --group vweb --type ocf --prop agent=ocf:heartbeat:Dummy --prop "state=$TMP/x.state"
    expect_ok "resource delete vweb-val" wp resource delete vweb-val
    expect_status 9 "verify: the agent's meta-data refuses it (exit 9)" \
        "$WOLFPACK" --socket "$SOCK" --json verify
    check "the finding names the parameter" finding error "resource vweb-ocf" "no parameter 'nosuchparam'"
    expect_status 0 "--no-local leaves the meta-data check out" \
        "$WOLFPACK" --socket "$SOCK" verify --no-local
else
    echo "skip the OCF meta-data check: resource-agents is not installed"
fi
expect_ok "resource create: a program that is not on this node is a warning" \
    wp resource create vweb-miss --group vweb --type service --prop user=root --prop "command=/nonexistent/wp$$"
expect_err "the warning names the program" "^warning: resource vweb-miss: on this node .*/nonexistent/wp$$"
expect_ok "resource delete vweb-miss" wp resource delete vweb-miss
expect_ok "cluster export" wp cluster export
cp "$OUT" "$TMP/export.json"
expect_status 0 "the export verifies as a file too (--no-local)" \
    "$WOLFPACK" verify --file "$TMP/export.json" --no-local

expect_status 2 "an unknown verb" "$WOLFPACK" --socket "$SOCK" frobnicate
for v in status cluster node group resource disk app fence history verify; do
    expect_err "the unknown-verb message lists $v" "expected one of:.*\\b$v\\b"
done
finish
