// keepsim view: the explorer's page (docs/explorer.md). Vanilla JavaScript and canvas: no library, no CDN.
// Routes live in the URL's hash (#run?id=..., #compare?a=...&b=..., #sweep?id=..., #launch?like=..., #job?job=N),
// so every view can be bookmarked and opened directly.
"use strict";

// ---------------------------------------------------------------------------------------------------------
// Talking to the server
// ---------------------------------------------------------------------------------------------------------

async function api(path, options) {
  const res = await fetch(path, options);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.statusText);
  return body;
}

const TYPED = { u1: Uint8Array, i4: Int32Array, i8: BigInt64Array, f4: Float32Array, f8: Float64Array };

// A map snapshot: binary, in the variable's own type, with its type, shape and day in headers.
async function fetchArray(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error((await res.json()).error || res.statusText);
  const buf = await res.arrayBuffer();
  const dtype = res.headers.get("X-Keepsim-Dtype");
  const shape = res.headers.get("X-Keepsim-Shape").split(",").map(Number);
  return { dtype, shape, step: Number(res.headers.get("X-Keepsim-Step")), data: new TYPED[dtype](buf) };
}

function q(params) { return new URLSearchParams(params).toString(); }
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
function attrOf(v, name) { return v.attrs ? v.attrs[name] : undefined; }

// ---------------------------------------------------------------------------------------------------------
// Map layers and colours (docs/explorer.md, "Colours"; the browser test checks pixels against that table)
// ---------------------------------------------------------------------------------------------------------

// map_occupancy categories 0..7 (docs/output.md): empty, quiet_group0, quiet_group1, active, spoiler, bandit,
// peacekeeper, constable; 255 is the fill (no data).
const OCCUPANCY_RGB = [
  [245, 245, 240], [70, 130, 180], [230, 160, 30], [220, 20, 60],
  [120, 40, 140], [120, 80, 40], [0, 190, 255], [20, 140, 60],
];
const FILL_RGB = [0, 0, 0];
const HIDDEN_RGB = [245, 245, 240];  // a category a layer leaves out is drawn as empty ground

// map_control: the incumbent share k_c drawn by Kalyvas's five zones (ODD 7.15, the same thresholds as the
// model's control_zone), from full incumbent control (zone 0, dark blue) to full insurgent control (zone 4, dark
// red). Zones rather than a smooth ramp: the model acts on the zone, and a step ramp reads the same in any browser.
const CONTROL_RGB = [[33, 102, 172], [146, 197, 222], [247, 247, 247], [244, 165, 130], [178, 24, 43]];
const CONTROL_NAMES = ["full incumbent (k >= 0.9)", "incumbent (0.6..0.9)", "contested (0.4..0.6)",
  "insurgent (0.1..0.4)", "full insurgent (k <= 0.1)"];
function controlZone(k) { return k >= 0.9 ? 0 : k >= 0.6 ? 1 : k > 0.4 ? 2 : k > 0.1 ? 3 : 4; }
// map_displaced: 0 empty ground, 1 a displaced citizen.
const DISPLACED_RGB = [[245, 245, 240], [217, 95, 2]];
// map_installations: 0 none (empty ground), 1 capital, 2 depot, 3 training centre (world_map.hpp's codes).
const INSTALLATION_RGB = [[245, 245, 240], [200, 0, 120], [30, 90, 200], [60, 160, 40]];
const INSTALLATION_NAMES = ["none", "capital", "depot", "training centre"];

// Layers offered for a file's maps: the occupancy map split by who holds a cell, killings, legitimacy, and any
// other map_* variable on a plain colour scale.
function layersFor(mapNames) {
  const layers = [];
  if (mapNames.includes("map_occupancy")) {
    layers.push({ id: "occupancy", label: "everyone", map: "map_occupancy", show: [1, 2, 3, 4, 5, 6, 7] });
    layers.push({ id: "population", label: "population by group", map: "map_occupancy", show: [1, 2, 3] });
    layers.push({ id: "armed", label: "armed groups (spoilers, bandits)", map: "map_occupancy", show: [4, 5] });
    layers.push({ id: "forces", label: "security forces by kind", map: "map_occupancy", show: [6, 7] });
  }
  if (mapNames.includes("map_killings")) layers.push({ id: "violence", label: "violence (killings)", map: "map_killings" });
  if (mapNames.includes("map_legitimacy")) layers.push({ id: "legitimacy", label: "legitimacy", map: "map_legitimacy" });
  if (mapNames.includes("map_control")) layers.push({ id: "control", label: "control (incumbent share)", map: "map_control" });
  if (mapNames.includes("map_displaced")) layers.push({ id: "displaced", label: "displaced", map: "map_displaced" });
  if (mapNames.includes("map_installations"))
    layers.push({ id: "installations", label: "installations", map: "map_installations" });
  const named = ["map_occupancy", "map_killings", "map_legitimacy", "map_control", "map_displaced", "map_installations"];
  for (const m of mapNames)
    if (!named.includes(m))
      layers.push({ id: m, label: m.replace(/^map_/, ""), map: m });
  return layers;
}

