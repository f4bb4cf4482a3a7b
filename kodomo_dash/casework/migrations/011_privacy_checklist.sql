-- 011_privacy_checklist: the annual privacy self-check (issue 5, part 8). Fukuoka's check sheet has
-- eight items (FY2025 report 4.2 ②, プライバシー保護点検); each year every item is answered with the
-- date it was checked, the person who checked it and the evidence. Entries are append-only: a
-- correction is a new row, so what was recorded when stays visible; the current answer per
-- (fiscal year, item) is the newest row (privacy_check_current). Written only through
-- kodomo_dash.casework.privacy, which also writes the audit row.
create table if not exists privacy_check_entry (
    entry_id bigint primary key,
    fy integer not null,
    item_no integer not null check (item_no between 1 and 8),
    done_on date not null,
    person varchar not null,
    evidence varchar not null,
    saved_by varchar not null,
    saved_at timestamp not null
);
create index if not exists privacy_check_entry_fy_idx on privacy_check_entry (fy, item_no);

create or replace view privacy_check_current as
with ranked as (
    select
        *,
        row_number() over (partition by fy, item_no order by entry_id desc) as rn
    from privacy_check_entry
),

final as (
    select fy, item_no, done_on, person, evidence, saved_by, saved_at
    from ranked
    where rn = 1
)

select * from final;
