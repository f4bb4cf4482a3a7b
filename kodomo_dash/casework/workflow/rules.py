"""What the workflow allows a person to record now, and the words it refuses with.

The rules are checked against the child's *current* events as a state, not as a sequence, so a
voided-and-re-recorded decision is judged like any other, and the same check tells a void whether
a remaining record would lose its premise (``requirements``). Refusals are Japanese sentences a
member of staff can act on, because they are shown as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from kodomo_dash.casework.store import CaseworkError, fmt_date_ja
from kodomo_dash.casework.vocabulary import (
    APPROACH_DECISIONS,
    APPROACH_REASONS,
    ATTEMPT_RESULTS,
    CONFERENCE_DECISIONS,
    CONFERENCE_REASONS,
    CONTACT_METHODS,
    DEPARTMENTS,
    NEEDS,
    ONCE_PER_CHILD,
    OUTCOMES,
    SCHOOL_DECISIONS,
    SCHOOL_REASONS,
    SCHOOL_STAGES,
    SECONDARY_DECISIONS,
    SECONDARY_REASONS,
    STAGES,
    SUPPORT_CATEGORIES,
    SUPPORT_KINDS,
    WARD_STAGES,
)
from kodomo_dash.casework.workflow.events import ListMember, StageEvent

MAX_NOTE_LENGTH = 2000
# Where a manager corrects a record: every refusal that asks for a correction names this place
# (screens/support_record.py, its tab sr.tab.history; a test keeps the names in step).
CORRECTION_PLACE_JA = "「支援の記録」画面の「記録の履歴・訂正」"


class TransitionError(CaseworkError):
    """A stage record that the workflow does not allow now (or at that date)."""


def _one(events: Iterable[StageEvent], stage: str) -> StageEvent | None:
    found = [e for e in events if e.stage == stage]
    return found[-1] if found else None


def _not_before(ev: StageEvent, earlier: StageEvent) -> list[str]:
    if ev.event_date < earlier.event_date:
        return [
            f"{ev.label_ja}の日付（{fmt_date_ja(ev.event_date)}）が{earlier.label_ja}の日付"
            f"（{fmt_date_ja(earlier.event_date)}）より前になっています。日付を確認してください。"
        ]
    return []


def requirements(member: ListMember, others: Sequence[StageEvent], ev: StageEvent) -> list[str]:
    """What must already be true of the child for `ev` to stand (state-based, order-free)."""
    s = ev.stage
    if s in WARD_STAGES and member.path != "ward":
        return [
            f"{ev.label_ja}は、区の三課で確認する対象者リストでのみ記録できます（このリストは学校での確認）。"
        ]
    if s in SCHOOL_STAGES and member.path != "school":
        return [
            f"{ev.label_ja}は、学校で確認する対象者リストでのみ記録できます（このリストは区の三課で確認）。"
        ]
    if s == "secondary":
        return []
    if s == "conference":
        secondary = [e for e in others if e.stage == "secondary"]
        excluded = [e for e in secondary if e.decision == "exclude"]
        if excluded:
            e = excluded[0]
            return [
                f"二次スクリーニングで対象外（{DEPARTMENTS.get(e.department or '', '')}："
                f"{SECONDARY_REASONS.get(e.reason or '', '')}）とされたため、三課協議は記録できません。"
            ]
        passed = {e.department for e in secondary if e.decision == "pass"}
        missing = [label for code, label in DEPARTMENTS.items() if code not in passed]
        if missing:
            return [
                f"二次スクリーニングが終わっていません（未確認：{'・'.join(missing)}）。"
                "三課協議は三課すべての確認の後に記録してください。"
            ]
        latest = max(secondary, key=lambda e: e.event_date)
        return _not_before(ev, latest)
    if s == "approach":
        conf = _one(others, "conference")
        if conf is None:
            return ["三課協議が記録されていないため、アプローチの判断は記録できません。"]
        if conf.decision != "approach":
            return ["三課協議で「アプローチしない」と決まったこどもです。アプローチの判断は記録できません。"]
        return _not_before(ev, conf)
    if s == "contact_attempt":
        ap = _one(others, "approach")
        if ap is None:
            return [
                "アプローチの開始が記録されていないため、訪問・連絡は記録できません。先に三課協議とアプローチ開始を記録してください。"
            ]
        if ap.decision != "start":
            reason = APPROACH_REASONS.get(ap.reason or "", "")
            return [f"アプローチ不要（{reason}）と記録されているため、訪問・連絡は記録できません。"]
        return _not_before(ev, ap)
    if s == "contact":
        reached = [
            e for e in others if e.stage == "contact_attempt" and e.decision == "contacted"
            and e.event_date <= ev.event_date
        ]  # fmt: skip
        if not reached:
            return ["接触できた訪問・連絡の記録がないため、接触（ニーズの有無）は記録できません。"]
        return []
    if s == "follow_up":
        ap = _one(others, "approach")
        if ap is None or ap.decision != "start":
            return ["アプローチが開始されていないため、フォローの予定は記録できません。"]
        return _not_before(ev, ap)
    if s in ("support_act", "outcome"):
        contact = _one(others, "contact")
        if contact is None:
            return [f"保護者との接触が記録されていないため、{ev.label_ja}は記録できません。"]
        return _not_before(ev, contact)
    if s == "screening_sheet":
        return []
    if s == "ssw_hearing":
        sheet = _one(others, "screening_sheet")
        if member.screening_sheet_required and sheet is None:
            return ["学校のスクリーニングシートが提出されていないため、SSW聞き取りは記録できません。"]
        return _not_before(ev, sheet) if sheet is not None else []
    if s == "school_decision":
        hearing = _one(others, "ssw_hearing")
        if hearing is None:
            return [
                "SSW等による聞き取り（ヒアリングシート）が提出されていないため、支援の判断は記録できません。"
            ]
        return _not_before(ev, hearing)
    return [f"不明な段階です: {s}"]


def _check_codes(ev: StageEvent) -> list[str]:
    """Each stage's own columns must hold codes from its vocabulary; a reason where one is owed."""
    errors: list[str] = []

    def need(value: str | None, vocab: Mapping[str, str], what: str) -> None:
        if value is None or value == "":
            errors.append(f"{what}を選んでください。")
        elif value not in vocab:
            errors.append(f"{what}「{value}」は選択肢にありません。")

    def reason_for(vocab: Mapping[str, str], what: str) -> None:
        need(ev.reason, vocab, what)
        if ev.reason == "other" and not (ev.note or "").strip():
            errors.append(f"{what}が「その他」のときは、内容を備考に書いてください。")

    s = ev.stage
    if s == "secondary":
        need(ev.department, DEPARTMENTS, "確認した課")
        need(ev.decision, SECONDARY_DECISIONS, "二次スクリーニングの結果")
        if ev.decision == "exclude":
            reason_for(SECONDARY_REASONS, "対象外の理由")
    elif s == "conference":
        need(ev.decision, CONFERENCE_DECISIONS, "アプローチの要否")
        if ev.decision == "no_approach":
            reason_for(CONFERENCE_REASONS, "アプローチしない理由")
        if ev.decision == "approach" and not (ev.assignee or "").strip():
            errors.append("アプローチする場合は担当者を入力してください。")
    elif s == "approach":
        need(ev.decision, APPROACH_DECISIONS, "アプローチの判断")
        if ev.decision == "not_needed":
            reason_for(APPROACH_REASONS, "アプローチ不要の理由")
    elif s == "contact_attempt":
        need(ev.method, CONTACT_METHODS, "方法（家庭訪問・電話）")
        need(ev.decision, ATTEMPT_RESULTS, "結果")
    elif s == "contact":
        need(ev.decision, NEEDS, "ニーズの有無")
    elif s == "support_act":
        need(ev.decision, SUPPORT_KINDS, "支援の種類（助言・情報提供）")
        if ev.decision in SUPPORT_CATEGORIES:
            need(ev.category, SUPPORT_CATEGORIES[ev.decision], "支援の内容")
    elif s == "outcome":
        need(ev.decision, OUTCOMES, "支援の成果")
    elif s == "follow_up":
        if ev.due_date is None:
            errors.append("次回フォローの予定日を入力してください。")
        elif ev.due_date < ev.event_date:
            errors.append("次回フォローの予定日が記録日より前になっています。")
    elif s == "school_decision":
        need(ev.decision, SCHOOL_DECISIONS, "支援の判断")
        if ev.decision == "no_support":
            reason_for(SCHOOL_REASONS, "支援不要の理由")
    elif s not in STAGES or s == "void":
        errors.append(f"不明な段階です: {s}")
    if ev.note is not None and len(ev.note) > MAX_NOTE_LENGTH:
        errors.append(f"備考は{MAX_NOTE_LENGTH}文字以内で入力してください（現在{len(ev.note)}文字）。")
    return errors


