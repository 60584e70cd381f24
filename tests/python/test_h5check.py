"""Runs keepsim on a short Epstein run of each model and checks each file with h5check.py (xarray through the
h5netcdf and netcdf4 engines with warnings as errors, h5py, no phony dimensions, units and long_name
everywhere)."""
import os
import subprocess
import sys
import tempfile

source = sys.argv[1]
keepsim = os.environ["KEEPSIM"]
here = os.path.dirname(os.path.abspath(__file__))
failed = 0
# The run files go to a folder removed when the test ends, pass or fail (each run of the suite used to leave
# two folders behind in the temporary directory).
with tempfile.TemporaryDirectory(prefix="keepsim-h5check-") as tmp:
    for config in ("run2.toml", "run8.toml"):
        out = os.path.join(tmp, config.replace(".toml", ".h5"))
        subprocess.run([keepsim, "run", os.path.join(source, "configs", "epstein", config), "-o", out, "--steps", "30",
                        "-q"], check=True)
        proc = subprocess.run([sys.executable, os.path.join(here, "h5check.py"), out], capture_output=True, text=True)
        ok = proc.returncode == 0
        failed += not ok
        print(("ok   " if ok else "FAIL ") + config + ("" if ok else ": " + proc.stdout + proc.stderr))
print(f"{2 - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
