-- 50_visit_capacity: Visits planned against visits made, per year and ward (060).
-- Recreated on open whenever this folder changes (kodomo_dash.infra.migrate); not a migration:
-- a view holds no data, so it is defined once here, in its current form (docs/decisions/058).

-- The plan in force: the latest row per year and ward.
create or replace view wf_visit_plan_current as
select fy, ward_code, arg_max(planned, plan_id) as planned,
       arg_max(recorded_by, plan_id) as recorded_by, max(recorded_at) as recorded_at
from wf_visit_plan
group by fy, ward_code;


-- Visits made: every contact attempt (home visit, call, other) on a list of that year, per
-- member's ward; voided attempts do not count.
create or replace view wf_visits_made as
select l.fy, m.ward_code, count(*) as made
from wf_event_current as e
join wf_list as l on l.list_id = e.list_id
join wf_list_member as m on m.list_id = e.list_id and m.resident_id = e.resident_id
where e.stage = 'contact_attempt' and m.ward_code is not null
group by l.fy, m.ward_code;


-- One row per year and ward with a plan or visits: the input of reports.evaluation.capacity_view.
create or replace view wf_visit_capacity as
select coalesce(p.fy, v.fy) as fy, coalesce(p.ward_code, v.ward_code) as ward_code,
       coalesce(p.planned, 0) as planned, coalesce(v.made, 0) as made, p.planned is not null as has_plan
from wf_visit_plan_current as p
full outer join wf_visits_made as v on v.fy = p.fy and v.ward_code = p.ward_code;
