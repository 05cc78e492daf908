#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs the unit tests (no root) and, as root, the integration tests (real BPF, real KSM).
# Closing line: "N passed, N failed[, N skipped]" counting individual checks.
# TESTS_ONLY=unit|integration narrows the run.
set -u
OUT=${1:-build-san}
cd "$(dirname "$0")/.."
export BIN=$OUT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0 failed=0 skipped=0

run_suite() { # NAME CMD...
	local name=$1 log res; shift
	log=$(mktemp)
	"$@" > "$log" 2>&1
	local rc=$?
	res=$(grep '^RESULT ' "$log" | tail -1)
	grep -E '^(ok|FAIL)' "$log" | sed "s|^|  |"
	if [ -z "$res" ]; then
		echo "FAIL $name: no result (exit $rc)"; sed 's/^/    /' "$log" | tail -20
		failed=$((failed + 1))
	else
		set -- $res
		passed=$((passed + $2)); failed=$((failed + $3))
		if [ "$3" != 0 ] || [ $rc != 0 ]; then
			echo "FAIL $name: $2 passed, $3 failed (exit $rc)"
			grep -vE '^(ok|RESULT)' "$log" | sed 's/^/    /' | tail -40
			[ "$3" = 0 ] && failed=$((failed + 1))
		else
			echo "PASS $name: $2 checks"
		fi
	fi
	rm -f "$log"
}

# the tree's shape (layering, function length, SPDX lines, nothing pointing outside)
tree_check() { if scripts/check-tree.sh; then echo "ok - tree shape"; echo "RESULT 1 0"; else echo "RESULT 0 1"; fi; }

if [ "${TESTS_ONLY:-}" != integration ]; then
	run_suite "tree/check-tree" tree_check
	for t in "$OUT"/tests/test_*; do
		[ -x "$t" ] && run_suite "unit/$(basename "$t")" "$t"
	done
fi
if [ "${TESTS_ONLY:-}" != unit ]; then
	for t in tests/integration/test_*.sh; do
		if [ "$(id -u)" != 0 ]; then
			echo "SKIP $t: needs root (real BPF, real KSM)"
			skipped=$((skipped + 1))
			[ "${CI:-}" = true ] && failed=$((failed + 1))
			continue
		fi
		run_suite "integration/$(basename "$t")" bash "$t"
	done
fi
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
