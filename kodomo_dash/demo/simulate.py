"""Simulate a year of casework by writing the records staff would write.

Why a simulation and not a fixture table: the funnel must be computed, never typed (decision 000, point 5). So
the demo and the scenario tests produce the published figures the only way the product allows:
signed-in people (a manager, each ward's staff and nurses, teachers, SSWs, as ``Principal``s of
their roles and scopes) accept the list, record each department's secondary screening, submit
conference sheets, start approaches, submit home-visit records (contact attempts, needs, support
acts, outcomes), request and fill school sheets — every step through the service functions the
screens and the ``kodomo`` command call (``queries.support``, ``queries.workflow``), with the same
matrix checks, validation and audit rows. No function here writes casework itself; a test holds
that. The figures then come out of the casework views.

Who is picked at each step is drawn from the latent truth (each child's true need probability) plus
noise: the conference approaches the children it judges most in need, needs are found more often
where need is real, and so on. *How many* are picked is the scenario's published quota, which is
why the views reproduce the report exactly at scale 1.0 (Fukuoka FY2025: 1,327 → 217 → 151 → 80 →
73 → 57 (45 / 12), 16 pending; outcomes 7/2/2/2; support acts of 図表 6-4). Splits the reports do not
publish (e.g. why the 66 were excluded at secondary screening) are stated in `assumptions_ja`.

At other list sizes the quotas are scaled in proportion (clamped to the pools), so the demo works
at any scale; exactness is only promised for the published list size.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np

from kodomo_dash.casework import form_store, vocabulary
from kodomo_dash.casework.store import CaseworkError, transaction
from kodomo_dash.security.principal import Principal

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ListRun:
    """The screening run behind a list: the funnel's first bars are read from here, not typed."""

    run_id: str
    fy: int
    method: str
    cohort_size: int | None
    eligible_size: int | None = None
    cohort_label_ja: str | None = None
    ward_cohort: Mapping[str, int] | None = None
    accepted_on: date | None = None


@dataclass(frozen=True)
class WorkflowScenario:
    """A city's published year, as the quotas a simulated year of casework must meet."""

    name: str
    city_ja: str
    fy: int
    path: str
    method: str
    programme: str  # the city file's programme the list is accepted under (config/cities)
    cohort_label_ja: str
    cohort_size: int | None
    eligible_size: int | None
    list_size: int
    accepted_on: date
    as_of: date
    list_parts: tuple[tuple[str, int], ...] = ()
    ward_shares: tuple[tuple[str, float], ...] = ()
    schools: int = 0
    screening_sheet_required: bool = False
    # ward path (Fukuoka)
    secondary_exclusions: tuple[tuple[str, str, int], ...] = ()  # (department, reason, n), in check order
    conference_approach: int = 0
    no_approach_reasons: tuple[tuple[str, float], ...] = (("low_need", 0.75), ("in_support_elsewhere", 0.25))
    approach_not_needed: tuple[tuple[str, int], ...] = ()
    contacted: int = 0
    needs_yes: int = 0
    outcomes: tuple[tuple[str, int], ...] = ()
    advice: tuple[tuple[str, int], ...] = ()
    information: tuple[tuple[str, int], ...] = ()
    # school path (Izumi, Beppu)
    school_decisions: tuple[tuple[str, int], ...] = ()
    noise_sd: float = 0.6
    published_ja: tuple[str, ...] = ()
    assumptions_ja: tuple[str, ...] = field(default=())

    def scaled(self, list_size: int) -> WorkflowScenario:
        """Quotas in proportion to a list of another size (identity at the published size)."""
        if list_size == self.list_size:
            return self
        r = list_size / self.list_size

        def s(n: int | None) -> int | None:
            return None if n is None else int(round(n * r))

        def pairs(items):
            return tuple((*x[:-1], s(x[-1])) for x in items)

        return replace(
            self, cohort_size=s(self.cohort_size), eligible_size=s(self.eligible_size), list_size=list_size,
            list_parts=pairs(self.list_parts), secondary_exclusions=pairs(self.secondary_exclusions),
            conference_approach=s(self.conference_approach), approach_not_needed=pairs(self.approach_not_needed),
            contacted=s(self.contacted), needs_yes=s(self.needs_yes), outcomes=pairs(self.outcomes),
            advice=pairs(self.advice), information=pairs(self.information),
            school_decisions=pairs(self.school_decisions),
        )  # fmt: skip


