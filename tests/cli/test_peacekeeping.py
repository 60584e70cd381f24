"""The peacekeeping scenario end to end, as a user runs it (issue 3): scenario + doctrine files combine on the
command line; the map exports, edits in Python and loads back; runs are identical on 1 and 2 threads; and
inconsistent levers or a broken raster give one clear error naming the file and key, exit 2, no output."""
import os
import shutil
import subprocess

import h5py
import numpy as np

from cli_common import KEEPSIM, SOURCE, assert_same_datasets, check, datasets, keepsim, main, tmpdir

SCENARIO = os.path.join(SOURCE, "configs", "scenarios", "default.toml")
DOCTRINES = os.path.join(SOURCE, "configs", "doctrines")
SMALL = ("--set", "world.width=50", "--set", "world.height=50", "--steps", 120, "-q")


def doctrine(name):
    return os.path.join(DOCTRINES, f"{name}.toml")


def test_both_doctrines_run_and_name_themselves():
    d = tmpdir()
    for name in ("complex_peacekeeping", "security_keeping"):
        out = os.path.join(d, f"{name}.h5")
        keepsim("run", SCENARIO, doctrine(name), "-o", out, *SMALL)
        with h5py.File(out, "r") as f:
            check(f.attrs["doctrine"] == name, f"doctrine attribute {f.attrs['doctrine']!r}")
            check(f.attrs["model"] == "peacekeeping", "model attribute")
            check(int(f.attrs["complete"]) == 1, "complete")
            for v in ("peacekeepers", "constables", "political_will", "spoilers_armed", "summary_civilian_deaths"):
                check(v in f, f"missing {v}")
            check(f["peacekeepers"][5] > 0, "peacekeepers arrived")


def test_threads_do_not_change_results():
    d = tmpdir()
    files = []
    for threads in (1, 2):
        out = os.path.join(d, f"t{threads}.h5")
        keepsim("run", SCENARIO, doctrine("security_keeping"), "-o", out, "--threads", threads, *SMALL)
        files.append(out)
    assert_same_datasets(*files)


def test_map_exports_edits_and_loads_back():
    """The exported map, loaded back unedited, gives the run of the generated map to the bit; edited (the porous
    border moved to the north edge), it gives another run, so the run reads the file's layers, not the
    generator's."""
    d = tmpdir()
    raster, edited = os.path.join(d, "map.h5"), os.path.join(d, "edited.h5")
    keepsim("map", SCENARIO, "-o", raster, "--set", "world.width=50", "--set", "world.height=50")
    shutil.copyfile(raster, edited)
    with h5py.File(edited, "r+") as f:
        check(f["region"].shape == (50, 50), f"shape {f['region'].shape}")
        border = f["border"][()]
        check(border[:, 0].all() and not border[0, 1:].any(), "the scenario's border is the west edge")
        border[:, :] = 0
        border[0, :] = 1  # move the porous border to the north edge
        f["border"][...] = border
    runs = {}
    for name, extra in (("generated", ()), ("loaded", ("--set", "map.source=file", "--set", f"map.file={raster}")),
                        ("edited", ("--set", "map.source=file", "--set", f"map.file={edited}"))):
        runs[name] = os.path.join(d, f"run_{name}.h5")
        keepsim("run", SCENARIO, doctrine("security_keeping"), "-o", runs[name], *extra, *SMALL)
    with h5py.File(runs["edited"], "r") as f:
        check(f["quiet"][0] > 0, "citizens placed on the loaded map")
    assert_same_datasets(runs["generated"], runs["loaded"])
    generated, moved = datasets(runs["generated"]), datasets(runs["edited"])
    changed = [k for k in generated if k in moved and np.asarray(generated[k]).tobytes() != np.asarray(moved[k]).tobytes()]
    check(changed, "the run on the edited map is the run on the generated one: the edit was not read")


def test_map_file_relative_to_its_config():
    """map.file = "map.h5" in a config under d/ reads d/map.h5 from any working directory (and the run's
    recorded config names that file); given with --set, a relative path is taken from the working directory."""
    d = tmpdir()
    os.makedirs(os.path.join(d, "cases"))
    raster = os.path.join(d, "cases", "map.h5")
    keepsim("map", SCENARIO, "-o", raster, "--set", "world.width=50", "--set", "world.height=50")
    case = os.path.join(d, "cases", "from_file.toml")
    with open(case, "w") as f:
        f.write('[map]\nsource = "file"\nfile = "map.h5"\n')
    out = os.path.join(d, "run.h5")
    p = subprocess.run([os.path.abspath(KEEPSIM), "run", SCENARIO, doctrine("security_keeping"), case, "-o", out, *map(str, SMALL)],
                       capture_output=True, text=True, cwd=tmpdir(), timeout=600)
    check(p.returncode == 0, f"run from another folder: {p.stderr}")
    with h5py.File(out, "r") as f:
        config = f.attrs["config"]
        check(f'file = "{raster}"' in config, f"the recorded config names the file read: {config}")
    p = subprocess.run([os.path.abspath(KEEPSIM), "run", SCENARIO, doctrine("security_keeping"), "-o", os.path.join(d, "r2.h5"),
                        *map(str, SMALL), "--set", "map.source=file", "--set", "map.file=cases/map.h5"],
                       capture_output=True, text=True, cwd=d, timeout=600)
    check(p.returncode == 0, f"--set map.file relative to the working directory: {p.stderr}")


