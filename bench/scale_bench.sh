#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# bench/scale_bench.sh [OUT]: the scale benchmark of issue #11 (item 5), sized for the
# machine. BENCH_SCALE_GIB of processes of three kinds, each figure beside a baseline
# measured in the same run, and a PASS/MISS line per target of the issue:
#   synthetic  2 x tests/workload (60%): 66% unique pages, 4 copies of 24%, 8% of contents
#              both hold (inter-sharing), 2% zero pages
#   python     4 x tests/interp_workload.py started alike (15%)
#   guests     BENCH_SCALE_GUESTS QEMU TCG guests (25%) whose memory is touched: each
#              holds a random file every guest has (in its initramfs), a copy of it in
#              its tmpfs, and data of its own from /dev/urandom
#   total      all of them in one target set
# Two phases, each starting and killing its own workloads, each under the integration
# lock ($BENCH_LOCK; do not wrap this script in flock yourself):
#   scan    KSM off, targets frozen. Interleaved rounds of: copy_baseline pvr-pids
#           (batched process_vm_readv of every present private anonymous page), exact
#           scan, scan --sample 16, scan --sample 2^32-1 (the floor: no class read);
#           then more sampled runs. Exact pages/s vs the copy (cost.seconds and the
#           whole command), the fraction read whole, N=16 vs N=1 speed and the floor's,
#           sampled error vs the exact scan; pass time at the default rate.
#   engine  frozen targets. watch --json --scan-rate 100000 until 3 passes: RSS and
#           VmHWM per site (beside the engine on an idle target); one pass at
#           BENCH_SCALE_FAST_RATE MiB/s, scaled to the default rate; then KSM on at its
#           defaults and watch --json at the default rate for BENCH_SCALE_WAIT s: time
#           to the first snapshot with totals.saveable, engine CPU vs ksmd's.
# Every KSM setting changed is restored on exit; every process started is killed.
#
# Knobs: BENCH_SCALE_GIB (default 16, the issue's size), BENCH_SCALE_GUESTS (3), BENCH_SCALE_ROUNDS (3
# interleaved copy/exact/sampled rounds), BENCH_SCALE_RUNS (24 sampled runs per kind, as
# the issue states its statistics), BENCH_SCALE_WAIT (90 s at the default rate),
# BENCH_SCALE_FAST_RATE (256 MiB/s), BENCH_SCALE_PHASES ("scan engine"),
# BENCH_LOCK (default /tmp/ksmscope-integration.lock; empty: no lock).
set -u
SELF=$(realpath "$0")
OUT=${1:-build}
cd "$(dirname "$SELF")/.." || exit 1
[ "$(id -u)" = 0 ] || { echo "scale_bench: needs root" >&2; exit 1; }
GIB=${BENCH_SCALE_GIB:-16}
NG=${BENCH_SCALE_GUESTS:-3}
ROUNDS=${BENCH_SCALE_ROUNDS:-3}
RUNS=${BENCH_SCALE_RUNS:-24}
WAIT=${BENCH_SCALE_WAIT:-90}
FAST=${BENCH_SCALE_FAST_RATE:-256}
LOCK=${BENCH_LOCK-/tmp/ksmscope-integration.lock}
KSM=/sys/kernel/mm/ksm
KINDS="synthetic python guests total"

# sizes from BENCH_SCALE_GIB: pages per synthetic process, MiB per interpreter and guest
SYN_PAGES=$((GIB * 262144 * 3 / 10))
PY_MIB=$((GIB * 1024 * 15 / 400))
G_MIB=$((GIB * 1024 / 4 / NG))
G_BLOB=$((G_MIB * 15 / 100)) # MiB every guest holds (twice: initramfs and tmpfs copy)
G_OWN=$((G_MIB * 25 / 100))  # MiB of its own

# ---- the phases (run as "scale_bench.sh OUT --phase NAME DIR" under the lock) ----

pids=()
saved=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -CONT "$p" 2> /dev/null; kill "$p" 2> /dev/null; done
	# guests whose start.sh was interrupted before it printed their pid: by their unique name
	for p in $(pgrep -f -- "-name ksmscope-scale-$TOKEN-" 2> /dev/null); do kill "$p"; done
	wait 2> /dev/null
	for s in "${saved[@]}"; do echo "${s#* }" > "$KSM/${s%% *}"; done
}

