"""UI text of the worklist screen (screens/worklist.py; keys wl.)."""

MESSAGES = {
    "wl.title": {"ja": "担当一覧（対応が必要なこと）", "en": "My worklist"},
    "wl.lead": {
        "ja": "あなたに割り当てられた様式・訪問・フォローと、所属課の確認待ちです。期限切れと古いものが先頭です。",
        "en": "Forms, visits and follow-ups assigned to you, overdue and oldest first.",
    },
    "wl.department": {"ja": "所属課（二次スクリーニングの確認待ちを表示）", "en": "Your departments"},
    "wl.metric.open": {"ja": "対応待ち", "en": "Open items"},
    "wl.metric.overdue": {"ja": "期限切れ", "en": "Overdue"},
    "wl.none": {"ja": "対応が必要なことはありません。", "en": "Nothing is due."},
    "wl.col.label": {"ja": "内容", "en": "Task"},
    "wl.col.resident_id": {"ja": "宛名番号", "en": "Resident ID"},
    "wl.col.ward": {"ja": "区", "en": "Ward"},
    "wl.col.school": {"ja": "学校", "en": "School"},
    "wl.col.due": {"ja": "期限", "en": "Due"},
    "wl.col.since": {"ja": "発生日", "en": "Since"},
    "wl.col.days": {"ja": "経過日数", "en": "Days waiting"},
    "wl.col.overdue": {"ja": "期限切れ", "en": "Overdue"},
}
