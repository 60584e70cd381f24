"""Bad input everywhere (robustness issue, point 4): a table of malformed configs, sweep files, design CSVs and
map rasters. Each must end with exit code 2 and one error line naming the file and the place (key, line,
column, row or layer); none may crash, hang or leave output behind (the -o file, its .part, a sweep directory).

A case is (kind, defect, name, files, args, needles): `files` are written into a fresh directory (bytes, text,
or a function of the path that builds the file), `{d}` in args and needles is that directory, and every needle
must appear in the error line."""
import os
import resource
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import h5py
import numpy as np

from cli_common import CONFIGS, KEEPSIM, SOURCE, check, main

SANITIZED = any(v in os.environ for v in ("ASAN_OPTIONS", "TSAN_OPTIONS", "UBSAN_OPTIONS"))
TIMEOUT = 90 if SANITIZED else 20  # seconds; a case that runs longer hangs
RUN7 = os.path.abspath(os.path.join(CONFIGS, "run7.toml"))
DEFAULT = os.path.abspath(os.path.join(SOURCE, "configs", "scenarios", "default.toml"))
QUICK = os.path.abspath(os.path.join(SOURCE, "configs", "sweeps", "quick.toml"))
# Small and fast, so that a bad input that slips through finishes instead of running for minutes.
SMALL = '["world.width=10", "world.height=10", "run.steps=2", "citizens.vision=2", "cops.vision=2"]'
W, H = 20, 15  # the raster's shape (width, height): not square, so a transposed layer shows

CASES = []


def case(kind, defect, name, files, args, needles):
    CASES.append((kind, defect, name, files, args, needles))


# ---------------------------------------------------------------------------------------------- configs
def config(defect, name, text, needles, extra=(), command="run"):
    """A config file c.toml run (or validated, or mapped) on its own; needles name the file by default."""
    args = [command, "{d}/c.toml", *extra] + (["-o", "{d}/o.h5"] if command in ("run", "map") else [])
    case("config", defect, name, {"c.toml": text}, args, ["{d}/c.toml", *needles])


def override(defect, name, sets, needles, base=RUN7):
    args = ["run", base, "-o", "{d}/o.h5"]
    for s in sets:
        args += ["--set", s] if not isinstance(s, tuple) else list(s)
    case("config", defect, name, {}, args, needles)


config("wrong type", "string for an integer", '[world]\nwidth = "forty"\n', ["world.width", "[1, 65535]"])
config("wrong type", "array for a table", "citizens = [1, 2]\n", ["'citizens'", "[citizens]"])
config("wrong type", "array of tables for a table", "[[cops]]\ndensity = 0.1\n", ["'cops'", "[cops]"])
config("wrong type", "float for an integer", "[run]\nsteps = 10.5\n", ["run.steps", "integer"])
config("wrong type", "bool for a string", "title = true\n", ["'title'", "string"])
config("wrong type", "integer for a bool", "[legitimacy]\nlocal = 1\n", ["legitimacy.local", "true or false"])
config("wrong type", "date for an integer", "[run]\nseed = 1979-05-27\n", ["run.seed", "date"])
config("wrong type", "array for a number", "[citizens]\nvision = [7]\n", ["citizens.vision", "array"])
config("wrong type", "table for a number", "[citizens]\nvision = {radius = 7}\n", ["citizens.vision", "table"])
config("wrong type", "unknown choice", '[rules]\nschedule = "parallel"\n', ["rules.schedule", "async, sync"])
# One schema serves both models, so an Epstein config can name a key only the peacekeeping model reads: set away
# from its default it would do nothing, and is refused (models/registry.cpp).
config("wrong model", "a peacekeeping key in an Epstein config", "[spoilers]\nenabled = true\n",
       ["spoilers.enabled", "peacekeeping model"])
override("wrong model", "a peacekeeping key set on an Epstein config", ["participation.precipitant_days=2"],
         ["--set", "participation.precipitant_days", "peacekeeping model"])
override("wrong type", "--set a word for a bool", ["legitimacy.local=yes"], ["--set", "legitimacy.local"])
config("out of range", "negative", "[cops]\nvision = -2\n", ["cops.vision", "[0, 1000]"])
config("out of range", "above max", "[world]\nwidth = 65536\n", ["world.width", "[1, 65535]"])
config("out of range", "nan", "[citizens]\nlegitimacy = nan\n", ["citizens.legitimacy", "nan"])
config("out of range", "inf", "[citizens]\nvision = inf\n", ["citizens.vision", "[0, 1000]"])
config("out of range", "-inf", "[jail]\nmax_term = -inf\n", ["jail.max_term"])
config("out of range", "densities above 1", "[citizens]\ndensity = 0.9\n[cops]\ndensity = 0.2\n",
       ["cops.density", "at most 1"])
