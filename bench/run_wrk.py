#!/usr/bin/env python3
"""Runs wrk once and writes one JSON result: the numbers the wrk script's done() prints
(calls/s, p50/p90/p99 ms, errors), plus the client's CPU (wrk's rusage) and the server's CPU and
memory from /proc.

    run_wrk.py --server-pid PID --out result.json [--label L] -- wrk -t1 -c1 -d10s -s bench/x.lua URL
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import threading


def proc(pid):
    st = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM")):
                k, v = line.split(":", 1)
                st[k] = int(v.split()[0])
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    st["cpu_s"] = (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    return st


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("wrk", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.wrk[1:] if args.wrk and args.wrk[0] == "--" else args.wrk
    if not cmd or os.path.basename(cmd[0]) != "wrk":
        sys.exit("give the wrk command after --")
    max_rss = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                max_rss[0] = max(max_rss[0], proc(args.server_pid)["VmRSS"])
            except Exception:  # noqa
                pass
            stop.wait(0.2)

    s0 = proc(args.server_pid)
    threading.Thread(target=sample, daemon=True).start()
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    stop.set()
    s1 = proc(args.server_pid)
    line = next((l for l in done.stdout.splitlines() if l.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"wrk failed ({done.returncode})")
    out = json.loads(line[len("WRK_JSON "):])
    elapsed = out["duration_s"]
    client_cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    server_cpu = s1["cpu_s"] - s0["cpu_s"]
    out.update({
        "label": args.label,
        "command": " ".join(cmd),
        "client_cpu_s": round(client_cpu, 2),
        "client_cpu_util_pct": round(100 * client_cpu / elapsed, 1),
        "server": {
            "cpu_s": round(server_cpu, 2),
            "cpu_util_pct": round(100 * server_cpu / elapsed, 1),
            "cpu_ms_per_call": round(1000 * server_cpu / max(out["requests"], 1), 4),
            "rss_kb_before": s0["VmRSS"], "rss_kb_after": s1["VmRSS"],
            "peak_rss_kb_vmhwm": s1["VmHWM"], "max_rss_kb_sampled": max_rss[0],
        },
    })
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)
    print(json.dumps({k: out[k] for k in ("label", "calls_per_s", "p50_ms", "p99_ms", "errors")}))


if __name__ == "__main__":
    main()
