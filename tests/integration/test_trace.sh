#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ksmscope trace against real KSM: merges, unmerges (user and kernel writes),
# scans, pid filtering, use_zero_pages, attach-after-merge, classic hooks.
. "$(dirname "$0")/lib.sh"
ksm_save

K=64 M=4 Z=32 D=16 W=8 W2=4
# jq has no hex parser; addresses fit a double exactly (47 bits)
HEXDEF='def hex: ltrimstr("0x") | explode | reduce .[] as $c (0; . * 16 + (if $c >= 97 then $c - 87 else $c - 48 end));'

# One full round: merges seen by the tracer equal the kernel's counter and the
# workload's prediction; unmerges equal the writes and cow_ksm's rise.
merge_unmerge_round() {
	local hooks=$1 tag="trace[$1]"
	ksm_fast 0
	start_workload a$hooks --contents $K --copies $M --zero $Z --unmergeable $D \
		--write-copies $W --pipe-copies $W2 || return
	local A=$WL_PID want AJSON=$WL_JSON
	want=$(echo "$WL_JSON" | jq .merged_expected)
	check "$tag: workload predicts K*M+Z merged pages" "$want" $((K * M + Z))
	start_workload b$hooks --contents 16 --copies 2 --zero 0 --unmergeable 0 --write-copies 0 --pipe-copies 0 || return
	local B=$WL_PID

	start_tracer t$hooks --pid "$A" --json --hooks "$hooks" || return
	local T=$TR_PID
	# the pid filter went into the fault program's instructions: the newest one is this tracer's
	local prog=btf_fault_user xl
	[ "$hooks" = classic ] && prog=tp_fault_user
	newest_xlated() { # the instructions, without the source lines bpftool puts between them
		bpftool prog dump xlated id "$(bpftool prog show --json | jq -r --arg n $prog '[.[] | select(.name == $n)] | max_by(.id) | .id')" | grep -v '^;'
	}
	xl=$(newest_xlated)
	check_true "$tag: --pid: pid $A and our own tgid $T are immediates in $prog, no placeholder left" \
		bash -c 'grep -qE "= $1\$" <<< "$3" && grep -qE "= $2\$" <<< "$3" && ! grep -q 2125266 <<< "$3"' _ "$A" "$T" "$xl"
	start_tracer all$hooks --comm workload --json --hooks "$hooks" || return
	local TALL=$TR_PID
	xl=$(newest_xlated)
	check_true "$tag: --comm: the filter stays in memory (the placeholders are left)" grep -q "= 2125266688$" <<< "$xl"
	local f0 c0 f1
	f0=$(full_scans)
	echo 1 > "$KSM/run"

	wait_for "$tag: pid A fully merged" 30 merging_is "$A" "$want" || return
	wait_for "$tag: pid B fully merged" 30 merging_is "$B" 32 || return
	wait_scans 2 # settled: nothing left to merge
	check "$tag: ksm_merging_pages of A" "$(ksm_stat "$A" ksm_merging_pages)" "$want"

	c0=$(vmstat cow_ksm)
	check "$tag: user writes done" "$(workload_phase a$hooks "$A" USR1 user_writes)" $W
	check "$tag: pipe reads done" "$(workload_phase a$hooks "$A" USR2 pipe_reads)" $W2
	echo 0 > "$KSM/run" # blocks until ksmd's batch ends: the counters are final
	f1=$(full_scans)
	check "$tag: cow_ksm rose by W+W2" $(($(vmstat cow_ksm) - c0)) $((W + W2))

	stop_tracer t$hooks $T
	stop_tracer all$hooks $TALL
	local t=t$hooks
	check "$tag: successful merge events for A" "$(count $t ".event==\"merge\" and .err==0 and .pid==$A")" "$want"
	check "$tag: unmerge events (user writes)" "$(count $t ".event==\"unmerge\" and .pid==$A and .kernel==false and .zero==false")" $W
	check "$tag: unmerge events (read() from a pipe)" "$(count $t ".event==\"unmerge\" and .pid==$A and .kernel==true")" $W2
	check "$tag: scan_stop events equal the rise in full_scans" "$(count $t '.event=="scan_stop"')" $((f1 - f0))
	local starts; starts=$(count $t '.event=="scan_start"')
	check_true "$tag: scan_start events within one of full_scans' rise ($starts vs $((f1 - f0)))" \
		test $((starts - (f1 - f0))) -ge -1 -a $((starts - (f1 - f0))) -le 1
	check "$tag: no drops" "$(tail -1 "$TMPD/$t.jsonl" | jq .drops)" 0
	check "$tag: no per-process event of another pid" \
		"$(count $t "has(\"pid\") and .pid != $A")" 0
	check "$tag: the unfiltered tracer did see B's merges" \
		"$(count all$hooks ".event==\"merge\" and .err==0 and .pid==$B")" 32
	check "$tag: summary counts equal the lines printed" \
		"$(jq -s '(.[-1].counts | to_entries | map(.value) | add) == (length - 1)' "$TMPD/$t.jsonl")" true
	check "$tag: summary merge count" \
		"$(jq -s '.[-1].counts.merge == ([.[] | select(.event=="merge")] | length)' "$TMPD/$t.jsonl")" true
	check "$tag: merge records carry hex addr, pfn, comm" \
		"$(jq -s '[.[] | select(.event=="merge")] | all(.addr|test("^0x[0-9a-f]+$")) and all(.pfn > 0) and all(.comm=="workload")' "$TMPD/$t.jsonl")" true
	# every mergeable page merged exactly once; the unmerged ones are the pages written
	check "$tag: merge addresses are exactly the mergeable pages" \
		"$(jq -s --argjson wl "$AJSON" "$HEXDEF"'
			[.[] | select(.event=="merge" and .err==0) | (.addr|hex) - ($wl.mergeable_start|hex)] | sort
			== [range(0; $wl.mergeable_pages) * 4096]' "$TMPD/$t.jsonl")" true
	check "$tag: unmerge addresses are exactly the pages written" \
		"$(jq -s --argjson wl "$AJSON" "$HEXDEF"'
			[.[] | select(.event=="unmerge") | (.addr|hex) - ($wl.mergeable_start|hex)] | sort
			== [range(0; $wl.write_copies + $wl.pipe_copies) * 4096]' "$TMPD/$t.jsonl")" true
	# unmerge times come from jiffies converted in userspace: within a tick of the truth
	check "$tag: unmerges are stamped after the merges (to a tick)" \
		"$(jq -s '([.[] | select(.event=="merge") | .ts_ns] | max) as $m
			| [.[] | select(.event=="unmerge") | .ts_ns] | all(. >= $m - 10000000)' "$TMPD/$t.jsonl")" true
	kill -TERM "$A" "$B"
}

