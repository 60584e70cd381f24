"""Resources (robustness issue, point 6). A run that will not fit in memory is refused before anything big is
allocated, with both numbers in the message (exit 2, no file). A full disk, simulated with RLIMIT_FSIZE (per
file), a small tmpfs (when this test may mount one) or a directory made read-only mid-run, ends the run with a
one-line error naming the file and the OS reason, exit code 74, no crash and no HDF5 error stack, and a valid
file: h5py opens it, complete = 0, and every series has steps_completed + 1 rows (periods 0..steps_completed),
under the final name as for a run stopped by a signal. KEEPSIM_NO_ROOM_CHECK=1 switches off the checks that
stop a run before the disk is full, so that a write fails for real: the file is then rebuilt from memory."""
import os
import pwd
import resource
import subprocess
import tempfile
import time

import h5py

from cli_common import CONFIGS, KEEPSIM, SOURCE, assert_same_datasets, check, keepsim, main, skip, tmpdir

SCENARIOS = os.path.abspath(os.path.join(SOURCE, "configs", "scenarios"))
DOCTRINES = os.path.abspath(os.path.join(SOURCE, "configs", "doctrines"))
RUN2 = os.path.abspath(os.path.join(CONFIGS, "run2.toml"))
GIB = 1 << 30
# An Epstein run with a small grid and many periods: series only, about 160 KiB when complete.
EPSTEIN = [RUN2, "--steps", "40000", "--set", "world.width=10", "--set", "world.height=10",
           "--set", "citizens.vision=1.5", "--set", "cops.vision=1.5", "--threads", "1"]
# A peacekeeping run with a map snapshot every day: about 900 KiB when complete, most of it maps.
PEACE_CONFIGS = [os.path.join(SCENARIOS, "default.toml"), os.path.join(SCENARIOS, "small_mixed.toml"),
                 os.path.join(DOCTRINES, "security_keeping.toml")]
PEACE = [*PEACE_CONFIGS, "--set", "output.map_every=1", "--threads", "1"]
PEACE_60 = [*PEACE, "--steps", "60"]


def run(args, limits=(), env=None, user=None):
    """keepsim with resource limits [(RLIMIT_x, soft, hard)] set in the child only."""
    def pre():
        for which, soft, hard in limits:
            resource.setrlimit(which, (soft, hard))
        if user is not None:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([KEEPSIM, *map(str, args)], capture_output=True, text=True, timeout=120,
                          preexec_fn=pre, env=full_env)


def fsize(limit, hard=None):
    return [(resource.RLIMIT_FSIZE, limit, limit if hard is None else hard)]


def files(d):
    return sorted(os.listdir(d))


def check_clean_error(p, out, reasons):
    """One line, naming the file and one of `reasons`, no HDF5 error stack, no crash."""
    lines = p.stderr.strip().splitlines()
    check(p.returncode >= 0, f"killed by signal {-p.returncode}: {p.stderr}")
    check(len(lines) == 1 and lines[0].startswith("keepsim: error: "), f"one line: {p.stderr}")
    check(out in lines[0], f"names {out}: {lines[0]}")
    check(any(r in lines[0] for r in reasons), f"says why ({reasons}): {lines[0]}")
    check("HDF5" not in p.stderr and "#000" not in p.stderr, f"no HDF5 error stack: {p.stderr}")


def check_valid_partial(out, stderr):
    """A valid file under the final name, complete = 0, steps_completed + 1 rows in every series; returns
    steps_completed."""
    check(os.path.exists(out) and not os.path.exists(out + ".part"), f"the file is under its final name: "
          f"{files(os.path.dirname(out))}")
    with h5py.File(out, "r") as f:
        check(int(f.attrs["complete"]) == 0, "complete = 0")
        done = int(f.attrs["steps_completed"])
        for name, obj in f.items():  # the step axis and every series on it
            on_step = isinstance(obj, h5py.Dataset) and obj.ndim >= 1 and obj.maxshape[0] is None
            if on_step and name not in ("snapshot", "snapshot_step") and not name.startswith("map_"):
                check(obj.shape[0] == done + 1, f"{name} has {obj.shape[0]} rows, steps_completed = {done}")
        check(list(f["step"][-1:]) == [done], "the last row is period steps_completed")
        if "snapshot_step" in f and f["snapshot_step"].shape[0] > 0:
            check(int(f["snapshot_step"][-1]) <= done, "no snapshot after the last period")
            check(f["map_legitimacy"].shape[0] == f["snapshot_step"].shape[0], "every snapshot has its maps")
    check(f"periods 0-{done}" in stderr, f"the message says which periods are in the file: {stderr}")
    return done


