"""The privacy checklist services directly: the page's own right, one save audited, bad input refused."""

from __future__ import annotations

import datetime as dt

import pytest

from kodomo_dash.security.matrix import AccessDenied
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import privacy
from tests.casework_people import empty_casework, rows

MANAGER = Principal("mgr", "manager")
STAFF = Principal("staff_higashi", "ward_staff", ward_codes=("40131",))


@pytest.fixture
def folder(tmp_path, monkeypatch):
    return empty_casework(tmp_path, monkeypatch)


def test_a_manager_saves_an_item_and_reads_it_back_with_its_audit_row(folder):
    fy = privacy.fiscal_year(dt.date.today())
    assert privacy.fiscal_years(MANAGER) == [fy]
    answer = privacy.save_answer(MANAGER, fy, 1, dt.date.today(), "山田", "研修記録 2025-06")
    assert privacy.checklist(MANAGER, fy)[1] == answer
    assert rows(folder, "select count(*) from audit_log where page = 'privacy_checklist' and username = 'mgr'") == [(1,)]


def test_ward_staff_may_neither_read_nor_save(folder):
    fy = privacy.fiscal_year(dt.date.today())
    with pytest.raises(AccessDenied):
        privacy.checklist(STAFF, fy)
    with pytest.raises(AccessDenied):
        privacy.save_answer(STAFF, fy, 1, dt.date.today(), "山田", "x")
    assert rows(folder, "select count(*) from privacy_check_entry") == [(0,)]


def test_an_item_that_does_not_exist_is_refused_in_japanese(folder):
    fy = privacy.fiscal_year(dt.date.today())
    with pytest.raises(privacy.ChecklistError) as err:
        privacy.save_answer(MANAGER, fy, 999, dt.date.today(), "山田", "x")
    assert str(err.value)
    assert rows(folder, "select count(*) from privacy_check_entry") == [(0,)]
