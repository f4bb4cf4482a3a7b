"""What the workflow allows a person to record now, and the words it refuses with.

The rules are checked against the child's *current* events as a state, not as a sequence, so a
voided-and-re-recorded decision is judged like any other, and the same check tells a void whether
a remaining record would lose its premise (``requirements``). Refusals are sentences a member of
staff can act on, raised as codes with parameters (``errors.yaml`` beside this module) so each
screen shows them in the viewer's language (decision 065).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from kodomo_dash.casework.store import CaseworkError
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
    localized,
)
from kodomo_dash.casework.workflow.events import ListMember, StageEvent
from kodomo_dash.config.messages import Joined, Localized, Message, msg

MAX_NOTE_LENGTH = 2000
# Where a manager corrects a record: every refusal that asks for a correction names this place
# (screens/support_record.py, its tab sr.tab.history; a test keeps the names in step).
CORRECTION_PLACE = msg("wf.correction_place")
CORRECTION_PLACE_JA = CORRECTION_PLACE.text("ja")


class TransitionError(CaseworkError):
    """A stage record that the workflow does not allow now (or at that date)."""


def _one(events: Iterable[StageEvent], stage: str) -> StageEvent | None:
    found = [e for e in events if e.stage == stage]
    return found[-1] if found else None


def _stage(ev: StageEvent) -> Localized:
    return localized("stage", ev.stage)


def _not_before(ev: StageEvent, earlier: StageEvent) -> list[Message]:
    if ev.event_date < earlier.event_date:
        return [msg("wf.date_before", stage=_stage(ev), date=ev.event_date, earlier=_stage(earlier),
                    earlier_date=earlier.event_date)]  # fmt: skip
    return []


def requirements(member: ListMember, others: Sequence[StageEvent], ev: StageEvent) -> list[Message]:
    """What must already be true of the child for `ev` to stand (state-based, order-free)."""
    s = ev.stage
    if s in WARD_STAGES and member.path != "ward":
        return [msg("wf.ward_path_only", stage=_stage(ev))]
    if s in SCHOOL_STAGES and member.path != "school":
        return [msg("wf.school_path_only", stage=_stage(ev))]
    if s == "secondary":
        return []
    if s == "conference":
        secondary = [e for e in others if e.stage == "secondary"]
        excluded = [e for e in secondary if e.decision == "exclude"]
        if excluded:
            e = excluded[0]
            return [msg("wf.excluded_at_secondary", department=localized("department", e.department),
                        reason=localized("secondary_reason", e.reason))]  # fmt: skip
        passed = {e.department for e in secondary if e.decision == "pass"}
        missing = [localized("department", code) for code in DEPARTMENTS if code not in passed]
        if missing:
            return [msg("wf.secondary_unfinished", missing=Localized("・".join(m.ja for m in missing),
                                                                      ", ".join(m.en for m in missing)))]  # fmt: skip
        latest = max(secondary, key=lambda e: e.event_date)
        return _not_before(ev, latest)
    if s == "approach":
        conf = _one(others, "conference")
        if conf is None:
            return [msg("wf.no_conference")]
        if conf.decision != "approach":
            return [msg("wf.conference_no_approach")]
        return _not_before(ev, conf)
    if s == "contact_attempt":
        ap = _one(others, "approach")
        if ap is None:
            return [msg("wf.no_approach_start")]
        if ap.decision != "start":
            return [msg("wf.approach_not_needed", reason=localized("approach_reason", ap.reason))]
        return _not_before(ev, ap)
    if s == "contact":
        reached = [
            e for e in others if e.stage == "contact_attempt" and e.decision == "contacted"
            and e.event_date <= ev.event_date
        ]  # fmt: skip
        if not reached:
            return [msg("wf.no_contact_attempt")]
        return []
    if s == "follow_up":
        ap = _one(others, "approach")
        if ap is None or ap.decision != "start":
            return [msg("wf.approach_not_started")]
        return _not_before(ev, ap)
    if s in ("support_act", "outcome"):
        contact = _one(others, "contact")
        if contact is None:
            return [msg("wf.no_contact", stage=_stage(ev))]
        return _not_before(ev, contact)
    if s == "screening_sheet":
        return []
    if s == "ssw_hearing":
        sheet = _one(others, "screening_sheet")
        if member.screening_sheet_required and sheet is None:
            return [msg("wf.no_screening_sheet")]
        return _not_before(ev, sheet) if sheet is not None else []
    if s == "school_decision":
        hearing = _one(others, "ssw_hearing")
        if hearing is None:
            return [msg("wf.no_hearing")]
        return _not_before(ev, hearing)
    return [msg("wf.unknown_stage", stage=s)]


def _check_codes(ev: StageEvent) -> list[Message]:
    """Each stage's own columns must hold codes from its vocabulary; a reason where one is owed."""
    errors: list[Message] = []

    def need(value: str | None, vocab: Mapping[str, str], field: str) -> None:
        what = msg(f"wf.field.{field}")
        if value is None or value == "":
            errors.append(msg("wf.choose", what=what))
        elif value not in vocab:
            errors.append(msg("wf.not_in_choices", what=what, value=value))

    def reason_for(vocab: Mapping[str, str], field: str) -> None:
        need(ev.reason, vocab, field)
        if ev.reason == "other" and not (ev.note or "").strip():
            errors.append(msg("wf.other_needs_note", what=msg(f"wf.field.{field}")))

    s = ev.stage
    if s == "secondary":
        need(ev.department, DEPARTMENTS, "department")
        need(ev.decision, SECONDARY_DECISIONS, "secondary_decision")
        if ev.decision == "exclude":
            reason_for(SECONDARY_REASONS, "secondary_reason")
    elif s == "conference":
        need(ev.decision, CONFERENCE_DECISIONS, "conference_decision")
        if ev.decision == "no_approach":
            reason_for(CONFERENCE_REASONS, "conference_reason")
        if ev.decision == "approach" and not (ev.assignee or "").strip():
            errors.append(msg("wf.assignee_required"))
    elif s == "approach":
        need(ev.decision, APPROACH_DECISIONS, "approach_decision")
        if ev.decision == "not_needed":
            reason_for(APPROACH_REASONS, "approach_reason")
    elif s == "contact_attempt":
        need(ev.method, CONTACT_METHODS, "contact_method")
        need(ev.decision, ATTEMPT_RESULTS, "attempt_result")
    elif s == "contact":
        need(ev.decision, NEEDS, "needs")
    elif s == "support_act":
        need(ev.decision, SUPPORT_KINDS, "support_kind")
        if ev.decision in SUPPORT_CATEGORIES:
            need(ev.category, SUPPORT_CATEGORIES[ev.decision], "support_category")
    elif s == "outcome":
        need(ev.decision, OUTCOMES, "outcome")
    elif s == "follow_up":
        if ev.due_date is None:
            errors.append(msg("wf.follow_up_due_missing"))
        elif ev.due_date < ev.event_date:
            errors.append(msg("wf.follow_up_due_before"))
    elif s == "school_decision":
        need(ev.decision, SCHOOL_DECISIONS, "school_decision")
        if ev.decision == "no_support":
            reason_for(SCHOOL_REASONS, "school_reason")
    elif s not in STAGES or s == "void":
        errors.append(msg("wf.unknown_stage", stage=s))
    if ev.note is not None and len(ev.note) > MAX_NOTE_LENGTH:
        errors.append(msg("wf.note_too_long", max=MAX_NOTE_LENGTH, n=len(ev.note)))
    return errors


