"""Bad sweep input (issue 4, "Bad input"): one clear error before any run starts, exit code 2, naming the
file, line or column, and the allowed values; no output directory is created."""
import os

from cli_common import check, keepsim, main, tmpdir
from sweep_common import write_sweep

CASES = [
    # (name, sweep body, extra files, expected fragments of the message)
    ("unknown key", '[factors]\n"cops.densty" = [0.1]\n', {}, ["sweep.toml:3:", "did you mean 'cops.density'"]),
    ("wrong sign of step", '[factors]\n"cops.density" = {first = 0, step = -0.01, last = 0.1}\n', {},
     ["sweep.toml:3:", "step -0.01", "sign of last - first"]),
    ("empty design", '[factors]\n"cops.density" = []\n', {}, ["sweep.toml:3:", "empty design"]),
    ("empty csv", '[sweep]\ndesign = "csv"\ncsv = "d.csv"\n', {"d.csv": "cops.density\n"},
     ["d.csv", "empty design"]),
    ("csv column not a parameter", '[sweep]\ndesign = "csv"\ncsv = "d.csv"\n',
     {"d.csv": "cops.density,citizen.legitimacy\n0.01,0.5\n"},
     ["d.csv:1:2", "column 2 is not a parameter", "citizens.legitimacy"]),
    ("csv value out of range", '[sweep]\ndesign = "csv"\ncsv = "d.csv"\n',
     {"d.csv": "cops.density,citizens.legitimacy\n0.01,0.5\n0.02,1.5\n"},
     ["d.csv:3:2", "1.5 is out of range", "allowed: [0, 1]"]),
    ("value out of range", '[factors]\n"cops.density" = [0.1, 2]\n', {}, ["sweep.toml:3:", "allowed: [0, 1]"]),
    ("unknown design", '[sweep]\ndesign = "grid"\n', {}, ["sweep.toml:3:", "allowed: factorial, lhs, saltelli, csv"]),
    ("unknown sweep key", '[sweep]\nreplicate = 3\n', {}, ["sweep.toml:3:", "allowed: design, replicates"]),
    ("lhs without samples", '[sweep]\ndesign = "lhs"\n[factors]\n"cops.density" = {distribution = "uniform", '
     'low = 0, high = 0.1}\n', {}, ["sweep.toml:3:", "samples >= 1"]),
    ("distribution in a factorial", '[factors]\n"cops.density" = {distribution = "uniform", low = 0, high = 1}\n',
     {}, ["sweep.toml:3:", "lhs"]),
    ("bad choice", '[factors]\n"rules.schedule" = ["async", "sideways"]\n', {},
     ["sweep.toml:3:", "allowed: one of: async, sync"]),
    ("a sample breaks a cross-parameter rule", '[factors]\n"cops.density" = [0.1, 0.5]\n', {},
     ["sweep.toml:3:", "at most 1"]),
    ("missing config file", '[factors]\nconfigs = ["nope.toml"]\n', {}, ["nope.toml", "cannot read"]),
]


def test_bad_sweeps():
    for name, body, files, fragments in CASES:
        d = tmpdir()
        for fname, text in files.items():
            with open(os.path.join(d, fname), "w") as f:
                f.write(text)
        out = os.path.join(d, "out")
        p = keepsim("sweep", write_sweep(d, body), "-o", out, check=False)
        check(p.returncode == 2, f"{name}: exit code {p.returncode}: {p.stderr}")
        for frag in fragments:
            check(frag in p.stderr, f"{name}: '{frag}' not in: {p.stderr}")
        check(p.stderr.count("\n") == 1, f"{name}: one line: {p.stderr}")
        check(not os.path.exists(out), f"{name}: nothing written before the error")


if __name__ == "__main__":
    main([test_bad_sweeps])
