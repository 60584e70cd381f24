"""`keepsim describe` lists every parameter from the one schema, and every bundled config validates."""
import glob
import os

from cli_common import CONFIGS, check, keepsim, main


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


def test_help_and_version():
    check("run" in keepsim("--help").stdout, "help lists run")
    check("keepsim" in keepsim("--version").stdout, "version")


if __name__ == "__main__":
    main([test_describe_lists_every_parameter, test_every_bundled_config_validates, test_help_and_version])
