#!/usr/bin/env python3
"""Whether the doctrine conclusions of the peacekeeping model depend on its schedule (async or sync).

    /usr/bin/python3 tools/schedule_comparison.py --keepsim build/bin/keepsim --jobs 2 \\
        --work out/schedule-comparison --report docs/validation/schedules.md

Issue 14 asks for a statistical comparison showing that the doctrine conclusions of docs/validation/ hold under
both schedules of the agents' day (`rules.schedule`, docs/ODD.md section 3). This runs the default country
(configs/scenarios/default.toml) under {async, sync} x {security-keeping, complex peacekeeping, no mission}, the
same seeds in every arm, one keepsim process per run (up to --jobs at once, each with --threads 1), and writes a
Markdown report. Each test (hypothesis, arms, statistic, rule) is a constant of this file, written to
WORK/plan.md before any run starts and to the report ahead of its numbers; no rule is adjusted to results.

D1-D4 ask whether a doctrine comparison reaches the same verdict (A lower, B lower, no difference) under both
schedules; S1-S3 ask whether the size of each doctrine difference changes with the schedule (an interaction,
with a bootstrap interval). The report also keeps each arm's wall and CPU seconds per run, so that the sync day's
speed on one thread is on record next to the async day's.

Run files are kept in --work and reused when complete and made by the same keepsim binary with the same
arguments (a key stored in each file, with the run's measured seconds), so an interrupted study resumes where it
stopped. A run is written under a temporary name, checked, and renamed (the runner of peace_validation.py).

--set [DOCTRINE:]KEY=VALUE (repeatable) gives a parameter to every run, as in peace_validation.py, to ask the same
questions of a variant of the model; --first-seed N starts the seeds at N instead of 1, to repeat the study on
fresh runs. Both are named in the report's header.

--smoke: 3 seeds per arm, 400-day runs; the report goes to --report (default WORK/report.md). It is the test
suite's check that the pipeline works: it exits 0 whatever the verdicts, and non-zero only when a run fails or an
output is malformed.

Statistics come from scipy.stats (mannwhitneyu, bootstrap); numpy only for means, medians and quantiles. Needs
numpy, scipy and h5py: Debian's /usr/bin/python3 has them.
"""
from __future__ import annotations

import datetime as _dt
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peace_validation as pv  # noqa: E402  (the runner, the arm, number formats, tables, git and version)

# ---------------------------------------------------------------------------------------------------------------
# Design constants: fixed before any run, never tuned to results.
# ---------------------------------------------------------------------------------------------------------------
FULL_SEEDS, SMOKE_SEEDS = 20, 3
FULL_DAYS, SMOKE_DAYS = 1095, 400
SCHEDULES = ("async", "sync")  # async first: it is the reference every other report was made with
ALPHA = 0.05  # two-sided Mann-Whitney p below which a doctrine comparison has a direction
MARGIN = 0.5  # S: the interaction's 95% interval must lie within +-MARGIN x |async difference|
BOOT_RESAMPLES, BOOT_SEED = 9999, 20261203  # scipy.stats.bootstrap, percentile intervals, a fixed generator

CDR, KR = "summary_civilian_death_rate", "summary_killing_rate"
OUTCOMES = (CDR, KR)
OUTCOME_LABEL = {CDR: "civilians killed / 100k / yr", KR: "killings of anyone / 100k / yr"}
DOCTRINE_LABEL = {"sk": "security-keeping", "cp": "complex peacekeeping", "none": "no mission"}
DOCTRINE_SHORT = {"sk": "SK", "cp": "CP", "none": "none"}
KEY_ATTR, WALL_ATTR, CPU_ATTR = "schedule_comparison_key", "schedule_comparison_wall_s", "schedule_comparison_cpu_s"


@dataclass(frozen=True)
class Compare:
    """A doctrine comparison a minus b on one outcome, judged under each schedule."""
    tid: str
    title: str
    a: str  # doctrine key of the minuend
    b: str
    outcome: str
    source: str  # where docs/validation/ states the conclusion