def check_new(member: ListMember, current: Sequence[StageEvent], ev: StageEvent, today: date) -> None:
    errors = _check_codes(ev)
    date_errors = []
    if ev.event_date > today:
        date_errors.append(msg("wf.future_date", stage=_stage(ev), date=ev.event_date, today=today))
    if ev.event_date < member.listed_on:
        date_errors.append(msg("wf.before_list", stage=_stage(ev), date=ev.event_date, listed_on=member.listed_on))
    if errors or date_errors:
        fields: dict[str, Joined] = {"_all": Joined(tuple(errors))} if errors else {}
        if date_errors:  # shown next to the date field
            fields["event_date"] = Joined(tuple(date_errors))
        raise TransitionError((errors + date_errors)[0], field_errors=fields)
    # Order rules: a later stage already stands, so an earlier one can no longer change.
    if ev.stage == "secondary":
        conf = _one(current, "conference")
        if conf is not None:
            raise TransitionError(msg("wf.secondary_after_conference", date=conf.event_date))
        same = [e for e in current if e.stage == "secondary" and e.department == ev.department]
        if same:
            raise TransitionError(msg("wf.secondary_recorded", department=localized("department", ev.department),
                                      date=same[0].event_date, by=same[0].recorded_by, place=CORRECTION_PLACE))  # fmt: skip
    elif ev.stage in ONCE_PER_CHILD:
        existing = _one(current, ev.stage)
        if existing is not None:
            raise TransitionError(msg("wf.already_recorded", stage=_stage(ev), date=existing.event_date,
                                      by=existing.recorded_by, place=CORRECTION_PLACE))  # fmt: skip
    elif ev.stage == "outcome":
        if any(e.stage == "outcome" and e.decision == ev.decision for e in current):
            raise TransitionError(msg("wf.outcome_recorded", outcome=localized("outcome", ev.decision)))
    problems = requirements(member, current, ev)
    if problems:
        raise TransitionError(problems[0])
