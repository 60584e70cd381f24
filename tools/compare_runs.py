#!/usr/bin/env python3
"""Side-by-side comparison of two or more keepsim run files (typically peacekeeping doctrines on one seed).

    /usr/bin/python3 tools/compare_runs.py RUN_A.h5 RUN_B.h5 [RUN_C.h5 ...] [--png OUT.png] [--markdown]

Prints a table of every summary_* scalar (rows, in file order, labelled by the name without the summary_ prefix
and the variable's long_name) with one column per run, headed by the run's doctrine attribute, or by the file
stem when the doctrine is missing, "none", or shared with another run. Integers print as integers; a missing
value (NaN or the integer _FillValue) prints as "never" for time-like summaries (a long_name saying "never",
a name ending in _day or starting with time_to) and "-" otherwise. --markdown
prints a Markdown table instead of aligned text.

--png OUT.png also writes one figure with a grid of small panels comparing the daily series of the runs
(active, civilians killed as a 30-day rolling sum, displaced, armed spoilers summed over factions, peacekeepers,
constables, mean legitimacy, political will, secure share, mission phase); series absent from every file are
skipped, so Epstein runs get the panels they have.

A run whose `complete` attribute is 0 (still running or interrupted) is compared anyway, with a warning on
stderr. A missing or unreadable file ends the program with exit status 2. Reads with h5py (no dimension scales
needed); matplotlib is imported only for --png.
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

ROLLING_DAYS = 30
PHASES = ("not started", "deploying", "operating", "drawing down", "left")
# (variable, panel title, how to reduce it): "sum1" sums a 2-D series over its second axis, "roll" is a trailing
# ROLLING_DAYS-day sum, "phase" is drawn as steps with the phase names on the y axis.
PANELS = (
    ("active", "active citizens", None),
    ("civilians_killed", f"civilians killed ({ROLLING_DAYS}-day sum)", "roll"),
    ("displaced", "displaced", None),
    ("spoilers_armed", "armed spoilers (all factions)", "sum1"),
    ("peacekeepers", "peacekeepers", None),
    ("constables", "constables", None),
    ("legitimacy_mean", "mean legitimacy", None),
    ("political_will", "political will", None),
    ("secure_share", "secure share of cells", None),
    ("mission_phase", "mission phase", "phase"),
)


@dataclass
class Run:
    path: Path
    attrs: dict
    summaries: dict = field(default_factory=dict)  # name -> (value or None, long_name, units), file order
    series: dict = field(default_factory=dict)  # name -> 1-D or 2-D numpy array on step
    steps: np.ndarray | None = None
    label: str = ""


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.size == 1:
        return _text(value.reshape(-1)[0])
    return str(value)


def _names_in_file_order(h5: h5py.File) -> list[str]:
    """Root-group names in creation order when the file tracks it, else in name order."""
    names: list[str] = []
    try:
        h5.id.links.iterate(lambda n: names.append(n.decode()), idx_type=h5py.h5.INDEX_CRT_ORDER)
        return names
    except Exception:  # noqa: BLE001 - no creation-order index: fall back to name order
        return list(h5.keys())


def _scalar(ds: h5py.Dataset):
    """The value of a scalar dataset as int or float; None when missing (NaN or equal to _FillValue)."""
    value = ds[()]
    fill = ds.attrs.get("_FillValue")
    if np.issubdtype(ds.dtype, np.integer):
        if fill is not None and int(value) == int(np.asarray(fill).reshape(-1)[0]):
            return None
        return int(value)
    value = float(value)
    return None if math.isnan(value) else value


def read_run(path: Path, want_series: bool) -> Run:
    """Reads attributes, summary scalars and (when asked) the series of PANELS. Raises OSError when unreadable."""
    with h5py.File(path, "r") as h5:
        run = Run(path=path, attrs={k: h5.attrs[k] for k in h5.attrs})
        for name in _names_in_file_order(h5):
            obj = h5.get(name)
            if name.startswith("summary_") and isinstance(obj, h5py.Dataset) and obj.shape == ():
                run.summaries[name] = (_scalar(obj), _text(obj.attrs.get("long_name", "")),
                                       _text(obj.attrs.get("units", "")))
        if want_series:
            n = len(h5["step"]) if "step" in h5 else None
            for name, _, _ in PANELS:
                obj = h5.get(name)
                if isinstance(obj, h5py.Dataset) and obj.ndim in (1, 2) and obj.shape[0] > 0:
                    run.series[name] = np.asarray(obj[: n if n is not None else obj.shape[0]], dtype=float)
            if n is not None:
                run.steps = np.asarray(h5["step"][()], dtype=float)
    return run


def label_runs(runs: list[Run]) -> None:
    """Doctrine when it names each run uniquely, else the file stem (made unique with the parent folder or a
    number)."""
    doctrines = [_text(r.attrs.get("doctrine", "")).strip() for r in runs]
    for run, doctrine in zip(runs, doctrines):
        usable = doctrine and doctrine.lower() != "none" and doctrines.count(doctrine) == 1
        run.label = doctrine if usable else run.path.stem
    labels = [r.label for r in runs]
    for i, run in enumerate(runs):
        if labels.count(run.label) > 1:
            run.label = f"{run.path.parent.name}/{run.path.stem}" if run.path.parent.name else f"{run.label}#{i + 1}"
    labels = [r.label for r in runs]
    for i, run in enumerate(runs):
        if labels.count(run.label) > 1:
            run.label = f"{run.label}#{i + 1}"


def format_value(value, name: str, long_name: str) -> str:
    if value is None:
        short = name[len("summary_"):] if name.startswith("summary_") else name
        timely = "never" in long_name.lower() or short.endswith("_day") or short.startswith("time_to")
        return "never" if timely else "-"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):d}"
    magnitude = abs(value)
    if magnitude < 1e-3 or magnitude >= 1e7:
        return f"{value:.3e}"
    decimals = max(0, 3 - int(math.floor(math.log10(magnitude))))
    return f"{value:.{decimals}f}"


def summary_table(runs: list[Run]) -> tuple[list[str], list[list[str]]]:
    """Header and rows: name, one value per run, description (long_name with units unless they are "1")."""
    names: list[str] = []
    meta: dict[str, tuple[str, str]] = {}
    for run in runs:
        for name, (_, long_name, units) in run.summaries.items():
            if name not in meta:
                names.append(name)
                meta[name] = (long_name, units)
    rows = []
    for name in names:
        long_name, units = meta[name]
        cells = []
        for run in runs:
            if name in run.summaries:
                value, ln, _ = run.summaries[name]
                cells.append(format_value(value, name, ln))
            else:
                cells.append("(absent)")
        description = long_name + (f" [{units}]" if units and units != "1" else "")
        rows.append([name[len("summary_"):]] + cells + [description])
    return ["summary"] + [r.label for r in runs] + ["description"], rows


def render_text(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    lines = []
    for k, row in enumerate([header] + rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:-1], widths[1:-1])] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(header: list[str], rows: list[list[str]]) -> str:
    def esc(s: str) -> str:
        return s.replace("|", "\\|")

    lines = ["| " + " | ".join(esc(h) for h in header) + " |",
             "|" + "|".join([":---"] + ["---:"] * (len(header) - 2) + [":---"]) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _panel_data(run: Run, name: str, how: str | None) -> tuple[np.ndarray, np.ndarray] | None:
    data = run.series.get(name)
    if data is None:
        return None
    if data.ndim == 2:
        data = data.sum(axis=1)
    if how == "roll":
        csum = np.concatenate([[0.0], np.nancumsum(data)])
        idx = np.arange(1, len(data) + 1)
        data = csum[idx] - csum[np.maximum(idx - ROLLING_DAYS, 0)]
    steps = run.steps[: len(data)] if run.steps is not None else np.arange(len(data), dtype=float)
    return steps, data[: len(steps)]


def plot_series(runs: list[Run], out: Path) -> bool:
    """Writes the panel grid; False when none of the series exists in any run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [p for p in PANELS if any(p[0] in r.series for r in runs)]
    if not panels:
        return False
    ncols = min(5, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    height = 2.6 * nrows + 0.5
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, height), squeeze=False)
    colours = plt.get_cmap("tab10").colors
    handles = {}
    for ax, (name, title, how) in zip(axes.flat, panels):
        for i, run in enumerate(runs):
            xy = _panel_data(run, name, how)
            if xy is None:
                continue
            kwargs = dict(color=colours[i % len(colours)], lw=1.2, label=run.label)
            line, = ax.step(*xy, where="post", **kwargs) if how == "phase" else ax.plot(*xy, **kwargs)
            handles.setdefault(run.label, line)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("day", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if how == "phase":
            ax.set_yticks(range(len(PHASES)), PHASES, fontsize=7)
            ax.set_ylim(-0.3, len(PHASES) - 0.7)
        elif name in ("legitimacy_mean", "political_will", "secure_share"):
            ax.set_ylim(bottom=0)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / height))
    fig.legend(list(handles.values()), list(handles.keys()), loc="upper center", ncol=min(len(handles), 5),
               fontsize=9, frameon=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Compare the summaries (and optionally the series) of keepsim runs.")
    ap.add_argument("runs", nargs="+", type=Path, help="run files (HDF5); two or more to compare")
    ap.add_argument("--png", type=Path, help="also write a figure of the daily series of every run here")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    return ap.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    runs = []
    for path in args.runs:
        if not path.is_file():
            print(f"compare_runs.py: {path}: no such file", file=sys.stderr)
            return 2
        try:
            runs.append(read_run(path, want_series=args.png is not None))
        except (OSError, KeyError, ValueError) as err:
            print(f"compare_runs.py: {path}: cannot read it as a keepsim run file ({err})", file=sys.stderr)
            return 2
    for run in runs:
        complete = run.attrs.get("complete")
        if complete is not None and int(np.asarray(complete).reshape(-1)[0]) == 0:
            done = run.attrs.get("steps_completed")
            print(f"warning: {run.path} is incomplete (complete=0, steps_completed={_text(done)}): still running "
                  "or interrupted; its summaries may be missing or partial", file=sys.stderr)
    label_runs(runs)
    header, rows = summary_table(runs)
    if not rows:
        print("warning: no summary_* variables in any file", file=sys.stderr)
    print(render_markdown(header, rows) if args.markdown else render_text(header, rows))
    if args.png is not None:
        if plot_series(runs, args.png):
            print(f"wrote {args.png}", file=sys.stderr)
        else:
            print(f"warning: none of the plotted series is in these files; {args.png} not written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
