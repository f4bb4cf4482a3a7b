"""The child card's one-page summary sheet (概要シート): household and programme use, as a PDF.

Built from a ChildCard the query layer already scoped and filtered (tax only if the card holds
it), so the sheet can never show more than the card. Noto Sans CJK JP is embedded (subset),
so the sheet prints the same on any PC. Sections can be chosen (printing of chosen sections).
Every cell is text: nothing from the data is interpreted as markup.
"""

from __future__ import annotations

import datetime as dt

from fpdf import FPDF

from kodomo_dash.reports.fonts import find_cjk_font

SECTIONS: dict[str, str] = {
    "basic": "基本情報",
    "indicators": "19の基本項目とその他の指標",
    "household": "同一住所の世帯員と制度利用",
    "timeline": "制度利用・健診の経過（直近）",
    "support": "支援状況・スクリーニング",
}
_FLAG_NAMES = {
    "public_assistance": "生活保護", "child_rearing_allowance": "児童扶養手当", "special_child_allowance": "特別児童扶養手当",
    "disability_handbook": "障害者手帳", "child_disability_service": "障害児通所支援", "enrolled_any": "保育所等",
    "school_expense_aid": "就学援助",
}
_SEX = {"1": "男", "2": "女"}
_FLAG_COLS = {
    "public_assistance": "生保",
    "child_rearing_allowance": "児扶",
    "special_child_allowance": "特児",
    "disability_handbook": "手帳",
    "child_disability_service": "通所",
    "enrolled_any": "保育",
    "school_expense_aid": "就援",
}


def _s(v) -> str:
    if v is None:
        return "—"
    try:
        import pandas as pd

        if pd.isna(v):
            return "—"
    except (TypeError, ValueError):
        pass
    if isinstance(v, dt.datetime):
        v = v.date()
    if isinstance(v, dt.date):
        return f"{v.year}年{v.month}月{v.day}日"
    return str(v).replace("\u3000", " ")