config("out of range", "peacekeeping: no regions", 'model = "peacekeeping"\n[map]\nregions = 0\n',
       ["map.regions", "[1, 65534]"])
config("out of range", "peacekeeping: unknown border edge",
       'model = "peacekeeping"\n[map]\nsource = "generate"\nborder = "westward"\n', ["map.border", "west"])
config("out of range", "peacekeeping: map file not named", 'model = "peacekeeping"\n[map]\nsource = "file"\n',
       ["map.file"])
override("out of range", "--seed negative", [("--seed", "-1")], ["--seed", "run.seed"])
config("unknown key", "top level, close to a key", 'tittle = "x"\n', ["'tittle'", "did you mean 'title'"])
config("unknown key", "nested, close to a key", "[citizens]\nvison = 7\n",
       ["citizens.vison", "did you mean 'citizens.vision'"])
config("unknown key", "misspelt table", "[citizen]\nvision = 7\n", ["citizen.vision", "'citizens.vision'"])
config("unknown key", "empty unknown table", "[nothing]\n", ["'nothing'"])
config("unknown key", "sub-table of a parameter table", "[map.generator]\nseed = 1\n",
       ["map.generator.seed", "did you mean 'map.seed'"])
override("unknown key", "--set misspelt key", ["cops.densty=0.1"], ["--set", "'cops.density'"])
config("duplicate key", "key twice", "[world]\nwidth = 10\nwidth = 20\n", ["line 3"])
config("duplicate key", "table twice", "[world]\nwidth = 10\n[cops]\nvision = 1\n[world]\nheight = 10\n",
       ["line 5"])
config("duplicate key", "dotted key, then its table", "world.width = 10\n[world]\nheight = 10\n", ["line 2"])
config("duplicate key", "inline table, then its table", "citizens = {vision = 1}\n[citizens]\nthreshold = 0.1\n",
       ["line 2"])
config("truncated", "mid-string", 'model = "epstein"\n\ntitle = "default cou', ["line 3"])
config("truncated", "mid-table header", 'title = "x"\n[citiz', ["line 2"])
config("truncated", "mid-value", "[citizens]\nvision = ", ["line 2"])
with open(DEFAULT) as _f:
    _text = _f.read()
_cut = _text.index('"generate"') + 4  # inside the string map.source = "generate"
config("truncated", "real scenario cut mid-string", _text[:_cut], [f"line {_text[:_cut].count(chr(10)) + 1}"])
config("non-UTF-8", "in a key", b"[citizens]\nvis\xffion = 7\n", ["line 2"])
config("non-UTF-8", "in a string value", b'title = "caf\xe9"\n', ["line 1"])
config("non-UTF-8", "in a comment", b"[world]\n# caf\xe9\nwidth = 10\n", ["line 2"])
config("non-UTF-8", "overlong encoding", b'title = "\xc0\xaf"\n', ["line 1"])
config("non-UTF-8", "UTF-16 file", "title = 'x'\n".encode("utf-16"), ["line 1"])
config("non-UTF-8", "NUL byte", b'title = "a\x00b"\n', ["line 1"])
override("non-UTF-8", "--set a string", [b"title=caf\xe9"], ["--set", "'title'", "UTF-8"])
config("huge number", "1e400", "[citizens]\nvision = 1e400\n", ["line 2"])
config("huge number", "integer beyond 64 bits", "[run]\nseed = 99999999999999999999\n", ["line 2"])
config("huge number", "grid width 10^12", "[world]\nwidth = 1000000000000\n", ["world.width"])
config("huge number", "steps 10^18", "[run]\nsteps = 1000000000000000000\n", ["run.steps"])
override("huge number", "--steps 10^18", [("--steps", "1000000000000000000")], ["--steps", "run.steps"])
override("huge number", "--set integer beyond 64 bits", ["world.width=99999999999999999999"],
         ["--set", "world.width", "64-bit"])
override("huge number", "--set 1e400", ["citizens.vision=1e400"], ["--set", "citizens.vision"])
config("huge number", "grid above 2e9 cells", "[world]\nwidth = 65535\nheight = 65535\n", ["world.width"])
config("huge input", "table header nested 100000 deep", "[" + ".".join(["a"] * 100000) + "]\n", ["line 1"])
config("huge input", "dotted key nested 100000 deep", "x = 1\n" + ".".join(["a"] * 100000) + " = 1\n", ["line 2"])
config("huge input", "key of 300000 characters", "k" * 300000 + " = 1\n", ["is not a parameter"])
config("empty / garbage", "binary garbage", b"\x00\x01\x02\x03", ["line 1"])
case("config", "directory or missing", "config is a directory", {"dir/x": ""}, ["run", "{d}/dir", "-o", "{d}/o.h5"],
     ["{d}/dir", "directory"])
