"""The probabilistic pass: Splink scores, and the candidate table every decision reads.

Its own module because it is the one part with a model: Splink 5 with the fixed m/u values of
``model.py``, run on a private in-memory DuckDB, and the Fellegi-Sunter sum written in SQL for
the pairs Splink never blocked together, so ``link.candidate_pair`` gives every pair worth a look
one probability from one model. The candidate SQL is built from the model's comparisons and
term-frequency columns, so it stays here beside them; the fixed queries are in ``sql/19``, ``20``.
"""

from __future__ import annotations

import logging
import math

import duckdb

from kodomo_dash.warehouse.linkage.model import TF_COLUMNS, LinkSettings, levels_case_sql, splink_settings
from kodomo_dash.warehouse.linkage.statements import statement
from kodomo_dash.warehouse.linkage.tables import put

_PUPIL_SD = "kd_link_pupil"
_RESIDENT_SD = "kd_link_resident"


def splink_pass(con: duckdb.DuckDBPyConnection, settings: LinkSettings) -> int:
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
        best = mem.execute(statement("scored_best")).fetch_arrow_table()
        kept = mem.execute(statement("scored_kept"), [settings.keep_threshold]).fetch_arrow_table()
        n_scored = mem.execute("select count(*) from scored").fetchone()[0]
    finally:
        mem.close()
    put(con, "_kd_scored_best", best)
    put(con, "_kd_scored", kept)
    return int(n_scored)


def prior_probability(con: duckdb.DuckDBPyConnection, settings: LinkSettings) -> float:
    """The chance two random records match: the setting, else one over the registry children
    compared, floored so a small test registry does not make every pair look likely."""
    n_registry = con.execute("select count(*) from _kd_resident_key").fetchone()[0]
    return settings.probability_two_random_records_match or 1.0 / max(
        n_registry, settings.prior_floor_population
    )


def candidate_table(con: duckdb.DuckDBPyConnection, settings: LinkSettings, prior: float) -> None:
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
            "address_code", "guardians", "given_loose", "guardian_givens", "arrival")  # fmt: skip
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
