"""UI text of the home screen (screens/home.py; keys home.)."""

MESSAGES = {
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
}