start_workloads() { # writes $D/pids.KIND, $D/layout
	local i p syn="" py="" gu="" t
	for i in 1 2; do
		"$BIN/workload" --seed "$i" --contents $((SYN_PAGES * 6 / 100)) --copies 4 \
			--zero $((SYN_PAGES * 2 / 100)) --shared $((SYN_PAGES * 8 / 100)) --shared-seed 7 \
			--unique $((SYN_PAGES * 66 / 100)) --unmergeable 0 --write-copies 0 --pipe-copies 0 \
			> "$D/syn$i.out" &
		pids+=($!); syn=${syn:+$syn,}$!
	done
	for i in 1 2 3 4; do
		python3 tests/interp_workload.py --records $((PY_MIB * 1100)) --blobs $((PY_MIB * 32)) \
			> "$D/py$i.out" &
		pids+=($!); py=${py:+$py,}$!
	done
	local starts=()
	for i in $(seq "$NG"); do # booted side by side
		tests/guest/start.sh "$D/vmlinuz" "$D/guest.gz" "ksmscope-scale-$TOKEN-g$i" "$G_MIB" \
			"$D/guest$i.log" > "$D/guest$i.pid" 2> "$D/guest$i.err" &
		starts+=($!)
	done
	wait "${starts[@]}"
	for i in $(seq "$NG"); do
		p=$(cat "$D/guest$i.pid")
		[ -n "$p" ] || { echo "scale_bench: guest $i: $(cat "$D/guest$i.err")"; exit 1; }
		pids+=("$p"); gu=${gu:+$gu,}$p
	done
	t=$SECONDS
	for f in "$D"/syn1.out "$D"/syn2.out "$D"/py?.out; do
		until grep -q . "$f"; do
			[ $((SECONDS - t)) -gt 300 ] && { echo "scale_bench: $f: not ready"; exit 1; }
			sleep 0.2
		done
	done
	echo "$syn" > "$D/pids.synthetic"; echo "$py" > "$D/pids.python"; echo "$gu" > "$D/pids.guests"
	echo "$syn,$py,$gu" > "$D/pids.total"
	kill -STOP "${pids[@]}" # unchanging targets: every method reads the same pages
}

# wall SECONDS of a command, appended to FILE: wall FILE CMD...
wall() {
	local f=$1 t0 t1; shift
	t0=$(date +%s%N); "$@"; t1=$(date +%s%N)
	echo "$t0 $t1" | awk '{ printf "%.6f\n", ($2 - $1) / 1e9 }' >> "$f"
}

