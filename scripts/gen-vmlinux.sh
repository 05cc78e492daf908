#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate vmlinux/<arch>/vmlinux.h from a running kernel's BTF.
# The kernel must have CONFIG_KSM=y so the KSM types (struct ksm_rmap_item) are present.
set -euo pipefail
arch=${1:-x86}
btf=${BTF:-/sys/kernel/btf/vmlinux}
out="$(dirname "$0")/../vmlinux/$arch/vmlinux.h"
[ -r "$btf" ] || { echo "gen-vmlinux: no BTF at $btf" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c > "$out.tmp"
grep -q '^struct ksm_rmap_item {' "$out.tmp" ||
	{ rm -f "$out.tmp"; echo "gen-vmlinux: $btf has no struct ksm_rmap_item (kernel without CONFIG_KSM?)" >&2; exit 1; }
mv "$out.tmp" "$out"
echo "wrote $out from $(uname -r) ($(wc -l < "$out") lines)"
