#!/usr/bin/env python3
"""Report on a `keepsim calibrate` folder (docs/calibration.md).

    python3 tools/calibration_report.py DIR [-o DIR/report]

Reads DIR/posterior.csv, DIR/diagnostics/rounds.csv and DIR/diagnostics/parameters.csv and writes
REPORT/report.md (per round: acceptance, epsilon, effective sample size; per parameter: prior against
posterior mean and sd, weighted 5/50/95 % quantiles) and REPORT/marginals.png (per parameter a weighted
histogram of the posterior with a weighted Gaussian KDE, the prior's range shaded). Quantiles and the KDE come
from numpy and scipy.
"""
import argparse
import csv
import os

import numpy as np
from scipy import stats


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def weighted_quantiles(x, w, qs):
    """Quantiles of the weighted sample (x, w): the inverse of its weighted empirical CDF, interpolated at
    the midpoints of each weight's step (numpy's interpolation)."""
    order = np.argsort(x)
    x, w = np.asarray(x)[order], np.asarray(w)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / np.sum(w)
    return np.interp(qs, cdf, x)


def fmt(v):
    return f"{v:.4g}" if np.isfinite(v) else "n/a"


def report(folder, out=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = out or os.path.join(folder, "report")
    os.makedirs(out, exist_ok=True)
    post = read_csv(os.path.join(folder, "posterior.csv"))
    rounds = read_csv(os.path.join(folder, "diagnostics", "rounds.csv"))
    params = read_csv(os.path.join(folder, "diagnostics", "parameters.csv"))
    if not post:
        raise SystemExit(f"{folder}/posterior.csv: no accepted parameter sets")
    w = np.array([float(r["weight"]) for r in post])
    lines = [f"# Calibration report: {folder}", "", "## Rounds", "",
             "| round | proposals | finite distance | accepted | acceptance | epsilon | ESS |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rounds:
        lines.append(f"| {r['round']} | {r['proposals']} | {r['finite']} | {r['accepted']} | "
                     f"{fmt(float(r['acceptance_rate']))} | {fmt(float(r['epsilon']))} | {fmt(float(r['ess']))} |")
    lines += ["", "## Parameters", "",
              "| parameter | prior | prior mean | prior sd | posterior mean | posterior sd | 5 % | 50 % | 95 % |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    fig, axes = plt.subplots(1, len(params), figsize=(4.5 * len(params), 3.4), squeeze=False)
    for ax, p in zip(axes[0], params):
        key = p["parameter"]
        x = np.array([float(r[key]) for r in post])
        q = weighted_quantiles(x, w, [0.05, 0.5, 0.95])
        lines.append(f"| `{key}` | {p['prior']} [{fmt(float(p['prior_low']))}, {fmt(float(p['prior_high']))}] | "
                     f"{fmt(float(p['prior_mean']))} | {fmt(float(p['prior_sd']))} | "
                     f"{fmt(float(p['posterior_mean']))} | {fmt(float(p['posterior_sd']))} | "
                     f"{fmt(q[0])} | {fmt(q[1])} | {fmt(q[2])} |")
        lo, hi = float(p["prior_low"]), float(p["prior_high"])
        log = p["prior"] == "log-uniform"
        ax.axvspan(lo, hi, color="0.92", label="prior range")
        bins = np.geomspace(lo, hi, 21) if log else np.linspace(lo, hi, 21)
        ax.hist(x, bins=bins, weights=w, density=True, color="tab:blue", alpha=0.6, label="posterior")
        if len(np.unique(x)) > 1:
            t = np.log(x) if log else x
            kde = stats.gaussian_kde(t, weights=w)
            grid = np.linspace(np.log(lo) if log else lo, np.log(hi) if log else hi, 200)
            dens = kde(grid)
            if log:  # back to a density in the parameter itself
                dens, grid = dens / np.exp(grid), np.exp(grid)
            ax.plot(grid, dens, color="tab:red", label="weighted KDE")
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(key)
        ax.set_yticks([])
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "marginals.png"), dpi=110)
    lines += ["", "![posterior marginals](marginals.png)", "",
              f"{len(post)} accepted parameter sets; the point estimate (posterior mean) is "
              f"`{os.path.join(folder, 'point_estimate.toml')}`.", ""]
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {os.path.join(out, 'report.md')} and marginals.png")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder")
    ap.add_argument("-o", "--output")
    args = ap.parse_args()
    report(args.folder, args.output)