def expect_error(args, *needles):
    d = tmpdir()
    out = os.path.join(d, "out.h5")
    proc = keepsim("run", *args, "-o", out, *SMALL, check=False)
    check(proc.returncode == 2, f"exit {proc.returncode}, stderr {proc.stderr}")
    for n in needles:
        check(n in proc.stderr, f"{n!r} not in {proc.stderr!r}")
    check(not os.path.exists(out) and not os.path.exists(out + ".part"), "output written")


def test_task_weights_must_sum_to_one():
    expect_error([SCENARIO, doctrine("security_keeping"), "--set", "tasks.presence=0.9"], "tasks.", "sum to 1")


def test_contingent_after_exit_date():
    expect_error([SCENARIO, doctrine("complex_peacekeeping"), "--set", "contingents.c2.arrival_day=800"],
                 "contingents.c2.arrival_day", "exit_day")


def test_unknown_caveat():
    expect_error([SCENARIO, doctrine("complex_peacekeeping"), "--set", "contingents.c1.caveats=riot,parade"],
                 "contingents.c1.caveats", "parade", "presence")


def test_unknown_doctrine_file():
    expect_error([SCENARIO, doctrine("peace_enforcement")], "peace_enforcement.toml")


def test_raster_wrong_shape_and_missing_layer():
    d = tmpdir()
    raster = os.path.join(d, "map.h5")
    keepsim("map", SCENARIO, "-o", raster, "--set", "world.width=40", "--set", "world.height=40")
    expect_error([SCENARIO, doctrine("security_keeping"), "--set", "map.source=file", "--set", f"map.file={raster}"],
                 raster, "region", "50")
    keepsim("map", SCENARIO, "-o", raster, "--set", "world.width=50", "--set", "world.height=50", "--force")
    with h5py.File(raster, "r+") as f:
        del f["road"]
    expect_error([SCENARIO, doctrine("security_keeping"), "--set", "map.source=file", "--set", f"map.file={raster}"],
                 raster, "road")


def test_maps_open_in_xarray_and_render():
    d = tmpdir()
    out = os.path.join(d, "maps.h5")
    keepsim("run", SCENARIO, doctrine("security_keeping"), "-o", out, "--set", "output.map_every=40", *SMALL)
    import subprocess
    import sys
    for script, extra in (("tests/python/check_maps.py", []), ("tests/python/h5check.py", []),
                          ("tools/render_maps.py", ["-o", os.path.join(d, "frames"), "--gif",
                                                   os.path.join(d, "maps.gif")])):
        proc = subprocess.run([sys.executable, os.path.join(SOURCE, script), out, *extra], capture_output=True,
                              text=True, env={**os.environ, "MPLBACKEND": "Agg"})
        check(proc.returncode == 0, f"{script}: {proc.stdout}{proc.stderr}")
    with h5py.File(out, "r") as f:
        check(list(f["snapshot_step"][()]) == [0, 40, 80, 120], f"snapshots {f['snapshot_step'][()]}")
        check(f["map_occupancy"].shape == (4, 50, 50), "map shape")
        steps = f["snapshot_step"][()]
        # map_displaced follows the displaced series' rule, so each snapshot sums to that day's count.
        displaced = f["map_displaced"][()]
        check(set(np.unique(displaced)) <= {0, 1}, f"map_displaced values {np.unique(displaced)}")
        sums = displaced.reshape(len(steps), -1).sum(axis=1)
        check(list(sums) == [int(f["displaced"][s]) for s in steps], f"map_displaced sums {sums}")
        check(sums[1:].max() > 0, "the test run should displace someone")
        # A displaced cell holds a citizen (quiet or active), never an empty cell or a fighter.
        occupancy = f["map_occupancy"][()]
        check(np.isin(occupancy[displaced == 1], [1, 2, 3]).all(), "a displaced cell without a citizen")
        # map_control: the incumbent share, within [0, 1], below full incumbent control somewhere (control is on
        # in the scenario; at day 0 the spoilers still hold ground).
        control = f["map_control"][()]
        check(control.dtype == np.float32 and (control >= 0).all() and (control <= 1).all(), "map_control range")
        check((control < 0.9).any(), "control should be contested somewhere")
    # map_installations: the world map's installation layer, in every snapshot.
    raster = os.path.join(d, "world.h5")
    keepsim("map", SCENARIO, "-o", raster, "--set", "world.width=50", "--set", "world.height=50")
    with h5py.File(raster, "r") as w, h5py.File(out, "r") as f:
        inst = f["map_installations"][()]
        check((inst == w["installation"][()][None]).all(), "map_installations differ from the world map")
        check({1, 2, 3} <= set(np.unique(inst)), f"installations {np.unique(inst)}")
        check(list(f["map_installations"].attrs["flag_values"]) == [0, 1, 2, 3], "flag_values")
    check(os.path.exists(os.path.join(d, "maps.gif")), "gif")
    # Without control computed (docs/output.md), map_control is the government's everywhere.
    off = os.path.join(d, "off.h5")
    keepsim("run", SCENARIO, doctrine("security_keeping"), "-o", off, "--set", "output.map_every=40",
            "--set", "control.enabled=false", "--set", "spoilers.political=false", *SMALL)
    with h5py.File(off, "r") as f:
        check((f["map_control"][()] == 1).all(), "map_control without control computed")


