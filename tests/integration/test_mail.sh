#!/bin/bash
# tests/integration/test_mail.sh -- the mailserver kit (Postfix + Dovecot,
# docs/MAIL.md) told as KB Q221393's story on a 3-node test cluster
# (tools/testcluster; root), with real Postfix and Dovecot in the node
# namespaces and the client in the client namespace, reaching the server
# by its network name through the test cluster's BIND.
#
#   1. mailserver 1.0 installed standalone on n1 while no cluster service
#      answered there; mail delivered to it locally (SMTP, read over IMAP).
#   2. A virtual server: group mail with an IP Address, a Network Name
#      (mail.wptc.test, DNS) and a Physical Disk (mounted dirsync), on n1.
#   3. `sp apply` of mailserver-sp1 refused with the article's explanation.
#   4. `migrate --group mail`: both services Online, the greeting names the
#      network name, every mail from before is there (IMAP from the client).
#   5. `app config` on a node that does not own the group changes the
#      message size limit: the owner's Postfix announces the new SIZE.
#   6. The rolling `sp apply --group mail` to 1.1: every mail still there,
#      the store converted to layout 2 (domain/user/Maildir) on the disk.
#   7. backup (resources offline), a mailbox lost, restore: every mail back.
#   8. The client sends mail continuously to the network name while the
#      owner is killed (kill -9 of wolfpackd and corosync; the disk keeper
#      fences): every acknowledged message (250 after DATA) is delivered
#      exactly once on the survivor, no attempt shows up twice, and the
#      mail is readable afterwards.
#
# Prints "N passed, N failed"; tears the cluster down on any exit.
set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
BUILD=${BUILD:-build}
TC=$REPO/tools/testcluster
KITS=$REPO/$BUILD/kits
MC=(/usr/bin/python3 "$REPO/tests/tools/mailclient.py")
export WPTC_DIR=${WPTC_DIR:-/run/wptc-mail-$$}
export WPTC_PREFIX=${WPTC_PREFIX:-wpml$$-}
export WOLFPACK=${WOLFPACK:-$REPO/$BUILD/wolfpack}
export WOLFPACKD=${WOLFPACKD:-$REPO/$BUILD/wolfpackd}
export WOLFPACK_APP_ROOT=/var/lib/wolfpack/root
export WOLFPACK_APP_TASK_TIMEOUT=90
TMP=$(mktemp -d /tmp/test_mail.XXXXXX)
PASSED=0
FAILED=0
VIP=198.51.100.70
ZONE=wptc.test
NAME=mail.$ZONE
MNT=/srv/mail
LOOP_PID=

