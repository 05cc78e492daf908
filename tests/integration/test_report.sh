#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ksmscope record and report: a recording of a real run is complete after
# SIGINT, holds one header, every snapshot and an end block; its numbers are
# the scanner's and the live engine's; the HTML page renders its plots in
# headless Chromium; two fingerprinted recordings compare as an independent
# reading of the processes says; truncation and corruption are found at their
# offset; --salvage reports what precedes; the reader survives libFuzzer.
. "$(dirname "$0")/lib.sh"
ksm_save
echo 0 > "$KSM/run"
SNAPWAIT="$(dirname "$0")/snapwait.py"

start_workload r --contents 8 --copies 3 --zero 4 --unmergeable 3 --write-copies 0 --pipe-copies 0 || exit 1
W=$WL_PID
REC=$TMPD/run.rec
"$KSMSCOPE" record -o "$REC" --pid $W --interval 0.3 --scan-rate 1000 --subpage 2> "$TMPD/rec.err" &
R=$!
# a few snapshots, then SIGINT
snapshots() { "$KSMSCOPE" report --salvage --json "${REC}" 2>/dev/null | jq '.blocks.snapshot // 0' 2>/dev/null; }
# wait_snapshots N ERRFILE: until the recording $REC has N snapshots (30 s at most)
wait_snapshots() {
	local deadline=$((SECONDS + 30)) n
	until n=$(snapshots); [ "${n:-0}" -ge "$1" ]; do
		[ $SECONDS -gt $deadline ] && { fail "record wrote no snapshots to $REC: $(cat "$2")"; return 1; }
		sleep 0.05
	done
}
wait_snapshots 3 "$TMPD/rec.err"
kill -INT $R
wait $R
check "record: exit status after SIGINT" "$?" 0
check "record: the file is private (0600)" "$(stat -c %a "$REC")" 600
out=$("$KSMSCOPE" report --json "$REC"); rc=$?
check "report: exit status" "$rc" 0
check "report: complete (an end block)" "$(echo "$out" | jq .complete)" true
check "report: one header" "$(echo "$out" | jq .blocks.header)" 1
check_true "report: at least 3 snapshots ($(echo "$out" | jq .blocks.snapshot))" test "$(echo "$out" | jq .blocks.snapshot)" -ge 3
check "report: every byte is good" "$(echo "$out" | jq .good_bytes)" "$(stat -c %s "$REC")"
check_true "report text: says complete" grep -q "complete" <<< "$("$KSMSCOPE" report "$REC")"
check "report: a series point per snapshot" "$(echo "$out" | jq '.series | length')" "$(echo "$out" | jq .blocks.snapshot)"
check "report: the header names the kernel" "$(echo "$out" | jq -r .header.kernel)" "$(uname -r)"
check "report: the header names the tracer's sources" "$(echo "$out" | jq -c '.header.tracer.sources | [.merges, .cow_faults]')" \
	'["tp_btf","tp_btf"]'
check "report: no hashes unless asked" "$(echo "$out" | jq '.blocks.hashes, .header.parameters.hashes, .fingerprint' | tr '\n' ' ')" "0 false null "
# the workload does not change (KSM is off): the recorded totals are the scanner's
"$KSMSCOPE" scan --json --subpage --pid $W > "$TMPD/scan.json"
check "report: totals of the last snapshot equal scan --json --subpage (every name, sub-page too)" \
	"$(jq -n --argjson r "$out" --slurpfile s "$TMPD/scan.json" '($r.totals | del(.missed)) == $s[0].totals')" true
check "report: groups of the last snapshot are scan's groups" \
	"$(jq -n --argjson r "$out" --slurpfile s "$TMPD/scan.json" '[$r.groups[] | {key, pids, saveable, sites}] == [$s[0].groups[] | {key, pids, saveable, sites}]')" true
check "report: the series ends on the last snapshot's saveable" \
	"$(echo "$out" | jq '.series[-1].saveable == .totals.saveable')" true
