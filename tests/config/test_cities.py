"""City files: units and programmes as data; reports and list rules follow the programme, not the method."""

from __future__ import annotations

from datetime import date

import pytest

from kodomo_dash.config import cities
from kodomo_dash.config.units import unit_name
from kodomo_dash.services import support, workflow
from tests.casework_people import draft, empty_casework
from tests.services.test_support import MANAGER

KITAKYUSHU = """
key: kitakyushu
name_ja: 北九州市
units:
  "40101": 門司区
programmes:
  - key: kitakyushu-unenrolled
    label_ja: 未就園児の見守り
    path: ward
    method: similarity
    cohort: fukuoka_unenrolled_3_6
    cohort_label_ja: 3歳から6歳の未就園児
    report_shape: fukuoka
  - key: kitakyushu-schoolage
    label_ja: 学齢期の見守り
    path: ward
    method: similarity
    cohort: all_children
    cohort_label_ja: 学齢期のこども
    report_shape: fukuoka
"""


def test_shipped_cities_name_every_unit_and_programme():
    progs = cities.programmes()
    assert {"fukuoka-unenrolled", "izumi-abuse-school", "beppu-poverty-school", "amagasaki-rule-points"} <= set(progs)
    assert unit_name("40131") == "東区" and unit_name("27219") == "和泉市" and unit_name("99999") == "99999"
    assert progs["izumi-abuse-school"].screening_sheet_required and progs["fukuoka-unenrolled"].path == "ward"


def test_a_broken_city_file_is_refused_naming_the_file(tmp_path, monkeypatch):
    (tmp_path / "bad.yaml").write_text("key: bad\nname_ja: 悪い市\nunits: {}\nprogrammes:\n  - key: x\n    path: bus\n",
                                       encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("KODOMO_CITIES", str(tmp_path))
    with pytest.raises(cities.CityConfigError) as err:
        cities.cities()
    assert "bad.yaml" in str(err.value)


def test_a_citys_setting_files_beside_its_city_files_are_not_read_as_cities(tmp_path, monkeypatch):
    (tmp_path / "build_gate.yaml").write_text("max_source_drop: 0.3\n", encoding="utf-8")
    (tmp_path / "sessions.yaml").write_text("idle_minutes: 15\n", encoding="utf-8")
    monkeypatch.setenv("KODOMO_CITIES", str(tmp_path))
    shipped = {c.key for c in cities._cities(cities.CITIES_DIR, None)}
    assert {c.key for c in cities.cities()} == shipped


def test_a_fourth_city_on_the_similarity_model_is_reported_under_its_own_name(tmp_path, monkeypatch):
    folder = tmp_path / "cities"
    folder.mkdir()
    (folder / "kitakyushu.yaml").write_text(KITAKYUSHU, encoding="utf-8")
    monkeypatch.setenv("KODOMO_CITIES", str(folder))
    empty_casework(tmp_path, monkeypatch)
    run_id = draft(tmp_path)
    assert unit_name("40101") == "門司区"
    support.accept_run(MANAGER, run_id, fy=2025, programme="kitakyushu-unenrolled", accepted_on=date(2025, 8, 20))
    assert workflow.funnel_programmes(2025, "ward") == {"kitakyushu-unenrolled": "北九州市"}


def test_two_programmes_on_the_same_method_are_counted_apart(tmp_path, monkeypatch):
    """Reports select by programme: two similarity-model programmes of one city are never summed."""
    from kodomo_dash.casework.funnel import funnel_report
    from kodomo_dash.security.principal import Principal

    folder = tmp_path / "cities"
    folder.mkdir()
    (folder / "kitakyushu.yaml").write_text(KITAKYUSHU, encoding="utf-8")
    monkeypatch.setenv("KODOMO_CITIES", str(folder))
    empty_casework(tmp_path, monkeypatch)
    for programme, n in (("kitakyushu-unenrolled", 10), ("kitakyushu-schoolage", 4)):
        support.accept_run(MANAGER, draft(tmp_path, n=n), fy=2025, programme=programme, accepted_on=date(2025, 8, 20))
    assert set(workflow.funnel_programmes(2025, "ward")) == {"kitakyushu-unenrolled", "kitakyushu-schoolage"}
    manager = Principal("m", "manager")
    listed = workflow.funnel_bars(2025, "all", manager, programme="kitakyushu-schoolage")
    assert listed.set_index("stage").at["listed", "n"] == 4
    assert funnel_report(2025, programme="kitakyushu-unenrolled")["paths"]["ward"]["figures"]["listed"] == 10
