# tests/integration/lib/vserver.sh -- the start the application tests on
# a shared disk share (test_app_article, test_app_rollout, test_mail,
# test_os_update): a 3-node test cluster with disk1, and the virtual server
# "rs" that recordstore is installed into, and a client writing to it.  Sourced after checks.sh and
# cluster_test (check, wp, wait_until, TC, TMP, WOLFPACK); the checks keep
# the names the tests gave them.
# shellcheck shell=bash

# vs_cluster_up: 3 nodes up (or the test ends here: nothing after it can
# pass), disk1 prepared, wolfpackd ready on every node.  3 checks.
vs_cluster_up() {
    if "$TC" up 3 >"$TMP/up.log" 2>&1; then
        ok "test cluster up (3 nodes)"
    else
        fail "test cluster up (3 nodes)"
        tail -20 "$TMP/up.log"
        finish
    fi
    check "shared disk prepared" "$TC" disk disk1 --prepare >"$TMP/disk.log" 2>&1
    check "wolfpackd ready on every node" wait_until 60 sh -c \
        "for n in n1 n2 n3; do '$TC' exec \$n '$WOLFPACK' status --json | jq -e .ready || exit 1; done"
}

# vs_group_rs: group rs (preferred owners n1, n2, n3): IP Address $VIP/24,
# Network Name rsvs.$ZONE on it (the cluster's DNS, TSIG), Physical Disk
# disk1 on /srv/rs; online, and Online on n1.  6 checks.
vs_group_rs() {
    check "group rs" wp n1 group create rs --policy preferred_owners=n1,n2,n3
    check "its IP Address" wp n1 resource create rs-ip --group rs --type ip --prop "address=$VIP/24"
    check "its Network Name" wp n1 resource create rs-name --group rs --type netname \
        --depends-on rs-ip --prop hostname=rsvs --prop "dns_zone=$ZONE" \
        --prop dns_server=198.51.100.200 --prop tsig_key_file=/etc/wolfpack/tsig.key
    check "its Physical Disk" wp n1 resource create rs-disk --group rs --type disk \
        --prop device=/run/wolfpack/disks/disk1 --prop mountpoint=/srv/rs --prop fstype=ext4
    check "group online rs" wp n1 group online rs
    check "rs Online on n1" wait_until 90 sh -c \
        "[ \"\$('$TC' exec n1 '$WOLFPACK' group show rs --json | jq -r '\"\(.state) \(.owner)\"')\" = 'Online n1' ]"
}

# vs_writer_start: from the client, PUT w1, w2, ... to recordstore at
# $NAME:$PORT every 50 ms (a new connection each, 2 s at most), each
# acknowledged one appended to $TMP/acked (emptied first), until
# $TMP/writer.stop exists; its PID in WRITER (the test stops it: touch
# $TMP/writer.stop; wait "$WRITER").
vs_writer_start() {
    : >"$TMP/acked"
    rm -f "$TMP/writer.stop"
    "$TC" exec client bash -c 'i=0
    while [ ! -e "$2/writer.stop" ]; do
        i=$((i + 1))
        r=$(timeout 2 bash -c "exec 3<>/dev/tcp/$0/$1 && echo \"PUT w$i\" >&3 && IFS= read -r l <&3 && echo \"\$l\"" 2>/dev/null)
        case $r in OK*) echo "w$i" >>"$2/acked" ;; esac
        sleep 0.05
    done' "$NAME" "$PORT" "$TMP" &
    # shellcheck disable=SC2034 # the sourcing test stops it
    WRITER=$!
}
