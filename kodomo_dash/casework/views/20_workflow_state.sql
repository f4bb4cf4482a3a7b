-- 20_workflow_state: The current state of every child on an accepted list (040/050): events in force, one row per child.
-- Recreated on open whenever this folder changes (kodomo_dash.infra.migrate); not a migration:
-- a view holds no data, so it is defined once here, in its current form (docs/decisions/058).

create or replace view wf_event_current as
with events as (
    select * from wf_event
),

voided as (
    select supersedes as event_id from wf_event where supersedes is not null
),

final as (
    select e.*
    from events as e
    where e.stage <> 'void'
      and not exists (select 1 from voided as v where v.event_id = e.event_id)
)

select * from final;


create or replace view wf_child_state as
with members as (
    select
        ---------- ids
        l.list_id,
        l.fy,
        l.run_id,
        l.method,
        l.programme,
        l.path,
        m.resident_id,
        m.ward_code,
        m.school_code,
        m.rank,
        m.score,
        m.selection_reason,
        l.screening_sheet_required,
        ---------- dates
        l.accepted_on as listed_on
    from wf_list_member as m
    inner join wf_list as l on l.list_id = m.list_id
),

events as (
    select
        *,
        -- by date, then by recording order, as one bigint (cheaper to aggregate than a struct)
        datediff('day', date '2000-01-01', event_date) * 1000000000000 + event_id as date_order
    from wf_event_current
),

-- One pass over the events: each stage's decision and date per child. Stages recorded once per
-- child (conference, approach, contact, school stages) have at most one current event each.
per_child as (
    select
        list_id,
        resident_id,
        ---------- secondary screening (three departments)
        -- one current secondary event per department (enforced on write), so count(*) counts departments
        count(*) filter (where stage = 'secondary' and decision = 'pass') as departments_passed,
        count(*) filter (where stage = 'secondary' and decision = 'exclude') as departments_excluded,
        max(event_date) filter (where stage = 'secondary') as secondary_on,
        arg_min(department, date_order) filter (where stage = 'secondary' and decision = 'exclude') as excluded_by,
        arg_min(reason, date_order) filter (where stage = 'secondary' and decision = 'exclude')
            as exclusion_reason,
        ---------- three-department conference
        arg_max(decision, event_id) filter (where stage = 'conference') as conference_decision,
        arg_max_null(reason, event_id) filter (where stage = 'conference') as conference_reason,
        arg_max_null(assignee, event_id) filter (where stage = 'conference') as assigned_staff,
        arg_max_null(department, event_id) filter (where stage = 'conference') as assigned_department,
        max(event_date) filter (where stage = 'conference') as conference_on,
        ---------- approach and contact
        arg_max(decision, event_id) filter (where stage = 'approach') as approach_decision,
        arg_max_null(reason, event_id) filter (where stage = 'approach') as approach_reason,
        arg_max_null(assignee, event_id) filter (where stage = 'approach') as approach_assignee_given,
        max(event_date) filter (where stage = 'approach') as approach_on,
        count(*) filter (where stage = 'contact_attempt') as attempts,
        min(event_date) filter (where stage = 'contact_attempt') as first_attempt_on,
        max(event_date) filter (where stage = 'contact_attempt') as last_attempt_on,
        arg_max(decision, date_order) filter (where stage = 'contact_attempt') as last_attempt_result,
        arg_max(decision, event_id) filter (where stage = 'contact') as needs,
        max(event_date) filter (where stage = 'contact') as contacted_on,
        count(*) filter (where stage = 'support_act') as support_acts,
        count(*) filter (where stage = 'outcome') as outcomes,
        array_to_string(list_sort(list(decision) filter (where stage = 'outcome')), ',') as outcome_codes,
        max(due_date) filter (where stage = 'follow_up') as next_follow_up_on,
        ---------- school path
        max(event_date) filter (where stage = 'screening_sheet') as screening_sheet_on,
        arg_max(decision, event_id) filter (where stage = 'screening_sheet') as teacher_concern,
        max(event_date) filter (where stage = 'ssw_hearing') as ssw_hearing_on,
        arg_max(decision, event_id) filter (where stage = 'ssw_hearing') as ssw_risk,
        arg_max(decision, event_id) filter (where stage = 'school_decision') as school_decision,
        arg_max_null(reason, event_id) filter (where stage = 'school_decision') as school_decision_reason,
        max(event_date) filter (where stage = 'school_decision') as school_decision_on
    from events
    group by list_id, resident_id
),

