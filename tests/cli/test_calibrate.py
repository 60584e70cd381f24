"""keepsim calibrate (docs/calibration.md, issue 13 item 3) end to end on Epstein's Model I on a 20 x 20 grid:
the posterior of citizens.legitimacy concentrates near the value that made the target; an interrupted
calibration resumed gives the same posterior.csv bytes; bad input names the file, the key and what is allowed;
tools/calibration_report.py writes its summary and plots."""
import csv
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

from cli_common import CONFIGS, KEEPSIM, SOURCE, check, keepsim, main, skip, tmpdir

TRUE_LEGITIMACY = 0.82
SET = '["world.width=20", "world.height=20", "cops.density=0.04"]'
STEPS = 40


def observed_target(d):
    """The target: summary_mean_active of runs at the known legitimacy, averaged over seeds (run here, so that
    the test follows the model rather than a number written down)."""
    sweep = os.path.join(d, "truth.toml")
    with open(sweep, "w") as f:
        f.write(f'base = ["{os.path.join(CONFIGS, "run1.toml")}"]\n[sweep]\nreplicates = 8\nseed = 99\n'
                f'set = ["world.width=20", "world.height=20", "cops.density=0.04", "run.steps={STEPS}",'
                f' "citizens.legitimacy={TRUE_LEGITIMACY}"]\n[factors]\n"jail.max_term" = [15]\n')
    keepsim("sweep", sweep, "-o", os.path.join(d, "truth"), "-q")
    import h5py

    with h5py.File(os.path.join(d, "truth", "sweep.h5"), "r") as f:
        values = np.asarray(f["summary_mean_active"][()], dtype=float)
    return float(values.mean()), float(values.std(ddof=1))


def write_calibration(d, obs, sd, method="rejection", extra="", name="cal.toml", samples=40):
    path = os.path.join(d, name)
    rounds = "rounds = 2\n" if method == "abc-smc" else ""
    with open(path, "w") as f:
        f.write(f"""
[calibration]
method = "{method}"
samples = {samples}
accept = 0.25
{rounds}replicates = 2
seed = 3
steps = {STEPS}
set = {SET}

[parameters]
"citizens.legitimacy" = {{ low = 0.6, high = 0.98 }}
{extra}
[cases.epstein]
configs = ["{os.path.join(CONFIGS, "run1.toml")}"]
targets.summary_mean_active = {{ observed = {obs!r}, sd = {sd!r} }}
""")
    return path


def posterior(dirname):
    with open(os.path.join(dirname, "posterior.csv")) as f:
        rows = list(csv.DictReader(f))
    x = np.array([float(r["citizens.legitimacy"]) for r in rows])
    w = np.array([float(r["weight"]) for r in rows])
    return x, w


def test_posterior_concentrates_near_the_known_value():
    d = tmpdir()
    obs, spread = observed_target(d)
    check(obs > 1, f"the target must respond to legitimacy (mean active {obs})")
    cal = write_calibration(d, obs, max(spread, 0.05 * obs), method="abc-smc")
    out = os.path.join(d, "out")
    t0 = time.time()
    keepsim("calibrate", cal, "-o", out, "--jobs", "2", "-q")
    x, w = posterior(out)
    mean = float(np.sum(w * x))
    sd = float(np.sqrt(np.sum(w * (x - mean) ** 2)))
    prior_sd = (0.98 - 0.6) / np.sqrt(12)
    print(f"  posterior mean {mean:.4f} sd {sd:.4f} (prior sd {prior_sd:.4f}), {time.time() - t0:.1f} s")
    check(abs(mean - TRUE_LEGITIMACY) < 0.04, f"posterior mean {mean} far from {TRUE_LEGITIMACY}")
    check(sd < prior_sd / 3, f"posterior sd {sd} not concentrated (prior sd {prior_sd})")
    with open(os.path.join(out, "diagnostics", "rounds.csv")) as f:
        rounds = list(csv.DictReader(f))
    check(len(rounds) == 2, rounds)
    check(float(rounds[1]["epsilon"]) <= float(rounds[0]["epsilon"]), f"epsilon grew: {rounds}")
    # The point estimate is a config layer keepsim accepts.
    point = os.path.join(out, "point_estimate.toml")
    keepsim("validate", os.path.join(CONFIGS, "run1.toml"), point)
    # The report tool reads the folder.
    p = subprocess.run([sys.executable, os.path.join(SOURCE, "tools", "calibration_report.py"), out],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, p.stderr)
    report = os.path.join(out, "report", "report.md")
    check(os.path.exists(report), "no report.md")
    check(os.path.exists(os.path.join(out, "report", "marginals.png")), "no marginals.png")
    with open(report) as f:
        check("citizens.legitimacy" in f.read(), "report does not name the parameter")


