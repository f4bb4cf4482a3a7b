-- 10_privacy_and_linkage: Views over the privacy checklist (011) and the manual 名寄せ decisions (020): the entry in force.
-- Recreated on open whenever this folder changes (kodomo_dash.infra.migrate); not a migration:
-- a view holds no data, so it is defined once here, in its current form (docs/decisions/058).

create or replace view privacy_check_current as
with ranked as (
    select
        *,
        row_number() over (partition by fy, item_no order by entry_id desc) as rn
    from privacy_check_entry
),

final as (
    select fy, item_no, done_on, person, evidence, saved_by, saved_at
    from ranked
    where rn = 1
)

select * from final;


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
