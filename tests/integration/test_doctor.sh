#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ksmscope doctor on real cases with known answers: duplicates outside mergeable ranges
# (not_mergeable = D - 1), a content with more copies than max_page_sharing allows
# (300 copies: 300 - 1 - (300 - 2) = 1 page), zero pages with use_zero_pages=0, shared and
# hugetlb memory, KSM stopped and unmerging, a slow pages_to_scan, duplicates inside huge
# pages (counted from kpageflags), duplicates rewritten every 2 ms (volatile), and writes
# breaking merged pages while doctor watches (cow_storm = the cow_ksm rise). KSM's settings
# and nr_hugepages are saved and restored on every exit.
. "$(dirname "$0")/lib.sh"
ksm_save
echo 0 > "$KSM/run"

finding() { # FILE CODE [PID]: the finding's JSON (the one about PID's group when given)
	if [ -n "${3:-}" ]; then
		jq -c --arg c "$2" --argjson p "$3" '.findings[] | select(.code == $c and (.pids | index($p)))' "$1"
	else
		jq -c --arg c "$2" '.findings[] | select(.code == $c)' "$1"
	fi
}

start_workload d --contents 1 --copies 300 --zero 16 --unmergeable 10 --write-copies 0 --pipe-copies 0 || exit 1
P=$WL_PID
"$KSMSCOPE" doctor --pid $P --sample 1 --watch 0 --json > "$TMPD/off.json"
check "doctor --json: exit status" $? 0
check "doctor --json: findings, ksm and scanned" "$(jq -c 'keys' "$TMPD/off.json")" '["findings","ksm","scanned"]'
check "--watch 0: no window" "$(jq -c .scanned.watch "$TMPD/off.json")" null
"$KSMSCOPE" scan --pid $P --json > "$TMPD/scan.json"
check "not_mergeable: the D = 10 unmergeable copies, D - 1 pages" "$(finding "$TMPD/off.json" not_mergeable $P | jq .pages)" 9
check "max_page_sharing: 300 copies, 256 to a KSM page: 1 page" "$(finding "$TMPD/off.json" max_page_sharing | jq .pages)" 1
check "zero_pages (use_zero_pages=0): the scan's saveable_zero" "$(finding "$TMPD/off.json" zero_pages | jq .pages)" \
	"$(jq .totals.saveable_zero "$TMPD/scan.json")"
check "ksm_off: what KSM could save (the scan's achievable)" "$(finding "$TMPD/off.json" ksm_off | jq .pages)" \
	"$(jq .totals.achievable "$TMPD/scan.json")"
check "ksm_off: the fix" "$(finding "$TMPD/off.json" ksm_off | jq -r .fix | grep -c 'echo 1 > /sys/kernel/mm/ksm/run')" 1
check "most costly first" "$(jq '[.findings[].pages] | . == (sort | reverse)' "$TMPD/off.json")" true
"$KSMSCOPE" doctor --pid $P --sample 1 --watch 1 > "$TMPD/off.txt" 2> "$TMPD/off.err"
check "text: one line per finding, numbered" "$(grep -c '^[0-9]\+\. ' "$TMPD/off.txt")" "$(jq '.findings | length' "$TMPD/off.json")"
check "text: what the window saw" "$(grep -c '^watched .* unmerges traced (tp_btf)' "$TMPD/off.txt")" 1
check "the window, said on stderr" "$(cat "$TMPD/off.err")" "Watching for 1.0 s (tracer: tp_btf)."
# sampled (the default): classes over the threshold and zero pages are always read, so these
# stay; a class of 10 pages is read with probability 9/16, so not_mergeable may or may not
check "sampled (the default): ksm_off, max_page_sharing and zero_pages as exact" \
	"$("$KSMSCOPE" doctor --pid $P --watch 0 --json | jq -c '[.findings[] | select(.code != "not_mergeable") | [.code, .pages]] | sort')" \
	"$(jq -c '[.findings[] | select(.code != "not_mergeable") | [.code, .pages]] | sort' "$TMPD/off.json")"

echo 2 > "$KSM/run"
check "run=2: ksm_unmerging, critical" "$("$KSMSCOPE" doctor --pid $P --watch 0 --json | jq -r '.findings[] | select(.code == "ksm_unmerging") | .severity')" critical
echo 0 > "$KSM/run"

# a full scan of these ~1,000 mergeable pages at 1 page a second: far over a 60 s bound
echo 1 > "$KSM/pages_to_scan"
echo 1000 > "$KSM/sleep_millisecs"
echo 1 > "$KSM/run"
"$KSMSCOPE" doctor --pid $P --sample 1 --scan-bound 60 --watch 0 --json > "$TMPD/slow.json"
echo 0 > "$KSM/run"
M=$(jq .totals.mergeable_sites "$TMPD/scan.json")
check "slow_scan: a full scan takes mergeable_sites seconds at 1 page/s" \
	"$(finding "$TMPD/slow.json" slow_scan | jq .evidence.full_scan_seconds)" "$M"
check "slow_scan: the setting that meets the bound" \
	"$(finding "$TMPD/slow.json" slow_scan | jq -r .fix | grep -c "echo $(((M + 59) / 60)) > /sys/kernel/mm/ksm/pages_to_scan")" 1
check "ksm running: no ksm_off" "$(finding "$TMPD/slow.json" ksm_off)" ""
ksm_restore

