#!/usr/bin/env python3
"""Builds the case scenarios configs/cases/<case>.toml from the case table data/cases/cases.csv (issue 13,
item 2), so that every case input in a config is derived from the table and the derivation can be rerun.

    /usr/bin/python3 tools/make_cases.py            # (re)write configs/cases/*.toml
    /usr/bin/python3 tools/make_cases.py --check    # exit 1 if a committed config differs from the table's

Each config is a layer over the default country, the way scenario files compose (ODD 6: TOML configs layered
left to right):

    keepsim run configs/scenarios/default.toml configs/cases/kosovo.toml -o kosovo.h5

It sets only what the table gives about the case: population and area (through the grid, the density and
the scale), foreign troops and international police (contingents and police units), lead nation or
multinational command (the contingent structure), the exit rule and the run's length, imposition, and the
growth of the domestic police between two dated figures (the constabulary's recruitment rate). The mapping of every
column is in configs/cases/README.md and in a comment beside each key. Two things come from
the repository rather than the table, both read from their files so that a change there shows up in
--check: the scale and the settlement density (the default country's, configs/scenarios/default.toml; ODD
7.12), and the contingent structure, coherence, casualty tolerance, caveats and initial will of a lead-state
force and of a multinational command (the two doctrine presets, configs/doctrines/*.toml; ODD 8).
Standard library only (csv, tomllib).
"""
import argparse
import csv
import difflib
import math
import os
import sys
import textwrap
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = os.path.join(ROOT, "data", "cases", "cases.csv")
DEFAULT = os.path.join(ROOT, "configs", "scenarios", "default.toml")
LEAD_PRESET = os.path.join(ROOT, "configs", "doctrines", "security_keeping.toml")
MULTI_PRESET = os.path.join(ROOT, "configs", "doctrines", "complex_peacekeeping.toml")
OUT = os.path.join(ROOT, "configs", "cases")
MAX_CONTINGENTS = 6  # models/peacekeeping/params.hpp kMaxContingents: the schema's contingents c1 .. c6
RELAPSE_YEARS = 5  # the table's relapse column counts five years from exit (data/cases/README.md)
WIDTH = 112  # comment lines are wrapped to this width


