"""One writer per output and per sweep folder (issue 15, class 2): real keepsim processes on one output, started
at the same moment and staggered. The second is refused with exit code 2 and a message naming the holder's
pid; the first finishes intact; nobody removes a file it did not create; a lock dies with its process."""
import os
import signal
import subprocess
import time

import h5py
import numpy as np

from cli_common import CONFIGS, KEEPSIM, SANITIZED, assert_same_datasets, check, keepsim, main, tmpdir

RUN2 = os.path.join(CONFIGS, "run2.toml")
# About a second or two of work on one thread: long enough for the other process to meet it. A sanitized keepsim
# is 3-15 times slower, so a fifth of the steps takes it at least as long.
LONG = ("--steps", "800" if SANITIZED else "4000", "--threads", "1", "-q", "--set", "world.width=50", "--set",
        "world.height=50")


def start(*args):
    return subprocess.Popen([KEEPSIM, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=300):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def wait_for(path, proc, timeout=60):
    deadline = time.time() + timeout
    while not os.path.exists(path) and time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"ended before {path} appeared: {proc.communicate()}")
        time.sleep(0.005)
    check(os.path.exists(path), f"{path} appeared")


def together(*commands):
    """Starts every command at (nearly) the same moment; returns [(rc, stdout, stderr)] in order."""
    procs = [start(*c) for c in commands]
    return [finish(p) for p in procs]


def one_winner(results):
    """Exactly one succeeded; every other was refused with exit 2, naming a holder by pid."""
    codes = [r[0] for r in results]
    check(codes.count(0) == 1 and codes.count(2) == len(codes) - 1, f"exit codes {codes}: {results}")
    for rc, _, err in results:
        if rc == 2:
            check("in use" in err and "pid " in err, f"the refusal names the holder: {err}")
    return codes.index(0)


def complete(path):
    with h5py.File(path, "r") as f:
        return int(f.attrs["complete"]) == 1


def reference(d, *extra):
    ref = os.path.join(d, "reference.h5")
    keepsim("run", RUN2, "-o", ref, *LONG, *extra)
    return ref


def no_leftovers(d, keep):
    left = sorted(set(os.listdir(d)) - set(keep))
    check(left == [], f"left behind: {left}")


def test_two_runs_on_one_output_started_together():
    d = tmpdir()
    out = os.path.join(d, "o.h5")
    one_winner(together(["run", RUN2, "-o", out, *LONG], ["run", RUN2, "-o", out, *LONG]))
    check(complete(out), "the winner's file is whole")
    assert_same_datasets(out, reference(d))
    no_leftovers(d, ["o.h5", "reference.h5"])


def test_four_runs_with_force_started_together():
    d = tmpdir()
    out = os.path.join(d, "o.h5")
    one_winner(together(*[["run", RUN2, "-o", out, *LONG, "--force"] for _ in range(4)]))
    check(complete(out) and not os.path.exists(out + ".part"), "one whole file")
    assert_same_datasets(out, reference(d))


def test_second_run_staggered_is_refused_naming_the_first():
    d = tmpdir()
    out = os.path.join(d, "o.h5")
    first = start("run", RUN2, "-o", out, *LONG)
    wait_for(out + ".part", first)
    rc, _, err = finish(start("run", RUN2, "-o", out, *LONG, "--force"))
    check(rc == 2 and f"pid {first.pid}" in err, f"exit {rc}, names pid {first.pid}: {err}")
    check(os.path.exists(out + ".part"), "the refused run left the first one's .part alone")
    rc, _, err = finish(first)
    check(rc == 0 and complete(out), f"the first finishes intact: {rc} {err}")
    assert_same_datasets(out, reference(d))


def test_runs_sharing_a_checkpoint_path_are_refused():
    d = tmpdir()
    ck = os.path.join(d, "shared.ckpt")
    a, b = os.path.join(d, "a.h5"), os.path.join(d, "b.h5")
    results = together(["run", RUN2, "-o", a, *LONG, "--checkpoint", ck, "--checkpoint-every", "500"],
                       ["run", RUN2, "-o", b, *LONG, "--checkpoint", ck, "--checkpoint-every", "500"])
    winner = one_winner(results)
    check(complete([a, b][winner]) and not os.path.exists([b, a][winner]), "one whole run, no other")
    check(not os.path.exists(ck), "the finished run removed its checkpoint")


