"""Input hygiene at every door (issue 15, class 3): numeric flags range-checked with the range in the message,
config and sweep files read only when regular (or a named pipe) and with a size cap, messages quoting short
escaped excerpts, unknown commands named, too-long names a user error, and configs that ask for more agents
than the world holds refused with the numbers. Exit codes: 2 for user errors, never 3."""
import os
import subprocess
import threading
import time

import h5py

from cli_common import CONFIGS, KEEPSIM, SOURCE, check, keepsim, main, tmpdir

RUN2 = os.path.join(CONFIGS, "run2.toml")
DEFAULT = os.path.join(SOURCE, "configs", "scenarios", "default.toml")
SMALL_MIXED = os.path.join(SOURCE, "configs", "scenarios", "small_mixed.toml")
SK = os.path.join(SOURCE, "configs", "doctrines", "security_keeping.toml")
LONG_NAME = "n" * 300


def user_error(args, *needles, most=600):
    """Exit code 2, one short message holding `needles`, no raw control characters."""
    proc = subprocess.run([KEEPSIM, *map(str, args)], capture_output=True, timeout=60)
    err = proc.stderr.decode("utf-8", "replace")
    check(proc.returncode == 2, f"exit code {proc.returncode} (want 2) for {str(args)[:200]}: {err[:400]}")
    for needle in needles:
        check(needle in err, f"error lacks {needle!r}: {err[:400]}")
    check(len(proc.stderr) <= most, f"message of {len(proc.stderr)} bytes: {err[:200]}...")
    check(not any(b < 0x20 and b != 0x0a for b in proc.stderr), f"raw control characters: {proc.stderr[:200]!r}")
    return err


def write(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def out(d):
    return os.path.join(d, "o.h5")


# --- numeric flags ---------------------------------------------------------------------------------------


def test_negative_threads():
    d = tmpdir()
    user_error(["run", RUN2, "-o", out(d), "--threads", "-1"], "--threads", "0 to 1024")
    check(not os.path.exists(out(d)), "no output")


def test_too_many_threads():
    user_error(["run", RUN2, "-o", out(tmpdir()), "--threads", "100000"], "--threads", "0 to 1024")


def test_resume_threads_range():
    user_error(["resume", "whatever.ckpt", "--threads", "-4"], "--threads", "0 to 1024")


def test_sweep_negative_jobs_and_threads():
    d = tmpdir()
    sweep = write(d, "s.toml", f'base = ["{RUN2}"]\n[factors]\n"cops.density" = [0.0]\n')
    user_error(["sweep", sweep, "-o", os.path.join(d, "o"), "--jobs", "-1"], "--jobs", "0 to 1024")
    user_error(["sweep", sweep, "-o", os.path.join(d, "o"), "--threads", "-1"], "--threads", "0 to 1024")
    check(not os.path.exists(os.path.join(d, "o")), "no sweep folder")


def test_seed_above_documented_maximum():
    d = tmpdir()
    user_error(["run", RUN2, "-o", out(d), "--seed", "9000000000000000001"], "run.seed", "9000000000000000000")
    user_error(["run", RUN2, "-o", out(d), "--seed", "99999999999999999999"], "99999999999999999999",
               "does not fit")
    keepsim("validate", RUN2, "--set", "run.seed=9000000000000000000")  # the maximum itself is fine


def test_negative_seed_and_steps():
    d = tmpdir()
    user_error(["run", RUN2, "-o", out(d), "--seed", "-1"], "run.seed", "[0, ")
    user_error(["run", RUN2, "-o", out(d), "--steps", "-5"], "run.steps", "[0, 1000000000]")


def test_absurd_memory_limits():
    d = tmpdir()
    for limit in ("0", "100", "1e30P", "2048P"):
        user_error(["run", RUN2, "-o", out(d), "--memory-limit", limit], "--memory-limit", "1 MiB to 1 EiB")
    user_error(["run", RUN2, "-o", out(d), "--memory-limit", "12X"], "--memory-limit", "8G")
    # A bad limit is refused even when the check it feeds is switched off.
    user_error(["run", RUN2, "-o", out(d), "--memory-limit", "0", "--no-memory-check"], "--memory-limit")


def test_memory_limit_echo_is_short():
    err = user_error(["run", RUN2, "-o", out(tmpdir()), "--memory-limit", "9" * 10000 + "Q"], "bytes in all")
    check("9" * 100 not in err, "not the whole value")


# --- input files -----------------------------------------------------------------------------------------


def test_device_as_config_is_refused_at_once():
    user_error(["validate", "/dev/zero"], "/dev/zero", "character device")
    user_error(["run", "/dev/urandom", "-o", out(tmpdir())], "character device")


def test_directory_as_config():
    user_error(["validate", tmpdir()], "directory")


def test_config_above_the_cap():
    d = tmpdir()
    big = os.path.join(d, "big.toml")
    with open(big, "w") as f:
        f.write("# padding\n" * (2 * 1024 * 1024))  # 20 MiB of comments
    user_error(["validate", big], "too large", "16 MiB")


def test_named_pipe_config_given_on_purpose():
    d = tmpdir()
    fifo = os.path.join(d, "cfg.fifo")
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "w") as f:
            f.write(open(RUN2).read())

    writer = threading.Thread(target=feed)
    writer.start()
    proc = subprocess.run([KEEPSIM, "validate", fifo], capture_output=True, text=True, timeout=60)
    writer.join(timeout=30)
    check(proc.returncode == 0, f"a pipe is read: {proc.stderr}")