function packRGB(rgb) { return (255 << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]; }  // little-endian RGBA

// A categorical map: value v drawn in colours[v], anything else (the fill, 255) black.
function categoryLut(colours) {
  const lut = new Uint32Array(256).fill(packRGB(FILL_RGB));
  colours.forEach((rgb, v) => { lut[v] = packRGB(rgb); });
  return lut;
}

function lutFor(layer) {
  const lut = new Uint32Array(256).fill(packRGB(FILL_RGB));
  for (let c = 0; c < OCCUPANCY_RGB.length; c++)
    lut[c] = packRGB(c === 0 || (layer.show && !layer.show.includes(c)) ? (c === 0 ? OCCUPANCY_RGB[0] : HIDDEN_RGB) : OCCUPANCY_RGB[c]);
  return lut;
}

// Draws one snapshot into `canvas`, one pixel a cell.
function drawMap(canvas, arr, layer) {
  const [h, w] = arr.shape;
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; canvas._image = null; }
  const ctx = canvas.getContext("2d");
  if (!canvas._image) canvas._image = ctx.createImageData(w, h);
  const px = new Uint32Array(canvas._image.data.buffer);
  const d = arr.data, n = w * h;
  if (layer.map === "map_occupancy") {
    const lut = lutFor(layer);
    for (let i = 0; i < n; i++) px[i] = lut[d[i]];
  } else if (layer.map === "map_killings") {
    // 0: empty ground; 1, 2, 4, 8 or more killings: ever darker reds. The fill (no data) is black.
    const ramp = [[245, 245, 240], [252, 187, 161], [251, 106, 74], [203, 24, 29], [103, 0, 13]].map(packRGB);
    for (let i = 0; i < n; i++) {
      const v = d[i];
      px[i] = v === -2147483647 ? packRGB(FILL_RGB) : v <= 0 ? ramp[0] : ramp[Math.min(4, 1 + Math.floor(Math.log2(v)))];
    }
  } else if (layer.map === "map_displaced" || layer.map === "map_installations") {
    const lut = categoryLut(layer.map === "map_displaced" ? DISPLACED_RGB : INSTALLATION_RGB);
    for (let i = 0; i < n; i++) px[i] = lut[d[i]];
  } else if (layer.map === "map_control") {
    const zones = CONTROL_RGB.map(packRGB), fill = packRGB(FILL_RGB);
    for (let i = 0; i < n; i++) px[i] = Number.isFinite(d[i]) ? zones[controlZone(d[i])] : fill;
  } else {
    // A continuous map: NaN (nobody there) as empty ground, 0..1 from dark blue to yellow.
    let lo = 0, hi = 1;
    if (layer.map !== "map_legitimacy") {
      lo = Infinity; hi = -Infinity;
      for (let i = 0; i < n; i++) { const v = Number(d[i]); if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
      if (!(hi > lo)) hi = lo + 1;
    }
    const empty = packRGB(OCCUPANCY_RGB[0]);
    for (let i = 0; i < n; i++) {
      const v = Number(d[i]);
      if (!Number.isFinite(v)) { px[i] = empty; continue; }
      const t = Math.max(0, Math.min(1, (v - lo) / (hi - lo)));
      px[i] = packRGB([Math.round(40 + 215 * t), Math.round(30 + 200 * t), Math.round(120 - 100 * t)]);
    }
  }
  ctx.putImageData(canvas._image, 0, 0);
}

function legendFor(layer) {
  const names = ["empty", "quiet, group 0", "quiet, group 1", "active", "spoiler", "bandit", "peacekeeper", "constable"];
  const box = el("div", { class: "legend" });
  if (layer.map === "map_occupancy") {
    for (const c of layer.show)
      box.append(el("span", {}, el("i", { style: `background: rgb(${OCCUPANCY_RGB[c].join(",")})` }), names[c]));
  } else if (layer.map === "map_killings") {
    box.append("killings since the previous snapshot: light red 1, darkest 8 or more");
  } else if (layer.map === "map_control") {
    CONTROL_RGB.forEach((rgb, z) => box.append(el("span", {}, el("i", { style: `background: rgb(${rgb.join(",")})` }), CONTROL_NAMES[z])));
  } else if (layer.map === "map_displaced") {
    box.append(el("span", {}, el("i", { style: `background: rgb(${DISPLACED_RGB[1].join(",")})` }), "citizen outside its home region"));
  } else if (layer.map === "map_installations") {
    for (let c = 1; c < INSTALLATION_RGB.length; c++)
      box.append(el("span", {}, el("i", { style: `background: rgb(${INSTALLATION_RGB[c].join(",")})` }), INSTALLATION_NAMES[c]));
  } else {
    box.append("dark blue: low, yellow: high; empty ground: nobody there");
  }
  return box;
}

