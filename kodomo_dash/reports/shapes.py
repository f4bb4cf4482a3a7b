"""Programme shapes: which stages a city's push support has, and how its report names them.

Why a declaration and not code per city: Fukuoka, Izumi and Beppu run the same kind of funnel
with different stages (Fukuoka: cohort → primary → secondary → 三課協議 → approach → contact;
Izumi: model-school children → excluding 要対協 → top scores → supported; Beppu: top item
counts → supported). The indicator tables, the suppression equations and the deck are built
from this one description, so a new city is one more entry here.

Stage, reason, act and outcome codes are the casework funnel views' own (``casework.funnel``,
``casework.vocabulary``, the screening methods' list parts), so the funnel page, the deck and the
exports cannot drift apart through a renaming; only the words printed in the tables are the
report's. A code the casework does not have (a gap the system screening left, Beppu's "支援"
grouping) names something only the report counts. See
``docs/decisions/010-report-inputs-and-suppression.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kodomo_dash.casework import vocabulary


@dataclass(frozen=True)
class Stage:
    """One stage. ``indicator`` is the 測定指標 wording of 図表 7-3, ``flow`` the wording of the
    6-1/6-2 tables, ``short`` the chart label, ``note`` the 補足. ``group`` is the 7-3 No."""

    code: str
    short: str
    indicator: str
    flow: str = ""
    note: str = ""
    group: int = 1
    decided_at: str = ""
    """The workflow stage (``vocabulary.STAGES``) whose exclusions explain who did not reach this bar:
    the casework records a decision at a stage, the report counts the drop before a bar."""


@dataclass(frozen=True)
class Item:
    """An outcome (7-3 No.3) or a support act (6-4): ``category`` groups acts (助言, 情報提供)."""

    code: str
    label: str
    category: str = ""
    category_label: str = ""
    note: str = ""


@dataclass(frozen=True)
class ProgrammeShape:
    """A city's funnel.

    ``chain``: stages in order; each is a subset of the one before, and the difference is the
    children excluded at that stage (by ``exclusion_reasons``). ``splits``: a stage that is the
    sum of other stages (Fukuoka: approached = contacted + pending; contacted = needs yes + no).
    ``funnel``: the stages drawn as bars of 図表 7-1. ``system_stages`` / ``human_stages``: the
    rows of 図表 6-1 / 6-2. ``support_stage``: the 支援対象者数 of 図表 6-3.
    """

    key: str
    city: str
    unit_label: str
    stages: tuple[Stage, ...]
    chain: tuple[str, ...]
    splits: tuple[tuple[str, tuple[str, ...]], ...]
    funnel: tuple[str, ...]
    system_stages: tuple[str, ...]
    human_stages: tuple[str, ...]
    support_stage: str
    goals: dict[int, str]
    outcomes: tuple[Item, ...] = ()
    acts: tuple[Item, ...] = ()
    exclusion_reasons: dict[str, str] = field(default_factory=dict)
    support_actions: tuple[str, ...] = ()
    support_kinds: tuple[str, ...] = ()
    titles: dict[str, str] = field(default_factory=dict)
    programme: str = "こどもデータ連携によるプッシュ型支援"

    def stage(self, code: str) -> Stage:
        for s in self.stages:
            if s.code == code:
                return s
        raise KeyError(code)

    @property
    def stage_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.stages)

    def title(self, key: str) -> str:
        return self.titles.get(key, DEFAULT_TITLES.get(key, key))

    def reason_label(self, code: str) -> str:
        """The report's wording where the published report words a reason its own way, else the casework's."""
        return self.exclusion_reasons.get(code) or COMMON_REASONS.get(code) or CASEWORK_REASONS.get(code, code)


DEFAULT_TITLES = {
    "overview": "概要",
    "funnel": "支援結果の全体像",
    "screening_system": "システム等による確認の結果",
    "screening_human": "人による確認の結果",
    "support_summary": "支援内容",
    "support_acts": "支援内容（延べ件数）",
    "factors": "類似性に影響した主なデータ項目",
    "indicators": "成果・進捗状況",
    "lessons": "実証事業を通じて得られた示唆",
    "funnel_by_unit": "段階別の人数（区別）",
    "exclusions": "段階ごとの除外理由",
    "exclusions_by_unit": "段階ごとの除外理由（区別）",
    "acts_by_unit": "支援内容（延べ件数・区別）",
    "outcomes_by_unit": "支援につながった件数（区別）",
    "conversion": "段階間の移行率（95%信頼区間）",
    "contact_comparison": "接触できたこどもと確認中のこどもの比較",
    "year_over_year": "前年度との比較",
    "capacity": "訪問の計画と実績",
}

UNRECORDED = "unrecorded"
# Every reason a casework decision records, in the casework's words (the same code means one thing).
CASEWORK_REASONS = {
    code: label
    for domain in (vocabulary.SECONDARY_REASONS, vocabulary.CONFERENCE_REASONS, vocabulary.APPROACH_REASONS,
                   vocabulary.SCHOOL_REASONS)
    for code, label in domain.items()
}  # fmt: skip
COMMON_REASONS = {
    UNRECORDED: "理由の記録なし",
    "in_support": "既に支援中",
    "enrolled": "保育園等に所属",
    "moved_out": "転出等",
    "other": "その他",
}

FUKUOKA = ProgrammeShape(
    key="fukuoka",
    city="福岡市",
    unit_label="区",
    stages=(
        Stage("cohort", "3〜6歳の未就園児", "対象とした3歳から6歳の未就園児の数", "3歳から6歳の未就園児",
              "乳幼児健診後から就学前までの「制度の狭間」にあり、所属がないこども。", group=1),
        Stage("listed", "一次スクリーニング", "データ確認等にて支援が必要と思われると確認したこどもの数",
              "一次スクリーニングの結果（データ分析及び支援中のこどもの除外等）",
              "対象児にデータ確認を行い、類似性が高いこどもから既に支援等につながっているこどもを除外。"),
        Stage("secondary_passed", "二次スクリーニング",
              "関係課による確認を経て、三課協議での確認が必要と判断したこどもの数",
              "二次スクリーニングの結果（支援中のこどもの除外等）",
              "各課にて必要な調査（現支援ケースか、所属の有無等）を実施。", decided_at="secondary"),
        Stage("conference_approach", "三課協議", "三課協議にて、支援が必要と思われると判断したこどもの数",
              "三課協議の結果（=アプローチ対象者）", "二次スクリーニング後のこどもについて三課協議を実施。",
              decided_at="conference"),
        Stage("approached", "アプローチ", "転出等を除き、家庭訪問等のアプローチを実施したこどもの数", "",
              "アプローチ対象者から、転出等によりアプローチが不要となった者を除く。", decided_at="approach"),
        Stage("contacted", "接触", "接触できた家庭の数", "", "家庭訪問や電話等で保護者と接触できた家庭。", group=2),
        Stage("needs_yes", "ニーズあり", "対象家庭におけるニーズの有無（ニーズあり）", "",
              "接触できた家庭について、ニーズの有無を確認。", group=2),
        Stage("needs_no", "ニーズなし", "対象家庭におけるニーズの有無（ニーズなし）", "", "同上。", group=2),
        Stage("contact_pending", "確認中", "対象家庭におけるニーズの有無（確認中）", "",
              "未接触のケースについてはアプローチ等を継続中。", group=2),
    ),
    chain=("cohort", "listed", "secondary_passed", "conference_approach", "approached"),
    splits=(("approached", ("contacted", "contact_pending")), ("contacted", ("needs_yes", "needs_no"))),
    funnel=("cohort", "listed", "secondary_passed", "conference_approach", "approached", "contacted"),
    system_stages=("cohort", "listed"),
    human_stages=("secondary_passed", "conference_approach"),
    support_stage="conference_approach",
    goals={
        1: "見守り・支援へ接続・実施したこどもの割合・件数",
        2: "支援対象となったこどもや家庭における相談ニーズの把握",
        3: "把握したニーズに合わせた支援の実施",
    },
    outcomes=(
        Item("enrolled", "保育園等の就園（手続き）につながった件数",
             note="就園の意義や手続きを説明し、就園あるいはその手続きにつなげた。"),
        Item("yotaikyo", "要保護児童対策地域協議会の登録・支援につなげた件数",
             note="関係機関の見守りが加わり、要対協の登録・支援につなげた。"),
        Item("consultation_referral", "行政機関等の相談につなげた件数", note="発達や就学に関する不安等の相談につなげた。"),
        Item("other_programme", "他の事業につながった件数", note="見守りを兼ねた市の事業等につなげた。"),
    ),
    acts=(
        Item("enrolment", "就園について", "advice", "助言"),
        Item("developmental", "療育等について", "advice", "助言"),
        Item("other", "その他", "advice", "助言"),
        Item("consultation_desk", "相談窓口等", "information", "情報提供"),
        Item("enrolment_procedure", "入園の手続き", "information", "情報提供"),
        Item("developmental_procedure", "療育等の手続き", "information", "情報提供"),
        Item("services", "各種事業やサービス", "information", "情報提供"),
        Item("other", "その他", "information", "情報提供"),
    ),
    exclusion_reasons={
        "screened_out": "データ確認で類似性が基準未満",
        "in_support": "既に支援中",
        "enrolled": "保育園等に所属",
        "in_support_elsewhere": "既に支援中",
        "low_need": "三課協議でアプローチ不要と判断",
        "moved_out": "転出等",
        "enrolled_since": "保育園等に所属",
        "other": "その他",
    },
    support_actions=("家庭訪問", "保護者への電話連絡等"),
    support_kinds=("相談支援", "情報提供", "就園案内"),
    titles={
        "funnel": "図表 7-1 支援結果の全体像",
        "screening_system": "図表 6-1 システム等による確認の結果",
        "screening_human": "図表 6-2 人による確認の結果",
        "support_summary": "図表 6-3 支援内容",
        "support_acts": "図表 6-4 支援内容（延べ件数）",
        "factors": "図表 7-2 類似性に影響した主なデータ項目",
        "indicators": "図表 7-3 成果・進捗状況",
        "lessons": "図表 8-1 実証事業を通じて得られた示唆",
    },
)  # fmt: skip

IZUMI = ProgrammeShape(
    key="izumi",
    city="和泉市",
    unit_label="学校",
    stages=(
        Stage("cohort", "モデル校のこども", "モデル校に所属し、データを利用できたこどもの数", "モデル校のこども（データ利用可）"),
        Stage("eligible", "要対協登録済みを除外", "既に要対協に登録されているこどもを除いた数", "既に要対協に登録されているこどもを除外"),
        Stage("listed", "リスクスコア上位", "教育・福祉のリスクスコアにより抽出したこどもの数",
              "合算スコア上位＋福祉データのみの高スコア", "教育側と福祉側のスコアを合算した上位と、福祉側のみ高いこども。"),
        Stage("top", "合算スコア上位", "うち合算スコア上位", "合算スコア上位"),
        Stage("welfare_only", "福祉のみ高スコア", "うち福祉データのみで高スコア", "福祉データのみで高スコア"),
        Stage("school_supported", "支援実施", "学校での聞き取り（SSW）を経て支援を実施したこどもの数",
              "支援を実施したこども", "SSWの聞き取り結果とシステム判定を踏まえて決定。", group=2,
              decided_at="school_decision"),
    ),
    chain=("cohort", "eligible", "listed", "school_supported"),
    splits=(("listed", ("top", "welfare_only")),),
    funnel=("cohort", "eligible", "listed", "school_supported"),
    system_stages=("cohort", "eligible", "listed"),
    human_stages=("school_supported",),
    support_stage="school_supported",
    goals={1: "システム判定により支援候補を把握したこどもの数", 2: "支援へ接続したこどもの数", 3: "支援の方針"},
    outcomes=(
        Item("school_yotaikyo", "要対協のケース会議で支援方針を決定した件数"),
        Item("school_watch", "学校等での見守りとした件数"),
    ),
    exclusion_reasons={"yotaikyo_registered": "既に要対協に登録", "below_top": "スコアが上位に入らない",
                       "low_risk": "聞き取りの結果、支援不要"},
    support_actions=("SSWによる学校での聞き取り", "要対協ケース会議"),
    support_kinds=("要対協による支援", "学校等での見守り"),
)  # fmt: skip

BEPPU = ProgrammeShape(
    key="beppu",
    city="別府市",
    unit_label="学校",
    stages=(
        Stage("listed", "リスク判定で抽出", "リスク判定により抽出したこどもの数", "リスクが高いこども（該当項目数の上位）"),
        Stage("basic", "基本項目の上位", "うち基本連携データ項目の該当数上位", "基本連携データ項目の該当数上位"),
        Stage("other", "その他項目の上位", "うち基本連携データ項目以外の該当数上位", "その他の項目の該当数上位"),
        Stage("school_supported", "新たに支援", "学校等への聞き取りを経て新たに支援が必要と判断したこどもの数",
              "新たに支援が必要なこども", "該当数が最上位のこどもは既に支援中のことが多い。", group=2,
              decided_at="school_decision"),
    ),
    chain=("listed", "school_supported"),
    splits=(("listed", ("basic", "other")),),
    funnel=("listed", "school_supported"),
    system_stages=("listed", "basic", "other"),
    human_stages=("school_supported",),
    support_stage="school_supported",
    goals={1: "リスク判定により支援候補を把握したこどもの数", 2: "支援へ接続したこどもの数", 3: "支援の実施"},
    acts=(
        Item("school_other_support", "相談支援", "support", "支援"),
        Item("school_watch", "見守り支援", "support", "支援"),
    ),
    exclusion_reasons={"low_risk": "聞き取りの結果、支援不要"},
    support_actions=("学校等の所属機関への聞き取り", "支援担当者会議"),
    support_kinds=("相談支援", "見守り支援"),
)  # fmt: skip

SHAPES = {"fukuoka": FUKUOKA, "izumi": IZUMI, "beppu": BEPPU}


def shape_for(name: str) -> ProgrammeShape:
    """The shape for a shape key or a scenario name (``"izumi-fy2025"`` → Izumi)."""
    key = name.split("-", 1)[0].lower()
    try:
        return SHAPES[key]
    except KeyError:
        known = ", ".join(sorted(SHAPES))
        raise ValueError(
            f"事業の形「{name}」は登録されていません（登録済み: {known}）。 / unknown shape"
        ) from None
