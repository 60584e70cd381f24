"""Open keepsim output as xarray Datasets (Debian's python3-xarray with h5netcdf; no PyPI).

    import sys; sys.path.insert(0, "tools")
    import keepsim_io as kio
    run = kio.open_run("out/default.h5")          # one run file: series on step, summaries, attributes
    sweep = kio.open_sweep("out/cop_density")     # DIR/sweep.h5 (or the file): the tidy table on `run`
    df = kio.sweep_frame(sweep)                   # pandas, with level indices turned into their labels
"""
import os

import numpy as np
import xarray as xr

ENGINE = "h5netcdf"


def open_run(path, **kwargs):
    """One run file as an xarray Dataset (loaded into memory, the file closed)."""
    kwargs.setdefault("decode_timedelta", False)  # units "days" are durations, not times to decode
    with xr.open_dataset(path, engine=ENGINE, **kwargs) as ds:
        return ds.load()


def _sweep_path(path):
    return os.path.join(path, "sweep.h5") if os.path.isdir(path) else path


def open_sweep(path, **kwargs):
    """A sweep's table (DIR or DIR/sweep.h5) as an xarray Dataset on dimension `run` (loaded into memory)."""
    kwargs.setdefault("decode_timedelta", False)
    with xr.open_dataset(_sweep_path(path), engine=ENGINE, **kwargs) as ds:
        return ds.load()


def levels(var):
    """The labels of a level-coded column (config files, choices), or None for a numeric one."""
    text = var.attrs.get("levels")
    return None if text is None else str(text).split("\n")


def factors(ds):
    """The swept factors: every variable on `run` that is not bookkeeping or an outcome."""
    skip = {"sample", "replicate", "seed", "status"}
    return [name for name in ds.data_vars
            if name not in skip and not name.startswith("summary_") and ds[name].dims == ("run",)]


def outcomes(ds):
    return [name for name in ds.data_vars if name.startswith("summary_")]


def sweep_frame(ds, ok_only=False):
    """The table as a pandas DataFrame indexed by run, with level-coded factors replaced by their labels
    (config files by their base name) and status by ok/failed/missing."""
    df = ds.to_dataframe()
    for name in factors(ds):
        labels = levels(ds[name])
        if labels is not None:
            names = [os.path.splitext(os.path.basename(x))[0] if x.endswith(".toml") else x for x in labels]
            df[name] = [names[int(i)] for i in ds[name].values]
    meanings = str(ds["status"].attrs.get("flag_meanings", "ok failed missing")).split()
    df["status"] = [meanings[int(s)] for s in ds["status"].values]
    if ok_only:
        df = df[df["status"] == "ok"]
    return df


def open_sweep_runs(path, names=None):
    """The runs of a sweep stacked on (run, step) for ensemble plots: the chosen series (default: all on
    step alone). Runs that are not complete are left out."""
    ds = open_sweep(path)
    directory = os.path.dirname(_sweep_path(path)) or "."
    parts = []
    for r in ds["run"].values[ds["status"].values == 0]:
        run = open_run(os.path.join(directory, "runs", f"run_{int(r):06d}.h5"))
        keep = names or [n for n in run.data_vars if run[n].dims == ("step",)]
        parts.append(run[keep].expand_dims(run=[int(r)]))
    return xr.concat(parts, dim="run") if parts else xr.Dataset()


def t_quantile(level, df):
    """Two-sided Student t critical value (e.g. 2.262 for level 0.95, df 9), from scipy.stats.t."""
    from scipy import stats

    return float(stats.t.ppf(0.5 + level / 2, df))


def mean_ci(values, level=0.95):
    """Mean and the half-width of its t confidence interval (NaNs dropped); (nan, nan) when empty."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan")
    if x.size == 1:
        return float(x[0]), float("nan")
    return float(x.mean()), float(t_quantile(level, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
