#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# scan on a live host: sampling statistics, freezing and thawing, processes that
# go away, and bad input.
. "$(dirname "$0")/lib.sh"
ksm_save
echo 0 > "$KSM/run"

state() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; }

# --- sampling: N = 16 against the exact count on a large workload ---
start_workload other --contents 4 --copies 2 --zero 0 --unmergeable 0 --write-copies 0 --pipe-copies 0 || exit 1
O=$WL_PID
start_workload big --contents 3000 --copies 4 --zero 300 --unique 60000 --unmergeable 0 \
	--write-copies 0 --pipe-copies 0 || exit 1
B=$WL_PID
kill -STOP $B
"$KSMSCOPE" scan --pid $B --json > "$TMPD/exact.json"
check "exact scan exit status" $? 0
truth=$(jq .totals.saveable "$TMPD/exact.json")
check "the exact scan sees the workload's duplicates" \
	"$(test "$truth" -ge $((3000 * 3 + 299)) && echo yes)" yes
: > "$TMPD/est"
for i in $(seq 1 20); do
	"$KSMSCOPE" scan --pid $B --sample 16 --json > "$TMPD/s$i.json" || fail "sampled scan $i failed"
	jq -r '[.totals.saveable, .sample.saveable_se] | @tsv' "$TMPD/s$i.json" >> "$TMPD/est"
done
first=$(head -1 "$TMPD/est")
check_true "sample 1/16: saveable within 3 standard errors of the truth ($first vs $truth)" \
	awk -v t="$truth" '{ d = $1 - t; if (d < 0) d = -d; exit !(d <= 3 * $2) }' <<< "$first"
ratio=$(awk '{ s += $1; ss += $1 * $1; se += $2; n++ } END { m = s / n; sd = sqrt((ss - n * m * m) / (n - 1)); printf "%.3f", (se / n) / sd }' "$TMPD/est")
check_true "sample 1/16: reported standard error within a factor 2 of the spread over 20 runs (ratio $ratio)" \
	awk -v r="$ratio" 'BEGIN { exit !(r >= 0.5 && r <= 2) }'
check "sample 1/16: sites are counted, not estimated" "$(jq .totals.sites "$TMPD/s1.json")" "$(jq .totals.sites "$TMPD/exact.json")"
check "sample 1/16: zero pages are always kept, so zero_sites is exact" \
	"$(jq .totals.zero_sites "$TMPD/s1.json")" "$(jq .totals.zero_sites "$TMPD/exact.json")"
check "sample 1/16: pages chosen by prefix through the BPF reader" "$(jq -r .sample.prefix_reader "$TMPD/s1.json")" bpf
check_true "sample 1/16: reads about a sixteenth of the pages whole ($(jq .cost.pages_read "$TMPD/s1.json") of $(jq .totals.sites "$TMPD/s1.json"))" \
	test "$(jq '.cost.pages_read * 8 < .totals.sites' "$TMPD/s1.json")" = true
check "sample 1/16: sub-page figures are not estimated" "$(jq '.totals.subpage["256"]' "$TMPD/s1.json")" null
check "sample 1/16: the kept pages are read by frame through the BPF reader (all $(jq .cost.pages_read "$TMPD/s1.json"))" \
	"$(jq '.cost.pages_by_frame == .cost.pages_read and .cost.pages_by_frame > 0' "$TMPD/s1.json")" true
kill -CONT $B

# --- --freeze: running targets are stopped during the scan and resumed after ---
"$KSMSCOPE" scan --pid $B --freeze --json > "$TMPD/fz.json"
check "freeze: exit status" $? 0
check "freeze: the report says frozen" "$(jq .races.frozen "$TMPD/fz.json")" true
check "freeze: the target runs again afterwards" "$(state $B)" S
kill -STOP $B
"$KSMSCOPE" scan --pid $B --freeze --json > /dev/null
check "freeze: a target that was already stopped stays stopped" "$(state $B)" T
kill -CONT $B

# SIGINT and a crash of ksmscope in the middle of a frozen scan still resume the target
for sig in INT TERM HUP QUIT USR1 SEGV; do
	"$KSMSCOPE" scan --pid $B --freeze --subpage --json > /dev/null 2> "$TMPD/sig.err" &
	S=$!
	until [ "$(state $B)" = T ] || ! kill -0 $S 2>/dev/null; do sleep 0.005; done
	kill -$sig $S; wait $S; rc=$?
	check_true "freeze + SIG$sig: ksmscope stopped with an error status ($rc)" test $rc -ne 0
	until [ "$(state $B)" != T ] || [ $((++n)) -gt 200 ]; do sleep 0.01; done; n=0
	check "freeze + SIG$sig: the target was resumed" "$(state $B)" S
