"""The year-end deck as PPTX and PDF, the tables as Excel and CSV, and the audit of every export.

The deck is built once (one Chromium start for the funnel chart, one PDF with the CJK font) and
reused: on a shared two-core machine that is most of this file's run time.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from kodomo_dash.demo.published import (
    FUKUOKA_FACTORS,
    FUKUOKA_LESSONS,
    FUKUOKA_SUPPORT_PERIOD,
    published_data,
)
from kodomo_dash.reports import charts as charts_mod
from kodomo_dash.reports.deck import MAIN_ORDER, build_deck, year_end_deck
from kodomo_dash.reports.export import (
    ExportRecord,
    escape_formula,
    write_csv,
    write_deck,
    write_pdf,
    write_pptx,
    write_xlsx,
)
from kodomo_dash.reports.fonts import FONT_FAMILY, find_cjk_font
from kodomo_dash.reports.indicators import ReportContext, build_tables
from kodomo_dash.reports.suppression import PUBLISHED_TOP_LINE
from kodomo_dash.reports.tables import Column, ReportTable
from tests.reports.test_indicators import WARD_NAMES, WARDS

CONTEXT = ReportContext(
    support_period=FUKUOKA_SUPPORT_PERIOD,
    factors=FUKUOKA_FACTORS,
    lessons=FUKUOKA_LESSONS,
    as_of="令和8年1月末時点",
)
MAIN_TITLES = [
    "福岡市 令和7年度 こどもデータ連携によるプッシュ型支援",
    "図表 7-1 支援結果の全体像",
    "図表 6-1 システム等による確認の結果",
    "図表 6-2 人による確認の結果",
    "図表 6-3 支援内容",
    "図表 6-4 支援内容（延べ件数）",
    "図表 7-3 成果・進捗状況（福岡市・令和7年度）",
    "図表 7-2 類似性に影響した主なデータ項目",
    "図表 8-1 実証事業を通じて得られた示唆",
]


@pytest.fixture(scope="module")
def data():
    return published_data("fukuoka", 2025, units=WARDS, unit_names=WARD_NAMES)


@pytest.fixture(scope="module")
def deck(data):
    return year_end_deck(data, 2025, policy=PUBLISHED_TOP_LINE, context=CONTEXT)


@pytest.fixture(scope="module")
def files(deck, tmp_path_factory):
    out = tmp_path_factory.mktemp("deck")
    log: list[ExportRecord] = []
    pptx, pdf = out / "deck.pptx", out / "deck.pdf"
    write_pptx(deck, pptx, audit=log.append)
    write_pdf(deck, pdf, audit=log.append)
    return {"pptx": pptx, "pdf": pdf, "log": log, "dir": out}


# --------------------------------------------------------------------------- deck


def test_deck_follows_the_report_order(deck):
    titles = [s.title for s in deck.slides]
    assert titles[: len(MAIN_TITLES)] == MAIN_TITLES
    assert all(t.startswith("参考：") for t in titles[len(MAIN_TITLES) :])
    funnel = deck.slides[1]
    assert funnel.image is not None and funnel.image[:8] == b"\x89PNG\r\n\x1a\n", (
        "the funnel is a chart image"
    )
    for s in deck.slides:
        assert (s.image is not None) + (s.table is not None) + bool(s.text) == 1, (
            "one chart or table per slide"
        )
        assert s.notes, f"{s.title}: presenter notes"


def test_pptx_reopened_has_the_slides_texts_fonts_and_notes(files, deck):
    from pptx import Presentation
    from pptx.oxml.ns import qn

    prs = Presentation(str(files["pptx"]))
    assert len(prs.slides) == len(deck.slides)
    texts = []
    for slide, want in zip(prs.slides, deck.slides, strict=True):
        shown = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                shown.append(shape.text_frame.text)
            if shape.has_table:
                shown += [c.text for row in shape.table.rows for c in row.cells]
        assert shown[0] == want.title
        texts.append("\n".join(shown))
        notes = slide.notes_slide.notes_text_frame.text
        assert notes == want.notes
        for run in slide._element.iter(qn("a:r")):
            rpr = run.find(qn("a:rPr"))
            for tag in ("a:latin", "a:ea"):
                assert rpr.find(qn(tag)).get("typeface") == FONT_FAMILY, "every run names the Japanese font"
    all_text = "\n".join(texts)
    for figure in (
        "1,327名",
        "217名",
        "151名",
        "80名",
        "73名",
        "57名",
        "45名",
        "12名",
        "16名",
        "28件",
        "32件",
    ):
        assert figure in all_text, figure
    indicators = texts[6]
    assert "7名" in indicators and "2名" in indicators
    assert "秘匿" in texts[len(MAIN_TITLES)], "the ward breakdown shows suppressed cells"
    pics = [sh for sh in prs.slides[1].shapes if sh.shape_type == 13]
    assert len(pics) == 1, "the funnel slide carries the chart as a picture"
    assert "1,327名" in prs.slides[0].notes_slide.notes_text_frame.text


def test_pdf_pages_render_with_japanese_glyphs(files, deck, tmp_path):
    pdf = files["pdf"]
    assert shutil.which("pdftoppm"), "poppler-utils is part of the set-up"
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "p")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) >= len(deck.slides) + 1, "slides plus the presenter-notes pages"
    for page in pages:
        with Image.open(page) as im:
            grey = im.convert("L")
            dark = sum(grey.histogram()[:200])
            assert dark > 200, f"{page.name} is blank"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "NotoSansCJKJP" in fonts and " yes " in fonts, "the JP face is embedded"

    def page_text(n: int) -> str:  # poppler, as a viewer would extract it
        return subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    first = page_text(1)
    assert "こどもデータ連携" in first and "1,327" in first
    assert "図表 7-3" in page_text(7)
    assert "発表者メモ" in page_text(len(deck.slides) + 1)


def test_every_character_of_the_deck_has_a_glyph(deck):
    """No tofu: every character on any slide is in the JP face's character map."""
    from fontTools.ttLib import TTCollection

    face = find_cjk_font()
    cmap = TTCollection(str(face.path), lazy=True).fonts[face.index].getBestCmap()
    used = {ch for s in deck.slides for text in [*s.texts(), s.notes] for ch in text if not ch.isspace()}
    missing = sorted(ch for ch in used if ord(ch) not in cmap)
    assert not missing, f"no glyph for {missing}"