def test_interrupted_calibration_resumes_to_the_same_bytes():
    d = tmpdir()
    cal = write_calibration(d, 20.0, 2.0, method="abc-smc", samples=30)
    whole, cut = os.path.join(d, "whole"), os.path.join(d, "cut")
    keepsim("calibrate", cal, "-o", whole, "--jobs", "2", "-q")
    proc = subprocess.Popen([KEEPSIM, "calibrate", cal, "-o", cut, "--jobs", "1", "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    runs = os.path.join(cut, "round-0", "epstein", "runs")
    deadline = time.time() + 60
    while time.time() < deadline:
        names = os.listdir(runs) if os.path.isdir(runs) else []
        if sum(n.endswith(".h5") for n in names) >= 5:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    check(proc.returncode == 130, f"exit code {proc.returncode}: {err}")
    check("--resume" in err, err)
    check(not os.path.exists(os.path.join(cut, "posterior.csv")), "posterior from an interrupted calibration")
    p = keepsim("calibrate", cal, "-o", cut, check=False)
    check(p.returncode == 2 and "--resume" in p.stderr, f"reuse without --resume: {p.returncode} {p.stderr}")
    keepsim("calibrate", cal, "-o", cut, "--resume", "-q")
    for name in ("posterior.csv", "point_estimate.toml", os.path.join("diagnostics", "rounds.csv"),
                 os.path.join("diagnostics", "parameters.csv")):
        with open(os.path.join(whole, name), "rb") as a, open(os.path.join(cut, name), "rb") as b:
            # point_estimate.toml names its own folder in a comment
            check(a.read().replace(whole.encode(), b"DIR") == b.read().replace(cut.encode(), b"DIR"),
                  f"{name} differs after resume")


def test_bad_input_names_file_key_and_range():
    d = tmpdir()
    cases = [
        ('"citizens.legitimcy" = { low = 0.1, high = 0.2 }\n', "citizens.legitimcy", "citizens.legitimacy"),
        ('"cops.vision" = { low = -1.0, high = 2.0 }\n', "cops.vision", "allowed"),
    ]
    for i, (extra, key, hint) in enumerate(cases):
        cal = write_calibration(d, 1.0, 0.1, extra=extra, name=f"bad{i}.toml")
        p = keepsim("calibrate", cal, "-o", os.path.join(d, f"o{i}"), check=False)
        check(p.returncode == 2, f"exit {p.returncode}: {p.stderr}")
        check(f"bad{i}.toml:" in p.stderr and key in p.stderr and hint in p.stderr, p.stderr)
        check(not os.path.exists(os.path.join(d, f"o{i}")), "nothing is written before the input is checked")
    cal = write_calibration(d, 1.0, 0.1, name="badaccept.toml")
    with open(cal) as f:
        text = f.read().replace("accept = 0.25", "accept = 1.5")
    with open(cal, "w") as f:
        f.write(text)
    p = keepsim("calibrate", cal, "-o", os.path.join(d, "oa"), check=False)
    check(p.returncode == 2 and "calibration.accept" in p.stderr and "(0, 1]" in p.stderr, p.stderr)
    # A target the runs do not have is named with the summaries they do have.
    cal = write_calibration(d, 1.0, 0.1, name="badtarget.toml", samples=4)
    with open(cal) as f:
        text = f.read().replace("targets.summary_mean_active", "targets.summary_mean_activ")
    with open(cal, "w") as f:
        f.write(text)
    p = keepsim("calibrate", cal, "-o", os.path.join(d, "ot"), "-q", check=False)
    check(p.returncode == 2 and "summary_mean_activ'" in p.stderr and "summary_mean_active" in p.stderr,
          p.stderr)


def test_rejection_accepts_the_closest_fraction_with_equal_weights():
    d = tmpdir()
    cal = write_calibration(d, 60.0, 6.0, samples=20)
    out = os.path.join(d, "out")
    keepsim("calibrate", cal, "-o", out, "-q")
    with open(os.path.join(out, "posterior.csv")) as f:
        rows = list(csv.DictReader(f))
    check(len(rows) == 5, f"accept 0.25 of 20 is 5 sets, got {len(rows)}")
    check(len({r["weight"] for r in rows}) == 1, "rejection weights are equal")
    dist = [float(r["distance"]) for r in rows]
    check(dist == sorted(dist), f"sorted by distance: {dist}")
    # Every accepted set is closer than every rejected one: recompute the distances from the sweep's table.
    import h5py

    with h5py.File(os.path.join(out, "round-0", "epstein", "sweep.h5"), "r") as f:
        sim = np.asarray(f["summary_mean_active"][()], dtype=float).reshape(20, 2)
    all_d = np.sort((((sim - 60.0) / 6.0) ** 2).mean(axis=1))
    check(np.allclose(dist, all_d[:5], rtol=1e-12), f"{dist} against {all_d[:6]}")
    check(all_d[5] >= dist[-1], "a rejected set is closer than an accepted one")


def test_job_array_rounds_equal_one_process():
    """--prepare writes a round's sweeps; two array tasks run them; the next --prepare goes on. The posterior
    equals the one a single process computes."""
    d = tmpdir()
    cal = write_calibration(d, 40.0, 4.0, method="abc-smc", samples=10)
    whole, arr = os.path.join(d, "whole"), os.path.join(d, "array")
    keepsim("calibrate", cal, "-o", whole, "-q")
    for round_ in range(2):
        p = keepsim("calibrate", cal, "-o", arr, "--resume", "--prepare")
        check(f"round {round_ + 1} is prepared" in p.stdout, p.stdout)
        check(not os.path.exists(os.path.join(arr, "posterior.csv")), "posterior before the last round ran")
        sweep = os.path.join(arr, f"round-{round_}", "epstein.sweep.toml")
        for task in range(2):
            keepsim("sweep", sweep, "-o", os.path.join(arr, f"round-{round_}", "epstein"), "--resume", "-q",
                    "--task-index", task, "--task-count", 2)
    keepsim("calibrate", cal, "-o", arr, "--resume", "--prepare", "-q")
    with open(os.path.join(whole, "posterior.csv"), "rb") as a, open(os.path.join(arr, "posterior.csv"), "rb") as b:
        check(a.read() == b.read(), "posterior.csv differs between the array and one process")


def mpi_skip_reason():
    if shutil.which("mpirun") is None:
        return "mpirun not found"
    if any(os.environ.get(v) for v in ("ASAN_OPTIONS", "TSAN_OPTIONS")):
        return "sanitizer build: OpenMPI is not sanitizer-clean"
    if "libmpi" not in subprocess.run(["ldd", KEEPSIM], capture_output=True, text=True).stdout:
        return "keepsim was built without MPI"
    return None


def test_mpi_equals_serial():
    reason = mpi_skip_reason()
    if reason:
        skip(reason)
    d = tmpdir()
    cal = write_calibration(d, 40.0, 4.0, method="abc-smc", samples=12)
    serial, mpi = os.path.join(d, "serial"), os.path.join(d, "mpi")
    keepsim("calibrate", cal, "-o", serial, "-q", "--jobs", "1")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    p = subprocess.run(["mpirun", "--oversubscribe", "-n", "3", KEEPSIM, "calibrate", cal, "-o", mpi, "-q"],
                       capture_output=True, text=True, env=env, timeout=300)
    check(p.returncode == 0, f"mpirun exited {p.returncode}: {p.stdout}\n{p.stderr}")
    for name in ("posterior.csv", os.path.join("diagnostics", "rounds.csv")):
        with open(os.path.join(serial, name), "rb") as a, open(os.path.join(mpi, name), "rb") as b:
            check(a.read() == b.read(), f"{name} differs under MPI")
    # A bad calibration file under mpirun: exit code 2 and the message once.
    with open(cal) as f:
        text = f.read().replace("high = 0.98", "high = 1.5")
    with open(cal, "w") as f:
        f.write(text)
    p = subprocess.run(["mpirun", "--oversubscribe", "-n", "2", KEEPSIM, "calibrate", cal, "-o",
                        os.path.join(d, "bad")], capture_output=True, text=True, env=env, timeout=300)
    check(p.returncode == 2 and p.stderr.count("out of range") == 1, f"{p.returncode}: {p.stderr}")


if __name__ == "__main__":
    main([test_bad_input_names_file_key_and_range, test_posterior_concentrates_near_the_known_value,
          test_rejection_accepts_the_closest_fraction_with_equal_weights,
          test_interrupted_calibration_resumes_to_the_same_bytes, test_job_array_rounds_equal_one_process,
          test_mpi_equals_serial])
