"""The child card's household and siblings view (Fukuoka's 情報共有画面).

Everyone in the child's registry household (same ``household_id``) and, apart from them, everyone
else registered at the same address code, each with age, 続柄, programme use (the flags the build
already computes for children; for adults the allowance, assistance, handbook, subsidy and loan
they hold themselves) and support status (on a list, at which stage, whose worklist).

Enforced here, not in the screen:

* page/action: ``unit_of_work(principal, "child_card", "view")`` — who may open the card may see
  its household; the child itself must be in scope, or the answer is None (audited access_denied),
  exactly as for the card;
* rows: a person whose ward is outside the principal's scope is never read with personal fields:
  the query returns only how many there are (「範囲外の世帯員 1名」);
* columns: programme flags by their column group (welfare, health); tax only when the matrix
  gives the role the tax group (admin, yotaikyo), and then only in the query's result;
* audit: one ``view_child`` row per view, target ``household``, naming the child and how many
  people were shown (n_children), with the counts per part in its detail.

The SQL is static (named parameters, nothing formatted in). Nothing is cached: it is personal data.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kodomo_dash.security import matrix
from kodomo_dash.security.principal import Principal
from kodomo_dash.services.unit_of_work import unit_of_work

__all__ = ["PROGRAMME_GROUPS", "HouseholdView", "household_view", "relationship_label"]

# Programme flag → column group (the group of its source in the matrix). The order is the order shown.
PROGRAMME_GROUPS: dict[str, str] = {
    "public_assistance": "welfare",
    "child_rearing_allowance": "welfare",
    "special_child_allowance": "welfare",
    "medical_subsidy_single_parent": "welfare",
    "single_parent_loan": "welfare",
    "disability_handbook": "welfare",
    "child_disability_service": "welfare",
    "enrolled_any": "welfare",
    "school_expense_aid": "welfare",
    "yotaikyo_open": "welfare",
    "newborn_visit_done": "health",
    "missed_checkup_4m": "health",
    "missed_checkup_18m": "health",
    "missed_checkup_3y": "health",
}
TAX_COLUMNS = {"tax_fiscal_year": "tax", "tax_exempt": "tax", "income_band": "tax"}
PERSON_COLUMNS = ["resident_id", "is_self", "name_kanji", "name_kana", "relationship", "sex", "age_years",
                  "ward_name"]  # fmt: skip
SUPPORT_COLUMNS = ["support_fy", "support_stage", "support_open", "assignee"]

# The child by 宛名番号 alone in the scan (the index answers it; decision 069), then the card's age rule.
CHILD_SQL = """
with c as materialized (select * from core.person where resident_id = ?)
select ward_code, household_id, address_code from c where age_years between 0 and 17
"""

# The people of the child's household and address code, each marked in or out of the principal's
# scope ($all_wards / $wards carry the matrix's row scope; no ward list at all = nobody in scope).
# Out-of-scope people are only counted (the two hidden_ columns): nothing else of theirs is selected.
# The rest: each in-scope person's programme use and (if $tax) their household's latest resident tax.
PEOPLE_SQL = """
with
-- The child's household and the others at its address ($hh, $addr: the child's own, read first; for a
-- child who moved out, the last ones in the city). Each is one equality answered by an index on
-- core.person; "materialized" keeps any other condition out of that scan, since DuckDB drops the
-- index for a scan that carries a second filter (decision 069).
by_household as materialized (select * from core.person where household_id = $hh),
at_address as materialized (select * from core.person where address_code = $addr),
people as (
    select p.*, true as same_household
    from by_household as p
    where p.is_resident or p.resident_id = $rid
    union all
    select p.*, false as same_household
    from at_address as p
    where coalesce(p.household_id <> $hh, true) and (p.is_resident or p.resident_id = $rid)
),
scoped as (
    select
        p.*,
        p.resident_id = $rid as is_self,
        coalesce($all_wards or list_contains(cast($wards as varchar[]), p.ward_code), false) as in_scope
    from people as p
),
shown as (select * from scoped where in_scope),
params as (select as_of from meta.build_info),
assistance as (  -- household level, as features.programme_flags counts it; a household's residents
    -- all live at its address, so they are all among the people read above
    select distinct m.household_id
    from stg.public_assistance as pa
    join people as m using (resident_id)
    cross join params as p
    where m.household_id in (select household_id from shown)
      and pa.start_date <= p.as_of and (pa.end_date is null or pa.end_date > p.as_of)
),
recipient as (
    select distinct recipient_resident_id as resident_id from stg.child_rearing_allowance
    where payment_class in ('1', '2') and recipient_resident_id in (select resident_id from shown)
),
borrower as (
    select distinct borrower_resident_id as resident_id from stg.single_parent_loan
    where borrower_resident_id in (select resident_id from shown)
),
handbook as (
    select distinct resident_id from stg.disability_handbook where resident_id in (select resident_id from shown)
),
subsidy as (
    select distinct resident_id from stg.medical_subsidy
    where subsidy_type = '2' and resident_id in (select resident_id from shown)
),
pf as materialized (select * from features.programme_flags where resident_id in (select resident_id from shown)),
cf as materialized (
    select resident_id, yotaikyo_open, missed_checkup_4m, missed_checkup_18m, missed_checkup_3y
    from features.child_features where resident_id in (select resident_id from shown)
),
tax as (
    select household_id,
           max(fiscal_year) as tax_fiscal_year,
           arg_max(tax_exempt, fiscal_year) as tax_exempt,
           arg_max(income_band, fiscal_year) as income_band
    from stg.resident_tax
    where $tax and household_id in (select household_id from shown)
    group by household_id
)
select
    s.resident_id,
    s.is_self,
    s.same_household,
    s.name_kanji,
    s.name_kana,
    s.relationship,
    s.sex,
    s.age_years,
    s.ward_code,
    s.ward_name,
    (s.household_id in (select household_id from assistance))::int as public_assistance,
    greatest(coalesce(pf.child_rearing_allowance, 0),
             (s.resident_id in (select resident_id from recipient))::int) as child_rearing_allowance,
    pf.special_child_allowance,
    greatest(coalesce(pf.medical_subsidy_single_parent, 0),
             (s.resident_id in (select resident_id from subsidy))::int) as medical_subsidy_single_parent,
    greatest(coalesce(pf.single_parent_loan, 0),
             (s.resident_id in (select resident_id from borrower))::int) as single_parent_loan,
    greatest(coalesce(pf.disability_handbook, 0),
             (s.resident_id in (select resident_id from handbook))::int) as disability_handbook,
    pf.child_disability_service,
    pf.enrolled_any,
    pf.school_expense_aid,
    cf.yotaikyo_open,
    pf.newborn_visit_done,
    cf.missed_checkup_4m,
    cf.missed_checkup_18m,
    cf.missed_checkup_3y,
    tx.tax_fiscal_year,
    tx.tax_exempt,
    tx.income_band,
    (select count(*) from scoped where not in_scope and same_household) as hidden_members,
    (select count(*) from scoped where not in_scope and not same_household) as hidden_same_address
