"""The authorisation matrix, cell by cell, plus the column (tax) and row (scope) levels.

EXPECTED below is the design written a second time, on purpose: a change to
authz_matrix.yaml has to be made here too, so no right is widened by one edit alone.
The invariant tests after it check the rules of the issue independently of both.
"""

from __future__ import annotations

import duckdb
import pytest

from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import audit, matrix
from kodomo_dash.security.matrix import AccessDenied
from kodomo_dash.security.principal import ROLES, Principal, UnknownRole

PAGES = (
    "home data_quality child_search child_card linkage_review screening rules model_card funnel worklist "
    "support_record progress forms_conference forms_home_visit forms_school_sheet forms_ssw_sheet outcomes "
    "presentation audit_log privacy_checklist admin_users"
).split()
ACTIONS = ("view", "search", "save", "export")
A, M, Y, W, S, SSW, E = ROLES

# page -> role -> actions (v=view, s=search, S=save, e=export)
EXPECTED = {
    "home": {A: "v", M: "v", Y: "v", W: "v", S: "v", SSW: "v", E: "v"},
    "data_quality": {A: "ve", M: "ve", E: "v"},
    "child_search": {A: "vs", M: "vs", Y: "vs", W: "vs"},
    "child_card": {A: "ve", M: "ve", Y: "ve", W: "ve"},
    "linkage_review": {A: "vsS", M: "vsS"},
    "screening": {A: "vSe", M: "vSe", Y: "ve", W: "ve"},
    "model_card": {A: "ve", M: "ve", Y: "v", E: "ve"},
    "rules": {A: "vS", M: "vS", Y: "v", E: "v"},
    "funnel": {A: "ve", M: "ve", Y: "v", W: "v", E: "ve"},
    "forms_school_sheet": {A: "vse", M: "vse", S: "vsS", SSW: "vs"},
    "forms_ssw_sheet": {A: "vse", M: "vse", Y: "vs", SSW: "vsS"},
    "forms_conference": {A: "vsSe", M: "vsSe", Y: "vs", W: "vsS"},
    "forms_home_visit": {A: "vsSe", M: "vsSe", Y: "vs", W: "vsS"},
    "support_record": {A: "vsSe", M: "vsSe", Y: "vs", W: "vsS"},
    "progress": {A: "ve", M: "ve", W: "v", S: "v", SSW: "v"},
    "worklist": {A: "vsSe", M: "vsSe", Y: "vs", W: "vsSe"},
    "outcomes": {A: "vSe", M: "vSe", Y: "v", E: "ve"},  # S: the visit plan of the capacity view
    "presentation": {A: "ve", M: "ve", Y: "v", W: "v", E: "ve"},
    "audit_log": {A: "vse"},
    "privacy_checklist": {A: "vSe", M: "vS"},
    "admin_users": {A: "vS"},
}
LETTER = {"view": "v", "search": "s", "save": "S", "export": "e"}
PERSON_PAGES = {
    "child_search",
    "child_card",
    "linkage_review",
    "screening",
    "forms_school_sheet",
    "forms_ssw_sheet",
    "forms_conference",
    "forms_home_visit",
    "support_record",
    "worklist",
}
WELFARE_PAGES = {
    "forms_conference",
    "forms_home_visit",
    "support_record",
    "worklist",
    "child_card",
    "child_search",
    "screening",
}


def principal(role: str, **kw) -> Principal:
    defaults = {
        "ward_staff": {"ward_codes": ("40131",)},
        "school": {"school_codes": ("401001",)},
        "ssw": {"school_codes": ("401001", "401002")},
    }
    return Principal(username=f"u_{role}", role=role, **{**defaults.get(role, {}), **kw})


@pytest.fixture()
def denials():
    seen = []
    matrix.set_denial_recorder(
        lambda p, page, action, reason: seen.append((p and p.role, page, action, reason))
    )
    yield seen
    matrix.set_denial_recorder(None)


def test_matrix_lists_exactly_the_pages_of_the_brief():
    assert matrix.page_names() == tuple(PAGES)
    assert set(EXPECTED) == set(PAGES)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_cell(role, page, action, denials):
    p = principal(role)
    allowed = LETTER[action] in EXPECTED[page].get(role, "")
    assert matrix.can(p, page, action) is allowed
    if allowed:
        matrix.require(p, page, action)
        assert denials == []
    else:
        with pytest.raises(AccessDenied) as exc:
            matrix.require(p, page, action)
        assert "権限がありません" in str(exc.value)
        assert denials == [(role, page, action, "not in matrix")]


@pytest.mark.parametrize("role", ROLES)
def test_pseudonymised_extract_operation(role, denials):
    allowed = role in (A, M, E)
    assert matrix.can(principal(role), "pseudonymised_extract", "export") is allowed
    for action in ("view", "search", "save"):
        assert not matrix.can(principal(role), "pseudonymised_extract", action)


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_and_admins_correct_casework(role, denials):
    """Voiding an event and sending a form back (差し戻し) are a manager's corrections (issue 12)."""
    assert matrix.can(principal(role), "casework_correction", "save") is (role in (A, M))
    for action in ("view", "search", "export"):
        assert not matrix.can(principal(role), "casework_correction", action)


