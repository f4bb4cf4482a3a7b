"""Writing the deck as PPTX and PDF, and the tables as Excel and CSV — every write audited.

Why these choices:

* **Audit first, then write.** Each writer renders in memory, calls the ``audit`` callback with
  an :class:`ExportRecord`, and only then puts the bytes in place (atomically, through a
  temporary file beside the target). If the audit cannot be written, nothing is exported.
  ``audit`` is a required keyword: an export cannot forget it.
* **PPTX** (python-pptx): 16:9 blank slides; every text run names the Japanese font for the
  Latin, East Asian and complex-script slots (PowerPoint picks the font of a run by the script
  of each character, so naming only the Latin face leaves kanji in the viewer's default font).
* **PDF** (fpdf2): embeds a subset of Noto Sans CJK JP read straight from Debian's TTC (fpdf2
  takes the face number; see ``fonts.py``), so the PDF looks the same on any PC. Presenter
  notes go on pages after the slides (「発表者メモ」), so the slides can be shown as they are.
* **Excel / CSV**: numbers stay numbers; every text cell that a spreadsheet would read as a
  formula (starting with = + - @, tab or CR, or their full-width forms, after any spaces) is
  prefixed with an apostrophe, the OWASP advice against CSV/formula injection — ward names and
  lessons are typed by people, and a city PC opens these files in Excel.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kodomo_dash.reports.deck import CONTENT, SLIDE_H_IN, SLIDE_W_IN, Deck, Slide
from kodomo_dash.reports.fonts import FONT_FAMILY, find_cjk_font
from kodomo_dash.reports.tables import (
    NO_DATA_LABEL,
    SUPPRESSED_LABEL,
    Column,
    ReportTable,
    format_cell,
    is_hidden,
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
MM_PER_IN = 25.4


@dataclass(frozen=True)
class ExportRecord:
    """What was exported, for the audit log (aggregates only: no child is in an export)."""

    format: str
    target: str
    fy: int | None = None
    tables: tuple[str, ...] = ()
    slides: int = 0
    suppressed_cells: int = 0
    size_bytes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_audit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``kodomo_dash.security.audit.record(con, principal, **...)``."""
        detail = {
            "format": self.format,
            "fy": self.fy,
            "tables": list(self.tables)[:50],
            "slides": self.slides,
            "suppressed_cells": self.suppressed_cells,
            "size_bytes": self.size_bytes,
            **self.extra,
        }
        return {"action": "export", "target": self.target[:200], "n_children": 0, "detail": detail}


AuditHook = Callable[[ExportRecord], None]
Destination = str | os.PathLike | IO[bytes]


def escape_formula(text: str) -> str:
    """Make a text cell inert in a spreadsheet: prefix ``'`` when it could start a formula."""
    stripped = text.lstrip(" \u3000")
    if stripped[:1] in _FORMULA_START or text[:1] in ("\t", "\r"):
        return "'" + text
    return text


def _target_name(dest: Destination) -> str:
    if isinstance(dest, str | os.PathLike):
        return Path(dest).name
    return getattr(dest, "name", None) or "download"


def _deliver(data: bytes, dest: Destination, record: ExportRecord, audit: AuditHook) -> ExportRecord:
    """Audit, then write ``data`` to a path (atomically) or into a binary stream."""
    if audit is None:
        raise TypeError("audit callback is required for every export")
    audit(record)
    if isinstance(dest, str | os.PathLike):
        path = Path(dest)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    else:
        dest.write(data)
    return record


def _deck_record(fmt: str, deck: Deck, dest: Destination, size: int) -> ExportRecord:
    tables = deck.tables()
    return ExportRecord(
        format=fmt,
        target=_target_name(dest),
        fy=deck.fy,
        tables=tuple(t.key for t in tables),
        slides=len(deck.slides),
        suppressed_cells=sum(t.hidden_count() for t in tables),
        size_bytes=size,
    )