COMPARES = (
    Compare("D1", "Security-keeping against complex peacekeeping, civilian deaths", "sk", "cp", CDR,
            "docs/validation/doctrine_drivers.md, its two preset rows, and docs/validation/cases.md D1"),
    Compare("D2", "Security-keeping against complex peacekeeping, killings of anyone", "sk", "cp", KR,
            "docs/validation/doctrine_drivers.md, its `killing_rate` of the two presets"),
    Compare("D3", "Security-keeping against no mission, civilian deaths", "sk", "none", CDR,
            "docs/validation/peacekeeping.md T3, there tested one-sided"),
    Compare("D4", "Complex peacekeeping against no mission, civilian deaths", "cp", "none", CDR,
            "docs/validation/peacekeeping.md T3, there tested one-sided"),
)
# S: the size of each doctrine difference in civilian deaths, sync against async.
SIZES = (("S1", "sk", "cp"), ("S2", "sk", "none"), ("S3", "cp", "none"))

NOT_MEASURED = "not measured"


def arm_key(schedule: str, doctrine: str) -> str:
    return f"{schedule}_{doctrine}"


def make_arms(days: int) -> dict[str, pv.Arm]:
    arms = {}
    for s in SCHEDULES:
        sched = (("rules.schedule", s),)
        arms[arm_key(s, "sk")] = pv.Arm(arm_key(s, "sk"), f"{s}, security-keeping", "security_keeping", sched, days)
        arms[arm_key(s, "cp")] = pv.Arm(arm_key(s, "cp"), f"{s}, complex peacekeeping", "complex_peacekeeping",
                                        sched, days)
        arms[arm_key(s, "none")] = pv.Arm(arm_key(s, "none"), f"{s}, no mission", "security_keeping",
                                          sched + pv.NO_MISSION_SETS, days)
    return arms


# ---------------------------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------------------------

def load_run(path: Path, arm: pv.Arm, seed: int) -> dict:
    """The two outcomes of one run file and its measured seconds, checking that the file is the run asked for."""
    where = f"{path.name} ({arm.key} seed {seed})"
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise pv.RunError(f"{where}: cannot open: {e}")
    with f:
        if int(f.attrs.get("complete", 0)) != 1:
            raise pv.RunError(f"{where}: not complete")
        if int(f.attrs.get("steps_completed", -1)) != arm.steps:
            raise pv.RunError(f"{where}: steps_completed {f.attrs.get('steps_completed')} != {arm.steps}")
        # The config the run records must carry the arm's schedule and mission switch: a --set that keepsim
        # ignored would otherwise make two arms the same model and every test below vacuous.
        try:
            cfg = tomllib.loads(str(f.attrs.get("config", "")))
        except tomllib.TOMLDecodeError as e:
            raise pv.RunError(f"{where}: config attribute unreadable: {e}")
        want = dict(arm.sets)
        got_sched = cfg.get("rules", {}).get("schedule")
        if got_sched != want["rules.schedule"]:
            raise pv.RunError(f"{where}: rules.schedule is {got_sched!r}, expected {want['rules.schedule']!r}")
        got_mission = cfg.get("mission", {}).get("enabled")
        if got_mission != (want.get("mission.enabled", "true") == "true"):
            raise pv.RunError(f"{where}: mission.enabled is {got_mission!r}")
        rec = dict(seed=seed, arm=arm.key)
        for n in OUTCOMES:
            if n not in f or f[n].shape != ():
                raise pv.RunError(f"{where}: no scalar {n}")
            v = float(f[n][()])
            if not math.isfinite(v) or v < 0:
                raise pv.RunError(f"{where}: {n} = {v}")
            rec[n] = v
        rec["wall_s"] = float(f.attrs.get(WALL_ATTR, float("nan")))
        rec["cpu_s"] = float(f.attrs.get(CPU_ATTR, float("nan")))
    return rec