case("config", "directory or missing", "config missing", {}, ["run", "{d}/nope.toml", "-o", "{d}/o.h5"],
     ["{d}/nope.toml"])
case("config", "directory or missing", "second config missing", {}, ["run", RUN7, "{d}/nope.toml", "-o", "{d}/o.h5"],
     ["{d}/nope.toml"])
config("unknown key", "validate: misspelt key", "[cops]\nvison = 7\n", ["cops.vision"], command="validate")
config("wrong type", "map: string for a number", '[map]\ntowns = "eight"\n', ["map.towns"], command="map")


# ---------------------------------------------------------------------------------------------- sweeps
def sweep(defect, name, body, needles, files=None, base=True, raw=False):
    """A sweep file s.toml (over run7, small and short unless `raw`) run into {d}/out."""
    if raw:
        text = body
    else:
        head = f'base = ["{RUN7}"]\n' if base else ""
        text = head.encode() + body if isinstance(body, bytes) else head + body
    case("sweep", defect, name, {"s.toml": text, **(files or {})}, ["sweep", "{d}/s.toml", "-o", "{d}/out"],
         ["{d}/s.toml", *needles])


S = f"[sweep]\nset = {SMALL}\n"  # lines 2-3 of a sweep with a base

sweep("empty", "zero-byte sweep file", "", ["empty"], raw=True)
sweep("empty", "only comments", "# a sweep\n\n# to be written\n", ["empty"], raw=True)
sweep("wrong type", "base a number", "base = 5\n", ["s.toml:1:8", "'base'"], raw=True)
sweep("wrong type", "design a number", S + "design = 3\n", ["s.toml:4:", "sweep.design"])
sweep("wrong type", "replicates a string", S + 'replicates = "two"\n', ["s.toml:4:", "sweep.replicates"])
sweep("wrong type", "replicates a float", S + "replicates = 2.5\n", ["s.toml:4:", "sweep.replicates"])
sweep("wrong type", "set a string, not a list", '[sweep]\nset = "world.width=20"\n', ["s.toml:3:", "sweep.set"])
sweep("wrong type", "sweep an array, not a table", "sweep = [1]\n", ["s.toml:2:", "'sweep'"])
sweep("wrong type", "factors an array, not a table", "factors = [1]\n" + S, ["s.toml:2:", "'factors'"])
sweep("wrong type", "factor level a string", S + '[factors]\n"cops.density" = ["low"]\n',
      ["s.toml:5:", "cops.density", "expected a number"])
sweep("wrong type", "factor level an array", S + '[factors]\n"cops.density" = [[0.1]]\n', ["s.toml:5:", "cops.density"])
sweep("wrong type", "range bound a string", S + '[factors]\n"cops.density" = {first = "a", step = 0.1, last = 1}\n',
      ["s.toml:5:", "cops.density", "first"])
sweep("wrong type", "factor a bare number", S + '[factors]\n"cops.density" = 0.1\n', ["s.toml:5:", "cops.density"])
sweep("wrong type", "set item a number", "[sweep]\nset = [1]\n", ["s.toml:3:", "sweep.set"])
sweep("wrong type", "set item of the wrong type", '[sweep]\nset = ["world.width=abc"]\n',
      ["s.toml:3:", "world.width", "integer"])
sweep("wrong type", "configs level a number", S + "[factors]\nconfigs = [1]\n", ["s.toml:5:", "configs"])
sweep("out of range", "replicates 0", S + "replicates = 0\n", ["s.toml:4:", "sweep.replicates"])
sweep("out of range", "seed negative", S + "seed = -1\n", ["s.toml:4:", "sweep.seed"])
sweep("out of range", "level above max", S + '[factors]\n"world.width" = [10, 70000]\n',
      ["s.toml:5:", "world.width", "[1, 65535]"])
sweep("out of range", "level nan", S + '[factors]\n"cops.density" = [nan]\n', ["s.toml:5:", "cops.density", "nan"])
sweep("out of range", "range to inf", S + '[factors]\n"cops.density" = {first = 0, step = 0.01, last = inf}\n',
      ["s.toml:5:", "cops.density"])
