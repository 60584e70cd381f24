#!/usr/bin/python3
"""Checks the map snapshots of a keepsim run file against docs/output.md.

    /usr/bin/python3 tests/python/check_maps.py FILE

Opens FILE with xarray through the h5netcdf and netcdf4 engines (every warning is an error) and checks, for
each engine: dimensions snapshot, y and x exist; no dimension or variable name starts with "phony_dim";
snapshot_step is an int64 variable on (snapshot) with one value per snapshot; y and x are int64 coordinates
0..n-1; every map_* variable has dims (snapshot, y, x), is stored as uint8, int32 or float32 with a
_FillValue, and has flag_values of its own type wherever it has flag_meanings; and both engines read the same
values. Prints one summary line to stdout; on any failure prints "check_maps: FILE: problem" to stderr and
exits 1 (2 for a usage error).

Use Debian's /usr/bin/python3, which has xarray, h5netcdf and netCDF4.
"""
import sys
import warnings

MAP_DTYPES = {"uint8", "int32", "float32"}


class CheckError(Exception):
    pass


def require(cond, message):
    if not cond:
        raise CheckError(message)


def import_backends():
    """Imports the libraries before warnings become errors (their import-time warnings say nothing of the
    file)."""
    import h5netcdf  # noqa: F401
    import netCDF4  # noqa: F401
    import numpy  # noqa: F401
    import xarray  # noqa: F401


def open_with(path, engine):
    import xarray as xr

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            ds = xr.open_dataset(path, engine=engine)
            ds.load()
        except Exception as e:  # warnings are raised as exceptions here
            raise CheckError(f"xarray engine={engine}: {type(e).__name__}: {e}") from e
    return ds


def check_engine(ds, engine):
    import numpy as np

    where = f"engine={engine}"
    for name in list(ds.dims) + list(ds.variables):
        require(not str(name).startswith("phony_dim"), f"{where}: phony dimension name '{name}'")
    for dim in ("snapshot", "y", "x"):
        require(dim in ds.dims, f"{where}: no dimension '{dim}' (dims: {list(ds.dims)})")
    unlimited = ds.encoding.get("unlimited_dims", set())
    require("snapshot" in unlimited, f"{where}: dimension 'snapshot' is not unlimited")

    require("snapshot_step" in ds.variables, f"{where}: no variable 'snapshot_step'")
    step = ds["snapshot_step"]
    require(step.dims == ("snapshot",), f"{where}: snapshot_step has dims {step.dims}, not ('snapshot',)")
    require(step.dtype == np.int64, f"{where}: snapshot_step has dtype {step.dtype}, not int64")
    values = step.values
    require(len(values) == ds.sizes["snapshot"], f"{where}: snapshot_step has {len(values)} values")
    require(bool(np.all(np.diff(values) > 0)), f"{where}: snapshot_step is not increasing: {values.tolist()}")

    for dim in ("y", "x"):
        require(dim in ds.coords, f"{where}: '{dim}' is not a coordinate")
        coord = ds[dim]
        require(coord.dtype == np.int64, f"{where}: coordinate '{dim}' has dtype {coord.dtype}")
        require(
            coord.values.tolist() == list(range(ds.sizes[dim])), f"{where}: coordinate '{dim}' is not 0..n-1"
        )

    maps = sorted(name for name in ds.data_vars if str(name).startswith("map_"))
    require(maps, f"{where}: no map_* variable")
    for name in maps:
        var = ds[name]
        dims = var.dims
        require(dims == ("snapshot", "y", "x"), f"{where}: {name} has dims {dims}, not (snapshot, y, x)")
        # Integer maps with a _FillValue come back as float (masked) from xarray; the stored dtype is what
        # counts.
        stored = str(var.encoding.get("dtype", var.dtype))
        require(stored in MAP_DTYPES, f"{where}: {name} is stored as {stored}, not uint8, int32 or float32")
        require("_FillValue" in var.encoding, f"{where}: {name} has no _FillValue")
        for key in ("units", "long_name"):
            require(key in var.attrs, f"{where}: {name} has no '{key}' attribute")
        if "flag_meanings" in var.attrs:
            require("flag_values" in var.attrs, f"{where}: {name} has flag_meanings but no flag_values")
            flags = np.atleast_1d(var.attrs["flag_values"])
            require(str(flags.dtype) == stored, f"{where}: {name} flag_values: {flags.dtype}, not {stored}")
            meanings = str(var.attrs["flag_meanings"]).split()
            require(
                len(meanings) == len(flags),
                f"{where}: {name} has {len(flags)} flag_values for {len(meanings)} flag_meanings",
            )
    return maps, values.tolist()


def check(path):
    opened = {}
    for engine in ("h5netcdf", "netcdf4"):
        ds = open_with(path, engine)
        opened[engine] = (ds, check_engine(ds, engine))
    (a, (maps, steps)), (b, _) = opened["h5netcdf"], opened["netcdf4"]
    require(dict(a.sizes) == dict(b.sizes), f"engines disagree on sizes: {dict(a.sizes)} vs {dict(b.sizes)}")
    for name in maps + ["snapshot_step"]:
        require(a[name].identical(b[name]), f"engines read different values or attributes of '{name}'")
    sizes = f"snapshot={a.sizes['snapshot']} y={a.sizes['y']} x={a.sizes['x']}"
    for ds, _ in opened.values():
        ds.close()
    return f"{path}: {sizes}; snapshot_step={steps}; maps: {', '.join(maps)}"


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} FILE", file=sys.stderr)
        return 2
    path = argv[1]
    try:
        import_backends()
        summary = check(path)
    except CheckError as e:
        print(f"check_maps: {path}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # unreadable file, missing module, ...
        print(f"check_maps: {path}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"check_maps: ok: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
