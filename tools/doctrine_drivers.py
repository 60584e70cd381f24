#!/usr/bin/env python3
"""Which levers drive the difference between the doctrine presets?

Starts from security_keeping on a scenario and swaps in one lever group at a time from complex_peacekeeping
(MODEL.md section 6), over several seeds, and reports mean outcomes with their standard errors. A lever whose
swap moves an outcome most toward the complex_peacekeeping result is a driver of that outcome.

  /usr/bin/python3 tools/doctrine_drivers.py [--keepsim build/bin/keepsim] [--seeds 5] [--jobs 2]
                                             [--scenario configs/scenarios/default.toml] [--out FILE.md]
"""
import argparse
import concurrent.futures as cf
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CP = [f"contingents.c{i}.{k}={v}" for i in range(1, 6) for k, v in
      (("size", 30), ("caveats", ["", "riot", "border,escort", "riot,border", "escort"][i - 1]))]
COHERENCE = [f"contingents.c{i}.coherence=0.6" for i in range(1, 4)]
TOLERANCE = [f"contingents.c{i}.casualty_tolerance=0.02" for i in range(1, 4)]
LEVERS = {
    "none (security_keeping)": [],
    "contingents: five states with caveats": CP + [f"contingents.c{i}.coherence=0.95" for i in range(4, 6)]
    + [f"contingents.c{i}.casualty_tolerance=0.10" for i in range(4, 6)],
    "coherence 0.6": COHERENCE,
    "casualty tolerance 0.02": TOLERANCE,
    "initial will 0.6": ["mission.will_initial=0.6"],
    "task shares incl. 40% political": ["tasks.presence=0.25", "tasks.riot=0.05", "tasks.escort=0.10",
                                        "tasks.border=0.05", "tasks.guard=0.10", "tasks.train=0.05",
                                        "tasks.political=0.40"],
    "riot response withdraw": ["mission.riot_response=withdraw"],
    "jail 0.5 per 1000": ["justice.jail_per_1000=0.5"],
    "constabulary slow + police day 180": ["constabulary.start_day=1", "constabulary.throughput=0.01",
                                           "constabulary.throughput_per_trainer=0.002", "police.count=30",
                                           "police.arrival_day=180"],
    "exit by date (elections 540, leave 730)": ["mission.exit=date", "mission.elections_day=540",
                                                "mission.exit_day=730"],
    "imposition 1": ["mission.imposition=1"],
    "forced return": ["displacement.forced_return=true"],
    "capital_first deployment": ["mission.deployment=capital_first"],
}
OUTCOMES = ["summary_civilian_deaths", "summary_peak_active", "summary_peak_displaced", "summary_final_legitimacy",
            "summary_troop_days"]


def run(keepsim, scenario, doctrine, sets, seed, work):
    out = os.path.join(work, f"{abs(hash((doctrine, tuple(sets), seed)))}.h5")
    cmd = [keepsim, "run", scenario, os.path.join(ROOT, "configs", "doctrines", doctrine + ".toml"), "-o", out,
           "--force", "-q", "--seed", str(seed), "--threads", "1"]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True)
    with h5py.File(out, "r") as f:
        vals = {k: float(f[k][()]) for k in OUTCOMES}
    os.remove(out)
    return vals


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keepsim", default=os.path.join(ROOT, "build", "bin", "keepsim"))
    ap.add_argument("--scenario", default=os.path.join(ROOT, "configs", "scenarios", "default.toml"))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default=None, help="write the markdown table here too")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="keepsim-drivers-")
    cases = [("security_keeping", name, sets) for name, sets in LEVERS.items()]
    cases.append(("complex_peacekeeping", "complex_peacekeeping (all levers)", []))
    with cf.ThreadPoolExecutor(args.jobs) as pool:
        futures = {(label, seed): pool.submit(run, args.keepsim, args.scenario, doc, sets, seed, work)
                   for doc, label, sets in cases for seed in range(1, args.seeds + 1)}
        results = {k: f.result() for k, f in futures.items()}
    lines = [f"Scenario `{os.path.relpath(args.scenario, ROOT)}`, {args.seeds} seeds per row (mean +- standard "
             "error). Each row is security_keeping with one lever group taken from complex_peacekeeping.", "",
             "| lever swapped in | " + " | ".join(o.replace("summary_", "") for o in OUTCOMES) + " |",
             "|---|" + "---|" * len(OUTCOMES)]
    for _, label, _ in cases:
        cells = []
        for o in OUTCOMES:
            v = np.array([results[(label, s)][o] for s in range(1, args.seeds + 1)])
            se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
            cells.append(f"{v.mean():.3g} +- {se:.2g}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
