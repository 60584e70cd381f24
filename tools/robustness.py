#!/usr/bin/env python3
"""Whether the doctrine conclusions of the peacekeeping model survive the rates nobody has measured.

    /usr/bin/python3 tools/robustness.py --keepsim build/bin/keepsim --jobs 2 \\
        --work out/robustness --report docs/validation/robustness.md

The validation report (docs/validation/peacekeeping.md, T3) and the doctrine drivers (docs/ODD.md section 9) rest
on the default country's parameters, and several of the rates that carry the difference between the doctrines have
no measured value: docs/ODD.md 7.14 and 7.17 say they were guessed or picked among pilot settings. This study moves
each of them alone, one at a time, to half and to twice its default (with one exception stated in PARAMETERS), runs
the three arms of T3 (security-keeping, complex peacekeeping, no mission) at every setting with the same seeds, and
asks whether the two conclusions still hold:

    R1  each preset kills fewer civilians than no mission (T3);
    R2  security-keeping kills fewer civilians than complex peacekeeping (section 9);
    R3  a security-keeping mission that leaves by date is followed by more killing than one that leaves at the
        end-state (T6 (a), in ten-year runs, over the same years after each run's own departure).

The tests (hypothesis, arms, statistic, rule) are constants of this file, written to WORK/plan.md before any run
starts and to the report ahead of its numbers; no rule is adjusted to results. One-at-a-time perturbation shows
whether a conclusion hangs on one guessed value; it does not explore joint changes (tools/sobol.py on a Saltelli
sweep does that, at far more runs).

Run files are kept in --work and reused when complete and made by the same keepsim binary with the same arguments
(the runner of peace_validation.py), so an interrupted study resumes where it stopped.

--smoke: 2 seeds per arm, the first two parameters, 200-day runs (1000 for R3, with a 150-day window); the report goes to --report (default
WORK/report.md). It is the test suite's check that the pipeline works: it exits 0 whatever the verdicts, and
non-zero only when a run fails or an output is malformed.

Statistics come from scipy.stats (mannwhitneyu); numpy only for means, medians and quantiles. Needs numpy, scipy
and h5py: Debian's /usr/bin/python3 has them.
"""
from __future__ import annotations

import datetime as _dt
import os
import shlex
import sys
import time
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peace_validation as pv  # noqa: E402  (the runner, the arm, number formats, tables, git and version)

# ---------------------------------------------------------------------------------------------------------------
# Design constants: fixed before any run, never tuned to results.
# ---------------------------------------------------------------------------------------------------------------
FULL_SEEDS, SMOKE_SEEDS = 20, 2
FULL_DAYS, SMOKE_DAYS = 1095, 200
# R3 takes T6 (a)'s design and rule unchanged from peace_validation.py: run length, window after departure, the
# share of end-state runs that must leave in time, and the exit dates of the date arm.
FULL_LONG_DAYS, SMOKE_LONG_DAYS = pv.FULL_LONG_DAYS, pv.SMOKE_LONG_DAYS
FULL_AFTER_DAYS, SMOKE_AFTER_DAYS = pv.FULL_AFTER_DAYS, pv.SMOKE_AFTER_DAYS
DATE_EXIT = (("mission.exit", "date"), ("mission.elections_day", str(pv.T6_ELECTIONS)),
             ("mission.exit_day", str(pv.T6_EXIT)))
SMOKE_PARAMETERS = 2
ALPHA = 0.05  # one-sided Mann-Whitney p below which a conclusion holds at a setting
HOLD_SHARE = 0.5  # "partly robust" when a conclusion holds at this share of the settings or more, not at all
CDR = "summary_civilian_death_rate"


@dataclass(frozen=True)
class Parameter:
    key: str
    default: float  # the value of configs/scenarios/default.toml, checked against every baseline run
    low: float
    high: float
    odd: str  # the ODD section that defines it
    why: str  # why it is uncertain
    acts_without_mission: bool  # False: it acts only through security units or a dated mission


