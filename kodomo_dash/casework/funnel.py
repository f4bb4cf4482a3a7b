"""Funnel reads for the manager's page and `kodomo report funnel`, over the casework views.

Every number here is a count over casework records through the views of migrations 050-051
(decision 000, point 5): the funnel bars (図表 6-1, 6-2, 7-1, 7-3 No.1-2), exclusion reasons, days in
each stage, contacts still pending, support acts per act (図表 6-4, 延べ件数) and outcomes per child
(図表 7-3 No.3). Nothing is stored as a result: change a record and the report changes with it.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import duckdb

from kodomo_dash.casework import vocabulary
from kodomo_dash.config.calendar import era_year_label

if TYPE_CHECKING:
    import pandas as pd


# Funnel bars and branches, per path: (path, stage, sort_no, kind, parent_stage, label_ja, report_ref).
# kind: main = a bar of the funnel; sub = a split of the bar above; branch = who left (or waits) there.
FUNNEL_STAGES: tuple[tuple[str, str, int, str, str | None, str, str | None], ...] = (
    ("ward", "cohort", 10, "main", None, "スクリーニングの対象（母集団）", "図表 6-1"),
    ("ward", "eligible", 15, "main", None, "支援中等を除いた対象", None),
    ("ward", "listed", 20, "main", None, "一次スクリーニングの結果（データ分析及び支援中のこどもの除外等）", "図表 6-1"),
    ("ward", "secondary_passed", 30, "main", None, "二次スクリーニングの結果（支援中のこどもの除外等）", "図表 6-2"),
    ("ward", "secondary_excluded", 31, "branch", "listed", "二次スクリーニングで対象外", "図表 7-1"),
    ("ward", "secondary_pending", 32, "branch", "listed", "二次スクリーニング確認中", None),
    ("ward", "conference_approach", 40, "main", None, "三課協議の結果（＝アプローチ対象者）", "図表 6-2"),
    ("ward", "conference_no_approach", 41, "branch", "secondary_passed", "三課協議でアプローチしないと判断", None),
    ("ward", "conference_pending", 42, "branch", "secondary_passed", "三課協議待ち", None),
    ("ward", "approached", 50, "main", None, "アプローチを実施（転出等を除く）", "図表 7-3 No.2"),
    ("ward", "approach_not_needed", 51, "branch", "conference_approach", "転出等によりアプローチ不要", "図表 7-3 No.2"),
    ("ward", "approach_undecided", 52, "branch", "conference_approach", "アプローチ開始の判断待ち", None),
    ("ward", "contacted", 60, "main", None, "接触", "図表 7-3 No.2"),
    ("ward", "needs_yes", 61, "sub", "contacted", "ニーズあり", "図表 7-3 No.2"),
    ("ward", "needs_no", 62, "sub", "contacted", "ニーズなし", "図表 7-3 No.2"),
    ("ward", "contact_pending", 63, "branch", "approached", "確認中（接触に向けてアプローチを継続中）", "図表 7-3 No.2"),
    ("school", "cohort", 10, "main", None, "判定の対象（母集団）", None),
    ("school", "eligible", 15, "main", None, "要対協に登録済みのこども等を除いた対象", None),
    ("school", "listed", 20, "main", None, "人による絞り込みの対象（システム判定で抽出）", None),
    ("school", "screening_sheet_done", 30, "main", None, "スクリーニングシート提出（教職員）", None),
    ("school", "ssw_hearing_done", 40, "main", None, "SSW等による聞き取り（ヒアリングシート）", None),
    ("school", "school_supported", 50, "main", None, "支援を実施", None),
    ("school", "school_yotaikyo", 51, "sub", "school_supported", "要対協ケース会議で支援方針を検討", None),
    ("school", "school_watch", 52, "sub", "school_supported", "学校等での見守り", None),
    ("school", "school_other_support", 53, "sub", "school_supported", "その他の支援（相談支援等）", None),
    ("school", "school_no_support", 54, "branch", "ssw_hearing_done", "支援不要と判断", None),
    ("school", "school_decision_pending", 55, "branch", "ssw_hearing_done", "判断待ち", None),
)  # fmt: skip

# Intervals of funnel_stage_durations: (path, interval, sort_no, label_ja).
DURATIONS: tuple[tuple[str, str, int, str], ...] = (
    ("ward", "listed_to_secondary", 10, "リスト確定 → 二次スクリーニング完了"),
    ("ward", "secondary_to_conference", 20, "二次スクリーニング完了 → 三課協議"),
    ("ward", "conference_to_approach", 30, "三課協議 → アプローチ開始"),
    ("ward", "approach_to_first_attempt", 40, "アプローチ開始 → 初回の訪問・連絡"),
    ("ward", "approach_to_contact", 50, "アプローチ開始 → 接触"),
    ("ward", "listed_to_contact", 60, "リスト確定 → 接触（全体）"),
    ("school", "listed_to_screening_sheet", 10, "リスト確定 → スクリーニングシート提出"),
    ("school", "screening_sheet_to_hearing", 20, "スクリーニングシート → SSW聞き取り"),
    ("school", "hearing_to_decision", 30, "SSW聞き取り → 支援の判断"),
    ("school", "listed_to_decision", 40, "リスト確定 → 支援の判断（全体）"),
)  # fmt: skip

# Drill-down: the wf_child_state flag behind each bar (bound as a value, never formatted into SQL).
DRILLDOWN_STAGES = tuple(dict.fromkeys(s for _, s, *_ in FUNNEL_STAGES if s not in ("cohort", "eligible")))

# The figures `kodomo report funnel` prints per path, in the published order (Fukuoka FY2025
# 図表 6-1, 6-2, 7-3; Izumi, Beppu), keyed by the funnel's own stage codes: no second set of names.
WARD_FIGURES: tuple[str, ...] = (
    "cohort", "listed", "secondary_passed", "conference_approach", "approach_not_needed", "approached",
    "contacted", "needs_yes", "needs_no", "contact_pending",
)  # fmt: skip
SCHOOL_FIGURES: tuple[str, ...] = (
    "cohort", "eligible", "listed", "screening_sheet_done", "ssw_hearing_done", "school_supported",
    "school_yotaikyo", "school_watch", "school_other_support", "school_no_support", "school_decision_pending",
)  # fmt: skip


def _opt_list(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]


# ---------------------------------------------------------------------------------------------
# Named reads (one per view)
# ---------------------------------------------------------------------------------------------


def funnel_counts(
    con: duckdb.DuckDBPyConnection,
    *,
    fy: int | None = None,
    programme: str | None = None,
    path: str | None = None,
    ward_code: str | None = "all",
) -> pd.DataFrame:
    """Bars and branches per year/programme/path/ward (ward_code 'all' = city; None = every ward row)."""
    return con.execute(
        "select * from funnel_counts where (? is null or fy = ?) and (? is null or programme = ?)"
        " and (? is null or path = ?) and (? is null or ward_code = ?)"
        " order by fy, path, method, ward_code, sort_no",
        [fy, fy, programme, programme, path, path, ward_code, ward_code],
    ).df()


def funnel_years(
    con: duckdb.DuckDBPyConnection, *, path: str = "ward", ward_code: str = "all", programme: str | None = None
) -> pd.DataFrame:
    """Main bars with one column per fiscal year, all programmes summed (or one): the year comparison."""
    frame = con.execute(
        "select fy, sort_no, stage, label_ja, sum(n)::bigint as n from funnel_counts"
        " where path = ? and ward_code = ? and kind = 'main' and (?::varchar is null or programme = ?)"
        " group by all order by sort_no, fy",
        [path, ward_code, programme, programme],
    ).df()
    if frame.empty:
        return frame
    return frame.pivot_table(index=["sort_no", "stage", "label_ja"], columns="fy", values="n").reset_index()


def funnel_conversion(
    con: duckdb.DuckDBPyConnection, *, fy: int | None = None, ward_code: str = "all"
) -> pd.DataFrame:
    return con.execute(
        "select * from funnel_conversion where (? is null or fy = ?) and ward_code = ?"
        " order by fy, path, method, sort_no",
        [fy, fy, ward_code],
    ).df()


def funnel_exclusions(
    con: duckdb.DuckDBPyConnection, *, fy: int | None = None, ward_code: str = "all"
) -> pd.DataFrame:
    return con.execute(
        "select * from funnel_exclusions where (? is null or fy = ?) and ward_code = ?"
        " order by fy, path, method, stage, department, n desc",
        [fy, fy, ward_code],
    ).df()


def stage_durations(
    con: duckdb.DuckDBPyConnection, *, fy: int | None = None, ward_code: str = "all"
) -> pd.DataFrame:
    return con.execute(
        "select * from funnel_stage_durations where (? is null or fy = ?) and ward_code = ?"
        " order by fy, path, method, sort_no",
        [fy, fy, ward_code],
    ).df()


def contacts_pending(
    con: duckdb.DuckDBPyConnection, *, fy: int | None = None, ward_codes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Children approached but not yet reached (確認中), longest waiting first, within the scope."""
    return con.execute(
        "select * from funnel_contacts_pending where (? is null or fy = ?)"
        " and (?::varchar[] is null or list_contains(?::varchar[], ward_code))"
        " order by days_since_approach desc, resident_id",
        [fy, fy, _opt_list(ward_codes), _opt_list(ward_codes)],
    ).df()


