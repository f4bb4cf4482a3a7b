"""Many users at once (issue 14, point 5; decision 068): N signed-in sessions on the real server.

The real app server (``streamlit run app.py``, kodomo_dash.testing.server) on the bench's warehouse
(encrypted when the bench runs it) on 127.0.0.1, and N concurrent clients that speak Streamlit's
websocket protocol as the browser does: each connects to ``/_stcore/stream``, sends ``BackMsg``s
(``rerun_script`` with the page's script hash, the query string and the widget states a browser
holds) and reads the ``ForwardMsg``s back (the script run's deltas, ``navigation``,
``script_finished``). Widget ids are read from the deltas, as the browser does; nothing is
computed from Streamlit's hashing.

Each session signs in through the real form (user name and password, then the six-digit code;
every session has its own throw-away ward-staff account, since a code is accepted once per
30-second step and account), opens the home-visit record page once and starts its own record
(「新規作成」), then loops until the time is up over a weighted mix of

* ``search`` — こども検索: the form filled with a surname (kana) from the session's ward, submitted;
* ``card`` — こどもカード opened by ``?rid=`` for a child of its ward;
* ``worklist`` — 担当一覧;
* ``save`` — 「下書き保存」 on its home-visit record, with a unique marker in 聞き取った状況,

with a think time between actions; a session's first four actions are one of each kind, in an order
of its own, so every kind is exercised however short the run. A page action is timed from the send to the ``script_finished``
that ends the run (``FINISHED_SUCCESSFULLY``; a run that ends early for ``st.rerun``/``switch_page``
is followed to the run after it); a save from the click to the end of the run that shows
「下書きを保存しました」. Errors: an exception element in any run, a run that never finishes within
the timeout, a closed websocket, a save without its message, a page that signs the session out.
Afterwards (server stopped) every acknowledged save — (form, version, marker) — is looked up in
casework's ``form_revision``: ``lost_saves`` counts those not there.

Run as ``python -m kodomo_dash.bench.load --sessions 10 30 60 --pace people stress`` (``kodomo bench``'s
step ``load``); figures go to KODOMO_BENCH_FIGURES as ``load_<pace>_<N>_*`` (PACES, decision 069).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kodomo_dash.bench.run import record_figures
from kodomo_dash.bench.signin import nearest_rank
from kodomo_dash.security import passwords, totp
from kodomo_dash.security import users as users_mod

ACTIONS = {"search": 0.35, "card": 0.25, "worklist": 0.2, "save": 0.2}  # weights of the mix
# How fast the sessions click (decision 069). "people": a busy member of staff — a name typed and the
# list read, a card read, a record filled — one action every 5–15 s. "stress": one click a second,
# ten times that: the server's capacity (decision 068's figures were taken at this pace).
PACES: dict[str, tuple[tuple[float, float], float]] = {  # name -> (think time range s, seconds per N)
    "people": ((5.0, 15.0), 90.0),
    "stress": ((0.5, 1.5), 60.0),
}
PAGES = ("search", "card", "worklist", "form")  # page times, by what was opened ("form": the save's page)
ACTION_TIMEOUT_S = 60.0
FORM_TYPE = "home_visit_record"
FORM_PAGE = "forms_home_visit"
SAMPLER = Path(__file__).resolve().parent / "sampler"  # put on the server's PYTHONPATH (sitecustomize)
SAVED_JA = "下書きを保存しました"


class ActionFailed(RuntimeError):
    """One action went wrong (counted as an error of its kind)."""


# ------------------------------------------------------------------------------------------ protocol


@dataclass
class Widget:
    id: str
    kind: str  # the Element oneof: text_input, button, selectbox, ...
    label: str
    form_id: str
    proto: object

    @property
    def key(self) -> str:
        """The user key Streamlit puts at the end of a keyed widget's id ('' when none)."""
        parts = self.id.split("-", 2)
        return parts[2] if self.id.startswith("$$ID-") and len(parts) == 3 else ""


