"""Shared helpers for the tests of `keepsim view` (docs/explorer.md): small runs to serve, and the server itself
started on a free port and stopped the way a user stops it (SIGINT)."""
import http.client
import json
import os
import re
import signal
import subprocess
import time

from cli_common import KEEPSIM, SOURCE, keepsim

SCENARIO = os.path.join(SOURCE, "configs", "scenarios", "default.toml")


def doctrine(name):
    return os.path.join(SOURCE, "configs", "doctrines", name + ".toml")


# A small country with maps: 40 x 40 cells, 60 days, a map every 10 days.
SMALL = ["--set", "world.width=40", "--set", "world.height=40", "--set", "output.map_every=10", "--steps", "60",
         "--seed", "3", "-q"]


def make_doctrine_runs(folder):
    """Both doctrines on one seed: folder/sk.h5 and folder/cp.h5."""
    keepsim("run", SCENARIO, doctrine("security_keeping"), "-o", os.path.join(folder, "sk.h5"), *SMALL)
    keepsim("run", SCENARIO, doctrine("complex_peacekeeping"), "-o", os.path.join(folder, "cp.h5"), *SMALL)


class Server:
    """`keepsim view PATHS --port 0`; .url is the address it printed."""

    def __init__(self, *paths, extra=()):
        self.proc = subprocess.Popen([KEEPSIM, "view", *map(str, paths), "--port", "0", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"http://([^/]+):(\d+)/", line)
        if not m:
            self.proc.kill()
            raise AssertionError(f"keepsim view printed no address: {line!r} {self.proc.stderr.read()}")
        self.host, self.port = m.group(1), int(m.group(2))
        self.url = f"http://{self.host}:{self.port}/"

    def request(self, path, method="GET", body=None, headers=None):
        """(status, headers, body bytes)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        res = conn.getresponse()
        data = res.read()
        conn.close()
        return res.status, dict(res.getheaders()), data

    def json(self, path, **kw):
        status, _, data = self.request(path, **kw)
        return status, json.loads(data)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        rc = self.stop()
        # Ctrl-C ends the server cleanly: exit code 0, and nothing (a sanitizer's report) on stderr.
        if kind is None and rc != 0:
            raise AssertionError(f"keepsim view exited {rc} after SIGINT: {self.proc.stderr.read()[-3000:]}")


def wait_for(predicate, timeout=120, every=0.2, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")