_FUKUOKA_WARDS = (
    ("40131", 0.205), ("40132", 0.130), ("40133", 0.100), ("40134", 0.160),
    ("40135", 0.150), ("40136", 0.080), ("40137", 0.175),
)  # fmt: skip

WORKFLOW_SCENARIOS: dict[str, WorkflowScenario] = {
    "fukuoka-fy2025": WorkflowScenario(
        name="fukuoka-fy2025",
        city_ja="福岡市",
        fy=2025,
        path="ward",
        method="similarity",
        programme="fukuoka-unenrolled",
        cohort_label_ja="3歳から6歳の未就園児",
        cohort_size=1327,
        eligible_size=None,
        list_size=217,
        accepted_on=date(2025, 8, 20),
        as_of=date(2026, 1, 31),
        ward_shares=_FUKUOKA_WARDS,
        secondary_exclusions=(
            ("childcare_support", "in_support", 30),
            ("childcare_support", "enrolled", 16),
            ("community_health_welfare", "in_support", 6),
            ("community_health_welfare", "enrolled", 3),
            ("health", "in_support", 5),
            ("health", "enrolled", 2),
            ("health", "other", 4),
        ),
        conference_approach=80,
        approach_not_needed=(("moved_out", 6), ("other", 1)),
        contacted=57,
        needs_yes=45,
        outcomes=(("enrolled", 7), ("yotaikyo", 2), ("consultation_referral", 2), ("other_programme", 2)),
        advice=(("enrolment", 28), ("developmental", 8), ("other", 11)),
        information=(
            ("consultation_desk", 32),
            ("enrolment_procedure", 20),
            ("developmental_procedure", 4),
            ("services", 11),
            ("other", 5),
        ),  # fmt: skip
        published_ja=(
            "図表 6-1: 3歳から6歳の未就園児 1,327名 → 一次スクリーニング 217名",
            "図表 6-2: 二次スクリーニング 151名 → 三課協議（アプローチ対象者）80名",
            "図表 7-3 No.2: 転出等を除く73名にアプローチ、接触57名（ニーズあり45・なし12）、確認中16名",
            "図表 7-3 No.3: 就園（手続き）7、要対協2、相談2、他事業2",
            "図表 6-4: 助言 就園28・療育8・その他11／情報提供 相談窓口32・入園手続き20・療育手続き4・各種事業11・その他5",
        ),
        assumptions_ja=(
            "二次スクリーニングで除外された66名の課・理由の内訳は非公表のため仮定"
            "（子育て支援課 支援中30・所属16、地域保健福祉課 支援中6・所属3、健康課 支援中5・所属2・その他4）。",
            "アプローチ不要7名の内訳は非公表のため仮定（転出6、その他1）。",
            "成果（7・2・2・2）は別々のこどもとした（報告は「名」で数えている）。",
            "支援期間は令和7年9月から令和8年1月末まで（報告の集計時点）。",
        ),
    ),
    "izumi-fy2025": WorkflowScenario(
        name="izumi-fy2025",
        city_ja="和泉市",
        fy=2025,
        path="school",
        method="edu_welfare",
        programme="izumi-abuse-school",
        cohort_label_ja="モデル校15校のこども（データを利用できた者）",
        cohort_size=7347,
        eligible_size=6500,
        list_size=206,
        list_parts=(("top", 200), ("welfare_only", 6)),
        accepted_on=date(2025, 9, 1),
        as_of=date(2026, 1, 31),
        ward_shares=(("27219", 1.0),),
        schools=15,
        screening_sheet_required=True,
        school_decisions=(("yotaikyo_case_meeting", 9), ("school_watch", 25)),
        published_ja=(
            "モデル校15校の7,347人 → 要対協登録済みを除く6,500名 → 上位200名＋福祉側のみ高スコア6名＝206名 → 支援34名",
        ),
        assumptions_ja=(
            "支援34名のうち要対協ケース会議と学校等での見守りの内訳は非公表のため仮定（9・25）。",
            "206名全員にスクリーニングシートとSSW聞き取りを行ったとした。",
        ),
    ),
    "beppu-fy2025": WorkflowScenario(
        name="beppu-fy2025",
        city_ja="別府市",
        fy=2025,
        path="school",
        method="item_counts",
        programme="beppu-poverty-school",
        cohort_label_ja="こども見守りシステムのこども（0〜17歳の全員）",
        cohort_size=None,
        eligible_size=None,
        list_size=30,
        list_parts=(("basic", 20), ("other", 10)),
        accepted_on=date(2025, 9, 1),
        as_of=date(2026, 1, 31),
        ward_shares=(("44202", 1.0),),
        schools=12,
        screening_sheet_required=False,
        school_decisions=(("school_watch", 5), ("other_support", 3)),
        published_ja=(
            "基本連携データ項目の該当数上位20名＋その他の項目の上位10名＝30名 → 新たに支援が必要な8名",
        ),
        assumptions_ja=(
            "判定の母集団の人数は報告にないため空欄（cohort_size なし）。",
            "支援8名の内訳は非公表のため仮定（学校等での見守り5、相談支援等3）。",
            "学校への聞き取り結果はアセスメントシート（ヒアリングシート様式）に記入したとした。",
        ),
    ),
}


