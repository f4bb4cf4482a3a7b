"""名寄せ: link every school record (児童生徒番号) to a registry child (宛名番号), or say why not.

Order of work, cheapest and most certain first (Fukuoka: a tool, then people; Amagasaki 表 7-1):

1. **対応表** (``stg.student_resident_map``) — the school's own pairing since entry.
2. **Exact four facts** — strict kana, address code, birth date and sex all equal.
3. **Probabilistic** — Splink 5 on the same DuckDB connection, for everyone the 対応表 did not
   settle, with fixed m/u values (``model.py``). Three bands: auto-link, review, reject.
4. **Manual** — decisions people took on the review page (casework ``link_decision``),
   re-applied on every rebuild.

A wrong automatic link is worse than a review, so these always go to review: one pupil with
two plausible children (a rival within ``rival_margin_bits`` of the best), a child whose loose
kana and birth date are shared with another registry child, a child claimed by two school
records, and 対応表 conflicts. Every school record ends in exactly one state: linked (with its
method) or unlinked with a reason — none is dropped.

Inputs are the staged tables ``stg.resident_registry``, ``stg.student_roster`` and (optional)
``stg.student_resident_map`` / ``stg.school_age_register``. Outputs go to schema ``link``.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from kodomo_dash.config import calendar
from kodomo_dash.warehouse.linkage.decisions import Decision, as_decisions
from kodomo_dash.warehouse.linkage.model import TF_COLUMNS, LinkSettings, levels_case_sql, splink_settings
from kodomo_dash.warehouse.linkage.normalise import kana_keys, name_strict

__all__ = ["LinkResult", "link_students", "METHODS", "UNLINKED_REASONS", "REVIEW_REASONS"]

log = logging.getLogger(__name__)

METHODS = ("map", "exact", "probabilistic", "manual")
UNLINKED_REASONS = (
    "in_review",  # waiting for a person on the review page
    "rejected",  # candidates exist but all fell below the review threshold (or were declined)
    "no_candidate",  # nobody in the registry shares a blocking key (graduates, out of city)
    "duplicate_student_no",  # one student number on two different school records
    "missing_student_no",  # a school record without a student number
)
REVIEW_REASONS = (
    "map_conflict",  # the 対応表 pairs one number with two children, or one child with two numbers
    "multiple_candidates",  # a second child scores close to the best one
    "same_name_birth_date",  # the best child shares loose kana and birth date with another child
    "child_claimed_twice",  # the best child is already linked to another school record
    "probability_band",  # the best pair is between the review and the auto-link thresholds
)
STEPS = (
    (1, "map", "対応表による突合"),
    (2, "exact", "4情報の完全一致"),
    (3, "probabilistic", "確率的照合（自動）"),
    (4, "manual", "目視確認による突合"),
)

_PUPIL_SD = "kd_link_pupil"
_RESIDENT_SD = "kd_link_resident"


@dataclass
class LinkResult:
    """What one run did; ``step_summary`` is the same table as ``link.step_summary``."""

    fiscal_year: int
    school_records: int
    linked: dict[str, int]
    review_pairs: int
    review_pupils: int
    unlinked: dict[str, int]
    decisions_applied: int
    decisions_ignored: int
    scored_pairs: int
    seconds: dict[str, float] = field(default_factory=dict)
    step_summary: list[dict[str, Any]] = field(default_factory=list)

    @property
    def linked_total(self) -> int:
        return sum(self.linked.values())

    @property
    def unlinked_total(self) -> int:
        return sum(self.unlinked.values())

    @property
    def unlinked_rate(self) -> float:
        return self.unlinked_total / self.school_records if self.school_records else 0.0


# ---------------------------------------------------------------- helpers


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def _put(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    """Materialise an Arrow table as ``table`` (a fixed name from this module).

    Work tables (``_kd_*``) are TEMP: in memory, never compressed into the warehouse file,
    which costs several times the CPU of the query that fills them.
    """
    view = "__kd_link_upload"
    kind = "temp table" if table.startswith("_kd_") else "table"
    con.register(view, data)
    try:
        con.execute(f"create or replace {kind} {table} as select * from {view}")  # noqa: S608
    finally:
        con.unregister(view)


def _infer_fiscal_year(con: duckdb.DuckDBPyConnection) -> int:
    """The school year the roster's grades refer to: the commonest (entry year + grade - 1).

    Pupils know their own birth date and grade, so on clean rows this is one value; a few
    typos cannot move a mode. Falls back to today's fiscal year on an empty roster.
    """
    calendar.register_sql_functions(con)
    row = con.execute(
        "select first_grade_year(birth_date) + grade - 1 as fy,"
        " count(*) as n from stg.student_roster where birth_date is not null and grade between 1 and 9"
        " group by fy order by n desc, fy desc limit 1"
    ).fetchone()
    if row:
        return int(row[0])
    return calendar.fiscal_year()


# ---------------------------------------------------------------- preparation


def _prepare(con: duckdb.DuckDBPyConnection, fy: int, decisions: list[Decision], floor: int) -> None:
    con.execute("create schema if not exists link")

    # ---------- school side, one unit per student number. Copies of one child under one number
    # (a stale row left at the previous school) collapse to the current row; a number carried by
    # two different children (name, birth date or sex differ) is unusable: duplicate_student_no.
    con.execute(
        "create or replace temp table _kd_roster_all as select distinct student_no, school_code, grade, class_name,"
        " name_kanji, name_kana, birth_date, sex, address_text, address_code, guardian_name, entry_date"
        " from stg.student_roster"
    )
    con.execute(
        "create or replace temp table _kd_roster as select * from _kd_roster_all where student_no is not null"
        " qualify row_number() over (partition by student_no order by class_name is null, entry_date desc nulls last,"
        " school_code, grade, address_code, name_kana, birth_date) = 1"
    )
    con.execute(
        "create or replace temp table _kd_unit as"
        " select r.student_no, a.n_rows, a.n_people, r.school_code, r.grade from ("
        "  select student_no, count(*) as n_rows, count(distinct (name_kana, birth_date, sex)) as n_people"
        "  from _kd_roster_all where student_no is not null group by student_no) a"
        " join _kd_roster r using (student_no)"
    )

    # ---------- registry side: one row per 宛名番号 (a duplicated number keeps its current row)
    columns = (
        " resident_id, household_id, relationship, name_kanji, name_kana, birth_date, sex, alias_name,"
        " address_text, address_code, moved_in_date, moved_out_date,"
        " first_grade_year(birth_date) as entry_year"  # config/calendar.py
        " from stg.resident_registry where resident_id is not null"
    )
    duplicated = con.execute(
        "select count(*) - count(distinct resident_id) from stg.resident_registry where resident_id is not null"
    ).fetchone()[0]
    if duplicated:
        con.execute(
            "create or replace temp table _kd_resident_all as select"
            + columns
            + " qualify row_number() over ("
            "partition by resident_id order by moved_out_date nulls first, moved_in_date desc nulls last,"
            " household_id, name_kana, birth_date, name_kanji) = 1"
        )
    else:
        con.execute("create or replace temp table _kd_resident_all as select" + columns)

    # ---------- manual decisions and the 対応表, both needed to choose which residents to compare
    _put(
        con,
        "_kd_decision",
        pa.table(
            {
                "student_no": pa.array([d.student_no for d in decisions], pa.string()),
                "resident_id": pa.array([d.resident_id for d in decisions], pa.string()),
                "decision": pa.array([d.decision for d in decisions], pa.string()),
                "decided_by": pa.array([d.decided_by for d in decisions], pa.string()),
            }
        ),
    )
    if _table_exists(con, "stg", "student_resident_map"):
        con.execute(
            "create or replace temp table _kd_map_pair as"
            " select distinct m.student_no, m.resident_id from stg.student_resident_map m"
            " join _kd_unit u on u.student_no = m.student_no and u.n_people = 1"
            " join _kd_resident_all r on r.resident_id = m.resident_id"
            " where not exists (select 1 from _kd_decision d where d.student_no = m.student_no"
            " and d.resident_id = m.resident_id and d.decision = 'not_same')"
        )
    else:
        con.execute("create or replace temp table _kd_map_pair (student_no varchar, resident_id varchar)")

    # Registry children compared: born for school ages (with a margin for graduates still on a
    # roster), plus anyone the 対応表 or a person named, whatever their recorded birth date.
    con.execute(
        "create or replace temp table _kd_resident_pick as"
        " select resident_id from _kd_resident_all"
        " where birth_date is null or entry_year between ? and ?"
        " union select resident_id from _kd_map_pair"
        " union select d.resident_id from _kd_decision d join _kd_resident_all r using (resident_id)",
        [fy - 12, fy + 1],
    )

    # ---------- normalised keys, computed once per distinct spelling
    kana = [
        r[0]
        for r in con.execute(
            "select distinct name_kana from ("
            " select name_kana from _kd_roster"
            " union all select a.name_kana from _kd_resident_all a join _kd_resident_pick using (resident_id))"
            " where name_kana is not null order by 1"
        ).fetchall()
    ]
    keys = [kana_keys(v) for v in kana]
    _put(
        con,
        "_kd_kana_key",
        pa.table(
            {
                "raw": pa.array(kana, pa.string()),
                "kana_strict": pa.array([k[0] for k in keys], pa.string()),
                "kana_loose": pa.array([k[1] for k in keys], pa.string()),
                "kana_roman": pa.array([k[2] for k in keys], pa.string()),
            }
        ),
    )
    con.execute(
        "create or replace temp table _kd_guardian_of as"
        " select c.resident_id, g.name_kanji, g.relationship, g.resident_id as guardian_id"
        " from _kd_resident_all c join _kd_resident_pick using (resident_id)"
        " join (select * from _kd_resident_all where relationship in ('1', '2')) g"
        " on g.household_id = c.household_id and g.resident_id <> c.resident_id"
    )
    kanji = [
        r[0]
        for r in con.execute(
            "select distinct n from ("
            " select name_kanji as n from _kd_roster union all select guardian_name from _kd_roster"
            " union all select a.name_kanji from _kd_resident_all a join _kd_resident_pick using (resident_id)"
            " union all select a.alias_name from _kd_resident_all a join _kd_resident_pick using (resident_id)"
            " union all select name_kanji from _kd_guardian_of) where n is not null order by 1"
        ).fetchall()
    ]
    _put(
        con,
        "_kd_kanji_key",
        pa.table(
            {
                "raw": pa.array(kanji, pa.string()),
                "norm": pa.array([name_strict(v) for v in kanji], pa.string()),
            }
        ),
    )

    # ---------- the two Splink inputs: identical columns, one row per unique id
    con.execute(
        "create or replace temp table _kd_pupil_key as"
        " select r.student_no as unique_id, k.kana_strict, k.kana_loose, k.kana_roman, kk.norm as kanji,"
        " null::varchar as alias, r.birth_date, (? - r.grade + 1)::integer as entry_year, r.sex, r.address_code,"
        " case when g.norm is null then []::varchar[] else [g.norm] end as guardians"
        " from _kd_roster r join _kd_unit u on u.student_no = r.student_no and u.n_people = 1"
        " left join _kd_kana_key k on k.raw = r.name_kana"
        " left join _kd_kanji_key kk on kk.raw = r.name_kanji"
        " left join _kd_kanji_key g on g.raw = r.guardian_name"
        " order by unique_id",
        [fy],
    )
    con.execute(
        "create or replace temp table _kd_resident_key as"
        " with guardians as ("
        "  select o.resident_id, list(distinct kk.norm order by kk.norm) as guardians"
        "  from _kd_guardian_of o join _kd_kanji_key kk on kk.raw = o.name_kanji group by o.resident_id)"
        " select a.resident_id as unique_id, k.kana_strict, k.kana_loose, k.kana_roman, kk.norm as kanji,"
        " al.norm as alias, a.birth_date, a.entry_year::integer as entry_year, a.sex, a.address_code,"
        " coalesce(g.guardians, []::varchar[]) as guardians"
        " from _kd_resident_all a join _kd_resident_pick using (resident_id)"
        " left join _kd_kana_key k on k.raw = a.name_kana"
        " left join _kd_kanji_key kk on kk.raw = a.name_kanji"
        " left join _kd_kanji_key al on al.raw = a.alias_name"
        " left join guardians g on g.resident_id = a.resident_id"
        " order by unique_id"
    )
    _tf_tables(con, floor)


def _tf_tables(con: duckdb.DuckDBPyConnection, floor: int) -> None:
    """How common each name is among the registry children compared (Splink's term frequencies).

    Computed here rather than by Splink so the denominator is the registry alone (the pupils
    are the same children again) and is floored like the prior: in a ten-row test a unique
    name must not look as common as one in ten.
    """
    n = con.execute("select count(*) from _kd_resident_key").fetchone()[0]
    denominator = max(n, floor)
    for column in TF_COLUMNS:
        # column names come from model.TF_COLUMNS, a constant
        sql = (
            f"create or replace temp table _kd_tf_{column} as select {column},"  # noqa: S608
            f" count(*) / ?::double as tf_{column} from _kd_resident_key"
            f" where {column} is not null group by {column} order by {column}"
        )
        con.execute(sql, [denominator])


# ---------------------------------------------------------------- passes


def _exact_pass(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create or replace temp table _kd_exact_pair as"
        " select p.unique_id as student_no, r.unique_id as resident_id"
        " from _kd_pupil_rest p join _kd_resident_key r"
        " on p.kana_strict = r.kana_strict and p.address_code = r.address_code"
        " and p.birth_date = r.birth_date and p.sex = r.sex"
        " where not exists (select 1 from _kd_decision d where d.student_no = p.unique_id"
        " and d.resident_id = r.unique_id and d.decision = 'not_same')"
    )


def _splink_pass(con: duckdb.DuckDBPyConnection, settings: LinkSettings) -> int:
    """Score every pupil the 対応表 did not settle against every registry child compared.

    Splink runs on its own in-memory DuckDB: its intermediate tables (blocked pairs, every
    scored pair with its gammas) never get compressed into the warehouse file, nothing of it can
    be left behind in the build, and no Splink setting touches the build's connection. Only the
    inputs (about a hundred thousand short rows at city scale) and the kept pairs cross over.
    """
    from splink import DuckDBAPI, Linker

    n_registry = con.execute("select count(*) from _kd_resident_key").fetchone()[0]
    threads, memory = con.execute(
        "select current_setting('threads'), current_setting('memory_limit')"
    ).fetchone()
    mem = duckdb.connect(config={"threads": int(threads), "memory_limit": str(memory)})
    try:
        inputs = {"pupil": "_kd_pupil_rest", "resident": "_kd_resident_key"}
        inputs.update({f"tf_{c}": f"_kd_tf_{c}" for c in TF_COLUMNS})
        for name, source in inputs.items():
            mem.register("__upload", con.table(source).fetch_arrow_table())
            mem.execute(f"create table {name} as select * from __upload")  # noqa: S608 - constant names
            mem.unregister("__upload")
        db_api = DuckDBAPI(connection=mem)
        left = db_api.register(mem.table("pupil"), dataset_display_name=_PUPIL_SD)
        right = db_api.register(mem.table("resident"), dataset_display_name=_RESIDENT_SD)
        linker = Linker([left, right], splink_settings(settings, n_registry), log_level=logging.WARNING)
        for column in TF_COLUMNS:
            tf = db_api.register(mem.table(f"tf_{column}"), dataset_display_name=f"kd_link_tf_{column}")
            linker.table_management.register_term_frequency_lookup(tf, column)
        pred = linker.inference.predict(warning_mode="never")
        # names below are made by this module and by Splink, never by a user
        sql = (
            "create table scored as"  # noqa: S608
            f" select case when source_dataset_l = '{_PUPIL_SD}' then unique_id_l else unique_id_r end"
            " as student_no,"
            f" case when source_dataset_l = '{_PUPIL_SD}' then unique_id_r else unique_id_l end"
            " as resident_id, match_probability, match_weight"
            f" from {pred.physical_name}"
        )
        mem.execute(sql)
        # the nearest candidate of every pupil Splink saw, kept or not, for 'rejected' vs 'no_candidate'
        best = mem.execute(
            "select student_no, arg_max(resident_id, (match_weight, resident_id)) as resident_id,"
            " max(match_probability) as match_probability from scored group by student_no"
        ).fetch_arrow_table()
        kept = mem.execute(
            "select * from scored where match_probability >= ?", [settings.keep_threshold]
        ).fetch_arrow_table()
        n_scored = mem.execute("select count(*) from scored").fetchone()[0]
    finally:
        mem.close()
    _put(con, "_kd_scored_best", best)
    _put(con, "_kd_scored", kept)
    return int(n_scored)


def _candidate_table(con: duckdb.DuckDBPyConnection, settings: LinkSettings, prior: float) -> None:
    """All pairs worth a look, each with its comparison levels and a probability.

    Probabilities come from Splink; a pair Splink never blocked together (an 対応表 conflict,
    a pair a person linked) gets the same Fellegi-Sunter sum from the same m/u values.
    """
    cases = ", ".join(f"{levels_case_sql(c)} as lvl_{c.name}" for c in settings.comparisons)
    weights = []
    for comp in settings.comparisons:
        whens = " ".join(
            f"when '{lv.label}' then {lv.weight_sql(f'tf_{lv.tf}' if lv.tf else None)}"
            for lv in comp.levels
            if not lv.null
        )
        weights.append(f"(case lvl_{comp.name} {whens} else 0.0 end)")
    tf_cols = ", ".join(f"t_{c}.tf_{c}" for c in TF_COLUMNS)
    tf_joins = " ".join(f"left join _kd_tf_{c} t_{c} on t_{c}.{c} = r.{c}" for c in TF_COLUMNS)
    prior_w = math.log2(prior / (1 - prior))
    cols = ("kana_strict", "kana_loose", "kana_roman", "kanji", "alias", "birth_date", "entry_year", "sex",
            "address_code", "guardians")  # fmt: skip
    side_cols = ", ".join(f"p.{c} as {c}_l, r.{c} as {c}_r" for c in cols)
    level_str = " || ' ' || ".join(f"'{c.name}=' || lvl_{c.name}" for c in settings.comparisons)
    sql = f"""
        create or replace table link.candidate_pair as
        with pairs as (
            select student_no, resident_id from _kd_scored where match_probability >= ?
            union select student_no, resident_id from _kd_exact_pair
            union select m.student_no, m.resident_id from _kd_map_pair m
                  anti join _kd_map_clean c on c.student_no = m.student_no
            union select d.student_no, d.resident_id from _kd_decision d
                  join _kd_pupil_key p on p.unique_id = d.student_no
                  join _kd_resident_key r on r.unique_id = d.resident_id
                  where d.decision in ('link', 'later')
        ),
        sides as (
            select q.student_no, q.resident_id, {side_cols}, {tf_cols}
            from pairs q
            join _kd_pupil_key p on p.unique_id = q.student_no
            join _kd_resident_key r on r.unique_id = q.resident_id
            {tf_joins}
            where not exists (select 1 from _kd_decision d where d.student_no = q.student_no
                              and d.resident_id = q.resident_id and d.decision = 'not_same')
        ),
        labelled as (
            select student_no, resident_id, {", ".join(f"tf_{c}" for c in TF_COLUMNS)}, {cases} from sides
        ),
        weighed as (
            select *, {prior_w!r} + {" + ".join(weights)} as fs_weight from labelled
        )
        select w.student_no, w.resident_id,
               coalesce(s.match_weight, w.fs_weight) as match_weight,
               coalesce(s.match_probability, pow(2, w.fs_weight) / (1 + pow(2, w.fs_weight))) as match_probability,
               s.student_no is not null as scored,
               e.student_no is not null as is_exact,
               m.student_no is not null as is_map,
               {level_str} as levels,
               {", ".join(f"w.lvl_{c.name}" for c in settings.comparisons)},
               {", ".join(f"w.tf_{c}" for c in TF_COLUMNS)}
        from weighed w
        left join _kd_scored s using (student_no, resident_id)
        left join _kd_exact_pair e using (student_no, resident_id)
        left join _kd_map_pair m using (student_no, resident_id)
        order by w.student_no, match_weight desc, w.resident_id
    """  # noqa: S608 - every interpolated piece is a constant of model.py or a float
    con.execute(sql, [settings.keep_threshold])


# ---------------------------------------------------------------- resolution


@dataclass(frozen=True)
class _Cand:
    resident_id: str
    p: float
    w: float
    is_exact: bool
    is_map: bool
    twin_like: bool


def _map_and_decisions(con: duckdb.DuckDBPyConnection, decisions: list[Decision]):
    """Split the 対応表 into clean pairs (in SQL) and conflicts; sort the decisions in force."""
    con.execute(
        "create or replace temp table _kd_map_clean as select student_no, resident_id from ("
        " select *, count(*) over (partition by student_no) as per_student,"
        " count(*) over (partition by resident_id) as per_resident from _kd_map_pair)"
        " where per_student = 1 and per_resident = 1"
    )
    # everyone the 対応表 did not settle goes on to the exact and the probabilistic pass
    con.execute(
        "create or replace temp table _kd_pupil_rest as select p.* from _kd_pupil_key p"
        " anti join _kd_map_clean m on m.student_no = p.unique_id order by p.unique_id"
    )
    map_conflict = {
        r[0]
        for r in con.execute(
            "select distinct student_no from _kd_map_pair anti join _kd_map_clean using (student_no)"
        ).fetchall()
    }

    # ---------- manual decisions in force (oldest first, so the latest 'link' of a pupil wins)
    known = set(
        con.execute(
            "select d.student_no, d.resident_id from _kd_decision d"
            " join _kd_pupil_key p on p.unique_id = d.student_no"
            " join _kd_resident_key r on r.unique_id = d.resident_id"
        ).fetchall()
    )
    manual_link: dict[str, str] = {}
    later: set[tuple[str, str]] = set()
    applied = ignored = 0
    for d in decisions:
        if (d.student_no, d.resident_id) not in known:
            ignored += 1  # the school record or the registry child is gone
            continue
        applied += 1
        if d.decision == "link":
            manual_link[d.student_no] = d.resident_id
        elif d.decision == "later":
            later.add((d.student_no, d.resident_id))
    return map_conflict, manual_link, later, applied, ignored


def _decide(con, settings: LinkSettings, map_conflict, manual_link):
    """Per pupil the 対応表 did not settle: a link, a review (reason + candidates) or a reason.

    Plain Python over sorted rows: the rules read like the issue, and the ten thousand or so
    pupils left after the 対応表 at city scale take well under a second.
    """
    # Registry children sharing loose kana and birth date with another child: id → the others.
    namesakes: dict[str, set[str]] = defaultdict(set)
    for members in con.execute(
        "select list(unique_id order by unique_id) from _kd_resident_key"
        " where kana_loose is not null and birth_date is not null"
        " group by kana_loose, birth_date having count(*) > 1"
    ).fetchall():
        for rid in members[0]:
            namesakes[rid] = set(members[0]) - {rid}
    declined: dict[str, set[str]] = defaultdict(set)
    for s, r in con.execute(
        "select student_no, resident_id from _kd_decision where decision = 'not_same'"
    ).fetchall():
        declined[s].add(r)
    twin_like = set(namesakes)
    cands: dict[str, list[_Cand]] = defaultdict(list)
    for s, r, p, w, ex, mp in con.execute(
        "select student_no, resident_id, match_probability, match_weight, is_exact, is_map"
        " from link.candidate_pair order by student_no, is_exact desc, match_weight desc, resident_id"
    ).fetchall():
        cands[s].append(_Cand(r, float(p), float(w), bool(ex), bool(mp), r in twin_like))
    probs = {(s, c.resident_id): c.p for s, cs in cands.items() for c in cs}
    nearest = {
        s: (r, float(p))
        for s, r, p in con.execute(
            "select b.student_no, b.resident_id, b.match_probability from _kd_scored_best b"
            " where not exists (select 1 from _kd_decision d where d.student_no = b.student_no"
            " and d.resident_id = b.resident_id and d.decision = 'not_same')"
        ).fetchall()
    }

    pupils = [r[0] for r in con.execute("select unique_id from _kd_pupil_rest order by 1").fetchall()]
    links: dict[str, tuple[str, str, float | None]] = {
        s: (r, "manual", probs.get((s, r))) for s, r in sorted(manual_link.items())
    }
    review: dict[str, tuple[str, list[_Cand]]] = {}
    unlinked: dict[str, tuple[str, str | None, float | None]] = {}

    def plausible(cs: list[_Cand]) -> list[_Cand]:
        return [c for c in cs if c.is_exact or c.is_map or c.p >= settings.review_threshold]

    for s in pupils:
        cs = cands.get(s, [])
        if s in manual_link:
            continue
        if s in map_conflict:
            review[s] = ("map_conflict", plausible(cs))
            continue
        if not cs:
            if s in nearest:
                unlinked[s] = ("rejected", *nearest[s])
            else:
                unlinked[s] = ("rejected" if declined.get(s) else "no_candidate", None, None)
            continue
        exact = [c for c in cs if c.is_exact]
        best = exact[0] if exact else cs[0]
        method = "exact" if exact else "probabilistic"
        if not exact and best.p < settings.review_threshold:
            unlinked[s] = ("rejected", best.resident_id, best.p)
            continue
        rivals = [
            c
            for c in plausible(cs)
            if c is not best
            and (
                c.is_exact or (c.p >= settings.review_threshold and best.w - c.w < settings.rival_margin_bits)
            )
        ]
        if rivals:
            review[s] = ("multiple_candidates", plausible(cs))
        elif (
            settings.review_namesakes
            and best.twin_like
            and namesakes[best.resident_id] - declined.get(s, set())
        ):
            # a namesake a person has already declined for this pupil no longer makes it ambiguous
            review[s] = ("same_name_birth_date", plausible(cs))
        elif not exact and best.p < settings.auto_threshold:
            review[s] = ("probability_band", plausible(cs))
        else:
            links[s] = (best.resident_id, method, best.p)

    # ---------- one child, two school records: automatic claims give way to review
    claims: dict[str, list[str]] = defaultdict(list)
    for s, r in con.execute("select student_no, resident_id from _kd_map_clean order by 1").fetchall():
        if s not in manual_link:
            claims[r].append(s)
    for s, (r, _method, _p) in links.items():
        claims[r].append(s)
    for _r, ss in sorted(claims.items()):
        if len(ss) < 2:
            continue
        for s in ss:
            if s in links and links[s][1] in ("exact", "probabilistic"):
                del links[s]
                review[s] = ("child_claimed_twice", plausible(cands.get(s, [])))
    return links, review, unlinked


# ---------------------------------------------------------------- outputs


def _write_outputs(con, settings, links, review, unlinked, later) -> None:
    band = {"map": "auto_link", "exact": "auto_link", "probabilistic": "auto_link", "manual": "manual"}
    ls = sorted(links.items())
    _put(
        con,
        "_kd_links",
        pa.table(
            {
                "student_no": pa.array([s for s, _ in ls], pa.string()),
                "resident_id": pa.array([v[0] for _, v in ls], pa.string()),
                "method": pa.array([v[1] for _, v in ls], pa.string()),
                "match_probability": pa.array([v[2] for _, v in ls], pa.float64()),
                "band": pa.array([band[v[1]] for _, v in ls], pa.string()),
            }
        ),
    )

    con.execute(
        "create or replace table link.student_link as"
        " select student_no, resident_id, method, match_probability, band from ("
        "  select m.student_no, m.resident_id, 'map' as method, null::double as match_probability,"
        "  'auto_link' as band from _kd_map_clean m anti join _kd_links x using (student_no)"
        "  union all select * from _kd_links)"
        " order by student_no"
    )

    # ---------- review queue: one row per candidate pair, both sides shown in full
    rows: dict[str, list] = defaultdict(list)
    for s, (reason, cs) in sorted(review.items()):
        shown = cs[: settings.max_review_candidates]
        for rank, c in enumerate(shown, start=1):
            rows["student_no"].append(s)
            rows["resident_id"].append(c.resident_id)
            rows["review_reason"].append(reason)
            rows["candidate_rank"].append(rank)
            rows["n_candidates"].append(len(cs))
            rows["decision"].append("later" if (s, c.resident_id) in later else None)
    _put(
        con,
        "_kd_review",
        pa.table(
            {
                "student_no": pa.array(rows["student_no"], pa.string()),
                "resident_id": pa.array(rows["resident_id"], pa.string()),
                "review_reason": pa.array(rows["review_reason"], pa.string()),
                "candidate_rank": pa.array(rows["candidate_rank"], pa.int32()),
                "n_candidates": pa.array(rows["n_candidates"], pa.int32()),
                "decision": pa.array(rows["decision"], pa.string()),
            }
        ),
    )
    con.execute(
        """
        create or replace table link.review_queue as
        with queued as (select distinct resident_id from _kd_review),
        guardian as (
            select resident_id, string_agg(name_kanji, '・' order by relationship, guardian_id) as names
            from _kd_guardian_of semi join queued using (resident_id) group by resident_id
        ),
        linked_elsewhere as (
            select resident_id, string_agg(student_no, ',' order by student_no) as student_nos
            from link.student_link semi join queued using (resident_id) group by resident_id
        )
        select
            ---------- the pair
            md5(q.student_no || '|' || q.resident_id) as review_id,
            q.student_no, q.resident_id, q.review_reason, q.candidate_rank, q.n_candidates,
            c.match_probability, c.match_weight, c.levels,
            c.lvl_name, c.lvl_birth, c.lvl_sex, c.lvl_address, c.lvl_guardian,
            c.is_exact, c.is_map, q.decision,
            le.student_nos as resident_linked_to,
            ---------- school side
            s.name_kanji as s_name_kanji, s.name_kana as s_name_kana, s.sex as s_sex,
            s.birth_date as s_birth_date, s.address_text as s_address_text, s.address_code as s_address_code,
            s.school_code as s_school_code, s.grade as s_grade, s.class_name as s_class_name,
            s.guardian_name as s_guardian_name,
            ---------- registry side
            r.name_kanji as r_name_kanji, r.name_kana as r_name_kana, r.sex as r_sex,
            r.birth_date as r_birth_date, r.address_text as r_address_text, r.address_code as r_address_code,
            r.household_id as r_household_id, r.moved_in_date as r_moved_in_date,
            r.moved_out_date as r_moved_out_date, g.names as r_guardian_name,
            sar.school_code as r_school_code,
            coalesce(sar.grade, case when ? - r.entry_year + 1 between 1 and 9
                                     then (? - r.entry_year + 1)::integer end) as r_grade
        from _kd_review q
        join link.candidate_pair c using (student_no, resident_id)
        join _kd_roster s on s.student_no = q.student_no
        join _kd_resident_all r on r.resident_id = q.resident_id
        left join guardian g on g.resident_id = q.resident_id
        left join linked_elsewhere le on le.resident_id = q.resident_id
        left join _kd_school_age sar on sar.resident_id = q.resident_id
        order by q.student_no, q.candidate_rank
        """,
        [settings.fiscal_year, settings.fiscal_year],
    )

    # ---------- unlinked: every unique record not linked, plus the unusable ones
    us = sorted(unlinked.items())
    for s in sorted(review):
        us.append((s, ("in_review", review[s][1][0].resident_id if review[s][1] else None,
                       review[s][1][0].p if review[s][1] else None)))  # fmt: skip
    us.sort()
    _put(
        con,
        "_kd_unlinked",
        pa.table(
            {
                "student_no": pa.array([s for s, _ in us], pa.string()),
                "reason": pa.array([v[0] for _, v in us], pa.string()),
                "best_resident_id": pa.array([v[1] for _, v in us], pa.string()),
                "best_probability": pa.array([v[2] for _, v in us], pa.float64()),
            }
        ),
    )
    con.execute(
        """
        create or replace table link.unlinked as
        select u.student_no, u.reason, x.school_code, x.grade, u.best_resident_id, u.best_probability
        from _kd_unlinked u join _kd_unit x using (student_no)
        union all
        select student_no, 'duplicate_student_no', school_code, grade, null, null
        from _kd_unit where n_people > 1
        union all
        select null, 'missing_student_no', school_code, grade, null, null
        from _kd_roster_all where student_no is null
        order by student_no nulls last, school_code, grade
        """
    )


def _step_summary(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Amagasaki's 表 7-2 per step (records in, linked, failed, error rate) and the total."""
    total = con.execute(
        "select (select count(*) from _kd_unit) + (select count(*) from _kd_roster_all where student_no is null)"
    ).fetchone()[0]
    by_method = dict(con.execute("select method, count(*) from link.student_link group by 1").fetchall())
    in_review = con.execute("select count(*) from link.unlinked where reason = 'in_review'").fetchone()[0]
    rows = []
    remaining = total
    for no, step, step_ja in STEPS:
        linked = int(by_method.get(step, 0))
        failed = remaining - linked
        rows.append(
            {
                "step_no": no,
                "step": step,
                "step_ja": step_ja,
                "records_in": remaining,
                "linked": linked,
                "failed": failed,
                "error_rate": failed / remaining if remaining else 0.0,
                "in_review": in_review if step == "probabilistic" else 0,
            }
        )
        remaining = failed
    linked_all = total - remaining
    rows.append(
        {
            "step_no": 9,
            "step": "total",
            "step_ja": "合計（未突合率）",
            "records_in": total,
            "linked": linked_all,
            "failed": remaining,
            "error_rate": remaining / total if total else 0.0,
            "in_review": in_review,
        }
    )
    _put(
        con,
        "link.step_summary",
        pa.table(
            {
                "step_no": pa.array([r["step_no"] for r in rows], pa.int32()),
                "step": pa.array([r["step"] for r in rows], pa.string()),
                "step_ja": pa.array([r["step_ja"] for r in rows], pa.string()),
                "records_in": pa.array([r["records_in"] for r in rows], pa.int64()),
                "linked": pa.array([r["linked"] for r in rows], pa.int64()),
                "failed": pa.array([r["failed"] for r in rows], pa.int64()),
                "error_rate": pa.array([r["error_rate"] for r in rows], pa.float64()),
                "in_review": pa.array([r["in_review"] for r in rows], pa.int64()),
            }
        ),
    )
    return rows


_WORK_TABLES = (
    "_roster", "_roster_all", "_unit", "_resident_all", "_decision", "_map_pair", "_resident_pick", "_kana_key",
    "_guardian_of", "_kanji_key", "_exact_pair", "_map_clean", "_pupil_rest", "_scored", "_review",
    "_unlinked", "_school_age", "_links", "_scored_best", "_pupil_key", "_resident_key", *(f"_tf_{c}" for c in TF_COLUMNS),
)  # fmt: skip


# ---------------------------------------------------------------- entry point


def link_students(
    con: duckdb.DuckDBPyConnection,
    decisions: Any = None,
    settings: LinkSettings | None = None,
    *,
    keep_work_tables: bool = False,
) -> LinkResult:
    """Link ``stg.student_roster`` to ``stg.resident_registry``; write schema ``link``.

    ``decisions``: the manual decisions in force (``load_decisions(casework)``, or tuples
    ``(student_no, resident_id, decision)``); applied on every run so a decided pair never
    returns to the queue. Deterministic: the same inputs give the same tables, row for row.
    """
    settings = settings or LinkSettings()
    decs = as_decisions(decisions)
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    seconds: dict[str, float] = {}

    fy = settings.fiscal_year or _infer_fiscal_year(con)
    if settings.fiscal_year != fy:
        from dataclasses import replace

        settings = replace(settings, fiscal_year=fy)
    calendar.register_sql_functions(con)  # first_grade_year: the school-year cut of config/calendar.py
    _prepare(con, fy, decs, settings.prior_floor_population)
    if _table_exists(con, "stg", "school_age_register"):
        con.execute(
            "create or replace temp table _kd_school_age as select resident_id, any_value(school_code) as school_code,"
            " any_value(grade) as grade from stg.school_age_register where resident_id is not null group by 1"
        )
    else:
        con.execute(
            "create or replace temp table _kd_school_age (resident_id varchar, school_code varchar, grade integer)"
        )
    seconds["prepare"] = time.perf_counter() - t0

    t = time.perf_counter()
    map_conflict, manual_link, later, applied, ignored = _map_and_decisions(con, decs)
    _exact_pass(con)
    seconds["deterministic"] = time.perf_counter() - t

    t = time.perf_counter()
    scored = _splink_pass(con, settings)
    seconds["probabilistic"] = time.perf_counter() - t

    t = time.perf_counter()
    n_registry = con.execute("select count(*) from _kd_resident_key").fetchone()[0]
    prior = settings.probability_two_random_records_match or 1.0 / max(
        n_registry, settings.prior_floor_population
    )
    _candidate_table(con, settings, prior)
    links, review, unlinked = _decide(con, settings, map_conflict, manual_link)
    _write_outputs(con, settings, links, review, unlinked, later)
    steps = _step_summary(con)
    # the normalised keys stay in the warehouse for four-fact search and the review page
    con.execute("create or replace table link.pupil_key as select * from _kd_pupil_key")
    con.execute("create or replace table link.resident_key as select * from _kd_resident_key")
    if not keep_work_tables:
        for name in _WORK_TABLES:
            con.execute(f"drop table if exists _kd{name}")
    seconds["resolve"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    seconds["cpu"] = time.process_time() - cpu0  # all threads: what an idle machine would need

    linked = {m: 0 for m in METHODS}
    linked.update(dict(con.execute("select method, count(*) from link.student_link group by 1").fetchall()))
    reasons = dict(con.execute("select reason, count(*) from link.unlinked group by 1 order by 1").fetchall())
    review_pairs = con.execute("select count(*) from link.review_queue").fetchone()[0]
    result = LinkResult(
        fiscal_year=fy,
        school_records=steps[0]["records_in"],
        linked=linked,
        review_pairs=int(review_pairs),
        review_pupils=len(review),
        unlinked={k: int(v) for k, v in reasons.items()},
        decisions_applied=applied,
        decisions_ignored=ignored,
        scored_pairs=int(scored),
        seconds={k: round(v, 3) for k, v in seconds.items()},
        step_summary=steps,
    )
    log.info("linkage: %s", result)
    return result