cleanup() {
    [ -n "$LOOP_PID" ] && kill "$LOOP_PID" 2>/dev/null
    if [ "$FAILED" -gt 0 ] && [ -n "${WPTC_MAIL_DEBUG:-}" ]; then # keep the nodes' logs to look at
        mkdir -p "$WPTC_MAIL_DEBUG"
        for n in n1 n2 n3; do
            "$TC" exec "$n" cat /var/lib/wolfpack/agents.log >"$WPTC_MAIL_DEBUG/$n.agents.log" 2>&1
            "$TC" exec "$n" sh -c 'tail -n 50 /var/lib/wolfpack/root/var/log/wolfpack/apps/*/*.log' \
                >"$WPTC_MAIL_DEBUG/$n.standalone.logs" 2>&1
        done
        cp "$TMP"/* "$WPTC_MAIL_DEBUG/" 2>/dev/null
    fi
    "$TC" down >/dev/null 2>&1 || "$TC" down
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$REPO/tests/integration/lib/checks.sh"
. "$REPO/tests/integration/lib/vserver.sh"
mc() { # mc WHERE ARGS...: the mail client in a namespace, stdout in $TMP/out
    "$TC" exec "$1" "${MC[@]}" "${@:2}" >"$TMP/out" 2>"$TMP/err"
}
# every Message-ID in alice's INBOX, sorted, into FILE
inbox() { # inbox WHERE HOST FILE
    mc "$1" ids "$2" alice@example.org alice-pw && sort "$TMP/out" >"$3"
}
# inbox_is WHERE HOST EXPECTED: the INBOX holds exactly the IDs of EXPECTED
inbox_is() { inbox "$1" "$2" "$TMP/got" && cmp -s "$TMP/got" "$3"; }
# every line of FILE A is in FILE B exactly once
each_once() {
    local a=$1 b=$2 id missing=0
    while read -r id; do
        [ "$(grep -cx "$id" "$b")" -eq 1 ] || missing=$((missing + 1))
    done <"$a"
    [ "$missing" -eq 0 ]
}
res_state() { "$TC" exec n1 "$WOLFPACK" resource show "$1" --json | jq -r .state; }
both_online() { [ "$(res_state mailserver-dovecot) $(res_state mailserver-postfix)" = "Online Online" ]; }
owner() { "$TC" exec "$1" "$WOLFPACK" group show mail --json | jq -r .owner; }
greets_name() { mc client greet "$NAME" && grep -q "^220 $NAME ESMTP" "$TMP/out"; }

if [ "$(id -u)" -ne 0 ] || [ ! -x "$WOLFPACK" ] || [ ! -x "$KITS/mailserver/bin/mailserver" ] ||
    [ ! -x /usr/sbin/postfix ] || [ ! -x /usr/sbin/dovecot ]; then
    fail "run as root after make BUILD=$BUILD, with postfix and dovecot installed (tools/install-deps)"
    finish
fi

# ---- 1. the cluster, the disk; a standalone install that knew of no cluster -----------------
vs_cluster_up
check "n1: standalone install of mailserver 1.0 (no cluster service answers)" \
    "$TC" exec n1 env WOLFPACK_SOCKET=/nonexistent "$WOLFPACK" app install "$KITS/mailserver" \
    --set hostname=n1.$ZONE
check "n1: start it (Dovecot, then Postfix; both checks pass)" wp n1 app start mailserver
mc n1 send 127.0.0.1 before 5
sort "$TMP/out" >"$TMP/before"
if [ "$(wc -l <"$TMP/before")" -eq 5 ]; then
    ok "n1: 5 mails accepted locally (250 after DATA)"
else
    fail "n1: 5 mails accepted locally (250 after DATA)"
    finish # the rest would compare empty lists
fi
check "n1: all 5 delivered (IMAP as alice)" wait_until 20 sh -c \
    "'$TC' exec n1 ${MC[*]} ids 127.0.0.1 alice@example.org alice-pw | sort | cmp -s - '$TMP/before'"
check "n1: the store is layout 1 (a flat Maildir per address)" \
    "$TC" exec n1 test -d "$WOLFPACK_APP_ROOT/var/lib/mailserver/mail/alice@example.org/new"
check "n1: stop it" wp n1 app stop mailserver

# ---- 2. the virtual server ---------------------------------------------------------------------
check "group mail" wp n1 group create mail --policy preferred_owners=n1,n2,n3
check "its IP Address" wp n1 resource create mail-ip --group mail --type ip --prop address=$VIP/24
check "its Network Name $NAME" wp n1 resource create mail-name --group mail --type netname \
    --depends-on mail-ip --prop hostname=mail --prop dns_zone=$ZONE \
    --prop dns_server=198.51.100.200 --prop tsig_key_file=/etc/wolfpack/tsig.key
check "its Physical Disk (dirsync)" wp n1 resource create mail-disk --group mail --type disk \
    --prop device=/run/wolfpack/disks/disk1 --prop mountpoint=$MNT --prop fstype=ext4 \
    --prop mount_options=dirsync
check "group online mail" wp n1 group online mail
check "mail Online on n1" wait_until 90 sh -c "[ \"\$('$TC' exec n1 '$WOLFPACK' group show mail --json | jq -r '\"\(.state) \(.owner)\"')\" = 'Online n1' ]"

# ---- 3. the service pack meets the standalone install --------------------------------------------
rc=0
wp n1 app sp apply "$KITS/mailserver-sp1" --group mail || rc=$?
check "sp apply on the standalone install is refused (exit 4)" [ "$rc" -eq 4 ]
check "and explained: not a cluster install; migrate" sh -c \
    "grep -q 'A standalone install is not a cluster install' '$TMP/out' && grep -q 'wolfpack app migrate mailserver' '$TMP/err'"

# ---- 4. migrate ------------------------------------------------------------------------------------
check "migrate mailserver --group mail" wp n1 app migrate mailserver --group mail
check "mailserver-dovecot and mailserver-postfix Online" wait_until 90 both_online
check "Postfix depends on the address, name and disk, not on Dovecot (it delivers itself)" sh -c \
    "'$TC' exec n1 '$WOLFPACK' resource show mailserver-postfix --json | jq -r '.depends_on[]' | sort | tr '\n' ' ' | grep -qx 'mail-disk mail-ip mail-name '"
check "the client resolves $NAME and gets '220 $NAME ESMTP'" wait_until 30 greets_name
check "the IMAP greeting names $NAME" sh -c "'$TC' exec client ${MC[*]} imap-greet $NAME | grep -q ' $NAME IMAP ready (mailserver 1.0)'"
check "every mail from before is there (IMAP from the client)" sh -c \
    "'$TC' exec client ${MC[*]} ids $NAME alice@example.org alice-pw | sort | cmp -s - '$TMP/before'"
check "the store is on the group's disk" "$TC" exec n1 test -d "$MNT/mailserver/mail/alice@example.org"
# Postfix rereads a main.cf younger than a second every 300 ms (1.5 s of
# every start): the wrapper dates what it rendered back (ctime stays now)
check "the owner's main.cf is dated back (Postfix does not wait for it to settle)" sh -c \
    "'$TC' exec n1 stat -c '%Y %Z' /run/mailserver/postfix/main.cf | awk '{ exit !(\$2 - \$1 >= 5) }'"
check "nothing of the configuration is in the host's /etc/postfix" sh -c \
    "! grep -rqs '$NAME' /etc/postfix /etc/dovecot"
mc client send "$NAME" clustered 3
sort "$TMP/out" >"$TMP/clustered"
check "3 more mails accepted through the virtual server" test "$(wc -l <"$TMP/clustered")" -eq 3
sort -m "$TMP/before" "$TMP/clustered" >"$TMP/all"

# ---- 5. the configuration is the cluster's: changed from a node that does not own the group --------
check "n3 shows the parameters from the cluster database" sh -c \
    "'$TC' exec n3 '$WOLFPACK' app config mailserver | grep -qx '  hostname=$NAME'"
check "n3: app config mailserver size_limit=2000000" wp n3 app config mailserver size_limit=2000000
check "the services are Online again" wait_until 90 both_online
check "the owner's Postfix announces SIZE 2000000" wait_until 30 sh -c \
    "'$TC' exec client ${MC[*]} ehlo $NAME | grep -q 'SIZE 2000000'"
check "n2's copy of the record has it too" sh -c \
    "'$TC' exec n2 jq -e '.parameters.size_limit == \"2000000\"' $WOLFPACK_APP_ROOT/var/lib/wolfpack/apps/mailserver.json >/dev/null"
rc=0
wp n2 app config mailserver nosuch=1 || rc=$?
check "an unknown parameter is refused (exit 2), nothing changed" sh -c \
    "[ $rc -eq 2 ] && '$TC' exec n1 '$WOLFPACK' app config mailserver | grep -qx '  size_limit=2000000'"

# ---- secrets: the users' passwords are a hash-list secret (docs/SECURITY.md, "Secrets") -------------
no_clear_password() {
    local n
    for n in n1 n2 n3; do
        # install records, the cluster database (and its WAL), the agents' log
        if "$TC" exec "$n" sh -c "grep -rIqs -e alice-pw -e bob-pw $WOLFPACK_APP_ROOT/var/lib/wolfpack/apps /var/lib/wolfpack/agents.log; grep -aqs -e alice-pw -e bob-pw /var/lib/wolfpack/*.db*"; then
            echo "    a password in the clear on $n" >&2
            return 1
        fi
    done
    wp n1 app show mailserver --json && ! grep -q -e alice-pw -e CRYPT "$TMP/out" || return 1
    wp n2 app list --json && ! grep -q -e alice-pw -e CRYPT "$TMP/out" || return 1
    wp n1 resource show mailserver-dovecot --json && ! grep -q alice-pw "$TMP/out" || return 1
}
check "the passwords are in no record, database, log or output in the clear" no_clear_password
check "app config shows users=(secret)" sh -c \
    "'$TC' exec n3 '$WOLFPACK' app config mailserver | grep -qx '  users=(secret)'"
check "the record keeps them as crypt(3) hashes" sh -c \
    "'$TC' exec n2 jq -e '.parameters.users | test(\"^alice:[{]CRYPT[}][$]y[$]\")' $WOLFPACK_APP_ROOT/var/lib/wolfpack/apps/mailserver.json >/dev/null"

# ---- 6. the rolling service pack: layout 1 -> layout 2 -----------------------------------------------
check "sp apply mailserver-sp1 --group mail (rolling)" wp n1 app sp apply "$KITS/mailserver-sp1" --group mail
check "its report: the store backed up, verified, upgraded once" grep -q 'upgraded once' "$TMP/out"
check "the services are Online" wait_until 90 both_online
OWN=$(owner n1)
check "the store is in layout 2 on the disk ($OWN)" sh -c \
    "'$TC' exec $OWN test -d $MNT/mailserver/mail/example.org/alice/Maildir/cur && ! '$TC' exec $OWN test -e '$MNT/mailserver/mail/alice@example.org'"
check "it answers as 1.1" wait_until 30 sh -c "'$TC' exec client ${MC[*]} imap-greet $NAME | grep -q '(mailserver 1.1)'"
check "every mail is still there ($(wc -l <"$TMP/all") expected)" \
    wait_until 30 inbox_is client "$NAME" "$TMP/all"
wp n2 app list
check "every node has 1.1" grep -q 'n1 1.1, n2 1.1, n3 1.1' "$TMP/out"

# ---- 7. backup and restore of the mail store -----------------------------------------------------
OWN=$(owner n1)
check "resources offline for the backup" sh -c "'$TC' exec $OWN '$WOLFPACK' resource offline mailserver-postfix >/dev/null && '$TC' exec $OWN '$WOLFPACK' resource offline mailserver-dovecot >/dev/null"
check "both Offline" wait_until 60 sh -c "[ \"\$('$TC' exec n1 '$WOLFPACK' resource show mailserver-dovecot --json | jq -r .state)\" = Offline ]"
check "app backup on the owner" wp "$OWN" app backup mailserver --to /var/lib/wolfpack/mail.tar.zst
check "app verify: 3 databases (queue, mail, state), every checksum" sh -c \
    "'$TC' exec $OWN '$WOLFPACK' app verify /var/lib/wolfpack/mail.tar.zst | grep -c '^  [a-z]* .*sha256' | grep -qx 3"
"$TC" exec "$OWN" rm -rf "$MNT/mailserver/mail/example.org/alice"
check "alice's mailbox is lost" "$TC" exec "$OWN" test ! -e "$MNT/mailserver/mail/example.org/alice"
check "app restore on the owner" wp "$OWN" app restore mailserver --from /var/lib/wolfpack/mail.tar.zst
check "resources online again" sh -c "'$TC' exec $OWN '$WOLFPACK' resource online mailserver-dovecot >/dev/null && '$TC' exec $OWN '$WOLFPACK' resource online mailserver-postfix >/dev/null"
check "both Online" wait_until 90 both_online
check "every mail is back after the restore" wait_until 30 inbox_is client "$NAME" "$TMP/all"

# ---- 8. mail keeps flowing while the owner is killed ------------------------------------------------
VICTIM=$(owner n1)
SURV=n1
[ "$VICTIM" = n1 ] && SURV=n2
"$TC" exec client "${MC[@]}" loop "$NAME" fo "$TMP/stop" >"$TMP/loop" 2>&1 &
LOOP_PID=$!
check "the client's mail is acknowledged before the kill" wait_until 30 sh -c "[ \$(grep -c ^ACK '$TMP/loop') -ge 5 ]"
"$TC" kill "$VICTIM" >/dev/null
T0=$SECONDS
check "the group is Online on another node after killing $VICTIM" wait_until 120 sh -c \
    "o=\$('$TC' exec $SURV '$WOLFPACK' group show mail --json | jq -r '\"\(.state) \(.owner)\"'); [ \"\${o% *}\" = Online ] && [ \"\${o#* }\" != '$VICTIM' ]"
ACKED_AT_KILL=$(grep -c '^ACK' "$TMP/loop")
check "mail is acknowledged again after the failover" wait_until 90 sh -c "[ \$(grep -c ^ACK '$TMP/loop') -ge $((ACKED_AT_KILL + 5)) ]"
# the longest time without an acknowledged message: the failover as the client saw it
GAP=$(awk '$1 == "ACK" { if (last) { d = $3 - last; if (d > max) max = d } last = $3 }
    END { printf "%.1f", max }' "$TMP/loop")
echo "     (failover: no mail acknowledged for $GAP s; accepted again $((SECONDS - T0)) s after the kill;"
echo "      refusals: $(grep '^NOACK' "$TMP/loop" | cut -d' ' -f4- | sed 's/[0-9]\{1,\}/N/g' | sort | uniq -c | sort -rn | head -3 | tr -s ' ' | paste -sd';'))"
touch "$TMP/stop"
wait "$LOOP_PID"
LOOP_PID=
grep '^ACK' "$TMP/loop" | awk '{print $2}' | sort >"$TMP/acked"
grep '^NOACK' "$TMP/loop" | awk '{print $2}' | sort >"$TMP/noack"
NEW=$(owner "$SURV")
# the queue drains into the store: wait until every acknowledged message is there
check "every acknowledged message arrives ($(wc -l <"$TMP/acked") acknowledged, $(wc -l <"$TMP/noack") refused or timed out)" \
    wait_until 90 sh -c "'$TC' exec client ${MC[*]} ids $NAME alice@example.org alice-pw | sort >'$TMP/fo' && comm -23 '$TMP/acked' '$TMP/fo' | grep -q . && exit 1 || exit 0"
inbox client "$NAME" "$TMP/fo"
check "each acknowledged message exactly once" each_once "$TMP/acked" "$TMP/fo"
check "no message twice at all ($(uniq -d "$TMP/fo" | wc -l) duplicates)" test -z "$(uniq -d "$TMP/fo")"
check "the mail from before is all there, once" each_once "$TMP/all" "$TMP/fo"
check "readable: the last acknowledged message's body" sh -c \
    "'$TC' exec client /usr/bin/python3 -c \"
import imaplib; m=imaplib.IMAP4('$NAME'); m.login('alice@example.org','alice-pw'); m.select('INBOX')
t,d=m.search(None,'HEADER','Message-ID','$(tail -1 "$TMP/acked")@test'); n=d[0].split()[-1]
t,b=m.fetch(n,'(BODY[TEXT])'); assert b'of the mail test' in b[0][1]\""
check "served by $NEW, not by $VICTIM" test "$NEW" != "$VICTIM"

finish
