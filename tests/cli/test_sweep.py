"""keepsim sweep on one machine (issue 4): designs, table layout, seeds, jobs, failures, resume, Slurm array
mode with --collect, and the Python module opening the table the test just produced."""
import os
import sys

import h5py
import numpy as np

from cli_common import SOURCE, assert_same_datasets, check, keepsim, main, tmpdir
from sweep_common import SMALL, TOOLS, write_sweep

sys.path.insert(0, TOOLS)
import keepsim_io  # noqa: E402


def table(d):
    return keepsim_io.open_sweep(d)


def test_factorial_table_layout_and_python_module():
    d = tmpdir()
    sweep = write_sweep(d, SMALL)
    out = os.path.join(d, "out")
    keepsim("sweep", sweep, "-o", out, "-q")
    ds = table(out)
    check(ds.sizes["run"] == 8, f"2 x 2 levels x 2 replicates, got {ds.sizes}")
    check(list(ds["sample"].values) == [0, 0, 1, 1, 2, 2, 3, 3], "run = sample * replicates + replicate")
    check(list(ds["replicate"].values) == [0, 1] * 4, "replicates")
    check(list(ds["cops.density"].values) == [0, 0, 0, 0, 0.03, 0.03, 0.03, 0.03], "first factor slowest")
    check(keepsim_io.levels(ds["rules.schedule"]) == ["async", "sync"], "choices are level-coded")
    check(list(ds["rules.schedule"].values) == [0, 0, 1, 1] * 2, "second factor fastest")
    check((ds["status"].values == 0).all(), "every run ok")
    check(ds["seed"].dtype == np.int64 and len(set(ds["seed"].values)) == 8, "seeds distinct int64")
    check("summary_total_killed" in ds and np.isfinite(ds["summary_total_killed"].values).all(), "summaries")
    df = keepsim_io.sweep_frame(ds)
    check(list(df["rules.schedule"][:4]) == ["async", "async", "sync", "sync"], "labels in the frame")
    # Each run file carries its sweep coordinates and the derived seed.
    with h5py.File(os.path.join(out, "runs", "run_000005.h5"), "r") as f:
        check(int(f.attrs["sample"]) == 2 and int(f.attrs["replicate"]) == 1, "run attributes")
        check(int(f.attrs["seed"]) == int(ds["seed"].values[5]), "the run's seed is the table's")
        check(int(f.attrs["complete"]) == 1, "complete")
    # Stable: a second sweep gives the same seeds and the same results, with any number of jobs.
    out2 = os.path.join(d, "out2")
    keepsim("sweep", sweep, "-o", out2, "-q", "--jobs", "1")
    assert_same_datasets(os.path.join(out, "sweep.h5"), os.path.join(out2, "sweep.h5"))


def test_existing_directory_needs_resume_or_force():
    d = tmpdir()
    sweep = write_sweep(d, SMALL)
    out = os.path.join(d, "out")
    keepsim("sweep", sweep, "-o", out, "-q")
    p = keepsim("sweep", sweep, "-o", out, "-q", check=False)
    check(p.returncode == 2 and "--resume" in p.stderr, p.stderr)
    p = keepsim("sweep", sweep, "-o", out, "--resume")
    check("0 run now" in p.stdout, p.stdout)
    keepsim("sweep", sweep, "-o", out, "-q", "--force")
    other = write_sweep(d, SMALL.replace("seed = 11", "seed = 12"), name="other.toml")
    p = keepsim("sweep", other, "-o", out, "--resume", check=False)
    check(p.returncode == 2 and "another sweep" in p.stderr, p.stderr)


def test_failed_run_is_recorded_and_others_finish():
    d = tmpdir()
    sweep = write_sweep(d, SMALL)
    out = os.path.join(d, "out")
    os.makedirs(os.path.join(out, "runs", "run_000003.h5"))  # the run file cannot be renamed into place
    p = keepsim("sweep", sweep, "-o", out, "--resume", check=False)
    check(p.returncode == 1, f"exit 1 when a run failed: {p.returncode} {p.stderr}")
    ds = table(out)
    check(list(ds["status"].values) == [0, 0, 0, 1, 0, 0, 0, 0], f"status {ds['status'].values}")
    check(np.isnan(ds["summary_total_killed"].values[3]), "NaN for the failed run")
    check("run 3:" in ds.attrs["errors"] and "run_000003.h5" in ds.attrs["errors"], ds.attrs["errors"])
    check(os.path.exists(os.path.join(out, "runs", "run_000003.h5.error")), "error text beside the run")


def test_lhs_and_saltelli_designs():
    d = tmpdir()
    body = """
[sweep]
design = "{design}"
samples = 6
seed = 3
set = ["world.width=20", "world.height=20", "run.steps=20"]

[factors]
"cops.density" = {{ distribution = "uniform", low = 0.0, high = 0.06 }}
"citizens.legitimacy" = {{ distribution = "uniform", low = 0.5, high = 0.9 }}
"""
    out = os.path.join(d, "lhs")
    keepsim("sweep", write_sweep(d, body.format(design="lhs"), name="lhs.toml"), "-o", out, "-q")
    ds = table(out)
    check(ds.sizes["run"] == 6, "lhs: samples runs")
    for name, lo, hi in (("cops.density", 0.0, 0.06), ("citizens.legitimacy", 0.5, 0.9)):
        strata = np.floor((ds[name].values - lo) / (hi - lo) * 6).astype(int)
        check(sorted(strata) == list(range(6)), f"lhs: one point per stratum of {name}: {strata}")
    out = os.path.join(d, "saltelli")
    keepsim("sweep", write_sweep(d, body.format(design="saltelli"), name="s.toml"), "-o", out, "-q")
    ds = table(out)
    check(ds.sizes["run"] == 6 * (2 + 2), "saltelli: N * (d + 2) runs")
    x = np.stack([ds["cops.density"].values, ds["citizens.legitimacy"].values], axis=1).reshape(6, 4, 2)
    a, ab1, ab2, b = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    check(np.array_equal(ab1[:, 0], b[:, 0]) and np.array_equal(ab1[:, 1], a[:, 1]), "AB_1 = A with B's column 1")
    check(np.array_equal(ab2[:, 1], b[:, 1]) and np.array_equal(ab2[:, 0], a[:, 0]), "AB_2 = A with B's column 2")


