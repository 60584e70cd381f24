"""Shared helpers for the end-to-end tests: run the real keepsim executable as a user would."""
import os
import shutil
import subprocess
import sys
import tempfile

import netCDF4  # noqa: F401  imported before warnings become errors: Debian's build warns on import only
import numpy as np

KEEPSIM = sys.argv[1] if len(sys.argv) > 1 else "build/bin/keepsim"
SOURCE = sys.argv[2] if len(sys.argv) > 2 else os.getcwd()
CONFIGS = os.path.join(SOURCE, "configs", "epstein")
# Set by tests/sanitizer_build.cmake in the sanitizer builds, whose keepsim runs several times slower: tests that
# need a run to last a while (to meet another process) can ask for less work there and still get the same time.
SANITIZED = bool(os.environ.get("KEEPSIM_SANITIZED"))


def keepsim(*args, check=True):
    """Runs keepsim with arguments; returns the CompletedProcess (text mode)."""
    proc = subprocess.run([KEEPSIM, *map(str, args)], capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"keepsim {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc


# The folders tmpdir() made in this process: main() removes them when every test passed, and keeps them, named,
# for a look when one failed.
_MADE = []


def tmpdir():
    d = tempfile.mkdtemp(prefix="keepsim-test-")
    _MADE.append(d)
    return d


def datasets(path):
    """Every dataset in a run file as numpy arrays, by name (h5py, as plain datasets)."""
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        for name, obj in f.items():
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
    return out


def assert_same_datasets(a, b):
    da, db = datasets(a), datasets(b)
    assert da.keys() == db.keys(), f"different variables: {sorted(da.keys() ^ db.keys())}"
    for name in da:
        x, y = np.asarray(da[name]), np.asarray(db[name])
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert x.tobytes() == y.tobytes(), f"dataset {name} differs between {a} and {b}"


def check(condition, message):
    if not condition:
        raise AssertionError(message)


class Skip(Exception):
    """Raised by skip(): the test cannot run here, for the reason given."""


def skip(reason):
    """Ends the calling test as skipped: main() prints it as a skip, not as a pass, and counts it."""
    raise Skip(reason)


# The exit status of a script whose every test was skipped; tests/CMakeLists.txt declares it as CTest's
# SKIP_RETURN_CODE, so such a script shows as skipped in CTest's summary, not as passed.
SKIPPED_ALL = 77


def main(tests):
    failed = skipped = 0
    for test in tests:
        try:
            test()
            print(f"ok   {test.__name__}")
        except Skip as s:
            skipped += 1
            print(f"skip {test.__name__}: {s}")
        except Exception as e:  # report every failure, then fail the run
            failed += 1
            print(f"FAIL {test.__name__}: {e}")
    print(f"{len(tests) - failed - skipped} passed, {failed} failed, {skipped} skipped")
    if failed:
        print("kept for a look: " + " ".join(_MADE))
    else:
        for d in _MADE:
            shutil.rmtree(d, ignore_errors=True)
    sys.exit(1 if failed else SKIPPED_ALL if tests and skipped == len(tests) else 0)
