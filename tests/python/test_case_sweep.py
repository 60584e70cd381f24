#!/usr/bin/env python3
"""Checks tools/case_sweep.py on a small real sweep: two case configs x the two levels of
spoilers.rearm_recall, two replicates, 40 days after the burn-in. The table must have one row per case and
level with the right number of runs, the record of each case from data/cases/cases.csv, a p-value on the
second level only, and the killing rate the tool reports must be the one tools/case_validation.py reads from
the same run files. A factor the sweep does not have must be refused with a message naming it. Nothing about
the model's results is asserted.

    /usr/bin/python3 tests/python/test_case_sweep.py KEEPSIM_BINARY SOURCE_DIR
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from checks import finish  # tests/python/checks.py, beside this file


def main() -> int:
    binary, src = sys.argv[1], Path(sys.argv[2])
    sys.path.insert(0, str(src / "tools"))
    import case_validation as cv

    tool = src / "tools" / "case_sweep.py"
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sweep = tmp / "sweep.toml"
        sweep.write_text(
            f'base = ["{src}/configs/scenarios/default.toml"]\n'
            '[sweep]\ndesign = "factorial"\nreplicates = 2\nseed = 7\nset = ["run.steps=40"]\n'
            f'[factors]\n"configs.case" = ["{src}/configs/cases/kosovo.toml", "{src}/configs/cases/bosnia.toml"]\n'
            '"spoilers.rearm_recall" = [false, true]\n', encoding="utf-8")
        out = tmp / "out"
        p = subprocess.run([binary, "sweep", str(sweep), "-o", str(out), "--jobs", "2", "-q"],
                           capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            print("FAIL: the sweep:", p.returncode, p.stderr)
            return 1
        report = tmp / "r.md"
        p = subprocess.run([sys.executable, str(tool), str(out), "--factor", "spoilers.rearm_recall",
                            "--report", str(report)], capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            print("FAIL: case_sweep:", p.returncode, p.stderr)
            return 1
        rows = [line.split("|")[1:-1] for line in report.read_text().splitlines() if line.startswith("| ")]
        body = [[c.strip() for c in r] for r in rows[1:]]  # after the header row
        got = {(r[0], r[1]): r for r in body}
        for case in ("kosovo", "bosnia"):
            for level in ("0", "1"):  # a boolean factor's levels are stored as 0 and 1 (docs/sweeps.md)
                r = got.get((case, level))
                if r is None:
                    failures.append(f"no row for {case} / {level}: {sorted(got)}")
                    continue
                if r[2] != "2":
                    failures.append(f"{case} / {level}: {r[2]} runs, want 2")
                if (r[7] != "") != (level == "1"):
                    failures.append(f"{case} / {level}: p column {r[7]!r} (only the second level has one)")
        if ("bosnia", "0") in got and got[("bosnia", "0")][5] != "2.0 (1.6 to 4.0)":
            failures.append(f"bosnia's record: {got[('bosnia', '0')][5]!r}, want 2.0 (1.6 to 4.0)")
        # The median the tool reports is case_validation's rate during the mission over the same runs.
        import keepsim_io as kio
        df = kio.sweep_frame(kio.open_sweep(str(out)), ok_only=True)
        sel = df[(df["configs.case"] == "kosovo") & (df["spoilers.rearm_recall"] == 0)]
        want = np.median([cv.read_run(out / "runs" / f"run_{int(i):06d}.h5")["during"] for i in sel.index])
        if ("kosovo", "0") in got and got[("kosovo", "0")][3] != f"{want:.1f}":
            failures.append(f"kosovo / 0 median {got[('kosovo', '0')][3]}, want {want:.1f}")
        p = subprocess.run([sys.executable, str(tool), str(out), "--factor", "spoilers.no_such_key"],
                           capture_output=True, text=True, timeout=300)
        if p.returncode == 0 or "spoilers.no_such_key" not in p.stderr:
            failures.append(f"an unknown factor: exit {p.returncode}, stderr {p.stderr!r}")
    return finish(failures)


if __name__ == "__main__":
    sys.exit(main())
