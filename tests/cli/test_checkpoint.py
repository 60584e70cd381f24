"""Checkpoint and restart, signals (robustness issue, points 1 and 2).

A run stopped by a real SIGTERM and finished by `keepsim resume` must give a file whose every dataset is bit for
bit the uninterrupted run's: for Epstein's async and sync schedules, Model II and the peacekeeping scenario with
maps (under both schedules). A second signal stops at once without ever leaving a corrupt file under the output's name, and the last
checkpoint still resumes. Missing, truncated, corrupt, foreign and other-version checkpoints give exit 2 and a
message naming the file.

Runs are small (a second or two each). A signal is sent only once the run has written a checkpoint or is well
under way; a run that finishes before the signal lands (a very slow poll on a loaded machine) is repeated with
twice the periods, and the uninterrupted reference run uses the same number.
"""
import os
import re
import shlex
import shutil
import signal
import subprocess
import time

import h5py

from cli_common import CONFIGS, KEEPSIM, SOURCE, assert_same_datasets, check, keepsim, main, tmpdir

SCENARIOS = os.path.join(SOURCE, "configs", "scenarios")
DOCTRINES = os.path.join(SOURCE, "configs", "doctrines")

EPSTEIN_ASYNC = [os.path.join(CONFIGS, "run2.toml")]
EPSTEIN_SYNC = [os.path.join(CONFIGS, "run2.toml"), "--set", "rules.schedule=sync"]
EPSTEIN_MODEL_II = [os.path.join(CONFIGS, "run7.toml")]  # async, births, ageing, killings
PEACEKEEPING = [os.path.join(SCENARIOS, "default.toml"), os.path.join(SCENARIOS, "small_mixed.toml"),
                os.path.join(DOCTRINES, "complex_peacekeeping.toml"), "--set", "output.map_every=10",
                "--set", "police.arrival_day=20", "--set", "mission.elections_day=60", "--set", "mission.exit_day=120"]


