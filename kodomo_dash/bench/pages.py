"""`kodomo bench` step `pages`: how long each screen takes to render, and how fast child search answers.

Why through AppTest and app.py: a page's time as a user feels it includes the gate (sign-in
re-validation, the page list) and the page's own imports, so every page is rendered by running
the real app.py signed in (``kodomo_dash.testing.apptest``, the same gate the page tests use) as a
role that may open it. Each page is run once cold (first render in this process: its imports and
caches are paid) and then ``runs`` times warm, each warm run a fresh session as when another user
opens the page; the figure is the median of the warm runs.

Figures (targets in brackets): ``page_<key>_s``, ``page_<key>_cold_s`` and the warm
runs' median CPU time ``page_<key>_cpu_s`` (wall time on a shared machine counts others' work) for every
existing page (funnel and form pages ≤ 1 s; the child card is rendered with a real child
selected: ≤ 1 s), ``page_funnel_evaluator_s`` (the suppressed, aggregate-only funnel), and
``search_ms`` / ``search_ms_p95`` over a set of realistic searches (≤ 200 ms) through the same
function the search page calls. Only timings and counts are recorded or printed — never a name,
an address or an identifier.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from collections.abc import Mapping
from typing import Any

from kodomo_dash.security import matrix
from kodomo_dash.testing.apptest import app_as, principal_for
from kodomo_dash.ui.navigation import ALL_PAGES

# The role each page is timed as: the first of these that may open it. A city-wide role first,
# because it sees the most rows (the worst case for a page's queries).
ROLE_PREFERENCE = ("manager", "admin", "yotaikyo", "ward_staff", "ssw", "school", "evaluator")
PAGE_TIMEOUT_S = 300.0


class PageFailed(RuntimeError):
    """A page raised while being timed (the message names the page and exception type only)."""


def role_for(page: str) -> str | None:
    """The first role in ROLE_PREFERENCE that may open ``page`` (None: no role may)."""
    for role in ROLE_PREFERENCE:
        if matrix.can(principal_for(role), page, "view"):
            return role
    return None


def render_once(page: str, role: str, session: Mapping[str, Any] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one run of app.py on ``page`` as ``role``
    in a fresh session. CPU time is reported too because wall time on a shared machine also
    counts other people's processes."""
    at = app_as(role, page=page, timeout=PAGE_TIMEOUT_S)
    for key, value in (session or {}).items():
        at.session_state[key] = value
    t0, c0 = time.perf_counter(), time.process_time()
    at.run()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    if at.exception:
        # Exception texts may quote data; the bench output carries only the page and the kind.
        kinds = sorted({str(getattr(e, "message", "") or "").split(":", 1)[0][:60] for e in at.exception})
        raise PageFailed(f"page {page} raised under AppTest: {', '.join(kinds) or 'exception'}")
    return seconds, cpu


def time_page(
    page: str, role: str, runs: int, session: Mapping[str, Any] | None = None
) -> tuple[float, float, float]:
    """(cold seconds, median warm seconds, median warm CPU seconds) of ``page``."""
    cold, _ = render_once(page, role, session)
    warm = [render_once(page, role, session) for _ in range(max(1, runs))]
    return cold, statistics.median(w for w, _ in warm), statistics.median(c for _, c in warm)


def card_child() -> str | None:
    """A child whose card has the most to show: on a list with a form filed, else on a list, else any."""
    from kodomo_dash.infra.db import analytics_cursor
    from kodomo_dash.services.workflow import casework, has_casework

    if has_casework():
        with casework() as con:
            row = con.execute("select resident_id from form_record order by resident_id limit 1").fetchone()
            row = row or con.execute("select resident_id from wf_list_member order by resident_id limit 1").fetchone()
        if row:
            return str(row[0])
    cur = analytics_cursor()
    try:
        row = cur.execute("select resident_id from core.child order by resident_id limit 1").fetchone()
    finally:
        cur.close()
    return str(row[0]) if row else None


