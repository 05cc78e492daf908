#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The perf source of copy-on-write breaks (--hooks perf), for kernels with no page-fault
# tracepoint and no wp_page_copy to hook (arm64 6.9+): the software page-fault event gives
# every fault of the targets' mergeable memory, and userspace keeps those on merged pages
# whose frame pagemap shows changed. On this host, against the kernel's own counter: 32
# writes to merged copies are 32 unmerges, the cow_ksm rise, each at its page and frame.
. "$(dirname "$0")/lib.sh"
ksm_save
ksm_fast

start_workload p --contents 32 --copies 10 --zero 0 --write-copies 32 --pipe-copies 0 || exit 1
W=$WL_PID
start_tracer perf --pid $W --json --hooks perf || exit 1
check "trace --hooks perf: copy-on-write from the perf event, merges from the tracepoints" \
	"$(head -1 "$TMPD/perf.err" | grep -o 'merges=[a-z_]*\|cow_faults=[a-z_]*' | tr '\n' ' ')" \
	"merges=tp_btf cow_faults=perf "
echo 1 > "$KSM/run"
wait_for "every copy merged" 50 merging_is $W 320
echo 0 > "$KSM/run" # what is merged stays merged: the writes below are the only change
wait_for "the merges traced" 50 bash -c "[ \$(jq -c 'select(.event == \"merge\")' $TMPD/perf.jsonl | wc -l) -ge 320 ]"
COW0=$(vmstat cow_ksm)
check "the writes" "$(workload_phase p $W USR1 user_writes)" 32
COW=$(($(vmstat cow_ksm) - COW0))
check "cow_ksm rose by the 32 writes" "$COW" 32
wait_for "the unmerges traced" 50 bash -c "[ \$(jq -c 'select(.event == \"unmerge\")' $TMPD/perf.jsonl | wc -l) -ge $COW ]"
stop_tracer perf $TR_PID
check "perf unmerges = the cow_ksm rise" "$(count perf '.event == "unmerge"')" "$COW"
check "perf unmerges: 32 pages, each once" \
	"$(jq -s '[.[] | select(.event == "unmerge") | .addr] | unique | length' "$TMPD/perf.jsonl")" 32
check "perf unmerges: each on the frame its merge named" \
	"$(jq -s '([.[] | select(.event == "merge") | {(.addr): .pfn}] | add) as $m | [.[] | select(.event == "unmerge") | select($m[.addr] != .pfn)] | length' "$TMPD/perf.jsonl")" 0

"$KSMSCOPE" features --json > "$TMPD/f.json"
check "features: perf is offered for copy-on-write, and works here" \
	"$(jq -r '.capabilities.cow_faults.tried[] | select(.source == "perf") | .state' "$TMPD/f.json")" works