@dataclass
class Run:
    """What one action's script run(s) drew: widgets, alerts, exceptions, the navigation."""

    widgets: list[Widget] = field(default_factory=list)
    alerts: list[tuple[int, str]] = field(default_factory=list)  # (format, body)
    exceptions: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    page_not_found: bool = False

    def widget(self, *, key: str | None = None, label: str | None = None, kind: str | None = None,
               key_prefix: str | None = None, key_suffix: str | None = None) -> Widget:  # fmt: skip
        for w in self.widgets:
            if key is not None and w.key != key:
                continue
            if label is not None and w.label != label:
                continue
            if kind is not None and w.kind != kind:
                continue
            if key_prefix is not None and not w.key.startswith(key_prefix):
                continue
            if key_suffix is not None and not w.key.endswith(key_suffix):
                continue
            return w
        raise ActionFailed(f"no widget key={key} label={label} kind={kind} prefix={key_prefix} suffix={key_suffix}; "
                           f"have {[(w.kind, w.key or w.label) for w in self.widgets][:40]}")

    def has_widget(self, **match: str) -> bool:
        try:
            self.widget(**match)
        except ActionFailed:
            return False
        return True

    def has_alert(self, text: str) -> bool:
        return any(text in body for _, body in self.alerts)


class Client:
    """One browser tab: a websocket to the server and the widget states a browser would hold."""

    def __init__(self, base_url: str, timeout_s: float = ACTION_TIMEOUT_S) -> None:
        self.ws_url = base_url.replace("http://", "ws://") + "/_stcore/stream"
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.ws = None
        self.pages: dict[str, str] = {}  # url path -> page script hash (from the navigation message)
        self.page_hash = ""
        self.states: dict[str, object] = {}  # widget id -> WidgetState (values the browser keeps)

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(self.ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=self.timeout_s,
                                ping_interval=None, compression=None)  # fmt: skip

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    def set_value(self, widget: Widget, **value) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        state = WidgetState(id=widget.id)
        for name, v in value.items():
            if name == "string_array_value":
                state.string_array_value.data.extend(v)
            else:
                setattr(state, name, v)
        self.states[widget.id] = state

    async def rerun(self, *, page: str | None = None, query: str = "", click: Widget | None = None) -> Run:
        """Send one rerun (a page switch, a click) and read until the run has finished."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
        from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

        if page is not None:
            self.page_hash = self.pages[page]
        widgets = list(self.states.values())
        if click is not None:
            widgets.append(WidgetState(id=click.id, trigger_value=True))
        state = ClientState(query_string=query, page_script_hash=self.page_hash,
                            widget_states=WidgetStates(widgets=widgets),
                            context_info=ContextInfo(timezone="Asia/Tokyo", timezone_offset=-540, locale="ja-JP",
                                                     url=f"{self.base_url}/{page or ''}", is_embedded=False,
                                                     color_scheme="light"))  # fmt: skip
        await self.ws.send(BackMsg(rerun_script=state).SerializeToString())
        try:
            return await asyncio.wait_for(self._read_run(), self.timeout_s)
        except TimeoutError as e:
            raise ActionFailed("timeout") from e

    async def _read_run(self) -> Run:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        run = Run()
        while True:
            raw = await self.ws.recv()
            msg = ForwardMsg.FromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                run = Run()  # a new script run (also after st.rerun / switch_page): its deltas count
                if msg.new_session.page_script_hash:
                    self.page_hash = msg.new_session.page_script_hash
            elif kind == "navigation":
                self.pages = {p.url_pathname or "": p.page_script_hash for p in msg.navigation.app_pages}
                if msg.navigation.page_script_hash:
                    self.page_hash = msg.navigation.page_script_hash
            elif kind == "delta":
                _collect(msg.delta, run)
            elif kind == "page_not_found":
                run.page_not_found = True
            elif kind == "script_finished":
                status = msg.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    run.exceptions.append("compile error")
                if status != ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                    return run


def _collect(delta, run: Run) -> None:
    if delta.WhichOneof("type") != "new_element":
        return
    el = delta.new_element
    which = el.WhichOneof("type")
    if which is None:
        return
    body = getattr(el, which)
    if which == "exception":
        run.exceptions.append(f"{body.type}: {body.message}")
    elif which == "alert":
        run.alerts.append((body.format, body.body))
    elif which in ("markdown", "text", "heading", "metric"):
        run.texts.append(body.body)
    wid = getattr(body, "id", "")
    if isinstance(wid, str) and wid.startswith("$$ID-"):
        run.widgets.append(Widget(id=wid, kind=which, label=getattr(body, "label", ""),
                                  form_id=getattr(body, "form_id", ""), proto=body))  # fmt: skip


# ------------------------------------------------------------------------------------------ accounts


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    secret: str
    ward: str


def make_accounts(path: Path, names_wards: list[tuple[str, str]], rounds: int = passwords.BCRYPT_ROUNDS
                  ) -> list[Account]:  # fmt: skip
    """Ward-staff accounts (one ward each) in a throw-away users file; hashed at ``rounds``."""

    def one(name_ward: tuple[str, str]) -> tuple[Account, users_mod.UserRecord]:
        name, ward = name_ward
        password, secret = secrets.token_urlsafe(12), totp.new_secret()
        record = users_mod.UserRecord(username=name, role="ward_staff", display_name=f"負荷 {name}",
                                      password_hash=passwords.hash_password(password, name, rounds),
                                      totp_secret=secret, ward_codes=(ward,))  # fmt: skip
        return Account(name, password, secret, ward), record

    with ThreadPoolExecutor(max_workers=4) as pool:  # bcrypt releases the GIL
        made = list(pool.map(one, names_wards))
    users_mod.save_users({a.username: r for a, r in made}, path, demo=True)
    return [a for a, _ in made]


@dataclass
class CityData:
    """What sessions look for, per ward: surnames (kana) to search and children to open."""

    wards: list[str]  # wards with a child whose home-visit record may be started
    surnames: dict[str, list[str]]
    children: dict[str, list[str]]


def city_data(per_ward: int = 50) -> CityData:
    """Read before the server starts (it then holds casework alone)."""
    from kodomo_dash.casework import funnel
    from kodomo_dash.infra.db import analytics_path, casework_connection, open_read_only

    with casework_connection(read_only=True) as con:
        fys = [r[0] for r in con.execute("select distinct fy from wf_list where path = 'ward'").fetchall()]
        wards = sorted({str(w) for fy in fys for w in funnel.funnel_children(con, fy, "approached")["ward_code"]})
    if not wards:
        raise SystemExit("load: no child in the casework whose home-visit record can be started (run `year` first)")
    con = open_read_only(analytics_path())
    try:
        con.execute("use wh")
        rows = con.execute(
            "select ward_code, resident_id, name_kana from core.child"
            " where age_years <= 15 and ward_code in (select unnest(?)) order by resident_id", [wards]
        ).fetchall()  # fmt: skip
    finally:
        con.close()
    surnames: dict[str, list[str]] = {w: [] for w in wards}
    children: dict[str, list[str]] = {w: [] for w in wards}
    for ward, rid, kana in rows:
        if len(children[ward]) < per_ward:
            children[ward].append(rid)
        surname = (kana or "").replace("\u3000", " ").split(" ")[0]
        if surname and surname not in surnames[ward] and len(surnames[ward]) < per_ward:
            surnames[ward].append(surname)
    return CityData(wards, surnames, children)


# ------------------------------------------------------------------------------------------ a session


@dataclass
class Tally:
    page_s: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in PAGES})
    save_s: list[float] = field(default_factory=list)
    signin_s: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    acknowledged: list[tuple[str, int, str, str]] = field(default_factory=list)  # form, version, marker, user
    forms_started: list[tuple[str, str]] = field(default_factory=list)  # (form id, user)
    sessions_running: int = 0
    actions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    server_cpu_s: float = 0.0  # the server process's CPU over the load (not sign-in)
    load_wall_s: float = 0.0

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {detail[:300]}")


class Session:
    def __init__(self, client: Client, account: Account, data: CityData, tally: Tally, rng: random.Random) -> None:
        self.c = client
        self.a = account
        self.data = data
        self.tally = tally
        self.rng = rng
        self.form_id = ""
        self.saves = 0

    async def sign_in(self) -> None:
        c = self.c
        run = _checked(await c.rerun(), "open")
        started = time.perf_counter()
        user = run.widget(key="kd_login_username")
        c.set_value(user, string_value=self.a.username)
        c.set_value(run.widget(key="kd_login_password"), string_value=self.a.password)
        submit = run.widget(kind="button", label="ログイン")
        run = _checked(await c.rerun(click=submit), "password")
        code = run.widget(label="確認コード（6桁）")
        c.set_value(code, string_value=totp.current_code(self.a.secret))
        run = _checked(await c.rerun(click=run.widget(kind="button", label="確認")), "code")
        if not c.pages:
            raise ActionFailed(f"sign-in: no page list after the code; alerts {run.alerts[:3]}")
        self.tally.signin_s.append(time.perf_counter() - started)
        # The code is single-use: forget the sign-in widgets as the browser does when they go.
        c.states.clear()

    async def start_form(self) -> None:
        run = _checked(await self.c.rerun(page=FORM_PAGE), "form page")
        self.c.set_value(run.widget(key=f"kdf_{FORM_TYPE}_new_open"), bool_value=True)  # 「新しく記入する」
        run = _checked(await self.c.rerun(), "new form choices")
        button = run.widget(key=f"kdf_{FORM_TYPE}_new_btn")
        run = _checked(await self.c.rerun(click=button), "new form")
        draft = run.widget(kind="button", key_suffix="_draft")
        self.form_id = draft.key.removeprefix("kdf_").removesuffix("_draft")
        self.tally.forms_started.append((self.form_id, self.a.username))

    async def search(self) -> None:
        run = _checked(await self.c.rerun(page="child_search"), "search page")
        name = run.widget(key="cs_name")
        self.c.set_value(name, string_value=self.rng.choice(self.data.surnames[self.a.ward] or ["ア"]))
        submit = run.widget(kind="button", label="検索")
        started = time.perf_counter()
        run = _checked(await self.c.rerun(click=submit), "search")
        self.tally.page_s["search"].append(time.perf_counter() - started)

    async def card(self) -> None:
        rid = self.rng.choice(self.data.children[self.a.ward])
        started = time.perf_counter()
        run = _checked(await self.c.rerun(page="child_card", query=f"rid={rid}"), "card")
        self.tally.page_s["card"].append(time.perf_counter() - started)
        if not any(rid in text for text in run.texts):
            raise ActionFailed(f"card {rid} not shown: {run.alerts[:3]}")

    async def worklist(self) -> None:
        started = time.perf_counter()
        _checked(await self.c.rerun(page="worklist"), "worklist")
        self.tally.page_s["worklist"].append(time.perf_counter() - started)

    async def save(self) -> None:
        started = time.perf_counter()
        run = _checked(await self.c.rerun(page=FORM_PAGE), "form page")
        prefix = f"kdf_{self.form_id}_"
        if not run.has_widget(key=f"{prefix}draft"):
            # The page picks the first record in scope; as a person would, show only my own (the
            # toggle is dropped with the page when the session goes elsewhere, as in a browser).
            self.c.set_value(run.widget(key=f"kdf_{FORM_TYPE}_mine"), bool_value=True)
            run = _checked(await self.c.rerun(), "form page, mine only")
        self.tally.page_s["form"].append(time.perf_counter() - started)
        draft = run.widget(kind="button", key=f"{prefix}draft")
        self.saves += 1
        marker = f"load {self.a.username} #{self.saves} {secrets.token_hex(4)}"
        self.c.set_value(run.widget(key_prefix=prefix, key_suffix="_situation"), string_value=marker)
        self.c.set_value(run.widget(key_prefix=prefix, key_suffix="_method"), string_value="電話")
        self.c.set_value(run.widget(key_prefix=prefix, key_suffix="_result"), string_value="不在")
        self.c.set_value(run.widget(key_prefix=prefix, key_suffix="_attempted_on"),
                         string_array_value=[dt.date.today().strftime("%Y/%m/%d")])  # fmt: skip
        started = time.perf_counter()
        run = _checked(await self.c.rerun(click=draft), "save")
        seconds = time.perf_counter() - started
        if not run.has_alert(SAVED_JA):
            raise ActionFailed(f"save without 「{SAVED_JA}」: {run.alerts[:3]}")
        version = _version_of(run, prefix)
        self.tally.save_s.append(seconds)
        self.tally.acknowledged.append((self.form_id, version, marker, self.a.username))

    async def loop(self, until: float, think_s: tuple[float, float]) -> None:
        kinds, weights = list(ACTIONS), list(ACTIONS.values())
        tour = self.rng.sample(kinds, len(kinds))  # each kind once first (in this session's order), then the mix
        # People do not all click at the same instant: each session's first action comes after a think
        # time of its own, as every later one does (without it, N sessions signed in together make a
        # burst of N clicks at the start that no steady pace has).
        await asyncio.sleep(self.rng.uniform(0, think_s[1]))
        while time.monotonic() < until:
            kind = tour.pop() if tour else self.rng.choices(kinds, weights)[0]
            self.tally.actions[kind] += 1
            try:
                await getattr(self, kind)()
            except ActionFailed as e:
                self.tally.error(kind, str(e))
            except Exception as e:  # noqa: BLE001 - a closed websocket, a protocol surprise: an error, counted
                self.tally.error(f"{kind}_{type(e).__name__}", str(e))
                return
            await asyncio.sleep(self.rng.uniform(*think_s))


def _version_of(run: Run, prefix: str) -> int:
    """The version the form's widgets were drawn from (their keys end ``_<version>_<field>``)."""
    w = run.widget(key_prefix=prefix, key_suffix="_situation")
    return int(w.key.removeprefix(prefix).split("_", 1)[0])


