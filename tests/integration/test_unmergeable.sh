#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Memory KSM cannot merge, counted and never read: shmem (memfd, MAP_SHARED anonymous),
# hugetlb (private and shared), and a QEMU guest whose RAM is a shared memfd
# (memory-backend-memfd,share=on, as virtiofs and vhost-user need). Known answers: the
# pages each mapping touched; for the guest, its memfd mapping's present pagemap entries.
. "$(dirname "$0")/lib.sh"
ksm_save
echo 0 > "$KSM/run"
GUEST=$(dirname "$0")/../guest

set_saved /proc/sys/vm/nr_hugepages 8
check "8 huge pages reserved" "$(cat /proc/sys/vm/nr_hugepages)" 8

# 700 of 1000 memfd pages, 300 MAP_SHARED anonymous pages, 4 MiB private hugetlb (all
# touched) and one 2 MiB shared huge page touched; 50 private pages as sites
python3 - > "$TMPD/shm.out" << 'PY' &
import mmap, os, sys, time
HUGETLB = 0x40000
fd = os.memfd_create("ksmscope-test")
os.ftruncate(fd, 1000 * 4096)
m = mmap.mmap(fd, 1000 * 4096, mmap.MAP_SHARED)
for i in range(700): m[i * 4096] = 1
a = mmap.mmap(-1, 300 * 4096, mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
for i in range(300): a[i * 4096] = 1
h = mmap.mmap(-1, 4 << 20, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | HUGETLB)
for i in range(0, 4 << 20, 4096): h[i] = 1
s = mmap.mmap(-1, 2 << 20, mmap.MAP_SHARED | mmap.MAP_ANONYMOUS | HUGETLB)
s[0] = 1
p = mmap.mmap(-1, 50 * 4096, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
for i in range(50): p[i * 4096] = 7
print("ready", flush=True)
time.sleep(600)
PY
P=$!
CHILDREN+=($P)
for _ in $(seq 100); do grep -q ready "$TMPD/shm.out" && break; sleep 0.1; done
"$KSMSCOPE" scan --pid $P --json > "$TMPD/shm.json"
check "scan exit status" $? 0
check "shared_sites: 700 memfd + 300 MAP_SHARED anonymous pages" "$(jq .totals.shared_sites "$TMPD/shm.json")" 1000
check "hugetlb_sites: 4 MiB private + one 2 MiB shared huge page, in 4 KiB pages" \
	"$(jq .totals.hugetlb_sites "$TMPD/shm.json")" 1536
check "they are the region 'shared' (no VMM)" \
	"$(jq -c '.regions.shared | [.shared_sites, .hugetlb_sites, .sites]' "$TMPD/shm.json")" "[1000,1536,0]"
check "and the process's group" "$(jq -c '[.groups[] | [.shared_sites, .hugetlb_sites]]' "$TMPD/shm.json")" "[[1000,1536]]"
check "none of them is a site or read: the sites are the private pages (refscan)" \
	"$(jq .totals.sites "$TMPD/shm.json")" "$(python3 "$(dirname "$0")/../refscan.py" $P | jq .totals.sites)"
check "sampled: the same counts (they are never sampled)" \
	"$("$KSMSCOPE" scan --pid $P --sample 16 --json | jq -c '.totals | [.shared_sites, .hugetlb_sites]')" "[1000,1536]"
check "watch: the same counts in a live snapshot" \
	"$(timeout 60 "$KSMSCOPE" watch --pid $P --json --count 2 --interval 0.5 --scan-rate 1000 | tail -1 |
		jq -c '.totals | [.shared_sites, .hugetlb_sites]')" "[1000,1536]"

# --include-shared: the same memory read as sites of the region shared. One content (a 1
# in the first byte) fills the 700 memfd, 300 shared anonymous and 1024 private hugetlb
# pages and the shared huge page's first subpage: 2025 copies; its other 511 subpages are
# zero: saveable 2024 + 510
"$KSMSCOPE" scan --pid $P --include-shared --json > "$TMPD/incl.json"
check "--include-shared: exit status" $? 0
check "--include-shared: the region shared holds all 2536 pages as sites" "$(jq .regions.shared.sites "$TMPD/incl.json")" 2536
# (a region's saving is a share: zero pages elsewhere in the process take a sliver of the zero content's)
check "--include-shared: their duplicates, 2024 + 510" "$(jq '.regions.shared.saveable | round' "$TMPD/incl.json")" 2534
check "--include-shared: shared_sites and hugetlb_sites as without it" \
	"$(jq -c '.totals | [.shared_sites, .hugetlb_sites]' "$TMPD/incl.json")" "[1000,1536]"
check "--include-shared: the other sites are those of the scan without it" \
	"$(jq '.totals.sites - .regions.shared.sites' "$TMPD/incl.json")" "$(jq .totals.sites "$TMPD/shm.json")"
W=$(timeout 60 "$KSMSCOPE" watch --pid $P --include-shared --json --count 3 --interval 0.5 --scan-rate 1000 | tail -1)
check "--include-shared, live: missed as shared and hugetlb, every one of them" \
	"$(jq '.totals.missed | .shared + .hugetlb' <<< "$W")" 2534
check "--include-shared, live: the 510 zero subpages and the content's hugetlb copies are hugetlb" \
	"$(jq '.totals.missed.hugetlb >= 510 + 1023' <<< "$W")" true
check "without it: nothing missed as shared or hugetlb" \
	"$(timeout 60 "$KSMSCOPE" watch --pid $P --json --count 3 --interval 0.5 --scan-rate 1000 | tail -1 |
		jq -c '.totals.missed | [.shared, .hugetlb]')" "[0,0]"