def test_describe_outputs_lists_every_series():
    proc = keepsim("describe", "--outputs")
    d = tmpdir()
    out = os.path.join(d, "run.h5")
    keepsim("run", SCENARIO, doctrine("complex_peacekeeping"), "-o", out, *SMALL)
    # Every variable but the axes (the dimension scales: step, group, faction, zone, ...), which the listing names
    # in each variable's dimensions.
    with h5py.File(out, "r") as f:
        names = [k for k in f if f[k].attrs.get("CLASS") not in (b"DIMENSION_SCALE", "DIMENSION_SCALE")]
    check(len(names) > 50 and "step" not in names, f"{len(names)} variables")
    # Each line of the listing starts with one variable's name: matched whole, so that a variable whose name is
    # part of a described one (displaced in map_displaced) still needs a line of its own.
    described = {line.split()[0] for line in proc.stdout.splitlines() if line.strip()}
    missing = [n for n in names if n not in described]
    check(not missing, f"not described: {missing}")


def test_burn_in_summaries():
    """ODD 7.12: the burn-in's war is summarised (it has no series); without a burn-in its rates are NaN, its
    peak 0, and the peak ratio over burn-in and run is the run's own."""
    d = tmpdir()
    out = {}
    for days in (0, 120):
        out[days] = os.path.join(d, f"b{days}.h5")
        # No settlement without a burn-in (ODD 7.20): the default country's share goes with it.
        keepsim("run", SCENARIO, doctrine("security_keeping"), "-o", out[days], "--set",
                f"start.burn_in_days={days}", *(("--set", "start.settlement_share=0") if days == 0 else ()), *SMALL)
    with h5py.File(out[0], "r") as f:
        check(np.isnan(f["summary_burn_in_killing_rate"][()]), "burn-in rate without a burn-in")
        check(np.isnan(f["summary_burn_in_civilian_death_rate"][()]), "burn-in civilian rate without a burn-in")
        check(f["summary_burn_in_peak_uprooted"][()] == 0, "burn-in peak without a burn-in")
        check(f["summary_uprooted_per_killed_with_burn_in"][()] == f["summary_uprooted_per_killed"][()],
              "the ratio over burn-in and run is the run's own without a burn-in")
    with h5py.File(out[120], "r") as f:
        every, civ = f["summary_burn_in_killing_rate"][()], f["summary_burn_in_civilian_death_rate"][()]
        check(np.isfinite(every) and np.isfinite(civ) and every >= civ >= 0, f"burn-in rates {every}, {civ}")
        check(f["summary_burn_in_killing_rate"].attrs["units"] == "1/100000/year", "burn-in rate's unit")


if __name__ == "__main__":
    main([test_both_doctrines_run_and_name_themselves, test_threads_do_not_change_results,
          test_map_exports_edits_and_loads_back, test_map_file_relative_to_its_config,
          test_task_weights_must_sum_to_one,
          test_contingent_after_exit_date, test_unknown_caveat, test_unknown_doctrine_file,
          test_raster_wrong_shape_and_missing_layer, test_maps_open_in_xarray_and_render,
          test_describe_outputs_lists_every_series, test_burn_in_summaries])