def test_csv_design():
    d = tmpdir()
    with open(os.path.join(d, "design.csv"), "w") as f:
        f.write("cops.density,citizens.legitimacy\n0.01,0.8\n0.02,0.7\n")
    body = '[sweep]\ndesign = "csv"\ncsv = "design.csv"\nset = ["world.width=20", "world.height=20", "run.steps=20"]\n'
    out = os.path.join(d, "out")
    keepsim("sweep", write_sweep(d, body), "-o", out, "-q")
    ds = table(out)
    check(list(ds["cops.density"].values) == [0.01, 0.02], "csv rows")
    check(list(ds["citizens.legitimacy"].values) == [0.8, 0.7], "csv rows")


def test_array_tasks_then_collect_equal_one_sweep():
    d = tmpdir()
    sweep = write_sweep(d, SMALL)
    whole, parts = os.path.join(d, "whole"), os.path.join(d, "parts")
    keepsim("sweep", sweep, "-o", whole, "-q")
    for i in range(3):
        keepsim("sweep", sweep, "-o", parts, "-q", "--task-index", i, "--task-count", 3)
    check(not os.path.exists(os.path.join(parts, "sweep.h5")), "array tasks leave the table to --collect")
    keepsim("sweep", "--collect", parts, "-q")
    assert_same_datasets(os.path.join(whole, "sweep.h5"), os.path.join(parts, "sweep.h5"))
    # Slurm's variables give the same split (array indices need not start at 0).
    env = dict(os.environ, SLURM_ARRAY_TASK_ID="5", SLURM_ARRAY_TASK_MIN="4", SLURM_ARRAY_TASK_COUNT="3")
    import subprocess

    p = subprocess.run([sys.argv[1], "sweep", sweep, "-o", os.path.join(d, "slurm")], env=env,
                       capture_output=True, text=True)
    check(p.returncode == 0 and "task 1 of 3" in p.stdout, p.stdout + p.stderr)


def test_config_file_factor_and_doctrine_report():
    d = tmpdir()
    # Two Epstein configs stand in for doctrine presets: a config-file factor crossed with a lever.
    body = f"""
[sweep]
replicates = 3
set = ["world.width=20", "world.height=20", "run.steps=30"]

[factors]
configs = ["{os.path.join(SOURCE, 'configs', 'epstein', 'run7.toml')}",
           "{os.path.join(SOURCE, 'configs', 'epstein', 'run8.toml')}"]
"citizens.legitimacy" = [0.7, 0.8]
"""
    out = os.path.join(d, "out")
    keepsim("sweep", write_sweep(d, body), "-o", out, "-q")
    ds = table(out)
    check(ds.sizes["run"] == 12 and list(ds["configs"].values[::3]) == [0, 0, 1, 1], "config factor coded")
    check([os.path.basename(x) for x in keepsim_io.levels(ds["configs"])] == ["run7.toml", "run8.toml"], "levels")
    import subprocess

    p = subprocess.run([sys.executable, os.path.join(TOOLS, "compare_doctrines.py"), out, "--factor", "configs",
                        "--outcome", "summary_total_killed"], capture_output=True, text=True)
    check(p.returncode == 0, p.stderr)
    with open(os.path.join(out, "report", "report.md")) as f:
        text = f.read()
    check("| run7 | 6 |" in text and "| run8 | 6 |" in text, text)
    # The lever's own table: a row per value, each doctrine's mean, and the two levels' difference with its p.
    check("By `citizens.legitimacy`:" in text and "| 0.7 |" in text and "| 0.8 |" in text
          and "run7 - run8: total_killed (Mann-Whitney p)" in text, text)
    check(os.path.exists(os.path.join(out, "report", "outcome_total_killed.png")), "distribution plot")
    check(os.path.exists(os.path.join(out, "report", "lever_citizens.legitimacy_total_killed.png")), "lever plot")


def test_bundled_sweeps_validate():
    # Every bundled sweep file is read and checked (every sample's parameters) without running: a
    # task-count larger than the number of runs leaves nothing to run for task index = runs.
    sweeps = os.path.join(SOURCE, "configs", "sweeps")
    for name in sorted(os.listdir(sweeps)):
        if name.endswith(".toml"):
            p = keepsim("sweep", os.path.join(sweeps, name), "-o", os.path.join(tmpdir(), "v"), "-q",
                        "--task-index", 999999, "--task-count", 1000000, check=False)
            check(p.returncode == 0, f"{name}: {p.stderr}")


if __name__ == "__main__":
    main([test_factorial_table_layout_and_python_module, test_existing_directory_needs_resume_or_force,
          test_failed_run_is_recorded_and_others_finish, test_lhs_and_saltelli_designs, test_csv_design,
          test_array_tasks_then_collect_equal_one_sweep, test_config_file_factor_and_doctrine_report,
          test_bundled_sweeps_validate])
