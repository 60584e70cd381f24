"""A real run file opens with xarray (h5netcdf and netcdf4 engines) and h5py, with the names, dimensions, units
and values the run printed (docs/output.md; issue: HDF5 run file follows the contract)."""
import os
import tomllib
import warnings

import h5py
import numpy as np
import xarray as xr

from cli_common import CONFIGS, assert_same_datasets, check, keepsim, main, tmpdir

SERIES = ["quiet", "active", "jailed", "cops", "arrests", "releases", "births", "deaths_of_age", "legitimacy"]


def printed_summary(stdout):
    values = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("summary_"):
            values[parts[0]] = float(parts[1])
    return values


def open_both(path):
    out = []
    for engine in ("h5netcdf", "netcdf4"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ds = xr.open_dataset(path, engine=engine)
            ds.load()
        out.append(ds)
    return out


def check_file(path, stdout, steps, groups):
    for ds in open_both(path):
        for name in list(ds.dims) + list(ds.variables):
            check(not name.startswith("phony_dim"), f"phony dimension {name}")
        check(dict(ds.sizes) == {"step": steps + 1, "group": groups}, f"sizes {dict(ds.sizes)}")
        check(list(ds.step.values) == list(range(steps + 1)), "step coordinate is 0..steps")
        check(list(ds.group.values) == list(range(groups)), "group coordinate")
        for name in SERIES:
            check(ds[name].dims == ("step",), f"{name} dims {ds[name].dims}")
        for name in ("alive", "killed"):
            check(ds[name].dims == ("step", "group"), f"{name} dims {ds[name].dims}")
        for name, var in ds.variables.items():
            check("units" in var.attrs and "long_name" in var.attrs, f"{name} lacks units or long_name")
            check("since" not in var.attrs["units"], f"{name} units mention 'since'")
        for key in ("Conventions", "title", "source", "git_commit", "model", "doctrine", "seed", "config",
                    "created", "complete", "steps_completed"):
            check(key in ds.attrs, f"global attribute {key} missing")
        check(ds.attrs["Conventions"] == "CF-1.8", "Conventions")
        check(int(ds.attrs["complete"]) == 1, "complete = 1")
        check(int(ds.attrs["steps_completed"]) == steps, "steps_completed")
        check(ds.attrs["model"] == "epstein", "model attribute")
        tomllib.loads(ds.attrs["config"])  # the effective config is valid TOML
        # The values the run printed are the values in the file.
        printed = printed_summary(stdout)
        check(len(printed) >= 3, f"summary printed: {stdout}")
        for name, value in printed.items():
            stored = float(ds[name].values)
            check(ds[name].dims == (), f"{name} is a scalar")
            check(np.isnan(value) and np.isnan(stored) or abs(stored - value) <= 1e-3 * max(1, abs(value)),
                  f"{name}: printed {value}, stored {stored}")
        check(int(ds.summary_peak_active) == int(ds.active[1:].max()), "peak active matches the series")
        citizens = (ds.quiet + ds.active + ds.jailed).values
        check((citizens == ds.alive.sum("group").values).all(), "quiet + active + jailed = alive")
    with h5py.File(path, "r") as f:
        check(f["active"].maxshape == (None,), "step axis is unlimited")
        check(f["active"].compression == "gzip" and f["active"].shuffle, "deflate with shuffle")
        check(f["alive"].shape == (steps + 1, groups), "alive shape in h5py")


def test_model_i_file():
    d = tmpdir()
    out = os.path.join(d, "run2.h5")
    proc = keepsim("run", os.path.join(CONFIGS, "run2.toml"), "-o", out, "--steps", 150)
    check(not os.path.exists(out + ".part"), "no .part file left")
    check_file(out, proc.stdout, 150, 1)


def test_model_ii_file():
    d = tmpdir()
    out = os.path.join(d, "run7.h5")
    proc = keepsim("run", os.path.join(CONFIGS, "run7.toml"), "-o", out, "--steps", 120)
    check_file(out, proc.stdout, 120, 2)
    ds = xr.open_dataset(out, engine="h5netcdf")
    check("summary_time_to_elimination" in ds and "summary_eliminated_group" in ds, "Model II summary")


def test_config_attribute_repeats_the_run():
    # The run can be repeated from the file alone: write its config attribute to a file and run that.
    d = tmpdir()
    first = os.path.join(d, "first.h5")
    keepsim("run", os.path.join(CONFIGS, "run1.toml"), "-o", first, "--steps", 40, "--seed", 7,
            "--set", "citizens.legitimacy=0.8")
    with h5py.File(first, "r") as f:
        config = f.attrs["config"]
        config = config.decode() if isinstance(config, bytes) else config
    path = os.path.join(d, "from_file.toml")
    with open(path, "w") as fh:
        fh.write(config)
    second = os.path.join(d, "second.h5")
    keepsim("run", path, "-o", second)
    # Every dataset, not a few series: the stored config must repeat the whole run.
    assert_same_datasets(first, second)


if __name__ == "__main__":
    main([test_model_i_file, test_model_ii_file, test_config_attribute_repeats_the_run])
