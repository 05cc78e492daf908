#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The live engine (watch --json) against real KSM and real processes: every
# missed duplicate lands in its bucket; the actual saving equals the kernel's
# per-process counters and the tracer's merge events; COW breaks are counted in
# the right group; run=2 and exits are followed; totals equal scan --json.
. "$(dirname "$0")/lib.sh"
ksm_save

SNAPWAIT="$(dirname "$0")/snapwait.py"

# start_watch NAME ARGS...: watch --json in the background, output in $TMPD/NAME.jsonl
start_watch() {
	local name=$1; shift
	"$KSMSCOPE" watch --json "$@" > "$TMPD/$name.jsonl" 2> "$TMPD/$name.err" &
	CHILDREN+=($!)
	WATCH_PID=$!
}

# snap NAME EXPR: the first snapshot of NAME (from now on, in file order) satisfying EXPR
snap() { python3 "$SNAPWAIT" "$TMPD/$1.jsonl" "$2" 120; }
snap_ok() { snap "$@" > /dev/null; }

# stop_watch NAME PID: SIGINT, exit 0, every line JSON
stop_watch() {
	local rc
	kill -INT "$2"
	wait "$2"; rc=$?
	check "$1: exit status after SIGINT" "$rc" 0
	check "$1: every line is JSON" "$(jq -c . "$TMPD/$1.jsonl" > /dev/null 2>&1 && echo yes)" yes
}

missed() { echo "$1" | jq -c --argjson p "$2" '.groups[] | select(.pids | index($p)) | .missed'; }
gfield() { echo "$1" | jq --argjson p "$2" ".groups[] | select(.pids | index(\$p)) | $3"; }

# --- 1. KSM off: not_mergeable, thp, pending, volatile land in their buckets ---
echo 0 > "$KSM/run"
K=8 M=4 Z=16 D=10 V=6
start_workload buckets --contents $K --copies $M --zero $Z --unmergeable $D --thp-mb 4 --thp-mergeable \
	--volatile $V --write-copies 0 --pipe-copies 0 || exit 1
A=$WL_PID
THP_PAGES=$(echo "$WL_JSON" | jq .thp_pages)
start_watch b --pid $A --interval 0.3 --scan-rate 1000
S=$(snap b 's["pass"]["completed"] >= 3') || fail "no third pass"
check "buckets: not_mergeable = D - 1" "$(gfield "$S" $A .missed.not_mergeable)" $((D - 1))
check "buckets: thp = THP pages - 2 contents" "$(gfield "$S" $A .missed.thp)" $((THP_PAGES - 2))
check "buckets: pending = K(M-1) + Z-1 (KSM is off: no full scan)" "$(gfield "$S" $A .missed.pending)" \
	$((K * (M - 1) + Z - 1))
check "buckets: nothing unmerged or other" "$(gfield "$S" $A '.missed.unmerged + .missed.other')" 0
check "buckets: the reasons add up to saveable - ksm_saved - ksm_zero_pages" \
	"$(echo "$S" | jq '.totals | .missed.total == .saveable - .ksm_saved - .ksm_zero_pages')" true
check "buckets: missed total = the reasons' sum" \
	"$(echo "$S" | jq '.totals.missed | .total == .not_mergeable + .thp + .pending + .volatile + .unmerged + .other')" true
# a page read between two of the writer's rounds could split the content: once exact is enough
check_true "buckets: volatile = V - 1 (rewritten every 2 ms, seen changed between passes)" \
	snap_ok b "s['pass']['completed'] >= 2 and g($A)['missed']['volatile'] == $((V - 1))"
check "buckets: volatile never exceeds V - 1" \
	"$(jq -s "[.[] | .groups[] | select(.pids | index($A)) | .missed.volatile] | max <= $((V - 1))" "$TMPD/b.jsonl")" true
check "buckets: no KSM pages while KSM is off" "$(gfield "$S" $A .ksm_sites)" 0
# the first snapshot's rate is over its own interval, not over everything ksmd scanned since boot
check "buckets: KSM off: the first snapshot's pages_scanned_per_s is 0" \
	"$(head -1 "$TMPD/b.jsonl" | jq .dynamics.pages_scanned_per_s)" 0
