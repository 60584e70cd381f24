#!/usr/bin/env python3
"""Checks keepsim_bench_peace's options on a small grid (no timing is asserted): --repeats adds up the runs of
several seeds over the same days (the agent-days of two runs are more than of one, and every run is timed over
--periods days after --skip untimed ones), the JSON file names them, and bad values exit with status 2.

    /usr/bin/python3 tests/python/test_bench_peace.py BENCH_BINARY

CTest passes $<TARGET_FILE:keepsim_bench_peace>. Outputs go to a temporary folder.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from checks import finish  # tests/python/checks.py, beside this file


def bench(binary: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "--size", "40", "--schedule", "sync", *args], capture_output=True, text=True,
                          timeout=300)


def main() -> int:
    binary = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        for repeats in (1, 2):
            out = Path(tmp) / f"r{repeats}.json"
            p = bench(binary, "--periods", "3", "--skip", "2", "--repeats", str(repeats), "--json", str(out))
            if p.returncode != 0:
                failures.append(f"--repeats {repeats}: exit {p.returncode}: {p.stderr}")
                continue
            if "3 periods after 2 untimed" not in p.stdout or f"{repeats} run(s)" not in p.stdout:
                failures.append(f"--repeats {repeats}: the heading does not say what was timed: {p.stdout!r}")
            runs[repeats] = json.loads(out.read_text())
        if len(runs) == 2:
            one, two = runs[1], runs[2]
            for key, want in (("periods", 3), ("skip", 2)):
                if one.get(key) != want or two.get(key) != want:
                    failures.append(f"JSON {key}: {one.get(key)} and {two.get(key)}, want {want}")
            if (one.get("repeats"), two.get("repeats")) != (1, 2):
                failures.append(f"JSON repeats: {one.get('repeats')} and {two.get('repeats')}, want 1 and 2")
            # The first seed's run is the same in both, so two runs time strictly more agent-days than one.
            for model in ("peacekeeping", "epstein_sync"):
                a, b = one[model]["agent_periods"], two[model]["agent_periods"]
                if not (0 < a < b):
                    failures.append(f"{model} agent_periods: {a} for one run, {b} for two")
        for bad in (["--repeats", "0"], ["--periods", "0"], ["--skip", "-1"]):
            p = bench(binary, *bad)
            if p.returncode != 2 or "must be" not in p.stderr:
                failures.append(f"{' '.join(bad)}: exit {p.returncode}, stderr {p.stderr!r} (want 2 and a reason)")
    return finish(failures)


if __name__ == "__main__":
    sys.exit(main())
