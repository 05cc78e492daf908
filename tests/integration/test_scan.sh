#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ksmscope scan against real processes with known answers, and field by field
# against an independent count (tests/refscan.py) of the same frozen processes.
. "$(dirname "$0")/lib.sh"
ksm_save
REFSCAN="$(dirname "$0")/../refscan.py"

K=16 M=4 P=20 K2=12 U=16448 SEED=$RANDOM
# a VMM-named process with a >= 64 MiB anonymous mapping: that mapping is "guest"
start_workload vm1 --name qemu-system-x86 --contents $K --copies $M --zero 0 --unmergeable 8 \
	--subpage $P --shared $K2 --shared-seed $SEED --unique $U --write-copies 0 --pipe-copies 0 || exit 1
V1=$WL_PID
start_workload vm2 --name qemu-system-x86 --contents $K --copies $M --zero 0 --unmergeable 8 \
	--subpage $P --shared $K2 --shared-seed $SEED --unique $U --write-copies 0 --pipe-copies 0 || exit 1
V2=$WL_PID
# an ordinary process: zero pages, zero-page mappings, THP, and a forked child sharing its frames
start_workload plain --contents 8 --copies 3 --zero 40 --unmergeable 10 --thp-mb 8 --zero-mapped 5 \
	--write-copies 0 --pipe-copies 0 --fork || exit 1
PL=$WL_PID
until grep -q child "$TMPD/plain.out"; do sleep 0.02; done
CH=$(grep child "$TMPD/plain.out" | jq .child)
PIDS="$V1,$V2,$PL,$CH"

