-- 070_list_programme: each workflow list records the programme it was accepted under (issue 12 point 6).
-- A programme (config/cities/*.yaml) names a city's path, method, cohort, list rule and report shape;
-- reports and the one-list-per-programme-and-year rule select by it, never by the screening method.
-- Lists accepted before this migration get the shipped programme of their method.
alter table wf_list add column if not exists programme varchar;

update wf_list set programme = case method
    when 'similarity' then 'fukuoka-unenrolled'
    when 'edu_welfare' then 'izumi-abuse-school'
    when 'item_counts' then 'beppu-poverty-school'
end
where programme is null;
