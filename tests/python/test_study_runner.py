#!/usr/bin/env python3
"""Checks when the study tools' runner (tools/peace_validation.py Runner, used by schedule_comparison.py and
robustness.py) reuses a run file and when it runs again. It must reuse a complete run made from config files with
the same contents, even from a checkout in another folder, and it must rerun when a config file's contents have
changed or the file is incomplete. A `--set` scoped to one doctrine ("DOCTRINE:KEY") must reach that doctrine's
arms and no other.

    /usr/bin/python3 tests/python/test_study_runner.py REPO_ROOT KEEPSIM

Short runs of the default country (20 days, no burn-in) in a temporary folder.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import h5py


def main() -> int:
    repo, keepsim = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    sys.path.insert(0, str(repo / "tools"))
    import peace_validation as pv

    failures: list[str] = []

    def check(ok: bool, what: str) -> None:
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory(prefix="keepsim-study-runner-") as tmp:
        tmp = Path(tmp)
        work = tmp / "work"
        # Two checkouts' configs: the same contents in two folders.
        for name in ("a", "b"):
            (tmp / name / "doctrines").mkdir(parents=True)
            shutil.copy(repo / "configs" / "scenarios" / "default.toml", tmp / name / "default.toml")
            shutil.copy(repo / "configs" / "doctrines" / "security_keeping.toml", tmp / name / "doctrines")
        arm = pv.Arm("sk", "security-keeping", "security_keeping",
                     (("start.burn_in_days", "0"), ("start.settlement_share", "0")), 20)

        def runner_in(name: str) -> pv.Runner:
            pv.SCENARIO = tmp / name / "default.toml"
            pv.DOCTRINES = tmp / name / "doctrines"
            return pv.Runner(keepsim, work, 1)

        r = runner_in("a")
        r.run_all([arm], [1])
        check(r.made == 1 and r.reused == 0 and not r.problems, f"first run made ({r.made} made, {r.problems})")

        r = runner_in("a")
        r.run_all([arm], [1])
        check(r.reused == 1 and r.made == 0, "the same configs: the run is reused")

        r = runner_in("b")
        r.run_all([arm], [1])
        check(r.reused == 1 and r.made == 0, "the same contents in another folder: the run is reused")

        scenario = tmp / "b" / "default.toml"
        scenario.write_text(scenario.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        r = runner_in("b")
        r.run_all([arm], [1])
        check(r.made == 1 and r.reused == 0, "an edited scenario file: the run is made again")

        with h5py.File(r.path(arm, 1), "a") as f:
            f.attrs["complete"] = 0
        r = runner_in("b")
        r.run_all([arm], [1])
        check(r.made == 1 and r.reused == 0, "an incomplete run file: the run is made again")

    # A --set with a doctrine's name before a colon goes to that doctrine's arms only; a plain one to every arm.
    pv.SCENARIO = repo / "configs" / "scenarios" / "default.toml"
    pv.DOCTRINES = repo / "configs" / "doctrines"
    with tempfile.TemporaryDirectory(prefix="keepsim-study-runner-") as tmp:
        r = pv.Runner(keepsim, Path(tmp), 1, (("complex_peacekeeping:mission.use_of_force", "self_defence"),
                                              ("spoilers.wait_out", "0.25")))
        cp = pv.Arm("cp", "complex peacekeeping", "complex_peacekeeping", (), 20)
        sk = pv.Arm("sk", "security-keeping", "security_keeping", (), 20)
        cmd_cp, cmd_sk = r.command(cp, 1, Path("OUT")), r.command(sk, 1, Path("OUT"))
        check("mission.use_of_force=self_defence" in cmd_cp and "spoilers.wait_out=0.25" in cmd_cp,
              "a doctrine-scoped --set reaches its doctrine's arm, a plain one too")
        check(not any("use_of_force" in a for a in cmd_sk) and "spoilers.wait_out=0.25" in cmd_sk,
              "a doctrine-scoped --set does not reach another doctrine's arm")
        check(r.run_key(cp, 1) != pv.Runner(keepsim, Path(tmp), 1).run_key(cp, 1),
              "a scoped --set changes the reuse key of the arm it reaches")

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
