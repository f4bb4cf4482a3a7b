"""The audit-trail services directly: admin-only reads, the look-up and the export audited, the chain
verified, formula cells defused, and "who viewed this child" under the card's own right."""

from __future__ import annotations

import pandas as pd
import pytest

from kodomo_dash.security.matrix import AccessDenied
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import audit as svc
from kodomo_dash.services.unit_of_work import unit_of_work
from tests.casework_people import empty_casework, rows

ADMIN = Principal("admin_a", "admin")
MANAGER = Principal("mgr", "manager")
STAFF = Principal("staff_higashi", "ward_staff", ward_codes=("40131",))


@pytest.fixture
def folder(tmp_path, monkeypatch):
    folder = empty_casework(tmp_path, monkeypatch)
    with unit_of_work(STAFF, "child_card", "view") as w:  # two card views, as the card page writes them
        w.record("view_child", resident_id="R0000001", target="card")
        w.record("view_child", resident_id="R0000002", target="card")
    return folder


def test_only_the_admin_reads_the_log_and_a_refusal_reads_nothing(folder):
    before = rows(folder, "select count(*) from audit_log where action <> 'access_denied'")
    for who in (MANAGER, STAFF):
        with pytest.raises(AccessDenied):
            svc.audit_rows(who, record=True)
    assert rows(folder, "select count(*) from audit_log where action <> 'access_denied'") == before
    log = svc.audit_rows(ADMIN)
    assert list(log.columns) == svc.COLUMNS
    views = log[log["action"] == "view_child"]  # (a refusal may leave its own access_denied row)
    assert list(views["resident_id"]) == ["R0000002", "R0000001"]  # newest first


def test_a_look_up_is_audited_with_its_fields_never_their_values(folder):
    found = svc.audit_rows(ADMIN, resident_id="R0000001", record=True)
    assert list(found["resident_id"]) == ["R0000001"]
    (detail,) = rows(folder, "select detail from audit_log where action = 'search' and target = 'audit_log'")[0]
    assert "resident_id" in detail and "R0000001" not in detail


def test_who_viewed_a_child_follows_the_cards_right(folder):
    viewers = svc.viewers_of_child(STAFF, "R0000001")
    assert list(viewers["username"]) == ["staff_higashi"]
    with pytest.raises(AccessDenied):
        svc.viewers_of_child(Principal("eval", "evaluator"), "R0000001")


def test_the_chain_verifies_and_the_export_defuses_formulas_and_is_audited(folder):
    assert svc.verify_status(ADMIN, full=True).ok
    data = svc.audit_csv(ADMIN, pd.DataFrame({"username": ["=cmd()"], "resident_id": ["R0000001"]}))
    text = data.decode("utf-8-sig")
    assert "'=cmd()" in text and "\n=cmd()" not in text
    assert rows(folder, "select count(*) from audit_log where action = 'export' and target = 'audit_log'") == [(1,)]
    assert svc.verify_status(ADMIN).ok  # resumes after the rows it walked; the new ones are intact too
    assert "staff_higashi" in svc.audit_usernames(ADMIN)
