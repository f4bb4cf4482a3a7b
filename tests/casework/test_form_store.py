"""Saving forms: drafts kept, submit feeds the workflow, stale saves refused, double submits harmless,
every save audited, and the progress / worklist reads people use to see what is due."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from kodomo_dash.casework import form_store, progress, vocabulary, workflow
from kodomo_dash.casework.form_store import AlreadySubmittedError, StaleVersionError
from kodomo_dash.casework.forms import FormValidationError
from kodomo_dash.casework.workflow import TransitionError
from kodomo_dash.infra.migrate import migrate

LISTED = date(2025, 8, 20)
TODAY = date(2026, 1, 31)
CHILD = "R0000001"

CONFERENCE = {
    "held_on": "2025-09-05", "living_conditions": "concern_some", "parenting_capacity": "concern_high",
    "help_seeking": "no_concern", "approach": "approach", "assigned_department": "health", "assigned_staff": "nurse1",
}  # fmt: skip


class AuditSpy(list):
    def __call__(self, event):
        self.append(dict(event))


def _ja(exc):
    """The field messages as the Japanese screen shows them (they are Messages, decision 065)."""
    return {k: str(v) for k, v in exc.field_errors.items()}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "casework.duckdb"
    c = duckdb.connect(str(p))
    migrate(c)
    members = [{"resident_id": f"R{i + 1:07d}", "ward_code": "40131" if i < 2 else "40132",
                "school_code": f"S0{i % 2 + 1}"} for i in range(4)]  # fmt: skip
    workflow.accept_list(c, fy=2025, run_id="r1", method="similarity", path="ward", members=members,
                         actor="manager1", accepted_on=LISTED, cohort_size=50, list_id="L1")  # fmt: skip
    workflow.accept_list(c, fy=2025, run_id="r2", method="edu_welfare", path="school", members=members,
                         actor="manager1", accepted_on=LISTED, cohort_size=50, list_id="IZ")  # fmt: skip
    c.close()
    return p


@pytest.fixture
def con(path: Path):
    c = duckdb.connect(str(path))
    yield c
    c.close()


def secondary_passed(con, rid=CHILD):
    for dept in vocabulary.DEPARTMENTS:
        workflow.record_secondary(con, "L1", rid, department=dept, decision="pass", event_date=date(2025, 8, 25),
                                  actor="staff", today=TODAY)  # fmt: skip


def test_a_draft_is_kept_and_versions_count_up(con):
    audit = AuditSpy()
    rec = form_store.request_form(con, "conference_sheet", "L1", CHILD, actor="kosodate1", audit=audit)
    assert (rec.status, rec.version) == ("requested", 1)
    r1 = form_store.save_draft(con, rec.form_id, {"needs_and_risks": "途中"}, expected_version=1, actor="kosodate1",
                               audit=audit)  # fmt: skip
    r2 = form_store.save_draft(con, rec.form_id, {"needs_and_risks": "続き"}, expected_version=2, actor="kosodate1",
                               audit=audit)  # fmt: skip
    assert (r1.version, r2.version, r2.status) == (2, 3, "draft")
    assert "下書きを保存しました" in r2.message_ja
    got = form_store.get_form(con, rec.form_id)
    assert got.data["needs_and_risks"] == "続き" and got.version == 3
    assert [r["op"] for r in form_store.form_revisions(con, rec.form_id)] == ["request", "draft", "draft"]
    assert [a["detail"]["op"] for a in audit] == ["request", "draft", "draft"]
    assert all(a["action"] == "form_save" and a["resident_id"] == CHILD for a in audit)


def test_requesting_twice_is_the_same_form(con):
    a = form_store.request_form(con, "conference_sheet", "L1", CHILD, actor="k")
    b = form_store.request_form(con, "conference_sheet", "L1", CHILD, actor="k")
    assert a.form_id == b.form_id
    v1 = form_store.request_form(con, "home_visit_record", "L1", CHILD, actor="n", client_token="click-1")
    v2 = form_store.request_form(con, "home_visit_record", "L1", CHILD, actor="n", client_token="click-1")
    v3 = form_store.request_form(con, "home_visit_record", "L1", CHILD, actor="n", client_token="click-2")
    assert v1.form_id == v2.form_id != v3.form_id


def test_submit_validates_and_becomes_the_conference_event(con):
    secondary_passed(con)
    rec = form_store.request_form(con, "conference_sheet", "L1", CHILD, actor="kosodate1")
    with pytest.raises(FormValidationError) as err:
        form_store.submit_form(con, rec.form_id, {"held_on": "2025-09-05"}, expected_version=1, actor="kosodate1",
                               today=TODAY)  # fmt: skip
    assert _ja(err.value)["approach"] == "アプローチの要否を選んでください。"
    assert form_store.get_form(con, rec.form_id).version == 1  # a refused submit writes nothing
    result = form_store.submit_form(
        con, rec.form_id, CONFERENCE, expected_version=1, actor="kosodate1", today=TODAY
    )
    assert result.status == "submitted" and len(result.event_ids) == 1
    conf = [e for e in workflow.current_events(con, "L1", CHILD) if e.stage == "conference"][0]
    assert (conf.decision, conf.assignee, conf.form_id) == ("approach", "nurse1", rec.form_id)
    assert conf.detail["parenting_capacity"] == "concern_high"


def test_conference_date_before_secondary_screening_is_a_field_error(con):
    secondary_passed(con)
    rec = form_store.request_form(con, "conference_sheet", "L1", CHILD, actor="k")
    with pytest.raises(FormValidationError) as err:
        form_store.submit_form(con, rec.form_id, CONFERENCE | {"held_on": "2025-08-24"}, expected_version=1,
                               actor="k", today=TODAY)  # fmt: skip
    assert "二次スクリーニングの完了日（2025年8月25日）より前" in _ja(err.value)["held_on"]


def test_a_home_visit_before_any_approach_is_refused_clearly(con):
    rec = form_store.request_form(con, "home_visit_record", "L1", CHILD, actor="nurse1", client_token="t")
    data = {"attempted_on": "2025-09-12", "method": "home_visit", "result": "absent"}
    with pytest.raises(TransitionError) as err:
        form_store.submit_form(con, rec.form_id, data, expected_version=1, actor="nurse1", today=TODAY)
    assert (
        "訪問・連絡記録を提出できません" in err.value.message_ja
        and "アプローチの開始" in err.value.message_ja
    )
    assert form_store.get_form(con, rec.form_id).status == "requested"


def test_double_submit_is_idempotent_and_a_changed_resubmit_is_refused(con):
    secondary_passed(con)
    audit = AuditSpy()
    rec = form_store.request_form(con, "conference_sheet", "L1", CHILD, actor="k")
    first = form_store.submit_form(con, rec.form_id, CONFERENCE, expected_version=1, actor="k", submit_token="tok",
                                   today=TODAY, audit=audit)  # fmt: skip
    again = form_store.submit_form(con, rec.form_id, CONFERENCE, expected_version=1, actor="k", submit_token="tok",
                                   today=TODAY, audit=audit)  # fmt: skip
    assert again.replayed and again.version == first.version and "二重送信" in again.message_ja
    same_data = form_store.submit_form(
        con, rec.form_id, CONFERENCE, expected_version=1, actor="k", today=TODAY
    )
    assert same_data.replayed
    assert sum(e.stage == "conference" for e in workflow.current_events(con, "L1", CHILD)) == 1
    with pytest.raises(AlreadySubmittedError) as err:
        form_store.submit_form(con, rec.form_id, CONFERENCE | {"approach_plan": "別案"}, expected_version=1,
                               actor="k", today=TODAY, audit=audit)  # fmt: skip
    assert "提出済み" in err.value.message_ja and "保存されていません" in err.value.message_ja
    with pytest.raises(AlreadySubmittedError):
        form_store.save_draft(con, rec.form_id, CONFERENCE, expected_version=2, actor="k")
    assert [a["detail"]["op"] for a in audit] == ["submit", "submit_replayed", "submit_refused"]


def test_a_double_clicked_draft_save_is_harmless(con):
    rec = form_store.request_form(con, "conference_sheet", "L1", CHILD, actor="k")
    first = form_store.save_draft(con, rec.form_id, {"needs_and_risks": "x"}, expected_version=1, actor="k")
    second = form_store.save_draft(con, rec.form_id, {"needs_and_risks": "x"}, expected_version=1, actor="k")
    assert second.replayed and second.version == first.version == 2


def test_stale_save_is_refused_and_nothing_is_overwritten(path):
    """Two sessions open version 1; the first save wins, the second is told who changed it."""
    s1, s2 = duckdb.connect(str(path)), duckdb.connect(str(path))
    rec = form_store.request_form(s1, "conference_sheet", "L1", CHILD, actor="kosodate1")
    v = form_store.get_form(s2, rec.form_id).version
    audit = AuditSpy()
    form_store.save_draft(
        s1, rec.form_id, {"needs_and_risks": "Aさんの所見"}, expected_version=v, actor="staff_a"
    )
    with pytest.raises(StaleVersionError) as err:
        form_store.save_draft(s2, rec.form_id, {"needs_and_risks": "Bさんの所見"}, expected_version=v,
                              actor="staff_b", audit=audit)  # fmt: skip
    assert "staff_a さんが更新しました" in err.value.message_ja
    assert "保存されていません" in err.value.message_ja
    assert err.value.current.data["needs_and_risks"] == "Aさんの所見"
    assert form_store.get_form(s2, rec.form_id).data["needs_and_risks"] == "Aさんの所見"
    assert audit[0]["detail"]["why"] == "stale_version" and audit[0]["actor"] == "staff_b"
    s1.close()
    s2.close()


def test_racing_saves_from_two_threads_one_wins_the_other_is_told(path):
    base = duckdb.connect(str(path))
    rec = form_store.request_form(base, "conference_sheet", "L1", CHILD, actor="k")
    for round_no in range(5):
        version = form_store.get_form(base, rec.form_id).version
        barrier = threading.Barrier(2)
        results: dict[str, str] = {}

        def save(who, cur, version=version, barrier=barrier, results=results, round_no=round_no):
            barrier.wait()
            try:
                form_store.save_draft(cur, rec.form_id, {"needs_and_risks": f"{who}-{round_no}"},
                                      expected_version=version, actor=who)  # fmt: skip
                results[who] = "saved"
            except StaleVersionError as exc:
                assert exc.message_ja
                results[who] = "told"

        threads = [threading.Thread(target=save, args=(w, base.cursor())) for w in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results.values()) == ["saved", "told"], results
        winner = next(w for w, r in results.items() if r == "saved")
        now = form_store.get_form(base, rec.form_id)
        assert now.version == version + 1 and now.data["needs_and_risks"] == f"{winner}-{round_no}"
    base.close()


def test_home_visit_record_becomes_contact_acts_outcomes_and_follow_up(con):
    secondary_passed(con)
    rec = form_store.request_form(con, "conference_sheet", "L1", CHILD, actor="k")
    form_store.submit_form(con, rec.form_id, CONFERENCE, expected_version=1, actor="k", today=TODAY)
    workflow.record_approach(con, "L1", CHILD, decision="start", event_date=date(2025, 9, 8), actor="nurse1",
                             today=TODAY)  # fmt: skip
    visit = form_store.request_form(con, "home_visit_record", "L1", CHILD, actor="nurse1", assignee="nurse1",
                                    client_token="v1")  # fmt: skip
    data = {"attempted_on": "2025-09-12", "method": "home_visit", "result": "contacted", "needs": "yes",
            "advice": ["enrolment", "developmental"], "information": ["consultation_desk"],
            "outcomes": ["enrolled"], "situation": "<script>x</script>母親と面談", "follow_up_on": "2025-10-01"}  # fmt: skip
    result = form_store.submit_form(con, visit.form_id, data, expected_version=1, actor="nurse1", today=TODAY)
    kinds = [e.stage for e in workflow.current_events(con, "L1", CHILD) if e.form_id == visit.form_id]
    assert kinds == [
        "contact_attempt",
        "contact",
        "support_act",
        "support_act",
        "support_act",
        "outcome",
        "follow_up",
    ]
    assert len(result.event_ids) == 7
    assert form_store.get_form(con, visit.form_id).data["situation"] == "<script>x</script>母親と面談"
    items = progress.worklist(con, "nurse1", today=TODAY)
    assert list(items["kind"]) == ["follow_up_due"] and items["label_ja"][0] == "フォローの訪問・電話"
    with pytest.raises(FormValidationError) as err:
        v2 = form_store.request_form(con, "home_visit_record", "L1", CHILD, actor="nurse1", client_token="v2")
        form_store.submit_form(con, v2.form_id, {"attempted_on": "2025-10-01", "method": "phone", "result": "absent",
                                                 "advice": ["other"]}, expected_version=1, actor="nurse1", today=TODAY)  # fmt: skip
    assert "接触できなかった" in _ja(err.value)["advice"]


def test_reopen_voids_the_events_and_a_resubmit_replaces_them(con):
    secondary_passed(con)
    rec = form_store.request_form(con, "conference_sheet", "L1", CHILD, actor="k")
    form_store.submit_form(con, rec.form_id, CONFERENCE, expected_version=1, actor="k", today=TODAY)
    reopened = form_store.reopen_form(con, rec.form_id, expected_version=2, actor="manager1", note="担当者の誤り",
                                      today=TODAY)  # fmt: skip
    assert reopened.status == "draft"
    assert not [e for e in workflow.current_events(con, "L1", CHILD) if e.stage == "conference"]
    form_store.submit_form(con, rec.form_id, CONFERENCE | {"assigned_staff": "nurse2"}, expected_version=3,
                           actor="k", today=TODAY)  # fmt: skip
    (conf,) = [e for e in workflow.current_events(con, "L1", CHILD) if e.stage == "conference"]
    assert conf.assignee == "nurse2"
    workflow.record_approach(con, "L1", CHILD, decision="start", event_date=date(2025, 9, 8), actor="nurse2",
                             today=TODAY)  # fmt: skip
    with pytest.raises(TransitionError) as err:
        form_store.reopen_form(
            con, rec.form_id, expected_version=4, actor="manager1", note="再修正", today=TODAY
        )
    assert "前提がなくなります" in err.value.message_ja


def test_progress_per_school_and_ward(con):
    n = form_store.request_forms_for_list(con, "school_screening_sheet", "IZ", actor="office",
                                          assignee_for={"S01": "teacher_s01", "S02": "teacher_s02"},
                                          due_date="2025-10-15")  # fmt: skip
    assert n == 4
    assert form_store.request_forms_for_list(con, "school_screening_sheet", "IZ", actor="office") == 0
    mine = form_store.list_forms(con, assignee="teacher_s01")
    form_store.save_draft(
        con, mine[0].form_id, {"observations": "下書き"}, expected_version=1, actor="teacher_s01"
    )
    sheet = {"observed_on": "2025-09-10", "attendance": "some", "appearance": "no_concern", "emotional": "concern",
             "injury_signs": "none", "concern_level": "high"}  # fmt: skip
    form_store.submit_form(con, mine[1].form_id, sheet, expected_version=1, actor="teacher_s01", today=TODAY)
    by_school = progress.form_progress(con, by="school", form_type="school_screening_sheet")
    s01 = by_school.set_index("group_code").loc["S01"]
    assert (s01["requested"], s01["draft"], s01["submitted"], s01["submitted_pct"]) == (0, 1, 1, 50.0)
    assert by_school.set_index("group_code").loc["S02"]["requested"] == 2
    by_ward = progress.form_progress(con, by="ward", fy=2025).set_index("group_code")
    assert int(by_ward["total"].sum()) == 4
    scoped = progress.form_progress(con, by="school", school_codes=["S02"])
    assert list(scoped["group_code"]) == ["S02"]
    overdue = progress.form_progress(con, by="school")  # due 2025-10-15 is long past
    assert int(overdue["overdue"].sum()) == 3
    todo = progress.worklist(con, "teacher_s01", today=TODAY)
    assert sorted(todo["kind"]) == ["form_draft"] and bool(todo["overdue"].iloc[0])


def test_worklist_for_ward_departments_and_assigned_staff(con):
    workflow.record_secondary(con, "L1", CHILD, department="childcare_support", decision="pass",
                              event_date=date(2025, 8, 22), actor="a", today=TODAY)  # fmt: skip
    health = progress.worklist(con, "hoken_staff", departments=["health"], ward_codes=["40131"], today=TODAY)
    assert set(health["kind"]) == {"secondary_due"} and set(health["resident_id"]) == {"R0000001", "R0000002"}
    childcare = progress.worklist(
        con, "kosodate", departments=["childcare_support"], ward_codes=["40131"], today=TODAY
    )
    assert list(childcare["resident_id"]) == ["R0000002"]  # R0000001 already checked by that department
    secondary_passed(con, "R0000002")
    conf = form_store.request_form(con, "conference_sheet", "L1", "R0000002", actor="k")
    form_store.submit_form(con, conf.form_id, CONFERENCE, expected_version=1, actor="k", today=TODAY)
    nurse = progress.worklist(con, "nurse1", today=TODAY)
    assert list(nurse["kind"]) == ["approach_due"]
    workflow.record_approach(con, "L1", "R0000002", decision="start", event_date=date(2025, 9, 8), actor="nurse1",
                             today=TODAY)  # fmt: skip
    assert list(progress.worklist(con, "nurse1", today=TODAY)["kind"]) == ["contact_due"]


def test_form_save_latency_is_well_under_200ms(con):
    """Issue 6 asks for a save within 200 ms; measured here on the test machine (median of 30)."""
    import pandas  # noqa: F401  the app has pandas loaded; DuckDB binds ints slowly before that

    rec = form_store.request_form(con, "conference_sheet", "L1", CHILD, actor="k")
    times = []
    version = rec.version
    for i in range(30):
        t = time.perf_counter()
        version = form_store.save_draft(con, rec.form_id, {"needs_and_risks": "所見" * 50 + str(i)},
                                        expected_version=version, actor="k").version  # fmt: skip
        times.append((time.perf_counter() - t) * 1000)
    median = sorted(times)[len(times) // 2]
    print(f"form_save_ms median={median:.1f}")
    assert median < 200


def test_audit_inside_a_batch_waits_for_the_commit(con):
    """Nested saves audit after the outer COMMIT; a rolled-back batch audits nothing."""
    from kodomo_dash.casework.store import transaction

    audit = AuditSpy()
    with transaction(con):
        rec = form_store.request_form(con, "conference_sheet", "L1", CHILD, actor="k", audit=audit)
        form_store.save_draft(
            con, rec.form_id, {"needs_and_risks": "a"}, expected_version=1, actor="k", audit=audit
        )
        assert audit == []  # not yet committed
    assert [a["detail"]["op"] for a in audit] == ["request", "draft"]
    lost = AuditSpy()
    with pytest.raises(RuntimeError), transaction(con):
        form_store.save_draft(
            con, rec.form_id, {"needs_and_risks": "b"}, expected_version=2, actor="k", audit=lost
        )
        raise RuntimeError("batch fails")
    assert lost == [] and form_store.get_form(con, rec.form_id).version == 2


def test_the_audit_callback_fits_the_hash_chained_audit_trail(con):
    """Wired to kodomo_dash.security.audit.record, every save lands in audit_log and the chain verifies."""
    auth_audit = pytest.importorskip("kodomo_dash.security.audit")

    def to_audit_log(event):
        auth_audit.record(con, event["actor"], event["action"], page="forms", resident_id=event["resident_id"],
                          target=event["target"], n_children=event["n_children"], detail=event["detail"])  # fmt: skip

    secondary_passed(con)
    rec = form_store.request_form(con, "conference_sheet", "L1", CHILD, actor="k", audit=to_audit_log)
    form_store.submit_form(
        con, rec.form_id, CONFERENCE, expected_version=1, actor="k", today=TODAY, audit=to_audit_log
    )
    rows = con.execute("select action, username, resident_id, target from audit_log order by seq").fetchall()
    assert rows == [("form_save", "k", CHILD, f"form:{rec.form_id}")] * 2
    assert auth_audit.verify(con).ok
