"""The figures and texts the cities published, as report inputs.

Why here: the tests check that the indicator tables reproduce exactly what Fukuoka published
(図表 6-1 … 7-3), and the demo deck needs the texts the model and the meeting supply (図表 7-2
factors, 図表 8-1 lessons) before a city has typed its own. The ward split is not published:
:func:`published_data` spreads the city figures over wards in proportion to given weights,
keeping every ward's funnel consistent (each stage within the one before, the needs split
adding up), so the by-ward tables and their suppression have something realistic to work on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kodomo_dash.reports.indicators import FunnelData
from kodomo_dash.reports.shapes import BEPPU, FUKUOKA, IZUMI

FUKUOKA_FY2025 = {
    "stages": {
        "cohort": 1327,
        "listed": 217,
        "secondary_passed": 151,
        "conference_approach": 80,
        "approached": 73,
        "contacted": 57,
        "needs_yes": 45,
        "needs_no": 12,
        "contact_pending": 16,
    },
    # Only the reason the report states: 80 → 73 "転出等を除く".
    "exclusions": {("approached", "moved_out"): 7},
    "outcomes": {"enrolled": 7, "yotaikyo": 2, "consultation_referral": 2, "other_programme": 2},
    "acts": {
        ("advice", "enrolment"): 28,
        ("advice", "developmental"): 8,
        ("advice", "other"): 11,
        ("information", "consultation_desk"): 32,
        ("information", "enrolment_procedure"): 20,
        ("information", "developmental_procedure"): 4,
        ("information", "services"): 11,
        ("information", "other"): 5,
    },
}

IZUMI_FY2025 = {
    "stages": {
        "cohort": 7347,
        "eligible": 6500,
        "listed": 206,
        "top": 200,
        "welfare_only": 6,
        "school_supported": 34,
    },
    "exclusions": {("eligible", "yotaikyo_registered"): 847},
    "outcomes": {},
    "acts": {},
}

BEPPU_FY2025 = {
    "stages": {"listed": 30, "basic": 20, "other": 10, "school_supported": 8},
    "exclusions": {},
    "outcomes": {},
    "acts": {},
}

PUBLISHED = {
    "fukuoka": (FUKUOKA, FUKUOKA_FY2025),
    "izumi": (IZUMI, IZUMI_FY2025),
    "beppu": (BEPPU, BEPPU_FY2025),
}

FUKUOKA_SUPPORT_PERIOD = "令和7年9月～"

FUKUOKA_FACTORS = (
    "母親の妊娠届における妊娠時の年齢",
    "保健師によるアプローチ、フォロー回数（訪問・電話）",
    "世帯内のこどもの人数",
    "世帯構成（ひとり親かどうか）",
    "児童扶養手当の受給状況",
    "母親の妊娠届出日から出産予定日までの日数",
    "乳幼児健診（直近）の結果（総合判定）",
)

# 図表 8-1, shortened to fit slides: (phase, issue, response, effect).
FUKUOKA_LESSONS = (
    ("データを取り扱う主体の整理・役割分担", "現場職員を支える体制（マニュアル・研修）の充実が求められた。",
     "現場職員が参加する検討会等の場を設けた。", "運用方法が実態に沿ったものとなり、支援がより円滑になった。"),
    ("利用するデータ項目", "各データの更新頻度や業務背景の理解が必要であった。",
     "業務背景を踏まえて各データ項目の活用方法を決定した。", "情報の適切な活用につなげることができた。"),
    ("個人情報取扱いに係る検討", "プライバシー保護の観点に基づく対応が必要であった。",
     "要綱・要領で保護体制を定め、チェックシートで年次点検を行った。", "定期的に点検する体制と仕組みを構築できた。"),
    ("こどもデータ連携の仕組みの構築", "手作業による月次取込みで、更新頻度の向上が求められた。",
     "首長部局のデータを自動連携することとした。", "情報更新の迅速化と連携精度の向上、職員負担の軽減。"),
    ("データ準備等", "外字を含む住所が一致せず、名寄せで紐づかないケースがあった。",
     "紐づけに用いる「住所」を「住所コード」に変更した。", "名寄せの精度が向上し、目視確認の工数を削減できた。"),
    ("支援への接続", "行政からの突然の訪問に驚かれることもあった。",
     "研修で予防的支援の意義と訪問のポイントを学び、趣旨を丁寧に説明した。", "ニーズに応じて就園案内や相談支援、情報提供を行えた。"),
    ("事業効果の評価・分析", "事業評価の適切な基準を定めることが難しい。",
     "訪問等の実施件数、ニーズの確認件数等の定量指標を中心に整理した。", "振り返りや改善の材料として指標を参考にできた。"),
)  # fmt: skip


def apportion(total: int, weights: Sequence[float], caps: Sequence[int] | None = None) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder), never above ``caps``."""
    n = len(weights)
    caps = list(caps) if caps is not None else [total] * n
    if total > sum(caps):
        raise ValueError("total exceeds the caps")
    out = [0] * n
    free = [i for i in range(n) if caps[i] > 0]
    remaining = total
    while remaining > 0:
        w = [max(float(weights[i]), 0.0) for i in free]
        if sum(w) <= 0:
            w = [1.0] * len(free)
        shares = [remaining * x / sum(w) for x in w]
        for j, i in enumerate(free):
            out[i] += min(int(shares[j]), caps[i] - out[i])
        left = total - sum(out)
        for j in sorted(range(len(free)), key=lambda j: (-(shares[j] - int(shares[j])), free[j])):
            if left == 0:
                break
            if out[free[j]] < caps[free[j]]:
                out[free[j]] += 1
                left -= 1
        remaining = total - sum(out)
        free = [i for i in free if out[i] < caps[i]]
    return out