joined as (
    select
        m.*,
        coalesce(c.departments_passed, 0) as departments_passed,
        coalesce(c.departments_excluded, 0) as departments_excluded,
        c.excluded_by,
        c.exclusion_reason,
        c.secondary_on,
        c.conference_decision,
        c.conference_reason,
        c.assigned_staff,
        c.assigned_department,
        c.conference_on,
        c.approach_decision,
        c.approach_reason,
        coalesce(c.approach_assignee_given, c.assigned_staff) as approach_assignee,
        c.approach_on,
        coalesce(c.attempts, 0) as attempts,
        c.first_attempt_on,
        c.last_attempt_on,
        c.last_attempt_result,
        c.needs,
        c.contacted_on,
        coalesce(c.support_acts, 0) as support_acts,
        coalesce(c.outcomes, 0) as outcomes,
        c.outcome_codes,
        c.next_follow_up_on,
        c.screening_sheet_on,
        c.teacher_concern,
        c.ssw_hearing_on,
        c.ssw_risk,
        c.school_decision,
        c.school_decision_reason,
        c.school_decision_on
    from members as m
    left join per_child as c using (list_id, resident_id)
),

flags as (
    select
        *,
        ---------- ward path bars (one boolean per funnel bar)
        path = 'ward' as listed_ward,
        path = 'ward' and departments_excluded > 0 as secondary_excluded,
        path = 'ward' and departments_excluded = 0 and departments_passed = 3 as secondary_passed,
        path = 'ward' and departments_excluded = 0 and departments_passed < 3 as secondary_pending,
        coalesce(conference_decision = 'approach', false) as conference_approach,
        coalesce(conference_decision = 'no_approach', false) as conference_no_approach,
        coalesce(conference_decision = 'approach' and approach_decision = 'start', false) as approached,
        coalesce(conference_decision = 'approach' and approach_decision = 'not_needed', false)
            as approach_not_needed,
        coalesce(conference_decision = 'approach' and approach_decision = 'start' and needs is not null, false)
            as contacted,
        coalesce(needs = 'yes', false) as needs_yes,
        coalesce(needs = 'no', false) as needs_no,
        coalesce(conference_decision = 'approach' and approach_decision = 'start' and needs is null, false)
            as contact_pending,
        ---------- school path bars
        path = 'school' and screening_sheet_on is not null as screening_sheet_done,
        path = 'school' and ssw_hearing_on is not null as ssw_hearing_done,
        coalesce(school_decision in ('yotaikyo_case_meeting', 'school_watch', 'other_support'), false)
            as school_supported,
        coalesce(school_decision = 'yotaikyo_case_meeting', false) as school_yotaikyo,
        coalesce(school_decision = 'school_watch', false) as school_watch,
        coalesce(school_decision = 'other_support', false) as school_other_support,
        coalesce(school_decision = 'no_support', false) as school_no_support
    from joined
),

final as (
    select
        *,
        path = 'ward' and secondary_passed and conference_decision is null as conference_pending,
        conference_approach and approach_decision is null as approach_undecided,
        path = 'school' and ssw_hearing_done and school_decision is null as school_decision_pending,
        ---------- where the child is now (for worklists and the child card)
        case
            when path = 'school' then
                case
                    when school_decision is not null then 'school_decision'
                    when ssw_hearing_on is not null then 'ssw_hearing'
                    when screening_sheet_on is not null then 'screening_sheet'
                    else 'listed'
                end
            when outcomes > 0 then 'outcome'
            when needs is not null then 'contact'
            when attempts > 0 then 'contact_attempt'
            when approach_decision is not null then 'approach'
            when conference_decision is not null then 'conference'
            when departments_excluded > 0 or departments_passed > 0 then 'secondary'
            else 'listed'
        end as current_stage
    from flags
)

select * from final;