def get_workflow_scenario(name: str) -> WorkflowScenario:
    try:
        return WORKFLOW_SCENARIOS[name]
    except KeyError:
        known = ", ".join(sorted(WORKFLOW_SCENARIOS))
        raise ValueError(f"シナリオ「{name}」のケースワーク設定はありません（登録済み: {known}）。 / "
                         f"Unknown scenario {name!r} for casework (known: {known}).") from None


@dataclass(frozen=True)
class SimulationSummary:
    list_id: str
    scenario: str
    children: int
    events: int
    forms: int
    seconds: float

    def summary(self) -> str:
        return (
            f"casework simulated for {self.scenario}: list {self.list_id}, {self.children} children, "
            f"{self.events} stage events, {self.forms} forms in {self.seconds:.1f}s"
        )


# ---------------------------------------------------------------------------------------------
# Synthetic list (until the screening run is wired in, and for tests)
# ---------------------------------------------------------------------------------------------


def synthetic_list(
    scenario: str | WorkflowScenario, *, seed: int = 0, scale: float = 1.0
) -> tuple[pd.DataFrame, pd.DataFrame, ListRun]:
    """A list of the scenario's size with latent need, and the run it came from.

    Stands in for screening's accepted list so the workflow can be exercised on its own. The
    cohort is split over wards by share (largest remainder) so per-ward funnels have a first bar.
    """
    import pandas as pd

    sc = get_workflow_scenario(scenario) if isinstance(scenario, str) else scenario
    rng = np.random.default_rng(seed)
    n = max(1, int(round(sc.list_size * scale)))
    sc = sc.scaled(n)
    wards = [w for w, _ in sc.ward_shares]
    shares = np.array([s for _, s in sc.ward_shares], dtype=float)
    ward_of = rng.choice(wards, size=n, p=shares / shares.sum())
    parts = list(sc.list_parts) or [("top_n", n)]
    reasons = [r for r, k in parts for _ in range(k)][:n]
    reasons += [parts[0][0]] * (n - len(reasons))
    schools = [f"{wards[0]}-S{i + 1:02d}" for i in range(sc.schools)] if sc.schools else []
    need = rng.beta(2.0, 5.0, size=n)
    ids = [f"SIM{seed % 100:02d}{i + 1:07d}" for i in range(n)]
    score = np.sort(need + rng.normal(0, 0.1, size=n))[::-1]
    cohort = pd.DataFrame(
        {
            "resident_id": ids,
            "ward_code": ward_of,
            "school_code": [schools[i % len(schools)] for i in range(n)] if schools else None,
            "rank": np.arange(1, n + 1),
            "score": score,
            "selection_reason": reasons,
        }
    )
    truth = pd.DataFrame({"resident_id": ids, "need_prob": need})
    ward_cohort = None
    if sc.cohort_size is not None and sc.path == "ward":
        raw = shares / shares.sum() * sc.cohort_size
        base = np.floor(raw).astype(int)
        for i in np.argsort(raw - base)[::-1][: sc.cohort_size - base.sum()]:
            base[i] += 1
        ward_cohort = {w: int(b) for w, b in zip(wards, base, strict=True)}
    run = ListRun(
        run_id=f"sim-{sc.name}-{seed}",
        fy=sc.fy,
        method=sc.method,
        cohort_size=sc.cohort_size,
        eligible_size=sc.eligible_size,
        cohort_label_ja=sc.cohort_label_ja,
        ward_cohort=ward_cohort,
        accepted_on=sc.accepted_on,
    )
    return cohort, truth, run


