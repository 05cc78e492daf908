#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ksmscope inside a QEMU guest (TCG) booting Debian 12's own kernel (6.1: no ksm:*
# tracepoints, no ksm_zero_pages or general_profit): the kernel package comes from the
# archive, the initramfs from tests/guest/. The guest merges a known workload; scan's
# exact figures must equal that kernel's own counters, and what needs a newer kernel
# must say so in one line.
. "$(dirname "$0")/lib.sh"
GUEST=$(dirname "$0")/../guest

kernel=$("$GUEST/kernel.sh" 2> "$TMPD/kernel.err") || { fail "no guest kernel: $(tail -1 "$TMPD/kernel.err")"; exit 1; }
ok "guest kernel package fetched ($(basename "$kernel"))"
"$GUEST/initramfs.sh" "$TMPD/initrd.gz" "$GUEST/scan_check.sh" "$KSMSCOPE" "$WORKLOAD" \
	|| { fail "initramfs"; exit 1; }
"$GUEST/boot.sh" "$kernel" "$TMPD/initrd.gz" -m 1024 -t 240 > "$TMPD/console.log" 2>&1
check "guest ran the checks to the end" $? 0
val() { tr -d '\r' < "$TMPD/console.log" | sed -n "s/^$1 //p" | tail -1; }

check "guest kernel is Debian 12's 6.1" "$(val KERNEL | cut -d. -f1,2)" 6.1
KJ=$(val KSMJSON)
check "ksm --json on 6.1 is JSON" "$(jq -e . <<< "$KJ" > /dev/null && echo yes)" yes
check "ksm --json on 6.1: files the kernel lacks are left out (general_profit, ksm_zero_pages)" \
	"$(jq -c '[has("general_profit"), has("ksm_zero_pages")]' <<< "$KJ")" '[false,false]'
check "the workload merged fully (ksm_merging_pages)" "$(val MERGING)" 320
read -r sharing shared <<< "$(val SHARING)"
SJ=$(val SCANJSON)
check "scan on 6.1: no error" "$(val SCANERR)" ""
check "scan on 6.1: ksm_sites = ksm_merging_pages" "$(jq .totals.ksm_sites <<< "$SJ")" 320
check "scan on 6.1: ksm_frames = pages_shared" "$(jq .totals.ksm_frames <<< "$SJ")" "$shared"
check "scan on 6.1: ksm_saved = pages_sharing" "$(jq .totals.ksm_saved <<< "$SJ")" "$sharing"
check "scan on 6.1: saveable_mergeable = 32 contents x 9 copies" "$(jq .totals.saveable_mergeable <<< "$SJ")" 288
check "scan on 6.1: effectiveness 1" "$(jq .totals.effectiveness <<< "$SJ")" 1
TE=$(val TRACEERR)
check_true "trace on 6.1: one JSON line naming the missing tracepoint, exit 1 ($TE)" \
	grep -q '^{"error": "this kernel has no KSM tracepoint ksm:ksm_merge_with_ksm_page.*} rc=1$' <<< "$TE"
