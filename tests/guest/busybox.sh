#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# busybox.sh ARCH: the path of a static busybox for a guest of ARCH (x86: the host's
# /bin/busybox; arm64: busybox-static:arm64 from the archive, extracted under
# $GUEST_CACHE, default build/guest). Cached like kernel.sh.
set -euo pipefail
arch=${1:-x86}
[ "$arch" = x86 ] && { echo /bin/busybox; exit 0; }
[ "$arch" = arm64 ] || { echo "busybox.sh: ARCH x86 or arm64" >&2; exit 2; }
cache=${GUEST_CACHE:-$(dirname "$0")/../../build/guest}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
dir=$cache/busybox-static-arm64
if [ ! -x "$dir/bin/busybox" ]; then
	dpkg --print-foreign-architectures | grep -qx arm64 ||
		{ echo "busybox.sh: dpkg has no arm64 architecture (scripts/install-deps.sh --arm64)" >&2; exit 1; }
	tmp=$(mktemp -d "$cache/dl.XXXXXX")
	(cd "$tmp" && apt-get download -qq busybox-static:arm64 >&2) 2> /dev/null ||
		(apt-get update -qq >&2 && cd "$tmp" && apt-get download -qq busybox-static:arm64 >&2)
	rm -rf "$dir.part" && mkdir -p "$dir.part"
	dpkg-deb -x "$tmp"/*.deb "$dir.part"
	rm -rf "$tmp" "$dir" && mv "$dir.part" "$dir"
fi
echo "$dir/bin/busybox"