done

# init and a zombie cannot be stopped: scanned live and counted, the rest still frozen
bash -c 'sleep 0.05 & exec sleep 60' &
ZP=$!; CHILDREN+=($ZP)
until Z=$(pgrep -P $ZP) && [ "$(state $Z)" = Z ]; do sleep 0.02; done
"$KSMSCOPE" scan --pid 1,$Z,$B --freeze --json > "$TMPD/fz2.json" 2> "$TMPD/fz2.err"
check "freeze with init and a zombie among the targets: exit status" $? 0
check "freeze: init and the zombie are counted as not frozen" "$(jq .races.not_frozen "$TMPD/fz2.json")" 2
check "freeze: the live target was frozen and resumed" "$(state $B)" S
check "freeze: nothing is left stopped" "$(state 1)$(state $B)" "$(state 1)S"
kill $ZP 2>/dev/null

# a thread id names its process: --pid P,TID scans P once
python3 -c 'import threading, time; threading.Thread(target=time.sleep, args=(60,), daemon=True).start(); time.sleep(60)' &
TP=$!; CHILDREN+=($TP)
until [ "$(ls /proc/$TP/task 2>/dev/null | wc -l)" -ge 2 ]; do sleep 0.02; done
TID=$(ls /proc/$TP/task | grep -vx $TP | head -1)
kill -STOP $TP
"$KSMSCOPE" scan --pid $TP --json > "$TMPD/one.json"
"$KSMSCOPE" scan --pid $TP,$TID --json > "$TMPD/two.json"
check "--pid with a thread of the same process: one group" "$(jq -c '[.groups[].key]' "$TMPD/two.json")" "[\"$TP\"]"
check "--pid with a thread of the same process: counted once" "$(jq .totals.sites "$TMPD/two.json")" "$(jq .totals.sites "$TMPD/one.json")"
kill -CONT $TP; kill $TP

# --- many mappings: smaps text longer than the probe's read-ahead buffer (2 MiB) ---
# two interpreters with 4,000 one-page mappings each (alternately read-only, so that
# they stay apart), page i holding the same bytes in both: the probe reads the second
# process's smaps ahead, finds it too long and reads it again; every figure as refscan's
manymaps() {
	python3 -c '
import ctypes, mmap, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
keep = []
for i in range(4000):
    m = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    m.write(i.to_bytes(4, "little") * 1024)
    a = ctypes.addressof(ctypes.c_char.from_buffer(m))
    if i % 2 and libc.mprotect(ctypes.c_void_p(a), 4096, mmap.PROT_READ):
        sys.exit("mprotect: " + os.strerror(ctypes.get_errno()))
    keep.append(m)
print("ready", flush=True)
signal.pause()
' > "$TMPD/$1.out" &
}
manymaps mm1; M1=$!
manymaps mm2; M2=$!
for i in $(seq 400); do grep -q ready "$TMPD/mm1.out" && grep -q ready "$TMPD/mm2.out" && break; sleep 0.05; done
check "many mappings: both processes ready" "$(cat "$TMPD/mm1.out" "$TMPD/mm2.out" | tr '\n' ' ')" "ready ready "
kill -STOP $M1 $M2
check_true "many mappings: each smaps is longer than 2 MiB ($(wc -c < /proc/$M2/smaps) bytes)" \
	test "$(wc -c < /proc/$M1/smaps)" -gt 2097152 -a "$(wc -c < /proc/$M2/smaps)" -gt 2097152
"$KSMSCOPE" scan --pid $M1,$M2 --json > "$TMPD/mm.json"
check "many mappings: scan exit status" $? 0
python3 "$(dirname "$0")/../refscan.py" $M1 $M2 > "$TMPD/mm.ref.json"
check "many mappings: refscan exit status" $? 0
for f in sites contents saveable saveable_self saveable_inter zero_sites; do
	check "many mappings: totals.$f as refscan's" "$(jq ".totals.$f" "$TMPD/mm.json")" "$(jq ".totals.$f" "$TMPD/mm.ref.json")"
done
check_true "many mappings: the 4,000 shared pages are among saveable_inter ($(jq .totals.saveable_inter "$TMPD/mm.json"))" \
	test "$(jq .totals.saveable_inter "$TMPD/mm.json")" -ge 4000
kill -KILL $M1 $M2; wait $M1 $M2 2>/dev/null

