#!/usr/bin/python3
"""Checks that a keepsim run file is the netCDF-4 compatible HDF5 that docs/output.md describes.

    /usr/bin/python3 tests/python/h5check.py FILE

Opens FILE with xarray through the h5netcdf and netcdf4 engines (every warning is an error) and with h5py,
checks that no name starts with "phony_dim", that every variable has `units` and `long_name`, that both engines
agree, and that the HDF5 layout follows the rules (all in the root group, every axis with a dimension scale, only
scalar or 1-D attributes, variable-length strings, no compound/enum/bool/reference data). Prints a JSON summary
to stdout; on any failure prints "h5check: FILE: problem" to stderr and exits 1 (2 for a usage error).

Use Debian's /usr/bin/python3, which has xarray, h5netcdf, netCDF4 and h5py.
"""
import json
import math
import sys
import warnings

# Attributes HDF5 dimension scales and netCDF keep for themselves (not user attributes).
HIDDEN_ATTRS = {
    "CLASS",
    "NAME",
    "DIMENSION_LIST",
    "REFERENCE_LIST",
    "_Netcdf4Dimid",
    "_Netcdf4Coordinates",
    "_NCProperties",
    "_nc3_strict",
}


class CheckError(Exception):
    pass


def require(cond, message):
    if not cond:
        raise CheckError(message)


def plain(value):
    """A JSON-friendly version of an attribute value."""
    import numpy as np

    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf": strict JSON has no such numbers
    return value


def import_backends():
    """Imports the libraries before warnings become errors: their import-time warnings (e.g. Cython's
    "numpy.ndarray size changed", which numpy itself filters) say nothing about the file."""
    import h5netcdf  # noqa: F401
    import h5py  # noqa: F401
    import netCDF4  # noqa: F401
    import xarray  # noqa: F401

    try:
        import cftime  # noqa: F401
    except ImportError:
        pass


def open_with(path, engine):
    import xarray as xr

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            ds = xr.open_dataset(path, engine=engine)
            ds.load()
        except CheckError:
            raise
        except Exception as e:  # warnings are raised as exceptions here
            raise CheckError(f"xarray engine={engine}: {type(e).__name__}: {e}") from e
    return ds


def check_xarray(ds, engine):
    for name in list(ds.dims) + list(ds.variables):
        require(not str(name).startswith("phony_dim"), f"engine={engine}: phony dimension name '{name}'")
    for name, var in ds.variables.items():
        for key in ("units", "long_name"):
            require(key in var.attrs, f"engine={engine}: variable '{name}' has no '{key}' attribute")
        units = str(var.attrs["units"])
        require(" since " not in units, f"engine={engine}: variable '{name}' has time units '{units}'")


def check_attr(where, name, attr_id):
    import h5py

    space = attr_id.get_space()
    require(space.get_simple_extent_ndims() <= 1, f"{where}: attribute '{name}' has more than one dimension")
    tid = attr_id.get_type()
    cls = tid.get_class()
    require(
        cls in (h5py.h5t.INTEGER, h5py.h5t.FLOAT, h5py.h5t.STRING),
        f"{where}: attribute '{name}' has HDF5 type class {cls} (only integers, floats and strings)",
    )
    if cls == h5py.h5t.STRING:
        require(tid.is_variable_str(), f"{where}: attribute '{name}' is a fixed-length string")
        require(space.get_simple_extent_ndims() == 0, f"{where}: string attribute '{name}' is not scalar")


def check_h5py(path):
    """Checks the HDF5 layout; returns {dataset: {"dtype", "shape", "dims"}}."""
    import h5py

    info = {}
    with h5py.File(path, "r") as f:
        for name, attr_id in ((n, f.attrs.get_id(n)) for n in f.attrs):
            if name not in HIDDEN_ATTRS:
                check_attr("global", name, attr_id)
        for name, obj in f.items():
            require(isinstance(obj, h5py.Dataset), f"'{name}' is not a dataset in the root group")
            require(
                obj.dtype.kind in "iuf" and obj.dtype != bool,
                f"dataset '{name}' has dtype {obj.dtype} (only integers and floats)",
            )
            for attr in obj.attrs:
                if attr not in HIDDEN_ATTRS:
                    check_attr(f"dataset '{name}'", attr, obj.attrs.get_id(attr))
            dims = []
            for axis, dim in enumerate(obj.dims):
                if h5py.h5ds.is_scale(obj.id):
                    dims.append(name)
                    continue
                require(len(dim) >= 1, f"dataset '{name}' axis {axis} has no dimension scale")
                dims.append(dim[0].name.lstrip("/"))
            info[name] = {
                "dtype": str(obj.dtype),
                "shape": list(obj.shape),
                "maxshape": [None if m is None else int(m) for m in (obj.maxshape or ())],
                "dims": dims,
            }
            if obj.maxshape and None in obj.maxshape:
                require(obj.chunks is not None, f"dataset '{name}' is unlimited but not chunked")
                require(obj.compression in (None, "gzip"), f"dataset '{name}' uses filter {obj.compression}")
    return info


def summarize(ds, h5info):
    variables = {}
    for name, var in ds.variables.items():
        variables[name] = {
            "dims": list(var.dims),
            "dtype": h5info.get(name, {}).get("dtype", str(var.dtype)),
            "units": plain(var.attrs.get("units")),
            "long_name": plain(var.attrs.get("long_name")),
        }
    return {
        "dims": {str(k): int(v) for k, v in ds.dims.items()},
        "unlimited_dims": sorted(ds.encoding.get("unlimited_dims", ())),
        "variables": variables,
        "attrs": {k: plain(v) for k, v in ds.attrs.items()},
    }


def check(path):
    opened = {}
    for engine in ("h5netcdf", "netcdf4"):
        ds = open_with(path, engine)
        check_xarray(ds, engine)
        opened[engine] = ds
    a, b = opened["h5netcdf"], opened["netcdf4"]
    require(dict(a.dims) == dict(b.dims), f"engines disagree on dimensions: {dict(a.dims)} vs {dict(b.dims)}")
    require(
        list(a.variables) == list(b.variables),
        f"engines disagree on variables: {list(a.variables)} vs {list(b.variables)}",
    )
    require(a.identical(b), "engines read different values or attributes")
    h5info = check_h5py(path)
    for name in a.variables:
        require(name in h5info, f"variable '{name}' is not an HDF5 dataset")
    for name in h5info:
        if name not in a.variables:
            # Only netCDF's "dimension but not a variable" scales may be hidden from xarray.
            require(name in a.dims, f"dataset '{name}' is neither a variable nor a dimension in xarray")
    summary = summarize(b, h5info)
    for ds in opened.values():
        ds.close()
    return summary


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} FILE", file=sys.stderr)
        return 2
    path = argv[1]
    try:
        import_backends()
        summary = check(path)
    except CheckError as e:
        print(f"h5check: {path}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # unreadable file, missing module, ...
        print(f"h5check: {path}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
