#!/usr/bin/env python3
"""Checks tools/compare_runs.py and tools/render_maps.py on two small synthetic peacekeeping run files written
with h5py (the layout of docs/output.md, without dimension scales): exit codes, the summary table, the series
figure, the map frames and the GIF, and the exit status 2 of render_maps.py on a file without maps.

    /usr/bin/python3 tests/python/test_tools.py [REPO_ROOT]

REPO_ROOT defaults to this script's ../.. (CTest passes ${CMAKE_SOURCE_DIR}). Outputs go to a temporary folder.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np
from PIL import Image

STEPS, SNAPSHOTS, NY, NX = 50, 3, 10, 12
SUMMARIES = (  # name, long_name, value for run A, value for run B
    ("summary_civilian_deaths", "civilians killed over the run", 123, 456),
    ("summary_peak_active", "largest number of active citizens in a day", 40, 77),
    ("summary_stable_security_day", "first day of stable security (NaN: never)", 31.0, float("nan")),
    ("summary_mission_duration", "days the mission was present", 45, 50),
    ("summary_peacekeeper_casualties", "peacekeepers killed", 2, 9),
    ("summary_constable_casualties", "constables killed", 1, 4),
    ("summary_troop_days", "peacekeeper-days spent", 20000, 35000),
    ("summary_relapse", "killings after departure over killings before", 0.8125, float("nan")),
    ("summary_final_legitimacy", "mean legitimacy at the end", 0.61, 0.42),
    ("summary_constables_per_1000", "constables per 1000 citizens at the end", 2.5, 1.25),
)
MEANINGS = "empty quiet_group0 quiet_group1 active spoiler bandit peacekeeper constable"


def write_run(path: Path, doctrine: str, seed: int, index: int, maps: bool, complete: int = 1) -> None:
    """A tiny run file: attributes, per-step series, summaries and (optionally) three map snapshots."""
    rng = np.random.default_rng(seed)
    with h5py.File(path, "w", track_order=True) as f:
        f.attrs.update({"title": f"synthetic {doctrine}", "model": "peacekeeping", "doctrine": doctrine,
                        "seed": seed, "config": 'model = "peacekeeping"\n', "complete": complete,
                        "steps_completed": STEPS})
        f["step"] = np.arange(STEPS, dtype=np.int64)
        for name in ("quiet", "active", "jailed", "cops", "displaced", "civilians_killed", "peacekeepers",
                     "constables"):
            f[name] = rng.integers(0, 100, STEPS).astype(np.int64)
        for name in ("legitimacy_mean", "political_will", "secure_share"):
            f[name] = rng.random(STEPS)
        phase = np.minimum(np.arange(STEPS) // 12, 4).astype(np.uint8)
        f["mission_phase"] = phase
        f["mission_phase"].attrs.update({"flag_values": np.arange(5, dtype=np.uint8),
                                         "flag_meanings": "not_started deploying operating drawing_down left"})
        f["spoilers_armed"] = rng.integers(0, 20, (STEPS, 3)).astype(np.int64)
        f["alive"] = rng.integers(0, 500, (STEPS, 2)).astype(np.int64)
        for name, long_name, *values in SUMMARIES:
            value = values[index]
            f[name] = np.float64(value) if isinstance(value, float) else np.int64(value)
            f[name].attrs.update({"long_name": long_name, "units": "1"})
            if isinstance(value, int):
                f[name].attrs["_FillValue"] = np.int64(-9223372036854775806)
        if maps:
            f["snapshot_step"] = np.array([0, 20, 40], dtype=np.int64)
            f["y"] = np.arange(NY, dtype=np.int64)
            f["x"] = np.arange(NX, dtype=np.int64)
            f["map_occupancy"] = rng.integers(0, 8, (SNAPSHOTS, NY, NX)).astype(np.uint8)
            f["map_occupancy"].attrs.update({"flag_values": np.arange(8, dtype=np.uint8), "flag_meanings": MEANINGS})
            f["map_killings"] = rng.poisson(0.5, (SNAPSHOTS, NY, NX)).astype(np.int32)
            legit = rng.random((SNAPSHOTS, NY, NX)).astype(np.float32)
            legit[rng.random(legit.shape) < 0.3] = np.nan
            f["map_legitimacy"] = legit


def run(args: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable] + [str(a) for a in args], capture_output=True, text=True, env=env)


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
    compare, render = root / "tools" / "compare_runs.py", root / "tools" / "render_maps.py"
    failures: list[str] = []

    def check(ok: bool, what: str, proc: subprocess.CompletedProcess | None = None) -> None:
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what + ("" if proc is None else f"\n{proc.stdout}\n{proc.stderr}"))

    with tempfile.TemporaryDirectory(prefix="keepsim-tools-") as tmp:
        tmp = Path(tmp)
        a, b, c = tmp / "a.h5", tmp / "b.h5", tmp / "c.h5"
        write_run(a, "complex_peacekeeping", 1, 0, maps=True)
        write_run(b, "security_keeping", 2, 1, maps=False, complete=0)
        write_run(c, "complex_peacekeeping", 3, 0, maps=True)

        png = tmp / "compare.png"
        proc = run([compare, a, b, "--png", png])
        check(proc.returncode == 0, "compare_runs.py exits 0", proc)
        check("complex_peacekeeping" in proc.stdout and "security_keeping" in proc.stdout,
              "the table is headed by both doctrines", proc)
        missing = [n for n, *_ in SUMMARIES if n[len("summary_"):] not in proc.stdout]
        check(not missing, f"the table names every summary (missing: {missing})", proc)
        check("never" in proc.stdout, "a NaN day prints as never", proc)
        check("warning" in proc.stderr and str(b) in proc.stderr, "an incomplete run is warned about", proc)
        try:
            with Image.open(png) as im:
                im.verify()
            check(True, "the comparison PNG is a valid image")
        except Exception as err:  # noqa: BLE001
            check(False, f"the comparison PNG is a valid image ({err})")

        # The values, in the header's order of runs (A then B), as the table prints them: whole numbers without
        # decimals, four significant digits otherwise, NaN as "never" for a day and "-" for anything else.
        proc = run([compare, a, b, "--markdown"])
        rows = {}
        for line in proc.stdout.splitlines()[2:]:
            cells = [x.strip() for x in line.strip().strip("|").split("|")]
            rows[cells[0]] = cells[1:3]
        header = [x.strip() for x in proc.stdout.splitlines()[0].strip().strip("|").split("|")] if proc.stdout else []
        check(header[1:3] == ["complex_peacekeeping", "security_keeping"], f"runs in the given order ({header})", proc)
        expected = {"civilian_deaths": ["123", "456"], "peak_active": ["40", "77"],
                    "stable_security_day": ["31", "never"], "mission_duration": ["45", "50"],
                    "peacekeeper_casualties": ["2", "9"], "constable_casualties": ["1", "4"],
                    "troop_days": ["20000", "35000"], "relapse": ["0.8125", "-"],
                    "final_legitimacy": ["0.6100", "0.4200"], "constables_per_1000": ["2.500", "1.250"]}
        wrong = {k: rows.get(k) for k, v in expected.items() if rows.get(k) != v}
        check(not wrong, f"each summary's values under its run (wrong: {wrong})", proc)

        proc = run([compare, a, c, "--markdown"])
        check(proc.returncode == 0 and "| a |" in proc.stdout and "| c |" in proc.stdout,
              "a shared doctrine falls back to file stems (Markdown table)", proc)
        proc = run([compare, a, tmp / "nonexistent.h5"])
        check(proc.returncode == 2 and "nonexistent.h5" in proc.stderr, "a missing file exits 2", proc)
        bad = tmp / "bad.h5"
        bad.write_text("not HDF5")
        proc = run([compare, a, bad])
        check(proc.returncode == 2, "an unreadable file exits 2", proc)

        frames, gif = tmp / "frames", tmp / "maps.gif"
        proc = run([render, a, "-o", frames, "--gif", gif, "--fps", "2"])
        check(proc.returncode == 0, "render_maps.py exits 0", proc)
        names = sorted(p.name for p in frames.glob("frame_*.png")) if frames.is_dir() else []
        check(names == [f"frame_{i:04d}.png" for i in range(SNAPSHOTS)], f"one frame per snapshot ({names})", proc)
        sizes = set()
        for name in names:
            with Image.open(frames / name) as im:
                im.load()
                sizes.add(im.size)
        check(len(sizes) == 1, f"the frames are valid images of one size ({sizes})")
        try:
            with Image.open(gif) as im:
                check(im.format == "GIF" and im.n_frames == SNAPSHOTS, f"the GIF has {SNAPSHOTS} frames")
        except Exception as err:  # noqa: BLE001
            check(False, f"the GIF is a valid image ({err})")

        proc = run([render, a, "-o", tmp / "one", "--layers", "legitimacy"])
        check(proc.returncode == 0 and len(list((tmp / "one").glob("frame_*.png"))) == SNAPSHOTS,
              "--layers picks one layer", proc)
        proc = run([render, b, "-o", tmp / "none"])
        check(proc.returncode == 2 and "output.map_every" in proc.stderr, "a file without maps exits 2", proc)

    print(f"{len(failures)} failed" if failures else "all passed")
    for failure in failures:
        print("\n" + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
