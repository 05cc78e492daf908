#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# bench/run.sh [OUT]: what ksmscope adds to a page fault, and the record rate its reader sustains.
# Needs root (BPF). `make bench` builds everything and runs this; run directly it builds what
# is missing. About 40 minutes (the engine section alone is 2 x 10: BENCH_ENGINE_SECS; scale ~10). See bench/README.md for what is measured and how.
#
# Knobs (environment):
#   BENCH_ROUNDS=N     overhead rounds (default 150; fewer = faster, noisier)
#   BENCH_PARTS_ROUNDS=N  rounds of the on_fault() breakdown (default 16)
#   BENCH_MIB=N        MiB of faults per pass (default 32)
#   BENCH_SKIP="rate parts"  skip sections (overhead, rate, parts, scan, engine, scale, cowsources)
#   BENCH_SCALE_GIB=N  memory of the scale section's processes (default 16; more knobs in
#                      bench/scale_bench.sh)
#   BENCH_QUICK=1      a ~30 s smoke run (few rounds, short rate runs)
set -u
OUT=${1:-build}
cd "$(dirname "$0")/.." || exit 1

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (loads BPF programs, runs ksmscope trace)" >&2
	exit 1
fi
san=
[ "$OUT" = build-san ] && san=SAN=1
if [ ! -x "$OUT/ksmscope" ] || [ ! -x "$OUT/bench/fault_bench" ]; then
	make --no-print-directory $san "$OUT/ksmscope" "$OUT/bench/fault_bench" || exit 1
fi
[ "$OUT" = build-san ] && echo "bench: warning: $OUT is the sanitized build; its reader is slower" >&2

# run private copies: a rebuild of $OUT during the run must not pull the binaries away
tmpd=$(mktemp -d /tmp/ksmscope-bench.XXXXXX)
trap 'rm -rf "$tmpd"' EXIT
cp "$OUT/bench/fault_bench" "$OUT/ksmscope" "$tmpd/" || exit 1
BENCH=$tmpd/fault_bench
KS=$tmpd/ksmscope
ROUNDS=${BENCH_ROUNDS:-150}
PROUNDS=${BENCH_PARTS_ROUNDS:-16}
MIB=${BENCH_MIB:-32}
SECS=3
if [ -n "${BENCH_QUICK:-}" ]; then
	ROUNDS=${BENCH_ROUNDS:-20}
	PROUNDS=${BENCH_PARTS_ROUNDS:-4}
	SECS=1
fi
skip() { case " ${BENCH_SKIP:-} " in *" $1 "*) return 0 ;; esac; return 1; }

echo "ksmscope bench: $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "  clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)," \
	"THP $(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
others=$(pgrep -x ksmscope | tr '\n' ' ')
if [ -n "$others" ]; then
	echo "  warning: other ksmscope processes are running (pids $others): they may attach fault hooks"
	echo "  and spoil the baseline; the bench checks for that and says so below"
fi
if awk '{ exit !($1 > 0.7) }' /proc/loadavg; then
	echo "  warning: the machine is not idle (load average above 0.7): expect noisier figures"
fi
echo

t0=$(date +%s)
rc=0
log=$tmpd/log

run() { # NAME ARGS...
	local name=$1; shift
	if skip "$name"; then
		return
	fi
	"$BENCH" "$name" --ksmscope "$KS" "$@" | tee -a "$log"
	local st=${PIPESTATUS[0]}
	if [ "$st" != 0 ]; then
		echo "bench: fault_bench $name failed (exit $st)"
		rc=1
	fi
	echo
}

run overhead --rounds "$ROUNDS" --mib "$MIB"
run rate --secs "$SECS"
run parts --rounds "$PROUNDS" --passes 2 --mib "$MIB"

# the scanner (ksmscope scan) against the copy baselines
if ! skip scan; then
	if [ ! -x "$OUT/bench/copy_baseline" ] || [ ! -x "$OUT/tests/workload" ]; then
		make --no-print-directory $san "$OUT/bench/copy_baseline" "$OUT/tests/workload" || rc=1
	fi
	bench/scan_bench.sh "$OUT" | tee "$tmpd/scan"
	grep -E '^  target' "$tmpd/scan" | sed 's/^  target/RESULT scan target/' >> "$log"
fi

# the live engine against ksmd, 2 x 10 minutes (BENCH_ENGINE_SECS)
if ! skip engine; then
	bench/engine_bench.sh "$OUT" | tee "$tmpd/engine"
	grep '^RESULT' "$tmpd/engine" >> "$log"
fi

# the scale benchmark (issue #11): BENCH_SCALE_GIB of synthetic, Python and QEMU-guest
# processes; ~10 minutes, in two phases under the integration lock
if ! skip scale; then
	bench/scale_bench.sh "$OUT" | tee "$tmpd/scale"
	grep '^RESULT' "$tmpd/scale" >> "$log"
fi

# each copy-on-write source's fault-path cost, where they all run: a 6.1 guest (~3 minutes)
if ! skip cowsources; then
	echo "== Copy-on-write sources (bench/guest_cow.sh)"
	bench/guest_cow.sh "$OUT" | tee "$tmpd/cow"
	awk '$1 ~ /^(auto|fexit|kprobe|perf)$/ { print "RESULT cow source " $1 ": " $3 " ns added per COW fault under TCG, " $4 " the minimal counter" }' \
		"$tmpd/cow" >> "$log"
	# the perf source runs on this host too: its cost beside the minimal counter, natively
	echo "== Copy-on-write from the perf event on this host (fault_bench overhead --hooks perf)"
	"$BENCH" overhead --ksmscope "$KS" --hooks perf --rounds "${BENCH_PERF_ROUNDS:-40}" | tee "$tmpd/perfcow"
	sed -n 's/^RESULT overhead cow: /RESULT cow source perf (host): /p' "$tmpd/perfcow" >> "$log"
fi

echo "== Summary ($(( $(date +%s) - t0 )) s)"
grep '^RESULT' "$log" | sed 's/^RESULT /  /'
exit $rc
