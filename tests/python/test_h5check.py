"""Runs keepsim on a short Epstein run of each model and checks each file with h5check.py (xarray through the
h5netcdf and netcdf4 engines with warnings as errors, h5py, no phony dimensions, units and long_name
everywhere). With KEEPSIM_TESTS naming the unit-test binary (CTest sets it), also checks the files the writer's
own unit tests leave: the sample run file with h5check.py, the map snapshots with check_maps.py."""
import os
import subprocess
import sys
import tempfile

source = sys.argv[1]
keepsim = os.environ["KEEPSIM"]
here = os.path.dirname(os.path.abspath(__file__))
results = []  # (what, ok)


def check_file(what, checker, path):
    proc = subprocess.run([sys.executable, os.path.join(here, checker), path], capture_output=True, text=True)
    results.append(proc.returncode == 0)
    print(("ok   " if results[-1] else "FAIL ") + what + ("" if results[-1] else ": " + proc.stdout + proc.stderr))


# The run files go to a folder removed when the test ends, pass or fail (each run of the suite used to leave
# two folders behind in the temporary directory).
with tempfile.TemporaryDirectory(prefix="keepsim-h5check-") as tmp:
    for config in ("run2.toml", "run8.toml"):
        out = os.path.join(tmp, config.replace(".toml", ".h5"))
        subprocess.run([keepsim, "run", os.path.join(source, "configs", "epstein", config), "-o", out, "--steps", "30",
                        "-q"], check=True)
        check_file(config, "h5check.py", out)
    tests = os.environ.get("KEEPSIM_TESTS")
    if tests:
        for name, variable, checker in (("h5file: sample file for h5check.py", "KEEPSIM_H5_SAMPLE", "h5check.py"),
                                        ("h5file: map snapshots", "KEEPSIM_KEEP_MAP_FILE", "check_maps.py")):
            out = os.path.join(tmp, variable.lower() + ".h5")
            proc = subprocess.run([tests, name], capture_output=True, text=True, env=dict(os.environ, **{variable: out}))
            if proc.returncode != 0 or not os.path.exists(out):
                results.append(False)
                print(f"FAIL {name}: exit {proc.returncode}, file left: {os.path.exists(out)}\n{proc.stdout[-2000:]}")
                continue
            check_file(f"{name} ({checker})", checker, out)
failed = results.count(False)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
