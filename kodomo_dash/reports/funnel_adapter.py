"""The casework funnel (views of migrations 050-051) as the reports' ``FunnelData``.

The casework views speak the workflow's codes (``listed``, ``secondary_passed``, ``consultation_desk``);
the report tables speak the published shape's codes (``primary_screening``, ``secondary_screening``,
``desks``). This module is the one place that maps one onto the other, so the deck, the outcomes
page and ``kodomo report deck`` all show what the funnel page shows. Counts are read per ward
(never the pre-summed ``all`` rows) so that the by-ward tables and the city total agree by
construction; programmes of one year are summed unless one is chosen.
"""

from __future__ import annotations

from typing import NamedTuple

import duckdb
import pandas as pd

from kodomo_dash.reports.indicators import FunnelData
from kodomo_dash.reports.shapes import BEPPU, FUKUOKA, IZUMI, ProgrammeShape

# casework funnel_counts stage → report stage, per path
WARD_STAGES = {
    "cohort": "cohort",
    "listed": "primary_screening",
    "secondary_passed": "secondary_screening",
    "conference_approach": "conference",
    "approached": "approached",
    "contacted": "contacted",
    "needs_yes": "needs_yes",
    "needs_no": "needs_no",
    "contact_pending": "pending",
}
SCHOOL_STAGES = {
    "cohort": "cohort",
    "eligible": "eligible",
    "listed": "extracted",
    "school_supported": "supported",
}
# casework funnel_exclusions (stage, reason) → report (stage, reason)
EXCLUSION_STAGES = {"secondary": "secondary_screening", "conference": "conference", "approach": "approached"}
EXCLUSION_REASONS = {
    ("secondary", "in_support"): "in_support",
    ("secondary", "enrolled"): "enrolled",
    ("secondary", "other"): "other",
    ("conference", "in_support_elsewhere"): "in_support",
    ("conference", "low_need"): "not_needed",
    ("conference", "other"): "other",
    ("approach", "moved_out"): "moved_out",
    ("approach", "enrolled_since"): "enrolled",
    ("approach", "other"): "other",
}
ACT_ITEMS = {
    ("advice", "enrolment"): "enrolment",
    ("advice", "developmental"): "development",
    ("advice", "other"): "other",
    ("information", "consultation_desk"): "desks",
    ("information", "enrolment_procedure"): "enrolment_procedure",
    ("information", "developmental_procedure"): "development_procedure",
    ("information", "services"): "services",
    ("information", "other"): "other",
}
OUTCOMES = {
    "enrolled": "enrolment",
    "yotaikyo": "yotaikyo",
    "consultation_referral": "consultation",
    "other_programme": "other_programme",
}


# The school path's list parts (funnel_list_parts, migration 053) → the shapes' split stages.
LIST_PARTS = {
    "edu_welfare": {"top": "extracted_combined", "top_n": "extracted_combined",
                    "welfare_only": "extracted_welfare_only"},
    "item_counts": {"basic": "extracted_basic", "basic_items": "extracted_basic",
                    "other": "extracted_other", "other_items": "extracted_other"},
}
# The school decisions (funnel_counts) → Izumi's outcomes (図: 支援の実施状況) and Beppu's supports.
SCHOOL_OUTCOMES = {"school_yotaikyo": "yotaikyo_case_meeting", "school_watch": "school_watch"}
SCHOOL_ACTS = {"school_other_support": ("support", "consultation"), "school_watch": ("support", "watch")}
# A programme's report_shape (config/cities) names the published shape its reports take.
SHAPES = {"fukuoka": FUKUOKA, "izumi": IZUMI, "beppu": BEPPU}
# Cities without wards: the funnel's one "ward" is the city itself.


def shape_for_path(path: str, *, screening_sheet_required: bool = True) -> ProgrammeShape:
    if path == "ward":
        return FUKUOKA
    return IZUMI if screening_sheet_required else BEPPU


def shape_for_programme(programme: str | None, path: str, *, screening_sheet_required: bool = True) -> ProgrammeShape:
    """The report shape of a list's programme, titled with the programme's own city.

    Looked up by the programme the list was accepted under, never by its screening method, so a
    fourth city screening with the similarity model gets Fukuoka's table layout under its own name.
    A programme not in the city files (or none) falls back to the path's shape.
    """
    from dataclasses import replace

    from kodomo_dash.config.cities import programme_or_none

    base = shape_for_path(path, screening_sheet_required=screening_sheet_required)
    prog = programme_or_none(programme)
    if prog is None:
        return base
    shape = SHAPES.get(prog.report_shape, base)
    return shape if shape.city == prog.city_name_ja else replace(shape, city=prog.city_name_ja)


def _report_shape(programme: str | None) -> str | None:
    """The report_shape a programme's city file names (None without a programme or a city file)."""
    from kodomo_dash.config.cities import programme_or_none

    prog = programme_or_none(programme)
    return prog.report_shape if prog else None


class ListProgramme(NamedTuple):
    fy: int
    path: str
    method: str
    screening_sheet_required: bool
    programme: str | None


