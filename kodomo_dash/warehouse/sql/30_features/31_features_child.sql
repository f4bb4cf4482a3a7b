-- 31_features_child: the per-child feature table every screening method reads
-- (features.child_features). Holds the factors of Fukuoka 図表 7-2 (mother's age at the
-- pregnancy notification, nurse approaches, children in the household, single parent,
-- child-rearing allowance, days from notification to due date, latest infant check-up
-- result), the Amagasaki items (表 8-2) and the label past_support_case (ever a consultation
-- with main complaint 養護相談（虐待）). Values the loader quarantined are NULL here.
create or replace table features.child_features as
with
params as (
    select as_of,
           fiscal_year(as_of) as fiscal_year  -- config/calendar.py
    from meta.build_info
),
children as (select * from core.child),
pregnancy as (
    select child_resident_id as resident_id,
           arg_max(mother_age, notification_date) as mother_age_at_notification,
           arg_max(weeks_at_notification, notification_date) as weeks_at_notification,
           arg_max(date_diff('day', notification_date, due_date), notification_date) as days_notification_to_due,
           arg_max(mother_resident_id, notification_date) as mother_resident_id
    from stg.pregnancy_notification
    where child_resident_id is not null
    group by child_resident_id
),
nurse as (
    select resident_id,
           count(*) as nurse_contacts,
           count(*) filter (where contact_type = '1') as nurse_visits,
           count(*) filter (where contact_type = '2') as nurse_calls
    from stg.nurse_contact group by resident_id
),
checkups as (
    select resident_id,
           arg_max(overall_result, checkup_date)::int as latest_checkup_result,
           bool_or(checkup_type = '4m') as had_4m,
           bool_or(checkup_type = '18m') as had_18m,
           bool_or(checkup_type = '3y') as had_3y,
           sum(coalesce(q_hit_emotionally::int, 0) + coalesce(q_left_alone::int, 0) + coalesce(q_no_food::int, 0)
               + coalesce(q_covered_mouth::int, 0) + coalesce(q_shook::int, 0)) as checkup_questionnaire_flags
    from stg.infant_checkup group by resident_id
),
epds as (select child_resident_id as resident_id, max(epds_score) as epds_max from stg.postnatal_checkup group by 1),
twins as (
    select resident_id, (count(*) over (partition by household_id, birth_date) > 1)::int as multiple_birth
    from core.child
),
guardian_disability as (
    select distinct m.household_id
    from stg.disability_handbook d
    join core.household_member m using (resident_id)
    where m.age_years >= 18
),
links as (select * from core.student_link),
roster as (select student_no, any_value(school_code) as school_code, any_value(grade) as grade from stg.student_roster group by 1),
attendance as (
    select l.resident_id,
           sum(a.absence_days) as absence_days,
           sum(a.late_days) as late_days,
           max(a.consecutive_absence_days) as max_consecutive_absence,
           1 - sum(a.absence_days) / nullif(sum(a.school_days), 0) as attendance_ratio
    from stg.attendance a join links l using (student_no)
    group by l.resident_id
),
health as (
    select l.resident_id,
           arg_max(h.height_cm, h.exam_date) as height_cm,
           arg_max(h.weight_kg, h.exam_date) as weight_kg,
           arg_max(h.untreated_caries, h.exam_date) as untreated_caries
    from stg.school_health_check h join links l using (student_no)
    group by l.resident_id
),
school as (
    select l.resident_id, any_value(r.school_code) as school_code, any_value(r.grade) as grade
    from links l join roster r using (student_no) group by l.resident_id
),
register as (select resident_id, any_value(school_code) as school_code, any_value(grade) as grade from stg.school_age_register group by 1),
lunch as (
    select l.resident_id, max(s.arrears_months) as lunch_arrears_months
    from stg.school_lunch_arrears s join links l using (student_no) cross join params p
    where s.fiscal_year >= p.fiscal_year - 1
    group by l.resident_id
),
lifestyle as (
    select l.resident_id,
           max((s.breakfast = '3' or s.someone_to_talk = '2' or s.wellbeing_score <= 2)::int) as lifestyle_concern
    from stg.lifestyle_survey s join links l using (student_no)
    group by l.resident_id
),
dv as (select distinct household_id from stg.dv_report),
consultations as (
    select c.resident_id,
           count(*) as consultation_count,
           max((c.closed_date is null or c.closed_date > p.as_of)::int) as open_consultation,
           max(coalesce(c.temporary_protection, false)::int) as past_temporary_protection,
           max((c.main_complaint = '11')::int) as past_support_case
    from stg.child_consultation c cross join params p
    where c.opened_date <= p.as_of
    group by c.resident_id
),
yotaikyo as (
    select distinct y.resident_id from stg.yotaikyo_case y cross join params p
    where y.registered_date <= p.as_of and (y.closed_date is null or y.closed_date > p.as_of)
),
tax as (
    select household_id, arg_max(tax_exempt, fiscal_year)::int as tax_exempt
    from stg.resident_tax group by household_id
),
final as (
    select
        ---------- ids and demographics
        c.resident_id,
        c.household_id,
        c.ward_code,
        c.birth_date,
        c.age_years,
        c.age_months,
        c.class_age,
        c.sex,
        (c.nationality <> 'JP')::int as foreign_national,
        ---------- maternal and child health (図表 7-2)
        pr.mother_age_at_notification,
        pr.weeks_at_notification,
        pr.days_notification_to_due,
        coalesce(n.nurse_contacts, 0) as nurse_contacts,
        coalesce(n.nurse_visits, 0) as nurse_visits,
        coalesce(n.nurse_calls, 0) as nurse_calls,
        ck.latest_checkup_result,
        (c.age_months >= 6 and c.age_years < 7 and not coalesce(ck.had_4m, false))::int as missed_checkup_4m,
        (c.age_months >= 24 and c.age_years < 7 and not coalesce(ck.had_18m, false))::int as missed_checkup_18m,
        (c.age_months >= 42 and c.age_years < 7 and not coalesce(ck.had_3y, false))::int as missed_checkup_3y,
        coalesce(ck.checkup_questionnaire_flags, 0) as checkup_questionnaire_flags,
        e.epds_max,
        pf.newborn_visit_done,
        ---------- household
        h.n_children as n_children_household,
        h.single_parent,
        t.multiple_birth,
        (gd.household_id is not null)::int as guardian_disability,
        (dv.household_id is not null)::int as dv_report_household,
        ---------- programmes (0 = 非該当)
        pf.public_assistance,
        pf.child_rearing_allowance,
        pf.special_child_allowance,
        pf.single_parent_loan,
        pf.medical_subsidy_single_parent,
        pf.disability_handbook,
        pf.child_disability_service,
        pf.enrolled_any,
        pf.enrolled_licensed,
        pf.school_expense_aid,
        ---------- school (through 名寄せ; NULL = データ無し)
        coalesce(sc.school_code, rg.school_code) as school_code,
        coalesce(sc.grade, rg.grade) as grade,
        (sc.resident_id is not null)::int as school_linked,
        a.absence_days,
        a.late_days,
        a.max_consecutive_absence,
        a.attendance_ratio,
        hl.height_cm,
        hl.weight_kg,
        hl.untreated_caries,
        coalesce(lu.lunch_arrears_months, 0) as lunch_arrears_months,
        lf.lifestyle_concern,
        ---------- support history
        coalesce(cs.consultation_count, 0) as consultation_count,
        coalesce(cs.open_consultation, 0) as open_consultation,
        (y.resident_id is not null)::int as yotaikyo_open,
        coalesce(cs.past_temporary_protection, 0) as past_temporary_protection,
        coalesce(cs.past_support_case, 0) as past_support_case,
        ---------- restricted (tax tier)
        tx.tax_exempt
    from children c
    left join pregnancy pr using (resident_id)
    left join nurse n using (resident_id)
    left join checkups ck using (resident_id)
    left join epds e using (resident_id)
    left join features.programme_flags pf using (resident_id)
    left join core.household h using (household_id)
    left join twins t using (resident_id)
    left join guardian_disability gd using (household_id)
    left join dv using (household_id)
    left join school sc using (resident_id)
    left join register rg using (resident_id)
    left join attendance a using (resident_id)
    left join health hl using (resident_id)
    left join lunch lu using (resident_id)
    left join lifestyle lf using (resident_id)
    left join consultations cs using (resident_id)
    left join yotaikyo y using (resident_id)
    left join tax tx using (household_id)
)
select * from final;

-- the card and the household view read a few children at a time (decision 069)
create index features_child_features_resident_id on features.child_features (resident_id);
