-- 40_progress: Form progress per school or ward, and each person's open items (052).
-- Recreated on open whenever this folder changes (kodomo_dash.infra.migrate); not a migration:
-- a view holds no data, so it is defined once here, in its current form (docs/decisions/058).

create or replace view form_progress as
with forms as (
    select
        f.*,
        l.fy
    from form_record as f
    left join wf_list as l on l.list_id = f.list_id
),

final as (
    select
        fy,
        list_id,
        form_type,
        school_code,
        ward_code,
        count(*) filter (where status = 'requested') as requested,
        count(*) filter (where status = 'draft') as draft,
        count(*) filter (where status = 'submitted') as submitted,
        count(*) as total,
        count(*) filter (where status <> 'submitted' and due_date < current_date) as overdue,
        max(updated_at) as last_updated_at
    from forms
    group by fy, list_id, form_type, school_code, ward_code
)

select * from final;


create or replace view wf_open_items as
with state as (
    select * from wf_child_state
),

open_forms as (
    select
        'form_' || status as kind,
        assignee,
        cast(null as varchar) as department,
        list_id,
        resident_id,
        ward_code,
        school_code,
        form_id,
        form_type,
        due_date,
        cast(created_at as date) as since_on
    from form_record
    where status in ('requested', 'draft')
),

secondary_due as (
    select
        'secondary_due' as kind,
        cast(null as varchar) as assignee,
        d.code as department,
        s.list_id,
        s.resident_id,
        s.ward_code,
        s.school_code,
        cast(null as varchar) as form_id,
        cast(null as varchar) as form_type,
        cast(null as date) as due_date,
        s.listed_on as since_on
    from state as s
    cross join (select code from wf_code_label where domain = 'department') as d
    where s.secondary_pending
      and not exists (
          select 1 from wf_event_current as e
          where e.list_id = s.list_id and e.resident_id = s.resident_id
            and e.stage = 'secondary' and e.department = d.code
      )
),

conference_due as (
    select 'conference_due', null, null, list_id, resident_id, ward_code, school_code, null, null, null,
           secondary_on
    from state where conference_pending
),

approach_due as (
    select 'approach_due', assigned_staff, assigned_department, list_id, resident_id, ward_code,
           school_code, null, null, null, conference_on
    from state where approach_undecided
),

contact_due as (
    select 'contact_due', approach_assignee, assigned_department, list_id, resident_id, ward_code,
           school_code, null, null, null, coalesce(last_attempt_on, approach_on)
    from state where contact_pending
),

follow_up_due as (
    select 'follow_up_due', f.assignee, null, f.list_id, f.resident_id, m.ward_code, m.school_code,
           null, null, f.due_date, f.event_date
    from wf_event_current as f
    inner join wf_list_member as m on m.list_id = f.list_id and m.resident_id = f.resident_id
    where f.stage = 'follow_up'
      and not exists (
          select 1 from wf_event_current as a
          where a.list_id = f.list_id and a.resident_id = f.resident_id
            and a.stage = 'contact_attempt' and a.event_id > f.event_id
      )
),

school_decision_due as (
    select 'school_decision_due', null, null, list_id, resident_id, ward_code, school_code, null, null,
           null, ssw_hearing_on
    from state where school_decision_pending
),

final as (
    select * from open_forms
    union all select * from secondary_due
    union all select * from conference_due
    union all select * from approach_due
    union all select * from contact_due
    union all select * from follow_up_due
    union all select * from school_decision_due
)

select * from final;