def start(*args):
    return subprocess.Popen([KEEPSIM, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def signal_when(proc, ready, signals=(signal.SIGTERM,), timeout=120):
    """Polls ready() until it holds, then sends `signals` back to back; returns (exit code, stderr)."""
    t0 = time.monotonic()
    while proc.poll() is None and not ready():
        if time.monotonic() - t0 > timeout:
            proc.kill()
            raise AssertionError("the run never got ready to be signalled")
        time.sleep(0.002)
    if proc.poll() is None:
        for s in signals:
            proc.send_signal(s)
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def replaced(path, inode):
    """A test that `path` now holds another file than `inode` (a checkpoint renamed over it)."""
    def test():
        try:
            return os.stat(path).st_ino != inode
        except FileNotFoundError:
            return False
    return test


def attrs(path):
    with h5py.File(path, "r") as f:
        a = dict(f.attrs)
        check(f["step"].shape[0] == int(a["steps_completed"]) + 1, f"{path}: step axis vs steps_completed")
        return a


def stopped_run(config, steps, every, extra=(), signals=(signal.SIGTERM,)):
    """Starts a run with checkpoints every `every` periods and signals it once the first checkpoint is there.
    Returns (directory, output, steps, exit code, stderr); steps doubles while the run outpaces the signal."""
    d = tmpdir()
    for attempt in range(4):
        out = os.path.join(d, f"run{attempt}.h5")
        proc = start("run", *config, "-o", out, "--steps", steps, "--threads", 1, "--checkpoint-every", every,
                     "-q", *extra)
        rc, err = signal_when(proc, lambda: os.path.exists(out + ".ckpt"), signals)
        if rc != 0:
            return d, out, steps, rc, err
        steps *= 2
    raise AssertionError("every run finished before it could be signalled")


def check_stopped(out, rc, err, steps, first=1):
    """A clean stop: exit 130, a valid file with complete = 0 after `first` or more periods, a checkpoint, and
    the message that says how to resume."""
    check(rc == 130, f"exit code {rc}: {err}")
    check(os.path.exists(out) and not os.path.exists(out + ".part"), "the stopped run's file is under its name")
    a = attrs(out)
    done = (int(a["complete"]), int(a["steps_completed"]))
    check(done[0] == 0 and first <= done[1] < steps, f"complete, steps_completed = {done} of {steps} periods")
    check(os.path.exists(out + ".ckpt"), "a checkpoint is there")
    check(f"resume {out}.ckpt" in err and "complete = 0" in err, f"message: {err}")
    return int(a["steps_completed"])


def finish_and_compare(config, out, steps, d):
    keepsim("resume", out + ".ckpt", "--threads", 2, "-q")
    check(not os.path.exists(out + ".ckpt") and not os.path.exists(out + ".part"),
          "the finished run removed its checkpoint and .part")
    a = attrs(out)
    check(int(a["complete"]) == 1 and int(a["steps_completed"]) == steps, f"finished: {a}")
    check("resumed_from" in a["history"], f"history: {a['history']}")
    ref = os.path.join(d, "reference.h5")
    keepsim("run", *config, "-o", ref, "--steps", steps, "--threads", 2, "-q")
    check(not os.path.exists(ref + ".ckpt"), "an uninterrupted run leaves no checkpoint")
    assert_same_datasets(ref, out)


def resume_bit_identical(config, steps, every):
    d, out, steps, rc, err = stopped_run(config, steps, every)
    check_stopped(out, rc, err, steps)
    finish_and_compare(config, out, steps, d)


def test_resume_epstein_async():
    resume_bit_identical(EPSTEIN_ASYNC, 1500, 20)


def test_resume_epstein_sync():
    resume_bit_identical(EPSTEIN_SYNC, 1500, 20)


def test_resume_epstein_model_ii():
    resume_bit_identical(EPSTEIN_MODEL_II, 600, 20)


def test_resume_peacekeeping_twice():
    """The peacekeeping scenario with maps, police, elections and an exit; the resumed run is stopped again
    (once it has replaced the checkpoint) and resumed a second time."""
    d, out, steps, rc, err = stopped_run(PEACEKEEPING, 240, 15)
    first = check_stopped(out, rc, err, steps)
    ckpt = out + ".ckpt"
    proc = start("resume", ckpt, "--threads", 2, "-q")
    rc, err = signal_when(proc, replaced(ckpt, os.stat(ckpt).st_ino))
    second = check_stopped(out, rc, err, steps)
    check(second > first, f"the resumed run went on: {first} -> {second}")
    with h5py.File(out, "r") as f:
        check(f["snapshot_step"][-1] <= second and f["map_killings"].shape[0] == f["snapshot_step"].shape[0],
              "maps up to the stop")
    finish_and_compare(PEACEKEEPING, out, steps, d)


def test_resume_peacekeeping_sync():
    """The sync day (ODD 3): its plans and claims are the day's scratch, so a checkpoint needs nothing more."""
    resume_bit_identical(PEACEKEEPING + ["--set", "rules.schedule=sync"], 240, 15)


def test_sigterm_always_writes_a_checkpoint():
    """No --checkpoint-every: a SIGTERM still leaves a checkpoint, and the printed command finishes the run."""
    d = tmpdir()
    steps = 3000
    for attempt in range(4):
        out = os.path.join(d, f"run{attempt}.h5")
        proc = start("run", *EPSTEIN_ASYNC, "-o", out, "--steps", steps, "--threads", 1)
        t0 = time.monotonic()
        rc, err = signal_when(proc, lambda: time.monotonic() - t0 > 0.3 and os.path.exists(out + ".part"))
        if rc != 0:
            break
        steps *= 2
    # Under a sanitizer on a loaded machine the first period may not be over when the signal lands: a stop
    # after period 0 is a valid stop too, and its resume must match just the same.
    check_stopped(out, rc, err, steps, first=0)
    lines = err.strip().splitlines()
    command = shlex.split(lines[-1])
    check(command == [KEEPSIM, "resume", out + ".ckpt"], f"the resume command: {lines[-1]}")
    p = subprocess.run(command + ["-q"], capture_output=True, text=True, timeout=600)
    check(p.returncode == 0, f"resume: {p.stderr}")
    ref = os.path.join(d, "reference.h5")
    keepsim("run", *EPSTEIN_ASYNC, "-o", ref, "--steps", steps, "--threads", 2, "-q")
    assert_same_datasets(ref, out)


def test_second_signal_stops_at_once():
    """Two signals back to back (two different ones: the kernel merges a pending signal with its repeat): the
    process ends at once, no file is under the output's name, and the last checkpoint resumes, past a stale
    .part. Then the same on a resumed run, whose output name holds the first stop's valid file all along."""
    d, out, steps, rc, err = stopped_run(EPSTEIN_SYNC, 1500, 20, signals=(signal.SIGTERM, signal.SIGINT))
    check(rc == 130 and "second signal" in err, f"exit code {rc}: {err}")
    check(not os.path.exists(out), "no file under the output's name")
    check(os.path.exists(out + ".part") and os.path.exists(out + ".ckpt"), "a stale .part, the last checkpoint")
    # A clean stop of the resumed run, then a hard stop of the next resume.
    ckpt = out + ".ckpt"
    proc = start("resume", ckpt, "--threads", 2, "-q")
    rc, err = signal_when(proc, replaced(ckpt, os.stat(ckpt).st_ino))
    first = check_stopped(out, rc, err, steps)
    proc = start("resume", ckpt, "--threads", 2, "-q")
    rc, err = signal_when(proc, replaced(ckpt, os.stat(ckpt).st_ino), (signal.SIGINT, signal.SIGTERM))
    check(rc == 130 and "second signal" in err, f"exit code {rc}: {err}")
    a = attrs(out)  # still the first stop's file, whole
    check(int(a["complete"]) == 0 and int(a["steps_completed"]) == first, f"the output kept its valid file: {a}")
    finish_and_compare(EPSTEIN_SYNC, out, steps, d)


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def reseal(path):
    """Rewrites the user block's length and checksum after an edit, as keepsim writes them."""
    with open(path, "rb") as f:
        data = f.read()
    body = data[512:]
    block = f"keepsim checkpoint\nformat 1\nbytes {len(body)}\nfnv1a64 {fnv1a64(body):016x}\n".encode()
    with open(path, "wb") as f:
        f.write(block.ljust(512, b"\0") + body)


def test_bad_checkpoints():
    d, out, steps, rc, err = stopped_run([*EPSTEIN_ASYNC, "--set", "world.width=20", "--set", "world.height=20"],
                                         3000, 20)
    check(rc == 130, f"exit code {rc}: {err}")
    good = out + ".ckpt"
    size = os.path.getsize(good)

    def refused(path, words):
        p = keepsim("resume", path, check=False)
        check(p.returncode == 2, f"exit code {p.returncode} for {path}: {p.stderr}")
        check(path in p.stderr and all(w in p.stderr for w in words), f"message for {path}: {p.stderr}")
        check(p.stderr.count("\n") == 1, f"one line: {p.stderr}")

    refused(os.path.join(d, "missing.ckpt"), ["no such checkpoint"])
    truncated = os.path.join(d, "truncated.ckpt")
    with open(good, "rb") as f, open(truncated, "wb") as g:
        g.write(f.read()[: size // 2])
    refused(truncated, ["truncated"])
    for offset in (600, size // 2, size - 10):  # early metadata, the middle, the end
        corrupt = os.path.join(d, f"corrupt{offset}.ckpt")
        shutil.copy(good, corrupt)
        with open(corrupt, "r+b") as f:
            f.seek(offset)
            byte = f.read(1)
            f.seek(offset)
            f.write(bytes([byte[0] ^ 0x5A]))
        refused(corrupt, ["corrupt", "checksum"])
    refused(out, ["not a keepsim checkpoint"])  # a run file
    other = os.path.join(d, "other_version.ckpt")
    shutil.copy(good, other)
    with h5py.File(other, "r+") as f:
        f.attrs["git_commit"] = "0123456789ab"
    reseal(other)
    refused(other, ["written by", "0123456789ab"])
    foreign = os.path.join(d, "foreign_model.ckpt")  # a peacekeeping config with an Epstein state
    shutil.copy(good, foreign)
    with h5py.File(foreign, "r+") as f:
        config = f["run_attrs"].attrs["config"]
        f["run_attrs"].attrs["config"] = re.sub(r'(?m)^model = "epstein"', 'model = "peacekeeping"', config)
    reseal(foreign)
    refused(foreign, ["map"])
    # A new run onto a stopped run's checkpoint is refused unless --force.
    p = keepsim("run", *EPSTEIN_ASYNC, "-o", os.path.join(d, "new.h5"), "--checkpoint", good, check=False)
    check(p.returncode == 2 and "keepsim resume" in p.stderr and good in p.stderr, p.stderr)
    # And the intact checkpoint still resumes.
    keepsim("resume", good, "-q")
    check(int(attrs(out)["complete"]) == 1, "resumed")


if __name__ == "__main__":
    main([test_resume_epstein_async, test_resume_epstein_sync, test_resume_epstein_model_ii,
          test_resume_peacekeeping_twice, test_resume_peacekeeping_sync, test_sigterm_always_writes_a_checkpoint,
          test_second_signal_stops_at_once, test_bad_checkpoints])
