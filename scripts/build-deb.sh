#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# build-deb.sh OUT: OUT/ksmscope_VERSION_ARCH.deb from `make install PREFIX=/usr` staged in
# OUT/deb, with dpkg-deb. Depends: the Debian packages that hold the shared libraries the
# binary links (dpkg -S), at the versions installed here or later.
set -euo pipefail
out=${1:-build}
cd "$(dirname "$0")/.."
arch=$(dpkg --print-architecture)
# 0.YYYYMMDD.COMMITS from the last commit (a clone without history: 0.0)
version=0.$(git log -1 --format=%cd --date=format:%Y%m%d 2> /dev/null || echo 0).$(git rev-list --count HEAD 2> /dev/null || echo 0)
root=$out/deb
rm -rf "$root"
make --no-print-directory install DESTDIR="$root" PREFIX=/usr OUT="$out" > /dev/null
gzip -9n "$root/usr/share/man/man8/ksmscope.8"
install -D -m 0644 LICENSE "$root/usr/share/doc/ksmscope/copyright"
# the libraries the binary names (NEEDED), not theirs
needed=$(objdump -p "$out/ksmscope" | awk '/NEEDED/ { print $2 }')
deps=$(ldd "$out/ksmscope" | awk '/=> \// { print $1, $3 }' | while read -r name lib; do
	grep -qx "$name" <<< "$needed" || continue
	# "libbpf1:amd64" with multiarch (the arm64 libraries are installed too): the version
	# is asked of that one, the dependency names the package
	pkg=$(dpkg -S "$(realpath "$lib")" 2> /dev/null | head -1 | sed 's/: .*//')
	[ -n "$pkg" ] || pkg=$(dpkg -S "$lib" 2> /dev/null | head -1 | sed 's/: .*//')
	[ -n "$pkg" ] && echo "${pkg%%:*} (>= $(dpkg-query -W -f '${Version}' "$pkg"))"
done | sort -u | paste -sd, | sed 's/,/, /g')
mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" << CONTROL
Package: ksmscope
Version: $version
Architecture: $arch
Maintainer: ksmscope developers <ksmscope@localhost>
Depends: $deps
Section: admin
Priority: optional
Description: live eBPF tracer of KSM page sharing
 Attaches to a running host with eBPF and measures memory page sharing: what
 identical pages could save, what KSM saves, why the rest is not saved, and at
 what cost. Includes a hardened systemd unit for its Prometheus endpoint
 (ksmscope.service, not enabled), a Grafana dashboard and alerting rules in
 /usr/share/ksmscope.
CONTROL
deb=$out/ksmscope_${version}_$arch.deb
dpkg-deb --root-owner-group --build "$root" "$deb" > /dev/null
echo "$deb"
