"""Outputs cannot be hijacked (issue 15, class 1): nothing keepsim creates is created through a symbolic link
or over a file it did not create, an existing output that is not a regular file is refused even with --force,
and an output may never be one of the run's own inputs (compared by device and inode, not by name)."""
import os
import signal
import stat
import subprocess
import time

import h5py

from cli_common import CONFIGS, KEEPSIM, SOURCE, check, keepsim, main, tmpdir
from sweep_common import write_sweep

RUN2 = os.path.join(CONFIGS, "run2.toml")
SHORT = ("--steps", "20", "--threads", "1", "-q")


def victim(d, name="victim.txt", text="precious\n"):
    """A file another user's link would aim the run at; it must come out of every test unchanged."""
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def unchanged(path, text="precious\n"):
    with open(path) as f:
        got = f.read()
    check(got == text, f"{path} was overwritten: {got[:60]!r}")


def refused(args, *needles):
    proc = keepsim(*args, check=False)
    check(proc.returncode == 2, f"exit code {proc.returncode} (want 2) for {args}: {proc.stderr}")
    for needle in needles:
        check(needle in proc.stderr, f"error lacks {needle!r}: {proc.stderr}")
    return proc


def test_link_at_part_is_not_followed():
    d = tmpdir()
    v = victim(d)
    out = os.path.join(d, "o.h5")
    os.symlink(v, out + ".part")
    refused(["run", RUN2, "-o", out, *SHORT], "symbolic link")
    unchanged(v)
    check(os.path.islink(out + ".part") and not os.path.exists(out), "the link stays, no output")


def test_dangling_link_at_part_creates_nothing():
    d = tmpdir()
    target = os.path.join(d, "created-by-link")
    out = os.path.join(d, "o.h5")
    os.symlink(target, out + ".part")
    refused(["run", RUN2, "-o", out, *SHORT, "--force"], "symbolic link")
    check(not os.path.exists(target), "a file was created through a dangling link")


def test_link_at_checkpoint_tmp_is_not_followed():
    d = tmpdir()
    v = victim(d)
    out = os.path.join(d, "o.h5")
    os.symlink(v, out + ".ckpt.tmp")
    refused(["run", RUN2, "-o", out, "--steps", "40", "--checkpoint-every", "10", "-q"], "symbolic link")
    unchanged(v)


def test_link_at_custom_checkpoint_is_refused_even_with_force():
    d = tmpdir()
    v = victim(d)
    out = os.path.join(d, "o.h5")
    ck = os.path.join(d, "my.ckpt")
    os.symlink(v, ck)
    refused(["run", RUN2, "-o", out, *SHORT, "--checkpoint", ck, "--force"], "symbolic link")
    unchanged(v)
    check(os.path.islink(ck), "the link is not replaced")


