-- 25_core_child_search: the search keys of こども検索, one row per core.child, normalised exactly
-- as 名寄せ normalises (kodomo_dash.warehouse.linkage.normalise, called through the kd_* functions the build
-- registers), so a search compares precomputed keys instead of normalising 210,000 names per
-- query. Kanji name, alias and address: NFKC, spaces removed (kd_name_strict). Kana name and
-- alias: hiragana→katakana, long-vowel and small-kana variants folded (kd_kana_loose).
-- A null key never matches (as a missing name never matched before). Not a report table.
create or replace table core.child_search as
select
    c.resident_id,
    kd_name_strict(c.name_kanji) as kanji_key,
    kd_kana_loose(c.name_kana) as kana_key,
    kd_name_strict(c.alias_name) as alias_key,
    kd_kana_loose(c.alias_name) as alias_loose_key,
    kd_name_strict(c.address_text) as address_key
from core.child as c;
