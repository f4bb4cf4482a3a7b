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
from kodomo_dash.infra.db import casework_connection
from kodomo_dash.security import matrix
from kodomo_dash.security.principal import Principal

__all__ = ["ITEMS_EN", "ITEMS_JA", "MAX_EVIDENCE", "MAX_PERSON", "fy_label", "Answer", "ChecklistError", "checklist", "fiscal_year", "fiscal_years", "save_answer"]


def fiscal_years(principal: Principal, today: dt.date | None = None) -> list[int]:
    """Years to choose from, newest first: the current one and every year with a record."""
    matrix.require(principal, "privacy_checklist", "view")
    with casework_connection() as con:
        years = set(privacy.recorded_years(con))
    years.add(fiscal_year(today))
    return sorted(years, reverse=True)


def checklist(principal: Principal, fy: int) -> dict[int, Answer]:
    matrix.require(principal, "privacy_checklist", "view")
    with casework_connection() as con:
        return privacy.answers(con, fy)


def save_answer(principal: Principal, fy: int, item_no: int, done_on: dt.date | None, person: str,
                evidence: str) -> Answer:
    """Save one item (current fiscal year only); raises ChecklistError with a Japanese message."""
    matrix.require(principal, "privacy_checklist", "save")
    with casework_connection() as con:
        return privacy.save(con, principal, fy, item_no, done_on, person, evidence)
