"""UI text of the privacy checklist screen (screens/privacy_checklist.py; keys privacy.)."""

MESSAGES = {
    "privacy.read_only": {
        "ja": "過去の年度の点検結果です（閲覧のみ。記録は変更できません）。",
        "en": "A past year's check: read only (the record cannot be changed).",
    },
    "privacy.no_right": {"ja": "閲覧のみの権限です。", "en": "You may view but not save."},
    "privacy.not_recorded": {"ja": "未記録", "en": "Not recorded"},
    "privacy.recorded": {
        "ja": "実施日 {done_on}　担当者 {person}（{saved_by} が {saved_at} に保存）",
        "en": "Checked {done_on} by {person} (saved by {saved_by} at {saved_at})",
    },
    "privacy.item": {"ja": "項目{n}", "en": "Item {n}"},
    "privacy.lead": {
        "ja": "福岡市の報告書にある年次の個人情報保護チェック8項目です。項目ごとに実施日・担当者・根拠資料を記録し、"
        "年度ごとに保存します。",
        "en": "Fukuoka's eight annual privacy check items: record date, person and evidence per item, kept per year.",
    },
    "privacy.year": {"ja": "年度", "en": "Fiscal year"},
    "privacy.done_on": {"ja": "実施日", "en": "Date"},
    "privacy.person": {"ja": "担当者", "en": "Person"},
    "privacy.evidence": {"ja": "根拠資料・確認内容", "en": "Evidence"},
    "privacy.save": {"ja": "保存", "en": "Save"},
    "privacy.saved": {"ja": "保存しました。", "en": "Saved."},
    "privacy.done": {"ja": "{done} / {total} 項目 記録済み", "en": "{done} of {total} items recorded"},
    "privacy.missing": {"ja": "実施日と担当者を入力してください。", "en": "Enter a date and a person."},
}
