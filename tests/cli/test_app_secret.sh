#!/bin/bash
# test_app_secret.sh -- secret kit parameters through the real CLI
# (docs/SECURITY.md, "Secrets"): a kit with a hash-list, a file and a plain
# parameter, installed standalone under a temporary root.  `app inspect`,
# `app install`, `app show`, `app list` and `app config` (human and --json)
# never print a password nor its hash; the install record holds the
# passwords only as {CRYPT}$y$ hashes that crypt(3) verifies, the file
# secret only in a 0600 file; `app config` changes a secret without
# printing it and leaves the other secrets' hashes alone; remove takes the
# secret file away.  Fails on wolfpack before secrets (it printed and
# stored the passwords).
. "$(dirname "$0")/lib.sh"

ROOT=$TMP/root
KIT=$TMP/kit
export WOLFPACK_APP_ROOT=$ROOT
REC=$ROOT/var/lib/wolfpack/apps/secretapp.json
SECRET_FILE=$ROOT/var/lib/wolfpack/apps/secretapp.secrets/token
mkdir -p "$KIT"
cat >"$KIT/kit.yaml" <<'EOF'
name: secretapp
version: "1.0"
edition: Test
clusterable: false
parameters:
  users:
    value: "alice:alice-pw,bob:bob-pw"
    secret: hash-list
  token:
    value: tok-123456
    secret: file
  colour: blue
services:
  - name: svc
    command: /bin/sleep 1000 --users ${users} --token ${token} --colour ${colour}
EOF

start_daemon

# no_secret FILE: FILE holds none of the passwords, the token, or a hash
no_secret() {
    ! grep -q -e alice-pw -e bob-pw -e carol-pw -e dave-pw -e tok-123456 -e 'CRYPT' -e '\$y\$' "$1"
}
# verifies HASH PASSWORD: crypt(3) of PASSWORD with HASH's setting is HASH
verifies() {
    python3 -W ignore -c 'import crypt, sys; h = sys.argv[1][len("{CRYPT}"):]; sys.exit(crypt.crypt(sys.argv[2], h) != h)' "$1" "$2"
}

expect_ok "app inspect a kit with secrets" wp app inspect "$KIT"
expect_out "inspect marks the secret" "parameter users = \(secret\), kept as hash-list"
check "inspect does not print the default passwords" no_secret "$OUT"
expect_ok "app inspect --json" wp --json app inspect "$KIT"
check "inspect --json neither" no_secret "$OUT"
check "inspect --json names the kinds" jq -e '.secrets.users == "hash-list" and .secrets.token == "file"' "$OUT"

expect_ok "app install --set users=carol:carol-pw" wp --json app install "$KIT" --set users=carol:carol-pw
check "install --json prints no secret" no_secret "$OUT"
check "the record holds no password or token in the clear" \
    sh -c "! grep -q -e carol-pw -e tok-123456 '$REC'"
HASH=$(jq -r '.parameters.users' "$REC")
check "the record keeps carol's password as a {CRYPT}\$y\$ hash" \
    sh -c "printf '%s' '$HASH' | grep -q '^carol:{CRYPT}\\\$y\\\$'"
check "crypt(3) verifies it" verifies "${HASH#carol:}" carol-pw
check "and not another password" sh -c "! python3 -W ignore -c 'import crypt, sys; h = sys.argv[1][7:]; sys.exit(crypt.crypt(\"carol-pX\", h) != h)' '${HASH#carol:}'"
check "the command gets the hash" jq -e --arg h "$HASH" '.services[0].command | index($h) != null' "$REC"
check "the file secret is in a 0600 root file" \
    sh -c "[ \"\$(stat -c '%a %u' '$SECRET_FILE')\" = '600 0' ] && [ \"\$(cat '$SECRET_FILE')\" = tok-123456 ]"
check "the command gets the file's path" jq -e --arg p "$SECRET_FILE" '.services[0].command | index($p) != null' "$REC"

expect_ok "app show --json" wp --json app show secretapp
check "show --json prints no secret and no hash" no_secret "$OUT"
check "show --json says (secret)" jq -e '.parameters.users == "(secret)" and .parameters.token == "(secret)" and .parameters.colour == "blue"' "$OUT"
check "and the command word holding it too" jq -e '.services[0].command | index("(secret)") != null' "$OUT"
expect_ok "app show" wp app show secretapp
check "show prints no secret" no_secret "$OUT"
expect_ok "app list --json" wp --json app list
check "list --json prints no secret and no hash" no_secret "$OUT"

expect_ok "app config secretapp" wp app config secretapp
expect_out "config shows users=(secret)" "^  users=\(secret\)$"
expect_out "config shows token=(secret)" "^  token=\(secret\)$"
expect_out "config shows colour=blue" "^  colour=blue$"
check "config prints no secret" no_secret "$OUT"

expect_ok "app config secretapp colour=red" wp app config secretapp colour=red
check "the other secrets are not hashed again" sh -c "[ \"\$(jq -r .parameters.users '$REC')\" = '$HASH' ]"
check "the file secret is kept" sh -c "[ \"\$(cat '$SECRET_FILE')\" = tok-123456 ]"
expect_ok "app config secretapp users=dave:dave-pw token=new-token" \
    wp app config secretapp users=dave:dave-pw token=new-token
check "config answers with names, not values" no_secret "$OUT"
expect_out "config names what it changed" "new values for users, token"
check "the record has dave's hash, not his password" \
    sh -c "jq -r .parameters.users '$REC' | grep -q '^dave:{CRYPT}' && ! grep -q dave-pw '$REC'"
check "the file secret has the new token" sh -c "[ \"\$(cat '$SECRET_FILE')\" = new-token ]"
expect_fail 2 "an unknown parameter is refused" wp app config secretapp nosuch=1
expect_ok "app remove --purge" wp app remove secretapp --purge
check "the secret file is gone" test ! -e "$SECRET_FILE"

finish