from shown as s
left join pf using (resident_id)
left join cf using (resident_id)
left join tax as tx on tx.household_id = s.household_id
order by s.same_household desc, s.age_years desc nulls last, s.resident_id
"""

# Where each person stands in casework: their latest list, its stage, and whose worklist it is on.
# Closed = a stage decided not to go on (excluded, no approach, not needed, no needs, no support).
SUPPORT_SQL = """
with
state as (
    select
        resident_id, fy, listed_on, list_id, current_stage,
        not (secondary_excluded or conference_no_approach or approach_not_needed or needs_no
             or school_no_support) as is_open,
        coalesce(approach_assignee, assigned_staff) as state_assignee
    from wf_child_state
    where list_contains(cast($ids as varchar[]), resident_id)
),
items as (
    select resident_id, list_id, min(assignee) as item_assignee
    from wf_open_items
    where list_contains(cast($ids as varchar[]), resident_id) and assignee is not null
    group by resident_id, list_id
)
select
    s.resident_id,
    s.fy as support_fy,
    s.current_stage as support_stage,
    s.is_open as support_open,
    coalesce(i.item_assignee, s.state_assignee) as assignee
from state as s
left join items as i using (resident_id, list_id)
qualify row_number() over (partition by s.resident_id
                           order by s.is_open desc, s.fy desc, s.listed_on desc, s.list_id desc) = 1