def test_named_pipe_whose_writer_comes_late():
    # keepsim opens the pipe first and must wait for the writer, not read an empty config and accept it.
    d = tmpdir()
    fifo = os.path.join(d, "late.fifo")
    os.mkfifo(fifo)
    proc = subprocess.Popen([KEEPSIM, "validate", fifo], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    with open(fifo, "w") as f:
        f.write("[world]\nwidth = 0\n")
    _, err = proc.communicate(timeout=30)
    check(proc.returncode == 2 and "world.width" in err, f"the late writer's config was read: {err}")


def test_endless_pipe_config_stops_at_the_cap():
    d = tmpdir()
    fifo = os.path.join(d, "endless.fifo")
    os.mkfifo(fifo)
    feeder = subprocess.Popen(["sh", "-c", f"yes '# again' > {fifo}"], stderr=subprocess.DEVNULL)
    try:
        user_error(["validate", fifo], "too large")
    finally:
        feeder.kill()
        feeder.wait()


def test_device_as_sweep_file():
    user_error(["sweep", "/dev/zero", "-o", os.path.join(tmpdir(), "s")], "character device")


def small_sweep(d, runs=1):
    levels = ", ".join(str(0.01 * i) for i in range(runs))
    return write(d, "s.toml", f'base = ["{RUN2}"]\n[sweep]\nset = ["world.width=20", "world.height=20", '
                              f'"run.steps=10"]\n[factors]\n"cops.density" = [{levels}]\n')


def test_collect_does_not_read_a_device_planted_as_an_error_file():
    d = tmpdir()
    folder = os.path.join(d, "o")
    keepsim("sweep", small_sweep(d, 2), "-o", folder, "-q", "--task-index", 0, "--task-count", 2)
    os.symlink("/dev/zero", os.path.join(folder, "runs", "run_000001.h5.error"))
    proc = subprocess.run([KEEPSIM, "sweep", "--collect", folder, "-q"], capture_output=True, text=True, timeout=60)
    check(proc.returncode == 1, f"collected, one run failed: {proc.returncode} {proc.stderr}")
    # The exit code alone would hold if the device were opened and read up to the size cap: the table must say
    # the error file was refused as a device, and hold none of its zeros.
    with h5py.File(os.path.join(folder, "sweep.h5"), "r") as f:
        errors = f.attrs["errors"]
        errors = errors.decode() if isinstance(errors, bytes) else str(errors)
        status = list(f["status"][()])
    check(errors.startswith("run 1: ") and "character device" in errors, f"the refusal in the table: {errors!r}")
    check(len(errors) < 1000 and "\0" not in errors, f"nothing of the device in the table: {len(errors)} chars")
    check(status == [0, 1], f"run 0 ok, run 1 failed: {status}")


def test_collect_refuses_a_device_as_manifest():
    d = tmpdir()
    folder = os.path.join(d, "o")
    os.mkdir(folder)
    os.symlink("/dev/zero", os.path.join(folder, "manifest.toml"))
    user_error(["sweep", "--collect", folder], "character device")


def test_slurm_task_id_out_of_range():
    d = tmpdir()
    env = dict(os.environ, SLURM_ARRAY_TASK_ID="9" * 40, SLURM_ARRAY_TASK_COUNT="2")
    proc = subprocess.run([KEEPSIM, "sweep", small_sweep(d), "-o", os.path.join(d, "o")], env=env,
                          capture_output=True, text=True, timeout=60)
    check(proc.returncode == 2 and "SLURM_ARRAY_TASK_ID" in proc.stderr, f"{proc.returncode} {proc.stderr}")


# --- messages --------------------------------------------------------------------------------------------


def test_long_value_is_quoted_as_an_excerpt():
    err = user_error(["validate", RUN2, "--set", "rules.ratio=" + "x" * 100000], "rules.ratio", "bytes in all")
    check("x" * 200 not in err, "not the whole value")


def test_long_key_is_quoted_as_an_excerpt():
    user_error(["validate", RUN2, "--set", "k" * 100000 + "=1"], "bytes in all")


def test_long_string_in_a_config_is_quoted_as_an_excerpt():
    d = tmpdir()
    cfg = write(d, "c.toml", 'citizens.vision = "' + "y" * 100000 + '"\n')
    user_error(["validate", cfg], "citizens.vision", "bytes in all")


def test_escape_sequences_in_a_key_are_escaped():
    d = tmpdir()
    cfg = write(d, "c.toml", '"k\\u001b]0;owned\\u0007" = 1\n')
    user_error(["validate", cfg], "\\x1B]0;owned\\x07")


def test_escape_sequences_in_a_value_are_escaped():
    err = user_error(["validate", RUN2, "--set", "rules.ratio=\x1b[2J\x9b"], "rules.ratio")
    check("\\u001B[2J" in err or "\\x1B[2J" in err, err)


def test_escape_sequences_in_a_path_are_escaped():
    user_error(["run", RUN2, "-o", os.path.join(tmpdir(), "a\x1b[31mb", "o.h5")], "\\x1B[31m", "does not exist")


def test_unknown_command_is_named():
    user_error(["frobnicate", "x"], "unknown command 'frobnicate'", "run")
    user_error(["r\x1bun"], "unknown command 'r\\x1Bun'")


def test_unexpected_option_is_escaped():
    user_error(["run", RUN2, "-o", out(tmpdir()), "--a\x1b[2J"], "not expected", "\\x1B[2J")


def test_sweep_file_kept_as_the_manifest_is_refused():
    d = tmpdir()
    folder = os.path.join(d, "o")
    os.mkdir(folder)
    sweep = write(folder, "manifest.toml", f'base = ["{RUN2}"]\n[factors]\n"cops.density" = [0.0]\n')
    text = open(sweep).read()
    user_error(["sweep", sweep, "-o", folder, "--force"], "sweep file")
    check(open(sweep).read() == text, "the sweep file is untouched")


# --- names too long: user errors, not internal ones ------------------------------------------------------


def test_too_long_output_name():
    d = tmpdir()
    user_error(["run", RUN2, "-o", os.path.join(d, LONG_NAME + ".h5")], "File name too long", most=1200)
    user_error(["run", RUN2, "-o", os.path.join(d, LONG_NAME, "o.h5")], "too long", most=1200)
    user_error(["map", DEFAULT, "-o", os.path.join(d, LONG_NAME + ".h5")], "too long", most=1200)


def test_too_long_input_names():
    user_error(["validate", LONG_NAME + ".toml"], "File name too long", most=1200)
    user_error(["resume", LONG_NAME + ".ckpt"], "checkpoint", most=1200)


def test_too_long_sweep_folder():
    d = tmpdir()
    sweep = write(d, "s.toml", f'base = ["{RUN2}"]\n[factors]\n"cops.density" = [0.0]\n')
    user_error(["sweep", sweep, "-o", os.path.join(d, LONG_NAME)], "too long", most=1200)
    user_error(["sweep", "--collect", os.path.join(d, LONG_NAME)], most=1200)


def test_too_long_checkpoint_name():
    d = tmpdir()
    user_error(["run", RUN2, "-o", out(d), "--checkpoint", os.path.join(d, LONG_NAME)], "too long", most=1200)


# --- agents the world cannot hold ------------------------------------------------------------------------


def test_rounded_densities_that_overfill_a_tiny_world():
    err = user_error(["validate", RUN2, "--set", "world.width=3", "--set", "world.height=1", "--set",
                      "citizens.density=0.5", "--set", "cops.density=0.5", "--set", "citizens.vision=1",
                      "--set", "cops.vision=1"], "cops.density", "3 agents")
    check("2 citizens + 2 cops = 4" in err, err)


def test_contingent_larger_than_the_world():
    user_error(["validate", DEFAULT, SK, "--set", "contingents.c1.size=100000000"], "contingents.c1.size",
               "100000000 peacekeepers", "10000 cells")


def test_every_contingent_is_checked():
    for k in range(1, 7):
        user_error(["validate", DEFAULT, SK, "--set", "mission.enabled=true", "--set", f"contingents.c{k}.size=20000"],
                   f"contingents.c{k}.size", "10000 cells")


def test_police_more_than_the_world_holds():
    user_error(["validate", DEFAULT, SK, "--set", "police.count=300000"], "police.count", "10000 cells")


def test_people_and_forces_together_overfill_the_world():
    err = user_error(["validate", DEFAULT, SK, "--set", "citizens.density=0.95", "--set",
                      "contingents.c1.size=1000"], "10000 agents", "peacekeepers")
    check("citizens and cops" in err and "= 10" in err, err)


def test_disabled_forces_do_not_count():
    keepsim("validate", DEFAULT, SK, "--set", "mission.enabled=false", "--set", "contingents.c1.size=100000000")
    keepsim("validate", DEFAULT, SK, "--set", "constabulary.enabled=false", "--set", "police.count=300000")


def test_vision_wrapping_a_torus_is_refused_for_every_kind():
    for kind in ("citizens", "cops", "spoilers", "mission", "constabulary"):
        user_error(["validate", DEFAULT, SMALL_MIXED, SK, "--set", "world.topology=torus", "--set",
                    f"{kind}.vision=40"], f"{kind}.vision", "allowed [0, 29]", "60x60 grid")


if __name__ == "__main__":
    main([test_negative_threads, test_too_many_threads, test_resume_threads_range,
          test_sweep_negative_jobs_and_threads, test_seed_above_documented_maximum, test_negative_seed_and_steps,
          test_absurd_memory_limits, test_memory_limit_echo_is_short, test_device_as_config_is_refused_at_once,
          test_directory_as_config, test_config_above_the_cap, test_named_pipe_config_given_on_purpose,
          test_named_pipe_whose_writer_comes_late,
          test_endless_pipe_config_stops_at_the_cap, test_device_as_sweep_file,
          test_collect_does_not_read_a_device_planted_as_an_error_file, test_collect_refuses_a_device_as_manifest,
          test_slurm_task_id_out_of_range,
          test_long_value_is_quoted_as_an_excerpt, test_long_key_is_quoted_as_an_excerpt,
          test_long_string_in_a_config_is_quoted_as_an_excerpt, test_escape_sequences_in_a_key_are_escaped,
          test_escape_sequences_in_a_value_are_escaped, test_escape_sequences_in_a_path_are_escaped,
          test_unknown_command_is_named, test_unexpected_option_is_escaped,
          test_sweep_file_kept_as_the_manifest_is_refused, test_too_long_output_name, test_too_long_input_names,
          test_too_long_sweep_folder, test_too_long_checkpoint_name,
          test_rounded_densities_that_overfill_a_tiny_world, test_contingent_larger_than_the_world,
          test_every_contingent_is_checked, test_police_more_than_the_world_holds,
          test_people_and_forces_together_overfill_the_world, test_disabled_forces_do_not_count,
          test_vision_wrapping_a_torus_is_refused_for_every_kind])
