#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A Python interpreter as a sampling workload: what an instance of a Python
service holds. Several started alike hold the same data in pages of the same
layout (the same allocations in the same order), so they share contents across
processes the way identical services do; their heaps of small objects do not.
Prints "ready" once everything is allocated, then waits to be killed."""
import argparse, collections, decimal, email.parser, http.client, json, random, re, sqlite3, sys, time, xml.dom.minidom

ap = argparse.ArgumentParser()
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--records", type=int, default=100000)
ap.add_argument("--blobs", type=int, default=6000, help="16 KiB buffers of data every instance loads alike")
a = ap.parse_args()

random.seed(a.seed)
blobs = [random.randbytes(16384) for _ in range(a.blobs)]           # the same in every instance
records = [{"k": i, "v": str(i) * 3, "f": i * 0.5} for i in range(a.records)]
text = json.dumps(records)                                          # one large string
words = collections.Counter(re.findall(r"\d+", text[: 1 << 20]))
own = random.Random(time.time_ns()).randbytes(1 << 20)              # this instance's own data
print("ready", flush=True)
time.sleep(1 << 30)
