-- 23_core_student_link: which registry child each school record (児童生徒番号) belongs to.
-- Uses link.student_link when the 名寄せ step produced it; otherwise the foundation's two
-- deterministic passes: the 対応表 (student_resident_map), then an exact match on the four
-- facts (kana name, address code, birth date, sex) where exactly one child fits.
create or replace table core.student_link as
with
map_pass as (
    select m.student_no, m.resident_id, 'map' as method
    from stg.student_resident_map m
    join core.child c using (resident_id)
    join (select student_no from stg.student_roster group by student_no having count(*) = 1) s using (student_no)
    qualify count(*) over (partition by m.student_no) = 1
),
unmapped as (
    select s.*
    from stg.student_roster s
    where s.student_no not in (select student_no from map_pass)
),
exact_candidates as (
    select u.student_no, c.resident_id
    from unmapped u
    join core.child c
      on replace(c.name_kana, ' ', '') = replace(u.name_kana, ' ', '')
     and c.address_code = u.address_code
     and c.birth_date = u.birth_date
     and c.sex = u.sex
),
exact_pass as (
    select student_no, any_value(resident_id) as resident_id, 'exact' as method
    from exact_candidates
    group by student_no
    having count(*) = 1
),
final as (
    select * from map_pass
    union all
    select * from exact_pass
)
select * from final;