stop_watch b $WATCH_PID

# --- 2. watch's totals equal scan --json's on an unchanging workload ---
start_workload still --contents 32 --copies 3 --zero 8 --unmergeable 5 --write-copies 0 --pipe-copies 0 || exit 1
B=$WL_PID
"$KSMSCOPE" scan --json --pid $B > "$TMPD/scan.json" || fail "scan --json failed"
"$KSMSCOPE" watch --json --pid $B --count 3 --interval 0.3 --scan-rate 1000 > "$TMPD/w2.jsonl" 2> "$TMPD/w2.err"
check "watch --count 3: exit status" "$?" 0
check "watch --count 3: three lines" "$(wc -l < "$TMPD/w2.jsonl")" 3
check "watch: totals equal scan --json's (every name)" \
	"$(jq -n --slurpfile s "$TMPD/scan.json" --slurpfile w "$TMPD/w2.jsonl" \
		'($w[-1].totals | del(.missed)) == $s[0].totals')" true
check "watch: groups equal scan --json's (every name)" \
	"$(jq -n --slurpfile s "$TMPD/scan.json" --slurpfile w "$TMPD/w2.jsonl" \
		'[$w[-1].groups[] | del(.missed, .merges, .zero_merges, .unmerges, .merges_per_s, .unmerges_per_s)] == $s[0].groups')" true
check "watch: regions equal scan --json's" \
	"$(jq -n --slurpfile s "$TMPD/scan.json" --slurpfile w "$TMPD/w2.jsonl" '$w[-1].regions == $s[0].regions')" true
kill $B

# --- 3. KSM on: actual = ksm_merging_pages = merge events; COW breaks in the right group; run=2 ---
ksm_fast 0
K=16 M=4 Z=16 D=8 W=8
start_workload c --contents $K --copies $M --zero $Z --unmergeable $D --write-copies $W --same-writes \
	--pipe-copies 0 || exit 1
C=$WL_PID
WANT=$(echo "$WL_JSON" | jq .merged_expected)
start_workload d --contents 8 --copies 2 --zero 0 --unmergeable 0 --write-copies 0 --pipe-copies 0 || exit 1
DD=$WL_PID
start_watch k --pid $C,$DD --interval 0.3 --scan-rate 1000
snap k 's["pass"]["completed"] >= 1' > /dev/null || fail "no first pass"
echo 1 > "$KSM/run"
wait_for "C fully merged" 30 merging_is $C $WANT
wait_for "D fully merged" 30 merging_is $DD 16
wait_scans 2
F=$(full_scans)
S=$(snap k "s['dynamics']['full_scans'] >= $F and s['pass']['completed'] >= 1 and g($C)['ksm_sites'] == $WANT") ||
	fail "no snapshot with C's ksm_sites = $WANT"
check "ksm on: C's ksm_sites = ksm_merging_pages" "$(gfield "$S" $C .ksm_sites)" "$(ksm_stat $C ksm_merging_pages)"
check "ksm on: D's ksm_sites = ksm_merging_pages" "$(gfield "$S" $DD .ksm_sites)" "$(ksm_stat $DD ksm_merging_pages)"
check "ksm on: C's merge events = ksm_merging_pages" "$(gfield "$S" $C .merges)" $WANT
check "ksm on: D's merge events = ksm_merging_pages" "$(gfield "$S" $DD .merges)" 16
check "ksm on: total ksm_saved = K(M-1) + Z-1 + D's 8" "$(echo "$S" | jq .totals.ksm_saved)" \
	$((K * (M - 1) + Z - 1 + 8))
check "ksm on: ksm_frames = K + 1 + 8" "$(echo "$S" | jq .totals.ksm_frames)" $((K + 1 + 8))
check "ksm on: unshare debt = ksm_saved + ksm_zero_pages" \
	"$(echo "$S" | jq '.totals | .unshare_debt_pages == .ksm_saved + .ksm_zero_pages')" true
