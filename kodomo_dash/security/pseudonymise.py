"""Pseudonymised extracts for analysts.

An analyst (evaluator) gets a CSV in which:
* the child is a keyed hash: HMAC-SHA256(project key, project || resident_id). The key
  belongs to the project and stays with the city; without it the pseudonym cannot be
  recomputed from a 宛名番号, and deleting it (with the files) ends the project's
  linkability for good. Two extracts of one project share pseudonyms so follow-ups join.
* the birth date is cut to year and month; names, kana, addresses, phone numbers, tax
  values and every other identifier column are refused outright (allowlist of columns
  plus a denylist check, so a mistake fails loudly instead of leaking);
* k-anonymity holds with k >= 5 on the chosen quasi-identifiers: values are generalised
  step by step (birth month -> year -> 5-year band -> *, codes -> *) and the few rows left
  in classes smaller than k are suppressed (at most max_suppression of the rows);
* every text cell is escaped against CSV formula injection (=, +, -, @, tab, CR and their
  full-width forms get a leading apostrophe), since analysts open these in Excel;
* pseudo_extract records who took it, why, when, and when it must be deleted, and the
  take is audited as an export.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from kodomo_dash.config.messages import CodedError, Localized, msg
from kodomo_dash.infra.transaction import transaction
from kodomo_dash.security import audit, matrix
from kodomo_dash.security.principal import Principal
from kodomo_dash.security.totp import utcnow

K_MIN = 5
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_PROJECT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# Columns that identify a person or carry tax data: never in an extract.
_DENY = re.compile(
    r"name|kana|kanji|alias|addr|phone|tel|mail|tax|income|氏名|住所|所得|税|電話|"
    r"^resident_id$|_resident_id$|^household_id$|student_no|case_no|notification_id|^birth_date$",
    re.IGNORECASE,
)


class ExtractRefused(CodedError, ValueError):
    """The extract would carry identifying or tax columns, or cannot reach k (coded, decision 065: the
    person running ``kodomo extract`` reads it in Japanese and English)."""


def _columns(names: list[str]) -> Localized:
    return Localized("、".join(names), ", ".join(names))


# --------------------------------------------------------------------------- cells


def pseudonym(key: bytes, project: str, resident_id: str) -> str:
    """32 hex characters (128 bits) of HMAC-SHA256; stable within a project, unlinkable across."""
    data = f"{project}\x1f{resident_id}".encode()
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:32]


def year_month(value: date | datetime | str | None) -> str | None:
    """'2019-04-17' -> '2019-04'; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, date | datetime):
        return f"{value.year:04d}-{value.month:02d}"
    s = str(value)
    if not re.match(r"^\d{4}-\d{2}", s):
        raise ExtractRefused(msg("extract.not_a_date", value=repr(s[:10])))
    return s[:7]


def escape_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas: text starting with = + - @ tab CR gets a leading '.

    Numbers are left as numbers (a negative int is data, not a formula); every string,
    including one that looks like '-1', is escaped, as OWASP advises.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], path: Path) -> int:
    """UTF-8 with BOM (Excel in Japanese opens it correctly), every cell quoted and escaped."""
    n = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL)
        w.writerow([escape_cell(c) for c in columns])
        for r in rows:
            w.writerow([escape_cell(r.get(c)) for c in columns])
            n += 1
    return n


# --------------------------------------------------------------------------- k-anonymity


def _band5(ym: str | None) -> str | None:
    if ym in (None, "*"):
        return ym
    y = int(str(ym)[:4])
    lo = y - y % 5
    return f"{lo}-{lo + 4}"


Generaliser = Callable[[Any], Any]
HIERARCHIES: dict[str, list[Generaliser]] = {
    "birth_ym": [lambda v: v, lambda v: None if v is None else str(v)[:4], _band5, lambda v: "*"],
}
DEFAULT_HIERARCHY: list[Generaliser] = [lambda v: v, lambda v: "*"]


def equivalence_classes(rows: Sequence[Mapping[str, Any]], qi: Sequence[str]) -> Counter:
    return Counter(tuple(r.get(q) for q in qi) for r in rows)


def k_anonymity(rows: Sequence[Mapping[str, Any]], qi: Sequence[str]) -> int:
    """The size of the smallest equivalence class on `qi` (0 for no rows)."""
    classes = equivalence_classes(rows, qi)
    return min(classes.values()) if classes else 0