def check_new(member: ListMember, current: Sequence[StageEvent], ev: StageEvent, today: date) -> None:
    errors = _check_codes(ev)
    date_errors = []
    if ev.event_date > today:
        date_errors.append(
            f"{ev.label_ja}の日付（{fmt_date_ja(ev.event_date)}）が未来の日付です（本日 {fmt_date_ja(today)}）。"
        )
    if ev.event_date < member.listed_on:
        date_errors.append(
            f"{ev.label_ja}の日付（{fmt_date_ja(ev.event_date)}）が対象者リストの確定日"
            f"（{fmt_date_ja(member.listed_on)}）より前です。リストができる前の記録はできません。"
        )
    if errors or date_errors:
        fields = {"_all": " ".join(errors)} if errors else {}
        if date_errors:  # shown next to the date field
            fields["event_date"] = " ".join(date_errors)
        raise TransitionError((errors + date_errors)[0], field_errors=fields)
    # Order rules: a later stage already stands, so an earlier one can no longer change.
    if ev.stage == "secondary":
        conf = _one(current, "conference")
        if conf is not None:
            raise TransitionError(
                f"三課協議が記録済み（{fmt_date_ja(conf.event_date)}）のため、二次スクリーニングは追加・変更できません。"
            )
        same = [e for e in current if e.stage == "secondary" and e.department == ev.department]
        if same:
            raise TransitionError(
                f"{DEPARTMENTS[ev.department or '']}の二次スクリーニングは記録済みです（{fmt_date_ja(same[0].event_date)}、"
                f"{same[0].recorded_by}）。変更する場合は、管理者が{CORRECTION_PLACE_JA}で取り消してから記録し直してください。"
            )
    elif ev.stage in ONCE_PER_CHILD:
        existing = _one(current, ev.stage)
        if existing is not None:
            raise TransitionError(
                f"{ev.label_ja}は記録済みです（{fmt_date_ja(existing.event_date)}、{existing.recorded_by}）。"
                f"変更する場合は、管理者が{CORRECTION_PLACE_JA}で取り消してから記録し直してください。"
            )
    elif ev.stage == "outcome":
        if any(e.stage == "outcome" and e.decision == ev.decision for e in current):
            raise TransitionError(f"支援の成果「{OUTCOMES[ev.decision or '']}」は記録済みです。")
    problems = requirements(member, current, ev)
    if problems:
        raise TransitionError(problems[0])