phase_scan() {
	local r k p i
	for r in $(seq "$ROUNDS"); do
		for k in $KINDS; do
			p=$(cat "$D/pids.$k")
			"$BIN/copy_baseline" pvr-pids ${p//,/ } >> "$D/pvr.$k" || echo "scale_bench: copy_baseline $k failed"
			wall "$D/wall1.$k" "$BIN/ksmscope" scan --pid "$p" --json > "$D/exact.$k.$r.json"
			wall "$D/wall16.$k" "$BIN/ksmscope" scan --pid "$p" --sample 16 --json >> "$D/s16.$k.jsonl"
			# the floor of any sampled scan: every page probed, no class read (only all-zero prefixes)
			"$BIN/ksmscope" scan --pid "$p" --sample 4294967295 --json >> "$D/sinf.$k.jsonl"
		done
	done
	for i in $(seq $((RUNS - ROUNDS))); do
		for k in $KINDS; do
			"$BIN/ksmscope" scan --pid "$(cat "$D/pids.$k")" --sample 16 --json >> "$D/s16.$k.jsonl"
		done
	done
}

# watch_until FILE SECS JQ_COND ARGS...: watch --json ARGS until the last snapshot meets
# JQ_COND or SECS pass; VmHWM (kB) into FILE.hwm
watch_until() {
	local f=$1 secs=$2 cond=$3 w t; shift 3
	"$BIN/ksmscope" watch --json "$@" > "$f" 2> "$f.err" &
	w=$!
	pids+=("$w")
	t=$SECONDS
	while [ $((SECONDS - t)) -lt "$secs" ] && kill -0 "$w" 2> /dev/null; do
		sleep 1
		tail -1 "$f" | jq "$cond" 2> /dev/null | grep -qx true && break
	done
	awk '/^VmHWM/ { print $2 }' "/proc/$w/status" > "$f.hwm"
	kill -INT "$w"; wait "$w"
}

phase_engine() {
	local k sl
	echo 0 > $KSM/run
	sleep 1000000 &
	sl=$!; pids+=("$sl")
	watch_until "$D/rss.idle.jsonl" 6 'false' --scan-rate 100000 --pid "$sl"
	for k in $KINDS; do
		watch_until "$D/rss.$k.jsonl" 240 '.pass.completed >= 3' --scan-rate 100000 --pid "$(cat "$D/pids.$k")"
	done
	# item 4: with --sample N the engine's memory falls with N (the synthetic kind, the targets' workload)
	for n in 4 16 64; do
		watch_until "$D/rss.synthetic.s$n.jsonl" 240 '.pass.completed >= 3' --scan-rate 100000 --sample "$n" \
			--pid "$(cat "$D/pids.synthetic")"
	done
	watch_until "$D/fast.jsonl" 240 '.pass.completed >= 1' --scan-rate "$FAST" --pid "$(cat "$D/pids.total")"
	# the default rate, KSM on at its defaults, over the same window as ksmd
	echo 100 > $KSM/pages_to_scan
	echo 20 > $KSM/sleep_millisecs
	echo 0 > $KSM/use_zero_pages
	echo 1 > $KSM/run
	date +%s.%N > "$D/default.start"
	watch_until "$D/default.jsonl" "$WAIT" 'false' --pid "$(cat "$D/pids.total")"
}

if [ "${2:-}" = --phase ]; then
	PH=$3 D=$4
	BIN=$D/bin
	TOKEN=$(basename "$D")
	for f in run pages_to_scan sleep_millisecs use_zero_pages; do saved+=("$f $(cat $KSM/$f)"); done
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	echo 0 > $KSM/run
	t=$SECONDS
	start_workloads
	echo "  $PH phase: workloads ready in $((SECONDS - t)) s" >&2
	"phase_$PH"
	echo "  $PH phase: done in $((SECONDS - t)) s" >&2
	exit 0
fi

# ---- the driver ----

make --no-print-directory "$OUT/ksmscope" "$OUT/tests/workload" "$OUT/bench/copy_baseline" > /dev/null || exit 1
D=$(mktemp -d /tmp/ksmscope-scale.XXXXXX)
trap '[ -n "${BENCH_SCALE_KEEP:-}" ] && echo "scale_bench: kept $D" >&2 || rm -rf "$D"' EXIT
trap 'exit 130' INT TERM
# private copies: a rebuild during the run must not pull the binaries away
mkdir -p "$D/bin"
cp "$OUT/ksmscope" "$OUT/tests/workload" "$OUT/bench/copy_baseline" "$D/bin/" || exit 1
kernel=$(tests/guest/kernel.sh 2> "$D/kernel.err") || { echo "scale_bench: no guest kernel: $(tail -1 "$D/kernel.err")"; exit 1; }
cp "$kernel" "$D/vmlinuz"
python3 -c "import random, sys; random.seed(7); sys.stdout.buffer.write(random.randbytes($G_BLOB << 20))" > "$D/blob"
printf '#!/bin/sh\ncp /payload/blob /tmp/dup\nhead -c %dm /dev/urandom > /tmp/own\necho GUEST-READY\nexec sleep 1000000\n' \
	"$G_OWN" > "$D/guest.run"
tests/guest/initramfs.sh "$D/guest.gz" "$D/guest.run" "$D/blob" || exit 1
rm -f "$D/blob"

echo "scale bench: $(uname -r), $(nproc) CPUs, $(($(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1048576)) GiB RAM;" \
	"BENCH_SCALE_GIB=$GIB: synthetic 2 x $((SYN_PAGES / 256)) MiB, python 4 x ~$PY_MIB MiB," \
	"guests $NG x $G_MIB MiB (${G_BLOB} MiB common + its copy, ${G_OWN} MiB own)"
echo "  load average $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS interleaved rounds, $RUNS sampled runs per kind"
rc=0
for ph in ${BENCH_SCALE_PHASES:-scan engine}; do
	if [ -n "$LOCK" ]; then
		flock "$LOCK" "$SELF" "$OUT" --phase "$ph" "$D" || rc=1
	else
		"$SELF" "$OUT" --phase "$ph" "$D" || rc=1
	fi
done
python3 bench/scale_report.py "$D" "$GIB" "$WAIT" "$FAST" || rc=1
exit $rc