@dataclass
class Anonymised:
    rows: list[dict]
    k_achieved: int
    suppressed: int
    levels: dict[str, int]


def anonymise(
    rows: Sequence[Mapping[str, Any]],
    qi: Sequence[str],
    k: int = K_MIN,
    max_suppression: float = 0.05,
    hierarchies: Mapping[str, list[Generaliser]] | None = None,
) -> Anonymised:
    """Generalise the quasi-identifiers, then suppress what is left below k.

    Greedy full-domain generalisation: while more than max_suppression of the rows sit in
    classes smaller than k, raise the generalisation level of the quasi-identifier with the
    most distinct values. Then drop the rows of the remaining small classes. The result
    always satisfies k (or is empty).
    """
    if k < K_MIN:
        raise ExtractRefused(msg("extract.k_min", k_min=K_MIN))
    h = {q: list((hierarchies or {}).get(q) or HIERARCHIES.get(q) or DEFAULT_HIERARCHY) for q in qi}
    levels = {q: 0 for q in qi}
    base = [dict(r) for r in rows]

    def apply() -> list[dict]:
        return [{**r, **{q: h[q][levels[q]](r.get(q)) for q in qi}} for r in base]

    while True:
        current = apply()
        classes = equivalence_classes(current, qi)
        small = sum(n for n in classes.values() if n < k)
        if small <= max_suppression * len(current):
            break
        raisable = [q for q in qi if levels[q] + 1 < len(h[q])]
        if not raisable:
            break
        distinct = {q: len({r.get(q) for r in current}) for q in raisable}
        levels[max(raisable, key=lambda q: distinct[q])] += 1
    kept = [r for r in current if classes[tuple(r.get(q) for q in qi)] >= k]
    return Anonymised(kept, k_anonymity(kept, qi), len(current) - len(kept), dict(levels))


# --------------------------------------------------------------------------- extracts


@dataclass(frozen=True)
class ExtractSpec:
    project: str
    purpose: str
    columns: tuple[str, ...]
    quasi_identifiers: tuple[str, ...] = ("birth_ym", "sex", "ward_code")
    id_column: str = "resident_id"
    birth_date_column: str | None = "birth_date"
    k: int = K_MIN
    max_suppression: float = 0.05

    def check(self) -> None:
        if not _PROJECT_RE.match(self.project):
            raise ExtractRefused(msg("extract.project"))
        if not self.purpose.strip():
            raise ExtractRefused(msg("extract.purpose"))
        overrides = matrix.load_matrix().column_group_overrides
        bad = [
            c
            for c in self.columns
            if _DENY.search(c) or overrides.get(c) in ("identity", "tax") or c in ("pseudonym", "birth_ym")
        ]
        if bad:
            raise ExtractRefused(msg("extract.identifying", columns=_columns(bad)))
        out = set(self.output_columns)
        missing = [q for q in self.quasi_identifiers if q not in out]
        if missing:
            raise ExtractRefused(msg("extract.qi_missing", columns=_columns(missing)))

    @property
    def output_columns(self) -> list[str]:
        return ["pseudonym"] + (["birth_ym"] if self.birth_date_column else []) + list(self.columns)


@dataclass
class ExtractResult:
    columns: list[str]
    rows: list[dict]
    k_achieved: int
    suppressed: int
    levels: dict[str, int] = field(default_factory=dict)


def build_extract(rows: Iterable[Mapping[str, Any]], spec: ExtractSpec, key: bytes) -> ExtractResult:
    """Pseudonymise, minimise and k-anonymise rows (pure: no files, no database)."""
    spec.check()
    if len(key) < 32:
        raise ExtractRefused(msg("extract.key_short"))
    out = []
    for r in rows:
        o: dict[str, Any] = {"pseudonym": pseudonym(key, spec.project, str(r[spec.id_column]))}
        if spec.birth_date_column:
            o["birth_ym"] = year_month(r.get(spec.birth_date_column))
        for c in spec.columns:
            o[c] = r.get(c)
        out.append(o)
    an = anonymise(out, spec.quasi_identifiers, spec.k, spec.max_suppression)
    if an.rows and an.k_achieved < spec.k:  # cannot happen by construction; refuse loudly if it does
        raise ExtractRefused(msg("extract.k_not_reached", achieved=an.k_achieved, k=spec.k))
    return ExtractResult(spec.output_columns, an.rows, an.k_achieved, an.suppressed, an.levels)