check_true "report: the sub-page figures are there (2048: $(echo "$out" | jq '.totals.subpage["2048"]'))" \
	test "$(echo "$out" | jq '.totals.subpage["256"] >= .totals.subpage["2048"] and .totals.subpage["2048"] > 0')" = true
# the text tables carry the same figures
txt=$("$KSMSCOPE" report "$REC")
check "report text: saveable pages as in JSON" "$(awk '$1 == "saveable" && $2 ~ /^[0-9]+$/ { print $2 }' <<< "$txt")" "$(echo "$out" | jq .totals.saveable)"
check "report text: zero pages as in JSON (split zero/self/inter)" "$(awk '$1 == "zero" && $2 == "pages" { print $3 }' <<< "$txt")" "$(echo "$out" | jq .totals.saveable_zero)"
check_true "report text: every table" bash -c 'for t in "Sharing potential" "By region type" "By group" "Saveable by chunk size" "KSM'"'"'s record" "Over time"; do grep -q "$t" <<< "$1" || exit 1; done' _ "$txt"
check "report text: one row per group, keyed by pid" "$(awk -v w=$W '$1 == w' <<< "$txt" | wc -l)" 1
check "report text: the 256-byte row in MiB as in JSON" "$(awk '$1 == "256" { print $2 }' <<< "$txt")" \
	"$(echo "$out" | jq -r '.totals.subpage["256"] / 1048576 * 10 | round / 10 | tostring | if test("\\.") then . else . + ".0" end')"

# a crash (SIGKILL: no handler runs) leaves every block written so far readable
KREC=$TMPD/killed.rec
"$KSMSCOPE" record -o "$KREC" --pid $W --interval 0.2 --scan-rate 1000 2> "$TMPD/krec.err" &
R=$!
REC=$KREC wait_snapshots 2 "$TMPD/krec.err"
kill -KILL $R
wait $R 2> /dev/null
out=$("$KSMSCOPE" report --json "$KREC"); rc=$?
check "after SIGKILL: report reads it (exit status)" "$rc" 0
check "after SIGKILL: no end block, every byte good" "$(echo "$out" | jq -c '[.complete, .blocks.end, .good_bytes]')" "[false,0,$(stat -c %s "$KREC")]"
check_true "after SIGKILL: the snapshots written are there ($(echo "$out" | jq .blocks.snapshot))" test "$(echo "$out" | jq .blocks.snapshot)" -ge 2
check_true "after SIGKILL: the text report says so" grep -q "no end block" <<< "$("$KSMSCOPE" report "$KREC")"

# an independent reading of the blocks: the snapshots are watch's JSON, the header names the kernel
python3 - "$REC" "$W" > "$TMPD/py.out" <<'PY'
import json, struct, sys, zlib
b = open(sys.argv[1], 'rb').read()
assert b[:8] == b'KSMSREC\0' and struct.unpack('<I', b[8:12])[0] == 2
off, kinds, last, deflated = 16, [], None, 0
while off < len(b):
    t, n = struct.unpack('<II', b[off:off + 8])
    p = b[off + 8:off + 8 + n]
    assert struct.unpack('<I', b[off + 8 + n:off + 12 + n])[0] == zlib.crc32(b[off:off + 8 + n]) & 0xffffffff
    if t & 0x10000:  # deflated: u32 length, then zlib
        raw = zlib.decompress(p[4:])
        assert len(raw) == struct.unpack('<I', p[:4])[0]
        p, t, deflated = raw, t & 0xffff, deflated + 1
    d = json.loads(p)
    kinds.append(t)
    if t == 1:
        hdr = d
    if t == 2:
        last = d
    off += 12 + n
print(kinds[0], kinds[-1], deflated == kinds.count(2), hdr["kernel"], hdr["parameters"]["hashes"],
      last["groups"][0]["pids"][0] == int(sys.argv[2]), last["totals"]["missed"]["not_mergeable"])