# --------------------------------------------------------------------------- PPTX


def pptx_bytes(deck: Deck) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width = Inches(SLIDE_W_IN)
    prs.slide_height = Inches(SLIDE_H_IN)
    blank = prs.slide_layouts[6]
    for i, s in enumerate(deck.slides):
        slide = prs.slides.add_slide(blank)
        _pptx_text(slide, s.title, (0.5, 0.3, 12.33, 0.95), 26 if i else 30, bold=True)
        if i == 0 and deck.subtitle:
            _pptx_text(slide, deck.subtitle, (0.5, 0.95, 12.33, 0.4), 14, color=(0x55, 0x5F, 0x6D))
        if s.image is not None:
            _pptx_picture(slide, s.image)
        elif s.table is not None:
            _pptx_table(slide, s)
        elif s.text:
            _pptx_text(slide, "\n".join(s.text), CONTENT, 20)
        if s.footnotes:
            _pptx_text(slide, "\n".join(f"※{n}" for n in s.footnotes), (0.5, 6.45, 12.33, 0.9), 10,
                       color=(0x44, 0x4C, 0x57))  # fmt: skip
        _pptx_text(
            slide, f"{i + 1} / {len(deck.slides)}", (11.8, 7.05, 1.2, 0.35), 9, color=(0x88, 0x88, 0x88)
        )
        notes_tf = slide.notes_slide.notes_text_frame
        notes_tf.text = s.notes
        for p in notes_tf.paragraphs:
            for r in p.runs:
                _font(r, 12)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def _font(run, size: float, *, bold: bool = False, color: tuple[int, int, int] | None = None) -> None:
    """Size, weight, colour and the Japanese font in all three script slots of one run."""
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    f = run.font
    f.size = Pt(size)
    f.bold = bold
    if color is not None:
        f.color.rgb = RGBColor(*color)
    f.name = FONT_FAMILY
    rpr = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):
        el = rpr.find(qn(tag))
        if el is None:
            el = rpr.makeelement(qn(tag), {})
            latin = rpr.find(qn("a:latin"))
            if tag == "a:ea":
                latin.addnext(el)
            else:
                rpr.find(qn("a:ea")).addnext(el)
        el.set("typeface", FONT_FAMILY)
    rpr.set("lang", "ja-JP")
    rpr.set("altLang", "en-US")


def _pptx_text(slide, text: str, box, size: float, *, bold: bool = False, color=None) -> None:
    from pptx.util import Inches

    left, top, width, height = box
    tb = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    tf = tb.text_frame
    tf.word_wrap = True
    lines = text.split("\n")
    for j, line in enumerate(lines):
        p = tf.paragraphs[0] if j == 0 else tf.add_paragraph()
        r = p.add_run()
        r.text = line
        _font(r, size, bold=bold, color=color)


def _pptx_picture(slide, png: bytes) -> None:
    from PIL import Image
    from pptx.util import Inches

    left, top, width, height = CONTENT
    with Image.open(io.BytesIO(png)) as im:
        w, h = im.size
    scale = min(width / w, height / h)
    pw, ph = w * scale, h * scale
    slide.shapes.add_picture(
        io.BytesIO(png), Inches(left + (width - pw) / 2), Inches(top), Inches(pw), Inches(ph)
    )