def test_link_planted_at_checkpoint_tmp_during_a_run():
    # A link that appears while the run is going: the next checkpoint fails (a warning), the run goes on and
    # the file the link names is untouched.
    d = tmpdir()
    v = victim(d)
    out = os.path.join(d, "o.h5")
    proc = subprocess.Popen([KEEPSIM, "run", RUN2, "-o", out, "--steps", "100000", "--threads", "1",
                             "--set", "world.width=200", "--set", "world.height=200", "--checkpoint-every", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while not os.path.exists(out + ".ckpt") and time.time() < deadline:
            time.sleep(0.02)
        check(os.path.exists(out + ".ckpt"), "a first checkpoint")
        try:
            os.symlink(v, out + ".ckpt.tmp")
        except FileExistsError:  # keepsim was writing it at that moment: plant the link once it is renamed
            while True:
                try:
                    os.symlink(v, out + ".ckpt.tmp")
                    break
                except FileExistsError:
                    time.sleep(0.001)
        time.sleep(1.0)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    unchanged(v)
    check(os.path.islink(out + ".ckpt.tmp"), "the planted link is neither followed nor removed")
    check("symbolic link" in err, f"the failed checkpoint is reported: {err}")


def test_link_as_output_is_refused_even_with_force():
    d = tmpdir()
    v = victim(d)
    out = os.path.join(d, "o.h5")
    os.symlink(v, out)
    refused(["run", RUN2, "-o", out, *SHORT], "symbolic link")
    refused(["run", RUN2, "-o", out, *SHORT, "--force"], "symbolic link")
    unchanged(v)
    check(os.path.islink(out), "the link is not replaced")


def test_fifo_as_output_is_refused_even_with_force():
    d = tmpdir()
    out = os.path.join(d, "pipe")
    os.mkfifo(out)
    refused(["run", RUN2, "-o", out, *SHORT, "--force"], "named pipe")
    check(os.path.exists(out) and not os.path.isfile(out), "the pipe is still a pipe")


def test_device_as_output_is_refused_even_with_force():
    # A device node of our own in a temporary folder (never /dev/null itself: a keepsim that got this wrong
    # would replace the machine's /dev/null when the suite runs as root). Without root, no device can be
    # made: the same check is covered there by the pipe case above.
    if os.geteuid() != 0:
        print("     (not root: no device node to try)")
        return
    d = tmpdir()
    out = os.path.join(d, "null")
    os.mknod(out, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    refused(["run", RUN2, "-o", out, *SHORT, "--force"], "character device")
    check(stat.S_ISCHR(os.lstat(out).st_mode), "the device node is still a device")


def test_directory_as_output_is_refused_even_with_force():
    d = tmpdir()
    out = os.path.join(d, "folder")
    os.mkdir(out)
    refused(["run", RUN2, "-o", out, *SHORT, "--force"], "directory")
    check(os.path.isdir(out), "the folder stays")


def test_output_may_not_be_the_config():
    d = tmpdir()
    cfg = victim(d, "c.toml", open(RUN2).read())
    refused(["run", cfg, "-o", cfg, *SHORT, "--force"], "config file")
    unchanged(cfg, open(RUN2).read())


def test_output_may_not_be_the_config_by_another_name():
    d = tmpdir()
    os.mkdir(os.path.join(d, "sub"))
    cfg = victim(d, "c.toml", open(RUN2).read())
    spelled = os.path.join(d, "sub", "..", ".", "c.toml")
    refused(["run", cfg, "-o", spelled, *SHORT, "--force"], "config file")
    hard = os.path.join(d, "hard.toml")
    os.link(cfg, hard)
    refused(["run", hard, "-o", cfg, *SHORT, "--force"], "config file")
    unchanged(cfg, open(RUN2).read())


def test_checkpoint_may_not_be_the_config():
    d = tmpdir()
    cfg = victim(d, "c.toml", open(RUN2).read())
    refused(["run", cfg, "-o", os.path.join(d, "o.h5"), *SHORT, "--checkpoint", cfg, "--force"], "config file")
    unchanged(cfg, open(RUN2).read())


def test_output_may_not_be_the_map_file():
    d = tmpdir()
    default = os.path.join(SOURCE, "configs", "scenarios", "default.toml")
    raster = os.path.join(d, "country.h5")
    keepsim("map", default, "-o", raster)
    size = os.path.getsize(raster)
    refused(["run", default, "-o", raster, "--force", "--steps", "2", "-q", "--set", "map.source=file",
             "--set", f"map.file={raster}"], "map file")
    check(os.path.getsize(raster) == size, "the map is untouched")
    refused(["map", default, "-o", raster, "--force", "--set", "map.source=file", "--set", f"map.file={raster}"],
            "map file")


def test_map_output_link_at_part_is_not_followed():
    d = tmpdir()
    v = victim(d)
    out = os.path.join(d, "m.h5")
    os.symlink(v, out + ".part")
    refused(["map", os.path.join(SOURCE, "configs", "scenarios", "default.toml"), "-o", out, "--force"],
            "symbolic link")
    unchanged(v)


def test_lock_file_link_is_not_followed():
    d = tmpdir()
    v = victim(d)
    out = os.path.join(d, "o.h5")
    os.symlink(v, out + ".lock")
    refused(["run", RUN2, "-o", out, *SHORT], "symbolic link")
    unchanged(v)


def test_stale_part_of_ours_is_replaced():
    # A run killed at once leaves OUT.part (a regular file of this user): the next run replaces it.
    d = tmpdir()
    out = os.path.join(d, "o.h5")
    with open(out + ".part", "w") as f:
        f.write("half a file")
    keepsim("run", RUN2, "-o", out, *SHORT)
    check(not os.path.exists(out + ".part"), "the stale .part is gone")
    with h5py.File(out, "r") as f:
        check(int(f.attrs["complete"]) == 1, "a whole file")


def test_resume_does_not_follow_a_link_at_part():
    d = tmpdir()
    v = victim(d)
    out = os.path.join(d, "o.h5")
    proc = subprocess.Popen([KEEPSIM, "run", RUN2, "-o", out, "--steps", "100000", "--threads", "1",
                             "--set", "world.width=200", "--set", "world.height=200"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=120)
    check(os.path.exists(out + ".ckpt"), "a checkpoint to resume from")
    os.symlink(v, out + ".part")
    refused(["resume", out + ".ckpt", "-q"], "symbolic link")
    unchanged(v)
    check(os.path.exists(out + ".ckpt"), "the checkpoint is kept")


def test_sweep_run_file_link_is_not_followed():
    d = tmpdir()
    v = victim(d)
    sweep = write_sweep(d, '[sweep]\nset = ["world.width=20", "world.height=20", "run.steps=10"]\n'
                           '[factors]\n"cops.density" = [0.0, 0.03]\n')
    out = os.path.join(d, "out")
    os.makedirs(os.path.join(out, "runs"))
    os.symlink(v, os.path.join(out, "runs", "run_000000.h5.part"))
    # --force discards the sweep's own files, not a link somebody planted among them.
    proc = keepsim("sweep", sweep, "-o", out, "-q", "--jobs", "1", "--force", check=False)
    check(proc.returncode == 1, f"one run failed, the sweep ends with 1: {proc.returncode} {proc.stderr}")
    unchanged(v)
    check(os.path.islink(os.path.join(out, "runs", "run_000000.h5.part")), "the link is not removed")
    with open(os.path.join(out, "runs", "run_000000.h5.error")) as f:
        check("symbolic link" in f.read(), "the failed run says why")
    check(os.path.exists(os.path.join(out, "runs", "run_000001.h5")), "the other run is done")


def test_sweep_run_file_may_not_be_the_map_it_reads():
    d = tmpdir()
    default = os.path.join(SOURCE, "configs", "scenarios", "default.toml")
    out = os.path.join(d, "out")
    os.makedirs(os.path.join(out, "runs"))
    raster = os.path.join(out, "runs", "run_000000.h5")
    keepsim("map", default, "-o", raster)
    before = open(raster, "rb").read()
    sweep = os.path.join(d, "sweep.toml")
    with open(sweep, "w") as f:
        f.write(f'base = ["{default}"]\n[sweep]\nset = ["run.steps=2", "map.source=file", "map.file={raster}"]\n'
                '[factors]\n"citizens.legitimacy" = [0.8, 0.9]\n')
    proc = keepsim("sweep", sweep, "-o", out, "-q", "--jobs", "1", "--resume", check=False)
    check(proc.returncode == 1, f"the run over its own map failed, the sweep ends with 1: {proc.returncode} {proc.stderr}")
    check(open(raster, "rb").read() == before, "the map is untouched")
    with open(os.path.join(out, "runs", "run_000000.h5.error")) as f:
        check("map file" in f.read(), "the failed run says why")


def test_sweep_manifest_link_is_refused():
    d = tmpdir()
    v = victim(d)
    sweep = write_sweep(d, '[sweep]\nset = ["world.width=20", "world.height=20", "run.steps=10"]\n'
                           '[factors]\n"cops.density" = [0.0]\n')
    out = os.path.join(d, "out")
    os.makedirs(out)
    os.symlink(v, os.path.join(out, "manifest.toml"))
    refused(["sweep", sweep, "-o", out, "-q", "--force"], "symbolic link")
    unchanged(v)


if __name__ == "__main__":
    main([test_link_at_part_is_not_followed, test_dangling_link_at_part_creates_nothing,
          test_link_at_checkpoint_tmp_is_not_followed, test_link_at_custom_checkpoint_is_refused_even_with_force,
          test_link_planted_at_checkpoint_tmp_during_a_run, test_link_as_output_is_refused_even_with_force,
          test_fifo_as_output_is_refused_even_with_force, test_device_as_output_is_refused_even_with_force,
          test_directory_as_output_is_refused_even_with_force, test_output_may_not_be_the_config,
          test_output_may_not_be_the_config_by_another_name, test_checkpoint_may_not_be_the_config,
          test_output_may_not_be_the_map_file, test_map_output_link_at_part_is_not_followed,
          test_lock_file_link_is_not_followed, test_stale_part_of_ours_is_replaced,
          test_resume_does_not_follow_a_link_at_part, test_sweep_run_file_link_is_not_followed,
          test_sweep_run_file_may_not_be_the_map_it_reads,
          test_sweep_manifest_link_is_refused])
