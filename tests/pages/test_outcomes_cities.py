"""The outcomes page in each city's shape when casework holds Fukuoka's, Izumi's and Beppu's years.

One casework file, three simulated FY2025 lists (each city screened with its own method): the page
offers the programme, and each shows its own stages (issue 7 part 1) — never two cities added up.
"""

from __future__ import annotations

import pytest

from tests.conftest import simulated_casework
from tests.signin import app_as


@pytest.fixture(scope="module")
def three_cities(tmp_path_factory):
    with simulated_casework(tmp_path_factory.mktemp("oc-cities"), ("fukuoka-fy2025", 11), ("izumi-fy2025", 12), ("beppu-fy2025", 13)) as folder:
        yield folder


def _text(at) -> str:
    parts = [el.value.to_csv() for el in at.dataframe]
    parts += [s.value for s in at.subheader] + [c.value for c in at.caption]
    return "\n".join(parts)


def test_programmes_are_offered_and_fukuoka_is_the_default(three_cities):
    at = app_as("evaluator", page="outcomes").run()
    assert not at.exception, [e.value for e in at.exception]
    box = at.selectbox(key="oc_programme")
    assert set(box.options) == {"福岡市", "和泉市", "別府市"}
    text = _text(at)
    assert "図表 7-3" in text and "1,327" in text


def test_izumi_shape(three_cities):
    at = app_as("evaluator", page="outcomes").run()
    at.selectbox(key="oc_programme").set_value("izumi-abuse-school").run()
    assert not at.exception, [e.value for e in at.exception]
    text = _text(at)
    for figure in ("7,347", "6,500", "206", "34", "既に要対協に登録"):
        assert figure in text, figure
    assert "1,327" not in text and "三課協議" not in text


def test_beppu_shape(three_cities):
    at = app_as("evaluator", page="outcomes").run()
    at.selectbox(key="oc_programme").set_value("beppu-poverty-school").run()
    assert not at.exception, [e.value for e in at.exception]
    text = _text(at)
    assert "リスク判定により抽出したこどもの数" in text and "30名" in text
    assert "新たに支援が必要と判断したこどもの数" in text and "8名" in text
    assert "7,347" not in text


def test_funnel_page_keeps_izumi_and_beppu_apart(three_cities):
    """Both cities are on the school path: the funnel page asks which programme, like the CLI's --scenario."""
    at = app_as("manager", page="funnel").run()
    assert not at.exception, [e.value for e in at.exception]
    at.segmented_control(key="fn_path").set_value("school").run()
    assert not at.exception, [e.value for e in at.exception]
    box = at.selectbox(key="fn_programme")
    assert set(box.options) == {"和泉市", "別府市"}
    box.set_value("beppu-poverty-school").run()
    assert not at.exception, [e.value for e in at.exception]
    bars = at.dataframe
    text = "\n".join(el.value.to_csv() for el in bars)
    assert "7,347" not in text and "7347" not in text  # Izumi's cohort is not added to Beppu's
