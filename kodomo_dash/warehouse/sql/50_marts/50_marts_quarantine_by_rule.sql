-- 50_marts_quarantine_by_rule: what the home and data-quality pages show about a build's
-- quarantine — counts by source and rule, and how many whole rows were rejected.
create or replace view marts.quarantine_by_rule as
with
q as (select * from meta.quarantine),
final as (
    select source, rule, count(*) as n, count(*) filter (where row_rejected) as rows_rejected
    from q group by source, rule
)
select * from final;
