#!/bin/bash
# test_resource.sh -- resources of each of the five types with valid
# properties; invalid properties of each type, unknown types, missing
# groups and duplicate names are refused and change nothing.
. "$(dirname "$0")/lib.sh"
start_daemon

expect_ok "group app" wp group create app

# -- the five types, valid ---------------------------------------------------
expect_ok "IP Address" wp resource create app-ip --group app --type "IP Address" \
    --prop address=198.51.100.40/24 --prop interface=eth0
expect_ok "Network Name" wp resource create app-name --group app --type netname \
    --prop hostname=app1 --depends-on app-ip
expect_ok "Physical Disk" wp resource create app-disk --group app --type disk \
    --prop device=/dev/loop7 --prop mountpoint=/srv/app --prop fstype=ext4
expect_ok "Generic Service" wp resource create app-svc --group app --type service \
    --prop user=root --prop "command=/usr/bin/sleep 1000" --depends-on app-disk --depends-on app-name
expect_ok "OCF" wp resource create app-ocf --group app --type ocf \
    --prop agent=ocf:heartbeat:Dummy --prop state=/run/dummy.state
expect_ok "IPv6 address" wp resource create app-ip6 --group app --type ip \
    --prop address=2001:db8::10/64

expect_ok "resource show app-ip --json" wp resource show app-ip --json
check "type is canonical" jq -e '.type == "IP Address"' "$OUT"
check "class is network-address" jq -e '.class == "network-address"' "$OUT"
check "props kept" jq -e '.props.address == "198.51.100.40/24" and .props.interface == "eth0"' "$OUT"
check "group kept" jq -e '.group == "app"' "$OUT"
expect_ok "resource show app-svc --json" wp resource show app-svc --json
check "depends_on kept" jq -e '.depends_on | sort == ["app-disk", "app-name"]' "$OUT"
check "Generic Service class" jq -e '.type == "Generic Service" and .class == "service"' "$OUT"
expect_ok "resource show app-svc (human)" wp resource show app-svc
expect_out "human show lists the command" 'command: +/usr/bin/sleep 1000'
expect_ok "resource show app-disk --json" wp resource show app-disk --json
check "disk class is storage" jq -e '.class == "storage"' "$OUT"
expect_ok "resource list (human)" wp resource list
expect_out "human list has a header" '^GROUP +RESOURCE +TYPE +STATE'

# -- invalid properties, one type at a time ----------------------------------
expect_fail 2 "IP address without prefix" wp resource create bad --group app --type ip \
    --prop address=198.51.100.41
expect_err "says what a good address looks like" '/24'
expect_fail 2 "IP address garbage" wp resource create bad --group app --type ip \
    --prop address=300.1.2.3/24
expect_fail 2 "IP without address" wp resource create bad --group app --type ip
expect_fail 2 "bad hostname" wp resource create bad --group app --type netname \
    --prop hostname=-bad_host- --depends-on app-ip
expect_fail 2 "relative device path" wp resource create bad --group app --type disk \
    --prop device=dev/loop7 --prop mountpoint=/srv/x --prop fstype=ext4
expect_fail 2 "relative mountpoint" wp resource create bad --group app --type disk \
    --prop device=/dev/loop7 --prop mountpoint=srv/x --prop fstype=ext4
expect_fail 2 "bad fstype" wp resource create bad --group app --type disk \
    --prop device=/dev/loop7 --prop mountpoint=/srv/x --prop fstype=ntfs
expect_fail 2 "disk without mountpoint" wp resource create bad --group app --type disk \
    --prop device=/dev/loop7 --prop fstype=ext4
expect_fail 2 "relative command" wp resource create bad --group app --type service \
    --prop user=root --prop "command=sleep 10"
expect_fail 2 "service with command and unit" wp resource create bad --group app \
    --type service --prop command=/bin/true --prop unit=foo.service
expect_fail 2 "bad OCF agent (no provider)" wp resource create bad --group app --type ocf \
    --prop agent=Dummy
expect_fail 2 "bad OCF agent (empty type)" wp resource create bad --group app --type ocf \
    --prop agent=ocf:heartbeat:
expect_fail 2 "OCF agent with a path" wp resource create bad --group app --type ocf \
    --prop agent=ocf:heartbeat:../../bin/sh
expect_fail 2 "unknown property key" wp resource create bad --group app --type ip \
    --prop address=198.51.100.42/24 --prop colour=red
expect_fail 2 "same property twice" wp resource create bad --group app --type ip \
    --prop address=198.51.100.42/24 --prop address=198.51.100.43/24
expect_fail 2 "unknown type" wp resource create bad --group app --type Frobnicator
expect_err "unknown type named" 'Frobnicator'
expect_fail 2 "bad resource name" wp resource create 'bad/name' --group app --type ip \
    --prop address=198.51.100.42/24

# -- state-dependent refusals (the daemon's) ---------------------------------
expect_fail 3 "missing group" wp resource create r1 --group nosuch --type ip \
    --prop address=198.51.100.43/24
expect_fail 4 "duplicate name" wp resource create app-ip --group app --type ip \
    --prop address=198.51.100.44/24
expect_fail 4 "duplicate name in another group" wp resource create app-ip \
    --group "Cluster Group" --type ip --prop address=198.51.100.44/24

# -- resource set ------------------------------------------------------------
expect_ok "set a property" wp resource set app-ip --prop address=198.51.100.45/24
expect_ok "show after set" wp resource show app-ip --json
check "property changed" jq -e '.props.address == "198.51.100.45/24"' "$OUT"
expect_ok "unset an optional property" wp resource set app-ip --unset-prop interface
expect_ok "show after unset" wp resource show app-ip --json
check "property removed" jq -e '.props | has("interface") | not' "$OUT"
expect_fail 2 "set an invalid property (daemon checks)" wp resource set app-ip \
    --prop address=198.51.100.46
expect_fail 2 "unset a required property" wp resource set app-ip --unset-prop address
expect_fail 3 "set on a missing resource" wp resource set nosuch --prop address=198.51.100.47/24
expect_fail 2 "set and unset the same key" wp resource set app-ip \
    --prop interface=eth0 --unset-prop interface

# -- delete ------------------------------------------------------------------
expect_ok "delete a resource nothing depends on" wp resource delete app-ocf
expect_fail 3 "it is gone" wp resource show app-ocf
expect_fail 3 "delete a missing resource" wp resource delete app-ocf

finish