def _checked(run: Run, what: str) -> Run:
    if run.exceptions:
        raise ActionFailed(f"{what}: exception {run.exceptions[0]}")
    if run.page_not_found:
        raise ActionFailed(f"{what}: page not found")
    if what not in ("open", "password", "code") and run.has_widget(key="kd_login_username"):
        raise ActionFailed(f"{what}: signed out ({run.alerts[:2]})")
    return run


# ------------------------------------------------------------------------------------------ one round


def _sampled(path: Path) -> dict[str, float | None]:
    """Shares of the server's script-thread time (sampler/sitecustomize.py): in the casework handle and
    waiting at its lock (one attachment of the casework file per process, units take turns)."""
    try:
        counts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"casework_lock_wait_share": None, "casework_handle_share": None}
    total = counts.get("script_samples") or 0
    if not total:
        return {"casework_lock_wait_share": None, "casework_handle_share": None}
    return {"casework_lock_wait_share": round(counts.get("casework_lock_wait", 0) / total, 3),
            "casework_handle_share": round(counts.get("casework_handle", 0) / total, 3)}


def _cpu_s(pid: int | None) -> float:
    """CPU seconds (user + system) the process has used so far; 0 where /proc cannot tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _round(base_url: str, accounts: list[Account], data: CityData, seconds: float,
                 think_s: tuple[float, float], seed: int, server_pid: int | None = None) -> Tally:  # fmt: skip
    tally = Tally()
    sessions: list[Session] = []

    async def start(i: int, account: Account) -> None:
        client = Client(base_url)
        try:
            await client.open()
            s = Session(client, account, data, tally, random.Random(seed * 1000 + i))
            await s.sign_in()
            await s.start_form()
            sessions.append(s)
        except Exception as e:  # noqa: BLE001 - counted; the session takes no part
            tally.error(f"setup_{type(e).__name__}", f"{account.username}: {e}")
            await client.close()

    await asyncio.gather(*(start(i, a) for i, a in enumerate(accounts)))
    cpu0, wall0 = _cpu_s(server_pid), time.monotonic()
    until = wall0 + seconds
    await asyncio.gather(*(s.loop(until, think_s) for s in sessions))
    tally.server_cpu_s, tally.load_wall_s = _cpu_s(server_pid) - cpu0, time.monotonic() - wall0
    for s in sessions:
        await s.c.close()
    tally.sessions_running = len(sessions)
    return tally


def verify_saves(acknowledged: Iterable[tuple[str, int, str, str]]) -> tuple[int, int]:
    """(found, lost): each acknowledged save looked up in casework's form_revision (server stopped)."""
    from kodomo_dash.infra.db import casework_connection

    found = lost = 0
    with casework_connection(read_only=True) as con:
        for form_id, version, marker, user in acknowledged:
            row = con.execute("select data, saved_by from form_revision where form_id = ? and version = ?",
                              [form_id, version]).fetchone()  # fmt: skip
            if row is not None and json.loads(row[0]).get("situation") == marker and row[1] == user:
                found += 1
            else:
                lost += 1
    return found, lost