def project_key(out_dir: Path, project: str) -> tuple[bytes, Path]:
    """The project's HMAC key (created on first use, mode 0600) and its file."""
    kp = Path(out_dir) / project / "pseudonym.key"
    if not kp.exists():
        kp.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(kp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return bytes.fromhex(kp.read_text().strip()), kp


@dataclass(frozen=True)
class ExtractRecord:
    extract_id: str
    project: str
    file_path: Path
    key_path: Path
    row_count: int
    suppressed: int
    k_achieved: int
    delete_by: date


def create_extract(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    rows: Iterable[Mapping[str, Any]],
    spec: ExtractSpec,
    out_dir: Path,
    delete_by: date,
    now: datetime | None = None,
) -> ExtractRecord:
    """Build, write and record one extract; refused (and audited) for roles without the right."""
    matrix.require(principal, "pseudonymised_extract", "export")
    now = now or utcnow()
    if delete_by <= now.date():
        raise ExtractRefused(msg("extract.delete_by"))
    key, key_path = project_key(out_dir, spec.project)
    result = build_extract(rows, spec, key)
    extract_id = f"{spec.project}-{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    path = Path(out_dir) / spec.project / f"{extract_id}.csv"
    write_csv(result.rows, result.columns, path)
    os.chmod(path, 0o600)
    with transaction(con):  # the record and its audit row commit together
        con.execute(
            "insert into pseudo_extract (extract_id, project, purpose, taken_by, taken_at, delete_by, file_path, key_path,"
            " row_count, suppressed_count, k_required, k_achieved, quasi_identifiers, generalisation)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                extract_id,
                spec.project,
                spec.purpose,
                principal.username,
                now,
                delete_by,
                str(path),
                str(key_path),
                len(result.rows),
                result.suppressed,
                spec.k,
                result.k_achieved,
                ",".join(spec.quasi_identifiers),
                ",".join(f"{q}:{lvl}" for q, lvl in result.levels.items()),
            ],
        )
        audit.record(
            con,
            principal,
            "export",
            page="pseudonymised_extract",
            target=extract_id,
            n_children=len(result.rows),
            detail={
                "project": spec.project,
                "k": result.k_achieved,
                "suppressed": result.suppressed,
                "delete_by": delete_by.isoformat(),
            },
            now=now,
        )
    return ExtractRecord(
        extract_id,
        spec.project,
        path,
        key_path,
        len(result.rows),
        result.suppressed,
        result.k_achieved,
        delete_by,
    )


def delete_extract(
    con: duckdb.DuckDBPyConnection, actor: Principal | str, extract_id: str, now: datetime | None = None
) -> None:
    """Delete the file; when it was the project's last live extract, delete the key too."""
    now = now or utcnow()
    row = con.execute(
        "select project, file_path, key_path from pseudo_extract where extract_id = ? and deleted_at is null",
        [extract_id],
    ).fetchone()
    if row is None:
        raise ExtractRefused(msg("extract.no_live", extract_id=extract_id))
    project, file_path, key_path = row
    Path(file_path).unlink(missing_ok=True)
    with transaction(con):  # the deletion and its audit row commit together
        con.execute(
            "update pseudo_extract set deleted_at = ?, deleted_by = ? where extract_id = ?",
            [now, actor.username if isinstance(actor, Principal) else str(actor), extract_id],
        )
        live = con.execute(
            "select count(*) from pseudo_extract where project = ? and deleted_at is null", [project]
        ).fetchone()[0]
        if live == 0:
            Path(key_path).unlink(missing_ok=True)
        audit.record(
            con,
            actor,
            "setting_change",
            page="pseudonymised_extract",
            target=extract_id,
            detail={"setting": "extract_deleted", "project": project, "key_deleted": live == 0},
            now=now,
        )


def extracts_due(con: duckdb.DuckDBPyConnection, today: date) -> list[tuple[str, str, date]]:
    """Extracts past their deletion date and not yet deleted: (extract_id, taken_by, delete_by)."""
    return con.execute(
        "select extract_id, taken_by, delete_by from pseudo_extract where deleted_at is null and delete_by <= ?"
        " order by delete_by",
        [today],
    ).fetchall()