def test_memory_refused_under_memory_limit():
    d = tmpdir()
    out = os.path.join(d, "big.h5")
    start = time.time()
    p = run(["run", RUN2, "-o", out, "--set", "world.width=10000", "--set", "world.height=10000",
             "--memory-limit", "1G"])
    check(p.returncode == 2, f"exit {p.returncode}: {p.stderr}")
    check(time.time() - start < 10, "refused before allocating anything big")
    msg = p.stderr
    check("this run needs about" in msg and "GiB (world 10000x10000, 7.4e7 agents" in msg, msg)
    check("but 1.0 GiB is available (--memory-limit)" in msg, msg)
    check("world.width/height" in msg and "--no-memory-check" in msg, msg)
    check(files(d) == [], f"no output: {files(d)}")
    # A peacekeeping world too: the map is not generated before the check.
    p = run(["run", *PEACE_CONFIGS, "-o", out, "--set", "world.width=30000", "--set", "world.height=30000",
             "--memory-limit", "4G"])
    check(p.returncode == 2 and "world 30000x30000" in p.stderr and "4.0 GiB is available" in p.stderr,
          p.stderr)
    check(files(d) == [], f"no output: {files(d)}")


def test_memory_refused_under_rlimit_as():
    if "ASAN_OPTIONS" in os.environ or "TSAN_OPTIONS" in os.environ:
        skip("a sanitizer's shadow memory does not fit RLIMIT_AS")
    d = tmpdir()
    out = os.path.join(d, "big.h5")
    limit = [(resource.RLIMIT_AS, 2 * GIB, resource.RLIM_INFINITY)]
    p = run(["run", RUN2, "-o", out, "--set", "world.width=10000", "--set", "world.height=10000",
             "--threads", "1"], limits=limit)
    check(p.returncode == 2, f"exit {p.returncode}: {p.stderr}")
    check("needs about" in p.stderr and "is available (RLIMIT_AS)" in p.stderr, p.stderr)
    check(files(d) == [], f"no output: {files(d)}")
    # What fits runs under the same limit.
    p = run(["run", RUN2, "-o", out, "--steps", "20", "--threads", "1", "-q"], limits=limit)
    check(p.returncode == 0, f"exit {p.returncode}: {p.stderr}")


def test_memory_limit_by_hand_and_escape_hatch():
    d = tmpdir()
    out = os.path.join(d, "r.h5")
    p = run(["run", RUN2, "-o", out, "--steps", "20", "--memory-limit", "10M"])
    check(p.returncode == 2 and "10.0 MiB is available (--memory-limit)" in p.stderr, p.stderr)
    check(files(d) == [], "refused: no output")
    p = run(["run", RUN2, "-o", out, "--steps", "20", "--memory-limit", "10M", "--no-memory-check", "-q"])
    check(p.returncode == 0 and os.path.exists(out), p.stderr)
    p = run(["run", RUN2, "-o", out, "--force", "--steps", "20", "--memory-limit", "1G", "-q"])
    check(p.returncode == 0, p.stderr)
    p = run(["run", RUN2, "-o", out, "--force", "--memory-limit", "lots"])
    check(p.returncode == 2 and "--memory-limit" in p.stderr and "'lots'" in p.stderr, p.stderr)
    p = keepsim("validate", RUN2)
    check("memory: about" in p.stdout and "world 40x40" in p.stdout and "available" in p.stdout, p.stdout)


def test_sweep_memory_refused():
    d = tmpdir()
    sweep = os.path.join(d, "big.toml")
    with open(sweep, "w") as f:
        f.write(f'base = ["{RUN2}"]\n[sweep]\nreplicates = 2\nseed = 1\nset = ["world.height=10000"]\n'
                '[factors]\n"world.width" = [20, 10000]\n')
    out = os.path.join(d, "out")
    p = run(["sweep", sweep, "-o", out, "--memory-limit", "2G", "--jobs", "2"])
    check(p.returncode == 2, f"exit {p.returncode}: {p.stderr}")
    check("this sweep needs about" in p.stderr and "2 runs at once" in p.stderr and "--jobs" in p.stderr,
          p.stderr)
    check("2.0 GiB is available (--memory-limit)" in p.stderr, p.stderr)
    check(not os.path.exists(out), "nothing written")