def _ms(xs: list[float]) -> dict[str, float | None]:
    if not xs:
        return {"p50_s": None, "p95_s": None}
    return {"p50_s": round(statistics.median(xs), 3), "p95_s": round(nearest_rank(xs), 3)}


def summarise(n: int, tally: Tally, seconds: float, found: int, lost: int) -> dict:
    pages = [x for xs in tally.page_s.values() for x in xs]
    page, save = _ms(pages), _ms(tally.save_s)
    out = {
        "sessions": n, "sessions_running": tally.sessions_running, "seconds": seconds,
        "actions": sum(tally.actions.values()), "actions_by_kind": tally.actions,
        "page_p50_s": page["p50_s"], "page_p95_s": page["p95_s"],
        "save_p50_s": save["p50_s"], "save_p95_s": save["p95_s"], "saves": len(tally.save_s),
        "per_page": {k: {"n": len(v), **_ms(v)} for k, v in tally.page_s.items()},
        "signin_p95_s": _ms(tally.signin_s)["p95_s"],
        "errors": sum(tally.errors.values()), "errors_by_kind": tally.errors,
        "saves_found": found, "lost_saves": lost, "forms_started": len(tally.forms_started),
    }  # fmt: skip
    if tally.error_samples:
        out["error_samples"] = tally.error_samples
    return out


