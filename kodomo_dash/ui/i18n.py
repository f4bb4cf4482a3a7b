"""Every piece of UI text, in Japanese first and English second.

Staff work in Japanese; the English toggle exists for evaluators and developers. Keeping all
strings in one dict (instead of literals in pages) means a page cannot show a half-translated
screen, and the test suite can check that every key has both languages.

The current language lives in Streamlit's session state under ``SESSION_KEY`` so each user's
choice is their own; outside a Streamlit run (tests, CLI, reports) Japanese is used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

LANGS: tuple[str, ...] = ("ja", "en")
DEFAULT_LANG = "ja"
SESSION_KEY = "lang"
LANG_NAMES = {"ja": "日本語", "en": "English"}

MESSAGES: dict[str, dict[str, str]] = {
    # ---------- app frame
    "app.title": {"ja": "こどもデータ連携ダッシュボード", "en": "Child data linkage dashboard"},
    "app.language": {"ja": "表示言語 / Language", "en": "Language / 表示言語"},
    "app.entrypoint_only": {
        "ja": "この画面は単独では開けません。`streamlit run app.py` で起動してください。",
        "en": "This screen cannot be opened on its own. Start the dashboard with `streamlit run app.py`.",
    },
    # ---------- page titles (navigation)
    # ---------- home page
    "home.lead": {
        "ja": "いま読み込まれているデータの概要です。取込のたびに更新されます。",
        "en": "An overview of the data currently loaded. It updates with every build.",
    },
    "home.metric.children": {"ja": "こどもの数（0〜15歳）", "en": "Children (aged 0–15)"},
    "home.metric.as_of": {"ja": "基準日", "en": "As of"},
    "home.metric.built_at": {"ja": "データ構築日時", "en": "Built at"},
    "home.metric.sources": {"ja": "取込できた資料", "en": "Sources loaded"},
    "home.metric.quarantined": {"ja": "隔離された行", "en": "Rows quarantined"},
    "home.wards.title": {"ja": "区別のこどもの数", "en": "Children per ward"},
    "home.wards.x": {"ja": "区", "en": "Ward"},
    "home.wards.y": {"ja": "人数", "en": "Children"},
    "home.wards.empty": {"ja": "こどものデータがありません。", "en": "No children in this build."},
    "home.quarantine.title": {"ja": "隔離件数（ルール別）", "en": "Quarantined values by rule"},
    "home.quarantine.caption": {
        "ja": "検証ルールに反した値の件数です。隔離された値は分析から除かれ、元の値のまま保存されています。",
        "en": "Values that broke a validation rule. They are excluded from analysis and kept as they were.",
    },
    "home.quarantine.x": {"ja": "件数", "en": "Count"},
    "home.quarantine.y": {"ja": "ルール", "en": "Rule"},
    "home.quarantine.none": {"ja": "隔離された値はありません。", "en": "Nothing was quarantined."},
    "home.sources.title": {"ja": "資料別の取込件数", "en": "Rows loaded per source"},
    "home.sources.caption": {
        "ja": "入力行数 ＝ 取込行数 ＋ 隔離行数。どの行も失われていないことを確かめられます。",
        "en": "Rows in = rows staged + rows quarantined, so no row is lost without a trace.",
    },
    "home.build.caption": {
        "ja": "ビルド {build_id}（所要 {duration} 秒、kodomo-dash {version}）",
        "en": "Build {build_id} ({duration} s, kodomo-dash {version})",
    },
    # ---------- source table columns
    "col.label_ja": {"ja": "資料", "en": "Source"},
    "col.file_name": {"ja": "ファイル", "en": "File"},
    "col.encoding": {"ja": "文字コード", "en": "Encoding"},
    "col.rows_in": {"ja": "入力行数", "en": "Rows in"},
    "col.rows_staged": {"ja": "取込行数", "en": "Rows staged"},
    "col.rows_quarantined": {"ja": "隔離行数", "en": "Rows quarantined"},
    "col.values_nullified": {"ja": "除外した値", "en": "Values nullified"},
    "col.status": {"ja": "状態", "en": "Status"},
    "col.message": {"ja": "メッセージ", "en": "Message"},
    # ---------- load status (meta.load_manifest.status)
    "status.ok": {"ja": "正常", "en": "OK"},
    "status.partial": {"ja": "一部隔離", "en": "Partly quarantined"},
    "status.missing": {"ja": "ファイルなし", "en": "File missing"},
    "status.unreadable": {"ja": "読込不可", "en": "Unreadable"},
    "status.header_mismatch": {"ja": "列見出し不一致", "en": "Header mismatch"},
    # ---------- quarantine rules (meta.quarantine.rule)
    "rule.required_missing": {"ja": "必須項目の欠落", "en": "Required value missing"},
    "rule.invalid_type": {"ja": "型の誤り", "en": "Wrong type"},
    "rule.invalid_date": {"ja": "日付の誤り", "en": "Invalid date"},
    "rule.unknown_code": {"ja": "未定義のコード", "en": "Unknown code"},
    "rule.out_of_range": {"ja": "範囲外の値", "en": "Out of range"},
    "rule.pattern_mismatch": {"ja": "書式の誤り", "en": "Pattern mismatch"},
    "rule.malformed_line": {"ja": "壊れた行", "en": "Malformed line"},
    "rule.mixed_encoding": {"ja": "別の文字コードの行（文字化け）", "en": "Line in another encoding (mojibake)"},
    "rule.undecodable_line": {"ja": "読めない文字を含む行", "en": "Line that cannot be decoded"},
    "rule.header_mismatch": {"ja": "列見出しの不一致", "en": "Header mismatch"},
    "rule.duplicate_key": {"ja": "キーの重複", "en": "Duplicate key"},
    # ---------- no build yet
    "nobuild.title": {"ja": "まだデータが読み込まれていません", "en": "No data has been loaded yet"},
    "nobuild.body": {
        "ja": "ダッシュボードを使うには、先にデータベースを作成してください。"
        "合成データで試す場合は `kodomo demo`、市の抽出データ（CSV）を読み込む場合は "
        "`kodomo build --source フォルダ` を実行します。作成が終われば、この画面を再読み込みすると表示されます。",
        "en": "Build the database first. To try it with synthetic data run `kodomo demo`; to load the "
        "city's extracts (CSV) run `kodomo build --source FOLDER`. Reload this page when the build is done.",
    },
    "nobuild.demo": {"ja": "# 合成データで試す", "en": "# try it with synthetic data"},
    "nobuild.build": {"ja": "# 抽出データを読み込む", "en": "# load the city's extracts"},
    "nobuild.folder": {"ja": "フォルダ", "en": "FOLDER"},
}


def _merge_area_messages() -> None:
    from kodomo_dash.ui.messages import collect

    for key, value in collect().items():
        if key in MESSAGES:
            raise KeyError(f"UI text key {key!r} is defined twice (i18n and kodomo_dash.ui.messages)")
        MESSAGES[key] = value


_merge_area_messages()


def current_lang() -> str:
    """The viewer's language: their session's choice inside Streamlit, Japanese elsewhere."""
    try:
        import streamlit as st
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:  # pragma: no cover - streamlit is a hard dependency of the app
        return DEFAULT_LANG
    if get_script_run_ctx(suppress_warning=True) is None:
        return DEFAULT_LANG
    lang = st.session_state.get(SESSION_KEY, DEFAULT_LANG)
    return lang if lang in LANGS else DEFAULT_LANG


def t(key: str, lang: str | None = None, /, **fmt: Any) -> str:
    """Text for ``key`` in the viewer's language, with ``str.format`` fields filled from ``fmt``.

    An unknown key returns the key itself, so a missing translation shows up on screen (and in
    the key-coverage test) instead of crashing a page.
    """
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry.get(lang or current_lang()) or entry[DEFAULT_LANG]
    return text.format(**fmt) if fmt else text


def label(prefix: str, code: str | None, lang: str | None = None) -> str:
    """Display label for a code (a rule, a status); unknown codes pass through unchanged."""
    if code is None:
        return ""
    key = f"{prefix}.{code}"
    return t(key, lang) if key in MESSAGES else str(code)


def fmt_date(value: dt.date | None, lang: str | None = None) -> str:
    """A date the way staff write it (2025年10月1日); ISO in English."""
    if value is None:
        return "—"
    if (lang or current_lang()) == "ja":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def fmt_datetime(value: dt.datetime | None, lang: str | None = None) -> str:
    """A timestamp to the minute; seconds only add noise on a status screen."""
    if value is None:
        return "—"
    if (lang or current_lang()) == "ja":
        return f"{fmt_date(value.date(), 'ja')} {value:%H:%M}"
    return f"{value:%Y-%m-%d %H:%M}"


def fmt_int(value: int | None) -> str:
    """Counts with thousands separators, the same in both languages."""
    return "—" if value is None else f"{int(value):,}"