kill $P; wait $P 2> /dev/null

# a guest whose RAM is a shared memfd: its RAM is the region guest_shared, not sites
kernel=$("$GUEST/kernel.sh" 2> "$TMPD/kernel.err") || { fail "no guest kernel: $(tail -1 "$TMPD/kernel.err")"; exit 1; }
"$GUEST/initramfs.sh" "$TMPD/idle.gz" - || { fail "initramfs"; exit 1; }
G=$(QEMU_EXTRA="-object memory-backend-memfd,id=ram,size=256M,share=on -machine memory-backend=ram" \
	"$GUEST/start.sh" "$kernel" "$TMPD/idle.gz" ksmscope-test-memfd 256 "$TMPD/guest.log") ||
	{ fail "memfd guest did not boot"; exit 1; }
CHILDREN+=($G)
kill -STOP $G
# the independent count, one pass over its 256 MiB shared mapping: the present pagemap
# entries, and the distinct contents among them
read -r want distinct < <(python3 - $G << 'PY'
import hashlib, struct, sys
pid = int(sys.argv[1]); present = 0; seen = set()
pm = open(f"/proc/{pid}/pagemap", "rb"); mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
for line in open(f"/proc/{pid}/maps"):
    f = line.split()
    lo, hi = (int(x, 16) for x in f[0].split("-"))
    if f[1][3] != "s" or hi - lo != 256 << 20:
        continue
    pm.seek(lo // 4096 * 8)
    e = struct.unpack(f"{(hi - lo) // 4096}Q", pm.read((hi - lo) // 512))
    for i, x in enumerate(e):
        if x >> 63 & 1:
            present += 1
            mem.seek(lo + i * 4096)
            seen.add(hashlib.blake2b(mem.read(4096), digest_size=16).digest())
print(present, len(seen))
PY
)
"$KSMSCOPE" scan --pid $G --json > "$TMPD/guest.json"
python3 "$(dirname "$0")/../refscan.py" $G > "$TMPD/guest.ref.json"
"$KSMSCOPE" doctor --pid $G --sample 1 --watch 0 --json > "$TMPD/guest.doctor.json"
"$KSMSCOPE" scan --pid $G --include-shared --json > "$TMPD/guest.incl.json"
kill -CONT $G
check_true "the guest touched its RAM ($want pages present)" test "$want" -gt 1000
check "guest_shared: the guest's RAM, as pagemap has it" "$(jq .regions.guest_shared.shared_sites "$TMPD/guest.json")" "$want"
check "doctor: shared_memory for the guest's pid, its RAM as pagemap has it" \
	"$(jq --argjson p $G '.findings[] | select(.code == "shared_memory" and (.pids | index($p))) | .pages' "$TMPD/guest.doctor.json")" "$want"
check "--include-shared: the guest's RAM read as sites of guest_shared" "$(jq .regions.guest_shared.sites "$TMPD/guest.incl.json")" "$want"
check "--include-shared: its distinct contents, as read page by page ($distinct)" \
	"$(jq .regions.guest_shared.contents "$TMPD/guest.incl.json")" "$distinct"
check "its RAM is no site: the sites are QEMU's private pages (refscan)" "$(jq .totals.sites "$TMPD/guest.json")" \
	"$(jq .totals.sites "$TMPD/guest.ref.json")"