def published_data(
    name: str,
    fy: int = 2025,
    *,
    units: Mapping[str, float] | None = None,
    unit_names: Mapping[str, str] | None = None,
) -> FunnelData:
    """A ``FunnelData`` holding the city's published figures for ``fy``, spread over ``units``
    (code → weight). City totals equal the published figures exactly."""
    shape, fig = PUBLISHED[name.split("-", 1)[0]]
    units = dict(units or {"all": 1.0})
    codes = list(units)
    weights = [units[c] for c in codes]
    per_unit: dict[str, list[int]] = {}
    stages = fig["stages"]
    first = shape.chain[0]
    per_unit[first] = apportion(stages[first], weights)
    for parent, child in zip(shape.chain, shape.chain[1:], strict=False):
        per_unit[child] = apportion(stages[child], per_unit[parent], caps=per_unit[parent])
    for total, parts in shape.splits:
        base = per_unit[total]
        rest = list(base)
        for part in parts[:-1]:
            per_unit[part] = apportion(stages[part], base, caps=rest)
            rest = [r - p for r, p in zip(rest, per_unit[part], strict=True)]
        per_unit[parts[-1]] = rest
    stage_rows = [
        {"fy": fy, "ward_code": u, "stage": s, "count": per_unit[s][i]}
        for s in per_unit
        for i, u in enumerate(codes)
    ]
    excl_rows = []
    for (stage, reason), n in fig["exclusions"].items():
        parent = shape.chain[shape.chain.index(stage) - 1]
        gap = [p - c for p, c in zip(per_unit[parent], per_unit[stage], strict=True)]
        for i, v in enumerate(apportion(n, gap, caps=gap)):
            excl_rows.append({"fy": fy, "ward_code": codes[i], "stage": stage, "reason": reason, "count": v})
    base = per_unit.get("contacted") or per_unit[shape.support_stage]
    outcome_rows = [
        {"fy": fy, "ward_code": codes[i], "outcome": o, "count": v}
        for o, n in fig["outcomes"].items()
        for i, v in enumerate(apportion(n, base))
    ]
    act_rows = [
        {"fy": fy, "ward_code": codes[i], "category": cat, "item": item, "count": v}
        for (cat, item), n in fig["acts"].items()
        for i, v in enumerate(apportion(n, base))
    ]
    return FunnelData.from_records(
        stages=stage_rows, exclusions=excl_rows, outcomes=outcome_rows, acts=act_rows, unit_names=unit_names
    )