def _pptx_table(slide, s: Slide) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    table = s.table
    headers = table.headers()
    rows = table.display_rows()
    left, top, width, _ = CONTENT
    line_h = s.font_pt / 72 * 1.3 + 0.1
    shape = slide.shapes.add_table(len(rows) + 1, len(headers), Inches(left), Inches(top), Inches(width),
                                   Inches(line_h * (len(rows) + 1)))  # fmt: skip
    tbl = shape.table
    widths = s.col_widths or [1 / len(headers)] * len(headers)
    for j, w in enumerate(widths):
        tbl.columns[j].width = Inches(width * w)
    for i, values in enumerate([headers, *rows]):
        tbl.rows[i].height = Inches(line_h)
        for j, text in enumerate(values):
            cell = tbl.cell(i, j)
            cell.margin_left = cell.margin_right = Pt(4)
            cell.margin_top = cell.margin_bottom = Pt(2)
            tf = cell.text_frame
            tf.word_wrap = True
            p = tf.paragraphs[0]
            r = p.add_run()
            r.text = text
            hidden = i > 0 and text == SUPPRESSED_LABEL
            _font(
                r,
                s.font_pt,
                bold=i == 0,
                color=(0xFF, 0xFF, 0xFF) if i == 0 else (0x99, 0x33, 0x00) if hidden else None,
            )
            if i > 0 and table.columns[j].kind != "text":
                from pptx.enum.text import PP_ALIGN

                p.alignment = PP_ALIGN.RIGHT
            if i == 0:
                cell.fill.solid()
                cell.fill.fore_color.rgb = RGBColor(0x2F, 0x6D, 0xB5)


def write_pptx(deck: Deck, path: Destination, *, audit: AuditHook) -> ExportRecord:
    """The deck as PowerPoint (presenter notes in each slide's notes)."""
    data = pptx_bytes(deck)
    return _deliver(data, path, _deck_record("pptx", deck, path, len(data)), audit)


# --------------------------------------------------------------------------- PDF


