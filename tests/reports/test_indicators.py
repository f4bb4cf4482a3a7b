"""Indicator tables against Fukuoka's published figures, Izumi's and Beppu's shapes, and bad input.

Input fixture: Fukuoka FY2025 as published (1,327 → 217 → 151 → 80 → 73 → 57 (45 / 12) / 16;
outcomes 7 / 2 / 2 / 2; acts 28 / 8 / 11 and 32 / 20 / 4 / 11 / 5), spread over the seven wards.
"""

from __future__ import annotations

import pytest

from kodomo_dash.config.units import FUKUOKA_WARDS
from kodomo_dash.demo.published import published_data
from kodomo_dash.reports.indicators import (
    FunnelData,
    InputError,
    act_key,
    build_tables,
    figures_for_year,
)
from kodomo_dash.reports.shapes import BEPPU, IZUMI
from kodomo_dash.reports.suppression import PUBLISHED_TOP_LINE, TOTAL, SuppressionPolicy
from kodomo_dash.reports.tables import NO_DATA_LABEL, SUPPRESSED_LABEL, is_hidden
from tests.reports.test_suppression import attacker_interval

WARDS = {
    "40131": 0.205,
    "40132": 0.130,
    "40133": 0.100,
    "40134": 0.160,
    "40135": 0.150,
    "40136": 0.080,
    "40137": 0.175,
}
WARD_NAMES = FUKUOKA_WARDS

STAGES_7_3 = {
    "対象とした3歳から6歳の未就園児の数": 1327,
    "データ確認等にて支援が必要と思われると確認したこどもの数": 217,
    "関係課による確認を経て、三課協議での確認が必要と判断したこどもの数": 151,
    "三課協議にて、支援が必要と思われると判断したこどもの数": 80,
    "転出等を除き、家庭訪問等のアプローチを実施したこどもの数": 73,
    "接触できた家庭の数": 57,
    "対象家庭におけるニーズの有無（ニーズあり）": 45,
    "対象家庭におけるニーズの有無（ニーズなし）": 12,
    "対象家庭におけるニーズの有無（確認中）": 16,
    "保育園等の就園（手続き）につながった件数": 7,
    "要保護児童対策地域協議会の登録・支援につなげた件数": 2,
    "行政機関等の相談につなげた件数": 2,
    "他の事業につながった件数": 2,
}
ACTS_6_4 = [
    ("助言", "就園について", 28),
    ("", "療育等について", 8),
    ("", "その他", 11),
    ("情報提供", "相談窓口等", 32),
    ("", "入園の手続き", 20),
    ("", "療育等の手続き", 4),
    ("", "各種事業やサービス", 11),
    ("", "その他", 5),
]


@pytest.fixture(scope="module")
def fukuoka() -> FunnelData:
    return published_data("fukuoka", 2025, units=WARDS, unit_names=WARD_NAMES)


@pytest.fixture(scope="module")
def published_tables(fukuoka):
    return build_tables(fukuoka, 2025, policy=PUBLISHED_TOP_LINE)


@pytest.fixture(scope="module")
def default_figures(fukuoka):
    return figures_for_year(fukuoka, 2025)


def year_protected(fig, exempt=()):
    """Every small cell of a year's joint system keeps its width against an independent attacker."""
    values = {k: float(v) for k, v in fig.values.items() if v is not None}
    hidden = set(fig.protection.hidden)
    everything = [k for k in values if k not in exempt]
    for k in [k for k in hidden if 1 <= values[k] < 10]:
        lo, hi = attacker_interval(values, fig.equations, hidden, k)
        need = 9.0
        if exempt:  # only published exempt totals can cap the width below 9
            b_lo, b_hi = attacker_interval(values, fig.equations, everything, k)
            need = min(9.0, b_hi - b_lo)
        assert hi - lo >= need - 1e-6, f"{k} narrowed to [{lo}, {hi}]"


# --------------------------------------------------------------------------- Fukuoka as published


def test_fixture_adds_up_to_the_published_city_figures(fukuoka):
    st = fukuoka.stages.groupby("stage")["count"].sum().to_dict()
    assert st["cohort"] == 1327 and st["approached"] == 73 and st["contact_pending"] == 16
    assert len(fukuoka.units()) == 7


def test_indicators_7_3_equal_the_published_figures(published_tables):
    t = published_tables["indicators"]
    got = {row["measure"]: row["this"] for row in t.rows}
    assert got == STAGES_7_3
    assert t.rows[0]["no"] == "1" and t.rows[5]["no"] == "2" and t.rows[9]["no"] == "3"
    assert t.rows[9]["goal"] == "把握したニーズに合わせた支援の実施"
    shown = dict(zip([r["measure"] for r in t.rows], [row[4] for row in t.display_rows()], strict=True))
    assert shown["対象とした3歳から6歳の未就園児の数"] == "1,327名"
    # last year beside this year: no FY2024 data in the fixture → 「—」 and a plain note
    assert t.rows[0]["prev"] is None and t.display_rows()[0][3] == NO_DATA_LABEL
    assert "令和6年度のデータはありません。" in t.notes