def test_exports_are_audited_before_they_are_written(files, deck, tmp_path):
    kinds = [r.format for r in files["log"]]
    assert kinds == ["pptx", "pdf"]
    rec = files["log"][0].as_audit_kwargs()
    assert rec["action"] == "export" and rec["n_children"] == 0 and rec["target"] == "deck.pptx"
    assert rec["detail"]["fy"] == 2025 and rec["detail"]["slides"] == len(deck.slides)

    def refuse(_record):
        raise RuntimeError("audit log unavailable")

    target = tmp_path / "blocked.pptx"
    with pytest.raises(RuntimeError):
        write_pptx(deck, target, audit=refuse)
    assert not target.exists(), "no audit, no export"
    assert not list(tmp_path.glob(".blocked*")), "no temporary file left behind"
    with pytest.raises(TypeError):
        write_pptx(deck, target)  # the audit callback is required


def test_export_into_a_stream(deck):
    log: list[ExportRecord] = []
    buf = io.BytesIO()
    write_pptx(deck, buf, audit=log.append)
    assert buf.getvalue()[:2] == b"PK" and log[0].target == "download"


# --------------------------------------------------------------------------- Excel / CSV


NASTY = [
    '=HYPERLINK("http://x","y")',
    "+1+2",
    "-3+4",
    "@SUM(A1)",
    "\tTAB",
    "\rCR",
    "＝1+1",
    "  =1+1",
    "普通の区",
]


def nasty_table() -> ReportTable:
    cols = [
        Column("name", "区名"),
        Column("count", "人数", "count", "名"),
        Column("change", "増減", "change"),
    ]
    rows = [{"name": n, "count": 12, "change": -3} for n in NASTY]
    return ReportTable("nasty", "=危険な表", cols, rows, notes=["-注記"])


def test_formula_escaping_rule():
    assert escape_formula("=1+1") == "'=1+1"
    assert escape_formula("＠x") == "'＠x"
    assert escape_formula("普通") == "普通"
    assert escape_formula("1,327名") == "1,327名"


