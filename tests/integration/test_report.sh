#!/bin/bash
# ksmscope record and report (the first slice): a recording of a real run is
# complete after SIGINT, holds one header, every snapshot and an end block;
# truncation and corruption are found at their offset; --salvage reports what
# precedes; the reader survives a libFuzzer run over its corpus.
. "$(dirname "$0")/lib.sh"
ksm_save
echo 0 > "$KSM/run"

start_workload r --contents 8 --copies 3 --zero 4 --unmergeable 3 --write-copies 0 --pipe-copies 0 || exit 1
W=$WL_PID
REC=$TMPD/run.rec
"$KSMSCOPE" record -o "$REC" --pid $W --interval 0.3 --scan-rate 1000 2> "$TMPD/rec.err" &
R=$!
deadline=$((SECONDS + 30))
# a few snapshots, then SIGINT
snapshots() { "$KSMSCOPE" report --salvage --json "${REC}" 2>/dev/null | jq '.blocks.snapshot // 0' 2>/dev/null; }
until n=$(snapshots); [ "${n:-0}" -ge 3 ]; do
	[ $SECONDS -gt $deadline ] && { fail "record wrote no snapshots: $(cat "$TMPD/rec.err")"; break; }
	sleep 0.1
done
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
# the workload does not change (KSM is off): the recorded totals are the scanner's
"$KSMSCOPE" scan --json --pid $W > "$TMPD/scan.json"
check "report: totals of the last snapshot equal scan --json (every name)" \
	"$(jq -n --argjson r "$out" --slurpfile s "$TMPD/scan.json" '($r.totals | del(.missed)) == $s[0].totals')" true
check "report: groups of the last snapshot are scan's groups" \
	"$(jq -n --argjson r "$out" --slurpfile s "$TMPD/scan.json" '[$r.groups[] | {key, pids, saveable, sites}] == [$s[0].groups[] | {key, pids, saveable, sites}]')" true
check "report: the series ends on the last snapshot's saveable" \
	"$(echo "$out" | jq '.series[-1].saveable == .totals.saveable')" true

# an independent reading of the blocks: the snapshots are watch's JSON, the header names the kernel
python3 - "$REC" "$W" > "$TMPD/py.out" <<'PY'
import json, struct, sys, zlib
b = open(sys.argv[1], 'rb').read()
assert b[:8] == b'KSMSREC\0' and struct.unpack('<I', b[8:12])[0] == 1
off, kinds, last = 16, [], None
while off < len(b):
    t, n = struct.unpack('<II', b[off:off + 8])
    p = b[off + 8:off + 8 + n]
    assert struct.unpack('<I', b[off + 8 + n:off + 12 + n])[0] == zlib.crc32(b[off:off + 8 + n]) & 0xffffffff
    d = json.loads(p)
    kinds.append(t)
    if t == 1:
        hdr = d
    if t == 2:
        last = d
    off += 12 + n
print(kinds[0], kinds[-1], hdr["kernel"], hdr["parameters"]["hashes"],
      last["groups"][0]["pids"][0] == int(sys.argv[2]), last["totals"]["missed"]["not_mergeable"])
PY
check "blocks read independently: header first, end last, kernel, no hashes, the pid, not_mergeable = D - 1" \
	"$(cat "$TMPD/py.out")" "1 3 $(uname -r) False True 2"

# with KSM merging: the recorded events are the merges the kernel counts
ksm_fast 0
start_workload m --contents 16 --copies 4 --zero 0 --unmergeable 0 --write-copies 0 --pipe-copies 0 || exit 1
M=$WL_PID
WANT=$(echo "$WL_JSON" | jq .merged_expected)
MREC=$TMPD/merge.rec
"$KSMSCOPE" record -o "$MREC" --pid $M --interval 0.3 --scan-rate 1000 2> "$TMPD/mrec.err" &
R=$!
until n=$(REC=$MREC snapshots); [ "${n:-0}" -ge 1 ]; do sleep 0.1; done
echo 1 > "$KSM/run"
wait_for "the workload merged" 30 merging_is $M $WANT
echo 0 > "$KSM/run"
sleep 1 # an interval or more: the merges' events reach a block
kill -INT $R
wait $R
check "record while merging: exit status" "$?" 0
out=$("$KSMSCOPE" report --json "$MREC")
check "report: merge events recorded = ksm_merging_pages" "$(echo "$out" | jq .events.merge)" "$(ksm_stat $M ksm_merging_pages)"
check "report: = the engine's merges in the last snapshot" "$(echo "$out" | jq '.series[-1].merges')" "$WANT"
check "report: events blocks pass the walk" "$(echo "$out" | jq .complete)" true

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
