"""Casework views are defined once, in casework/views/*.sql, and recreated when that folder changes."""

from __future__ import annotations

import re

import duckdb

from kodomo_dash.infra import migrate as m


def test_each_view_is_defined_once_and_new_migrations_hold_tables_only():
    names = [n for p in sorted(m.VIEWS_DIR.glob("*.sql"))
             for n in re.findall(r"create or replace view (\w+)", p.read_text(encoding="utf-8"))]  # fmt: skip
    assert len(names) == len(set(names)) and {"wf_child_state", "funnel_counts", "wf_visit_capacity"} <= set(names)
    for path in sorted(m.MIGRATIONS_DIR.glob("*.sql")):
        if int(path.name[:3]) >= 70:  # from decision 058 on, a migration never defines a view
            assert "create or replace view" not in path.read_text(encoding="utf-8"), path.name


def test_views_are_recreated_when_the_folder_changes_and_only_then(tmp_path, monkeypatch):
    con = duckdb.connect(str(tmp_path / "c.duckdb"))
    m.migrate(con)
    assert "programme" in [c[0] for c in con.execute("describe funnel_counts").fetchall()]
    assert m.ensure_views(con) is False  # nothing changed: nothing rerun
    extra = tmp_path / "views"
    extra.mkdir()
    for p in m.VIEWS_DIR.glob("*.sql"):
        (extra / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    (extra / "99_probe.sql").write_text("create or replace view probe as select 1 as one;\n", encoding="utf-8")
    monkeypatch.setattr(m, "VIEWS_DIR", extra)
    assert m.ensure_views(con) is True
    assert con.execute("select one from probe").fetchone() == (1,)
    con.close()


def test_a_changed_label_in_the_vocabulary_reaches_the_label_table_on_the_next_open(monkeypatch):
    from kodomo_dash.casework import vocabulary

    con = duckdb.connect()
    m.migrate(con)
    assert m.ensure_views(con) is False  # nothing changed since migrate
    monkeypatch.setitem(vocabulary.DEPARTMENTS, "health", "保健福祉課（改称）")
    assert m.ensure_views(con) is True
    assert con.execute("select label_ja from wf_code_label where domain = 'department' and code = 'health'"
                       ).fetchone() == ("保健福祉課（改称）",)  # fmt: skip
    assert m.ensure_views(con) is False