class Runner(pv.Runner):
    """peace_validation's runner, with this study's file check and each run's wall and CPU seconds kept."""

    def _reusable(self, path: Path, key: str) -> bool:
        if not path.exists():
            return False
        try:
            with h5py.File(path, "r") as f:
                return int(f.attrs.get("complete", 0)) == 1 and str(f.attrs.get(KEY_ATTR, "")) == key
        except OSError:
            return False

    def one(self, arm: pv.Arm, seed: int) -> dict:
        out = self.path(arm, seed)
        key = self.run_key(arm, seed)
        if self._reusable(out, key):
            try:
                rec = load_run(out, arm, seed)
                with self._lock:
                    self.reused += 1
                return rec
            except pv.RunError as e:  # a damaged file: run it again
                print(f"  rerunning: {e}", file=sys.stderr, flush=True)
        tmp = out.with_name(out.stem + ".tmp.h5")
        for stale in (tmp, Path(str(tmp) + ".part"), Path(str(tmp) + ".ckpt")):
            if stale.exists():
                stale.unlink()
        cmd = self.command(arm, seed, tmp)
        # os.wait4 gives this child's own CPU seconds (getrusage of all children would mix the parallel runs).
        with tempfile.TemporaryFile("w+") as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, text=True)
            _, status, usage = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
            err.seek(0)
            stderr = err.read()
        if p.returncode != 0:
            raise pv.RunError(f"{arm.key} seed {seed}: keepsim exited {p.returncode}: {stderr.strip()[-400:]}"
                              f"\n  command: {shlex.join(cmd)}")
        load_run(tmp, arm, seed)  # raises RunError when malformed
        with h5py.File(tmp, "a") as f:
            f.attrs[KEY_ATTR] = key
            f.attrs[WALL_ATTR] = wall
            f.attrs[CPU_ATTR] = usage.ru_utime + usage.ru_stime
        os.replace(tmp, out)
        with self._lock:
            self.made += 1
        return load_run(out, arm, seed)


# ---------------------------------------------------------------------------------------------------------------
# Statistics (every test statistic from scipy.stats)
# ---------------------------------------------------------------------------------------------------------------

def direction(diff: float, p: float, a: str, b: str) -> str:
    """The stated verdict rule of D1-D4: a direction only with a two-sided p below ALPHA."""
    if math.isfinite(p) and p < ALPHA and math.isfinite(diff):
        if diff < 0:
            return f"{DOCTRINE_SHORT[a]} lower"
        if diff > 0:
            return f"{DOCTRINE_SHORT[b]} lower"
    return "no difference"


def boot_interaction(sa, sb, aa, ab) -> tuple[float, float]:
    """95% percentile-bootstrap interval of (mean sa - mean sb) - (mean aa - mean ab), each arm resampled by seed
    on its own (scipy.stats.bootstrap, four independent samples)."""
    xs = [pv.finite(x) for x in (sa, sb, aa, ab)]
    if min(len(x) for x in xs) < 2:
        return float("nan"), float("nan")

    def inter(w, x, y, z, axis=-1):
        return (np.mean(w, axis=axis) - np.mean(x, axis=axis)) - (np.mean(y, axis=axis) - np.mean(z, axis=axis))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = stats.bootstrap(tuple(xs), inter, vectorized=True, n_resamples=BOOT_RESAMPLES, method="percentile",
                            confidence_level=0.95, random_state=np.random.default_rng(BOOT_SEED))
    return float(r.confidence_interval.low), float(r.confidence_interval.high)


def size_verdict(lo: float, hi: float, async_diff: float) -> str:
    """The stated rule of S1-S3, in this order: within the margin, else excluding 0, else inconclusive."""
    if not (math.isfinite(lo) and math.isfinite(hi) and math.isfinite(async_diff)):
        return "inconclusive in size"
    m = MARGIN * abs(async_diff)
    if -m <= lo and hi <= m:
        return "schedule-independent in size"
    if lo > 0 or hi < 0:
        return "depends on the schedule"
    return "inconclusive in size"


