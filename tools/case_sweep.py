#!/usr/bin/env python3
"""The killing during each case's mission, across the levels of one factor, from a sweep over case configs.

A variant of a mechanism is tried on named cases by a sweep whose factors are the case (`"configs.case"`, files
of configs/cases/) and the variant's key (configs/sweeps/rearm_recall.toml is one). This reads the sweep's run
files and writes, per case and level: the killings of anyone during the mission per 100,000 a year (from the
first arrival to the departure, as docs/validation/cases.md reads it), their median and 5-95 % range over the
replicates, the record's figure and range (data/cases/cases.csv, `deaths_per_100k_yr_during`) and how many
times the median is from it, and, for each level after the first, a one-sided Mann-Whitney U test
(scipy.stats.mannwhitneyu) that the killing is lower than at the first level. It states no verdict: the
hypotheses and thresholds belong to the study that ran the sweep (docs/ODD.md section 12).

    keepsim sweep configs/sweeps/rearm_recall.toml -o out/rearm_recall --jobs 2
    /usr/bin/python3 tools/case_sweep.py out/rearm_recall --factor spoilers.rearm_recall --report REPORT.md
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import case_validation as cv  # noqa: E402  (a run's rates during the mission; the record's figures)
import keepsim_io as kio  # noqa: E402
import peace_validation as pv  # noqa: E402  (the case table)

CASE_FACTOR = "configs.case"


def rows(sweep: Path, factor: str) -> tuple[list[str], list[str], dict]:
    """Per (case, level): the killing during the mission of each complete run, in run order."""
    ds = kio.open_sweep(str(sweep))
    df = kio.sweep_frame(ds, ok_only=True)
    for name in (CASE_FACTOR, factor):
        if name not in df.columns:
            raise SystemExit(f"case_sweep: {sweep}/sweep.h5 has no factor {name!r} "
                             f"(its factors: {', '.join(kio.factors(ds))})")
    cases = list(dict.fromkeys(df[CASE_FACTOR]))
    levels = list(dict.fromkeys(df[factor]))
    during: dict = {}
    for run, r in df.iterrows():
        path = sweep / "runs" / f"run_{int(run):06d}.h5"
        during.setdefault((r[CASE_FACTOR], r[factor]), []).append(cv.read_run(path)["during"])
    return cases, levels, during


def report(sweep: Path, factor: str) -> str:
    cases, levels, during = rows(sweep, factor)
    table = pv.load_cases()
    L = [f"# Killing during the mission by case and `{factor}`", "",
         f"From the sweep in `{sweep}` (`tools/case_sweep.py`). Killings of anyone (civilians, fighters, "
         "peacekeepers, constables) per 100,000 inhabitants a year, from the mission's first arrival to its "
         "departure or the end of the run; median and 5-95 % range over the replicates. 'x record': how many "
         "times the median is from the record's central figure (else the midpoint of its range), either way. "
         f"p: one-sided Mann-Whitney U, lower than at `{factor}` = {levels[0]}.", "",
         "| case | level | runs | median | 5-95 % | record | x record | p (lower) |",
         "|---|---|---|---|---|---|---|---|"]
    for case in cases:
        obs = cv.observed(table[case], "deaths_per_100k_yr_during") if case in table else (np.nan,) * 3
        base = np.asarray(during.get((case, levels[0]), []), dtype=float)
        for level in levels:
            x = np.asarray(during.get((case, level), []), dtype=float)
            if len(x) == 0:
                continue
            med = float(np.median(x))
            lo, hi = np.quantile(x, [0.05, 0.95])
            f = cv.factor_from_record(med, obs) if np.isfinite(cv.centre(obs)) else float("nan")
            p = "" if level == levels[0] else \
                f"{stats.mannwhitneyu(x, base, alternative='less').pvalue:.3g}"
            L.append(f"| {case} | {level} | {len(x)} | {med:.1f} | {lo:.1f} to {hi:.1f} | {cv.obs_text(obs)} "
                     f"| {'' if not np.isfinite(f) else f'{f:.1f}'} | {p} |")
    return "\n".join(L) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sweep", type=Path, help="the sweep's output folder (keepsim sweep -o DIR)")
    ap.add_argument("--factor", required=True, help="the factor whose levels are compared in each case")
    ap.add_argument("--report", type=Path, help="write the Markdown table here (default: print it)")
    args = ap.parse_args()
    text = report(args.sweep, args.factor)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
