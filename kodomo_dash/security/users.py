"""User accounts: a YAML file outside git with bcrypt hashes, TOTP secrets, role and scope.

Why a file: a city's accounts live in a config file outside git. The file (default .streamlit/users.yaml, or $KODOMO_USERS) is the source of truth for
who exists, their role and scope; session epochs, lockout and TOTP use live in casework.
It is re-read whenever it changes on disk, so an edited role or a deactivated account
takes effect on the next rerun; it is never put into st.cache_* (shared across users).
The tracked .streamlit/users.example.yaml shows the format without real secrets.

Only this module reads and writes the file; sign-in (ui/signin.py) checks a password against
the hash here and never writes the file (decision 060).
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path

import yaml

from kodomo_dash.config.messages import CodedError, msg
from kodomo_dash.config.units import unit_name
from kodomo_dash.security import audit, passwords, sessions, totp
from kodomo_dash.security.principal import ROLES, Principal

REPO_ROOT = Path(__file__).resolve().parents[2]
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
_BCRYPT_RE = re.compile(r"^\$2[aby]\$\d{2}\$.{53}$")
_B32_RE = re.compile(r"^[A-Z2-7]{16,}=*$")



class UserFileError(CodedError, ValueError):
    """users.yaml is missing, malformed or names an invalid role/scope (``.message``, decision 065)."""


@dataclass(frozen=True)
class UserRecord:
    username: str
    role: str
    password_hash: str
    totp_secret: str
    display_name: str = ""
    email: str = ""
    ward_codes: tuple[str, ...] = field(default_factory=tuple)
    school_codes: tuple[str, ...] = field(default_factory=tuple)
    active: bool = True
    # The subject (``sub``) the city's identity provider gives this person, when sign-in through it
    # is configured (decision 064); empty matches on ``email`` instead.
    oidc_subject: str = ""

    def principal(self, epoch: int) -> Principal:
        return Principal(
            self.username, self.role, self.ward_codes, self.school_codes, self.display_name, epoch
        )


def users_path() -> Path:
    return Path(os.environ.get("KODOMO_USERS", REPO_ROOT / ".streamlit" / "users.yaml"))


def _parse(raw: dict, path: Path) -> dict[str, UserRecord]:
    if not isinstance(raw, dict) or not isinstance(raw.get("users"), dict):
        raise UserFileError(f"{path}: expected a top-level 'users:' mapping")
    out = {}
    for name, spec in raw["users"].items():
        name = str(name)
        if not USERNAME_RE.match(name):
            raise UserFileError(f"{path}: username {name!r} must be 3-64 lower-case letters, digits, _ . -")
        spec = spec or {}
        role = spec.get("role")
        if role not in ROLES:
            raise UserFileError(f"{path}: {name}: role must be one of {ROLES}")
        pw, secret = str(spec.get("password_hash", "")), str(spec.get("totp_secret", ""))
        if not _BCRYPT_RE.match(pw):
            raise UserFileError(f"{path}: {name}: password_hash is not a bcrypt hash")
        if not _B32_RE.match(secret):
            raise UserFileError(f"{path}: {name}: totp_secret is not a base32 secret")
        rec = UserRecord(
            username=name,
            role=role,
            password_hash=pw,
            totp_secret=secret,
            display_name=str(spec.get("display_name", "")),
            email=str(spec.get("email", "") or ""),
            ward_codes=tuple(str(c) for c in spec.get("ward_codes") or ()),
            school_codes=tuple(str(c) for c in spec.get("school_codes") or ()),
            active=bool(spec.get("active", True)),
            oidc_subject=str(spec.get("oidc_subject", "") or ""),
        )
        if role == "ward_staff" and not rec.ward_codes:
            raise UserFileError(f"{path}: {name}: ward_staff needs ward_codes")
        if role in ("school", "ssw") and not rec.school_codes:
            raise UserFileError(f"{path}: {name}: {role} needs school_codes")
        out[name] = rec
    return out


_cache_lock = threading.Lock()
_cache: dict[str, tuple[tuple[int, int], dict[str, UserRecord]]] = {}


def load_users(path: Path | None = None) -> dict[str, UserRecord]:
    """All users, re-read when the file changes (mtime/size), so revokes apply at once."""
    path = Path(path or users_path())
    try:
        st = path.stat()
    except FileNotFoundError as e:
        raise UserFileError(msg("users.file_missing", path=path)) from e
    ident = (st.st_mtime_ns, st.st_size)
    with _cache_lock:
        hit = _cache.get(str(path))
        if hit and hit[0] == ident:
            return hit[1]
        users = _parse(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, path)
        _cache[str(path)] = (ident, users)
        return users


def save_users(users: dict[str, UserRecord], path: Path | None = None, demo: bool = False) -> Path:
    """Write atomically with mode 0600 (hashes and TOTP secrets are in it)."""
    path = Path(path or users_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    body: dict = {"users": {}}
    if demo:
        body = {"demo": True, **body}
    for u in users.values():
        d = asdict(u)
        d.pop("username")
        d["ward_codes"], d["school_codes"] = list(u.ward_codes), list(u.school_codes)
        body["users"][u.username] = d
    header = (
        "# kodomo-dash users: NOT tracked by git. bcrypt hashes and TOTP secrets.\n"
        "# Format: see .streamlit/users.example.yaml. Edit through kodomo_dash.security.users.\n"
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".users.", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except Exception:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# --------------------------------------------------------------------------- changes


def add_user(
    username: str,
    role: str,
    password: str,
    *,
    display_name: str = "",
    ward_codes=(),
    school_codes=(),
    email: str = "",
    path: Path | None = None,
    rounds: int = passwords.BCRYPT_ROUNDS,
) -> UserRecord:
    """Create a user with a fresh TOTP secret (show it once, as a QR code, for enrolment)."""
    users = dict(load_users(path)) if Path(path or users_path()).exists() else {}
    if username in users:
        raise UserFileError(msg("users.exists", username=username))
    rec = UserRecord(
        username=username,
        role=role,
        password_hash=passwords.hash_password(password, username, rounds),
        totp_secret=totp.new_secret(),
        display_name=display_name,
        email=email,
        ward_codes=tuple(ward_codes),
        school_codes=tuple(school_codes),
    )
    _parse(
        {
            "users": {
                username: {
                    **asdict(rec),
                    "ward_codes": list(rec.ward_codes),
                    "school_codes": list(rec.school_codes),
                }
            }
        },
        Path("<new user>"),
    )
    users[username] = rec
    save_users(users, path)
    return rec


def set_password(
    con,
    username: str,
    new_password: str,
    actor: Principal | str,
    *,
    path: Path | None = None,
    now: datetime | None = None,
    rounds: int = passwords.BCRYPT_ROUNDS,
) -> int:
    """Change a password (policy-checked), end every session of the user; returns the new epoch."""
    users = dict(load_users(path))
    if username not in users:
        raise UserFileError(msg("user.no_such_user", username=username))
    users[username] = replace(
        users[username], password_hash=passwords.hash_password(new_password, username, rounds)
    )
    save_users(users, path)
    epoch = sessions.bump_epoch(con, username, "password_change", now)
    audit.record(
        con,
        actor,
        "setting_change",
        page="admin_users",
        target=username,
        detail={"setting": "password", "epoch": epoch},
        now=now,
    )
    return epoch


def _set_active(username: str, active: bool, path: Path | None, missing_ok: bool = False) -> None:
    """Rewrite the users file with the account switched on or off."""
    users = dict(load_users(path))
    if username not in users:
        if missing_ok:
            return
        raise UserFileError(msg("user.no_such_user", username=username))
    users[username] = replace(users[username], active=active)
    save_users(users, path)


def revoke(
    con,
    username: str,
    actor: Principal | str,
    *,
    deactivate: bool = True,
    path: Path | None = None,
    now: datetime | None = None,
) -> int:
    """End every session of `username` now (and deactivate the account unless told not to)."""
    if deactivate:
        _set_active(username, False, path, missing_ok=True)
    epoch = sessions.bump_epoch(con, username, "revoke", now)
    audit.record(
        con,
        actor,
        "setting_change",
        page="admin_users",
        target=username,
        detail={"setting": "revoke", "deactivated": deactivate, "epoch": epoch},
        now=now,
    )
    return epoch


def reactivate(
    con,
    username: str,
    actor: Principal | str,
    *,
    path: Path | None = None,
    now: datetime | None = None,
) -> None:
    """Undo a deactivation (audited). Old sessions stay ended: the epoch moved when it was revoked."""
    _set_active(username, True, path)
    audit.record(
        con,
        actor,
        "setting_change",
        page="admin_users",
        target=username,
        detail={"setting": "reactivate"},
        now=now,
    )


# --------------------------------------------------------------------------- demo


@dataclass(frozen=True)
class DemoCredential:
    username: str
    role: str
    password: str
    totp_secret: str
    scope: str


def create_demo_users(
    path: Path | None = None,
    ward_codes: tuple[str, ...] = ("40131",),
    school_codes: tuple[str, ...] = ("401001", "401002"),
    rounds: int = passwords.BCRYPT_ROUNDS,
    force: bool = False,
) -> list[DemoCredential]:
    """One user per role with fresh random passwords and TOTP secrets, written to the user file.

    Refuses to overwrite a user file that was not written by this function (no `demo: true`)
    unless force=True, so running the demo can never wipe a city's real accounts.
    """
    path = Path(path or users_path())
    if path.exists() and not force:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not raw.get("demo"):
            raise UserFileError(msg("users.not_demo", path=path))
    ward = ward_codes[:1]
    plan = [
        ("admin", "admin", "デモ 管理者", (), ()),
        ("manager", "manager", "デモ こども家庭課", (), ()),
        ("yotaikyo", "yotaikyo", "デモ 要対協調整機関", (), ()),
        ("ward_staff", "ward_staff", f"デモ {unit_name(ward[0])} 職員", ward, ()),
        ("school", "school", "デモ 学校", (), school_codes[:1]),
        ("ssw", "ssw", "デモ SSW", (), school_codes),
        ("evaluator", "evaluator", "デモ 評価担当", (), ()),
    ]
    users, creds = {}, []
    for username, role, display, wards, schools in plan:
        pw = secrets.token_urlsafe(12)
        while passwords.check_policy(pw, username):
            pw = secrets.token_urlsafe(12)
        rec = UserRecord(
            username=username,
            role=role,
            password_hash=passwords.hash_password(pw, username, rounds),
            totp_secret=totp.new_secret(),
            display_name=display,
            ward_codes=tuple(wards),
            school_codes=tuple(schools),
        )
        users[username] = rec
        scope = (
            "区 " + ",".join(wards)
            if wards
            else "学校 " + ",".join(schools)
            if schools
            else "集計・仮名化のみ"
            if role == "evaluator"
            else "全体"
        )
        creds.append(DemoCredential(username, role, pw, rec.totp_secret, scope))
    save_users(users, path, demo=True)
    return creds


def demo_login_text(creds: list[DemoCredential], now: datetime | None = None) -> str:
    """What the demo prints: how to log in as each role, with the TOTP code valid right now."""
    lines = [
        "デモ用ユーザー（ログイン: ユーザー名 → パスワード → 6桁の確認コード）",
        "確認コードは30秒ごとに変わります。認証アプリに TOTP シークレットを登録するか、次で表示:",
        "  python -m kodomo_dash.security.users code <ユーザー名>",
        "",
        f"{'username':<12} {'role':<11} {'scope':<22} {'password':<18} {'code now':<8} totp secret",
    ]
    for c in creds:
        lines.append(
            f"{c.username:<12} {c.role:<11} {c.scope:<22} {c.password:<18} "
            f"{totp.current_code(c.totp_secret, now):<8} {c.totp_secret}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m kodomo_dash.security.users demo|code USER` — the demo's login helper."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["demo"]:
        print(demo_login_text(create_demo_users(force="--force" in args)))
        return 0
    if len(args) == 2 and args[0] == "code":
        raw = yaml.safe_load(users_path().read_text(encoding="utf-8")) or {}
        if not raw.get("demo"):
            print("code helper works only for the demo user file", file=sys.stderr)
            return 2
        user = load_users().get(args[1])
        if user is None:
            print(f"unknown user {args[1]}", file=sys.stderr)
            return 2
        print(totp.current_code(user.totp_secret))
        return 0
    print("usage: python -m kodomo_dash.security.users demo [--force] | code USER", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
