#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Scan benchmark (issue: sharing-potential scanner), in one run on the same 1 GiB target:
# the copy baselines (process_vm_readv, /proc/PID/mem), ksmscope scan with N = 1 and N = 16.
# Prints pages per second, ratios to the baselines, index memory and peak RSS.
set -u
OUT=${1:-build}
KS="$OUT/ksmscope"
WL="$OUT/tests/workload"
COPY="$OUT/bench/copy_baseline"
ROUNDS=${ROUNDS:-5}
[ "$(id -u)" = 0 ] || { echo "scan_bench: needs root" >&2; exit 1; }

# 1 GiB: 16384 contents x 4 copies, 1024 zero pages, the rest unique; no THP
"$WL" --contents 16384 --copies 4 --zero 1024 --unique $((262144 - 65536 - 1024)) --unmergeable 0 \
	--write-copies 0 --pipe-copies 0 > /tmp/scan_bench.$$ &
W=$!
trap 'kill $W 2>/dev/null; rm -f /tmp/scan_bench.$$' EXIT
until [ -s /tmp/scan_bench.$$ ]; do sleep 0.1; done
START=$(jq -r .mergeable_start /tmp/scan_bench.$$)
PAGES=$(jq .mergeable_pages /tmp/scan_bench.$$)
kill -STOP $W # an unchanging target: every method reads the same pages

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: > /tmp/scan_bench.pvr.$$; : > /tmp/scan_bench.mem.$$; : > /tmp/scan_bench.n1.$$; : > /tmp/scan_bench.n16.$$
: > /tmp/scan_bench.w1.$$; : > /tmp/scan_bench.w16.$$
# pages per second of a whole command (startup, BPF load and report included)
wall() { local t0 t1; t0=$(date +%s%N); "$@" > /dev/null; t1=$(date +%s%N); echo "$PAGES $t0 $t1" | awk '{ printf "%.0f\n", $1 / (($3 - $2) / 1e9) }'; }
for r in $(seq "$ROUNDS"); do
	# interleaved, so drift on a shared VM hits every method alike
	"$COPY" pvr $W "$START" "$PAGES" >> /tmp/scan_bench.pvr.$$
	"$COPY" mem $W "$START" "$PAGES" >> /tmp/scan_bench.mem.$$
	"$KS" scan --pid $W --json > /tmp/scan_bench.j1.$$
	jq '.totals.sites / .cost.seconds' /tmp/scan_bench.j1.$$ >> /tmp/scan_bench.n1.$$
	"$KS" scan --pid $W --sample 16 --json > /tmp/scan_bench.j16.$$
	jq '.totals.sites / .cost.seconds' /tmp/scan_bench.j16.$$ >> /tmp/scan_bench.n16.$$
	wall "$KS" scan --pid $W --json >> /tmp/scan_bench.w1.$$
	wall "$KS" scan --pid $W --sample 16 --json >> /tmp/scan_bench.w16.$$
done
pvr=$(median < /tmp/scan_bench.pvr.$$); mem=$(median < /tmp/scan_bench.mem.$$)
n1=$(median < /tmp/scan_bench.n1.$$); n16=$(median < /tmp/scan_bench.n16.$$)
w1=$(median < /tmp/scan_bench.w1.$$); w16=$(median < /tmp/scan_bench.w16.$$)
rm -f /tmp/scan_bench.*.$$

echo "scan benchmark: 1 GiB target ($PAGES pages, stopped), median of $ROUNDS interleaved rounds"
printf "  %-44s %12s %10s %10s\n" "method" "pages/s" "vs pvr" "vs mem"
row() { awk -v n="$1" -v r="$2" -v p="$pvr" -v m="$mem" 'BEGIN { printf "  %-44s %12.0f %9.2fx %9.2fx\n", n, r, r / p, r / m }'; }
row "copy: process_vm_readv, 512 pages/call" "$pvr"
row "copy: pread /proc/PID/mem, 512 pages/call" "$mem"
row "ksmscope scan (N = 1), scan phase" "$n1"
row "ksmscope scan --sample 16, scan phase" "$n16"
row "ksmscope scan (N = 1), whole command" "$w1"
row "ksmscope scan --sample 16, whole command" "$w16"
verdict() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { print (a / b >= t ? "PASS" : "MISS") }'; }
echo "  target N=1  >= 0.8x copy baseline: $(verdict "$n1" "$pvr" 0.8) vs process_vm_readv, $(verdict "$n1" "$mem" 0.8) vs /proc/PID/mem"
echo "  target N=16 >= 3x copy baseline:   $(verdict "$n16" "$pvr" 3) vs process_vm_readv, $(verdict "$n16" "$mem" 3) vs /proc/PID/mem"
"$KS" scan --pid $W --json | jq -r '"  N=1:  content index \(.cost.content_index_bytes) bytes for \(.cost.index_contents) contents (\(.cost.content_index_bytes / .cost.index_contents * 10 | floor / 10) B/content), peak RSS \(.cost.peak_rss_kb) KiB, saveable \(.totals.saveable)"'
"$KS" scan --pid $W --sample 16 --json | jq -r '"  N=16: content index \(.cost.content_index_bytes) bytes for \(.cost.index_contents) sampled contents (\(.cost.content_index_bytes / .cost.index_contents * 10 | floor / 10) B/content), peak RSS \(.cost.peak_rss_kb) KiB, saveable \(.totals.saveable) +- \(.sample.saveable_se), prefixes via \(.sample.prefix_reader)"'
kill -CONT $W