// ---------------------------------------------------------------------------------------------------------
// A player: map canvases, one slider of days, a play button, and the charts that follow it
// ---------------------------------------------------------------------------------------------------------

class Player {
  // runs: [{id, info}], each drawn on its own canvas; the slider runs over the first run's snapshot days.
  constructor(runs, root) {
    this.runs = runs;
    this.days = runs[0].info.snapshot_steps;
    this.index = 0;
    this.playing = false;
    this.cache = new Map();
    this.listeners = [];
    const maps = runs[0].info.variables.filter((v) => v.role === "map").map((v) => v.name);
    this.layers = layersFor(maps);
    this.layer = this.layers[0];
    this.canvases = runs.map((r, k) => el("canvas", { class: "map", id: runs.length === 1 ? "map" : "map-" + "ab"[k] }));
    this.layerSelect = el("select", { id: "layer", onchange: () => { this.layer = this.layers.find((l) => l.id === this.layerSelect.value); this.legendBox.replaceChildren(legendFor(this.layer)); this.show(this.index); } },
      ...this.layers.map((l) => el("option", { value: l.id }, l.label)));
    this.slider = el("input", { type: "range", id: "slider", min: 0, max: Math.max(0, this.days.length - 1), value: 0, step: 1,
      oninput: () => this.show(Number(this.slider.value)) });
    this.dayLabel = el("span", { id: "day" }, "");
    this.playButton = el("button", { id: "play", onclick: () => (this.playing ? this.pause() : this.play()) }, "play");
    this.legendBox = el("div", {}, this.layer ? legendFor(this.layer) : "");
    const boxes = runs.map((r, k) => el("div", { class: "mapbox" }, el("div", {}, r.label || r.info.name), this.canvases[k]));
    root.append(
      el("div", { class: "controls" }, "layer ", this.layerSelect, this.playButton, this.slider, this.dayLabel),
      this.legendBox, el("div", { class: "maps" }, ...boxes));
  }
  get day() { return this.days[this.index]; }
  // The snapshot of run k at the slider's day: the last one on or before it.
  snapshotOf(k, day) {
    const steps = this.runs[k].info.snapshot_steps;
    let best = 0;
    for (let i = 0; i < steps.length; i++) if (steps[i] <= day) best = i;
    return best;
  }
  fetchSnap(k, snap) {
    const key = `${k}/${this.layer.map}/${snap}`;
    if (!this.cache.has(key)) {
      this.cache.set(key, fetchArray("/api/map?" + q({ id: this.runs[k].id, name: this.layer.map, snapshot: snap })));
      if (this.cache.size > 24) this.cache.delete(this.cache.keys().next().value);
    }
    return this.cache.get(key);
  }
  async show(index) {
    if (!this.layer || this.days.length === 0) return;
    index = Math.max(0, Math.min(this.days.length - 1, index));
    this.index = index;
    this.slider.value = index;
    const day = this.days[index];
    const arrays = await Promise.all(this.runs.map((r, k) => this.fetchSnap(k, this.snapshotOf(k, day))));
    if (this.index !== index) return;  // a later request overtook this one
    arrays.forEach((a, k) => { drawMap(this.canvases[k], a, this.layer); this.canvases[k].dataset.step = a.step; });
    this.dayLabel.textContent = "day " + day;
    this.dayLabel.dataset.day = day;
    for (let ahead = 1; ahead <= 3 && index + ahead < this.days.length; ahead++)  // prefetch for playback
      this.runs.forEach((r, k) => this.fetchSnap(k, this.snapshotOf(k, this.days[index + ahead])));
    for (const f of this.listeners) f(day);
  }
  // Shows the snapshot nearest to `day` (a click on a chart).
  goToDay(day) {
    let best = 0;
    for (let i = 0; i < this.days.length; i++) if (Math.abs(this.days[i] - day) < Math.abs(this.days[best] - day)) best = i;
    return this.show(best);
  }
  async play() {
    this.playing = true;
    this.playButton.textContent = "pause";
    if (this.index >= this.days.length - 1) await this.show(0);
    while (this.playing && this.index < this.days.length - 1) {
      await this.show(this.index + 1);
      await new Promise((r) => requestAnimationFrame(r));
    }
    this.pause();
  }
  pause() { this.playing = false; this.playButton.textContent = "play"; }
  // Frames per second drawing `frames` snapshots in a row as playback does (the browser test reports it).
  async measure(frames) {
    const t0 = performance.now();
    for (let f = 0; f < frames; f++) {
      await this.show((this.index + 1) % this.days.length);
      await new Promise((r) => requestAnimationFrame(r));
    }
    return frames / ((performance.now() - t0) / 1000);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Series charts: one canvas, lines on steps, a cursor at the map's day; a click moves the map there
// ---------------------------------------------------------------------------------------------------------

const LINE_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

class Chart {
  constructor(root, onDay) {
    this.canvas = el("canvas", { class: "chart", id: "chart", width: 900, height: 240 });
    this.lines = [];
    this.cursor = null;
    this.canvas.addEventListener("click", (ev) => {
      if (!this.scale) return;
      const r = this.canvas.getBoundingClientRect();
      const x = (ev.clientX - r.left) * (this.canvas.width / r.width);
      onDay(Math.round(this.scale.x0 + ((x - this.scale.left) / this.scale.w) * (this.scale.x1 - this.scale.x0)));
    });
    root.append(this.canvas);
  }
  // lines: [{label, steps, values}]
  set(lines) { this.lines = lines; this.draw(); }
  setCursor(day) { this.cursor = day; this.canvas.dataset.cursor = day; this.draw(); }
  draw() {
    const c = this.canvas, ctx = c.getContext("2d");
    ctx.clearRect(0, 0, c.width, c.height);
    const left = 60, right = 10, top = 20, bottom = 24, w = c.width - left - right, h = c.height - top - bottom;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const l of this.lines)
      l.values.forEach((v, i) => { if (v !== null && Number.isFinite(v)) { y0 = Math.min(y0, v); y1 = Math.max(y1, v); x0 = Math.min(x0, l.steps[i]); x1 = Math.max(x1, l.steps[i]); } });
    if (!Number.isFinite(x0)) { ctx.fillText("no data", left, top + 20); this.scale = null; return; }
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) { y1 = y0 + 1; }
    this.scale = { left, w, x0, x1 };
    const X = (s) => left + ((s - x0) / (x1 - x0)) * w, Y = (v) => top + h - ((v - y0) / (y1 - y0)) * h;
    ctx.strokeStyle = "#888"; ctx.strokeRect(left, top, w, h);
    ctx.fillStyle = "#333"; ctx.font = "11px sans-serif";
    ctx.fillText(String(+y1.toPrecision(4)), 2, top + 8); ctx.fillText(String(+y0.toPrecision(4)), 2, top + h);
    ctx.fillText("day " + x0, left, c.height - 6); ctx.fillText("day " + x1, left + w - 50, c.height - 6);
    this.lines.forEach((l, k) => {
      ctx.strokeStyle = LINE_COLOURS[k % LINE_COLOURS.length];
      ctx.beginPath();
      let pen = false;
      l.values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) { pen = false; return; }
        if (pen) ctx.lineTo(X(l.steps[i]), Y(v)); else ctx.moveTo(X(l.steps[i]), Y(v));
        pen = true;
      });
      ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fillText(l.label, left + 8 + 150 * k, 12);
    });
    if (this.cursor !== null) {
      ctx.strokeStyle = "#000"; ctx.beginPath(); ctx.moveTo(X(this.cursor), top); ctx.lineTo(X(this.cursor), top + h); ctx.stroke();
    }
  }
}

