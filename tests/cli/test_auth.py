"""`kodomo audit verify|prune|retention`, `kodomo users demo`, `kodomo keys generate|rotate`."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pytest
import yaml

from kodomo_dash.cli.commands import main
from kodomo_dash.infra import encryption
from kodomo_dash.infra.migrate import migrate
from kodomo_dash.security import audit
from kodomo_dash.security.principal import Principal

WARD = Principal("ward1", "ward_staff", ward_codes=("40131",))


@pytest.fixture()
def casework(tmp_path, monkeypatch):
    """A casework file with 20 audited views, 5 of them four years old, in its own warehouse folder."""
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


def _sql(path, sql, params=()):
    con = duckdb.connect(str(path))
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_verify_ok_prints_the_head(casework, capsys):
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "audit chain OK: 20 rows" in out
    head = _sql(casework, "select seq, row_hash from audit_head")[0]
    assert f"{head[0]}:{head[1]}" in out
    assert "0000000007" not in out, "no row content is printed"


def test_a_tampered_row_fails_verify_naming_it(casework, capsys):
    _sql(casework, "update audit_log set username = 'someone_else' where seq = 7")
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert "first bad row is seq 7" in err
    assert "row 7" in err and "edited" in err


def test_a_deleted_row_fails_verify(casework, capsys):
    _sql(casework, "delete from audit_log where seq = 12")
    assert main(["audit", "verify"]) == 1
    assert "first bad row is seq 12" in capsys.readouterr().err


def test_an_anchor_from_an_earlier_verify_is_checked(casework, capsys):
    head = _sql(casework, "select seq, row_hash from audit_head")[0]
    assert main(["audit", "verify", "--anchor", f"{head[0]}:{head[1]}"]) == 0
    assert main(["audit", "verify", "--anchor", f"{head[0]}:{'0' * 64}"]) == 1
    assert main(["audit", "verify", "--anchor", "nonsense"]) == 2


def test_verify_without_casework_explains(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KODOMO_WAREHOUSE", str(tmp_path))
    assert main(["audit", "verify"]) == 2
    assert "casework" in capsys.readouterr().err


def test_prune_keeps_the_chain_verifiable(casework, capsys):
    assert main(["audit", "prune"]) == 0
    out = capsys.readouterr().out
    assert "pruned 5 rows older than 1095 days (through seq 5)" in out
    assert "audit chain OK after prune" in out
    assert _sql(casework, "select min(seq), count(*) from audit_log")[0] == (6, 16)  # 15 kept + retention row
    assert main(["audit", "verify"]) == 0
    assert main(["audit", "prune"]) == 0
    assert "nothing older than 1095 days" in capsys.readouterr().out


def test_prune_with_configured_retention(casework, capsys):
    assert main(["audit", "retention", "--days", "4000"]) == 0
    assert main(["audit", "retention"]) == 0
    assert "retention: 4000 days" in capsys.readouterr().out
    assert main(["audit", "prune"]) == 0
    assert "nothing older than 4000 days" in capsys.readouterr().out
    actions = [r[0] for r in _sql(casework, "select action from audit_log order by seq")]
    assert actions[-1] == "setting_change"
    assert main(["audit", "prune", "--days", "1"]) == 0
    assert "pruned 5 rows" in capsys.readouterr().out
    assert main(["audit", "prune", "--days", "0"]) == 2


def test_prune_refuses_a_tampered_chain(casework, capsys):
    _sql(casework, "update audit_log set resident_id = '9999999999' where seq = 3")
    assert main(["audit", "prune"]) == 1
    assert "refusing to prune" in capsys.readouterr().err
    assert _sql(casework, "select count(*) from audit_log")[0][0] == 20


def test_users_demo_prints_how_to_log_in(tmp_path, monkeypatch, capsys):
    users = tmp_path / "users.yaml"
    monkeypatch.setenv("KODOMO_USERS", str(users))
    assert main(["users", "demo"]) == 0
    out = capsys.readouterr().out
    assert "デモ用ユーザー" in out
    for role in ("admin", "manager", "yotaikyo", "ward_staff", "school", "ssw", "evaluator"):
        assert role in out
    assert yaml.safe_load(users.read_text())["demo"] is True
    users.write_text("users: {}\n")  # a real (non-demo) users file is never overwritten
    assert main(["users", "demo"]) == 2
    assert users.read_text() == "users: {}\n"


def test_keys_generate_prints_a_usable_key(capsys):
    assert main(["keys", "generate"]) == 0
    key = capsys.readouterr().out.strip()
    encryption.check_key(key)


def _extension_available() -> bool:
    try:
        return encryption.httpfs_extension_path().is_file()
    except Exception:
        return False


@pytest.mark.skipif(not _extension_available(), reason="duckdb-ext-httpfs not installed")
def test_keys_rotate_reencrypts_without_printing_keys(casework, monkeypatch, capsys):
    first, second = encryption.generate_key(), encryption.generate_key()
    monkeypatch.setenv("KODOMO_NEW_KEY", first)
    assert main(["keys", "rotate", "--db", "casework", "--from-plaintext"]) == 0
    assert encryption.is_encrypted(casework)
    monkeypatch.setenv("KODOMO_CASEWORK_KEY", first)
    monkeypatch.setenv("KODOMO_NEW_KEY", second)
    assert main(["keys", "rotate", "--db", "casework"]) == 0
    out = capsys.readouterr()
    assert first not in out.out + out.err and second not in out.out + out.err
    assert "re-encrypted" in out.out
    con = encryption.open_encrypted(casework, second, read_only=True)
    try:
        assert con.execute("select count(*) from db.audit_log").fetchone()[0] == 20
        con.execute("use db")
        assert audit.verify(con).ok
    finally:
        con.close()
    # A wrong old key fails without printing either key, and leaves the file as it was.
    monkeypatch.setenv("KODOMO_OLD_KEY", first)
    monkeypatch.setenv("KODOMO_NEW_KEY", encryption.generate_key())
    assert main(["keys", "rotate", "--db", "casework"]) == 1
    err = capsys.readouterr().err
    assert first not in err and second not in err
    encryption.open_encrypted(casework, second, read_only=True).close()


def test_keys_rotate_needs_the_new_key_in_the_environment(casework, monkeypatch, capsys):
    monkeypatch.delenv("KODOMO_NEW_KEY", raising=False)
    assert main(["keys", "rotate", "--db", "casework", "--from-plaintext"]) == 2
    assert "KODOMO_NEW_KEY" in capsys.readouterr().err
