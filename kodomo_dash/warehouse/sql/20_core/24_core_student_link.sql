-- 24_core_student_link: which registry child each school record (児童生徒番号) belongs to.
-- The 名寄せ step (kodomo_dash.warehouse.linkage, run by the build before this file) wrote
-- link.student_link: the 対応表, the exact four-fact pass, the probabilistic pass and the
-- decisions people made on the 名寄せ確認 page. School records without a link are counted
-- in link.unlinked and show as 「データ無し」; they are never dropped.
create or replace table core.student_link as
with
links as (select student_no, resident_id, method, match_probability from link.student_link),
children as (select resident_id from core.child),
final as (
    select l.*
    from links l
    join children c using (resident_id)
)
select * from final;
