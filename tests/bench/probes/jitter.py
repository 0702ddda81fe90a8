#!/usr/bin/env python3
"""Sampling jitter of the real run engine, end to end (label bench; not in the default run).

Runs the built `edgesoak run` with every probe at 100 ms (10 Hz) for --duration, either idle
(one load:false phase) or loaded (inference at rate max, one stream per online CPU: probes compete
with the workload as on a board), then reads the samples table and computes, per probe and per
100 ms slot, (earliest reading of that round - the slot's scheduled time). The engine samples on
absolute deadlines from the segment start (samples.t is ns since the segment start), so slot k
is at k * 100 ms. Reports p50/p99/max in ms and the missed slots, plus /proc/loadavg before and
after.

  tests/bench/probes/jitter.py --edgesoak build-rel/daemon/cli/edgesoak --mode loaded --duration 25
"""
import argparse
import json
import math
import os
import sqlite3
import subprocess
import sys
import tempfile

INTERVAL_NS = 100_000_000

CONFIG = """version: 1
run:
  name: jitter-{mode}
  board: jitter-bench
  duration: {duration}s
  phases:
    - name: {mode}
      duration: rest
      load: {load}
workload:
  model: mobilenet_v2
  threads: 1
  streams: {streams}
  rate: max
probes:
  interval: 100ms
  cpufreq: {{interval: 100ms}}
  thermal: {{interval: 100ms}}
storage:
  database: jitter.db
  commit_interval: 250ms
safety:
  max_temperature_c: off
  hold: 1s
logging:
  level: warn
"""


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().strip()


def percentile(xs, p):
    if not xs:
        return math.nan
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def renice_light_threads(pid, nice):
    """Sets `nice` on every thread of pid that used < 20 % of the busiest thread's CPU time
    (nice "fifo": SCHED_FIFO priority 1 instead)."""
    tasks = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tasks[int(tid)] = int(fields[11]) + int(fields[12])  # utime + stime
    busiest = max(tasks.values())
    for tid, ticks in tasks.items():
        if ticks < 0.2 * busiest:
            if nice == "fifo":
                os.sched_setscheduler(tid, os.SCHED_FIFO, os.sched_param(1))
            else:
                os.setpriority(os.PRIO_PROCESS, tid, int(nice))


def probe_of(name):
    parts = name.split(".")
    if parts[0] == "probe" and len(parts) >= 3:
        return parts[1]  # probe.<name>.read_cost
    return parts[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edgesoak", required=True)
    ap.add_argument("--mode", choices=["idle", "loaded"], default="loaded")
    ap.add_argument("--duration", type=int, default=25)
    ap.add_argument("--sysfs-root", default=None, help="default: this machine's /sys")
    ap.add_argument("--procfs-root", default=None)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--skip", type=float, default=0.0,
                    help="ignore the first SKIP seconds of samples")
    ap.add_argument("--probe-nice", default=None,
                    help="experiment: 2 s in, setpriority() every thread of the run except the "
                         "busy workload threads (the probe, writer and main threads) to this nice "
                         "value, or 'fifo' for SCHED_FIFO priority 1; use with --skip 3")
    a = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="es_jitter_") as d:
        cfg = os.path.join(d, "config.yaml")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(mode=a.mode, duration=a.duration,
                                  load="true" if a.mode == "loaded" else "false",
                                  streams=os.cpu_count() or 1))
        db = os.path.join(d, "jitter.db")
        cmd = [os.path.abspath(a.edgesoak), "run", cfg, "--duration", f"{a.duration}s", "--db", db]
        if a.sysfs_root:
            cmd += ["--sysfs-root", a.sysfs_root]
        if a.procfs_root:
            cmd += ["--procfs-root", a.procfs_root]
        la_before = loadavg()
        proc = subprocess.Popen(cmd, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        if a.probe_nice is not None:
            import time
            time.sleep(2.0)
            renice_light_threads(proc.pid, a.probe_nice)
        out, err = proc.communicate(timeout=a.duration + 120)
        p = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
        la_after = loadavg()
        if p.returncode != 0:
            sys.stderr.write(p.stderr[-4000:])
            return 3
        con = sqlite3.connect(db)
        run_id = con.execute("SELECT max(id) FROM runs").fetchone()[0]
        names = dict(con.execute("SELECT id, name FROM sensors WHERE run_id = ?", (run_id,)))
        first = {}  # (probe, seg, slot) -> earliest t
        segs = set()
        for sensor, seg, t in con.execute(
                "SELECT sensor, seg, t FROM samples WHERE sensor IN (SELECT id FROM sensors "
                "WHERE run_id = ?)", (run_id,)):
            key = (probe_of(names[sensor]), seg, t // INTERVAL_NS)
            segs.add(seg)
            if key not in first or t < first[key]:
                first[key] = t
        con.close()

    per_probe = {}
    for (probe, seg, slot), t in first.items():
        if slot * INTERVAL_NS < a.skip * 1e9:
            continue
        per_probe.setdefault(probe, []).append((t - slot * INTERVAL_NS) / 1e6)
    all_ms = [x for v in per_probe.values() for x in v]
    slots = int((a.duration - a.skip) * 1e9) // INTERVAL_NS
    result = {
        "mode": a.mode + ("" if a.probe_nice is None else f" nice{a.probe_nice}"), "duration_s": a.duration, "loadavg_before": la_before,
        "loadavg_after": la_after, "rounds": len(all_ms),
        "p50_ms": percentile(all_ms, 50), "p99_ms": percentile(all_ms, 99),
        "max_ms": max(all_ms) if all_ms else math.nan,
        "probes": {k: {"rounds": len(v), "missed": max(0, slots - len(v)),
                       "p50_ms": round(percentile(v, 50), 3), "p99_ms": round(percentile(v, 99), 3),
                       "max_ms": round(max(v), 3)} for k, v in sorted(per_probe.items())},
    }
    if a.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"{result['mode']} skip={a.skip}s: rounds={result['rounds']} p50={result['p50_ms']:.3f} ms "
              f"p99={result['p99_ms']:.3f} ms max={result['max_ms']:.3f} ms | loadavg before "
              f"[{la_before}] after [{la_after}]")
        for k, v in result["probes"].items():
            print(f"  {k:10s} rounds={v['rounds']:4d} missed={v['missed']:3d} p50={v['p50_ms']:.3f} "
                  f"p99={v['p99_ms']:.3f} max={v['max_ms']:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