def support_acts(
    con: duckdb.DuckDBPyConnection, *, fy: int | None = None, ward_code: str = "all"
) -> pd.DataFrame:
    return con.execute(
        "select * from funnel_support_acts where (? is null or fy = ?) and ward_code = ?"
        " order by fy, path, method, kind_sort_no, category_sort_no",
        [fy, fy, ward_code],
    ).df()


def outcomes(
    con: duckdb.DuckDBPyConnection, *, fy: int | None = None, ward_code: str = "all"
) -> pd.DataFrame:
    return con.execute(
        "select * from funnel_outcomes where (? is null or fy = ?) and ward_code = ?"
        " order by fy, path, method, sort_no",
        [fy, fy, ward_code],
    ).df()


def funnel_children(
    con: duckdb.DuckDBPyConnection,
    fy: int,
    stage: str,
    *,
    programme: str | None = None,
    ward_codes: Sequence[str] | None = None,
    school_codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The children behind one bar (drill-down), limited to the viewer's wards/schools.

    Returns ids and stage facts only; names are joined by the page from the warehouse under the
    viewer's rights, so this read never widens what a person may see.
    """
    if stage not in DRILLDOWN_STAGES:
        raise ValueError(f"unknown funnel stage: {stage!r}")
    return con.execute(
        "select list_id, resident_id, ward_code, school_code, rank, score, current_stage, excluded_by,"
        " exclusion_reason, conference_decision, assigned_staff, approach_decision, approach_reason,"
        " attempts, last_attempt_on, needs, contacted_on, support_acts, outcome_codes, school_decision"
        " from wf_child_state"
        " where fy = ? and (? is null or programme = ?)"
        " and (?::varchar[] is null or list_contains(?::varchar[], ward_code))"
        " and (?::varchar[] is null or list_contains(?::varchar[], school_code))"
        " and case ?"
        "  when 'listed' then true"
        "  when 'secondary_passed' then secondary_passed when 'secondary_excluded' then secondary_excluded"
        "  when 'secondary_pending' then secondary_pending"
        "  when 'conference_approach' then conference_approach"
        "  when 'conference_no_approach' then conference_no_approach"
        "  when 'conference_pending' then conference_pending"
        "  when 'approached' then approached when 'approach_not_needed' then approach_not_needed"
        "  when 'approach_undecided' then approach_undecided"
        "  when 'contacted' then contacted when 'needs_yes' then contacted and needs_yes"
        "  when 'needs_no' then contacted and needs_no when 'contact_pending' then contact_pending"
        "  when 'screening_sheet_done' then screening_sheet_done when 'ssw_hearing_done' then ssw_hearing_done"
        "  when 'school_supported' then school_supported when 'school_yotaikyo' then school_yotaikyo"
        "  when 'school_watch' then school_watch when 'school_other_support' then school_other_support"
        "  when 'school_no_support' then school_no_support"
        "  when 'school_decision_pending' then school_decision_pending"
        "  else false end"
        " order by ward_code, school_code, rank, resident_id",
        [fy, programme, programme, _opt_list(ward_codes), _opt_list(ward_codes), _opt_list(school_codes),
         _opt_list(school_codes), stage],
    ).df()  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The report (`kodomo report funnel --fy 2025 --format json|table`)
# ---------------------------------------------------------------------------------------------


def fy_ja(fy: int) -> str:
    """2025 → 令和7年度, 2019 → 令和元年度 (config.calendar)."""
    return era_year_label(fy)


def funnel_report(
    fy: int,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    programme: str | None = None,
    ward_code: str = "all",
) -> dict[str, Any]:
    """The year's funnel in the published shape, read from the casework views.

    Opens casework read-only when no connection is given. For the ward path, `figures` uses the
    funnel's stage codes (cohort 1,327 → listed 217 → secondary_passed 151 →
    conference_approach 80 → approached 73 (approach_not_needed 7) → contacted 57 (needs_yes 45,
    needs_no 12), contact_pending 16; outcomes; support_acts per act). Several lists of one year and path
    are summed.
    """
    if con is None:
        from kodomo_dash.infra.db import casework_connection, casework_path

        if not casework_path().exists():
            return _empty_report(fy, programme, ward_code)
        with casework_connection(read_only=True) as c:
            return funnel_report(fy, con=c, programme=programme, ward_code=ward_code)
    cur = con.execute(
        "select list_id, run_id, method, programme, path, cohort_label_ja, cohort_size, eligible_size, list_size,"
        " accepted_on, accepted_by from wf_list where fy = ? and (? is null or programme = ?) order by accepted_on, list_id",
        [fy, programme, programme],
    )
    cols = [d[0] for d in cur.description]
    lists = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    for item in lists:
        item["accepted_on"] = item["accepted_on"].isoformat()
    rows = con.execute(
        "select path, stage, min(sort_no) as sort_no, min(kind) as kind, min(parent_stage) as parent_stage,"
        " min(label_ja) as label_ja, min(report_ref) as report_ref, sum(n)::bigint as n"
        " from funnel_counts where fy = ? and ward_code = ? and (? is null or programme = ?)"
        " group by path, stage order by path, sort_no",
        [fy, ward_code, programme, programme],
    ).fetchall()
    acts = con.execute(
        "select path, kind, category, sum(n)::bigint from funnel_support_acts"
        " where fy = ? and ward_code = ? and (? is null or programme = ?) group by all",
        [fy, ward_code, programme, programme],
    ).fetchall()
    outs = con.execute(
        "select path, outcome, sum(n)::bigint from funnel_outcomes"
        " where fy = ? and ward_code = ? and (? is null or programme = ?) group by all",
        [fy, ward_code, programme, programme],
    ).fetchall()
    excl = con.execute(
        "select path, stage, department, reason, min(stage_label_ja), min(department_label_ja),"
        " min(reason_label_ja), sum(n)::bigint from funnel_exclusions"
        " where fy = ? and ward_code = ? and (? is null or programme = ?) group by all order by all",
        [fy, ward_code, programme, programme],
    ).fetchall()
    paths: dict[str, Any] = {}
    for path in dict.fromkeys(r[0] for r in rows):
        bars = [
            {"stage": s, "sort_no": o, "kind": k, "parent_stage": p, "label_ja": lab, "report_ref": ref, "n": int(n)}
            for (pth, s, o, k, p, lab, ref, n) in rows if pth == path
        ]  # fmt: skip
        path_lists = [x for x in lists if x["path"] == path]
        labels = {x["cohort_label_ja"] for x in path_lists if x["cohort_label_ja"]}
        if len(labels) == 1:
            for b in bars:
                if b["stage"] == "cohort":
                    b["label_ja"] = labels.pop()
        counts = {b["stage"]: b["n"] for b in bars}
        entry: dict[str, Any] = {
            "counts": counts,
            "stages": bars,
            "lists": [x["list_id"] for x in path_lists],
        }
        entry["exclusions"] = [
            {"stage": s, "department": d, "reason": r, "stage_label_ja": sl, "department_label_ja": dl,
             "reason_label_ja": rl, "n": int(n)}
            for (pth, s, d, r, sl, dl, rl, n) in excl if pth == path
        ]  # fmt: skip
        if path == "ward":
            act_n = {(k, c): int(n) for (pth, k, c, n) in acts if pth == path}
            out_n = {o: int(n) for (pth, o, n) in outs if pth == path}
            support = {
                kind: {cat: act_n.get((kind, cat), 0) for cat in vocabulary.SUPPORT_CATEGORIES[kind]}
                for kind in vocabulary.SUPPORT_KINDS
            }
            outcome_counts = {o: out_n.get(o, 0) for o in vocabulary.OUTCOMES}
            figures: dict[str, Any] = {stage: counts.get(stage, 0) for stage in WARD_FIGURES}
            if "cohort" not in counts:
                figures["cohort"] = None
            figures["outcomes"] = outcome_counts
            figures["support_acts"] = support
            entry["figures"] = figures
            entry["outcomes"] = [
                {"outcome": o, "label_ja": vocabulary.OUTCOMES[o], "n": outcome_counts[o]}
                for o in vocabulary.OUTCOMES
            ]
            entry["support_acts"] = {
                kind: [{"category": c, "label_ja": lab, "n": support[kind][c]}
                       for c, lab in vocabulary.SUPPORT_CATEGORIES[kind].items()]
                for kind in vocabulary.SUPPORT_KINDS
            }  # fmt: skip
            entry["support_acts_total"] = sum(act_n.values())
        else:
            figures = {stage: counts.get(stage, 0) for stage in SCHOOL_FIGURES}
            for stage in ("cohort", "eligible", "screening_sheet_done"):
                if stage not in counts:
                    figures[stage] = None
            entry["figures"] = figures
        paths[path] = entry
    return {
        "fy": fy,
        "fy_ja": fy_ja(fy),
        "programme": programme,
        "ward_code": ward_code,
        "source": "casework views funnel_counts, funnel_exclusions, funnel_outcomes, funnel_support_acts",
        "lists": lists,
        "paths": paths,
    }


def _empty_report(fy: int, programme: str | None, ward_code: str) -> dict[str, Any]:
    return {"fy": fy, "fy_ja": fy_ja(fy), "programme": programme, "ward_code": ward_code,
            "source": "casework (no casework file yet)", "lists": [], "paths": {}}  # fmt: skip


def render_funnel_report(report: dict[str, Any], fmt: str = "table") -> str:
    """JSON (UTF-8, Japanese readable) or a text table in the order of the report's figures."""
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2, default=str)
    if fmt != "table":
        raise ValueError("format must be 'json' or 'table'")
    where = "全区" if report["ward_code"] == "all" else f"区コード {report['ward_code']}"
    out = [f"{report['fy_ja']} プッシュ型支援の結果（{where}）"]
    if not report["paths"]:
        out.append("  この年度の対象者リストはまだありません。")
        return "\n".join(out) + "\n"
    for path, entry in report["paths"].items():
        out.append("")
        out.append(f"■ {vocabulary.PATHS[path]}")
        for lst in report["lists"]:
            if lst["path"] == path:
                out.append(
                    f"  対象者リスト {lst['list_id']}（{lst['programme']}・方法 {lst['method']}、{lst['accepted_on']} 確定、{lst['list_size']}名）"
                )
        out.append("")
        for bar in entry["stages"]:
            indent = "  " if bar["kind"] == "main" else "      "
            mark = "" if bar["kind"] == "main" else ("うち " if bar["kind"] == "sub" else "└ ")
            ref = f"  [{bar['report_ref']}]" if bar["report_ref"] and bar["kind"] == "main" else ""
            out.append(_line(indent + mark + bar["label_ja"], f"{bar['n']:,}名") + ref)
        if path == "ward":
            out.append("")
            out.append("  支援の成果 [図表 7-3 No.3]")
            for o in entry["outcomes"]:
                out.append(_line("    " + o["label_ja"], f"{o['n']:,}名"))
            out.append("")
            out.append("  支援内容（延べ件数） [図表 6-4]")
            for kind, rows in entry["support_acts"].items():
                for i, r in enumerate(rows):
                    head = vocabulary.SUPPORT_KINDS[kind] if i == 0 else ""
                    out.append(_line(f"    {_pad(head, 10)}{r['label_ja']}", f"{r['n']:,}件"))
        if entry["exclusions"]:
            out.append("")
            out.append("  除外・終了の理由")
            for e in entry["exclusions"]:
                dept = f"{e['department_label_ja']}：" if e["department_label_ja"] else ""
                out.append(
                    _line(
                        f"    {e['stage_label_ja']}　{dept}{e['reason_label_ja'] or '理由なし'}",
                        f"{e['n']:,}名",
                    )
                )
    return "\n".join(out) + "\n"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _line(label: str, value: str, width: int = 72) -> str:
    return _pad(label, width - _width(value) - 1) + " " + value