# The 7.14 and 7.17 rates that section 9 names as carrying the doctrine gap or setting the violence level, and
# that no source gives a value for. Each goes to half and twice its default; wait_out is a share in [0, 1] whose
# double is 1 (fighters fully dormant under any dated mission, a boundary, not a perturbation), so its upper value
# halves the distance to 1 instead.
PARAMETERS = (
    Parameter("spoilers.protection_probability", 0.0002, 0.0001, 0.0004, "7.17 rule 1",
              "picked among three pilot settings", True),
    Parameter("legitimacy.exclusion_gap", 0.05, 0.025, 0.1, "7.17 rule 2", "picked among three pilot settings",
              True),
    Parameter("spoilers.engage_probability", 0.3, 0.15, 0.6, "7.14 rule 3",
              "guessed; section 9 finds it the main protective mechanism of both presets", False),
    Parameter("spoilers.rearm_probability", 0.002, 0.001, 0.004, "7.5, 7.17 rule 3",
              "guessed; rearming drives the revolving door of section 12 item 4", True),
    Parameter("spoilers.recruit_probability", 0.001299231, 0.0006496155, 0.002598462, "7.5, 7.14 rule 2",
              "fitted on the Kosovo case (section 12 item 13; 0.002, guessed, before) with a wide posterior; "
              "section 9 finds the supply of fighters sets both presets' level", True),
    Parameter("spoilers.wait_out", 0.5, 0.25, 0.75, "7.14 rule 4",
              "guessed; it lowers complex peacekeeping's violence while the mission is there", False),
)

DOCTRINE_LABEL = {"sk": "security-keeping", "cp": "complex peacekeeping", "none": "no mission",
                  "sk_date": "security-keeping, exit by date", "sk_end": "security-keeping, end-state exit"}
DOCTRINES = ("sk", "cp", "none", "sk_date", "sk_end")


def fmt_value(v: float) -> str:
    return f"{v:g}"


@dataclass(frozen=True)
class Setting:
    """The default country with at most one parameter moved."""
    key: str  # file-name stem part
    label: str
    param: Parameter | None = None
    value: float | None = None

    def sets(self) -> tuple:
        return () if self.param is None else ((self.param.key, fmt_value(self.value)),)


def make_settings(params) -> list[Setting]:
    out = [Setting("base", "defaults")]
    for i, p in enumerate(params):
        for side, v in (("lo", p.low), ("hi", p.high)):
            out.append(Setting(f"p{i}{side}", f"`{p.key}` = {fmt_value(v)}", p, v))
    return out


def arm_for(setting: Setting, doctrine: str, days: int, long_days: int) -> pv.Arm:
    """The arm of one doctrine at one setting. Without a mission a parameter that acts only through security units
    or a dated mission changes nothing (checked: identical datasets at seed 1), so those settings share the
    baseline's no-mission runs."""
    if doctrine == "none":
        if setting.param is not None and not setting.param.acts_without_mission:
            setting = Setting("base", "defaults")
        return pv.Arm(f"{setting.key}_none", f"{setting.label}, no mission", "security_keeping",
                      setting.sets() + pv.NO_MISSION_SETS, days)
    if doctrine in ("sk_date", "sk_end"):  # R3: T6 (a)'s pair, ten-year runs
        return pv.Arm(f"{setting.key}_{doctrine}", f"{setting.label}, {DOCTRINE_LABEL[doctrine]}",
                      "security_keeping", setting.sets() + (DATE_EXIT if doctrine == "sk_date" else ()), long_days)
    preset = "security_keeping" if doctrine == "sk" else "complex_peacekeeping"
    return pv.Arm(f"{setting.key}_{doctrine}", f"{setting.label}, {DOCTRINE_LABEL[doctrine]}", preset,
                  setting.sets(), days)


def lookup(cfg: dict, dotted: str):
    node = cfg
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


