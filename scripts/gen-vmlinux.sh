#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# gen-vmlinux.sh [ARCH [IMAGE]]: regenerate vmlinux/<ARCH>/vmlinux.h from a kernel's BTF:
# the running kernel's (BTF=, default /sys/kernel/btf/vmlinux), or, for an architecture
# this machine does not run, the BTF cut from a kernel IMAGE (a Debian linux-image
# package's vmlinuz; tests/guest/kernel.sh fetches one).
# The kernel must have CONFIG_KSM=y so the KSM types (struct ksm_rmap_item) are present.
set -euo pipefail
arch=${1:-x86}
image=${2:-}
btf=${BTF:-/sys/kernel/btf/vmlinux}
from=$(uname -r)
out="$(dirname "$0")/../vmlinux/$arch/vmlinux.h"
if [ -n "$image" ]; then
	btf=$(mktemp)
	trap 'rm -f "$btf"' EXIT
	python3 "$(dirname "$0")/image-btf.py" "$image" "$btf"
	from=$(basename "$image")
fi
[ -r "$btf" ] || { echo "gen-vmlinux: no BTF at $btf" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c > "$out.tmp"
grep -q '^struct ksm_rmap_item {' "$out.tmp" ||
	{ rm -f "$out.tmp"; echo "gen-vmlinux: $btf has no struct ksm_rmap_item (kernel without CONFIG_KSM?)" >&2; exit 1; }
mv "$out.tmp" "$out"
echo "wrote $out from $from ($(wc -l < "$out") lines)"
