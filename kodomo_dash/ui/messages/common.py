"""UI text shared by every screen: the app frame, menu sections, code labels (rules, statuses,
columns), the no-build notice and workflow words.
Page titles (page.<key>) come from config/pages.yaml, their one home.
"""

from kodomo_dash.config.pages import pages

MESSAGES = {f"page.{p.key}": dict(p.title) for p in pages()}

MESSAGES |= {
    "app.title": {"ja": "こどもデータ連携ダッシュボード", "en": "Child data linkage dashboard"},
    "app.language": {"ja": "表示言語 / Language", "en": "Language / 表示言語"},
    "app.entrypoint_only": {
        "ja": "この画面は単独では開けません。`streamlit run app.py` で起動してください。",
        "en": "This screen cannot be opened on its own. Start the dashboard with `streamlit run app.py`.",
    },
    "col.label_ja": {"ja": "資料", "en": "Source"},
    "col.file_name": {"ja": "ファイル", "en": "File"},
    "col.encoding": {"ja": "文字コード", "en": "Encoding"},
    "col.rows_in": {"ja": "入力行数", "en": "Rows in"},
    "col.rows_staged": {"ja": "取込行数", "en": "Rows staged"},
    "col.rows_quarantined": {"ja": "隔離行数", "en": "Rows quarantined"},
    "col.values_nullified": {"ja": "除外した値", "en": "Values nullified"},
    "col.status": {"ja": "状態", "en": "Status"},
    "col.message": {"ja": "メッセージ", "en": "Message"},
    "status.ok": {"ja": "正常", "en": "OK"},
    "status.partial": {"ja": "一部隔離", "en": "Partly quarantined"},
    "status.missing": {"ja": "ファイルなし", "en": "File missing"},
    "status.unreadable": {"ja": "読込不可", "en": "Unreadable"},
    "status.header_mismatch": {"ja": "列見出し不一致", "en": "Header mismatch"},
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
    "nav.hidden": {"ja": "その他", "en": "Other"},
    "nav.overview": {"ja": "概要", "en": "Overview"},
    "nav.children": {"ja": "こども", "en": "Children"},
    "nav.screening": {"ja": "スクリーニング", "en": "Screening"},
    "nav.support": {"ja": "支援", "en": "Support"},
    "nav.evaluation": {"ja": "評価・報告", "en": "Evaluation"},
    "nav.admin": {"ja": "管理", "en": "Administration"},
    "wf.no_casework": {
        "ja": "まだ対象者リストが確定されていません。スクリーニング画面でリストを確定するか、"
        "`kodomo demo --scenario fukuoka-fy2025` で1年分の記録を作成してください。",
        "en": "No target list has been accepted yet. Accept a list on the screening page, or run "
        "`kodomo demo --scenario fukuoka-fy2025` to simulate a year of casework.",
    },
    "wf.out_of_scope": {"ja": "閲覧できる範囲の外です。", "en": "Outside your scope."},
    "wf.ward": {"ja": "区", "en": "Ward"},
    "wf.all_wards": {"ja": "全区", "en": "All wards"},
    "wf.fy": {"ja": "年度", "en": "Fiscal year"},
    "wf.path.ward": {"ja": "区の三課による確認", "en": "Ward departments"},
    "wf.path.school": {"ja": "学校での確認", "en": "School path"},
}
