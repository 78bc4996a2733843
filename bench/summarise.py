#!/usr/bin/env python3
"""Summarises a bench/service.sh result folder as Markdown: medians over the repeats, ratios to
moto (boto3 client) and to the bare endpoint (wrk)."""
import glob
import json
import os
import re
import statistics
import sys
from collections import defaultdict


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=0):
    if value is None:
        return "—"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def main(folder):
    boto = defaultdict(list)
    for path in glob.glob(os.path.join(folder, "boto-*-r*.json")):
        m = re.match(r"boto-(\w+)-([\w-]+)-t(\d+)-r\d+\.json", os.path.basename(path))
        r = json.load(open(path))
        boto[(m.group(1), m.group(2), int(m.group(3)))].append(r)
    wrk = defaultdict(list)
    for path in glob.glob(os.path.join(folder, "wrk-*-r*.json")):
        m = re.match(r"wrk-(\w+)-c(\d+)-r\d+\.json", os.path.basename(path))
        wrk[(m.group(1), int(m.group(2)))].append(json.load(open(path)))

    def b(key, field):
        runs = boto.get(key, [])
        if field == "calls":
            return med([r["calls_per_s"] for r in runs])
        if field in ("p50", "p99"):
            return med([r["latency_ms"][field] for r in runs])
        if field == "cpu_ms":
            return med([r.get("server", {}).get("cpu_ms_per_call") for r in runs])
        if field == "client_cpu":
            return med([100 * r["client_cpu_s"] / r["duration_s"] for r in runs])
        if field == "errors":
            return sum(r["errors"] for r in runs)
        if field == "n":
            return len(runs)

    print(open(os.path.join(folder, "machine.txt")).read().strip().replace("\n", "  \n"))
    print()
    if boto:
        print("### boto3 client (`throughput.py`), medians of", max(len(v) for v in boto.values()), "runs")
        print()
        print("| mode | threads | Switchback calls/s | p50 / p99 ms | server CPU ms/call | client CPU % | moto calls/s | p50 / p99 ms | server CPU ms/call | Switchback ÷ moto |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for mode in ("standard", "express-async", "express-sync"):
            for threads in (1, 8):
                s, mo = ("switchback", mode, threads), ("moto", mode, threads)
                if s not in boto:
                    continue
                moto_key = mo if mo in boto else ("moto", "express-async", threads)
                ratio = None
                if b(moto_key, "calls"):
                    ratio = b(s, "calls") / b(moto_key, "calls")
                note = "" if mo in boto else " (vs moto express-async; moto has no StartSyncExecution)"
                moto_cells = (f"{fmt(b(mo, 'calls'))} | {fmt(b(mo, 'p50'), 1)} / {fmt(b(mo, 'p99'), 1)} | {fmt(b(mo, 'cpu_ms'), 2)}"
                              if mo in boto else "not implemented | — | —")
                print(f"| {mode} | {threads} | {fmt(b(s, 'calls'))} | {fmt(b(s, 'p50'), 2)} / {fmt(b(s, 'p99'), 2)} | "
                      f"{fmt(b(s, 'cpu_ms'), 3)} | {fmt(b(s, 'client_cpu'))} | {moto_cells} | "
                      f"{fmt(ratio, 1)}×{note} |")
        errors = {f"{k[0]} {k[1]} t{k[2]}": b(k, "errors") for k in boto if b(k, "errors")}
        if errors:
            print()
            print("Errors:", errors)
        probe = os.path.join(folder, "boto-moto-express-sync-probe.json")
        if os.path.exists(probe):
            p = json.load(open(probe))
            print()
            print(f"moto StartSyncExecution probe: {p['ok_calls']} ok, errors {p['error_codes']}")
        print()
    if wrk:
        print("### wrk (non-bottleneck client), medians of", max(len(v) for v in wrk.values()), "runs")
        print()
        print("| target | connections | calls/s | p50 / p99 ms | server CPU % | server CPU ms/call | wrk CPU % | ÷ bare | ÷ moto (boto3, best mode at 8 threads) | errors |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        moto_best = {}
        for mode in ("standard", "express-async"):
            moto_best[mode] = b(("moto", mode, 8), "calls")
        for target in ("bare", "start_sync", "start_execution"):
            for conns in (1, 8):
                runs = wrk.get((target, conns))
                if not runs:
                    continue
                calls = med([r["calls_per_s"] for r in runs])
                bare = med([r["calls_per_s"] for r in wrk.get(("bare", conns), [])])
                moto = moto_best.get("standard" if target == "start_execution" else "express-async")
                errs = sum(sum(r["errors"].values()) for r in runs)
                print(f"| {target} | {conns} | {fmt(calls)} | {fmt(med([r['p50_ms'] for r in runs]), 3)} / "
                      f"{fmt(med([r['p99_ms'] for r in runs]), 3)} | {fmt(med([r['server']['cpu_util_pct'] for r in runs]))} | "
                      f"{fmt(med([r['server']['cpu_ms_per_call'] for r in runs]), 4)} | "
                      f"{fmt(med([r['client_cpu_util_pct'] for r in runs]))} | "
                      f"{fmt(calls / bare if bare and target != 'bare' else None, 2)} | "
                      f"{fmt(calls / moto if moto and target != 'bare' else None)}× | {errs} |")
        print()
    mem = os.path.join(folder, "memory.txt")
    if os.path.exists(mem):
        print("### Memory (kB unless noted)")
        print()
        for line in open(mem):
            print("-", line.strip())


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