def test_unknown_page_action_or_no_principal_fail_closed(denials):
    admin = principal(A)
    assert not matrix.can(admin, "no_such_page", "view")
    assert not matrix.can(admin, "home", "delete")
    assert not matrix.can(None, "home", "view")
    with pytest.raises(AccessDenied):
        matrix.require(None, "home")
    assert denials[-1][:3] == (None, "home", "view")


def test_unknown_role_is_refused():
    with pytest.raises(UnknownRole):
        Principal("x", "superuser")


def test_every_page_is_defined_once_with_one_title():
    """The menu, the matrix and a refusal name a page by the one title of config/pages.yaml (issue 13)."""
    import pathlib

    from kodomo_dash.config.pages import pages
    from kodomo_dash.ui.i18n import MESSAGES
    from kodomo_dash.ui.navigation import ALL_PAGES

    for page in pages():
        assert matrix.page_label_ja(page.key) == MESSAGES[f"page.{page.key}"]["ja"] == page.title_ja
    assert [p.key for p in ALL_PAGES] == [p.key for p in pages()] == list(matrix.page_names())
    repo = pathlib.Path(__file__).resolve().parents[2]
    assert [p.path for p in ALL_PAGES if not (repo / p.path).is_file()] == []  # every menu entry has its screen
    assert matrix.page_label_ja("admin_users") == "利用者管理"  # the menu's word; a refusal once said ユーザー管理
    for page in pages():  # an English refusal names the page as the English menu does
        assert matrix.page_label(page.key, "en") == MESSAGES[f"page.{page.key}"]["en"] == page.title["en"]
    assert matrix.page_label("pseudonymised_extract", "en") == "Pseudonymised extracts"
    # no second list of page titles anywhere in the package
    import re

    root = pathlib.Path(matrix.__file__).resolve().parents[1]
    literal = re.compile(r'["\']page\.(home|funnel|admin_users)["\']\s*:')
    hits = [p for p in root.rglob("*.py") if literal.search(p.read_text(encoding="utf-8"))]
    assert hits == []
    assert "label_ja" not in (root / "security" / "authz_matrix.yaml").read_text(encoding="utf-8").split("operations:")[0]


def test_navigation_lists_only_viewable_pages():
    assert matrix.pages_for(principal(S)) == ["home", "progress", "forms_school_sheet"]  # menu order
    assert matrix.pages_for(principal(E)) == [
        "home",
        "data_quality",
        "rules",
        "model_card",
        "funnel",
        "outcomes",
        "presentation",
    ]
    assert matrix.pages_for(principal(A)) == PAGES


# ------------------------------------------------------------------ design invariants


@pytest.mark.parametrize("page", sorted(PERSON_PAGES))
def test_evaluator_never_opens_a_page_about_individual_children(page):
    assert not any(matrix.can(principal(E), page, a) for a in ACTIONS)


@pytest.mark.parametrize("role", [r for r in ROLES if r != A])
def test_only_admin_reads_the_audit_log_and_manages_users(role):
    for page in ("audit_log", "admin_users"):
        assert not any(matrix.can(principal(role), page, a) for a in ACTIONS)


@pytest.mark.parametrize("page", sorted(WELFARE_PAGES | {"forms_ssw_sheet"}))
def test_school_staff_see_no_welfare_pages(page):
    assert not any(matrix.can(principal(S), page, a) for a in ACTIONS)


def test_only_the_form_owner_role_saves_a_sheet():
    assert [r for r in ROLES if matrix.can(principal(r), "forms_school_sheet", "save")] == [S]
    assert [r for r in ROLES if matrix.can(principal(r), "forms_ssw_sheet", "save")] == [SSW]


@pytest.mark.parametrize("page", PAGES)
def test_every_non_view_action_implies_view(page):
    for role in ROLES:
        if any(matrix.can(principal(role), page, a) for a in ("search", "save", "export")):
            assert matrix.can(principal(role), page, "view")


# ------------------------------------------------------------------ column level (tax)

TAX_COLUMNS = {"tax_exempt": "tax", "income_band": "tax"}
ALL_COLUMNS = {
    "resident_id": "identity",
    "name_kana": "identity",
    "public_assistance": "welfare",
    "infant_checkup_result": "health",
    "attendance_ratio": "school",
    **TAX_COLUMNS,
    "pseudonym": "pseudonym",
}


@pytest.mark.parametrize("role", ROLES)
def test_tax_columns_only_for_admin_and_yotaikyo(role, denials):
    p = principal(role)
    may = role in (A, Y)
    assert ("tax" in matrix.allowed_column_groups(p)) is may
    cols = matrix.allowed_columns(p, ALL_COLUMNS)
    assert (set(TAX_COLUMNS) <= set(cols)) is may
    assert not (set(TAX_COLUMNS) & set(cols)) or may
    if may:
        matrix.require_columns(p, ["tax"])
    else:
        with pytest.raises(AccessDenied):
            matrix.require_columns(p, ["tax"], page="child_card")
        assert denials[-1] == (role, "child_card", "columns", "column groups: tax")