def casework_programmes(con: duckdb.DuckDBPyConnection) -> list[ListProgramme]:
    """Every (year, path, method, sheet rule, programme) of the accepted lists, newest year first."""
    return [
        ListProgramme(int(fy), str(path), str(method), bool(sheet), programme)
        for fy, path, method, sheet, programme in con.execute(
            "select fy, path, min(method), bool_or(screening_sheet_required), programme from wf_list"
            " group by fy, path, programme order by fy desc, path desc, programme"
        ).fetchall()
    ]


def casework_paths(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, bool]]:
    """(fy, path, screening_sheet_required) of every accepted list, newest year first."""
    return [
        (int(fy), str(path), bool(sheet))
        for fy, path, sheet in con.execute(
            "select fy, path, bool_or(screening_sheet_required) from wf_list group by fy, path order by fy desc, path"
        ).fetchall()
    ]


def funnel_data(
    con: duckdb.DuckDBPyConnection,
    *,
    path: str = "ward",
    ward_codes: list[str] | None = None,
    unit_names: dict[str, str] | None = None,
    programme: str | None = None,
) -> FunnelData:
    """Every year of one path as ``FunnelData`` (units = wards on the ward path, schools on the school path).

    ``ward_codes`` limits the units (a ward officer's own wards); None = every ward. ``programme``
    limits the lists to one programme of the city files (Izumi: izumi-abuse-school,
    Beppu: item_counts), so two cities on the school path are never added together.
    """
    stage_map = WARD_STAGES if path == "ward" else SCHOOL_STAGES
    counts = con.execute(
        "select fy, ward_code, stage, sum(n)::bigint as count from funnel_counts"
        " where path = ? and ward_code <> 'all' and (?::varchar is null or programme = ?)"
        " and (?::varchar[] is null or list_contains(?::varchar[], ward_code)) group by all",
        [path, programme, programme, ward_codes, ward_codes],
    ).df()
    stages = counts[counts["stage"].isin(stage_map)].assign(stage=lambda f: f["stage"].map(stage_map))
    stages = stages[["fy", "ward_code", "stage", "count"]]
    exclusions = pd.DataFrame(columns=["fy", "ward_code", "stage", "reason", "count"])
    acts = pd.DataFrame(columns=["fy", "ward_code", "category", "item", "count"])
    outcomes = pd.DataFrame(columns=["fy", "ward_code", "outcome", "count"])
    if path == "school":
        stages, exclusions, acts, outcomes = _school_frames(con, counts, stages, programme, ward_codes)
    if path == "ward":
        ex = con.execute(
            "select fy, ward_code, stage, reason, sum(n)::bigint as count from funnel_exclusions"
            " where path = 'ward' and ward_code <> 'all'"
            " and (?::varchar[] is null or list_contains(?::varchar[], ward_code)) group by all",
            [ward_codes, ward_codes],
        ).df()
        ex["reason"] = [EXCLUSION_REASONS.get((s, r), "other") for s, r in zip(ex["stage"], ex["reason"], strict=True)]
        ex["stage"] = ex["stage"].map(EXCLUSION_STAGES)
        ex = ex.dropna(subset=["stage"])
        # cohort → listed: the children the system screening did not pick
        wide = counts.pivot_table(index=["fy", "ward_code"], columns="stage", values="count", aggfunc="sum")
        if {"cohort", "listed"} <= set(wide.columns):
            gap = (wide["cohort"].fillna(0) - wide["listed"].fillna(0)).clip(lower=0).astype(int).reset_index()
            gap.columns = ["fy", "ward_code", "count"]
            gap = gap.assign(stage="primary_screening", reason="screened_out")
            ex = pd.concat([ex, gap[["fy", "ward_code", "stage", "reason", "count"]]], ignore_index=True)
        exclusions = ex.groupby(["fy", "ward_code", "stage", "reason"], as_index=False)["count"].sum()
        ac = con.execute(
            "select fy, ward_code, kind as category, category as item, sum(n)::bigint as count"
            " from funnel_support_acts where path = 'ward' and ward_code <> 'all'"
            " and (?::varchar[] is null or list_contains(?::varchar[], ward_code)) group by all",
            [ward_codes, ward_codes],
        ).df()
        ac["item"] = [ACT_ITEMS.get((c, i), "other") for c, i in zip(ac["category"], ac["item"], strict=True)]
        acts = ac.groupby(["fy", "ward_code", "category", "item"], as_index=False)["count"].sum()
        oc = con.execute(
            "select fy, ward_code, outcome, sum(n)::bigint as count from funnel_outcomes"
            " where path = 'ward' and ward_code <> 'all'"
            " and (?::varchar[] is null or list_contains(?::varchar[], ward_code)) group by all",
            [ward_codes, ward_codes],
        ).df()
        oc["outcome"] = oc["outcome"].map(OUTCOMES)
        outcomes = oc.dropna(subset=["outcome"])
    return FunnelData.from_records(
        stages=stages, exclusions=exclusions, acts=acts, outcomes=outcomes, unit_names=unit_names
    )


