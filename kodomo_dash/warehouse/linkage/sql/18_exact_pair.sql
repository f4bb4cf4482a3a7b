-- 18_exact_pair: pupils the 対応表 did not settle whose four facts (strict kana, address code,
-- birth date, sex) all equal a registry child's, less the pairs a person declined.
create or replace temp table _kd_exact_pair as
select p.unique_id as student_no, r.unique_id as resident_id
from _kd_pupil_rest p
join _kd_resident_key r
    on p.kana_strict = r.kana_strict
    and p.address_code = r.address_code
    and p.birth_date = r.birth_date
    and p.sex = r.sex
where not exists (
    select 1
    from _kd_decision d
    where d.student_no = p.unique_id and d.resident_id = r.unique_id and d.decision = 'not_same'
);