def pct(x: float, ref: float) -> str:
    r = pv.ratio(x, abs(ref))
    return "n/a" if not math.isfinite(r) else f"{100 * r:+.0f}%"


# ---------------------------------------------------------------------------------------------------------------
# The study
# ---------------------------------------------------------------------------------------------------------------

class Study:
    def __init__(self, smoke: bool, seeds: int, first_seed: int = 1):
        self.smoke = smoke
        self.seeds = list(range(first_seed, first_seed + seeds))
        self.days = SMOKE_DAYS if smoke else FULL_DAYS
        self.arms = make_arms(self.days)
        self.runs: dict[str, list[dict]] = {}
        self.results: dict[str, dict] = {}
        self.failed = 0  # runs that failed or were malformed

    # -- statements, written before any run ----------------------------------------------------------------------
    def arms_text(self) -> str:
        n, d = len(self.seeds), self.days
        return (f"The default country under each schedule (`rules.schedule=async`, `rules.schedule=sync`) and each "
                f"of security-keeping (`security_keeping.toml`), complex peacekeeping (`complex_peacekeeping.toml`) "
                f"and no mission (`security_keeping.toml` with `mission.enabled=false`, "
                f"`constabulary.enabled=false`): six arms, {n} seeds each (seeds {self.seeds[0]}..{self.seeds[-1]}, "
                f"the same in every arm), {d} days, `--threads 1`.")

    def plan(self) -> str:
        out = ["## Arms", "", self.arms_text(), "", "## Tests, as stated before the runs", ""]
        for c in COMPARES:
            A, B = DOCTRINE_LABEL[c.a], DOCTRINE_LABEL[c.b]
            out += [f"### {c.tid}. {c.title}", "",
                    f"- **Hypothesis.** The sign and the significance of {A} minus {B} in `{c.outcome}` are the "
                    f"same under both schedules (the conclusion of {c.source}).",
                    f"- **Statistic.** Under each schedule: the difference of means ({DOCTRINE_SHORT[c.a]} - "
                    f"{DOCTRINE_SHORT[c.b]}) with its 95% bootstrap interval (scipy.stats.bootstrap, percentile, "
                    f"{BOOT_RESAMPLES} resamples, a fixed generator), and the two-sided Mann-Whitney p "
                    f"(scipy.stats.mannwhitneyu).",
                    f"- **Rule (fixed before the runs).** Under each schedule the verdict is "
                    f"\"{DOCTRINE_SHORT[c.a]} lower\" if p < {ALPHA} and the difference < 0, "
                    f"\"{DOCTRINE_SHORT[c.b]} lower\" if p < {ALPHA} and the difference > 0, \"no difference\" "
                    f"otherwise. {c.tid} holds if the two schedules' verdicts are the same.", ""]
        for tid, a, b in SIZES:
            A, B = DOCTRINE_LABEL[a], DOCTRINE_LABEL[b]
            out += [f"### {tid}. The size of {A} minus {B}, civilian deaths", "",
                    f"- **Hypothesis.** The schedule changes the difference {DOCTRINE_SHORT[a]} - "
                    f"{DOCTRINE_SHORT[b]} in `{CDR}` by less than {MARGIN:g} x its size under async.",
                    f"- **Statistic.** The interaction: (sync {DOCTRINE_SHORT[a]} - sync {DOCTRINE_SHORT[b]}) - "
                    f"(async {DOCTRINE_SHORT[a]} - async {DOCTRINE_SHORT[b]}) in means, with its 95% bootstrap "
                    f"interval (scipy.stats.bootstrap, percentile, {BOOT_RESAMPLES} resamples, a fixed generator; "
                    f"the seeds resampled within each of the four arms on their own), reported with the async "
                    f"difference for scale.",
                    f"- **Rule (fixed before the runs), applied in this order.** \"schedule-independent in size\" if "
                    f"the interval lies within +-{MARGIN:g} x |async difference|; else \"depends on the schedule\" "
                    f"if it excludes 0; else \"inconclusive in size\" (it includes 0 but is wider than the margin).",
                    ""]
        out += ["### Overall", "",
                "\"The doctrine conclusions do not depend on the schedule\" only if D1-D4 all hold and no S is "
                "\"depends on the schedule\"; otherwise the line names each test that differs. An \"inconclusive "
                "in size\" S is reported as such (it does not make the line fail, nor does it support it).", "",
                "For information (no verdict): each arm's mean, median and 2.5-97.5 % quantiles over seeds of "
                f"`{CDR}` and `{KR}`, its mean wall and CPU seconds per run, and the interactions of S in `{KR}`.",
                ""]
        return "\n".join(out)

    # -- analysis -----------------------------------------------------------------------------------------------
    def x(self, schedule: str, doctrine: str, outcome: str) -> np.ndarray:
        return np.array([r[outcome] for r in self.runs.get(arm_key(schedule, doctrine), [])], dtype=float)

    def analyse(self):
        for c in COMPARES:
            per = {}
            for s in SCHEDULES:
                a, b = self.x(s, c.a, c.outcome), self.x(s, c.b, c.outcome)
                diff = float(np.mean(a) - np.mean(b)) if len(a) and len(b) else float("nan")
                lo, hi = pv.boot_diff(a, b)
                _, p = pv.mwu(a, b, "two-sided")
                # Without two runs a side there is no test, and "no difference" would be a verdict by default.
                verdict = direction(diff, p, c.a, c.b) if min(len(a), len(b)) >= 2 else NOT_MEASURED
                per[s] = dict(diff=diff, lo=lo, hi=hi, p=p, verdict=verdict)
            holds = per["async"]["verdict"] == per["sync"]["verdict"] != NOT_MEASURED
            self.results[c.tid] = dict(per=per, holds=holds)
        for outcome in OUTCOMES:
            for tid, a, b in SIZES:
                xs = [self.x(s, d, outcome) for s in ("sync", "async") for d in (a, b)]
                means = [float(np.mean(v)) if len(v) else float("nan") for v in xs]
                inter = (means[0] - means[1]) - (means[2] - means[3])
                lo, hi = boot_interaction(*xs)
                adiff = means[2] - means[3]
                self.results[f"{tid}:{outcome}"] = dict(
                    inter=inter, lo=lo, hi=hi, async_diff=adiff, sync_diff=means[0] - means[1],
                    verdict=size_verdict(lo, hi, adiff))

    def overall(self) -> str:
        bad = [c.tid for c in COMPARES if not self.results[c.tid]["holds"]]
        dep = [tid for tid, _, _ in SIZES if self.results[f"{tid}:{CDR}"]["verdict"] == "depends on the schedule"]
        inc = [tid for tid, _, _ in SIZES if self.results[f"{tid}:{CDR}"]["verdict"] == "inconclusive in size"]
        sizes = (f"the size of {inc[0]} is inconclusive" if len(inc) == 1
                 else f"the sizes of {', '.join(inc)} are inconclusive")
        failed = (f"; {self.failed} run(s) failed and are left out (see Problems)" if self.failed else "")
        if not bad and not dep:
            return ("the doctrine conclusions do not depend on the schedule"
                    + (f" ({sizes}{failed})" if inc or failed else ""))
        unmeasured = [tid for tid in bad
                      if NOT_MEASURED in (self.results[tid]["per"][s]["verdict"] for s in SCHEDULES)]
        if unmeasured:
            return (f"the comparison is incomplete: {', '.join(unmeasured)} not measured (an arm has fewer than 2 "
                    f"runs){failed}")
        parts = []
        for tid in bad:
            r = self.results[tid]["per"]
            parts.append(f"{tid}'s verdict differs (async: {r['async']['verdict']}, sync: {r['sync']['verdict']})")
        for tid in dep:
            r = self.results[f"{tid}:{CDR}"]
            parts.append(f"{tid}'s size depends on the schedule (interaction {pv.fmt(r['inter'])}, 95% CI "
                         f"{pv.fmt(r['lo'])} to {pv.fmt(r['hi'])}, against an async difference of "
                         f"{pv.fmt(r['async_diff'])})")
        if inc:
            parts.append(sizes)
        return "the doctrine conclusions depend on the schedule: " + "; ".join(parts) + failed

    # -- report -------------------------------------------------------------------------------------------------
    def arm_table(self) -> str:
        rows = []
        for s in SCHEDULES:
            for d in ("sk", "cp", "none"):
                runs = self.runs.get(arm_key(s, d), [])
                row = [s, DOCTRINE_LABEL[d], len(runs)]
                for o in OUTCOMES:
                    m = pv.summ([r[o] for r in runs])
                    row += [pv.fmt(m["mean"]), pv.fmt(m["median"]), f"{pv.fmt(m['lo'])} to {pv.fmt(m['hi'])}"]
                row += [pv.fmt(pv.summ([r["wall_s"] for r in runs])["mean"], 2),
                        pv.fmt(pv.summ([r["cpu_s"] for r in runs])["mean"], 2)]
                rows.append(row)
        return pv.table(["schedule", "arm", "runs", "civilian death rate: mean", "median", "95% over seeds",
                         "killing rate: mean", "median", "95% over seeds", "wall s / run", "CPU s / run"], rows)

    def total(self, what: str) -> float:
        """Seconds summed over every run that has them (a rerun of a finished study keeps the first one's cost)."""
        return float(sum(pv.finite([r[what] for runs in self.runs.values() for r in runs])))

    def speed_lines(self) -> list[str]:
        out = []
        for s in SCHEDULES:
            runs = [r for d in ("sk", "cp", "none") for r in self.runs.get(arm_key(s, d), [])]
            w = pv.summ([r["wall_s"] for r in runs])
            c = pv.summ([r["cpu_s"] for r in runs])
            out.append(f"- {s}: {pv.fmt(w['mean'], 2)} s wall, {pv.fmt(c['mean'], 2)} s CPU per {self.days}-day "
                       f"run on one thread (mean over the {w['n']} runs whose seconds were measured)")
        return out

    def results_md(self) -> list[str]:
        out = ["## Doctrine verdicts per schedule (D1-D4)", ""]
        rows = []
        for c in COMPARES:
            r = self.results[c.tid]
            for s in SCHEDULES:
                q = r["per"][s]
                rows.append([c.tid, f"{DOCTRINE_SHORT[c.a]} - {DOCTRINE_SHORT[c.b]}", OUTCOME_LABEL[c.outcome], s,
                             pv.fmt(q["diff"]), f"{pv.fmt(q['lo'])} to {pv.fmt(q['hi'])}", pv.fp(q["p"]),
                             q["verdict"], ("holds" if r["holds"] else "**fails**") if s == "sync" else ""])
        out += [pv.table(["test", "difference", "outcome", "schedule", "difference of means", "95% bootstrap CI",
                          "Mann-Whitney p (two-sided)", "verdict", "same under both"], rows), ""]
        out += ["## Size of the doctrine differences, sync against async (S1-S3)", ""]
        for outcome, head in ((CDR, None), (KR, "For information (no verdict), the same in killings of anyone:")):
            if head:
                out += [head, ""]
            rows = []
            for tid, a, b in SIZES:
                r = self.results[f"{tid}:{outcome}"]
                rows.append([tid if outcome == CDR else "", f"{DOCTRINE_SHORT[a]} - {DOCTRINE_SHORT[b]}",
                             pv.fmt(r["async_diff"]), pv.fmt(r["sync_diff"]), pv.fmt(r["inter"]),
                             f"{pv.fmt(r['lo'])} to {pv.fmt(r['hi'])}",
                             f"{pct(r['lo'], r['async_diff'])} to {pct(r['hi'], r['async_diff'])}",
                             f"+-{pv.fmt(MARGIN * abs(r['async_diff']))}",
                             "yes" if (r["lo"] > 0 or r["hi"] < 0) else "no",
                             r["verdict"] if outcome == CDR else f"({r['verdict']})"])
            out += [pv.table(["test", "difference", "async", "sync", "interaction (sync - async)", "95% bootstrap CI",
                              "CI as % of the async size", "margin", "CI excludes 0", "verdict"], rows), ""]
        out += [f"Differences in {OUTCOME_LABEL[CDR]} (the second table: {OUTCOME_LABEL[KR]}); the interaction is "
                "the sync difference minus the async difference.", ""]
        return out


