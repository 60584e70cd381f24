"""`keepsim view` without a browser (docs/explorer.md): what it serves, in what form, and what it refuses:
ids with '..', links leading out of the folders it was given, requests naming another host, POSTs from another
page. The browser tests (tests/browser) check the page itself."""
import json
import os
import threading
import time
import urllib.parse

import h5py
import numpy as np

from cli_common import SANITIZED, assert_same_datasets, check, keepsim, main, tmpdir
from view_common import SCENARIO, SMALL, Server, doctrine, make_doctrine_runs, wait_for

FOLDER = tmpdir()
make_doctrine_runs(FOLDER)


def q(**params):
    return urllib.parse.urlencode(params)


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def page_sets(s, run_id):
    """The parameters of run_id as the page sends them to POST /api/jobs: strings quoted as TOML reads them,
    everything else as the schema wrote it."""
    status, schema = s.json("/api/schema?" + q(id=run_id))
    check(status == 200, schema)
    return [("set", f"{p['key']}={json.dumps(p['value'])}" if p["type"] in ("string", "choice") else
             f"{p['key']}={p['value']}") for p in schema["parameters"]]


def test_lists_and_reads_runs():
    with Server(FOLDER) as s:
        status, body = s.json("/api/runs")
        check(status == 200, body)
        ids = {r["id"]: r for r in body["runs"]}
        check({"0/sk.h5", "0/cp.h5"} <= ids.keys(), ids.keys())
        check(ids["0/sk.h5"]["kind"] == "run" and ids["0/sk.h5"]["doctrine"] == "security_keeping", ids["0/sk.h5"])
        status, run = s.json("/api/run?" + q(id="0/sk.h5"))
        check(status == 200, run)
        with h5py.File(os.path.join(FOLDER, "sk.h5"), "r") as f:
            check(run["snapshot_steps"] == [float(x) for x in f["snapshot_step"][()]], run["snapshot_steps"])
            roles = {v["name"]: v["role"] for v in run["variables"]}
            check(roles["map_occupancy"] == "map" and roles["civilians_killed"] == "series", roles)
            summary = next(v for v in run["variables"] if v["name"] == "summary_civilian_deaths")
            check(summary["value"] == float(f["summary_civilian_deaths"][()]), summary)
            status, series = s.json("/api/series?" + q(id="0/sk.h5", name="alive"))
            check(series["shape"] == list(f["alive"].shape), series["shape"])
            check(np.array_equal(np.array(series["values"]).reshape(f["alive"].shape), f["alive"][()]), "alive")
            # A map: one snapshot of one variable, raw bytes in its own type.
            status, headers, data = s.request("/api/map?" + q(id="0/sk.h5", name="map_occupancy", snapshot=2))
            check(status == 200 and headers["Content-Type"] == "application/octet-stream", headers)
            check(headers["X-Keepsim-Dtype"] == "u1" and headers["X-Keepsim-Shape"] == "40,40", headers)
            check(int(headers["X-Keepsim-Step"]) == int(f["snapshot_step"][2]), headers)
            check(data == f["map_occupancy"][2].tobytes(), "map bytes differ from the file's")
            status, headers, data = s.request("/api/map?" + q(id="0/sk.h5", name="map_legitimacy", snapshot=1))
            check(headers["X-Keepsim-Dtype"] == "f4" and data == f["map_legitimacy"][1].astype("<f4").tobytes(),
                  "legitimacy map")
            # The control, displaced and installations maps, each in its own type, as the file holds them.
            for name, dtype in (("map_control", "f4"), ("map_displaced", "u1"), ("map_installations", "u1")):
                check(roles.get(name) == "map", f"{name}: {roles.get(name)}")
                status, headers, data = s.request("/api/map?" + q(id="0/sk.h5", name=name, snapshot=3))
                check(status == 200 and headers["X-Keepsim-Dtype"] == dtype and headers["X-Keepsim-Shape"] == "40,40",
                      f"{name}: {status} {headers}")
                check(data == f[name][3].astype("<" + dtype).tobytes(), f"{name}: bytes differ from the file's")
        status, _, _ = s.request("/api/map?" + q(id="0/sk.h5", name="map_occupancy", snapshot=99))
        check(status == 400, f"a snapshot that is not there: {status}")
        status, _, page = s.request("/")
        check(status == 200 and b"app.js" in page, "the page")
    check(not os.path.exists(os.path.join(FOLDER, "page_runs")), "viewing alone made the runs folder")


