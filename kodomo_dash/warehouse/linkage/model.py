"""The probabilistic model for 名寄せ: comparisons, their m/u values, blocking, bands.

Why fixed parameters rather than EM training on every build:

* The probabilistic pass sees only the pupils the 対応表 and the exact pass left over — a
  few thousand at Fukuoka scale, a handful in a test — too few and too odd a sample for EM to
  estimate m values from, and a rebuild must not move links because a sampler drew
  differently. Fixed values make the result a pure function of the data and the settings.
* The values are written as probabilities a reader can check against the reports: m is how
  often a true pair shows the level (e.g. 10% of school addresses are stale), u how often two
  different school-age children do (about 1 in 4,700 share a birth date over 13 school years).
* The prior (``probability_two_random_records_match``) is 1 / (registry children compared),
  floored at 1 / 20,000 so a ten-row test set behaves like a town, not like a family.

Every level is plain SQL on ``<column>_l`` / ``<column>_r``; the same text labels pairs that
Splink did not score (an 対応表 conflict), so the review page always shows which levels fired.
String distances run on the romanised key only (see ``normalise``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Level",
    "Comparison",
    "COMPARISONS",
    "BLOCKING_RULES",
    "TF_COLUMNS",
    "LinkSettings",
    "splink_settings",
]


@dataclass(frozen=True)
class Level:
    """One comparison level: a SQL condition over ``x_l``/``x_r`` and its m/u probabilities."""

    label: str
    sql: str
    m: float | None = None
    u: float | None = None
    null: bool = False
    tf: str | None = None  # term-frequency column: common names weigh less (u is then the floor)

    def weight_sql(self, tf_expr: str | None = None) -> str:
        """log2(m/u), or with a term frequency log2(m / greatest(tf, u)) as Splink computes it."""
        if self.tf and tf_expr:
            return f"log2({self.m!r} / greatest(coalesce({tf_expr}, {self.u!r}), {self.u!r}))"
        return repr(math.log2(self.m / self.u))


@dataclass(frozen=True)
class Comparison:
    name: str
    description: str
    levels: tuple[Level, ...]

    def gamma_labels(self) -> dict[int, str]:
        """Splink's gamma value → label: -1 for the null level, then n-1 … 0 top to bottom."""
        out: dict[int, str] = {}
        non_null = [lv for lv in self.levels if not lv.null]
        for lv in self.levels:
            if lv.null:
                out[-1] = lv.label
        for i, lv in enumerate(non_null):
            out[len(non_null) - 1 - i] = lv.label
        return out


_BIRTH_NULL_RATE = 0.01  # share of school records with a blank birth date (Amagasaki: 3.6%)

COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "name",
        "kana (strict, loose key, romaji distance) and kanji together, so one name is not counted twice",
        (
            Level("null", '"kana_loose_l" IS NULL OR "kana_loose_r" IS NULL', null=True),
            Level(
                "exact",
                '"kana_strict_l" = "kana_strict_r" AND "kanji_l" = "kanji_r"',
                m=0.74,
                u=1e-5,
                tf="kanji",
            ),
            Level("kana_exact", '"kana_strict_l" = "kana_strict_r"', m=0.12, u=2e-5, tf="kana_loose"),
            Level("variant", '"kana_loose_l" = "kana_loose_r"', m=0.07, u=2e-5, tf="kana_loose"),
            # a foreign pupil known at school by the 通称名 registered as the alias
            Level("alias", '"kanji_l" = "alias_r" OR "alias_l" = "kanji_r"', m=0.02, u=1e-6),
            Level("kanji_only", '"kanji_l" = "kanji_r"', m=0.01, u=1e-5, tf="kanji"),
            Level(
                "one_edit",
                'damerau_levenshtein("kana_roman_l", "kana_roman_r") <= 1',
                m=0.015,
                u=1e-4,
            ),
            Level(
                "similar",
                'jaro_winkler_similarity("kana_roman_l", "kana_roman_r") >= 0.92',
                m=0.01,
                u=1e-3,
            ),
            # only the surname differs: a divorce, an adoption or a remarriage (decision 063)
            Level("given_name", '"given_loose_l" = "given_loose_r"', m=0.01, u=1e-4, tf="given_loose"),
            Level("different", "ELSE", m=0.005, u=0.9987),
        ),
    ),
    Comparison(
        "birth",
        "birth date; with a blank date, the school year implied by the grade",
        (
            # entry_year is null only when the registry date (or the pupil's grade) is missing
            Level("null", '"entry_year_l" IS NULL OR "entry_year_r" IS NULL', null=True),
            Level("exact", '"birth_date_l" = "birth_date_r"', m=0.95, u=2.2e-4),
            Level(
                "typo",
                "damerau_levenshtein(strftime(\"birth_date_l\", '%Y%m%d'), strftime(\"birth_date_r\", '%Y%m%d')) <= 1"
                ' OR (year("birth_date_l") = year("birth_date_r")'
                ' AND month("birth_date_l") = day("birth_date_r") AND day("birth_date_l") = month("birth_date_r"))',
                m=0.02,
                u=3e-3,
            ),
            Level(
                "blank_same_school_year",
                '("birth_date_l" IS NULL OR "birth_date_r" IS NULL) AND "entry_year_l" = "entry_year_r"',
                m=_BIRTH_NULL_RATE * 0.98,
                u=_BIRTH_NULL_RATE * 0.08,
            ),
            Level(
                "blank_other_school_year",
                '"birth_date_l" IS NULL OR "birth_date_r" IS NULL',
                m=_BIRTH_NULL_RATE * 0.02,
                u=_BIRTH_NULL_RATE * 0.92,
            ),
            Level("same_school_year", '"entry_year_l" = "entry_year_r"', m=0.005, u=0.08),
            Level("different", "ELSE", m=0.005, u=0.9168),
        ),
    ),
    Comparison(
        "sex",
        "sex code",
        (
            Level("null", '"sex_l" IS NULL OR "sex_r" IS NULL', null=True),
            Level("exact", '"sex_l" = "sex_r"', m=0.995, u=0.5),
            Level("different", "ELSE", m=0.005, u=0.5),
        ),
    ),
    Comparison(
        "address",
        "address code (never the text: 外字 variants); stale codes are common after a move",
        (
            Level("null", '"address_code_l" IS NULL OR "address_code_r" IS NULL', null=True),
            Level("exact", '"address_code_l" = "address_code_r"', m=0.88, u=1e-4),
            # 13 digits: ward (5), town (2), chome (2), banchi (2), go (2)
            Level("same_chome", 'left("address_code_l", 9) = left("address_code_r", 9)', m=0.02, u=3e-3),
            Level("same_ward", 'left("address_code_l", 5) = left("address_code_r", 5)', m=0.03, u=0.14),
            Level("different", "ELSE", m=0.07, u=0.8569),
        ),
    ),
    Comparison(
        "guardian",
        "guardian name against the household head and spouse (kanji, NFKC); weak on purpose: a namesake"
        " shares the surname, so only the given name can differ",
        (
            Level("null", 'len("guardians_l") = 0 OR len("guardians_r") = 0', null=True),
            Level("exact", 'len(list_intersect("guardians_l", "guardians_r")) > 0', m=0.8, u=5e-3),
            # the parent's given name alone: the surname changed with the child's (decision 063)
            Level(
                "given_name",
                'len(list_intersect("guardian_givens_l", "guardian_givens_r")) > 0',
                m=0.05,
                u=0.01,
            ),
            Level("different", "ELSE", m=0.15, u=0.985),
        ),
    ),
    Comparison(
        "arrival",
        "the school's 入学・転入日 against the registry's 転入日: a pupil who arrived with a move into the"
        " city transfers within days of it (decision 063); most children were born here (null)",
        (
            Level("null", '"arrival_l" IS NULL OR "arrival_r" IS NULL', null=True),
            Level("agrees", 'abs(date_diff(\'day\', "arrival_l", "arrival_r")) <= 31', m=0.4, u=0.01),
            Level("different", "ELSE", m=0.6, u=0.99),
        ),
    ),
)