// The lines of series `name` of a run: one line, or one per column of a series on (step, other).
async function seriesLines(id, info, name, label) {
  const s = await api("/api/series?" + q({ id, name }));
  const steps = (await api("/api/series?" + q({ id, name: "step" }))).values;
  const v = info.variables.find((x) => x.name === name);
  if (s.shape.length === 1) return [{ label: label || name, steps, values: s.values }];
  const width = s.shape[1], lines = [];
  for (let j = 0; j < width; j++)
    lines.push({ label: `${label ? label + " " : ""}${v.dims[1] || "column"} ${j}`, steps, values: steps.map((_, i) => s.values[i * width + j]) });
  return lines;
}

function seriesSelect(info, preferred) {
  const names = info.variables.filter((v) => v.role === "series").map((v) => v.name);
  const sel = el("select", { id: "series" }, ...names.map((n) => el("option", { value: n }, n)));
  const first = preferred.find((p) => names.includes(p));
  if (first) sel.value = first;
  return sel;
}

// ---------------------------------------------------------------------------------------------------------
// Summary table, as tools/compare_runs.py prints it
// ---------------------------------------------------------------------------------------------------------

function formatSummary(value, v) {
  const name = v.name.replace(/^summary_/, ""), longName = String(attrOf(v, "long_name") || "");
  if (value === null || value === undefined) return /never/i.test(longName) || name.endsWith("_day") || name.startsWith("time_to") ? "never" : "-";
  if (v.dtype.startsWith("i") || Number.isInteger(value)) return String(Math.trunc(value));
  const m = Math.abs(value);
  if (m < 1e-3 || m >= 1e7) return value.toExponential(3);
  return value.toFixed(Math.max(0, 3 - Math.floor(Math.log10(m))));
}

function runLabels(infos) {
  const doctrines = infos.map((i) => String(i.attrs.doctrine || "").trim());
  let labels = infos.map((i, k) => {
    const d = doctrines[k];
    return d && d.toLowerCase() !== "none" && doctrines.filter((x) => x === d).length === 1 ? d : i.name.replace(/\.h5$/, "");
  });
  labels = labels.map((l, k) => (labels.filter((x) => x === l).length > 1 ? `${l}#${k + 1}` : l));
  return labels;
}