def test_file_size_limit_stops_cleanly_at_each_point():
    for name, args, limit, expect in [
            ("epstein, at create", EPSTEIN, 100_000, 2),
            ("epstein, during series", EPSTEIN, 420_000, 74),
            ("peacekeeping, at create", PEACE_60, 300_000, 2),
            ("peacekeeping, during maps", PEACE_60, 800_000, 74),
            ("peacekeeping, room enough", PEACE_60, 3_000_000, 0)]:
        d = tmpdir()
        out = os.path.join(d, "o.h5")
        p = run(["run", *args, "-o", out, "-q"], limits=fsize(limit))
        check(p.returncode == expect, f"{name}: exit {p.returncode}, expected {expect}: {p.stderr}")
        if expect == 2:
            check_clean_error(p, out, ["File too large"])
            check(files(d) == [], f"{name}: nothing left behind: {files(d)}")
        elif expect == 74:
            check_clean_error(p, out, ["File too large"])
            done = check_valid_partial(out, p.stderr)
            check(done > 0, f"{name}: some periods are in the file")
            check(files(d) == ["o.h5"], f"{name}: no checkpoint, no .part: {files(d)}")
        else:
            with h5py.File(out, "r") as f:
                check(int(f.attrs["complete"]) == 1, f"{name}: complete")


def test_write_failure_rebuilds_the_file_from_memory():
    env = {"KEEPSIM_NO_ROOM_CHECK": "1"}
    for name, args, limits in [
            ("epstein, during series", EPSTEIN, fsize(150_000)),
            ("epstein, soft limit (the broken file closes cleanly)", EPSTEIN, fsize(150_000, resource.RLIM_INFINITY)),
            ("peacekeeping, during maps", PEACE_60, fsize(800_000))]:
        d = tmpdir()
        out = os.path.join(d, "o.h5")
        p = run(["run", *args, "-o", out, "-q"], limits=limits, env=env)
        check(p.returncode == 74, f"{name}: exit {p.returncode}: {p.stderr}")
        check_clean_error(p, out, ["File too large"])
        check("rebuilt from memory" in p.stderr, f"{name}: {p.stderr}")
        check(check_valid_partial(out, p.stderr) > 0, f"{name}: some periods kept")
        check(files(d) == ["o.h5"], f"{name}: nothing else left: {files(d)}")
    # No room even to create the file: exit 2 and nothing left behind.
    if os.environ.get("KEEPSIM_SANITIZED") == "thread":
        # ThreadSanitizer's runtime writes a file of its own (/tmp/tsan.rodata.PID) before main; under a
        # file-size limit of 0 the kernel kills it there, before keepsim can ignore SIGXFSZ. (Both sanitizer
        # builds set TSAN_OPTIONS, so its presence does not say which runtime this is.)
        print("skip the no-room-to-create case under ThreadSanitizer (its runtime writes a file before main)")
        return
    d = tmpdir()
    p = run(["run", *EPSTEIN, "-o", os.path.join(d, "o.h5")], limits=fsize(0), env=env)
    check(p.returncode == 2 and "File too large" in p.stderr and "HDF5" not in p.stderr,
          f"no room to create the file: exit {p.returncode}: {p.stderr}")
    check(files(d) == [], f"nothing left behind: {files(d)}")


def test_full_tmpfs():
    if os.geteuid() != 0:
        skip("mounting a tmpfs needs root")
    mnt = tempfile.mkdtemp(prefix="keepsim-tmpfs-")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt], capture_output=True).returncode:
        os.rmdir(mnt)
        skip("cannot mount a tmpfs here")
    try:
        for env, rebuilt in [({}, False), ({"KEEPSIM_NO_ROOM_CHECK": "1"}, True)]:
            for n in os.listdir(mnt):
                os.remove(os.path.join(mnt, n))
            out = os.path.join(mnt, "o.h5")
            p = run(["run", *PEACE, "--steps", "150", "-o", out, "-q"], env=env)
            check(p.returncode == 74, f"exit {p.returncode}: {p.stderr}")
            check_clean_error(p, out, ["No space left on device"])
            check(("rebuilt from memory" in p.stderr) == rebuilt, p.stderr)
            check_valid_partial(out, p.stderr)
    finally:
        subprocess.run(["umount", mnt])
        os.rmdir(mnt)


