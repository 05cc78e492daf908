#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# bench/guest_cow.sh [OUT]: the fault-path cost of each copy-on-write source (the
# page_fault_user tracepoint as tp_btf, which auto takes, then fentry and kprobe on
# wp_page_copy and the software page-fault event (perf), forced) where they all run: Debian 12's 6.1 kernel in a QEMU TCG guest (this
# host refuses fentry and has no kprobes). TCG makes absolute nanoseconds meaningless and
# noisy, so each source's added cost per copy-on-write fault (the p25 figure of
# fault_bench, robust to bursts) is given as a ratio to the minimal tp_btf counter's,
# measured in the same run. GUEST_ROUNDS=N (default 12) rounds per source.
set -uo pipefail
OUT=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GUEST=$ROOT/tests/guest
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kernel=$("$GUEST/kernel.sh") || { echo "guest_cow: no guest kernel" >&2; exit 1; }
printf '#!/bin/sh\nROUNDS=%s exec sh ./guest_cow_run.sh\n' "${GUEST_ROUNDS:-12}" > "$tmp/run.sh"
cp "$ROOT/bench/guest_cow_run.sh" "$tmp/"
"$GUEST/initramfs.sh" "$tmp/initrd.gz" "$tmp/run.sh" "$OUT/ksmscope" "$OUT/bench/fault_bench" "$tmp/guest_cow_run.sh" ||
	exit 1
"$GUEST/boot.sh" "$kernel" "$tmp/initrd.gz" -m 1024 -s 2 -t 1200 > "$tmp/console.log" 2>&1 ||
	{ echo "guest_cow: the guest failed:" >&2; tail -20 "$tmp/console.log" >&2; exit 1; }
tr -d '\r' < "$tmp/console.log" > "$tmp/out.log"
[ -n "${GUEST_COW_LOG:-}" ] && cp "$tmp/out.log" "$GUEST_COW_LOG"
echo "Copy-on-write source cost on $(basename "$kernel" | sed 's/vmlinuz-//') under TCG (added ns per COW fault; ratio to the minimal counter)"
printf '  %-10s %12s %12s %8s\n' source "min counter" "ksmscope" ratio
awk '
	/^SOURCE / { src = $2 }
	# the first table is the copy-on-write one; the p25 column (next to last) resists TCG bursts
	$0 ~ /^  minimal counter \(tp_btf\)/ && !(src in min) { min[src] = $(NF - 1) }
	$0 ~ /^  ksmscope, this pid tracked/ && !(src in self) { self[src] = $(NF - 1) }
	END {
		n = split("auto fexit kprobe perf", order, " ")
		for (i = 1; i <= n; i++) {
			s = order[i]
			if (s in min && s in self && min[s] > 0)
				printf "  %-10s %12.1f %12.1f %7.1fx\n", s, min[s], self[s], self[s] / min[s]
			else
				printf "  %-10s %12s %12s %8s\n", s, "-", "-", "-"
		}
	}' "$tmp/out.log"