def test_refuses_paths_outside():
    outside = tmpdir()
    with open(os.path.join(outside, "secret.h5"), "wb") as f:
        f.write(b"not for the browser")
    inner = os.path.join(FOLDER, "inner")
    os.makedirs(inner, exist_ok=True)
    link = os.path.join(inner, "link.h5")
    if not os.path.lexists(link):
        os.symlink(os.path.join(outside, "secret.h5"), link)
    dirlink = os.path.join(inner, "dirlink")
    if not os.path.lexists(dirlink):
        os.symlink(outside, dirlink)
    rel_outside = os.path.relpath(os.path.join(outside, "secret.h5"), inner)
    with Server(inner, os.path.join(FOLDER, "sk.h5")) as s:
        for bad in ["0/../sk.h5", "0/" + rel_outside, "0/link.h5", "0/dirlink/secret.h5", "0/./link.h5",
                    "0//link.h5", "/etc/passwd", "0/%2e%2e/sk.h5", "1/x", "2", "0", "-1", "0/\x00"]:
            status, body = s.json("/api/run?" + q(id=bad))
            check(status == 404, f"id {bad!r} answered {status}: {body}")
        status, body = s.json("/api/run?" + q(id="1"))
        check(status == 200, f"a file given by itself: {body}")
        status, body = s.json("/api/runs")
        check([r["id"] for r in body["runs"]] == ["1"], f"a link out of the folder is not listed: {body}")
        # Another host name (DNS rebinding), and a POST from another page, are refused.
        status, _, _ = s.request("/api/runs", headers={"Host": f"evil.example:{s.port}"})
        check(status == 403, f"a foreign Host header answered {status}")
        status, _, _ = s.request("/api/jobs", method="POST", body="set=run.steps%3D1",
                                 headers={"Origin": "http://evil.example",
                                          "Content-Type": "application/x-www-form-urlencoded"})
        check(status == 403, f"a POST from another origin answered {status}")


def test_binds_to_loopback_and_refuses_missing_path():
    with Server(FOLDER) as s:
        check(s.host == "127.0.0.1", s.host)
    p = keepsim("view", os.path.join(FOLDER, "nothing.h5"), "--port", "0", check=False)
    check(p.returncode == 2 and "nothing.h5" in p.stderr, p.stderr)