# --- processes that go away ---
start_workload doomed --contents 4 --copies 2 --zero 0 --unmergeable 0 --write-copies 0 --pipe-copies 0 || exit 1
D=$WL_PID
# B (large) is scanned first, D after it; D is killed and reaped while B is read
if [ $D -gt $B ]; then
	"$KSMSCOPE" scan --pid $B,$D --subpage --json > "$TMPD/gone.json" 2> "$TMPD/gone.err" &
	S=$!
	sleep 0.05
	kill -KILL $D; wait $D 2>/dev/null
	wait $S
	check "a target that exits during the scan: exit status" $? 0
	check "a target that exits during the scan: counted in races.exited" "$(jq .races.exited "$TMPD/gone.json")" 1
	check "a target that exits during the scan: the others are reported" \
		"$(jq "[.groups[].key] == [\"$B\"]" "$TMPD/gone.json")" true
fi
# pids wrapped (D < B): the subtest above did not run; D must not linger into the grouping checks
kill -KILL $D 2>/dev/null; wait $D 2>/dev/null

expect_error "scan: unknown pid" "no process with pid 4000000" "$KSMSCOPE" scan --pid 4000000
expect_error "scan --json: unknown pid as JSON" '^\{"error": "no process with pid 4000000"\}$' "$KSMSCOPE" scan --json --pid 4000000
expect_error "scan: --sample 0" "--sample: '0'" "$KSMSCOPE" scan --sample 0
expect_error "scan: --group-by unknown" "--group-by: 'vms'" "$KSMSCOPE" scan --group-by vms
expect_error "scan: --cgroup not absolute" "--cgroup: 'system.slice'" "$KSMSCOPE" scan --cgroup system.slice
expect_error "scan: --subpage with sampling" "--subpage needs --sample 1" "$KSMSCOPE" scan --subpage --sample 4 --pid $B
expect_error "scan: no matching process" "no process matches" "$KSMSCOPE" scan --comm no-such-comm
expect_error "scan: bad option" "scan: bad option" "$KSMSCOPE" scan --frob
cp "$KSMSCOPE" "$TMPD/ks" && chmod 755 "$TMPD" "$TMPD/ks"
expect_error "scan as an unprivileged user" "need CAP_SYS_ADMIN" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$TMPD/ks" scan
expect_error "scan without KSM" "KSM is not built into this kernel" \
	unshare -m sh -c "mount -t tmpfs none /sys/kernel/mm && exec '$KSMSCOPE' scan"

# --- targets and grouping ---
"$KSMSCOPE" scan --comm workload --group-by comm --json > "$TMPD/comm.json"
check "group-by comm: one group for every workload" "$(jq '[.groups[].key]' -c "$TMPD/comm.json")" '["workload"]'
check "group-by comm: the group holds both workloads" "$(jq -c '.groups[0].pids | sort' "$TMPD/comm.json")" \
	"$(echo "[$B,$O]" | jq -c sort)"
# a cgroup (v2) of our own holding one workload
CG2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts)
if [ -n "$CG2" ] && mkdir "$CG2/ksmscope-test-$$" 2>/dev/null; then
	echo $O > "$CG2/ksmscope-test-$$/cgroup.procs"
	"$KSMSCOPE" scan --cgroup "$CG2/ksmscope-test-$$" --group-by cgroup --json > "$TMPD/cg.json"
	check "cgroup: only the processes in that cgroup" "$(jq -c '[.groups[].pids[]]' "$TMPD/cg.json")" "[$O]"
	check "cgroup: grouped by the cgroup's path" "$(jq -r '.groups[0].key' "$TMPD/cg.json")" "/ksmscope-test-$$"
	"$KSMSCOPE" scan --cgroup "/ksmscope-test-$$" --json > "$TMPD/cg2.json"
	check "cgroup: the hierarchy path works too" "$(jq -c '[.groups[].pids[]]' "$TMPD/cg2.json")" "[$O]"
	kill -KILL $O; wait $O 2>/dev/null
	rmdir "$CG2/ksmscope-test-$$"
else
	fail "cannot make a cgroup under the cgroup2 mount '$CG2'"
fi
"$KSMSCOPE" scan > "$TMPD/all.txt"
check "scan of the whole host: exit status" $? 0
check_true "scan text: a table with the workload" grep -q "workload" "$TMPD/all.txt"
"$KSMSCOPE" scan --json > "$TMPD/all.json"
check "scan of the whole host never scans itself" \
	"$(jq '[.groups[].comm] | index("ksmscope")' "$TMPD/all.json")" null
