#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# bench/engine_bench.sh [OUT]: the live engine's own cost, next to ksmd's in the same run.
#
# A 4 GiB mergeable workload (4096 contents x 256 copies: 64 copies a GiB) and KSM at
# its default settings (pages_to_scan 100, sleep_millisecs 20); small processes start
# and exit every 10 s throughout. Two runs of `ksmscope watch --json` on the whole
# host, BENCH_ENGINE_SECS each (default 600):
#   A. from the start, while KSM merges the workload, at the default scan rate:
#      ksmscope's CPU% against ksmd's over the same window, and the cost of page
#      faults (first-touch and copy-on-write, bench/fault_loop) with the engine
#      attached against without, interleaved;
#   B. once the workload is merged (a fast ksmd finishes the job, then KSM's defaults
#      again), at BENCH_ENGINE_MEM_RATE MiB/s (default 64: a pass over 4 GiB a
#      minute), so that many passes come and go: RSS must stay flat from one pass to
#      the next (at the default rate one pass over 4 GiB takes ~17 minutes).
#
# Knobs: BENCH_ENGINE_SECS, BENCH_ENGINE_GIB (default 4), BENCH_ENGINE_RATE (run A's
# rate, default ksmscope's own), BENCH_ENGINE_MEM_RATE, BENCH_FAULT_ROUNDS (default 15).
set -u
OUT=${1:-build}
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" = 0 ] || { echo "engine_bench: needs root" >&2; exit 1; }
SECS=${BENCH_ENGINE_SECS:-600}
GIB=${BENCH_ENGINE_GIB:-4}
FROUNDS=${BENCH_FAULT_ROUNDS:-15}
MEM_RATE=${BENCH_ENGINE_MEM_RATE:-64}
RATE=()
[ -n "${BENCH_ENGINE_RATE:-}" ] && RATE=(--scan-rate "$BENCH_ENGINE_RATE")
make --no-print-directory "$OUT/ksmscope" "$OUT/tests/workload" "$OUT/bench/fault_loop" > /dev/null || exit 1

KSM=/sys/kernel/mm/ksm
tmpd=$(mktemp -d /tmp/ksmscope-engine-bench.XXXXXX)
# private copies: a rebuild during the run must not pull the binaries away
mkdir -p "$tmpd/bin/tests" "$tmpd/bin/bench"
cp "$OUT/ksmscope" "$tmpd/bin/" && cp "$OUT/tests/workload" "$tmpd/bin/tests/" &&
	cp "$OUT/bench/fault_loop" "$tmpd/bin/bench/" || exit 1
OUT=$tmpd/bin
pids=()
saved=()
for f in pages_to_scan sleep_millisecs use_zero_pages run; do saved+=("$f $(cat $KSM/$f)"); done
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	pkill -f "$tmpd/churn" 2>/dev/null
	wait 2>/dev/null
	for s in "${saved[@]}"; do echo "${s#* }" > "$KSM/${s%% *}"; done
	rm -rf "$tmpd"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "engine bench: $(uname -r), $(nproc) CPUs, ${GIB} GiB mergeable, 2 x ${SECS} s, KSM at its defaults"
echo 0 > $KSM/run
echo 0 > $KSM/use_zero_pages
"$OUT/tests/workload" --contents 4096 --copies $((GIB * 64)) --zero 32 --unmergeable 16 > "$tmpd/big.out" &
pids+=($!)
BIG=$!
until [ -s "$tmpd/big.out" ]; do sleep 0.2; done
want=$(jq .merged_expected "$tmpd/big.out")
echo "  workload ready: $want mergeable pages to merge; KSM on at its defaults"
echo 100 > $KSM/pages_to_scan
echo 20 > $KSM/sleep_millisecs
echo 1 > $KSM/run

faults() { "$OUT/bench/fault_loop" --mib 64 --rounds 5 >> "$tmpd/faults.$1"; }

# processes coming and going: a 4 MiB workload starts every 10 s and lives 20 s
cp "$OUT/tests/workload" "$tmpd/churn"
(
	prev=
	while :; do
		"$tmpd/churn" --contents 256 --copies 4 --zero 0 --unmergeable 0 > /dev/null &
		c=$!
		sleep 10
		kill "$prev" 2>/dev/null
		prev=$c
	done
) &
pids+=($!)

# watch_run NAME [FLAGS...]: SECS of watch --json; fault blocks every ~40 s when NAME=a
watch_run() {
	local name=$1 start block=0 W rc; shift
	"$OUT/ksmscope" watch --json "$@" > "$tmpd/$name.jsonl" 2> "$tmpd/$name.err" &
	W=$!
	pids+=($W)
	start=$SECONDS
	while [ $((SECONDS - start)) -lt "$SECS" ]; do
		sleep 5
		if [ "$name" = a ] && [ $(((SECONDS - start) / 40)) -gt $block ] &&
			[ "$(cat "$tmpd/faults.on" 2>/dev/null | wc -l)" -lt "$FROUNDS" ]; then
			block=$(((SECONDS - start) / 40))
			faults on
		fi
	done
	kill -INT $W
	wait $W
	rc=$?
	[ $rc = 0 ] || { echo "engine_bench: watch exited $rc: $(cat "$tmpd/$name.err")"; exit 1; }
}

