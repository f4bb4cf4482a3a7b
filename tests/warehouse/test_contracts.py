"""Contracts: every layout parses, the 19 basic items are mapped, the docs are current."""

from __future__ import annotations

import pytest

from kodomo_dash.infra.db import REPO_ROOT
from kodomo_dash.warehouse.contracts import ContractError, all_contracts, basic_items, parse_contract
from kodomo_dash.warehouse.contracts.docs import contract_markdown, index_markdown

REQUIRED_SOURCES = {
    "resident_registry", "school_age_register", "student_roster", "student_resident_map", "attendance",
    "school_health_check", "pregnancy_notification", "prenatal_checkup", "postnatal_checkup", "infant_checkup",
    "newborn_visit", "nurse_contact", "immunisation", "public_assistance", "child_rearing_allowance",
    "special_child_allowance", "nursery_enrolment", "disability_handbook", "child_disability_service",
    "medical_subsidy", "single_parent_loan", "school_expense_aid", "school_lunch_arrears", "child_consultation",
    "yotaikyo_case", "dv_report", "resident_tax", "lifestyle_survey",
}


def test_every_named_source_has_a_contract():
    assert REQUIRED_SOURCES <= set(all_contracts())


def test_every_column_has_a_japanese_label():
    for c in all_contracts().values():
        for col in c.columns:
            assert any(ord(ch) > 0x3000 for ch in col.label_ja) or col.label_ja.isupper(), (c.name, col.name)


def test_all_19_basic_items_are_mapped():
    assert sorted(basic_items()) == list(range(1, 20))


def test_registry_has_address_code_and_text_and_foreign_fields():
    cols = set(all_contracts()["resident_registry"].column_names)
    assert {"address_text", "address_code", "nationality", "alias_name", "moved_in_date", "moved_out_date"} <= cols


def test_tax_contract_is_restricted_and_nursery_covers_unlicensed():
    assert all_contracts()["resident_tax"].restricted
    codes = all_contracts()["nursery_enrolment"].column("licensed").codes
    assert set(codes) == {"1", "2"}


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"name": "Bad-Name", "columns": []}, "bad contract name"),
        ({"name": "x", "columns": [{"name": "a", "type": "money"}]}, "unknown type"),
        ({"name": "x", "columns": [{"name": "a", "type": "code"}]}, "code list"),
        ({"name": "x", "key": ["b"], "columns": [{"name": "a"}]}, "key column"),
        ({"name": "x", "columns": [{"name": "a"}, {"name": "a"}]}, "duplicate"),
    ],
)
def test_bad_contracts_are_refused(raw, message):
    with pytest.raises(ContractError, match=message):
        parse_contract(raw)


def test_generated_docs_are_committed_and_current():
    out = REPO_ROOT / "docs" / "contracts"
    assert (out / "README.md").read_text(encoding="utf-8") == index_markdown()
    for c in all_contracts().values():
        assert (out / f"{c.name}.md").read_text(encoding="utf-8") == contract_markdown(c), c.name
