-- 053_list_parts: how each accepted list was made up, per part of the method's own list rule.
-- Izumi listed the top 200 by the summed education + welfare score plus 6 children whose welfare
-- score alone was high (206); Beppu the top 20 by basic-item hits plus the top 10 by other-item
-- hits (30). The part is what the screening run saved for each listed child (screening_list
-- .sub_scores_json ->> list_part, migration 030); the count is over the accepted list's members,
-- so it is a count of records like every funnel bar, never a typed figure. Lists whose method has
-- no parts (the similarity model's top N) give one row with list_part 'all'. A list accepted
-- without a saved run (simulate.synthetic_list) names its part in selection_reason.

create or replace view funnel_list_parts as
with

members as (
    select
        l.fy,
        l.method,
        l.path,
        m.ward_code,
        -- a list accepted without a saved run (a simulated list) states its part as selection_reason
        coalesce(json_extract_string(s.sub_scores_json, '$.list_part'),
                 case when s.run_id is null then m.selection_reason end, 'all') as list_part
    from wf_list_member as m
    join wf_list as l on l.list_id = m.list_id
    left join screening_list as s on s.run_id = l.run_id and s.resident_id = m.resident_id
),

final as (
    select fy, method, path, ward_code, list_part, count(*)::bigint as n
    from members
    group by all
)

select * from final;
