"""Helpers for the sweep tests: tiny sweep files written into a temporary directory."""
import os

from cli_common import CONFIGS, SOURCE

TOOLS = os.path.join(SOURCE, "tools")


def write_sweep(directory, body, base="run7.toml", name="sweep.toml"):
    """A sweep file over configs/epstein/BASE with `body` (the [sweep] and [factors] tables) appended."""
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(f'base = ["{os.path.join(CONFIGS, base)}"]\n{body}')
    return path


SMALL = """
[sweep]
replicates = 2
seed = 11
set = ["world.width=20", "world.height=20", "run.steps=40"]

[factors]
"cops.density" = [0.0, 0.03]
"rules.schedule" = ["async", "sync"]
"""
