#!/usr/bin/env python3
"""Renders the map snapshots of a keepsim run file as PNG frames and, optionally, an animated GIF.

    /usr/bin/python3 tools/render_maps.py RUN.h5 -o DIR [--gif OUT.gif] [--fps N] [--layers occupancy,killings,legitimacy]

Writes DIR/frame_0000.png, DIR/frame_0001.png, ... one per snapshot, each with one panel per layer side by side:
- occupancy (map_occupancy): a categorical map, colours and legend built from the CF flag_values/flag_meanings;
- killings (map_killings): killings in each cell since the previous snapshot, on one colour scale for all frames;
- legitimacy (map_legitimacy): 0 to 1, cells without a citizen in light grey.
The title gives the day of the snapshot and the run's title and doctrine. --layers picks and orders the panels
(default: every layer the file has). --gif OUT.gif joins the frames into a looping animation with Pillow at --fps
frames per second (default 4).

Maps are optional in a run: keepsim writes them only when asked (`--set output.map_every=N`, a snapshot every N
days). A file without maps, a missing or unreadable file, or a requested layer the file lacks ends the program
with exit status 2 and a message saying why.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import h5py
import numpy as np

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

LAYERS = {"occupancy": "map_occupancy", "killings": "map_killings", "legitimacy": "map_legitimacy"}
DEFAULT_MEANINGS = "empty quiet_group0 quiet_group1 active spoiler bandit peacekeeper constable"
OCCUPANCY_COLOURS = {"empty": "#f4f1ea", "quiet_group0": "#9ecae1", "quiet_group1": "#c7e9a0",
                     "quiet": "#9ecae1", "active": "#d62728", "jailed": "#7f7f7f", "spoiler": "#3b1f4a",
                     "bandit": "#ff7f0e", "peacekeeper": "#1f5fbf", "constable": "#1b7a3a", "cop": "#1f5fbf"}


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.size == 1:
        return _text(value.reshape(-1)[0])
    return str(value)


def fail(message: str) -> None:
    print(f"render_maps.py: {message}", file=sys.stderr)
    sys.exit(2)


def occupancy_style(ds: h5py.Dataset) -> tuple[ListedColormap, BoundaryNorm, list[Patch]]:
    """Colormap, norm and legend handles from the dataset's flag_values and flag_meanings."""
    meanings = _text(ds.attrs.get("flag_meanings", DEFAULT_MEANINGS)).split()
    values = np.asarray(ds.attrs.get("flag_values", np.arange(len(meanings))), dtype=int).reshape(-1)
    if len(values) != len(meanings):
        values = np.arange(len(meanings))
    order = np.argsort(values)
    values, meanings = values[order], [meanings[i] for i in order]
    spare = iter(plt.get_cmap("tab10").colors)
    colours = [OCCUPANCY_COLOURS.get(m) or next(spare) for m in meanings]
    bounds = np.concatenate([values - 0.5, [values[-1] + 0.5]])
    cmap = ListedColormap(colours)
    cmap.set_bad("white")
    legend = [Patch(facecolor=c, edgecolor="#888888", label=m.replace("_", " ")) for c, m in zip(colours, meanings)]
    return cmap, BoundaryNorm(bounds, len(colours)), legend


def killings_max(ds: h5py.Dataset, count: int) -> int:
    """Largest per-cell count over all snapshots (one snapshot at a time, so big maps stay out of memory)."""
    top = 0
    for i in range(count):
        top = max(top, int(np.max(ds[i])) if ds[i].size else 0)
    return max(top, 1)