def stopped_run(d):
    """A run stopped by SIGTERM, leaving OUT.ckpt to resume from."""
    out = os.path.join(d, "o.h5")
    proc = start("run", RUN2, "-o", out, *LONG)
    wait_for(out + ".part", proc)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    rc, _, err = finish(proc)
    check(rc == 130 and os.path.exists(out + ".ckpt"), f"stopped with a checkpoint: {rc} {err}")
    return out


def test_two_resumes_started_together():
    d = tmpdir()
    out = stopped_run(d)
    one_winner(together(["resume", out + ".ckpt", "-q"], ["resume", out + ".ckpt", "-q"]))
    check(complete(out) and not os.path.exists(out + ".ckpt"), "resumed to the end; checkpoint removed")
    assert_same_datasets(out, reference(d))


def test_run_with_force_refused_while_a_resume_runs():
    d = tmpdir()
    out = stopped_run(d)
    resume = start("resume", out + ".ckpt", "-q")
    wait_for(out + ".part", resume)
    rc, _, err = finish(start("run", RUN2, "-o", out, *LONG, "--force"))
    check(rc == 2 and f"pid {resume.pid}" in err, f"exit {rc}: {err}")
    rc, _, err = finish(resume)
    check(rc == 0 and complete(out), f"the resume finishes intact: {rc} {err}")
    assert_same_datasets(out, reference(d))


def test_resume_refused_while_the_run_still_goes():
    d = tmpdir()
    out = os.path.join(d, "o.h5")
    run = start("run", RUN2, "-o", out, *LONG, "--checkpoint-every", "100")
    wait_for(out + ".ckpt", run)
    rc, _, err = finish(start("resume", out + ".ckpt", "-q"))
    check(rc == 2 and f"pid {run.pid}" in err, f"exit {rc}: {err}")
    rc, _, err = finish(run)
    check(rc == 0 and complete(out) and not os.path.exists(out + ".ckpt"), f"the run finishes: {rc} {err}")


def test_lock_dies_with_a_killed_holder():
    d = tmpdir()
    out = os.path.join(d, "o.h5")
    first = start("run", RUN2, "-o", out, *LONG)
    wait_for(out + ".part", first)
    first.kill()  # SIGKILL: no chance to release anything
    first.communicate()
    check(os.path.exists(out + ".lock"), "the stale lock file is there")
    keepsim("run", RUN2, "-o", out, *LONG, "--force")
    check(complete(out) and not os.path.exists(out + ".lock"), "the next run took the lock over")


def sweep_file(d, runs=2):
    path = os.path.join(d, "sweep.toml")
    levels = ", ".join(str(0.03 + 0.002 * i) for i in range(runs))
    with open(path, "w") as f:
        f.write(f'base = ["{RUN2}"]\n[sweep]\nreplicates = 1\nseed = 3\n'
                'set = ["world.width=60", "world.height=60", "run.steps=1500"]\n'
                f'[factors]\n"cops.density" = [{levels}]\n')
    return path


def statuses(folder):
    with h5py.File(os.path.join(folder, "sweep.h5"), "r") as f:
        return list(np.asarray(f["status"][()]))


SWEEP_OPTS = ("-q", "--jobs", "1", "--threads", "1")


def test_two_sweeps_on_one_folder_started_together():
    d = tmpdir()
    sweep, out = sweep_file(d), os.path.join(d, "out")
    one_winner(together(["sweep", sweep, "-o", out, *SWEEP_OPTS], ["sweep", sweep, "-o", out, *SWEEP_OPTS]))
    check(statuses(out) == [0, 0], f"every run ok: {statuses(out)}")


def test_sweep_resume_refused_while_the_sweep_runs():
    d = tmpdir()
    sweep, out = sweep_file(d, 3), os.path.join(d, "out")
    first = start("sweep", sweep, "-o", out, *SWEEP_OPTS)
    wait_for(os.path.join(out, "runs", "run_000000.h5.part"), first)
    rc, _, err = finish(start("sweep", sweep, "-o", out, *SWEEP_OPTS, "--resume"))
    check(rc == 2 and f"pid {first.pid}" in err, f"exit {rc}: {err}")
    rc, _, err = finish(start("sweep", sweep, "-o", out, *SWEEP_OPTS, "--force"))
    check(rc == 2 and "in use" in err, f"--force is refused as well: {rc} {err}")
    rc, _, err = finish(first)
    check(rc == 0 and statuses(out) == [0, 0, 0], f"the first sweep finishes, no run failed: {rc} {err}")