def test_xlsx_reopened_is_inert_and_numeric(tmp_path, data):
    from openpyxl import load_workbook

    log: list[ExportRecord] = []
    tables = build_tables(data, 2025, policy=PUBLISHED_TOP_LINE, context=CONTEXT)
    path = tmp_path / "tables.xlsx"
    write_xlsx([nasty_table(), *tables.values()], path, audit=log.append, fy=2025)
    assert log[0].format == "xlsx" and "indicators" in log[0].tables
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} became a formula"
                if isinstance(cell.value, str):
                    assert cell.value.lstrip(" ")[:1] not in ("=", "+", "-", "@", "\t", "\r", "＝"), (
                        cell.value
                    )
    ws = wb.worksheets[0]
    names = [ws.cell(row=r, column=1).value for r in range(4, 4 + len(NASTY))]
    assert names == ["'" + n if n != "普通の区" else n for n in NASTY]
    assert ws.cell(row=4, column=2).value == 12 and ws.cell(row=4, column=3).value == -3, (
        "numbers stay numbers"
    )
    assert ws.cell(row=1, column=1).value == "'=危険な表"
    ind = next(w for w in wb.worksheets if w.title.startswith("図表 7-3"))
    values = [ind.cell(row=r, column=5).value for r in range(4, 17)]
    assert values[:3] == [1327, 217, 151] and values[-4:] == [7, 2, 2, 2]
    assert ind.cell(row=3, column=5).value == "令和7年度（名）"


def test_csv_is_escaped_and_opens_in_excel(tmp_path):
    log: list[ExportRecord] = []
    path = tmp_path / "t.csv"
    write_csv(nasty_table(), path, audit=log.append)
    raw = path.read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf", "UTF-8 with BOM for Excel"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["区名", "人数（名）", "増減"]
    assert [r[0] for r in rows[1:]] == ["'" + n if n != "普通の区" else n for n in NASTY]
    assert rows[1][1:] == ["12", "-3"]
    assert log[0].format == "csv" and log[0].tables == ("nasty",)


# --------------------------------------------------------------------------- bad input


def test_empty_year_deck_still_exports(data, tmp_path):
    deck = year_end_deck(data, 2031, context=CONTEXT, charts=False)
    assert [s.key for s in deck.slides][:2] == ["overview", "funnel"]
    assert any("令和13年度のデータはありません。" in " ".join(s.footnotes + [s.notes]) for s in deck.slides)
    log: list[ExportRecord] = []
    write_pptx(deck, tmp_path / "empty.pptx", audit=log.append)
    assert (tmp_path / "empty.pptx").stat().st_size > 0


def test_missing_tables_and_failed_chart_still_give_every_slide(data, monkeypatch):
    def broken(_figures, **_kw):
        raise charts_mod.ChartRenderError("図を画像にできませんでした: chromium missing")

    monkeypatch.setattr(charts_mod, "render_png", broken)
    tables = build_tables(data, 2025, policy=PUBLISHED_TOP_LINE)
    tables.pop("screening_human")
    deck = build_deck(2025, tables, {"funnel": charts_mod.funnel_chart(_fig(data))}, appendix=False)
    keys = [s.key for s in deck.slides]
    assert keys == [k for k, _ in MAIN_ORDER if k != "factors"]
    funnel = deck.slides[1]
    assert funnel.table is not None and any("表で示しています" in n for n in funnel.footnotes)
    assert deck.slides[3].text == ["この項目のデータはありません。"]


def _fig(data):
    from kodomo_dash.reports.indicators import figures_for_year

    return figures_for_year(data, 2025, policy=PUBLISHED_TOP_LINE)


def test_written_files_are_where_asked(files):
    assert Path(files["pptx"]).stat().st_size > 10_000
    assert Path(files["pdf"]).read_bytes()[:5] == b"%PDF-"


def test_write_deck_picks_the_format(deck, tmp_path):
    log: list[ExportRecord] = []
    rec = write_deck(deck, tmp_path / "x.pptx", audit=log.append)
    assert rec.format == "pptx" and (tmp_path / "x.pptx").exists()
    with pytest.raises(ValueError):
        write_deck(deck, tmp_path / "x.key", audit=log.append)
    assert not (tmp_path / "x.key").exists() and len(log) == 1
