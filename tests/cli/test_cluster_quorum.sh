#!/bin/bash
# test_cluster_quorum.sh -- `wolfpack cluster quorum` against a real
# wolfpackd --solo (docs/FENCING.md, "Changing the quorum options"): bad
# arguments are refused by the CLI with what, why and what to do; a valid
# change reaches the daemon, which refuses it on a solo node (there is no
# corosync to configure); the database version never changes.  The change
# on a running cluster: tests/integration/test_quorum_change.sh.
. "$(dirname "$0")/lib.sh"
start_daemon

expect_fail 2 "no option: refused" wp cluster quorum
expect_err "no option: what to give" "needs an option to change"
expect_err "no option: an example" "to do: .*--qdevice HOST"
expect_fail 2 "--last-man-standing maybe: refused" wp cluster quorum --last-man-standing maybe
expect_err "... says on or off" '--last-man-standing "maybe" is not on or off'
expect_fail 2 "--qdevice with --no-qdevice: refused" wp cluster quorum --qdevice 198.51.100.200 \
    --no-qdevice
expect_err "... says they contradict" "contradict"
expect_fail 2 "--qdevice-algorithm 2nodelms: refused" wp cluster quorum --qdevice-algorithm 2nodelms
expect_err "... names the algorithms" "is not ffsplit or lms"
expect_fail 2 "--qdevice-tls maybe: refused" wp cluster quorum --qdevice-tls maybe
expect_fail 2 "an unknown option: refused" wp cluster quorum --two-nodes on
expect_ok "--help" wp cluster quorum --help
expect_out "--help: what needs --at-restart" "take effect only when corosync"
expect_out "--help: two_node follows the node count" "two_node follows the"

expect_fail 4 "a solo node: refused by wolfpackd" wp cluster quorum --wait-for-all on --at-restart
expect_err "... says why" "runs solo: there is no corosync to configure"
finish
