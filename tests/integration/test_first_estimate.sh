#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Numbers in seconds: the live engine's quick first pass. Two 4 GiB processes; watch at
# the default scan rate (a paced pass over 8 GiB takes ~34 minutes) must give totals from
# the first snapshots on: an estimate (sampled 1/16 by prefix class) within 15 s of start,
# within 10% (or 3 of its standard errors) of the exact scan of the same stopped processes,
# saying it is an estimate, with its cost, and missed reasons unknown (null), not zero.
. "$(dirname "$0")/lib.sh"
ksm_save
SNAPWAIT="$(dirname "$0")/snapwait.py"
jqt() { jq -e "$@" > /dev/null; } # a jq test: its exit status only
echo 0 > "$KSM/run"

# 4 GiB each: 65536 contents x 4 copies, 86432 zero pages, 20000 contents both hold, 680000 unique
for w in a b; do
	start_workload "$w" --contents 65536 --copies 4 --zero 86432 --shared 20000 --shared-seed 7 --unique 680000 \
		--unmergeable 0 --write-copies 0 --pipe-copies 0 || exit 1
	eval "P_$w=$WL_PID"
done
PIDS=$P_a,$P_b
kill -STOP $P_a $P_b
"$KSMSCOPE" scan --pid $PIDS --json > "$TMPD/exact.json"
check "exact scan exit status" $? 0

t0=$SECONDS
"$KSMSCOPE" watch --json --pid $PIDS > "$TMPD/w.jsonl" 2> "$TMPD/w.err" &
W=$!
CHILDREN+=($W)
S=$(python3 "$SNAPWAIT" "$TMPD/w.jsonl" 's["totals"] is not None and s["totals"]["saveable"] is not None' 60) || fail "no snapshot with totals in 60 s"
took=$((SECONDS - t0))
kill -INT $W; wait $W
check "watch: exit status after SIGINT" $? 0
kill -CONT $P_a $P_b
check_true "a snapshot with totals.saveable within 15 s of start (${took} s)" test "$took" -le 15
check "it says it is an estimate" "$(jq .sample.estimate <<< "$S")" true
check "sampled 1/16 (the default --first-sample)" "$(jq .sample.n <<< "$S")" 16
check "no exact pass has finished" "$(jq .pass.completed <<< "$S")" 0
truth=$(jq .totals.saveable "$TMPD/exact.json")
for k in saveable saveable_inter contents; do
	t=$(jq ".totals.$k" "$TMPD/exact.json")
	check_true "estimate of $k within 10% or 3 SE of the exact $t ($(jq -c "[.totals.$k, .sample.${k}_se]" <<< "$S"))" \
		jqt --argjson t "$t" ".totals.$k as \$e | .sample.${k}_se as \$se |
			((\$e - \$t) | fabs) <= ([0.1 * \$t, 3 * \$se] | max)" <<< "$S"
done
check "counted figures are exact: sites" "$(jq .totals.sites <<< "$S")" "$(jq .totals.sites "$TMPD/exact.json")"
check "counted figures are exact: zero_sites" "$(jq .totals.zero_sites <<< "$S")" "$(jq .totals.zero_sites "$TMPD/exact.json")"
check "missed reasons are unknown until a full pass, not zero" "$(jq .totals.missed.total <<< "$S")" null
check_true "the burst's cost is reported ($(jq -c .sample.first_pass <<< "$S"))" \
	jqt '.sample.first_pass | .seconds > 0 and .pages >= 2000000 and .pages_read < .pages' <<< "$S"
check "groups are filled from the estimate" "$(jq '.groups | length' <<< "$S")" 2
for g in 0 1; do
	t=$(jq --argjson p "$(jq ".groups[$g].pids[0]" <<< "$S")" '.groups[] | select(.pids[0] == $p) | .saveable' "$TMPD/exact.json")
	check_true "group $g: estimate within 10% or 3 of its own SE of the exact $t ($(jq -c ".groups[$g] | [.saveable, .saveable_se]" <<< "$S"))" \
		awk -v e="$(jq ".groups[$g].saveable" <<< "$S")" -v s="$(jq ".groups[$g].saveable_se" <<< "$S")" -v t="$t" \
		'BEGIN { d = e - t; if (d < 0) d = -d; exit !(s > 0 && (d <= 0.1 * t || d <= 3 * s)) }'
done
[ "$truth" -gt 0 ] || fail "nothing saveable in the workload"

# --first-sample 0: no quick pass, no potential until the paced pass ends; KSM's side from
# the tracker from the first snapshot (nothing merged here: KSM is off)
"$KSMSCOPE" watch --json --pid $PIDS --first-sample 0 --count 2 --interval 0.5 > "$TMPD/w0.jsonl" 2>&1
check "--first-sample 0: no potential before the first pass, KSM's side (none merged) at once" \
	"$(jq -s '[.[].totals | [.saveable, .effectiveness, .ksm_sites, .ksm_saved]] | unique' "$TMPD/w0.jsonl" -c)" '[[null,null,0,0]]'

# --subpage: the quick pass counts no sub-page sharing, so the estimate says null, not 0
"$KSMSCOPE" watch --json --pid $PIDS --subpage --count 12 --interval 0.5 > "$TMPD/ws.jsonl" 2>&1
S=$(python3 "$SNAPWAIT" "$TMPD/ws.jsonl" 's["totals"] is not None and s["totals"]["saveable"] is not None' 5) || fail "--subpage: no estimate"
check "--subpage: the estimate's sub-page figures are null" "$(jq -c '[.sample.estimate, .totals.subpage["256"]]' <<< "$S")" '[true,null]'

# KSM's side before any pass, with pages merged before watch attaches: from the tracker's
# first look at the target, at the first snapshot (a paced pass at 1 MiB/s has not ended)
{ kill -KILL $P_a $P_b; wait $P_a $P_b; } 2> /dev/null
ksm_fast
start_workload m --contents 32 --copies 10 --zero 0 --write-copies 0 --pipe-copies 0 || exit 1
M=$WL_PID
echo 1 > "$KSM/run"
wait_for "every copy merged" 50 merging_is $M 320
echo 0 > "$KSM/run"
"$KSMSCOPE" watch --json --pid $M --first-sample 0 --scan-rate 1 --count 1 --interval 0.3 > "$TMPD/wm.jsonl" 2> "$TMPD/wm.err"
check "before any pass: KSM's side at the first snapshot (320 sites on 32 frames, 288 saved), the potential null" \
	"$(jq -c '[.pass.completed, (.totals | .ksm_sites, .ksm_frames, .ksm_saved, .unshare_debt_pages, .saveable)]' "$TMPD/wm.jsonl")" \
	'[0,320,32,288,288,null]'
