#!/usr/bin/env python3
"""Doctrine comparison report from a sweep with a config-file factor (configs/sweeps/doctrine_comparison.toml).

    python3 tools/compare_doctrines.py out/doctrines [--factor configs.doctrine] [-o out/doctrines/report]

Writes REPORT/report.md: per doctrine (the levels of --factor, and of every other level-coded factor such as the
scenario), every outcome's mean and 95% t confidence interval over the replicates that completed; for each
numeric lever, the same at each of its values, and where --factor has two levels their difference of means with
a two-sided Mann-Whitney U p (scipy.stats.mannwhitneyu); and PNG plots: the distribution of each outcome per
doctrine (outcome_NAME.png), and each outcome against each numeric lever with one line of means per doctrine
(lever_LEVER_NAME.png). Failed runs are counted, never averaged.
"""
import argparse
import os
import sys

import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keepsim_io  # noqa: E402


def fmt(x):
    if not np.isfinite(x):
        return "n/a"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"


def report(sweep, factor=None, out=None, outcomes=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ds = keepsim_io.open_sweep(sweep)
    df = keepsim_io.sweep_frame(ds)
    factors = keepsim_io.factors(ds)
    coded = [f for f in factors if keepsim_io.levels(ds[f]) is not None]
    if factor is None:
        factor = next((f for f in coded if f.startswith("configs")), coded[0] if coded else None)
    if factor is None or factor not in factors:
        raise SystemExit(f"{sweep}: no level-coded factor {factor!r} to compare (factors: {factors})")
    groups = [f for f in coded if f != factor and df[f].nunique() > 1] + [factor]
    levers = [f for f in factors if f not in coded and df[f].nunique() > 1]
    outcomes = outcomes or [o for o in keepsim_io.outcomes(ds) if np.isfinite(ds[o].values.astype(float)).any()]
    out = out or os.path.join(sweep if os.path.isdir(sweep) else os.path.dirname(sweep), "report")
    os.makedirs(out, exist_ok=True)
    ok = df[df["status"] == "ok"]

    lines = [f"# Doctrine comparison: {ds.attrs.get('sweep_file', sweep)}", "",
             f"{len(df)} runs ({(df['status'] == 'ok').sum()} ok, {(df['status'] == 'failed').sum()} failed, "
             f"{(df['status'] == 'missing').sum()} missing); mean [95% CI] over completed replicates.", ""]
    header = groups + ["runs"] + [o.removeprefix("summary_") for o in outcomes]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, g in ok.groupby(groups if len(groups) > 1 else groups[0], sort=False):
        key = key if isinstance(key, tuple) else (key,)
        cells = [str(k) for k in key] + [str(len(g))]
        for o in outcomes:
            m, h = keepsim_io.mean_ci(g[o])
            cells.append(f"{fmt(m)} [{fmt(m - h)}, {fmt(m + h)}]" if np.isfinite(h) else fmt(m))
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")

    labels = list(dict.fromkeys(df[factor]))
    for lever in levers:
        # Pooled over a lever, the table above hides how the comparison moves with it: one row per value.
        pair = len(labels) == 2
        head = [lever] + [f"{lab}: {o.removeprefix('summary_')}" for o in outcomes for lab in labels]
        if pair:
            head += [f"{labels[0]} - {labels[1]}: {o.removeprefix('summary_')} (Mann-Whitney p)" for o in outcomes]
        lines += [f"By `{lever}`:", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for x, sub in ok.groupby(lever):
            cells = [fmt(float(x))]
            for o in outcomes:
                for lab in labels:
                    m, h = keepsim_io.mean_ci(sub[sub[factor] == lab][o])
                    cells.append(f"{fmt(m)} [{fmt(m - h)}, {fmt(m + h)}]" if np.isfinite(h) else fmt(m))
            if pair:
                for o in outcomes:
                    a, b = (sub[sub[factor] == lab][o].astype(float).dropna().values for lab in labels)
                    p = stats.mannwhitneyu(a, b, alternative="two-sided").pvalue if a.size and b.size else np.nan
                    cells.append(f"{fmt(a.mean() - b.mean()) if a.size and b.size else 'n/a'} (p = {fmt(p)})")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    for o in outcomes:
        fig, ax = plt.subplots(figsize=(6, 4))
        data = [ok[ok[factor] == lab][o].astype(float).dropna().values for lab in labels]
        ax.boxplot(data, labels=labels, showmeans=True)
        for i, d in enumerate(data):
            ax.plot(np.full(d.size, i + 1) + np.random.default_rng(i).uniform(-0.08, 0.08, d.size), d, ".",
                    alpha=0.4)
        ax.set_ylabel(o.removeprefix("summary_") + f" ({ds[o].attrs.get('units', '')})")
        ax.set_title(ds[o].attrs.get("long_name", o), fontsize=9)
        fig.tight_layout()
        name = f"outcome_{o.removeprefix('summary_')}.png"
        fig.savefig(os.path.join(out, name), dpi=100)
        plt.close(fig)
        lines.append(f"![{o}]({name})")
        for lever in levers:
            fig, ax = plt.subplots(figsize=(6, 4))
            for lab in labels:
                sub = ok[ok[factor] == lab]
                points = [(x, *keepsim_io.mean_ci(s[o])) for x, s in sub.groupby(lever)]
                x, m, h = (np.array(v, dtype=float) for v in zip(*points)) if points else ([], [], [])
                ax.errorbar(x, m, yerr=np.nan_to_num(h), marker="o", capsize=3, label=lab)
            ax.set_xlabel(lever)
            ax.set_ylabel(o.removeprefix("summary_"))
            ax.legend(fontsize=8)
            fig.tight_layout()
            name = f"lever_{lever}_{o.removeprefix('summary_')}.png"
            fig.savefig(os.path.join(out, name), dpi=100)
            plt.close(fig)
            lines.append(f"![{o} against {lever}]({name})")
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return os.path.join(out, "report.md")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep", help="sweep directory or sweep.h5")
    ap.add_argument("--factor", help="the level-coded factor to compare (default: the first configs factor)")
    ap.add_argument("--outcome", action="append", help="summary_ variable(s) (default: all with values)")
    ap.add_argument("-o", "--output", help="report directory (default: SWEEP/report)")
    args = ap.parse_args()
    print(report(args.sweep, args.factor, args.output, args.outcome))


if __name__ == "__main__":
    main()
