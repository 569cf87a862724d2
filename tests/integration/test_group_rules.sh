#!/bin/bash
# test_group_rules.sh -- placement between groups and safe edits on the
# test cluster (2 nodes, real Corosync), on running resources: group app
# is colocated with group db and starts after it; both come online on n1;
# `group move db --to n2` moves db and app follows it to n2 (colocation);
# a resource added to the running group app comes in Offline and does not
# start until `resource online`; `resource set --restart` restarts a
# running service with its new command (the old process gone, the new one
# running); `resource delete` of a running service stops it first (its
# process is gone).  ~40 s.
#
# Run as root: tests/integration/test_group_rules.sh.  Own WPTC_DIR and
# WPTC_PREFIX; the cluster is torn down on any exit.  Prints "N passed, N failed".

set -u -o pipefail

REPO=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
# shellcheck source=lib/checks.sh
. "$REPO/tests/integration/lib/checks.sh"
cluster_test grules

DB_CMD="/bin/sleep 71$$"
APP_CMD="/bin/sleep 72$$"
NEW_CMD="/bin/sleep 73$$"
APP2_CMD="/bin/sleep 74$$"

cleanup_procs() { # the services, should a node have left one behind (by PID)
    for c in "$DB_CMD" "$APP_CMD" "$NEW_CMD" "$APP2_CMD"; do
        for p in $(pgrep -f -x "$c"); do kill -9 "$p" 2>/dev/null; done
    done
}
trap 'cleanup_procs; cluster_cleanup' EXIT

runs() { pgrep -f -x "$1" >/dev/null; }
gone() { ! runs "$1"; }
rstate() { # "STATE NODE TARGET" of a resource, asked on n1
    "$TC" exec n1 "$WOLFPACK" resource show "$1" --json 2>/dev/null |
        jq -r '"\(.state) \(.node) \(.target)"'
}
rstate_is() { [ "$(rstate "$1")" = "$2" ]; }
err_says() { grep -Eq -- "$1" "$TMP/err"; }

"$TC" up 2 --no-dns >"$TMP/up" 2>&1 || {
    cat "$TMP/up"
    fail "testcluster up 2"
    finish
}
check "n1 is ready (quorate, synced)" wait_until 60 bash -c \
    "'$TC' exec n1 '$WOLFPACK' --json status | jq -e '.ready == true'"

check "group db (n1 preferred)" wp n1 group create db --policy preferred_owners=n1
check "db-svc" wp n1 resource create db-svc --group db --type service --prop user=root --prop "command=$DB_CMD"
check "group app: colocated with db, starts after it" wp n2 group create app \
    --policy colocate_with=db --policy start_after=db
check "app-svc" wp n1 resource create app-svc --group app --type service --prop user=root \
    --prop "command=$APP_CMD"
check "group online app (it waits for db)" wp n1 group online app
check "group online db" wp n1 group online db
check "db-svc Online on n1" wait_until 60 rstate_is db-svc "Online n1 online"
check "app-svc Online on n1 (with db)" wait_until 60 rstate_is app-svc "Online n1 online"

check "group move db --to n2" wp n1 group move db --to n2
check "db-svc Online on n2" wait_until 60 rstate_is db-svc "Online n2 online"
check "app follows db to n2 (colocation)" wait_until 60 rstate_is app-svc "Online n2 online"

check "add app-new to the running group app" wp n1 resource create app-new --group app \
    --type service --prop user=root --prop "command=$NEW_CMD"
check "app-new comes in Offline, target offline" rstate_is app-new "Offline null offline"
sleep 2 # two scheduler ticks
check "app-new has not started" gone "$NEW_CMD"
check "resource online app-new" wp n2 resource online app-new
check "app-new Online on n2" wait_until 60 rstate_is app-new "Online n2 online"

check "change app-svc's command and --restart it" wp n1 resource set app-svc \
    --prop "command=$APP2_CMD" --restart
check "app-svc Online again on n2" wait_until 60 rstate_is app-svc "Online n2 online"
check "the new command runs" wait_until 30 runs "$APP2_CMD"
check "the old one is gone" gone "$APP_CMD"

check "resource delete app-new (running)" wp n1 resource delete app-new
check "it said it stops it first" err_says "Stopping resource app-new"
check "app-new's process is gone" gone "$NEW_CMD"
check "app-svc still runs" rstate_is app-svc "Online n2 online"

check "group offline app, db (tidy up)" bash -c "'$TC' exec n1 '$WOLFPACK' group offline app >/dev/null &&
    '$TC' exec n1 '$WOLFPACK' group offline db >/dev/null"
check "the services are stopped" wait_until 60 bash -c "! pgrep -f -x '$APP2_CMD' >/dev/null &&
    ! pgrep -f -x '$DB_CMD' >/dev/null"
finish
