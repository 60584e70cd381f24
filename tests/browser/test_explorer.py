"""The explorer in a real browser (docs/explorer.md): Debian's headless Chromium driven through chromium-driver
and python3-selenium, against `keepsim view` serving runs this test makes.

    test_explorer.py KEEPSIM SOURCE_DIR OUTPUT_DIR

It checks that the map draws the right pixels for a known small map (occupancy, control, displaced and
installation layers), that the slider and a click on a series
move the day, that a comparison page shows both runs and their summary table, that a sweep's points open
their runs, and that a run started from the page (and one stopped and resumed there) equals the same run from
the command line. Screenshots of each page go to OUTPUT_DIR. It measures, and only reports, the frames per
second of playing a 1000 x 1000 map. Exit code 77 (CTest's skip) only when selenium, chromium or chromedriver
is not installed; installed but unable to start, it fails.
"""
import atexit
import os
import shutil
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from cli_common import assert_same_datasets, check, keepsim, main, tmpdir  # noqa: E402
from view_common import SCENARIO, SMALL, Server, doctrine, make_doctrine_runs, wait_for  # noqa: E402

OUT = os.path.abspath(sys.argv[3] if len(sys.argv) > 3 else "browser-test-output")
SKIP = 77

# The colours of map_occupancy's categories 0..7 (docs/explorer.md, "Colours"); 255, the fill, is black.
OCCUPANCY_RGB = [(245, 245, 240), (70, 130, 180), (230, 160, 30), (220, 20, 60),
                 (120, 40, 140), (120, 80, 40), (0, 190, 255), (20, 140, 60)]


def start_browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as e:
        print(f"SKIP: python3-selenium is missing ({e}); scripts/install-deps.sh installs it")
        sys.exit(SKIP)
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        print("SKIP: Chromium cannot start: chromium or chromedriver is not installed "
              "(scripts/install-deps.sh installs chromium and chromium-driver)")
        sys.exit(SKIP)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--force-color-profile=srgb"):
        options.add_argument(arg)
    # Chromium keeps its singleton socket in a folder of the temporary directory and leaves it there even after a
    # clean quit; it gets a temporary directory of its own, removed when the test ends.
    env = dict(os.environ, TMPDIR=BROWSER_TMP)
    # Installed but unable to start (a driver that does not match the browser, a missing library) is a failure,
    # not a skip: where the suite's own install script has put both, a skip would hide that the page went
    # unchecked. Where they are not wanted, `ctest -LE browser` leaves the test out.
    try:
        return webdriver.Chrome(service=Service(driver_path, env=env), options=options)
    except Exception as e:  # noqa: BLE001 - said in one line, then the test fails
        print(f"FAIL: chromium and chromedriver are installed but Chromium cannot start: "
              f"{str(e).splitlines()[0] if str(e) else e!r}")
        sys.exit(1)


BROWSER_TMP = tempfile.mkdtemp(prefix="keepsim-chromium-")
atexit.register(shutil.rmtree, BROWSER_TMP, True)  # at exit, after the browser has quit or the test skipped
BROWSER = start_browser()  # first: where Chromium cannot start, the test is skipped before it makes anything
FOLDER = tmpdir()
make_doctrine_runs(FOLDER)
os.makedirs(OUT, exist_ok=True)
BROWSER.set_script_timeout(120)
SERVER = Server(FOLDER)


def go(route):
    BROWSER.get(SERVER.url + "#" + route)
    BROWSER.refresh()  # a new hash alone does not reload the page; each view starts fresh
    wait_for(lambda: BROWSER.execute_script("return document.body.dataset.ready === '1'"), what=f"page {route}")
    error = BROWSER.execute_script("var e = document.getElementById('error'); return e ? e.textContent : null")
    check(error is None, f"page {route} shows an error: {error}")


def shot(name):
    BROWSER.save_screenshot(os.path.join(OUT, name + ".png"))


def canvas_pixels(canvas_id):
    """The canvas's pixels as an (h, w, 3) array, read back by getImageData."""
    w, h, data = BROWSER.execute_script(
        "var c = document.getElementById(arguments[0]);"
        "return [c.width, c.height, Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)];",
        canvas_id)
    return np.array(data, dtype=np.uint8).reshape(h, w, 4)[:, :, :3]