# Every rule is an equi-join, so DuckDB hashes it. The pupil's school year comes from the grade,
# so it exists even when the birth date is blank: name + school year and address + school year
# give such a pupil candidates; birth date + sex finds a misspelt name or a changed address; the
# kanji name finds a kana reading the loose key cannot fold. Each rule is narrow enough that a
# pupil meets tens, not thousands, of children (a city shares full names more than one expects).
BLOCKING_RULES: tuple[str, ...] = (
    'l."kana_loose" = r."kana_loose" AND l."entry_year" = r."entry_year"',
    'l."birth_date" = r."birth_date" AND l."sex" = r."sex"',
    'l."address_code" = r."address_code" AND l."entry_year" = r."entry_year"',
    'l."kanji" = r."kanji" AND l."entry_year" = r."entry_year"',
)

# Columns with a term-frequency table (registry children, see ``prepare.tf_tables``).
TF_COLUMNS: tuple[str, ...] = ("kana_loose", "kanji", "given_loose")


@dataclass(frozen=True)
class LinkSettings:
    """Everything a city may tune; the defaults are the ones measured in the decision record.

    ``auto_threshold``: match probability from which a probabilistic pair is linked without a
    person. ``review_threshold``: below it a pair is rejected. ``rival_margin_bits``: a second
    candidate at or above the review threshold whose match weight is within this many bits of
    the best one sends the pupil to review (one pupil matching two children).
    ``review_namesakes``: a child whose loose kana and birth date are shared with another registry
    child goes to review unless the other facts put the namesake ``namesake_margin_bits`` behind
    (decision 063); with ``False`` such a namesake only forces review when it is itself a
    plausible rival (the margin rule). ``fiscal_year``:
    the school year the grades refer to; inferred from the roster when ``None``.
    """

    auto_threshold: float = 0.99
    review_threshold: float = 0.2
    rival_margin_bits: float = 6.0
    review_namesakes: bool = True
    namesake_margin_bits: float = 20.0
    keep_threshold: float = 0.01
    max_review_candidates: int = 5
    fiscal_year: int | None = None
    prior_floor_population: int = 20_000
    probability_two_random_records_match: float | None = None
    comparisons: tuple[Comparison, ...] = field(default=COMPARISONS)
    blocking_rules: tuple[str, ...] = field(default=BLOCKING_RULES)

    def __post_init__(self) -> None:
        if not 0 < self.review_threshold <= self.auto_threshold < 1:
            raise ValueError("need 0 < review_threshold <= auto_threshold < 1")


def splink_settings(settings: LinkSettings, n_registry: int) -> dict[str, Any]:
    """The Splink 5 settings dict (link_only, fixed m/u, no training)."""
    prior = settings.probability_two_random_records_match
    if prior is None:
        prior = 1.0 / max(n_registry, settings.prior_floor_population)
    comparisons = []
    for comp in settings.comparisons:
        levels = []
        for lv in comp.levels:
            d: dict[str, Any] = {"sql_condition": lv.sql, "label_for_charts": lv.label}
            if lv.null:
                d["is_null_level"] = True
            else:
                d["m_probability"] = lv.m
                d["u_probability"] = lv.u
            if lv.tf:
                d["tf_adjustment_column"] = lv.tf
                d["tf_adjustment_weight"] = 1.0
                d["tf_minimum_u_value"] = lv.u
                d["disable_tf_exact_match_detection"] = True
            levels.append(d)
        comparisons.append(
            {
                "output_column_name": comp.name,
                "comparison_description": comp.description,
                "comparison_levels": levels,
            }
        )
    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": list(settings.blocking_rules),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
    }


def levels_case_sql(comp: Comparison) -> str:
    """``CASE WHEN … THEN 'label' … END`` for one comparison, for pairs Splink did not score."""
    whens = []
    for lv in comp.levels:
        if lv.sql == "ELSE":
            whens.append(f"ELSE '{lv.label}'")
        else:
            whens.append(f"WHEN {lv.sql} THEN '{lv.label}'")
    return "CASE " + " ".join(whens) + " END"
