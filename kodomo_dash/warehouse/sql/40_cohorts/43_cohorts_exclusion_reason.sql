-- 43_cohorts_exclusion_reason: who is taken off before a list, one row per (child, reason).
-- Exclusion reasons, one row per (child, reason). moved_out is found when a saved list is
-- checked against a newer build (a listed child no longer in features.child_features).
create or replace view cohorts.exclusion_reason as
with

children as (select * from features.child_features),

already_in_support as (
    select resident_id, 'already_in_support' as reason
    from children
    where coalesce(yotaikyo_open, 0) = 1 or coalesce(open_consultation, 0) = 1
),

enrolled as (
    select resident_id, 'enrolled' as reason
    from children
    where coalesce(enrolled_any, 0) = 1
),

final as (
    select * from already_in_support
    union all
    select * from enrolled
)

select * from final;
