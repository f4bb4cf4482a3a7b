"""The model card's stored figures: read back only for the build, model and truth folder they were
computed from, and recomputed when any of those (or the card's format) changes."""

from __future__ import annotations

import pandas as pd

from kodomo_dash.screening import model_card as mc


def test_a_stored_card_is_read_only_under_its_own_key(tmp_path):
    path = mc.card_path(tmp_path / "models" / "similarity.joblib")
    assert path.name == "similarity.card.pkl"
    key = mc.CardKey.of("build-1", "sim-1", tmp_path / "extracts_truth")
    figures = {"card": {"holdout": 42, "curves": pd.DataFrame({"list_size": [10], "value": [0.5]})},
               "reference": None}
    mc.save(path, key, figures)
    back = mc.load(path, key)
    assert back is not None and back["card"]["holdout"] == 42
    pd.testing.assert_frame_equal(back["card"]["curves"], figures["card"]["curves"])
    assert mc.load(path, mc.CardKey.of("build-2", "sim-1", tmp_path / "extracts_truth")) is None  # a rebuild
    assert mc.load(path, mc.CardKey.of("build-1", "sim-2", tmp_path / "extracts_truth")) is None  # a new model
    assert mc.load(path, mc.CardKey.of("build-1", "sim-1", None)) is None  # real extracts: no synthetic figures
    assert mc.load(path, mc.CardKey("build-1", "sim-1", key.truth_dir, card_format=0)) is None  # an older format
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def test_a_missing_or_damaged_card_is_simply_recomputed(tmp_path):
    path = tmp_path / "similarity.card.pkl"
    key = mc.CardKey.of("build-1", "sim-1", None)
    assert mc.load(path, key) is None
    path.write_bytes(b"not a pickle")
    assert mc.load(path, key) is None
