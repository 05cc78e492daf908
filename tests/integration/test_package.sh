#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Packaging for hosts: `make install` (DESTDIR, PREFIX) and `make uninstall` put and take
# every file; `make deb` builds a package that installs, whose binary runs, whose unit
# systemd-analyze verifies (and rates no worse than 5 for exposure), whose alerting rules
# promtool accepts; then it is removed. A ksmscope package already installed here is never
# touched: the test fails instead.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

if dpkg-query -W -f '${Status}' ksmscope 2> /dev/null | grep -q "ok installed"; then
	fail "a ksmscope package is installed on this host: not replacing it"
	exit 1
fi
removed=no
remove_pkg() { [ "$removed" = yes ] || dpkg -r ksmscope > /dev/null 2>&1; removed=yes; }
trap 'remove_pkg; cleanup' EXIT

# make install / uninstall into a staging root
make -s -C "$ROOT" install DESTDIR="$TMPD/stage" PREFIX=/usr/local OUT="$(realpath "$BIN")" > /dev/null
check "install: exit status" $? 0
for f in sbin/ksmscope share/man/man8/ksmscope.8 lib/systemd/system/ksmscope.service \
	share/ksmscope/grafana-dashboard.json share/ksmscope/ksmscope-alerts.yml; do
	check_true "install: /usr/local/$f" test -f "$TMPD/stage/usr/local/$f"
done
check "install: the unit runs the installed binary" \
	"$(grep -c '^ExecStart=/usr/local/sbin/ksmscope serve' "$TMPD/stage/usr/local/lib/systemd/system/ksmscope.service")" 1
make -s -C "$ROOT" uninstall DESTDIR="$TMPD/stage" PREFIX=/usr/local > /dev/null
check "uninstall: no file left" "$(find "$TMPD/stage" -type f | wc -l)" 0

# make deb from a release build of its own
make -s -C "$ROOT" OUT="$TMPD/rel" "$TMPD/rel/ksmscope" > "$TMPD/build.log" 2>&1
check "release build for the package" $? 0
deb=$(make -s -C "$ROOT" OUT="$TMPD/rel" deb 2> "$TMPD/deb.err" | tail -1)
check_true "make deb: a package ($deb)" test -f "$deb"
check "the package's Depends name libbpf1 and libxxhash0" \
	"$(dpkg-deb -f "$deb" Depends | grep -o 'libbpf1\|libxxhash0' | sort | paste -sd' ')" "libbpf1 libxxhash0"
dpkg -i "$deb" > "$TMPD/dpkg.log" 2>&1
check "dpkg -i: exit status" $? 0
check "installed: the binary runs (ksm --json)" "$(/usr/sbin/ksmscope ksm --json | jq 'has("run")')" true
check "installed: it scans (scan --pid \$\$ --json)" "$(/usr/sbin/ksmscope scan --pid $$ --json | jq '.totals.sites > 0')" true
check "installed: man page" "$(test -f /usr/share/man/man8/ksmscope.8.gz && echo yes)" yes
systemd-analyze verify --man=no /usr/lib/systemd/system/ksmscope.service > "$TMPD/verify.out" 2>&1
check "systemd-analyze verify: the unit is valid" $? 0
check "systemd-analyze verify says nothing" "$(cat "$TMPD/verify.out")" ""
systemd-analyze security --offline=yes --threshold=5 /usr/lib/systemd/system/ksmscope.service > "$TMPD/security.out" 2>&1
check "systemd-analyze security: exposure no worse than 5 ($(grep -o 'exposure level.*' "$TMPD/security.out"))" $? 0
check "the unit is not enabled by the package" "$(find /etc/systemd/system -name ksmscope.service | wc -l)" 0
# the unit's capabilities suffice: serve with exactly those (no systemd here to start it)
caps=$(sed -n 's/^CapabilityBoundingSet=//p' /usr/lib/systemd/system/ksmscope.service | tr 'A-Z' 'a-z' |
	sed 's/cap_/+/g; s/ /,/g')
setpriv --bounding-set="-all,$caps" --inh-caps="-all,$caps" --ambient-caps="-all,$caps" --no-new-privs \
	/usr/sbin/ksmscope serve --listen 127.0.0.1:9598 --duration 8 --scan-rate 1000 > "$TMPD/serve.out" 2>&1 &
SERVE=$!
CHILDREN+=($SERVE)
got=""
for _ in $(seq 60); do
	got=$(curl -s --max-time 1 127.0.0.1:9598/metrics | grep -c '^ksmscope_sites_pages{group="all"}')
	[ "$got" = 1 ] && break
	sleep 0.2
done
check "serve with only the unit's capabilities ($caps): the potential is scraped" "$got" 1
wait $SERVE
check "serve with only the unit's capabilities: exit status" $? 0
promtool check rules /usr/share/ksmscope/ksmscope-alerts.yml > "$TMPD/rules.out" 2>&1
check "promtool check rules: the alerting rules" $? 0
check "the alerting rules cover effectiveness, unshare debt, drops and ksmd CPU" \
	"$(grep -c 'alert: Ksm\(EffectivenessLow\|UnshareDebtOverAvailable\|scopeRingBufferDrops\|dCpuHigh\)' /usr/share/ksmscope/ksmscope-alerts.yml)" 4
check "the dashboard is JSON" "$(jq -r .uid /usr/share/ksmscope/grafana-dashboard.json)" ksmscope
dpkg -r ksmscope > /dev/null 2>&1
check "dpkg -r: exit status" $? 0
removed=yes
check "removed: no binary, unit or share left" \
	"$(ls /usr/sbin/ksmscope /usr/lib/systemd/system/ksmscope.service /usr/share/ksmscope 2> /dev/null | wc -l)" 0
