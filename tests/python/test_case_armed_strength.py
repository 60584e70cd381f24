#!/usr/bin/env python3
"""Checks the case study's --armed-strength variant (tools/case_validation.py; docs/ODD.md section 12, item 12):
every run of a case with a recorded armed strength before its mission starts from that strength over the
case's population as its militia share, the share is not among the fitted parameters, cases without a figure
keep the default country's share, and the report names the variant's command. Without the flag no run carries
such a layer and the share is fitted. With --withdrawal (item 15) the same, and Kosovo's layer also gives the
share of that strength that withdrew (40,500 of 61,000), its runs take it and fighters leave on day 0; that
run also takes --fit-protection (item 14), whose calibration fits the rate of arming for protection.

    /usr/bin/python3 tests/python/test_case_armed_strength.py REPO_ROOT KEEPSIM

Runs the tool's smoke budget (Kosovo and East Timor, 40-day runs) three times in a temporary folder.
"""
from __future__ import annotations

import csv
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py


def share_in(path: Path) -> float:
    """The militia share a run file's own config text records (the layered, overridden one)."""
    with h5py.File(path, "r") as f:
        text = f.attrs["config"]
    found = re.findall(r"^militia_share = ([0-9.e+-]+)$", text, flags=re.M)
    return float(found[-1])


def withdrawn_in(path: Path) -> tuple[float, float]:
    """The withdrawn share a run file's config records (0 when none) and its count of fighters who left."""
    with h5py.File(path, "r") as f:
        text = f.attrs["config"]
        left = float(f["summary_settlement_withdrawn"][()])
    found = re.findall(r"^withdrawn_share = ([0-9.e+-]+)$", text, flags=re.M)
    return (float(found[-1]) if found else 0.0), left


def main() -> int:
    repo, keepsim = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    failures: list[str] = []

    def check(ok: bool, what: str) -> None:
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    with open(repo / "data" / "cases" / "cases.csv", newline="") as f:
        rows = {r["case"]: r for r in csv.DictReader(f)}
    kosovo = rows["kosovo"]
    expected = float(f"{float(kosovo['armed_strength_before']) / (float(kosovo['population_millions']) * 1e6):.4g}")
    check(abs(expected - 61000 / 1.9e6) < 1e-4, f"Kosovo's recorded share is about 3.2 % ({expected})")
    gone = float(f"{float(kosovo['armed_strength_withdrawn']) / float(kosovo['armed_strength_before']):.4g}")
    check(abs(gone - 40500 / 61000) < 1e-3, f"Kosovo's withdrawn share is about two thirds ({gone})")

    sys.path.insert(0, str(repo / "tools"))
    import case_validation as cv
    with tempfile.TemporaryDirectory() as tmp:
        for case in ("iraq", "somalia"):
            check(cv.armed_share(rows[case]) is None and len(cv.case_layers(Path(tmp), case, rows[case], True)) == 2,
                  f"{case} has no recorded strength and keeps the default country's share")

    tool = repo / "tools" / "case_validation.py"
    with tempfile.TemporaryDirectory() as tmp:
        for armed, withdrawal in ((True, False), (False, False), (True, True)):
            work = Path(tmp) / ("withdrawal" if withdrawal else "armed" if armed else "fitted")
            cmd = [sys.executable, str(tool), "--keepsim", str(keepsim), "--smoke", "--jobs", "2", "--work", str(work)]
            if withdrawal:
                cmd += ["--withdrawal", "--fit-protection"]  # --withdrawal implies --armed-strength
            elif armed:
                cmd.append("--armed-strength")
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            cal = (work / "calibration.toml").read_text()
            fitted = '"spoilers.militia_share"' in cal
            layer = work / "layers" / "armed_strength_kosovo.toml"
            report = (work / "report.md").read_text()
            if armed:
                check(not fitted, "the militia share is not fitted under --armed-strength")
                check(layer.exists() and f"militia_share = {expected!r}" in layer.read_text(),
                      "Kosovo's layer holds its recorded share")
                check(str(layer) in cal, "the calibration runs Kosovo with its layer")
                for i in range(2):
                    got = share_in(work / "runs" / "predict" / f"kosovo_draw{i}.h5")
                    check(got == expected, f"prediction run {i} of Kosovo ran with the recorded share ({got})")
                for i in range(2):
                    share, left = withdrawn_in(work / "runs" / "predict" / f"kosovo_draw{i}.h5")
                    if withdrawal:
                        check(share == gone and left > 0,
                              f"prediction run {i} of Kosovo ran with the withdrawn share ({share}, {left:g} left)")
                    else:
                        check(share == 0 and left == 0, f"prediction run {i} of Kosovo had no withdrawal")
                flag = "--withdrawal --fit-protection" if withdrawal else "--armed-strength"
                check(flag in report, f"the report's command names the variant ({flag})")
                fits = '"spoilers.protection_probability"' in cal
                check(fits == withdrawal, f"the rate of arming for protection is fitted only with --fit-protection "
                                          f"({fits})")
                where = "cases_withdrawal_protection" if withdrawal else "cases_armed_strength"
                check(f"docs/validation/variants/{where}/cases.md" in report, f"the report's command keeps it in {where}")
            else:
                check(fitted, "without the flag the militia share is fitted")
                check(not layer.exists(), "without the flag no armed-strength layer is written")
                check("--armed-strength" not in report and "docs/validation/cases.md" in report,
                      "the report's command is the plain one")
                check('"spoilers.protection_probability"' not in cal, "the plain study does not fit protection")
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
