"""Stages of push-type support as append-only events, and the rules for moving between them.

Two paths exist because the reports describe two ways of working:

* ``ward`` (Fukuoka 6.2): list accepted → secondary screening by each of the three ward departments
  → three-department conference → approach (or not needed: moved out etc.) → contact attempts →
  contact with needs yes/no → support acts (延べ件数, 図表 6-4) and outcomes (図表 7-3 No.3), follow-ups.
* ``school`` (Izumi, Beppu): list accepted → teacher's screening sheet (Izumi only) → SSW hearing /
  assessment sheet → decision (要対協 case meeting, watch at school, other support, or none).

Every event says who (recorded_by), when (event_date for the act, recorded_at for the typing) and
why (reason code + note). Events are never updated: a mistake is voided by a new event that names
it (``supersedes``), so the trail survives. The rules are checked against the child's *current*
events as a state, not as a sequence, so a voided-and-re-recorded decision is judged like any other.
Counts for the funnel come only from these rows (decision 000, point 5), through the casework views.

One module per concern, so a reader changing a rule does not wade through SQL and a reader
tracing a save does not wade through the rules: ``events`` (the event model and reading a
child's trail), ``rules`` (what may be recorded now), ``record`` (writing and voiding events,
each with its audit row in the same transaction) and ``lists`` (accepting a screening run's list,
where every trail starts). Callers import from this package; the modules import each other.
"""

from kodomo_dash.casework.workflow.events import (
    ChildState,
    ListMember,
    StageEvent,
    child_timeline,
    current_events,
    get_event,
    get_member,
    load_child,
)
from kodomo_dash.casework.workflow.lists import NO_AFFILIATION, accept_list, accept_screening_run
from kodomo_dash.casework.workflow.record import (
    record_approach,
    record_conference,
    record_contact,
    record_contact_attempt,
    record_event,
    record_event_in_tx,
    record_follow_up,
    record_outcome,
    record_school_decision,
    record_secondary,
    record_support_act,
    void_event,
    void_events_in_tx,
)
from kodomo_dash.casework.workflow.rules import CORRECTION_PLACE_JA, MAX_NOTE_LENGTH, TransitionError

__all__ = [
    "CORRECTION_PLACE_JA",
    "MAX_NOTE_LENGTH",
    "NO_AFFILIATION",
    "ChildState",
    "ListMember",
    "StageEvent",
    "TransitionError",
    "accept_list",
    "accept_screening_run",
    "child_timeline",
    "current_events",
    "get_event",
    "get_member",
    "load_child",
    "record_approach",
    "record_conference",
    "record_contact",
    "record_contact_attempt",
    "record_event",
    "record_event_in_tx",
    "record_follow_up",
    "record_outcome",
    "record_school_decision",
    "record_secondary",
    "record_support_act",
    "void_event",
    "void_events_in_tx",
]