sweep("out of range", "distribution over -inf..inf",
      '[sweep]\ndesign = "lhs"\nsamples = 4\n[factors]\n"world.width" = {distribution = "uniform", '
      'low = -inf, high = inf}\n', ["s.toml:6:", "world.width"])
sweep("out of range", "distribution low nan",
      '[sweep]\ndesign = "lhs"\nsamples = 4\n[factors]\n"cops.density" = {distribution = "uniform", '
      'low = nan, high = 0.1}\n', ["s.toml:6:", "cops.density"])
sweep("out of range", "integer distribution with no whole number",
      '[sweep]\ndesign = "lhs"\nsamples = 4\n[factors]\n"world.width" = {distribution = "uniform", '
      'low = 20.2, high = 20.8}\n', ["s.toml:6:", "world.width", "no whole number"])
sweep("out of range", "sample breaks a cross-parameter rule", S + '[factors]\n"cops.density" = [0.1, 0.5]\n',
      ["s.toml:5:", "at most 1"])
sweep("unknown key", "misspelt top-level table", S + '[factor]\n"cops.density" = [0.1]\n',
      ["s.toml:4:", "'factor'", "factors"])
sweep("unknown key", "misspelt sweep key", "[sweep]\nreplicate = 3\n", ["s.toml:3:", "sweep.replicate", "replicates"])
sweep("unknown key", "misspelt factor", S + '[factors]\n"cops.densty" = [0.1]\n',
      ["s.toml:5:", "did you mean 'cops.density'"])
sweep("unknown key", "misspelt factor field", S + '[factors]\n"cops.density" = {values = [0.1], steps = 1}\n',
      ["s.toml:5:", "cops.density", "'steps'"])
sweep("unknown key", "unknown distribution",
      '[sweep]\ndesign = "lhs"\nsamples = 4\n[factors]\n"cops.density" = {distribution = "normal", '
      'low = 0, high = 0.1}\n', ["s.toml:6:", "cops.density", "uniform"])
sweep("unknown key", "csv without design csv", S + 'csv = "d.csv"\n', ["s.toml:4:", "sweep.csv", "design"],
      files={"d.csv": "cops.density\n0.01\n"})
sweep("duplicate key", "TOML key twice", "[sweep]\nreplicates = 2\nreplicates = 3\n", ["s.toml:4:"])
sweep("duplicate key", "table twice", S + '[factors]\n"cops.density" = [0.1]\n[sweep]\nseed = 3\n', ["s.toml:6:"])
sweep("duplicate key", "factor twice (quoted and nested)",
      S + '[factors]\n"cops.density" = [0.01]\n[factors.cops]\ndensity = [0.02]\n',
      ["s.toml:7:", "cops.density", "s.toml:5:"])
sweep("duplicate key", "factor with values and a range",
      S + '[factors]\n"cops.density" = {values = [0.01], first = 0, step = 0.01, last = 0.02}\n',
      ["s.toml:5:", "cops.density", "values"])
sweep("duplicate key", "level twice in a factor", S + '[factors]\n"cops.density" = [0.01, 0.02, 0.01]\n',
      ["s.toml:5:", "cops.density", "twice"])
sweep("truncated", "mid-string", S + '[factors]\n"cops.dens', ["s.toml:5:"])
sweep("truncated", "mid-inline table", S + '[factors]\n"cops.density" = {first = 0, step = 0.', ["s.toml:5:"])
with open(QUICK) as _f:
    _quick = _f.read()
_qcut = _quick.index("0.02") + 2
sweep("truncated", "real sweep cut mid-array", _quick[:_qcut], [f"s.toml:{_quick[:_qcut].count(chr(10)) + 1}:"],
      raw=True)
sweep("non-UTF-8", "in a factor key", (S + '[factors]\n"cops.d\xe9nsity" = [0.1]\n').encode("latin-1"), ["s.toml:5:"])
sweep("non-UTF-8", "in a level", (S + '[factors]\n"rules.schedule" = ["sync\xff"]\n').encode("latin-1"),
      ["s.toml:5:"])
sweep("huge number", "replicates 10^18", S + "replicates = 1000000000000000000\n",
      ["s.toml:4:", "sweep.replicates", "at most"])
sweep("huge number", "lhs samples 10^18",
      '[sweep]\ndesign = "lhs"\nsamples = 1000000000000000000\n[factors]\n"cops.density" = '
      '{distribution = "uniform", low = 0, high = 0.01}\n', ["s.toml:4:", "sweep.samples", "at most"])
