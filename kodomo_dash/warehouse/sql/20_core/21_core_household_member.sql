-- 21_core_household_member: every resident with the household facts core.household counts
-- (relationship, sex, age, ward, address code); the household view reads it too.
create or replace table core.household_member as
select resident_id, household_id, relationship, sex, age_years, ward_code, address_code
from core.person
where is_resident;

-- the card's summary sheet reads one address at a time (decision 069)
create index core_household_member_address_code on core.household_member (address_code);
