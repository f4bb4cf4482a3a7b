"""こどもカード opened from a link (?rid=) and its household table's 続柄 labels, through app.py."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kodomo_dash.infra.db import casework_connection
from tests.signin import app_as

RELATIONSHIPS = {"世帯主", "配偶者", "子", "父母", "祖父母", "兄弟姉妹", "孫", "その他"}


def _child_in(warehouse: Path, ward: str) -> str:
    con = duckdb.connect(str(warehouse / "kodomo.duckdb"), read_only=True)
    try:
        return con.execute("select resident_id from core.child where ward_code = ? and age_years between 6 and 12"
                           " order by resident_id limit 1", [ward]).fetchone()[0]
    finally:
        con.close()


def _card_by_link(role: str, rid: str):
    at = app_as(role, page="child_card")
    at.query_params["rid"] = rid
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_link_to_an_own_ward_child_opens_the_card(built_warehouse):
    rid = _child_in(built_warehouse, "40131")
    at = _card_by_link("ward_staff", rid)
    assert not at.error
    assert rid in [m.value for m in at.metric]


def test_a_link_to_another_wards_child_is_refused_and_audited(built_warehouse):
    rid = _child_in(built_warehouse, "40132")
    at = _card_by_link("ward_staff", rid)
    assert any("担当範囲外" in e.value for e in at.error)
    assert not at.metric
    with casework_connection() as con:
        denied = con.execute("select count(*) from audit_log where username = 'ward_staff'"
                             " and action = 'access_denied' and resident_id = ?", [rid]).fetchone()[0]
    assert denied >= 1


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "' or 1=1 --", "1" * 5000, "../../etc/passwd"])
def test_a_nasty_link_is_answered_like_a_missing_child(built_warehouse, text):
    at = _card_by_link("admin", text)
    assert any("担当範囲外" in e.value for e in at.error)
    assert not at.metric
    assert not any("<script>" in m.value for m in at.markdown)


def test_household_shows_relationship_labels_not_codes(built_warehouse):
    rid = _child_in(built_warehouse, "40131")
    at = _card_by_link("manager", rid)
    household = next(df.value for df in at.dataframe if "relationship" in df.value.columns)
    values = set(household["relationship"].dropna())
    assert values and values <= RELATIONSHIPS | {v for v in values if str(v).startswith("⚠")}
    assert "子" in values


def test_relationship_label_keeps_an_unknown_code_visible():
    from kodomo_dash.services.children import relationship_label

    assert relationship_label("1") == "世帯主"
    assert relationship_label("3") == "子"
    assert relationship_label("X") == "⚠X"
    assert relationship_label(None) is None


def _child_with_siblings(warehouse: Path, ward: str) -> tuple[str, set[str]]:
    """A child of `ward` whose household (all in that ward) holds at least one other child: (id, siblings' names)."""
    con = duckdb.connect(str(warehouse / "kodomo.duckdb"), read_only=True)
    try:
        rid, household = con.execute(
            "select c.resident_id, c.household_id from core.child as c where c.ward_code = ? and"
            " (select count(*) from core.child as s where s.household_id = c.household_id) >= 2 and"
            " not exists (select 1 from core.household_member as m where m.household_id = c.household_id"
            " and m.ward_code <> ?) order by c.resident_id limit 1", [ward, ward]).fetchone()
        names = {n for (n,) in con.execute("select name_kanji from core.child where household_id = ? and"
                                           " resident_id <> ?", [household, rid]).fetchall()}
    finally:
        con.close()
    return rid, names


def test_a_ward_nurse_sees_the_siblings_in_the_household_tab(built_warehouse):
    rid, siblings = _child_with_siblings(built_warehouse, "40131")
    at = _card_by_link("ward_staff", rid)
    assert not at.error
    household = next(df.value for df in at.dataframe if "programmes" in df.value.columns)
    assert siblings and siblings <= set(household["name_kanji"])
    assert list(household.loc[household["me"] == "◎", "name_kanji"]) != []
    assert "子" in set(household["relationship"]) and not {"tax_exempt", "income_band"} & set(household.columns)
    with casework_connection() as con:
        shown = con.execute("select n_children from audit_log where username = 'ward_staff' and action = 'view_child'"
                            " and target = 'household' and resident_id = ? order by seq desc limit 1",
                            [rid]).fetchone()
    assert shown is not None and shown[0] >= len(siblings) + 1
