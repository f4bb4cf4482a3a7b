"""Form definitions (YAML a city can edit) and per-field validation messages in Japanese."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from kodomo_dash.casework import forms
from kodomo_dash.casework.forms import FormDefinitionError, FormValidationError, get_definition, validate

TODAY = date(2026, 1, 31)
CTX = {"today": TODAY, "list_accepted": date(2025, 8, 20), "approach_started": date(2025, 9, 8)}
SHIPPED = ("school_screening_sheet", "ssw_hearing_sheet", "conference_sheet", "home_visit_record")


def _ja(exc):
    """The field messages as the Japanese screen shows them (they are Messages, decision 065)."""
    return {k: str(v) for k, v in exc.field_errors.items()}


def visit(**kw):
    base = {"attempted_on": "2025-09-12", "method": "home_visit", "result": "contacted", "needs": "yes"}
    return base | kw


def test_the_four_shipped_forms_load_with_japanese_text():
    defs = forms.load_definitions()
    assert set(SHIPPED) <= set(defs)
    for name in SHIPPED:
        d = defs[name]
        assert d.title_ja and d.fields and len(d.def_version) == 16
        assert all(f.label_ja for f in d.fields)
    assert get_definition("school_screening_sheet").filled_by == ("school",)
    assert get_definition("home_visit_record").one_per_child is False


def test_empty_required_fields_get_a_message_each():
    with pytest.raises(FormValidationError) as err:
        validate(get_definition("home_visit_record"), {"situation": "  "}, mode="submit", context=CTX)
    e = _ja(err.value)
    assert e["attempted_on"] == "訪問・連絡日を入力してください。"
    assert e["method"] == "方法を選んでください。"
    assert e["result"] == "結果を選んでください。"
    assert "入力内容を確認してください" in err.value.message_ja


def test_required_if_explains_the_condition():
    with pytest.raises(FormValidationError) as err:
        validate(get_definition("home_visit_record"), visit(needs=None), mode="submit", context=CTX)
    assert _ja(err.value) == {
        "needs": "結果が「保護者と接触できた」のときは、ニーズの有無を選んでください。"
    }
    validate(
        get_definition("home_visit_record"), visit(result="absent", needs=None), mode="submit", context=CTX
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2025-02-30", "訪問・連絡日に存在しない日付が入力されています（2025-02-30）。"),
        ("来週", "訪問・連絡日の形式が正しくありません（例：2025-09-01）。"),
        (
            "2025-08-01",
            "訪問・連絡日（2025年8月1日）が対象者リストの確定日（2025年8月20日）より前です。日付を確認してください。",
        ),
        (
            "2025-09-01",
            "訪問・連絡日（2025年9月1日）がアプローチ開始日（2025年9月8日）より前です。日付を確認してください。",
        ),
        (
            "2026-02-01",
            "訪問・連絡日（2026年2月1日）は未来の日付です。本日（2026年1月31日）以前の日付を入力してください。",
        ),
    ],
)
def test_impossible_dates_are_refused_with_the_reason(value, message):
    with pytest.raises(FormValidationError) as err:
        validate(get_definition("home_visit_record"), visit(attempted_on=value), mode="submit", context=CTX)
    assert _ja(err.value) == {"attempted_on": message}


def test_dates_accept_full_width_and_slashes():
    out = validate(
        get_definition("home_visit_record"),
        visit(attempted_on="２０２５/９/１２"),
        mode="submit",
        context=CTX,
    )
    assert out["attempted_on"] == "2025-09-12"
    out = validate(
        get_definition("home_visit_record"), visit(attempted_on=date(2025, 9, 12)), mode="submit", context=CTX
    )
    assert out["attempted_on"] == "2025-09-12"


def test_follow_up_date_not_before_the_visit():
    with pytest.raises(FormValidationError) as err:
        validate(
            get_definition("home_visit_record"), visit(follow_up_on="2025-09-01"), mode="submit", context=CTX
        )
    assert "訪問・連絡日（2025年9月12日）より前" in _ja(err.value)["follow_up_on"]


def test_html_and_script_are_stored_verbatim():
    text = "<script>alert('x')</script>\n<b>太字</b> & \"引用\" 　全角スペース "
    out = validate(get_definition("home_visit_record"), visit(situation=text), mode="submit", context=CTX)
    assert out["situation"] == text  # not stripped, not escaped, not normalised


def test_over_long_input_is_refused_not_cut():
    d = get_definition("home_visit_record")
    limit = d.field("situation").max_length
    with pytest.raises(FormValidationError) as err:
        validate(d, visit(situation="あ" * (limit + 1)), mode="draft")
    assert _ja(err.value) == {
        "situation": f"聞き取った状況は{limit}文字以内で入力してください（現在{limit + 1}文字）。"
    }
    assert validate(d, visit(situation="あ" * limit), mode="draft")["situation"] == "あ" * limit


def test_choices_and_unknown_fields_are_checked_even_in_drafts():
    d = get_definition("home_visit_record")
    with pytest.raises(FormValidationError) as err:
        validate(d, {"method": "fax", "advice": ["enrolment", "astrology"], "colour": "red"}, mode="draft")
    e = _ja(err.value)
    assert e["method"] == "方法は選択肢から選んでください。"
    assert e["advice"] == "助言に選択肢にない値があります。"
    assert "colour" in e["_form"]


def test_drafts_may_be_incomplete():
    out = validate(get_definition("conference_sheet"), {"needs_and_risks": "途中まで"}, mode="draft")
    assert out["needs_and_risks"] == "途中まで" and out["approach"] is None


def test_print_escapes_what_was_stored():
    d = get_definition("home_visit_record")
    html = forms.print_html(d, visit(situation="<script>alert(1)</script>", advice=["enrolment"]))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    rows = dict(forms.print_rows(d, visit(advice=["enrolment", "other"])))
    assert rows["助言"] == "就園について、その他" and rows["訪問・連絡日"] == "2025年9月12日"


def _shipped_raw(name: str) -> dict:
    return yaml.safe_load((forms.DEFS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def test_a_city_can_relabel_and_add_fields_without_code(tmp_path: Path):
    raw = _shipped_raw("school_screening_sheet")
    raw["title_ja"] = "気づきシート（教職員）"
    raw["fields"].append({"name": "lunch", "label_ja": "給食の様子", "type": "textarea", "max_length": 300})
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    d = get_definition("school_screening_sheet", directory=tmp_path)
    assert d.title_ja == "気づきシート（教職員）" and "lunch" in d.field_names
    assert d.def_version != get_definition("school_screening_sheet").def_version


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["fields"].pop(0), "held_on"),
        (
            lambda r: next(f for f in r["fields"] if f["name"] == "approach").update(type="text"),
            "type は choice",
        ),
        (lambda r: r.update(kind="tarot"), "kind「tarot」は不明"),
        (lambda r: r["fields"][0].update(not_before=["yesterday"]), "not_before の「yesterday」"),
        (lambda r: r["fields"].append({"name": "held_on", "label_ja": "x", "type": "date"}), "重複"),
    ],
)
def test_definitions_that_would_break_the_funnel_are_refused(change, message):
    raw = _shipped_raw("conference_sheet")
    change(raw)
    with pytest.raises(FormDefinitionError) as err:
        forms.parse_definition(raw, source="conference_sheet.yaml")
    assert message in str(err.value)


def test_choice_codes_used_by_the_funnel_cannot_be_invented():
    raw = _shipped_raw("home_visit_record")
    advice = next(f for f in raw["fields"] if f["name"] == "advice")
    advice["choices"].append({"value": "horoscope", "label_ja": "占い"})
    with pytest.raises(FormDefinitionError) as err:
        forms.parse_definition(raw, source="home_visit_record.yaml")
    assert "horoscope" in str(err.value)


def test_field_messages_read_in_english_with_english_dates():
    with pytest.raises(FormValidationError) as err:
        validate(get_definition("home_visit_record"), visit(attempted_on="2025-08-01"), mode="submit", context=CTX)
    assert err.value.field_errors["attempted_on"].text("en") == (
        "訪問・連絡日 (2025-08-01) is before the date the list was accepted (2025-08-20). Check the dates."
    )
    assert err.value.text("en").startswith("訪問・連絡記録: check what was entered (1 problems).")


def test_a_definition_error_names_the_file_in_both_languages():
    from kodomo_dash.casework.forms import parse_definition

    with pytest.raises(FormDefinitionError) as err:
        parse_definition({"form_type": "x", "kind": "nope", "title_ja": "t", "fields": []}, source="x.yaml")
    assert str(err.value).startswith("x.yaml: kind「nope」は不明です")
    assert err.value.message.text("en").startswith('x.yaml: kind "nope" is unknown')