def summary_sheet_pdf(card, *, printed_by: str, sections: list[str] | None = None,
                      now: dt.datetime | None = None) -> bytes:
    """A4 portrait, one page: the chosen sections of the card (all by default)."""
    sections = [s for s in (sections or list(SECTIONS)) if s in SECTIONS]
    now = now or dt.datetime.now()
    regular, bold = find_cjk_font(False), find_cjk_font(True)
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("jp", "", str(regular.path), collection_font_number=regular.index)
    pdf.add_font("jp", "B", str(bold.path), collection_font_number=bold.index)
    pdf.set_title("こども概要シート")
    pdf.add_page()
    pdf.set_margins(12, 12, 12)
    pdf.set_xy(12, 12)
    width = pdf.w - 24
    bottom = pdf.h - 16

    def heading(text: str) -> None:
        pdf.ln(2)
        pdf.set_font("jp", "B", 11)
        pdf.set_fill_color(226, 236, 233)
        pdf.cell(width, 6.5, text, new_x="LMARGIN", new_y="NEXT", fill=True)
        pdf.set_font("jp", "", 8.5)

    def room(h: float) -> bool:
        return pdf.get_y() + h <= bottom

    def table(headers: list[str], rows: list[list[str]], widths: list[float], max_rows: int) -> None:
        pdf.set_font("jp", "B", 8)
        for h, w in zip(headers, widths, strict=True):
            pdf.cell(w, 5, h, border=1)
        pdf.ln()
        pdf.set_font("jp", "", 8)
        shown = 0
        for r in rows:
            if shown >= max_rows or not room(5):
                break
            for v, w in zip(r, widths, strict=True):
                text = v if pdf.get_string_width(v) <= w - 1 else _clip(pdf, v, w - 1)
                pdf.cell(w, 4.6, text, border=1)
            pdf.ln()
            shown += 1
        if shown < len(rows):
            pdf.set_font("jp", "", 7.5)
            pdf.cell(width, 4, f"（ほか {len(rows) - shown} 件は画面で確認してください）", new_x="LMARGIN", new_y="NEXT")

    pdf.set_font("jp", "B", 15)
    pdf.cell(width * 0.6, 9, "こども概要シート")
    pdf.set_font("jp", "", 8)
    pdf.cell(width * 0.4, 9, f"出力 {_s(now.date())} {now:%H:%M}  {printed_by}", align="R",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("jp", "", 7.5)
    pdf.cell(width, 4, "取扱注意：個人情報。閲覧・出力は記録されています。用済み後は速やかに廃棄してください。",
             new_x="LMARGIN", new_y="NEXT")
    b = card.basic
    if "basic" in sections:
        heading(SECTIONS["basic"])
        pairs = [
            ("宛名番号", _s(b.get("resident_id"))), ("氏名", _s(b.get("name_kanji"))),
            ("カナ", _s(b.get("name_kana"))), ("通称名", _s(b.get("alias_name"))),
            ("生年月日", _s(b.get("birth_date"))), ("年齢", f"{_s(b.get('age_years'))}歳"),
            ("性別", _SEX.get(str(b.get("sex")), _s(b.get("sex")))), ("国籍", _s(b.get("nationality"))),
            ("住所", _s(b.get("address_text"))), ("区", _s(b.get("ward_name"))),
        ]
        if card.tax is not None:
            pairs.append(("住民税", "非課税" if card.tax.get("tax_exempt") else "課税" if card.tax else "データ無し"))
            pairs.append(("所得階層", _s(card.tax.get("income_band")) if card.tax else "データ無し"))
        col = width / 2
        for i, (k, v) in enumerate(pairs):
            pdf.set_font("jp", "B", 8.5)
            pdf.cell(20, 5.2, k, border="B")
            pdf.set_font("jp", "", 8.5)
            pdf.cell(col - 20, 5.2, _clip(pdf, v, col - 21), border="B",
                     new_x="LMARGIN" if i % 2 else "RIGHT", new_y="NEXT" if i % 2 else "TOP")
        if len(pairs) % 2:
            pdf.ln()
        if card.school_linked is False:
            pdf.cell(width, 5, "学校の記録：データ無し（名寄せ未了）", new_x="LMARGIN", new_y="NEXT")
    if "indicators" in sections and card.indicators:
        heading(SECTIONS["indicators"])
        per_row = 3
        w = width / per_row
        for i, ind in enumerate(card.indicators):
            if not room(5):
                break
            label = (f"{ind.item}. " if ind.item else "・") + ind.label
            pdf.set_font("jp", "", 7.5)
            pdf.cell(w * 0.72, 4.8, _clip(pdf, label, w * 0.72 - 1), border="B")
            pdf.set_font("jp", "B", 7.5)
            pdf.cell(w * 0.28, 4.8, ind.value, border="B",
                     new_x="LMARGIN" if i % per_row == per_row - 1 else "RIGHT",
                     new_y="NEXT" if i % per_row == per_row - 1 else "TOP")
        if len(card.indicators) % per_row:
            pdf.ln()
    if "household" in sections and not card.household.empty and room(20):
        heading(SECTIONS["household"])
        hh = card.household
        flags = [c for c in _FLAG_COLS if c in hh.columns]
        headers = ["氏名", "続柄", "性別", "年齢"] + [_FLAG_COLS[c] for c in flags]
        rows = []
        for _, r in hh.iterrows():
            rows.append([_s(r.get("name_kanji")), _s(r.get("relationship")), _SEX.get(str(r.get("sex")), "—"),
                         _s(r.get("age_years"))] + ["○" if _s(r.get(c)) == "1" else "" for c in flags])
        fixed = [40, 22, 12, 12]
        rest = (width - sum(fixed)) / max(1, len(flags))
        table(headers, rows, fixed + [rest] * len(flags), 10)
        pdf.set_font("jp", "", 7)
        pdf.cell(width, 4, "略号：" + "、".join(f"{v}={_FLAG_NAMES[k]}" for k, v in _FLAG_COLS.items() if k in flags),
                 new_x="LMARGIN", new_y="NEXT")
    if "timeline" in sections and not card.timeline.empty and room(20):
        heading(SECTIONS["timeline"])
        tl = card.timeline[card.timeline["kind"] == "data"].dropna(subset=["date"]).sort_values("date", ascending=False)
        rows = [[_s(r["date"].date()), _s(r["what"]), _s(r["detail"])] for _, r in tl.iterrows()]
        table(["日付", "資料", "内容"], rows, [30, 50, width - 80], 14)
    if "support" in sections and room(16):
        heading(SECTIONS["support"])
        if card.screening.empty and card.funnel.empty:
            pdf.cell(width, 5, "スクリーニング・支援の記録はまだありません。", new_x="LMARGIN", new_y="NEXT")
        else:
            for _, r in card.screening.head(2).iterrows():
                pdf.multi_cell(width, 4.6, _clip(pdf, f"スクリーニング {_s(r.get('run_id'))}：順位 {_s(r.get('rank'))}"
                               f" 点数 {_s(r.get('score'))}  理由：{_s(r.get('reasons'))}", width * 2.5),
                               new_x="LMARGIN", new_y="NEXT")
            if not card.funnel.empty and "current_stage" in card.funnel.columns:
                pdf.cell(width, 5, f"現在の段階：{_s(card.funnel.iloc[0]['current_stage'])}",
                         new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(12, pdf.h - 12)
    pdf.set_font("jp", "", 7)
    pdf.cell(width, 4, "こどもデータ連携ダッシュボード（kodomo-dash）", align="C")
    return bytes(pdf.output())


def _clip(pdf: FPDF, text: str, w: float) -> str:
    if pdf.get_string_width(text) <= w:
        return text
    while text and pdf.get_string_width(text + "…") > w:
        text = text[:-1]
    return text + "…"
