"""The services behind `kodomo`, called directly: the operator's chores, the build, extracts, lists and the deck.

The command-line tests (tests/cli/) check messages and exit codes; these check what the
services return, raise and write, on real DuckDB files in a test's own folder.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from kodomo_dash.infra import encryption
from kodomo_dash.infra.db import casework_connection
from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import audit
from kodomo_dash.security.principal import Principal
from kodomo_dash.services import build, extracts, operator, outcomes, support
from kodomo_dash.services.errors import (
    AccessDenied,
    AuditTampered,
    EncryptionError,
    KeyMissing,
    KeyRotationFailed,
    NotFoundError,
    Unavailable,
    UserFileError,
)
from tests.casework_people import draft, empty_casework
from tests.conftest import simulated_casework
from tests.signin import users_file

WARD = Principal("ward1", "ward_staff", ward_codes=("40131",))


def _sql(path: Path, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(path))
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


@pytest.fixture()
def casework(tmp_path, monkeypatch) -> Path:
    """A casework file with 20 audited views, 5 of them four years old."""
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    path = tmp_path / "casework.duckdb"
    con = duckdb.connect(str(path))
    migrate(con)
    now = datetime.now().replace(microsecond=0)
    for i in range(20):
        at = now - timedelta(days=4 * 365) + timedelta(minutes=i) if i < 5 else now - timedelta(minutes=20 - i)
        audit.record(con, WARD, "view_child", page="child_card", resident_id=f"{i:010d}", now=at)
    con.close()
    return path


@pytest.fixture()
def no_casework(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    return tmp_path


# --------------------------------------------------------------------------- who is acting


def test_cli_actor_names_the_shell_account():
    actor = operator.cli_actor()
    assert actor.startswith("cli:") and len(actor) <= 64


def test_principal_for_builds_the_users_file_principal(no_casework, monkeypatch):
    monkeypatch.setenv("KODOMO_USERS", str(users_file()))
    manager = operator.principal_for("manager")
    assert isinstance(manager, Principal) and manager.username == "manager" and manager.role == "manager"
    with pytest.raises(LookupError, match="存在しないか無効"):
        operator.principal_for("nobody")


def test_principal_for_an_unreadable_users_file_is_a_lookup_error(no_casework, monkeypatch):
    monkeypatch.setenv("KODOMO_USERS", str(no_casework / "missing.yaml"))
    with pytest.raises(LookupError, match="利用者ファイル"):
        operator.principal_for("manager")


# --------------------------------------------------------------------------- the audit chain


def test_verify_returns_the_head_and_finds_a_tampered_row(casework):
    result = operator.verify_audit_chain()
    assert result.ok and result.checked == 20
    head = _sql(casework, "select seq, row_hash from audit_head")[0]
    assert (result.head_seq, result.head_hash) == head
    assert operator.verify_audit_chain(operator.parse_anchor(f"{head[0]}:{head[1]}")).ok
    _sql(casework, "update audit_log set username = 'someone_else' where seq = 7")
    broken = operator.verify_audit_chain()
    assert not broken.ok and broken.first_bad_seq == 7


def test_a_bad_anchor_is_a_value_error():
    with pytest.raises(ValueError, match="seq:sha256hex"):
        operator.parse_anchor("nonsense")


def test_nothing_to_verify_is_unavailable_and_creates_no_file(no_casework):
    with pytest.raises(Unavailable, match="casework が見つかりません"):
        operator.verify_audit_chain()
    assert not (no_casework / "casework.duckdb").exists()
    duckdb.connect(str(no_casework / "casework.duckdb")).close()  # a file, but no audit trail yet
    with pytest.raises(Unavailable, match="操作ログはまだありません"):
        operator.verify_audit_chain()


def test_prune_applies_the_default_retention_and_keeps_the_chain(casework):
    result = operator.prune_audit(actor="cli:tester")
    assert result == operator.PruneOutcome(days=audit.DEFAULT_RETENTION_DAYS, pruned=5, through_seq=5, chain_ok=True)
    assert _sql(casework, "select username from audit_log where action = 'retention'") == [("cli:tester",)]
    again = operator.prune_audit()
    assert again.pruned == 0 and again.chain_ok


def test_prune_refuses_a_tampered_chain_and_a_period_under_a_day(casework):
    with pytest.raises(ValueError, match="1日以上"):
        operator.prune_audit(0)
    _sql(casework, "update audit_log set resident_id = '9999999999' where seq = 3")
    with pytest.raises(AuditTampered):
        operator.prune_audit()
    assert _sql(casework, "select count(*) from audit_log")[0][0] == 20


def test_retention_is_stored_audited_and_used_by_prune(casework):
    assert operator.retention_days() == audit.DEFAULT_RETENTION_DAYS
    operator.set_retention_days(4000, "cli:tester")
    assert operator.retention_days() == 4000
    assert _sql(casework, "select username, target from audit_log where action = 'setting_change'") == [
        ("cli:tester", audit.SETTING_KEYS["retention_days"])]
    assert operator.prune_audit().pruned == 0
    with pytest.raises(ValueError):
        operator.set_retention_days(0)


def test_retention_without_casework_is_unavailable(no_casework):
    with pytest.raises(Unavailable):
        operator.retention_days()
    with pytest.raises(Unavailable):
        operator.set_retention_days(30)
    with pytest.raises(Unavailable):
        operator.require_casework()
    assert not (no_casework / "casework.duckdb").exists()


# --------------------------------------------------------------------------- users and keys


def test_demo_users_return_how_to_log_in_and_never_overwrite_a_real_file(tmp_path, monkeypatch):
    users = tmp_path / "users.yaml"
    monkeypatch.setenv("KODOMO_USERS", str(users))
    text = operator.create_demo_users()
    assert "デモ用ユーザー" in text and "evaluator" in text
    users.write_text("users: {}\n")
    with pytest.raises(UserFileError):
        operator.create_demo_users()
    assert users.read_text() == "users: {}\n"


def test_generated_keys_are_usable():
    encryption.check_key(operator.generate_key())


def test_rotation_refusals_name_what_is_missing(casework, monkeypatch):
    monkeypatch.delenv("KODOMO_NEW_KEY", raising=False)
    with pytest.raises(Unavailable, match="not found"):
        operator.rotate_key("analytics", from_plaintext=True)  # no analytical build in this folder
    with pytest.raises(KeyMissing, match="KODOMO_NEW_KEY"):
        operator.rotate_key("casework", from_plaintext=True)
    key = operator.generate_key()
    monkeypatch.setenv("KODOMO_NEW_KEY", key)
    monkeypatch.setenv("KODOMO_OLD_KEY", key)
    with pytest.raises(EncryptionError, match="同じ") as caught:
        operator.rotate_key("casework")
    assert key not in str(caught.value)
    monkeypatch.setenv("MY_OLD", "")
    with pytest.raises(KeyMissing, match="MY_OLD"):
        operator.rotate_key("casework", old_key_env="MY_OLD")


def _extension_available() -> bool:
    try:
        return encryption.httpfs_extension_path().is_file()
    except Exception:
        return False


@pytest.mark.skipif(not _extension_available(), reason="duckdb-ext-httpfs not installed")
def test_rotation_reencrypts_and_a_wrong_old_key_fails_without_naming_a_key(casework, monkeypatch):
    monkeypatch.setenv("KODOMO_CASEWORK_LINGER_S", "30")  # this process's attachment is released first
    with casework_connection() as con:
        con.execute("select 1")
    first, second = operator.generate_key(), operator.generate_key()
    monkeypatch.setenv("KODOMO_NEW_KEY", first)
    result = operator.rotate_key("casework", from_plaintext=True)
    assert result.path == casework and result.tables["main.audit_log"] == 20 and result.backup is None
    assert encryption.is_encrypted(casework)
    monkeypatch.setenv("KODOMO_OLD_KEY", second)  # not the key the file is under
    monkeypatch.setenv("KODOMO_NEW_KEY", operator.generate_key())
    with pytest.raises(KeyRotationFailed, match="元のファイルはそのまま") as caught:
        operator.rotate_key("casework")
    assert first not in str(caught.value) and second not in str(caught.value)
    encryption.open_encrypted(casework, first, read_only=True).close()


# --------------------------------------------------------------------------- the build


def test_build_refusals_come_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path / "wh"))
    with pytest.raises(ValueError, match="--reason"):
        build.build(tmp_path, accept_drop=["resident_registry"], reason="  ")
    with pytest.raises(FileNotFoundError, match="抽出フォルダがありません"):
        build.build(tmp_path / "nowhere")
    assert not (tmp_path / "wh" / "kodomo.duckdb").exists()


def test_contract_docs_are_written(tmp_path):
    paths = build.write_contract_docs(tmp_path / "contracts")
    assert paths and all(p.exists() for p in paths)
    assert any(p.suffix == ".md" for p in paths)


# --------------------------------------------------------------------------- extracts


@pytest.fixture
def warehouse(built_warehouse, tmp_path, monkeypatch) -> Path:
    """A private copy of the fixture build (extracts write casework beside it)."""
    shutil.copy(built_warehouse / "kodomo.duckdb", tmp_path / "kodomo.duckdb")
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    monkeypatch.setenv("KODOMO_USERS", str(users_file()))
    return tmp_path


def test_an_extract_is_taken_listed_and_deleted(warehouse):
    evaluator = operator.principal_for("evaluator")
    rec = extracts.create_extract(evaluator, project="eval-2025", purpose="公平性の評価",
                                  delete_by=date.today() + timedelta(days=30), columns=("sex", "ward_code"))  # fmt: skip
    assert rec.file_path.exists() and rec.file_path.parent == warehouse / "extracts" / "eval-2025"
    assert rec.row_count > 1000 and rec.k_achieved >= 5
    [entry] = extracts.extract_log()
    assert (entry.extract_id, entry.taken_by, entry.row_count, entry.deleted_at) == (rec.extract_id, "evaluator",
                                                                                    rec.row_count, None)  # fmt: skip
    with pytest.raises(ValueError, match="どちらか一方"):
        extracts.delete_extracts(evaluator)
    assert extracts.delete_extracts(evaluator, due=True) == 0  # not due yet
    assert extracts.delete_extracts(evaluator, rec.extract_id) == 1
    assert not rec.file_path.exists()
    assert extracts.extract_log()[0].deleted_at is not None


def test_extract_refusals(warehouse):
    with pytest.raises(AccessDenied):
        extracts.create_extract(operator.principal_for("ward_staff"), project="p", purpose="x",
                                delete_by=date.today() + timedelta(days=30))  # fmt: skip
    with pytest.raises(ValueError, match="列がありません"):
        extracts.create_extract(operator.principal_for("evaluator"), project="p", purpose="x",
                                delete_by=date.today() + timedelta(days=30), columns=("sex", "ward_code", "no_such_column"))  # fmt: skip
    with pytest.raises(AccessDenied):
        extracts.delete_extracts(operator.principal_for("school"), due=True)


def test_an_extract_before_any_build_is_warehouse_missing(tmp_path, monkeypatch):
    from kodomo_dash.services.errors import WarehouseMissing

    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    monkeypatch.setenv("KODOMO_USERS", str(users_file()))
    with pytest.raises(WarehouseMissing):
        extracts.create_extract(operator.principal_for("evaluator"), project="p", purpose="x",
                                delete_by=date.today() + timedelta(days=30))  # fmt: skip


# --------------------------------------------------------------------------- lists


def test_run_programmes_then_acceptance_then_the_register(tmp_path, monkeypatch):
    empty_casework(tmp_path, monkeypatch)
    monkeypatch.setenv("KODOMO_USERS", str(users_file()))
    run = draft(tmp_path)
    assert support.run_programmes(run) == ["fukuoka-unenrolled"]
    with pytest.raises(NotFoundError):
        support.run_programmes("run-nope")
    assert support.list_register() == []
    list_id = support.accept_run(operator.principal_for("manager"), run, fy=2025, programme="fukuoka-unenrolled",
                                 accepted_on=date(2025, 8, 20))  # fmt: skip
    assert support.list_size(list_id) == 40
    [entry] = support.list_register()
    assert entry == support.ListEntry(list_id, 2025, "fukuoka-unenrolled", "ward", 40, date(2025, 8, 20), "manager")
    with pytest.raises(NotFoundError):
        support.list_size("wf-nope")


# --------------------------------------------------------------------------- the deck, one road


@pytest.fixture(scope="module")
def fukuoka_casework(tmp_path_factory):
    with simulated_casework(tmp_path_factory.mktemp("deck-casework"), ("fukuoka-fy2025", 3)) as folder:
        yield folder


def _exports(folder: Path) -> list[tuple]:
    con = duckdb.connect(str(folder / "casework.duckdb"), read_only=True)
    try:
        return con.execute(
            "select username, page, target, detail from audit_log where action = 'export' order by seq").fetchall()
    finally:
        con.close()


def test_the_command_and_the_presentation_page_build_the_same_deck(fukuoka_casework, tmp_path, monkeypatch):
    """`kodomo report deck` goes through outcome_inputs → deck_for_year → export_deck, as the page does."""
    from pptx import Presentation

    from kodomo_dash.cli.commands import main
    from tests.signin import principal_for

    calls = []
    original = outcomes.deck_for_year

    def spy(inputs, fy, *, charts=False):
        deck = original(inputs, fy, charts=charts)
        calls.append((inputs.programme, fy, charts, deck))
        return deck

    monkeypatch.setattr(outcomes, "deck_for_year", spy)
    out = tmp_path / "deck.pptx"
    assert main(["report", "deck", "--fy", "2025", "--format", "pptx", "--out", str(out), "--no-charts"]) == 0
    [(programme, fy, charts, deck)] = calls
    page_inputs = outcomes.outcome_inputs(principal_for("manager"))
    page_deck = original(page_inputs, 2025, charts=False)
    assert (programme, fy, charts) == (page_inputs.programme, 2025, False)
    assert [s.title for s in deck.slides] == [s.title for s in page_deck.slides]
    assert len(Presentation(str(out)).slides) == len(page_deck.slides)
    username, page, target, _detail = _exports(fukuoka_casework)[-1]
    assert username.startswith("cli:") and page is None and target == "deck.pptx"


def test_export_deck_audits_before_writing_with_the_page_when_there_is_one(fukuoka_casework, tmp_path):
    import json

    inputs = outcomes.outcome_inputs("cli:tester")
    deck = outcomes.deck_for_year(inputs, 2025)
    record = outcomes.export_deck(deck, "xlsx", "cli:tester", tmp_path / "tables.xlsx")
    assert record.format == "xlsx" and record.fy == 2025 and (tmp_path / "tables.xlsx").stat().st_size > 0
    assert _exports(fukuoka_casework)[-1][:3] == ("cli:tester", None, "tables.xlsx")
    data = outcomes.deck_bytes(deck, "pptx", Principal("manager", "manager"), "presentation")
    assert data[:2] == b"PK"
    username, page, target, detail = _exports(fukuoka_casework)[-1]
    assert (username, page, target) == ("manager", "presentation", "download")
    assert json.loads(detail)["page"] == "presentation"
    with pytest.raises(ValueError):
        outcomes.export_deck(deck, "docx", "cli:tester", tmp_path / "deck.docx")
    assert not (tmp_path / "deck.docx").exists()


def test_a_named_programme_without_lists_is_not_another_citys_deck(fukuoka_casework):
    inputs = outcomes.outcome_inputs("cli:tester", "izumi-abuse-school")
    assert inputs.programme == "izumi-abuse-school" and inputs.years == []
    assert "泉" in inputs.shape.city
    assert outcomes.outcome_inputs("cli:tester").programme == "fukuoka-unenrolled"


def test_the_published_funnel_without_casework_is_empty(no_casework):
    report = outcomes.funnel_report(2025)
    assert report["paths"] == {}
    assert "まだありません" in outcomes.render_funnel_report(report, "table")
    assert not (no_casework / "casework.duckdb").exists()


def test_demo_users_see_children_of_the_built_city(built_warehouse, tmp_path, monkeypatch):
    """kodomo users demo scopes ward, school and SSW accounts to units that have children here."""
    from kodomo_dash.security import users as users_mod

    monkeypatch.setenv("KODOMO_WAREHOUSE", str(built_warehouse))
    monkeypatch.setenv("KODOMO_USERS", str(tmp_path / "users.yaml"))
    text = operator.create_demo_users()
    assert "ward_staff" in text
    accounts = users_mod.load_users(tmp_path / "users.yaml")
    con = duckdb.connect(str(built_warehouse / "kodomo.duckdb"), read_only=True)
    try:
        def children(col: str, codes) -> int:
            return con.execute(f"select count(*) from features.child_features where {col} in (select unnest(?))",  # noqa: S608
                               [list(codes)]).fetchone()[0]  # fmt: skip

        assert children("ward_code", accounts["ward_staff"].ward_codes) > 0
        assert children("school_code", accounts["school"].school_codes) > 0
        assert children("school_code", accounts["ssw"].school_codes) > children("school_code", accounts["school"].school_codes)
    finally:
        con.close()


def test_without_a_built_city_the_demo_accounts_keep_their_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    assert operator.built_city_scope() == {}
