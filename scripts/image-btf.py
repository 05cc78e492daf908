#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""image-btf.py IMAGE OUT: the kernel's BTF (.BTF, as /sys/kernel/btf/vmlinux would give
it) cut from a kernel image: a raw arm64 Image, or one compressed with gzip. For a
vmlinux.h of an architecture this machine does not run (scripts/gen-vmlinux.sh)."""
import gzip
import struct
import sys

# btf_header: magic 0xeB9F, version 1, flags 0, hdr_len 24
MAGIC = b"\x9f\xeb\x01\x00\x18\x00\x00\x00"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: image-btf.py IMAGE OUT")
    data = open(sys.argv[1], "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    found = []
    at = data.find(MAGIC)
    while at >= 0:
        hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from("<5I", data, at + 4)
        end = at + hdr_len + max(type_off + type_len, str_off + str_len)
        # the kernel's own BTF: strings right after types, and a size that fits
        if type_off == 0 and str_off == type_len and type_len > 1 << 20 and end <= len(data):
            found.append((at, end))
        at = data.find(MAGIC, at + 1)
    if len(found) != 1:
        sys.exit(f"image-btf.py: {sys.argv[1]}: {len(found)} BTF blobs of kernel size found, want 1")
    at, end = found[0]
    open(sys.argv[2], "wb").write(data[at:end])
    print(f"image-btf.py: {end - at} bytes of BTF at offset {at:#x}")


main()
