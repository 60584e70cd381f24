#!/usr/bin/env python3
"""The issue's table of targets next to what bench/run.sh measured: reads DIR/epstein.json, DIR/peace.json,
DIR/peace-N.json and DIR/sweep.json, prints case | measured | must | aim | met?, and writes DIR/summary.json.
With --growth it prints instead how the cost per agent-update grows with the grid, for every Epstein case and
for the peacekeeping day (issue 14).

    python3 bench/summary.py DIR [--commit C] [--dirty true|false]
    python3 bench/summary.py DIR --growth

Only the targets are written here; every measured value comes from the files. A case without a measurement is
reported as not measured, with the reason.
"""
import argparse
import glob
import json
import os

GIB = 1024**3


def load(path):
    try:
        with open(path) as f:
            return json.load(f), None
    except FileNotFoundError:
        return None, f"no {os.path.basename(path)} (that step did not finish)"
    except (OSError, ValueError) as e:
        return None, f"{os.path.basename(path)}: {e}"


def fmt_rate(x):
    return f"{x:.3g}/s"


class Row:
    def __init__(self, case, must, aim):
        self.case, self.must, self.aim = case, must, aim
        self.measured, self.met, self.value, self.detail = "-", "not measured", None, {}

    def set(self, measured, value, must_ok, aim_ok, **detail):
        self.measured, self.value, self.detail = measured, value, detail
        self.met = "yes, aim too" if aim_ok else "yes" if must_ok else "NO"

    def missing(self, why):
        self.measured, self.met = f"not measured: {why}", "not measured"


def find_case(ep, **want):
    for c in ep["cases"]:
        if all(c.get(k) == v for k, v in want.items()):
            return c
    return None


def why_missing(ep, ep_err, size, **want):
    """Why no measurement of this case: the benchmark did not run, the size was not in the run, or the case
    failed or was skipped (with its note)."""
    if ep is None:
        return ep_err or "keepsim_bench gave no results"
    c = find_case(ep, kind="keepsim", size=size, **want)
    if c is None:
        s = ep.get("settings", {})
        if size not in s.get("sizes", []):
            return f"size {size} not in this run" + (" (--quick)" if s.get("quick") else "")
        return "case not in this run"
    return f"{c['status']}: {c.get('note', '')}"


def rate_row(row, ep, ep_err, must, aim, **want):
    c = find_case(ep, kind="keepsim", status="ok", **want) if ep else None
    if c is None:
        row.missing(why_missing(ep, ep_err, **want))
        return None
    r = c["updates_per_s"]
    ratio = c.get("ratio_to_reference")
    text = fmt_rate(r)
    if ratio is not None:
        text += f" ({ratio:.1f}x reference at {c['reference_size']})"
    row.set(text, r, r >= must, r >= aim, updates_per_s=r, ratio_to_reference=ratio,
            reference_size=c.get("reference_size"), periods=c["periods"], agents=c["agents"])
    return c


def peace_by_size(d, schedule="async", threads=None):
    """size -> the keepsim_bench_peace results at that size: the async day (DIR/peace-N.json), or the sync day
    on `threads` threads (DIR/peace-sync-N-tT.json). Files from before the bench had --schedule are async."""
    out = {}
    for path in glob.glob(os.path.join(d, "peace-*.json")):
        r, _ = load(path)
        if r and r.get("schedule", "async") == schedule and (threads is None or r["threads"] == threads):
            out[r["size"]] = r
    return dict(sorted(out.items()))


def sync_by_threads(d):
    """threads -> size -> the sync day's keepsim_bench_peace results (DIR/peace-sync-N-tT.json)."""
    return {t: peace_by_size(d, "sync", t) for t in (1, 2)}


def growth_rows(ep, peace, sync=None):
    """(label, {size: ns per agent-update}) for every Epstein case, the peacekeeping day and its sync day."""
    rows = []
    for g in (ep or {}).get("cost_growth", []):
        kind = "reference " if g["kind"] == "reference" else ""
        rows.append((f"Epstein {g['model']} {kind}{g['schedule']}, {g['threads']} thr",
                     {int(s): v for s, v in g["ns_per_update"].items()}))
    if peace:
        thr = next(iter(peace.values()))["threads"]
        rows.append((f"peacekeeping day, {thr} thr", {s: 1e9 / r["peacekeeping"]["updates_per_s"]
                                                      for s, r in peace.items()}))
        rows.append((f"  its Epstein sync period, {thr} thr", {s: 1e9 / r["epstein_sync"]["updates_per_s"]
                                                               for s, r in peace.items()}))
    for thr, runs in (sync or {}).items():
        if runs:
            rows.append((f"peacekeeping sync day, {thr} thr", {s: 1e9 / r["peacekeeping"]["updates_per_s"]
                                                               for s, r in runs.items()}))
    return rows


def growth_between(ns, small, large):
    return ns[large] / ns[small] if small in ns and large in ns else None