faults off
watch_run a "${RATE[@]}"
while [ "$(wc -l < "$tmpd/faults.off")" -lt "$FROUNDS" ]; do faults off; done

# run B on a steady host: finish the merge with a fast ksmd, then KSM's defaults again
echo 20000 > $KSM/pages_to_scan
echo 10 > $KSM/sleep_millisecs
t=$SECONDS
until [ "$(awk '$1 == "ksm_merging_pages" { print $2 }' /proc/$BIG/ksm_stat)" = "$want" ]; do
	[ $((SECONDS - t)) -gt 600 ] && { echo "engine_bench: the workload did not merge in 10 minutes"; exit 1; }
	sleep 1
done
echo 100 > $KSM/pages_to_scan
echo 20 > $KSM/sleep_millisecs
watch_run b --scan-rate "$MEM_RATE"

python3 - "$tmpd" <<'EOF'
import statistics, sys
sys.path.insert(0, "bench")
from snapshots import cpu, load  # shared with scale_report.py
d = sys.argv[1]

A, B = load(f"{d}/a.jsonl"), load(f"{d}/b.jsonl")
el, own, ksmd = cpu(A)
b = A[-1]
print(f"  run A (default rate, {b['pass']['scan_rate_mib']} MiB/s): {el:.0f} s, passes completed "
      f"{b['pass']['completed']} (under way: {b['pass']['progress'] * 100:.0f}%), merges seen {b['dynamics']['merges']}, "
      f"COW breaks {b['dynamics']['unmerges']}, drops {b['tracer']['drops']}")
print(f"  CPU: ksmscope {own:.2f}% of one CPU, ksmd {ksmd:.2f}% (same window)")
print("  RSS MiB at 10/25/50/75/100%: " + " / ".join(
    f"{min(A, key=lambda s: abs(s['uptime'] - f * A[-1]['uptime']))['cost']['rss_kb'] / 1024:.1f}"
    for f in (0.1, 0.25, 0.5, 0.75, 1.0)) + f" (sites tracked {b['cost']['sites_tracked']})")

def med(path, col):
    return statistics.median(float(l.split()[col]) for l in open(path))
fo, fn = med(f"{d}/faults.off", 0), med(f"{d}/faults.on", 0)
co, cn = med(f"{d}/faults.off", 1), med(f"{d}/faults.on", 1)
print(f"  faults (median ns per fault, 64 MiB rounds): first-touch {fo:.0f} -> {fn:.0f} ({fn - fo:+.0f}), "
      f"copy-on-write {co:.0f} -> {cn:.0f} ({cn - co:+.0f}) with the engine attached")

elb, ownb, ksmdb = cpu(B)
passes = B[-1]["pass"]["completed"]
# RSS at each pass's end: the first two set the steady state (two passes' sites at once)
ends = [s for i, s in enumerate(B) if i and s["pass"]["completed"] > B[i - 1]["pass"]["completed"]]
rss = [s["cost"]["rss_kb"] / 1024 for s in ends]
print(f"  run B ({B[-1]['pass']['scan_rate_mib']} MiB/s): {elb:.0f} s, {passes} passes "
      f"(last {B[-1]['pass']['seconds']:.0f} s), ksmscope {ownb:.2f}% CPU, ksmd {ksmdb:.2f}%")
print("  RSS MiB at each pass's end: " + " ".join(f"{r:.1f}" for r in rss))
print(f"RESULT engine cpu {own:.2f}% vs ksmd {ksmd:.2f}% at the default rate: "
      f"{'PASS' if own < ksmd else 'MISS'} (target: below ksmd)")
if len(rss) >= 4:
    growth = max(rss[2:]) / rss[1]
    print(f"RESULT engine rss over {passes} passes in {elb:.0f} s with processes coming and going: "
          f"{rss[1]:.1f} -> max {max(rss[2:]):.1f} MiB (x{growth:.3f}): {'PASS' if growth <= 1.05 else 'MISS'} "
          f"(target: flat, <= x1.05)")
else:
    print("RESULT engine rss: too few passes to judge (raise BENCH_ENGINE_MEM_RATE or BENCH_ENGINE_SECS)")
print(f"RESULT engine fault overhead at the default rate: first-touch {fn - fo:+.0f} ns, cow {cn - co:+.0f} ns per fault")
EOF
