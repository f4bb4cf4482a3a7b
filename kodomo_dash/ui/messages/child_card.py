"""UI text of the child card screen (screens/child_card.py; keys ccard.)."""

MESSAGES = {
    "ccard.pick_first": {
        "ja": "こども検索から対象のこどもを選んでください。",
        "en": "Choose a child from the child search first.",
    },
    "ccard.to_search": {"ja": "こども検索へ", "en": "Go to child search"},
    "ccard.not_found": {
        "ja": "このこどもは見つからないか、担当範囲外です。",
        "en": "This child does not exist or is outside your scope.",
    },
    "ccard.basic": {"ja": "基本情報", "en": "Basic information"},
    "ccard.indicators": {"ja": "19の基本項目とその他の指標", "en": "The 19 basic items and other indicators"},
    "ccard.indicators.caption": {
        "ja": "「データ無し」は、その資料にこのこどもの記録が無い（または名寄せできていない）ことを表します。",
        "en": "「データ無し」 (no data) means the source has no linked record for this child.",
    },
    "ccard.no_data": {"ja": "データ無し", "en": "データ無し (no data)"},
    "ccard.yes": {"ja": "あり", "en": "Yes"},
    "ccard.no": {"ja": "なし", "en": "No"},
    "ccard.timeline": {"ja": "制度利用・健診の経過", "en": "Programme use and check-ups"},
    "ccard.timeline.empty": {"ja": "記録がありません。", "en": "No records."},
    "ccard.household": {"ja": "同一住所の世帯員と制度利用", "en": "Everyone at the same address"},
    "ccard.household.caption": {
        "ja": "福岡市の情報共有画面と同じく、同じ住所に住む人とその制度利用を表示します。",
        "en": "As in Fukuoka's information-sharing screen: everyone at the address and their programme use.",
    },
    "ccard.support": {"ja": "支援状況・スクリーニング", "en": "Support status and screening"},
    "ccard.support.none": {"ja": "スクリーニング・支援の記録はまだありません。", "en": "No screening or support record yet."},
    "ccard.forms": {"ja": "提出された様式", "en": "Forms filed"},
    "ccard.forms.none": {"ja": "提出された様式はありません。", "en": "No forms filed."},
    "ccard.quarantine": {"ja": "隔離された値（元の値のまま）", "en": "Quarantined values (as they came)"},
    "ccard.quarantine.caption": {
        "ja": "⚠ 検証ルールに反したため分析から除外された値です。元の資料の値をそのまま表示しています。",
        "en": "⚠ Values that broke a validation rule, excluded from analysis and shown exactly as they came.",
    },
    "ccard.school_unlinked": {
        "ja": "学校の記録：データ無し（名寄せ未了）",
        "en": "School record: データ無し (not linked)",
    },
    "ccard.tax": {"ja": "税・所得（管理者・要対協のみ）", "en": "Tax and income (admin and yotaikyo only)"},
    "ccard.viewers": {"ja": "このこどもの閲覧履歴", "en": "Who viewed this child"},
    "ccard.sheet": {"ja": "概要シート（PDF）を作成", "en": "Make summary sheet (PDF)"},
    "ccard.sheet.download": {"ja": "概要シートをダウンロード", "en": "Download summary sheet"},
    "ccard.sheet.sections": {"ja": "印刷する項目", "en": "Sections to print"},
    "ccard.alert": {"ja": "大量閲覧の警告", "en": "Mass-view alert"},
    "ccard.support.history": {"ja": "支援の記録（取り消した記録も理由とともに残ります）",
                              "en": "Support records (cancelled ones stay, with the reason)"},
}