check "ksm on: every merge was of a seen duplicate: latency observations = merges" \
	"$(echo "$S" | jq .dynamics.merge_latency.count)" $((WANT + 16))
check "ksm on: C's missed is only its unmergeable copies" "$(missed "$S" $C)" \
	"{\"not_mergeable\":$((D - 1)),\"shared\":0,\"hugetlb\":0,\"thp\":0,\"pending\":0,\"volatile\":0,\"unmerged\":0,\"other\":0,\"total\":$((D - 1))}"
check "ksm on: effectiveness of D is 1" "$(gfield "$S" $DD .effectiveness)" 1

echo 0 > "$KSM/run" # merges stay; nothing re-merges the written pages
check "cow: user writes done" "$(workload_phase c $C USR1 user_writes)" $W
S=$(snap k "g($C)['unmerges'] == $W") || fail "no snapshot with C's unmerges = $W"
check "cow: C's COW breaks = W" "$(gfield "$S" $C .unmerges)" $W
check "cow: D's COW breaks = 0" "$(gfield "$S" $DD .unmerges)" 0
# run=0: KSM's counters stand still while we compare
check "cow: the host's unshare debt = pages_sharing + ksm_zero_pages" "$(echo "$S" | jq .ksm.unshare_debt_pages)" \
	$(($(cat "$KSM/pages_sharing") + $(cat "$KSM/ksm_zero_pages" 2> /dev/null || echo 0)))
S=$(snap k "g($C)['missed']['unmerged'] == $W") || fail "no snapshot with C's missed.unmerged = $W"
# ksm_merging_pages keeps counting a broken page until ksmd visits it again (and it is off):
# the frames themselves (kpageflags, read by the reference scanner) are the truth
check "cow: C's ksm_sites = its KSM frames' sites (refscan)" "$(gfield "$S" $C .ksm_sites)" \
	"$(python3 "$(dirname "$0")/../refscan.py" $C | jq .totals.ksm_sites)"
check "cow: ... which is ksm_merging_pages - W" "$(gfield "$S" $C .ksm_sites)" $((WANT - W))
check "cow: the written copies (same content) are missed as unmerged" "$(gfield "$S" $C .missed.unmerged)" $W
check_true "cow: a snapshot saw C's COW breaks per second" \
	test "$(jq -s "[.[] | .groups[] | select(.pids | index($C)) | .unmerges_per_s] | max > 0" "$TMPD/k.jsonl")" = true

echo 2 > "$KSM/run" # unmerge everything while watching
wait_for "C unmerged by run=2" 5 merging_is $C 0
S=$(snap k "g($C)['ksm_sites'] == 0 and g($DD)['ksm_sites'] == 0") || fail "run=2 not followed"
check "run=2: total ksm_saved falls to 0" "$(echo "$S" | jq .totals.ksm_saved)" 0
echo 0 > "$KSM/run"

# a target that exits: followed, not fatal
kill $DD
S=$(snap k "g($DD) is None and s['pass']['completed'] >= 1") || fail "exited process still listed"
check_true "exit: watch still runs" kill -0 $WATCH_PID
stop_watch k $WATCH_PID
check "no drops" "$(tail -1 "$TMPD/k.jsonl" | jq .tracer.drops)" 0

# --- 4. a process that starts while watching is followed without a restart ---
NAME=ksmlive$$
start_watch n --comm "$NAME" --interval 0.3 --scan-rate 1000
snap_ok n 's["seq"] >= 1' || fail "watch --comm (nothing yet) produced no snapshot"
start_workload late --contents 8 --copies 3 --zero 0 --unmergeable 0 --write-copies 0 --pipe-copies 0 \
	--name "$NAME" || exit 1
L=$WL_PID
S=$(snap n "g($L) is not None and g($L)['saveable'] == 16") || fail "the new process never showed up"
check "late start: its group's comm" "$(gfield "$S" $L .comm)" "\"$NAME\""
check_true "late start: watch warned that nothing matched at first" grep -q "no process matches the targets yet" "$TMPD/n.err"
stop_watch n $WATCH_PID
kill $L

