#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The live engine with --sample N samples prefix classes by size, as scan does: its
# potential is the Horvitz-Thompson estimate with standard errors, the correlator weighs
# each sampled content's missed pages by the same 1/pi (so with KSM off the reasons add up
# to the estimated saveable), and only sampled duplicates and KSM pages are tracked.
. "$(dirname "$0")/lib.sh"
ksm_save
SNAPWAIT="$(dirname "$0")/snapwait.py"
jqt() { jq -e "$@" > /dev/null; }
echo 0 > "$KSM/run"

start_workload big --contents 3000 --copies 4 --zero 300 --unique 60000 --unmergeable 0 \
	--write-copies 0 --pipe-copies 0 || exit 1
B=$WL_PID
"$KSMSCOPE" scan --pid $B --json > "$TMPD/exact.json"
check "exact scan exit status" $? 0
"$KSMSCOPE" watch --json --pid $B --sample 16 --first-sample 0 --interval 0.3 --scan-rate 1000 \
	> "$TMPD/w.jsonl" 2> "$TMPD/w.err" &
W=$!
CHILDREN+=($W)
S=$(python3 "$SNAPWAIT" "$TMPD/w.jsonl" 's["pass"]["completed"] >= 2' 120) || fail "no second pass"
kill -INT $W; wait $W
check "watch: exit status after SIGINT" $? 0
check "sampled 1/16" "$(jq .sample.n <<< "$S")" 16
for k in saveable contents; do
	t=$(jq ".totals.$k" "$TMPD/exact.json")
	check_true "$k: the estimate is within 4 of its standard errors of the exact $t ($(jq -c "[.totals.$k, .sample.${k}_se]" <<< "$S"))" \
		jqt --argjson t "$t" ".totals.$k as \$e | .sample.${k}_se as \$se | \$se > 0 and ((\$e - \$t) | fabs) <= 4 * \$se" <<< "$S"
done
check "counted figures are exact: sites" "$(jq .totals.sites <<< "$S")" "$(jq .totals.sites "$TMPD/exact.json")"
check "counted figures are exact: zero_sites" "$(jq .totals.zero_sites <<< "$S")" "$(jq .totals.zero_sites "$TMPD/exact.json")"
check_true "KSM off: missed.total equals the estimated saveable (weights 1/pi on both sides)" \
	jqt '.totals | ((.missed.total - .saveable) | fabs) < 1e-6 * (.saveable + 1)' <<< "$S"
check_true "every reason is pending (KSM is off) ($(jq -c .totals.missed <<< "$S"))" \
	jqt '.totals.missed | ((.pending - .total) | fabs) < 1e-6 * (.total + 1)' <<< "$S"
check_true "only sampled duplicates are tracked: fewer sites than the exact duplicates ($(jq .cost.sites_tracked <<< "$S"))" \
	jqt --argjson d "$(jq '.totals.sites - .cost.pages_unique' "$TMPD/exact.json")" '.cost.sites_tracked < $d' <<< "$S"