def test_directory_made_read_only_mid_run():
    # Root ignores permissions: run keepsim as nobody then.
    user = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
    d = tmpdir()
    if user is not None:
        os.chown(d, user.pw_uid, user.pw_gid)
    out = os.path.join(d, "o.h5")
    def pre():
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    proc = subprocess.Popen([KEEPSIM, "run", RUN2, "-o", out, "--steps", "5000", "--threads", "1", "-q"],
                            stderr=subprocess.PIPE, text=True, preexec_fn=pre if user else None)
    deadline = time.time() + 30
    while not os.path.exists(out + ".part") and time.time() < deadline:
        time.sleep(0.01)
    os.chmod(d, 0o555)
    try:
        _, err = proc.communicate(timeout=120)
        check(proc.returncode == 74, f"exit {proc.returncode}: {err}")
        check(err.count("\n") == 1 and "Permission denied" in err and out + ".part" in err, err)
        # The output's lock file (o.h5.lock) cannot be removed from a read-only folder either; unlocked, it
        # is harmless and taken over by the next run.
        check([f for f in files(d) if f != "o.h5.lock"] == ["o.h5.part"],
              f"the whole file keeps its .part name: {files(d)}")
        with h5py.File(out + ".part", "r") as f:
            check(int(f.attrs["complete"]) == 1 and f["step"].shape[0] == 5001, "whole and complete")
        # Not writable, or not there, at the start: exit 2 before anything is computed.
        p = run(["run", RUN2, "-o", os.path.join(d, "other.h5")], user=user)
        check(p.returncode == 2 and "is not writable" in p.stderr, p.stderr)
        p = run(["run", RUN2, "-o", os.path.join(d, "missing", "r.h5")])
        check(p.returncode == 2 and "does not exist" in p.stderr, p.stderr)
    finally:
        os.chmod(d, 0o755)


def test_sweep_stops_on_a_full_disk_and_resumes():
    d = tmpdir()
    sweep = os.path.join(d, "sweep.toml")
    base = ", ".join(f'"{c}"' for c in PEACE_CONFIGS)
    with open(sweep, "w") as f:
        f.write(f'base = [{base}]\n[sweep]\nreplicates = 3\nseed = 3\n'
                'set = ["run.steps=60", "output.map_every=1"]\n[factors]\n"citizens.legitimacy" = [0.9]\n')
    cut, whole = os.path.join(d, "cut"), os.path.join(d, "whole")
    p = run(["sweep", sweep, "-o", cut, "--jobs", "1", "-q"], limits=fsize(800_000))
    check(p.returncode == 74, f"exit {p.returncode}: {p.stderr}")
    check("File too large" in p.stderr and "--resume" in p.stderr and "HDF5" not in p.stderr, p.stderr)
    check(not os.path.exists(os.path.join(cut, "sweep.h5")), "no table")
    check(not any(n.endswith(".error") for n in os.listdir(os.path.join(cut, "runs"))),
          "a full disk is no run's fault: no .error file")
    p = keepsim("sweep", sweep, "-o", cut, "--resume", "--jobs", "1")
    check("3 run now" in p.stdout and "0 failed" in p.stdout, p.stdout)
    keepsim("sweep", sweep, "-o", whole, "--jobs", "1", "-q")
    assert_same_datasets(os.path.join(cut, "sweep.h5"), os.path.join(whole, "sweep.h5"))


if __name__ == "__main__":
    main([test_memory_refused_under_memory_limit, test_memory_refused_under_rlimit_as,
          test_memory_limit_by_hand_and_escape_hatch, test_sweep_memory_refused,
          test_file_size_limit_stops_cleanly_at_each_point, test_write_failure_rebuilds_the_file_from_memory,
          test_full_tmpfs, test_directory_made_read_only_mid_run, test_sweep_stops_on_a_full_disk_and_resumes])