PY
check "blocks read independently: header first, end last, snapshots deflated, kernel, no hashes, the pid, not_mergeable = D - 1" \
	"$(cat "$TMPD/py.out")" "1 3 True $(uname -r) False True 2"

# with KSM merging: the recorded events are the merges the kernel counts, and
# the report's numbers are those of a live engine watching the same run
ksm_fast 0
start_workload m --contents 16 --copies 4 --zero 0 --unmergeable 0 --write-copies 0 --pipe-copies 0 || exit 1
M=$WL_PID
WANT=$(echo "$WL_JSON" | jq .merged_expected)
MREC=$TMPD/merge.rec
"$KSMSCOPE" record -o "$MREC" --pid $M --interval 0.3 --scan-rate 1000 --subpage 2> "$TMPD/mrec.err" &
R=$!
"$KSMSCOPE" watch --json --pid $M --interval 0.3 --scan-rate 1000 --subpage > "$TMPD/mwatch.jsonl" 2> "$TMPD/mwatch.err" &
WP=$!
CHILDREN+=($R $WP)
REC=$MREC wait_snapshots 1 "$TMPD/mrec.err"
python3 "$SNAPWAIT" "$TMPD/mwatch.jsonl" 's["totals"] is not None and s["totals"]["saveable"] is not None' 30 > /dev/null || fail "watch: no snapshot"
echo 1 > "$KSM/run"
wait_for "the workload merged" 30 merging_is $M $WANT
echo 0 > "$KSM/run"
# both engines settled on the merged state: a pass after the last merge, every merge counted
settled="s['dynamics']['merges'] == $WANT and s['totals']['ksm_sites'] == $WANT and s['actual_age'] == 0"
python3 "$SNAPWAIT" "$TMPD/mwatch.jsonl" "$settled" 30 > /dev/null || fail "watch did not settle: $(tail -c 300 "$TMPD/mwatch.jsonl")"
deadline=$((SECONDS + 30))
until [ "$("$KSMSCOPE" report --salvage --json "$MREC" 2>/dev/null | jq ".series[-1].merges == $WANT and .totals.ksm_sites == $WANT")" = true ]; do
	[ $SECONDS -gt $deadline ] && { fail "the recording did not settle"; break; }
	sleep 0.1
done
kill -INT $R $WP
wait $R
check "record while merging: exit status" "$?" 0
wait $WP
tail -1 "$TMPD/mwatch.jsonl" > "$TMPD/mwatch.last"
out=$("$KSMSCOPE" report --json "$MREC")
check "report: merge events recorded = ksm_merging_pages" "$(echo "$out" | jq .events.merge)" "$(ksm_stat $M ksm_merging_pages)"
check "report: = the engine's merges in the last snapshot" "$(echo "$out" | jq '.series[-1].merges')" "$WANT"
check "report: events blocks pass the walk" "$(echo "$out" | jq .complete)" true
check "report = live engine (watch --json): totals, every name and missed reason" \
	"$(jq -n --argjson r "$out" --slurpfile w "$TMPD/mwatch.last" '$r.totals == $w[0].totals')" true
check "report = live engine: groups (saving, KSM, missed, merges, COW breaks)" \
	"$(jq -n --argjson r "$out" --slurpfile w "$TMPD/mwatch.last" \
	'def pick: [.[] | {key, pids, saveable, ksm_saved, ksm_sites, missed, merges, zero_merges, unmerges}]; ($r.groups | pick) == ($w[0].groups | pick)')" true
check "report = live engine: regions" "$(jq -n --argjson r "$out" --slurpfile w "$TMPD/mwatch.last" '$r.regions == $w[0].regions')" true
check "report = live engine: merges, zero merges, COW breaks, latency count" \
	"$(jq -n --argjson r "$out" --slurpfile w "$TMPD/mwatch.last" '[$r.dynamics | .merges, .zero_merges, .unmerges, .merge_latency.count] == [$w[0].dynamics | .merges, .zero_merges, .unmerges, .merge_latency.count]')" true