def expected_occupancy(snapshot, show=range(1, 8), path="sk.h5"):
    with h5py.File(os.path.join(FOLDER, path), "r") as f:
        cells = f["map_occupancy"][snapshot]
    rgb = np.zeros(cells.shape + (3,), dtype=np.uint8)
    for c in range(8):
        rgb[cells == c] = OCCUPANCY_RGB[c] if (c == 0 or c in show) else OCCUPANCY_RGB[0]
    return rgb, cells


# The control layer's colours by Kalyvas's zone 0..4 (docs/explorer.md, "Colours"), and the zone of a share k
# by ODD 7.15's thresholds, computed in float64 as the page does (not numpy's float32 against a Python float).
CONTROL_RGB = [(33, 102, 172), (146, 197, 222), (247, 247, 247), (244, 165, 130), (178, 24, 43)]
DISPLACED_RGB = [(245, 245, 240), (217, 95, 2)]
INSTALLATION_RGB = [(245, 245, 240), (200, 0, 120), (30, 90, 200), (60, 160, 40)]


def expected_control(snapshot, path="sk.h5"):
    with h5py.File(os.path.join(FOLDER, path), "r") as f:
        k = f["map_control"][snapshot].astype(np.float64)
    zone = np.select([k >= 0.9, k >= 0.6, k > 0.4, k > 0.1], [0, 1, 2, 3], default=4)
    return np.array(CONTROL_RGB, dtype=np.uint8)[zone], zone


def expected_categories(name, colours, snapshot, path="sk.h5"):
    with h5py.File(os.path.join(FOLDER, path), "r") as f:
        cells = f[name][snapshot]
    return np.array(colours, dtype=np.uint8)[cells], cells


def pick_layer(layer_id):
    BROWSER.execute_script("var s = document.getElementById('layer'); s.value = arguments[0];"
                           "s.dispatchEvent(new Event('change'));", layer_id)


def shown_day():
    return int(BROWSER.execute_script("return document.getElementById('day').dataset.day"))


def test_map_draws_the_right_pixels():
    go("run?id=0/sk.h5")
    expected, cells = expected_occupancy(0)
    check(len(np.unique(cells)) >= 3, f"the test map should hold several categories: {np.unique(cells)}")
    got = canvas_pixels("map")
    check(got.shape == expected.shape, f"canvas {got.shape}, map {expected.shape}")
    wrong = np.argwhere((got != expected).any(axis=2))
    check(len(wrong) == 0, f"{len(wrong)} cells drawn wrong, first at {wrong[:3].tolist()}")
    shot("run_everyone")
    # The security forces layer shows peacekeepers and constables and nothing else.
    BROWSER.execute_script("var s = document.getElementById('layer'); s.value = 'forces';"
                           "s.dispatchEvent(new Event('change'));")
    expected, _ = expected_occupancy(0, show=(6, 7))
    wait_for(lambda: (canvas_pixels("map") == expected).all(), timeout=20, what="the forces layer")
    shot("run_forces")


def test_control_displaced_and_installation_layers():
    go("run?id=0/sk.h5")
    # The control layer at the snapshot with the most zones (the first is uncontested: nobody has moved yet).
    with h5py.File(os.path.join(FOLDER, "sk.h5"), "r") as f:
        snapshots = f["snapshot_step"].shape[0]
    snapshot = max(range(snapshots), key=lambda s: len(np.unique(expected_control(s)[1])))
    expected, zones = expected_control(snapshot)
    check(len(np.unique(zones)) >= 3, f"the test map should hold several control zones: {np.unique(zones)}")
    pick_layer("control")
    BROWSER.execute_script("var s = document.getElementById('slider'); s.value = arguments[0];"
                           "s.dispatchEvent(new Event('input'));", snapshot)
    wait_for(lambda: (canvas_pixels("map") == expected).all(), timeout=20, what="the control layer")
    legend = BROWSER.execute_script("return document.querySelector('.legend').textContent")
    check("full incumbent" in legend and "contested" in legend, f"control legend: {legend}")
    shot("run_control")
    # Displaced citizens and installations: categories, each with its colour, each at the snapshot where the
    # layer holds the most values (where the displaced are depends on the run, not on what is drawn).
    for layer, name, colours in (("displaced", "map_displaced", DISPLACED_RGB),
                                 ("installations", "map_installations", INSTALLATION_RGB)):
        snapshot = max(range(snapshots),
                       key=lambda s: len(np.unique(expected_categories(name, colours, s)[1])))
        expected, cells = expected_categories(name, colours, snapshot)
        check(len(np.unique(cells)) >= 2, f"{name} should hold more than one value: {np.unique(cells)}")
        pick_layer(layer)
        BROWSER.execute_script("var s = document.getElementById('slider'); s.value = arguments[0];"
                               "s.dispatchEvent(new Event('input'));", snapshot)
        wait_for(lambda: (canvas_pixels("map") == expected).all(), timeout=20, what=f"the {layer} layer")
        shot("run_" + layer)


