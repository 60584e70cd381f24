"""Bad input gives one clear error naming the file, the key and the allowed range, exit code 2, and no output
file (issue: bad input)."""
import os

from cli_common import CONFIGS, check, keepsim, main, tmpdir

RUN2 = os.path.join(CONFIGS, "run2.toml")


def write(d, name, text):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def expect_error(args, *needles, output=None):
    proc = keepsim(*args, check=False)
    check(proc.returncode == 2, f"exit code {proc.returncode} (want 2) for {args}: {proc.stderr}")
    lines = [line for line in proc.stderr.strip().splitlines() if line]
    check(len(lines) == 1 and lines[0].startswith("keepsim: error: "), f"one error line: {proc.stderr}")
    for needle in needles:
        check(needle in proc.stderr, f"error lacks {needle!r}: {proc.stderr}")
    if output:
        check(not os.path.exists(output) and not os.path.exists(output + ".part"), "an output file was written")


def test_unknown_key_suggests_the_closest():
    d = tmpdir()
    cfg = write(d, "typo.toml", "[citizens]\nvison = 7\n")
    out = os.path.join(d, "o.h5")
    expect_error(["run", cfg, "-o", out], cfg, "citizens.vison", "citizens.vision", output=out)


def test_wrong_type():
    d = tmpdir()
    cfg = write(d, "type.toml", '[world]\nwidth = "forty"\n')
    out = os.path.join(d, "o.h5")
    expect_error(["run", cfg, "-o", out], cfg, "world.width", "[1, 65535]", output=out)


def test_out_of_range():
    d = tmpdir()
    cfg = write(d, "range.toml", "[citizens]\nlegitimacy = 1.5\n")
    out = os.path.join(d, "o.h5")
    expect_error(["run", cfg, "-o", out], cfg, "citizens.legitimacy", "[0, 1]", output=out)


def test_negative_vision():
    d = tmpdir()
    cfg = write(d, "vision.toml", "[cops]\nvision = -2\n")
    out = os.path.join(d, "o.h5")
    expect_error(["run", cfg, "-o", out], cfg, "cops.vision", "[0, 1000]", output=out)


def test_densities_above_one():
    d = tmpdir()
    cfg = write(d, "dense.toml", "[citizens]\ndensity = 0.9\n[cops]\ndensity = 0.2\n")
    out = os.path.join(d, "o.h5")
    expect_error(["run", cfg, "-o", out], cfg, "cops.density", "at most 1", output=out)


def test_vision_wrapping_on_small_torus():
    d = tmpdir()
    out = os.path.join(d, "o.h5")
    expect_error(["run", RUN2, "-o", out, "--set", "world.width=10"], "citizens.vision", "[0, 4]", output=out)


def test_bad_override():
    d = tmpdir()
    out = os.path.join(d, "o.h5")
    expect_error(["run", RUN2, "-o", out, "--set", "rules.schedule=parallel"], "--set", "rules.schedule",
                 "async", output=out)
    expect_error(["run", RUN2, "-o", out, "--set", "citizens.legitimcy=0.5"], "citizens.legitimacy", output=out)


def test_missing_config_file():
    d = tmpdir()
    out = os.path.join(d, "o.h5")
    missing = os.path.join(d, "nope.toml")
    expect_error(["run", missing, "-o", out], missing, output=out)


def test_toml_syntax_error_names_the_line():
    d = tmpdir()
    cfg = write(d, "syntax.toml", "[citizens]\nvision = \n")
    out = os.path.join(d, "o.h5")
    expect_error(["run", cfg, "-o", out], cfg, "line 2", output=out)


def test_unwritable_output():
    expect_error(["run", RUN2, "-o", "/nonexistent-dir/run.h5"], "/nonexistent-dir")
    d = tmpdir()
    os.chmod(d, 0o500)
    out = os.path.join(d, "o.h5")
    if os.geteuid() != 0:  # root may write anywhere
        expect_error(["run", RUN2, "-o", out], d, output=out)


def test_existing_output_needs_force():
    d = tmpdir()
    out = os.path.join(d, "o.h5")
    keepsim("run", RUN2, "-o", out, "--steps", 5, "-q")
    before = os.path.getmtime(out)
    expect_error(["run", RUN2, "-o", out, "--steps", 5], "--force")
    check(os.path.getmtime(out) == before, "the existing file was touched")
    keepsim("run", RUN2, "-o", out, "--steps", 5, "-q", "--force")


def test_validate_reports_the_same_errors():
    d = tmpdir()
    cfg = write(d, "typo.toml", "[citizens]\nvison = 7\n")
    expect_error(["validate", cfg], "citizens.vision")
    proc = keepsim("validate", RUN2)
    check("ok" in proc.stdout, "validate says ok")


if __name__ == "__main__":
    main([test_unknown_key_suggests_the_closest, test_wrong_type, test_out_of_range, test_negative_vision,
          test_densities_above_one, test_vision_wrapping_on_small_torus, test_bad_override,
          test_missing_config_file, test_toml_syntax_error_names_the_line, test_unwritable_output,
          test_existing_output_needs_force, test_validate_reports_the_same_errors])
