"""What the Python checks of tests/python/ share: how a list of failures ends a check (one FAIL line each, then
"ok" or their count) and its exit status for CTest."""
from __future__ import annotations


def finish(failures: list[str]) -> int:
    for f in failures:
        print("FAIL:", f)
    print("ok" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0