def header(study: Study, meta: dict) -> list[str]:
    s = study
    out = ["# Peacekeeping model: the doctrine conclusions under the async and the sync schedule", "",
           f"- Command: `{meta['command']}`",
           f"- keepsim commit: `{meta['commit']}`{meta['dirty']} (binary: {meta['version']})",
           f"- Date: {meta['date']}",
           f"- Seeds: {s.seeds[0]}..{s.seeds[-1]} ({len(s.seeds)} per arm, the same seeds in every arm)",
           *pv.sets_header(meta.get("sets", "")),
           f"- Scenario: `configs/scenarios/default.toml`; {s.days}-day runs; {meta['runs']} runs ({meta['made']} "
           f"made, {meta['reused']} reused) in {meta['elapsed']:.0f} s with --jobs {meta['jobs']}; the runs' own "
           f"measured seconds sum to {pv.fmt(study.total('wall_s'), 0)} s wall and "
           f"{pv.fmt(study.total('cpu_s'), 0)} s CPU",
           ""]
    if s.smoke:
        out += ["> **Smoke run.** 3 seeds per arm and short runs: a check that the pipeline works. Its numbers and "
                "verdicts are not findings (with 3 runs a side, a two-sided Mann-Whitney p cannot fall below 0.1, "
                "so every D verdict is \"no difference\").", ""]
    elif len(s.seeds) < FULL_SEEDS:
        out += [f"> **Partial run.** {len(s.seeds)} seeds per arm, fewer than the {FULL_SEEDS} of the full "
                "report: a first reading, not a verdict.", ""]
    out += [
        "The agents' day has two schedules (`rules.schedule`, docs/ODD.md section 3): async, one agent at a time in "
        "a shuffled order, the reference every other report in docs/validation/ was made with; and sync, where "
        "everyone decides from the state at the start of a step and the consequences are carried out in id "
        "order. This report asks whether the doctrine conclusions of those reports (a mission against none, "
        "security-keeping against complex peacekeeping) hold under both. Every test below was fixed in "
        "`tools/schedule_comparison.py` before any run (the same text went to the work folder's `plan.md` before "
        "the runs started), then measured. Rates are per 100,000 inhabitants per year as keepsim reports them. "
        "These are properties of the model in the default country, not findings about the world.",
        ""]
    return out


