-- 020_linkage_decisions: people's decisions on 名寄せ candidate pairs (the review page writes here).
-- Append-only: a changed mind is a new row, never an update, so the trail of who decided what and
-- when survives. The linker re-applies the latest decision per (student_no, resident_id) on every
-- rebuild (kodomo_dash.linkage.decisions.load_decisions), so a decided pair never returns to the queue.
--   link      the school record and the registry child are the same child
--   not_same  they are not; the pair is never proposed again
--   later     not decided yet; the pair stays in the queue, marked as seen
create sequence if not exists link_decision_seq start 1;

create table if not exists link_decision (
    decision_id bigint primary key default nextval('link_decision_seq'),
    student_no varchar not null,
    resident_id varchar not null,
    decision varchar not null check (decision in ('link', 'not_same', 'later')),
    decided_by varchar not null,
    decided_at timestamp not null default current_timestamp,
    match_probability double,  -- what the reviewer was shown, for the audit of the decision
    note varchar
);

-- The decision in force for each pair: the latest row (ties broken by insertion order).
create or replace view link_decision_current as
select decision_id, student_no, resident_id, decision, decided_by, decided_at, match_probability, note
from (
    select *,
           row_number() over (
               partition by student_no, resident_id order by decided_at desc, decision_id desc
           ) as rn
    from link_decision
)
where rn = 1;
