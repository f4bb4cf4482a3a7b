"""Reads and the save of the privacy checklist page; every function checks the matrix first.

The checklist holds no data about children (only dates, staff names and evidence text), so the
right is the page's own: admin and manager view and save (authz_matrix.yaml). Nothing here is
cached: the answers change when someone saves, and the page is small.
"""

from __future__ import annotations

import datetime as dt

from kodomo_dash.casework import privacy
from kodomo_dash.casework.privacy import (
    ITEMS_EN,
    ITEMS_JA,
    MAX_EVIDENCE,
    MAX_PERSON,
    Answer,
    ChecklistError,
    fiscal_year,
    fy_label,
)
from kodomo_dash.security.principal import Principal
from kodomo_dash.services.unit_of_work import unit_of_work

__all__ = ["ITEMS_EN", "ITEMS_JA", "MAX_EVIDENCE", "MAX_PERSON", "fy_label", "Answer", "ChecklistError", "checklist", "fiscal_year", "fiscal_years", "save_answer"]

PAGE = "privacy_checklist"


def fiscal_years(principal: Principal, today: dt.date | None = None) -> list[int]:
    """Years to choose from, newest first: the current one and every year with a record."""
    with unit_of_work(principal, PAGE, "view") as w:
        years = set(privacy.recorded_years(w.con))
    years.add(fiscal_year(today))
    return sorted(years, reverse=True)


def checklist(principal: Principal, fy: int) -> dict[int, Answer]:
    with unit_of_work(principal, PAGE, "view") as w:
        return privacy.answers(w.con, fy)


def save_answer(principal: Principal, fy: int, item_no: int, done_on: dt.date | None, person: str,
                evidence: str) -> Answer:
    """Save one item (current fiscal year only); raises ChecklistError with a Japanese message.

    The checklist library opens the transaction itself, under its lock, so the lock covers the
    commit of the entry number it hands out (and the audit row beside it).
    """
    with unit_of_work(principal, PAGE, "save", library_tx=True) as w:
        return privacy.save(w.con, principal, fy, item_no, done_on, person, evidence)
