"""Append-only, hash-chained audit trail in casework.

Every login and failure, search, child-card view, form save, export, setting change and
refusal becomes one row of audit_log. Each row stores prev_hash and
row_hash = sha256(canonical JSON of the row + prev_hash), so editing or deleting a row
breaks the chain and verify() names the place. audit_head (written in the same
transaction) also catches deletion of the newest rows.

What the log holds: the acting username and role, the page, the child's resident_id
(宛名番号, so "who viewed this child" works from the card) and a small JSON detail. It never
holds names, kana, addresses, search text or tax values: record() refuses detail keys
that look like them and values that are not short scalars. The casework file is
encrypted at rest, like the case records that already carry resident_ids, so
pseudonymising the id here would add a key to manage without protecting anything more.

Retention (default 3 years) prunes a prefix of the chain and leaves an anchor: an
audit_checkpoint row (through_seq, through_hash) plus an ordinary chained 'retention'
row recording the same, so the remaining chain still verifies from the anchor.

Writes are serialised by one process-wide lock and a short transaction: Streamlit runs
every session as a thread in one process, and DuckDB allows one writing process per file.

Limit, stated plainly: a chain without a secret key is tamper-evident, not tamper-proof.
Someone who can decrypt and rewrite the file can recompute every hash. Keep the head
(`head()` / `kodomo audit verify` prints it) somewhere else, e.g. the daily syslog, and
pass it back as `anchor` to prove the chain has not been rewritten since.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb

from kodomo_dash.infra.transaction import WRITERS, hold_until_end, transaction
from kodomo_dash.security.principal import Principal
from kodomo_dash.security.totp import utcnow

ACTIONS = frozenset(
    {
        "login",
        "login_failed",
        "logout",
        "search",
        "view_child",
        "form_save",
        "export",
        "setting_change",
        "access_denied",
        "alert",  # mass-download alert, written by this module
        "retention",  # retention prune, written by this module
    }
)
GENESIS = "0" * 64
FIELDS = (
    "seq",
    "occurred_at",
    "username",
    "role",
    "action",
    "page",
    "resident_id",
    "target",
    "n_children",
    "detail",
)

DEFAULT_RETENTION_DAYS = 3 * 365
DEFAULT_ALERT_THRESHOLD = 100
DEFAULT_ALERT_WINDOW_MINUTES = 60
SETTING_KEYS = {
    "retention_days": "audit.retention_days",
    "alert_threshold": "audit.mass_download_threshold",
    "alert_window_minutes": "audit.mass_download_window_minutes",
}

# Detail keys that would carry personal data or search text: refused outright.
_FORBIDDEN_KEY = re.compile(
    r"name|kana|kanji|addr|phone|tel|mail|tax|income|birth|query|keyword|text|password|secret|氏名|住所|所得|税|電話",
    re.IGNORECASE,
)
_RESIDENT_ID = re.compile(r"^[0-9A-Za-z_-]{1,32}$")
_SHORT = 200

_write_lock = WRITERS  # the transactions' own order (infra/transaction.py): the head is read after every commit


class AuditError(ValueError):
    """A record() call that would put something into the log that does not belong there."""


class AuditTampered(RuntimeError):
    """verify() failed where an operation (retention prune) needs an intact chain."""


@dataclass(frozen=True)
class AuditConfig:
    retention_days: int = DEFAULT_RETENTION_DAYS
    alert_threshold: int = DEFAULT_ALERT_THRESHOLD
    alert_window_minutes: int = DEFAULT_ALERT_WINDOW_MINUTES


@dataclass(frozen=True)
class MassDownloadAlert:
    username: str
    children: int
    threshold: int
    window_minutes: int

    def message_ja(self) -> str:
        return (
            f"{self.window_minutes}分間に{self.children}人分のこどもの情報が閲覧・出力されました"
            f"（基準 {self.threshold}人）。管理者に通知されます。"
        )


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    occurred_at: datetime
    username: str
    role: str | None
    action: str
    page: str | None
    resident_id: str | None
    target: str | None
    n_children: int | None
    detail: dict
    prev_hash: str
    row_hash: str
    alert: MassDownloadAlert | None = None


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    head_seq: int | None
    head_hash: str | None
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None
    resumed_after: int | None = None  # seq the walk resumed after (None: the whole chain was walked)

    def summary(self) -> str:
        if self.ok:
            return f"audit chain OK: {self.checked} rows, head seq={self.head_seq} hash={self.head_hash}"
        return "audit chain BROKEN:\n  " + "\n  ".join(self.problems)


@dataclass(frozen=True)
class PruneResult:
    pruned: int
    through_seq: int | None


# --------------------------------------------------------------------------- canonical form


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def canonical(row: Mapping[str, Any]) -> str:
    """The exact text that is hashed: the row's fields as compact, key-sorted JSON."""
    obj = {k: row[k] for k in FIELDS}
    obj["occurred_at"] = _iso(obj["occurred_at"])
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(row: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256((canonical(row) + prev_hash).encode("utf-8")).hexdigest()


def _clean_detail(detail: Mapping[str, Any] | None) -> str:
    detail = dict(detail or {})
    for key, value in detail.items():
        if not isinstance(key, str) or _FORBIDDEN_KEY.search(key):
            raise AuditError(f"detail key not allowed in the audit log: {key!r}")
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > 50:
            raise AuditError(f"detail {key!r}: at most 50 items")
        for v in values:
            if v is not None and not isinstance(v, str | int | float | bool):
                raise AuditError(f"detail {key!r}: only short scalars are logged")
            if isinstance(v, str) and len(v) > _SHORT:
                raise AuditError(f"detail {key!r}: string too long for the audit log")
    return json.dumps(detail, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _short(value: str | None, what: str) -> str | None:
    if value is not None and len(str(value)) > _SHORT:
        raise AuditError(f"{what} too long for the audit log")
    return None if value is None else str(value)


# --------------------------------------------------------------------------- config


def load_config(con: duckdb.DuckDBPyConnection) -> AuditConfig:
    """Retention and alert settings from app_setting (admin-editable), with defaults."""
    rows = dict(
        con.execute(
            "select key, value from app_setting where key in (?, ?, ?)", list(SETTING_KEYS.values())
        ).fetchall()
    )
    values = {}
    for attr, key in SETTING_KEYS.items():
        if key in rows:
            try:
                values[attr] = max(1, int(rows[key]))
            except ValueError:
                pass
    return AuditConfig(**values)


# --------------------------------------------------------------------------- writing


def _append(con: duckdb.DuckDBPyConnection, row: dict) -> AuditEvent:
    """Chain and insert one row. Caller holds _write_lock inside an open transaction."""
    head = con.execute("select seq, row_hash from audit_head where id = 1").fetchone()
    if head is None:
        seq, prev = 1, GENESIS
    else:
        seq, prev = head[0] + 1, head[1]
    row = {**row, "seq": seq}
    h = row_hash(row, prev)
    con.execute(
        "insert into audit_log (seq, occurred_at, username, role, action, page, resident_id, target, n_children, detail,"
        " prev_hash, row_hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [row[k] for k in FIELDS] + [prev, h],
    )
    con.execute(
        "insert into audit_head (id, seq, row_hash) values (1, ?, ?) "
        "on conflict (id) do update set seq = excluded.seq, row_hash = excluded.row_hash",
        [seq, h],
    )
    return AuditEvent(
        seq=seq,
        occurred_at=row["occurred_at"],
        username=row["username"],
        role=row["role"],
        action=row["action"],
        page=row["page"],
        resident_id=row["resident_id"],
        target=row["target"],
        n_children=row["n_children"],
        detail=json.loads(row["detail"]),
        prev_hash=prev,
        row_hash=h,
    )


def _write(con: duckdb.DuckDBPyConnection, row: dict) -> AuditEvent:
    """Append in the caller's transaction when one is open (the save and its row commit together).

    The chain head is one row every writer updates, so the process lock is held until that
    transaction ends: a second session's save waits a few statements instead of failing on a
    write-write conflict at COMMIT.
    """
    with transaction(con):
        hold_until_end(con, _write_lock)
        return _append(con, row)


def record(
    con: duckdb.DuckDBPyConnection,
    actor: Principal | str,
    action: str,
    *,
    page: str | None = None,
    resident_id: str | None = None,
    target: str | None = None,
    n_children: int | None = None,
    detail: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    config: AuditConfig | None = None,
) -> AuditEvent:
    """Append one audited event; returns it (with .alert set if it tripped the mass-download alert).

    actor is the signed-in Principal, or a bare username where there is none yet
    (login_failed: pass "unknown" for a username that is not an account, so a password
    typed into the username box never reaches the log).
    """
    if action not in ACTIONS:
        raise AuditError(f"unknown audit action: {action!r}")
    if resident_id is not None and not _RESIDENT_ID.match(str(resident_id)):
        raise AuditError("resident_id must be an id (宛名番号), not free text")
    if n_children is not None and (not isinstance(n_children, int) or n_children < 0):
        raise AuditError("n_children must be a non-negative int")
    username = actor.username if isinstance(actor, Principal) else str(actor)
    row = {
        "occurred_at": now or utcnow(),
        "username": _short(username, "username") or "unknown",
        "role": actor.role if isinstance(actor, Principal) else None,
        "action": action,
        "page": _short(page, "page"),
        "resident_id": None if resident_id is None else str(resident_id),
        "target": _short(target, "target"),
        "n_children": n_children,
        "detail": _clean_detail(detail),
    }
    event = _write(con, row)
    if action in ("view_child", "export"):
        alert = _check_mass_download(
            con, row["username"], row["role"], row["occurred_at"], config or load_config(con)
        )
        if alert is not None:
            event = AuditEvent(**{**event.__dict__, "alert": alert})
    return event


def _check_mass_download(
    con: duckdb.DuckDBPyConnection, username: str, role: str | None, now: datetime, config: AuditConfig
) -> MassDownloadAlert | None:
    """Amagasaki's alert: more than N children viewed or exported by one user within T minutes.

    Children viewed count once each (distinct resident_id); exports count their n_children.
    One alert row per user per window, so a bulk export does not flood the log.
    """
    since = now - timedelta(minutes=config.alert_window_minutes)
    viewed, exported = con.execute(
        "select count(distinct resident_id) filter (where action = 'view_child'),"
        " coalesce(sum(n_children) filter (where action = 'export'), 0)"
        " from audit_log where username = ? and occurred_at > ? and action in ('view_child', 'export')",
        [username, since],
    ).fetchone()
    total = int(viewed) + int(exported)
    if total <= config.alert_threshold:
        return None
    already = con.execute(
        "select count(*) from audit_log where username = ? and action = 'alert' and occurred_at > ?",
        [username, since],
    ).fetchone()[0]
    alert = MassDownloadAlert(username, total, config.alert_threshold, config.alert_window_minutes)
    if not already:
        _write(
            con,
            {
                "occurred_at": now,
                "username": username,
                "role": role,
                "action": "alert",
                "page": None,
                "resident_id": None,
                "target": "mass_download",
                "n_children": total,
                "detail": _clean_detail(
                    {
                        "kind": "mass_download",
                        "threshold": config.alert_threshold,
                        "window_minutes": config.alert_window_minutes,
                    }
                ),
            },
        )
    return alert


def denial_recorder(
    connection: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
) -> Callable[[Principal | None, str, str, str], None]:
    """A recorder for matrix.set_denial_recorder: each refusal becomes an access_denied row."""

    def _record(principal: Principal | None, page: str, action: str, reason: str) -> None:
        with connection() as con:
            record(
                con,
                principal or "anonymous",
                "access_denied",
                page=page,
                detail={"action": action, "reason": reason[:_SHORT]},
            )

    return _record


# --------------------------------------------------------------------------- reading


_SELECT = (
    "select seq, occurred_at, username, role, action, page, resident_id, target, n_children, detail, prev_hash, row_hash"
    " from audit_log"
)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list, batch: int = 10_000) -> Iterator[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    while True:
        chunk = cur.fetchmany(batch)
        if not chunk:
            return
        for r in chunk:
            yield dict(zip(names, r, strict=True))


def head(con: duckdb.DuckDBPyConnection) -> tuple[int, str] | None:
    """(seq, row_hash) of the newest row: export it daily to an outside log as an anchor."""
    row = con.execute("select seq, row_hash from audit_head where id = 1").fetchone()
    return None if row is None else (int(row[0]), row[1])


def query(
    con: duckdb.DuckDBPyConnection,
    *,
    username: str | None = None,
    resident_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
) -> list[dict]:
    """The admin page's filter (user, child, action, date), newest first; parameters only."""
    where, params = [], []
    for col, val in (("username", username), ("resident_id", resident_id), ("action", action)):
        if val:
            where.append(f"{col} = ?")
            params.append(val)
    if since:
        where.append("occurred_at >= ?")
        params.append(since)
    if until:
        where.append("occurred_at < ?")
        params.append(until)
    sql = _SELECT + (" where " + " and ".join(where) if where else "") + " order by seq desc limit ?"
    params.append(int(limit))
    return list(_rows(con, sql, params))


def who_viewed(con: duckdb.DuckDBPyConnection, resident_id: str, limit: int = 200) -> list[dict]:
    """For the child card: who viewed, saved or exported this child, newest first."""
    return [
        {k: r[k] for k in ("occurred_at", "username", "role", "action", "page")}
        for r in query(con, resident_id=resident_id, limit=limit)
        if r["action"] in ("view_child", "form_save", "export")
    ]


# --------------------------------------------------------------------------- verification


def format_anchor(anchor: tuple[int, str]) -> str:
    """'seq:hash', the form `kodomo audit verify` prints and accepts back with --anchor."""
    return f"{anchor[0]}:{anchor[1]}"


def parse_anchor(text: str) -> tuple[int, str]:
    seq, _, h = text.strip().partition(":")
    if not seq.isdigit() or not re.fullmatch(r"[0-9a-f]{64}", h):
        raise ValueError("anchor must be 'seq:sha256hex' as printed by `kodomo audit verify`")
    return int(seq), h


def verify(con: duckdb.DuckDBPyConnection, anchor: tuple[int, str] | None = None,
           resume: tuple[int, str] | None = None) -> VerifyResult:
    """Walk the chain from the latest retention checkpoint and report every break.

    Detects: an edited row (its hash no longer matches), a deleted row (a gap in seq or a
    broken prev_hash link), deleted newest rows (audit_head ahead of the table), a forged
    checkpoint (no matching chained 'retention' row) and, given an anchor exported
    earlier, a rewritten chain.

    `resume` = (seq, row_hash) of the newest row an earlier full walk verified: only the rows
    after it are walked, provided that row still carries that hash and no retention ran since
    (otherwise the whole chain is walked). The audit page uses it so that opening it stays
    fast as the trail grows; an edit *before* the resume point is found by the next full walk
    (`kodomo audit verify`, or the page's 全件を検証 button), not by the resumed one.
    """
    problems: list[str] = []
    first_bad: list[int | None] = [None]

    def bad(seq: int | None, msg: str) -> None:
        problems.append(msg)
        if first_bad[0] is None:
            first_bad[0] = seq

    cp = con.execute(
        "select through_seq, through_hash from audit_checkpoint order by through_seq desc limit 1"
    ).fetchone()
    expected_seq, expected_prev = (cp[0] + 1, cp[1]) if cp else (1, GENESIS)
    retention_seen = cp is None
    checked = 0
    last: tuple[int, str] | None = None
    anchor_seen = anchor is None or (cp is not None and anchor[0] <= cp[0])
    after = 0
    if resume is not None and anchor is None and (cp is None or cp[0] < resume[0]):
        still = con.execute("select row_hash from audit_log where seq = ?", [resume[0]]).fetchone()
        if still is not None and still[0] == resume[1]:
            after = resume[0]
            expected_seq, expected_prev = resume[0] + 1, resume[1]
            retention_seen = True  # the checkpoint's retention row lies before the resume point
            last = resume
    for r in _rows(con, _SELECT + " where seq > ? order by seq", [after]):
        seq = r["seq"]
        if seq != expected_seq:
            if seq > expected_seq:
                bad(expected_seq, f"rows {expected_seq}..{seq - 1} are missing (deleted)")
            else:
                bad(seq, f"row {seq} is out of order")
        if r["prev_hash"] != expected_prev:
            bad(seq, f"row {seq}: prev_hash does not match the row before (a row was deleted or replaced)")
        if row_hash(r, r["prev_hash"]) != r["row_hash"]:
            bad(seq, f"row {seq}: content does not match its hash (edited)")
        if cp is not None and r["action"] == "retention":
            d = json.loads(r["detail"])
            if d.get("through_seq") == cp[0] and d.get("through_hash") == cp[1]:
                retention_seen = True
        if anchor is not None and seq == anchor[0]:
            anchor_seen = True
            if r["row_hash"] != anchor[1]:
                bad(seq, f"row {seq}: hash differs from the exported anchor (chain rewritten)")
        expected_seq, expected_prev = seq + 1, r["row_hash"]
        last = (seq, r["row_hash"])
        checked += 1
    h = head(con)
    if h is not None and h != last:
        if last is None or h[0] > last[0]:
            bad(
                last[0] + 1 if last else h[0],
                f"newest rows deleted: head is seq {h[0]}, table ends at {last[0] if last else 'nothing'}",
            )
        else:
            bad(h[0], f"audit_head (seq {h[0]}) does not match the newest row")
    if h is None and last is not None:
        bad(None, "audit_head is missing")
    if not retention_seen:
        bad(cp[0], f"checkpoint through seq {cp[0]} has no matching chained retention row (forged?)")
    if not anchor_seen:
        bad(anchor[0], f"anchor seq {anchor[0]} not found in the chain")
    return VerifyResult(
        ok=not problems,
        checked=checked,
        head_seq=last[0] if last else None,
        head_hash=last[1] if last else None,
        problems=problems,
        first_bad_seq=first_bad[0],
        resumed_after=after or None,
    )


# --------------------------------------------------------------------------- retention


def prune(
    con: duckdb.DuckDBPyConnection,
    actor: Principal | str,
    now: datetime | None = None,
    retention_days: int | None = None,
) -> PruneResult:
    """Delete rows older than the retention period, leaving a verifiable anchor.

    Refuses (AuditTampered) when the chain does not verify: pruning would destroy the
    evidence. Only a prefix is ever removed, so the chain stays contiguous.
    """
    now = now or utcnow()
    days = retention_days if retention_days is not None else load_config(con).retention_days
    cutoff = now - timedelta(days=days)
    username = actor.username if isinstance(actor, Principal) else str(actor)
    role = actor.role if isinstance(actor, Principal) else None
    with _write_lock:
        result = verify(con)
        if not result.ok:
            raise AuditTampered(result.summary())
        first_keep = con.execute(
            "select min(seq) from audit_log where occurred_at >= ?", [cutoff]
        ).fetchone()[0]
        through = (first_keep - 1) if first_keep is not None else result.head_seq
        lowest = con.execute("select min(seq) from audit_log").fetchone()[0]
        if through is None or lowest is None or through < lowest:
            return PruneResult(0, None)
        with transaction(con):
            through_hash = con.execute("select row_hash from audit_log where seq = ?", [through]).fetchone()[
                0
            ]
            count = con.execute("select count(*) from audit_log where seq <= ?", [through]).fetchone()[0]
            con.execute(
                "insert into audit_checkpoint (through_seq, through_hash, pruned_count, pruned_at, pruned_by)"
                " values (?, ?, ?, ?, ?)",
                [through, through_hash, count, now, username],
            )
            con.execute("delete from audit_log where seq <= ?", [through])
            _append(
                con,
                {
                    "occurred_at": now,
                    "username": username,
                    "role": role,
                    "action": "retention",
                    "page": None,
                    "resident_id": None,
                    "target": "audit_log",
                    "n_children": None,
                    "detail": _clean_detail(
                        {
                            "through_seq": through,
                            "through_hash": through_hash,
                            "pruned": count,
                            "retention_days": days,
                        }
                    ),
                },
            )
    return PruneResult(int(count), int(through))
