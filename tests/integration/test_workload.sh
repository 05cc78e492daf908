#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The test workload itself: the copies it promises the other tests are all the copies
# there are. Its THP contents were once built in stack buffers; one that happened to be
# page-aligned (1 start in ~230) left a third copy in unmergeable memory, and test_live
# counted one more not_mergeable duplicate than it made.
. "$(dirname "$0")/lib.sh"

N=1000
out=$(python3 - "$WORKLOAD" $N <<'PY'
import hashlib, json, subprocess, sys
wl, n = sys.argv[1], int(sys.argv[2])
hits = starts = 0
for _ in range(n):
    p = subprocess.Popen([wl, '--contents', '1', '--copies', '1', '--zero', '0', '--unmergeable', '0',
                          '--thp-mb', '2', '--write-copies', '0', '--pipe-copies', '0'],
                         stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(p.stdout.readline())
        thp = int(info['thp_start'], 16)
        with open(f"/proc/{info['pid']}/mem", 'rb') as mem:
            mem.seek(thp)
            want = {hashlib.blake2b(mem.read(4096)).digest(), hashlib.blake2b(mem.read(4096)).digest()}
            for line in open(f"/proc/{info['pid']}/maps"):
                if '[stack]' not in line:
                    continue
                lo, hi = (int(x, 16) for x in line.split()[0].split('-'))
                for a in range(lo, hi, 4096):
                    try:
                        mem.seek(a)
                        hits += hashlib.blake2b(mem.read(4096)).digest() in want
                    except OSError:
                        pass  # not present
        starts += 1
    finally:
        p.kill()
        p.wait()
print(starts, hits)
PY
)
check "workload: $N starts measured" "${out% *}" $N
check "workload: no stack page holds a copy of a THP content, in $N starts" "${out#* }" 0