def load_toml(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def number(row, column):
    """The table's figure in `column`, or None when the cell is empty (an empty cell is never a zero)."""
    text = row[column].strip()
    return float(text) if text else None


def figure(row, column):
    """(value, how) for a figure with _low/_high companions: the central value when the table gives one,
    else the midpoint of the range when both ends are given, else (None, reason)."""
    central = number(row, column)
    if central is not None:
        return central, f"`{column}`"
    low, high = number(row, column + "_low"), number(row, column + "_high")
    if low is not None and high is not None:
        how = f"midpoint of `{column}_low` {low:g} and `{column}_high` {high:g} (no central value)"
        return (low + high) / 2, how
    return None, f"`{column}` is empty in the table"


def comment(text, indent=""):
    """`text` as TOML comment lines wrapped to WIDTH."""
    lines = textwrap.wrap(text, WIDTH - len(indent) - 2, break_on_hyphens=False, break_long_words=False)
    return [f"{indent}# {line}" for line in lines]


def fmt(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        return repr(round(value, 4))
    return str(value)


class Config:
    """A TOML text built key by key, each key with the comment that says where its value comes from."""

    def __init__(self):
        self.lines = []

    def header(self, text):
        self.lines += comment(text)

    def blank(self):
        self.lines.append("")

    def table(self, name, why=None):
        self.blank()
        if why:
            self.lines += comment(why)
        self.lines.append(f"[{name}]")

    def key(self, name, value, why, text=None):
        self.lines += comment(why)
        self.lines.append(f"{name} = {fmt(value) if text is None else text}")

    def text(self):
        return "\n".join(self.lines) + "\n"


def significant(value, digits=4):
    """`value` as TOML text rounded to `digits` significant digits: fmt's four decimals would drop most of a
    rate of a few thousandths of an agent a day."""
    return repr(float(f"{value:.{digits}g}"))


def domestic_police(row, ppa):
    """The domestic police's growth between the table's two dated figures as a recruitment rate (ODD 7.9), in
    agents a day: (rate, arithmetic) when both figures and their years are given and the force grew, else
    (None, why not)."""
    start, start_how = figure(row, "domestic_police_start")
    later, later_how = figure(row, "domestic_police_later")
    y0, y1 = row["domestic_police_start_year"].strip(), row["domestic_police_later_year"].strip()
    if start is None or later is None:
        return None, " and ".join(h for v, h in ((start, start_how), (later, later_how)) if v is None)
    if not y0 or not y1:
        return None, "a domestic police figure has no year in the table"
    y0, y1 = int(y0), int(y1)
    if y1 <= y0:
        return None, f"the later figure's year {y1} is not after the start figure's {y0}"
    if later <= start:
        return None, (f"the domestic police shrank ({start_how} {start:,.0f} in {y0}, {later_how} "
                      f"{later:,.0f} in {y1}): the record shows vetting and downsizing, not recruitment, and the "
                      "schema's recruitment rate cannot be negative")
    rate = (later - start) / ppa / ((y1 - y0) * 365)
    how = (f"({later_how} {later:,.0f} in {y1} - {start_how} {start:,.0f} in {y0}) / {ppa:g} people per agent / "
           f"({y1 - y0} years x 365 days) = {significant(rate)} agents a day")
    return rate, how


def territory_geography(row, share1):
    """(majority_share, how) for a generated map whose two territories are not interleaved (map.mixing = 0),
    from the table's shares of each side in its own territory after the war, or (None, reason).

    On such a map a citizen in group g's territory is of group g with probability p_g = ms + (1 - ms)(s_g -
    s_other) (ODD 5 item 3; s the groups' shares, so p_1 = ms(1 + d) - d and p_0 = ms(1 - d) + d with d = s_0 -
    s_1). One ms serves both territories, so it is the least-squares fit of the two observed shares, each
    territory weighted by its people (s_1 and s_0: every inhabitant counts once)."""
    e1, e1_how = figure(row, "group_1_share_of_own_territory")
    e0, e0_how = figure(row, "group_0_share_of_own_territory")
    missing = [h for v, h in ((e1, e1_how), (e0, e0_how)) if v is None]
    if missing:
        return None, " and ".join(missing)
    s1 = 0.5 if share1 is None else share1
    s0, d = 1 - s1, 1 - 2 * s1
    ms = (s1 * (1 + d) * (e1 + d) + s0 * (1 - d) * (e0 - d)) / (s1 * (1 + d) ** 2 + s0 * (1 - d) ** 2)
    ms = min(1.0, max(0.0, ms))
    p1, p0 = ms * (1 + d) - d, ms * (1 - d) + d
    year = row["territory_year"].strip() or "an unstated year"
    how = (f"{e1_how} {e1:.4g} and {e0_how} {e0:.4g} ({year}; each side's share of the two sides' members in its "
           f"own territory) fitted by least squares weighted by the territories' people, with group shares "
           f"{s0:.4g} and {s1:.4g}: the map then gives {p1:.3f} and {p0:.3f} (ODD 5 item 3, ODD 12 item 20)")
    return ms, how


def contingent_split(preset):
    """The contingents of a doctrine preset as (share of the force, coherence, casualty tolerance, caveats)."""
    cs = [preset["contingents"][k] for k in sorted(preset["contingents"])]
    total = sum(c["size"] for c in cs)
    return [(c["size"] / total, c["coherence"], c["casualty_tolerance"], c["caveats"]) for c in cs]


def split_units(units, shares):
    """`units` divided among contingents by `shares`, rounded by largest remainder (the total is kept)."""
    raw = [units * s for s in shares]
    sizes = [math.floor(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: (sizes[i] - raw[i], i))[: units - sum(sizes)]:
        sizes[i] += 1
    return sizes


def build(row, index, default, lead, multi, people_per_agent=None, folder="configs/cases"):
    case = row["case"]
    # The default country's scale, unless --people-per-agent asks for another (a finer case, e.g. the
    # 100,000-agent calibration of docs/calibration.md; its configs go to their own folder).
    own_scale = people_per_agent is None
    ppa = float(default["scale"]["people_per_agent"]) if own_scale else float(people_per_agent)
    scale_text = ("the default country's, for every case" if own_scale else
                  f"set by tools/make_cases.py --people-per-agent (the default country's is "
                  f"{float(default['scale']['people_per_agent']):g})")
    density0 = float(default["citizens"]["density"])
    pop = number(row, "population_millions") * 1e6
    area = number(row, "area_km2")
    start, end = int(row["start_year"]), row["end_year"].strip()
    end = int(end) if end else None

    # Population and area: the default country's scale and density; the grid holds the case's population at
    # that scale, the density is nudged so that the expected settlement is exact, and the cell side follows.
    agents = pop / ppa
    side = max(1, round(math.sqrt(agents / density0)))
    density = agents / (side * side)
    km_per_cell = math.sqrt(area) / side

    troops, troops_how = figure(row, "peak_foreign_troops")
    police, police_how = figure(row, "international_police_peak")
    lead_text = row["lead_nation"].strip()
    is_lead = lead_text.lower().startswith("yes")
    exit_rule = row["exit_rule"].strip()
    imposition_text = row["imposition"].strip()
    imposes = bool(imposition_text) and not imposition_text.lower().startswith("none")
    years = f"{start}-{end}" if end else f"{start}- (ongoing)"

    c = Config()
    c.header(f"Case `{case}`: {row['country']}, {row['mission']}, {years}. Built from data/cases/cases.csv, "
             f"row {index} (case = \"{case}\"), by tools/make_cases.py: do not edit by hand; change the "
             "table or the generator and rerun it (ctest -R make_cases checks that this file is what the "
             "table gives). Column-to-key mapping and its reasons: configs/cases/README.md.")
    c.header("Run it as a layer over the default country (ODD 6, configs layered left to right): keepsim run "
             f"configs/scenarios/default.toml {folder}/{case}.toml -o {case}.h5")
    c.header(f"Scale (ODD 7.12): {ppa:g} people per agent, {scale_text}; about "
             f"{agents:,.0f} inhabitants as agents on a {side} x {side} grid of {km_per_cell:.3g} km cells "
             f"({side * km_per_cell:,.0f} km a side: the case's area as a square).")
    local = row["local_police_per_1000"].strip()
    formed = row["constabulary_programme"].strip()
    dp_value, _ = figure(row, "domestic_police_start")
    dp_year = row["domestic_police_start_year"].strip()
    dp_start = ("empty" if dp_value is None else
                f"{dp_value:,.0f}" + (f" in {dp_year}" if dp_year else "") + (": none to represent" if dp_value == 0
                                                                             else ""))
    throughput, throughput_how = domestic_police(row, ppa)
    share1, share1_how = figure(row, "group_1_share")
    excluded = row["group_1_excluded"].strip().lower()
    sides = f"{row['group_0'].strip()} (group 0) and {row['group_1'].strip()} (group 1)"
    majority, territory_how = territory_geography(row, share1)
    concentrated = row["group_1_concentrated"].strip() or "empty"
    where_groups = (
        f"where each group lives beyond each territory's share of its own side (`group_1_concentrated` = "
        f"{concentrated}; the two territories' own shares are mapped below)" if majority is not None else
        f"where each group lives beyond its share of the map (`group_1_concentrated` = {concentrated}, but "
        f"{territory_how}: the default country's mixing and majority share)")
    not_represented = [
        "the country's shape, terrain, regions, towns, roads, " + where_groups + " and borders (the default "
        "country's map generator and settings, run on the case's grid)",
        "the war before the mission (the default country's burn-in)",
        "the force's build-up and draw-down over the years (peak strength from day 1)",
        "how troops were tasked, their riot response, deployment pattern, jails, forced return and the first "
        "day of domestic recruitment (no column; the default country's or the schema's value)",
        f"the domestic police present when the mission began (`domestic_police_start` = {dp_start}): no lever "
        "for a domestic force present at day 0, so the model's domestic constables start from none"
        + ("; only the force's growth is mapped (below)" if throughput is not None else "")
        + "; `local_police_per_1000` = " + (local or "empty") + " is not mapped either",
        f"`constabulary_programme` = {formed or 'empty'} (formed international police units; keepsim's "
        "constabulary is a domestic force the mission trains, a different thing; formed units are in the police "
        "count where the table counts them)",
        "every outcome column (deaths, displacement, relapse: targets for calibration, not inputs)",
    ]
    if throughput is None:
        not_represented.insert(5, "the domestic police's growth: constabulary.throughput is left out, so the layers "
                               "underneath decide it (0 with the default country alone: no domestic constables are "
                               f"recruited), because {throughput_how}")
    c.header("Not represented: " + "; ".join(not_represented) + ".")
    if row["notes"].strip():
        c.header(f"Table notes for this row: {row['notes'].strip()}")

    c.blank()
    c.key("title", f"case {case}: {row['country']}, {row['mission']}, {years}", "a label for the run file")
    c.key("doctrine", f"case_{case}",
          "a label only (ODD 8): the levers below are the case's, not a doctrine preset's")

    # Run length.
    c.table("run")
    if end is not None:
        steps = (end - start + RELAPSE_YEARS) * 365
        c.key("steps", steps,
              f"`end_year` - `start_year` = {end - start} years of mission, plus the {RELAPSE_YEARS} years after "
              "exit over which `relapse_within_5y_of_exit` is read; whole years (the table gives years)")
    else:
        c.lines += comment("steps: `end_year` is empty (the mission is still deployed), so the run length is "
                           "the default country's")

    c.table("scale")
    c.key("people_per_agent", ppa,
          "the default country's scale (configs/scenarios/default.toml; ODD 7.12), the same for every case"
          if own_scale else f"{scale_text}; ODD 7.12")
    c.key("km_per_cell", km_per_cell,
          f"sqrt(`area_km2` {area:,.0f}) / {side} cells: the case's area on a square grid")

    c.table("world")
    c.key("width", side,
          f"sqrt(`population_millions` {pop / 1e6:g} M / {ppa:g} people per agent / density "
          f"{density0:g}), rounded: the grid that holds the population at the default country's density")
    c.key("height", side, "square, as above")

    c.table("citizens")
    c.key("density", density,
          f"`population_millions` {pop / 1e6:g} M / {ppa:g} / {side * side} cells: the default's "
          f"{density0:g}, adjusted so that the expected population is the table's")
    if share1 is not None:
        # ODD 5: on a generated map the key sets both the homeland's split and the settlers' draw.
        c.key("group_share", round(1 - share1, 4),
              f"1 - {share1_how} {share1:g}: group 0's share, the sides being {sides}; on the generated map "
              "it is also group 0's share of the homeland, in the west (ODD 5)")
    else:
        c.lines += comment("group_share: `group_1_share` is empty (" + (row["groups_note"].strip() or
                           "no two-group cleavage") + "), so the default country's two equal groups stand "
                           "for the two sides")

    if excluded == "no":
        c.table("legitimacy")
        c.key("exclusion_gap", 0.0,
              f"`group_1_excluded` = no: {row['group_1'].strip()} held a share of central power at the "
              "mission's start (EPR), so group 1 starts with no lower regard for the government (ODD 7.17)")

    # ODD 7.20: whether the parties laid down their arms when the mission began. Only a full settlement leaves
    # the share to the layers underneath (the schema's 0, or a calibrated share layered under the case, as in
    # docs/validation/settlement.md); a partial one (an agreement that broke down, or that an armed party
    # never signed) and none at all are no settlement at day 0.
    settlement = row["settlement"].strip().lower()
    settlement_note = row["settlement_note"].strip()
    if settlement in ("no", "partial"):
        c.table("start")
        c.key("settlement_share", 0.0,
              f"`settlement` = {settlement}: no party laid down its arms as the mission began ({settlement_note}); "
              "ODD 7.20")
    elif settlement == "yes":
        c.lines += comment("[start] settlement_share: `settlement` = yes (" + settlement_note + "), so the share of "
                           "fighters who lay down arms on day 0 is left to the layers underneath (ODD 7.20)")
    else:
        raise SystemExit(f"make_cases: {case}: `settlement` must be yes, partial or no, not {settlement!r}")

    if majority is not None:
        # ODD 12 item 20: the territories after the war, from the table rather than the default country's.
        c.table("map")
        c.key("mixing", 0.0,
              "the table gives each side's share of its own territory, which holds all the mixing within it, so "
              "the territories are not also interleaved block by block (ODD 5 item 1)")
        c.table("population")
        c.key("majority_share", round(majority, 4), territory_how)

    c.table("summary")
    c.key("relapse_days", RELAPSE_YEARS * 365,
          "relapse is read over five years after exit, as the table's `relapse_within_5y_of_exit` is")

    c.table("mission")
    if exit_rule == "date":
        c.key("exit", "date", "`exit_rule` = date: the interveners fixed a calendar end")
        if end is not None:
            c.key("exit_day", (end - start) * 365,
                  f"`end_year` - `start_year` = {end - start} years, the last troops leave then")
        c.key("elections_day", 0,
              "no column gives an election or draw-down date: the schema's 0 (no draw-down before exit_day)")
    elif exit_rule in ("end_state", "mixed"):
        why = ("`exit_rule` = end_state: the mandate ran until conditions were met" if exit_rule == "end_state"
               else "`exit_rule` = mixed: an early deadline gave way to a conditions-based draw-down; "
               "keepsim has no mixed rule, and the conditions set the actual end, so end_state")
        c.key("exit", "end_state", why)
    else:
        raise SystemExit(f"{TABLE}: case {case}: unknown exit_rule {exit_rule!r}")
    c.key("imposition", 1.0 if imposes else 0.0,
          f"`imposition` = \"{imposition_text}\": "
          + ("imposed or organised outcomes, coded 1.0, the value ODD 8 gives a mission that imposes (the "
             "degree is not graded)" if imposes else "nothing imposed, coded 0.0"))
    preset = lead if is_lead else multi
    c.key("will_initial", float(preset["mission"]["will_initial"]),
          f"`lead_nation` = {lead_text.split('(')[0].strip()}: the initial political will of "
          + ("a lead state (security_keeping preset, ODD 8)" if is_lead
             else "a multinational command (complex_peacekeeping preset, ODD 8)"))

    # International police: one police agent stands for people_per_agent officers.
    c.table("police")
    if police is not None:
        c.key("count", round(police / ppa),
              f"{police_how} {police:,.0f} officers / {ppa:g} per agent, rounded")
    else:
        c.lines += comment(f"count: {police_how}; left at the default, 0 (which the model reads as no "
                           "international police)")

    # Domestic police: the record's mean net growth as the constabulary's recruitment rate (ODD 7.9).
    if throughput is not None:
        c.table("constabulary")
        c.key("throughput", throughput,
              f"{throughput_how}: the domestic police's mean net growth between the table's two figures, as "
              "recruits a day (ODD 7.9). The record is net of the real force's losses; the model's own defection "
              "(ODD 7.9) comes on top, so the model's force grows more slowly than the record's. No column gives the "
              "first recruitment day, so start_day is left to the layers underneath (the schema's 0 with the "
              "default country alone)",
              text=significant(throughput))
        c.key("throughput_per_trainer", 0.0,
              "the record's growth is all the recruitment there was, trained by whoever trained it: a trainer term "
              "from a doctrine layered underneath would count it twice")

    # Foreign troops as contingents.
    split = contingent_split(preset)
    if troops is None:
        raise SystemExit(f"{TABLE}: case {case}: no troop figure ({troops_how})")
    units = round(troops / ppa)
    sizes = split_units(units, [s[0] for s in split])
    structure = (f"`lead_nation` = yes: the lead-state structure of the security_keeping preset (ODD 8): a "
                 f"lead contingent and partners in the shares {'/'.join(f'{s[0]:.2f}' for s in split)}, with "
                 "its coherence, casualty tolerance and caveats" if is_lead else
                 f"`lead_nation` = no, `multinational` = {row['multinational'].strip()}: the multinational "
                 f"command of the complex_peacekeeping preset (ODD 8): {len(split)} equal contingents with its "
                 "coherence, casualty tolerance and national caveats")
    c.blank()
    c.lines += comment(f"Foreign troops: {troops_how} {troops:,.0f} / {ppa:g} per agent = {units} units "
                       f"({units * ppa / pop * 1000:.2f} per 1,000; the table's computed ratio is "
                       f"{row['peak_troops_per_1000_computed'] or 'empty'}), all from day 1. {structure}. "
                       "Contingents beyond the structure are set to 0 so that no doctrine layered underneath "
                       "adds any.")
    for i in range(MAX_CONTINGENTS):
        c.lines.append(f"[contingents.c{i + 1}]")
        if i < len(split):
            share, kappa, tolerance, caveats = split[i]
            c.lines.append(f"size = {sizes[i]}")
            c.lines.append("arrival_day = 1")
            c.lines.append(f"casualty_tolerance = {fmt(float(tolerance))}")
            c.lines.append(f"coherence = {fmt(float(kappa))}")
            c.lines.append(f"caveats = {fmt(caveats)}")
        else:
            c.lines.append("size = 0")
    return c.text()


def generate(people_per_agent=None, cases=None, folder="configs/cases"):
    default = load_toml(DEFAULT)
    lead, multi = load_toml(LEAD_PRESET), load_toml(MULTI_PRESET)
    with open(TABLE, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if cases:
        unknown = sorted(set(cases) - {row["case"] for row in rows})
        if unknown:
            raise SystemExit(f"make_cases.py: --case {', '.join(unknown)}: no such case in {TABLE} (cases: "
                             f"{', '.join(row['case'] for row in rows)})")
    # Row numbers count the header as row 1, as a spreadsheet does.
    return {row["case"]: build(row, i + 2, default, lead, multi, people_per_agent, folder)
            for i, row in enumerate(rows) if not cases or row["case"] in cases}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 if a config differs from the table's, is missing or is extra")
    ap.add_argument("--out", default=OUT, help="folder of the configs (default configs/cases)")
    ap.add_argument("--people-per-agent", type=float, metavar="P",
                    help="build at P people per agent instead of the default country's scale (needs --out "
                         "other than configs/cases, which holds the configs at the default scale)")
    ap.add_argument("--case", action="append", metavar="NAME", help="only this case (may be repeated)")
    args = ap.parse_args()
    if args.people_per_agent is not None:
        if not 0.1 <= args.people_per_agent <= 1e6:
            ap.error(f"--people-per-agent {args.people_per_agent:g}: allowed 0.1 to 1e6")
        if os.path.abspath(args.out) == os.path.abspath(OUT):
            ap.error("--people-per-agent needs --out DIR: configs/cases holds the configs at the default scale")
    # The folder named in each file's "run it as" line: configs/cases at the default scale, wherever the files
    # are written (the tests check copies elsewhere); a scaled set's own folder otherwise.
    folder = "configs/cases" if args.people_per_agent is None else os.path.relpath(os.path.abspath(args.out), ROOT)
    configs = generate(args.people_per_agent, args.case, folder)
    if args.check:
        bad = 0
        names = os.listdir(args.out) if os.path.isdir(args.out) else []
        present = {n[:-5] for n in names if n.endswith(".toml")}
        for extra in sorted(present - set(configs)):
            print(f"{args.out}/{extra}.toml: no such case in {TABLE}", file=sys.stderr)
            bad += 1
        for case, text in configs.items():
            path = os.path.join(args.out, f"{case}.toml")
            if not os.path.exists(path):
                print(f"{path}: missing; run tools/make_cases.py", file=sys.stderr)
                bad += 1
                continue
            with open(path, encoding="utf-8") as f:
                old = f.read()
            if old != text:
                sys.stderr.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True), path,
                                                           "from the table", n=1))
                bad += 1
        if bad:
            print(f"{bad} case config(s) differ from {TABLE}; rerun tools/make_cases.py", file=sys.stderr)
            return 1
        print(f"{len(configs)} case configs match the table")
        return 0
    os.makedirs(args.out, exist_ok=True)
    for case, text in configs.items():
        with open(os.path.join(args.out, f"{case}.toml"), "w", encoding="utf-8") as f:
            f.write(text)
    print(f"wrote {len(configs)} case configs to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