scan_vs_ref() { # TAG: freeze the targets, scan, compare every field with refscan
	local tag=$1
	kill -STOP $V1 $V2 $PL $CH
	"$KSMSCOPE" scan --pid "$PIDS" --freeze --subpage --json > "$TMPD/$tag.scan.json" 2> "$TMPD/$tag.scan.err"
	check "$tag: scan exit status" $? 0
	# without --subpage the scan reads whole only pages whose 64-byte prefix another page has
	"$KSMSCOPE" scan --pid "$PIDS" --freeze --json > "$TMPD/$tag.filt.json" 2> "$TMPD/$tag.filt.err"
	check "$tag: prefix-filtered scan exit status" $? 0
	python3 "$REFSCAN" ${PIDS//,/ } > "$TMPD/$tag.ref.json" 2> "$TMPD/$tag.ref.err"
	check "$tag: refscan exit status" $? 0
	check "$tag: scan left the stopped targets stopped" \
		"$(for p in $V1 $V2 $PL $CH; do awk '{print $3}' /proc/$p/stat; done | sort -u)" T
	kill -CONT $V1 $V2 $PL $CH
	# every field of totals, of each region and of each group (fractional shares to 1e-3)
	local diff
	diff=$(jq -n --slurpfile a "$TMPD/$tag.scan.json" --slurpfile b "$TMPD/$tag.ref.json" '
		def close(x; y): if x == null or y == null then x == y else ((x - y) | fabs) < 0.002 end;
		def cmp(p; x; y): [ (y | keys[]) as $k |
			if $k == "subpage" then (y.subpage | keys[]) as $n |
				select(close(x.subpage[$n]; y.subpage[$n]) | not) | "\(p).subpage.\($n): \(x.subpage[$n]) vs \(y.subpage[$n])"
			elif ($k == "key" or $k == "pids" or $k == "comm") then empty
			else select(close(x[$k]; y[$k]) | not) | "\(p).\($k): \(x[$k]) vs \(y[$k])" end ];
		$a[0] as $s | $b[0] as $r |
		cmp("totals"; $s.totals; $r.totals)
		+ ([$r.regions | keys[]] | map(. as $g | cmp("regions.\($g)"; $s.regions[$g]; $r.regions[$g])) | add)
		+ ($r.groups | map(. as $g | ($s.groups[] | select(.key == $g.key)) as $sg | cmp("group \($g.key)"; $sg; $g)) | add)
		| .[]')
	check "$tag: every field equals the independent count" "$diff" ""
	# the prefix-filtered scan: every field but the sub-page ones as the full scan's (= refscan's)
	diff=$(jq -n --slurpfile a "$TMPD/$tag.filt.json" --slurpfile b "$TMPD/$tag.scan.json" '
		def cmp(p; x; y): [ (y | keys[]) as $k | select($k != "subpage" and x[$k] != y[$k]) |
			"\(p).\($k): \(x[$k]) vs \(y[$k])" ];
		$a[0] as $f | $b[0] as $s |
		cmp("totals"; $f.totals; $s.totals)
		+ ([$s.regions | keys[]] | map(. as $g | cmp("regions.\($g)"; $f.regions[$g]; $s.regions[$g])) | add)
		+ ($s.groups | map(. as $g | ($f.groups[] | select(.key == $g.key)) as $fg | cmp("group \($g.key)"; $fg; $g)) | add)
		| .[]')
	check "$tag: prefix-filtered scan: every figure equals the full read's" "$diff" ""
	check "$tag: prefix-filtered scan: prefixes through the BPF reader" "$(jq -r .sample.prefix_reader "$TMPD/$tag.filt.json")" bpf
	# each VM's U unique random pages have prefixes of their own: counted, not read, but
	# for the prefix filter's false positives (~0.1% here), which are read whole
	check_true "$tag: prefix-filtered scan: the unique pages were not read, 99% of them ($(jq -c '.cost | [.pages_read, .pages_unique]' "$TMPD/$tag.filt.json"))" \
		test "$(jq --argjson u $((2 * U)) '.cost.pages_unique >= $u * 0.99 and .cost.pages_read + .cost.pages_unique <= .totals.sites' "$TMPD/$tag.filt.json")" = true
	check "$tag: prefix-filtered scan: every site is read, known or proven unique" \
		"$(jq '.cost.pages_read + .cost.pages_known + .cost.pages_unique' "$TMPD/$tag.filt.json")" \
		"$(jq '.cost.pages_read + .cost.pages_known' "$TMPD/$tag.scan.json")"
	check "$tag: same groups as the independent count" \
		"$(jq -c '[.groups[].key] | sort' "$TMPD/$tag.scan.json")" "$(jq -c '[.groups[].key] | sort' "$TMPD/$tag.ref.json")"
	check "$tag: no races while frozen" \
		"$(jq -c '[.races.exited, .races.unreadable, .races.vanished_pages, .races.changed_pages]' "$TMPD/$tag.scan.json")" "[0,0,0,0]"
}

known_answers() { # TAG FILE: exact answers from the workloads' construction
	local tag=$1 f=$2 n=2 k
	local gsites=$((K * M + P + K2 + U))
	check "$tag: guest sites" "$(jq .regions.guest.sites "$f")" $((n * gsites))
	check "$tag: guest contents" "$(jq .regions.guest.contents "$f")" $((n * (K + P + U) + K2))
	check "$tag: guest saveable (copies within, shared across VMs)" "$(jq .regions.guest.saveable "$f")" \
		$((n * K * (M - 1) + K2 * (n - 1)))
	check "$tag: guest zero sites" "$(jq .regions.guest.zero_sites "$f")" 0
	for c in 2048 1024 512 256; do
		k=$((4096 / c))
		check "$tag: guest subpage.$c" "$(jq ".regions.guest.subpage[\"$c\"]" "$f")" \
			$((n * K * (M - 1) * 4096 + n * (P - 1) * (k - 1) * c + K2 * (n - 1) * 4096))
	done
	# mergeable memory is only what the workloads made mergeable (the child inherits it)
	check "$tag: mergeable sites" "$(jq .totals.mergeable_sites "$f")" $((n * gsites + 2 * (8 * 3 + 40)))
	check "$tag: thp sites equal the kernel's AnonHugePages" "$(jq .totals.thp_sites "$f")" \
		$(( $(cat /proc/{$V1,$V2,$PL,$CH}/smaps | awk '/^AnonHugePages:/ {s += $2} END {print s}') / 4 ))
	check "$tag: the THP region is backed by huge pages" \
		"$(test "$(jq .totals.thp_sites "$f")" -ge 2048 && echo yes)" yes
	check "$tag: zero-page mappings include the workload's read faults" \
		"$(test "$(jq ".groups[] | select(.key == \"$PL\") | .zero_mapped" "$f")" -ge 5 && echo yes)" yes
	# the child still shares its parent's frames for everything it has not written
	check "$tag: the forked child's shared frames (generated + THP pages) are counted once" \
		"$(jq '.totals | .sites - .frames >= 64 + 2048' "$f")" true
}

ksm_fast 0
scan_vs_ref before_ksm
known_answers before_ksm "$TMPD/before_ksm.scan.json"
check "before_ksm: nothing merged yet" "$(jq .totals.ksm_sites "$TMPD/before_ksm.scan.json")" 0
# saveable_mergeable: K*(M-1) per VM, K2 shared once more, plain: 8*2 copies x2 processes
# (its child holds the same contents) plus 80 zero pages
SM=$((2 * K * (M - 1) + K2 + (8 * 6 - 8) + (80 - 1)))
check "before_ksm: saveable_mergeable" "$(jq .totals.saveable_mergeable "$TMPD/before_ksm.scan.json")" $SM
check "before_ksm: achievable (every copy under max_page_sharing)" \
	"$(jq .totals.achievable "$TMPD/before_ksm.scan.json")" $SM

# let KSM merge, stop it, and scan again: KSM's own counters are the oracle
echo 1 > "$KSM/run"
wait_for "KSM merged the VMs' copies" 40 merging_is "$V1" $((K * M + K2)) || exit 1
wait_scans 2
echo 0 > "$KSM/run"
scan_vs_ref after_ksm
known_answers after_ksm "$TMPD/after_ksm.scan.json"
MERGING=0; for p in $V1 $V2 $PL $CH; do MERGING=$((MERGING + $(ksm_stat $p ksm_merging_pages))); done
check "after_ksm: ksm_sites equals the sum of ksm_merging_pages" "$(jq .totals.ksm_sites "$TMPD/after_ksm.scan.json")" $MERGING
check "after_ksm: ksm_saved equals ksm_sites - ksm_frames" \
	"$(jq '.totals | .ksm_saved == .ksm_sites - .ksm_frames' "$TMPD/after_ksm.scan.json")" true
# JSON ratios carry three decimals: 1 when KSM merged everything, 0.998 when it had not yet
check "after_ksm: effectiveness is (ksm_saved + ksm_zero_pages) / saveable_mergeable (to 3 decimals)" \
	"$(jq '.totals | ((.effectiveness - (.ksm_saved + .ksm_zero_pages) / .saveable_mergeable) | fabs) <= 0.0005' "$TMPD/after_ksm.scan.json")" true
check "after_ksm: unshare debt = ksm_saved + ksm_zero_pages, in totals" \
	"$(jq '.totals | .unshare_debt_pages == .ksm_saved + .ksm_zero_pages' "$TMPD/after_ksm.scan.json")" true
check "after_ksm: the groups' unshare debts add up to the total's (to rounding)" \
	"$(jq '(([.groups[].unshare_debt_pages] | add) - .totals.unshare_debt_pages | fabs) < 1e-6' "$TMPD/after_ksm.scan.json")" true
# KSM is off: its counters stand still since the scan read them
check "after_ksm: the host's unshare debt = pages_sharing + ksm_zero_pages" \
	"$(jq .ksm.unshare_debt_pages "$TMPD/after_ksm.scan.json")" \
	$(($(cat "$KSM/pages_sharing") + $(cat "$KSM/ksm_zero_pages" 2> /dev/null || echo 0)))
check_true "after_ksm: MemAvailable beside it" test "$(jq .ksm.mem_available_pages "$TMPD/after_ksm.scan.json")" -gt 0
check "after_ksm: merging did not change the potential" \
	"$(jq .totals.saveable_mergeable "$TMPD/after_ksm.scan.json")" $SM

# use_zero_pages=1: zero pages become zero-page mappings, yet stay in the potential
echo 2 > "$KSM/run"; wait_for "unmerged" 40 merging_is "$V1" 0; echo 0 > "$KSM/run"
ksm_fast 1
echo 1 > "$KSM/run"
wait_for "zero pages merged into the zero page" 40 zero_is "$PL" 40 || exit 1
wait_scans 2
echo 0 > "$KSM/run"
scan_vs_ref zero_pages
f="$TMPD/zero_pages.scan.json"
ZP=0; for p in $V1 $V2 $PL $CH; do ZP=$((ZP + $(ksm_stat $p ksm_zero_pages))); done
check "use_zero_pages: ksm_zero_pages equals the processes' ksm_stat" "$(jq .totals.ksm_zero_pages "$f")" $ZP
check "use_zero_pages: zero merges are not zero_mapped" \
	"$(jq ".groups[] | select(.key == \"$PL\") | .zero_mapped" "$f")" \
	"$(jq ".groups[] | select(.key == \"$PL\") | .zero_mapped" "$TMPD/before_ksm.scan.json")"
check "use_zero_pages: the potential is unchanged" "$(jq .totals.saveable_mergeable "$f")" $SM
check "use_zero_pages: every zero copy is achievable" "$(jq .totals.achievable "$f")" $((SM + 1))