def search_criteria(samples: int = 8, seed: int = 7) -> list:
    """Realistic searches built from children in the warehouse (never printed).

    Per sampled child: kanji name exact, kana name exact typed in hiragana, kana family name
    partial, kanji given name partial, address partial, birth date, birth date with sex.
    """
    from kodomo_dash.infra.db import analytics_cursor
    from kodomo_dash.services.children import SearchCriteria

    cur = analytics_cursor()
    try:
        rows = cur.execute(
            "select name_kanji, name_kana, address_text, birth_date, sex from core.child"
            " where name_kanji is not null and name_kana is not null and address_text is not null"
            " order by hash(resident_id || ?) limit ?",
            [str(seed), int(samples)],
        ).fetchall()
    finally:
        cur.close()
    to_hira = str.maketrans({chr(c): chr(c - 0x60) for c in range(0x30A1, 0x30F7)})
    out: list[SearchCriteria] = []
    for kanji, kana, address, birth, sex in rows:
        family_kana = kana.replace("\u3000", " ").split(" ")[0]
        given_kanji = kanji.replace("\u3000", " ").split(" ")[-1]
        birth_date = birth.date() if isinstance(birth, dt.datetime) else birth
        out += [
            SearchCriteria(name=kanji, exact=True),
            SearchCriteria(name=kana.translate(to_hira), exact=True),
            SearchCriteria(name=family_kana),
            SearchCriteria(name=given_kanji),
            SearchCriteria(address=address[: max(2, len(address) * 2 // 3)]),
            SearchCriteria(birth_date=birth_date),
            SearchCriteria(name=family_kana, birth_date=birth_date, sex=sex),
        ]
    return out


def time_search(repeats: int = 3) -> dict[str, float | int]:
    """search_ms (median) and search_ms_p95 over the realistic searches, as the search page calls it."""
    from kodomo_dash.services.children import search_children
    from kodomo_dash.ui.gate import ensure_casework_once

    ensure_casework_once()  # searches are audited in casework, as behind the app's gate
    principal = principal_for("manager")
    criteria = search_criteria()
    if not criteria:
        return {}
    times = []
    search_children(principal, criteria[0])  # the first query opens the read connection: not timed
    for _ in range(repeats):
        for c in criteria:
            t0 = time.perf_counter()
            search_children(principal, c)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return {"search_ms": round(statistics.median(times), 1), "search_ms_p95": round(p95, 1),
            "search_queries": len(times)}


def _progress(message: str) -> None:
    """Progress on stderr (the bench shows a failing step's stderr): page keys and seconds only."""
    print(f"[pages] {message}", file=sys.stderr, flush=True)


def bench_pages(runs: int = 3, search: bool = True) -> dict[str, float | int]:
    """Every figure of the step: ``page_<key>_s``/``_cold_s`` per page, the evaluator funnel, search."""
    figures: dict[str, float | int] = {}
    for spec in ALL_PAGES:
        role = role_for(spec.key)
        if role is None:
            continue
        session: dict[str, Any] = {}
        if spec.key == "child_card":
            rid = card_child()
            if rid is not None:
                session["child_card_rid"] = rid
        cold, warm, cpu = time_page(spec.key, role, runs, session)
        figures[f"page_{spec.key}_s"] = round(warm, 3)
        figures[f"page_{spec.key}_cold_s"] = round(cold, 3)
        figures[f"page_{spec.key}_cpu_s"] = round(cpu, 3)
        _progress(f"page {spec.key} as {role}: cold {cold:.2f}s, warm median {warm:.2f}s (cpu {cpu:.2f}s)")
    if any(s.key == "funnel" for s in ALL_PAGES) and matrix.can(principal_for("evaluator"), "funnel"):
        cold, warm, cpu = time_page("funnel", "evaluator", runs)
        figures["page_funnel_evaluator_s"] = round(warm, 3)
        figures["page_funnel_evaluator_cold_s"] = round(cold, 3)
        figures["page_funnel_evaluator_cpu_s"] = round(cpu, 3)
        _progress(f"page funnel as evaluator: cold {cold:.2f}s, warm median {warm:.2f}s (cpu {cpu:.2f}s)")
    if search:
        figures.update(time_search())
        _progress(f"search: median {figures.get('search_ms')} ms, p95 {figures.get('search_ms_p95')} ms")
    return figures