check "report: effectiveness 100% once merged" "$(echo "$out" | jq .totals.effectiveness)" 1
txt=$("$KSMSCOPE" report "$MREC")
check "report text: effectiveness" "$(grep '^  effectiveness' <<< "$txt" | awk '{ print $NF }')" "100.0%"
check "report text: merges" "$(grep '^  merges during the recording' <<< "$txt" | awk '{ print $NF }')" "$WANT"

# the HTML page: self-contained, and its six plots render in headless Chromium
"$KSMSCOPE" report --html "$TMPD/merge.html" "$MREC" > /dev/null
check "report --html: exit status" "$?" 0
check "report --html: no temporary file left" "$(ls "$TMPD" | grep -c 'merge.html.tmp')" 0
check "report --html: nothing fetched from the network" "$(grep -c -E 'https?:|src=' "$TMPD/merge.html")" 0
check "report --html: six plots" "$(grep -o '<svg class="plot"' "$TMPD/merge.html" | wc -l)" 6
"$KSMSCOPE" report --html "$TMPD/still.html" "$REC" > /dev/null
shot() { # shot HTML PNG: render a page in headless Chromium
	HOME=$TMPD timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--user-data-dir="$TMPD/chromium" --window-size=1280,4000 --screenshot="$2" "file://$1" > "$TMPD/chromium.log" 2>&1
}
shot "$TMPD/merge.html" "$TMPD/merge.png" || fail "chromium: $(tail -3 "$TMPD/chromium.log")"
shot "$TMPD/still.html" "$TMPD/still.png" || fail "chromium: $(tail -3 "$TMPD/chromium.log")"
# each plot draws in colours no other uses: count its pixels in the screenshot,
# less a legend's 12x10 swatch; a plot shows when each of its series does (the
# stacked bars: when one part does, as a run may have no zero page)
cat > "$TMPD/pixels.py" <<'PY'
import sys
from PIL import Image
plots = [("potential", ["1f77b4", "17becf", "2ca02c"], min), ("groups", ["7f7f7f", "ff7f0e", "9467bd"], max),
         ("subpage", ["d62728"], min), ("latency", ["8c564b"], min), ("cow", ["e377c2"], min), ("ksmd", ["bcbd22"], min)]
im = Image.open(sys.argv[1]).convert("RGB")
count = {}
for c in im.getdata():
    count[c] = count.get(c, 0) + 1
def n(h, legend):
    return count.get(tuple(int(h[i:i + 2], 16) for i in (0, 2, 4)), 0) - (120 if legend else 0)
print(" ".join("%s=%d" % (p, pick(n(h, len(hs) > 1) for h in hs)) for p, hs, pick in plots))
PY
# Debian's python3 has python3-pil (a python3 earlier in PATH may not)
px=$(/usr/bin/python3 "$TMPD/pixels.py" "$TMPD/merge.png")
check_true "screenshot: every plot of a merging run is drawn ($px)" \
	bash -c 'set -- $1; [ $# = 6 ] && for kv; do [ "${kv#*=}" -ge 30 ] || exit 1; done' _ "$px"
px=$(/usr/bin/python3 "$TMPD/pixels.py" "$TMPD/still.png")
check_true "screenshot: a run with no merge draws no latency CDF, and the plots with data ($px)" \
	bash -c 'set -- $1; [ $# = 6 ] && [ "${4#*=}" = 0 ] && for kv in $1 $2 $3; do [ "${kv#*=}" -ge 30 ] || exit 1; done' _ "$px"