def write_report(path: Path, study: Study, meta: dict, problems: list[str]):
    out = header(study, meta)
    out += [study.plan(), "## Arms, measured", "", study.arm_table(), "",
            "Per arm: mean, median and 2.5-97.5 % quantiles over seeds. Seconds per run are measured around each "
            f"keepsim process (wall) and from its own resource use (CPU, user + system), with up to {meta['jobs']} "
            "runs at once; a reused run keeps the seconds measured when it was made. Wall seconds include any wait for "
            "a core while the machine does other work, and the arms run one after another (async first), so such a "
            "load can fall on some arms more than on others; CPU seconds are the steadier measure of each "
            "schedule's speed.", "",
            "Mean seconds per run, by schedule:", "", *study.speed_lines(), ""]
    out += study.results_md()
    if problems:
        out += ["## Problems", "", "Runs that failed or were malformed (left out of every test above):", ""]
        out += [f"- {p}" for p in problems] + [""]
    rows = [[f"{c.tid}. {c.title}", study.results[c.tid]["per"]["async"]["verdict"],
             study.results[c.tid]["per"]["sync"]["verdict"], "holds" if study.results[c.tid]["holds"] else "fails"]
            for c in COMPARES]
    rows += [[f"{tid}. size of {DOCTRINE_SHORT[a]} - {DOCTRINE_SHORT[b]}, civilian deaths",
              pv.fmt(study.results[f"{tid}:{CDR}"]["async_diff"]), pv.fmt(study.results[f"{tid}:{CDR}"]["sync_diff"]),
              study.results[f"{tid}:{CDR}"]["verdict"]] for tid, a, b in SIZES]
    out += ["## Summary", "", pv.table(["test", "async", "sync", "verdict"], rows), "",
            f"**Overall: {study.overall()}.**", ""]
    pv.write_atomically(path, out)