# memory KSM cannot merge
set_saved /proc/sys/vm/nr_hugepages 4
python3 - > "$TMPD/shm.out" << 'PY' &
import mmap, os, time
fd = os.memfd_create("ksmscope-doctor")
os.ftruncate(fd, 500 * 4096)
m = mmap.mmap(fd, 500 * 4096, mmap.MAP_SHARED)
for i in range(500): m[i * 4096] = 1
h = mmap.mmap(-1, 2 << 20, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | 0x40000)
h[0] = 1
print("ready", flush=True)
time.sleep(600)
PY
S=$!
CHILDREN+=($S)
for _ in $(seq 100); do grep -q ready "$TMPD/shm.out" && break; sleep 0.1; done
"$KSMSCOPE" doctor --pid $S --watch 0 --json > "$TMPD/shm.json"
check "shared_memory: the 500 memfd pages" "$(finding "$TMPD/shm.json" shared_memory $S | jq .pages)" 500
check "hugetlb: one 2 MiB huge page, 512 pages" "$(finding "$TMPD/shm.json" hugetlb $S | jq .pages)" 512

kill "$S"

# duplicates inside huge pages, and duplicates that never hold still (KSM off)
start_workload t --contents 1 --copies 2 --thp-mb 4 --thp-mergeable --volatile 32 --write-copies 0 \
	--pipe-copies 0 || exit 1
T=$WL_PID
"$KSMSCOPE" doctor --pid $T --sample 1 --freeze --watch 2 --json > "$TMPD/thp.json" 2> /dev/null
# kpageflags: THP pages among the even (content a) and odd (content b) pages of the 4 MiB region
read -r TA TB < <(python3 - "$T" "$(echo "$WL_JSON" | jq -r .thp_start)" << 'PY'
import struct, sys
pid, start = int(sys.argv[1]), int(sys.argv[2], 16)
n = 1024
with open(f"/proc/{pid}/pagemap", "rb") as pm, open("/proc/kpageflags", "rb") as kf:
    pm.seek(start // 4096 * 8)
    ents = struct.unpack(f"{n}Q", pm.read(8 * n))
    thp = [0, 0]
    for i, e in enumerate(ents):
        if e >> 63:
            kf.seek((e & ((1 << 55) - 1)) * 8)
            if struct.unpack("Q", kf.read(8))[0] >> 22 & 1:
                thp[i % 2] += 1
print(*thp)
PY
)
check_true "the workload's region is in huge pages (kpageflags)" [ $((TA + TB)) -gt 0 ]
check "thp: min(THP copies, 512 - 1) of each content, from kpageflags" \
	"$(finding "$TMPD/thp.json" thp $T | jq .pages)" "$(((TA < 511 ? TA : 511) + (TB < 511 ? TB : 511)))"
check "thp: the THP sites holding a duplicate" "$(finding "$TMPD/thp.json" thp $T | jq .evidence.thp_duplicate_sites)" \
	$((TA + TB))
check "volatile: the 32 rewritten pages, 31 pages of saving" \
	"$(finding "$TMPD/thp.json" volatile $T | jq -c '[.pages, .evidence.changed_duplicate_sites]')" "[31,32]"
check "volatile: read again, none gone" "$(jq -c '.scanned.watch | [.changed_pages, .gone_pages]' "$TMPD/thp.json")" "[32,0]"
kill $T

# writes breaking merged pages while doctor watches: 256 of 512 merged copies written once
ksm_fast
start_workload c --contents 8 --copies 64 --write-copies 256 --same-writes --pipe-copies 0 || exit 1
C=$WL_PID
echo 1 > "$KSM/run"
MERGED=$(echo "$WL_JSON" | jq .merged_expected)
wait_for "every copy merged" 50 merging_is $C "$MERGED"
echo 0 > "$KSM/run" # merged pages stay merged; none is merged again
"$KSMSCOPE" doctor --pid $C --sample 1 --watch 1 --json > "$TMPD/calm.json" 2> /dev/null
check "a calm window: no cow_storm, no unmerge" \
	"$(jq -c '[([.findings[].code] | index("cow_storm")), .scanned.watch.unmerges]' "$TMPD/calm.json")" "[null,0]"
COW0=$(vmstat cow_ksm)
"$KSMSCOPE" doctor --pid $C --sample 1 --watch 3 --json > "$TMPD/storm.json" 2> "$TMPD/storm.err" &
DR=$!
CHILDREN+=($DR)
deadline=$((SECONDS + 30))
until grep -q "^Watching" "$TMPD/storm.err" || [ $SECONDS -gt $deadline ]; do sleep 0.02; done
check "the writes" "$(workload_phase c $C USR1 user_writes)" "$(echo "$WL_JSON" | jq '.write_copies + .write_zero')"
wait $DR
check "doctor while writes break merged pages: exit status" $? 0
COW=$(($(vmstat cow_ksm) - COW0))
check "the kernel counted 256 COW breaks of KSM pages" "$COW" 256
check "cow_storm: the 256 unmerges the tracer saw" "$(finding "$TMPD/storm.json" cow_storm $C | jq .pages)" "$COW"
check "the window's cow_ksm rise, as the kernel's" "$(jq .scanned.watch.cow_ksm "$TMPD/storm.json")" "$COW"
check "same-byte writes: the contents held, no volatile" "$(finding "$TMPD/storm.json" volatile $C)" ""
ksm_restore

expect_error "doctor: --watch -1" "--watch: '-1'" "$KSMSCOPE" doctor --watch -1
expect_error "doctor: --scan-bound 0" "--scan-bound: '0'" "$KSMSCOPE" doctor --scan-bound 0
expect_error "doctor: unknown pid" "no process with pid 4000000" "$KSMSCOPE" doctor --pid 4000000