sweep("huge number", "saltelli samples 10^17",
      '[sweep]\ndesign = "saltelli"\nsamples = 100000000000000000\n[factors]\n"cops.density" = '
      '{distribution = "uniform", low = 0, high = 0.01}\n', ["s.toml:4:", "sweep.samples", "at most"])
sweep("huge number", "range step 1e-300", S + '[factors]\n"cops.density" = {first = 0, step = 1e-300, last = 0.01}\n',
      ["s.toml:5:", "cops.density", "at most"])
_seven = "".join(f'"{k}" = [{", ".join(str(v / 1000) for v in range(10))}]\n' for k in (
    "cops.density", "citizens.threshold", "citizens.legitimacy", "citizens.arrest_constant", "legitimacy.target",
    "demography.clone_probability", "citizens.group_share"))
sweep("huge number", "factorial of 10^7 samples", S + "[factors]\n" + _seven, ["s.toml:", "at most"])
sweep("huge input", "factor table nested 100000 deep", S + "[factors." + ".".join(["a"] * 100000) + "]\n",
      ["s.toml:4"])
sweep("huge number", "integer beyond 64 bits", "[sweep]\nseed = 99999999999999999999\n", ["s.toml:3:"])
sweep("huge number", "level 1e400", S + '[factors]\n"cops.density" = [1e400]\n', ["s.toml:5:"])
sweep("huge number", "grid width 10^12", S + '[factors]\n"world.width" = [1000000000000]\n',
      ["s.toml:5:", "world.width"])
case("sweep", "directory or missing", "base config missing", {"s.toml": 'base = ["nope.toml"]\n'},
     ["sweep", "{d}/s.toml", "-o", "{d}/out"], ["{d}/nope.toml"])
case("sweep", "directory or missing", "base config a directory", {"s.toml": 'base = ["sub"]\n', "sub/x": ""},
     ["sweep", "{d}/s.toml", "-o", "{d}/out"], ["{d}/sub", "directory"])
case("sweep", "wrong type", "base config has a bad key", {"s.toml": 'base = ["b.toml"]\n', "b.toml": "[cops]\nvison = 1\n"},
     ["sweep", "{d}/s.toml", "-o", "{d}/out"], ["{d}/b.toml", "cops.vision"])
case("sweep", "directory or missing", "config level missing",
     {"s.toml": f'base = ["{RUN7}"]\n{S}[factors]\nconfigs = ["nope.toml"]\n'},
     ["sweep", "{d}/s.toml", "-o", "{d}/out"], ["{d}/nope.toml"])
case("sweep", "directory or missing", "sweep file a directory", {"s/x": ""}, ["sweep", "{d}/s", "-o", "{d}/out"],
     ["{d}/s", "directory"])
case("sweep", "directory or missing", "sweep file missing", {}, ["sweep", "{d}/nope.toml", "-o", "{d}/out"],
     ["{d}/nope.toml"])
case("sweep", "directory or missing", "--collect without a manifest", {"out/x": ""}, ["sweep", "--collect", "{d}/out"],
     ["{d}/out/manifest.toml"])
case("sweep", "truncated", "--collect with a truncated manifest", {"out/manifest.toml": 'source = "s.toml"\ndesign = "fac'},
     ["sweep", "--collect", "{d}/out"], ["{d}/out/manifest.toml:2:"])


# ---------------------------------------------------------------------------------------------- design CSVs
def csv(defect, name, data, needles):
    sweep_text = f'base = ["{RUN7}"]\n{S}design = "csv"\ncsv = "d.csv"\n'
    case("csv", defect, name, {"s.toml": sweep_text, "d.csv": data}, ["sweep", "{d}/s.toml", "-o", "{d}/out"],
         ["{d}/d.csv", *needles])


csv("empty", "zero-byte CSV", "", ["empty"])
csv("empty", "only comments and blank lines", "# design\n\n   \n", ["empty"])
csv("empty", "header only", "cops.density\n", ["empty"])
csv("duplicate key", "column twice", "cops.density,rules.schedule,cops.density\n0.01,sync,0.02\n",
    ["d.csv:1:3", "cops.density", "column 1"])
csv("duplicate key", "column twice, once quoted", 'cops.density,"cops.density"\n0.01,0.02\n', ["d.csv:1:2", "cops.density"])
csv("unknown key", "misspelt column", "cops.density,citizen.legitimacy\n0.01,0.5\n",
    ["d.csv:1:2", "did you mean 'citizens.legitimacy'"])
