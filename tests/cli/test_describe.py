"""`keepsim describe` lists every parameter from the one schema, and every bundled config validates."""
import glob
import os

from cli_common import CONFIGS, SOURCE, check, keepsim, main


def test_describe_lists_every_parameter():
    out = keepsim("describe").stdout
    for key in ("citizens.vision", "cops.density", "jail.max_term", "rules.ratio", "rules.vision_metric",
                "rules.jailed", "rules.schedule", "legitimacy.schedule", "cops.schedule", "run.seed",
                "demography.clone_probability"):
        check(key in out, f"describe lacks {key}")
    for column in ("KEY", "TYPE", "DEFAULT", "UNIT", "ALLOWED", "DOC"):
        check(column in out, f"describe lacks column {column}")
    check("one of: literal, floor, round" in out or "floor, literal, round" in out, "choices listed")


def test_every_bundled_config_validates():
    configs = sorted(glob.glob(os.path.join(CONFIGS, "*.toml")))
    check(len(configs) >= 10, "bundled configs")
    for cfg in configs:
        keepsim("validate", cfg)
    # The peacekeeping scenarios are layers on the default country, and the doctrines layers on a scenario, as the
    # README combines them: every scenario alone and under each doctrine. (The case configs are checked in
    # test_cases.py, the calibration and sweep files by the commands that read them in their own tests.)
    peace = os.path.join(SOURCE, "configs")
    default = os.path.join(peace, "scenarios", "default.toml")
    scenarios = sorted(glob.glob(os.path.join(peace, "scenarios", "*.toml")))
    doctrines = sorted(glob.glob(os.path.join(peace, "doctrines", "*.toml")))
    check(default in scenarios and len(scenarios) >= 3 and len(doctrines) >= 2, f"{scenarios} {doctrines}")
    for scenario in scenarios:
        layers = [default] if scenario == default else [default, scenario]
        for doctrine in [None] + doctrines:
            keepsim("validate", *layers, *([doctrine] if doctrine else []))


def test_help_and_version():
    check("run" in keepsim("--help").stdout, "help lists run")
    check("keepsim" in keepsim("--version").stdout, "version")


if __name__ == "__main__":
    main([test_describe_lists_every_parameter, test_every_bundled_config_validates, test_help_and_version])