# report A B: two recordings fingerprinted under one key compare as an
# independent reading of the same processes (refscan.py, SHA-256 of each page) says
echo 0 > "$KSM/run"
head -c 32 /dev/urandom > "$TMPD/key"; chmod 600 "$TMPD/key"
start_workload a1 --contents 8 --copies 3 --zero 4 --shared 5 --shared-seed 7 --write-copies 0 --pipe-copies 0 || exit 1
A1=$WL_PID
start_workload a2 --contents 6 --copies 2 --seed 9 --shared 5 --shared-seed 7 --write-copies 0 --pipe-copies 0 || exit 1
A2=$WL_PID
start_workload b1 --contents 4 --copies 3 --seed 11 --shared 5 --shared-seed 7 --write-copies 0 --pipe-copies 0 || exit 1
B1=$WL_PID
kill -STOP $A1 $A2 $B1
python3 "$(dirname "$0")/../refscan.py" --fingerprint $A1 $A2 > "$TMPD/fa.json" &&
	python3 "$(dirname "$0")/../refscan.py" --fingerprint $B1 > "$TMPD/fb.json" || fail "refscan --fingerprint"
kill -CONT $A1 $A2 $B1
fprec() { # fprec FILE PIDS [FLAGS]: a short fingerprinted recording
	local f=$1 p=$2; shift 2
	"$KSMSCOPE" record -o "$f" --pid "$p" --interval 0.3 --scan-rate 1000 --duration 1 "$@" 2>> "$TMPD/fp.err"
}
fprec "$TMPD/A.rec" $A1,$A2 --keep-hashes --key "$TMPD/key" || fail "record A: $(cat "$TMPD/fp.err")"
fprec "$TMPD/B.rec" $B1 --keep-hashes --key "$TMPD/key" || fail "record B: $(cat "$TMPD/fp.err")"
check "record --keep-hashes: the header says so" "$("$KSMSCOPE" report --json "$TMPD/A.rec" | jq .header.parameters.hashes)" true
check_true "record --keep-hashes: a fingerprint per pass" test "$("$KSMSCOPE" report --json "$TMPD/A.rec" | jq '.blocks.hashes >= 1 and .fingerprint.pass >= 1')" = true
cmp=$("$KSMSCOPE" report --json "$TMPD/A.rec" "$TMPD/B.rec"); rc=$?
check "report A B: exit status" "$rc" 0
want=$(python3 - "$TMPD/fa.json" "$TMPD/fb.json" $A1 $A2 $B1 <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["groups"]; b = json.load(open(sys.argv[2]))["groups"]
def total(fp):
    t = {}
    for g in fp.values():
        for h, n in g.items():
            t[h] = t.get(h, 0) + n
    return t
A, B = total(a), total(b)
common = set(A) & set(B)
out = {"a": [len(A), sum(A.values())], "b": [len(B), sum(B.values())],
       "common": [len(common), sum(A[h] for h in common), sum(B[h] for h in common)],
       "groups": [[k, len(a[k]), sum(a[k].values()), len(set(a[k]) & set(B)), sum(n for h, n in a[k].items() if h in B)]
                  for k in (sys.argv[3], sys.argv[4])]}
print(json.dumps(out, sort_keys=True))
PY
)
got=$(echo "$cmp" | jq -c -S '{a: [.a.distinct, .a.pages], b: [.b.distinct, .b.pages],
	common: [.common.distinct, .common.a_pages, .common.b_pages],
	groups: [.groups[] | [.key, .distinct, .pages, .common_distinct, .common_pages]]}')
