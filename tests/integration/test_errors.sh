#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Every bad input: one clear line on stderr, a non-zero exit, no crash.
# Missing kernel features are made real inside private mount namespaces.
. "$(dirname "$0")/lib.sh"
ksm_save

# expect_error NAME PATTERN CMD...: non-zero exit, exactly one stderr line matching PATTERN

expect_error "unknown command" "^ksmscope: unknown command 'frobnicate'" "$KSMSCOPE" frobnicate
expect_error "unknown option" "^ksmscope: unknown option" "$KSMSCOPE" --frob
expect_error "trace: bad flag" "^ksmscope: trace: bad option" "$KSMSCOPE" trace --frob
expect_error "trace: stray argument" "unexpected argument 'extra'" "$KSMSCOPE" trace extra
expect_error "trace: --pid not a number" "--pid: 'abc'" "$KSMSCOPE" trace --pid abc
expect_error "trace: --pid empty item" "--pid: '1,,2'" "$KSMSCOPE" trace --pid 1,,2
expect_error "trace: --pid 0" "--pid: '0'" "$KSMSCOPE" trace --pid 0
expect_error "trace: --duration negative" "--duration" "$KSMSCOPE" trace --duration -1
expect_error "trace: --duration text" "--duration" "$KSMSCOPE" trace --duration soon
expect_error "trace: --ringbuf-size not a power of two" "--ringbuf-size" "$KSMSCOPE" trace --ringbuf-size 5000
expect_error "trace: --hooks unknown" "--hooks: 'uprobe'" "$KSMSCOPE" trace --hooks uprobe
expect_error "trace: --comm too long" "--comm" "$KSMSCOPE" trace --comm abcdefghijklmnopq
expect_error "ksm: bad flag" "^ksmscope: ksm: bad option" "$KSMSCOPE" ksm --frob

expect_error "ksm: stray argument" "unexpected argument 'extra'" "$KSMSCOPE" ksm extra
expect_error "trace: a flag's value missing" "^ksmscope: trace: bad option or missing value: '--pid'" "$KSMSCOPE" trace --pid
expect_error "trace: a short flag not there" "^ksmscope: trace: bad option" "$KSMSCOPE" trace -R 5
# --json anywhere on the line: an error before it is JSON too
expect_error "trace: bad flag before --json, as JSON" \
	'^\{"error": "trace: bad option or missing value: .--frob. \(see ksmscope trace --help\)"\}$' \
	"$KSMSCOPE" trace --frob --json
expect_error "scan: bad value before -j, as JSON" '^\{"error": "--sample: .0. is not a positive integer"\}$' \
	"$KSMSCOPE" scan --sample 0 -j
# a word that is the value of a flag is not --json
expect_error "trace: --comm --json is a name, not JSON" "^ksmscope: --pid: 'x'" "$KSMSCOPE" trace --comm --json --pid x
expect_error "unknown command with --json" '^\{"error": "unknown command .frob.' "$KSMSCOPE" frob --json

# every command's --help: exit 0 and every option it takes
help_lists() { # help_lists CMD OPTION...
	local cmd=$1 out rc missing=""; shift
	out=$("$KSMSCOPE" "$cmd" --help 2>&1); rc=$?
	for o in "$@"; do grep -q -- "$o" <<< "$out" || missing="$missing $o"; done
	check "$cmd --help: exit 0, every option listed${missing:+ (missing:$missing)}" "$rc${missing}" 0
}
help_lists trace --pid --comm --json --duration --ringbuf-size --hooks --verbose --help
help_lists scan --pid --comm --cgroup --group-by --sample --subpage --freeze --json --help
help_lists watch --pid --comm --cgroup --group-by --sample --interval --scan-rate --duration --subpage \
	--ringbuf-size --hooks --verbose --json --count --help
help_lists top --pid --interval --scan-rate --duration --subpage --ringbuf-size --sort --help
help_lists serve --pid --interval --scan-rate --duration --listen --help
help_lists record --pid --interval --duration --output --keep-hashes --key --help
help_lists report --json --html --salvage --help
help_lists ksm --json --help
out=$("$KSMSCOPE" --help); rc=$?
check "ksmscope --help: exit 0, every command listed" "$rc $(for c in top trace scan watch serve record report ksm; do
	grep -qE "^  $c " <<< "$out" || echo "missing $c"; done)" "0 "
check "top --help: another command's options hidden" "$("$KSMSCOPE" top --help | grep -cE -- '--(json|listen|count|output|key)')" 0

# report on a FIFO: refused at once, never a read that waits for a writer
mkfifo "$TMPD/fifo.rec"
expect_error "report on a FIFO" "report: cannot read .*fifo.rec: not a regular file" timeout 5 "$KSMSCOPE" report "$TMPD/fifo.rec"
expect_error "report --json on a FIFO, as JSON" '^\{"error": "report: cannot read .*: not a regular file"\}$' \
	timeout 5 "$KSMSCOPE" report --json "$TMPD/fifo.rec" "$TMPD/fifo.rec"