def test_slider_and_series_move_the_day():
    go("run?id=0/sk.h5")
    with h5py.File(os.path.join(FOLDER, "sk.h5"), "r") as f:
        days = [int(x) for x in f["snapshot_step"][()]]
    check(shown_day() == days[0], f"day {shown_day()} at start")
    from selenium.webdriver.common.keys import Keys
    slider = BROWSER.find_element("id", "slider")
    slider.click()  # a click in the middle of the slider
    slider.send_keys(Keys.END)  # then the keyboard, as a user would
    wait_for(lambda: shown_day() == days[-1], timeout=20, what="the last day after End")
    expected, _ = expected_occupancy(len(days) - 1)
    wait_for(lambda: (canvas_pixels("map") == expected).all(), timeout=20, what="the last snapshot drawn")
    slider.send_keys(Keys.LEFT, Keys.LEFT)
    wait_for(lambda: shown_day() == days[-3], timeout=20, what="two days back")
    cursor = int(BROWSER.execute_script("return document.getElementById('chart').dataset.cursor"))
    check(cursor == days[-3], f"the series cursor is at {cursor}, the map at {days[-3]}")
    shot("run_slider")
    # A click on the series near its left edge moves the map to the first snapshot.
    from selenium.webdriver.common.action_chains import ActionChains
    chart = BROWSER.find_element("id", "chart")
    width = chart.size["width"]
    ActionChains(BROWSER).move_to_element_with_offset(chart, -width // 2 + 62, 0).click().perform()
    wait_for(lambda: shown_day() == days[0], timeout=20, what="the day clicked on the series")
    shot("run_series_click")


def test_comparison_shows_both_runs():
    go("compare?" + urllib.parse.urlencode({"a": "0/sk.h5", "b": "0/cp.h5"}))
    for canvas, path in (("map-a", "sk.h5"), ("map-b", "cp.h5")):
        expected, _ = expected_occupancy(0, path=path)
        check((canvas_pixels(canvas) == expected).all(), f"{canvas} does not show {path}")
    header = BROWSER.execute_script(
        "return Array.from(document.querySelectorAll('#summaries th')).map(e => e.textContent)")
    check(header[1:3] == ["security_keeping", "complex_peacekeeping"], header)
    rows = BROWSER.execute_script("return document.querySelectorAll('#summaries tr').length") - 1
    with h5py.File(os.path.join(FOLDER, "sk.h5"), "r") as f:
        n = sum(1 for k in f if k.startswith("summary_"))
        deaths = int(f["summary_civilian_deaths"][()])
    check(rows == n, f"{rows} summary rows, the file has {n}")
    row = BROWSER.execute_script(
        "return Array.from(document.querySelectorAll('#summaries tr')).map(r => Array.from(r.cells)"
        ".map(c => c.textContent)).find(r => r[0] === 'civilian_deaths')")
    check(row[1] == str(deaths), f"civilian_deaths {row} but the file says {deaths}")
    # One slider moves both maps.
    BROWSER.execute_script("var s = document.getElementById('slider'); s.value = 3;"
                           "s.dispatchEvent(new Event('input'));")
    for canvas, path in (("map-a", "sk.h5"), ("map-b", "cp.h5")):
        expected, _ = expected_occupancy(3, path=path)
        wait_for(lambda: (canvas_pixels(canvas) == expected).all(), timeout=20, what=f"{canvas} at snapshot 3")
    shot("compare")


def test_sweep_points_open_runs():
    sweep_dir = os.path.join(FOLDER, "quick")
    keepsim("sweep", os.path.join(os.path.dirname(SCENARIO), "..", "sweeps", "quick.toml"), "-o", sweep_dir, "-q")
    go("sweep?id=0/quick/sweep.h5")
    points = BROWSER.execute_script("return keepsimView.sweepPoints()")
    check(len(points) == 12, f"{len(points)} points for 12 runs")
    # Each level's count and mean, as the table under the chart shows them, from the sweep table itself.
    factor, summary = BROWSER.execute_script("return [document.getElementById('factor').value,"
                                             "document.getElementById('summary').value]")
    rows = BROWSER.execute_script("return Array.from(document.querySelectorAll('#sweep-stats tr')).slice(1)"
                                  ".map(r => Array.from(r.cells).map(c => c.textContent))")
    with h5py.File(os.path.join(sweep_dir, "sweep.h5"), "r") as f:
        x, y, ok = f[factor][()], f[summary][()].astype(float), f["status"][()] == 0
    levels = sorted(set(x[ok]))
    check(len(rows) == len(levels), f"{len(rows)} rows for levels {levels}")
    for row, level in zip(rows, levels):
        sel = ok & (x == level)
        mean = y[sel].mean()
        check(int(row[1]) == sel.sum() and abs(float(row[2]) - mean) <= 1e-3 * max(1.0, abs(mean)),
              f"level {level}: page says {row}, the table {sel.sum()} runs, mean {mean}")
    shot("sweep")
    from selenium.webdriver.common.action_chains import ActionChains
    canvas = BROWSER.find_element("id", "sweep-chart")
    p = points[5]
    css = BROWSER.execute_script("var r = arguments[0].getBoundingClientRect(); return [r.width, r.height];", canvas)
    scale = css[0] / 900
    ActionChains(BROWSER).move_to_element_with_offset(
        canvas, int(p["x"] * scale - css[0] / 2), int(p["y"] * scale - css[1] / 2)).click().perform()
    wait_for(lambda: BROWSER.execute_script("return location.hash").startswith("#run?"), timeout=20,
             what="a click on a point to open its run")
    wait_for(lambda: BROWSER.execute_script("return document.body.dataset.ready === '1'"), what="the run page")
    check(urllib.parse.unquote(BROWSER.execute_script("return location.hash")).endswith(p["id"]), p)
    shot("sweep_run")


def start_from_page(like, edits=None):
    """Opens the form filled from run `like`, types `edits` ({key: text}) into it and starts the run."""
    go("launch?" + urllib.parse.urlencode({"like": like}))
    for key, text in (edits or {}).items():
        field = BROWSER.find_element("css selector", f"[name='{key}']")
        BROWSER.execute_script("arguments[0].closest('details').open = true", field)
        field.clear()
        field.send_keys(text)
    shot("launch_form")
    BROWSER.find_element("id", "start").click()
    wait_for(lambda: BROWSER.execute_script("return location.hash").startswith("#job?"), timeout=30,
             what="the run to start")
    return int(urllib.parse.parse_qs(BROWSER.execute_script("return location.hash")[len("#job?"):])["job"][0])


def job_state():
    return BROWSER.execute_script("var e = document.getElementById('job-state'); return e && e.dataset.state")


def test_run_from_page_equals_command_line():
    """The form filled from a run with seed 3, its seed typed over with 5, against the command line's seed 5."""
    keepsim("run", SCENARIO, doctrine("security_keeping"), "-o", os.path.join(FOLDER, "cli.h5"), *SMALL)
    seed5 = list(SMALL)
    seed5[seed5.index("--seed") + 1] = "5"
    keepsim("run", SCENARIO, doctrine("security_keeping"), "-o", os.path.join(FOLDER, "cli5.h5"), *seed5)
    job = start_from_page("0/cli.h5", {"run.seed": "5"})
    wait_for(lambda: job_state() == "finished", timeout=300, what="the run from the page to finish")
    shot("job_finished")
    _, info = SERVER.json(f"/api/job?job={job}")
    assert_same_datasets(os.path.join(FOLDER, "page_runs", info["output"]), os.path.join(FOLDER, "cli5.h5"))


def test_stop_and_resume_from_page():
    # Long enough to be stopped while it runs (a few seconds on two cores): 1000 days on a 60 x 60 map.
    longer = [a for a in SMALL]
    longer[longer.index("--steps") + 1] = "1000"
    longer[1] = "world.width=60"
    longer[3] = "world.height=60"
    keepsim("run", SCENARIO, doctrine("complex_peacekeeping"), "-o", os.path.join(FOLDER, "long.h5"), *longer)
    job = start_from_page("0/long.h5")
    # The live map appears from the run's checkpoints while it computes.
    wait_for(lambda: BROWSER.execute_script("return document.getElementById('live-day').textContent") != "",
             timeout=120, what="a live map")
    wait_for(lambda: BROWSER.execute_script("var c = keepsimView.chart;"
                                            "return c && c.lines.length > 0 && c.lines[0].values.length > 1"),
             timeout=60, what="the live series")
    shot("job_live")
    BROWSER.find_element("id", "stop").click()
    wait_for(lambda: job_state() in ("stopped", "finished"), timeout=120, what="the run to stop")
    _, info = SERVER.json(f"/api/job?job={job}")
    check(info["state"] == "stopped", f"the run finished before it could be stopped: {info}")
    out = os.path.join(FOLDER, "page_runs", info["output"])
    with h5py.File(out, "r") as f:
        check(int(f.attrs["complete"]) == 0, "a stopped run's file is marked complete = 0")
    check(os.path.exists(out + ".ckpt"), "a stopped run leaves its checkpoint")
    shot("job_stopped")
    BROWSER.find_element("id", "resume").click()
    wait_for(lambda: job_state() == "finished", timeout=300, what="the resumed run to finish")
    assert_same_datasets(out, os.path.join(FOLDER, "long.h5"))


def write_big_run(path, size=1000, snapshots=30):
    """A run file with a 1000 x 1000 occupancy map in the layout of docs/output.md (maps only)."""
    rng = np.random.default_rng(1)
    with h5py.File(path, "w", track_order=True) as f:
        f.attrs["title"] = "1000 x 1000 map for the frame rate"
        f.attrs["model"] = "peacekeeping"
        f.attrs["steps_completed"] = np.int64(snapshots - 1)
        f.attrs["complete"] = np.int64(1)
        step = f.create_dataset("step", data=np.arange(snapshots, dtype=np.int64))
        step.make_scale("step")
        snap = f.create_dataset("snapshot_step", data=np.arange(snapshots, dtype=np.int64))
        snap.make_scale("snapshot")
        ys = f.create_dataset("y", data=np.arange(size, dtype=np.int64))
        ys.make_scale("y")
        xs = f.create_dataset("x", data=np.arange(size, dtype=np.int64))
        xs.make_scale("x")
        base = rng.integers(0, 8, size=(size, size), dtype=np.uint8)
        occ = f.create_dataset("map_occupancy", shape=(snapshots, size, size), dtype=np.uint8,
                               chunks=(1, size, size), shuffle=True, compression="gzip", compression_opts=4)
        for k in range(snapshots):
            occ[k] = np.roll(base, k, axis=1)
        for axis, scale in enumerate((snap, ys, xs)):
            occ.dims[axis].attach_scale(scale)
        active = f.create_dataset("active", data=np.arange(snapshots, dtype=np.int64))
        active.dims[0].attach_scale(step)


def test_frame_rate_1000x1000():
    write_big_run(os.path.join(FOLDER, "big.h5"))
    go("run?id=0/big.h5")
    fps = BROWSER.execute_async_script(
        "var done = arguments[arguments.length - 1]; keepsimView.player.measure(40).then(done);")
    print(f"     playing a 1000 x 1000 map: {fps:.1f} frames per second (measured, not asserted)")
    with open(os.path.join(OUT, "frame_rate.txt"), "w") as f:
        f.write(f"1000x1000 map_occupancy, 40 frames: {fps:.2f} frames per second\n")
    shot("big_map")


def test_server_stops_cleanly():
    """Last: Ctrl-C ends the server that answered every page above with exit code 0."""
    rc = SERVER.stop()
    check(rc == 0, f"keepsim view exited {rc} after SIGINT: {SERVER.proc.stderr.read()[-3000:]}")


if __name__ == "__main__":
    try:
        main([test_map_draws_the_right_pixels, test_control_displaced_and_installation_layers,
              test_slider_and_series_move_the_day, test_comparison_shows_both_runs,
              test_sweep_points_open_runs, test_run_from_page_equals_command_line, test_stop_and_resume_from_page,
              test_frame_rate_1000x1000, test_server_stops_cleanly])
    finally:
        BROWSER.quit()
        SERVER.stop()
