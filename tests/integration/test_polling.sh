#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The polling sources (--hooks polling), for kernels with no hook for merges or
# copy-on-write faults: merges found by pagemap + kpageflags rounds, breaks by the same
# rounds, scans by full_scans. On this host, against the kernel's own counters: the
# merges equal ksm_merging_pages and the unmerges the cow_ksm rise, within a round; watch's
# ksm_saved equals pages_sharing. KSM's settings are saved and restored.
. "$(dirname "$0")/lib.sh"
SNAPWAIT="$(dirname "$0")/snapwait.py"
ksm_save
ksm_fast

start_workload p --contents 32 --copies 10 --zero 0 --write-copies 32 --pipe-copies 0 || exit 1
W=$WL_PID
start_tracer poll --pid $W --json --hooks polling || exit 1
check "trace --hooks polling: merges, breaks, scans, entry and forks polled" \
	"$(head -1 "$TMPD/poll.err" | grep -o 'merges=[a-z]*\|scans=[a-z]*\|ksm_enter_exit=[a-z]*\|forks=[a-z]*\|cow_faults=[a-z]*' | tr '\n' ' ')" \
	"merges=polling scans=polling ksm_enter_exit=polling forks=polling cow_faults=polling "
echo 1 > "$KSM/run"
wait_for "every copy merged" 50 merging_is $W 320
echo 0 > "$KSM/run" # what is merged stays merged: the writes below are the only change
# the rounds come at most once a second: wait for them, 10 s at most
seen() { [ "$(count poll "$1")" -ge "$2" ]; }
deadline=$((SECONDS + 10))
until seen '.event == "merge"' 320 || [ $SECONDS -gt $deadline ]; do sleep 0.1; done
check "polled merges = ksm_merging_pages, within a round" "$(count poll '.event == "merge" and .err == 0')" \
	"$(ksm_stat $W ksm_merging_pages)"
check "polled merges: each one site at its address on its KSM frame" \
	"$(jq -s '[.[] | select(.event == "merge") | [.pid, .addr]] | unique | length' "$TMPD/poll.jsonl")" 320
COW0=$(vmstat cow_ksm)
check "the writes" "$(workload_phase p $W USR1 user_writes)" 32
COW=$(($(vmstat cow_ksm) - COW0))
deadline=$((SECONDS + 10))
until seen '.event == "unmerge"' "$COW" || [ $SECONDS -gt $deadline ]; do sleep 0.1; done
check "cow_ksm rose by the 32 writes" "$COW" 32
check "polled unmerges = the cow_ksm rise, within a round" "$(count poll '.event == "unmerge"')" "$COW"
check "polled scans: full_scans moved, scan_stop seen" "$(count poll '.event == "scan_stop"' | awk '{print ($1 > 0)}')" 1
stop_tracer poll $TR_PID

# watch: the actual saving from the same rounds
echo 2 > "$KSM/run"
wait_for "unmerged" 50 bash -c "[ \"\$(cat $KSM/pages_sharing)\" = 0 ]"
"$KSMSCOPE" watch --json --pid $W --hooks polling --interval 0.3 --scan-rate 1000 > "$TMPD/w.jsonl" 2> "$TMPD/w.err" &
WP=$!
CHILDREN+=($WP)
python3 "$SNAPWAIT" "$TMPD/w.jsonl" 's["totals"] is not None and s["totals"]["saveable"] is not None and not s["sample"]["estimate"]' 30 > /dev/null ||
	fail "watch --hooks polling: no snapshot: $(cat "$TMPD/w.err")"
echo 1 > "$KSM/run"
# the 32 written copies hold contents of their own now: 288 merge again
wait_for "merged again" 50 merging_is $W 288
echo 0 > "$KSM/run"
SHARING=$(cat "$KSM/pages_sharing")
S=$(python3 "$SNAPWAIT" "$TMPD/w.jsonl" "s['totals']['ksm_saved'] == $SHARING and s['dynamics']['merges'] >= 288" 30) ||
	fail "watch --hooks polling: ksm_saved never reached pages_sharing ($SHARING)"
kill -INT $WP; wait $WP
check "watch --hooks polling: ksm_saved = pages_sharing" "$(jq .totals.ksm_saved <<< "$S")" "$SHARING"
check "watch --hooks polling: merges counted from the rounds = ksm_merging_pages" \
	"$(jq .dynamics.merges <<< "$S")" "$(ksm_stat $W ksm_merging_pages)"
check "watch --hooks polling: tracer.sources" "$(jq -c '[.tracer.sources.merges, .tracer.sources.cow_faults]' <<< "$S")" \
	'["polling","polling"]'

"$KSMSCOPE" features --hooks polling --json > "$TMPD/f.json"
check "features --hooks polling: polling chosen first where it is offered" \
	"$(jq -c '.capabilities | [.merges, .ksm_pages, .scans, .ksm_enter_exit, .forks, .cow_faults] | map(.source)' "$TMPD/f.json")" \
	'["polling","tp_btf","polling","polling","polling","polling"]'
