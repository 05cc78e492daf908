# SPDX-License-Identifier: GPL-2.0-only
# Host-side checks of a guest's live_check.sh log, for the guest tests (sourced after
# tests/integration/lib.sh; TMPD, check and jq come from there).

# gval LOG KEY: the last "KEY value" line's value in a guest's console log
gval() { tr -d '\r' < "$1" | sed -n "s/^$2 //p" | tail -1; }

# rounds LOG KERNEL ROUND=SOURCES...: trace's counts in each round of live_check.sh, and
# the sources each round took (as trace says them: "tp_btf" when all are, else the list)
rounds() {
	local log=$1 kv=$2 r want
	shift 2
	for arg in "$@"; do
		r=${arg%%=*} want=${arg#*=}
		tr -d '\r' < "$log" | sed -n "s/^TRACE-$r //p" > "$TMPD/trace-$r.jsonl"
		check "$kv: trace --hooks $r: exit 0 after SIGINT" "$(gval "$log" "TRACERC-$r")" 0
		check "$kv: trace --hooks $r: its sources" "$(gval "$log" "TRACESTART-$r" | sed -n 's/.*(\(.*\) hooks).*/\1/p')" "$want"
		check "$kv: trace --hooks $r: the workload merged (ksm_merging_pages)" "$(gval "$log" "MERGING-$r")" 320
		check "$kv: trace --hooks $r: merges = ksm_merging_pages" \
			"$(jq -s '[.[] | select(.event == "merge" and .err == 0)] | length' "$TMPD/trace-$r.jsonl")" "$(gval "$log" "MERGING-$r")"
		check "$kv: trace --hooks $r: 32 writes, cow_ksm rose by 32" "$(gval "$log" "COW-$r")" 32
		check "$kv: trace --hooks $r: unmerges = the cow_ksm rise" \
			"$(jq -s '[.[] | select(.event == "unmerge")] | length' "$TMPD/trace-$r.jsonl")" "$(gval "$log" "COW-$r")"
		tr -d '\r' < "$log" | sed -n "s/^PFN-$r //p" | jq -R -s 'split("\n") | map(select(length > 0) | split(" ") | {(.[0]): (.[1] | tonumber)}) | add' > "$TMPD/pfn-$r.json"
		check "$kv: trace --hooks $r: each merge's frame is the page's frame (pagemap)" \
			"$(jq -s --slurpfile f "$TMPD/pfn-$r.json" '[.[] | select(.event == "merge") | select($f[0][.addr] != .pfn)] | length' "$TMPD/trace-$r.jsonl")" 0
		check "$kv: trace --hooks $r: scans seen" \
			"$(jq -s '[.[] | select(.event == "scan_stop")] | length > 0' "$TMPD/trace-$r.jsonl")" true
		check "$kv: trace --hooks $r: no drops" "$(jq -s '.[-1] | [.event, .drops]' -c "$TMPD/trace-$r.jsonl")" '["summary",0]'
	done
}

# late LOG KERNEL: trace attached after the merges; its first pass must find them
# (ksm_merging_pages, a file of its own before 6.4), or the writes would not count as unmerges
late() {
	local log=$1 kv=$2
	tr -d '\r' < "$log" | sed -n "s/^TRACE-auto-late //p" > "$TMPD/trace-late.jsonl"
	check "$kv: trace attached after the merges: 320 merged, no merge event" \
		"$(gval "$log" MERGING-auto-late) $(jq -s '[.[] | select(.event == "merge")] | length' "$TMPD/trace-late.jsonl")" "320 0"
	check "$kv: trace attached after the merges: unmerges = the cow_ksm rise (32)" \
		"$(jq -s '[.[] | select(.event == "unmerge")] | length' "$TMPD/trace-late.jsonl")" "$(gval "$log" COW-auto-late)"
}

# recorded LOG KERNEL MERGES: record in the auto round (merged, before the writes), and its
# report: complete, the sources in the header, and KSM's saving as the kernel counts it
recorded() {
	local log=$1 kv=$2 R sharing shared
	R=$(gval "$log" REPORT)
	read -r sharing shared <<< "$(gval "$log" SHARING-auto)"
	check "$kv: record exits 0 ($(gval "$log" RECORDERR))" "$(gval "$log" RECORDRC)" 0
	check_true "$kv: the recording holds snapshots ($(jq -c .blocks <<< "$R"))" test "$(jq '.blocks.snapshot' <<< "$R")" -gt 0
	check "$kv: report of the recording: no error" "$(gval "$log" REPORTERR)" ""
	check "$kv: the recording is complete, its header names the merge source" \
		"$(jq -c '[.complete, .header.tracer.sources.merges]' <<< "$R")" "[true,\"$3\"]"
	check "$kv: report: ksm_saved = pages_sharing, ksm_sites = ksm_merging_pages, ksm_frames = pages_shared" \
		"$(jq -c '.totals | [.ksm_saved, .ksm_sites, .ksm_frames]' <<< "$R")" "[$sharing,320,$shared]"
}

# scanned LOG KERNEL: scan_check.sh's figures against that kernel's own counters
scanned() {
	local log=$1 kv=$2 SJ ZJ sharing shared
	check "$kv: the workload merged fully (ksm_merging_pages)" "$(gval "$log" MERGING)" 320
	read -r sharing shared <<< "$(gval "$log" SHARING)"
	SJ=$(gval "$log" SCANJSON)
	check "$kv: scan: no error" "$(gval "$log" SCANERR)" ""
	check "$kv: scan: ksm_sites = ksm_merging_pages" "$(jq .totals.ksm_sites <<< "$SJ")" 320
	check "$kv: scan: ksm_frames = pages_shared" "$(jq .totals.ksm_frames <<< "$SJ")" "$shared"
	check "$kv: scan: ksm_saved = pages_sharing" "$(jq .totals.ksm_saved <<< "$SJ")" "$sharing"
	check "$kv: scan: saveable_mergeable = 32 contents x 9 copies" "$(jq .totals.saveable_mergeable <<< "$SJ")" 288
	check "$kv: scan: effectiveness 1" "$(jq .totals.effectiveness <<< "$SJ")" 1
	SJ=$(gval "$log" SSCANJSON)
	check "$kv: scan --sample 4: no error" "$(gval "$log" SSCANERR)" ""
	check "$kv: scan --sample 4: prefixes read by frame (BPF)" "$(jq -r .sample.prefix_reader <<< "$SJ")" bpf
	check "$kv: scan --sample 4: every class above the threshold: saveable_mergeable 288, ksm_saved = pages_sharing" \
		"$(jq -c '.totals | [.saveable_mergeable, .ksm_saved]' <<< "$SJ")" "[288,$sharing]"
	ZJ=$(gval "$log" ZSCANJSON)
	check "$kv: use_zero_pages=1: the 32 copies merged" "$(gval "$log" ZMERGING)" 32
	check "$kv: use_zero_pages=1: no scan error" "$(gval "$log" ZSCANERR)" ""
	check "$kv: use_zero_pages=1: zero-page merges unknown (null), and what rests on them" \
		"$(jq -c '[.totals.ksm_zero_pages, .totals.effectiveness, .totals.unshare_debt_pages, .totals.ksm_sites]' <<< "$ZJ")" \
		'[null,null,null,32]'
}

# watched LOG KERNEL: watch in the auto round (merged, before the writes) against the kernel
watched() {
	local log=$1 kv=$2 W sharing shared
	W=$(gval "$log" WATCH)
	read -r sharing shared <<< "$(gval "$log" SHARING-auto)"
	check "watch on $kv: no error" "$(gval "$log" WATCHERR)" ""
	check "watch on $kv: ksm_saved = pages_sharing" "$(jq .totals.ksm_saved <<< "$W")" "$sharing"
	check "watch on $kv: ksm_sites = ksm_merging_pages, ksm_frames = pages_shared (not every anonymous page)" \
		"$(jq -c '[.totals.ksm_sites, .totals.ksm_frames]' <<< "$W")" "[320,$shared]"
}
