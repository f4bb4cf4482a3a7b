"""City profiles: Izumi's and Beppu's synthetic cities are sized like them, Izumi's counts exact at any seed.

Read from the extracts the generator writes (no build), so this stays fast; the end-to-end figures
through the warehouse are in tests/scenarios/test_izumi_beppu.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

from kodomo_dash.demo.synth import geo
from kodomo_dash.demo.synth.city import generate
from kodomo_dash.demo.synth.scenarios import get_scenario


@pytest.fixture(scope="module")
def izumi(tmp_path_factory):
    return generate("izumi-fy2025", 0.1, 2, tmp_path_factory.mktemp("izumi") / "extracts")


def _csv(city, name: str) -> pd.DataFrame:
    return pd.read_csv(city.out_dir / f"{name}.csv", dtype=str)


def test_izumi_model_schools_hold_exactly_the_scaled_count(izumi):
    sc = get_scenario("izumi-fy2025")
    codes = geo.model_school_codes(sc)
    assert len(codes) == 15 and len(set(codes)) == 15
    register = _csv(izumi, "school_age_register")
    in_model = register[register["school_code"].isin(codes)]
    assert len(in_model) == round(7347 * 0.1)
    assert in_model["school_code"].nunique() == 15  # the 15 schools exist at every scale
    yotaikyo = _csv(izumi, "yotaikyo_case")
    open_ids = set(yotaikyo.loc[yotaikyo["closed_date"].isna(), "resident_id"])
    assert in_model["resident_id"].isin(open_ids).sum() == round(847 * 0.1)


def test_izumi_codes_are_its_own(izumi):
    registry = _csv(izumi, "resident_registry")
    assert set(registry["ward_code"]) == {"27219"}
    assert registry["address_text"].str.startswith("和泉市").all()
    assert set(_csv(izumi, "school_age_register")["school_code"].str[:1]) == {"2"}


def test_beppu_children_reach_17(tmp_path):
    city = generate("beppu-fy2025", 0.05, 1, tmp_path / "extracts")
    assert city.facts["children_current"] == round(15_026 * 0.05)
    registry = _csv(city, "resident_registry")
    assert set(registry["ward_code"]) == {"44202"}
    children = set(pd.read_csv(city.truth_dir / "children.csv", dtype=str)["resident_id"])
    births = pd.to_datetime(registry.loc[registry["resident_id"].isin(children), "birth_date"], errors="coerce")
    assert births.min() > pd.Timestamp("2007-09-01")  # no one of 18 or more among the children
    assert (births < pd.Timestamp("2009-09-01")).sum() > 50  # 16- and 17-year-olds (Fukuoka stops at 15)