def _school_frames(
    con: duckdb.DuckDBPyConnection, counts: pd.DataFrame, stages: pd.DataFrame, programme: str | None,
    ward_codes: list[str] | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Izumi's and Beppu's shapes from the school-path views.

    Split stages: the list's parts (funnel_list_parts). Exclusions, each the drop between two bars:
    cohort → eligible = registered with the 要対協 (Izumi's run excluded them); eligible (or cohort)
    → extracted = below the top of the list; extracted → supported = the decisions' reasons
    (already in support / not needed). Outcomes (Izumi) and supports (Beppu) are the decisions.
    """
    # eligible (and a cohort without a per-ward split) is a list-level count: in a city without
    # wards its one unit is the city, so the city row is that unit's row.
    for level in ("cohort", "eligible"):
        city = con.execute(
            "select fy, sum(n)::bigint from funnel_counts where path = 'school' and ward_code = 'all'"
            " and stage = ? and (?::varchar is null or programme = ?) group by fy",
            [level, programme, programme],
        ).fetchall()
        for fy, n in city:
            units = stages.loc[stages["fy"] == fy, "ward_code"].unique()
            known = ((stages["fy"] == fy) & (stages["stage"] == level)).any()
            if len(units) == 1 and not known:
                row = pd.DataFrame([{"fy": fy, "ward_code": units[0], "stage": level, "count": n}])
                stages = pd.concat([stages, row], ignore_index=True)
                counts = pd.concat([counts, row], ignore_index=True)
    parts = con.execute(
        "select fy, ward_code, method, list_part, sum(n)::bigint as count from funnel_list_parts"
        " where path = 'school' and (?::varchar is null or programme = ?)"
        " and (?::varchar[] is null or list_contains(?::varchar[], ward_code)) group by all",
        [programme, programme, ward_codes, ward_codes],
    ).df()
    parts["stage"] = [LIST_PARTS.get(m, {}).get(p) for m, p in zip(parts["method"], parts["list_part"], strict=True)]
    parts = parts.dropna(subset=["stage"])[["fy", "ward_code", "stage", "count"]]
    stages = pd.concat([stages, parts], ignore_index=True).groupby(["fy", "ward_code", "stage"], as_index=False)[
        "count"
    ].sum()
    wide = counts.pivot_table(index=["fy", "ward_code"], columns="stage", values="count", aggfunc="sum").fillna(0)
    ex_rows: list[pd.DataFrame] = []

    def gap(upper: str, lower: str, stage: str, reason: str) -> None:
        if upper in wide.columns and lower in wide.columns:
            d = (wide[upper] - wide[lower]).clip(lower=0).astype(int).rename("count").reset_index()
            ex_rows.append(d.assign(stage=stage, reason=reason))

    if "eligible" in wide.columns:
        gap("cohort", "eligible", "eligible", "yotaikyo_registered")
        gap("eligible", "listed", "extracted", "below_top")
    else:
        gap("cohort", "listed", "extracted", "below_top")
    decided = con.execute(
        "select fy, ward_code, reason, sum(n)::bigint as count from funnel_exclusions"
        " where path = 'school' and ward_code <> 'all' and (?::varchar is null or programme = ?)"
        " and (?::varchar[] is null or list_contains(?::varchar[], ward_code)) group by all",
        [programme, programme, ward_codes, ward_codes],
    ).df()
    decided["reason"] = decided["reason"].map({"already_supported": "in_support"}).fillna("not_needed")
    ex_rows.append(decided.assign(stage="supported"))
    cols = ["fy", "ward_code", "stage", "reason", "count"]
    exclusions = pd.concat([f[cols] for f in ex_rows], ignore_index=True)
    exclusions = exclusions[exclusions["count"] > 0].groupby(cols[:-1], as_index=False)["count"].sum()
    dec = counts[counts["stage"].isin(set(SCHOOL_OUTCOMES) | set(SCHOOL_ACTS))]
    outcomes = dec[dec["stage"].isin(SCHOOL_OUTCOMES)].assign(outcome=lambda f: f["stage"].map(SCHOOL_OUTCOMES))
    acts = dec[dec["stage"].isin(SCHOOL_ACTS)].copy()
    if _report_shape(programme) == "beppu":  # Beppu reports supports given, Izumi the decision taken
        outcomes = outcomes.iloc[0:0]
        # Beppu published no cohort: its report starts at the 30 extracted.
        stages = stages[~stages["stage"].isin(["cohort", "eligible"])]
        exclusions = exclusions[exclusions["stage"] == "supported"]
    else:
        acts = acts.iloc[0:0]
    acts["category"] = [SCHOOL_ACTS[s][0] for s in acts["stage"]]
    acts["item"] = [SCHOOL_ACTS[s][1] for s in acts["stage"]]
    return (stages, exclusions, acts[["fy", "ward_code", "category", "item", "count"]],
            outcomes[["fy", "ward_code", "outcome", "count"]])  # fmt: skip