class Study:
    def __init__(self, smoke: bool, seeds: int):
        self.smoke = smoke
        self.seeds = list(range(1, seeds + 1))
        self.days = SMOKE_DAYS if smoke else FULL_DAYS
        self.long_days = SMOKE_LONG_DAYS if smoke else FULL_LONG_DAYS
        self.after_days = SMOKE_AFTER_DAYS if smoke else FULL_AFTER_DAYS
        self.params = PARAMETERS[:SMOKE_PARAMETERS] if smoke else PARAMETERS
        self.settings = make_settings(self.params)
        self.arms: dict[tuple[str, str], pv.Arm] = {
            (s.key, d): arm_for(s, d, self.days, self.long_days) for s in self.settings for d in DOCTRINES}
        self.runs: dict[str, list[dict]] = {}
        self.problems: list[str] = []

    def unique_arms(self) -> list[pv.Arm]:
        seen, out = set(), []
        for a in self.arms.values():
            if a.key not in seen:
                seen.add(a.key)
                out.append(a)
        return out

    def plan(self) -> str:
        n = len(self.seeds)
        rows = [[f"`{p.key}`", fmt_value(p.default), fmt_value(p.low), fmt_value(p.high), p.odd, p.why,
                 "yes" if p.acts_without_mission else "no (the baseline's no-mission runs serve)"]
                for p in self.params]
        return "\n".join([
            "## Plan (fixed before any run)", "",
            "- **Hypothesis.** The doctrine conclusions of the default country do not hang on any one of the "
            "rates below, which have no measured value: **R1**, each preset kills fewer civilians than no mission "
            "(validation T3); **R2**, security-keeping kills fewer civilians than complex peacekeeping (ODD "
            "section 9); **R3**, a security-keeping mission that leaves by date is followed by more killing than "
            "one that stays until the end-state (validation T6 (a)).",
            f"- **Settings.** The defaults, and each parameter alone at its low and its high value (below): "
            f"{len(self.settings)} settings.",
            f"- **Arms.** At every setting: the security-keeping preset, the complex-peacekeeping preset and no "
            f"mission (security-keeping with `mission.enabled=false`, `constabulary.enabled=false`), "
            f"`configs/scenarios/default.toml`, {self.days} days. For R3, T6 (a)'s pair: the security-keeping "
            f"preset with `mission.exit=date` (elections day {pv.T6_ELECTIONS}, exit day {pv.T6_EXIT}) and the "
            f"preset itself (exit at the end-state), {self.long_days} days.",
            f"- **Seeds per arm.** {n} (seeds {self.seeds[0]}..{self.seeds[-1]}, the same in every arm).",
            f"- **Statistic.** `{CDR}` per run (civilians killed per 100,000 inhabitants per year); at each "
            "setting a one-sided Mann-Whitney U (scipy.stats.mannwhitneyu): R1, each preset lower than no "
            "mission; R2, security-keeping lower than complex peacekeeping. R3: T6 (a)'s statistic, killings of "
            f"anyone per 100,000 per year in the {self.after_days} days after each run's own departure (runs that "
            f"had not left by day {self.long_days - self.after_days} are left out), one-sided Mann-Whitney U, "
            "date exit higher.",
            f"- **Rule.** A conclusion holds at a setting when its p < {ALPHA} (R1: for both presets; R3: and at "
            f"least {pv.T6_LEFT_SHARE:.0%} of the end-state runs left in time, as in T6 (a)). It is "
            f"*robust* when it holds at every setting, *partly robust* when at {HOLD_SHARE:.0%} of them or more, "
            "*not robust* otherwise. The settings where it fails are named.",
            "- **Not covered.** Joint changes of several rates (one at a time only); T6 (b) and the other tests of "
            "the validation report; the mechanisms' structure itself.",
            "- **Added, and when.** R3 was added to this file after R1 and R2's runs had started and before any of "
            "its own runs, with no result of R1 or R2 yet read.",
            "",
            pv.table(["parameter", "default", "low", "high", "ODD", "why uncertain", "acts without a mission"],
                     rows),
            ""])

    # -- analysis ---------------------------------------------------------------------------------------------
    def cdr(self, setting: Setting, doctrine: str) -> list[float]:
        return [r["summary"][CDR] for r in self.runs.get(self.arms[(setting.key, doctrine)].key, [])]

    def runs_of(self, setting: Setting, doctrine: str) -> list[dict]:
        return self.runs.get(self.arms[(setting.key, doctrine)].key, [])

    def analyse(self) -> tuple[list[str], dict[str, str], list[str]]:
        rows, holds, rows3 = [], {"R1": [], "R2": [], "R3": []}, []
        for s in self.settings:
            sk, cp, none = (self.cdr(s, d) for d in ("sk", "cp", "none"))
            _, p_sk = pv.mwu(sk, none, "less")
            _, p_cp = pv.mwu(cp, none, "less")
            _, p_2 = pv.mwu(sk, cp, "less")
            r1 = p_sk < ALPHA and p_cp < ALPHA
            r2 = p_2 < ALPHA
            holds["R1"].append((s, r1))
            holds["R2"].append((s, r2))
            m = {d: pv.summ(x) for d, x in (("sk", sk), ("cp", cp), ("none", none))}
            rows.append([s.label] + [f"{pv.fmt(m[d]['mean'])} ({pv.fmt(m[d]['lo'])} to {pv.fmt(m[d]['hi'])})"
                                     for d in ("none", "sk", "cp")]
                        + [pv.fmt(pv.ratio(m["cp"]["mean"], m["sk"]["mean"]), 2),
                           f"{pv.fp(p_sk)}, {pv.fp(p_cp)}", "yes" if r1 else "**no**", pv.fp(p_2),
                           "yes" if r2 else "**no**"])
            # R3: T6 (a) at this setting.
            x = pv.finite([pv.after_exit_rate(r, "killed_all", self.after_days) for r in self.runs_of(s, "sk_date")])
            ends = self.runs_of(s, "sk_end")
            y = pv.finite([pv.after_exit_rate(r, "killed_all", self.after_days) for r in ends])
            measurable = len(y) >= pv.T6_LEFT_SHARE * max(1, len(ends)) and len(x) > 0
            p_3 = pv.mwu(x, y, "greater")[1] if measurable else float("nan")
            r3 = measurable and p_3 < ALPHA
            holds["R3"].append((s, r3))
            exits = [r["exit_day"] for r in ends if r["exit_day"] >= 0]
            mx, my = pv.summ(x), pv.summ(y)
            rows3.append([s.label, f"{pv.fmt(mx['mean'])} ({pv.fmt(mx['lo'])} to {pv.fmt(mx['hi'])})",
                          f"{pv.fmt(my['mean'])} ({pv.fmt(my['lo'])} to {pv.fmt(my['hi'])})",
                          f"{len(y)} of {len(ends)}",
                          f"{min(exits)}-{max(exits)}" if exits else "none",
                          pv.fp(p_3) + ("" if measurable else " (unmeasurable)"), "yes" if r3 else "**no**"])
        verdicts, lines = {}, []
        for rid, name in (("R1", "each preset below no mission"),
                          ("R2", "security-keeping below complex peacekeeping"),
                          ("R3", "more killing after an exit by date than after the end-state")):
            ok = [s for s, h in holds[rid] if h]
            bad = [s.label for s, h in holds[rid] if not h]
            share = len(ok) / len(holds[rid])
            v = "robust" if not bad else ("partly robust" if share >= HOLD_SHARE else "not robust")
            verdicts[rid] = v
            lines.append(f"- **{rid}** ({name}): **{v}**, holds at {len(ok)} of {len(holds[rid])} settings"
                         + (f"; fails at {', '.join(bad)}" if bad else "") + ".")
        table = pv.table(["setting", "no mission: mean (95% over seeds)", "security-keeping", "complex "
                          "peacekeeping", "CP / SK", "R1 p (SK, CP)", "R1", "R2 p", "R2"], rows)
        table3 = pv.table(["setting", "exit by date: killings of anyone after departure, mean (95% over seeds)",
                           "end-state exit", "end-state runs left in time", "their departure days", "R3 p", "R3"],
                          rows3)
        return [table, "", f"R3, killings of anyone per 100,000 per year in the {self.after_days} days after each "
                "run's own departure:", "", table3], verdicts, lines

    def figure(self, path: Path) -> None:
        """Per setting: each arm's mean civilian death rate with its 2.5-97.5 % span over seeds (left), and R3's
        pair after departure (right), so a reader sees at a glance whether the orderings hold across settings."""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
        labels = [s.label.replace("`", "") for s in self.settings]
        y = np.arange(len(self.settings))[::-1]
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 0.42 * len(y) + 1.6), sharey=True)
        colors = {"none": "#555555", "cp": "#c0392b", "sk": "#1f4e9c", "sk_date": "#c0392b", "sk_end": "#1f4e9c"}

        def draw(ax, doctrine, values, offset):
            m = [pv.summ(v) for v in values]
            mean = np.array([d["mean"] for d in m])
            lo, hi = np.array([d["lo"] for d in m]), np.array([d["hi"] for d in m])
            ax.errorbar(mean, y + offset, xerr=[np.maximum(mean - lo, 0), np.maximum(hi - mean, 0)], fmt="o",
                        ms=4, lw=1, color=colors[doctrine], label=DOCTRINE_LABEL[doctrine])

        for doctrine, off in (("none", 0.2), ("cp", 0.0), ("sk", -0.2)):
            draw(a1, doctrine, [self.cdr(s, doctrine) for s in self.settings], off)
        for doctrine, off in (("sk_date", 0.1), ("sk_end", -0.1)):
            draw(a2, doctrine, [[pv.after_exit_rate(r, "killed_all", self.after_days)
                                 for r in self.runs_of(s, doctrine)] for s in self.settings], off)
        a1.set_xscale("log")
        a1.set_xlabel("civilians killed / 100,000 / yr (1095 days)" if not self.smoke else "civilians killed "
                      "/ 100,000 / yr")
        a2.set_xlabel(f"killings of anyone / 100,000 / yr, {self.after_days} days after departure")
        a1.set_yticks(y, labels, fontsize=8)
        for ax in (a1, a2):
            ax.legend(fontsize=7, loc="lower right")
            ax.grid(axis="x", color="#dddddd", lw=0.5)
        with warnings.catch_warnings():  # a setting where no end-state mission left has no R3 point to draw
            warnings.simplefilter("ignore", RuntimeWarning)
            fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        plt.close(fig)

    def elasticities(self) -> str:
        """How far each arm's mean moves when one rate is halved or doubled, relative to the defaults."""
        base = {d: pv.summ(self.cdr(self.settings[0], d))["mean"] for d in ("none", "sk", "cp")}
        rows = []
        for s in self.settings[1:]:
            row = [s.label]
            for d in ("none", "sk", "cp"):
                m = pv.summ(self.cdr(s, d))["mean"]
                row.append(f"{100 * (pv.ratio(m, base[d]) - 1):+.0f} %")
            rows.append(row)
        return pv.table(["setting", "no mission", "security-keeping", "complex peacekeeping"], rows)


