#!/bin/bash
# bench/engine_bench.sh [OUT]: the live engine's own cost, next to ksmd's in the same run.
#
# A 4 GiB mergeable workload (4096 contents x 256 copies: 64 copies a GiB), KSM at its default settings
# (pages_to_scan 100, sleep_millisecs 20), small processes starting and exiting every
# 10 s, and `ksmscope watch --json` on the whole host at the default scan rate for
# BENCH_ENGINE_SECS (default 600). Reports ksmscope's CPU% against ksmd's over the
# same window, its RSS over time (flat once the first pass is done), and the cost of
# page faults (first-touch and copy-on-write, bench/fault_loop) with the engine
# attached against without, interleaved.
#
# Knobs: BENCH_ENGINE_SECS, BENCH_ENGINE_GIB (default 4), BENCH_ENGINE_RATE (MiB/s,
# default: ksmscope's own default), BENCH_FAULT_ROUNDS (default 15 per side).
set -u
OUT=${1:-build}
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" = 0 ] || { echo "engine_bench: needs root" >&2; exit 1; }
SECS=${BENCH_ENGINE_SECS:-600}
GIB=${BENCH_ENGINE_GIB:-4}
FROUNDS=${BENCH_FAULT_ROUNDS:-15}
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

echo "engine bench: $(uname -r), $(nproc) CPUs, ${GIB} GiB mergeable, ${SECS} s, KSM at its defaults"
echo 0 > $KSM/run
echo 100 > $KSM/pages_to_scan
echo 20 > $KSM/sleep_millisecs
echo 0 > $KSM/use_zero_pages

"$OUT/tests/workload" --contents 4096 --copies $((GIB * 64)) --zero 32 --unmergeable 16 > "$tmpd/big.out" &
pids+=($!)
until [ -s "$tmpd/big.out" ]; do sleep 0.2; done
echo "  workload ready: $(jq .mergeable_pages "$tmpd/big.out") mergeable pages"
echo 1 > $KSM/run

# faults without the engine, then with it, interleaved in blocks
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

faults off
"$OUT/ksmscope" watch --json "${RATE[@]}" > "$tmpd/watch.jsonl" 2> "$tmpd/watch.err" &
W=$!
pids+=($W)
start=$SECONDS
block=0
while [ $((SECONDS - start)) -lt "$SECS" ]; do
	sleep 5
	# a fault block with the engine attached every ~40 s, one without it right after the run
	if [ $(((SECONDS - start) / 40)) -gt $block ] && [ "$(cat "$tmpd/faults.on" 2>/dev/null | wc -l)" -lt "$FROUNDS" ]; then
		block=$(((SECONDS - start) / 40))
		faults on
	fi
done
kill -INT $W
wait $W
rc=$?
[ $rc = 0 ] || { echo "engine_bench: watch exited $rc: $(cat "$tmpd/watch.err")"; exit 1; }
while [ "$(wc -l < "$tmpd/faults.off")" -lt "$FROUNDS" ]; do faults off; done

python3 - "$tmpd" "$SECS" <<'EOF'
import json, statistics, sys
d, secs = sys.argv[1], float(sys.argv[2])
snaps = [json.loads(l) for l in open(f"{d}/watch.jsonl")]
a, b = snaps[0], snaps[-1]
el = b["uptime"] - a["uptime"]
own = (b["cost"]["cpu_seconds"] - a["cost"]["cpu_seconds"]) / el * 100
ksmd = (b["dynamics"]["ksmd_cpu_seconds"] - a["dynamics"]["ksmd_cpu_seconds"]) / el * 100
first_pass = next((s["uptime"] for s in snaps if s["pass"]["completed"] >= 1), None)
print(f"  {len(snaps)} snapshots over {el:.0f} s; passes completed {b['pass']['completed']}, "
      f"first after {first_pass if first_pass is None else round(first_pass)} s, "
      f"last took {b['pass']['seconds']} s at {b['pass']['scan_rate_mib']} MiB/s")
t = b["totals"] or {}
print(f"  sites tracked {b['cost']['sites_tracked']}, ksm_saved {t.get('ksm_saved')}, "
      f"saveable {t.get('saveable')}, merges seen {b['dynamics']['merges']}, drops {b['tracer']['drops']}")
print(f"  CPU: ksmscope {own:.2f}% of one CPU, ksmd {ksmd:.2f}% (same window)")
def rss_at(frac):
    s = min(snaps, key=lambda s: abs(s["uptime"] - (a["uptime"] + frac * el)))
    return s["cost"]["rss_kb"] / 1024
print("  RSS MiB at 10/25/50/75/100%: " + " / ".join(f"{rss_at(f):.1f}" for f in (0.1, 0.25, 0.5, 0.75, 1.0)))
after = [s for s in snaps if first_pass is not None and s["uptime"] >= first_pass + 30]
half = len(after) // 2
flat = None
if half >= 2:
    m1 = max(s["cost"]["rss_kb"] for s in after[:half]) / 1024
    m2 = max(s["cost"]["rss_kb"] for s in after[half:]) / 1024
    flat = m2 / m1
    print(f"  RSS after the first pass: max {m1:.1f} MiB (first half) -> {m2:.1f} MiB (second half): x{flat:.3f}")
def med(path, col):
    return statistics.median(float(l.split()[col]) for l in open(path))
fo, fn = med(f"{d}/faults.off", 0), med(f"{d}/faults.on", 0)
co, cn = med(f"{d}/faults.off", 1), med(f"{d}/faults.on", 1)
print(f"  faults (median ns per fault, 64 MiB rounds): first-touch {fo:.0f} -> {fn:.0f} (+{fn - fo:.0f}), "
      f"copy-on-write {co:.0f} -> {cn:.0f} (+{cn - co:.0f}) with the engine attached")
print(f"RESULT engine cpu {own:.2f}% vs ksmd {ksmd:.2f}%: {'PASS' if own < ksmd else 'MISS'} (target: below ksmd)")
if flat is not None:
    print(f"RESULT engine rss x{flat:.3f} over the run after its first pass: {'PASS' if flat <= 1.05 else 'MISS'} (target: flat, <= x1.05)")
else:
    print("RESULT engine rss: the first pass did not finish early enough to judge (run longer)")
print(f"RESULT engine fault overhead: first-touch +{fn - fo:.0f} ns, cow +{cn - co:.0f} ns per fault")
EOF