expect_error "report on a directory" "not a regular file" timeout 5 "$KSMSCOPE" report "$TMPD"

# a pid that does not exist (pid_max is far below 4000000 here)
expect_error "trace: unknown pid" "no process with pid 4000000" "$KSMSCOPE" trace --pid 4000000
# JSON mode keeps errors machine-readable
expect_error "trace --json: unknown pid as JSON" '^\{"error": "no process with pid 4000000"\}$' \
	"$KSMSCOPE" trace --json --pid 4000000
# an argument that is not UTF-8, echoed in the error: still one valid JSON line
# (python3 decodes strictly; jq would quietly replace the bad byte)
expect_error "trace --json: --pid with a non-UTF-8 byte as JSON" '^\{"error": "--pid: ' \
	"$KSMSCOPE" trace --json --pid $'\xff'
check "trace --json: that error line parses as JSON" \
	"$(python3 -c 'import json, sys; print(json.loads(sys.stdin.buffer.read().decode("utf-8"))["error"])' \
		< "$TMPD/err.err" 2>&1)" "--pid: 'ÿ' is not a list of process ids"

# no privileges: an unprivileged user
cp "$KSMSCOPE" "$TMPD/ksmscope-copy" && chmod 755 "$TMPD" "$TMPD/ksmscope-copy"
expect_error "trace as an unprivileged user" "need root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$TMPD/ksmscope-copy" trace
# root without CAP_SYS_ADMIN (pagemap PFNs) but with CAP_BPF+CAP_PERFMON
expect_error "trace without CAP_SYS_ADMIN" "CAP_SYS_ADMIN" \
	setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin "$KSMSCOPE" trace

# KSM not built in: /sys/kernel/mm/ksm hidden in a private mount namespace
expect_error "trace without KSM" "KSM is not built into this kernel" \
	unshare -m sh -c "mount -t tmpfs none /sys/kernel/mm && exec '$KSMSCOPE' trace"
expect_error "ksm without KSM" "KSM is not built into this kernel" \
	unshare -m sh -c "mount -t tmpfs none /sys/kernel/mm && exec '$KSMSCOPE' ksm"
# no BTF
expect_error "trace without kernel BTF" "no kernel BTF" \
	unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$KSMSCOPE' trace"

# KSM tracepoints missing: a kernel BTF with no btf_trace_ksm_* types and a tracefs
# with no ksm events (a minimal valid BTF blob holding one "int" type).
printf '\x9f\xeb\x01\x00\x18\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x10\x00\x00\x00\x05\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01\x04\x00\x00\x00\x20\x00\x00\x00\x00int\x00' \
	> "$TMPD/tiny.btf"
# no hook at all for merges: the tracer polls, and features says why every hook was refused
NOHOOKS="mount --bind '$TMPD/tiny.btf' /sys/kernel/btf/vmlinux &&
	mount -t tmpfs none /sys/kernel/tracing && mkdir /sys/kernel/tracing/events"
unshare -m sh -c "$NOHOOKS && exec '$KSMSCOPE' trace --duration 0.3" > /dev/null 2> "$TMPD/nohooks.err"
check "trace on a kernel without KSM tracepoints, fexit or kprobes: exit 0" $? 0
check "trace there: everything polled but KSM pages freed (no source: not seen)" "$(head -1 "$TMPD/nohooks.err")" \
	"Tracing KSM events (merges=polling,ksm_pages=none,scans=polling,ksm_enter_exit=polling,forks=polling,cow_faults=polling hooks). Hit Ctrl-C to end."
unshare -m sh -c "$NOHOOKS && exec '$KSMSCOPE' features --json" > "$TMPD/nohooks.json"
check "features there: why not each hook for merges, one line each" \
	"$(jq -r '.capabilities.merges.tried[:3][] | "\(.source) \(.state): \(.why)"' "$TMPD/nohooks.json")" \
	"tp_btf refused: no btf_trace_ksm_merge_with_ksm_page in the kernel's BTF
tracepoint refused: this kernel has no KSM tracepoint ksm:ksm_merge_with_ksm_page (they arrived in Linux 6.4)
fexit refused: no function try_to_merge_with_ksm_page in the kernel's BTF (inlined, renamed or absent)"
check "features there: polling chosen, and what it loses said" \
	"$(jq -c '.capabilities.merges | [.source, (.loses | test("late by up to a round"))]' "$TMPD/nohooks.json")" '["polling",true]'
expect_error "trace --hooks btf without tp_btf types" "--hooks tp_btf: no btf_trace_ksm_merge_with_ksm_page in the kernel's BTF" \
	unshare -m sh -c "mount --bind '$TMPD/tiny.btf' /sys/kernel/btf/vmlinux && exec '$KSMSCOPE' trace --hooks btf"

