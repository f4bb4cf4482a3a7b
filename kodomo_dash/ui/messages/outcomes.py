"""UI text of the outcomes screen (screens/outcomes.py; keys oc.)."""

MESSAGES = {
    "oc.title": {"ja": "成果指標", "en": "Outcome indicators"},
    "oc.lead": {
        "ja": "図表 7-3 の形の成果・進捗と、支援内容（図表 6-4）、除外理由、区別の内訳です。"
        "1〜9の件数と、そこから逆算できてしまう数は「秘匿」と表示します。",
        "en": "Outcomes in the shape of Fig. 7-3, support acts (Fig. 6-4), exclusions and the breakdown by ward. "
        "Counts of 1–9, and cells that would reveal them, are shown as 「秘匿」 (suppressed).",
    },
    "oc.unit": {"ja": "区（内訳）", "en": "Ward"},
    "oc.programme": {"ja": "事業（市・スクリーニング方法）", "en": "Programme (city and screening method)"},
    "oc.city": {"ja": "全区（市全体）", "en": "Whole city"},
    "oc.notes": {"ja": "注記", "en": "Notes"},
    "oc.plan.title": {"ja": "訪問計画を入力（区ごと）", "en": "Record planned visits (per ward)"},
    "oc.plan.caption": {
        "ja": "対応できる体制から決めた訪問・電話の計画件数です。実績は記録された訪問・連絡から数えます。",
        "en": "Visits and calls planned from the staff capacity; visits made are counted from the recorded contacts.",
    },
    "oc.plan.ward": {"ja": "区", "en": "Ward"},
    "oc.plan.planned": {"ja": "訪問計画（件）", "en": "Planned visits"},
    "oc.plan.save": {"ja": "保存", "en": "Save"},
    "oc.plan.saved": {"ja": "{ward}の訪問計画を{n}件として保存しました。", "en": "Saved: {n} visits planned for {ward}."},
}