def pdf_bytes(deck: Deck, *, notes: str = "appendix") -> bytes:
    """``notes``: 'appendix' (presenter notes on pages after the slides), 'none'."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    w_mm, h_mm = SLIDE_W_IN * MM_PER_IN, SLIDE_H_IN * MM_PER_IN
    pdf = FPDF(orientation="L", unit="mm", format=(h_mm, w_mm))
    pdf.set_auto_page_break(False)
    pdf.set_margins(12.7, 10, 12.7)
    regular, bold = find_cjk_font(False), find_cjk_font(True)
    pdf.add_font("jp", "", str(regular.path), collection_font_number=regular.index)
    pdf.add_font("jp", "B", str(bold.path), collection_font_number=bold.index)
    pdf.set_title(deck.title)
    pdf.set_lang("ja")
    pdf.set_creator("kodomo-dash")
    left, top, width, height = (v * MM_PER_IN for v in CONTENT)
    for i, s in enumerate(deck.slides):
        pdf.add_page()
        pdf.set_text_color(0x1F, 0x2A, 0x37)
        pdf.set_font("jp", "B", 26 if i else 28)
        pdf.set_xy(left, 9)
        pdf.multi_cell(width, 12, s.title, align="L", wrapmode=WrapMode.CHAR)
        if i == 0 and deck.subtitle:
            pdf.set_font("jp", "", 14)
            pdf.set_text_color(0x55, 0x5F, 0x6D)
            pdf.set_x(left)
            pdf.cell(width, 8, deck.subtitle)
            pdf.set_text_color(0x1F, 0x2A, 0x37)
        if s.image is not None:
            from PIL import Image

            with Image.open(io.BytesIO(s.image)) as im:
                iw, ih = im.size
            scale = min(width / iw, height / ih)
            pdf.image(io.BytesIO(s.image), x=left + (width - iw * scale) / 2, y=top, w=iw * scale, h=ih * scale,
                      alt_text=s.image_alt)  # fmt: skip
        elif s.table is not None:
            t = s.table
            pdf.set_font("jp", "", s.font_pt)
            pdf.set_xy(left, top)
            aligns = tuple("L" if c.kind == "text" else "R" for c in t.columns)
            with pdf.table(
                width=width,
                col_widths=tuple(s.col_widths or [1] * len(t.columns)),
                text_align=aligns,
                wrapmode=WrapMode.CHAR,
                line_height=s.font_pt * 0.3528 * 1.3,
                padding=1.2,
                headings_style=FontFace(
                    family="jp", emphasis="BOLD", color=(255, 255, 255), fill_color=(0x2F, 0x6D, 0xB5)
                ),
                borders_layout="SINGLE_TOP_LINE",
                cell_fill_color=(0xF3, 0xF6, 0xFA),
                cell_fill_mode="ROWS",
                first_row_as_headings=True,
            ) as table:
                header = table.row()
                for h, a in zip(t.headers(), aligns, strict=True):
                    header.cell(h, align=a)
                for values in t.display_rows():
                    row = table.row()
                    for text in values:
                        if text == SUPPRESSED_LABEL:
                            row.cell(text, style=FontFace(color=(0x99, 0x33, 0x00)))
                        else:
                            row.cell(text)
        elif s.text:
            pdf.set_font("jp", "", 20)
            pdf.set_xy(left, top)
            pdf.multi_cell(width, 10, "\n".join(s.text), wrapmode=WrapMode.CHAR)
        if s.footnotes:
            pdf.set_font("jp", "", 9)
            pdf.set_text_color(0x44, 0x4C, 0x57)
            pdf.set_xy(left, h_mm - 10 - 5 * len(s.footnotes))
            pdf.multi_cell(width, 4.6, "\n".join(f"※{n}" for n in s.footnotes), wrapmode=WrapMode.CHAR)
        pdf.set_font("jp", "", 8)
        pdf.set_text_color(0x88, 0x88, 0x88)
        pdf.set_xy(w_mm - 40, h_mm - 8)
        pdf.cell(28, 5, f"{i + 1} / {len(deck.slides)}", align="R")
    if notes == "appendix":
        _pdf_notes(pdf, deck, left, width)
    return bytes(pdf.output())


def _pdf_notes(pdf, deck: Deck, left: float, width: float) -> None:
    from fpdf.enums import WrapMode

    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_text_color(0x1F, 0x2A, 0x37)
    pdf.set_font("jp", "B", 22)
    pdf.set_x(left)
    pdf.cell(width, 12, "発表者メモ", new_x="LMARGIN", new_y="NEXT")
    for i, s in enumerate(deck.slides):
        pdf.set_font("jp", "B", 12)
        pdf.multi_cell(width, 7, f"{i + 1}. {s.title}", wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("jp", "", 11)
        pdf.multi_cell(width, 6, s.notes, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)


def write_pdf(deck: Deck, path: Destination, *, audit: AuditHook, notes: str = "appendix") -> ExportRecord:
    """The deck as PDF, Japanese embedded, presenter notes after the slides."""
    data = pdf_bytes(deck, notes=notes)
    return _deliver(data, path, _deck_record("pdf", deck, path, len(data)), audit)


# --------------------------------------------------------------------------- Excel / CSV


def _sheet_value(value, column: Column):
    """A value for a spreadsheet: numbers as numbers, markers and text as escaped text."""
    if is_hidden(value):
        return SUPPRESSED_LABEL
    if value is None:
        return NO_DATA_LABEL
    if isinstance(value, bool):
        return escape_formula(str(value))
    if column.kind in ("count", "change", "number") and isinstance(value, int | float):
        return int(value) if float(value).is_integer() else float(value)
    if column.kind == "rate" and isinstance(value, int | float):
        return round(float(value), 6)
    if column.kind == "interval":
        return escape_formula(format_cell(value, column))
    return escape_formula(str(value))


def xlsx_bytes(tables: Iterable[ReportTable]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    font = Font(name=FONT_FAMILY)
    bold = Font(name=FONT_FAMILY, bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="2F6DB5")
    any_sheet = False
    for t in tables:
        any_sheet = True
        ws = wb.create_sheet(_sheet_name(t, used))
        ws.cell(row=1, column=1, value=escape_formula(t.title)).font = Font(
            name=FONT_FAMILY, bold=True, size=14
        )
        for j, h in enumerate(t.headers(units_in_header=True), start=1):
            c = ws.cell(row=3, column=j, value=escape_formula(h))
            c.font, c.fill = bold, fill
        for i, row in enumerate(t.rows, start=4):
            for j, col in enumerate(t.columns, start=1):
                v = _sheet_value(row.get(col.key), col)
                c = ws.cell(row=i, column=j, value=v)
                if isinstance(v, str):
                    c.data_type = "s"
                c.font = font
                if col.kind == "rate" and isinstance(v, float):
                    c.number_format = "0.0%"
                elif isinstance(v, int):
                    c.number_format = "#,##0"
                c.alignment = Alignment(wrap_text=col.kind == "text", vertical="top")
        r = len(t.rows) + 5
        for n in t.notes:
            ws.cell(row=r, column=1, value=escape_formula(f"※{n}")).font = font
            r += 1
        for j, col in enumerate(t.columns, start=1):
            longest = max(
                [len(str(h)) for h in [col.label]]
                + [len(str(format_cell(x.get(col.key), col))) for x in t.rows]
            )
            ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, longest * 2 + 2))
        ws.freeze_panes = "A4"
    if not any_sheet:
        ws = wb.create_sheet("データなし")
        ws.cell(row=1, column=1, value="出力する表がありません。")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_name(t: ReportTable, used: set[str]) -> str:
    base = (
        "".join(ch for ch in (t.title.split("（")[0] or t.key) if ch not in "[]:*?/\\").strip()[:28]
        or t.key[:28]
    )
    name, n = base, 2
    while name in used:
        name = f"{base[:26]}_{n}"
        n += 1
    used.add(name)
    return name


def write_xlsx(
    tables: Sequence[ReportTable] | dict[str, ReportTable],
    path: Destination,
    *,
    audit: AuditHook,
    fy: int | None = None,
) -> ExportRecord:
    """The tables as one Excel workbook, a sheet per table, formula-safe."""
    tables = list(tables.values()) if isinstance(tables, dict) else list(tables)
    data = xlsx_bytes(tables)
    record = ExportRecord(
        format="xlsx",
        target=_target_name(path),
        fy=fy,
        tables=tuple(t.key for t in tables),
        suppressed_cells=sum(t.hidden_count() for t in tables),
        size_bytes=len(data),
    )
    return _deliver(data, path, record, audit)


def csv_bytes(table: ReportTable, *, encoding: str = "utf-8-sig") -> bytes:
    """UTF-8 with a BOM by default, so Excel on a Japanese PC opens it without garbling."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([escape_formula(h) for h in table.headers(units_in_header=True)])
    for row in table.rows:
        w.writerow([_sheet_value(row.get(c.key), c) for c in table.columns])
    return buf.getvalue().encode(encoding)


def write_csv(
    table: ReportTable,
    path: Destination,
    *,
    audit: AuditHook,
    fy: int | None = None,
    encoding: str = "utf-8-sig",
) -> ExportRecord:
    """One table as CSV, formula-safe."""
    data = csv_bytes(table, encoding=encoding)
    record = ExportRecord(
        format="csv",
        target=_target_name(path),
        fy=fy,
        tables=(table.key,),
        suppressed_cells=table.hidden_count(),
        size_bytes=len(data),
    )
    return _deliver(data, path, record, audit)


def write_deck(deck: Deck, path: Destination, fmt: str | None = None, *, audit: AuditHook) -> ExportRecord:
    """PPTX or PDF by ``fmt`` or by the file's suffix: what ``kodomo report deck --format`` needs."""
    fmt = (fmt or Path(_target_name(path)).suffix.lstrip(".")).lower()
    if fmt == "pptx":
        return write_pptx(deck, path, audit=audit)
    if fmt == "pdf":
        return write_pdf(deck, path, audit=audit)
    raise ValueError(f"形式は pptx か pdf を指定してください（{fmt!r}） / format must be pptx or pdf")