check "report A B = refscan: distinct contents and pages of each, common contents, per group" "$got" "$(echo "$want" | jq -c -S .)"
check_true "report A B: shared contents found ($(echo "$cmp" | jq .common.distinct))" test "$(echo "$cmp" | jq .common.distinct)" -ge 5
check "report A B: the placement saving is the common contents" "$(echo "$cmp" | jq '.placement_saving_pages == .common.distinct')" true
check "report A B: each group's closest group of B is B's only one" "$(echo "$cmp" | jq -c '[.groups[].closest_b.key]')" "[\"$B1\",\"$B1\"]"
txt=$("$KSMSCOPE" report "$TMPD/A.rec" "$TMPD/B.rec")
check_true "report A B text: says how many of A's contents B holds" grep -q "A's contents that B also holds: $(echo "$cmp" | jq .common.distinct) of" <<< "$txt"
# what cannot be compared, and bad flags: one clear line, exit 1
head -c 32 /dev/urandom > "$TMPD/key2"; chmod 600 "$TMPD/key2"
fprec "$TMPD/B2.rec" $B1 --keep-hashes --key "$TMPD/key2"
fprec "$TMPD/B3.rec" $B1 --keep-hashes --key "$TMPD/key" --subpage
fprec "$TMPD/B4.rec" $B1
bad() { # bad NAME PATTERN CMD...: exit 1 and one line saying PATTERN
	local name=$1 pat=$2; shift 2
	local out rc
	out=$("$@" 2>&1 > /dev/null); rc=$?
	check "$name: exit status" "$rc" 1
	check_true "$name: one line saying so ($out)" test "$(echo "$out" | wc -l)" = 1 -a -n "$(grep -- "$pat" <<< "$out")"
}
bad "report A B under different keys" "different keys" "$KSMSCOPE" report "$TMPD/A.rec" "$TMPD/B2.rec"
bad "report A B, one with --subpage" "subpage" "$KSMSCOPE" report "$TMPD/A.rec" "$TMPD/B3.rec"
bad "report A B, B without hashes" "no content fingerprint" "$KSMSCOPE" report "$TMPD/A.rec" "$TMPD/B4.rec"
bad "report A B --html" "one recording" "$KSMSCOPE" report --html "$TMPD/x.html" "$TMPD/A.rec" "$TMPD/B.rec"
bad "record --keep-hashes without --key" "needs --key" "$KSMSCOPE" record -o "$TMPD/x.rec" --pid $B1 --keep-hashes
bad "record --key without --keep-hashes" "goes with --keep-hashes" "$KSMSCOPE" record -o "$TMPD/x.rec" --pid $B1 --key "$TMPD/key"
head -c 8 /dev/urandom > "$TMPD/short"
bad "record --key with a short key file" "16 to 4096" "$KSMSCOPE" record -o "$TMPD/x.rec" --pid $B1 --keep-hashes --key "$TMPD/short"
bad "record --key with no such file" "cannot open" "$KSMSCOPE" record -o "$TMPD/x.rec" --pid $B1 --keep-hashes --key "$TMPD/nope"
bad "record --subpage --sample 4" "needs --sample 1" "$KSMSCOPE" record -o "$TMPD/x.rec" --pid $B1 --subpage --sample 4
bad "watch --keep-hashes" "belongs to another command" "$KSMSCOPE" watch --pid $B1 --keep-hashes
check "no recording left by a refused record" "$(ls "$TMPD" | grep -c '^x.rec')" 0
bad "report --html onto the recording itself" "would replace the recording" "$KSMSCOPE" report --html "$TMPD/A.rec" "$TMPD/A.rec"
check "report --html onto the recording: the recording is intact" "$("$KSMSCOPE" report --json "$TMPD/A.rec" | jq .complete)" true
kill $A1 $A2 $B1

# a process names itself with an escape sequence: the text report prints it harmless
start_workload esc --contents 2 --copies 2 --zero 0 --unmergeable 0 --write-copies 0 --pipe-copies 0 --name $'\e]0;x\a\e[2J' || exit 1
E=$WL_PID
install -m 644 /dev/null "$TMPD/esc.rec"
fprec "$TMPD/esc.rec" $E
check "record: an existing file becomes private (0600)" "$(stat -c %a "$TMPD/esc.rec")" 600
"$KSMSCOPE" report "$TMPD/esc.rec" > "$TMPD/esc.txt"
check "report text: the comm is in the group table, made printable" "$(grep -c '?\]0;x??\[2J' "$TMPD/esc.txt")" 1
check "report text: no control byte reaches the terminal" "$(tr -d '\n' < "$TMPD/esc.txt" | LC_ALL=C grep -c '[[:cntrl:]]')" 0
check "report --json: the comm as the process set it" "$("$KSMSCOPE" report --json "$TMPD/esc.rec" | jq -r '.groups[0].comm')" $'\e]0;x\a\e[2J'
kill $E