# ---------------------------------------------------------------------------------------------
# The simulation
# ---------------------------------------------------------------------------------------------


class _Sim:
    """State of one simulated year: rng, noisy judgement of need, dates, counters."""

    def __init__(self, sc: WorkflowScenario, list_id: str, frame: pd.DataFrame, seed: int):
        self.sc, self.list_id = sc, list_id
        self.rng = np.random.default_rng(seed)
        self.ids: list[str] = list(frame["resident_id"])
        self.ward = dict(zip(frame["resident_id"], frame["ward_code"], strict=True))
        self.school = dict(
            zip(frame["resident_id"], frame.get("school_code", [None] * len(frame)), strict=True)
        )
        p = np.clip(frame["need_prob"].to_numpy(dtype=float), 1e-4, 1 - 1e-4)
        self.logit = dict(zip(frame["resident_id"], np.log(p / (1 - p)), strict=True))
        self.need = dict(zip(frame["resident_id"], p, strict=True))
        # Children the screening listed although already in support (Beppu did not exclude them):
        # the support-staff meeting cannot make them a *new* support case.
        flags = frame["already_in_support"] if "already_in_support" in frame.columns else None
        self.in_support: set[str] = set() if flags is None else set(frame.loc[flags.fillna(False).astype(bool),
                                                                              "resident_id"])  # fmt: skip
        self.events = 0
        self.forms = 0
        self.today = sc.as_of

    # ---- judgement -----------------------------------------------------------------------
    def judged(self, pool: Sequence[str]) -> dict[str, float]:
        """Staff's impression of need: the truth seen through noise (a fresh look each time)."""
        noise = self.rng.normal(0.0, self.sc.noise_sd, size=len(pool))
        return {rid: self.logit[rid] + e for rid, e in zip(pool, noise, strict=True)}

    def top(self, pool: Sequence[str], n: int) -> list[str]:
        seen = self.judged(pool)
        return sorted(pool, key=lambda r: -seen[r])[: max(0, min(n, len(pool)))]

    def pick(self, pool: Sequence[str], n: int, weights: Sequence[float] | None = None) -> list[str]:
        pool = list(pool)
        n = max(0, min(n, len(pool)))
        if n == 0:
            return []
        p = None
        if weights is not None:
            w = np.asarray(weights, dtype=float)
            p = w / w.sum()
        idx = self.rng.choice(len(pool), size=n, replace=False, p=p)
        return [pool[i] for i in sorted(idx)]

    def day(self, start: date, lo: int, hi: int) -> date:
        """A working-ish date lo..hi days after start, never after the as-of date."""
        d = start + timedelta(days=int(self.rng.integers(lo, hi + 1)))
        return min(d, self.today)

    def level(self, rid: str) -> str:
        z = self.judged([rid])[rid]
        return "concern_high" if z > -0.2 else "concern_some" if z > -1.2 else "no_concern"

    # ---- people and their steps (the service functions the screens call) ---------------------
    def person(self, username: str, role: str, rid: str | None = None) -> Principal:
        """The signed-in user of a step: a ward's staff see their ward, a teacher or SSW their school."""
        if role == "ward_staff":
            return Principal(username, role, ward_codes=(str(self.ward[rid]),))
        if role in ("school", "ssw"):
            return Principal(username, role, school_codes=(str(self.school[rid]),))
        return Principal(username, role)

    def event(self, fn, rid: str, *, actor: Principal, **kw: Any) -> None:
        fn(actor, self.list_id, [rid], today=self.today, **kw)
        self.events += 1

    def form(self, form_type: str, rid: str, data: Mapping[str, Any], *, actor: Principal,
             token: str | None = None) -> None:  # fmt: skip
        """Open (or start) the child's form as the person would, fill it and submit it."""
        from kodomo_dash.services import support, workflow

        page = FORM_PAGES[form_type]
        if form_type in support.SHEET_TYPES:  # requested by the city for the whole list
            rec = workflow.load_form(form_store.form_id_for(form_type, self.list_id, rid), actor, page)
        else:
            rec = workflow.start_form(form_type, self.list_id, rid, actor, page, client_token=token)
        result = workflow.save_form(rec.form_id, data, expected_version=rec.version, principal=actor, page=page,
                                    submit=True, today=self.today)  # fmt: skip
        self.forms += 1
        self.events += len(result.event_ids)