csv("unknown key", "empty column name", "cops.density,,rules.schedule\n0.01,1,sync\n", ["d.csv:1:2"])
csv("wrong type", "word for a number", "cops.density\n0.01\nlow\n", ["d.csv:3:1", "cops.density", "number"])
csv("wrong type", "float for an integer", "world.width\n20.5\n", ["d.csv:2:1", "world.width", "integer"])
csv("wrong type", "word for a bool", "legitimacy.local\nyes\n", ["d.csv:2:1", "legitimacy.local"])
csv("wrong type", "unknown choice", "rules.schedule\nparallel\n", ["d.csv:2:1", "rules.schedule", "async, sync"])
csv("out of range", "negative", "cops.density\n0.01\n-0.1\n", ["d.csv:3:1", "cops.density", "[0, 1]"])
csv("out of range", "above max", "world.width\n10\n70000\n", ["d.csv:3:1", "world.width", "[1, 65535]"])
csv("out of range", "nan", "cops.density\nnan\n", ["d.csv:2:1", "cops.density", "nan"])
csv("out of range", "inf", "citizens.vision\ninf\n", ["d.csv:2:1", "citizens.vision"])
csv("out of range", "row breaks a cross-parameter rule", "cops.density\n0.01\n0.5\n", ["d.csv:3", "at most 1"])
csv("huge number", "1e400", "citizens.vision\n1e400\n", ["d.csv:2:1", "citizens.vision"])
csv("huge number", "integer beyond 64 bits", "run.steps\n99999999999999999999\n", ["d.csv:2:1", "run.steps"])
csv("huge number", "grid width 10^12", "world.width\n1000000000000\n", ["d.csv:2:1", "world.width"])
csv("truncated", "cut after a comma", "cops.density,citizens.legitimacy\n0.01,0.5\n0.02,", ["d.csv:3:2"])
csv("truncated", "cut mid-row", "cops.density,citizens.legitimacy\n0.01,0.5\n0.0", ["d.csv:3:", "fields"])
csv("truncated", "cut inside a quoted field", 'cops.density,title\n0.01,"a run\n0.02,"a', ["d.csv:"])
csv("truncated", "row longer than the header", "cops.density\n0.01,0.5\n", ["d.csv:2:", "fields"])
csv("non-UTF-8", "in a header", b"cops.d\xe9nsity\n0.01\n", ["d.csv:1:", "UTF-8"])
csv("non-UTF-8", "in a string value", b"cops.density,title\n0.01,caf\xe9\n", ["d.csv:2:", "UTF-8"])
csv("non-UTF-8", "UTF-16 file", "cops.density\n0.01\n".encode("utf-16"), ["d.csv:1:"])
csv("non-UTF-8", "NUL byte in a value", b"cops.density,title\n0.01,a\x00b\n", ["d.csv:2:"])
case("csv", "directory or missing", "CSV a directory",
     {"s.toml": f'base = ["{RUN7}"]\n{S}design = "csv"\ncsv = "d.csv"\n', "d.csv/x": ""},
     ["sweep", "{d}/s.toml", "-o", "{d}/out"], ["{d}/d.csv", "directory"])
case("csv", "directory or missing", "CSV missing", {"s.toml": f'base = ["{RUN7}"]\n{S}design = "csv"\ncsv = "d.csv"\n'},
     ["sweep", "{d}/s.toml", "-o", "{d}/out"], ["{d}/d.csv"])


# ---------------------------------------------------------------------------------------------- rasters
def make_base_raster(directory):
    path = os.path.join(directory, "base.h5")
    p = subprocess.run([KEEPSIM, "map", DEFAULT, "-o", path, "--set", f"world.width={W}", "--set",
                        f"world.height={H}"], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"keepsim map failed: {p.stderr}")
    return path


BASE_RASTER = None  # set in test_bad_input_table


def edit(fn):
    """A raster builder: the base raster, copied and changed by fn(h5py.File)."""
    def build(path):
        shutil.copy(BASE_RASTER, path)
        with h5py.File(path, "r+") as f:
            fn(f)
    return build


def cut(size):
    """A raster builder: the base raster's first `size` bytes (a fraction of it when below 1)."""
    def build(path):
        with open(BASE_RASTER, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[:int(len(data) * size) if size < 1 else size])
    return build


def replace(name, data, **kw):
    def fn(f):
        del f[name]
        f.create_dataset(name, data=data, **kw)
    return fn


def poke(name, value, dtype=None, cell=(3, 5)):
    """Layer `name` with one cell set to value (rewritten with `dtype` when given)."""
    def fn(f):
        a = f[name][()].astype(dtype or f[name].dtype)
        a[cell] = value
        del f[name]
        f.create_dataset(name, data=a)
    return fn


