"""Ctrl-C stops a run at a period boundary and leaves a valid file with complete = 0 (issue: bad input and
interruption)."""
import os
import signal
import subprocess
import time

import h5py

from cli_common import CONFIGS, KEEPSIM, check, main, tmpdir


def test_sigint_leaves_valid_incomplete_file():
    d = tmpdir()
    out = os.path.join(d, "big.h5")
    # A run long enough to be interrupted: a 300x300 grid with vision 7 for many periods.
    proc = subprocess.Popen([KEEPSIM, "run", os.path.join(CONFIGS, "run2.toml"), "-o", out, "--steps", "100000",
                             "--set", "world.width=300", "--set", "world.height=300", "--threads", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3.0)
    if proc.poll() is not None:
        raise AssertionError(f"run ended early: {proc.communicate()}")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    check(proc.returncode == 130, f"exit code {proc.returncode}: {err}")
    check("complete = 0" in err, f"message: {err}")
    check(os.path.exists(out) and not os.path.exists(out + ".part"), "the file is under its final name")
    with h5py.File(out, "r") as f:
        done = int(f.attrs["steps_completed"])
        check(int(f.attrs["complete"]) == 0, "complete = 0")
        check(done > 0, "some periods were recorded")
        check(f["step"].shape[0] == done + 1, f"step axis {f['step'].shape[0]} vs steps_completed {done}")
        check(f["active"].shape[0] == done + 1, "series as long as the step axis")
        check(list(f["step"][-3:]) == [done - 2, done - 1, done], "last steps recorded")


if __name__ == "__main__":
    main([test_sigint_leaves_valid_incomplete_file])