FORM_PAGES = {"conference_sheet": "forms_conference", "home_visit_record": "forms_home_visit",
              "school_screening_sheet": "forms_school_sheet", "ssw_hearing_sheet": "forms_ssw_sheet"}  # fmt: skip


def simulate_year(
    con_casework: duckdb.DuckDBPyConnection,
    cohort_frame: pd.DataFrame,
    truth_frame: pd.DataFrame,
    scenario: str | WorkflowScenario,
    *,
    run: ListRun | None = None,
    list_id: str | None = None,
    seed: int = 0,
) -> SimulationSummary:
    """Play a year of casework for the list in `cohort_frame`, decisions drawn from `truth_frame`.

    cohort_frame: the list's rows (resident_id, ward_code; school_code for the school path;
    optional rank, score, selection_reason). truth_frame: resident_id, need_prob (latent truth).
    list_id: a list a manager already accepted (the screening hand-off); without it the frame is
    saved as the screening run `run` describes and the manager accepts it through the same service
    as the screening page. Everything is one transaction: a failure leaves casework as it was.
    """
    from kodomo_dash.services import support
    from kodomo_dash.services.unit_of_work import bound_casework

    started = time.perf_counter()
    sc = get_workflow_scenario(scenario) if isinstance(scenario, str) else scenario
    frame = cohort_frame.merge(truth_frame[["resident_id", "need_prob"]], on="resident_id", how="left")
    if frame["need_prob"].isna().any():
        missing = int(frame["need_prob"].isna().sum())
        raise CaseworkError(f"{missing}名のこどもに潜在的なニーズ（need_prob）がありません。")
    sc = sc.scaled(len(frame))
    with transaction(con_casework), bound_casework(con_casework):
        if list_id is None:
            run = run or ListRun(run_id=f"sim-{sc.name}-{seed}", fy=sc.fy, method=sc.method,
                                 cohort_size=sc.cohort_size, eligible_size=sc.eligible_size,
                                 cohort_label_ja=sc.cohort_label_ja, accepted_on=sc.accepted_on)  # fmt: skip
            run_id = save_list_as_run(con_casework, cohort_frame, sc.programme, cohort_size=run.cohort_size,
                                      eligible_size=run.eligible_size, ward_cohort=run.ward_cohort, as_of=sc.as_of)
            list_id = support.accept_run(MANAGER, run_id, fy=run.fy, programme=sc.programme,
                                         accepted_on=run.accepted_on or sc.accepted_on)  # fmt: skip
        else:
            n_events = con_casework.execute(
                "select count(*) from wf_event where list_id = ?", [list_id]
            ).fetchone()[0]
            if n_events:
                raise CaseworkError(
                    f"対象者リスト「{list_id}」には既に記録があります。シミュレーションは空のリストにだけ行えます。"
                )
        listed_on = con_casework.execute(
            "select accepted_on from wf_list where list_id = ?", [list_id]
        ).fetchone()[0]
        if listed_on > sc.as_of - timedelta(days=60):
            raise CaseworkError(
                f"対象者リストの確定日（{listed_on}）が集計時点（{sc.as_of}）に近すぎるか後のため、"
                f"1年分の記録を作れません。シナリオのリスト確定日（{sc.accepted_on}）で取り込んでください。"
            )
        on_list = {
            r[0]
            for r in con_casework.execute(
                "select resident_id from wf_list_member where list_id = ?", [list_id]
            ).fetchall()
        }
        strangers = set(frame["resident_id"]) - on_list
        if strangers:
            raise CaseworkError(
                f"リストにないこどもが{len(strangers)}名含まれています（cohort_frame はリストの行にしてください）。"
            )
        sim = _Sim(sc, list_id, frame, seed)
        if sc.path == "ward":
            _simulate_ward(sim, listed_on)
        else:
            _simulate_school(sim, listed_on)
    return SimulationSummary(
        list_id, sc.name, len(frame), sim.events, sim.forms, time.perf_counter() - started
    )


MANAGER = Principal("manager_kodomo", "manager", display_name="こども家庭課（シミュレーション）")


