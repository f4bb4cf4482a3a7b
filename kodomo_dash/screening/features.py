"""The screening input contract, in one place.

`features.child_features` (built by `sql/30_features_*.sql`) has one row per child. Every
method, the saved model and the tests read column names from here, so a renamed or
dropped column shows up as one clear Japanese error instead of a KeyError deep inside
scikit-learn. The Japanese labels and phrases here are what managers read as reasons.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kodomo_dash.config.messages import msg
from kodomo_dash.screening.errors import ScreeningError


@dataclass(frozen=True)
class Column:
    """One column of `features.child_features`.

    kind: id / date / code / flag (0/1, 0 = 非該当) / count / number / ordinal / label.
    phrase: how a value reads as a reason; `{v}` is the value. For flags, on/off phrases.
    restricted: only the 要対協 office may see it; never a model feature or a reason.
    """

    name: str
    label_ja: str
    kind: str
    phrase: str = ""
    phrase_off: str = ""
    unit: str = ""
    restricted: bool = False


CHECKUP_RESULTS_JA = {1: "異常なし", 2: "既医療", 3: "要観察", 4: "要精密", 5: "要治療"}

COLUMNS: tuple[Column, ...] = (
    Column("resident_id", "宛名番号", "id"),
    Column("household_id", "世帯番号", "id"),
    Column("ward_code", "区コード", "code"),
    Column("birth_date", "生年月日", "date"),
    Column("age_years", "年齢", "count", "年齢 {v}歳", unit="歳"),
    Column("age_months", "月齢", "count", "月齢 {v}か月", unit="か月"),
    Column("sex", "性別", "code"),
    Column("foreign_national", "外国籍", "flag", "外国籍", "日本国籍"),
    Column("mother_age_at_notification", "母親の妊娠届における妊娠時の年齢", "number", "母親の妊娠届出時年齢が{v}歳", unit="歳"),
    Column("weeks_at_notification", "届出時妊娠週数", "count", "妊娠届出が妊娠{v}週", unit="週"),
    Column("days_notification_to_due", "母親の妊娠届出日から出産予定日までの日数", "count",
           "妊娠届出から出産予定日まで{v}日", unit="日"),
    Column("nurse_contacts", "保健師によるアプローチ、フォロー回数（訪問・電話）", "count", "保健師の訪問・電話 {v}回", unit="回"),
    Column("nurse_visits", "保健師の訪問回数", "count", "保健師の訪問 {v}回", unit="回"),
    Column("nurse_calls", "保健師の電話回数", "count", "保健師の電話 {v}回", unit="回"),
    Column("n_children_household", "世帯内のこどもの人数", "count", "世帯内のこども {v}人", unit="人"),
    Column("single_parent", "世帯構成（ひとり親かどうか）", "flag", "ひとり親世帯", "ふたり親世帯"),
    Column("multiple_birth", "多胎児", "flag", "多胎児", "多胎児ではない"),
    Column("public_assistance", "生活保護の受給状況", "flag", "生活保護受給世帯", "生活保護の受給なし"),
    Column("child_rearing_allowance", "児童扶養手当の受給状況", "flag", "児童扶養手当を受給", "児童扶養手当の受給なし"),
    Column("special_child_allowance", "特別児童扶養手当の受給状況", "flag", "特別児童扶養手当を受給", "特別児童扶養手当の受給なし"),
    Column("single_parent_loan", "母子父子寡婦福祉資金の貸付", "flag", "母子父子寡婦福祉資金の貸付あり", "母子父子寡婦福祉資金の貸付なし"),
    Column("medical_subsidy_single_parent", "ひとり親家庭等医療費助成", "flag", "ひとり親家庭等医療費助成あり",
           "ひとり親家庭等医療費助成なし"),
    Column("latest_checkup_result", "乳幼児健診（直近）の結果（総合判定）", "ordinal", "直近の乳幼児健診の総合判定が「{v}」"),
    Column("missed_checkup_4m", "3～4か月児健診の未受診", "flag", "3～4か月児健診が未受診", "3～4か月児健診を受診"),
    Column("missed_checkup_18m", "1歳6か月児健診の未受診", "flag", "1歳6か月児健診が未受診", "1歳6か月児健診を受診"),
    Column("missed_checkup_3y", "3歳児健診の未受診", "flag", "3歳児健診が未受診", "3歳児健診を受診"),
    Column("epds_max", "産婦健診のEPDS評価点数（最大）", "count", "産婦健診のEPDSが{v}点", unit="点"),
    Column("disability_handbook", "障害者手帳", "flag", "障害者手帳あり", "障害者手帳なし"),
    Column("guardian_disability", "保護者の障害認定", "flag", "保護者に障害認定あり", "保護者の障害認定なし"),
    Column("child_disability_service", "障害児通所・入所サービスの利用", "flag", "障害児通所・入所サービスを利用",
           "障害児通所・入所サービスの利用なし"),
    Column("enrolled_any", "保育園・幼稚園等への所属（認可外を含む）", "flag", "保育園・幼稚園等に所属", "保育園・幼稚園等に未所属"),
    Column("enrolled_licensed", "認可保育園等への所属", "flag", "認可保育園等に所属", "認可保育園等に未所属"),
    Column("newborn_visit_done", "乳児家庭全戸訪問", "flag", "乳児家庭全戸訪問を実施済み", "乳児家庭全戸訪問が未実施"),
    Column("absence_days", "欠席日数", "count", "欠席 {v}日", unit="日"),
    Column("late_days", "遅刻日数", "count", "遅刻 {v}日", unit="日"),
    Column("max_consecutive_absence", "連続欠席日数（最長）", "count", "連続欠席 最長{v}日", unit="日"),
    Column("attendance_ratio", "出席比率", "number", "出席比率 {v}"),
    Column("height_cm", "身長", "number", "身長 {v}cm", unit="cm"),
    Column("weight_kg", "体重", "number", "体重 {v}kg", unit="kg"),
    Column("untreated_caries", "未処置の虫歯の本数", "count", "未処置の虫歯 {v}本", unit="本"),
    Column("school_expense_aid", "就学援助の受給", "flag", "就学援助を受給", "就学援助の受給なし"),
    Column("lunch_arrears_months", "給食費の滞納月数", "count", "給食費の滞納 {v}か月", unit="か月"),
    Column("lifestyle_concern", "生活習慣等調査で気になる回答", "flag", "生活習慣等調査で気になる回答あり",
           "生活習慣等調査で気になる回答なし"),
    Column("dv_report_household", "世帯のDV通告歴", "flag", "世帯にDVの通告歴あり", "世帯にDVの通告歴なし"),
    Column("consultation_count", "相談歴の件数", "count", "相談歴 {v}件", unit="件"),
    Column("open_consultation", "対応中の相談", "flag", "対応中の相談あり", "対応中の相談なし"),
    Column("yotaikyo_open", "要対協に登録中", "flag", "要対協に登録中", "要対協に登録なし"),
    Column("past_temporary_protection", "一時保護歴", "flag", "一時保護歴あり", "一時保護歴なし"),
    Column("past_support_case", "過去の支援ケース（養護相談（虐待））", "label"),
    Column("tax_exempt", "住民税非課税", "flag", restricted=True),
    Column("grade", "学年", "ordinal", "{v}年生"),
    Column("school_code", "学校コード", "code"),
)

BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
LABEL = "past_support_case"

# Columns `cohorts.derive` adds; rule items may use them like any feature column.
DERIVED_COLUMNS: dict[str, Column] = {
    c.name: c
    for c in (
        Column("fiscal_age", "年度当初（4月1日）の年齢", "count", "年度当初の年齢 {v}歳"),
        Column("stage", "就学段階", "code"),
        Column("weight_pct", "体重の同年齢・同性内パーセンタイル", "number", "体重が同年齢・同性の下位{v}%"),
        Column("height_pct", "身長の同年齢・同性内パーセンタイル", "number", "身長が同年齢・同性の下位{v}%"),
        Column("any_disability", "障害（本人の手帳または障害児サービス）", "flag", "障害あり", "障害なし"),
    )
}

# Features the similarity model learns from (図表 7-2 items are among them). Left out on
# purpose, see docs/decisions/030-screening-methods.md: identifiers and dates; ward, sex and
# nationality (checked for fairness instead of learned); tax (restricted); and columns
# that are consequences of being a support case (open/past consultation, 要対協, 一時保護),
# which would let the model find children who are already known instead of similar ones.
MODEL_FEATURES: tuple[str, ...] = (
    "age_months",
    "mother_age_at_notification",
    "weeks_at_notification",
    "days_notification_to_due",
    "nurse_contacts",
    "nurse_visits",
    "nurse_calls",
    "n_children_household",
    "single_parent",
    "multiple_birth",
    "public_assistance",
    "child_rearing_allowance",
    "special_child_allowance",
    "single_parent_loan",
    "medical_subsidy_single_parent",
    "latest_checkup_result",
    "missed_checkup_4m",
    "missed_checkup_18m",
    "missed_checkup_3y",
    "epds_max",
    "disability_handbook",
    "guardian_disability",
    "child_disability_service",
    "enrolled_any",
    "enrolled_licensed",
    "newborn_visit_done",
    "absence_days",
    "late_days",
    "max_consecutive_absence",
    "attendance_ratio",
    "height_cm",
    "weight_kg",
    "untreated_caries",
    "school_expense_aid",
    "lunch_arrears_months",
    "lifestyle_concern",
    "dv_report_household",
)

# Columns that record what happened *because* a child was a support case (the label is
# 'ever a consultation with main complaint 養護相談（虐待）', so every positive has
# consultation_count >= 1). A method using them partly re-finds the label instead of
# predicting it; the model card compares methods with and without them.
LABEL_DERIVED: tuple[str, ...] = (
    "consultation_count", "open_consultation", "yotaikyo_open", "past_temporary_protection", LABEL,
)

assert not [f for f in MODEL_FEATURES if BY_NAME[f].restricted or f in LABEL_DERIVED]


# Features shown as one factor in reasons and in the 図表 7-2 table: their SHAP values are
# summed (SHAP is additive, so the group's contribution is exact). Key = the member whose
# label the group carries.
REASON_GROUPS: dict[str, tuple[str, ...]] = {
    "nurse_contacts": ("nurse_contacts", "nurse_visits", "nurse_calls"),
}


def describe_group(key: str, values: dict[str, object]) -> str:
    """Plain Japanese for a group of features, e.g. '保健師の訪問・電話 5回（訪問 2回・電話 3回）'."""
    if key == "nurse_contacts":
        total, visits, calls = (values.get(k) for k in REASON_GROUPS[key])
        if total is None:
            return describe_value("nurse_contacts", None)
        text = describe_value("nurse_contacts", total)
        if visits is not None and calls is not None:
            text += f"（訪問 {int(visits)}回・電話 {int(calls)}回）"
        return text
    return describe_value(key, values.get(key))


OPTIONAL_COLUMNS: dict[str, Column] = {
    c.name: c
    for c in (
        Column("class_age", "クラス年齢（4月1日時点の年齢）", "count"),
        Column("school_linked", "学校データと名寄せ済み", "flag", "学校データと名寄せ済み", "学校データと未名寄せ"),
        Column("checkup_questionnaire_flags", "健診アンケートの該当数", "count", "健診アンケートの該当 {v}件"),
        Column("q_hit_emotionally", "健診アンケート（感情的に叩いた）", "flag", "健診アンケートで「感情的に叩いた」", ""),
        Column("q_left_alone", "健診アンケート（家に残して外出）", "flag", "健診アンケートで「家に残して外出」", ""),
        Column("q_no_food", "健診アンケート（長時間食事を与えなかった）", "flag", "健診アンケートで「長時間食事を与えなかった」", ""),
        Column("q_covered_mouth", "健診アンケート（子どもの口をふさいだ）", "flag", "健診アンケートで「子どもの口をふさいだ」", ""),
        Column("q_shook", "健診アンケート（子どもを激しく揺さぶった）", "flag", "健診アンケートで「子どもを激しく揺さぶった」", ""),
        Column("irregular_prenatal_checkup", "妊婦健診の不定期受診", "flag", "妊婦健診の受診が不定期", ""),
        Column("moved_out", "転出", "flag", "転出", ""),
    )
}


def column(name: str) -> Column:
    if name in BY_NAME:
        return BY_NAME[name]
    if name in DERIVED_COLUMNS:
        return DERIVED_COLUMNS[name]
    if name in OPTIONAL_COLUMNS:
        return OPTIONAL_COLUMNS[name]
    raise ScreeningError(msg("sc.unknown_column", name=name), code="unknown_column")


def label_ja(name: str) -> str:
    try:
        return column(name).label_ja
    except ScreeningError:
        return name


def feature_signature(features: Iterable[str]) -> str:
    """A short hash of an ordered feature list, stored with a model and with each run."""
    return hashlib.sha256("\n".join(features).encode()).hexdigest()[:16]


def require_columns(frame: pd.DataFrame, names: Iterable[str], context_ja: Any) -> None:
    """Fail early, in Japanese, when the frame lacks columns a step needs."""
    missing = [n for n in names if n not in frame.columns]
    if missing:
        shown = "、".join(f"{label_ja(n)}（{n}）" for n in missing[:8])
        more = msg("sc.more_columns", n=len(missing) - 8) if len(missing) > 8 else ""
        raise ScreeningError(msg("sc.missing_columns", context=context_ja, shown=shown, more=more),
                             code="missing_columns")  # fmt: skip


def _format_number(v: float) -> str:
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.1f}"


def describe_value(name: str, value: object) -> str:
    """Plain Japanese for one feature value of one child, e.g. '母親の妊娠届出時年齢が18歳'."""
    col = column(name)
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return f"{col.label_ja}のデータなし"
    if col.kind == "flag":
        on = int(value) == 1
        return (col.phrase if on else col.phrase_off) or f"{col.label_ja}: {'あり' if on else 'なし'}"
    if name == "latest_checkup_result":
        return col.phrase.format(v=CHECKUP_RESULTS_JA.get(int(value), str(value)))
    if name == "attendance_ratio":
        return col.phrase.format(v=f"{float(value):.0%}")
    if col.phrase:
        return col.phrase.format(v=_format_number(float(value)))
    return f"{col.label_ja}: {value}"