def test_responsive_while_busy():
    """Many slow requests at once (whole series) do not hold up a small one."""
    with Server(FOLDER) as s:
        stop = time.time() + 3
        def hammer():
            while time.time() < stop:
                s.request("/api/series?" + q(id="0/sk.h5", name="alive"))
        threads = [threading.Thread(target=hammer) for _ in range(6)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        t0 = time.time()
        status, _, _ = s.request("/api/runs")
        took = time.time() - t0
        for t in threads:
            t.join()
        check(status == 200, status)
        print(f"     /api/runs answered in {took * 1000:.0f} ms while six clients read series")
        check(took < 5, f"/api/runs took {took:.1f} s under load")


def test_start_equals_command_line():
    folder = tmpdir()
    cli = os.path.join(folder, "cli.h5")
    keepsim("run", SCENARIO, doctrine("security_keeping"), "-o", cli, *SMALL)
    with Server(folder) as s:
        sets = page_sets(s, "0/cli.h5")
        bad = urllib.parse.urlencode([("set", "citizens.vision=-4")])
        status, body = s.json("/api/jobs", method="POST", body=bad,
                              headers=FORM)
        check(status == 400 and "citizens.vision" in body["error"], body)
        status, body = s.json("/api/jobs", method="POST", body=urllib.parse.urlencode(sets),
                              headers=FORM)
        check(status == 200, body)
        job = body["job"]
        wait_for(lambda: s.json(f"/api/job?job={job}")[1]["state"] != "running", what="the run to end")
        status, info = s.json(f"/api/job?job={job}")
        check(info["state"] == "finished" and info["output_id"], info)
        assert_same_datasets(os.path.join(folder, "page_runs", info["output"]), cli)
        # The runs folder is inside the served folder and served as a root of its own: listed once.
        _, listing = s.json("/api/runs")
        names = [r["name"] for r in listing["runs"]]
        check(names.count(info["output"]) == 1, f"the page's run listed {names.count(info['output'])} times")


def test_stop_and_resume_equal_command_line():
    """The explorer's stop and resume (POST /api/job/stop, /api/job/resume; docs/explorer.md), without a browser:
    a run started from the page, stopped while it computes, leaves a file marked incomplete and its checkpoint;
    resumed, it ends with the same datasets as the same run made at once on the command line. Stopping a run
    that is not running, or resuming one that is not stopped, is refused with 409."""
    folder = tmpdir()
    # Long enough to be stopped while it runs: 1000 days on a 60 x 60 map take a few seconds on two cores;
    # the sanitizer builds run several times slower, so fewer days last as long there.
    longer = list(SMALL)
    longer[longer.index("--steps") + 1] = "300" if SANITIZED else "1000"
    longer[longer.index("world.width=40")] = "world.width=60"
    longer[longer.index("world.height=40")] = "world.height=60"
    cli = os.path.join(folder, "long.h5")
    keepsim("run", SCENARIO, doctrine("complex_peacekeeping"), "-o", cli, *longer)
    with Server(folder) as s:
        sets = page_sets(s, "0/long.h5")
        status, body = s.json("/api/jobs", method="POST", body=urllib.parse.urlencode(sets), headers=FORM)
        check(status == 200, body)
        job = body["job"]
        status, body = s.json(f"/api/job/resume?job={job}", method="POST", body="", headers=FORM)
        check(status == 409, f"a running run cannot be resumed: {status} {body}")
        # Stop it once it has written a checkpoint with a day in it.
        wait_for(lambda: s.json(f"/api/job?job={job}")[1].get("period", 0) > 0 or
                 s.json(f"/api/job?job={job}")[1]["state"] != "running", timeout=300, what="the run to compute")
        status, body = s.json(f"/api/job/stop?job={job}", method="POST", body="", headers=FORM)
        check(status == 200, f"stop: {status} {body}")
        wait_for(lambda: s.json(f"/api/job?job={job}")[1]["state"] != "running", timeout=120, what="the run to stop")
        _, info = s.json(f"/api/job?job={job}")
        check(info["state"] == "stopped", f"the run finished before it could be stopped: {info}")
        out = os.path.join(folder, "page_runs", info["output"])
        with h5py.File(out, "r") as f:
            check(int(f.attrs["complete"]) == 0, "a stopped run's file is marked complete = 0")
            stopped_at = int(f.attrs["steps_completed"])
        check(0 < stopped_at < int(longer[longer.index("--steps") + 1]), f"stopped after {stopped_at} days")
        check(os.path.exists(out + ".ckpt"), "a stopped run leaves its checkpoint")
        status, body = s.json(f"/api/job/stop?job={job}", method="POST", body="", headers=FORM)
        check(status == 409, f"a stopped run cannot be stopped again: {status} {body}")
        status, body = s.json(f"/api/job/resume?job={job}", method="POST", body="", headers=FORM)
        check(status == 200, f"resume: {status} {body}")
        wait_for(lambda: s.json(f"/api/job?job={job}")[1]["state"] not in ("running", "stopped"), timeout=600,
                 what="the resumed run to end")
        _, info = s.json(f"/api/job?job={job}")
        check(info["state"] == "finished", f"the resumed run: {info}")
        assert_same_datasets(out, cli)


if __name__ == "__main__":
    main([test_lists_and_reads_runs, test_refuses_paths_outside, test_binds_to_loopback_and_refuses_missing_path,
          test_responsive_while_busy, test_start_equals_command_line, test_stop_and_resume_equal_command_line])
