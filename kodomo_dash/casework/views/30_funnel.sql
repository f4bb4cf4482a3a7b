-- 30_funnel: The push-support funnel per year, programme, path and ward (図表 6-1, 6-2, 6-4, 7-1, 7-3), the list's parts.
-- Recreated on open whenever this folder changes (kodomo_dash.infra.migrate); not a migration:
-- a view holds no data, so it is defined once here, in its current form (docs/decisions/058).

-- Funnel bars per fiscal year, screening method, path and ward (図表 6-1, 6-2, 7-1, 7-3 No.1-2).
create or replace view funnel_counts as
with state as (
    select * from wf_child_state
),

lists as (
    select * from wf_list
),

member_counts as (
    select
        fy,
        method,
        programme,
        path,
        case when grouping(ward_code) = 1 then 'all' else coalesce(ward_code, '') end as ward_code,
        ---------- ward path
        count(*) as listed,
        count(*) filter (where secondary_passed) as secondary_passed,
        count(*) filter (where secondary_excluded) as secondary_excluded,
        count(*) filter (where secondary_pending) as secondary_pending,
        count(*) filter (where conference_approach) as conference_approach,
        count(*) filter (where conference_no_approach) as conference_no_approach,
        count(*) filter (where conference_pending) as conference_pending,
        count(*) filter (where approached) as approached,
        count(*) filter (where approach_not_needed) as approach_not_needed,
        count(*) filter (where approach_undecided) as approach_undecided,
        count(*) filter (where contacted) as contacted,
        count(*) filter (where contacted and needs_yes) as needs_yes,
        count(*) filter (where contacted and needs_no) as needs_no,
        count(*) filter (where contact_pending) as contact_pending,
        ---------- school path (a bar only where the list asked for teachers' sheets)
        case
            when bool_or(screening_sheet_required) then count(*) filter (where screening_sheet_done)
        end as screening_sheet_done,
        count(*) filter (where ssw_hearing_done) as ssw_hearing_done,
        count(*) filter (where school_supported) as school_supported,
        count(*) filter (where school_yotaikyo) as school_yotaikyo,
        count(*) filter (where school_watch) as school_watch,
        count(*) filter (where school_other_support) as school_other_support,
        count(*) filter (where school_no_support) as school_no_support,
        count(*) filter (where school_decision_pending) as school_decision_pending
    from state
    group by grouping sets ((fy, method, programme, path, ward_code), (fy, method, programme, path))
),

city_cohorts as (
    select
        fy,
        method,
        programme,
        path,
        'all' as ward_code,
        sum(cohort_size) as cohort,
        sum(eligible_size) as eligible
    from lists
    group by fy, method, programme, path
),

ward_cohorts as (
    select
        l.fy,
        l.method,
        l.programme,
        l.path,
        w.ward_code,
        sum(w.cohort_size) as cohort,
        sum(w.eligible_size) as eligible
    from wf_list_ward as w
    inner join lists as l on l.list_id = w.list_id
    group by l.fy, l.method, l.programme, l.path, w.ward_code
),

cohorts as (
    select * from city_cohorts
    union all
    select * from ward_cohorts
),

wide as (
    select
        c.*,
        k.cohort,
        k.eligible
    from member_counts as c
    left join cohorts as k using (fy, method, programme, path, ward_code)
),

long as (
    unpivot (
        select
            fy, method, programme, path, ward_code,
            cast(cohort as bigint) as cohort,
            cast(eligible as bigint) as eligible,
            listed, secondary_passed, secondary_excluded, secondary_pending,
            conference_approach, conference_no_approach, conference_pending,
            approached, approach_not_needed, approach_undecided,
            contacted, needs_yes, needs_no, contact_pending,
            screening_sheet_done, ssw_hearing_done, school_supported, school_yotaikyo, school_watch,
            school_other_support, school_no_support, school_decision_pending
        from wide
    )
    on cohort, eligible, listed, secondary_passed, secondary_excluded, secondary_pending,
       conference_approach, conference_no_approach, conference_pending,
       approached, approach_not_needed, approach_undecided,
       contacted, needs_yes, needs_no, contact_pending,
       screening_sheet_done, ssw_hearing_done, school_supported, school_yotaikyo, school_watch,
       school_other_support, school_no_support, school_decision_pending
    into name stage value n
),

final as (
    select
        l.fy,
        l.method,
        l.programme,
        l.path,
        l.ward_code,
        s.sort_no,
        l.stage,
        s.kind,
        s.parent_stage,
        s.label_ja,
        s.report_ref,
        l.n
    from long as l
    inner join wf_funnel_stage as s on s.path = l.path and s.stage = l.stage
    where l.n is not null
)

select * from final;


-- Conversion from each main bar to the next (e.g. 217 → 151 = 69.6%).
create or replace view funnel_conversion as
with bars as (
    select * from funnel_counts where kind = 'main'
),

paired as (
    select
        fy,
        method,
        programme,
        path,
        ward_code,
        lag(stage) over w as from_stage,
        lag(n) over w as from_n,
        stage as to_stage,
        label_ja as to_label_ja,
        sort_no,
        n as to_n
    from bars
    window w as (partition by fy, method, programme, path, ward_code order by sort_no)
),

final as (
    select
        fy,
        method,
        programme,
        path,
        ward_code,
        sort_no,
        from_stage,
        to_stage,
        to_label_ja,
        from_n,
        to_n,
        case when from_n > 0 then round(to_n / from_n, 4) end as rate
    from paired
    where from_stage is not null
)

select * from final;


-- Why children left the funnel, per stage and reason (図表 7-1: 支援中・所属あり, 転出等).
-- Secondary exclusions count each child once, by the first department that excluded them.
create or replace view funnel_exclusions as
with state as materialized (
    select * from wf_child_state
),

exits as (
    select fy, method, programme, path, ward_code, 'secondary' as stage, excluded_by as department,
           exclusion_reason as reason, 'secondary_reason' as domain
    from state where secondary_excluded
    union all
    select fy, method, programme, path, ward_code, 'conference', null, conference_reason, 'conference_reason'
    from state where conference_no_approach
    union all
    select fy, method, programme, path, ward_code, 'approach', null, approach_reason, 'approach_reason'
    from state where approach_not_needed
    union all
    select fy, method, programme, path, ward_code, 'school_decision', null, school_decision_reason, 'school_reason'
    from state where school_no_support
),

counted as (
    select
        fy,
        method,
        programme,
        path,
        case when grouping(ward_code) = 1 then 'all' else coalesce(ward_code, '') end as ward_code,
        stage,
        department,
        reason,
        domain,
        count(*) as n
    from exits
    group by grouping sets (
        (fy, method, programme, path, ward_code, stage, department, reason, domain),
        (fy, method, programme, path, stage, department, reason, domain)
    )
),

final as (
    select
        c.fy,
        c.method,
        c.programme,
        c.path,
        c.ward_code,
        c.stage,
        st.label_ja as stage_label_ja,
        c.department,
        d.label_ja as department_label_ja,
        c.reason,
        r.label_ja as reason_label_ja,
        c.n
    from counted as c
    left join wf_code_label as st on st.domain = 'stage' and st.code = c.stage
    left join wf_code_label as d on d.domain = 'department' and d.code = c.department
    left join wf_code_label as r on r.domain = c.domain and r.code = c.reason
)

select * from final;


-- Days spent between stages (event dates, not typing dates), per year, method, path and ward.
create or replace view funnel_stage_durations as
with state as (
    select * from wf_child_state
),

intervals as (
    select
        fy, method, programme, path, ward_code,
        datediff('day', listed_on, secondary_on) as listed_to_secondary,
        datediff('day', secondary_on, conference_on) as secondary_to_conference,
        datediff('day', conference_on, approach_on) as conference_to_approach,
        datediff('day', approach_on, first_attempt_on) as approach_to_first_attempt,
        datediff('day', approach_on, contacted_on) as approach_to_contact,
        datediff('day', listed_on, contacted_on) as listed_to_contact,
        datediff('day', listed_on, screening_sheet_on) as listed_to_screening_sheet,
        datediff('day', screening_sheet_on, ssw_hearing_on) as screening_sheet_to_hearing,
        datediff('day', ssw_hearing_on, school_decision_on) as hearing_to_decision,
        datediff('day', listed_on, school_decision_on) as listed_to_decision
    from state
    where not (path = 'ward' and secondary_pending)
),

long as (
    unpivot intervals
    on listed_to_secondary, secondary_to_conference, conference_to_approach, approach_to_first_attempt,
       approach_to_contact, listed_to_contact, listed_to_screening_sheet, screening_sheet_to_hearing,
       hearing_to_decision, listed_to_decision
    into name interval_name value days
),

counted as (
    select
        fy,
        method,
        programme,
        path,
        case when grouping(ward_code) = 1 then 'all' else coalesce(ward_code, '') end as ward_code,
        interval_name,
        count(*) as n,
        median(days) as median_days,
        round(avg(days), 1) as mean_days,
        quantile_cont(days, 0.9) as p90_days,
        max(days) as max_days
    from long
    group by grouping sets ((fy, method, programme, path, ward_code, interval_name), (fy, method, programme, path, interval_name))
),

final as (
    select
        c.fy,
        c.method,
        c.programme,
        c.path,
        c.ward_code,
        d.sort_no,
        c.interval_name,
        d.label_ja,
        c.n,
        c.median_days,
        c.mean_days,
        c.p90_days,
        c.max_days
    from counted as c
    inner join wf_duration_label as d on d.path = c.path and d.interval_name = c.interval_name
)

select * from final;


-- Children the approach has not reached yet (図表 7-3 No.2 確認中), oldest first.
create or replace view funnel_contacts_pending as
with state as (
    select * from wf_child_state where contact_pending
),

final as (
    select
        fy,
        method,
        programme,
        list_id,
        resident_id,
        ward_code,
        approach_assignee as assigned_staff,
        approach_on,
        attempts,
        last_attempt_on,
        last_attempt_result,
        datediff('day', approach_on, current_date) as days_since_approach,
        datediff('day', coalesce(last_attempt_on, approach_on), current_date) as days_since_last_attempt
    from state
)

select * from final;


-- Support given to contacted families, counted per act (図表 6-4, 延べ件数).
create or replace view funnel_support_acts as
with acts as (
    select
        m.fy,
        m.method,
        m.programme,
        m.path,
        w.ward_code,
        e.decision as kind,
        e.category
    from wf_event_current as e
    inner join wf_list_member as w on w.list_id = e.list_id and w.resident_id = e.resident_id
    inner join wf_list as m on m.list_id = e.list_id
    where e.stage = 'support_act'
),

counted as (
    select
        fy,
        method,
        programme,
        path,
        case when grouping(ward_code) = 1 then 'all' else coalesce(ward_code, '') end as ward_code,
        kind,
        category,
        count(*) as n
    from acts
    group by grouping sets ((fy, method, programme, path, ward_code, kind, category), (fy, method, programme, path, kind, category))
),

final as (
    select
        c.fy,
        c.method,
        c.programme,
        c.path,
        c.ward_code,
        k.sort_no as kind_sort_no,
        c.kind,
        k.label_ja as kind_label_ja,
        l.sort_no as category_sort_no,
        c.category,
        l.label_ja as category_label_ja,
        c.n
    from counted as c
    left join wf_code_label as k on k.domain = 'support_kind' and k.code = c.kind
    left join wf_code_label as l on l.domain = c.kind and l.code = c.category
)

select * from final;


-- Children linked to each outcome (図表 7-3 No.3): enrolment, 要対協, consultation, other programme.
create or replace view funnel_outcomes as
with outcomes as (
    select
        m.fy,
        m.method,
        m.programme,
        m.path,
        w.ward_code,
        e.resident_id,
        e.decision as outcome
    from wf_event_current as e
    inner join wf_list_member as w on w.list_id = e.list_id and w.resident_id = e.resident_id
    inner join wf_list as m on m.list_id = e.list_id
    where e.stage = 'outcome'
),

counted as (
    select
        fy,
        method,
        programme,
        path,
        case when grouping(ward_code) = 1 then 'all' else coalesce(ward_code, '') end as ward_code,
        outcome,
        count(distinct resident_id) as n
    from outcomes
    group by grouping sets ((fy, method, programme, path, ward_code, outcome), (fy, method, programme, path, outcome))
),

final as (
    select
        c.fy,
        c.method,
        c.programme,
        c.path,
        c.ward_code,
        l.sort_no,
        c.outcome,
        l.label_ja,
        c.n
    from counted as c
    left join wf_code_label as l on l.domain = 'outcome' and l.code = c.outcome
)

select * from final;


create or replace view funnel_list_parts as
with

members as (
    select
        l.fy,
        l.method,
        l.programme,
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
    select fy, method, programme, path, ward_code, list_part, count(*)::bigint as n
    from members
    group by all
)

select * from final;
