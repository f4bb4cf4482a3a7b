-- 28_review_queue: one row per candidate pair waiting for a person, both sides shown in full. Both
-- parameters are the school year: a registry child's grade when the 学齢簿 gives none.
create or replace table link.review_queue as
with
queued as (select distinct resident_id from _kd_review),
guardian as (
    select resident_id, string_agg(name_kanji, '・' order by relationship, guardian_id) as names
    from _kd_guardian_of
    semi join queued using (resident_id)
    group by resident_id
),
linked_elsewhere as (
    select resident_id, string_agg(student_no, ',' order by student_no) as student_nos
    from link.student_link
    semi join queued using (resident_id)
    group by resident_id
)
select
    ---------- the pair
    md5(q.student_no || '|' || q.resident_id) as review_id,
    q.student_no, q.resident_id, q.review_reason, q.candidate_rank, q.n_candidates,
    c.match_probability, c.match_weight, c.levels,
    c.lvl_name, c.lvl_birth, c.lvl_sex, c.lvl_address, c.lvl_guardian, c.lvl_arrival,
    c.is_exact, c.is_map, q.decision,
    le.student_nos as resident_linked_to,
    ---------- school side
    s.name_kanji as s_name_kanji, s.name_kana as s_name_kana, s.sex as s_sex,
    s.birth_date as s_birth_date, s.address_text as s_address_text, s.address_code as s_address_code,
    s.school_code as s_school_code, s.grade as s_grade, s.class_name as s_class_name,
    s.guardian_name as s_guardian_name, s.entry_date as s_arrival,
    ---------- registry side
    r.name_kanji as r_name_kanji, r.name_kana as r_name_kana, r.sex as r_sex,
    r.birth_date as r_birth_date, r.address_text as r_address_text, r.address_code as r_address_code,
    r.household_id as r_household_id, r.moved_in_date as r_moved_in_date,
    r.moved_out_date as r_moved_out_date, g.names as r_guardian_name, r.moved_in_date as r_arrival,
    sar.school_code as r_school_code,
    coalesce(
        sar.grade,
        case when ? - r.entry_year + 1 between 1 and 9 then (? - r.entry_year + 1)::integer end
    ) as r_grade
from _kd_review q
join link.candidate_pair c using (student_no, resident_id)
join _kd_roster s on s.student_no = q.student_no
join _kd_resident_all r on r.resident_id = q.resident_id
left join guardian g on g.resident_id = q.resident_id
left join linked_elsewhere le on le.resident_id = q.resident_id
left join _kd_school_age sar on sar.resident_id = q.resident_id
order by q.student_no, q.candidate_rank;