def test_screening_and_support_tables_6_1_to_6_4(published_tables):
    assert [r["this"] for r in published_tables["screening_system"].rows] == [1327, 217]
    assert [r["this"] for r in published_tables["screening_human"].rows] == [151, 80]
    assert published_tables["screening_human"].rows[1]["target"] == "三課協議の結果（=アプローチ対象者）"
    summary = {r["item"]: r["content"] for r in published_tables["support_summary"].rows}
    assert summary["支援対象者数"] == "80名"
    assert summary["支援行動"] == "家庭訪問・保護者への電話連絡等"
    acts = published_tables["support_acts"]
    assert [(r["category"], r["item"], r["this"]) for r in acts.rows] == ACTS_6_4
    assert any("延べ件数" in n for n in acts.notes)
    assert not any(n.startswith("「秘匿」は") for n in acts.notes), "no 秘匿 cell here, so no 秘匿 note"
    assert any(n.startswith("「秘匿」は") for n in published_tables["funnel_by_unit"].notes)


def test_funnel_7_1_and_exclusions(published_tables):
    f = published_tables["funnel"]
    assert [r["this"] for r in f.rows] == [1327, 217, 151, 80, 73, 57]
    assert f.rows[1]["rate_prev"] == pytest.approx(217 / 1327)
    assert f.display_rows()[1][-1] == "16.4%"
    ex = {(r["stage"], r["reason"]): r["this"] for r in published_tables["exclusions"].rows}
    assert ex[("アプローチ", "計（前段階との差）")] == 7
    assert ex[("", "転出等")] == 7
    assert ex[("一次スクリーニング", "計（前段階との差）")] == 1110


def test_ward_breakdown_is_protected_even_with_the_top_line_published(fukuoka, published_tables):
    fig = figures_for_year(fukuoka, 2025, policy=PUBLISHED_TOP_LINE)
    by_ward = published_tables["funnel_by_unit"]
    assert [c.label for c in by_ward.columns][1:] == [*WARD_NAMES.values(), "計"]
    shown = by_ward.display_rows()
    assert shown[0][-1] == "1,327"
    assert SUPPRESSED_LABEL in shown[5], "ward contact counts (57 over seven wards) are small"
    exempt = {k for k in fig.values if k[2] == TOTAL}
    year_protected(fig, exempt=exempt)


def test_default_policy_hides_small_city_figures_too(default_figures, fukuoka):
    fig = default_figures
    for outcome in ("enrolled", "yotaikyo", "consultation_referral", "other_programme"):
        assert is_hidden(fig.cell("outcome", outcome))
    assert is_hidden(fig.cell("act", act_key("information", "developmental_procedure")))  # 4
    assert fig.cell("act", act_key("information", "consultation_desk")) == 32
    assert fig.cell("funnel", "cohort") == 1327
    # 80 and 73 together would give away the 7 moved out (80 − 73): one of them must go
    assert is_hidden(fig.cell("funnel", "conference_approach")) or is_hidden(fig.cell("funnel", "approached"))
    year_protected(fig)
    t = build_tables(fukuoka, 2025)["indicators"]
    assert any("秘匿" in n for n in t.notes)


def test_a_cell_hidden_in_one_table_is_hidden_in_all(fukuoka):
    tables = build_tables(fukuoka, 2025, unit="40136")
    fig = figures_for_year(fukuoka, 2025)
    ward_7_3 = {r["measure"]: r["this"] for r in tables["indicators"].rows}
    assert "城南区" in tables["indicators"].title
    for stage in ("cohort", "secondary_passed", "contacted"):
        label = fig.shape.stage(stage).indicator
        assert is_hidden(ward_7_3[label]) == is_hidden(fig.cell("funnel", stage, "40136"))
    by_ward = {r["row"]: r["40136"] for r in tables["funnel_by_unit"].rows}
    assert is_hidden(by_ward["接触"]) == is_hidden(ward_7_3["接触できた家庭の数"])


# --------------------------------------------------------------------------- years, bad input


def test_last_year_beside_this_year(fukuoka):
    prev = published_data("fukuoka", 2024, units=WARDS, unit_names=WARD_NAMES)
    both = FunnelData.from_records(
        stages=[*fukuoka.stages.to_dict("records"), *prev.stages.to_dict("records")],
        outcomes=fukuoka.outcomes,
        acts=fukuoka.acts,
    )
    t = build_tables(both, 2025, policy=PUBLISHED_TOP_LINE)["indicators"]
    row = t.rows[0]
    assert row["prev"] == 1327 and row["this"] == 1327 and row["change"] == 0
    assert t.display_rows()[0][5] == "±0名"
    outcome = next(r for r in t.rows if r["measure"].startswith("保育園等"))
    assert outcome["prev"] == 0 and outcome["this"] == 7 and outcome["change"] == 7


def test_a_year_with_no_data_still_renders(fukuoka):
    tables = build_tables(fukuoka, 2030)
    for key, t in tables.items():
        assert t.display_rows() is not None, key
    t = tables["indicators"]
    assert all(r["this"] is None for r in t.rows)
    assert "令和12年度のデータはありません。" in t.notes
    assert tables["funnel"].talk == "令和12年度のデータはありません。"


