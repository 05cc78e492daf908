#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""refscan.py - reference memory-sharing scanner (TEST ORACLE).

This is the oracle the integration tests compare the C scanner against,
field by field.  It is written independently of the C implementation
(user/scanner/scanner.c, model.c, content_index.c), directly from the metric
definitions, and favours obvious correctness over speed:

  * page contents are compared as whole bytes objects (no digests);
  * every "share" is computed with exact fractions and only rounded on output.

Usage (as root, targets stopped with SIGSTOP by the caller):

    refscan.py [--group-by process|comm|cgroup|user] [--use-zero-pages 0|1]
               [--max-page-sharing N] [--fingerprint] [--audit] PID [PID...]

Prints one JSON object: {"totals", "groups", "regions", "check"}; with
--fingerprint, {"groups": {key: {sha256: sites}}} of the non-zero contents;
with --audit, also "audit": the KSM frames mapped by two or more groups (the
groups being security domains), the pairs of groups sharing frames, and the
saving within each group against the saving across them.
Exits non-zero (after printing) if any page read failed.
"""

import argparse
import json
import ctypes
import fcntl
import hashlib
import os
import pwd
import re
import struct
import sys
from collections import Counter, defaultdict
from fractions import Fraction

PAGE = 4096
ZERO_PAGE_BYTES = bytes(PAGE)
SUBPAGE_SIZES = (2048, 1024, 512, 256)
REGION_TYPES = ("heap", "stack", "anon", "file_cow", "guest")
GUEST_MIN_SIZE = 64 << 20

# pagemap entry bits
PM_PRESENT = 1 << 63
PM_SWAPPED = 1 << 62
PM_FILE = 1 << 61
PM_PFN_MASK = (1 << 55) - 1

# /proc/kpageflags bits
KPF_ANON = 1 << 12
KPF_KSM = 1 << 21
KPF_THP = 1 << 22
KPF_ZERO_PAGE = 1 << 24

SMAPS_HEADER = re.compile(
    r"^([0-9a-f]+)-([0-9a-f]+) (\S{4}) [0-9a-f]+ \S+ \d+ ?\s*(.*)$")


def die(msg):
    print("refscan: " + msg, file=sys.stderr)
    sys.exit(2)


def read_text(path):
    with open(path, "r", errors="replace") as f:
        return f.read()


def read_sysfs_int(path):
    try:
        return int(read_text(path).strip())
    except (OSError, ValueError) as e:
        die("cannot read %s: %s" % (path, e))


# ---------------------------------------------------------------- /proc input

def is_vmm(comm):
    return (comm.startswith("qemu-system-") or comm == "qemu-kvm"
            or comm == "firecracker" or comm == "crosvm"
            or comm.startswith("cloud-hypervis"))


def parse_smaps(pid):
    """Return a list of VMAs: dicts with start, end, perms, path, mergeable."""
    vmas = []
    for line in read_text("/proc/%d/smaps" % pid).splitlines():
        m = SMAPS_HEADER.match(line)
        if m:
            vmas.append({
                "start": int(m.group(1), 16),
                "end": int(m.group(2), 16),
                "perms": m.group(3),
                "path": m.group(4),
                "mergeable": False,
                "hugetlb": False,
            })
        elif line.startswith("VmFlags:"):
            if not vmas:
                die("pid %d: VmFlags line before any VMA header" % pid)
            vmas[-1]["mergeable"] = "mg" in line.split()[1:]
            vmas[-1]["hugetlb"] = "ht" in line.split()[1:]
    return vmas


def region_of(vma, comm):
    """Region type of a VMA, or None when the VMA is excluded."""
    path = vma["path"]
    if vma["perms"][3] == "s" or vma["hugetlb"]:
        return None  # shmem, page cache, hugetlb: KSM merges none of it
    if path == "[heap]":
        return "heap"
    if path.startswith("[stack"):
        return "stack"
    if path.startswith("/"):
        return "file_cow"
    if path.startswith("[") and not path.startswith("[anon"):
        return None
    if is_vmm(comm) and vma["end"] - vma["start"] > GUEST_MIN_SIZE:
        return "guest"
    return "anon"


def read_ksm_zero_pages(pid):
    for line in read_text("/proc/%d/ksm_stat" % pid).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "ksm_zero_pages":
            return int(parts[1])
    die("pid %d: no ksm_zero_pages line in ksm_stat" % pid)


def pread_full(fd, size, offset):
    """pread exactly size bytes (looping over short reads); may return less at EOF."""
    out = bytearray()
    while len(out) < size:
        chunk = os.pread(fd, size - len(out), offset + len(out))
        if not chunk:
            break
        out += chunk
    return bytes(out)


class _PmScanArg(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint64) for n in (
        "size", "flags", "start", "end", "walk_end", "vec", "vec_len", "max_pages",
        "category_inverted", "category_mask", "category_anyof_mask", "return_mask")]


_PAGEMAP_SCAN = 0xC0606610  # _IOWR('f', 16, struct pm_scan_arg), Linux 6.7+
_PAGE_IS_PRESENT, _PAGE_IS_SWAPPED = 1 << 3, 1 << 4


def populated_ranges(fd, start, end):
    """The parts of [start, end) holding present or swapped pages (PAGEMAP_SCAN),
    so sparse reservations of terabytes are skipped; the whole range if the
    kernel lacks the ioctl."""
    regions = (ctypes.c_uint64 * (3 * 64))()
    at = start
    while at < end:
        arg = _PmScanArg(ctypes.sizeof(_PmScanArg), 0, at, end, 0, ctypes.addressof(regions), 64, 0,
                         0, 0, _PAGE_IS_PRESENT | _PAGE_IS_SWAPPED, _PAGE_IS_PRESENT | _PAGE_IS_SWAPPED)
        try:
            n = fcntl.ioctl(fd, _PAGEMAP_SCAN, arg)
        except OSError:
            yield at, end
            return
        for i in range(n):
            yield regions[3 * i], regions[3 * i + 1]
        if not arg.walk_end or arg.walk_end <= at:
            return
        at = arg.walk_end


def pagemap_entries(fd, start, end):
    """Yield (vaddr, entry) for every populated page of [start, end)."""
    batch = 65536  # pages per pread
    for rstart, rend in populated_ranges(fd, start, end):
        vaddr = rstart
        while vaddr < rend:
            n = min(batch, (rend - vaddr) // PAGE)
            data = pread_full(fd, n * 8, (vaddr // PAGE) * 8)
            if len(data) != n * 8:
                die("short pagemap read at %#x" % vaddr)
            for i, entry in enumerate(struct.unpack("<%dQ" % n, data)):
                yield vaddr + i * PAGE, entry
            vaddr += n * PAGE


class KPageFlags:
    def __init__(self):
        self.fd = os.open("/proc/kpageflags", os.O_RDONLY)
        self.cache = {}

    def get(self, pfn):
        flags = self.cache.get(pfn)
        if flags is None:
            data = pread_full(self.fd, 8, pfn * 8)
            if len(data) != 8:
                die("cannot read kpageflags of pfn %#x" % pfn)
            flags = struct.unpack("<Q", data)[0]
            self.cache[pfn] = flags
        return flags


# ---------------------------------------------------------------- collection

class Site:
    __slots__ = ("group", "region", "cid", "pfn", "ksm", "thp",
                 "mergeable", "ksm_zero")

    def __init__(self, group, region, cid, pfn, ksm, thp, mergeable, ksm_zero):
        self.group = group
        self.region = region
        self.cid = cid          # content id (index into Scan.contents)
        self.pfn = pfn          # None for KSM zero-page merges
        self.ksm = ksm
        self.thp = thp
        self.mergeable = mergeable
        self.ksm_zero = ksm_zero


class Scan:
    def __init__(self):
        self.content_ids = {ZERO_PAGE_BYTES: 0}   # bytes -> id (exact equality)
        self.contents = [ZERO_PAGE_BYTES]          # id -> bytes
        self.sites = []
        # (group, region) -> Counter of non-site counts ("zero_mapped", "swapped")
        self.other = defaultdict(Counter)
        self.sites_read = 0
        self.read_errors = 0

    def content_id(self, data):
        cid = self.content_ids.get(data)
        if cid is None:
            cid = len(self.contents)
            self.content_ids[data] = cid
            self.contents.append(data)
        return cid

    def scan_process(self, pid, group, comm, kpf):
        ksm_zero_left = read_ksm_zero_pages(pid)
        vmas = parse_smaps(pid)
        pm_fd = os.open("/proc/%d/pagemap" % pid, os.O_RDONLY)
        mem_fd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
        try:
            for vma in vmas:
                region = region_of(vma, comm)
                if region is None:
                    continue
                mg = vma["mergeable"]
                for vaddr, entry in pagemap_entries(pm_fd, vma["start"], vma["end"]):
                    if entry & PM_SWAPPED:
                        self.other[(group, region)]["swapped"] += 1
                        continue
                    if not (entry & PM_PRESENT) or (entry & PM_FILE):
                        continue
                    pfn = entry & PM_PFN_MASK
                    flags = kpf.get(pfn)
                    if flags & KPF_ZERO_PAGE:
                        if mg and ksm_zero_left > 0:
                            ksm_zero_left -= 1
                            self.sites.append(Site(group, region, 0, None,
                                                   False, False, True, True))
                        else:
                            self.other[(group, region)]["zero_mapped"] += 1
                        continue
                    if not (flags & KPF_ANON):
                        continue
                    self.sites_read += 1
                    try:
                        data = pread_full(mem_fd, PAGE, vaddr)
                    except OSError as e:
                        data = b""
                        print("refscan: pid %d: read %#x failed: %s"
                              % (pid, vaddr, e), file=sys.stderr)
                    if len(data) != PAGE:
                        self.read_errors += 1
                        continue
                    self.sites.append(Site(group, region, self.content_id(data), pfn,
                                           bool(flags & KPF_KSM), bool(flags & KPF_THP),
                                           mg, False))
        finally:
            os.close(pm_fd)
            os.close(mem_fd)


# ---------------------------------------------------------------- metrics

class Bucket:
    """Per-bucket tallies from which all metrics are derived."""

    def __init__(self):
        self.sites = 0
        self.content_count = Counter()     # cid -> sites of that content
        self.mergeable_count = Counter()   # cid -> mergeable sites of that content
        self.pfns = set()
        self.ksm_pfn_count = Counter()     # KSM pfn -> KSM sites on it
        self.zero_sites = 0
        self.thp_sites = 0
        self.mergeable_sites = 0
        self.ksm_zero_pages = 0
        self.ksm_sites = 0
        self.zero_mapped = 0
        self.swapped = 0

    def add_site(self, s):
        self.sites += 1
        self.content_count[s.cid] += 1
        if s.cid == 0:
            self.zero_sites += 1
        if s.pfn is not None:
            self.pfns.add(s.pfn)
        if s.thp:
            self.thp_sites += 1
        if s.mergeable:
            self.mergeable_sites += 1
            self.mergeable_count[s.cid] += 1
        if s.ksm_zero:
            self.ksm_zero_pages += 1
        if s.ksm:
            self.ksm_sites += 1
            self.ksm_pfn_count[s.pfn] += 1

    def add_other(self, counts):
        self.zero_mapped += counts["zero_mapped"]
        self.swapped += counts["swapped"]


def share(terms):
    """Exact sum of num/den over (num, den) pairs (summed per denominator first)."""
    per_den = defaultdict(int)
    for num, den in terms:
        per_den[den] += num
    total = Fraction(0)
    for den, num in per_den.items():
        total += Fraction(num, den)
    return total


def ceil_div(a, b):
    return -(-a // b)


class Metrics:
    def __init__(self, scan, total, use_zero_pages, max_page_sharing):
        self.scan = scan
        self.total = total
        self.use_zero_pages = use_zero_pages
        self.max_page_sharing = max_page_sharing
        # Chunk occurrence tallies are built lazily, one chunk size at a time.
        self.chunk_ids = {}   # N -> list: cid -> list of chunk ids
        self.chunk_total = {}  # N -> Counter chunk id -> occurrences over all sites

    def keep(self, cid, m):
        if cid == 0 and self.use_zero_pages == 1:
            return 0
        return ceil_div(m, self.max_page_sharing)

    def prepare_chunks(self, n):
        if n in self.chunk_ids:
            return
        ids = {}
        per_content = []
        for data in self.scan.contents:
            # setdefault gives an unseen chunk the next free id
            per_content.append([ids.setdefault(data[off:off + n], len(ids))
                                for off in range(0, PAGE, n)])
        self.chunk_ids[n] = per_content
        self.chunk_total[n] = self.chunk_counts(self.total, n)

    def chunk_counts(self, b, n):
        counts = Counter()
        rows = self.chunk_ids[n]
        for cid, s in b.content_count.items():
            if s == 1:
                counts.update(rows[cid])       # each chunk occurrence once
            else:
                for x in rows[cid]:
                    counts[x] += s
        return counts

    def compute(self, b, is_total, self_total=None):
        t = self.total
        out = {
            "sites": b.sites,
            "frames": len(b.pfns),
            "contents": len(b.content_count),
            "zero_sites": b.zero_sites,
            "zero_mapped": b.zero_mapped,
            "swapped": b.swapped,
            "thp_sites": b.thp_sites,
            "mergeable_sites": b.mergeable_sites,
            "ksm_zero_pages": b.ksm_zero_pages,
        }
        n_c = t.content_count
        m_c = t.mergeable_count
        if is_total:
            saveable = sum(n - 1 for n in n_c.values())
            saveable_zero = n_c[0] - 1 if n_c[0] > 0 else 0
            saveable_mergeable = sum(m - 1 for m in m_c.values() if m > 0)
            achievable = sum(m - self.keep(c, m) for c, m in m_c.items() if m > 0)
            saveable_self = self_total
            ksm_frames = len(b.ksm_pfn_count)
            ksm_saved = b.ksm_sites - ksm_frames
        else:
            saveable = share((s * (n_c[c] - 1), n_c[c])
                             for c, s in b.content_count.items())
            s0 = b.content_count[0]
            saveable_zero = share([(s0 * (n_c[0] - 1), n_c[0])]) if s0 else 0
            saveable_mergeable = share((ms * (m_c[c] - 1), m_c[c])
                                       for c, ms in b.mergeable_count.items())
            achievable = share((ms * (m_c[c] - self.keep(c, m_c[c])), m_c[c])
                               for c, ms in b.mergeable_count.items())
            saveable_self = b.sites - len(b.content_count)
            ksm_frames = len(b.ksm_pfn_count)
            k_f = t.ksm_pfn_count
            ksm_saved = share((k * (k_f[f] - 1), k_f[f])
                              for f, k in b.ksm_pfn_count.items())
        out["saveable"] = saveable
        out["saveable_zero"] = saveable_zero
        out["saveable_mergeable"] = saveable_mergeable
        out["achievable"] = achievable
        out["saveable_self"] = saveable_self
        out["saveable_inter"] = saveable - saveable_self
        out["ksm_sites"] = b.ksm_sites
        out["ksm_frames"] = ksm_frames
        out["ksm_saved"] = ksm_saved
        if saveable_mergeable == 0:
            out["effectiveness"] = None
        else:
            out["effectiveness"] = (Fraction(ksm_saved) + b.ksm_zero_pages) \
                / Fraction(saveable_mergeable)
        sub = {}
        for n in SUBPAGE_SIZES:
            self.prepare_chunks(n)
            n_x = self.chunk_total[n]
            if is_total:
                sub[str(n)] = n * sum(c - 1 for c in n_x.values())
            else:
                s_bx = self.chunk_counts(b, n)
                sub[str(n)] = n * share((s * (n_x[x] - 1), n_x[x])
                                        for x, s in s_bx.items())
        out["subpage"] = sub
        return out


def to_json_number(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, dict):
        return {k: to_json_number(x) for k, x in v.items()}
    f = Fraction(v)
    if f.denominator == 1:
        return int(f)
    return round(float(f), 6)


# ---------------------------------------------------------------- audit

def group_key(pid, comm, group_by):
    if group_by == "process":
        return str(pid)
    if group_by == "comm":
        return comm
    if group_by == "cgroup":
        for line in read_text("/proc/%d/cgroup" % pid).splitlines():
            if line.startswith("0::"):
                return line[3:]
        die("pid %d: no cgroup v2 line" % pid)
    for line in read_text("/proc/%d/status" % pid).splitlines():
        if line.startswith("Uid:"):
            uid = int(line.split()[1])
            try:
                return pwd.getpwuid(uid).pw_name
            except KeyError:
                return str(uid)
    die("pid %d: no Uid line" % pid)


def audit(scan, total, by_group):
    """KSM frame -> its sites' groups; pairs of groups on the same frames; saving within groups."""
    frame_groups = defaultdict(Counter)      # KSM pfn -> group -> sites
    for s in scan.sites:
        if s.ksm:
            frame_groups[s.pfn][s.group] += 1
    out = {"frames": len(frame_groups), "cross_domain_frames": 0, "cross_domain_pages": 0,
           "ksm_saved": 0, "ksm_saved_cross_domain": 0, "ksm_saved_lost_if_partitioned": 0}
    domains = {key: {"ksm_sites": 0, "cross_domain_sites": 0, "peers": set()} for key in by_group}
    pairs = defaultdict(lambda: [0, 0, 0])   # (a, b) by key order -> frames, a's sites, b's sites
    for pfn, groups in frame_groups.items():
        n = sum(groups.values())
        out["ksm_saved"] += n - 1
        for g, c in groups.items():
            domains[g]["ksm_sites"] += c
        if len(groups) < 2:
            continue
        out["cross_domain_frames"] += 1
        out["cross_domain_pages"] += n
        out["ksm_saved_cross_domain"] += n - 1
        out["ksm_saved_lost_if_partitioned"] += len(groups) - 1
        keys = sorted(groups)
        for i, a in enumerate(keys):
            domains[a]["cross_domain_sites"] += groups[a]
            for b in keys[i + 1:]:
                p = pairs[(a, b)]
                p[0] += 1
                p[1] += groups[a]
                p[2] += groups[b]
                domains[a]["peers"].add(b)
                domains[b]["peers"].add(a)
    out["pairs"] = sorted([{"domain": a, "peer": b, "frames": p[0], "domain_pages": p[1], "peer_pages": p[2]}
                           for (a, b), p in pairs.items()], key=lambda x: (x["domain"], x["peer"]))
    out["saveable"] = sum(c - 1 for c in total.content_count.values())
    out["saveable_mergeable"] = sum(c - 1 for c in total.mergeable_count.values())
    out["saveable_within_domain"] = 0
    out["saveable_mergeable_within_domain"] = 0
    for key, b in by_group.items():
        d = domains[key]
        d["peers"] = len(d["peers"])
        d["saveable_within_domain"] = sum(c - 1 for c in b.content_count.values())
        d["saveable_mergeable_within_domain"] = sum(c - 1 for c in b.mergeable_count.values())
        out["saveable_within_domain"] += d["saveable_within_domain"]
        out["saveable_mergeable_within_domain"] += d["saveable_mergeable_within_domain"]
    out["domains"] = domains
    return out


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description="Reference memory-sharing scanner (test oracle).")
    ap.add_argument("--group-by", choices=("process", "comm", "cgroup", "user"), default="process")
    ap.add_argument("--audit", action="store_true", help="add the cross-group (domain) audit")
    ap.add_argument("--use-zero-pages", type=int, choices=(0, 1))
    ap.add_argument("--max-page-sharing", type=int)
    ap.add_argument("--fingerprint", action="store_true",
                    help="print each group's distinct non-zero contents (SHA-256) with their sites instead")
    ap.add_argument("pids", nargs="+", type=int, metavar="PID")
    args = ap.parse_args()

    use_zero_pages = args.use_zero_pages
    if use_zero_pages is None:
        use_zero_pages = read_sysfs_int("/sys/kernel/mm/ksm/use_zero_pages")
    max_page_sharing = args.max_page_sharing
    if max_page_sharing is None:
        max_page_sharing = read_sysfs_int("/sys/kernel/mm/ksm/max_page_sharing")
    if max_page_sharing < 1:
        die("max_page_sharing must be >= 1")
    if len(set(args.pids)) != len(args.pids):
        die("duplicate PID on the command line")

    scan = Scan()
    kpf = KPageFlags()
    groups = {}  # key -> {"pids": [...], "comm": first comm}; insertion order kept
    for pid in args.pids:
        try:
            comm = read_text("/proc/%d/comm" % pid).rstrip("\n")
        except OSError as e:
            die("pid %d: %s" % (pid, e))
        try:
            key = group_key(pid, comm, args.group_by)
        except OSError as e:
            die("pid %d: %s" % (pid, e))
        if key not in groups:
            groups[key] = {"pids": [], "comm": comm}
        groups[key]["pids"].append(pid)
        try:
            scan.scan_process(pid, key, comm, kpf)
        except OSError as e:
            die("pid %d: %s" % (pid, e))

    if args.fingerprint:
        fp = {key: Counter() for key in groups}
        for s in scan.sites:
            if s.cid:
                fp[s.group][hashlib.sha256(scan.contents[s.cid]).hexdigest()] += 1
        json.dump({"groups": fp}, sys.stdout)
        sys.stdout.write("\n")
        sys.exit(1 if scan.read_errors else 0)

    total = Bucket()
    by_group = {key: Bucket() for key in groups}
    by_region = {r: Bucket() for r in REGION_TYPES}
    for s in scan.sites:
        for b in (total, by_group[s.group], by_region[s.region]):
            b.add_site(s)
    for (group, region), counts in scan.other.items():
        for b in (total, by_group[group], by_region[region]):
            b.add_other(counts)

    metrics = Metrics(scan, total, use_zero_pages, max_page_sharing)
    group_out = []
    self_total = 0
    for key, info in groups.items():
        m = metrics.compute(by_group[key], is_total=False)
        self_total += m["saveable_self"]
        entry = {"key": key, "pids": info["pids"], "comm": info["comm"]}
        entry.update(m)
        group_out.append(entry)
    result = {
        "totals": metrics.compute(total, is_total=True, self_total=self_total),
        "groups": group_out,
        "regions": {r: metrics.compute(by_region[r], is_total=False)
                    for r in REGION_TYPES},
        "check": {"sites_read": scan.sites_read, "read_errors": scan.read_errors},
    }
    result["totals"] = to_json_number(result["totals"])
    result["groups"] = [
        {k: (v if k in ("key", "pids", "comm") else to_json_number(v))
         for k, v in g.items()} for g in result["groups"]]
    result["regions"] = {r: to_json_number(v) for r, v in result["regions"].items()}
    if args.audit:
        result["audit"] = audit(scan, total, by_group)
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    if scan.read_errors:
        print("refscan: %d page read(s) failed" % scan.read_errors, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
