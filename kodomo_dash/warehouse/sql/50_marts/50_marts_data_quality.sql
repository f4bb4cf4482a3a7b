-- 50_marts_data_quality: what the home and data-quality pages show about a build —
-- rows per source, quarantine counts by rule, children per ward.
create or replace view marts.quarantine_by_rule as
with
q as (select * from meta.quarantine),
final as (
    select source, rule, count(*) as n, count(*) filter (where row_rejected) as rows_rejected
    from q group by source, rule
)
select * from final;

create or replace view marts.children_per_ward as
with
c as (select * from core.child where age_years <= 15),
final as (
    select ward_code, any_value(ward_name) as ward_name, count(*) as children
    from c group by ward_code
)
select * from final order by ward_code;