def check_config(path: Path, arm: pv.Arm, params) -> None:
    """The run file must record the value the arm set (a --set keepsim ignored would make two settings one), and a
    baseline run the default this file assumes."""
    with h5py.File(path, "r") as f:
        cfg = tomllib.loads(str(f.attrs.get("config", "")))
    sets = dict(arm.sets)
    for p in params:
        want = float(sets.get(p.key, p.default))
        got = lookup(cfg, p.key)
        if got is None or abs(float(got) - want) > 1e-12 * max(1.0, abs(want)):
            raise pv.RunError(f"{path.name}: {p.key} is {got!r} in the run's config, expected {want:g}")


def main(argv=None) -> int:
    ap = pv.study_arguments(__doc__, "robustness", "docs/validation/robustness.md",
                            f"{SMOKE_SEEDS} seeds, the first {SMOKE_PARAMETERS} parameters, {SMOKE_DAYS}-day runs")
    args = ap.parse_args(argv)
    t0 = time.time()
    setup = pv.study_setup(args, "robustness", "robustness", "docs/validation/robustness.md",
                           (FULL_SEEDS, SMOKE_SEEDS))
    if setup is None:
        return 2
    exe, seeds, work, report = setup.exe, setup.seeds, setup.work, setup.report

    study = Study(args.smoke, seeds)
    plan = study.plan()
    (work / "plan.md").write_text("# Plan of the robustness study\n\n" + plan, encoding="utf-8")
    runner = pv.Runner(exe, work, args.jobs)
    arms = study.unique_arms()
    runs = pv.run_study("robustness", runner, arms, study.seeds, work)
    if runs is None:
        return 130
    study.runs = runs
    problems = list(runner.problems)
    for a in arms:
        for r in study.runs.get(a.key, []):
            try:
                # Every parameter's default, the smoke form's too: a default.toml that moved away from this
                # file's defaults (ODD 12 item 13) is caught by the test suite, not by the next full run.
                check_config(runner.path(a, r["seed"]), a, PARAMETERS)
            except (pv.RunError, OSError, tomllib.TOMLDecodeError) as e:
                problems.append(str(e))

    tables, verdicts, lines = study.analyse()
    figure = None
    if not args.smoke:  # the smoke form draws nothing, as the other studies' smoke forms
        figure = report.parent / "figures" / "robustness.png"
        study.figure(figure)
    dirty = pv.git("status", "--porcelain", "--untracked-files=no")
    command = shlex.join([sys.executable] + (sys.argv if argv is None else [sys.argv[0]] + list(argv)))
    out = ["# Peacekeeping model: robustness of the doctrine conclusions to unmeasured rates", "",
           f"- Command: `{command}`",
           f"- keepsim commit: `{pv.git('rev-parse', '--short', 'HEAD')}`"
           f"{' (working tree with uncommitted changes)' if dirty and dirty != 'unknown' else ''} "
           f"(binary: {pv.keepsim_version(exe)})",
           f"- Date: {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
           f"- {runner.made + runner.reused} runs ({runner.made} made, {runner.reused} reused) in "
           f"{time.time() - t0:.0f} s with --jobs {args.jobs}", ""]
    if args.smoke:
        out += ["> **Smoke run.** Few seeds, two parameters, short runs: a check that the pipeline works. Its "
                "numbers and verdicts are not findings.", ""]
    elif seeds < FULL_SEEDS:
        out += [f"> **Partial run.** {seeds} seeds per arm, fewer than the {FULL_SEEDS} of the full study.", ""]
    out += [plan, "## Result", "", *lines, "",
            "Civilians killed per 100,000 inhabitants per year, arm mean and 2.5-97.5 % quantiles over seeds; "
            "CP / SK is the ratio of the two presets' means; p values are one-sided Mann-Whitney U.", "",
            *tables, "",
            *([f"![{figure.name}](figures/{figure.name})", ""] if figure else []),
            "Change of each arm's mean against the defaults (for reading the table, not a test):", "",
            study.elasticities(), ""]
    if problems:
        out += ["## Problems", "", "Runs that failed or were malformed (left out of every test above):", ""]
        out += [f"- {p}" for p in problems] + [""]
    pv.write_atomically(report, out)
    print(f"robustness: report {report} ({time.time() - t0:.0f} s)", file=sys.stderr)
    for line in lines:
        print("  " + line, file=sys.stderr)
    if problems:
        print(f"robustness: {len(problems)} run(s) failed or malformed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
