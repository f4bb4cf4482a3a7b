"""UI text of the progress screen (screens/progress.py; keys pg.)."""

MESSAGES = {
    "pg.title": {"ja": "様式の提出状況", "en": "Form progress"},
    "pg.lead": {
        "ja": "依頼済み・下書き・提出済みの件数です。記入されるとすぐに反映されます。",
        "en": "Requested, draft and submitted sheets, updated as they are saved.",
    },
    "pg.form_type": {"ja": "様式", "en": "Form"},
    "pg.all_forms": {"ja": "すべての様式", "en": "All forms"},
    "pg.by_school": {"ja": "学校別", "en": "By school"},
    "pg.by_ward": {"ja": "区別", "en": "By ward"},
    "pg.metric.requested": {"ja": "未着手", "en": "Requested"},
    "pg.metric.draft": {"ja": "下書き", "en": "Draft"},
    "pg.metric.submitted": {"ja": "提出済み", "en": "Submitted"},
    "pg.metric.overdue": {"ja": "期限切れ", "en": "Overdue"},
    "pg.none": {"ja": "依頼された様式はまだありません。", "en": "No forms requested yet."},
    "pg.col.group": {"ja": "学校・区", "en": "School / ward"},
    "pg.col.form_type": {"ja": "様式", "en": "Form"},
    "pg.col.pct": {"ja": "提出率（%）", "en": "Submitted (%)"},
    "pg.col.total": {"ja": "合計", "en": "Total"},
    "pg.col.updated": {"ja": "最終更新", "en": "Last update"},
    "pg.chart": {"ja": "提出状況", "en": "Progress"},
}