merge_unmerge_round btf
merge_unmerge_round classic

# use_zero_pages=1: zero pages merge into the kernel's zero page (zero_merge), and a
# write to one is an unmerge with "zero": true; cow_ksm does not count those.
zero_round() {
	local tag="trace[use_zero_pages]" ZW=6
	ksm_fast 1
	start_workload z --contents 8 --copies 2 --zero $Z --unmergeable 0 --write-copies 0 \
		--write-zero $ZW --pipe-copies 0 || return
	local A=$WL_PID
	start_tracer tz --pid "$A" --json || return
	local T=$TR_PID c0
	echo 1 > "$KSM/run"
	wait_for "$tag: zero pages merged" 30 zero_is "$A" $Z || return
	wait_for "$tag: contents merged" 30 merging_is "$A" 16 || return
	c0=$(vmstat cow_ksm)
	check "$tag: writes done" "$(workload_phase z "$A" USR1 user_writes)" $ZW
	echo 0 > "$KSM/run"
	check "$tag: ksm_zero_pages fell by the writes" "$(ksm_stat "$A" ksm_zero_pages)" $((Z - ZW))
	check "$tag: cow_ksm does not count zero-page unmerges" $(($(vmstat cow_ksm) - c0)) 0
	stop_tracer tz $T
	check "$tag: zero_merge events" "$(count tz ".event==\"zero_merge\" and .err==0 and .pid==$A")" $Z
	check "$tag: merge events (non-zero contents)" "$(count tz ".event==\"merge\" and .err==0 and .pid==$A")" 16
	check "$tag: zero unmerge events" "$(count tz ".event==\"unmerge\" and .zero==true and .pid==$A")" $ZW
	kill -TERM "$A"
}
zero_round

# Attach after KSM merged: the pagemap + kpageflags pass finds the merged pages,
# so writes to them are still unmerges.
late_attach_round() {
	local tag="trace[attached after merge]"
	ksm_fast 0
	start_workload late --contents 32 --copies 2 --zero 0 --unmergeable 0 --write-copies 10 --pipe-copies 3 || return
	local A=$WL_PID
	echo 1 > "$KSM/run"
	wait_for "$tag: merged" 30 merging_is "$A" 64 || return
	echo 0 > "$KSM/run"
	start_tracer tl --pid "$A" --json || return
	local T=$TR_PID c0
	c0=$(vmstat cow_ksm)
	workload_phase late "$A" USR1 user_writes > /dev/null
	workload_phase late "$A" USR2 pipe_reads > /dev/null
	check "$tag: cow_ksm rose by 13" $(($(vmstat cow_ksm) - c0)) 13
	stop_tracer tl $T
	check "$tag: merge events (none: merged before attach)" "$(count tl '.event=="merge"')" 0
	check "$tag: unmerge events" "$(count tl ".event==\"unmerge\" and .pid==$A")" 13
	kill -TERM "$A"
}
late_attach_round