def test_array_tasks_share_a_folder_then_collect():
    d = tmpdir()
    sweep, out = sweep_file(d, 4), os.path.join(d, "out")
    results = together(*[["sweep", sweep, "-o", out, *SWEEP_OPTS, "--task-index", i, "--task-count", 2]
                         for i in range(2)])
    check([r[0] for r in results] == [0, 0], f"both tasks run: {results}")
    keepsim("sweep", "--collect", out, "-q")
    check(statuses(out) == [0, 0, 0, 0], f"every run ok: {statuses(out)}")


def test_same_array_task_twice_is_refused():
    d = tmpdir()
    sweep, out = sweep_file(d, 4), os.path.join(d, "out")
    task = ["sweep", sweep, "-o", out, *SWEEP_OPTS, "--task-index", 1, "--task-count", 2]
    one_winner(together(task, task))


def test_collect_refused_while_a_task_runs():
    d = tmpdir()
    sweep, out = sweep_file(d, 4), os.path.join(d, "out")
    task = start("sweep", sweep, "-o", out, *SWEEP_OPTS, "--task-index", 0, "--task-count", 2)
    wait_for(os.path.join(out, "runs", "run_000000.h5.part"), task)
    rc, _, err = finish(start("sweep", "--collect", out, "-q"))
    check(rc == 2 and f"pid {task.pid}" in err and "job array" in err, f"exit {rc}: {err}")
    check(not os.path.exists(os.path.join(out, "sweep.h5")), "no table was written")
    rc, _, err = finish(task)
    check(rc == 0, f"the task finishes: {err}")
    keepsim("sweep", sweep, "-o", out, *SWEEP_OPTS, "--task-index", 1, "--task-count", 2)
    keepsim("sweep", "--collect", out, "-q")
    check(statuses(out) == [0, 0, 0, 0], f"every run ok: {statuses(out)}")


def test_plain_sweep_refused_while_array_tasks_run():
    d = tmpdir()
    sweep, out = sweep_file(d, 4), os.path.join(d, "out")
    task = start("sweep", sweep, "-o", out, *SWEEP_OPTS, "--task-index", 0, "--task-count", 2)
    wait_for(os.path.join(out, "runs", "run_000000.h5.part"), task)
    rc, _, err = finish(start("sweep", sweep, "-o", out, *SWEEP_OPTS, "--resume"))
    check(rc == 2 and f"pid {task.pid}" in err, f"exit {rc}: {err}")
    rc, _, err = finish(task)
    check(rc == 0, f"the task finishes: {err}")


def test_sweep_lock_dies_with_a_killed_sweep():
    d = tmpdir()
    sweep, out = sweep_file(d, 2), os.path.join(d, "out")
    first = start("sweep", sweep, "-o", out, *SWEEP_OPTS)
    wait_for(os.path.join(out, "runs", "run_000000.h5.part"), first)
    first.kill()
    first.communicate()
    keepsim("sweep", sweep, "-o", out, *SWEEP_OPTS, "--resume")
    check(statuses(out) == [0, 0], f"--resume finished it: {statuses(out)}")


if __name__ == "__main__":
    main([test_two_runs_on_one_output_started_together, test_four_runs_with_force_started_together,
          test_second_run_staggered_is_refused_naming_the_first, test_runs_sharing_a_checkpoint_path_are_refused,
          test_two_resumes_started_together, test_run_with_force_refused_while_a_resume_runs,
          test_resume_refused_while_the_run_still_goes, test_lock_dies_with_a_killed_holder,
          test_two_sweeps_on_one_folder_started_together, test_sweep_resume_refused_while_the_sweep_runs,
          test_array_tasks_share_a_folder_then_collect, test_same_array_task_twice_is_refused,
          test_collect_refused_while_a_task_runs, test_plain_sweep_refused_while_array_tasks_run,
          test_sweep_lock_dies_with_a_killed_sweep])
