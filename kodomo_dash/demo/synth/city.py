"""Generate a synthetic city: one CSV extract per contract, plus a separate truth folder.

This is the entry point the CLI calls. It builds the population, runs each programme module
on its own random stream, renders every table to its contract, damages a few values as real
extracts are damaged, and writes the truth (latent need, true identities, injected noise and
dirt) to ``<out_dir>_truth`` — a sibling folder the warehouse build never reads, so nothing
the screening is evaluated against can leak into what it learns from.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from kodomo_dash.demo.synth import dirt, geo, maternal, nursery, population, school, support, welfare, writer
from kodomo_dash.demo.synth.population import City
from kodomo_dash.demo.synth.rand import stream
from kodomo_dash.demo.synth.scenarios import get_scenario
from kodomo_dash.warehouse.contracts import all_contracts


@dataclass
class SynthResult:
    """What one generation wrote, for the CLI summary and for tests."""

    scenario: str
    scale: float
    seed: int
    out_dir: Path
    truth_dir: Path
    rows: dict[str, int]
    seconds: float
    facts: dict[str, int] = field(default_factory=dict)
    dirt: list[dirt.DirtRecord] = field(default_factory=list)

    @property
    def max_age(self) -> int:
        return int(get_scenario(self.scenario).max_age_years)

    def summary(self) -> str:
        lines = [
            f"合成データ生成 / synthetic city: {self.scenario} (scale {self.scale:g}, seed {self.seed})",
            f"出力先 / extracts: {self.out_dir}",
            f"正解データ / truth (never loaded): {self.truth_dir}",
            "",
            f"{'ファイル / file':<34}{'行数 / rows':>12}",
        ]
        lines += [f"{name + '.csv':<34}{n:>12,}" for name, n in self.rows.items()]
        lines += [
            "",
            f"こども（0〜{self.max_age}歳・現住） / children aged 0-{self.max_age} living in the city:"
            f" {self.facts.get('children_current', 0):,}",
            f"3〜6歳の未就園児 / unenrolled children aged 3-6: {self.facts.get('unenrolled_3_6', 0):,}",
            f"過去の支援ケース（養護相談・虐待） / past support cases: {self.facts.get('past_support_cases', 0):,}",
            f"注入した不正値 / injected bad values: {sum(d.rows for d in self.dirt):,}",
            f"合計 {sum(self.rows.values()):,} 行・{self.seconds:.1f} 秒 / {sum(self.rows.values()):,} rows in {self.seconds:.1f} s",
        ]
        return "\n".join(lines)


def _registry(city: City) -> pd.DataFrame:
    return city.persons.rename(columns={"birth": "birth_date", "moved_in": "moved_in_date", "moved_out": "moved_out_date"})


def _tables(city: City, seed: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    tables: dict[str, pd.DataFrame] = {"resident_registry": _registry(city)}
    tables.update(welfare.build(city, stream(seed, "welfare")))
    tables.update(maternal.build(city, stream(seed, "maternal")))
    tables.update(nursery.build(city, stream(seed, "nursery")))
    tables.update(support.build(city, stream(seed, "support")))
    school_tables, identity = school.build(city, stream(seed, "school"))
    tables.update(school_tables)
    if city.sc.has_model_schools:  # Izumi; its own stream, so Fukuoka's draws are untouched
        tables["yotaikyo_case"] = support.calibrate_model_schools(
            city, stream(seed, "model_schools"), school_tables["school_age_register"],
            geo.model_school_codes(city.sc), tables["yotaikyo_case"],
        )  # fmt: skip
    return tables, identity


def _facts(city: City, tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    ch = city.children
    current = city.current
    cons = tables["child_consultation"]
    return {
        "households": int(len(city.households)),
        "residents": int(len(city.persons)),
        "children_current": int(current.sum()),
        "children_moved_out": int((~current).sum()),
        "true_need_children": int(ch["need"].sum()),
        "unenrolled_3_6": int(ch["unenrolled_3_6"].sum()),
        "past_support_cases": int(cons.loc[cons["main_complaint"] == support.ABUSE, "resident_id"].nunique()),
        "temporary_protection_children": int(ch["protected"].sum()),
        "open_yotaikyo_children": int(ch["yotaikyo_open"].sum()),
        "already_in_support_children": int((ch["yotaikyo_open"] | ch["open_consultation"]).sum()),
        "pupils_on_roster": int(len(tables["student_roster"])),
        "pupils_in_map": int(len(tables["student_resident_map"])),
    }


def _csv(path: Path, columns: dict[str, object]) -> None:
    """A small truth table as CSV (pyarrow: fast, and identical bytes for identical input)."""
    table = pa.table({k: pa.array(v, from_pandas=True) for k, v in columns.items()})
    with path.open("wb") as fh:
        fh.write((",".join(columns) + "\n").encode("utf-8"))
        if table.num_rows:
            pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False, quoting_style="none"))


def _write_truth(truth_dir: Path, city: City, identity: pd.DataFrame, records: list[dirt.DirtRecord], facts: dict) -> None:
    truth_dir.mkdir(parents=True, exist_ok=True)
    ch = city.children
    _csv(truth_dir / "children.csv", {
        "resident_id": ch["resident_id"].to_numpy(),
        "household_id": ch["household_id"].to_numpy(),
        "latent_z": np.round(ch["z"].to_numpy(), 6),
        "true_need": ch["need"].to_numpy().astype(np.int8),
        "true_need_prob": np.round(ch["need_prob"].to_numpy(), 6),
    })  # fmt: skip
    rid = identity["resident_id_true"].to_numpy()
    _csv(truth_dir / "student_identity.csv", {
        "student_no": identity["student_no"].to_numpy(),
        "resident_id_true": pa.array(rid, mask=rid < 0),
        "noise_kinds": identity["noise_kinds"].to_numpy(dtype=object),
    })  # fmt: skip
    _csv(truth_dir / "dirt.csv", {
        "file": [r.file for r in records], "column": [r.column for r in records],
        "kind": [r.kind for r in records], "rows": pa.array([r.rows for r in records], type=pa.int64()),
    })  # fmt: skip
    _csv(truth_dir / "unenrolled_3_6.csv", {"resident_id": ch["resident_id"].to_numpy()[ch["unenrolled_3_6"].to_numpy()]})
    (truth_dir / "facts.json").write_text(json.dumps(facts, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def generate(scenario: str, scale: float, seed: int, out_dir: Path) -> SynthResult:
    """Write one CSV per contract to ``out_dir`` and the truth to ``<out_dir>_truth``.

    Same (scenario, scale, seed) gives byte-identical files.
    """
    t0 = time.perf_counter()
    sc = get_scenario(scenario)
    if not 0 < scale <= 5:
        raise ValueError(f"scale は 0 より大きく 5 以下で指定してください / scale must be in (0, 5], got {scale}")
    out_dir = Path(out_dir)
    truth_dir = Path(str(out_dir) + "_truth")
    out_dir.mkdir(parents=True, exist_ok=True)
    city = population.build(sc, scale, seed)
    tables, identity = _tables(city, seed)
    rows: dict[str, int] = {}
    records: list[dirt.DirtRecord] = []
    skip = {"student_roster": None}
    # The model-school cohort (Izumi) is read from the 学齢簿 for pupils the schools cannot link, so
    # that file is kept clean there, like the files behind Fukuoka's cohort (dirt.PROTECTED_FILES).
    protected = {"school_age_register"} if sc.has_model_schools else set()
    for name, contract in all_contracts().items():
        if name not in tables:
            raise KeyError(f"synthetic city has no table for contract {name!r}")
        text = writer.to_text(contract, tables[name])
        if name in protected:
            recs = []
        else:
            text, recs = dirt.inject(contract, text, stream(seed, f"dirt:{name}"), skip.get(name))
        records += recs
        rows[name] = writer.write(out_dir / contract.file_name, contract, text)
    roster_blank = int(tables["student_roster"]["birth_date"].isna().sum())
    if roster_blank:
        records.append(dirt.DirtRecord("student_roster", "birth_date", "blank_birth_date", roster_blank))
    # Source systems stamp their export date; the build reads it as the as-of date.
    (out_dir / "extract_date.txt").write_text(sc.as_of.isoformat() + "\n", encoding="utf-8")
    facts = _facts(city, tables)
    _write_truth(truth_dir, city, identity, records, facts)
    return SynthResult(scenario=sc.name, scale=scale, seed=seed, out_dir=out_dir, truth_dir=truth_dir, rows=rows,
                       seconds=time.perf_counter() - t0, facts=facts, dirt=records)  # fmt: skip