function summaryTable(infos, labels) {
  const names = [], meta = {};
  for (const info of infos)
    for (const v of info.variables) if (v.role === "summary" && !(v.name in meta)) { names.push(v.name); meta[v.name] = v; }
  const table = el("table", { id: "summaries" }, el("tr", {}, el("th", {}, "summary"), ...labels.map((l) => el("th", {}, l)), el("th", {}, "description")));
  for (const name of names) {
    const v = meta[name], units = attrOf(v, "units");
    const cells = infos.map((info) => {
      const w = info.variables.find((x) => x.name === name);
      return el("td", { class: "num" }, w ? formatSummary(w.value, w) : "(absent)");
    });
    table.append(el("tr", {}, el("td", {}, name.replace(/^summary_/, "")), ...cells,
      el("td", {}, String(attrOf(v, "long_name") || "") + (units && units !== "1" ? ` [${units}]` : ""))));
  }
  return names.length ? table : el("p", {}, "No summaries (the run is not complete).");
}

// ---------------------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------------------

const main = document.getElementById("main");
window.keepsimView = { player: null, chart: null, ready: false };

function ready() { window.keepsimView.ready = true; document.body.dataset.ready = "1"; }

async function viewRuns() {
  const { runs, roots } = await api("/api/runs");
  main.replaceChildren(el("h2", {}, "Runs in " + roots.join(", ")));
  const table = el("table", { id: "runs" }, el("tr", {}, ...["", "file", "title", "doctrine", "seed", "periods", "complete", ""].map((h) => el("th", {}, h))));
  const picked = [];
  const compare = el("button", { id: "compare", disabled: "", onclick: () => { location.hash = "compare?" + q({ a: picked[0], b: picked[1] }); } }, "compare the two ticked runs");
  for (const r of runs) {
    const box = el("input", { type: "checkbox", onchange: (ev) => {
      if (ev.target.checked) picked.push(r.id); else picked.splice(picked.indexOf(r.id), 1);
      if (picked.length === 2) compare.removeAttribute("disabled"); else compare.setAttribute("disabled", "");
    } });
    const links = el("td");
    if (r.kind === "run") links.append(el("a", { href: "#run?" + q({ id: r.id }) }, "open"), " ", el("a", { href: "#launch?" + q({ like: r.id }) }, "run again"));
    if (r.kind === "sweep") links.append(el("a", { href: "#sweep?" + q({ id: r.id }) }, "browse sweep"));
    table.append(el("tr", { "data-id": r.id }, el("td", {}, r.kind === "run" ? box : ""), el("td", {}, r.id), el("td", {}, r.title ?? r.kind),
      el("td", {}, r.doctrine ?? ""), el("td", {}, r.seed ?? ""), el("td", {}, r.steps_completed ?? ""), el("td", {}, r.complete ?? ""), links));
  }
  main.append(el("div", { class: "controls" }, compare), table);
  ready();
}

async function viewRun(params) {
  const id = params.get("id");
  const info = await api("/api/run?" + q({ id }));
  main.replaceChildren(el("h2", {}, `${info.attrs.title || info.name}`),
    el("p", {}, `${id}: model ${info.attrs.model}, doctrine ${info.attrs.doctrine}, seed ${info.attrs.seed}, ${info.attrs.steps_completed} periods, complete = ${info.attrs.complete}`));
  const hasMaps = info.snapshot_steps.length > 0;
  let player = null;
  if (hasMaps) {
    player = new Player([{ id, info }], main);
    window.keepsimView.player = player;
  } else {
    main.append(el("p", {}, "This run has no maps (output.map_every = 0)."));
  }
  const chartBox = el("div");
  const select = seriesSelect(info, ["civilians_killed", "active", "displaced"]);
  main.append(el("h3", {}, "Series"), el("div", { class: "controls" }, "series ", select), chartBox);
  const chart = new Chart(chartBox, (day) => (player ? player.goToDay(day) : chart.setCursor(day)));
  window.keepsimView.chart = chart;
  const load = async () => chart.set(await seriesLines(id, info, select.value));
  select.addEventListener("change", load);
  if (player) player.listeners.push((day) => chart.setCursor(day));
  main.append(el("h3", {}, "Summaries"), summaryTable([info], runLabels([info])),
    el("details", {}, el("summary", {}, "config"), el("pre", {}, info.attrs.config || "")));
  await load();
  if (player) await player.show(0);
  ready();
}

