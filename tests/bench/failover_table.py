#!/usr/bin/env python3
"""Measures what a change of primary costs under each mitigation, for the README's table.

Runs `streamharness run` on workloads/failover-table.json for every (fault, mitigation) pair,
--repeats times each, then the same workload without faults in max-rate mode for the
throughput cost, and prints a Markdown table: median and range (min-max) over the repeats.

    python3 tests/bench/failover_table.py --binary build/streamharness --repeats 3
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "..", "..", "workloads", "failover-table.json")

FAULTS = {
    "graceful failover": [{"fault": "failover", "at_s": 4}],
    "primary kill, replica stalled": [
        {"fault": "replica-stall", "at_s": 3, "duration_ms": 3000},
        {"fault": "primary-kill", "at_s": 5},
    ],
}
WAIT = {"replicas": 1, "timeout_ms": 100}
MITIGATIONS = {
    "none": [],
    "WAIT after XADD": ["producers.wait=" + json.dumps(WAIT)],
    "WAIT after XADD and ack": ["producers.wait=" + json.dumps(WAIT),
                                "groups.0.ack_wait=" + json.dumps(WAIT),
                                "groups.1.ack_wait=" + json.dumps(WAIT)],
    "min-replicas-to-write 1": ["topology.min_replicas_to_write=1",
                                "topology.min_replicas_max_lag_s=1"],
}


def run(binary, overrides, out_dir):
    args = [binary, "run", WORKLOAD, "--out", out_dir, "--quiet"]
    for assignment in overrides:
        args += ["--set", assignment]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise RuntimeError("run failed (%d): %s" % (done.returncode, done.stderr[-2000:]))
    with open(os.path.join(out_dir, "report.json")) as report:
        return json.load(report)


def measure(report):
    """One run's numbers for the table, read from its report."""
    replication = report["replication"]
    verification = report["verification"]
    clients = replication["clients"] or {}
    rolled_back = sum(group["rolled_back_entries"] for change in replication["changes"]
                      for group in change["groups"].values())
    produced = report["summary"]["produced"]
    return {
        "lost_writes": replication["lost_writes"]["total"],
        "duplicates": verification["outside"]["duplicated"],
        "rolled_back": rolled_back,
        "outage_ms": max(clients.get("producers_max_no_primary_ms", 0),
                         clients.get("consumers_max_no_primary_ms", 0)),
        "not_acknowledged": produced["failed"] + produced["indeterminate"],
        "ok_per_s": produced["ok_per_s"],
    }


def spread(values):
    """median (min-max), in whole numbers."""
    middle = statistics.median(values)
    if min(values) == max(values):
        return "%d" % middle
    return "%d (%d-%d)" % (middle, min(values), max(values))


def table(rows, throughput):
    """Markdown: one row per (fault, mitigation); throughput per mitigation."""
    lines = ["| fault | mitigation | lost acknowledged writes | duplicates (effects outside "
             "Redis) | entries rolled back | longest client outage (ms) | XADDs not "
             "acknowledged | throughput without faults (orders/s) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for (fault, mitigation), runs in rows.items():
        cells = [spread([run[name] for run in runs]) for name in
                 ("lost_writes", "duplicates", "rolled_back", "outage_ms", "not_acknowledged")]
        lines.append("| %s | %s | %s | %s |" % (fault, mitigation, " | ".join(cells),
                                               spread(throughput[mitigation])))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="build/streamharness")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mitigation", action="append", choices=list(MITIGATIONS),
                        help="measure only these (repeatable; default: all)")
    options = parser.parse_args()
    chosen = {name: MITIGATIONS[name] for name in options.mitigation or MITIGATIONS}
    rows = {}
    throughput = {}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(options.repeats):
            for mitigation, overrides in chosen.items():
                for fault, events in FAULTS.items():
                    chaos = "chaos=" + json.dumps({"seed": repeat + 1, "events": events})
                    out = os.path.join(scratch, "%s-%s-%d" % (fault, mitigation, repeat))
                    report = run(options.binary, overrides + [chaos], out)
                    rows.setdefault((fault, mitigation), []).append(measure(report))
                    print(fault, "|", mitigation, "|", rows[(fault, mitigation)][-1],
                          file=sys.stderr)
                out = os.path.join(scratch, "max-%s-%d" % (mitigation, repeat))
                # The consumers' deliberate backlog off: max-rate finds what the server takes.
                unbounded = ["producers.rate=0", "duration_s=10", "groups.0.sleep_after_batch_ms=0",
                             "groups.1.sleep_after_batch_ms=0"]
                report = run(options.binary, overrides + unbounded, out)
                throughput.setdefault(mitigation, []).append(measure(report)["ok_per_s"])
    print(table(rows, throughput))


if __name__ == "__main__":
    main()
