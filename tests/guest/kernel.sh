#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# kernel.sh [PATTERN]: fetches the newest Debian kernel package whose name matches
# PATTERN (default: Debian 12's 6.1, linux-image-6.1.0-N-amd64-unsigned) from the
# archive, extracts it under $GUEST_CACHE (default build/guest) and prints the path
# of its vmlinuz. Cached: a second call prints the path without fetching.
set -euo pipefail
pattern=${1:-'^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$'}
cache=${GUEST_CACHE:-$(dirname "$0")/../../build/guest}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
pkg=$(apt-cache search --names-only "$pattern" 2>/dev/null | awk '{print $1}' | sort -V | tail -1)
if [ -z "$pkg" ]; then
	apt-get update -qq >&2 || true
	pkg=$(apt-cache search --names-only "$pattern" | awk '{print $1}' | sort -V | tail -1)
fi
[ -n "$pkg" ] || { echo "kernel.sh: no package matches $pattern in the archive" >&2; exit 1; }
dir=$cache/$pkg
if ! ls "$dir"/boot/vmlinuz-* > /dev/null 2>&1; then
	tmp=$(mktemp -d "$cache/dl.XXXXXX")
	(cd "$tmp" && apt-get download -qq "$pkg" >&2)
	rm -rf "$dir.part" && mkdir -p "$dir.part"
	dpkg-deb -x "$tmp"/*.deb "$dir.part"
	rm -rf "$tmp" "$dir" && mv "$dir.part" "$dir"
fi
ls "$dir"/boot/vmlinuz-* | head -1
