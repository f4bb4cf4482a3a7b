"""The casework funnel (the views of ``casework/views/30_funnel.sql``) as the reports' ``FunnelData``.

The report shapes speak the views' own codes (``listed``, ``secondary_passed``, ``consultation_desk``,
``low_need``), so this is a reader, not a translation: a code added to the casework reaches the
tables as it is, and the deck, the outcomes page and ``kodomo report deck`` show what the funnel
page shows (decision 059). What the views do not state, the shape does: which workflow stage's
exclusions explain a bar (``Stage.decided_at``), and the gaps only the report names (children the
system screening did not pick). Counts are read per ward (never the pre-summed ``all`` rows) so
that the by-ward tables and the city total agree by construction; programmes of one year are
summed unless one is chosen.
"""

from __future__ import annotations

from typing import NamedTuple

import duckdb
import pandas as pd

from kodomo_dash.reports.indicators import FunnelData
from kodomo_dash.reports.shapes import BEPPU, FUKUOKA, IZUMI, SHAPES, UNRECORDED, ProgrammeShape

# The drops between two bars that no casework decision records, named by the report alone.
SCREENED_OUT = "screened_out"  # cohort → listed on the ward path: below the similarity cut
YOTAIKYO_REGISTERED = "yotaikyo_registered"  # cohort → eligible on the school path: left out before scoring
BELOW_TOP = "below_top"  # eligible (or cohort) → listed on the school path: below the top of the list


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
    Beppu: item_counts), so two cities on the school path are never added together. The
    programme's report shape decides which bars, outcomes and acts are read.
    """
    shape = SHAPES.get(_report_shape(programme) or "", shape_for_path(path))
    # one path, one programme (or all), within the viewer's wards
    args = [path, programme, programme, ward_codes, ward_codes]
    counts = con.execute(
        "select fy, ward_code, stage, sum(n)::bigint as count from funnel_counts"
        " where path = ? and ward_code <> 'all' and (?::varchar is null or programme = ?)"
        " and (?::varchar[] is null or list_contains(?::varchar[], ward_code)) group by all",
        args,
    ).df()
    stages = counts
    if path == "school":  # a school list's split bars are its parts (top + welfare only, basic + other items)
        counts = _city_levels(con, counts, programme)
        parts = con.execute(
            "select fy, ward_code, list_part as stage, sum(n)::bigint as count from funnel_list_parts"
            " where path = ? and (?::varchar is null or programme = ?)"
            " and (?::varchar[] is null or list_contains(?::varchar[], ward_code)) group by all",
            args,
        ).df()
        stages = pd.concat([counts, parts], ignore_index=True)
    stages = stages[stages["stage"].isin(shape.stage_codes)]
    stages = stages.groupby(["fy", "ward_code", "stage"], as_index=False)["count"].sum()
    exclusions = _exclusions(con, shape, counts, path, args)
    if path == "ward":
        acts = con.execute(
            "select fy, ward_code, kind as category, category as item, sum(n)::bigint as count"
            " from funnel_support_acts where path = ? and ward_code <> 'all' and (?::varchar is null or programme = ?)"
            " and (?::varchar[] is null or list_contains(?::varchar[], ward_code)) group by all",
            args,
        ).df()
        outcomes = con.execute(
            "select fy, ward_code, outcome, sum(n)::bigint as count from funnel_outcomes"
            " where path = ? and ward_code <> 'all' and (?::varchar is null or programme = ?)"
            " and (?::varchar[] is null or list_contains(?::varchar[], ward_code)) group by all",
            args,
        ).df()
    else:  # the school decisions are bars of funnel_counts: Izumi reports them as outcomes, Beppu as supports
        category = {a.code: a.category for a in shape.acts}
        acts = counts[counts["stage"].isin(category)].assign(category=lambda f: f["stage"].map(category))
        acts = acts.rename(columns={"stage": "item"})
        outcomes = counts[counts["stage"].isin({o.code for o in shape.outcomes})]
        outcomes = outcomes.rename(columns={"stage": "outcome"})
    return FunnelData.from_records(
        stages=stages, exclusions=exclusions, acts=acts, outcomes=outcomes, unit_names=unit_names
    )


def _city_levels(con: duckdb.DuckDBPyConnection, counts: pd.DataFrame, programme: str | None) -> pd.DataFrame:
    """The school path's cohort and eligible bars are list-level counts, without a per-ward split: in
    a city without wards its one unit is the city, so the city row is that unit's row."""
    for level in ("cohort", "eligible"):
        city = con.execute(
            "select fy, sum(n)::bigint from funnel_counts where path = 'school' and ward_code = 'all'"
            " and stage = ? and (?::varchar is null or programme = ?) group by fy",
            [level, programme, programme],
        ).fetchall()
        for fy, n in city:
            units = counts.loc[counts["fy"] == fy, "ward_code"].unique()
            known = ((counts["fy"] == fy) & (counts["stage"] == level)).any()
            if len(units) == 1 and not known:
                row = pd.DataFrame([{"fy": fy, "ward_code": units[0], "stage": level, "count": n}])
                counts = pd.concat([counts, row], ignore_index=True)
    return counts


def _exclusions(
    con: duckdb.DuckDBPyConnection, shape: ProgrammeShape, counts: pd.DataFrame, path: str, args: list
) -> pd.DataFrame:
    """Who did not reach each bar of the chain, and why.

    A recorded decision (funnel_exclusions) counts against the bar its stage decides
    (``Stage.decided_at``), with the casework's reason; a decision without a reason is unrecorded.
    The drops no decision records are the difference between two bars: the ward path's cohort →
    listed (the system screening), the school path's cohort → eligible (registered with the 要対協
    before scoring) and eligible (or cohort) → listed (below the top of the list).
    """
    cols = ["fy", "ward_code", "stage", "reason", "count"]
    bar = {s.decided_at: s.code for s in shape.stages if s.decided_at}
    decided = con.execute(
        "select fy, ward_code, stage, reason, sum(n)::bigint as count from funnel_exclusions"
        " where path = ? and ward_code <> 'all' and (?::varchar is null or programme = ?)"
        " and (?::varchar[] is null or list_contains(?::varchar[], ward_code)) group by all",
        args,
    ).df()
    decided = decided.assign(stage=decided["stage"].map(bar), reason=decided["reason"].fillna(UNRECORDED))
    rows = [decided.dropna(subset=["stage"])[cols]]
    wide = counts.pivot_table(index=["fy", "ward_code"], columns="stage", values="count", aggfunc="sum").fillna(0)

    def gap(upper: str, lower: str, reason: str) -> None:
        if {upper, lower} <= set(wide.columns):
            d = (wide[upper] - wide[lower]).clip(lower=0).astype(int).rename("count").reset_index()
            rows.append(d.assign(stage=lower, reason=reason)[cols])

    if path == "ward":
        gap("cohort", "listed", SCREENED_OUT)
    elif "eligible" in wide.columns:
        gap("cohort", "eligible", YOTAIKYO_REGISTERED)
        gap("eligible", "listed", BELOW_TOP)
    else:
        gap("cohort", "listed", BELOW_TOP)
    out = pd.concat(rows, ignore_index=True)
    out = out[out["stage"].isin(shape.chain[1:])]
    if path == "school":  # a school list states no zero drops (Beppu has no cohort at all)
        out = out[out["count"] > 0]
    return out.groupby(cols[:-1], as_index=False)["count"].sum()
