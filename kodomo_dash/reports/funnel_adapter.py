"""The casework funnel (views of migrations 050-051) as the reports' ``FunnelData``.

The casework views speak the workflow's codes (``listed``, ``secondary_passed``, ``consultation_desk``);
the report tables speak the published shape's codes (``primary_screening``, ``secondary_screening``,
``desks``). This module is the one place that maps one onto the other, so the deck, the outcomes
page and ``kodomo report deck`` all show what the funnel page shows. Counts are read per ward
(never the pre-summed ``all`` rows) so that the by-ward tables and the city total agree by
construction; methods of one year are summed.
"""

from __future__ import annotations

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


def shape_for_path(path: str, *, screening_sheet_required: bool = True) -> ProgrammeShape:
    if path == "ward":
        return FUKUOKA
    return IZUMI if screening_sheet_required else BEPPU


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
) -> FunnelData:
    """Every year of one path as ``FunnelData`` (units = wards on the ward path, schools on the school path).

    ``ward_codes`` limits the units (a ward officer's own wards); None = every ward.
    """
    stage_map = WARD_STAGES if path == "ward" else SCHOOL_STAGES
    counts = con.execute(
        "select fy, ward_code, stage, sum(n)::bigint as count from funnel_counts"
        " where path = ? and ward_code <> 'all'"
        " and (?::varchar[] is null or list_contains(?::varchar[], ward_code)) group by all",
        [path, ward_codes, ward_codes],
    ).df()
    stages = counts[counts["stage"].isin(stage_map)].assign(stage=lambda f: f["stage"].map(stage_map))
    stages = stages[["fy", "ward_code", "stage", "count"]]
    exclusions = pd.DataFrame(columns=["fy", "ward_code", "stage", "reason", "count"])
    acts = pd.DataFrame(columns=["fy", "ward_code", "category", "item", "count"])
    outcomes = pd.DataFrame(columns=["fy", "ward_code", "outcome", "count"])
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