def render(path: Path, out_dir: Path, layers: list[str] | None) -> list[Path]:
    """Writes the frames; returns their paths in order."""
    try:
        h5 = h5py.File(path, "r")
    except OSError as err:
        fail(f"{path}: cannot read it as a keepsim run file ({err})")
    with h5:
        present = [name for name, var in LAYERS.items() if var in h5]
        if "snapshot_step" not in h5 or not present:
            fail(f"{path} has no maps; run keepsim with --set output.map_every=N to write a snapshot every N days")
        if layers is None:
            layers = present
        missing = [name for name in layers if name not in present]
        if missing:
            fail(f"{path} has no {', '.join(LAYERS[m] for m in missing)} (its map layers: {', '.join(present)})")
        steps = np.asarray(h5["snapshot_step"][()]).reshape(-1)
        count = min([len(steps)] + [h5[LAYERS[name]].shape[0] for name in layers])
        if count == 0:
            fail(f"{path} has map variables but no snapshot in them yet")
        title = _text(h5.attrs.get("title", path.stem))
        doctrine = _text(h5.attrs.get("doctrine", ""))
        heading = title + (f" ({doctrine})" if doctrine and doctrine.lower() != "none" else "")
        ny, nx = h5[LAYERS[layers[0]]].shape[1:]
        panel_w = 4.2 * max(0.6, min(1.8, nx / max(ny, 1)))
        fig, axes = plt.subplots(1, len(layers), figsize=(panel_w * len(layers), 5.8), squeeze=False)
        images = {}
        for ax, name in zip(axes[0], layers):
            ds = h5[LAYERS[name]]
            blank = np.zeros((ny, nx))
            if name == "occupancy":
                cmap, norm, legend = occupancy_style(ds)
                images[name] = ax.imshow(blank, cmap=cmap, norm=norm, interpolation="nearest")
                ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3, fontsize=7,
                          frameon=False)
                ax.set_title("occupancy", fontsize=10)
            elif name == "killings":
                cmap = plt.get_cmap("Reds").copy()
                cmap.set_under("white")
                images[name] = ax.imshow(blank, cmap=cmap, vmin=0.5, vmax=killings_max(ds, count) + 0.5,
                                         interpolation="nearest")
                bar = fig.colorbar(images[name], ax=ax, orientation="horizontal", fraction=0.05, pad=0.03,
                                   label="killings since the previous snapshot")
                bar.locator = MaxNLocator(integer=True)
                bar.update_ticks()
                ax.set_title("killings", fontsize=10)
            else:
                cmap = plt.get_cmap("viridis").copy()
                cmap.set_bad("#d3d3d3")
                images[name] = ax.imshow(np.ma.masked_all((ny, nx)), cmap=cmap, vmin=0, vmax=1,
                                         interpolation="nearest")
                fig.colorbar(images[name], ax=ax, orientation="horizontal", fraction=0.05, pad=0.03,
                             label="legitimacy (grey: no citizen)")
                ax.set_title("legitimacy", fontsize=10)
            ax.set_xticks([])
            ax.set_yticks([])
        suptitle = fig.suptitle("", fontsize=11)
        fig.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.17, wspace=0.08)
        out_dir.mkdir(parents=True, exist_ok=True)
        frames = []
        for i in range(count):
            for name in layers:
                data = h5[LAYERS[name]][i]
                if name == "legitimacy":
                    data = np.ma.masked_invalid(np.asarray(data, dtype=float))
                images[name].set_data(data)
            suptitle.set_text(f"day {int(steps[i])}  -  {heading}")
            frame = out_dir / f"frame_{i:04d}.png"
            fig.savefig(frame, dpi=100)
            frames.append(frame)
        plt.close(fig)
    return frames


def write_gif(frames: list[Path], out: Path, fps: float) -> None:
    from PIL import Image

    images = [Image.open(f).convert("RGB").quantize(colors=255) for f in frames]
    out.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(out, save_all=True, append_images=images[1:], duration=int(round(1000 / fps)), loop=0,
                   disposal=1)


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Render the map snapshots of a keepsim run as PNG frames and a GIF.")
    ap.add_argument("run", type=Path, help="run file (HDF5) written with output.map_every set")
    ap.add_argument("-o", "--out", type=Path, required=True, help="folder for frame_0000.png, frame_0001.png, ...")
    ap.add_argument("--gif", type=Path, help="also write an animated GIF of the frames here")
    ap.add_argument("--fps", type=float, default=4.0, help="frames per second of the GIF (default 4)")
    ap.add_argument("--layers", help="comma-separated panels among occupancy,killings,legitimacy "
                    "(default: every layer in the file)")
    args = ap.parse_args(argv)
    if args.fps <= 0:
        ap.error("--fps must be positive")
    if args.layers is not None:
        args.layers = [s.strip() for s in args.layers.split(",") if s.strip()]
        unknown = [s for s in args.layers if s not in LAYERS]
        if unknown or not args.layers:
            ap.error(f"--layers: unknown layer {', '.join(unknown) or '(none given)'}; choose among "
                     f"{','.join(LAYERS)}")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if not args.run.is_file():
        fail(f"{args.run}: no such file")
    frames = render(args.run, args.out, args.layers)
    print(f"wrote {len(frames)} frames to {args.out}", file=sys.stderr)
    if args.gif is not None:
        write_gif(frames, args.gif, args.fps)
        print(f"wrote {args.gif}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
