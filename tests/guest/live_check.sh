#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Runs inside a test guest whose kernel predates the ksm:* tracepoints: the tracer's
# sources there (features), and the live checks the host suite makes with tracepoints,
# once per source (auto; fexit forced, copy-on-write from fentry on wp_page_copy too; kprobe
# forced, both from kprobes): trace sees a known workload merge and
# 32 writes break merged pages; watch reports what KSM saves. Prints "KEY value" lines;
# "TRACE-<source> {...}" lines are trace --json's, one each. A data file "rounds" beside
# it sets ROUNDS (the --hooks of each round; "late" rounds are "auto late") where the
# kernel has other sources (arm64: no fexit on 6.1).
KSM=/sys/kernel/mm/ksm
cow() { awk '$1 == "cow_ksm" { print $2 }' /proc/vmstat; }
echo "KERNEL $(uname -r)"
echo "FEATURES $(./ksmscope features --json 2> /tmp/f.err)"
echo "FEATURESERR $(cat /tmp/f.err)"
echo 4000 > $KSM/pages_to_scan
echo 10 > $KSM/sleep_millisecs

# start_trace HOOKS NAME TARGETS...: trace --hooks HOOKS of the workload, once attached
start_trace() {
	h=$1 nm=$2
	shift 2
	rm -f /tmp/t.err
	./ksmscope trace --json "$@" --hooks "$h" > /tmp/t.jsonl 2> /tmp/t.err &
	T=$!
	n=0
	until grep -q "Tracing KSM events" /tmp/t.err || [ $n -gt 300 ]; do sleep 0.1; n=$((n + 1)); done
	echo "TRACESTART-$nm $(head -1 /tmp/t.err)"
}

# round HOOKS [late]: a fresh workload merged and written under trace --hooks HOOKS; late:
# the tracer attaches after the merges, by comm (its first pass finds the merged pages)
round() {
	name=$1${2:+-$2}
	echo 2 > $KSM/run # nothing merged from before
	rm -f /tmp/w.out
	./workload --contents 32 --copies 10 --zero 0 --write-copies 32 --pipe-copies 0 > /tmp/w.out 2> /tmp/w.err &
	W=$!
	while [ ! -s /tmp/w.out ]; do sleep 0.1; done
	[ -z "${2:-}" ] && start_trace "$1" "$name" --pid $W
	echo 1 > $KSM/run
	start=$(cat $KSM/full_scans)
	while [ "$(cat /proc/$W/ksm_merging_pages)" != 320 ]; do
		[ $(($(cat $KSM/full_scans) - start)) -gt 20 ] && break
		sleep 0.1
	done
	sleep 0.5 # two more polls of full_scans: scan_stop seen
	# a polled source sees merges a round late: the writes must come after it saw them
	n=0
	while [ -z "${2:-}" ] && [ "$(grep -c '"event": "merge"' /tmp/t.jsonl)" -lt 320 ] && [ $n -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	echo 0 > $KSM/run # what is merged stays merged: the writes below are the only change
	# by comm: the tracer must find the process itself, by its merged pages (ksm_stat, or
	# ksm_merging_pages before 6.4)
	[ -n "${2:-}" ] && start_trace "$1" "$name" --comm workload
	echo "MERGING-$name $(cat /proc/$W/ksm_merging_pages)"
	# the frame of each merged page, from pagemap, for the merge events' pfns to be checked
	start_hex=$(sed -n 's/.*"mergeable_start": "0x\([0-9a-f]*\)".*/\1/p' /tmp/w.out)
	p0=$((0x$start_hex / 4096))
	for i in $(seq 0 319); do
		v=$(dd if=/proc/$W/pagemap bs=8 skip=$((p0 + i)) count=1 2> /dev/null | od -An -tu8)
		echo "PFN-$name $(printf 0x%x $(((p0 + i) * 4096))) $((v & 0x7FFFFFFFFFFFFF))"
	done
	echo "SHARING-$name $(cat $KSM/pages_sharing) $(cat $KSM/pages_shared)"
	if [ "$name" = auto ]; then
		./ksmscope watch --json --pid $W --interval 0.5 --count 6 > /tmp/watch.jsonl 2> /tmp/watch.err
		echo "WATCH $(tail -1 /tmp/watch.jsonl)"
		echo "WATCHERR $(cat /tmp/watch.err)"
		# 10 s: under TCG (arm64 most) the engine's start once took more than 6 s
		./ksmscope record --pid $W --interval 0.5 --duration 10 -o /tmp/r.ksr 2> /tmp/rec.err
		echo "RECORDRC $?"
		echo "RECORDERR $(tail -1 /tmp/rec.err)"
		echo "REPORT $(./ksmscope report --json /tmp/r.ksr 2> /tmp/rep.err)"
		echo "REPORTERR $(cat /tmp/rep.err)"
	fi
	c0=$(cow)
	kill -USR1 $W
	until grep -q user_writes /tmp/w.out; do sleep 0.1; done
	echo "COW-$name $(($(cow) - c0))"
	sleep 1 # the unmerges reach the ring buffer
	kill -INT $T
	wait $T
	echo "TRACERC-$name $?"
	while read -r line; do echo "TRACE-$name $line"; done < /tmp/t.jsonl
	kill -KILL $W
	wait $W 2> /dev/null
}
ROUNDS="auto fexit kprobe"
[ -f rounds ] && . ./rounds
for r in $ROUNDS; do round "$r"; done
round auto late
echo 0 > $KSM/run
