# SPDX-License-Identifier: GPL-2.0-only
# Shared helpers for integration tests: real BPF, real KSM, real processes.
# Each test script sources this, calls ksm_save, and gets KSM restored on every exit.
set -u

KSM=/sys/kernel/mm/ksm
BIN=${BIN:?BIN must name the build dir}
KSMSCOPE="$BIN/ksmscope"
WORKLOAD="$BIN/tests/workload"
TMPD=$(mktemp -d /tmp/ksmscope-test.XXXXXX)
PASSED=0
FAILED=0
CHILDREN=()

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
# check NAME ACTUAL EXPECTED
check() {
	if [ "$2" = "$3" ]; then ok "$1 ($2)"; else fail "$1: got '$2', want '$3'"; fi
}
check_true() { # check_true NAME CMD...
	local name=$1; shift
	if "$@"; then ok "$name"; else fail "$name"; fi
}

ksm_save() {
	: > "$TMPD/ksm.saved"
	for f in pages_to_scan sleep_millisecs use_zero_pages smart_scan run; do
		[ -f "$KSM/$f" ] && echo "$f $(cat "$KSM/$f")" >> "$TMPD/ksm.saved"
	done
}

ksm_restore() {
	[ -f "$TMPD/ksm.saved" ] || return 0
	# run is saved last, so it is restored after the tunables
	while read -r f v; do
		echo "$v" > "$KSM/$f" 2>/dev/null || echo "warning: cannot restore $KSM/$f=$v" >&2
	done < "$TMPD/ksm.saved"
}

# set_saved FILE VALUE: write a global setting, restored as it was on every exit
SAVED_SETTINGS=()
set_saved() {
	SAVED_SETTINGS+=("$1 $(cat "$1")")
	echo "$2" > "$1"
}

# directories (cgroups) a test made, removed once its processes are gone, the last made first
RMDIRS=()
cleanup() {
	local rc=$? s i
	for p in "${CHILDREN[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${CHILDREN[@]}"; do wait "$p" 2>/dev/null; done
	for ((i = ${#RMDIRS[@]} - 1; i >= 0; i--)); do rmdir "${RMDIRS[i]}" || echo "warning: cannot remove ${RMDIRS[i]}" >&2; done
	for s in "${SAVED_SETTINGS[@]}"; do echo "${s#* }" > "${s%% *}" || echo "warning: cannot restore $s" >&2; done
	ksm_restore
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMPD"
	echo "RESULT $PASSED $FAILED"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# expect_error NAME PATTERN CMD...: CMD fails (1..127) with one line on stderr matching PATTERN
expect_error() {
	local name=$1 pat=$2 rc; shift 2
	"$@" > "$TMPD/err.out" 2> "$TMPD/err.err" < /dev/null; rc=$?
	local lines; lines=$(wc -l < "$TMPD/err.err")
	if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [ "$lines" = 1 ] && grep -qE -e "$pat" "$TMPD/err.err"; then
		ok "$name: exit $rc, '$(cat "$TMPD/err.err")'"
	else
		fail "$name: exit $rc, $lines stderr lines: $(head -c 400 "$TMPD/err.err")"
	fi
}

full_scans() { cat "$KSM/full_scans"; }
ksm_stat() { awk -v k="$2" '$1 == k { print $2 }' "/proc/$1/ksm_stat"; }
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }

# ksm_fast: make ksmd quick for small workloads; the writes block until ksmd's batch ends.
ksm_fast() {
	echo 0 > "$KSM/run"
	echo "${1:-0}" > "$KSM/use_zero_pages"
	echo 4000 > "$KSM/pages_to_scan"
	echo 10 > "$KSM/sleep_millisecs"
}

# wait_for DESC MAX_SCANS CMD...: poll CMD until it succeeds, failing once KSM has
# completed MAX_SCANS full scans without it (or after a 180 s guard).
wait_for() {
	local desc=$1 max=$2; shift 2
	local start deadline
	start=$(full_scans)
	deadline=$((SECONDS + 180))
	until "$@"; do
		if [ $(($(full_scans) - start)) -gt "$max" ] || [ $SECONDS -gt $deadline ]; then
			fail "timed out waiting for $desc ($(($(full_scans) - start)) full scans)"
			return 1
		fi
		sleep 0.05
	done
}

# wait_scans N: N more full scans complete.
wait_scans() {
	local target=$(($(full_scans) + $1)) deadline=$((SECONDS + 180))
	while [ "$(full_scans)" -lt $target ]; do
		[ $SECONDS -gt $deadline ] && { fail "ksmd made no progress"; return 1; }
		sleep 0.05
	done
}

merging_is() { [ "$(ksm_stat "$1" ksm_merging_pages)" = "$2" ]; }
zero_is() { [ "$(ksm_stat "$1" ksm_zero_pages)" = "$2" ]; }

# start_workload NAME ARGS...: runs the workload, sets WL_PID and WL_JSON (its layout line)
start_workload() {
	local name=$1; shift
	"$WORKLOAD" "$@" > "$TMPD/$name.out" 2> "$TMPD/$name.err" &
	CHILDREN+=($!)
	WL_PID=$!
	local deadline=$((SECONDS + 30))
	until [ -s "$TMPD/$name.out" ]; do
		[ $SECONDS -gt $deadline ] && { fail "workload $name did not start"; return 1; }
		sleep 0.02
	done
	WL_JSON=$(head -1 "$TMPD/$name.out")
}

# workload_phase NAME SIGNAL PHASE: signal the workload, wait for its phase line.
workload_phase() {
	local name=$1 pid=$2 sig=$3 phase=$4 deadline=$((SECONDS + 30))
	kill -"$sig" "$pid"
	until grep -q "\"phase\": \"$phase\"" "$TMPD/$name.out"; do
		[ $SECONDS -gt $deadline ] && { fail "workload $name: no $phase"; return 1; }
		sleep 0.02
	done
	grep "\"phase\": \"$phase\"" "$TMPD/$name.out" | tail -1 | jq .pages
}

# start_tracer NAME ARGS...: ksmscope trace in the background; waits until attached.
start_tracer() {
	local name=$1; shift
	"$KSMSCOPE" trace "$@" > "$TMPD/$name.jsonl" 2> "$TMPD/$name.err" &
	CHILDREN+=($!)
	TR_PID=$!
	local deadline=$((SECONDS + 30))
	until grep -q "Tracing KSM events" "$TMPD/$name.err"; do
		if ! kill -0 "$TR_PID" 2>/dev/null || [ $SECONDS -gt $deadline ]; then
			fail "tracer $name did not attach: $(cat "$TMPD/$name.err")"
			return 1
		fi
		sleep 0.02
	done
}

# stop_tracer NAME PID: SIGINT, expect exit 0 and a summary as the last line.
stop_tracer() {
	local name=$1 pid=$2 rc
	kill -INT "$pid"
	wait "$pid"; rc=$?
	check "$name: exit status after SIGINT" "$rc" 0
	check "$name: last line is the summary" "$(tail -1 "$TMPD/$name.jsonl" | jq -r .event)" summary
	check "$name: every line is JSON" "$(jq -c . "$TMPD/$name.jsonl" > /dev/null 2>&1 && echo yes)" yes
}

# count NAME JQ-FILTER: number of trace lines matching
count() { jq -c "select($2)" "$TMPD/$1.jsonl" | wc -l; }
