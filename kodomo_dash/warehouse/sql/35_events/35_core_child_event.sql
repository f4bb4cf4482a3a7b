-- 35_core_child_event: every dated fact the extracts hold about a child (0-17, moved-out children
-- included), one row per fact: moves, check-ups and visits, allowances and services, nursery,
-- consultations and protection, 要対協, school absence by month. The per-child timeline reads it,
-- and each monthly build compares it with the previous build's to say what changed (decision 066).
-- A state without a date of its own (a check-up now overdue) has event_date null: it is new when it
-- first appears. event_key identifies a fact across builds (same child, kind, date, code, value).
create or replace table core.child_event as
with
children as (
    select resident_id
    from core.person
    where age_years between 0 and 17
),
student as (select student_no, resident_id from core.student_link),
events as (
    select resident_id, 'moved_in' as kind, moved_in_date as event_date, null::varchar as code,
           null::double as value, 'resident_registry' as source
    from core.person where moved_in_date is not null
    union all
    select resident_id, 'moved_out', moved_out_date, null, null, 'resident_registry'
    from core.person where moved_out_date is not null
    union all
    select resident_id, 'checkup', checkup_date, checkup_type, null, 'infant_checkup'
    from stg.infant_checkup where checkup_date is not null
    union all
    select resident_id, 'missed_checkup', null, '4m', null, 'infant_checkup'
    from features.child_features where missed_checkup_4m = 1
    union all
    select resident_id, 'missed_checkup', null, '18m', null, 'infant_checkup'
    from features.child_features where missed_checkup_18m = 1
    union all
    select resident_id, 'missed_checkup', null, '3y', null, 'infant_checkup'
    from features.child_features where missed_checkup_3y = 1
    union all
    select child_resident_id, 'pregnancy_notification', notification_date, null, weeks_at_notification::double,
           'pregnancy_notification'
    from stg.pregnancy_notification where notification_date is not null and child_resident_id is not null
    union all
    select child_resident_id, 'prenatal_checkup', checkup_date, null, checkup_no::double, 'prenatal_checkup'
    from stg.prenatal_checkup where checkup_date is not null and child_resident_id is not null
    union all
    select child_resident_id, 'postnatal_checkup', checkup_date, null, epds_score::double, 'postnatal_checkup'
    from stg.postnatal_checkup where checkup_date is not null and child_resident_id is not null
    union all
    select resident_id, 'immunisation', vaccination_date, vaccine_code, dose_no::double, 'immunisation'
    from stg.immunisation where vaccination_date is not null
    union all
    select resident_id, 'newborn_visit', visit_date, visit_type, null, 'newborn_visit'
    from stg.newborn_visit where visit_date is not null
    union all
    select resident_id, 'nurse_contact', contact_date, contact_type, null, 'nurse_contact'
    from stg.nurse_contact where contact_date is not null
    union all
    select child_resident_id, 'allowance', start_date, payment_class, null, 'child_rearing_allowance'
    from stg.child_rearing_allowance where start_date is not null
    union all
    select child_resident_id, 'allowance', start_date, disability_grade, null, 'special_child_allowance'
    from stg.special_child_allowance where start_date is not null
    union all
    select resident_id, 'public_assistance', start_date, null, null, 'public_assistance'
    from stg.public_assistance where start_date is not null
    union all
    select resident_id, 'disability_handbook', issue_date, handbook_type, null, 'disability_handbook'
    from stg.disability_handbook where issue_date is not null
    union all
    select resident_id, 'medical_subsidy', start_date, subsidy_type, null, 'medical_subsidy'
    from stg.medical_subsidy where start_date is not null
    union all
    select child_resident_id, 'single_parent_loan', loan_date, loan_type, null, 'single_parent_loan'
    from stg.single_parent_loan where loan_date is not null and child_resident_id is not null
    union all
    select resident_id, 'disability_service', start_date, service_type, null, 'child_disability_service'
    from stg.child_disability_service where start_date is not null
    union all
    select resident_id, 'nursery_start', start_date, licensed, null, 'nursery_enrolment'
    from stg.nursery_enrolment where start_date is not null
    union all
    select resident_id, 'nursery_end', end_date, licensed, null, 'nursery_enrolment'
    from stg.nursery_enrolment where end_date is not null
    union all
    select resident_id, 'consultation', opened_date, office, null, 'child_consultation'
    from stg.child_consultation where opened_date is not null
    union all
    select resident_id, 'temporary_protection', opened_date, office, null, 'child_consultation'
    from stg.child_consultation where temporary_protection and opened_date is not null
    union all
    select resident_id, 'yotaikyo', registered_date, category, null, 'yotaikyo_case'
    from stg.yotaikyo_case where registered_date is not null
    union all
    -- a month with absences; the first day of the month stands for it, the days are the value
    select s.resident_id, 'school_absence', try_strptime(a.month || '-01', '%Y-%m-%d')::date, null,
           a.absence_days::double, 'attendance'
    from stg.attendance a
    join student s using (student_no)
    where a.absence_days > 0
),
final as (
    select
        e.resident_id,
        e.kind,
        e.event_date,
        e.code,
        e.value,
        e.source,
        md5(concat_ws('|', e.resident_id, e.kind, coalesce(e.event_date::varchar, ''), coalesce(e.code, ''),
                      coalesce(e.value::varchar, ''))) as event_key
    from events e
    semi join children c using (resident_id)
)
select distinct * from final
order by resident_id, event_date nulls last, kind, code;