def run_load(sessions: list[int], seconds: float, think_s: tuple[float, float] = (0.5, 1.5), seed: int = 1,
             rounds: int = passwords.BCRYPT_ROUNDS, log=print) -> dict[int, dict]:  # fmt: skip
    """Each N in ``sessions``: its own accounts, a fresh server on the warehouse, ``seconds`` of load."""
    from kodomo_dash.infra.db import warehouse_dir
    from kodomo_dash.testing.server import start_app

    data = city_data()
    results: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(prefix="kodomo-bench-load-") as tmp:
        folder = Path(tmp)
        users = folder / "users.yaml"
        # New names on every run: a name from an earlier run on the same warehouse would find that run's
        # records as its own, and 訪問記録 would show the first of them rather than the one it starts.
        run = secrets.token_hex(3)
        names = [(f"load{n:03d}_{run}_{i:03d}", data.wards[i % len(data.wards)]) for n in sessions for i in range(n)]
        t0 = time.perf_counter()
        accounts = make_accounts(users, names, rounds)
        log(f"[load] {len(accounts)} accounts (bcrypt cost {rounds}) in {time.perf_counter() - t0:.1f}s")
        secrets_file = folder / "secrets.toml"
        secrets_file.write_text("# no identity provider: password and code only\n", encoding="utf-8")
        env = {"KODOMO_USERS": str(users), "STREAMLIT_SECRETS_FILES": str(secrets_file)}
        for n in sessions:
            mine = [a for a in accounts if a.username.startswith(f"load{n:03d}_")]
            sample = folder / f"samples-{n}.json"
            sampler = {"PYTHONPATH": os.pathsep.join(filter(None, [str(SAMPLER), os.environ.get("PYTHONPATH")])),
                       "KODOMO_BENCH_SAMPLE": str(sample)}  # fmt: skip
            server = start_app(warehouse_dir(), folder / f"server-{n}.log", extra_env={**env, **sampler})
            try:
                # A thread of its own: the caller's thread may already run an event loop (Playwright's
                # sync API in a test worker does), and asyncio.run refuses to nest.
                with ThreadPoolExecutor(max_workers=1) as own:
                    tally = own.submit(asyncio.run, _round(server.url, mine, data, seconds, think_s, seed,
                                                           server.process.pid)).result()  # fmt: skip
            finally:
                server.stop()
            found, lost = verify_saves(tally.acknowledged)
            results[n] = summarise(n, tally, seconds, found, lost)
            results[n]["server_cpu_per_s"] = round(tally.server_cpu_s / tally.load_wall_s, 2) if tally.load_wall_s else None
            results[n]["loadavg_1m"] = round(os.getloadavg()[0], 2)
            results[n].update(_sampled(sample))
            log(f"[load] N={n}: {json.dumps(results[n], ensure_ascii=False)}")
    return results


