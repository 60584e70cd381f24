"""Interrupt a sweep with SIGINT, then --resume: the table equals an uninterrupted sweep's in every dataset
(issue 4, "Resumable")."""
import os
import signal
import subprocess
import time

import h5py

from cli_common import KEEPSIM, assert_same_datasets, check, keepsim, main, tmpdir
from sweep_common import write_sweep

BODY = """
[sweep]
replicates = 6
seed = 5
set = ["run.steps=600"]

[factors]
"cops.density" = [0.03, 0.05]
"""


def test_interrupt_then_resume_equals_uninterrupted():
    d = tmpdir()
    sweep = write_sweep(d, BODY, base="run2.toml")
    cut, whole = os.path.join(d, "cut"), os.path.join(d, "whole")
    proc = subprocess.Popen([KEEPSIM, "sweep", sweep, "-o", cut, "--jobs", "2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    runs = os.path.join(cut, "runs")
    deadline = time.time() + 60
    while time.time() < deadline:  # interrupt once some runs are done and others are under way
        names = os.listdir(runs) if os.path.isdir(runs) else []
        if sum(n.endswith(".h5") for n in names) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    check(proc.returncode == 130, f"exit code {proc.returncode}: {err}")
    check("--resume" in err, err)
    check(not os.path.exists(os.path.join(cut, "sweep.h5")), "no table from an interrupted sweep")
    complete = 0
    for name in os.listdir(runs):
        if name.endswith(".h5"):
            with h5py.File(os.path.join(runs, name), "r") as f:
                complete += int(f.attrs["complete"])
    check(0 < complete < 12, f"interrupted part-way: {complete} of 12 complete")

    p = keepsim("sweep", sweep, "-o", cut, "--resume")
    check(f"{12 - complete} run now" in p.stdout, p.stdout)
    keepsim("sweep", sweep, "-o", whole, "-q")
    assert_same_datasets(os.path.join(cut, "sweep.h5"), os.path.join(whole, "sweep.h5"))
    for i in range(12):
        name = f"run_{i:06d}.h5"
        assert_same_datasets(os.path.join(runs, name), os.path.join(whole, "runs", name))


if __name__ == "__main__":
    main([test_interrupt_then_resume_equals_uninterrupted])
