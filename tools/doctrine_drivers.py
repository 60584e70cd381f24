#!/usr/bin/env python3
"""Which levers drive the difference between the doctrine presets?

Starts from security_keeping on a scenario and swaps in one lever group at a time from complex_peacekeeping
(ODD 8), over several seeds, and reports mean outcomes with their standard errors. A lever whose
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
# Each mechanism neutralised in both presets at once: how much of the gap between them it carries.
ALL5 = range(1, 6)
NEUTRALISE = {
    "none (baseline)": [],
    "local legitimacy feedback": ["legitimacy.local=false"],
    "imposition": ["mission.imposition=0"],
    "deterrence by justice": ["justice.deterrence_floor=1"],
    "jail capacity (3 per 1000 in both)": ["justice.jail_per_1000=3"],
    "riot response (hold_nonlethal in both)": ["mission.riot_response=hold_nonlethal"],
    "command coherence (1 in both)": [f"contingents.c{i}.coherence=1" for i in ALL5],
    "national caveats (none)": [f"contingents.c{i}.caveats=" for i in ALL5],
    "casualty tolerance (1 in both)": [f"contingents.c{i}.casualty_tolerance=1" for i in ALL5],
    "political will (no losses)": ["mission.will_per_casualty=0", "mission.will_fatigue=0"],
    "deployment (territory_wide in both)": ["mission.deployment=territory_wide"],
    "exit rule (date in both)": ["mission.exit=date", "mission.exit_day=730", "mission.elections_day=540"],
    "forced return off": ["displacement.forced_return=false"],
    "displacement off": ["displacement.enabled=false"],
    "constabulary and police off": ["constabulary.enabled=false"],
    "aid off": ["aid.enabled=false"],
    "militia recruitment off": ["spoilers.recruit_probability=0"],
    "arms inflow off": ["arms.border_rate=0"],
    "DDR and rearming off": ["spoilers.ddr_probability=0", "spoilers.rearm_probability=0"],
    "hardship dynamics off": ["hardship.enabled=false"],
    # The mechanisms of docs/ODD.md 7.12-7.16.
    "political spoilers off (fixed-rate attacks)": ["spoilers.political=false"],
    "engagement off (spoilers never found)": ["spoilers.engage_probability=0"],
    "waiting out a dated exit off": ["spoilers.wait_out=0"],
    "rival fighting off": ["spoilers.rival_attack_share=0"],
    "one legitimacy (mission's not kept apart)": ["legitimacy.mission_separate=false"],
    "refugees off": ["displacement.refugee_probability=0"],
    "no burn-in": ["start.burn_in_days=0", "start.settlement_share=0"],  # no war to settle (ODD 7.20)
    # The rules of docs/ODD.md 7.17.
    "arming for protection off": ["spoilers.protection_probability=0"],
    "excluded group off (no gap)": ["legitimacy.exclusion_gap=0"],
    "rearming at a flat rate (7.5 alone)": ["spoilers.rearm_motive=flat"],
}
NEUTRAL_OUTCOMES = ["summary_civilian_death_rate", "summary_mean_active_share", "summary_final_legitimacy"]
OUTCOMES = ["summary_civilian_death_rate", "summary_killing_rate", "summary_mean_active_share",
            "summary_peak_uprooted_share", "summary_final_legitimacy", "summary_troop_days"]


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
    ap.add_argument("--mode", choices=["swap", "neutralise"], default="swap",
                    help="swap one lever group into security_keeping, or neutralise one mechanism in both presets")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="keepsim-drivers-")
    if args.mode == "neutralise":
        return neutralise(args, work)
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


def neutralise(args, work):
    docs = ["complex_peacekeeping", "security_keeping"]
    seeds = range(1, args.seeds + 1)
    with cf.ThreadPoolExecutor(args.jobs) as pool:
        futures = {(label, d, s): pool.submit(run, args.keepsim, args.scenario, d, sets, s, work)
                   for label, sets in NEUTRALISE.items() for d in docs for s in seeds}
        results = {k: f.result() for k, f in futures.items()}
    head = " | ".join(f"{d.split('_')[0][:7]} {o.replace('summary_', '')}" for o in NEUTRAL_OUTCOMES for d in docs)
    lines = [f"Scenario `{os.path.relpath(args.scenario, ROOT)}`, {args.seeds} seeds (the same seeds in every "
             "cell; mean +- standard error). Each row neutralises one mechanism in both presets. Rates are per "
             "100,000 inhabitants per year. The last column is the gap in the civilian death rate, complex minus "
             "security.", "",
             f"| mechanism neutralised | {head} | death-rate gap |", "|---|" + "---|" * (2 * len(NEUTRAL_OUTCOMES) + 1)]
    for label in NEUTRALISE:
        cells = []
        for o in NEUTRAL_OUTCOMES:
            for d in docs:
                v = np.array([results[(label, d, s)][o] for s in seeds])
                se = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else 0.0
                cells.append(f"{v.mean():.3g} +- {se:.2g}")
        gap = np.array([results[(label, docs[0], s)]["summary_civilian_death_rate"]
                        - results[(label, docs[1], s)]["summary_civilian_death_rate"] for s in seeds])
        se = gap.std(ddof=1) / np.sqrt(len(gap)) if len(gap) > 1 else 0.0
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {gap.mean():.3g} +- {se:.2g} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    sys.exit(main())