"""


@dataclass
class HouseholdView:
    """What the household tab shows. ``members``: the household (the child itself marked is_self);
    ``same_address``: others at the address code; ``hidden_*``: people out of scope, counted only."""

    resident_id: str
    members: pd.DataFrame = field(default_factory=pd.DataFrame)
    same_address: pd.DataFrame = field(default_factory=pd.DataFrame)
    hidden_members: int = 0
    hidden_same_address: int = 0
    programme_codes: tuple[str, ...] = ()  # the flags this principal may see, in display order
    tax: bool = False

    @property
    def n_shown(self) -> int:
        return len(self.members) + len(self.same_address)


def household_view(principal: Principal, resident_id: str) -> HouseholdView | None:
    """The household and address view of one child, or None if the child is missing or out of scope.

    Audited once per call (view_child, target household, n_children = people shown) before it is
    returned; an out-of-scope child is audited as access_denied and answered like a missing one.
    """
    with unit_of_work(principal, "child_card", "view") as w:
        matrix.require_columns(principal, ["identity"], "child_card")
        rid = str(resident_id or "")[:32]
        cur = w.analytics()
        # core.person like the card: a child who moved out keeps the view of the household they left
        child = cur.execute(CHILD_SQL, [rid]).fetchone()
        if child is None or not w.in_scope(ward_code=child[0]):
            if child is not None:
                w.record("access_denied", resident_id=rid, target="household",
                         detail={"action": "view", "reason": "out of scope"})  # fmt: skip
            return None
        groups = matrix.allowed_column_groups(principal)
        tax = bool(matrix.allowed_columns(principal, TAX_COLUMNS))
        kind = matrix.row_scope(principal)
        params: dict[str, Any] = {
            "rid": rid,
            "hh": child[1],
            "addr": child[2],
            "all_wards": kind == "all",
            "wards": list(principal.ward_codes) if kind == "ward" else [],
        }
        people = cur.execute(PEOPLE_SQL, {**params, "tax": tax}).fetchdf()  # the child itself is one row
        hidden = people[["hidden_members", "hidden_same_address"]].max().fillna(0)
        # The query already kept only in-scope rows; the same rule as the card, once more, fails closed.
        people = people[[w.in_scope(ward_code=c) for c in people["ward_code"]]].reset_index(drop=True)
        codes = tuple(c for c, g in PROGRAMME_GROUPS.items() if g in groups)
        support = _support(w.con, list(people["resident_id"]))
        frame = _frame(people, support, codes, tax)
        view = HouseholdView(
            resident_id=rid,
            members=frame[people["same_household"].to_numpy(dtype=bool)].reset_index(drop=True),
            same_address=frame[~people["same_household"].to_numpy(dtype=bool)].reset_index(drop=True),
            hidden_members=int(hidden["hidden_members"]),
            hidden_same_address=int(hidden["hidden_same_address"]),
            programme_codes=codes,
            tax=tax,
        )
        w.record("view_child", resident_id=rid, target="household", n_children=view.n_shown,
                 detail={"in_household": len(view.members), "same_location": len(view.same_address),
                         "out_of_scope": view.hidden_members + view.hidden_same_address})  # fmt: skip
    return view


def _support(con, ids: list[str]) -> pd.DataFrame:
    # Only people on a list have a support status. The workflow's views cost some 30 ms to plan
    # whatever they return, and few households hold anyone listed: ask the list first (decision 069).
    listed = [r[0] for r in con.execute("select distinct resident_id from wf_list_member"
                                        " where list_contains(?, resident_id)", [ids]).fetchall()] if ids else []  # fmt: skip
    if not listed:
        return pd.DataFrame(columns=["resident_id", *SUPPORT_COLUMNS])
    return con.execute(SUPPORT_SQL, {"ids": listed}).fetchdf()


def _frame(people: pd.DataFrame, support: pd.DataFrame, codes: tuple[str, ...], tax: bool) -> pd.DataFrame:
    """One row per person: identity, programme codes held (only the allowed groups), support, tax if allowed."""
    out = people[PERSON_COLUMNS].copy()
    out = out.astype({c: "object" for c in ("name_kanji", "name_kana", "ward_name")})
    out["relationship"] = [relationship_label(c) for c in out["relationship"]]
    out["programmes"] = [
        tuple(c for c in codes if _held(row.get(c))) for row in people.to_dict("records")
    ]
    merged = out.merge(support, on="resident_id", how="left") if not support.empty else out.assign(
        **{c: None for c in SUPPORT_COLUMNS})
    if tax:
        for c in TAX_COLUMNS:
            merged[c] = people[c].to_numpy()
    merged = merged.astype({c: "object" for c in SUPPORT_COLUMNS})
    return merged.where(merged.notna(), None)


def _held(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and bool(int(value))


def relationship_label(code) -> str | None:
    """続柄 as staff read it (世帯主, 子, ...) from the resident-registry contract's codes; an unknown
    code is shown as it came, marked (decision 000, point 3)."""
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return None
    return _relationship_codes().get(str(code), f"⚠{code}")


@functools.cache
def _relationship_codes() -> dict[str, str]:
    from kodomo_dash.warehouse import contracts

    return dict(contracts.get("resident_registry").column("relationship").codes)
