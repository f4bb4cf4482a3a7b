-- 51_marts_children_per_ward: children aged 0-15 per ward, for the home page.
create or replace view marts.children_per_ward as
with
c as (select * from core.child where age_years <= 15),
final as (
    select ward_code, any_value(ward_name) as ward_name, count(*) as children
    from c group by ward_code
)
select * from final order by ward_code;