def raster(defect, name, build, needles, command="run", sets=()):
    args = [command, DEFAULT, "--set", "map.source=file", "--set", "map.file={d}/r.h5", "--set", f"world.width={W}",
            "--set", f"world.height={H}", "--set", "run.steps=2", *[x for s in sets for x in ("--set", s)]]
    if command in ("run", "map"):
        args += ["-o", "{d}/o.h5"]
    case("raster", defect, name, {"r.h5": build}, args, ["{d}/r.h5", *needles])


def corrupt_chunk(path):
    """The base raster with the compressed data of layer urban overwritten by garbage."""
    shutil.copy(BASE_RASTER, path)
    with h5py.File(path, "r") as f:
        offset, size = f["urban"].id.get_chunk_info(0).byte_offset, f["urban"].id.get_chunk_info(0).size
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(bytes((i * 37 + 11) % 256 for i in range(size)))


raster("empty", "zero-byte raster", b"", ["map.file", "not an HDF5 file"])
raster("truncated", "truncated to half", cut(0.5), ["map.file"])
raster("truncated", "truncated to 8 bytes", cut(8), ["map.file"])
raster("truncated", "truncated after the superblock", cut(1200), ["map.file"])
raster("truncated", "compressed chunk overwritten", corrupt_chunk, ["urban"])
raster("wrong type", "a text file", "region = 1\n", ["map.file", "not an HDF5 file"])
raster("wrong shape", "one layer narrower than the others", edit(replace("urban", np.zeros((H, W - 1), "f4"))),
       ["urban", f"({H}, {W - 1})"])
raster("wrong shape", "layers transposed", edit(lambda f: [replace(n, f[n][()].T)(f) for n in list(f) if n not in "xy"]),
       ["region", f"({W}, {H})"])
raster("wrong shape", "raster smaller than world.width", edit(lambda f: None), ["region", f"({H}, {W + 1})"],
       sets=[f"world.width={W + 1}"])
raster("wrong shape", "extra leading dimension", edit(lambda f: replace("region", f["region"][()][None])(f)),
       ["region", f"(1, {H}, {W})"])
raster("wrong shape", "flattened to 1-D", edit(lambda f: replace("road", f["road"][()].ravel())(f)),
       ["road", f"({H * W})"])
raster("wrong shape", "scalar layer", edit(replace("border", 0)), ["border", "shape"])
raster("wrong shape", "empty layer", edit(replace("homeland", np.zeros((0, 0), "u1"))), ["homeland", "(0, 0)"])
raster("wrong shape", "missing layer", edit(lambda f: f.__delitem__("installation")), ["installation", "missing"])
raster("wrong shape", "layer is a group", edit(lambda f: (f.__delitem__("homeland"), f.create_group("homeland"))),
       ["homeland", "dataset"])
raster("wrong shape", "layer is a dangling link",
       edit(lambda f: (f.__delitem__("road"), f.__setitem__("road", h5py.SoftLink("/nowhere")))), ["road"])
raster("wrong shape", "layer is an external link to nothing",
       edit(lambda f: (f.__delitem__("road"), f.__setitem__("road", h5py.ExternalLink("nope.h5", "/road")))),
       ["road"])
raster("wrong type", "strings in a layer", edit(replace("urban", np.full((H, W), b"x", "S1"))),
       ["urban", "non-numeric"])
raster("wrong type", "compound layer", edit(replace("road", np.zeros((H, W), [("a", "u1"), ("b", "f4")]))),
       ["road", "non-numeric"])
raster("wrong type", "compressed with a filter keepsim lacks (lzf)",
       edit(lambda f: replace("urban", f["urban"][()], compression="lzf")(f)), ["urban", "cannot read"])
raster("wrong type", "fraction in an integer layer", edit(poke("road", 0.5, "f8")), ["road", "(y, x) = (3, 5)"])
raster("out of range", "homeland 2", edit(poke("homeland", 2)), ["homeland", "(y, x) = (3, 5)", "0 or 1"])
raster("out of range", "installation 7", edit(poke("installation", 7)), ["installation", "(y, x) = (3, 5)"])
raster("out of range", "negative installation", edit(poke("installation", -1, "i1")), ["installation", "(3, 5)"])
raster("out of range", "region 65535 (the fill value)", edit(poke("region", 65535)), ["region", "(3, 5)"])
raster("out of range", "nan urban", edit(poke("urban", np.nan)), ["urban", "(3, 5)", "nan"])
raster("out of range", "inf urban", edit(poke("urban", np.inf)), ["urban", "(3, 5)"])
raster("huge number", "region 2^62", edit(poke("region", 2 ** 62, "i8")), ["region", "(3, 5)"])
raster("huge number", "urban 1e300", edit(poke("urban", 1e300, "f8")), ["urban", "(3, 5)"])
case("raster", "directory or missing", "raster a directory", {"r.h5/x": ""},
     ["run", DEFAULT, "--set", "map.source=file", "--set", "map.file={d}/r.h5", "-o", "{d}/o.h5"], ["{d}/r.h5"])
