#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ksmscope inside a QEMU guest (TCG) booting Debian 12's own kernel (6.1: no ksm:*
# tracepoints, no ksm_zero_pages or general_profit): the kernel package comes from the
# archive, the initramfs from tests/guest/. The guest merges a known workload; scan's
# exact figures must equal that kernel's own counters. Then the live commands: the
# tracer takes fexit (or kprobes) where the tracepoints are missing and its counts must
# be those of the tracepoints (ksm_merging_pages, the cow_ksm rise, pages_sharing). The
# live checks run again on 6.12 from the archive (tracepoints; fexit and kprobes forced).
. "$(dirname "$0")/lib.sh"
GUEST=$(dirname "$0")/../guest
. "$GUEST/checks.sh"

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
scanned "$TMPD/console.log" 6.1

# the live commands on 6.1: merges from fexit (kprobe forced in a second round), scans
# polled, the same exact counts as with tracepoints
"$GUEST/initramfs.sh" "$TMPD/initrd-live.gz" "$GUEST/live_check.sh" "$KSMSCOPE" "$WORKLOAD" \
	|| { fail "initramfs (live)"; exit 1; }
"$GUEST/boot.sh" "$kernel" "$TMPD/initrd-live.gz" -m 1024 -t 300 > "$TMPD/live.log" 2>&1
check "guest ran the live checks to the end" $? 0
lval() { tr -d '\r' < "$TMPD/live.log" | sed -n "s/^$1 //p" | tail -1; }
F=$(lval FEATURES)
check "features --json on 6.1: no error" "$(lval FEATURESERR)" ""
check "features on 6.1: every live command works" "$(jq .traced <<< "$F")" true
check "features on 6.1: merges from fexit, scans polled, no KSM-page events" \
	"$(jq -c '.capabilities | [.merges.source, .scans.source, .ksm_pages.source, .ksm_enter_exit.source]' <<< "$F")" \
	'["fexit","polling","none","fexit"]'
check "features on 6.1: why not tp_btf and tracepoint, one line each" \
	"$(jq -r '.capabilities.merges.tried[:2][] | "\(.source): \(.why)"' <<< "$F")" \
	"tp_btf: no btf_trace_ksm_merge_with_ksm_page in the kernel's BTF
tracepoint: this kernel has no KSM tracepoint ksm:ksm_merge_with_ksm_page (they arrived in Linux 6.4)"
check "features on 6.1: kpageflags tells KSM pages right" "$(jq -r '.capabilities.ksm_page_flag.source' <<< "$F")" kpageflags
check "features on 6.1: kprobe works too" "$(jq -r '.capabilities.merges.tried[3].state' <<< "$F")" works
check_true "features on 6.1: what fexit loses is said" test -n "$(jq -r .capabilities.merges.loses <<< "$F")"
late "$TMPD/live.log" 6.1
recorded "$TMPD/live.log" 6.1 fexit
rounds "$TMPD/live.log" 6.1 \
	auto=merges=fexit,ksm_pages=none,scans=polling,ksm_enter_exit=fexit,forks=tp_btf,cow_faults=tp_btf \
	fexit=merges=fexit,ksm_pages=none,scans=polling,ksm_enter_exit=fexit,forks=tp_btf,cow_faults=fexit \
	kprobe=merges=kprobe,ksm_pages=none,scans=polling,ksm_enter_exit=kprobe,forks=tp_btf,cow_faults=kprobe
watched "$TMPD/live.log" 6.1
W=$(lval WATCH)
check "watch on 6.1: general_profit null (no such file), not a number made up" \
	"$(jq -c '[.dynamics.general_profit, (.ksm | has("general_profit"))]' <<< "$W")" '[null,false]'
check "features on 6.1: the KSM interfaces it lacks" \
	"$(jq -c '.ksm | [.ksm_merging_pages, .ksm_stat, .ksm_zero_pages, .general_profit, .PR_SET_MEMORY_MERGE]' <<< "$F")" \
	'[true,true,false,false,false]'
check "watch on 6.1: tracer.sources says where merges and scans come from" \
	"$(jq -c '[.tracer.sources.merges, .tracer.sources.scans]' <<< "$W")" '["fexit","polling"]'

# a newer kernel from the archive (Debian 12's backports: 6.12, with the ksm:* tracepoints):
# tp_btf everywhere, and fexit and kprobes for merges where forced (wp_page_copy is
# inlined there: copy-on-write stays on the page-fault tracepoint)
kernel612=$("$GUEST/kernel.sh" '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' 2> "$TMPD/kernel612.err") ||
	{ fail "no 6.12 guest kernel: $(tail -1 "$TMPD/kernel612.err")"; exit 1; }
# and a round with every source polled: its pagemap rounds need kpageflags' KSM bit, which
# 6.12 sets on every anonymous page (a 6.9+ kernel bug): struct pages must decide
echo 'ROUNDS="auto fexit kprobe polling"' > "$TMPD/rounds"
"$GUEST/initramfs.sh" "$TMPD/initrd-live612.gz" "$GUEST/live_check.sh" "$KSMSCOPE" "$WORKLOAD" "$TMPD/rounds" \
	|| { fail "initramfs (live, 6.12)"; exit 1; }
"$GUEST/boot.sh" "$kernel612" "$TMPD/initrd-live612.gz" -m 1024 -t 300 > "$TMPD/live612.log" 2>&1
check "6.12 guest ran the live checks to the end" $? 0
F=$(gval "$TMPD/live612.log" FEATURES)
check "features on 6.12: tp_btf for every capability" "$(jq -c '[.capabilities | .merges, .ksm_pages, .scans, .ksm_enter_exit, .forks, .cow_faults | .source] | unique' <<< "$F")" '["tp_btf"]'
check "features on 6.12: fexit and kprobe would work for merges" \
	"$(jq -c '[.capabilities.merges.tried[] | select(.source == "fexit" or .source == "kprobe") | .state]' <<< "$F")" '["works","works"]'
late "$TMPD/live612.log" 6.12
recorded "$TMPD/live612.log" 6.12 tp_btf
rounds "$TMPD/live612.log" 6.12 auto=tp_btf \
	fexit=merges=fexit,ksm_pages=tp_btf,scans=tp_btf,ksm_enter_exit=fexit,forks=tp_btf,cow_faults=tp_btf \
	kprobe=merges=kprobe,ksm_pages=tp_btf,scans=tp_btf,ksm_enter_exit=kprobe,forks=tp_btf,cow_faults=tp_btf \
	polling=merges=polling,ksm_pages=tp_btf,scans=polling,ksm_enter_exit=polling,forks=polling,cow_faults=polling
watched "$TMPD/live612.log" 6.12
check "features on 6.12: kpageflags' KSM bit is wrong there, struct pages say" \
	"$(jq -r '.capabilities.ksm_page_flag.source' <<< "$F")" struct_page
