"""Engine results do not drift: SHA-256 of every dataset of a set of seeded Epstein runs (both schedules,
Models I and II, the bench case's Moore metric, several rules and thread counts) must equal the recorded ones in
tests/data/engine_checksums.json. Performance work must leave these bit-identical; a documented bug fix that
changes results regenerates them with

    /usr/bin/python3 tests/cli/test_checksums.py build/bin/keepsim . --update

and says so in its commit message."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import tomllib

import h5py
import numpy as np

KEEPSIM, SOURCE = sys.argv[1], sys.argv[2]
UPDATE = "--update" in sys.argv
STORE = os.path.join(SOURCE, "tests", "data", "engine_checksums.json")

MOORE = ["--set", "rules.vision_metric=moore"]
# (name, config, extra arguments); every case runs at --threads 1 and --threads 2 and both must match.
# The Epstein engine runs grids of fewer than 64 x 64 cells on one thread whatever --threads says
# (EpsteinModel::kFewCells), so for those cases the two runs would compare one thread with one thread: each of
# them is also run on an 80 x 80 copy at 1 and 2 threads, and the two copies must match (their checksums are
# not recorded; the small originals' are).
FEW_CELLS = 64 * 64
ENLARGED = ["--set", "world.width=80", "--set", "world.height=80"]
CASES = [
    ("run2_async", "configs/epstein/run2.toml", ["--steps", "200"]),
    ("run2_sync", "configs/epstein/run2.toml", ["--steps", "200", "--set", "rules.schedule=sync"]),
    ("bench_sync_moore", "configs/epstein/run2.toml",
     ["--steps", "40", "--set", "world.width=120", "--set", "world.height=90", "--set", "rules.schedule=sync",
      "--set", "rules.jailed=keep_cell"] + MOORE),
    ("bench_async_moore", "configs/epstein/run2.toml",
     ["--steps", "40", "--set", "world.width=120", "--set", "world.height=90"] + MOORE),
    ("run2_literal_bounded", "configs/epstein/run2.toml",
     ["--steps", "100", "--set", "rules.ratio=literal", "--set", "world.topology=bounded",
      "--set", "rules.schedule=sync"]),
    ("run2_round_vonneumann", "configs/epstein/run2.toml",
     ["--steps", "100", "--set", "rules.ratio=round", "--set", "rules.vision_metric=von_neumann"]),
    ("model2_async", "configs/epstein/run5.toml", ["--steps", "150"]),
    ("model2_sync", "configs/epstein/run5.toml", ["--steps", "150", "--set", "rules.schedule=sync"]),
    ("model2_sync_moore", "configs/epstein/run7.toml", ["--steps", "150", "--set", "rules.schedule=sync"] + MOORE),
    ("wide_vision_sync", "configs/epstein/run2.toml",
     ["--steps", "3", "--set", "world.width=258", "--set", "world.height=258", "--set", "citizens.vision=128",
      "--set", "cops.vision=128", "--set", "rules.schedule=sync"] + MOORE),
    ("withdrawal_sync", "configs/epstein/withdrawal.toml", ["--steps", "150", "--set", "rules.schedule=sync"]),
]


def digests(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                a = np.ascontiguousarray(obj[()])
                out[name] = hashlib.sha256(a.tobytes() if a.dtype.kind != "O" else repr(a.tolist()).encode()).hexdigest()
        f.visititems(visit)
    return out


def cells(path):
    """The number of cells of the run's world, from the effective config the run file carries."""
    with h5py.File(path, "r") as f:
        world = tomllib.loads(f.attrs["config"])["world"]
    return int(world["width"]) * int(world["height"])


def run_threads(tmp, name, config, extra, failures):
    """Runs the case at 1 and 2 threads; returns (digests of each run, cells of the world), or None."""
    seen, size = [], 0
    for threads in (1, 2):
        out = os.path.join(tmp, f"{name}_{threads}.h5")
        cmd = [KEEPSIM, "run", os.path.join(SOURCE, config), "-o", out, "-q", "--seed", "7",
               "--threads", str(threads)] + extra
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            failures.append(f"{name}: exit {r.returncode}: {r.stderr.strip()}")
            return None
        seen.append(digests(out))
        size = cells(out)
    if seen[0] != seen[1]:
        diff = sorted(k for k in seen[0] if seen[0][k] != seen[1].get(k))
        failures.append(f"{name}: 1 and 2 threads differ in {diff}")
    return seen, size


def main():
    stored = {} if UPDATE or not os.path.exists(STORE) else json.load(open(STORE))
    failures = []
    result = {}
    enlarged = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, config, extra in CASES:
            ran = run_threads(tmp, name, config, extra, failures)
            if ran is None:
                continue
            seen, size = ran
            if size < FEW_CELLS:
                big = run_threads(tmp, name + "_80x80", config, extra + ENLARGED, failures)
                if big is not None:
                    if big[1] < FEW_CELLS:
                        failures.append(f"{name}_80x80: still {big[1]} cells, under {FEW_CELLS}")
                    enlarged += 1
            result[name] = seen[0]
            if not UPDATE:
                if name not in stored:
                    failures.append(f"{name}: no recorded checksums (run with --update)")
                    continue
                diff = sorted(k for k in set(stored[name]) | set(seen[0]) if stored[name].get(k) != seen[0].get(k))
                if diff:
                    failures.append(f"{name}: datasets changed: {diff}")
    if UPDATE:
        with open(STORE, "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"wrote {STORE} ({len(result)} cases)")
    for f in failures:
        print("FAIL", f)
    if failures:
        sys.exit(1)
    print(f"ok: {len(CASES)} cases bit-identical to the recorded checksums and at 1 and 2 threads "
          f"({enlarged} of them on an 80 x 80 copy for the threads)")


main()
