"""tools/sobol.py recovers the Ishigami function's Sobol' indices (a = 7, b = 0.1) within its bootstrap
confidence intervals: once on a large design drawn in Python, once on the Saltelli design keepsim itself
generates (a real `keepsim sweep`, whose factor columns are mapped onto [-pi, pi]^3), which checks that the
estimator works on keepsim's design. At this size it would not catch every error in the design's layout (two
swapped blocks move the first-order indices by about 0.13); the layout itself is checked exactly by
tests/core/test_design.cpp and tests/cli/test_sweep.py.

    python3 tests/python/test_sobol.py SOURCE_DIR     (KEEPSIM=path/to/keepsim for the second test)
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

SOURCE = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
sys.path.insert(0, os.path.join(SOURCE, "tools"))
import sobol  # noqa: E402
import keepsim_io  # noqa: E402

S1 = np.array([0.3139, 0.4424, 0.0])
ST = np.array([0.5576, 0.4424, 0.2437])


def check_indices(r, tolerance):
    for name, true in (("S1", S1), ("ST", ST)):
        est, ci = r[name], r[name + "_ci"]
        for j in range(3):
            assert ci[j, 0] <= true[j] <= ci[j, 1], f"{name}[{j}] = {true[j]} outside CI {ci[j]} (est {est[j]:.4f})"
            assert abs(est[j] - true[j]) < tolerance, f"{name}[{j}] = {est[j]:.4f}, expected {true[j]}"


def test_ishigami_python_design():
    x = sobol.saltelli_design(20000, 3, seed=1)
    y = sobol.ishigami(-np.pi + 2 * np.pi * x)
    check_indices(sobol.analyse(y, 3, bootstrap=300, seed=2), 0.04)


def test_ishigami_keepsim_design():
    keepsim = os.environ.get("KEEPSIM")
    if not keepsim:
        print("skip test_ishigami_keepsim_design: set KEEPSIM to the keepsim executable")
        return
    # The sweep goes to a folder removed when the test ends, pass or fail.
    with tempfile.TemporaryDirectory(prefix="keepsim-sobol-") as d:
        _keepsim_design(keepsim, d)


def _keepsim_design(keepsim, d):
    sweep = os.path.join(d, "sweep.toml")
    base = os.path.join(SOURCE, "configs", "epstein", "run7.toml")
    # Three parameters on [0, 1] stand in for the Ishigami inputs; the runs are trivial (0 periods).
    with open(sweep, "w") as f:
        f.write(f'base = ["{base}"]\n[sweep]\ndesign = "saltelli"\nsamples = 160\nseed = 4\n'
                'set = ["world.width=8", "world.height=8", "run.steps=0"]\n[factors]\n'
                '"citizens.legitimacy" = {distribution = "uniform", low = 0.0, high = 1.0}\n'
                '"citizens.threshold" = {distribution = "uniform", low = 0.0, high = 1.0}\n'
                '"citizens.group_share" = {distribution = "uniform", low = 0.0, high = 1.0}\n')
    subprocess.run([keepsim, "sweep", sweep, "-o", os.path.join(d, "out"), "-q"], check=True)
    ds = keepsim_io.open_sweep(os.path.join(d, "out"))
    names = keepsim_io.factors(ds)
    assert names == ["citizens.legitimacy", "citizens.threshold", "citizens.group_share"], names
    assert ds.sizes["run"] == 160 * 5 and (ds["status"].values == 0).all()
    x = np.stack([ds[n].values for n in names], axis=1)
    y = sobol.ishigami(-np.pi + 2 * np.pi * x)
    check_indices(sobol.analyse(y, 3, bootstrap=500, seed=3), 0.25)


if __name__ == "__main__":
    failed = 0
    for t in (test_ishigami_python_design, test_ishigami_keepsim_design):
        try:
            t()
            print(f"ok   {t.__name__}")
        except Exception as e:  # report every failure, then fail
            failed += 1
            print(f"FAIL {t.__name__}: {e}")
    sys.exit(1 if failed else 0)
