"""Same config and seed give bit-identical datasets with 1 and with 2 threads, for both schedules and both
models (docs/epstein.md and ODD 4, randomness and reproducibility)."""
import os

from cli_common import CONFIGS, assert_same_datasets, keepsim, main, tmpdir


def compare(config, schedule, steps, extra=()):
    d = tmpdir()
    files = []
    for threads in (1, 2):
        out = os.path.join(d, f"t{threads}.h5")
        keepsim("run", os.path.join(CONFIGS, config), "-o", out, "--steps", steps, "--threads", threads,
                "--set", f"rules.schedule={schedule}", "--set", "world.width=100", "--set", "world.height=80",
                *extra, "-q")
        files.append(out)
    assert_same_datasets(*files)


def test_model_i_async():
    compare("run2.toml", "async", 60)


def test_model_i_sync():
    compare("run2.toml", "sync", 60)


def test_model_ii_async():
    compare("run8.toml", "async", 60)


def test_model_ii_sync():
    compare("run8.toml", "sync", 60)


def test_model_i_sync_keep_cell_von_neumann():
    compare("mesa_default.toml", "sync", 60)


if __name__ == "__main__":
    main([test_model_i_async, test_model_i_sync, test_model_ii_async, test_model_ii_sync,
          test_model_i_sync_keep_cell_von_neumann])
