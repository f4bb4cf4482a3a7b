"""The annual privacy self-check (プライバシー保護点検): Fukuoka's eight items, answered year by year.

Fukuoka's FY2025 report (4.1.4 ⑤ and 4.2 ②) describes a check sheet built from the national
こどもデータ連携ガイドライン: every year the managing department checks itself against eight
items, then the privacy protection manager checks the result. Here each item of each fiscal
year gets a date, a person and the evidence (which document, what was confirmed).

Rules, and why:
* Only the current fiscal year can be written. A past year's check is a record of what was
  done then; rewriting it afterwards would defeat the point (the page shows it read-only).
* Entries are append-only; a correction within the year is a new row and the newest counts,
  so the history of the record itself is kept (privacy_check_current picks the newest).
* Every save is audited (form_save, target privacy_check:<fy>:<item>); the audit row holds the
  year and item number, not the text.
* Text is kept exactly as typed (it is shown back through plain-text widgets only); limits
  are checked here so over-long input gets a Japanese message instead of an error page.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import duckdb

from kodomo_dash.config.calendar import fiscal_year, fy_label  # noqa: F401 - re-exported for the privacy page
from kodomo_dash.config.messages import CodedError, Localized, msg
from kodomo_dash.infra.transaction import transaction
from kodomo_dash.security import audit
from kodomo_dash.security.principal import Principal

# Fukuoka FY2025 report, 4.2 ② 【プライバシー保護点検】, items 1-8 as published.
ITEMS_JA: tuple[str, ...] = (
    "プライバシー保護や個人情報保護に係る対応について、国から示されるガイドラインや通知等に則り適切に対応を行っているか。",
    "事業目的は適切・明確か。",
    "個人情報の利用目的を特定し、明文化しているか。",
    "情報収集や利用に関する法的根拠は明確か。",
    "収集する情報項目は事業目的を達成するために必要最低限の範囲であり、かつ支援の必要性や早期把握との関連性は適切か。",
    "個人情報保護やプライバシー保護に関し、適切な管理体制を構築しているか。",
    "差別や偏見につながらないよう十分な配慮ができているか。",
    "個人情報の取扱い等に関し、適切な安全管理措置を講じているか。",
)
ITEMS_EN: tuple[str, ...] = (
    "Privacy and personal-data protection follow the national guidelines and notices.",
    "The purpose of the project is appropriate and clear.",
    "The purpose of using personal data is specified and written down.",
    "The legal basis for collecting and using the data is clear.",
    "The data items collected are the minimum needed for the purpose and relevant to finding needs early.",
    "A proper management structure for personal-data and privacy protection is in place.",
    "Enough care is taken that the project does not lead to discrimination or prejudice.",
    "Appropriate security measures are taken for handling personal data.",
)
N_ITEMS = len(ITEMS_JA)
MAX_PERSON = 50
MAX_EVIDENCE = 2000

_lock = threading.Lock()


class ChecklistError(CodedError, ValueError):
    """A save that cannot be accepted; ``.message`` is a Message, str() its Japanese (decision 065)."""


@dataclass(frozen=True)
class Answer:
    fy: int
    item_no: int
    done_on: dt.date
    person: str
    evidence: str
    saved_by: str
    saved_at: dt.datetime


def answers(con: duckdb.DuckDBPyConnection, fy: int) -> dict[int, Answer]:
    """The current answer per item of one fiscal year (items not yet answered are absent)."""
    rows = con.execute(
        "select fy, item_no, done_on, person, evidence, saved_by, saved_at from privacy_check_current"
        " where fy = ? order by item_no",
        [int(fy)],
    ).fetchall()
    return {r[1]: Answer(*r) for r in rows}


def recorded_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [r[0] for r in con.execute("select distinct fy from privacy_check_entry order by fy").fetchall()]


def validate(
    fy: int, item_no: int, done_on: dt.date | None, person: str, evidence: str, today: dt.date
) -> tuple[str, str]:
    """The cleaned (person, evidence), or ChecklistError with the reason in Japanese."""
    if fy != fiscal_year(today):
        raise ChecklistError(msg("pc.past_year", fy=Localized(fy_label(fy), f"FY{fy}")))
    if not 1 <= int(item_no) <= N_ITEMS:
        raise ChecklistError(msg("pc.item_no", n=N_ITEMS))
    person, evidence = (person or "").strip(), (evidence or "").strip()
    if done_on is None or not person:
        raise ChecklistError(msg("pc.date_and_person"))
    if done_on > today:
        raise ChecklistError(msg("pc.future_date"))
    if done_on < dt.date(fy - 1, 4, 1):
        raise ChecklistError(msg("pc.too_old"))
    if len(person) > MAX_PERSON:
        raise ChecklistError(msg("pc.person_too_long", max=MAX_PERSON, n=len(person)))
    if not evidence:
        raise ChecklistError(msg("pc.evidence_required"))
    if len(evidence) > MAX_EVIDENCE:
        raise ChecklistError(msg("pc.evidence_too_long", max=MAX_EVIDENCE, n=len(evidence)))
    if any(ord(c) < 32 and c not in "\n\t" for c in person + evidence):
        raise ChecklistError(msg("pc.control_chars"))
    return person, evidence


def save(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    fy: int,
    item_no: int,
    done_on: dt.date | None,
    person: str,
    evidence: str,
    *,
    now: dt.datetime | None = None,
) -> Answer:
    """Record one item's answer for the current fiscal year and audit it (caller checked the right)."""
    now = now or dt.datetime.now()
    person, evidence = validate(int(fy), int(item_no), done_on, person, evidence, now.date())
    with _lock, transaction(con):
        entry_id = con.execute("select coalesce(max(entry_id), 0) + 1 from privacy_check_entry").fetchone()[0]
        con.execute(
            "insert into privacy_check_entry (entry_id, fy, item_no, done_on, person, evidence, saved_by, saved_at)"
            " values (?, ?, ?, ?, ?, ?, ?, ?)",
            [entry_id, int(fy), int(item_no), done_on, person, evidence, principal.username, now],
        )
        audit.record(
            con,
            principal,
            "form_save",
            page="privacy_checklist",
            target=f"privacy_check:{int(fy)}:{int(item_no)}",
            detail={"fy": int(fy), "item": int(item_no)},
        )
    return Answer(int(fy), int(item_no), done_on, person, evidence, principal.username, now)