# --- 5. top: renders in a terminal (tmux) with the workload's pid on screen, sorts, quits on q ---
start_workload t --contents 8 --copies 2 --zero 4 --unmergeable 3 --write-copies 0 --pipe-copies 0 || exit 1
T=$WL_PID
SESSION=ksmscope-top-$$
tmux new-session -d -s $SESSION -x 160 -y 30 \
	"$KSMSCOPE top --pid $T --interval 0.3 --scan-rate 1000 2> $TMPD/top.err; echo \$? > $TMPD/top.rc"
screen_has() { tmux capture-pane -p -t $SESSION 2>/dev/null | grep -q -- "$1"; }
wait_screen() { # wait_screen TEXT
	local deadline=$((SECONDS + 30))
	until screen_has "$1"; do
		[ $SECONDS -gt $deadline ] && { fail "top: '$1' never on screen: $(tmux capture-pane -p -t $SESSION)"; return 1; }
		sleep 0.1
	done
}
wait_screen "^$T  *workload " && ok "top: the workload's pid and comm on screen"
wait_screen "sort by saveable" && ok "top: sorted by saveable by default"
tmux send-keys -t $SESSION a
wait_screen "sort by anon" && ok "top: 'a' sorts by anon memory"
tmux send-keys -t $SESSION q
deadline=$((SECONDS + 10))
until [ -s "$TMPD/top.rc" ] || [ $SECONDS -gt $deadline ]; do sleep 0.1; done
check "top: exits 0 on q" "$(cat "$TMPD/top.rc" 2>/dev/null)" 0
tmux kill-session -t $SESSION 2>/dev/null
out=$("$KSMSCOPE" top --pid $T --interval 0.3 --scan-rate 1000 --duration 1.5 | cat)
check_true "top without a terminal: periodic text with the potential" grep -q "saveable" <<< "$out"
out=$("$KSMSCOPE" watch --pid $T --interval 0.3 --scan-rate 1000 --duration 1.2 --json); rc=$?
check "watch --duration: exit status" "$rc" 0
check_true "watch --duration: stopped after about 1.2 s of 0.3 s intervals ($(wc -l <<< "$out") lines)" \
	test "$(wc -l <<< "$out")" -ge 2 -a "$(wc -l <<< "$out")" -le 5
kill $T

# --- 6. bad input: one line, non-zero exit ---
bad() { # bad NAME EXPECTED-SUBSTRING ARGS...
	local name=$1 want=$2 out rc; shift 2
	out=$("$KSMSCOPE" "$@" 2>&1 > /dev/null); rc=$?
	check "$name: exit status" "$rc" 1
	check "$name: one line" "$(printf '%s\n' "$out" | wc -l)" 1
	check_true "$name: says '$want' (got: $out)" grep -q -- "$want" <<< "$out"
}
bad "watch: unknown pid" "no process with pid 4000000" watch --pid 4000000 --count 1
bad "watch: --count 0" "--count" watch --count 0
bad "watch: --interval" "--interval" watch --interval soon
bad "watch: --scan-rate" "--scan-rate" watch --scan-rate -3
bad "watch: option of another command" "option --listen belongs to another command" watch --listen 127.0.0.1:1
bad "watch: unknown option" "bad option" watch --bogus
bad "watch: stray argument" "unexpected argument" watch extra
bad "top: --sort" "--sort" top --sort size
bad "top: option of another command" "option --json belongs to another command" top --json
for cmd in watch top serve; do
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$KSMSCOPE" $cmd < /dev/null 2>&1 > /dev/null); rc=$?
	check "$cmd as nobody: exit status" "$rc" 1
	check_true "$cmd as nobody: one line saying root is needed ($out)" \
		test "$(printf '%s\n' "$out" | wc -l)" = 1 -a -n "$(grep 'need root' <<< "$out")"
done