case("raster", "directory or missing", "raster missing", {},
     ["run", DEFAULT, "--set", "map.source=file", "--set", "map.file={d}/r.h5", "-o", "{d}/o.h5"], ["{d}/r.h5"])
raster("wrong shape", "validate: missing layer", edit(lambda f: f.__delitem__("urban")), ["urban", "missing"],
       command="validate")
raster("truncated", "map: truncated raster as the source", cut(0.5), ["map.file"], command="map")


# ---------------------------------------------------------------------------------------------- the runner
BAD = ("Traceback", "terminate called", "Aborted", "core dumped", "Segmentation", "Sanitizer", "runtime error:",
       "std::", "what():")


def listing(d):
    out = set()
    for root, dirs, files in os.walk(d):
        for name in dirs + files:
            out.add(os.path.relpath(os.path.join(root, name), d))
    return out


def prepare(files, d):
    for name, content in files.items():
        path = os.path.join(d, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if callable(content):
            content(path)
        else:
            with open(path, "wb") as f:
                f.write(content.encode() if isinstance(content, str) else content)


def fill(x, d):
    return x.replace(b"{d}", os.fsencode(d)) if isinstance(x, bytes) else x.replace("{d}", d)


def run_case(c, d):
    """The problems with one case (empty when it passes)."""
    kind, defect, name, files, args, needles = c
    before = listing(d)
    argv = [os.fsencode(KEEPSIM)] + [os.fsencode(fill(a, d)) if isinstance(a, str) else fill(a, d) for a in args]
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return [f"hung: no exit within {TIMEOUT} s"], time.monotonic() - t0
    secs = time.monotonic() - t0
    problems = []
    try:
        err = p.stderr.decode("utf-8")
    except UnicodeDecodeError:
        err = p.stderr.decode("utf-8", "replace")
        problems.append("the message is not valid UTF-8 (bad bytes should be escaped)")
    if p.returncode != 2:
        problems.append(f"exit code {p.returncode}, want 2")
    lines = [line for line in err.splitlines() if line.strip()]
    if len(lines) != 1 or not lines[0].startswith("keepsim: error: "):
        problems.append(f"want one line 'keepsim: error: ...', got {len(lines)} lines")
    for bad in BAD:
        if bad in err:
            problems.append(f"crash text {bad!r}")
    for needle in needles:
        needle = fill(needle, d)
        if needle not in err:
            problems.append(f"the message lacks {needle!r}")
    left = listing(d) - before
    if left:
        problems.append(f"left output behind: {sorted(left)}")
    if problems:
        problems.append(f"stderr: {err.strip()[:600]!r}")
    return problems, secs


def test_bad_input_table():
    global BASE_RASTER
    top = tempfile.mkdtemp(prefix="keepsim-badin-")
    BASE_RASTER = make_base_raster(top)
    dirs = []
    for i, c in enumerate(CASES):
        d = os.path.join(top, f"case{i:03d}")
        os.mkdir(d)
        prepare(c[3], d)
        dirs.append(d)
    if not SANITIZED:
        # A bad input that slips through to a huge allocation fails fast instead of swapping the machine.
        limit = 4 << 30
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run_case, CASES, dirs))
    if not SANITIZED:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    failures = []
    for c, (problems, secs) in zip(CASES, results):
        if problems:
            failures.append(f"[{c[0]} / {c[1]}] {c[2]}: " + "; ".join(problems))
    counts = {}
    for c in CASES:
        counts[c[0]] = counts.get(c[0], 0) + 1
    slowest = max(zip((s for _, s in results), (c[2] for c in CASES)))
    print(f"{len(CASES)} cases ({', '.join(f'{k} {n}' for k, n in counts.items())}) in "
          f"{time.monotonic() - t0:.1f} s; slowest {slowest[1]!r} {slowest[0]:.1f} s")
    for f in failures:
        print("  " + f)
    check(len(CASES) >= 70, f"only {len(CASES)} cases")
    check(not failures, f"{len(failures)} of {len(CASES)} cases failed")
    shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main([test_bad_input_table])