async function viewCompare(params) {
  const ids = [params.get("a"), params.get("b")];
  const infos = await Promise.all(ids.map((id) => api("/api/run?" + q({ id }))));
  const labels = runLabels(infos);
  main.replaceChildren(el("h2", { id: "compare-title" }, `${labels[0]} and ${labels[1]}`));
  let player = null;
  if (infos.every((i) => i.snapshot_steps.length > 0)) {
    player = new Player(infos.map((info, k) => ({ id: ids[k], info, label: labels[k] })), main);
    window.keepsimView.player = player;
  } else {
    main.append(el("p", {}, "Maps are shown when both runs have them."));
  }
  const select = seriesSelect(infos[0], ["civilians_killed", "active", "displaced"]);
  const chartBox = el("div");
  main.append(el("h3", {}, "Series"), el("div", { class: "controls" }, "series ", select), chartBox);
  const chart = new Chart(chartBox, (day) => (player ? player.goToDay(day) : chart.setCursor(day)));
  window.keepsimView.chart = chart;
  const load = async () => {
    const lines = [];
    for (let k = 0; k < 2; k++)
      if (infos[k].variables.some((v) => v.name === select.value)) lines.push(...(await seriesLines(ids[k], infos[k], select.value, labels[k])));
    chart.set(lines);
  };
  select.addEventListener("change", load);
  if (player) player.listeners.push((day) => chart.setCursor(day));
  main.append(el("h3", {}, "Summaries"), summaryTable(infos, labels));
  await load();
  if (player) await player.show(0);
  ready();
}

// Student's t quantile 0.975 for `df` degrees of freedom (1.96 beyond the table), for 95% intervals of means.
function studentT975(df) {
  const t = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
    2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
  return df < 1 ? NaN : df < t.length ? t[df] : df < 60 ? 2.0 : 1.96;
}

// A sweep: a summary against a factor; each run a point (replicates side by side), each level's mean with a
// 95% interval (Student's t over the runs at that level). A click on a point opens its run.
async function viewSweep(params) {
  const id = params.get("id");
  const sw = await api("/api/sweep?" + q({ id }));
  const factors = sw.columns.filter((c) => c.role === "factor"), summaries = sw.columns.filter((c) => c.role === "summary");
  main.replaceChildren(el("h2", {}, `Sweep ${id}: design ${sw.attrs.design}, ${sw.attrs.samples} samples x ${sw.attrs.replicates} replicates`));
  if (!factors.length || !summaries.length) { main.append(el("p", {}, "This sweep has no factor or no summary to plot.")); ready(); return; }
  const xs = el("select", { id: "factor" }, ...factors.map((c) => el("option", { value: c.name }, c.name)));
  const ys = el("select", { id: "summary" }, ...summaries.map((c) => el("option", { value: c.name }, c.name)));
  const canvas = el("canvas", { class: "chart", id: "sweep-chart", width: 900, height: 400 });
  const stats = el("table", { id: "sweep-stats" });
  main.append(el("div", { class: "controls" }, "summary ", ys, " against ", xs), canvas, stats);
  const status = sw.columns.find((c) => c.name === "status");
  let points = [];
  const draw = () => {
    const fx = factors.find((c) => c.name === xs.value), fy = summaries.find((c) => c.name === ys.value);
    const levels = typeof attrOf(fx, "levels") === "string" ? attrOf(fx, "levels").split("\n") : null;
    const rows = fx.values.map((x, r) => ({ r, x, y: fy.values[r], ok: !status || status.values[r] === 0 })).filter((p) => p.ok && p.y !== null && p.x !== null);
    const groups = new Map();
    for (const p of rows) { if (!groups.has(p.x)) groups.set(p.x, []); groups.get(p.x).push(p); }
    const keys = [...groups.keys()].sort((a, b) => a - b);
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const left = 70, top = 20, w = canvas.width - 90, h = canvas.height - 60;
    const stat = new Map();
    for (const k of keys) {
      const g = groups.get(k), n = g.length;
      const mean = g.reduce((s, p) => s + p.y, 0) / n;
      const sd = n > 1 ? Math.sqrt(g.reduce((s, p) => s + (p.y - mean) ** 2, 0) / (n - 1)) : 0;
      stat.set(k, { n, mean, half: studentT975(n - 1) * sd / Math.sqrt(n) });
    }
    // The y range holds every point and every interval, with a margin.
    const ends = rows.map((p) => p.y);
    for (const { mean, half } of stat.values()) if (Number.isFinite(half)) ends.push(mean - half, mean + half);
    let y0 = Math.min(...ends), y1 = Math.max(...ends);
    if (!Number.isFinite(y0)) { ctx.fillText("no finished runs", left, 40); points = []; return; }
    if (y1 === y0) { y0 -= 1; y1 += 1; }
    const margin = 0.05 * (y1 - y0);
    y0 -= margin; y1 += margin;
    const x0 = keys[0], x1 = keys.length > 1 ? keys[keys.length - 1] : keys[0] + 1;
    const X = (x) => left + 30 + ((x - x0) / (x1 - x0 || 1)) * (w - 60), Y = (y) => top + h - ((y - y0) / (y1 - y0)) * h;
    // Replicates side by side within a band narrower than the gap between levels.
    const gap = keys.length > 1 ? Math.min(...keys.slice(1).map((k, i) => X(k) - X(keys[i]))) : 100;
    const band = Math.min(40, 0.4 * gap);
    ctx.strokeStyle = "#888"; ctx.strokeRect(left, top, w, h);
    ctx.fillStyle = "#333"; ctx.font = "11px sans-serif";
    ctx.fillText(String(+y1.toPrecision(4)), 2, top + 8); ctx.fillText(String(+y0.toPrecision(4)), 2, top + h);
    points = [];
    stats.replaceChildren(el("tr", {}, ...[xs.value, "runs", "mean", "95% interval"].map((t) => el("th", {}, t))));
    for (const k of keys) {
      const g = groups.get(k), { n, mean, half } = stat.get(k);
      g.forEach((p, i) => {
        const jitter = n > 1 ? (i / (n - 1) - 0.5) * band : 0;
        const px = X(k) + jitter, py = Y(p.y);
        ctx.fillStyle = "rgba(31,119,180,0.6)"; ctx.beginPath(); ctx.arc(px, py, 3, 0, 2 * Math.PI); ctx.fill();
        points.push({ px, py, r: p.r });
      });
      ctx.strokeStyle = "#d62728"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(X(k) - 10, Y(mean)); ctx.lineTo(X(k) + 10, Y(mean));
      if (Number.isFinite(half)) { ctx.moveTo(X(k), Y(mean - half)); ctx.lineTo(X(k), Y(mean + half)); }
      ctx.stroke();
      ctx.lineWidth = 1;
      const label = levels ? levels[k] ?? k : String(+Number(k).toPrecision(6));
      ctx.fillStyle = "#333"; ctx.fillText(label, X(k) - 10, top + h + 14);
      stats.append(el("tr", {}, el("td", {}, label), el("td", { class: "num" }, n), el("td", { class: "num" }, mean.toPrecision(4)),
        el("td", { class: "num" }, Number.isFinite(half) ? `${(mean - half).toPrecision(4)} to ${(mean + half).toPrecision(4)}` : "-")));
    }
    canvas.dataset.points = points.length;
  };
  canvas.addEventListener("click", (ev) => {
    const rect = canvas.getBoundingClientRect();
    const x = (ev.clientX - rect.left) * (canvas.width / rect.width), y = (ev.clientY - rect.top) * (canvas.height / rect.height);
    let best = null, dist = 64;
    for (const p of points) { const d = (p.px - x) ** 2 + (p.py - y) ** 2; if (d < dist) { dist = d; best = p; } }
    if (best && sw.run_ids[best.r]) location.hash = "run?" + q({ id: sw.run_ids[best.r] });
  });
  xs.addEventListener("change", draw);
  ys.addEventListener("change", draw);
  draw();
  window.keepsimView.sweepPoints = () => points.map((p) => ({ x: p.px, y: p.py, id: sw.run_ids[p.r] }));
  ready();
}

