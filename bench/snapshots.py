# SPDX-License-Identifier: GPL-2.0-only
"""Reading `ksmscope watch --json` snapshots in the bench scripts (engine_bench.sh,
scale_report.py): load a JSON Lines file, and the engine's CPU against ksmd's over
the window between two snapshots."""
import json


def load(path):
    """The snapshots of a watch --json run, in order."""
    return [json.loads(l) for l in open(path) if l.strip()]


def cpu(snaps):
    """(seconds, ksmscope CPU %, ksmd CPU %) between the first and the last snapshot:
    the engine's own getrusage (cost.cpu_seconds) and ksmd's /proc stat
    (dynamics.ksmd_cpu_seconds) over the same window, in % of one CPU."""
    a, b = snaps[0], snaps[-1]
    el = b["uptime"] - a["uptime"]
    own = (b["cost"]["cpu_seconds"] - a["cost"]["cpu_seconds"]) / el * 100
    ksmd = (b["dynamics"]["ksmd_cpu_seconds"] - a["dynamics"]["ksmd_cpu_seconds"]) / el * 100
    return el, own, ksmd