def print_growth(d):
    ep, _ = load(os.path.join(d, "epstein.json"))
    rows = growth_rows(ep, peace_by_size(d), sync_by_threads(d))
    sizes = sorted({s for _, ns in rows for s in ns})
    print("cost per agent-update (ns) by grid size, and its growth from the smallest size measured "
          "(flat is the aim; growth faster than the agents is a defect)")
    w = max([len(r[0]) for r in rows] + [4])
    print(f"{'case'.ljust(w)} " + " ".join(f"{s:>8}" for s in sizes) + "   growth")
    for label, ns in rows:
        cells = " ".join(f"{ns[s]:8.1f}" if s in ns else f"{'-':>8}" for s in sizes)
        g = f"{ns[max(ns)] / ns[min(ns)]:6.2f}x ({min(ns)} -> {max(ns)})" if len(ns) >= 2 else "-"
        print(f"{label.ljust(w)} {cells}   {g}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--dirty", default="unknown")
    ap.add_argument("--growth", action="store_true")
    a = ap.parse_args()
    if a.growth:
        print_growth(a.dir)
        return
    ep, ep_err = load(os.path.join(a.dir, "epstein.json"))
    pk, pk_err = load(os.path.join(a.dir, "peace.json"))
    sw, sw_err = load(os.path.join(a.dir, "sweep.json"))
    rows = []

    r = Row("sync, 1000x1000, 2 threads", ">= 3e7/s", ">= 1e8/s")
    rate_row(r, ep, ep_err, 3e7, 1e8, model="I", schedule="sync", size=1000, threads=2)
    rows.append(r)

    r = Row("sync, 1 thread to 2 threads (1000x1000)", ">= 1.7x", ">= 1.9x")
    s = None
    if ep:
        s = next((x for x in ep.get("speedups", []) if x["model"] == "I" and x["size"] == 1000
                  and x["threads_from"] == 1 and x["threads_to"] == 2), None)
    if s:
        r.set(f"{s['speedup']:.2f}x", s["speedup"], s["speedup"] >= 1.7, s["speedup"] >= 1.9)
    else:
        r.missing(why_missing(ep, ep_err, 1000, model="I", schedule="sync", threads=2))
    rows.append(r)

    r = Row("async (exact), 1000x1000", ">= 5e6/s", ">= 2e7/s")
    rate_row(r, ep, ep_err, 5e6, 2e7, model="I", schedule="async", size=1000, threads=1)
    rows.append(r)

    r = Row("sync, 10000x10000, 2 threads", "in 24 GiB, >= 2e7/s", ">= 5e7/s")
    c = find_case(ep, kind="keepsim", status="ok", model="I", schedule="sync", size=10000, threads=2) if ep else None
    if c:
        rate, peak = c["updates_per_s"], c["rss_peak_bytes"]
        fits = peak <= 24 * GIB
        text = f"{fmt_rate(rate)}, peak resident {peak / GIB:.2f} GiB"
        if c.get("ratio_to_reference") is not None:
            text += f" ({c['ratio_to_reference']:.1f}x reference at {c['reference_size']})"
        r.set(text, rate, fits and rate >= 2e7, fits and rate >= 5e7, updates_per_s=rate, rss_peak_bytes=peak,
              agents=c["agents"], periods=c["periods"], ratio_to_reference=c.get("ratio_to_reference"),
              reference_size=c.get("reference_size"))
    else:
        r.missing(why_missing(ep, ep_err, 10000, model="I", schedule="sync", threads=2))
    rows.append(r)

    r = Row("memory at 10000x10000 (Model I, worst case)", "<= 48 B/agent + 4 B/cell", "<= 24 + 2")
    ms = [c for c in (ep or {}).get("cases", []) if c["kind"] == "keepsim" and c["model"] == "I"
          and c["size"] == 10000 and c["status"] == "ok"]
    if ms:
        c = max(ms, key=lambda x: x["memory_growth_bytes"])
        g, agents, cells = c["memory_growth_bytes"], c["agents"], c["cells"]
        must_b, aim_b = 48 * agents + 4 * cells, 24 * agents + 2 * cells
        r.set(f"{g / GIB:.2f} GiB = {g / agents:.1f} B/agent ({c['schedule']}, {c['threads']} thr; "
              f"bound {must_b / agents:.1f}, aim {aim_b / agents:.1f} B/agent)",
              g, g <= must_b, g <= aim_b, memory_growth_bytes=g, agents=agents, cells=cells, schedule=c["schedule"],
              threads=c["threads"], bound_bytes=must_b, aim_bytes=aim_b)
    else:
        r.missing(why_missing(ep, ep_err, 10000, model="I", schedule="sync", threads=2))
    rows.append(r)

    r = Row("small runs: Epstein run 2 sweep, 2 cores", ">= 10 runs/s", ">= 30 runs/s")
    if sw and sw.get("exit_code") == 0 and sw.get("failed_runs") == 0:
        x = sw["runs_per_s"]
        r.set(f"{x:.1f} runs/s ({sw['runs']} runs in {sw['seconds']:.1f} s)", x, x >= 10, x >= 30,
              runs=sw["runs"], seconds=sw["seconds"])
    elif sw:
        r.missing(f"the sweep failed (exit code {sw.get('exit_code')}, {sw.get('failed_runs')} failed runs)")
    else:
        r.missing(sw_err)
    rows.append(r)

    r = Row("peacekeeping day / sync Epstein period, per agent", "<= 3x", "<= 1.5x")
    if pk:
        x = pk["cost_ratio_per_agent_update"]
        r.set(f"{x:.2f}x ({pk['size']}x{pk['size']}, {pk['threads']} thr, {pk['doctrine']})", x, x <= 3, x <= 1.5,
              period_ratio=pk.get("period_ratio"))
    else:
        r.missing(pk_err)
    rows.append(r)

    # Issue 14: cost flat with size, 3000 x 3000 against 300 x 300.
    peace = peace_by_size(a.dir)
    r = Row("peacekeeping cost per agent-day, 3000x3000 / 300x300", "<= 1.3", "<= 1.1")
    rows_g = dict(growth_rows(None, peace))
    x = growth_between(next((ns for k, ns in rows_g.items() if k.startswith("peacekeeping")), {}), 300, 3000)
    if x is not None:
        r.set(f"{x:.2f}", x, x <= 1.3, x <= 1.1)
    else:
        r.missing(f"needs sizes 300 and 3000; measured: {', '.join(map(str, peace)) or 'none'}")
    rows.append(r)
    # Issue 14: the sync peacekeeping day at 1200 x 1200, and its growth with size.
    sync = sync_by_threads(a.dir)
    s1, s2 = sync[1].get(1200), sync[2].get(1200)
    r = Row("peacekeeping sync day / Epstein sync period, per agent, 1200x1200, 2 threads", "<= 3x", "<= 1.5x")
    if s2:
        x = s2["cost_ratio_per_agent_update"]
        r.set(f"{x:.2f}x ({s2['doctrine']})", x, x <= 3, x <= 1.5)
    else:
        r.missing("needs DIR/peace-sync-1200-t2.json (not run with --quick or --max-size below 1200)")
    rows.append(r)
    r = Row("peacekeeping sync day, 1 thread to 2 threads (1200x1200)", ">= 1.7x", ">= 1.9x")
    if s1 and s2:
        x = s2["peacekeeping"]["updates_per_s"] / s1["peacekeeping"]["updates_per_s"]
        r.set(f"{x:.2f}x", x, x >= 1.7, x >= 1.9)
    else:
        r.missing("needs DIR/peace-sync-1200-t1.json and -t2.json")
    rows.append(r)
    r = Row("peacekeeping sync day cost per agent-day, 3000x3000 / 300x300, 1 thread", "<= 1.3", "<= 1.1")
    x = growth_between({s: 1e9 / v["peacekeeping"]["updates_per_s"] for s, v in sync[1].items()}, 300, 3000)
    if x is not None:
        r.set(f"{x:.2f}", x, x <= 1.3, x <= 1.1)
    else:
        r.missing(f"needs sizes 300 and 3000; measured: {', '.join(map(str, sync[1])) or 'none'}")
    rows.append(r)
    r = Row("Epstein cost per agent-update, 3000x3000 / 300x300 (worst case)", "<= 1.3", "<= 1.1")
    xs = [(growth_between(ns, 300, 3000), label) for label, ns in growth_rows(ep, None) if "reference" not in label]
    xs = [(x, label) for x, label in xs if x is not None]
    if xs:
        x, label = max(xs)
        r.set(f"{x:.2f} ({label})", x, x <= 1.3, x <= 1.1, case=label)
    else:
        r.missing(why_missing(ep, ep_err, 3000, model="I", schedule="sync", threads=1))
    rows.append(r)

    w = [max(len(x) for x in col) for col in zip(*[(r.case, r.measured, r.must, r.aim, r.met) for r in rows],
                                                  ("case", "measured", "must reach", "aim", "met?"))]
    line = lambda cells: "| " + " | ".join(c.ljust(n) for c, n in zip(cells, w)) + " |"
    print(line(("case", "measured", "must reach", "aim", "met?")))
    print("|" + "|".join("-" * (n + 2) for n in w) + "|")
    for r in rows:
        print(line((r.case, r.measured, r.must, r.aim, r.met)))
    tree = " (working tree differs from it)" if a.dirty == "true" else ""
    print(f"commit {a.commit}{tree}; " + (f"{ep['machine']['cpu']}, {ep['machine']['cpus_available']} CPUs available"
                                          if ep else "machine: unknown"))

    summary = {"commit": a.commit, "working_tree_dirty": a.dirty == "true",
               "date": ep["date"] if ep else None, "machine": ep["machine"] if ep else None,
               "targets": [{"case": r.case, "measured": r.measured, "value": r.value, "must": r.must, "aim": r.aim,
                            "met": r.met, **r.detail} for r in rows],
               "files": {"epstein": "epstein.json", "peace": "peace.json", "sweep": "sweep.json"}}
    with open(os.path.join(a.dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
