#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Wait for a watch --json snapshot that satisfies a condition; print it.

usage: snapwait.py FILE EXPR [TIMEOUT]
EXPR is a Python expression over `s` (the snapshot as a dict) and `g(pid)` (the
group holding that pid, or None). Only complete lines count: the writer may be
half-way through one. Exit 1 on timeout, or if the writer's output is not JSON.
"""
import json
import sys
import time


def main():
    path, expr = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 120
    code = compile(expr, "<expr>", "eval")
    deadline = time.time() + timeout
    seen = 0
    while time.time() < deadline:
        try:
            with open(path) as f:
                data = f.read()
        except FileNotFoundError:
            data = ""
        lines = data.split("\n")[:-1]  # the last piece may be incomplete
        for line in lines[seen:]:
            s = json.loads(line)

            def g(pid, s=s):
                for grp in s["groups"]:
                    if pid in grp["pids"]:
                        return grp
                return None

            if eval(code, {"s": s, "g": g}):
                print(line)
                return 0
        seen = len(lines)
        time.sleep(0.05)
    print(f"snapwait: no snapshot with {expr} in {timeout:.0f} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