def save_list_as_run(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, programme_key: str, *, cohort_size: int | None = None,
    eligible_size: int | None = None, ward_cohort: Mapping[str, int] | None = None, as_of: date | None = None,
) -> str:  # fmt: skip
    """Save a list made without a warehouse as the draft screening run it stands for, for a manager to accept.

    The screening library's own save (the one the screening page's run ends in), so the list's
    cohort size, per-ward cohort, exclusions and parts are read back from a run like any other.
    frame: resident_id, ward_code, optional school_code, rank, score, selection_reason (its part).
    """
    import pandas as pd

    from kodomo_dash.config.cities import programme
    from kodomo_dash.screening import runs

    prog = programme(programme_key)
    parts = list(frame["selection_reason"]) if "selection_reason" in frame.columns else [None] * len(frame)
    lst = pd.DataFrame({
        "resident_id": frame["resident_id"].astype(str).to_numpy(), "ward_code": frame["ward_code"].to_numpy(),
        "school_code": frame["school_code"].to_numpy() if "school_code" in frame.columns else None,
        "rank": frame["rank"].to_numpy() if "rank" in frame.columns else range(1, len(frame) + 1),
        "score": frame["score"].to_numpy() if "score" in frame.columns else 0.0,
        "reasons": [[str(p)] if p else [] for p in parts], "list_part": parts,
    })  # fmt: skip
    cohort = int(cohort_size or len(lst))
    n_excluded = cohort - eligible_size if eligible_size else 0
    excluded = pd.DataFrame({"resident_id": [f"SIMX{i:08d}" for i in range(n_excluded)],
                             "reason": "already_in_support"})  # fmt: skip
    result = runs.RunResult(
        method=prog.method, method_label_ja=prog.label_ja, params={"simulated": True}, method_version=None,
        cohort=prog.cohort, cohort_params={}, as_of=as_of, exclusions=tuple(prog.exclusions), top_n=len(lst),
        threshold=None, cohort_size=cohort, excluded=excluded, scored_count=cohort - n_excluded, list=lst,
        score_result=None, ward_cohort=dict(ward_cohort or {}),
    )  # fmt: skip
    return runs.save_run(con, result, MANAGER.username, note="simulation")


