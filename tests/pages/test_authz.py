"""Every role x every existing screen, through the real app.py: the matrix is what the app does.

authz_matrix.yaml is the one statement of who may open what. For each cell this opens the screen
as that role (one AppTest run, scale-0.01 warehouse): a screen the matrix allows renders without
an exception and without a refusal; a screen it does not allow shows the refusal, never runs the
page file (no page title) and leaves an access_denied row in the audit trail naming the screen.
"""

from __future__ import annotations

import pytest

from kodomo_dash.infra.db import casework_connection
from kodomo_dash.security.matrix import can, load_matrix, page_label_ja
from kodomo_dash.ui.navigation import ALL_PAGES
from tests.signin import app_as, principal_for

REFUSAL = "権限がありません"
CELLS = [(role, spec.key) for spec in ALL_PAGES for role in load_matrix().roles]


def _last_seq() -> int:
    with casework_connection() as con:
        row = con.execute("select max(seq) from audit_log").fetchone() if _has_log(con) else (0,)
    return int(row[0] or 0)


def _has_log(con) -> bool:
    return bool(con.execute("select count(*) from duckdb_tables() where table_name = 'audit_log'").fetchone()[0])


def _denials_since(seq: int, role: str) -> list[str]:
    with casework_connection() as con:
        return [r[0] for r in con.execute(
            "select page from audit_log where seq > ? and username = ? and action = 'access_denied'",
            [seq, role]).fetchall()]


def test_every_screen_is_in_the_matrix():
    assert {s.key for s in ALL_PAGES} <= set(load_matrix().pages)


@pytest.mark.parametrize("role,page", CELLS, ids=[f"{r}-{p}" for r, p in CELLS])
def test_role_page_cell(built_warehouse, role, page):
    at = app_as(role, page=page, timeout=120)
    before = _last_seq()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    if can(principal_for(role), page, "view"):
        assert not any(REFUSAL in e for e in errors), errors
        assert page not in _denials_since(before, role)
    else:
        assert any(REFUSAL in e and page_label_ja(page) in e for e in errors), errors
        assert not at.title, "a refused screen must not run its page file"
        assert page in _denials_since(before, role), "every refusal is audited"