def main(argv=None) -> int:
    ap = pv.study_arguments(__doc__, "schedule-comparison", "docs/validation/schedules.md",
                            f"{SMOKE_SEEDS} seeds, {SMOKE_DAYS}-day runs")
    pv.add_set_argument(ap)
    ap.add_argument("--first-seed", type=int, default=1,
                    help="the first of the seeds (default 1): another set of seeds repeats the study on fresh runs")
    args = ap.parse_args(argv)
    sets = pv.parse_sets(args, "schedule_comparison")
    if sets is None:
        return 2
    if args.first_seed < 1:
        print("schedule_comparison: --first-seed must be at least 1", file=sys.stderr)
        return 2

    t0 = time.time()
    setup = pv.study_setup(args, "schedule_comparison", "schedule-comparison", "docs/validation/schedules.md",
                           (FULL_SEEDS, SMOKE_SEEDS), 2, " (the bootstrap needs two runs per arm)")
    if setup is None:
        return 2
    exe, seeds, work, report = setup.exe, setup.seeds, setup.work, setup.report

    study = Study(args.smoke, seeds, args.first_seed)
    (work / "plan.md").write_text(
        f"# Plan of the schedule comparison ({'smoke' if study.smoke else 'full'})\n\n" + study.plan(),
        encoding="utf-8")
    runner = Runner(exe, work, args.jobs, sets)
    arms = list(study.arms.values())
    runs = pv.run_study("schedule_comparison", runner, arms, study.seeds, work)
    if runs is None:
        return 130
    study.runs = runs
    study.failed = len(runner.problems)
    study.analyse()

    dirty = pv.git("status", "--porcelain", "--untracked-files=no")
    meta = dict(
        command=shlex.join([sys.executable] + (sys.argv if argv is None else [sys.argv[0]] + list(argv))),
        commit=pv.git("rev-parse", "--short", "HEAD"),
        dirty=" (working tree with uncommitted changes)" if dirty and dirty != "unknown" else "",
        version=pv.keepsim_version(exe),
        date=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        runs=runner.made + runner.reused, made=runner.made, reused=runner.reused,
        elapsed=time.time() - t0, jobs=args.jobs,
        sets=pv.sets_text(sets),
    )
    write_report(report, study, meta, runner.problems)
    print(f"schedule_comparison: report {report} ({time.time() - t0:.0f} s)", file=sys.stderr)
    for c in COMPARES:
        r = study.results[c.tid]
        print(f"  {c.tid} {'holds' if r['holds'] else 'FAILS':6s} async: {r['per']['async']['verdict']}, "
              f"sync: {r['per']['sync']['verdict']}", file=sys.stderr)
    for tid, _, _ in SIZES:
        print(f"  {tid} {study.results[f'{tid}:{CDR}']['verdict']}", file=sys.stderr)
    print(f"  overall: {study.overall()}", file=sys.stderr)
    if runner.problems:
        print(f"schedule_comparison: {len(runner.problems)} run(s) failed or malformed", file=sys.stderr)
        return 1
    # Every arm must have runs to compare; an empty arm would leave the verdicts above undefined.
    empty = [k for k in study.arms if not study.runs.get(k)]
    if empty:
        print(f"schedule_comparison: no runs in {', '.join(empty)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