def test_column_groups_follow_the_design():
    assert matrix.allowed_column_groups(principal(S)) == {"identity", "school"}
    assert "welfare" not in matrix.allowed_column_groups(principal(SSW))
    assert matrix.allowed_column_groups(principal(E)) == {"pseudonym"}
    assert matrix.column_group("income_band") == "tax"
    assert matrix.column_group("r.income_band") == "tax"
    assert matrix.column_group("fiscal_year", source="resident_tax") == "tax"
    assert matrix.column_group("grade", source="student_roster") == "school"
    assert matrix.column_group("name_kana", source="student_roster") == "identity"
    assert matrix.column_group("mystery_column") == "identity"  # unmapped fails closed


@pytest.fixture()
def people():
    con = duckdb.connect(":memory:")
    con.execute(
        "create table people as select * from (values "
        "('0000000001', '40131', '401001', 'ヤマダ タロウ', 1, '3'),"
        "('0000000002', '40132', '401002', 'スズキ ハナコ', 0, '5'),"
        "('0000000003', '40131', '401003', 'タナカ ジロウ', 0, '1')"
        ") t(resident_id, ward_code, school_code, name_kana, tax_exempt, income_band)"
    )
    yield con
    con.close()


def _query(con, p: Principal, ward_col="ward_code", school_col="school_code"):
    """A miniature query-layer function: select list and WHERE both come from the matrix."""
    cols = matrix.allowed_columns(p, {"resident_id": "identity", "name_kana": "identity", **TAX_COLUMNS})
    where, params = matrix.scope_predicate(p, ward_col=ward_col, school_col=school_col)
    if not cols:
        return [], []
    cur = con.execute(f"select {', '.join(cols)} from people where {where} order by resident_id", params)
    return [d[0] for d in cur.description], cur.fetchall()


@pytest.mark.parametrize("role", ROLES)
def test_query_layer_rows_and_tax_columns(role, people):
    names, rows = _query(people, principal(role))
    ids = [r[0] for r in rows]
    if role in (A, M, Y):
        assert ids == ["0000000001", "0000000002", "0000000003"]
    elif role == W:
        assert ids == ["0000000001", "0000000003"]
    elif role == S:
        assert ids == ["0000000001"]
    elif role == SSW:
        assert ids == ["0000000001", "0000000002"]
    else:
        assert rows == []
    assert ("income_band" in names) is (role in (A, Y))
    assert ("tax_exempt" in names) is (role in (A, Y))


def test_scope_values_are_bound_parameters_not_sql(people):
    evil = principal(W, ward_codes=("40131' OR 1=1 --",))
    sql, params = matrix.scope_predicate(evil)
    assert sql == '"ward_code" IN (?)' and params == ["40131' OR 1=1 --"]
    assert _query(people, evil)[1] == []


def test_scope_fails_closed():
    assert matrix.scope_predicate(principal(E)) == ("FALSE", [])
    assert matrix.scope_predicate(principal(S), school_col=None) == ("FALSE", [])
    assert matrix.scope_predicate(principal(W, ward_codes=())) == ("FALSE", [])
    assert matrix.scope_predicate(principal(W), ward_col=None) == ("FALSE", [])
    assert matrix.scope_predicate(principal(M)) == ("TRUE", [])
    assert matrix.scope_predicate(principal(SSW), school_col="s.school_code") == (
        '"s"."school_code" IN (?, ?)',
        ["401001", "401002"],
    )
    with pytest.raises(ValueError):
        matrix.scope_predicate(principal(W), ward_col="ward_code) OR (1=1")


def test_in_scope_for_a_fetched_row():
    assert matrix.in_scope(principal(W), ward_code="40131")
    assert not matrix.in_scope(principal(W), ward_code="40132")
    assert not matrix.in_scope(principal(S), ward_code="40131")
    assert matrix.in_scope(principal(S), school_code="401001")
    assert not matrix.in_scope(principal(E), ward_code="40131", school_code="401001")
    assert matrix.in_scope(principal(A))


def test_refusals_reach_the_audit_log():
    con = duckdb.connect(":memory:")
    migrate(con)

    class Conn:
        def __enter__(self):
            return con

        def __exit__(self, *a):
            return False

    matrix.set_denial_recorder(audit.denial_recorder(Conn))
    try:
        with pytest.raises(AccessDenied):
            matrix.require(principal(S), "child_card", "view")
        with pytest.raises(AccessDenied):
            matrix.require_columns(principal(M), ["tax"], page="child_card")
    finally:
        matrix.set_denial_recorder(None)
    rows = audit.query(con, action="access_denied")
    assert [(r["username"], r["role"], r["page"]) for r in rows] == [
        ("u_manager", "manager", "child_card"),
        ("u_school", "school", "child_card"),
    ]
    assert audit.verify(con).ok