# damage: truncation and a flipped byte are errors naming the offset; --salvage reports what precedes
size=$(stat -c %s "$REC")
head -c $((size - 20)) "$REC" > "$TMPD/cut.rec"
out=$("$KSMSCOPE" report "$TMPD/cut.rec" 2>&1 > /dev/null); rc=$?
check "truncated: exit status" "$rc" 1
check_true "truncated: one line naming the offset ($out)" test "$(echo "$out" | wc -l)" = 1 -a -n "$(grep -E 'truncated block at offset [0-9]+' <<< "$out")"
out=$("$KSMSCOPE" report --salvage --json "$TMPD/cut.rec"); rc=$?
check "truncated --salvage: exit status" "$rc" 0
check "truncated --salvage: not complete" "$(echo "$out" | jq .complete)" false
check_true "truncated --salvage: the header and snapshots before the cut" test "$(echo "$out" | jq '.blocks.header == 1 and .blocks.snapshot >= 3')" = true
cp "$REC" "$TMPD/flip.rec"
printf '\xff' | dd of="$TMPD/flip.rec" bs=1 seek=100 conv=notrunc status=none
out=$("$KSMSCOPE" report "$TMPD/flip.rec" 2>&1 > /dev/null); rc=$?
check "flipped byte: exit status" "$rc" 1
check_true "flipped byte: checksum mismatch at the first block ($out)" grep -q "checksum mismatch at offset 16" <<< "$out"
# a block whose checksum holds but whose JSON does not: found and named
python3 - "$TMPD/badjson.rec" <<'PY'
import struct, sys, zlib
def block(t, p):
    h = struct.pack('<II', t, len(p))
    return h + p + struct.pack('<I', zlib.crc32(h + p) & 0xffffffff)
open(sys.argv[1], 'wb').write(b'KSMSREC\0' + struct.pack('<II', 1, 0) + block(1, b'{"format": 1}') + block(2, b'{"seq": '))
PY
out=$("$KSMSCOPE" report "$TMPD/badjson.rec" 2>&1 > /dev/null); rc=$?
check "malformed JSON in a good block: exit status" "$rc" 1
check_true "malformed JSON in a good block: named with its offset ($out)" grep -q "snapshot block is not valid JSON (unexpected end at byte 8) at offset 41" <<< "$out"
echo "not a recording" > "$TMPD/text.rec"
out=$("$KSMSCOPE" report "$TMPD/text.rec" 2>&1 > /dev/null); rc=$?
check "not a recording: exit status" "$rc" 1
check_true "not a recording: says so ($out)" grep -q "bad magic" <<< "$out"
out=$("$KSMSCOPE" report "$TMPD/none.rec" 2>&1 > /dev/null); rc=$?
check "missing file: exit status" "$rc" 1
out=$("$KSMSCOPE" record --pid $W 2>&1 > /dev/null); rc=$?
check "record without -o: exit status" "$rc" 1
check_true "record without -o: says so ($out)" grep -q -- "-o FILE" <<< "$out"
out=$("$KSMSCOPE" record -o /proc/nope/x.rec --pid $W 2>&1 > /dev/null); rc=$?
check "record to a path it cannot create: exit status" "$rc" 1

# the reader under libFuzzer, from the corpus in tests/fuzz (ASan + UBSan, no crash allowed)
if make --no-print-directory -C "$(dirname "$0")/../.." fuzz FUZZ_SECS=${FUZZ_SECS:-15} > "$TMPD/fuzz.log" 2>&1; then
	ok "fuzz: the recording and JSON readers ran $(grep -o 'Done [0-9]* runs' "$TMPD/fuzz.log" | tr '\n' ' ')with no crash"
else
	fail "fuzz: $(tail -5 "$TMPD/fuzz.log")"
fi