def _simulate_ward(sim: _Sim, listed_on: date) -> None:
    from kodomo_dash.services import support

    sc = sim.sc
    remaining = list(sim.ids)
    secondary_on: dict[str, date] = {}
    # ---- secondary screening: 子育て支援課 first, then the other two (図表 7-1 note) ----------
    for dept in vocabulary.DEPARTMENTS:
        quotas = [(reason, n) for d, reason, n in sc.secondary_exclusions if d == dept]
        excluded: dict[str, str] = {}
        pool = list(remaining)
        for reason, n in quotas:
            weights = [sim.need[r] for r in pool] if reason == "in_support" else None  # known families
            for rid in sim.pick(pool, n, weights):
                excluded[rid] = reason
            pool = [r for r in pool if r not in excluded]
        lo, hi = (1, 7) if dept == "childcare_support" else (8, 14)
        actor = f"staff_{dept}"
        for rid in remaining:
            on = sim.day(listed_on, lo, hi)
            secondary_on[rid] = max(secondary_on.get(rid, on), on)
            if rid in excluded:
                reason = excluded[rid]
                sim.event(support.record_secondary, rid, department=dept, decision="exclude", reason=reason,
                          note="（シミュレーション）" if reason == "other" else None, event_date=on,
                          actor=sim.person(actor, "ward_staff", rid))  # fmt: skip
            else:
                sim.event(support.record_secondary, rid, department=dept, decision="pass", event_date=on,
                          actor=sim.person(actor, "ward_staff", rid))  # fmt: skip
        remaining = [r for r in remaining if r not in excluded]
    passed = remaining
    # ---- three-department conference: one meeting per ward, the most needy approached -----------
    meeting: dict[str, date] = {}
    for rid in passed:
        w = sim.ward[rid]
        meeting[w] = max(meeting.get(w, listed_on), secondary_on[rid])
    meeting = {w: sim.day(d, 1, 5) for w, d in meeting.items()}
    approach = set(sim.top(passed, sc.conference_approach))
    reasons, shares = zip(*sc.no_approach_reasons, strict=True)
    staff: dict[str, str] = {}
    for rid in passed:
        w = sim.ward[rid]
        data: dict[str, Any] = {
            "held_on": meeting[w],
            "living_conditions": sim.level(rid),
            "parenting_capacity": sim.level(rid),
            "help_seeking": sim.level(rid),
        }
        if rid in approach:
            staff[rid] = f"hokenshi_{w}_{int(sim.rng.integers(1, 3))}"
            data |= {"approach": "approach", "assigned_staff": staff[rid],
                     "assigned_department": "health" if sim.rng.random() < 0.75 else "childcare_support"}  # fmt: skip
        else:
            data |= {"approach": "no_approach",
                     "no_approach_reason": str(sim.rng.choice(reasons, p=np.array(shares) / sum(shares)))}  # fmt: skip
        sim.form("conference_sheet", rid, data, actor=sim.person(f"kosodate_{w}", "ward_staff", rid))
    # ---- approach: some are no longer needed (moved out etc.) --------------------------------
    targets = sorted(approach)
    not_needed: dict[str, str] = {}
    pool = list(targets)
    for reason, n in sc.approach_not_needed:
        for rid in sim.pick(pool, n):
            not_needed[rid] = reason
        pool = [r for r in pool if r not in not_needed]
    approach_on: dict[str, date] = {}
    for rid in targets:
        on = sim.day(meeting[sim.ward[rid]], 1, 10)
        if rid in not_needed:
            reason = not_needed[rid]
            sim.event(support.record_approach, rid, decision="not_needed", reason=reason,
                      note="（シミュレーション）" if reason == "other" else None, event_date=on,
                      actor=sim.person(staff[rid], "ward_staff", rid))  # fmt: skip
        else:
            approach_on[rid] = on
            sim.event(support.record_approach, rid, decision="start", assignee=staff[rid], event_date=on,
                      how="home_visit", actor=sim.person(staff[rid], "ward_staff", rid))  # fmt: skip
    approached = sorted(approach_on)
    # ---- contact: who is reached, who has needs ----------------------------------------------
    contacted = sim.pick(approached, sc.contacted)
    needs_yes = set(sim.top(contacted, sc.needs_yes))
    acts: dict[str, dict[str, list[str]]] = {r: {"advice": [], "information": []} for r in contacted}
    for kind, quotas, pool in (
        ("advice", sc.advice, sorted(needs_yes)),
        ("information", sc.information, contacted),
    ):
        for category, n in quotas:
            weights = [0.5 + sim.need[r] for r in pool]
            for rid in sim.pick(pool, n, weights):
                acts[rid][kind].append(category)
    outcome_of: dict[str, str] = {}
    free = [r for r in sorted(needs_yes)]
    for code, n in sc.outcomes:
        if code == "yotaikyo":
            chosen = sim.top(free, n)
        elif code == "enrolled":
            pref = [
                r
                for r in free
                if "enrolment" in acts[r]["advice"] or "enrolment_procedure" in acts[r]["information"]
            ]
            chosen = (
                sim.pick(pref, n)
                if len(pref) >= n
                else pref + sim.pick([r for r in free if r not in pref], n - len(pref))
            )
        else:
            chosen = sim.pick(free, n)
        for rid in chosen:
            outcome_of[rid] = code
        free = [r for r in free if r not in outcome_of]
    # ---- home-visit records ------------------------------------------------------------------
    for rid in approached:
        who = sim.person(staff[rid], "ward_staff", rid)
        on = approach_on[rid]
        failures = (
            int(sim.rng.choice([0, 1, 2], p=[0.5, 0.3, 0.2]))
            if rid in contacted
            else int(sim.rng.integers(1, 4))
        )
        for k in range(failures):
            on = sim.day(on, 3, 14)
            sim.form("home_visit_record", rid,
                     {"attempted_on": on, "method": "home_visit" if k % 2 == 0 else "phone",
                      "result": str(sim.rng.choice(["absent", "no_answer"]))},
                     actor=who, token=f"{rid}-{k}")  # fmt: skip
        if rid not in contacted:
            continue
        on = sim.day(on, 3, 14)
        data: dict[str, Any] = {
            "attempted_on": on, "method": "home_visit", "result": "contacted",
            "needs": "yes" if rid in needs_yes else "no",
            "advice": acts[rid]["advice"], "information": acts[rid]["information"],
        }  # fmt: skip
        follow_on = None
        if rid in outcome_of:
            follow_on = sim.day(on, 14, 45)
            data["follow_up_on"] = follow_on
        sim.form("home_visit_record", rid, data, actor=who, token=f"{rid}-contact")
        if follow_on is not None:
            sim.form("home_visit_record", rid,
                     {"attempted_on": follow_on, "method": "phone", "result": "contacted", "needs": "yes",
                      "outcomes": [outcome_of[rid]]},
                     actor=who, token=f"{rid}-follow")  # fmt: skip