// The form of every parameter, from the schema (keepsim describe): types, ranges, units and docs; values from
// a run when one is named, so "run again" repeats it exactly.
async function viewLaunch(params) {
  const like = params.get("like");
  const { parameters } = await api("/api/schema" + (like ? "?" + q({ id: like }) : ""));
  const jobs = await api("/api/jobs");
  main.replaceChildren(el("h2", {}, like ? `Start a run like ${like}` : "Start a run"));
  if (!jobs.enabled) { main.append(el("p", { class: "error" }, "This server was started without a folder for runs (--no-runs, or only files given).")); ready(); return; }
  const form = el("form", { id: "launch" });
  const groups = new Map();
  for (const p of parameters) {
    const g = p.key.includes(".") ? p.key.split(".")[0] : "general";
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(p);
  }
  const fields = [];
  for (const [g, ps] of groups) {
    const box = el("details", {}, el("summary", {}, g));
    box.open = g === "general" || g === "run";
    for (const p of ps) {
      let input;
      if (p.type === "choice") input = el("select", {}, ...p.choices.map((c) => el("option", { value: c }, c)));
      else if (p.type === "bool") input = el("select", {}, el("option", { value: "true" }, "true"), el("option", { value: "false" }, "false"));
      else input = el("input", { type: "text" });
      input.value = p.value;
      input.name = p.key;
      input.dataset.type = p.type;
      input.dataset.initial = p.value;
      input.title = p.doc;
      fields.push(input);
      box.append(el("div", { class: "param" }, el("label", { title: p.doc }, p.key), input,
        el("small", {}, `${p.allowed}${p.unit && p.unit !== "1" ? " " + p.unit : ""}: ${p.doc}`)));
    }
    form.append(box);
  }
  const message = el("p", { class: "error", id: "launch-error" });
  form.append(el("button", { type: "submit", id: "start" }, "start the run"), message);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    // Every parameter is sent: the run's config file then holds exactly what the form shows.
    const body = new URLSearchParams();
    for (const f of fields) {
      const text = f.dataset.type === "string" || f.dataset.type === "choice" ? JSON.stringify(f.value) : f.value.trim();
      body.append("set", `${f.name}=${text}`);
    }
    try {
      const { job } = await api("/api/jobs", { method: "POST", body });
      location.hash = "job?" + q({ job });
    } catch (e) { message.textContent = e.message; }
  });
  main.append(form);
  ready();
}