# the tracer never changes KSM settings
before=$(cd "$KSM" && grep -H . run pages_to_scan sleep_millisecs use_zero_pages max_page_sharing merge_across_nodes smart_scan)
"$KSMSCOPE" trace --duration 0.5 > /dev/null 2>&1
after=$(cd "$KSM" && grep -H . run pages_to_scan sleep_millisecs use_zero_pages max_page_sharing merge_across_nodes smart_scan)
check "trace leaves every KSM setting as it was" "$after" "$before"

# --duration ends the trace by itself with a summary, exit 0; links detached afterwards
"$KSMSCOPE" trace --json --duration 0.3 > "$TMPD/dur.jsonl" 2> /dev/null
check "trace --duration: exit status" $? 0
check "trace --duration: summary last" "$(tail -1 "$TMPD/dur.jsonl" | jq -r .event)" summary
# programs are freed after an RCU grace period: give the kernel a moment
left() { bpftool prog show 2>/dev/null | grep -cE 'btf_(merge|fault_user)|tp_(merge|fault_user)'; }
for i in $(seq 100); do [ "$(left)" = 0 ] && break; sleep 0.02; done
check "no ksmscope BPF program left loaded" "$(left)" 0

# SIGTERM: clean exit 0 with the summary
"$KSMSCOPE" trace --json > "$TMPD/term.jsonl" 2> "$TMPD/term.err" &
T=$!; CHILDREN+=($T)
until grep -q "Tracing KSM events" "$TMPD/term.err" 2>/dev/null; do sleep 0.02; done
kill -TERM $T; wait $T
check "trace: exit status after SIGTERM" $? 0
check "trace: summary after SIGTERM" "$(tail -1 "$TMPD/term.jsonl" | jq -r .event)" summary

# SIGHUP (the terminal gone): the same clean end
"$KSMSCOPE" trace --json > "$TMPD/hup.jsonl" 2> "$TMPD/hup.err" &
T=$!; CHILDREN+=($T)
until grep -q "Tracing KSM events" "$TMPD/hup.err" 2>/dev/null; do sleep 0.02; done
kill -HUP $T; wait $T
check "trace: exit status after SIGHUP" $? 0
check "trace: summary after SIGHUP" "$(tail -1 "$TMPD/hup.jsonl" | jq -r .event)" summary

# a traced process that exits mid-trace: ksm_exit for it, the trace goes on
ksm_fast 0
start_workload gone --contents 4 --copies 2 --zero 0 --unmergeable 0 --write-copies 0 --pipe-copies 0
G=$WL_PID
start_tracer tgone --pid "$G" --json
kill -TERM "$G"; wait "$G" 2>/dev/null
until [ ! -d "/proc/$G" ]; do sleep 0.02; done
kill -0 "$TR_PID" 2>/dev/null; check "tracer survives its target's exit" $? 0
stop_tracer tgone $TR_PID
check "ksm_exit event of the exited pid" "$(count tgone ".event==\"ksm_exit\" and .pid==$G")" 1

# stdout closed early (| head): no crash, quiet exit
"$KSMSCOPE" trace --duration 1 2> "$TMPD/pipe.err" | head -c 10 > /dev/null
check "trace into a closed pipe: exit status" "${PIPESTATUS[0]}" 0
check "trace into a closed pipe: no error output" "$(grep -vc 'Tracing KSM events' "$TMPD/pipe.err")" 0

# ksm --json: every file of /sys/kernel/mm/ksm under its own name, plus saved
"$KSMSCOPE" ksm --json > "$TMPD/ksm.json"
check "ksm --json: exit" $? 0
for f in "$KSM"/*; do
	n=$(basename "$f"); v=$(cat "$f")
	case "$v" in *'['*) v=$(echo "$v" | sed 's/.*\[\(.*\)\].*/\1/'); want="\"$v\"" ;; *) want=$v ;; esac
	got=$(jq -c --arg n "$n" '.[$n]' "$TMPD/ksm.json")
	# counters can move between the two reads while KSM runs; the run here is stopped
	check "ksm --json: $n" "$got" "$want"
done
check "ksm --json: saved = pages_sharing + ksm_zero_pages" \
	"$(jq '.saved == .pages_sharing + .ksm_zero_pages and .saved_bytes == .saved * 4096' "$TMPD/ksm.json")" true
check "ksm --json: no invented keys" \
	"$(jq -r 'keys[]' "$TMPD/ksm.json" | grep -Ev '^(saved|unshare_debt_pages|mem_available_pages)' |
		while read -r k; do [ -e "$KSM/$k" ] || echo "$k"; done | wc -l)" 0
check "ksm --json: the unshare debt is saved; MemAvailable beside it, from /proc/meminfo" \
	"$(jq '.unshare_debt_pages == .saved and .mem_available_pages > 0' "$TMPD/ksm.json")" true