def _simulate_school(sim: _Sim, listed_on: date) -> None:
    from kodomo_dash.services import support

    sc = sim.sc
    ids = list(sim.ids)
    sheet_on: dict[str, date] = {}
    # ---- the city requests the sheets for the whole list, each school's from its teacher / SSW ----
    ssw_of = {rid: f"ssw_{(int(str(sim.school[rid])[-2:]) - 1) // 5 + 1 if sim.school[rid] else 1}" for rid in ids}
    if sc.screening_sheet_required:
        support.request_sheets(MANAGER, sim.list_id, "school_screening_sheet",
                               assignee_for={str(sim.school[r]): f"teacher_{sim.school[r]}" for r in ids})  # fmt: skip
    support.request_sheets(MANAGER, sim.list_id, "ssw_hearing_sheet",
                           assignee_for={str(sim.school[r]): ssw_of[r] for r in ids})  # fmt: skip
    # ---- teachers' screening sheets (Izumi) ------------------------------------------------
    if sc.screening_sheet_required:
        for rid in ids:
            school = sim.school[rid]
            z = sim.judged([rid])[rid]
            sheet_on[rid] = sim.day(listed_on, 3, 25)
            level = "high" if z > -0.3 else "medium" if z > -1.3 else "low"
            concern = "concern" if z > -0.3 else "some_concern" if z > -1.3 else "no_concern"
            sim.form(
                "school_screening_sheet", rid,
                {"observed_on": sheet_on[rid], "attendance": "frequent" if z > 0 else "some" if z > -1 else "none",
                 "appearance": concern, "emotional": concern, "injury_signs": "unknown" if z > 0 else "none",
                 "concern_level": level, "ssw_hearing_requested": level != "low"},
                actor=sim.person(f"teacher_{school}", "school", rid),
            )  # fmt: skip
    # ---- SSW hearings, then the decision ----------------------------------------------------
    supported = sim.top([r for r in ids if r not in sim.in_support], sum(n for _, n in sc.school_decisions))
    decision: dict[str, str] = {}
    pos = 0
    for code, n in sc.school_decisions:  # the highest judged need first: 要対協 before watching
        for rid in supported[pos : pos + n]:
            decision[rid] = code
        pos += n
    hearing_on: dict[str, date] = {}
    for rid in ids:
        start = sheet_on.get(rid, listed_on)
        hearing_on[rid] = sim.day(start, 3, 30)
        path = decision.get(rid, "no_support")
        risk = {"yotaikyo_case_meeting": "high", "school_watch": "medium", "other_support": "low"}.get(
            path, "none"
        )
        sim.form(
            "ssw_hearing_sheet", rid,
            {"heard_on": hearing_on[rid], "heard_from": ["homeroom_teacher"], "school_life": "（シミュレーション）",
             "abuse_risk": risk, "recommended_path": path},
            actor=sim.person(ssw_of[rid], "ssw", rid),
        )  # fmt: skip
    for rid in ids:
        code = decision.get(rid, "no_support")
        reason = None if code != "no_support" else "already_supported" if rid in sim.in_support else "low_risk"
        sim.event(support.record_school_decision, rid, decision=code, reason=reason,
                  event_date=sim.day(hearing_on[rid], 5, 20), actor=MANAGER)  # fmt: skip


def simulate_scenario(
    con_casework: duckdb.DuckDBPyConnection, scenario: str, *, seed: int = 0, scale: float = 1.0,
) -> SimulationSummary:
    """Synthetic list + simulated year in one call (demo/tests until screening hands over its list)."""
    cohort, truth, run = synthetic_list(scenario, seed=seed, scale=scale)
    return simulate_year(con_casework, cohort, truth, scenario, run=run, seed=seed)
