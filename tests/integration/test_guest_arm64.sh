#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ksmscope on arm64: cross-built (make ARCH=arm64, Debian's multiarch libraries), booted
# in qemu-system-aarch64 (TCG) on Debian 12's arm64 6.1 kernel from the archive, which
# has no ksm:* tracepoints, no page_fault_user tracepoint (x86 only) and no BPF
# trampolines (fexit). The live checks of test_guest.sh run there: merges and
# copy-on-write breaks from kprobes (try_to_merge_with_ksm_page, wp_page_copy), then with
# every source polled, and their counts must equal the kernel's (ksm_merging_pages, the
# cow_ksm rise, pages_sharing).
. "$(dirname "$0")/lib.sh"
GUEST=$(dirname "$0")/../guest
. "$GUEST/checks.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export GUEST_ARCH=arm64

make -C "$ROOT" --no-print-directory ARCH=arm64 build-arm64/ksmscope build-arm64/tests/workload > "$TMPD/make.log" 2>&1 ||
	{ fail "make ARCH=arm64: $(tail -3 "$TMPD/make.log")"; exit 1; }
check "make ARCH=arm64 builds an arm64 ksmscope" "$(file -b "$ROOT/build-arm64/ksmscope" | grep -o 'ARM aarch64')" "ARM aarch64"
kernel=$("$GUEST/kernel.sh" '^linux-image-6\.1\.0-[0-9]+-arm64-unsigned$' 2> "$TMPD/kernel.err") ||
	{ fail "no arm64 guest kernel: $(tail -1 "$TMPD/kernel.err")"; exit 1; }
ok "arm64 guest kernel package fetched ($(basename "$kernel"))"
# scan: exact figures and a sampled scan whose prefixes come through arm64's linear map
"$GUEST/initramfs.sh" "$TMPD/initrd-scan.gz" "$GUEST/scan_check.sh" "$ROOT/build-arm64/ksmscope" \
	"$ROOT/build-arm64/tests/workload" || { fail "initramfs (arm64 scan)"; exit 1; }
"$GUEST/boot.sh" "$kernel" "$TMPD/initrd-scan.gz" -m 1024 -t 240 > "$TMPD/scan.log" 2>&1
check "arm64 guest ran the scan checks to the end" $? 0
scanned "$TMPD/scan.log" "arm64 6.1"
echo 'ROUNDS="auto kprobe polling"' > "$TMPD/rounds"
"$GUEST/initramfs.sh" "$TMPD/initrd.gz" "$GUEST/live_check.sh" "$ROOT/build-arm64/ksmscope" \
	"$ROOT/build-arm64/tests/workload" "$TMPD/rounds" || { fail "initramfs (arm64)"; exit 1; }
"$GUEST/boot.sh" "$kernel" "$TMPD/initrd.gz" -m 1024 -t 300 > "$TMPD/live.log" 2>&1
check "arm64 guest ran the live checks to the end" $? 0
log=$TMPD/live.log
check "arm64 guest kernel is Debian 12's 6.1" "$(gval "$log" KERNEL | cut -d. -f1,2)" 6.1
F=$(gval "$log" FEATURES)
check "features on arm64 6.1: no error" "$(gval "$log" FEATURESERR)" ""
check "features on arm64 6.1: the machine" "$(jq -r .kernel <<< "$F" | awk '{print $2}')" aarch64
check "features on arm64 6.1: merges, KSM entry and copy-on-write from kprobes, scans polled" \
	"$(jq -c '.capabilities | [.merges.source, .ksm_enter_exit.source, .cow_faults.source, .scans.source]' <<< "$F")" \
	'["kprobe","kprobe","kprobe","polling"]'
check "features on arm64 6.1: why not the page-fault tracepoint and fexit, one line each" \
	"$(jq -r '.capabilities.cow_faults.tried[1:3][] | "\(.source): \(.why)"' <<< "$F")" \
	"tracepoint: this kernel has no tracepoint exceptions:page_fault_user
fexit: the kernel refuses it: not supported (ENOTSUPP) (no BPF trampolines on this architecture and kernel)"
check "features on arm64 6.1: page prefixes read by frame (the linear map found)" \
	"$(jq -r .capabilities.page_prefixes.source <<< "$F")" bpf
late "$log" "arm64 6.1"
recorded "$log" "arm64 6.1" kprobe
rounds "$log" "arm64 6.1" \
	auto=merges=kprobe,ksm_pages=none,scans=polling,ksm_enter_exit=kprobe,forks=tp_btf,cow_faults=kprobe \
	kprobe=merges=kprobe,ksm_pages=none,scans=polling,ksm_enter_exit=kprobe,forks=tp_btf,cow_faults=kprobe \
	polling=merges=polling,ksm_pages=none,scans=polling,ksm_enter_exit=polling,forks=polling,cow_faults=polling
watched "$log" "arm64 6.1"

# a newer arm64 kernel from the archive (Debian 12's backports: 6.12): the ksm:* tracepoints,
# fexit, and no wp_page_copy to hook (inlined): copy-on-write breaks come from the software
# page-fault event, confirmed with pagemap (and polled in a round forced to). Its
# /proc/kpageflags marks every anonymous page KSM (a 6.9+ bug): each frame's struct page
# decides, or every count below would be off (361 KSM sites for 320)
kernel612=$("$GUEST/kernel.sh" '^linux-image-6\.12\.[0-9]+\+deb12-arm64-unsigned$' 2> "$TMPD/kernel612.err") ||
	{ fail "no arm64 6.12 guest kernel: $(tail -1 "$TMPD/kernel612.err")"; exit 1; }
echo 'ROUNDS="auto fexit polling"' > "$TMPD/rounds"
"$GUEST/initramfs.sh" "$TMPD/initrd612.gz" "$GUEST/live_check.sh" "$ROOT/build-arm64/ksmscope" \
	"$ROOT/build-arm64/tests/workload" "$TMPD/rounds" || { fail "initramfs (arm64 6.12)"; exit 1; }
"$GUEST/boot.sh" "$kernel612" "$TMPD/initrd612.gz" -m 1024 -t 300 > "$TMPD/live612.log" 2>&1
check "arm64 6.12 guest ran the live checks to the end" $? 0
log=$TMPD/live612.log
F=$(gval "$log" FEATURES)
check "features on arm64 6.12: merges from tp_btf, copy-on-write from perf (wp_page_copy inlined)" \
	"$(jq -c '.capabilities | [.merges.source, .cow_faults.source, .cow_faults.tried[3].why]' <<< "$F")" \
	'["tp_btf","perf","no symbol wp_page_copy in /proc/kallsyms (inlined or absent, or addresses hidden: kptr_restrict)"]'
check "features on arm64 6.12: kpageflags' KSM bit is wrong there, struct pages say" \
	"$(jq -r '.capabilities.ksm_page_flag.source' <<< "$F")" struct_page
late "$log" "arm64 6.12"
recorded "$log" "arm64 6.12" tp_btf
rounds "$log" "arm64 6.12" \
	auto=merges=tp_btf,ksm_pages=tp_btf,scans=tp_btf,ksm_enter_exit=tp_btf,forks=tp_btf,cow_faults=perf \
	fexit=merges=fexit,ksm_pages=tp_btf,scans=tp_btf,ksm_enter_exit=fexit,forks=tp_btf,cow_faults=perf \
	polling=merges=polling,ksm_pages=tp_btf,scans=polling,ksm_enter_exit=polling,forks=polling,cow_faults=polling
watched "$log" "arm64 6.12"