def figures(results: dict[int, dict], pace: str) -> dict:
    out: dict = {}
    for n, r in results.items():
        for k in ("sessions_running", "actions", "page_p50_s", "page_p95_s", "save_p50_s", "save_p95_s", "saves",
                  "errors", "lost_saves", "server_cpu_per_s", "loadavg_1m", "casework_lock_wait_share"):
            out[f"load_{pace}_{n}_{k}"] = r[k]
        for page, times in r["per_page"].items():
            out[f"load_{pace}_{n}_{page}_p95_s"] = times["p95_s"]
        if r["errors"]:  # which kind of action failed (the samples, which may name a child, stay out)
            out[f"load_{pace}_{n}_errors_by_kind"] = r["errors_by_kind"]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kodomo bench load")
    p.add_argument("--sessions", type=int, nargs="+", default=[10, 30, 60])
    p.add_argument("--pace", nargs="+", choices=sorted(PACES), default=["people", "stress"],
                   help="how fast sessions click: people (think 5-15 s, 90 s per N), stress (0.5-1.5 s, 60 s per N)")
    p.add_argument("--seconds", type=float, help="load time per N (after every session signed in); else the pace's")
    p.add_argument("--think", type=float, nargs=2, metavar=("MIN", "MAX"),
                   help="think time between a session's actions, uniform, seconds; else the pace's")
    p.add_argument("--bcrypt-rounds", type=int, default=passwords.BCRYPT_ROUNDS)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, help="write the results per pace and N as JSON here too")
    args = p.parse_args(argv)
    everything: dict[str, dict[int, dict]] = {}
    for pace in args.pace:
        think, seconds = PACES[pace]
        print(f"[load] pace {pace}", flush=True)
        results = run_load(args.sessions, args.seconds or seconds, tuple(args.think or think), args.seed,
                           args.bcrypt_rounds, log=lambda m: print(m, flush=True))  # fmt: skip
        record_figures(**figures(results, pace))
        everything[pace] = results
    if args.out:
        args.out.write_text(json.dumps(everything, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
