#!/usr/bin/env python3
"""Sobol' sensitivity indices from a Saltelli sweep (keepsim sweep with design = "saltelli").

    python3 tools/sobol.py out/my_saltelli_sweep [--outcome summary_total_killed] [--bootstrap 1000]

The design (core/design.hpp, the layout SALib writes with calc_second_order=False) has N blocks of d + 2
samples: block i is A_i, AB_i^(1), ..., AB_i^(d), B_i, where AB^(j) is A with column j from B. With f the
outcome (averaged over replicates) and V the variance of f over A and B together:

    first order  S1_j = mean(f(B) * (f(AB_j) - f(A))) / V          (Saltelli et al. 2010, table 2 (b))
    total        ST_j = mean((f(A) - f(AB_j))^2) / (2 V)            (Jansen 1999)

Confidence intervals: percentile bootstrap over the N blocks.
"""
import argparse
import os
import sys

import numpy as np


def split(y, d):
    """Outcomes in design order (N * (d + 2) values) -> f(A) (N), f(AB) (N x d), f(B) (N)."""
    y = np.asarray(y, dtype=float)
    if y.size % (d + 2) != 0:
        raise ValueError(f"{y.size} outcomes are not N blocks of d + 2 = {d + 2}")
    blocks = y.reshape(-1, d + 2)
    return blocks[:, 0], blocks[:, 1:d + 1], blocks[:, d + 1]


def indices(fa, fab, fb):
    """First-order and total indices (arrays of d) from one set of blocks."""
    v = np.var(np.concatenate([fa, fb]), ddof=1)
    s1 = np.mean(fb[:, None] * (fab - fa[:, None]), axis=0) / v
    st = 0.5 * np.mean((fa[:, None] - fab) ** 2, axis=0) / v
    return s1, st


def analyse(y, d, bootstrap=1000, level=0.95, seed=0):
    """{"S1", "ST"}: estimates; {"S1_ci", "ST_ci"}: (d x 2) percentile bootstrap intervals."""
    fa, fab, fb = split(y, d)
    if not (np.isfinite(fa).all() and np.isfinite(fab).all() and np.isfinite(fb).all()):
        raise ValueError("outcomes contain NaN (failed runs, or an outcome undefined in some runs)")
    s1, st = indices(fa, fab, fb)
    rng = np.random.default_rng(seed)
    n = fa.size
    boot1, boott = np.empty((bootstrap, d)), np.empty((bootstrap, d))
    for k in range(bootstrap):
        i = rng.integers(0, n, n)
        boot1[k], boott[k] = indices(fa[i], fab[i], fb[i])
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    return {"S1": s1, "ST": st, "S1_ci": np.percentile(boot1, q, axis=0).T,
            "ST_ci": np.percentile(boott, q, axis=0).T}


def saltelli_design(n, d, seed=0):
    """The same layout as keepsim's generator (plain Monte Carlo A and B), in Python, for tests."""
    rng = np.random.default_rng(seed)
    a, b = rng.random((n, d)), rng.random((n, d))
    rows = []
    for i in range(n):
        rows.append(a[i])
        for j in range(d):
            ab = a[i].copy()
            ab[j] = b[i, j]
            rows.append(ab)
        rows.append(b[i])
    return np.array(rows)


def ishigami(x, a=7.0, b=0.1):
    """The Ishigami function on [-pi, pi]^3 (columns of x)."""
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def from_sweep(path, outcome):
    """(factor names, outcome per design row averaged over replicates) from a Saltelli sweep."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import keepsim_io

    ds = keepsim_io.open_sweep(path)
    if ds.attrs.get("design") != "saltelli":
        raise SystemExit(f"{path}: design is {ds.attrs.get('design')!r}, not 'saltelli'")
    names = keepsim_io.factors(ds)
    samples = int(ds.attrs["samples"])
    y = np.full(samples, np.nan)
    values = ds[outcome].values.astype(float)
    values[ds["status"].values != 0] = np.nan
    for s in range(samples):
        y[s] = np.mean(values[ds["sample"].values == s])
    return names, y


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sweep", help="sweep directory or sweep.h5")
    ap.add_argument("--outcome", action="append", help="summary_ variable(s) (default: all)")
    ap.add_argument("--bootstrap", type=int, default=1000)
    args = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import keepsim_io

    outcomes = args.outcome or keepsim_io.outcomes(keepsim_io.open_sweep(args.sweep))
    for outcome in outcomes:
        names, y = from_sweep(args.sweep, outcome)
        print(f"\n## {outcome}\n\n| factor | S1 | 95% CI | ST | 95% CI |\n|---|---|---|---|---|")
        try:
            r = analyse(y, len(names), args.bootstrap)
        except ValueError as e:
            print(f"(not computed: {e})")
            continue
        for j, name in enumerate(names):
            print(f"| {name} | {r['S1'][j]:.3f} | [{r['S1_ci'][j, 0]:.3f}, {r['S1_ci'][j, 1]:.3f}] "
                  f"| {r['ST'][j]:.3f} | [{r['ST_ci'][j, 0]:.3f}, {r['ST_ci'][j, 1]:.3f}] |")


if __name__ == "__main__":
    main()