async function viewJobs() {
  const { enabled, jobs } = await api("/api/jobs");
  main.replaceChildren(el("h2", {}, "Runs started from this page"));
  if (!enabled) main.append(el("p", {}, "Starting runs is off on this server."));
  const table = el("table", {}, el("tr", {}, ...["run", "state", "progress", ""].map((h) => el("th", {}, h))));
  for (const j of jobs)
    table.append(el("tr", {}, el("td", {}, j.output), el("td", {}, j.state), el("td", {}, `${j.period} / ${j.steps}`), el("td", {}, el("a", { href: "#job?" + q({ job: j.job }) }, "watch"))));
  main.append(table, el("p", {}, el("a", { href: "#launch" }, "start a run")));
  ready();
}

// A run started from the page, watched live from its checkpoints: progress, the latest map, stop and resume.
async function viewJob(params) {
  const jobId = params.get("job");
  const route = location.hash;
  main.replaceChildren(el("h2", {}, "Run " + jobId + " started from the page"));
  const state = el("p", { id: "job-state" }), bar = el("progress", { id: "progress", max: 1, value: 0 });
  const canvas = el("canvas", { class: "map", id: "live-map" }), dayLabel = el("span", { id: "live-day" });
  const stop = el("button", { id: "stop", onclick: () => api("/api/job/stop?" + q({ job: jobId }), { method: "POST" }).catch((e) => (state.textContent = e.message)) }, "stop");
  const resume = el("button", { id: "resume", onclick: () => api("/api/job/resume?" + q({ job: jobId }), { method: "POST" }).catch((e) => (state.textContent = e.message)) }, "resume");
  const open = el("span", { id: "job-open" });
  const layer = layersFor(["map_occupancy"])[0];
  const chartBox = el("div");
  main.append(el("div", { class: "controls" }, bar, state, stop, resume, open), el("div", { class: "controls" }, dayLabel), canvas, legendFor(layer),
    el("h3", {}, "Series so far"), chartBox);
  const chart = new Chart(chartBox, () => {});
  window.keepsimView.chart = chart;
  let shownStep = -1, chartedPeriod = -1;
  while (location.hash === route) {
    const j = await api("/api/job?" + q({ job: jobId }));
    bar.max = Math.max(1, j.steps); bar.value = j.period;
    state.textContent = `${j.state}: day ${j.period} of ${j.steps}` + (j.state === "stopped" ? " (resumable)" : "") + (j.log ? "\n" + j.log : "");
    state.dataset.state = j.state;
    stop.disabled = j.state !== "running"; resume.disabled = j.state !== "stopped";
    open.replaceChildren(j.output_id ? el("a", { href: "#run?" + q({ id: j.output_id }), id: "open-output" }, "open " + j.output) : "");
    const steps = j.live_snapshot_steps;
    if (j.state === "running" && j.width > 0 && steps.length && steps[steps.length - 1] !== shownStep) {
      try {
        const a = await fetchArray("/api/job/map?" + q({ job: jobId, name: "map_occupancy" }));
        drawMap(canvas, a, layer);
        shownStep = a.step; dayLabel.textContent = "day " + a.step;
      } catch (e) { /* a checkpoint being replaced: the next poll gets it */ }
    }
    if (j.state === "running" && j.period !== chartedPeriod) {
      // The series the run has so far, from the same checkpoint: civilians killed, or actives in Epstein runs.
      for (const name of ["civilians_killed", "active"]) {
        try {
          const s = await api("/api/job/series?" + q({ job: jobId, name }));
          chart.set([{ label: name, steps: s.steps, values: s.values.filter((_, i) => i % s.shape[1] === 0) }]);
          chartedPeriod = j.period;
          break;
        } catch (e) { /* not this model's series, or no checkpoint yet */ }
      }
    }
    ready();
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function route() {
  window.keepsimView.ready = false;
  delete document.body.dataset.ready;
  if (window.keepsimView.player) window.keepsimView.player.pause();
  window.keepsimView.player = null;
  const hash = location.hash.replace(/^#/, "");
  const [name, query] = [hash.split("?")[0], hash.split("?").slice(1).join("?")];
  const params = new URLSearchParams(query);
  const views = { "": viewRuns, run: viewRun, compare: viewCompare, sweep: viewSweep, launch: viewLaunch, jobs: viewJobs, job: viewJob };
  try {
    await (views[name] || viewRuns)(params);
  } catch (e) {
    main.replaceChildren(el("p", { class: "error", id: "error" }, e.message));
    ready();
  }
}

window.addEventListener("hashchange", route);
route();