def test_a_ward_with_one_child_and_a_stage_with_zero():
    data = FunnelData.from_records(
        stages=[
            {"fy": 2025, "ward_code": "A", "stage": "cohort", "count": 1},
            {"fy": 2025, "ward_code": "B", "stage": "cohort", "count": 40},
            {"fy": 2025, "ward_code": "B", "stage": "listed", "count": 12},
            {"fy": 2025, "ward_code": "C", "stage": "cohort", "count": 35},
            {"fy": 2025, "ward_code": "C", "stage": "listed", "count": 11},
        ]
    )
    tables = build_tables(data, 2025)
    fig = figures_for_year(data, 2025)
    assert is_hidden(fig.cell("funnel", "cohort", "A"))
    assert fig.cell("funnel", "conference_approach") == 0, "a stage with zero is shown as 0, not hidden"
    funnel = tables["funnel"]
    conference = next(r for r in funnel.rows if r["stage"] == "三課協議")
    assert conference["this"] == 0
    approach = next(r for r in funnel.rows if r["stage"] == "アプローチ")
    assert approach["rate_prev"] is None, "0 of 0 is no rate at all"
    year_protected(fig)


def test_inconsistent_input_gets_a_note_not_a_stack_trace():
    data = FunnelData.from_records(
        stages=[
            {"fy": 2025, "ward_code": "A", "stage": "cohort", "count": 50},
            {"fy": 2025, "ward_code": "A", "stage": "listed", "count": 60},
            {"fy": 2025, "ward_code": "A", "stage": "contacted", "count": 12},
            {"fy": 2025, "ward_code": "A", "stage": "needs_yes", "count": 3},
        ]
    )
    tables = build_tables(data, 2025)
    notes = " ".join(tables["indicators"].notes)
    assert "前の段階より人数が多い" in notes
    assert "合計が一致しません" in notes


def test_input_layout_is_checked():
    with pytest.raises(InputError):
        FunnelData.from_records(stages=[{"fy": 2025, "ward_code": "A", "stage": "cohort", "count": -1}])
    with pytest.raises(InputError):
        FunnelData.from_records(stages=[{"fy": 2025, "stage": "cohort", "count": 1}])
    data = FunnelData.from_records(stages=[{"fy": 2025, "ward_code": "A", "stage": "nonsense", "count": 1}])
    with pytest.raises(InputError):
        figures_for_year(data, 2025)


def test_unit_code_alias_missing_ward_and_duplicates_summed():
    data = FunnelData.from_records(
        stages=[
            {"fy": 2025, "unit_code": "S01", "stage": "cohort", "count": 20},
            {"fy": 2025, "unit_code": "S01", "stage": "cohort", "count": 5},
            {"fy": 2025, "unit_code": None, "stage": "cohort", "count": 30},
        ]
    )
    fig = figures_for_year(data, 2025)
    assert fig.raw("funnel", "cohort", "S01") == 25
    assert fig.raw("funnel", "cohort", "unknown") == 30
    assert data.unit_label("unknown") == "不明"


# --------------------------------------------------------------------------- Izumi and Beppu


def test_izumi_shape():
    schools = {f"S{i:02d}": 1.0 + (i % 4) for i in range(1, 16)}
    data = published_data("izumi", 2025, units=schools)
    t = build_tables(data, 2025, shape=IZUMI, policy=SuppressionPolicy(exempt_totals=("funnel:*:total",)))
    got = {r["measure"]: r["this"] for r in t["indicators"].rows}
    assert got["モデル校に所属し、データを利用できたこどもの数"] == 7347
    assert got["既に要対協に登録されているこどもを除いた数"] == 6500
    assert got["教育・福祉のリスクスコアにより抽出したこどもの数"] == 206
    assert got["うち合算スコア上位"] == 200 and got["うち福祉データのみで高スコア"] == 6
    assert got["学校での聞き取り（SSW）を経て支援を実施したこどもの数"] == 34
    assert [r["this"] for r in t["funnel"].rows] == [7347, 6500, 206, 34]
    assert t["funnel_by_unit"].columns[1].label == "S01"
    assert "学校別" in t["funnel_by_unit"].title


def test_beppu_shape_hides_its_eight_unless_published():
    data = published_data("beppu", 2025)
    hidden = build_tables(data, 2025, shape=BEPPU)["indicators"]
    got = {r["measure"]: r["this"] for r in hidden.rows}
    assert got["リスク判定により抽出したこどもの数"] == 30
    assert is_hidden(got["学校等への聞き取りを経て新たに支援が必要と判断したこどもの数"])
    shown = build_tables(data, 2025, shape=BEPPU, policy=PUBLISHED_TOP_LINE)["indicators"]
    got = {r["measure"]: r["this"] for r in shown.rows}
    assert got["学校等への聞き取りを経て新たに支援が必要と判断したこどもの数"] == 8
    assert (
        got["うち基本連携データ項目の該当数上位"] == 20
        and got["うち基本連携データ項目以外の該当数上位"] == 10
    )
